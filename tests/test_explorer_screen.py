"""What the explorer draws (issue 21): bytes not in the dump drawn `_` as every map draws them,
the chain panel's `vis` column kept at every size, the footer's words whole."""

from __future__ import annotations

from pathlib import Path


from tests.test_tui import screen_lines
from tests.tui_apps import make_app
from capslot.tui.widgets.hexmap import HexMap

SAMPLES = Path(__file__).resolve().parent.parent / "sample_dumps"
NIC = str(SAMPLES / "realtek_rtl8168_nic_b.txt")
SHORT = str(SAMPLES / "amd_fam15h_ht_1600_256.txt")  # 256 bytes: 0x100-0xfff are not in the dump


async def test_bytes_not_in_the_dump_are_drawn_as_underscores():
    app = make_app(SHORT)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        hexmap = app.query_one(HexMap)
        assert hexmap._cells[0x100] == "__" and hexmap._cells[0xFFF] == "__"
        assert hexmap._cells[0x00] != "__"
        await pilot.press("g", *"100", "enter")
        await pilot.pause()
        row = next(line for line in screen_lines(app) if "100  " in line)
        assert "__ __ __ __" in row and "00 00 00 00" not in row.split("100  ", 1)[1][:50], row


async def test_the_chain_panel_keeps_vis_and_cuts_long_names():
    """USB4 xHCI: orphans named "Designated Vendor-Specific Extended Capability": the name is
    cut, `size` and `vis` stay on screen, at 200x60 and 120x40 (one explorer, resized: the
    check only reads)."""
    app = make_app(str(SAMPLES / "asmedia_usb4_xhci_2426.txt"))
    async with app.run_test(size=(200, 60)) as pilot:
        for size in ((200, 60), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            if size[0] < 200:
                await pilot.press("1")  # the chain tab of the drawer
                await pilot.pause()
            lines = screen_lines(app)
            header = next(line for line in lines if " off " in line and " name " in line)
            assert " size " in header and " vis " in header, (size, header)
            orphan = next(line for line in lines if " 168 " in line and "0023" in line)
            assert "Designa" in orphan and "…" in orphan and "orphan" in orphan, (size, orphan)


async def test_the_footer_keeps_its_words_apart():
    """At 80x24 and 120x40 (one explorer, resized: the check only reads)."""
    app = make_app(NIC)
    async with app.run_test(size=(80, 24)) as pilot:
        for size in ((80, 24), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            footer = screen_lines(app)[-1]
            assert "panels p pick up" in footer and "panelsp" not in footer, (size, footer)


async def test_the_export_dialog_fits_80x24_with_a_bdf_field_and_the_property(tmp_path):
    """At 80x24 every part of the export dialog is on screen; the QEMU property is shown; the
    host address typed in the dialog goes into the QEMU command line."""
    from textual.widgets import Button, Input, OptionList

    from tests.test_tui import FIJI

    app = make_app(str(SAMPLES / Path(FIJI).name))
    out = tmp_path / "vm.args"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("a", "e")
        await pilot.pause()
        dialog = app.screen
        screen = "\n".join(screen_lines(app))
        assert "QEMU: x-vpasid-cap-offset=0xff8" in screen, screen
        for widget in (dialog.query_one("#ok", Button), dialog.query_one("#cancel", Button),
                       dialog.query_one("#bdf", Input), dialog.query_one("#path", Input)):
            region = widget.region
            assert region.height and region.bottom <= 24 and region.right <= 80, (widget, region)
        dialog.query_one("#format", OptionList).highlighted = 1  # qemu-cmdline
        dialog.query_one("#bdf", Input).value = "0000:0a:00.0"
        dialog.query_one("#path", Input).value = str(out)
        dialog.query_one("#path", Input).focus()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "host=0000:0a:00.0" in out.read_text() and "x-vpasid-cap-offset=0xff8" in out.read_text()


async def test_a_resize_keeps_the_drawer_tab_and_the_maps_scroll():
    """120x40 with the verdict tab and the map at 0x800; through 80x24, a terminal too small
    to draw anything, and 200x60, back to 120x40: the same tab, cursor and scroll."""
    from capslot.tui.widgets.paneltabs import PanelTabs

    app = make_app(NIC)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("3", "g", *"800", "enter")
        await pilot.pause()
        top = app.query_one(HexMap).scroll_offset.y
        assert top > 0 and app.query_one("#panel-tabs", PanelTabs).active == "tab-verdict"
        for size in ((80, 24), (40, 10), (200, 60), (120, 40)):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            if size[0] < 60:
                continue
            hexmap = app.query_one(HexMap)
            assert hexmap.cursor == 0x800 and hexmap.scroll_offset.y == top, size
            if size[0] < 200:
                assert app.query_one("#panel-tabs", PanelTabs).active == "tab-verdict", size


async def test_the_chain_panel_is_laid_out_once_and_names_come_back_whole(monkeypatch):
    """The chain's rows are laid out once as the explorer opens (not again as the panel gets
    its size, when they fit); a long name cut on a narrower terminal is whole again when the
    terminal widens (medium layout: the chain beside the map)."""
    from capslot.tui.widgets.chain import ChainPanel

    laid_out = []
    original = ChainPanel._lay_out
    monkeypatch.setattr(ChainPanel, "_lay_out", lambda self: (laid_out.append(1), original(self))[1])
    name = "Designated Vendor-Specific Extended Capability"
    app = make_app(str(SAMPLES / "asmedia_usb4_xhci_2426.txt"))

    def orphan() -> str:
        return next(line for line in screen_lines(app) if " 168 " in line and "0023" in line)

    async with app.run_test(size=(250, 39)) as pilot:
        await pilot.pause()
        assert len(laid_out) == 1
        assert name in orphan() and "orphan" in orphan()
        await pilot.resize_terminal(120, 39)
        await pilot.pause()
        assert name not in orphan() and "Designa" in orphan() and "…" in orphan()
        await pilot.resize_terminal(250, 39)
        await pilot.pause()
        assert name in orphan() and "…" not in orphan()
