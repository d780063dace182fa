"""The explorer's session without a screen: undo/redo, plan files saved atomically and
loaded back, and plans refused when they are corrupt, newer, or for another device."""

from __future__ import annotations

import json

import pytest

from capslot.core.placement import parse_vcap
from capslot.core.space import DumpError
from tests.cli import capslot
from tests.tui_apps import TABLE
from capslot.core.sources import load
from capslot.tui.session import Session

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"


def session(plan=None) -> Session:
    return Session(load(NIC), table=TABLE, plan_path=plan)


def test_undo_redo_and_revalidation():
    s = session()
    s.add(parse_vcap("pasid"), 0xFF8)
    s.add(parse_vcap("pri"), 0xFE8)
    assert [p.verdict for p in s.placements()] == ["ok", "ok"]
    s.move(1, 0xFF4)  # now it overlaps the PASID: both are collisions
    assert [p.verdict for p in s.placements()] == ["collision", "collision"]
    assert s.undo() and [p.request.offset for p in s.placed] == [0xFF8, 0xFE8]
    assert s.redo() and [p.request.offset for p in s.placed] == [0xFF8, 0xFF4]
    s.remove(1)
    assert [p.request.name for p in s.placed] == ["pasid"]


def test_plan_round_trip(tmp_path):
    plan = tmp_path / "plan.json"
    s = session(str(plan))
    s.add(parse_vcap("pasid"), 0xFF8)
    result = s.auto(parse_vcap("vsec:0x20"))
    doc = json.loads(plan.read_text())
    assert [p["offset"] for p in doc["placements"]] == [0xFF8, result.offset]
    # the NIC has no PASID capability: the plan keeps the placements, and says QEMU gets none
    assert doc["qemu"] is None
    assert [p["feasibility"]["state"] for p in doc["placements"]] == ["not-synthesized"] * 2
    again = session()
    again.load_plan(str(plan))
    assert [(p.request.name, p.request.offset, p.chosen_by) for p in again.placed] == [
        ("pasid", 0xFF8, "user"), ("vsec", result.offset, result.chosen_by)]


@pytest.mark.parametrize("content, message", [
    ("{not json", "not a capslot plan"),
    ('{"placements": 3}', "no placements list"),
    ('{"plan_version": 99, "placements": []}', "newer"),
    ('{"device": {"vendor_id": 32902, "device_id": 4297}, "placements": []}', "is for device"),
])
def test_bad_plans_are_refused(tmp_path, content, message):
    plan = tmp_path / "plan.json"
    plan.write_text(content)
    with pytest.raises(DumpError, match=message):
        session().load_plan(str(plan))


def test_tui_refuses_a_bad_plan_and_leaves_it_alone(tmp_path):
    plan = tmp_path / "plan.json"
    plan.write_text("{corrupt")
    r = capslot("tui", NIC, "--plan", str(plan))
    assert r.code == 2 and r.err.startswith(f"capslot: {plan}") and "not a capslot plan" in r.err
    assert plan.read_text() == "{corrupt"
