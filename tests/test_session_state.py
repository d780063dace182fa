"""The explorer's state is one immutable value that every action replaces whole (issue 21):
a state once shown never changes under the explorer, undo gives back exactly the placements
before a change, and a change given up leaves the session exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

from capslot.core.placement import parse_vcap
from capslot.core.sources import load
from tests.tui_apps import TABLE
from capslot.tui.app import CapslotApp
from capslot.tui.session import Session

ROOT = Path(__file__).resolve().parent.parent
NIC = ROOT / "sample_dumps/realtek_rtl8168_nic_b.txt"
INTEL = ROOT / "sample_dumps/intel_82576_nic_10c9_sriov.txt"


def test_a_state_once_taken_never_changes(tmp_path):
    plan = tmp_path / "p.json"
    s = Session(load(str(NIC)), table=TABLE, plan_path=str(plan), layout_only=True)
    s.auto(parse_vcap("pasid"))
    one = s.state
    s.auto(parse_vcap("pri"))
    s.set_vmm("crosvm")
    s.set_view("vfio")
    assert [p.request.name for p in one.placed] == ["pasid"]
    assert (one.target.vmm, one.view_name) == ("qemu", "guest")
    assert s.state is not one and [p.request.name for p in s.placed] == ["pasid", "pri"]
    assert s.undo() and s.state.placed == one.placed  # exactly the placements before
    assert (s.target.vmm, s.view_name) == ("crosvm", "vfio")  # undo is about placements only
    assert [p["vcap"] for p in json.loads(plan.read_text())["placements"]] == ["pasid"]


def test_the_placements_read_are_a_copy():
    s = Session(load(str(NIC)), table=TABLE)
    s.add(parse_vcap("pasid"), 0xFF8)
    s.placed.clear()
    assert [p.request.offset for p in s.placed] == [0xFF8]


def test_another_input_keeps_what_the_user_chose_and_nothing_of_the_device(tmp_path):
    """`o` and a live device picked: view, target, ranges, layout only carry over; the
    placements, undo, and the plan file do not (they are the old device's)."""
    s = Session(load(str(NIC)), table=TABLE, ranges=((0x800, 0x900),), layout_only=True,
                plan_path=str(tmp_path / "p.json"))
    s.set_vmm("cloud-hypervisor")
    s.set_view("vfio")
    s.auto(parse_vcap("pasid"))
    new = s.state.opened(load(str(INTEL)))
    assert (new.ranges, new.layout_only, new.target, new.view_name, new.table) == (
        ((0x800, 0x900),), True, s.target, "vfio", TABLE)
    assert (new.placed, new.undo, new.plan_path, new.device.device_id) == ((), (), None, 0x10C9)


async def test_a_plan_file_refused_by_ctrl_s_leaves_the_state_as_it_was(tmp_path):
    """ctrl+s on a path that reads as "no plan yet" but cannot be written: the plan file is
    not taken, and the session's state is the one before, whole (placements, undo, no plan
    file, no problem reported against a file that is not the plan file)."""
    from textual.widgets import Input

    target = tmp_path / "missing" / "plan.json"  # its folder does not exist
    app = CapslotApp(Session(load(str(NIC)), table=TABLE), str(NIC))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        before = app.session.state
        await pilot.press("ctrl+s")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "missing" in str(app.screen.query_one("#error").render())  # said in the dialog
        assert app.session.state is before
        assert app.session.plan_path is None and app.session.plan_problem is None
        assert app.session.can_undo() and not target.exists()
