"""Rich renderings for the headless commands: the chain table, the compact 4 KiB map
with its legend, problems, and the capability knowledge tables.

Text that comes from a dump (device lines, file names) only ever enters Rich as
`Text` objects, never as markup, so `[bold]` in a device name prints literally.
"""

from __future__ import annotations

import re
from math import ceil
from typing import Any

from rich import box
from rich._pick import pick_bool
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Span, Text

from capslot.core.layout import Kind, Layout
from capslot.core.registry import CapSpec, Certainty, Space
from capslot.core.registry.model import CapContext
from capslot.core.space import CONFIG_SIZE
from capslot.core.text import printable
from capslot.core.textmap import ACCESS_SYMBOLS, VOCABULARY, dword_mark, heading, letters
from capslot.core.views import Access
from capslot.core.verdicts import Verdict
from capslot.tui.colours import REGION_STYLE, SEVERITY_STYLE, VERDICT_TEXT, cap_colour, cap_colours, cap_style


class Table:
    """A table for Rich to print, as rich.table.Table's arguments, columns and rows. Where the
    table is plain (below: `_drawn`), it is drawn here, one pass per cell, to the segments
    Rich's Table yields for it; otherwise (and for anything that asks for `columns`) it is
    the Rich Table made of the same (`rich()`). Rich's Table lays out every cell through a
    Padding, two measurements and a wrap (the 19-row chain table of a CXL device: ~20 ms of
    a ~100 ms `show`), and importing it imports fractions and decimal; a `show` whose tables
    are plain never imports it. tests/test_table_segments.py holds the two to the same
    segments, for the tables of the commands and generated ones.

    Str cells, headers, title and caption are made Text as Rich would make them (the same
    style, the same bytes out) but without Console.render_str: with the console's emoji on
    (the default) it looks for `:name:` in every string, loading Rich's table of 3,600 emoji
    names on every `show`, and would turn such a name in a device's words into an emoji.
    Text is printed as written."""

    def __init__(self, **options: Any) -> None:
        self.options = options  # rich.table.Table's keyword arguments
        self.caption = options.pop("caption", None)
        self.column_options: list[dict[str, Any]] = []
        self.headers: list[Any] = []
        self.rows: list[list[Any]] = []
        self.row_options: list[dict[str, Any]] = []
        self.plain = options.keys() <= _TABLE_DEFAULTS.keys()  # False: Rich lays it out
        title = options.get("title")
        if isinstance(title, str):  # the style Rich gives a str title
            options["title"] = Text(title, style=Style.pick_first(options.get("title_style"), "table.title"))

    @classmethod
    def grid(cls, padding: Any = 0) -> Table:
        """Rich's Table.grid: no box, header or edge; padding collapsed."""
        return cls(box=None, padding=padding, collapse_padding=True, show_header=False,
                   show_edge=False, pad_edge=False)

    def add_column(self, header: Any = "", **options: Any) -> None:
        self.headers.append(Text(header) if isinstance(header, str) else header)
        self.column_options.append(options)
        self.plain = self.plain and options.keys() <= _COLUMN_DEFAULTS.keys()

    def add_row(self, *renderables: Any, **options: Any) -> None:
        if options or len(renderables) != len(self.headers):
            self.plain = False  # a row style, a section end, missing cells: Rich's
        self.rows.append([Text(r) if isinstance(r, str) else r for r in renderables])
        self.row_options.append(options)

    def rich(self) -> Any:
        """The rich.table.Table of the same arguments, columns and rows."""
        from rich.table import Table as RichTable

        table = RichTable(caption=self._caption(), **self.options)
        for header, column in zip(self.headers, self.column_options, strict=True):
            table.add_column(header, **column)
        for row, row_options in zip(self.rows, self.row_options, strict=True):
            table.add_row(*row, **row_options)
        return table

    def _caption(self) -> Any:
        if isinstance(self.caption, str):  # the style Rich gives a str caption
            self.caption = Text(self.caption, style=Style.pick_first(self.options.get("caption_style"),
                                                                     "table.caption"))
        return self.caption

    @property
    def columns(self) -> list:
        """Rich's columns of the table (their cells)."""
        return self.rich().columns

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return self.rich().__rich_measure__(console, options)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        drawn = self._drawn(console, options) if self.plain else None
        if drawn is None:
            yield self.rich()
        else:
            yield from drawn

    def _drawn(self, console: Console, options: ConsoleOptions) -> list[Segment] | None:
        """The segments Rich's Table yields for the table, where it is plain: every cell (and
        header) a Text of one line, as many cells wide as it has characters, no styles of
        rows or columns. The steps are Rich's (the widths of Table._calculate_column_widths,
        a cell's lines as Text.wrap and Lines.justify make them, the same Style sums), done
        once per cell. None: Rich lays it out."""
        o = {**_TABLE_DEFAULTS, **self.options}
        columns = [{**_COLUMN_DEFAULTS, **c} for c in self.column_options]
        if not columns or not self.rows and not o["show_header"]:
            return None  # no cells: Rich makes each column as wide as it may be
        caption = self._caption()
        show_header = o["show_header"]
        grid = [([header] if show_header else []) + [row[i] for row in self.rows]
                for i, header in enumerate(self.headers)]
        box_ = o["box"]
        extra_width = (2 if box_ and o["show_edge"] else 0) + (len(columns) - 1 if box_ else 0)
        available = options.max_width - extra_width
        padding = _unpack(o["padding"])
        natural, pads = [], []
        for i, (column, cells) in enumerate(zip(columns, grid, strict=True)):
            if column["justify"] not in _JUSTIFIED or column["vertical"] not in _VERTICAL \
                    or column["overflow"] == "ignore":
                return None
            widest = 0
            for cell in cells:
                if type(cell) is not Text or cell.justify is not None or cell.overflow is not None \
                        or cell.end != "\n":
                    return None
                plain = cell.plain
                if not plain.isprintable() or cell_len(plain) != len(plain):  # \n, \t, wide...
                    return None
                widest = max(widest, len(plain))
            left, right = _cell_padding(padding, i, len(columns), o["collapse_padding"], o["pad_edge"])
            if available - left - right < 1:
                return None
            natural.append(min(widest + left + right, available))
            pads.append((left, right))
        widths = [w or 1 for w in natural]
        total = sum(widths)
        if total > available:  # Rich's shrinking, then each column measured again
            widths = _collapse_widths(widths, [not c["no_wrap"] for c in columns], available)
            if sum(widths) > available:
                widths = _ratio_reduce(sum(widths) - available, [1] * len(widths), widths, widths)
            total = sum(widths)  # (Rich's total: before the measuring again)
            widths = [w if w - left - right < 1 else min(w, n)
                      for w, n, (left, right) in zip(widths, natural, pads, strict=True)]
        min_width = o["min_width"]
        if min_width is not None and total < min_width - extra_width:  # Rich widens it
            if not sum(widths):
                return None
            room = min(min_width - extra_width, available) - total
            widths = [w + more for w, more in zip(widths, _ratio_distribute(room, widths), strict=True)]
        table_width = sum(widths) + extra_width
        get_style = console.get_style
        # Rich's defaults: the table's style "none", no border style, the header's style
        # "table.header", no column styles, no row styles
        border = get_style("none") + get_style("")
        row_style = Style.null()
        body_styles = [get_style("") + row_style] * len(columns)
        head_styles = [get_style("table.header") + get_style("")] * len(columns)
        pad_style = get_style("none")  # Padding's
        drawn_rows: list[list[list[list[Segment]]]] = []
        for index, row in enumerate(zip(*grid, strict=True)):
            header = show_header and index == 0
            cells = []
            for cell, width, (left, right), column, style in zip(
                    row, widths, pads, columns, head_styles if header else body_styles, strict=True):
                inner = width - left - right
                if inner < 1:  # Rich renders nothing in no width: the cell is blank lines
                    cells.append([])
                    continue
                lines = _cell_lines(console, cell, inner, column, style)
                if lines is None:
                    return None
                if left or right:  # Padding's spaces, styled "none", then the cell's style
                    space = style + pad_style if style else pad_style
                    before = [Segment(" " * left, space)] if left else []
                    after = [Segment(" " * right, space)] if right else []
                    lines = [before + line + after for line in lines]
                cells.append(lines)
            height = max(len(lines) for lines in cells)
            if not height:
                return None  # (Rich pads such a row with unstyled blanks)
            for n, (lines, width, column, style) in enumerate(zip(
                    cells, widths, columns, head_styles if header else body_styles, strict=True)):
                if len(lines) < height:  # aligned as Rich aligns it, with the cell's style
                    blank = [[Segment(" " * width, style)]] * (height - len(lines))
                    bottom = header or column["vertical"] == "bottom"
                    cells[n] = blank + lines if bottom else lines + blank
            drawn_rows.append(cells)
        out: list[Segment] = []
        render_options = options.update(width=table_width, highlight=False, height=None)
        if o["title"]:
            out += console.render(o["title"], render_options.update(justify=o["title_justify"]))
        _box = box_.substitute(options, safe=pick_bool(None, console.safe_box)) if box_ else None
        _box = _box.get_plain_headed_box() if _box and not show_header else _box
        edge = o["show_edge"]
        if _box and edge:
            out += (Segment(_box.get_top(widths), border), _NEWLINE)
        for index, cells in enumerate(drawn_rows):
            if _box:
                left_edge, right_edge, divider = (
                    (_box.head_left, _box.head_right, _box.head_vertical) if index == 0 else
                    (_box.foot_left, _box.foot_right, _box.foot_vertical) if index == len(drawn_rows) - 1
                    else (_box.mid_left, _box.mid_right, _box.mid_vertical))
                between = Segment(divider, border if divider.strip() else row_style.background_style + border)
                for line_no in range(len(cells[0])):
                    if edge:
                        out.append(Segment(left_edge, border))
                    for n, lines in enumerate(cells):
                        if n:
                            out.append(between)
                        out += lines[line_no]
                    if edge:
                        out.append(Segment(right_edge, border))
                    out.append(_NEWLINE)
            else:
                for line_no in range(len(cells[0])):
                    for lines in cells:
                        out += lines[line_no]
                    out.append(_NEWLINE)
            if _box and index == 0 and show_header:
                out += (Segment(_box.get_row(widths, "head", edge=edge), border), _NEWLINE)
        if _box and edge:
            out += (Segment(_box.get_bottom(widths), border), _NEWLINE)
        if caption:
            out += console.render(caption, render_options.update(justify="center"))
        return out


