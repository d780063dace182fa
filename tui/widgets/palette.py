"""The palette of virtual capabilities: one line under the map, each entry a chip
("pasid pri ats ltr vsec dvsec vndr").

Each entry is a drag source: button 1 down on an entry captures the mouse, moves and the
release are posted up with screen coordinates, and the app hit-tests the hex map
(docs/reference/textual-notes.md §1). With the focus, left/right move a selection along the
entries and Enter (or the explorer's `p`) picks the selected one up for the keyboard path instead.

One widget drawn with the Line API: it looks like the seven Static entries it replaced, each
of which Textual styled, laid out and rendered before the explorer's first frame (issue 23)."""

from __future__ import annotations

from typing import NamedTuple

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Offset
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from capslot.core.placement.vcaps import TEMPLATES, VcapRequest, parse_vcap
from capslot.tui.widgets.basestyle import BaseStyleCache

# The palette's entries: the templates people place, PASID first.
PALETTE = ("pasid", "pri", "ats", "ltr", "vsec", "dvsec", "std:vndr")
CHIP_PADDING = 1  # a space each side of a label, as an entry's `padding: 0 1`
CHIP_GAP = 1  # one cell between chips, as an entry's `margin-right: 1`


class Entry(NamedTuple):
    name: str  # as PALETTE spells it
    label: str  # as drawn
    request: VcapRequest
    tooltip: str
    start: int  # the chip's first cell in the content (after the palette's padding)
    end: int  # one past its last cell


def entries() -> tuple[Entry, ...]:
    """The chips, left to right, each `len(label) + 2` cells, one cell apart."""
    out, x = [], 0
    for name in PALETTE:
        request, label = parse_vcap(name), name.split(":")[-1]
        width = len(label) + 2 * CHIP_PADDING
        out.append(Entry(name, label, request, f"{TEMPLATES[name].doc} ({request.size:#x} bytes)",
                         x, x + width))
        x += width + CHIP_GAP
    return tuple(out)


