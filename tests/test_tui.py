"""The explorer, driven with Textual's Pilot: drag and drop, the keyboard path, undo,
views, the device picker, the plan file."""

from __future__ import annotations

import json

from textual.widgets import Input

from tests.tui_apps import make_app
from tui.widgets.chain import ChainPanel
from tui.widgets.hexmap import HexMap
from tui.widgets.palette import CapBlock

SIZE = (200, 60)


def cell(app, offset: int) -> tuple[int, int]:
    """Pilot offset (relative to the map widget, border included) of a byte's cell."""
    hexmap = app.query_one(HexMap)
    region, outer = hexmap.scrollable_content_region, hexmap.region
    return (region.x - outer.x + hexmap.cell_x(offset),
            region.y - outer.y + offset // 16 - int(hexmap.scroll_offset.y))


async def drag(pilot, app, block_id: str, offset: int, release: bool = True) -> None:
    assert await pilot.mouse_down(f"#{block_id}")
    assert app.mouse_captured is app.query_one(f"#{block_id}")
    await pilot.hover(HexMap, offset=cell(app, offset))
    await pilot.pause()
    if release:
        await pilot.mouse_up(HexMap, offset=cell(app, offset))
        await pilot.pause()


async def test_drag_places_pasid_with_a_live_verdict(tmp_path):
    plan = tmp_path / "plan.json"
    app = make_app(plan=str(plan))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await drag(pilot, app, "vcap-pasid", 0x200, release=False)
        ghost = app.query_one(HexMap).ghost
        assert (ghost.offset, ghost.size, ghost.verdict) == (0x200, 8, "ok")
        await pilot.mouse_up(HexMap, offset=cell(app, 0x200))
        await pilot.pause()
        assert app.mouse_captured is None and app.query_one(HexMap).ghost is None
        (p,) = app.session.placements()
        assert (p.vcap.name, p.offset, p.verdict) == ("pasid", 0x200, "ok")
    saved = json.loads(plan.read_text())
    assert saved["placements"][0]["offset"] == 0x200 and saved["device"]["vendor_id"] == 0x10EC


async def test_a_collision_drop_is_refused():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await drag(pilot, app, "vcap-pasid", 0x104, release=False)
        assert app.query_one(HexMap).ghost.verdict == "collision"  # inside AER
        await pilot.mouse_up(HexMap, offset=cell(app, 0x104))
        await pilot.pause()
        assert app.session.placed == []


async def test_drop_snaps_to_a_dword():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await drag(pilot, app, "vcap-ats", 0x303)
        assert [p.request.offset for p in app.session.placed] == [0x300]


async def test_keyboard_path_goto_pick_drop_undo_redo():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g", *"ff9", "enter")
        assert app.query_one(HexMap).cursor == 0xFF9
        await pilot.press("p")  # picks up PASID, snapped to 0xff8
        assert app.carrying is not None and app.query_one(HexMap).ghost.offset == 0xFF8
        await pilot.press("enter")
        assert [p.request.offset for p in app.session.placed] == [0xFF8]
        await pilot.press("ctrl+z")
        assert app.session.placed == []
        await pilot.press("ctrl+y")
        assert [p.request.offset for p in app.session.placed] == [0xFF8]
        await pilot.press("escape")


async def test_escape_cancels_and_move_and_remove():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g", *"e00", "enter", "p", "escape")
        assert app.carrying is None and app.session.placed == []
        await pilot.press("p", "enter")
        assert [p.request.offset for p in app.session.placed] == [0xE00]
        await pilot.press("m", "pagedown", "enter")  # move it 16 rows down
        assert [p.request.offset for p in app.session.placed] == [0xF00]
        await pilot.press("delete")
        assert app.session.placed == []


async def test_auto_place_explains_itself():
    app = make_app("sample_dumps/amd_fiji_gpu_7300_rebar.txt")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("a")
        (slot,) = app.session.placed
        assert (slot.request.offset, slot.chosen_by) == (0x2D0, "hidden-physical")


async def test_view_switch_recolours_the_map():
    app = make_app("sample_dumps/amd_fiji_gpu_7300_rebar.txt", view="hardware")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        hexmap = app.query_one(HexMap)
        before = hexmap._styles[0x2D0]
        await pilot.press("v")
        assert app.session.view_name == "vfio"
        assert hexmap._styles[0x2D0] != before  # PASID is hidden by vfio-pci
        chain = app.query_one(ChainPanel)
        assert "hidden" in [str(chain.get_cell_at((r, 4))) for r in range(chain.row_count)]
        await pilot.press("v")
        assert app.session.view_name == "guest"


async def test_device_picker_for_a_multi_device_file(tmp_path):
    both = tmp_path / "two.txt"
    both.write_text(open("sample_dumps/realtek_rtl8168_nic_a.txt").read() + "\n" +
                    open("sample_dumps/intel_82576_nic_10c9_sriov.txt").read())
    app = make_app(str(both))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.screen.__class__.__name__ == "DevicePicker"
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.session.index == 1 and app.session.device.device_id == 0x10C9


async def test_chain_selection_highlights_the_capability():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        chain = app.query_one(ChainPanel)
        chain.focus()
        await pilot.press("down", "down")  # PM -> MSI -> PCI Express
        await pilot.pause()
        assert app.query_one(HexMap).selected == (0x70, 0x70 + 0x14)


async def test_palette_entries_pick_up_with_enter():
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.query_one("#vcap-pri", CapBlock).focus()
        await pilot.press("enter")
        assert app.carrying.name == "pri"


async def test_hostile_names_and_device_lines_show_literally(tmp_path):
    """A file name and a device line full of markup and escapes are shown as text."""
    import html
    import re

    folder = tmp_path / "[bold]evil"
    folder.mkdir()
    dump = folder / "[link=x]nic.txt"
    lines = open("sample_dumps/realtek_rtl8168_nic_b.txt").read().splitlines()
    lines[0] = "08:00.0 Ethernet controller: [red]injected[/] \x1b[31mesc"
    dump.write_text("\n".join(lines) + "\n")
    app = make_app(str(dump))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\u00a0", " ")
        assert "[link=x]nic.txt" in screen  # the map title (a long path is cut at the left)
        assert "[red]injected[/]" in screen and "\\x1b[31mesc" in screen


async def test_the_explorer_saves_the_map_and_a_screenshot(tmp_path):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g", *"ff8", "enter", "p", "enter")  # a PASID at 0xff8, then save
        text = app.export_bytes("map-text").decode("ascii")
        assert text.splitlines()[next(i for i, l in enumerate(text.splitlines())
                                      if l.startswith("f00 "))].endswith("##")
        assert b"<svg" in app.export_bytes("map-svg") and b"<html>" in app.export_bytes("map-html")
        assert b"<svg" in app.export_bytes("screenshot")
        assert app.export_bytes("qemu") == b"x-vpasid-cap-offset=0xff8\n"


async def test_plan_file_from_inside_the_explorer(tmp_path):
    """ctrl+s: a plan that `capslot place --json` wrote is loaded; one for another device is
    refused in the dialog and left as it was; a new file starts receiving every change."""
    import subprocess
    import sys

    dump = "sample_dumps/realtek_rtl8168_nic_b.txt"
    good = tmp_path / "good.json"
    good.write_bytes(subprocess.run([sys.executable, "-m", "tui.cli", "place", dump, "--add", "pasid@0x300",
                                     "--json"], capture_output=True, check=True).stdout)
    other = tmp_path / "other.json"
    other.write_text(good.read_text().replace('"vendor_id": 4332', '"vendor_id": 32902'))
    assert other.read_text() != good.read_text()
    before = other.read_bytes()
    fresh = tmp_path / "fresh.json"

    async def plan_file(pilot, path) -> None:
        await pilot.press("ctrl+s")
        app.screen.query_one("#path", Input).value = str(path)
        await pilot.press("enter")

    app = make_app(dump)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await plan_file(pilot, other)
        await pilot.pause()
        assert app.screen.__class__.__name__ == "OpenScreen"  # asked again, with the reason
        assert "not 10ec:" in str(app.screen.query_one("#error").render())
        await pilot.press("escape")
        assert app.session.placed == [] and app.session.plan_path is None

        await plan_file(pilot, good)
        await pilot.pause()
        (p,) = app.session.placements()
        assert (p.vcap.name, p.offset) == ("pasid", 0x300)

        await plan_file(pilot, fresh)
        await pilot.press("g", *"400", "enter", "p", "enter")  # a second PASID: refused
        await pilot.pause()
        assert len(app.session.placed) == 1
        await pilot.press("g", *"300", "enter", "m", "g", *"400", "enter", "enter")  # moved
        await pilot.pause()
    assert other.read_bytes() == before
    assert [(x["vcap"], x["offset"]) for x in json.loads(fresh.read_text())["placements"]] == [
        ("pasid", 0x400)]
