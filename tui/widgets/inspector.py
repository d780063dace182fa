"""The inspector: the selected capability's registers decoded field by field, and what the
byte under the cursor (or the mouse) is, with what vfio-pci and QEMU do with it."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from core.explain import explain
from core.layout import Layout
from core.registry.decode import decode
from core.text import printable
from tui.colours import cap_colour


def byte_panel(layout: Layout, offset: int) -> Group:
    f = explain(layout, offset)
    t = Text()
    t.append(f"byte {offset:#05x}", "bold")
    t.append(f" = {f.value:#04x}" if f.value is not None else " (not in the dump)")
    t.append(f"\n{f.owner}")
    if f.visibility and f.visibility != "visible":
        t.append(f" [{f.visibility}]", "yellow")
    if f.register:
        t.append(f"\n{f.register}: ", "bold")
        t.append(f.register_doc or "")
    parts: list = [t]
    if f.fields:
        table = Table.grid(padding=(0, 1))
        for name, bits, doc, value in f.fields:
            table.add_row(Text(bits, style="dim"), Text(name, style="bold"), f"{value:#x}", Text(doc))
        parts.append(table)
    for label, text in (("vfio", f.vfio), ("qemu", f.qemu)):
        if text:
            parts.append(Text.assemble((f"{label}: ", "dim"), text))
    return Group(*parts)


def capability_panel(layout: Layout, index: int) -> Group:
    cap = layout.capabilities[index]
    head = Text()
    head.append(cap.name, f"bold {cap_colour(cap.space, cap.id)}")
    head.append(f"   {cap.space.value} {cap.id:#x} at {cap.offset:#05x}\n")
    head.append(f"{cap.size:#x} bytes, {cap.certainty.value}: {cap.size_why}\n", "dim")
    if cap.spec.spec:
        head.append(f"defined in {cap.spec.spec}\n", "dim")
    view = layout.cap_views[index] if layout.cap_views else None
    if view and view.reason:
        head.append(f"{view.visibility}: {printable(view.reason)}\n", "yellow")
    table = Table(box=None, padding=(0, 1), show_header=True, header_style="dim")
    for col in ("+off", "name", "value", "what"):
        table.add_column(col, overflow="fold")
    try:
        values = decode(cap.spec, cap.context(layout.space, layout.pcie), cap.size)
    except Exception as exc:  # noqa: BLE001 - a view must not die on one bad capability
        return Group(head, Text(f"cannot decode: {exc}", style="red"))
    for v in values:
        shown = f"{v.value:#x}" if isinstance(v.value, int) else f"{len(v.value)} bytes"
        if v.field is None:
            table.add_row(f"{v.register.offset:#04x}", Text(v.name, style="bold"), shown, Text(v.doc))
        else:
            table.add_row(Text(f"  {v.bits}", style="dim"), v.name, shown, Text(v.doc, style="dim"))
    return Group(head, table)


class Inspector(VerticalScroll):
    BORDER_TITLE = "inspector"

    def compose(self):
        yield Static(id="byte")
        yield Static(id="capability")

    def show_byte(self, layout: Layout, offset: int) -> None:
        self.query_one("#byte", Static).update(byte_panel(layout, offset))

    def show_capability(self, layout: Layout, index: int | None) -> None:
        panel = capability_panel(layout, index) if index is not None else Text(
            "select a capability (chain panel, or click it on the map)", style="dim")
        self.query_one("#capability", Static).update(panel)
