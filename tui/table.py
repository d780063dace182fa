"""Tables without Rich: rich.table.Table's arguments, columns and rows, laid out here to the
lines Rich's Table draws where the table is plain (every cell one line of text, or text that
wraps as tui/styled.py models it; no styles of rows or columns), and handed to Rich as its own
Table otherwise. The human `show` writes these lines itself (tui/writer.py); a Rich console
gets them as Segments (`__rich_console__`), the same it would get from Rich's Table.
tests/test_table_segments.py holds the two to the same segments.

Rich's Table lays out every cell through a Padding, two measurements and a wrap (the 19-row
chain table of a CXL device: ~20 ms of a ~100 ms `show`), and importing it imports fractions
and decimal. Str cells, headers, title and caption are styled as Rich styles them, but never
read for `:emoji:` names or markup: text is printed as written."""

from __future__ import annotations

from capslot.tui.styled import Styled, combine, justify_line, modelled, segments, segments_in_order, wrap

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

Line = list  # [(text, style)]: style None (no style), "" (Rich's null style) or a style string

# Rich's boxes that capslot's tables use (rich/box.py), by name
BOXES = {
    "SIMPLE_HEAD": "    \n    \n ── \n    \n    \n    \n    \n    \n",
    "HEAVY_HEAD": "┏━┳┓\n┃ ┃┃\n┡━╇┩\n│ ││\n├─┼┤\n├─┼┤\n│ ││\n└─┴┘\n",
    "SQUARE": "┌─┬┐\n│ ││\n├─┼┤\n│ ││\n├─┼┤\n├─┼┤\n│ ││\n└─┴┘\n",
}
PLAIN_HEADED = {"HEAVY_HEAD": "SQUARE"}  # rich.box.PLAIN_HEADED_SUBSTITUTIONS (ours)


class Box:
    """A box's characters as rich.box.Box reads them (from its eight lines)."""

    def __init__(self, name: str | None, drawing: str) -> None:
        self.name = name
        rows = drawing.splitlines()
        self.top_left, self.top, self.top_divider, self.top_right = rows[0]
        self.head_left, _, self.head_vertical, self.head_right = rows[1]
        self.head_row = rows[2]
        self.mid_left, _, self.mid_vertical, self.mid_right = rows[3]
        self.foot_left, _, self.foot_vertical, self.foot_right = rows[6]
        self.bottom_left, self.bottom, self.bottom_divider, self.bottom_right = rows[7]

    @staticmethod
    def _line(left: str, horizontal: str, cross: str, right: str, widths: list[int], edge: bool) -> str:
        middle = cross.join(horizontal * w for w in widths)
        return left + middle + right if edge else middle

    def get_top(self, widths: list[int]) -> str:
        return self._line(self.top_left, self.top, self.top_divider, self.top_right, widths, True)

    def get_head_row(self, widths: list[int], edge: bool) -> str:
        left, horizontal, cross, right = self.head_row
        return self._line(left, horizontal, cross, right, widths, edge)

    def get_bottom(self, widths: list[int]) -> str:
        return self._line(self.bottom_left, self.bottom, self.bottom_divider, self.bottom_right, widths, True)


def box_of(box: Any) -> Box | None:
    """Ours of a box name, or of a Rich Box (its eight lines); None: no box."""
    if box is None:
        return None
    if isinstance(box, str):
        return Box(box, BOXES[box])
    return Box(None, str(box))


def rich_box(box: Any) -> Any:
    if isinstance(box, str):
        from rich import box as boxes

        return getattr(boxes, box)
    return box