# rich.table.Table's defaults for the arguments a plain table may give (and _drawn reads);
# tests/test_table_segments.py checks them against Rich's
_TABLE_DEFAULTS: dict[str, Any] = {
    "title": None, "title_justify": "center", "box": box.HEAVY_HEAD, "padding": (0, 1),
    "collapse_padding": False, "pad_edge": True, "show_header": True, "show_edge": True,
    "min_width": None}
_COLUMN_DEFAULTS: dict[str, Any] = {"justify": "left", "vertical": "top", "overflow": "ellipsis",
                                    "no_wrap": False}


def _unpack(pad: Any) -> tuple[int, int, int, int]:
    """(top, right, bottom, left) of a CSS-style padding, as rich.padding.Padding.unpack."""
    if isinstance(pad, int):
        return (pad, pad, pad, pad)
    if len(pad) == 1:
        return (pad[0],) * 4
    if len(pad) == 2:
        return (pad[0], pad[1], pad[0], pad[1])
    top, right, bottom, left = pad
    return (top, right, bottom, left)


def _cell_padding(padding: tuple[int, int, int, int], index: int, count: int, collapse: bool,
                  pad_edge: bool) -> tuple[int, int]:
    """(left, right) spaces of a cell of column `index`, as Rich's Table pads it."""
    _, right, _, left = padding
    if collapse and index:
        left = max(0, left - right)
    if not pad_edge:
        if index == 0:
            left = 0
        if index == count - 1:
            right = 0
    return left, right


