"""The 4 KiB hex map, drawn with the Line API: 256 rows of 16 bytes, each byte coloured by
the region it belongs to. Overlays (cursor, the structure under it, drag ghost) are drawn on
top, and only the rows they touch are refreshed.

Row strips are cached per (row, overlays in that row); a new layout clears the cache. The map
is 54 columns wide whatever the terminal: the explorer's layouts always give it all 16 bytes.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Offset, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from capslot.core.layout import Kind, Layout
from capslot.core.record import record
from capslot.core.space import CONFIG_SIZE
from capslot.core.textmap import VOCABULARY
from capslot.core.views import Access
from capslot.tui.colours import CANVAS, GHOST_FILL, REGION_STYLE, VERDICT_STYLE, cap_colours, cap_style

ROWS = CONFIG_SIZE // 16
LABEL_W = 5  # "ff0  "
CELL_W = 3  # "xx "
MID_GAP = 1  # an extra space after byte 7
ROW_W = LABEL_W + 16 * CELL_W + MID_GAP

# Every cell carries its background: the map is the same dark canvas in every theme (a cell
# without one would show the terminal's own background).
GAP_STYLE = Style(bgcolor=CANVAS)
LABEL_STYLE = Style(color="#8a8a8a", bgcolor=CANVAS)
SELECTED_LABEL = Style(color="#1c1c1c", bgcolor="#d0d0d0", bold=True)  # rows of the structure under the cursor
CURSOR = Style(reverse=True, bold=True)
REACHES_DEVICE = Style(underline=True)
GHOST_STYLE = {v: Style.parse(s) for v, s in VERDICT_STYLE.items()}


@record
class Ghost:
    """A virtual capability being dragged: where, how long, and the validator's verdict."""

    offset: int
    size: int
    verdict: str  # ok | warning | collision

    @property
    def end(self) -> int:
        return self.offset + self.size


def byte_styles(layout: Layout) -> list[Style]:
    """The base style of every byte: its region's colour; capability headers bold; inside
    capabilities, bytes whose guest writes reach the device underlined (views only: in
    gaps and hidden capabilities every write does, which the legend says once)."""
    styles = [GAP_STYLE] * CONFIG_SIZE
    kinds = {k: GAP_STYLE + Style.parse(v) for k, v in REGION_STYLE.items()}
    colours = cap_colours(layout)
    for r in layout.regions:
        start, end = max(0, r.start), min(r.end, CONFIG_SIZE)  # the map's bytes, whatever a region claims
        if r.kind is Kind.CAPABILITY and r.capability in colours:
            c = layout.capabilities[r.capability]
            base = Style.parse(cap_style(colours[r.capability]))
            head = base + Style(bold=True, italic=True)
            head_end = c.offset + (2 if c.space.value == "standard" else 4)
            for pos in range(start, end):
                styles[pos] = head if pos < head_end else base
        elif end > start:
            styles[start:end] = [kinds.get(r.kind, GAP_STYLE)] * (end - start)
    if layout.access:
        for r in layout.regions:
            if r.kind in (Kind.CAPABILITY, Kind.VIRTUAL):
                for pos in range(max(0, r.start), min(r.end, CONFIG_SIZE, len(layout.access))):
                    if Access(layout.access[pos]).reaches_device:
                        styles[pos] = styles[pos] + REACHES_DEVICE
    return styles


HEX = [f"{b:02x}" for b in range(256)]
MISSING = VOCABULARY[Kind.UNAVAILABLE].symbol * 2  # a byte not in the dump (core/textmap.py)


def blank_as_canvas(style: Style) -> bool:
    """A blank cell in `style` looks as one on the canvas: the same background, and nothing
    drawn across the cell (underline, strike, overline, reverse)."""
    return style.bgcolor == GAP_STYLE.bgcolor and not (
        style.underline or style.underline2 or style.strike or style.overline or style.reverse)


_BLANK_AS_CANVAS: dict[Style, bool] = {}  # blank_as_canvas of each style met


def plain_row(cells: list[str], styles: list[Style], row: int) -> list[Segment]:
    """A row with no overlay on it, in as few segments as it looks: the gap after a byte whose
    blank looks as the canvas takes the byte's style, so a run of bytes of one region (most
    rows: a gap's zeros) is one segment. Every segment goes through Textual's whole line
    pipeline at each repaint: a row of ~35 was ~0.4M instructions (issue 23). It looks exactly
    as the byte-by-byte drawing (tests/test_hexmap_runs.py). Styles are compared by identity:
    byte_styles gives a region's bytes one object."""
    base = row * 16
    runs: list[Segment] = []
    text, run = f"{base:03x}  ", LABEL_STYLE
    for i in range(16):
        style = styles[base + i]
        gap = "  " if i == 7 else " "
        canvas = _BLANK_AS_CANVAS.get(style)
        if canvas is None:
            canvas = _BLANK_AS_CANVAS[style] = blank_as_canvas(style)
        if style is not run:
            runs.append(Segment(text, run))
            text, run = "", style
        if canvas:
            text += cells[base + i] + gap
        else:
            runs.append(Segment(text + cells[base + i], style))
            text, run = gap, GAP_STYLE
    runs.append(Segment(text, run))
    return runs


