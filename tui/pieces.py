"""The pieces of the human `show` (and of `check`, `place` and the pictures that reuse them):
the title, the chain table, the byte and access maps, the legend, problems, orphans, the
reasons a view differs, where the dump was read, the host layout. Made of tui/styled.py text
and tui/table.py tables, without Rich: the `show` writer (tui/writer.py) lays them out
itself, and a Rich console prints them as it printed the Rich Text and Tables they were
(tui/render.py groups them for Rich).

Text that comes from a dump (device lines, file names) is made printable (core/text.py)
before it is shown, and is never read as markup."""

from __future__ import annotations

from capslot.core.layout import Kind, Layout
from capslot.core.registry import Certainty, Space
from capslot.core.space import CONFIG_SIZE
from capslot.core.text import printable
from capslot.core.textmap import ACCESS_SYMBOLS, VOCABULARY, dword_runs, letters
from capslot.core.views import Access
from capslot.tui.colours import REGION_STYLE, cap_colours, cap_style

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from capslot.tui.styled import Styled
    from capslot.tui.table import Table

# (tui/styled.py and tui/table.py are imported where a piece is made, not here: the explorer
# imports this module through tui/render.py for its styles alone)

# Red means a verdict (tui/colours.py): nothing else here is red.
VISIBILITY_STYLE = {"visible": "#87d75f", "hidden": "#ffaf5f", "placeholder": "#87afff",
                    "dropped": "#d787ff", "virtual": "bold #5fafff", "orphan": "bold #af87ff"}
CERTAINTY_STYLE = {Certainty.EXACT: "#87d75f", Certainty.MINIMUM: "#ffd75f", Certainty.UNKNOWN: "#d787ff"}
DWORDS_PER_ROW = 64  # one character per DWORD: 0x100 bytes a row, 16 rows



def why_suffix(p) -> str:
    """': <the placement rule in words>' after the rule's name, or nothing for a rule without
    words (one read from an older plan file)."""
    return f": {p.why}" if p.why else ""

def hexid(space: Space, cap_id: int) -> str:
    return f"{cap_id:#06x}" if space is Space.EXTENDED else f"{cap_id:#04x}"


def size_text(size: int, certainty: Certainty) -> str:
    mark = {Certainty.EXACT: "", Certainty.MINIMUM: " ≥", Certainty.UNKNOWN: " ?"}[certainty]
    return f"{size:#x}{mark}"


def title(layout: Layout) -> Styled:
    """Slot, IDs and the device's name as lspci prints it: the dump's own description line
    when it has one, else made from pci.ids (`--pci-ids`) as `lspci -s BDF` (live devices,
    from their sysfs attributes) or `lspci -F` (dumps) would print it."""
    from capslot.tui.styled import Styled

    cs = layout.space
    p = cs.provenance
    t = Styled()
    t.append(p.slot or "(no slot)", "bold")
    if cs.vendor_id is not None:
        t.append(f"  [{cs.vendor_id:04x}:{cs.device_id:04x}]", "cyan")
    line = p.device_line
    if not line or (p.slot and " " not in line.strip()):  # no line, or a bare slot
        from capslot.core import host, pciids

        line = host.describe(cs, pciids.default())
    if line:
        t.append("  ")
        t.append(printable(line.split(" ", 1)[-1] if p.slot else line))
    t.append(f"\n{printable(p.source)}", "dim")
    if p.line:
        t.append(f":{p.line}", "dim")
    t.append(f"  {p.format}, {cs.captured} of {CONFIG_SIZE} bytes, view {layout.view}", "dim")
    if layout.profile:
        t.append(f" ({layout.profile})", "dim")
    return t


def chain_table(layout: Layout, marks: dict[int, str] | None = None,
                colours: dict[int, str] | None = None) -> Table:
    """The capabilities in chain order. (`marks` and `colours`: letters(layout) and
    cap_colours(layout), when the caller has them.)"""
    from capslot.tui.styled import Styled
    from capslot.tui.table import Table

    table = Table(title="capabilities, in chain order", title_justify="left",
                  box="SIMPLE_HEAD", padding=(0, 1), pad_edge=False)
    columns = [("", "left"), ("offset", "right"), ("ID", "right"), ("name", "left"),
               ("ver", "right"), ("size", "right"), ("next", "right")]
    show_visibility = layout.view != "hardware"
    if show_visibility:
        columns.append(("visibility", "left"))
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type] - "left"/"right" are JustifyMethod
    marks = letters(layout) if marks is None else marks
    colours = cap_colours(layout) if colours is None else colours
    for i, cap in enumerate(layout.capabilities):
        row: list[Any] = [
            mark_swatch(layout, i, marks, colours), f"{cap.offset:#05x}",
            hexid(cap.space, cap.id), cap.name,
            "" if cap.version is None else str(cap.version),
            _size_cell(f"{cap.size:#x} ", cap.certainty.value, CERTAINTY_STYLE[cap.certainty]),
            f"{cap.next:#05x}" if cap.next else "end"]
        if show_visibility:
            vis = layout.visibility(i)
            row.append(Styled(vis, style=VISIBILITY_STYLE.get(vis, "")))
        table.add_row(*row)
    if not layout.capabilities:
        table.add_row("", "", "", Styled("no capabilities", style="dim"), "", "", "")
    return table


