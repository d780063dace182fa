"""The explorer's legend: the map's colours with the symbols `--map text` and `show` use for
them (one vocabulary: core/textmap.py VOCABULARY, tui/colours.py styles), the ghost's looks
and the cursor's."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from capslot.core.textmap import VOCABULARY
from capslot.tui.colours import GHOST_FILL, PALETTE, REGION_STYLE, VERDICT_STYLE, cap_style


def legend_text() -> Text:
    t = Text()
    for letter, colour in zip("ABC", PALETTE, strict=False):
        t.append(f" {letter} ", "bold " + cap_style(colour))
    t.append(" capabilities (a letter each in --map text)\n")
    for kind, mark in VOCABULARY.items():
        t.append(f" {mark.symbol} ", REGION_STYLE[kind])
        t.append(f" {mark.meaning}\n")
    t.append(" xx", "underline")
    t.append(" underlined: guest writes reach the device (in gaps and\n")
    t.append("    hidden capabilities, all of them do)\n")
    for verdict, fill in GHOST_FILL.items():
        t.append(f"[xx{fill}xx]", VERDICT_STYLE[verdict])
        t.append(f" ghost of a capability being placed: {verdict}\n")
    t.append("ff0", "bold #1c1c1c on #d0d0d0")
    t.append(" rows of the structure under the cursor", "")
    return t


class Legend(Static):
    BORDER_TITLE = "legend"

    def __init__(self, **kw) -> None:
        super().__init__(legend_text(), **kw)
