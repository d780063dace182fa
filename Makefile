# Set-up is two commands on a fresh machine with python3 and make: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TESTED := $(VENV)/.installed-test
BUNDLE := $(VENV)/.bundled
SOURCES = $(wildcard core/*.py core/*/*.py tui/*.py tui/*/*.py)
SAMPLE ?= sample_dumps/realtek_rtl8168_nic_b.txt

.PHONY: install run lint test bench fuzz docs clean

install: $(BUNDLE)

# `make run` installs what running needs; `make test` adds the test tools (pytest, ruff, ...).
# -e, then the venv's capslot made a folder of links into this checkout (no editable finder
# for every Python start-up to import: tests/installed_layout.py says why)
$(STAMP): pyproject.toml tui/cli
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m tests.installed_layout --link
	$(BIN)/python -m compileall -q core tui  # bytecode now: start-up never compiles (even under PYTHONDONTWRITEBYTECODE)
	touch $(STAMP)

# The start-up bundle (capslot/__init__.py says what it is), the device table's cache and the
# explorer's parsed CSS (tui/csscache.py): written again after any source or stylesheet
# changed; until then an edited module is imported from its own file, never from the bundle
$(BUNDLE): $(STAMP) $(SOURCES) $(wildcard tui/*.tcss tui/*/*.tcss) core/placement/quirks.toml tests/installed_layout.py
	$(BIN)/python -m tests.installed_layout --bundle
	touch $(BUNDLE)

$(TESTED): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m tests.installed_layout --link
	$(BIN)/python -m tests.installed_layout --bundle
	touch $(TESTED)

run: $(BUNDLE)
	$(BIN)/capslot $(SAMPLE)

lint: $(TESTED)
	$(BIN)/ruff check .
	$(BIN)/python -m tests.installed_layout --lint-imports  # import-linter over the installed names

# -n auto: one pytest-xdist worker per core (workers see COLUMNS=80 LINES=24: the tmux tests
# strip them from the pane's environment)
test: lint
	$(BIN)/python -m pytest -n auto

# Figures, never asserts: each script alternates capslot with its peer or floor in one run
# (benchmarks/measure.py) and prints the load average. Without lspci each script skips its lspci
# column; a script that fails is reported and the others still run.
# BEFORE=DIR: an earlier commit unpacked in DIR (`git archive REV | tar -x -C DIR`), measured
# in the same run: survey_vs_lspci paired with it; core_speed, slot_lookup and tui_speed (its
# own scripts, on its own code) after this checkout's
bench: $(TESTED)
	@command -v lspci >/dev/null || echo "bench: lspci is not installed (apt-get install pciutils): the lspci columns are skipped, the rest goes on"
	@uptime
	-$(BIN)/python benchmarks/core_speed.py
	$(if $(BEFORE),-$(BIN)/python benchmarks/core_speed.py --checkout $(BEFORE))
	-$(BIN)/python benchmarks/survey_vs_lspci.py $(if $(BEFORE),--before $(BEFORE))
	-$(BIN)/python benchmarks/slot_lookup.py
	$(if $(BEFORE),-$(BIN)/python $(BEFORE)/benchmarks/slot_lookup.py)
	-$(BIN)/python benchmarks/tui_speed.py
	$(if $(BEFORE),-$(BIN)/python $(BEFORE)/benchmarks/tui_speed.py)
	-$(BIN)/python benchmarks/plan_validation.py
	-$(BIN)/python benchmarks/quirks_load.py

fuzz: $(TESTED)
	$(BIN)/python -m tests.fuzz --devices 1000000 --jobs $$(nproc)
	$(BIN)/python -m tests.tui_fuzz --events 5000

docs: $(TESTED)
	$(BIN)/python -m capslot.tui.docs  # the generated parts of README.md and docs/*.md

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .import_linter_cache
