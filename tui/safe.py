"""Text from dumps, file names and error messages as the explorer's widgets take it.

A `str` given to a Textual widget (a Label, an Option, a Static, a border title, a DataTable
cell) is parsed as markup: a device line `[@click=app.screenshot(...)]Realtek[/]` becomes a
link that writes a file, `[/]` crashes the explorer, `[AMD]` vanishes. So nothing that came
from a file reaches a widget as a string: it goes through `content` (Textual) or `rich_text`
(Rich renderables), objects that are never parsed, with control characters made visible
(core/text.py `printable`).
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from capslot.core.text import printable


def content(text: str, style: str = "") -> Content:
    """`text`, literally, as Textual content (labels, options, titles, notifications)."""
    shown = Content(printable(text))
    return shown.stylize(style) if style else shown


def rich_text(text: str, style: str = "") -> Text:
    """`text`, literally, as a Rich `Text` (tables, panels, DataTable cells)."""
    return Text(printable(text), style=style)
