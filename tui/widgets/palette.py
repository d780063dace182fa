"""The palette of virtual capabilities. Each entry is a drag source: mouse down captures
the mouse, moves and the release are posted up with screen coordinates, and the app
hit-tests the hex map (docs/reference/textual-notes.md §1). Enter (or `p`) on a
focused entry picks it up for the keyboard path instead."""

from __future__ import annotations

from textual import events
from textual.containers import Vertical
from textual.geometry import Offset
from textual.message import Message
from textual.widgets import Static

from capslot.core.placement.vcaps import TEMPLATES, VcapRequest, parse_vcap

# The palette's entries: the templates people place, PASID first.
PALETTE = ("pasid", "pri", "ats", "ltr", "vsec", "dvsec", "std:vndr")


class _Drag(Message):
    def __init__(self, block: CapBlock, screen: Offset) -> None:
        super().__init__()
        self.block, self.screen_offset = block, screen


class CapBlock(Static, can_focus=True):
    """One virtual capability in the palette."""

    ALLOW_SELECT = False

    class DragStarted(_Drag):
        pass

    class DragMoved(_Drag):
        def can_replace(self, message: Message) -> bool:
            return isinstance(message, CapBlock.DragMoved)

    class DragEnded(_Drag):
        def __init__(self, block: CapBlock, screen: Offset, cancelled: bool = False) -> None:
            super().__init__(block, screen)
            self.cancelled = cancelled

    class PickedUp(Message):
        def __init__(self, block: CapBlock) -> None:
            super().__init__()
            self.block = block

    def __init__(self, name: str, compact: bool = False, **kw) -> None:
        self.request: VcapRequest = parse_vcap(name)
        t = TEMPLATES[name]
        label = name.split(":")[-1] if compact else f"{name:<9} {self.request.size:#5x}"
        super().__init__(label, **kw)
        self.tooltip = f"{t.doc} ({self.request.size:#x} bytes)"
        self.dragging = False

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        self.dragging = True
        self.capture_mouse()
        self.add_class("-dragging")
        self.post_message(self.DragStarted(self, event.screen_offset))
        event.stop()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.dragging:  # not event.button: Pilot's hover sends button 0
            self.post_message(self.DragMoved(self, event.screen_offset))

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self.dragging:
            self._finish()
            self.post_message(self.DragEnded(self, event.screen_offset))
            event.stop()

    def on_mouse_release(self, event: events.MouseRelease) -> None:
        self.cancel()

    def on_hide(self) -> None:
        self.cancel()

    def on_unmount(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        if self.dragging:
            self._finish()
            self.post_message(self.DragEnded(self, Offset(-1, -1), cancelled=True))

    def _finish(self) -> None:
        self.dragging = False
        self.remove_class("-dragging")
        self.release_mouse()

    def key_enter(self) -> None:
        self.post_message(self.PickedUp(self))

    def key_p(self) -> None:
        self.post_message(self.PickedUp(self))


class Palette(Vertical):
    """The entries in a column with their sizes, or `compact`: one line under the map."""

    BORDER_TITLE = "virtual capabilities"

    def __init__(self, compact: bool = False, **kw) -> None:
        super().__init__(**kw)
        self.compact = compact
        self.set_class(compact, "-compact")

    def compose(self):
        for name in PALETTE:
            yield CapBlock(name, self.compact, id=f"vcap-{name.replace(':', '-')}")
