"""The explorer's screen: the map, the chain, the palette, the inspector, the verdict and the
legend, each built once (what the layout hides at start, the first time a layout shows it),
and the actions on them.

State is one immutable value, `Session.state` (tui/session.py), replaced whole by every
action. The screen mirrors it in a reactive (`state`): its watcher draws again what depends
on what changed (map, chain, inspector, titles), so an action only changes the session and
says what it did. Widgets post messages up; attributes go down.

The three layouts (wide, medium, narrow; `layout_mode`) and a terminal too small for any are
classes on this screen (`-wide`, `-medium`, `-narrow`, `-tiny`) that tui/app.tcss turns into
places and sizes, as Textual's breakpoints do: a resize never rebuilds anything, so the
drawer's tab, the map's scroll and cursor and a carried capability stay as they are.
"""

from __future__ import annotations

import functools
import io
import os
import threading
from collections.abc import Callable

from rich.console import Console, RenderableType
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Footer, Static

from capslot.core.layout import Layout
from capslot.core.placement.validate import verdict
from capslot.core.placement.vcaps import VcapRequest
from capslot.core.plan import Refused
from capslot.core.planfile import PlanConflict
from capslot.core.space import DumpError
from capslot.core.text import printable
from capslot.core.views import VIEWS
from capslot.core.views.vmms import VMMS
from capslot.core.verdicts import Verdict
from capslot.tui.colours import VERDICT_STYLE
from capslot.tui.safe import content
from capslot.tui.session import Session, State
from capslot.tui.widgets.chain import ChainPanel
from capslot.tui.widgets.hexmap import Ghost, HexMap
from capslot.tui.widgets.inspector import Inspector, structure_extent, structure_key
from capslot.tui.widgets.legend import Legend
from capslot.tui.widgets.palette import Palette
from capslot.tui.widgets.paneltabs import PanelTabs
from capslot.tui.widgets.titlebar import TitleBar
from capslot.tui.widgets.verdict import (VerdictLine, VerdictPanel, findings_line, findings_view,
                                         placement_line, placement_view, plan_view)

EDGE_ROWS = 1  # a drag this close to the map's top or bottom scrolls it

# The layouts, chosen by the terminal's size (columns, rows):
#   wide    map, palette strip | chain | verdict, inspector, legend
#   medium  map, verdict line, palette strip | one tabbed side panel
#   narrow  full-width map, verdict line, palette strip, tabbed drawer below
# The map needs 58 columns for its 16 bytes a row (with border and scroll bar).
MIN_SIZE = (60, 18)
WIDE_SIZE = (160, 40)
MEDIUM_WIDTH = 110
MODES = ("tiny", "narrow", "medium", "wide")
# The panels behind keys 1-4 (tabs in the medium and narrow layouts).
PANELS = ("chain", "inspector", "verdict", "legend")
IDLE = "drag a virtual capability onto the map, or press p"
PANEL_GROUP = Binding.Group("panels", compact=True)
# What the map, the chain and the inspector draw: a change to any of these draws them again
# (a plan file written, or a problem with it, changes only the titles).
DRAWN = ("devices", "index", "view_name", "target", "table", "ranges", "layout_only", "placed")
# What the placements are judged against: a change to any of these judges them again (a
# change to the placements themselves shows its own verdict: the action's).
JUDGED = ("devices", "index", "view_name", "target", "table", "ranges", "layout_only")
# What each container holds, in order. The parts a layout hides (the verdict's line and the
# tabs in the wide layout; the panels not shown as a tab in the others) are mounted the first
# time a layout shows them (`_mount_parts`): fewer widgets to style and lay out for the first
# frame (issue 23). The map, the palette and the chain are always there.
PARTS = {"center": ("map", "verdict-line", "palette"),
         "panels": ("panel-tabs", "chain", "verdict", "inspector", "legend")}
HEADED = ("medium", "wide")  # the layouts with the title line (app.tcss hides it in the others)


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


def while_map_shown(handler: Callable[..., None]) -> Callable[..., None]:
    """A handler of a message from the map, the palette or the chain: messages are queued, and
    one may arrive after the terminal became too small to show the map (found by the TUI
    fuzzer). Such a late message is dropped: the map is drawn from the state when it shows
    again."""
    @functools.wraps(handler)
    def guarded(self: ExplorerScreen, event: object) -> None:
        if self.mode != "tiny":
            handler(self, event)

    return guarded