def mark_swatch(layout: Layout, index: int, marks: dict[int, str], colours: dict[int, str]) -> Styled:
    """A capability's letter on its colour (a virtual one: the virtual symbol and style)."""
    from capslot.tui.styled import Styled

    if index in marks:
        return Styled(f" {marks[index]} ", spans=[(0, 3, "bold " + cap_style(colours[index]))])
    return Styled(f" {VOCABULARY[Kind.VIRTUAL].symbol} ", spans=[(0, 3, REGION_STYLE[Kind.VIRTUAL])])


def _size_cell(size: str, certainty: str, style: str) -> Styled:
    """A capability's size, then its certainty in the certainty's style (what
    Styled.assemble(size, (certainty, style)) makes, made at once)."""
    from capslot.tui.styled import Styled

    return Styled(size + certainty, spans=[(len(size), len(size) + len(certainty), style)])


class Runs:
    """Styled text as lines of (characters, style) pieces: what a map is made of. Laid out as
    one segment per piece (for the writer, and as one Rich Segment per piece with one parsed
    Style per style string), which is what Rich's own rendering of the same `Text` yields
    where every line fits (the bytes out are the same, colour or not), at a fraction of its
    cost (a Text of a map has a span per DWORD: 1,024). Where a line would not fit, the pieces
    are laid out as that `Text` is (wrapped)."""

    def __init__(self, rows: list[list[tuple[str, str]]], widest: int | None = None) -> None:
        self.rows = rows  # each line's pieces (no newline in them; style "": none), each line ended by one
        # the widest line, where its maker knows that every piece is styled, not empty and
        # printable ASCII (a map's rows): then the rows are the lines wherever they fit
        self.widest = widest

    @property
    def pieces(self) -> list[tuple[str, str]]:
        """The pieces of the one text: each line's, then its newline."""
        out: list[tuple[str, str]] = []
        newline = ("\n", "")
        for row in self.rows:
            out += row
            out.append(newline)
        return out

    @property
    def plain(self) -> str:
        return "".join(["".join([text for text, _ in row]) + "\n" for row in self.rows])

    def text(self) -> Styled:
        """The same pieces as one text (a span per styled piece)."""
        from capslot.tui.styled import Styled

        spans, at = [], 0
        for chars, style in self.pieces:
            if style:
                spans.append((at, at + len(chars), style))
            at += len(chars)
        return Styled(self.plain, spans=spans)

    def _widest(self) -> int:
        return max((len(line) for line in self.plain.split("\n")), default=0)

    def lines(self, width: int) -> list[list[tuple[str, str | None]]] | None:
        """The lines Rich prints (tui/styled.py `lines`), a segment per piece where every line
        fits; the wrapped text where one does not."""
        from capslot.tui.styled import lines, modelled

        if self.widest is not None and self.widest <= width:  # (a map's rows: as they are)
            return [*map(list, self.rows), []]  # (the last: the empty line after the last newline)
        texts = ["".join([chars for chars, _ in row]) for row in self.rows]
        if max(map(len, texts), default=0) > width or not modelled("".join(texts)):
            return lines(self.text(), width)
        out = [[(chars, style or None) for chars, style in row if chars] for row in self.rows]
        out.append([])
        return out

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement.get(console, options, self.text().__rich__())

    def __rich_console__(self, console: Any, options: Any) -> Any:
        if self._widest() > options.max_width or "\t" in self.plain:
            yield self.text().__rich__()
            return
        from rich.segment import Segment

        newline = Segment("\n")
        styles: dict[str, Any] = {"": None}
        for chars, style in self.pieces:
            parsed = styles.get(style, _UNSET)
            if parsed is _UNSET:
                parsed = styles[style] = console.get_style(style, default=None) or None
            for n, part in enumerate(chars.split("\n")):
                if n:
                    yield newline
                if part:
                    yield Segment(part, parsed)
        yield newline  # the end of the Text, as Rich prints one


_UNSET = object()