class HexMap(ScrollView, can_focus=True):
    """Cursor keys move by byte (by DWORD while a capability is carried: `carrying`), up and
    down by a row; PageUp/PageDown by 0x100; Home/End to the ends."""

    ALLOW_SELECT = False
    BINDINGS = [
        Binding("up", "move(-16)", "up", show=False, tooltip="cursor up a row"),
        Binding("down", "move(16)", "down", show=False, tooltip="cursor down a row"),
        Binding("left", "move(-1)", "left", show=False,
                tooltip="cursor left a byte (a DWORD while carrying)"),
        Binding("right", "move(1)", "right", show=False,
                tooltip="cursor right a byte (a DWORD while carrying)"),
        Binding("pageup", "move(-256)", "page up", show=False, tooltip="up 0x100"),
        Binding("pagedown", "move(256)", "page down", show=False, tooltip="down 0x100"),
        Binding("home", "jump(0)", "start", show=False, tooltip="to 0x000"),
        Binding("end", "jump(4095)", "end", show=False, tooltip="to 0xfff"),
        Binding("enter", "activate", "drop / inspect", show=False,
                tooltip="drop what is carried; else show the inspector"),
    ]
    DEFAULT_CSS = "HexMap { scrollbar-gutter: stable; }"

    cursor: reactive[int] = reactive(0, repaint=False, init=False)
    ghost: reactive[Ghost | None] = reactive(None, repaint=False)
    selected: reactive[tuple[int, int] | None] = reactive(None, repaint=False)
    carrying = 0  # size of a capability carried: left/right move by DWORDs, and it stays inside

    class _AtOffset(Message):
        """A message about one byte of the map."""

        def __init__(self, offset: int) -> None:
            super().__init__()
            self.offset = offset

    class CursorMoved(_AtOffset):
        def can_replace(self, message: Message) -> bool:
            return isinstance(message, HexMap.CursorMoved)

    class Activated(_AtOffset):
        pass

    class Clicked(_AtOffset):
        pass

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._data = bytes(CONFIG_SIZE)
        self._cells: list[str] = [HEX[0]] * CONFIG_SIZE  # what each byte shows: its hex, or MISSING
        self._styles: list[Style] = [Style()] * CONFIG_SIZE
        self._runs: dict[int, list[Segment]] = {}  # rows without overlays (plain_row), as drawn
        self._cache: LRUCache[tuple, Strip] = LRUCache(1024)
        self.virtual_size = Size(ROW_W, ROWS)

    # ------------------------------------------------------------ model

    def show(self, layout: Layout) -> None:
        """Display a layout (a new device, view, or set of virtual capabilities)."""
        self._data = bytes(layout.space.data[:CONFIG_SIZE]).ljust(CONFIG_SIZE, b"\0")
        self._cells = [HEX[b] for b in self._data]
        for r in layout.regions:  # bytes not in the dump: `_`, as every other map draws them
            if r.kind is Kind.UNAVAILABLE:
                self._cells[max(0, r.start):min(r.end, CONFIG_SIZE)] = [MISSING] * (
                    min(r.end, CONFIG_SIZE) - max(0, r.start))
        self._styles = byte_styles(layout)
        self._runs = {}
        self._cache.clear()
        self.refresh()

    def byte_style(self, offset: int) -> Style:
        """The style the map draws byte `offset` in (its region's colour), ghost aside."""
        return self._styles[offset]

    # ------------------------------------------------------------ geometry

    def offset_at(self, screen: Offset) -> int | None:
        """The byte under a screen coordinate, or None."""
        region = self.scrollable_content_region
        if not region.contains(screen.x, screen.y):
            return None
        x = screen.x - region.x + int(self.scroll_offset.x)
        row = screen.y - region.y + int(self.scroll_offset.y)
        col = x - LABEL_W
        if col < 0 or row >= ROWS:
            return None
        if col >= 8 * CELL_W:
            col -= MID_GAP
        byte = col // CELL_W
        return row * 16 + byte if 0 <= byte < 16 else None

    def cell_x(self, offset: int) -> int:
        """Column of a byte's first hex digit inside the widget's content."""
        col = offset % 16
        return LABEL_W + col * CELL_W + (MID_GAP if col >= 8 else 0)

    # ------------------------------------------------------------ drawing

    def _overlays(self, row: int) -> tuple:
        lo, hi = row * 16, row * 16 + 16
        g = self.ghost
        ghost = (g.offset, g.end, g.verdict) if g and g.offset < hi and g.end > lo else None
        sel = self.selected
        selected = bool(sel and sel[0] < hi and sel[1] > lo)
        cursor = self.cursor if lo <= self.cursor < hi else None
        return ghost, selected, cursor

    def render_line(self, y: int) -> Strip:
        sx, sy = self.scroll_offset
        row = int(sy) + y
        width = self.scrollable_content_region.width
        if row >= ROWS:
            return Strip.blank(width, GAP_STYLE)
        overlays = self._overlays(row)
        key = (row, int(sx), width, *overlays)  # the strip as shown: cropped to the viewport
        strip = self._cache.get(key)
        if strip is None:
            strip = self._build_row(row, *overlays, sx=int(sx), width=width)
            self._cache[key] = strip
        return strip

    def _build_row(self, row: int, ghost, selected, cursor, sx: int = 0, width: int = ROW_W) -> Strip:
        """Label, then per byte its two hex digits and the gap after them. A ghost is one bar
        in its verdict's style: the gaps inside it filled (hatched for a collision), a `[`
        in the gap before its first byte and a `]` in the gap after its last."""
        base = row * 16
        if ghost is None and not selected and cursor is None:
            runs = self._runs.get(row)
            if runs is None:
                runs = self._runs[row] = plain_row(self._cells, self._styles, row)
            return self._fit(list(runs), sx, width)
        label = Segment(f"{base:03x}", SELECTED_LABEL if selected else LABEL_STYLE)
        if ghost:
            g_start, g_end, verdict = ghost
            g_style, fill = GHOST_STYLE[verdict], GHOST_FILL[verdict]
        else:
            g_start = g_end = -1
        lead = " "
        if ghost and g_start == base:
            lead = "["
        elif ghost and g_start < base < g_end:
            lead = fill
        segments = [label, Segment(" ", LABEL_STYLE),
                    Segment(lead, g_style if lead != " " else GAP_STYLE)]
        for i in range(16):
            pos = base + i
            inside = g_start <= pos < g_end
            style = g_style if inside else self._styles[pos]
            if cursor == pos:
                style = style + CURSOR
            segments.append(Segment(self._cells[pos], style))
            gap = "  " if i == 7 else " "
            if inside and pos + 1 == g_end:
                segments.append(Segment("]", g_style))
                if len(gap) > 1:
                    segments.append(Segment(gap[1:], GAP_STYLE))
            elif inside:
                segments.append(Segment(fill * len(gap), g_style))
            elif pos + 1 == g_start and i < 15:
                if len(gap) > 1:
                    segments.append(Segment(gap[1:], GAP_STYLE))
                segments.append(Segment("[", g_style))
            else:
                segments.append(Segment(gap, GAP_STYLE))
        return self._fit(segments, sx, width)

    @staticmethod
    def _fit(segments: list[Segment], sx: int, width: int) -> Strip:
        """A row's segments as the viewport shows them."""
        if sx == 0 and width >= ROW_W:  # the usual case: pad, not crop (crop_extend is slow)
            if width > ROW_W:
                segments.append(Segment(" " * (width - ROW_W), GAP_STYLE))
            return Strip(segments, width)
        return Strip(segments, ROW_W).crop_extend(sx, sx + width, GAP_STYLE)

    def _refresh_rows(self, *spans: tuple[int, int] | None) -> None:
        for span in spans:
            if span:
                first, last = span[0] // 16, (max(span[1], span[0] + 1) - 1) // 16
                self.refresh_lines(first, last - first + 1)

    def watch_cursor(self, old: int, new: int) -> None:
        self._refresh_rows((old, old + 1), (new, new + 1))
        self.scroll_to_offset(new)
        self.post_message(self.CursorMoved(new))

    def watch_ghost(self, old: Ghost | None, new: Ghost | None) -> None:
        self._refresh_rows(*((g.offset, g.end) for g in (old, new) if g))

    def watch_selected(self, old, new) -> None:
        self._refresh_rows(old, new)

    def scroll_to_offset(self, offset: int, center: bool = False) -> None:
        row = offset // 16
        top, height = int(self.scroll_offset.y), max(1, self.scrollable_content_region.height)
        if center:
            self.scroll_to(y=max(0, row - height // 3), animate=False)
        elif row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + height:
            self.scroll_to(y=row - height + 1, animate=False)

    # ------------------------------------------------------------ input

    def action_move(self, delta: int) -> None:
        if self.carrying:
            delta = 4 * delta if abs(delta) == 1 else delta
            last = (CONFIG_SIZE - self.carrying) & ~3
            self.cursor = min(last, max(0, (self.cursor & ~3) + delta))
        else:
            self.cursor = min(CONFIG_SIZE - 1, max(0, self.cursor + delta))

    def action_jump(self, offset: int) -> None:
        if self.carrying:
            offset = min((CONFIG_SIZE - self.carrying) & ~3, offset & ~3)
        self.cursor = offset

    def action_activate(self) -> None:
        self.post_message(self.Activated(self.cursor))

    def on_click(self, event: events.Click) -> None:
        offset = self.offset_at(event.screen_offset)
        if offset is not None:
            self.cursor = offset
            self.post_message(self.Clicked(offset))

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._cache.clear()