class Table:
    """A table, as rich.table.Table's keyword arguments (a box by name: "SIMPLE_HEAD"),
    columns and rows. `lines(width)` lays it out; `rich()` is Rich's Table of the same."""

    def __init__(self, **options: Any) -> None:
        self.options = options  # rich.table.Table's keyword arguments
        self.caption = options.pop("caption", None)
        self.column_options: list[dict[str, Any]] = []
        self.headers: list[Any] = []
        self.rows: list[list[Any]] = []
        self.row_options: list[dict[str, Any]] = []
        self.plain = options.keys() <= TABLE_DEFAULTS.keys()  # False: Rich lays it out
        title = options.get("title")
        if isinstance(title, str):  # the style Rich gives a str title
            options["title"] = Styled(title, style=options.get("title_style") or "table.title")

    @classmethod
    def grid(cls, padding: Any = 0) -> Table:
        """Rich's Table.grid: no box, header or edge; padding collapsed."""
        return cls(box=None, padding=padding, collapse_padding=True, show_header=False,
                   show_edge=False, pad_edge=False)

    def add_column(self, header: Any = "", **options: Any) -> None:
        self.headers.append(Styled(header) if isinstance(header, str) else header)
        self.column_options.append(options)
        self.plain = self.plain and options.keys() <= COLUMN_DEFAULTS.keys()

    def add_row(self, *renderables: Any, **options: Any) -> None:
        if options or len(renderables) > len(self.headers):
            self.plain = False  # a row style, a section end, more cells than columns: Rich's
        self.rows.append([Styled(r) if isinstance(r, str) else r for r in renderables])
        self.row_options.append(options)

    def _caption(self) -> Any:
        if isinstance(self.caption, str):  # the style Rich gives a str caption
            self.caption = Styled(self.caption, style=self.options.get("caption_style") or "table.caption")
        return self.caption

    # ---- Rich

    def rich(self) -> Any:
        """The rich.table.Table of the same arguments, columns and rows."""
        from rich.table import Table as RichTable

        options = dict(self.options)
        if "box" in options:
            options["box"] = rich_box(options["box"])
        if options.get("title") is not None:
            options["title"] = _rich(options["title"])
        table = RichTable(caption=_rich(self._caption()), **options)
        for header, column in zip(self.headers, self.column_options, strict=True):
            table.add_column(_rich(header), **column)
        for row, row_options in zip(self.rows, self.row_options, strict=True):
            table.add_row(*[_rich(cell) for cell in row], **row_options)
        return table

    @property
    def columns(self) -> list:
        """Rich's columns of the table (their cells)."""
        return self.rich().columns

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        return self.rich().__rich_measure__(console, options)

    def __rich_console__(self, console: Any, options: Any) -> Any:
        drawn = None
        if self.plain and not options.legacy_windows and not options.ascii_only:
            drawn = self._parts(options.max_width)
        if drawn is None:
            yield self.rich()
            return
        from rich.segment import Segment

        title, body, caption, table_width = drawn
        render_options = options.update(width=table_width, highlight=False, height=None)
        if title:  # (Rich's own Segments of the text: its newlines are styled)
            yield from console.render(_rich(self.options["title"]),
                                      render_options.update(justify=self.options.get("title_justify", "center")))

        get_style = console.get_style
        styles: dict[str, Any] = {}
        newline = Segment("\n")
        for line in body:
            for text, style in line:
                if style is not None:
                    found = styles.get(style)
                    if found is None:
                        found = styles[style] = get_style(style)
                    style = found
                yield Segment(text, style)
            yield newline
        if caption:
            yield from console.render(_rich(self._caption()), render_options.update(justify="center"))

    # ---- the layout, without Rich

    def lines(self, max_width: int) -> list[Line] | None:
        """The lines Rich's Table draws of the table in `max_width` cells; None: Rich's."""
        parts = self._parts(max_width)
        return None if parts is None else parts[0] + parts[1] + parts[2]

    def _parts(self, max_width: int) -> tuple[list[Line], list[Line], list[Line], int] | None:
        """The lines Rich's Table draws of the table in `max_width` cells (its title's, its
        own, its caption's) and the table's width, where it is plain. The steps are Rich's (the
        widths of Table._calculate_column_widths, a cell's lines as Text.wrap and Lines.justify
        make them, Padding, the same style sums), done once per cell. None: Rich lays it out."""
        if not self.plain:
            return None
        o = {**TABLE_DEFAULTS, **self.options}
        columns = [{**COLUMN_DEFAULTS, **c} for c in self.column_options]
        if not columns or not self.rows and not o["show_header"]:
            return None  # no cells: Rich makes each column as wide as it may be
        show_header = o["show_header"]
        grid: list[list[Styled]] = []
        for i, header in enumerate(self.headers):
            cells = [c if type(c) is Styled else _styled(c)  # (a missing cell: Rich's "")
                     for c in ([header] if show_header else [])
                     + [row[i] if i < len(row) else _EMPTY for row in self.rows]]
            if None in cells:
                return None
            grid.append(cells)  # type: ignore[arg-type]
        box = box_of(o["box"])
        extra_width = (2 if box and o["show_edge"] else 0) + (len(columns) - 1 if box else 0)
        available = max_width - extra_width
        padding = _unpack(o["padding"])
        natural, pads = [], []
        for i, (column, cells) in enumerate(zip(columns, grid, strict=True)):
            if column["justify"] not in _JUSTIFIED or column["vertical"] not in _VERTICAL \
                    or column["overflow"] == "ignore":
                return None
            texts = [cell.plain for cell in cells]
            if not modelled("".join(texts)):  # \n, \t, wide...
                return None
            widest = max(map(len, texts))
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
        # Rich's defaults: the table's style "none", no border style, the header's style
        # "table.header", no column styles, no row styles; Padding's style "none"
        border, head_style = "", "table.header"
        drawn_rows: list[list[list[Line]]] = []
        inners = [width - left - right for width, (left, right) in zip(widths, pads, strict=True)]
        padded: dict[str, list[tuple[list, list]]] = {}  # a row style: each column's Padding spaces
        for index, row in enumerate(zip(*grid, strict=True)):
            header = show_header and index == 0
            style = head_style if header else ""
            spaces = padded.get(style)
            if spaces is None:  # Padding's spaces, styled "none", then the cell's style
                spaces = padded[style] = [([(" " * left, style)] if left else [],
                                           [(" " * right, style)] if right else []) for left, right in pads]
            cells = []
            for cell, inner, (before, after), column in zip(row, inners, spaces, columns, strict=True):
                if inner < 1:  # Rich renders nothing in no width: the cell is blank lines
                    cells.append([])
                    continue
                lines = _cell_lines(cell, inner, column, style)
                if lines is None:
                    return None
                if before or after:  # (most cells: one line)
                    lines = [before + lines[0] + after] if len(lines) == 1 else \
                        [before + line + after for line in lines]
                cells.append(lines)
            height = max(map(len, cells))
            if not height:
                return None  # (Rich pads such a row with unstyled blanks)
            if min(map(len, cells)) == height:  # (most rows: every cell one line)
                drawn_rows.append(cells)
                continue
            for n, (lines, width, column) in enumerate(zip(cells, widths, columns, strict=True)):
                if len(lines) < height:  # aligned as Rich aligns it, with the cell's style
                    blank = [[(" " * width, style)]] * (height - len(lines))
                    bottom = header or column["vertical"] == "bottom"
                    cells[n] = blank + lines if bottom else lines + blank
            drawn_rows.append(cells)
        out: list[Line] = []
        title: list[Line] | None = []
        if o["title"]:
            title = _block(o["title"], table_width, o["title_justify"])
            if title is None:
                return None
        box = box_of(PLAIN_HEADED.get(box.name, box.name)) if box and box.name and not show_header else box
        if box and not show_header and o["box"] is not None and not isinstance(o["box"], str):
            return None  # a Rich box without its header: Rich's substitution
        edge = o["show_edge"]
        if box and edge:
            out.append([(box.get_top(widths), border)])
        for index, cells in enumerate(drawn_rows):
            if box:
                left_edge, right_edge, divider = (
                    (box.head_left, box.head_right, box.head_vertical) if index == 0 else
                    (box.foot_left, box.foot_right, box.foot_vertical) if index == len(drawn_rows) - 1
                    else (box.mid_left, box.mid_right, box.mid_vertical))
                for line_no in range(len(cells[0])):
                    line: Line = [(left_edge, border)] if edge else []
                    for n, lines in enumerate(cells):
                        if n:
                            line.append((divider, border))
                        line += lines[line_no]
                    if edge:
                        line.append((right_edge, border))
                    out.append(line)
            else:
                for line_no in range(len(cells[0])):
                    out.append([segment for lines in cells for segment in lines[line_no]])
            if box and index == 0 and show_header:
                out.append([(box.get_head_row(widths, edge), border)])
        if box and edge:
            out.append([(box.get_bottom(widths), border)])
        caption: list[Line] | None = []
        if self._caption():
            caption = _block(self._caption(), table_width, "center")
            if caption is None:
                return None
        return title, out, caption, table_width


