"""Rich renderings for the headless commands: a device as `show` prints it (its pieces are
tui/pieces.py, laid out without Rich by tui/writer.py), placements, diffs, surveys, the
capability knowledge tables and the pictures to share.

Text that comes from a dump (device lines, file names) only ever enters Rich as
`Text` objects, never as markup, so `[bold]` in a device name prints literally.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Group, RenderableType
from rich.text import Text

from capslot.core.layout import Layout
from capslot.core.registry import CapSpec, Space
from capslot.core.registry.model import CapContext
from capslot.core.text import printable
from capslot.core.textmap import heading
from capslot.core.verdicts import Verdict
from capslot.tui.colours import SEVERITY_STYLE, VERDICT_TEXT, cap_colour, cap_style
from capslot.tui import pieces
from capslot.tui.pieces import (  # noqa: F401 - the pieces, as the other commands and tests know them
    ACCESS_STYLE, CERTAINTY_STYLE, DWORDS_PER_ROW, VISIBILITY_STYLE, Runs, access_map, byte_map,
    captured_line, chain_table, hexid, host_layout, legend, mark_swatch, orphans, problems,
    reasons, size_text, title, why_suffix,
)

if TYPE_CHECKING:
    from capslot.tui.table import Table

# tui/table.py is imported where a table is made: the explorer imports this module for its
# styles (through tui/pieces.py) and the picture export alone
_FROM_TABLE = {"Table": "Table", "_unpack": "_unpack", "_COLUMN_DEFAULTS": "COLUMN_DEFAULTS",
               "TABLE_DEFAULTS": "TABLE_DEFAULTS"}


def __getattr__(name: str) -> Any:
    """render.Table and the table's defaults, as the tests and other modules know them."""
    if name not in _FROM_TABLE and name != "_TABLE_DEFAULTS":  # (`__path__`, asked on import)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from capslot.tui import table

    if name in _FROM_TABLE:
        return getattr(table, _FROM_TABLE[name])
    # rich.table.Table's defaults a plain table may leave out (the box: Rich's own)
    return {**table.TABLE_DEFAULTS, "box": box.HEAVY_HEAD}


def device(layout, captured=None, first: list[str] | None = None) -> Group:
    return Group(*pieces.device(layout, captured, first))


# ---------------------------------------------------------------- knowledge tables

def caps_table(specs: list[CapSpec]) -> Table:
    from capslot.tui.table import Table

    table = Table(title="capability registry", title_justify="left")
    for col in ("space", "ID", "short", "name", "size rule", "spec"):
        table.add_column(col, overflow="fold")
    for s in specs:
        table.add_row("std" if s.space is Space.STANDARD else "ext", hexid(s.space, s.id),
                      s.short, Text.assemble(("  ", cap_style(cap_colour(s.space, s.id))), " ", s.name),
                      s.size_text, s.spec)
    return table


def cap_detail(spec: CapSpec, ctx: CapContext | None = None, size: int | None = None) -> Group:
    from capslot.tui.table import Table

    head = Text()
    head.append("  ", cap_style(cap_colour(spec.space, spec.id)))
    head.append(f" {spec.label}", "bold")
    head.append(f"  ({spec.short}, {spec.space.value} {hexid(spec.space, spec.id)})\n")
    head.append("defined in: ", "dim")
    head.append(f"{spec.spec or '-'}\n")
    head.append("size: ", "dim")
    head.append(spec.size_text + "\n")
    if spec.notes:
        head.append("notes: ", "dim")
        head.append(spec.notes + "\n")
    if size is None:
        size = spec.max_size or spec.min_size
    regs = Table(title=f"registers (layout for {size:#x} bytes)", title_justify="left")
    for col in ("offset", "width", "bits", "name", "what it is"):
        regs.add_column(col, overflow="fold")
    from capslot.core.registry.decode import bit_span, table  # the decoder's own reading of the table

    for r in table(spec, ctx, size):
        regs.add_row(f"+{r.offset:#04x}", str(r.width), "", Text(r.name, style="bold"), r.doc)
        for f in sorted(r.fields, key=lambda f: f.lo):
            regs.add_row("", "", bit_span(f), f.name, f.doc)
    return Group(head, regs)


# ---------------------------------------------------------------- diff

