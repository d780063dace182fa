"""Live host mode: `capslot` with no argument on a machine with PCI devices in sysfs.

A picker lists the machine's devices (address, IDs, class, bound driver, IOMMU group and
the names lspci would print), says when this user can read only 64 bytes of each, and
shows the highlighted device's upstream path with each port's End-End TLP Prefix support.
Enter opens the device, read-only, in the explorer; `l` there comes back to the list.

Everything shown here comes from sysfs and pci.ids: untrusted text, so it reaches the
screen only as `rich.text.Text` (never markup) with control characters escaped.

Sysfs is read off the UI thread, on daemon threads: a read that blocks (a FIFO in a fake
tree is refused by core.sources.inputs, but a hung device could still stall one) never holds
the screen, and never keeps the process from ending: ctrl+q always quits.
"""

from __future__ import annotations

import contextlib
import threading

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from capslot.core import host, pciids
from capslot.core.pciids import PciIds
from capslot.core.record import replace
from capslot.core.space import DumpError
from capslot.core.text import printable
from capslot.tui.app import CapslotApp
from capslot.tui.safe import rich_text
from capslot.tui.session import Session
from capslot.tui.upstream import path_text

TYPE_CHECKING = False  # `typing` is for the type checker alone here
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

NOT_ROOT = ("Not root: the kernel lets this user read only the first 64 bytes of each "
            "device's config space (the header: no capability is in it). Run as root, or "
            "`sudo capslot`, to read all 4096 bytes.")
READ_ONLY = "Read-only: every sysfs file is opened O_RDONLY; capslot never writes to a device."
COLUMNS = ("BDF", "vendor:device", "class", "driver", "IOMMU group", "name")


def _cell(text: str | None, style: str = "") -> Text:
    return rich_text(text, style) if text else Text("-", style="dim")


