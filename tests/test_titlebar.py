"""The explorer's title line (tui/widgets/titlebar.py) replaces Textual's Header, four widgets,
with one. The truth here is Textual's own Header: the explorer is drawn once with each, and
every cell of the screen must look the same (character, colours, attributes), at rest and with
the pointer on the icon. Then what the explorer used of Header: the icon opens the command
palette, and the line follows a new title."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Header

import capslot.tui.screens.explorer as explorer
from capslot.tui.widgets.titlebar import TitleBar
from tests.tui_apps import make_app

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"
CXL = "sample_dumps/intel_0d93_cxl_dvsec.txt"  # a long title: cut with an ellipsis at 120 columns


def looks(app) -> list[list[tuple]]:
    """Each cell as a terminal shows it: its character, its colours (a blank's foreground
    shows nothing) and its attributes. Not the styles' other contents (links, metadata)."""
    rows = []
    for strip in app.screen._compositor.render_strips():
        row = []
        for segment in strip:
            s = segment.style
            for ch in segment.text:
                row.append((ch,) if s is None else (
                    ch, s.color if ch != " " or s.underline or s.reverse else None, s.bgcolor,
                    bool(s.bold), bool(s.dim), bool(s.italic), bool(s.underline), bool(s.reverse)))
        rows.append(row)
    return rows


async def drawn(dump: str, size: tuple[int, int], hover_icon: bool) -> list[list[tuple]]:
    app = make_app(dump)
    async with app.run_test(size=size, tooltips=False) as pilot:
        await pilot.pause()
        if hover_icon:
            await pilot.hover(app.screen, offset=(2, 0))
            await pilot.pause()
        return looks(app)


@pytest.mark.parametrize("dump", [NIC, CXL])
@pytest.mark.parametrize("size", [(120, 40), (200, 60)], ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("hover_icon", [False, True], ids=["at-rest", "icon-hovered"])
async def test_the_title_line_looks_as_textuals_header(monkeypatch, dump, size, hover_icon):
    ours = await drawn(dump, size, hover_icon)
    monkeypatch.setattr(explorer, "TitleBar", Header)
    textuals = await drawn(dump, size, hover_icon)
    assert len(ours) == len(textuals) == size[1]
    differ = [(y, x) for y, (a, b) in enumerate(zip(ours, textuals, strict=True))
              for x, (c, d) in enumerate(zip(a, b, strict=True)) if c != d]
    assert not differ, f"{len(differ)} cells differ, first at (row, column) {differ[0]}"
    assert "".join(c[0] for c in ours[0]).strip().startswith("⭘")


async def test_the_icon_opens_the_command_palette():
    app = make_app(NIC)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.click(TitleBar, offset=(20, 0))  # the title: nothing
        await pilot.pause()
        assert not isinstance(app.screen, CommandPalette)
        await pilot.click(TitleBar, offset=(1, 0))
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_the_title_line_follows_the_title():
    app = make_app(NIC)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        app.sub_title = "a sub-title set later"
        await pilot.pause()
        line = "".join(c[0] for c in looks(app)[0])
        assert "a sub-title set later" in line and line.split("—")[0].strip().endswith(app.title.split()[-1])