def _collapse_widths(widths: list[int], wrapable: list[bool], max_width: int) -> list[int]:
    """Rich's Table._collapse_widths: the widest wrapable columns narrowed, in steps, until
    the table fits or they are as narrow as the next."""
    total_width = sum(widths)
    excess_width = total_width - max_width
    if any(wrapable):
        while total_width and excess_width > 0:
            max_column = max(width for width, wrap in zip(widths, wrapable, strict=True) if wrap)
            second = max(width if wrap and width != max_column else 0
                         for width, wrap in zip(widths, wrapable, strict=True))
            difference = max_column - second
            ratios = [1 if (width == max_column and wrap) else 0
                      for width, wrap in zip(widths, wrapable, strict=True)]
            if not any(ratios) or not difference:
                break
            most = [min(excess_width, difference)] * len(widths)
            widths = _ratio_reduce(excess_width, ratios, most, widths)
            total_width = sum(widths)
            excess_width = total_width - max_width
    return widths


def _ratio_reduce(total: int, ratios: list[int], maximums: list[int], values: list[int]) -> list[int]:
    """rich._ratio.ratio_reduce (that module imports fractions): `total` taken from
    `values` in proportion to `ratios`, at most `maximums`."""
    ratios = [ratio if most else 0 for ratio, most in zip(ratios, maximums, strict=True)]
    total_ratio = sum(ratios)
    if not total_ratio:
        return values[:]
    remaining = total
    result: list[int] = []
    for ratio, most, value in zip(ratios, maximums, values, strict=True):
        if ratio and total_ratio > 0:
            taken = min(most, round(ratio * remaining / total_ratio))
            result.append(value - taken)
            remaining -= taken
            total_ratio -= ratio
        else:
            result.append(value)
    return result


