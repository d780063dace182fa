"""The explorer: `capslot`, `capslot tui DUMP`, `make run`.

State lives in `Session` (tui/session.py); widgets only draw what they are given and post
messages up; the app turns messages into session changes and pushes the results down.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Iterable

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from core.atomic import write_atomic
from core.layout import Kind
from core.placement.validate import verdict
from core.plan import Refused
from core.placement.vcaps import VcapRequest
from core.space import DumpError
from core.text import printable
from core.views import VIEWS
from tui.colours import KIND_STYLE
from tui.screens.dialogs import DevicePicker, ExportScreen, GotoScreen, OpenScreen
from tui.session import Session
from tui.widgets.chain import ChainPanel
from tui.widgets.hexmap import Ghost, HexMap
from tui.widgets.inspector import Inspector
from tui.widgets.palette import CapBlock, Palette
from tui.widgets.verdict import VerdictPanel, findings_view, placement_view

EDGE_ROWS = 1  # a drag this close to the map's top or bottom scrolls it


def legend_text() -> Text:
    t = Text()
    t.append(" cap ", "bold black on #3465a4")
    t.append(" capability (one colour per kind)\n")
    for kind in (Kind.HEADER, Kind.UNKNOWN_TAIL, Kind.ZERO_GAP, Kind.DATA_GAP, Kind.ORPHAN,
                 Kind.HIDDEN, Kind.VIRTUAL, Kind.UNAVAILABLE):
        sym, style, what = KIND_STYLE[kind]
        t.append(f" {sym * 2} ", style)
        t.append(f" {what}\n")
    t.append(" xx ", "underline")
    t.append(" capability bytes whose guest writes reach the device\n")
    t.append("(in gaps and hidden capabilities, all of them do)", "dim")
    return t


class CapslotApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live anywhere
    TITLE = "capslot"
    ALLOW_SELECT = False
    BINDINGS = [
        Binding("f1,question_mark", "help", "help", key_display="F1"),
        Binding("v", "cycle_view", "view"),
        Binding("p", "pick_up", "pick up"),
        Binding("a", "auto", "auto place"),
        Binding("m", "move_placed", "move", show=False),
        Binding("delete", "remove_placed", "remove", show=False),
        Binding("ctrl+z", "undo", "undo"),
        Binding("ctrl+y", "redo", "redo", show=False),
        Binding("escape", "cancel", "cancel", show=False),
        Binding("g", "goto", "go to"),
        Binding("c", "toggle_order", "order", show=False),
        Binding("e", "export", "export"),
        Binding("ctrl+s", "plan_file", "plan file", show=False),
        Binding("o", "open", "open"),
        Binding("d", "pick_device", "device", show=False),
        Binding("ctrl+q", "quit", "quit", priority=True),
    ]

    def __init__(self, session: Session, path: str = "") -> None:
        super().__init__()
        self.session = session
        self.path = path
        self.carrying: VcapRequest | None = None
        self.moving: int | None = None  # index of the placed capability being moved
        self.selected_cap: int | None = None
        self.palette_choice: VcapRequest | None = None

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield ChainPanel(id="chain")
                yield Palette(id="palette")
            yield HexMap(id="map")
            with Vertical(id="right"):
                yield VerdictPanel(id="verdict")
                yield Inspector(id="inspector")
                yield Static(legend_text(), id="legend")
        yield Footer()

    def on_mount(self) -> None:
        self.painted = False
        with self.batch_update():
            self.query_one(HexMap).focus()
            self.query_one(VerdictPanel).idle("drag a virtual capability onto the map, or press p")
            self.refresh_all()
        self.call_after_refresh(self._first_paint_done)
        if len(self.session.devices) > 1:
            self.action_pick_device()

    def _first_paint_done(self) -> None:
        self.painted = True
        # Everything built so far (Textual, the registry, the device) lives as long as the app.
        # Moving it out of the collector's reach stops full collections from scanning it: the
        # worst drag step fell from 40-70 ms (a collection mid-drag) to about 10 ms
        # (benchmarks/tui_speed.py, max of 200 steps).
        gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()  # the app's objects may be collected again once it is gone

    def say(self, message: str, severity: str = "information") -> None:
        """A notification as plain text: messages quote file names and device text."""
        self.notify(message, severity=severity, markup=False)  # type: ignore[arg-type]

    @property
    def hexmap(self) -> HexMap:
        return self.query_one(HexMap)

    def refresh_all(self) -> None:
        s = self.session
        layout = s.synthesized()
        self.hexmap.show(layout)
        self.query_one(ChainPanel).show(layout)
        inspector = self.query_one(Inspector)
        inspector.show_byte(layout, self.hexmap.cursor)
        if self.selected_cap is not None and self.selected_cap >= len(layout.capabilities):
            self.selected_cap = None
        inspector.show_capability(layout, self.selected_cap)
        cs = s.device
        self.title = f"capslot  {printable(cs.label())}"
        described = printable(cs.provenance.device_line.split(" ", 1)[-1]) if cs.provenance.device_line else ""
        self.sub_title = f"view {s.view_name}, verdicts for {s.target.describe()}" + (
            f"  device {s.index + 1}/{len(s.devices)}" if len(s.devices) > 1 else "") + (
            f"  {described}" if described else "")
        # Content(...) is plain text: a file name like "[bold]x" must not be read as markup
        name = os.path.basename(cs.provenance.source) or cs.provenance.source
        self.query_one("#map").border_title = Content(f"{printable(name)}  [{s.view_name}]")

    # ------------------------------------------------------------ drag and drop

    @on(CapBlock.DragStarted)
    def _drag_started(self, event: CapBlock.DragStarted) -> None:
        self.carrying, self.moving = event.block.request, None
        self.palette_choice = event.block.request

    @on(CapBlock.DragMoved)
    def _drag_moved(self, event: CapBlock.DragMoved) -> None:
        self._preview_at_screen(event.screen_offset)

    @on(CapBlock.DragEnded)
    def _drag_ended(self, event: CapBlock.DragEnded) -> None:
        offset = None if event.cancelled else self._map_offset(event.screen_offset)
        if offset is None:
            self.action_cancel()
        else:
            self.drop(offset & ~3)

    def _map_offset(self, screen) -> int | None:
        try:
            widget, _ = self.screen.get_widget_at(*screen)
        except Exception:  # noqa: BLE001 - outside every widget
            return None
        return self.hexmap.offset_at(screen) if widget is self.hexmap else None

    def _preview_at_screen(self, screen) -> None:
        region = self.hexmap.scrollable_content_region
        if region.x <= screen.x < region.right:  # auto-scroll at the map's edges
            if screen.y < region.y + EDGE_ROWS:
                self.hexmap.scroll_relative(y=-2, animate=False)
            elif screen.y >= region.bottom - EDGE_ROWS:
                self.hexmap.scroll_relative(y=2, animate=False)
        offset = self._map_offset(screen)
        if offset is None:
            self.hexmap.ghost = None
            return
        self.preview(offset & ~3)

    def preview(self, offset: int) -> None:
        """Validate the carried capability at `offset` and show the verdict live."""
        req = self.carrying
        if req is None:
            return
        findings = self.session.preview(req, offset, ignore=self.moving)
        self.hexmap.ghost = Ghost(offset, req.size, verdict(findings))
        self.query_one(VerdictPanel).update(findings_view(f"{req.name} at {offset:#05x}", findings))

    def drop(self, offset: int) -> None:
        req = self.carrying
        if req is None:
            return
        findings = self.session.preview(req, offset, ignore=self.moving)
        if verdict(findings) == "collision":
            self.say(f"{req.name} at {offset:#05x} collides: not placed", severity="error")
            self.query_one(VerdictPanel).update(findings_view(f"refused: {req.name} at {offset:#05x}", findings))
            self._end_carry()
            return
        if self.moving is not None:
            self.session.move(self.moving, offset)
        else:
            self.session.add(req, offset)
        self.say(f"{req.name} placed at {offset:#05x} ({verdict(findings)})")
        self._end_carry()
        self.refresh_all()
        self.query_one(VerdictPanel).update(findings_view(f"{req.name} at {offset:#05x}", findings))

    def _end_carry(self) -> None:
        self.carrying, self.moving = None, None
        self.hexmap.ghost = None

    # ------------------------------------------------------------ keyboard path

    @on(CapBlock.PickedUp)
    def _picked_up(self, event: CapBlock.PickedUp) -> None:
        self.palette_choice = event.block.request
        self.pick(event.block.request)

    def pick(self, request: VcapRequest, moving: int | None = None) -> None:
        self.carrying, self.moving = request, moving
        self.hexmap.focus()
        self.hexmap.cursor = self.hexmap.cursor & ~3
        self.preview(self.hexmap.cursor)

    def action_pick_up(self) -> None:
        focused = self.focused
        req = focused.request if isinstance(focused, CapBlock) else (self.palette_choice or
                                                                      self._default_request())
        self.palette_choice = req
        self.pick(req)

    def _default_request(self) -> VcapRequest:
        return self.query_one("#vcap-pasid", CapBlock).request

    @on(HexMap.CursorMoved)
    def _cursor_moved(self, event: HexMap.CursorMoved) -> None:
        if self.carrying is not None:
            self.preview(event.offset & ~3)
        self.query_one(Inspector).show_byte(self.session.synthesized(), event.offset)

    @on(HexMap.Hovered)
    def _hovered(self, event: HexMap.Hovered) -> None:
        self.query_one(Inspector).show_byte(self.session.synthesized(), event.offset)

    @on(HexMap.Activated)
    def _activated(self, event: HexMap.Activated) -> None:
        if self.carrying is not None:
            self.drop(event.offset & ~3)
        else:
            self._select_at(event.offset)

    @on(HexMap.Clicked)
    def _clicked(self, event: HexMap.Clicked) -> None:
        if self.carrying is None:
            self._select_at(event.offset)

    def _select_at(self, offset: int) -> None:
        layout = self.session.synthesized()
        region = layout.region_at(offset)
        if region.capability is not None:
            self.select_capability(region.capability, scroll=False)

    def action_cancel(self) -> None:
        for block in self.query(CapBlock):
            block.cancel()
        if self.carrying is not None:
            self.say("cancelled")
        self._end_carry()
        self.query_one(VerdictPanel).idle("drag a virtual capability onto the map, or press p")

    def action_move_placed(self) -> None:
        index = self.session.placed_at(self.hexmap.cursor)
        if index is None:
            self.say("no virtual capability under the cursor", severity="warning")
            return
        self.hexmap.cursor = self.session.placed[index].request.offset
        self.pick(self.session.placed[index].request, moving=index)

    def action_remove_placed(self) -> None:
        index = self.session.placed_at(self.hexmap.cursor)
        if index is None:
            self.say("no virtual capability under the cursor", severity="warning")
            return
        name = self.session.placed[index].request.name
        self.session.remove(index)
        self.refresh_all()
        self.say(f"{name} removed")

    def action_auto(self) -> None:
        focused = self.focused
        req = focused.request if isinstance(focused, CapBlock) else (self.palette_choice or
                                                                      self._default_request())
        result = self.session.auto(req)
        self.query_one(VerdictPanel).update(placement_view(result))
        if result.offset is None:
            self.say(f"no safe slot for {req.name}", severity="error")
            return
        self.refresh_all()
        self.hexmap.cursor = result.offset
        self.say(f"{req.name} auto-placed at {result.offset:#05x} by {result.chosen_by} ({result.rule})")

    def action_undo(self) -> None:
        if self.session.undo():
            self.refresh_all()
            self.say("undone")

    def action_redo(self) -> None:
        if self.session.redo():
            self.refresh_all()
            self.say("redone")

    # ------------------------------------------------------------ chain, views, devices

    @on(ChainPanel.Selected)
    def _chain_selected(self, event: ChainPanel.Selected) -> None:
        if not getattr(self, "painted", True):  # decoding registers can wait for the first frame
            self.call_after_refresh(self.select_capability, event.index, False)
            return
        self.select_capability(event.index)

    def select_capability(self, index: int, scroll: bool = True) -> None:
        layout = self.session.synthesized()
        if not 0 <= index < len(layout.capabilities):
            return
        self.selected_cap = index
        cap = layout.capabilities[index]
        self.hexmap.selected = (cap.offset, cap.offset + cap.size)
        if scroll:
            self.hexmap.scroll_to_offset(cap.offset, center=True)
        self.query_one(Inspector).show_capability(layout, index)

    def action_toggle_order(self) -> None:
        self.query_one(ChainPanel).toggle_order()

    def action_cycle_view(self) -> None:
        i = VIEWS.index(self.session.view_name)
        self.set_view(VIEWS[(i + 1) % len(VIEWS)])

    def set_view(self, name: str) -> None:
        self.session.view_name = name
        self.selected_cap = None
        self.hexmap.selected = None
        self.refresh_all()
        self.say(f"view: {name}")

    def action_pick_device(self) -> None:
        def chosen(index: int | None) -> None:
            if index is not None:
                self.session.select_device(index)
                self.selected_cap = None
                self.hexmap.selected = None
                self.refresh_all()

        self.push_screen(DevicePicker(self.session.devices), chosen)

    def action_goto(self) -> None:
        def go(offset: int | None) -> None:
            if offset is not None:
                self.hexmap.cursor = offset
                self.hexmap.scroll_to_offset(offset, center=True)

        self.push_screen(GotoScreen(), go)

    def action_open(self, error: str = "") -> None:
        def opened(path: str | None) -> None:
            if not path:
                return
            from core.sources import load

            try:
                devices = load(path)
            except DumpError as exc:
                self.action_open(str(exc))
                return
            self.session = Session(devices, view_name=self.session.view_name,
                                   target=self.session.target, table=self.session.table)
            self.path = path
            self.selected_cap = None
            self.hexmap.selected = None
            self.refresh_all()
            if len(devices) > 1:
                self.action_pick_device()

        self.push_screen(OpenScreen(error), opened)

    def action_plan_file(self, error: str = "") -> None:
        """Keep the placements in a plan file, as `capslot tui --plan FILE` does: a file that
        exists is loaded (refused, and never overwritten, if it is corrupt, newer or for another
        device); from then on every change is saved to it."""
        def chosen(path: str | None) -> None:
            if not path:
                return
            s = self.session
            try:
                s.use_plan_file(path)
                s.save_plan()
            except (DumpError, OSError) as exc:
                self.action_plan_file(str(exc))
                return
            self.refresh_all()
            self.say(f"plan file {printable(path)}: {len(s.placed)} placed; every change is saved to it")

        self.push_screen(OpenScreen(error, "plan file: loaded if it exists, then every change is "
                                           "saved to it (the capslot place --json shape)"), chosen)

    def action_export(self) -> None:
        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            fmt, path = answer
            try:
                write_atomic(path, self.export_bytes(fmt))
            except (OSError, DumpError) as exc:
                self.say(f"export failed: {printable(str(exc))}", severity="error")
                return
            self.say(f"exported {fmt} to {printable(path)}")

        self.push_screen(ExportScreen(), chosen)

    def export_bytes(self, fmt: str) -> bytes:
        s = self.session
        if fmt.startswith("map-"):
            from tui.render import export_map

            from core.plan import verdict_lines

            lines = verdict_lines(s.plan()) if s.placed else []
            text = export_map([(s.synthesized(), lines)], fmt[4:])
            return text.encode("ascii" if fmt == "map-text" else "utf-8")
        if fmt == "screenshot":
            return self.export_screenshot().encode("utf-8")
        try:
            return s.plan().export(fmt)
        except Refused as refused:
            raise DumpError("export", "; ".join(refused.lines)) from None

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen  # Markdown is imported only when asked for

        self.push_screen(HelpScreen())

    # ------------------------------------------------------------ command palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in VIEWS:
            yield SystemCommand(f"View: {name}", f"show what {name} sees", lambda n=name: self.set_view(n))
        for title, help_text, action in (
                ("Pick up a virtual capability", "keyboard placement: arrows, Enter, Escape", self.action_pick_up),
                ("Auto-place", "place the selected virtual capability by the auto rules", self.action_auto),
                ("Move placed capability", "pick up the one under the cursor", self.action_move_placed),
                ("Remove placed capability", "remove the one under the cursor", self.action_remove_placed),
                ("Undo", "undo the last placement change", self.action_undo),
                ("Redo", "redo", self.action_redo),
                ("Go to offset", "move the cursor", self.action_goto),
                ("Toggle chain order", "chain order / address order", self.action_toggle_order),
                ("Export", "QEMU property, lspci text, binary, JSON, the map, a screenshot", self.action_export),
                ("Open dump", "read another file", self.action_open),
                ("Plan file", "load placements from a plan file and save every change to it",
                 self.action_plan_file),
                ("Pick device", "of a multi-device file", self.action_pick_device),
                ("Help", "keys, colours, the extended capability layout", self.action_help)):
            yield SystemCommand(title, help_text, action)
