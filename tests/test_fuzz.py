"""A short run of the mutation fuzzer (tests/fuzz.py) on every test run; `make fuzz` runs
a million inputs."""

from __future__ import annotations

from tests.fuzz import fuzz


def test_short_fuzz_run_keeps_every_invariant():
    stats = fuzz(range(1200))
    assert stats.failures == [], "\n".join(stats.failures[:3])
    assert stats.devices > 600 and stats.placements > 600  # it really exercised the pipeline