def _ratio_distribute(total: int, ratios: list[int]) -> list[int]:
    """rich._ratio.ratio_distribute (no minimums): `total` shared in proportion to `ratios`."""
    total_ratio = sum(ratios)
    remaining = total
    result: list[int] = []
    for ratio in ratios:
        share = max(0, ceil(ratio * remaining / total_ratio)) if total_ratio > 0 else remaining
        result.append(share)
        total_ratio -= ratio
        remaining -= share
    return result


_JUSTIFIED = ("left", "center", "right")
_VERTICAL = ("top", "bottom")
_LINE_JOIN = Text("\n")


def _cell_lines(console: Console, cell: Text, width: int, column: dict[str, Any],
                style: Style) -> list[list[Segment]] | None:
    """A one-line cell's lines in a column `width` cells wide (its padding aside), with the
    cell's style under the text's: what Text.__rich_console__, Padding and Console.render_lines
    make of it in Rich's Table. None where a line would not be `width` wide."""
    plain = cell.plain
    if len(plain) <= width:  # one line: Text.wrap divides nothing, Lines.justify pads it
        line = cell.copy()
        justify = column["justify"]
        if justify == "left":
            line.truncate(width, pad=True)
        elif justify == "right":
            line.rstrip()
            line.pad_left(width - len(line.plain))
        else:  # center
            line.rstrip()
            line.pad_left((width - len(line.plain)) // 2)
            line.pad_right(width - len(line.plain))
        segments = _LINE_JOIN.join([line]).render(console)
        if not style:  # Console.render_lines applies no null style
            return [list(segments)]
        return [[Segment(text, style + text_style) for text, text_style, _ in segments]]
    wrapped = cell.wrap(console, width, justify=column["justify"], overflow=column["overflow"],
                        no_wrap=pick_bool(cell.no_wrap, column["no_wrap"], False))
    lines: list[list[Segment]] = [[]]
    for text, text_style, _ in _LINE_JOIN.join(wrapped).render(console):
        combined = style + text_style if style else text_style
        while text:
            part, newline, text = text.partition("\n")
            if part:
                lines[-1].append(Segment(part, combined))
            if newline:
                lines.append([])
    if any(sum(len(s.text) for s in line) != width for line in lines):
        return None
    return lines


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


def title(layout: Layout) -> Text:
    """Slot, IDs and the device's name as lspci prints it: the dump's own description line
    when it has one, else made from pci.ids (`--pci-ids`) as `lspci -s BDF` (live devices,
    from their sysfs attributes) or `lspci -F` (dumps) would print it."""
    cs = layout.space
    p = cs.provenance
    t = Text()
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


def chain_table(layout: Layout) -> Table:
    table = Table(title="capabilities, in chain order", title_justify="left",
                  box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False)
    columns = [("", "left"), ("offset", "right"), ("ID", "right"), ("name", "left"),
               ("ver", "right"), ("size", "right"), ("next", "right")]
    show_visibility = layout.view != "hardware"
    if show_visibility:
        columns.append(("visibility", "left"))
    for name, justify in columns:
        table.add_column(name, justify=justify)  # type: ignore[arg-type] - "left"/"right" are JustifyMethod
    marks = letters(layout)
    colours = cap_colours(layout)
    for i, cap in enumerate(layout.capabilities):
        row: list[RenderableType] = [
            mark_swatch(layout, i, marks, colours), f"{cap.offset:#05x}",
            hexid(cap.space, cap.id), cap.name,
            "" if cap.version is None else str(cap.version),
            Text.assemble(f"{cap.size:#x} ", (cap.certainty.value, CERTAINTY_STYLE[cap.certainty])),
            f"{cap.next:#05x}" if cap.next else "end"]
        if show_visibility:
            vis = layout.visibility(i)
            row.append(Text(vis, style=VISIBILITY_STYLE.get(vis, "")))
        table.add_row(*row)
    if not layout.capabilities:
        table.add_row("", "", "", Text("no capabilities", style="dim"), "", "", "")
    return table


def mark_swatch(layout: Layout, index: int, marks: dict[int, str], colours: dict[int, str]) -> Text:
    """A capability's letter on its colour (a virtual one: the virtual symbol and style)."""
    if index in marks:
        return Text.assemble((f" {marks[index]} ", "bold " + cap_style(colours[index])))
    return Text.assemble((f" {VOCABULARY[Kind.VIRTUAL].symbol} ", REGION_STYLE[Kind.VIRTUAL]))


class Runs:
    """Styled text as (characters, style) pieces: what a map is made of. Drawn as one Segment
    per piece with one parsed Style per style string, which is what Rich's own rendering of
    the same `Text` yields where every line fits (the bytes out are the same, colour or not),
    at a fraction of its cost (a Text of a map has a span per DWORD: 1,024). Where a line
    would not fit, Rich draws the same pieces as the `Text` (it wraps them)."""

    def __init__(self, pieces: list[tuple[str, str]]) -> None:
        self.pieces = pieces

    @property
    def plain(self) -> str:
        return "".join(text for text, _ in self.pieces)

    def text(self) -> Text:
        """The same pieces as one Rich Text (a span per styled piece)."""
        spans, at = [], 0
        for chars, style in self.pieces:
            if style:
                spans.append(Span(at, at + len(chars), style))
            at += len(chars)
        return Text(self.plain, spans=spans)

    def _widest(self) -> int:
        return max((len(line) for line in self.plain.split("\n")), default=0)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, self.text())

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self._widest() > options.max_width or "\t" in self.plain:
            yield self.text()
            return
        styles: dict[str, Style | None] = {"": None}
        for chars, style in self.pieces:
            parsed = styles.get(style, _UNSET)
            if parsed is _UNSET:
                parsed = styles[style] = console.get_style(style, default=None) or None
            for n, part in enumerate(chars.split("\n")):
                if n:
                    yield _NEWLINE
                if part:
                    yield Segment(part, parsed)
        yield _NEWLINE  # the end of the Text, as Rich prints one