_EMPTY = Styled("")


def _rich(item: Any) -> Any:
    return item.__rich__() if isinstance(item, Styled) else item


def _styled(item: Any) -> Styled | None:
    """A cell, title or caption as Styled; None: something Rich must lay out itself."""
    if isinstance(item, Styled):
        return item
    kind = type(item)
    if kind.__name__ != "Text" or kind.__module__ != "rich.text":
        return None
    if item.justify is not None or item.overflow is not None or item.no_wrap is not None \
            or item.end != "\n" or not isinstance(item.style, str) \
            or any(not isinstance(span.style, str) for span in item.spans):
        return None
    return Styled(item.plain, item.style, [(s.start, s.end, s.style) for s in item.spans])


def _block(item: Any, width: int, justify: str) -> list[Line] | None:
    """A title or caption: Text.__rich_console__ in the table's width."""
    text = _styled(item)
    if text is None:
        return None
    wrapped = wrap(text, width, justify)
    return None if wrapped is None else segments(wrapped)


# rich.table.Table's defaults for the arguments a plain table may give (and `lines` reads);
# tests/test_table_segments.py checks them against Rich's
TABLE_DEFAULTS: dict[str, Any] = {
    "title": None, "title_justify": "center", "box": "HEAVY_HEAD", "padding": (0, 1),
    "collapse_padding": False, "pad_edge": True, "show_header": True, "show_edge": True,
    "min_width": None}
