"""Plan files are untrusted input (issue 15): every malformed plan is refused with one line
naming the file, before anything is used; a plan of the maximum size loads and validates in
n log n; a second writer is detected instead of overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from capslot.core import planfile
from capslot.core.placement import parse_vcap
from capslot.core.sources import load
from capslot.core.space import DumpError
from tests.cli import capslot
from capslot.tui.session import Session

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"
DEVICE = {"vendor_id": 0x10EC, "device_id": 0x8168}


def plan_with(**item) -> str:
    entry = {"vcap": "pasid", "size": 8, "offset": 0xFF8, **item}
    return json.dumps({"plan_version": 1, "device": DEVICE, "placements": [entry]})


@pytest.mark.parametrize("content, what", [
    (plan_with(offset=0x1000), "offset 0x1000 outside 0x000-0xfff"),
    (plan_with(offset=1 << 80), "outside 0x000-0xfff"),
    (plan_with(offset=-4), "outside 0x000-0xfff"),
    (plan_with(offset="0xff8"), "needs vcap"),
    (plan_with(size=0x20), "pasid is 0x8 bytes"),
    (plan_with(vcap="nonsense"), "unknown virtual capability"),
    ('{"plan_version": "one", "placements": []}', "not a version number"),
    ('{"plan_version": true, "placements": []}', "not a version number"),
    ('{"plan_version": 1, "placements": [], "x": Infinity}', "Infinity"),
    ('{"plan_version": NaN, "placements": []}', "NaN"),
    ("[" * 100000 + "]" * 100000, "not a capslot plan"),
    ('{"placements": [1, 2]}', "is for device"),
    (json.dumps({"device": DEVICE, "placements": [1]}), "placement #1 is not an object"),
    ("\xff\xfe garbage", "not a capslot plan"),
], ids=lambda x: x[:24] if isinstance(x, str) and len(x) > 24 else None)
def test_bad_plans_are_refused_with_one_line(tmp_path, content, what):
    plan = tmp_path / "plan.json"
    plan.write_text(content, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(DumpError, match=what):
        planfile.read(str(plan), load(NIC)[0])
    r = capslot("tui", NIC, "--plan", str(plan))  # the explorer refuses before it opens
    assert r.code == 2 and len(r.err.splitlines()) == 1 and r.err.startswith(f"capslot: {plan}")
    assert "internal error" not in r.err and "Traceback" not in r.err
    assert plan.read_text(encoding="utf-8", errors="surrogateescape") == content  # left alone


def test_too_many_placements_are_refused(tmp_path):
    items = [{"vcap": "vsec", "size": 0x10, "offset": 0x100 + 4 * n} for n in range(1025)]
    plan = tmp_path / "big.json"
    plan.write_text(json.dumps({"device": DEVICE, "placements": items}))
    with pytest.raises(DumpError, match="at most 1024"):
        planfile.read(str(plan), load(NIC)[0])


def test_a_misaligned_offset_loads_as_a_collision_and_synthesis_survives(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text(plan_with(offset=0xFF9))
    s = Session(load(NIC))
    s.load_plan(str(plan))
    (p,) = s.placements()
    assert p.verdict == "collision" and {"alignment", "range"} <= {f.kind for f in p.findings}
    assert len(s.synthesized().space.data) == 4096  # nothing is written past the space


def test_a_full_plan_validates_every_pair():
    """1024 placements, every one against every other: findings stay few per placement."""
    s = Session(load(NIC), placed=[planfile.Pinned(parse_vcap(f"vsec:0x10@{0x100 + 4 * n:#x}"),
                                                   "user", "pinned") for n in range(960)])
    placements = s.placements()
    assert len(placements) == 960
    assert max(len(p.findings) for p in placements) < 12


def test_a_second_writer_is_detected(tmp_path):
    path = tmp_path / "plan.json"
    a, b = Session(load(NIC), plan_path=str(path)), Session(load(NIC))
    a.add(parse_vcap("pasid"), 0xFF8)
    b.use_plan_file(str(path))
    b.add(parse_vcap("ats"), 0xFF0)  # b saves: the file now holds both
    with pytest.raises(planfile.PlanConflict, match="changed on disk"):
        a.add(parse_vcap("pri"), 0xFE0)
    doc = json.loads(path.read_text())
    assert [p["vcap"] for p in doc["placements"]] == ["pasid", "ats"]  # b's work is intact
    assert [s.request.name for s in a.placed] == ["pasid", "pri"]  # a's stays in memory


def test_an_unwritable_plan_keeps_the_placements(tmp_path):
    s = Session(load(NIC), plan_path=str(tmp_path / "missing" / "plan.json"))
    with pytest.raises(OSError):
        s.add(parse_vcap("pasid"), 0xFF8)
    assert [p.request.name for p in s.placed] == ["pasid"]


def test_export_lspci_never_sends_escapes_to_the_terminal(tmp_path):
    lines = Path(NIC).read_text().splitlines()
    lines[0] = "08:00.0 Ethernet controller: \x1b]0;pwned\x07\x1b[2J\rRealtek"
    dump = tmp_path / "evil.txt"
    dump.write_text("\n".join(lines) + "\n")
    r = capslot("export", str(dump), "--add", "pasid", "--format", "lspci", "--layout-only")
    assert r.code == 0 and not any(c in r.out for c in "\x1b\x07\r")
    assert "\\x1b]0;pwned\\x07" in r.out.splitlines()[0]
