"""One session (issue 21): a plan file only ever holds the placements of the device it names.
Switching devices (`d`) never writes one device's placements into another's plan file; it asks
(a new plan file, or keep working unsaved, the default) and switching back takes it up again.
Opening a dump (`o`) and switching keep the ranges and --layout-only."""

from __future__ import annotations

import json
from pathlib import Path

from capslot.core.placement import parse_vcap
from capslot.core.sources import load
from tests.tui_apps import TABLE
from capslot.tui.app import CapslotApp
from capslot.tui.screens.dialogs import DevicePicker, PlanAsideScreen
from capslot.tui.session import Session

ROOT = Path(__file__).resolve().parent.parent
NIC = ROOT / "sample_dumps/realtek_rtl8168_nic_b.txt"
INTEL = ROOT / "sample_dumps/intel_82576_nic_10c9_sriov.txt"


def two_devices(tmp_path: Path) -> Path:
    """One file, two devices: the Realtek NIC (A) then the Intel one (B)."""
    path = tmp_path / "two-devices.txt"
    path.write_text(NIC.read_text() + INTEL.read_text())
    return path


def ids(doc: dict) -> tuple[int, int]:
    return doc["device"]["vendor_id"], doc["device"]["device_id"]


def test_switching_devices_never_writes_the_other_devices_plan(tmp_path):
    plan = tmp_path / "p.json"
    s = Session(load(str(two_devices(tmp_path))), table=TABLE, ranges=((0x800, 0x900),),
                plan_path=str(plan), layout_only=True)
    a = s.device
    s.auto(parse_vcap("pasid"))
    held = plan.read_bytes()
    assert ids(json.loads(held)) == (a.vendor_id, a.device_id)
    assert s.select_device(1) == str(plan)  # set aside: the user is asked
    assert s.plan_path is None and s.ranges == ((0x800, 0x900),) and s.layout_only
    s.auto(parse_vcap("pasid"))
    s.auto(parse_vcap("ats"))
    assert plan.read_bytes() == held  # A's plan, untouched
    assert s.select_device(0) is None  # back to A: its plan file is taken up again
    assert s.plan_path == str(plan) and [p.request.name for p in s.placed] == ["pasid"]


def test_a_plan_file_that_holds_nothing_yet_goes_with_the_device(tmp_path):
    plan = tmp_path / "p.json"
    s = Session(load(str(two_devices(tmp_path))), table=TABLE, plan_path=str(plan))
    assert s.select_device(1) is None and s.plan_path == str(plan)
    s.auto(parse_vcap("pasid"))
    assert ids(json.loads(plan.read_text())) == (s.device.vendor_id, s.device.device_id)


def test_a_plan_file_of_another_device_is_never_written(tmp_path):
    """Even if the session is pointed at it: save refuses, and the file stays as it was."""
    plan = tmp_path / "p.json"
    devices = load(str(two_devices(tmp_path)))
    a = Session(devices, table=TABLE, plan_path=str(plan))
    a.auto(parse_vcap("pasid"))
    held = plan.read_bytes()
    b = Session(devices, 1, table=TABLE, plan_path=str(plan), plan_fingerprint=a.plan_fingerprint)
    try:
        b.auto(parse_vcap("ats"))
    except Exception as exc:  # noqa: BLE001 - the refusal is the point
        assert "another device" in str(exc)
    assert plan.read_bytes() == held


async def test_d_asks_and_defaults_to_unsaved(tmp_path):
    plan = tmp_path / "p.json"
    dump = two_devices(tmp_path)
    session = Session(load(str(dump)), table=TABLE, plan_path=str(plan), ranges=((0x800, 0x900),))
    app = CapslotApp(session, str(dump))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DevicePicker)
        await pilot.press("enter")  # A
        await pilot.press("a")
        held = plan.read_bytes()
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, DevicePicker)
        await pilot.press("down", "enter")  # B
        await pilot.pause()
        assert isinstance(app.screen, PlanAsideScreen)
        await pilot.press("enter")  # the default: keep working unsaved
        await pilot.pause()
        assert not isinstance(app.screen, PlanAsideScreen)
        await pilot.press("a")
        await pilot.pause()
        assert [p.request.name for p in app.session.placed] == ["pasid"]
        assert app.session.index == 1 and app.session.ranges == ((0x800, 0x900),)
        assert plan.read_bytes() == held


async def test_o_keeps_the_ranges_and_never_writes_the_old_plan_file(tmp_path):
    """`o` opens another dump: the ranges and --layout-only stay; the plan file (the NIC's)
    is asked about and never written with the other device's placements."""
    from textual.widgets import Input

    plan = tmp_path / "p.json"
    session = Session(load(str(NIC)), table=TABLE, plan_path=str(plan), ranges=((0x800, 0x900),),
                      layout_only=True)
    app = CapslotApp(session, str(NIC))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        held = plan.read_bytes()
        await pilot.press("o")
        app.screen.query_one(Input).value = str(INTEL)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, PlanAsideScreen)
        await pilot.press("enter")  # keep working unsaved
        await pilot.pause()
        assert app.session.device.device_id == 0x10C9
        assert app.session.ranges == ((0x800, 0x900),) and app.session.layout_only
        await pilot.press("a")
        await pilot.pause()
        assert app.session.placed and app.session.plan_path is None
        assert plan.read_bytes() == held
