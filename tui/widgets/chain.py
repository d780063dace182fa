"""The structures of the config space: every capability with its offset, size, certainty and
visibility (hidden, dropped, virtual...), then the orphans no chain reaches, in chain order or
in address order. Each row starts with the structure's letter on its colour, as on the maps.

Moving the highlight (keys or mouse) asks for the map's cursor to go to that structure
(message up); the app moves the highlight to the structure under the map's cursor without
that message coming back.

A table of a few dozen rows, drawn line by line (Textual's Line API, as the map is): it
looks like the DataTable it replaced, which rendered every cell through Rich and made the
chain the costliest widget of the explorer's first frame (issue 23)."""

from __future__ import annotations

from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip


from capslot.core.layout import Kind, Layout
from capslot.core.textmap import VOCABULARY, letters
from capslot.tui.colours import REGION_STYLE, cap_colours, cap_style
from capslot.tui.render import VISIBILITY_STYLE
from capslot.tui.safe import rich_text
from capslot.tui.widgets.basestyle import BaseStyleCache
from capslot.tui.widgets.inspector import structure_key


COLUMNS = ("", "off", "ID", "name", "size", "vis")
CELL_PADDING = 1  # a space each side of every cell


class Row(NamedTuple):
    key: str  # "c<index>" for a capability, "o<index>" for an orphan
    start: int
    end: int


