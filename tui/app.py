"""The explorer: `capslot`, `capslot tui DUMP`, `make run`.

State lives in `Session` (tui/session.py); widgets only draw what they are given and post
messages up; the app turns messages into session changes and pushes the results down.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from collections.abc import Iterable

from rich.console import RenderableType
from rich.text import Text
from textual import events, on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane

from core.atomic import write_atomic
from core.layout import Layout
from core.placement.validate import verdict
from core.plan import Refused
from core.placement.vcaps import VcapRequest
from core.space import DumpError
from core.text import printable
from core.views import VIEWS
from core.views.vmms import VMMS
from tui.screens.dialogs import DevicePicker, ExportScreen, GotoScreen, OpenScreen
from tui.session import Session
from tui.widgets.chain import ChainPanel
from tui.widgets.hexmap import Ghost, HexMap
from tui.widgets.inspector import Inspector, structure_extent, structure_key
from tui.widgets.legend import Legend, legend_text  # noqa: F401 - legend_text: the legend's words
from tui.widgets.palette import CapBlock, Palette
from tui.widgets.verdict import (VerdictLine, VerdictPanel, findings_line, findings_view,
                                 placement_line, placement_view)

EDGE_ROWS = 1  # a drag this close to the map's top or bottom scrolls it

# The layouts, chosen by the terminal's size (columns, rows):
#   wide    chain and palette | map | verdict, inspector, legend
#   medium  map, verdict line, palette strip | one tabbed side panel
#   narrow  full-width map, verdict line, palette strip, tabbed drawer below
# The map needs 58 columns for its 16 bytes a row (with border and scroll bar).
MIN_SIZE = (60, 18)
WIDE_SIZE = (160, 40)
MEDIUM_WIDTH = 110
# The panels behind keys 1-4 (tabs in the medium and narrow layouts).
PANELS = ("chain", "inspector", "verdict", "legend")
IDLE = "drag a virtual capability onto the map, or press p"
# The explorer's own actions need the main screen's widgets: off while a dialog is open or the
# terminal is too small (their keys then do nothing there; q and ctrl+q always quit).
ANYWHERE = {"quit", "help"}


def layout_mode(width: int, height: int) -> str:
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        return "tiny"
    if width >= WIDE_SIZE[0] and height >= WIDE_SIZE[1]:
        return "wide"
    return "medium" if width >= MEDIUM_WIDTH else "narrow"


def too_small_text(width: int, height: int) -> Text:
    return Text(f"capslot needs at least {MIN_SIZE[0]}x{MIN_SIZE[1]} characters;\n"
                f"this terminal is {width}x{height}.\n\n"
                "Make the window larger (or the font smaller).\nq quits.")


PANEL_GROUP = Binding.Group("panels", compact=True)


class CapslotApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live anywhere
    TITLE = "capslot"
    ALLOW_SELECT = False
    BINDINGS = [
        Binding("q", "quit_main", "quit", tooltip="quit (from the main screen; ctrl+q quits from anywhere)"),
        Binding("f1,question_mark", "help", "help", key_display="F1",
                tooltip="this help (also ?)"),
        *[Binding(str(n), f"panel('{name}')", name, group=PANEL_GROUP,
                  tooltip=f"show the {name} panel" + (" (and browse it: arrows move the map's cursor "
                                                      "to each structure)" if name == "chain" else ""))
          for n, name in enumerate(PANELS, 1)],
        Binding("p", "pick_up", "pick up",
                tooltip="pick up a virtual capability (PASID, or the palette entry in focus): its "
                        "ghost starts where auto placement would put it; arrows move it by DWORDs, "
                        "PgUp/PgDn by 0x100, Enter drops, Escape cancels"),
        Binding("g", "goto", "go to", tooltip="go to an offset"),
        Binding("v", "cycle_view", "view", tooltip="switch view: hardware, vfio, guest"),
        Binding("V", "cycle_vmm", "VMM", show=False,
                tooltip="switch the VMM verdicts are about: qemu, cloud-hypervisor, openvmm, ..."),
        Binding("a", "auto", "auto",
                tooltip="auto-place the palette's selected capability, and say why there"),
        Binding("ctrl+z", "undo", "undo", tooltip="undo the last placement change"),
        Binding("e", "export", "export",
                tooltip="export: QEMU property or command line, libvirt XML, lspci text, binary, "
                        "JSON, the map as text, SVG or HTML, a screenshot"),
        Binding("o", "open", "open", show=False, tooltip="open another dump"),
        Binding("m", "move_placed", "move", show=False,
                tooltip="move the virtual capability under the cursor (as p, from where it is)"),
        Binding("delete", "remove_placed", "remove", show=False,
                tooltip="remove the virtual capability under the cursor"),
        Binding("ctrl+y", "redo", "redo", show=False, tooltip="redo"),
        Binding("escape", "cancel", "cancel", show=False,
                tooltip="cancel a placement; else back to the map"),
        Binding("c", "toggle_order", "order", show=False,
                tooltip="chain panel: chain order or address order"),
        Binding("ctrl+s", "plan_file", "plan file", show=False,
                tooltip="plan file: load the placements from it if it exists, then save every "
                        "change to it"),
        Binding("d", "pick_device", "device", show=False, tooltip="pick a device of a multi-device file"),
        Binding("ctrl+q", "quit", "quit", priority=True, show=False, tooltip="quit"),
    ]

    def __init__(self, session: Session, path: str = "") -> None:
        super().__init__()
        self.session = session
        self.path = path
        self.mode = ""
        self.carrying: VcapRequest | None = None
        self.moving: int | None = None  # index of the placed capability being moved
        self.palette_choice: VcapRequest | None = None
        self.verdict_now: tuple[RenderableType, Text] = (Text(IDLE, style="dim"), Text(IDLE, style="dim"))
        self._layout_size: tuple[int, int] | None = None  # set by a resize, before App sees it
        self._verdict_widgets: list[VerdictPanel | VerdictLine] = []

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        width, height = self._layout_size or self.size
        self.mode = mode = layout_mode(width, height)
        if mode == "tiny":
            yield Static(too_small_text(width, height), id="too-small")
            return
        if mode != "narrow":
            yield Header()
        if mode == "wide":
            with Horizontal(id="main", classes=mode):
                with Vertical(id="left"):
                    yield ChainPanel(id="chain")
                    yield Palette(id="palette")
                yield HexMap(id="map")
                with Vertical(id="right"):
                    yield VerdictPanel(id="verdict")
                    yield Inspector(id="inspector")
                    yield Legend(id="legend")
        else:
            container = Horizontal if mode == "medium" else Vertical
            with container(id="main", classes=mode):
                with Vertical(id="center"):
                    yield HexMap(id="map")
                    yield VerdictLine(id="verdict-line")
                    yield Palette(compact=True, id="palette")
                with TabbedContent(id="panels", initial="tab-chain"):
                    for n, name in enumerate(PANELS, 1):
                        with TabPane(f"{n} {name}", id=f"tab-{name}"):
                            yield {"chain": ChainPanel, "inspector": Inspector, "verdict": VerdictPanel,
                                   "legend": Legend}[name](id=name)
        yield Footer(compact=mode != "wide", show_command_palette=mode == "wide")

    def on_mount(self) -> None:
        self._show_all()
        self.call_after_refresh(self._first_paint_done)
        if len(self.session.devices) > 1:
            self.action_pick_device()

    def _show_all(self, cursor: int = 0, top: int | None = None) -> None:
        """Fill a freshly composed layout from the state (at start, and after a resize that
        changed the layout)."""
        if self.mode == "tiny":
            return
        with self.batch_update():
            self._verdict_widgets = [*self.query(VerdictPanel), *self.query(VerdictLine)]
            hexmap = self.hexmap
            hexmap.focus()
            hexmap.carrying = self.carrying.size if self.carrying is not None else 0
            hexmap.set_reactive(HexMap.cursor, cursor)
            self.refresh_all()
            self._push_verdict()
            if self.carrying is not None:
                self.preview(cursor & ~3)
        if top is not None:
            self.call_after_refresh(hexmap.scroll_to, y=top, animate=False)

    async def on_resize(self, event: events.Resize) -> None:
        mode = layout_mode(event.size.width, event.size.height)
        if mode == self.mode:
            if mode == "tiny":
                self.query_one("#too-small", Static).update(too_small_text(*event.size))
            return
        cursor = top = None
        if self.mode != "tiny":
            cursor, top = self.hexmap.cursor, int(self.hexmap.scroll_offset.y)
        self._layout_size = (event.size.width, event.size.height)
        await self.recompose()
        self._show_all(cursor or 0, top)

    def _first_paint_done(self) -> None:
        # Everything built so far (Textual, the registry, the device) lives as long as the app.
        # Moving it out of the collector's reach stops full collections from scanning it: the
        # worst drag step fell from 40-70 ms (a collection mid-drag) to about 10 ms
        # (benchmarks/tui_speed.py, max of 200 steps).
        gc.freeze()

    def on_unmount(self) -> None:
        gc.unfreeze()  # the app's objects may be collected again once it is gone

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ANYWHERE or action not in MAIN_ACTIONS:
            return super().check_action(action, parameters)
        if len(self.screen_stack) > 1:
            return False
        return self.mode != "tiny" or action == "quit_main"

    def action_quit_main(self) -> None:
        self.exit()

    def say(self, message: str, severity: str = "information") -> None:
        """A notification as plain text: messages quote file names and device text."""
        self.notify(message, severity=severity, markup=False)  # type: ignore[arg-type]

    @property
    def hexmap(self) -> HexMap:
        return self.query_one(HexMap)

    def refresh_all(self) -> None:
        s = self.session
        layout = s.synthesized()
        cursor = self.hexmap.cursor
        self.hexmap.show(layout)
        self.query_one(ChainPanel).show(layout, cursor)
        self._follow(layout, cursor)
        cs = s.device
        self.title = f"capslot  {printable(cs.label())}"
        described = printable(cs.provenance.device_line.split(" ", 1)[-1]) if cs.provenance.device_line else ""
        self.sub_title = f"view {s.view_name}, verdicts for {s.plan().describe()}" + (
            f"  device {s.index + 1}/{len(s.devices)}" if len(s.devices) > 1 else "") + (
            f"  {described}" if described else "")
        # Content(...) is plain text: a file name like "[bold]x" must not be read as markup
        name = os.path.basename(cs.provenance.source) or cs.provenance.source
        self.hexmap.border_title = Content(f"{printable(name)}  [{s.view_name}]")
        if self.mode == "narrow":  # no header there: the device goes under the map
            self.hexmap.border_subtitle = Content(printable(cs.label()))

    def _follow(self, layout: Layout, offset: int) -> None:
        """The inspector, the chain's highlight and the map's lit rows follow the cursor."""
        self.query_one(Inspector).show(layout, offset)
        self.query_one(ChainPanel).follow(offset)
        self.hexmap.selected = structure_extent(layout, structure_key(layout, offset))

    # ------------------------------------------------------------ the verdict

    def show_verdict(self, panel: RenderableType, line: Text) -> None:
        self.verdict_now = (panel, line)
        self._push_verdict()

    def clear_verdict(self, hint: str = IDLE) -> None:
        self.show_verdict(Text(hint, style="dim"), Text(hint, style="dim"))

    def _push_verdict(self) -> None:
        panel, line = self.verdict_now
        for widget in self._verdict_widgets:
            widget.update(panel if isinstance(widget, VerdictPanel) else line.copy())

    # ------------------------------------------------------------ panels

    def action_panel(self, name: str) -> None:
        """Show a panel (its tab, where the panels are tabs) and focus it if it takes keys. In
        the narrow layout, the key of the panel already shown (and focused) closes the
        drawer, and opens it again."""
        widget = self.query_one(f"#{name}")
        if self.mode in ("medium", "narrow"):
            tabs = self.query_one("#panels", TabbedContent)
            shown = tabs.active == f"tab-{name}" and not tabs.has_class("-closed")
            if self.mode == "narrow" and shown and (not widget.focusable or widget.has_focus):
                tabs.add_class("-closed")
                self.hexmap.focus()
                return
            tabs.remove_class("-closed")
            tabs.active = f"tab-{name}"
        if widget.focusable and self.carrying is None:  # while carrying, arrows move the ghost
            widget.focus()

    # ------------------------------------------------------------ drag and drop

    @on(CapBlock.DragStarted)
    def _drag_started(self, event: CapBlock.DragStarted) -> None:
        self.carrying, self.moving = event.block.request, None
        self.palette_choice = event.block.request
        name = event.block.request.name
        self.show_verdict(Text(f"carrying {name}: drop it on the map", style="dim"),
                          Text(f"carrying {name}: drop it on the map", style="dim"))

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
        title = f"{req.name} at {offset:#05x}"
        self.show_verdict(findings_view(title, findings), findings_line(title, findings))

    def drop(self, offset: int) -> None:
        req = self.carrying
        if req is None:
            return
        findings = self.session.preview(req, offset, ignore=self.moving)
        if verdict(findings) == "collision":
            self.say(f"{req.name} at {offset:#05x} collides: not placed", severity="error")
            title = f"refused: {req.name} at {offset:#05x}"
            self.show_verdict(findings_view(title, findings), findings_line(title, findings))
            self._end_carry()
            return
        if self.moving is not None:
            self.session.move(self.moving, offset)
        else:
            self.session.add(req, offset)
        self.say(f"{req.name} placed at {offset:#05x} ({verdict(findings)})")
        self._end_carry()
        # the cursor goes onto what was dropped; the map scrolls only if it is out of view
        self.hexmap.cursor = offset
        self.refresh_all()
        title = f"placed: {req.name} at {offset:#05x}"
        self.show_verdict(findings_view(title, findings), findings_line(title, findings))

    def _end_carry(self) -> None:
        self.carrying, self.moving = None, None
        self.hexmap.ghost = None
        self.hexmap.carrying = 0

    # ------------------------------------------------------------ keyboard path

    @on(CapBlock.PickedUp)
    def _picked_up(self, event: CapBlock.PickedUp) -> None:
        self.palette_choice = event.block.request
        self.pick(event.block.request)

    def pick(self, request: VcapRequest, moving: int | None = None, at: int | None = None) -> None:
        """Carry `request` with the keyboard: the ghost starts at `at`, else where auto
        placement would put it (else its least bad candidate, else the cursor), and moves by
        DWORDs (arrows) and by 0x100 (PgUp/PgDn)."""
        if at is None:
            suggestion = self.session.suggest(request)
            at = suggestion.offset if suggestion.offset is not None else (
                suggestion.least_bad[0] if suggestion.least_bad else self.hexmap.cursor)
        self.carrying, self.moving = request, moving
        hexmap = self.hexmap
        hexmap.focus()
        hexmap.carrying = request.size
        hexmap.cursor = at & ~3
        hexmap.scroll_to_offset(hexmap.cursor)
        self.preview(hexmap.cursor)

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
        offset = self.hexmap.cursor  # where it is now (messages coalesce, and may be late)
        if self.carrying is not None:
            self.preview(offset & ~3)
        self._follow(self.session.synthesized(), offset)

    @on(HexMap.Activated)
    def _activated(self, event: HexMap.Activated) -> None:
        if self.carrying is not None:
            self.drop(event.offset & ~3)
        else:
            self.action_panel("inspector")

    def action_cancel(self) -> None:
        for block in self.query(CapBlock):
            block.cancel()
        if self.carrying is not None:
            self.say("cancelled")
            self._end_carry()
            self.clear_verdict()
        else:
            self.hexmap.focus()

    def action_move_placed(self) -> None:
        index = self.session.placed_at(self.hexmap.cursor)
        if index is None:
            self.say("no virtual capability under the cursor", severity="warning")
            return
        placed = self.session.placed[index].request
        self.pick(placed, moving=index, at=placed.offset)

    def action_remove_placed(self) -> None:
        index = self.session.placed_at(self.hexmap.cursor)
        if index is None:
            self.say("no virtual capability under the cursor", severity="warning")
            return
        name = self.session.placed[index].request.name
        self.session.remove(index)
        self.refresh_all()
        self.clear_verdict(f"{name} removed")
        self.say(f"{name} removed")

    def action_auto(self) -> None:
        focused = self.focused
        req = focused.request if isinstance(focused, CapBlock) else (self.palette_choice or
                                                                      self._default_request())
        result = self.session.auto(req)
        self.show_verdict(placement_view(result), placement_line(result))
        if result.offset is None:
            self.say(f"no safe slot for {req.name}", severity="error")
            return
        self.hexmap.cursor = result.offset
        self.refresh_all()
        self.say(f"{req.name} auto-placed at {result.offset:#05x} by {result.chosen_by} ({result.rule})")

    def action_undo(self) -> None:
        if self.session.undo():
            self.refresh_all()
            self.clear_verdict("undone")
            self.say("undone")

    def action_redo(self) -> None:
        if self.session.redo():
            self.refresh_all()
            self.clear_verdict("redone")
            self.say("redone")

    # ------------------------------------------------------------ chain, views, devices

    @on(ChainPanel.Selected)
    def _chain_selected(self, event: ChainPanel.Selected) -> None:
        """The user highlighted a structure in the chain panel: the cursor goes to it."""
        self.hexmap.cursor = event.offset
        self.hexmap.scroll_to_offset(event.offset, center=True)

    def action_toggle_order(self) -> None:
        self.query_one(ChainPanel).toggle_order(self.hexmap.cursor)

    def action_cycle_view(self) -> None:
        i = VIEWS.index(self.session.view_name)
        self.set_view(VIEWS[(i + 1) % len(VIEWS)])

    def set_view(self, name: str) -> None:
        self.session.view_name = name
        self.refresh_all()
        self.say(f"view: {name}")

    def action_cycle_vmm(self) -> None:
        names = list(VMMS)
        self.set_vmm(names[(names.index(self.session.target.vmm) + 1) % len(names)])

    def set_vmm(self, name: str) -> None:
        """Verdicts are about this VMM's guest from now on (the placements are re-judged)."""
        self.session.set_vmm(name)
        self.refresh_all()
        self.clear_verdict(f"verdicts for {self.session.plan().describe()}")
        self.say(f"VMM: {name} ({self.session.plan().describe()})")

    def action_pick_device(self) -> None:
        def chosen(index: int | None) -> None:
            if index is not None:
                self.session.select_device(index)
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
        from tui.screens.help import HelpScreen

        palette = Binding("ctrl+p", "command_palette", tooltip="every command, searchable")
        self.push_screen(HelpScreen([("explorer", [*self.BINDINGS, palette]),
                                     ("the map", HexMap.BINDINGS)]))

    # ------------------------------------------------------------ command palette

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in VIEWS:
            yield SystemCommand(f"View: {name}", f"show what {name} sees", lambda n=name: self.set_view(n))
        for name, vmm in VMMS.items():
            yield SystemCommand(f"VMM: {name}", f"judge placements for a {vmm.label} guest",
                                lambda n=name: self.set_vmm(n))
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


MAIN_ACTIONS = {b.action.split("(")[0] for b in CapslotApp.BINDINGS}