def diff(result, name_a: str, name_b: str) -> Group:
    from capslot.tui.table import Table

    parts: list[RenderableType] = []
    head = Text()
    head.append("A ", "bold")
    head.append(printable(name_a))
    head.append("\nB ", "bold")
    head.append(printable(name_b))
    head.append(f"\n{result.changed_bytes} bytes differ", "yellow" if result.changed_bytes else "green")
    parts.append(head)
    if result.changes:
        table = Table(title="changed bytes, by what owns them in A", title_justify="left",
                      box=box.SIMPLE_HEAD, pad_edge=False)
        for col in ("bytes", "count", "owner in A"):
            table.add_column(col)
        for ch in result.changes[:200]:
            table.add_row(f"{ch.start:#05x}-{ch.end - 1:#05x}", str(ch.end - ch.start), ch.owner)
        if len(result.changes) > 200:
            table.add_row("...", "", f"{len(result.changes) - 200} more runs")
        parts.append(table)
    for label, caps in (("appear in B", result.appeared), ("disappear from A", result.disappeared)):
        if caps:
            parts.append(Text(f"capabilities that {label}: " + ", ".join(
                f"{hexid(Space(s), i)}@{o:#05x}" for s, o, i in caps)))
    table = Table(title="is B what A looks like through a view?", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("view", "verdict", "linked in the view but not in B", "in B but not in the view"):
        table.add_column(col)
    for v in result.views:
        fmt = lambda xs: ", ".join(f"{hexid(Space(s), i)}@{o:#05x}" for s, o, i in xs) or "-"
        table.add_row(v.view, Text("matches" if v.matches else "differs",
                                   style="green" if v.matches else "red"), fmt(v.missing), fmt(v.extra))
    parts.append(table)
    best = result.best
    names = [v.view for v in result.consistent]
    said = (f"B is consistent with A seen through the {names[0]} view" if len(names) == 1 else
            "B is consistent with A seen through each of the " + ", ".join(names[:-1])
            + f" and {names[-1]} views: they read the same bytes, so B cannot tell which")
    parts.append(Text(said if best else
                      "B matches no view of A: another device, firmware, or kernel?",
                      style="bold green" if best else "bold red"))
    return Group(*parts)


# ---------------------------------------------------------------- placement

VERDICT_STYLE = VERDICT_TEXT


def _findings_table(findings) -> Table:
    from capslot.tui.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_header=True)
    for col in ("severity", "kind", "bytes", "what"):
        table.add_column(col)
    for f in findings:
        table.add_row(Text(f.severity, style=SEVERITY_STYLE[f.severity]), f.kind,
                      f"{f.start:#05x}-{f.end - 1:#05x}", Text(printable(f.message)))
    return table


def feasibility(plan) -> Text:
    """The answer to "will it work?" for each placement, in words, before any offset talk."""
    out = Text()
    note = plan.layout_note()
    if note is not None:
        out.append(printable(note), "bold")
        return out
    for n, p in enumerate(plan.placements):
        f = plan.feasibility(p)
        if n:
            out.append("\n")
        out.append(printable(f.headline(p.vcap.name, p.offset)), VERDICT_STYLE[f.state])
    return out