class Palette(BaseStyleCache, Widget, can_focus=True):
    """The entries in one line. `selected` is the entry the keyboard acts on (PASID at first,
    else the last one moved to or dragged); it is drawn selected while the palette has the
    focus. The entry being dragged is drawn in the dragging looks."""

    ALLOW_SELECT = False
    BINDINGS = [
        Binding("left", "move(-1)", "previous", show=False, tooltip="the entry on the left"),
        Binding("right", "move(1)", "next", show=False, tooltip="the entry on the right"),
        Binding("home", "to(0)", "first", show=False, tooltip="the first entry (PASID)"),
        Binding("end", "to(-1)", "last", show=False, tooltip="the last entry"),
        # `p` is the explorer's (it picks up the selected entry while the palette has the focus)
        Binding("enter", "pick_up", "pick up", show=False,
                tooltip="pick up the selected capability (p too): its ghost starts "
                        "where auto placement would put it"),
    ]
    # an entry's looks, in tui/app.tcss with the rest of the palette's (not a DEFAULT_CSS of
    # its own: one more stylesheet source to parse before the first frame, ~2M instructions)
    COMPONENT_CLASSES = {"palette--entry", "palette--selected", "palette--dragging"}

    class _Drag(Message):
        def __init__(self, request: VcapRequest, screen: Offset) -> None:
            super().__init__()
            self.request, self.screen_offset = request, screen

    class DragStarted(_Drag):
        """Button 1 went down on an entry: `request` is carried from `screen_offset`."""

    class DragMoved(_Drag):
        def can_replace(self, message: Message) -> bool:
            return isinstance(message, Palette.DragMoved)  # a burst of moves: the last counts

    class DragEnded(_Drag):
        def __init__(self, request: VcapRequest, screen: Offset, cancelled: bool = False) -> None:
            super().__init__(request, screen)
            self.cancelled = cancelled

    class PickedUp(Message):
        """Enter (or the explorer's p) on the selected entry."""

        def __init__(self, request: VcapRequest) -> None:
            super().__init__()
            self.request = request

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.entries = entries()
        self._selected = 0
        self._dragging: int | None = None  # the entry being dragged
        self._hover: int | None = None  # the entry under the mouse

    # ------------------------------------------------------------ attributes down

    @property
    def selected(self) -> VcapRequest:
        return self.entries[self._selected].request

    def select(self, name: str) -> None:
        """Select the entry `name` (as PALETTE spells it)."""
        self._select(self._index(name))

    def request(self, name: str) -> VcapRequest:
        return self.entries[self._index(name)].request

    def entry_offset(self, name: str) -> Offset:
        """The first cell of the entry `name`'s chip, relative to the widget."""
        return Offset(self.styles.gutter.left + self.entries[self._index(name)].start, 0)

    def _index(self, name: str) -> int:
        return next(i for i, e in enumerate(self.entries) if e.name == name)

    def _select(self, index: int) -> None:
        if index != self._selected:
            self._selected = index
            self.refresh()

    def _entry_at(self, event: events.MouseEvent) -> int | None:
        at = event.get_content_offset(self)
        if at is None or at.y != 0:
            return None
        return next((i for i, e in enumerate(self.entries) if e.start <= at.x < e.end), None)

    # ------------------------------------------------------------ drawing

    def render_line(self, y: int) -> Strip:
        base = self._base
        gap = Segment(" " * CHIP_GAP, base)
        segments: list[Segment] = []
        for i, entry in enumerate(self.entries):
            looks = ("palette--dragging" if i == self._dragging else
                     "palette--selected" if i == self._selected and self.has_focus else "palette--entry")
            style = base + self.get_component_rich_style(looks)
            pad = Segment(" " * CHIP_PADDING, style)
            # the label a run of its own between its padding, as the chips drew it (an export
            # to SVG, the snapshots, draws a run's leading spaces at its end)
            segments += [pad, Segment(entry.label, style + Style.from_meta({"entry": i})), pad, gap]
        return Strip(segments).crop_extend(0, self.size.width, base)

    # ------------------------------------------------------------ keys

    def action_move(self, step: int) -> None:
        self._select(max(0, min(len(self.entries) - 1, self._selected + step)))

    def action_to(self, index: int) -> None:
        self._select(index % len(self.entries))

    def action_pick_up(self) -> None:
        self.post_message(self.PickedUp(self.selected))

    # ------------------------------------------------------------ the mouse

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = self._entry_at(event) if event.button == 1 else None
        if index is None:  # another button, or between the chips
            return
        self._selected = self._dragging = index
        self.capture_mouse()
        self.add_class("-dragging")  # the `grabbing` pointer
        self.refresh()
        self.post_message(self.DragStarted(self.entries[index].request, event.screen_offset))
        event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self._dragging is not None:  # not event.button: Pilot's hover sends button 0
            self.post_message(self.DragMoved(self.entries[self._dragging].request, event.screen_offset))
        else:
            self._hovering(self._entry_at(event))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self._dragging is not None:
            request = self.entries[self._dragging].request
            self._finish()
            self.post_message(self.DragEnded(request, event.screen_offset))
            event.stop()

    def on_leave(self, event: events.Leave) -> None:
        self._hovering(None)

    def _hovering(self, index: int | None) -> None:
        """The entry under the mouse: its tooltip, and the `grab` pointer over an entry."""
        if index != self._hover:
            self._hover = index
            self.tooltip = None if index is None else self.entries[index].tooltip
            self.set_class(index is not None, "-over-entry")

    def on_mouse_release(self, event: events.MouseRelease) -> None:
        self.cancel()

    def on_hide(self) -> None:
        self.cancel()

    def on_unmount(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        """End a drag under way, if any, as cancelled."""
        if self._dragging is not None:
            request = self.entries[self._dragging].request
            self._finish()
            self.post_message(self.DragEnded(request, Offset(-1, -1), cancelled=True))

    def _finish(self) -> None:
        self._dragging = None
        self.remove_class("-dragging")
        self.release_mouse()
        self.refresh()