class ExplorerScreen(Screen[None]):
    """The explorer: every widget built once (hidden parts when first shown); layouts by
    classes; the session's state in a reactive whose watcher draws what changed."""

    BINDINGS = [
        Binding("q", "quit_main", "quit", tooltip="quit (from the main screen; ctrl+q quits from anywhere)"),
        Binding("f1,question_mark", "help", "help", key_display="F1",
                tooltip="this help (also ?)"),
        *[Binding(str(n), f"panel('{name}')", name, group=PANEL_GROUP,
                  tooltip=f"show the {name} panel" + (" (and browse it: arrows move the map's cursor "
                                                      "to each structure)" if name == "chain" else ""))
          for n, name in enumerate(PANELS, 1)],
        Binding("p", "pick_up", "pick up",
                tooltip="pick up a virtual capability (PASID, or the palette's selected entry when "
                        "the palette has the focus): its ghost starts where auto placement would "
                        "put it; arrows move it by DWORDs, PgUp/PgDn by 0x100, Enter drops, Escape "
                        "cancels"),
        Binding("g", "goto", "go to", tooltip="go to an offset"),
        Binding("v", "cycle_view", "view", tooltip="switch view: hardware, vfio, guest"),
        Binding("V", "cycle_vmm", "VMM", show=False,
                tooltip="switch the VMM verdicts are about: qemu, cloud-hypervisor, openvmm, ..."),
        Binding("L", "toggle_layout_only", "layout only", show=False,
                tooltip="judge the offsets alone (teaching, a custom VMM), or again whether the "
                        "guest gets a working capability"),
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
        Binding("ctrl+q", "app.quit", "quit", priority=True, show=False, tooltip="quit"),
    ]

    state: var[State | None] = var(None, init=False)  # the session's, mirrored (see `sync`)

    def __init__(self, session: Session, path: str = "") -> None:
        super().__init__()
        self.session = session
        self.path = path
        self.mode = ""
        self.carrying: VcapRequest | None = None
        self.moving: int | None = None  # index of the placed capability being moved
        self.palette_choice: VcapRequest | None = None
        self.verdict_now: tuple[RenderableType, Text] = (Text(IDLE, style="dim"), Text(IDLE, style="dim"))
        self._previewed: tuple | None = None  # what the verdict shows while carrying (see preview)
        self.shown_panel = "chain"  # the panel the tabs show (medium and narrow layouts)
        self._resumed = False  # whether the screen has been shown (see on_screen_resume)

    # ------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        # the layout's classes before anything is styled: the stylesheet is applied once
        width, height = self.app.size
        self.mode = mode = layout_mode(width, height)
        self._classes_for(mode)
        if mode in HEADED:  # the others hide it: mounted when a layout first shows it
            yield TitleBar()
        if mode == "tiny":  # else mounted when the terminal first gets too small (_too_small)
            yield Static(too_small_text(width, height), id="too-small")
        shown = self._parts_for(mode)
        with Vertical(id="center"):
            yield HexMap(id="map")
            if "verdict-line" in shown:
                yield self._make_part("verdict-line")
            yield Palette(id="palette")  # one line under the map
        with Vertical(id="panels"):
            for name in PARTS["panels"]:
                if name in shown or name == "chain":
                    yield self._make_part(name)
        yield Footer(compact=mode != "wide", show_command_palette=mode == "wide")

    def on_mount(self) -> None:
        self.hexmap.focus()
        self.sync()
        self._push_verdict()
        if len(self.session.devices) > 1:
            self.action_pick_device()
        self.report_placed()

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """The first time the screen is shown its widgets were styled a moment ago, as they
        were mounted: Textual's restyle of every widget on resume is left out then (it runs
        before Screen's own handler, which reads `refresh_styles`). Later resumes (back from
        a dialog, a theme changed meanwhile) restyle as always."""
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self, event: events.Resize) -> None:
        self._set_mode(*self.app.size)

    # ------------------------------------------------------------ the parts a layout may hide

    def _parts_for(self, mode: str) -> set[str]:
        """The parts (PARTS) a layout shows, beyond the map, the palette and the chain."""
        if mode == "wide":
            return {"verdict", "inspector", "legend"}
        if mode in ("medium", "narrow"):
            return {"verdict-line", "panel-tabs", self.shown_panel}
        return set()

    def _make_part(self, name: str):
        """A part, as it was composed before parts were mounted when first shown: it draws
        what the explorer shows now (the verdict, the cursor's byte)."""
        classes = "panel -shown" if name == self.shown_panel else "panel"
        if name == "verdict-line":
            line = VerdictLine(id="verdict-line")
            line.update(self.verdict_now[1].copy())
            return line
        if name == "panel-tabs":
            return PanelTabs([(f"tab-{n}", f"{i} {n}") for i, n in enumerate(PANELS, 1)],
                             active=f"tab-{self.shown_panel}", id="panel-tabs")
        if name == "chain":
            return ChainPanel(id="chain", classes=classes)
        if name == "verdict":
            panel = VerdictPanel(id="verdict", classes=classes)
            panel.update(self.verdict_now[0])
            return panel
        if name == "inspector":
            inspector = Inspector(id="inspector", classes=classes)
            if self.state is not None:  # else drawn with everything else (watch_state)
                inspector.show(self.session.synthesized(), self.hexmap.cursor, self.session.target.vmm)
            return inspector
        return Legend(id="legend", classes=classes)

    def _part(self, name: str):
        """The part `name` if it is mounted, else None."""
        try:
            return self.query_one(f"#{name}")
        except NoMatches:
            return None

    def _mount_parts(self, names: set[str]) -> bool:
        """Mount the parts in `names` not mounted yet, each in its place in its container
        (the focus order is the order in PARTS). False, and nothing mounted, while the
        containers themselves are not mounted yet (a key or a resize before the first frame),
        or no more (the app is closing: Textual mounts nothing then; found by the fuzzer)."""
        containers = [self.query_one(f"#{container}") for container in PARTS]
        if not all(c.is_mounted and c.is_attached for c in containers):
            return False
        for container, order in PARTS.items():
            for i, name in enumerate(order):
                if name not in names or self._part(name) is not None:
                    continue
                before = next((w for n in order[i + 1:] if (w := self._part(n)) is not None), None)
                part = self._make_part(name)
                if before is None:
                    self.query_one(f"#{container}").mount(part)
                else:
                    self.query_one(f"#{container}").mount(part, before=before)
        return True

    def _mount_for_mode(self) -> None:
        if not self._mount_parts(self._parts_for(self.mode)):
            if self.is_attached:
                self.call_after_refresh(self._mount_for_mode)
            return
        if self.mode in HEADED and not self.query(TitleBar):
            self.mount(TitleBar(), before=0)

    def _classes_for(self, mode: str) -> None:
        for name in MODES:
            self.set_class(name == mode, f"-{name}")

    def _too_small(self, text: Text) -> None:
        """Say the terminal is too small: the message's widget is mounted the first time
        (one widget fewer to style and lay out for the first frame of a usable terminal)."""
        try:
            self.query_one("#too-small", Static).update(text)
        except NoMatches:
            if self.is_attached:  # else the app is closing: Textual mounts nothing then
                self.mount(Static(text, id="too-small"), before="#center")

    def _set_mode(self, width: int, height: int) -> None:
        """The layout for this terminal size: classes on the screen (tui/app.tcss), and the
        footer's own form. Nothing is built again."""
        mode = layout_mode(width, height)
        if mode == "tiny":
            self._too_small(too_small_text(width, height))
        if mode == self.mode:
            return
        was, self.mode = self.mode, mode
        self._mount_for_mode()
        self._classes_for(mode)
        footer = self.query_one(Footer)
        footer.compact = mode != "wide"
        footer.show_command_palette = mode == "wide"
        if mode == "tiny":
            return
        if self.focused is None:  # back from a terminal too small: the keys go to the map
            self.hexmap.focus()
        if was == "tiny" and self.state is not None:
            self._draw_space()  # what changed while it was too small to show
        self._draw_titles()  # the narrow layout names the target on the map's border


    def report_placed(self) -> None:
        """Placements from a plan file that collide are said (a collision is never written
        into the map): the first one's verdict in the verdict area, each in a notification."""
        if self.mode == "tiny":
            return
        colliding = [p for p in self.session.placements() if p.verdict == Verdict.COLLISION]
        for p in colliding:
            worst = next(f for f in p.findings if f.severity == Verdict.COLLISION)
            self.say(f"{p.vcap.name} at {p.offset or 0:#05x} from the plan collides: {worst.message}",
                     severity="error")
        if colliding:
            self.show_verdict(self._placement_view(colliding[0]), self._placement_line(colliding[0]))
        elif self.session.placed:
            self.show_plan_verdicts()

    def _placement_view(self, p):
        """A placement's verdict: the answer to "will it work?" first (the plan's)."""
        plan = self.session.plan()
        return placement_view(p, plan.feasibility(p), plan.layout_note())

    def _placement_line(self, p):
        return placement_line(p, self.session.plan().feasibility(p))

    def show_plan_verdicts(self) -> None:
        """Every placement re-judged for the current target (after V, v, undo, open...)."""
        plan = self.session.plan()
        first = plan.placements[0] if plan.placements else None
        line = (self._placement_line(first) if first is not None
                else Text(f"verdicts for {plan.describe()}", style="dim"))
        self.show_verdict(plan_view(plan), line)

    # ------------------------------------------------------------ the state, drawn

    def sync(self) -> None:
        """The session's state, mirrored: a new one is drawn by `watch_state` (the same one
        draws nothing)."""
        self.state = self.session.state

    def use_session(self, session: Session) -> None:
        """Another session (another dump opened, a live device picked): drawn from scratch."""
        self.session = session
        self._previewed = None
        self.sync()

    def watch_state(self, old: State | None, new: State | None) -> None:
        """Draw what depends on what changed: the map, the chain and the inspector when the
        device, the view, the target or the placements did; the titles always (a plan file
        written or failing changes only them)."""
        if new is None or self.mode in ("", "tiny"):
            return  # drawn when the screen is mounted, or grows from too small
        if old is None or any(getattr(old, name) is not getattr(new, name) for name in DRAWN):
            self._draw_space()
        self._draw_titles()
        if old is not None and any(getattr(old, name) is not getattr(new, name) for name in JUDGED):
            self.show_plan_verdicts()  # no verdict outlives what it was about

    def _draw_space(self) -> None:
        layout = self.session.synthesized()
        cursor = self.hexmap.cursor
        self.hexmap.show(layout)
        self.query_one(ChainPanel).show(layout, cursor)
        self._follow(layout, cursor)

    def _draw_titles(self) -> None:
        s = self.session
        cs = s.device
        self.app.title = f"capslot  {printable(cs.label())}"
        described = printable(cs.provenance.device_line.split(" ", 1)[-1]) if cs.provenance.device_line else ""
        self.app.sub_title = f"view {s.view_name}, verdicts for {s.plan().describe()}" + (
            f"  device {s.index + 1}/{len(s.devices)}" if len(s.devices) > 1 else "") + (
            f"  {described}" if described else "")
        # Content(...) is plain text: a file name like "[bold]x" must not be read as markup
        name = os.path.basename(cs.provenance.source) or cs.provenance.source
        self.hexmap.border_title = content(f"{name}  [{s.view_name}]")
        # narrow: no header, so the map's border says what the header would (device, target)
        under = (content(f"{cs.label()}  for {s.plan().describe()}") if self.mode == "narrow"
                 else Content(""))
        if s.plan_problem is not None:  # said until a write succeeds
            under = Content.assemble(("plan NOT saved", VERDICT_STYLE[Verdict.WARNING]), " ", under)
        self.hexmap.border_subtitle = under

    @property
    def hexmap(self) -> HexMap:
        return self.query_one(HexMap)

    @property
    def palette(self) -> Palette:
        return self.query_one("#palette", Palette)

    def _follow(self, layout: Layout, offset: int) -> None:
        """The inspector, the chain's highlight and the map's lit rows follow the cursor."""
        inspector = self._part("inspector")
        if inspector is not None:  # else drawn when it is first shown (_make_part)
            inspector.show(layout, offset, self.session.target.vmm)
        self.query_one(ChainPanel).follow(offset)
        self.hexmap.selected = structure_extent(layout, structure_key(layout, offset))

    def say(self, message: str, severity: str = "information") -> None:
        """A notification as plain text: messages quote file names and device text."""
        self.app.notify(printable(message), severity=severity, markup=False)  # type: ignore[arg-type]

    def action_quit_main(self) -> None:
        self.app.exit()

    def action_help(self) -> None:
        self.app.action_help()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the terminal is too small to draw the map, only quitting and help work; and
        none once the app is closing (keys already read are still handled while Textual takes
        the screens down: an Escape held while quitting found the map gone, a traceback)."""
        if not self.app.is_running:
            return False
        return self.mode != "tiny" or action in ("quit_main", "help", "quit")

    # ------------------------------------------------------------ the verdict

    def show_verdict(self, panel: RenderableType, line: Text) -> None:
        self.verdict_now = (panel, line)
        self._previewed = None  # the verdict shown is not a preview's (or a new one's)
        self._push_verdict()

    def clear_verdict(self, hint: str = IDLE) -> None:
        self.show_verdict(Text(hint, style="dim"), Text(hint, style="dim"))

    def _push_verdict(self) -> None:
        panel, line = self.verdict_now
        if (verdict := self._part("verdict")) is not None:  # else drawn when first shown
            verdict.update(panel)
        if (verdict_line := self._part("verdict-line")) is not None:
            verdict_line.update(line.copy())

    # ------------------------------------------------------------ panels

    def action_panel(self, name: str) -> None:
        """Show a panel (its tab, where the panels are tabs) and focus it if it takes keys. In
        the narrow layout, the key of the panel already shown (and focused) closes the
        drawer, and opens it again."""
        if not self._mount_parts({name}):  # the first frame is not shown yet: then
            if self.is_attached:
                self.call_after_refresh(self.action_panel, name)
            return
        widget = self.query_one(f"#{name}")
        if self.mode in ("medium", "narrow"):
            panels, tabs = self.query_one("#panels"), self.query_one("#panel-tabs", PanelTabs)
            shown = tabs.active == f"tab-{name}" and not panels.has_class("-closed")
            if self.mode == "narrow" and shown and (not widget.focusable or widget.has_focus):
                panels.add_class("-closed")
                self.hexmap.focus()
                return
            panels.remove_class("-closed")
            tabs.active = f"tab-{name}"
            self._show_panel(name)
        if widget.focusable and self.carrying is None:  # while carrying, arrows move the ghost
            widget.focus()

    @on(PanelTabs.Activated, "#panel-tabs")
    def _tab_activated(self, event: PanelTabs.Activated) -> None:
        """A tab clicked (or chosen by its key): its panel is the one the tabs show."""
        self._show_panel(event.tab_id.removeprefix("tab-"))

    def _show_panel(self, name: str) -> None:
        self.shown_panel = name
        if not self._mount_parts({name}):
            if self.is_attached:
                self.call_after_refresh(self._show_panel, name)
            return
        for panel in self.query(".panel"):
            panel.set_class(panel.id == name, "-shown")

    # ------------------------------------------------------------ drag and drop

    @on(Palette.DragStarted)
    @while_map_shown
    def _drag_started(self, event: Palette.DragStarted) -> None:
        self.carrying, self.moving = event.request, None
        self.palette_choice = event.request
        name = event.request.name
        self.show_verdict(Text(f"carrying {name}: drop it on the map", style="dim"),
                          Text(f"carrying {name}: drop it on the map", style="dim"))

    @on(Palette.DragMoved)
    @while_map_shown
    def _drag_moved(self, event: Palette.DragMoved) -> None:
        self._preview_at_screen(event.screen_offset)

    @on(Palette.DragEnded)
    @while_map_shown
    def _drag_ended(self, event: Palette.DragEnded) -> None:
        offset = None if event.cancelled else self._map_offset(event.screen_offset)
        if offset is None:
            self.action_cancel()
        else:
            self.drop(offset & ~3)

    def _map_offset(self, screen) -> int | None:
        try:
            widget, _ = self.get_widget_at(*screen)
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
        shown = (self.session.state, req, offset, self.moving)
        if shown == self._previewed:  # a pointer move within the same DWORD: nothing new
            return
        findings = self.session.preview(req, offset, ignore=self.moving)
        self.hexmap.ghost = Ghost(offset, req.size, verdict(findings))
        title = f"{req.name} at {offset:#05x}"
        self.show_verdict(findings_view(title, findings), findings_line(title, findings))
        self._previewed = shown

    def drop(self, offset: int) -> None:
        req = self.carrying
        if req is None:
            return
        findings = self.session.preview(req, offset, ignore=self.moving)
        if verdict(findings) == Verdict.COLLISION:
            self.say(f"{req.name} at {offset:#05x} collides: not placed", severity="error")
            title = f"refused: {req.name} at {offset:#05x}"
            self.show_verdict(findings_view(title, findings), findings_line(title, findings))
            self._end_carry()
            return
        moving = self.moving
        self._end_carry()
        saved = self.saving(lambda: self.session.move(moving, offset) if moving is not None
                            else self.session.add(req, offset))
        # the cursor goes onto what was dropped; the map scrolls only if it is out of view
        self.hexmap.cursor = offset
        self.sync()
        if saved:
            placed = next((p for p in self.session.placements()
                           if p.offset == offset and p.vcap.name == req.name), None)
            answer = self.session.plan().feasibility(placed) if placed is not None else None
            self.say(f"{req.name} placed at {offset:#05x} (layout {verdict(findings)}"
                     + (f"; will it work: {answer.state})" if answer is not None else ")"))
            if placed is not None:  # judged in the plan: "will it work?" first
                self.show_verdict(self._placement_view(placed), self._placement_line(placed))
            else:
                title = f"placed: {req.name} at {offset:#05x}"
                self.show_verdict(findings_view(title, findings), findings_line(title, findings))

    def _end_carry(self) -> None:
        self.carrying, self.moving = None, None
        self._previewed = None  # the next capability carried is judged afresh
        self.hexmap.ghost = None
        self.hexmap.carrying = 0

    # ------------------------------------------------------------ keyboard path

    @on(Palette.PickedUp)
    @while_map_shown
    def _picked_up(self, event: Palette.PickedUp) -> None:
        self.palette_choice = event.request
        self.pick(event.request)

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
        # (a screen binding, not the palette's: one of its own would reorder the footer while
        # the palette has the focus)
        req = self._chosen_request()
        self.palette_choice = req
        self.pick(req)

    def _chosen_request(self) -> VcapRequest:
        """The palette's selected entry when the palette has the focus; else the one chosen
        last (dragged, picked up, auto-placed); else PASID."""
        if self.palette.has_focus:
            return self.palette.selected
        return self.palette_choice or self.palette.request("pasid")

    @on(HexMap.CursorMoved)
    @while_map_shown
    def _cursor_moved(self, event: HexMap.CursorMoved) -> None:
        offset = self.hexmap.cursor  # where it is now (messages coalesce, and may be late)
        if self.carrying is not None:
            self.preview(offset & ~3)
        self._follow(self.session.synthesized(), offset)

    @on(HexMap.Activated)
    @while_map_shown
    def _activated(self, event: HexMap.Activated) -> None:
        if self.carrying is not None:
            self.drop(event.offset & ~3)
        else:
            self.action_panel("inspector")

    def action_cancel(self) -> None:
        self.palette.cancel()
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
        saved = self.saving(lambda: self.session.remove(index))
        self.sync()
        if saved:
            self.clear_verdict(f"{name} removed")
            self.say(f"{name} removed")

    def action_auto(self) -> None:
        """Auto-place the chosen capability: it and the others auto-placed are placed
        together, as `capslot place` places them (the ones the user put down stay)."""
        req = self._chosen_request()
        there = self.session.already(req)
        if there is not None:
            at = there.request.offset or 0
            self.say(f"{req.name} is already placed at {at:#05x} (a function has one of each; "
                     "m moves it, x removes it)", severity="warning")
            self.hexmap.cursor = at
            self.hexmap.scroll_to_offset(at)
            return
        before = {s.request.name: s.request.offset for s in self.session.placed}
        result = None

        def change() -> None:
            nonlocal result
            result = self.session.auto(req)

        saved = self.saving(change)
        if result is None:
            return
        if result.offset is None:
            self.show_verdict(self._placement_view(result), self._placement_line(result))
            why = result.rejected[-1].reason if result.rejected else "no candidate"
            self.say(f"no safe slot for {req.name} ({why})", severity="error")
            return
        at = result.offset
        self.hexmap.cursor = at
        self.sync()
        # the auto placement's own account: why this slot, the alternative, what was rejected
        self.show_verdict(self._placement_view(result), self._placement_line(result))
        if saved:
            answer = self.session.plan().feasibility(result)
            moved = [f"{s.request.name} to {s.request.offset:#05x}" for s in self.session.placed
                     if s.request.name in before and before[s.request.name] != s.request.offset]
            self.say(f"{req.name} auto-placed at {at:#05x} by {result.chosen_by} ({result.rule})"
                     + (f"; will it work: {answer.state}" if answer is not None else "")
                     + (f"; re-placed with it: {', '.join(moved)}" if moved else ""))

    def action_undo(self) -> None:
        self._step(self.session.can_undo(), self.session.undo, "undone")

    def action_redo(self) -> None:
        self._step(self.session.can_redo(), self.session.redo, "redone")

    def _step(self, possible: bool, step: Callable[[], bool], done: str) -> None:
        if not possible:
            return
        saved = self.saving(step)
        self.sync()
        if saved:
            self.show_plan_verdicts()
            self.say(done)

    # ------------------------------------------------------------ the plan file, when it fails

    def saving(self, change: Callable[[], object]) -> bool:
        """Make a session change, which saves the plan file if there is one. A plan file
        that cannot be written is said (a notification, the verdict area, the map's border)
        and never crashed on: the placements stay here, and ctrl+s saves them elsewhere. One
        that changed on disk asks what to do. False when the change was not saved."""
        self._cancel_move()
        try:
            change()
        except PlanConflict as exc:
            self.plan_unsaved(exc)
            self.ask_conflict()
            return False
        except (DumpError, OSError) as exc:
            self.plan_unsaved(exc)
            return False
        return True

    def plan_unsaved(self, exc: BaseException) -> None:
        why = f"plan not saved: {exc}"
        self.say(why + ". The placements are kept here; ctrl+s saves them to another file.",
                 severity="error")
        line = Text.assemble((" plan not saved ", VERDICT_STYLE[Verdict.WARNING]), " ",
                             (printable(str(exc)), "bold"), ("  ctrl+s: save as another file", "dim"))
        self.show_verdict(line, line.copy())

    def ask_conflict(self) -> None:
        """The plan file changed on disk: overwrite it, save elsewhere, or reload it."""
        from capslot.tui.screens.dialogs import ConflictScreen

        s = self.session
        if s.plan_path is None or any(isinstance(x, ConflictScreen) for x in self.app.screen_stack):
            return
        problem = s.plan_problem
        why = problem.what if isinstance(problem, DumpError) else str(problem)

        def chosen(choice: str | None) -> None:
            if choice == "overwrite":
                if self.saving(lambda: s.save_plan(overwrite=True)):
                    self.say(f"plan file {s.plan_path} overwritten with the placements here")
            elif choice == "save-as":
                self.action_save_plan_as()
            elif choice == "reload":
                self._cancel_move()
                try:
                    s.reload_plan()
                except (DumpError, OSError) as exc:
                    self.say(f"cannot reload the plan: {exc}", severity="error")
                else:
                    self.say(f"reloaded {s.plan_path}: {len(s.placed)} placed (ctrl+z brings "
                             "back the placements you had)")
                    self.clear_verdict("reloaded from disk")
            self.sync()

        self.app.push_screen(ConflictScreen(s.plan_path, why), chosen)

    def action_save_plan_as(self) -> None:
        """Save the placements to another plan file (written over if it exists): after a
        plan file could not be written, or changed on disk."""
        from capslot.tui.screens import reading
        from capslot.tui.screens.dialogs import SAVE_AS_PROMPT, PathScreen

        s = self.session
        plan = s.plan()
        s.plan_document()  # worked out here: the worker only writes

        def job(path: str, cancel: threading.Event) -> str:
            from capslot.core import planfile

            current = planfile.current(path) if reading.regular_or_absent(path) else None
            reading.check(cancel)
            return planfile.write(path, plan, planfile.fingerprint(current))

        def accept(path: str, fingerprint: str) -> str:
            if self.session is s:
                s.saved_to(path, fingerprint)
            return path

        def saved(path: str | None) -> None:
            if path is not None:
                self.sync()
                self.say(f"placements saved to {path}; every change is saved there from now on")
                self.clear_verdict(f"saved to {printable(path)}")

        self.app.push_screen(PathScreen(SAVE_AS_PROMPT, "writing", job, accept, placeholder="plan.json"), saved)

    # ------------------------------------------------------------ chain, views, devices

    @on(ChainPanel.Selected)
    @while_map_shown
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
        self.session.set_view(name)
        self.sync()
        self.say(f"view: {name}")

    def action_toggle_layout_only(self) -> None:
        """--layout-only, in the explorer: the gates of "will it work?" off, or on again."""
        self.session.set_layout_only(not self.session.layout_only)
        self.sync()
        self.say("layout only: the offsets alone are judged" if self.session.layout_only else
                 "judging whether the guest gets a working capability")

    def action_cycle_vmm(self) -> None:
        names = list(VMMS)
        self.set_vmm(names[(names.index(self.session.target.vmm) + 1) % len(names)])

    def set_vmm(self, name: str) -> None:
        """Verdicts are about this VMM's guest from now on (the placements are re-judged)."""
        self.session.set_vmm(name)
        self.sync()
        self.say(f"VMM: {name} ({self.session.plan().describe()})")

    def action_pick_device(self) -> None:
        from capslot.tui.screens.dialogs import DevicePicker, PlanAsideScreen

        session = self.session

        def chosen(index: int | None) -> None:
            if index is not None and self.session is session:
                if index == session.index:
                    return
                self._end_carry_quietly()
                aside = session.select_device(index)
                self.sync()
                if session.plan_path is not None and session.placed:
                    self.say(f"plan file {session.plan_path}: {len(session.placed)} placed")
                if aside is not None:
                    self.app.push_screen(PlanAsideScreen(aside), self._plan_aside)

        self.app.push_screen(DevicePicker(session.devices), chosen)

    def _plan_aside(self, choice: str | None) -> None:
        """After a device switch set the plan file aside: a new plan file, or unsaved."""
        if choice == "new-plan":
            self.action_plan_file()
        else:
            self.say("working unsaved: ctrl+s saves these placements to a new plan file",
                     severity="warning")

    def action_goto(self) -> None:
        from capslot.tui.screens.dialogs import GotoScreen

        def go(offset: int | None) -> None:
            if offset is not None and self.mode != "tiny":
                self.hexmap.cursor = offset
                self.hexmap.scroll_to_offset(offset, center=True)

        self.app.push_screen(GotoScreen(), go)

    def action_open(self) -> None:
        """Another dump, read off the UI thread (a FIFO nobody writes to waits `read_wait`
        seconds at most; Escape cancels): what cannot be read is said in the dialog."""
        from capslot.tui.screens import reading
        from capslot.tui.screens.dialogs import OPEN_PROMPT, PathScreen, PlanAsideScreen

        wait = self.app.read_wait

        def opened(path: str, devices: list) -> tuple[str, list]:
            return path, devices

        def chosen(answer: tuple[str, list] | None) -> None:
            if answer is None:
                return
            path, devices = answer
            self._end_carry_quietly()
            old = self.session  # what the user chose carries over: the target, the table, the
            #                    ranges and whether only the layout is judged
            new = Session.of(old.state.opened(devices))
            # the plan file goes along only if it is this device's (or holds nothing yet)
            aside = new.adopt_plan(old.plan_path or old.set_aside)
            self.path = path
            self.use_session(new)
            if aside is not None and len(devices) == 1:
                self.app.push_screen(PlanAsideScreen(aside), self._plan_aside)
            elif aside is not None:
                self.say(f"{aside} holds another device's plan: kept as it is; working unsaved "
                         "(ctrl+s: a new plan file)", severity="warning")
            if len(devices) > 1:
                self.action_pick_device()

        self.app.push_screen(PathScreen(OPEN_PROMPT, "reading",
                                    lambda path, cancel: reading.read_dump(path, cancel, wait),
                                    opened), chosen)

    def action_plan_file(self) -> None:
        """Keep the placements in a plan file, as `capslot tui --plan FILE` does: a file that
        exists is loaded (refused, and never overwritten, if it is corrupt, newer or for another
        device); from then on every change is saved to it. After a write failed, ctrl+s saves
        the placements elsewhere instead (or asks what to do about a changed plan file)."""
        from capslot.tui.screens import reading
        from capslot.tui.screens.dialogs import PLAN_PROMPT, PathScreen

        s = self.session
        if s.plan_problem is not None:
            if isinstance(s.plan_problem, PlanConflict):
                self.ask_conflict()
            else:
                self.action_save_plan_as()
            return
        device = s.device

        def adopt(path: str, loaded) -> str:
            """On the UI thread: the plan read is kept, and written (refused here, with the
            session as it was, if it cannot be)."""
            if self.session is not s:
                raise DumpError(path, "another dump was opened meanwhile")
            before = s.state
            s.use_plan_file(path, loaded)
            try:
                s.save_plan()
            except (DumpError, OSError):
                s.state = before  # as it was, whole
                raise
            return path

        def chosen(path: str | None) -> None:
            if not path:
                return
            self._end_carry_quietly()
            self.sync()
            self.say(f"plan file {path}: {len(s.placed)} placed; every change is saved to it")
            self.report_placed()

        self.app.push_screen(PathScreen(PLAN_PROMPT, "reading",
                                    lambda path, cancel: reading.read_plan(path, device, cancel),
                                    adopt, placeholder="plan.json"), chosen)

    def action_export(self) -> None:
        from capslot.tui.screens.dialogs import ExportScreen

        def chosen(answer: tuple[str, str] | None) -> None:
            if answer is not None:
                fmt, path = answer
                self.show_plan_verdicts()  # what was exported: the plan, judged now
                self.say(f"exported {fmt} to {path}")

        plan = self.session.plan()
        self.app.push_screen(ExportScreen(self.export_bytes, write_export, plan.qemu_property(),
                                      needs_bdf=not self.session.device.provenance.slot
                                      or plan.guest_dump), chosen)

    def _cancel_move(self) -> None:
        """A move in progress names its capability by its place in the list: a change to
        the placements under it (undo, a removal, another device, a reload) ends it."""
        if self.moving is not None:
            self._end_carry_quietly()
            self.clear_verdict("move cancelled: the placements changed")

    def _end_carry_quietly(self) -> None:
        """A capability carried over a device that is replaced is put down."""
        if self.carrying is not None and self.mode != "tiny":
            self._end_carry()
        self.carrying = self.moving = None

    def export_bytes(self, fmt: str, bdf: str | None = None) -> bytes:
        """One export of the plan (`bdf`: the host address qemu-cmdline and libvirt need when
        the dump names none)."""
        s = self.session
        if fmt.startswith("map-"):
            from capslot.tui.render import export_map

            from capslot.core.plan import verdict_lines

            lines = verdict_lines(s.plan()) if s.placed else []
            text = export_map([(s.synthesized(), lines)], fmt[4:])
            return text.encode("ascii" if fmt == "map-text" else "utf-8")
        if fmt == "screenshot":
            return self.explorer_screenshot().encode("utf-8")
        try:
            return s.plan().export(fmt, bdf=bdf)
        except Refused as refused:
            raise DumpError("export", "; ".join(refused.lines)) from None

    def explorer_screenshot(self) -> str:
        """An SVG of the explorer's own screen, also while the export dialog is over it."""
        width, height = self.app.size
        console = Console(width=width, height=height, file=io.StringIO(), force_terminal=True,
                          color_system="truecolor", record=True, legacy_windows=False, safe_box=False)
        console.print(self._compositor.render_update(full=True, screen_stack=[]))
        return console.export_svg(title=self.app.title)



def write_export(path: str, data: bytes, cancel: threading.Event) -> None:
    """An export (off the UI thread), by the one rule of every output (core.atomic.Output):
    a regular file is replaced atomically, a device or FIFO written in place, never replaced.
    A FIFO nobody reads is refused rather than waited on (the explorer owns the terminal:
    `-` and /dev/stdout would write into its screen, so they are refused too)."""
    from capslot.core.atomic import WriteError, fd_alias, write_output
    from capslot.tui.screens import reading

    if path == "-" or fd_alias(path) is not None:
        raise WriteError(path, "cannot write: the explorer's own terminal (name a file)")
    reading.check(cancel)
    write_output(path, data, wait_for_reader=False)