class ChainPanel(BaseStyleCache, ScrollView, can_focus=True):
    """Rows are structures (`Row.key` says which); a header line stays on top."""

    BORDER_TITLE = "capabilities"
    BINDINGS = [
        Binding("up", "move(-1)", "up", show=False, tooltip="the structure above"),
        Binding("down", "move(1)", "down", show=False, tooltip="the structure below"),
        Binding("pageup", "page(-1)", "page up", show=False),
        Binding("pagedown", "page(1)", "page down", show=False),
        Binding("home,ctrl+home", "to(0)", "first", show=False, tooltip="the first structure"),
        Binding("end,ctrl+end", "to(-1)", "last", show=False, tooltip="the last structure"),
    ]
    COMPONENT_CLASSES = {"chain--header", "chain--cursor", "chain--hover"}
    # DataTable's looks: the header on $panel, the highlight in the block cursor's colours
    DEFAULT_CSS = """
    ChainPanel {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .chain--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
            & > .chain--header {
                background-tint: $foreground 5%;
            }
        }
        & > .chain--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:ansi > .chain--header {
            background: ansi_bright_blue;
            color: ansi_default;
        }
        & > .chain--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        & > .chain--hover {
            background: $block-hover-background;
        }
    }
    """

    cursor_row: reactive[int] = reactive(0, repaint=False, init=False)

    class Selected(Message):
        """The user highlighted a structure: the map's cursor should go to `offset`."""

        def __init__(self, offset: int) -> None:
            super().__init__()
            self.offset = offset

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.address_order = False
        self._layout: Layout | None = None
        self._rows: dict[str, Row] = {}
        self._keys: list[str] = []  # the rows shown, top to bottom
        self._cells: list[tuple[Text, ...]] = []
        self._widths: list[int] = [len(label) for label in COLUMNS]
        self._lines: list[list[Segment]] = []  # each row's segments, unstyled by the cursor
        self._header: list[Segment] = []
        self._offset: int | None = None  # the offset shown last (a resize shows it again)
        self._hover: int | None = None  # the row under the mouse (none after a key moves the highlight)
        self._whole_from: int | None = None  # the least width showing the rows uncut, if they are

    # ------------------------------------------------------------ model

    def show(self, layout: Layout, offset: int | None = None) -> None:
        """List the layout's structures, highlighting the one owning `offset`."""
        self._layout = layout
        marks, colours = letters(layout), cap_colours(layout)
        rows: list[tuple[int, int, str, tuple]] = []  # (chain position, offset, key, cells)
        self._rows = {}
        for i, c in enumerate(layout.capabilities):
            vis = layout.visibility(i)
            if vis == "visible":  # a region kind that marks a structure (VOCABULARY) says so
                kind_mark = VOCABULARY.get(layout.region_at(c.offset).kind)
                vis = kind_mark.structure if kind_mark is not None and kind_mark.structure else vis
            if i in marks:
                mark = Text(f" {marks[i]} ", style="bold " + cap_style(colours[i]))
            else:
                mark = Text(f" {VOCABULARY[Kind.VIRTUAL].symbol} ", style=REGION_STYLE[Kind.VIRTUAL])
            ident = f"{c.id:04x}" if c.space.value == "extended" else f"{c.id:02x}"
            size = f"{c.size:#x}" + {"exact": "", "minimum": "≥", "unknown": "?"}[c.certainty.value]
            rows.append((i, c.offset, f"c{i}", (mark, Text(f"{c.offset:03x}"), Text(ident),
                                                rich_text(c.spec.short if c.spec.known else c.name),
                                                Text(size), rich_text(vis, VISIBILITY_STYLE.get(vis, "")))))
            self._rows[f"c{i}"] = Row(f"c{i}", c.offset, c.end)
        orphan = VOCABULARY[Kind.ORPHAN]
        for j, o in enumerate(layout.orphans):
            size = f"{o.size:#x}" + {"exact": "", "minimum": "≥", "unknown": "?"}[o.certainty.value]
            rows.append((len(layout.capabilities) + j, o.offset, f"o{j}", (
                Text(f" {orphan.symbol} ", style=REGION_STYLE[Kind.ORPHAN]), Text(f"{o.offset:03x}"),
                Text(f"{o.id:04x}"), rich_text(o.name), Text(size),
                Text(orphan.structure, style=VISIBILITY_STYLE["orphan"]))))
            self._rows[f"o{j}"] = Row(f"o{j}", o.offset, o.end)
        if self.address_order:
            rows.sort(key=lambda r: (r[1], r[0]))
        rows = self._fit(rows)
        self._offset = offset
        self._keys = [key for _, _, key, _ in rows]
        self._cells = [cells for _, _, _, cells in rows]
        self._lay_out()
        self.border_subtitle = "address order" if self.address_order else "chain order"
        self.follow(offset)

    def _lay_out(self) -> None:
        """The columns' widths follow the rows shown (not the widest ever); each row's line is
        built once here, and drawn many times."""
        widths = [max([len(label), *(cells[i].cell_len for cells in self._cells)])
                  for i, label in enumerate(COLUMNS)]
        console = self.app.console
        pad = " " * CELL_PADDING

        def line(cells) -> list[Segment]:
            segments: list[Segment] = []
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True)):
                text = Text(pad, no_wrap=True, end="")
                text.append_text(cell)
                text.append(" " * (width - cell.cell_len) + pad)
                # a cell's own run of text (one per cell, as DataTable's), saying its column
                meta = Style.from_meta({"column": column})
                segments.extend(Segment.apply_style(text.render(console), post_style=meta))
            return segments

        self._widths = widths
        self._header = line([Text(label) for label in COLUMNS])
        self._lines = [line(cells) for cells in self._cells]
        self.virtual_size = Size(sum(widths) + 2 * CELL_PADDING * len(widths), len(self._lines) + 1)
        self.cursor_row = min(self.cursor_row, max(0, len(self._lines) - 1))
        self.refresh()

    def _fit(self, rows: list[tuple[int, int, str, tuple]]) -> list[tuple[int, int, str, tuple]]:
        """Column priorities: the name is cut (with an ellipsis) before any other column, so
        `vis`, the one that says what is hidden, is the last to go."""
        width = self.scrollable_content_region.width
        self._whole_from = None
        if not rows:
            return rows
        widths = [max(cells[i].cell_len for _, _, _, cells in rows) for i in range(6)]
        widths = [max(w, len(label)) for w, label in zip(widths, COLUMNS, strict=True)]
        whole_from = 1 + 2 * CELL_PADDING * 6 + sum(widths)
        if not width or width >= whole_from:  # (room for the name: widths[3] fits)
            self._whole_from = whole_from
            return rows
        room = width - 1 - 2 * CELL_PADDING * 6 - (sum(widths) - widths[3])
        room = max(room, 6)
        out = []
        for a, b, key, cells in rows:
            name = cells[3]
            if name.cell_len > room:
                name = name.copy()
                name.truncate(room, overflow="ellipsis")
            out.append((a, b, key, (*cells[:3], name, *cells[4:])))
        return out

    def on_resize(self) -> None:
        """Fitted again to the new width (the names cut to what is left); rows shown whole
        that still fit whole are left as they are (the first layout, made before the panel
        had a size, is not made again as it gets one)."""
        if self._layout is None or not self.is_mounted:
            return
        if self._whole_from is not None and self.scrollable_content_region.width >= self._whole_from:
            return
        self.show(self._layout, self._offset)

    @property
    def row_count(self) -> int:
        return len(self._cells)

    def get_cell_at(self, coordinate: tuple[int, int]) -> Text:
        """The cell at (row, column) as shown (the name cut to fit)."""
        row, column = coordinate
        return self._cells[row][column]

    # ------------------------------------------------------------ the highlight

    def follow(self, offset: int | None) -> None:
        """Highlight the structure owning `offset` (the map's cursor), quietly."""
        key = structure_key(self._layout, offset) if self._layout and offset is not None else None
        if key is not None and key in self._rows:
            self.cursor_row = self._keys.index(key)

    def watch_cursor_row(self, old: int, new: int) -> None:
        self.refresh_lines(old + 1)  # under the header line
        self.refresh_lines(new + 1)
        self._scroll_to_row(new)

    def _scroll_to_row(self, row: int) -> None:
        top, rows = int(self.scroll_offset.y), max(1, self.scrollable_content_region.height - 1)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + rows:
            self.scroll_to(y=row - rows + 1, animate=False)

    def _choose(self, row: int) -> None:
        """The user moved the highlight: the map's cursor goes to that structure."""
        if not self._keys:
            return
        row = min(max(0, row), len(self._keys) - 1)
        self.cursor_row = row
        self.post_message(self.Selected(self._rows[self._keys[row]].start))

    def action_move(self, delta: int) -> None:
        self._hover_over(None)
        self._choose(self.cursor_row + delta)

    def action_page(self, direction: int) -> None:
        self._hover_over(None)
        self._choose(self.cursor_row + direction * max(1, self.scrollable_content_region.height - 1))

    def action_to(self, row: int) -> None:
        self._hover_over(None)
        self._choose(row if row >= 0 else len(self._keys) - 1)

    def _row_at(self, event: events.MouseEvent) -> int | None:
        at = event.get_content_offset(self)
        if at is None or at.y < 1:  # outside, or the header
            return None
        row = at.y - 1 + int(self.scroll_offset.y)
        return row if row < len(self._keys) else None

    def on_click(self, event: events.Click) -> None:
        row = self._row_at(event)
        if row is not None:
            self._choose(row)

    def _hover_over(self, row: int | None) -> None:
        if row != self._hover:
            for line in (self._hover, row):
                if line is not None:
                    self.refresh_lines(line + 1)
            self._hover = row

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover_over(self._row_at(event))

    def on_leave(self, event: events.Leave) -> None:
        self._hover_over(None)

    def toggle_order(self, offset: int | None = None) -> None:
        self.address_order = not self.address_order
        if self._layout is not None:
            self.show(self._layout, offset)

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        sx, sy = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self._base
        if y == 0:
            style = base + self.get_component_rich_style("chain--header")
            segments = list(Segment.apply_style(self._header, style))
        else:
            row = int(sy) + y - 1
            if row >= len(self._lines):
                return Strip.blank(width, base)
            if row == self.cursor_row:
                cursor = self.get_component_rich_style("chain--cursor")
                style = base + cursor
                # the cursor's colour over the text's, the cells' own backgrounds kept (the
                # structure's letter on its colour), as DataTable draws its cursor
                segments = list(Segment.apply_style(self._lines[row], style, Style.from_color(cursor.color)))
            else:
                style = base + self.get_component_rich_style("chain--hover") if row == self._hover else base
                segments = list(Segment.apply_style(self._lines[row], style))
        length = self.virtual_size.width
        if not sx and length <= width:  # the usual case: pad, not crop (one Strip, not two)
            if length < width:
                segments.append(Segment(" " * (width - length), style))
            return Strip(segments, width)
        return Strip(segments, length).crop_extend(int(sx), int(sx) + width, style)

