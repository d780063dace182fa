"""Small dialogs: go to an offset, open a dump or a plan file, save the plan elsewhere, pick a
device, export, and what to do when the plan file changed on disk.

Every dialog closes once (`Dialog.close`): a second Enter, a double click, or a job finishing
after Escape is ignored, where a second `dismiss` would pop a screen that is not the dialog's.
Files are read and written off the UI thread (`Dialog.run_job`, tui/screens/reading.py): the
dialog says what it is doing, Escape cancels, and a refusal is shown in the dialog. Text from
files and errors reaches the widgets as `Content` (tui/safe.py), never as markup.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from capslot.core.numbers import parse_offset
from capslot.core.space import ConfigSpace, DumpError
from capslot.tui.safe import content
from capslot.tui.screens.reading import Cancelled

T = TypeVar("T")
R = TypeVar("R")


class Dialog(ModalScreen[T], Generic[T]):
    """A modal that dismisses once, and runs file work in a thread worker it can cancel."""

    BINDINGS = [Binding("escape", "close", "cancel")]
    # The dialogs' looks, read by Textual when the first dialog opens: the explorer's first
    # frame parses only tui/app.tcss. Absolute, as CapslotApp.CSS_PATH.
    CSS_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dialogs.tcss")

    def __init__(self) -> None:
        super().__init__()
        self.closed = False  # close() was called: nothing more is submitted
        self._dismissed = False
        self._result: T | None = None
        self.cancel = threading.Event()  # set: the job running stops (reading.SLICE)
        self.job: Worker | None = None
        self._accept: Callable[[Any], T | None] | None = None
        self.errors: list[BaseException] = []  # unexpected exceptions of jobs (shown, kept for tests)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.app.is_running  # closing: keys already read run nothing (ExplorerScreen.check_action)

    # ------------------------------------------------------------ closing once

    def close(self, result: T | None = None) -> None:
        """Dismiss with `result`, the first time only. A dialog covered by another screen
        (F1 over it) dismisses when it is on top again: a dismiss pops the top screen."""
        if self.closed:
            return
        self.closed, self._result = True, result
        self.cancel.set()
        if self._on_top():
            self._dismiss()

    def _on_top(self) -> bool:
        try:
            return self.app.screen is self
        except Exception:  # noqa: BLE001 - no screen at all: the explorer is ending
            return False

    def _dismiss(self) -> None:
        if not self._dismissed:
            self._dismissed = True
            self.dismiss(self._result)

    def on_screen_resume(self) -> None:
        if self.closed:
            self._dismiss()

    def on_unmount(self) -> None:
        self.cancel.set()  # the explorer is quitting: a thread left reading would keep it alive

    def action_close(self) -> None:
        self.close(None)

    # ------------------------------------------------------------ jobs off the UI thread

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.state in (WorkerState.PENDING, WorkerState.RUNNING)

    def run_job(self, doing: str, job: Callable[[threading.Event], R],
                accept: Callable[[R], T | None]) -> None:
        """Run `job(cancel)` in a thread worker, saying `doing` meanwhile; its result goes to
        `accept` (on the UI thread), whose answer closes the dialog. A DumpError or OSError
        from either is shown in the dialog, which stays open. One job at a time: a submit
        while one runs is ignored."""
        if self.closed or self.busy:
            return
        self._accept = accept
        self.show_error("")
        self.show_status(f"{doing}... (Escape cancels)")
        cancel = self.cancel

        def run() -> tuple[bool, Any]:
            """(True, the result) or (False, why it was refused): a refusal is an answer,
            only a bug fails the worker."""
            try:
                return True, job(cancel)
            except Cancelled as exc:
                return False, exc
            except (DumpError, OSError) as exc:
                return False, exc

        self.job = self.run_worker(run, name=doing, group="file", thread=True, exit_on_error=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is not self.job or self.closed:
            return
        if event.state == WorkerState.SUCCESS:
            self.show_status("")
            done, result = event.worker.result
            if not done:
                if not isinstance(result, Cancelled):
                    self.show_error(str(result))
                return
            accept, self._accept = self._accept, None
            try:
                answer = accept(result) if accept else result
            except (DumpError, OSError) as exc:
                self.show_error(str(exc))
                return
            self.close(answer)
        elif event.state == WorkerState.ERROR:  # a bug: said, kept for the tests, not crashed on
            self.show_status("")
            error = event.worker.error
            self.errors.append(error)
            self.show_error(f"internal error: {type(error).__name__}: {error}")

    # ------------------------------------------------------------ status lines

    def show_error(self, text: str) -> None:
        for label in self.query("#error").results(Label):
            label.update(content(text))

    def show_status(self, text: str) -> None:
        for label in self.query("#status").results(Label):
            label.update(content(text))


class Options(OptionList):
    """An OptionList whose page keys are safe before its first layout (Textual 8.2.8 raised
    KeyError there: a dialog opened and paged in one burst of keys, found by the fuzzer)."""

    def action_page_up(self) -> None:
        with contextlib.suppress(KeyError):
            super().action_page_up()

    def action_page_down(self) -> None:
        with contextlib.suppress(KeyError):
            super().action_page_down()


class GotoScreen(Dialog[int | None]):
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("go to offset (hex, or decimal with 0d)")
            yield Input(placeholder="0xff8", id="offset")
            yield Label("", id="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            offset = parse_offset(event.value)
        except ValueError as exc:
            self.show_error(str(exc))
            return
        self.close(offset)


class PathScreen(Dialog[T]):
    """Asks for a path, then runs `job(path, cancel)` off the UI thread and hands its result
    to `accept(path, result)`, whose answer is the dialog's. Refusals are shown here, and
    another path may be tried."""

    def __init__(self, prompt: str, doing: str, job: Callable[[str, threading.Event], Any],
                 accept: Callable[[str, Any], T | None] | None = None, placeholder: str = "path") -> None:
        super().__init__()
        self.prompt, self.doing, self.placeholder = prompt, doing, placeholder
        self._path_job, self._path_accept = job, accept

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt)
            yield Input(placeholder=self.placeholder, id="path")
            yield Label("", id="status")
            yield Label("", id="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        if not path:
            self.show_error("a file name, please")
            return
        accept = self._path_accept
        self.run_job(f"{self.doing} {path}", lambda cancel: self._path_job(path, cancel),
                     (lambda result: accept(path, result)) if accept else (lambda result: result))


OPEN_PROMPT = "open a dump: lspci -x text, binary, hexdump/xxd, .coe, or sysfs:BDF"
PLAN_PROMPT = ("plan file: loaded if it exists, then every change is saved to it (the capslot "
               "place --json shape)")
SAVE_AS_PROMPT = ("save the placements to another plan file (written over if it exists); every "
                  "change is saved there from now on")


class DevicePicker(Dialog[int | None]):
    def __init__(self, devices: list[ConfigSpace]) -> None:
        super().__init__()
        self.devices = devices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"{len(self.devices)} devices in this file: pick one")
            # the device line is a stranger's text: Content, never markup ("[AMD]" stays)
            yield Options(*[Option(content(d.provenance.device_line or d.label()), id=str(i))
                            for i, d in enumerate(self.devices)], id="devices")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.close(int(event.option.id or 0))


class ConflictScreen(Dialog[str | None]):
    """The plan file changed on disk since this explorer read or wrote it: overwrite it with
    the placements shown, save them to another file, or reload the file's (ctrl+z brings
    these back). Escape decides later: the placements stay here, unsaved."""

    CHOICES = (("overwrite", "overwrite it"), ("save-as", "save as another file"),
               ("reload", "reload from disk"))

    def __init__(self, path: str, why: str) -> None:
        super().__init__()
        self.path, self.why = path, why

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(content(f"{self.path}: {self.why}"), id="conflict")
            yield Label("Your placements are kept here. What now?")
            with Horizontal(classes="buttons"):
                for choice, label in self.CHOICES:
                    yield Button(label, id=choice, variant="warning" if choice == "overwrite" else "default")

    def on_mount(self) -> None:
        for button in self.query("#save-as").results(Button):  # empty as the explorer quits
            button.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.close(event.button.id)


class PlanAsideScreen(Dialog[str | None]):
    """Another device is shown, and the plan file is the first device's: it is never written
    with this device's placements. A new plan file, or keep working unsaved (the default:
    Enter, and Escape)."""

    CHOICES = (("unsaved", "keep working unsaved"), ("new-plan", "new plan file"))

    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(content(f"{self.path} holds another device's plan: it is kept as it is "
                                "(shown again when you switch back to that device)."), id="aside")
            yield Label("The placements of this device:")
            with Horizontal(classes="buttons"):
                for choice, label in self.CHOICES:
                    yield Button(label, id=choice, variant="primary" if choice == "unsaved" else "default")

    def on_mount(self) -> None:
        for button in self.query("#unsaved").results(Button):
            button.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.close(event.button.id)


# (format, what it is, file name endings that fit it)
FORMATS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("qemu", "QEMU property (x-vpasid-cap-offset=...)", (".txt", ".conf", ".args")),
    ("qemu-cmdline", "QEMU command line (-device vfio-pci,host=...,...)", (".txt", ".sh", ".args")),
    ("libvirt", "libvirt <qemu:override> XML (libvirt >= 8.2)", (".xml",)),
    ("lspci", "lspci -xxxx text (lspci -F decodes it)", (".txt", ".lspci")),
    ("binary", "raw 4 KiB binary", (".bin", ".raw", ".dat")),
    ("json", "the placement plan (JSON)", (".json",)),
    ("map-text", "the map as 72-column text, for mail", (".txt",)),
    ("map-svg", "the map as SVG", (".svg",)),
    ("map-html", "the map as a web page", (".html", ".htm")),
    ("screenshot", "a screenshot of the explorer (SVG)", (".svg",)),
)
ENDINGS = {fmt: endings for fmt, _, endings in FORMATS}


def extension_warning(fmt: str, path: str) -> str:
    """Why `path` looks like another kind of file than `fmt` ("" when it fits, or has no
    extension at all)."""
    ext = os.path.splitext(path)[1].lower()
    if not ext or ext in ENDINGS[fmt]:
        return ""
    others = [f for f, _, endings in FORMATS if ext in endings]
    hint = f" ({', '.join(others)} files end so)" if others else ""
    return (f"{os.path.basename(path)} ends in {ext}, not "
            f"{' or '.join(ENDINGS[fmt])} as {fmt} files do{hint}")


class ExportScreen(Dialog[tuple[str, str] | None]):
    """Export: the highlighted format is the one written. Enter on a format goes to the file
    name; Enter there (or the button) writes. A file name whose extension does not fit the
    format is warned about first; Enter again writes it anyway.

    `export(fmt)` makes the bytes (on the UI thread: a screenshot needs it) and
    `write(path, data, cancel)` writes them off it; a refusal is shown here."""

    def __init__(self, export: Callable[[str, str | None], bytes],
                 write: Callable[[str, bytes, threading.Event], None],
                 qemu_property: str | None = None, needs_bdf: bool = False) -> None:
        super().__init__()
        self._warned: tuple[str, str] | None = None
        self._export, self._write = export, write
        self.qemu_property = qemu_property  # what QEMU is told (shown, copyable); None: nothing
        self.needs_bdf = needs_bdf  # the dump names no host address: qemu-cmdline/libvirt need one

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="export"):
            yield Label("export the guest view with the placed capabilities, or a picture")
            yield Options(*[Option(Content.assemble((f"{fmt:<14}", "bold"), label), id=fmt)
                            for fmt, label, _ in FORMATS], id="format")
            prop = self.qemu_property
            with Horizontal(classes="buttons", id="property-row"):
                yield Label(content(f"QEMU: {prop}" if prop else "QEMU: no property (nothing it "
                                    "creates is placed and accepted)"), id="property")
                if prop:  # a click copies it; out of the Tab order (format, file, address, buttons)
                    copy = Button("copy", id="copy", compact=True)
                    copy.can_focus = False
                    yield copy
            yield Input(placeholder="file to write (atomically)", id="path")
            yield Input(placeholder="host address DDDD:BB:DD.F (qemu-cmdline, libvirt)" + (
                ": this dump names none" if self.needs_bdf else ""), id="bdf")
            yield Label("", id="warning")
            with Horizontal(classes="buttons"):
                yield Button("export", variant="primary", id="ok")
                yield Button("cancel", id="cancel")
            yield Label("", id="status")
            yield Label("", id="error")

    def on_mount(self) -> None:
        # query, not query_one: a dialog opened as the explorer quits is mounted empty (fuzzer)
        small = self.app.size.height < 36  # 80x24 and the like: borderless fields and buttons
        for box in self.query("#export").results(Vertical):
            box.set_class(small, "small")
        if small:
            for widget in self.query("Input, Button"):
                widget.compact = True  # type: ignore[attr-defined] - both have it
        for options in self.query("#format").results(OptionList):
            options.highlighted = 0
            options.focus()

    @property
    def format(self) -> str:
        """The highlighted format: the one that will be written."""
        options = self.query_one("#format", OptionList)
        return FORMATS[options.highlighted or 0][0]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#path", Input).focus()

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._check()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._check()

    def _check(self) -> str:
        warning = extension_warning(self.format, self.query_one("#path", Input).value.strip())
        self.query_one("#warning", Label).update(content(warning))
        return warning

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.close(None)
            return
        if event.button.id == "copy":
            self.app.copy_to_clipboard(self.qemu_property or "")
            self.show_status(f"copied: {self.qemu_property}")
            return
        self._submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def _submit(self) -> None:
        if self.closed or self.busy:
            return
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.show_error("a file name, please")
            return
        warning = self._check()
        fmt = self.format
        if warning and self._warned != (fmt, path):
            self._warned = (fmt, path)
            self.query_one("#warning", Label).update(content(warning + ": Enter again writes it anyway"))
            return
        bdf = self.query_one("#bdf", Input).value.strip() or None
        try:
            data = self._export(fmt, bdf)
        except DumpError as exc:
            self.show_error(f"not exported: {exc}")
            return
        write = self._write
        self.run_job(f"writing {path}", lambda cancel: write(path, data, cancel),
                     lambda _: (fmt, path))