def _gates_table(f) -> Table:
    from capslot.tui.table import Table

    table = Table(title="will it work? each gate", title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for col in ("gate", "state", "evidence"):
        table.add_column(col)
    for g in f.gates:
        why = g.evidence + (f" (check: {g.check})" if g.check else "")
        table.add_row(g.gate, Text(g.state, style=VERDICT_STYLE[g.state]), Text(printable(why)))
    return table


def placements(plan, strict: bool = False) -> Group:
    """`check` / `place`: the target, each placement with its findings and the candidates auto
    placement rejected, the guest map with the virtual capabilities, and what the VMM is told.
    Everything shown is the plan's answer (core.plan): nothing is computed here."""
    from capslot.tui.table import Table

    from capslot.core.plan import layout_accepted

    ground = plan.ground
    parts: list[RenderableType] = [feasibility(plan), title(ground.layout),
                                   Text.assemble(("target: ", "dim"), (plan.describe(), "bold"))]
    if ground.quirk is not None:
        parts.append(Text.assemble(("device table: ", "dim"), printable(ground.quirk.name or ""),
                                   (f" ({printable(ground.quirk.origin)})", "dim")))
    for p in plan.placements:
        head = Text()
        head.append(f"\n{p.vcap.name}", "bold")
        head.append(f" ({p.vcap.size:#x} bytes, {p.vcap.space.value}) ")
        if p.offset is None:
            head.append("no safe slot", VERDICT_STYLE[Verdict.COLLISION])
        else:
            head.append(f"-> {p.offset:#05x}  layout ", "bold")
            head.append(p.verdict, VERDICT_STYLE[p.verdict])
            if p.verdict == Verdict.WARNING and not layout_accepted(p, strict):
                head.append(" refused (--strict)", VERDICT_STYLE[Verdict.COLLISION])
            head.append(f"  chosen by {p.chosen_by} ({p.rule}{why_suffix(p)})", "dim")
            head.append(f"\n  {plan.vmm_text(p, strict)}", "dim")
        parts.append(head)
        if p.findings:
            parts.append(_findings_table(p.findings))
        if p.rejected:
            rej = Table(title="candidates rejected, in order", title_justify="left",
                        box=box.SIMPLE_HEAD, pad_edge=False)
            for col in ("rule", "offset", "why"):
                rej.add_column(col)
            for r in p.rejected:
                rej.add_row(r.rule, f"{r.offset:#05x}", Text(printable(r.reason)))
            parts.append(rej)
        if p.least_bad is not None:
            parts.append(Text(f"least bad candidate: {p.least_bad[0]:#05x}", style="bold"))
            parts.append(_findings_table(p.least_bad[1]))
        for a in p.alternatives:
            parts.append(Text.assemble(("alternative: ", "dim"), (f"{a.offset:#05x}", "bold"),
                                       f" ({a.rule}): {printable(a.reason)}"))
        gates = plan.feasibility(p)
        if gates is not None:
            parts.append(_gates_table(gates))
    synth = plan.synthesis
    parts += [Text("\nthe target view with the virtual capabilities (V):", style="dim"),
              byte_map(synth.layout), legend(synth.layout)]
    for problem in synth.problems:
        parts.append(Text(f"synthesis: {problem}", style="bold red"))
    prop = plan.qemu_property(strict)
    if prop:
        parts.append(Text.assemble(("QEMU: ", "dim"), ("-device vfio-pci,...," + prop, "bold")))
    for need in plan.preconditions():
        parts.append(Text.assemble(("precondition: ", "dim"), need))
    return Group(*parts)


def templates(items) -> Table:
    from capslot.tui.table import Table

    table = Table(title=Text("virtual capability templates (--add NAME[:SIZE][@OFFSET])"),
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("name", "size", "default at", "what"):
        table.add_column(col, no_wrap=col != "what", overflow="fold")
    for t in items:
        size = f"{t.size:#x}" if t.fixed else f"{t.min_size:#x}..{t.max_size:#x}"
        table.add_row(t.name, size,
                      ", ".join(f"{o:#05x}" for o in t.default_offsets) or "end",
                      f"{t.doc} ({t.space.value} {hexid(t.space, t.cap_id)})"
                      + (f"; QEMU property {t.qemu_property}" if t.qemu_property else ""))
    table.add_row("0xID:SIZE", "SIZE", "end", "a raw extended capability ID")
    return table


# ---------------------------------------------------------------- survey

CLASS_NAMES = {0x00: "unclassified", 0x01: "storage", 0x02: "network", 0x03: "display",
               0x04: "multimedia", 0x05: "memory", 0x06: "bridge", 0x07: "communication",
               0x08: "system peripheral", 0x09: "input", 0x0A: "docking", 0x0B: "processor",
               0x0C: "serial bus", 0x0D: "wireless", 0x0E: "intelligent I/O", 0x0F: "satellite",
               0x10: "encryption", 0x11: "signal processing", 0x12: "accelerator",
               0x13: "instrumentation", 0xFF: "unassigned"}


def _counts(title: str, counter, label=lambda k: str(k), top: int = 12) -> Table:
    from capslot.tui.table import Table

    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False,
                  min_width=60)
    table.add_column("")
    table.add_column("devices", justify="right")
    for key, n in counter.most_common(top):
        table.add_row(label(key), str(n))
    if len(counter) > top:
        table.add_row(f"({len(counter) - top} more)", "")
    return table


def survey(summary) -> Group:
    from capslot.tui.table import Table

    s = summary
    head = Text()
    head.append(f"{s.devices} devices read", "bold")
    head.append(f", {s.errors} could not be read" if s.errors else "", "yellow")
    facts = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="what the devices hold", title_justify="left",
                  min_width=60)
    facts.add_column("")
    facts.add_column("devices", justify="right")
    for label, n in (("with data in gaps (vendor registers?)", s.data_gaps),
                     ("with orphan capability structures", s.orphans),
                     ("with capability IDs capslot does not know", s.unknown_ids),
                     ("with capabilities hidden or dropped in the guest view", s.hidden_guest),
                     ("with no safe slot for PASID", s.no_slot)):
        facts.add_row(label, str(n))
    return Group(
        head,
        _counts("will a QEMU guest get a working PASID? (auto placement)", s.feasibility),
        _counts("where QEMU's default 0xff8 stands", s.ff8),
        _counts("who places PASID (capslot place)", s.chosen_by),
        facts,
        _counts("by class", s.by_kind, lambda k: CLASS_NAMES.get(k, f"{k:#04x}") if k is not None else "?"),
        _counts("by vendor", s.by_vendor, lambda k: f"{k:04x}" if k is not None else "?"),
    )


