"""The structures of the config space: every capability with its offset, size, certainty and
visibility (hidden, dropped, virtual...), then the orphans no chain reaches, in chain order or
in address order. Each row starts with the structure's letter on its colour, as on the maps.

Moving the highlight (keys or mouse) asks for the map's cursor to go to that structure
(message up); the app moves the highlight to the structure under the map's cursor without
that message coming back."""

from __future__ import annotations

from typing import NamedTuple

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from capslot.core.layout import Kind, Layout
from capslot.core.textmap import VOCABULARY, letters
from capslot.tui.colours import REGION_STYLE, cap_colours, cap_style
from capslot.tui.render import VISIBILITY_STYLE
from capslot.tui.safe import rich_text
from capslot.tui.widgets.inspector import structure_key


COLUMNS = ("", "off", "ID", "name", "size", "vis")


class Row(NamedTuple):
    key: str  # "c<index>" for a capability, "o<index>" for an orphan
    start: int
    end: int


class ChainPanel(DataTable):
    """Rows are structures; the row key says which (`Row.key`)."""

    BORDER_TITLE = "capabilities"

    class Selected(Message):
        """The user highlighted a structure: the map's cursor should go to `offset`."""

        def __init__(self, offset: int) -> None:
            super().__init__()
            self.offset = offset

    def __init__(self, **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)
        self.address_order = False
        self._layout: Layout | None = None
        self._rows: dict[str, Row] = {}
        self._shown: str | None = None  # the row this panel put the highlight on itself
        self._offset: int | None = None  # the offset shown last (a resize shows it again)

    def on_mount(self) -> None:
        self._columns()

    def _columns(self) -> None:
        for label in COLUMNS:
            self.add_column(label, key=label or "mark")

    def show(self, layout: Layout, offset: int | None = None) -> None:
        """List the layout's structures, highlighting the one owning `offset`."""
        self._layout = layout
        marks, colours = letters(layout), cap_colours(layout)
        rows: list[tuple[int, int, str, tuple]] = []  # (chain position, offset, key, cells)
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
        with self.app.batch_update():
            self.clear(columns=True)  # the columns' widths follow the rows shown (not the widest ever)
            self._columns()
            for _, _, key, cells in rows:
                self.add_row(*cells, key=key)
        self.border_subtitle = "address order" if self.address_order else "chain order"
        self.follow(offset)

    def _fit(self, rows: list[tuple[int, int, str, tuple]]) -> list[tuple[int, int, str, tuple]]:
        """Column priorities: the name is cut (with an ellipsis) before any other column, so
        `vis`, the one that says what is hidden, is the last to go."""
        width = self.scrollable_content_region.width
        if not width or not rows:
            return rows
        widths = [max(cells[i].cell_len for _, _, _, cells in rows) for i in range(6)]
        widths = [max(w, len(label)) for w, label in zip(widths, COLUMNS, strict=True)]
        room = width - 1 - 2 * self.cell_padding * 6 - (sum(widths) - widths[3])
        if widths[3] <= room:
            return rows
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
        """Fitted again to the new width (the names cut to what is left)."""
        if self._layout is not None and self.is_mounted:
            self.show(self._layout, self._offset)

    def follow(self, offset: int | None) -> None:
        """Highlight the structure owning `offset` (the map's cursor), quietly."""
        key = structure_key(self._layout, offset) if self._layout and offset is not None else None
        if key is None or key not in self._rows:
            self._shown = self._row_key_at(self.cursor_row)
            return
        self._shown = key
        row = self.get_row_index(key)
        if row != self.cursor_row:
            self.move_cursor(row=row, animate=False)

    def _row_key_at(self, row: int) -> str | None:
        if not 0 <= row < self.row_count:
            return None
        return self.coordinate_to_cell_key((row, 0)).row_key.value

    def toggle_order(self, offset: int | None = None) -> None:
        self.address_order = not self.address_order
        if self._layout is not None:
            self.show(self._layout, offset)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        key = event.row_key.value if event.row_key is not None else None
        if key is None or key == self._shown or event.cursor_row != self.cursor_row:
            return  # put there by show() or follow() (or gone since), not by the user
        self._shown = key
        self.post_message(self.Selected(self._rows[key].start))