_UNSET: Any = object()
_NEWLINE = Segment("\n")


def byte_map(layout: Layout) -> Runs:
    """The 4 KiB as 16 rows of 64 DWORDs, in the characters of the text map (one vocabulary,
    core/textmap.py), coloured; a capability's first DWORD is bold."""
    marks = letters(layout)
    colours = cap_colours(layout)
    pieces: list[tuple[str, str]] = []
    add = pieces.append
    caps = layout.capabilities
    for row in range(CONFIG_SIZE // (4 * DWORDS_PER_ROW)):
        base = row * 4 * DWORDS_PER_ROW
        add((f"{base:03x} ", "dim"))
        for d in range(DWORDS_PER_ROW):
            pos = base + 4 * d
            ch, kind, cap = dword_mark(layout, pos, marks)
            if kind is Kind.CAPABILITY and cap in colours:
                style = cap_style(colours[cap])
                add((ch, "bold " + style if pos == caps[cap].offset else style))
            else:
                add((ch, REGION_STYLE[kind]))
        add(("\n", ""))
    return Runs(pieces)


ACCESS_STYLE = {Access.VIRTUALIZED: "black on #a6d8ff", Access.READ_ONLY: "black on #bcbcbc",
                Access.WRITABLE: "black on #f0e442", Access.RAW: "bold white on #5f3f87"}


def access_map(layout: Layout) -> Runs:
    """Per DWORD, the most device-reaching access class of its bytes (views only)."""
    pieces: list[tuple[str, str]] = []
    add = pieces.append
    acc = layout.access
    for row in range(CONFIG_SIZE // (4 * DWORDS_PER_ROW)):
        base = row * 4 * DWORDS_PER_ROW
        add((f"{base:03x} ", "dim"))
        for d in range(DWORDS_PER_ROW):
            pos = base + 4 * d
            access = Access(max(acc[pos:pos + 4]))
            add((ACCESS_SYMBOLS[access][0], ACCESS_STYLE[access]))
        add(("\n", ""))
    for access, (sym, what) in ACCESS_SYMBOLS.items():
        add((f" {sym} ", ACCESS_STYLE[access]))
        add((f" {what}\n", ""))
    return Runs(pieces)


def reasons(layout: Layout) -> RenderableType | None:
    rows = [(i, v) for i, v in enumerate(layout.cap_views) if v.reason]
    if not rows:
        return None
    table = Table(title=f"why the {layout.view} view differs", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("offset", justify="right")
    table.add_column("capability")
    table.add_column("visibility")
    table.add_column("why")
    for i, v in rows:
        c = layout.capabilities[i]
        table.add_row(f"{c.offset:#05x}", c.spec.short,
                      Text(v.visibility, style=VISIBILITY_STYLE.get(v.visibility, "")), v.reason)
    return table


def legend(layout: Layout) -> Table:
    marks = letters(layout)
    colours = cap_colours(layout)
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
            table.add_row(Text.assemble((f" {mark.symbol} ", REGION_STYLE[kind]), f" {mark.meaning}"), "")
    return table


def problems(layout: Layout) -> RenderableType:
    if not layout.problems:
        return Text("no problems found", style="green")
    table = Table(title="problems", title_justify="left")
    table.add_column("kind")
    table.add_column("offset", justify="right")
    table.add_column("what")
    for pr in layout.problems:
        table.add_row(Text(pr.kind, style="yellow"), f"{pr.offset:#05x}", Text(pr.message))
    return table


def orphans(layout: Layout) -> RenderableType | None:
    if not layout.orphans:
        return None
    table = Table(title="orphans: capability structures no chain reaches", title_justify="left",
                  box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("offset", "ID", "name", "ver", "size", "next", "linked from"):
        table.add_column(col)
    for o in layout.orphans:
        table.add_row(f"{o.offset:#05x}", hexid(Space.EXTENDED, o.id), o.name, str(o.version),
                      size_text(o.size, o.certainty), f"{o.next:#05x}" if o.next else "end",
                      f"{o.linked_from:#05x}" if o.linked_from is not None else "")
    return table


def captured_line(captured) -> Text:
    """Where the dump was read, and why capslot thinks so."""
    t = Text()
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
    table = Table(title="the host behind this dump, most likely (--host-layout)",
                  title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for col in ("offset", "capability", "size", "certainty", "why"):
        table.add_column(col, overflow="fold")
    style = {"seen": "green", "guess": "yellow", "unknown": "red"}
    for r in rows:
        table.add_row(f"{r.offset:#05x}", printable(r.what), f"{r.size:#x}",
                      Text(r.certainty, style=style.get(r.certainty, "")), printable(r.reason))
    if not rows:
        table.add_row("", Text("no extended capabilities", style="dim"), "", "", "")
    if captured.layer == "host":
        table.caption = "this dump looks read on the host: the rows are its own chain"
    return table


def device(layout: Layout, captured=None, first: list[str] | None = None) -> Group:
    parts: list[RenderableType] = [title(layout), *[Text(printable(n), style="bold") for n in first or ()]]
    if captured is not None:
        parts.append(captured_line(captured))
    parts.append(chain_table(layout))
    orphan_table = orphans(layout)
    if orphan_table is not None:
        parts.append(orphan_table)
    why = reasons(layout)
    if why is not None:
        parts.append(why)
    parts += [Text("map: one character per DWORD, 0x100 bytes a row", style="dim"),
              byte_map(layout), legend(layout)]
    if layout.access:
        parts += [Text("guest accesses, per DWORD (the most device-reaching byte wins)",
                       style="dim"), access_map(layout)]
    parts.append(problems(layout))
    return Group(*parts)


# ---------------------------------------------------------------- knowledge tables

def caps_table(specs: list[CapSpec]) -> Table:
    table = Table(title="capability registry", title_justify="left")
    for col in ("space", "ID", "short", "name", "size rule", "spec"):
        table.add_column(col, overflow="fold")
    for s in specs:
        table.add_row("std" if s.space is Space.STANDARD else "ext", hexid(s.space, s.id),
                      s.short, Text.assemble(("  ", cap_style(cap_colour(s.space, s.id))), " ", s.name),
                      s.size_text, s.spec)
    return table


def cap_detail(spec: CapSpec, ctx: CapContext | None = None, size: int | None = None) -> Group:
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
