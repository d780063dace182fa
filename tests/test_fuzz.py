"""A short run of the mutation fuzzer (tests/fuzz.py) on every test run; `make fuzz` runs
until a million devices have been parsed."""

from __future__ import annotations

import random

from tests.cli import capslot
from tests.fuzz import fuzz, make_input, originals

# Seeds the long run once reported: texts that the loaders' format detection reads as something
# other than lspci (a lone tab-indented line; 64 bytes with an ESC byte, which is binary).
LONG_RUN_SEEDS = [170053, 240732, 283752, 318328, 399234, 405909, 423227, 497166, 565653,
                  614919, 713794, 799969]


def test_short_fuzz_run_keeps_every_invariant():
    stats = fuzz(range(1200))
    assert stats.failures == [], "\n".join(stats.failures[:3])
    assert stats.devices > 600 and stats.placements > 600  # it really exercised the pipeline


def test_seeds_from_the_long_run_keep_every_invariant():
    stats = fuzz(LONG_RUN_SEEDS)
    assert stats.failures == [], "\n".join(stats.failures[:3])


def test_show_and_survey_agree_on_the_long_run_inputs(tmp_path):
    """The commands themselves: `show` and `survey` read each input the same way, answer it
    (a device or one clear error line) and never print a traceback."""
    import json

    base = originals()
    for seed in LONG_RUN_SEEDS[:4] + [497166, 713794]:
        f = tmp_path / f"seed{seed}.txt"
        f.write_bytes(make_input(random.Random(seed), base)[1])
        show, survey = capslot("show", str(f), "--json"), capslot("survey", "--jsonl", str(f))
        assert "Traceback" not in show.err + survey.err
        records = [json.loads(line) for line in survey.out.splitlines()]
        if show.code == 0:
            assert len(records) == len(json.loads(show.out)["devices"]) and not any(r["error"] for r in records)
        else:
            assert show.code == 2 and show.err.count("\n") == 1 and show.err.startswith("capslot: ")
            assert records and all(r["error"] for r in records)


def test_the_long_run_stops_at_a_device_count():
    """`make fuzz` asks for a number of devices (not inputs: many inputs are refused)."""
    import re
    import subprocess
    import sys

    from tests.cli import ROOT

    out = subprocess.run([sys.executable, "-m", "tests.fuzz", "--devices", "40", "--jobs", "2"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    inputs, devices = map(int, re.search(r"fuzz: (\d+) inputs \((\d+) devices parsed", out.stdout).groups())
    assert 40 <= devices < inputs  # enough devices, and it kept going past refused inputs
