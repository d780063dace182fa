"""The inspector follows the map's cursor: what the byte under it is (owner, register, fields,
what vfio-pci and the chosen VMM do with it), then the registers of the structure that owns it decoded
field by field: a capability, or one the chain does not show as one (orphan, hidden,
virtual...). In a gap or the header there is no structure to decode, and it says so: the
decode is never one left over from an earlier position."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from capslot.core.explain import explain
from capslot.core.layout import Kind, Layout
from capslot.core.registry import Space, lookup
from capslot.core.registry.decode import decode
from capslot.core.registry.model import CapContext
from capslot.core.text import printable
from capslot.core.textmap import VOCABULARY, letters
from capslot.tui.colours import REGION_STYLE, cap_colours, cap_style
from capslot.tui.safe import content


def byte_panel(layout: Layout, offset: int, vmm: str = "qemu") -> Group:
    """The byte, its owner and register, what vfio-pci does with it and what the chosen VMM
    does (core.views.vmms.byte_handling: each VMM's model, per byte)."""
    f = explain(layout, offset, vmm)
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
    for label, text in (("vfio", f.vfio), (f.vmm, f.vmm_note)):
        if label and text:
            parts.append(Text.assemble((f"{label}: ", "dim"), text))
    return Group(*parts)


def structure_key(layout: Layout, offset: int) -> str | None:
    """Which structure owns byte `offset`: "c<index>" (a capability, also when the view hides
    it or it is virtual), "o<index>" (an orphan), None (gaps, the header)."""
    r = layout.region_at(offset)
    if r.capability is not None:
        return f"c{r.capability}"
    if r.orphan is not None:
        return f"o{r.orphan}"
    return None


def structure_extent(layout: Layout, key: str | None) -> tuple[int, int] | None:
    """Where the structure `key` (structure_key) starts and ends."""
    if key is None:
        return None
    s = layout.orphans[int(key[1:])] if key[0] == "o" else layout.capabilities[int(key[1:])]
    return s.offset, s.end


def _registers(spec, ctx: CapContext, size: int) -> RenderableType:
    """Every register and field: its offset (or bits), then `name = value  what`, which wraps
    under itself at any width."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)
    table.add_column(overflow="fold")
    try:
        values = decode(spec, ctx, size)
    except Exception as exc:  # noqa: BLE001 - a view must not die on one bad capability
        return Text(f"cannot decode: {exc}", style="yellow")
    for v in values:
        shown = f"{v.value:#x}" if isinstance(v.value, int) else f"{len(v.value)} bytes"
        if v.field is None:
            table.add_row(Text(f"+{v.register.offset:#04x}"),
                          Text.assemble((v.name, "bold"), f" = {shown}  ", v.doc))
        else:
            table.add_row(Text(f"  {v.bits}", style="dim"),
                          Text.assemble(v.name, f" = {shown}  ", (v.doc, "dim")))
    return table


def structure_panel(layout: Layout, key: str | None) -> RenderableType:
    """The registers of the structure `key` (structure_key), decoded."""
    if key is None:
        return Text("no structure here: the registers of a capability show when the cursor "
                    "is on one", style="dim")
    index = int(key[1:])
    head = Text()
    if key[0] == "o":
        o = layout.orphans[index]
        mark = VOCABULARY[Kind.ORPHAN]
        head.append(f" {mark.symbol} ", REGION_STYLE[Kind.ORPHAN])
        head.append(f" {o.name}", "bold")
        head.append(f"   {mark.structure}: extended {o.id:#x} v{o.version} at {o.offset:#05x}\n")
        head.append(f"{o.size:#x} bytes, {o.certainty.value}; no chain reaches it", "dim")
        if o.linked_from is not None:
            head.append(f" (the orphan at {o.linked_from:#05x} points here)", "dim")
        head.append("\n")
        spec = lookup(Space.EXTENDED, o.id)
        ctx = CapContext(layout.space.data, o.offset, Space.EXTENDED, layout.space.header_type, layout.pcie)
        return Group(head, _registers(spec, ctx, o.size))
    cap = layout.capabilities[index]
    marks = letters(layout)
    if index in marks:
        head.append(f" {marks[index]} ", "bold " + cap_style(cap_colours(layout)[index]))
    else:
        head.append(f" {VOCABULARY[Kind.VIRTUAL].symbol} ", REGION_STYLE[Kind.VIRTUAL])
    head.append(f" {cap.name}", "bold")
    head.append(f"   {cap.space.value} {cap.id:#x} at {cap.offset:#05x}\n")
    head.append(f"{cap.size:#x} bytes, {cap.certainty.value}: {cap.size_why}\n", "dim")
    if cap.spec.spec:
        head.append(f"defined in {cap.spec.spec}\n", "dim")
    view = layout.cap_views[index] if layout.cap_views else None
    if view and view.visibility != "visible":
        head.append(f"{view.visibility}" + (f": {printable(view.reason)}" if view.reason else "") + "\n",
                    "yellow")
    return Group(head, _registers(cap.spec, cap.context(layout.space, layout.pcie), cap.size))


class Inspector(VerticalScroll):
    BORDER_TITLE = "inspector"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._layout: Layout | None = None  # the layout and structure decoded now
        self._key: str | None = None
        self.structure_content: RenderableType = Text("")
        # made here, not in compose: `show` may draw before the inspector is mounted (the
        # explorer mounts it the first time a layout shows it)
        self._byte = Static(id="byte")
        self._structure = Static(id="structure")

    def compose(self):
        yield self._byte
        yield self._structure

    def show(self, layout: Layout, offset: int, vmm: str = "qemu") -> None:
        """The byte at `offset` and the structure owning it (decoded again only when the
        structure or the layout changes); `vmm`: the VMM the verdicts are about."""
        self._byte.update(byte_panel(layout, offset, vmm))
        key = structure_key(layout, offset)
        if self._layout is not layout or self._key != key:
            self._layout, self._key = layout, key
            self.structure_content = structure_panel(layout, key)
            self._structure.update(self.structure_content)
            self.border_subtitle = content(_describe(layout, key))

    @property
    def decoded(self) -> str | None:
        """The structure decoded now (structure_key), for tests and the app."""
        return self._key


def _describe(layout: Layout, key: str | None) -> str:
    if key is None:
        return ""
    index = int(key[1:])
    if key[0] == "o":
        o = layout.orphans[index]
        return f"orphan {o.name} @{o.offset:#05x}"
    c = layout.capabilities[index]
    return f"{c.spec.short if c.spec.known else c.name} @{c.offset:#05x}"