class LivePicker(Screen[str | None]):
    """The machine's PCI devices; dismissed with the chosen address (or None)."""

    DEFAULT_CSS = """
    LivePicker #live-note { height: auto; padding: 0 1; color: $text-muted; }
    LivePicker #live-note.not-root { color: $warning; text-style: bold; }
    LivePicker #live-devices { height: 1fr; border: round $primary; }
    LivePicker #live-detail { height: auto; max-height: 50%; border: round $secondary 50%; padding: 0 1; }
    """
    BINDINGS = [Binding("escape", "back", "back")]

    def __init__(self, root: str | None = None, ids: PciIds | None = None,
                 first: bool = False) -> None:
        super().__init__()
        self.root, self.ids, self.first = root, ids or pciids.default(), first
        self.devices: list[host.LiveDevice] = []
        self.chosen = False  # dismissed already: a second Enter must not pop another screen
        self.listed = False  # the list of devices has been read and shown
        self.wanted: str | None = None  # the device whose detail is to be shown

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="live-note")
        yield DataTable(id="live-devices", cursor_type="row", zebra_stripes=True)
        yield Static(id="live-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "capslot  live devices"
        self.sub_title = "Enter opens one read-only" + ("; Escape quits" if self.first else "")
        self.query_one(DataTable).add_columns(*COLUMNS)
        self.query_one("#live-detail", Static).update(Text("reading sysfs ...", style="dim"))
        root = self.root
        self.in_background(lambda: (host.devices(root), host.config_access(root)), self.show_list)
        self.query_one(DataTable).focus()

    def in_background(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """`work` on a daemon thread; `then` with its result (or the exception it raised) on
        the UI thread, if this screen is still up by then."""
        app = self.app

        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - shown on the screen, not lost in a thread
                result = exc
            if app.is_running:
                with contextlib.suppress(RuntimeError):  # the app ended meanwhile
                    app.call_from_thread(then, result)

        threading.Thread(target=run, name="capslot-sysfs", daemon=True).start()

    def show_list(self, result: tuple[list[host.LiveDevice], int | None] | Exception) -> None:
        if not self.is_attached:
            return
        if isinstance(result, Exception):
            self.listed = True
            self.query_one("#live-detail", Static).update(Text(printable(str(result)), style="red"))
            return
        self.devices, access = result
        note = self.query_one("#live-note", Static)
        limited = access is not None and access <= host.UNPRIVILEGED_BYTES
        note.update(Text(NOT_ROOT if limited else READ_ONLY))
        note.set_class(limited, "not-root")
        table = self.query_one(DataTable)
        for dev in self.devices:
            ident = dev.identity
            ids = f"{ident.vendor:04x}:{ident.device:04x}" if ident else None
            cls = pciids.class_text(self.ids, ident.class_code >> 8) if ident else None
            name = None
            if ident is not None:
                name = pciids.device_text(self.ids, ident.vendor, ident.device) + (
                    f" (rev {ident.revision:02x})" if ident.revision else "")
            table.add_row(_cell(dev.slot, "bold"), _cell(ids, "cyan"), _cell(cls),
                          _cell(dev.driver), _cell(dev.iommu_group), _cell(name), key=dev.slot)
        if not self.devices:
            self.query_one("#live-detail", Static).update(Text("no PCI devices in sysfs"))
        self.listed = True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        slot = event.row_key.value
        if slot is not None:
            self.wanted = slot
            self.in_background(lambda: self.detail(slot), lambda text: self.show_detail(slot, text))

    def show_detail(self, slot: str, text: Text | Exception) -> None:
        """The detail read for `slot`, unless another row is highlighted since."""
        if self.is_attached and self.wanted == slot:
            if isinstance(text, Exception):
                text = Text(printable(str(text)), style="red")
            self.query_one("#live-detail", Static).update(text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.choose(event.row_key.value)

    def action_back(self) -> None:
        self.choose(None)

    def choose(self, slot: str | None) -> None:
        """Dismiss with `slot`, once."""
        if not self.chosen and self.app.screen is self:
            self.chosen = True
            self.dismiss(slot)

    def detail(self, slot: str) -> Text:
        """The device as lspci names it, what sysfs says of it, and its upstream path."""
        try:
            dev = host.device(slot, self.root)
            path = host.upstream_path(slot, self.root)
        except DumpError as exc:
            return Text(printable(str(exc)), style="red")
        t = Text()
        t.append(printable(dev.name_line(self.ids)), "bold")
        ident = dev.identity
        if ident is not None and ident.subsystem_vendor:
            t.append("\nSubsystem: " + printable(pciids.subsystem_text(
                self.ids, ident.vendor, ident.device, ident.subsystem_vendor,
                ident.subsystem_device or 0)))
        t.append(f"\ndriver {printable(dev.driver or 'none')}, IOMMU group "
                 f"{printable(dev.iommu_group or 'none')}, config space "
                 f"{dev.config_size if dev.config_size is not None else '?'} bytes\n", "dim")
        t.append_text(path_text(path))
        return t


class LiveApp(CapslotApp):
    """The explorer with the live picker in front: shown at start (Escape there quits), and
    again with `l`. The chosen device replaces the one shown, as opening a file does."""

    BINDINGS = [Binding("l", "live", "live devices")]

    def __init__(self, session: Session, path: str = "", root: str | None = None,
                 ids: PciIds | None = None, plan: str | None = None) -> None:
        super().__init__(session, path)
        self.root, self.ids, self.opened = root, ids, False
        self.plan = plan  # --plan: checked against each device picked, never the sample

    def on_mount(self) -> None:
        # CapslotApp.on_mount runs too (Textual calls each class's handler): push after it
        self.call_later(self.action_live)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Over the picker only quitting, help and the palette apply: the explorer's keys
        would act on a device no one sees."""
        if isinstance(self.screen, LivePicker) and action not in ("quit", "help", "command_palette"):
            return False
        return super().check_action(action, parameters)

    def action_live(self) -> None:
        self.push_screen(LivePicker(self.root, self.ids, first=not self.opened), self.open_live)

    def open_live(self, slot: str | None) -> None:
        if slot is None:
            if not self.opened:
                self.exit()
            return
        from capslot.core.sources import load

        try:
            devices = load(f"sysfs:{slot}")
        except DumpError as exc:
            self.say(str(exc), "error")
            self.action_live()
            return
        ids = self.ids or pciids.default()
        # the explorer's title shows the lspci name line
        named = [replace(cs, provenance=replace(cs.provenance,
                                                device_line=host.describe(cs, ids, self.root)))
                 for cs in devices]
        s = self.session
        self.session = Session.of(s.state.opened(named))
        aside = self.session.adopt_plan(s.plan_path or s.set_aside or self.plan)  # this device's only
        if aside is not None:
            self.say(f"{aside} is not this device's plan: left untouched; working unsaved "
                     "(ctrl+s saves to a new plan file)", "warning")
        self.path = f"sysfs:{slot}"
        self.opened = True
        self.hexmap.selected = None
        self.refresh_all()
        if devices[0].captured <= host.UNPRIVILEGED_BYTES:
            self.say(NOT_ROOT, "warning")