def byte_map(layout: Layout, marks: dict[int, str] | None = None,
             colours: dict[int, str] | None = None) -> Runs:
    """The 4 KiB as 16 rows of 64 DWORDs, in the characters of the text map (one vocabulary,
    core/textmap.py), coloured; a capability's first DWORD is bold. (`marks` and `colours`:
    letters(layout) and cap_colours(layout), when the caller has them.)"""
    marks = letters(layout) if marks is None else marks
    colours = cap_colours(layout) if colours is None else colours
    styles = {cap: cap_style(colour) for cap, colour in colours.items()}
    caps = layout.capabilities
    cells: list[tuple[str, str]] = []  # a piece per DWORD, made a run of DWORDs at a time
    for first, last, (ch, kind, cap) in dword_runs(layout, marks):
        if kind is Kind.CAPABILITY and cap in styles:
            piece = (ch, styles[cap])
            offset = caps[cap].offset
            bold = -1 if offset & 3 else offset >> 2  # the DWORD the capability starts
            if first <= bold < last:
                cells += [piece] * (bold - first)
                cells.append((ch, "bold " + piece[1]))
                cells += [piece] * (last - bold - 1)
            else:
                cells += [piece] * (last - first)
        else:
            cells += [(ch, REGION_STYLE[kind])] * (last - first)
    return Runs([[(f"{row * 4 * DWORDS_PER_ROW:03x} ", "dim"),
                  *cells[row * DWORDS_PER_ROW:(row + 1) * DWORDS_PER_ROW]]
                 for row in range(CONFIG_SIZE // (4 * DWORDS_PER_ROW))],
                widest=4 + DWORDS_PER_ROW)  # (the address and its DWORDs: ASCII, each styled)


ACCESS_STYLE = {Access.VIRTUALIZED: "black on #a6d8ff", Access.READ_ONLY: "black on #bcbcbc",
                Access.WRITABLE: "black on #f0e442", Access.RAW: "bold white on #5f3f87"}


def access_map(layout: Layout) -> Runs:
    """Per DWORD, the most device-reaching access class of its bytes (views only)."""
    most = _dword_most(layout.access)
    piece = {code: (ACCESS_SYMBOLS[Access(code)][0], ACCESS_STYLE[Access(code)]) for code in set(most)}
    cells = list(map(piece.__getitem__, most))
    rows = [[(f"{row * 4 * DWORDS_PER_ROW:03x} ", "dim"),
             *cells[row * DWORDS_PER_ROW:(row + 1) * DWORDS_PER_ROW]]
            for row in range(CONFIG_SIZE // (4 * DWORDS_PER_ROW))]
    for access, (sym, what) in ACCESS_SYMBOLS.items():
        rows.append([(f" {sym} ", ACCESS_STYLE[access]), (f" {what}", "")])
    return Runs(rows)


def _dword_most(acc: bytes) -> bytes:
    """Each DWORD's largest byte of `acc` (access codes), worked out on whole strings rather
    than DWORD by DWORD: each code made one bit (1 << code), the four bytes of every DWORD
    OR-ed together as big integers, the highest bit read back as the code."""
    codes = bytes(range(5))  # Access's codes (and 0)
    if acc.translate(None, codes) or len(acc) % 4:  # (none other: bytes max, DWORD by DWORD)
        return bytes(map(max, acc[0::4], acc[1::4], acc[2::4], acc[3::4]))
    bits = acc.translate(bytes.maketrans(codes, bytes([1, 2, 4, 8, 16])))
    merged = 0
    for k in range(4):
        merged |= int.from_bytes(bits[k::4], "big")
    highest = bytes.maketrans(bytes(range(32)), bytes(max(b.bit_length() - 1, 0) for b in range(32)))
    return merged.to_bytes(len(acc) // 4, "big").translate(highest)


def reasons(layout: Layout) -> Any | None:
    from capslot.tui.styled import Styled
    from capslot.tui.table import Table

    rows = [(i, v) for i, v in enumerate(layout.cap_views) if v.reason]
    if not rows:
        return None
    table = Table(title=f"why the {layout.view} view differs", title_justify="left",
                  box="SIMPLE_HEAD", pad_edge=False)
    table.add_column("offset", justify="right")
    table.add_column("capability")
    table.add_column("visibility")
    table.add_column("why")
    for i, v in rows:
        c = layout.capabilities[i]
        table.add_row(f"{c.offset:#05x}", c.spec.short,
                      Styled(v.visibility, style=VISIBILITY_STYLE.get(v.visibility, "")), v.reason)
    return table


def legend(layout: Layout, marks: dict[int, str] | None = None,
           colours: dict[int, str] | None = None) -> Table:
    """What each letter and symbol of the byte map stands for. (`marks` and `colours`:
    letters(layout) and cap_colours(layout), when the caller has them.)"""
    from capslot.tui.styled import Styled
    from capslot.tui.table import Table

    marks = letters(layout) if marks is None else marks
    colours = cap_colours(layout) if colours is None else colours
    table = Table.grid(padding=(0, 2))
    table.add_column()
    table.add_column()
    used = {r.kind for r in layout.regions}
    for i in sorted(range(len(layout.capabilities)), key=lambda i: layout.capabilities[i].offset):
        c = layout.capabilities[i]
        t = mark_swatch(layout, i, marks, colours)
        t.append(f" {c.name} @ {c.offset:#05x}, {size_text(c.size, c.certainty)} bytes")
        vis = layout.visibility(i)
        if vis != "visible":
            t.append(f" ({vis})", VISIBILITY_STYLE.get(vis, ""))
        table.add_row(t, "")
    for kind, mark in VOCABULARY.items():
        if kind in used and kind is not Kind.VIRTUAL:
            table.add_row(Styled.assemble((f" {mark.symbol} ", REGION_STYLE[kind]), f" {mark.meaning}"), "")
    return table


def problems(layout: Layout) -> Any:
    from capslot.tui.styled import Styled
    from capslot.tui.table import Table

    if not layout.problems:
        return Styled("no problems found", style="green")
    table = Table(title="problems", title_justify="left")
    table.add_column("kind")
    table.add_column("offset", justify="right")
    table.add_column("what")
    for pr in layout.problems:
        table.add_row(Styled(pr.kind, style="yellow"), f"{pr.offset:#05x}", Styled(pr.message))
    return table


def orphans(layout: Layout) -> Any | None:
    from capslot.tui.table import Table

    if not layout.orphans:
        return None
    table = Table(title="orphans: capability structures no chain reaches", title_justify="left",
                  box="SIMPLE_HEAD", pad_edge=False)
    for col in ("offset", "ID", "name", "ver", "size", "next", "linked from"):
        table.add_column(col)
    for o in layout.orphans:
        table.add_row(f"{o.offset:#05x}", hexid(Space.EXTENDED, o.id), o.name, str(o.version),
                      size_text(o.size, o.certainty), f"{o.next:#05x}" if o.next else "end",
                      f"{o.linked_from:#05x}" if o.linked_from is not None else "")
    return table


def captured_line(captured) -> Styled:
    """Where the dump was read, and why capslot thinks so."""
    from capslot.tui.styled import Styled

    t = Styled()
    t.append("read on: ", "dim")
    if captured.layer == "host":
        t.append("the host" + (" (--captured)" if captured.forced else
                               " (no sign of a guest in the bytes)"), "bold")
        return t
    t.append("inside a guest", "bold yellow")
    if captured.vmm_style:
        t.append(f" ({captured.vmm_style} VMM)", "yellow")
    t.append(": verdicts judge the dump as read; --host-layout shows what the host likely had",
             "dim")
    for e in captured.evidence:
        t.append(f"\n  - {printable(e)}", "dim")
    return t


def host_layout(rows, captured) -> Table:
    from capslot.tui.styled import Styled
    from capslot.tui.table import Table

    table = Table(title="the host behind this dump, most likely (--host-layout)",
                  title_justify="left", box="SIMPLE_HEAD", pad_edge=False)
    for col in ("offset", "capability", "size", "certainty", "why"):
        table.add_column(col, overflow="fold")
    style = {"seen": "green", "guess": "yellow", "unknown": "red"}
    for r in rows:
        table.add_row(f"{r.offset:#05x}", printable(r.what), f"{r.size:#x}",
                      Styled(r.certainty, style=style.get(r.certainty, "")), printable(r.reason))
    if not rows:
        table.add_row("", Styled("no extended capabilities", style="dim"), "", "", "")
    if captured.layer == "host":
        table.caption = "this dump looks read on the host: the rows are its own chain"
    return table


def device(layout: Layout, captured=None, first: list[str] | None = None) -> list[Any]:
    """What `show` prints of a device, piece by piece."""
    from capslot.tui.styled import Styled

    parts: list[Any] = [title(layout), *[Styled(printable(n), style="bold") for n in first or ()]]
    if captured is not None:
        parts.append(captured_line(captured))
    marks, colours = letters(layout), cap_colours(layout)  # (each piece would work them out again)
    parts.append(chain_table(layout, marks, colours))
    orphan_table = orphans(layout)
    if orphan_table is not None:
        parts.append(orphan_table)
    why = reasons(layout)
    if why is not None:
        parts.append(why)
    parts += [Styled("map: one character per DWORD, 0x100 bytes a row", style="dim"),
              byte_map(layout, marks, colours), legend(layout, marks, colours)]
    if layout.access:
        parts += [Styled("guest accesses, per DWORD (the most device-reaching byte wins)",
                       style="dim"), access_map(layout)]
    parts.append(problems(layout))
    return parts


