"""The explorer's legend: the map's colours with the symbols `--map text` and `show` use for
them (one vocabulary: core/textmap.py VOCABULARY, tui/colours.py styles), the ghost's looks
and the cursor's.

Drawn with the Line API from lines made once per width, as a Static makes them from the same
text (tests/test_legend.py compares every cell with one): a Static renders its text again for
every repaint, and the legend's 18 lines cost ~8M instructions of the explorer's first frame
in the wide layout (issue 23)."""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.text import Text
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

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


class Legend(Widget):
    BORDER_TITLE = "legend"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.text = legend_text()
        self._widest = max(cell_len(line) for line in self.text.plain.splitlines())
        self._lines: tuple[int, list[Strip]] | None = None  # (width, its lines)

    def lines(self, width: int) -> list[Strip]:
        """The text's lines at `width`, once per width. Where every line fits, Rich renders
        the text (a Static makes the same cells through Content, which costs more); where
        they wrap, they are made as a Static makes its own, so they wrap as it does."""
        if self._lines is None or self._lines[0] != width:
            if width >= self._widest:
                console = self.app.console
                rich_style = self.visual_style.rich_style
                segments = Segment.apply_style(self.text.render(console), rich_style)
                lines = [Strip(line) for line in Segment.split_lines(segments)]
            else:
                lines = Visual.to_strips(self, visualize(self, self.text), width, None, self.visual_style)
            self._lines = (width, lines)
        return self._lines[1]

    def get_content_width(self, container, viewport) -> int:
        return self._widest  # the longest line's cells

    def get_content_height(self, container, viewport, width: int) -> int:
        return len(self.lines(width)) if width > 0 else 0

    def render_line(self, y: int) -> Strip:
        width = self.content_region.width
        lines = self.lines(width)
        return lines[y] if y < len(lines) else Strip.blank(width, self.visual_style.rich_style)

    def notify_style_update(self) -> None:
        self._lines = None  # drawn again in the new colours
        super().notify_style_update()
