"""The explorer styles each widget once before its first frame (issue 23: first paint).

Textual styles a widget as it is mounted, and again, all of them, as the screen is shown
(ScreenResume): the first time, just after mounting, that second pass (half of the first
paint's styling) is left out. A widget is styled again only when its own state changes
(the map takes the focus, the screen gets its layout's classes)."""

from __future__ import annotations

from collections import Counter

import pytest
from textual.css.stylesheet import Stylesheet
from textual.widgets import Footer

from capslot.tui.widgets.chain import ChainPanel
from capslot.tui.widgets.palette import Palette
from tests.tui_apps import make_app

SIZES = [(80, 24), (120, 40), (200, 60)]
RESTYLED = {"ExplorerScreen", "HexMap",  # their state changes as the screen opens
            "FooterKey"}  # the footer's keys, as the focus lands on the map


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_each_widget_is_styled_once_as_the_explorer_opens(size, monkeypatch):
    styled: Counter = Counter()
    original = Stylesheet.apply

    def apply(self, node, *args, **kwargs):
        styled[node] += 1
        return original(self, node, *args, **kwargs)

    monkeypatch.setattr(Stylesheet, "apply", apply)
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.screen
        widgets = [w for w in styled if w is screen or screen in w.ancestors]
        assert app.query_one(ChainPanel) in widgets and app.query_one(Footer) in widgets
        assert app.query_one(Palette) in widgets
        again = {type(w).__name__ for w in widgets if styled[w] > 1}
        assert again <= RESTYLED, again
