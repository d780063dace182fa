"""The legend is drawn with the Line API from lines rendered once (tui/widgets/legend.py). The
truth is Textual's Static showing the same text, as the legend was before: every cell must
look the same (character, colours, attributes), in the explorer's layouts and at widths that
make the text wrap."""

from __future__ import annotations

import pytest
from textual.app import App
from textual.containers import Horizontal
from textual.widgets import Static

import capslot.tui.screens.explorer as explorer
from capslot.tui.widgets.legend import Legend, legend_text
from tests.test_titlebar import looks
from tests.tui_apps import make_app

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"


class StaticLegend(Static):
    """The legend as it was: a Static of the same text."""

    BORDER_TITLE = "legend"

    def __init__(self, **kw) -> None:
        super().__init__(legend_text(), **kw)


async def explorer_looks(size: tuple[int, int], keys: tuple[str, ...]) -> list[list[tuple]]:
    app = make_app(NIC)
    async with app.run_test(size=size, tooltips=False) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        return looks(app)


@pytest.mark.parametrize(("size", "keys"), [((200, 60), ()), ((120, 40), ("4",)), ((80, 24), ("4",))],
                         ids=["wide", "medium-tab", "narrow-tab"])
async def test_the_legend_looks_as_a_static_of_its_text(monkeypatch, size, keys):
    ours = await explorer_looks(size, keys)
    monkeypatch.setattr(explorer, "Legend", StaticLegend)
    static = await explorer_looks(size, keys)
    assert any("capabilities (a letter each" in "".join(c[0] for c in row) for row in ours)  # shown
    assert ours == static


class Side(App):
    """The two side by side, each `width` columns, in the explorer's legend colours."""

    CSS = """
    Horizontal > * { height: auto; padding: 0 1; background: #1c1c1c; color: #d0d0d0; border: round $panel; }
    """

    def __init__(self, width: int) -> None:
        super().__init__()
        self.width = width

    def compose(self):
        with Horizontal():
            yield Legend(id="ours")
            yield StaticLegend(id="static")

    def on_mount(self) -> None:
        for widget in self.query("Horizontal > *"):
            widget.styles.width = self.width


@pytest.mark.parametrize("width", [24, 40, 66, 90])
async def test_the_legend_wraps_as_a_static(width):
    app = Side(width)
    async with app.run_test(size=(2 * width + 2, 90)) as pilot:
        await pilot.pause()
        ours, static = app.query_one("#ours"), app.query_one("#static")
        assert ours.region.height == static.region.height  # as many lines: wrapped alike
        rows = looks(app)
        for y in range(ours.region.y, ours.region.bottom):
            assert rows[y][ours.region.x:ours.region.right] == rows[y][static.region.x:static.region.right], y