COLUMN_DEFAULTS: dict[str, Any] = {"justify": "left", "vertical": "top", "overflow": "ellipsis",
                                   "no_wrap": False}
_JUSTIFIED = ("left", "center", "right")
_VERTICAL = ("top", "bottom")


def _cell_lines(cell: Styled, width: int, column: dict[str, Any], style: str) -> list[Line] | None:
    """A cell's lines in a column `width` cells wide (its padding aside), with the cell's
    style under the text's: what Text.__rich_console__, Padding and Console.render_lines make
    of it in Rich's Table. None where a line would not be `width` wide."""
    plain = cell.plain
    if not cell.spans and not cell.style and len(plain) <= width:  # most cells: plain words
        justify = column["justify"]
        if justify != "left":  # (Lines.justify: right and center strip the end first)
            plain = plain.rstrip()
            before = width - len(plain) if justify == "right" else (width - len(plain)) // 2
            plain = " " * before + plain
        return [[(plain + " " * (width - len(plain)), combine(style) if style else None)]]
    if len(plain) <= width and modelled(plain):  # one line: justified, nothing to divide
        if not cell.style:  # (a swatch, a size and its certainty: spans one after another)
            row = _justified_in_order(plain, cell.spans, width, column["justify"])
            if row is not None:
                return [[(text, combine(style, text_style)) for text, text_style in row] if style else row]
        wrapped: list[Styled] | None = [cell.copy()]
        justify_line(wrapped[0], width, column["justify"], column["overflow"])
    else:
        wrapped = wrap(cell, width, column["justify"], column["overflow"], column["no_wrap"])
    if wrapped is None:
        return None
    lines = segments(wrapped)
    if style:  # Console.render_lines applies no null style
        lines = [[(text, combine(style, text_style)) for text, text_style in line] for line in lines]
    if any(len("".join([text for text, _ in line])) != width for line in lines):
        return None
    return lines


def _justified_in_order(plain: str, spans: list[tuple[int, int, str]], width: int,
                        justify: str) -> Line | None:
    """The one line of a cell of no style of its own that fits `width` (Lines.justify: right
    and center strip the end first, and every line is padded to `width`), as `segments`
    cuts it, where its spans follow one another (styled.segments_in_order); None otherwise."""
    if justify != "left":
        plain = plain.rstrip()
        n = len(plain)
        spans = [(start, min(end, n), style) for start, end, style in spans if start < n]  # Text.rstrip
        before = width - n if justify == "right" else (width - n) // 2
        if before > 0:
            plain = " " * before + plain
            spans = [(start + before, end + before, style) for start, end, style in spans]
    plain += " " * (width - len(plain))
    if not spans:  # (no span left: the line is not styled)
        return [(plain, None)] if plain else []
    return segments_in_order(plain, spans)


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
        share = max(0, -(-ratio * remaining // total_ratio)) if total_ratio > 0 else remaining
        result.append(share)
        total_ratio -= ratio
        remaining -= share
    return result