# ---------------------------------------------------------------- pictures to share

def _self_contained(template: str) -> str:
    """Rich's export template without the web fonts it would fetch: a picture for a bug
    report must load nothing from the network."""
    return re.sub(r',\s*url\("https?://[^"]*"\)\s*format\("[^"]*"\)', "", template)


def picture(layout: Layout, notes: list[str] | None = None) -> Group:
    """The map and the capability table, as `show --map svg|html` exports them."""
    first, notes = heading(notes)
    parts: list[RenderableType] = [title(layout), *[Text(printable(n), style="bold") for n in first],
                                   chain_table(layout)]
    orphan_table = orphans(layout)
    if orphan_table is not None:
        parts.append(orphan_table)
    parts += [Text("map: one character per DWORD, 0x100 bytes a row", style="dim"),
              byte_map(layout), legend(layout)]
    parts += [Text(printable(n)) for n in notes]
    return Group(*parts)


def explanation(offset: int, answers) -> Group:
    parts: list[RenderableType] = [Text(f"byte {offset:#05x}", style="bold")]
    for name, f in answers:
        t = Text()
        t.append(f"\n{name}: ", "bold cyan")
        t.append(f"{f.value:#04x} " if f.value is not None else "(not in the dump) ")
        t.append(printable(f.owner))
        if f.visibility and f.visibility != "visible":
            t.append(f" [{f.visibility}]", "yellow")
        if f.reason:
            t.append(f"\n  {printable(f.reason)}", "yellow")
        if f.register:
            t.append(f"\n  register {f.register}: ", "dim")
            t.append(f.register_doc or "")
        for fname, bits, doc, value in f.fields:
            t.append(f"\n  bits {bits} {fname} = {value:#x}: ", "dim")
            t.append(doc)
        if f.vfio:
            t.append("\n  vfio-pci: ", "dim")
            t.append(f.vfio)
        if f.vmm_note:
            from capslot.core.views.vmms import VMMS

            t.append(f"\n  {VMMS[f.vmm].label if f.vmm in VMMS else f.vmm}: ", "dim")
            t.append(f.vmm_note)
        parts.append(t)
    return Group(*parts)


def export_map(items: list[tuple[Layout, list[str]]], fmt: str) -> str:
    """`show --map svg|html|text` (and the explorer's "save map"): a standalone picture."""
    if fmt == "text":
        from capslot.core.textmap import text_map

        return "\n".join(text_map(layout, notes) for layout, notes in items)
    import io

    from rich.console import Console

    console = Console(record=True, width=100, file=io.StringIO(), force_terminal=True,
                      color_system="truecolor", highlight=False, markup=False)
    for layout, notes in items:
        console.print(picture(layout, notes))
    from rich._export_format import CONSOLE_HTML_FORMAT, CONSOLE_SVG_FORMAT
    from rich.terminal_theme import SVG_EXPORT_THEME

    if fmt == "svg":  # (the templates made here: not a regex run on every `show`)
        return console.export_svg(title="capslot", code_format=_self_contained(CONSOLE_SVG_FORMAT))
    return console.export_html(inline_styles=True, theme=SVG_EXPORT_THEME,
                               code_format=CONSOLE_HTML_FORMAT.replace("<head>", "<head>\n<title>capslot</title>"))
