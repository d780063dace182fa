"""The capability chain: every capability with its offset, size, certainty and visibility,
in chain order or in address order. Highlighting one selects it (message up)."""

from __future__ import annotations

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from core.layout import Layout
from tui.colours import KIND_STYLE, cap_colour
from core.layout import Kind

VISIBILITY_STYLE = {"visible": "green", "hidden": "yellow", "placeholder": "magenta",
                    "dropped": "red", "virtual": "bold green"}


class ChainPanel(DataTable):
    """Rows are capabilities; the row key is the capability's index in the layout."""

    BORDER_TITLE = "capabilities"

    class Selected(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, **kw) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kw)
        self.address_order = False
        self._layout: Layout | None = None

    def on_mount(self) -> None:
        for label in ("off", "ID", "name", "size", "vis"):
            self.add_column(label, key=label)

    def show(self, layout: Layout) -> None:
        self._layout = layout
        self.clear()
        order = list(range(len(layout.capabilities)))
        if self.address_order:
            order.sort(key=lambda i: (layout.capabilities[i].offset, i))
        for i in order:
            c = layout.capabilities[i]
            vis = layout.visibility(i)
            colour = cap_colour(c.space, c.id)
            ident = f"{c.id:04x}" if c.space.value == "extended" else f"{c.id:02x}"
            name = Text(c.spec.short if c.spec.known else c.name, style=colour)
            if vis == "virtual":
                name = Text(c.spec.short, style=KIND_STYLE[Kind.VIRTUAL][1])
            mark = {"exact": "", "minimum": "≥", "unknown": "?"}[c.certainty.value]
            self.add_row(f"{c.offset:03x}", ident, name, f"{c.size:#x}{mark}",
                         Text(vis, style=VISIBILITY_STYLE.get(vis, "")), key=str(i))
        self.border_subtitle = "address order" if self.address_order else "chain order"

    def toggle_order(self) -> None:
        self.address_order = not self.address_order
        if self._layout is not None:
            self.show(self._layout)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.post_message(self.Selected(int(event.row_key.value)))
