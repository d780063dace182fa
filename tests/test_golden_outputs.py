"""Same bytes out (issue 23): `show --json`, the Rich `show` and `place --json --add pasid` of
every bundled dump print exactly what the files in tests/golden/outputs/ hold, written by the
code of commit 761d562 (whose outputs the lspci-based tests had checked; how they were made:
tests/golden_outputs.py). Whatever start-up work changes, the outputs may not."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests import golden_outputs as g

DUMPS = g.dumps()


def test_every_bundled_dump_has_its_golden_outputs():
    assert len(DUMPS) >= 90
    for dump in DUMPS:
        for suffix in g.COMMANDS:
            assert g.golden_file(dump, suffix).is_file(), (dump, suffix)


@pytest.mark.parametrize("dump", DUMPS, ids=[d.stem for d in DUMPS])
def test_outputs_are_the_pinned_bytes(dump):
    with g.pinned_environment():
        got = g.outputs(dump)
    want = g.golden(dump)
    for suffix in g.COMMANDS:
        assert got[suffix] == want[suffix], f"capslot {' '.join(g.COMMANDS[suffix])} {dump}"


# the real command, from process start: its fast paths are the ones a user meets
SOME = ["intel_0d93_cxl_dvsec", "realtek_rtl8168_nic_b", "plx_pex8796_switch_8796"]


@pytest.mark.parametrize("stem", SOME)
@pytest.mark.parametrize("suffix", list(g.COMMANDS))
def test_the_command_prints_the_pinned_bytes(stem, suffix):
    (dump,) = [d for d in DUMPS if d.stem == stem]
    with g.pinned_environment() as env:
        r = subprocess.run([sys.executable, "-m", "capslot", *g.COMMANDS[suffix], str(dump)],
                           cwd=g.ROOT, env=env, capture_output=True, text=True, timeout=60)
    code, out, err = g.golden(dump)[suffix]
    assert (r.returncode, g.normalised(r.stdout), g.normalised(r.stderr)) == (code, out, err)
