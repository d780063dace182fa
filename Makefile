# Set-up is two commands on a fresh machine with python3 and make: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLE ?= sample_dumps/realtek_rtl8168_nic_b.txt

.PHONY: install run test bench fuzz docs clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/capslot $(SAMPLE)

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/core_speed.py
	$(BIN)/python benchmarks/tui_speed.py

fuzz: $(STAMP)
	$(BIN)/python -m tests.fuzz --devices 1000000 --jobs $$(nproc)

docs: $(STAMP)
	$(BIN)/python -m tui.docs README.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
