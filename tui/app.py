"""The explorer's application: `capslot`, `capslot tui DUMP`, `make run`.

A thin App, as Textual's larger applications keep theirs: what is global (quitting, help,
the command palette and its commands, themes, the garbage collector's freeze). The explorer
itself, its widgets, layouts and actions, is a screen (tui/screens/explorer.py), the first
on the stack; dialogs are pushed over it. Screens not shown at first paint (dialogs, the
command palette, help) are imported when they open.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from capslot.core.views import VIEWS
from capslot.core.views.vmms import VMMS
from capslot.tui import collector, csscache
from capslot.tui.screens import reading
from capslot.tui.screens.explorer import (EDGE_ROWS, IDLE, MIN_SIZE, PANELS, WIDE_SIZE, ExplorerScreen,
                                          layout_mode, too_small_text, write_export)
from capslot.tui.session import Session
from capslot.tui.widgets.hexmap import HexMap
from capslot.tui.widgets.palette import Palette

__all__ = ["EDGE_ROWS", "IDLE", "MIN_SIZE", "PANELS", "WIDE_SIZE", "CapslotApp", "layout_mode",
           "too_small_text", "write_export"]

# Textual's own actions that write files wherever their arguments say. Nothing in the explorer
# runs them (export writes screenshots), so a markup link that slipped through cannot either.
NEVER = {"screenshot"}


class CapslotApp(App[None]):
    CSS_PATH = str(Path(__file__).with_name("app.tcss"))  # absolute: subclasses live anywhere
    TITLE = "capslot"
    ALLOW_SELECT = False
    BINDINGS = [
        Binding("f1,question_mark", "help", "help", key_display="F1", show=False,
                tooltip="this help (also ?), from anywhere"),
        Binding("ctrl+q", "quit", "quit", priority=True, show=False, tooltip="quit"),
    ]

    def __init__(self, session: Session, path: str = "") -> None:
        csscache.install()  # Textual's parsed CSS, kept between runs (tui/csscache.py)
        super().__init__()
        self._session = session  # until the explorer's screen holds it
        self._path = path
        self.read_wait = reading.WAIT  # the longest wait for a FIFO's next bytes (o, ctrl+s)

    def get_default_screen(self) -> Screen:
        return ExplorerScreen(self._session, self._path)

    def on_load(self) -> None:
        collector.hold()  # until the first frame is shown (tui/collector.py)

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_paint_done)

    def _first_paint_done(self) -> None:
        # Everything built so far (Textual, the registry, the device, every widget: a resize
        # builds nothing) lives as long as the app. Moving it out of the collector's reach
        # stops full collections from scanning it: the worst drag step fell from 40-70 ms (a
        # collection mid-drag) to about 10 ms (benchmarks/tui_speed.py, max of 200 steps).
        # The few cycles left while the collector was held (some 1,300 objects) go with it.
        gc.freeze()
        collector.release()
        csscache.save()  # the parses of this first frame, for the next start

    def on_unmount(self) -> None:
        gc.unfreeze()  # the app's objects may be collected again once it is gone
        collector.release()  # also after an app that ended before its first frame
        csscache.save()  # what was parsed since the first frame (dialogs, help, a theme)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in NEVER or not self.is_running:  # closing: see ExplorerScreen.check_action
            return False
        return super().check_action(action, parameters)

    async def on_event(self, event: events.Event) -> None:
        """Keys read before the app began to close are dropped once it is closing: Textual
        would look them up on a screen stack it has already emptied (ScreenStackError)."""
        if isinstance(event, events.Key) and not self.is_running:
            return
        await super().on_event(event)

    def exit(self, *args, **kw) -> None:  # type: ignore[override]
        """Quitting stops every file job at once (a dialog reading a FIFO): the process
        cannot end while a worker thread still runs."""
        dialogs = sys.modules.get("capslot.tui.screens.dialogs")  # imported when one opens
        for screen in self.screen_stack if dialogs is not None else ():
            if isinstance(screen, dialogs.Dialog):
                screen.cancel.set()
        super().exit(*args, **kw)

    # ------------------------------------------------------------ the explorer, from outside

    @property
    def main(self) -> ExplorerScreen:
        """The explorer's own screen, under any dialog (the app's queries go to the top one)."""
        return self.screen_stack[0]  # type: ignore[return-value]

    def _explorer(self) -> ExplorerScreen | None:
        stack = self.screen_stack  # empty until the app runs
        return stack[0] if stack and isinstance(stack[0], ExplorerScreen) else None

    @property
    def session(self) -> Session:
        explorer = self._explorer()
        return explorer.session if explorer is not None else self._session

    @session.setter
    def session(self, session: Session) -> None:
        explorer = self._explorer()
        if explorer is None:
            self._session = session
        else:
            explorer.use_session(session)

    @property
    def path(self) -> str:
        explorer = self._explorer()
        return explorer.path if explorer is not None else self._path

    @path.setter
    def path(self, path: str) -> None:
        explorer = self._explorer()
        if explorer is None:
            self._path = path
        else:
            explorer.path = path

    @property
    def mode(self) -> str:
        return self.main.mode

    @property
    def hexmap(self) -> HexMap:
        return self.main.hexmap

    @property
    def carrying(self):
        return self.main.carrying

    @property
    def moving(self) -> int | None:
        return self.main.moving

    def say(self, message: str, severity: str = "information") -> None:
        self.main.say(message, severity)

    def refresh_all(self) -> None:
        """Show the session's state (after a change made from outside the screen)."""
        self.main.sync()

    def drop(self, offset: int) -> None:
        self.main.drop(offset)

    def export_bytes(self, fmt: str, bdf: str | None = None) -> bytes:
        return self.main.export_bytes(fmt, bdf)

    # ------------------------------------------------------------ help and the command palette

    def action_help(self) -> None:
        from capslot.tui.screens.help import HelpScreen

        palette = Binding("ctrl+p", "command_palette", tooltip="every command, searchable")
        self.push_screen(HelpScreen([("explorer", [*ExplorerScreen.BINDINGS, palette]),
                                     ("the map", HexMap.BINDINGS), ("the palette", Palette.BINDINGS)]))

    def action_command_palette(self) -> None:
        """ctrl+p: Textual's command palette, made to close once (tui/screens/commands.py)."""
        from capslot.tui.screens.commands import CommandsOnce

        if self.use_command_palette and not CommandsOnce.is_open(self):
            self.push_screen(CommandsOnce(id="--command-palette"))

    def search_themes(self) -> None:
        """The palette's "Change theme": its own palette, made to close once as well (Textual
        pushes a plain CommandPalette; a click beside it then popped the explorer: fuzzer)."""
        from textual.theme import ThemeProvider

        from capslot.tui.screens.commands import CommandsOnce

        if not CommandsOnce.is_open(self):
            self.push_screen(CommandsOnce(providers=[ThemeProvider], placeholder="Search for themes…"))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        main = self.main
        for name in VIEWS:
            yield SystemCommand(f"View: {name}", f"show what {name} sees",
                                self._on_main(lambda n=name: main.set_view(n)))
        for name, vmm in VMMS.items():
            yield SystemCommand(f"VMM: {name}", f"judge placements for a {vmm.label} guest",
                                self._on_main(lambda n=name: main.set_vmm(n)))
        for title, help_text, action in (
                ("Pick up a virtual capability", "keyboard placement: arrows, Enter, Escape", main.action_pick_up),
                ("Auto-place", "place the selected virtual capability by the auto rules", main.action_auto),
                ("Move placed capability", "pick up the one under the cursor", main.action_move_placed),
                ("Remove placed capability", "remove the one under the cursor", main.action_remove_placed),
                ("Undo", "undo the last placement change", main.action_undo),
                ("Redo", "redo", main.action_redo),
                ("Go to offset", "move the cursor", main.action_goto),
                ("Layout only", "judge the offsets alone, or whether the guest gets a working "
                 "capability (L)", main.action_toggle_layout_only),
                ("Toggle chain order", "chain order / address order", main.action_toggle_order),
                ("Export", "QEMU property, lspci text, binary, JSON, the map, a screenshot", main.action_export),
                ("Open dump", "read another file", main.action_open),
                ("Plan file", "load placements from a plan file and save every change to it",
                 main.action_plan_file),
                ("Save plan as", "save the placements to another plan file", main.action_save_plan_as),
                ("Pick device", "of a multi-device file", main.action_pick_device),
                ("Help", "keys, colours, the extended capability layout", self.action_help)):
            yield SystemCommand(title, help_text, self._on_main(action))

    def _on_main(self, run: Callable[[], object]) -> Callable[[], None]:
        """A palette command runs as its key would: on the explorer's screen only, and not
        while the terminal is too small (the palette can open over a dialog, and there)."""
        def guarded() -> None:
            if self.mode == "tiny" or len(self.screen_stack) > 1:
                self.say("not here: close the dialog first, or make the terminal larger",
                         severity="warning")
                return
            run()

        return guarded
