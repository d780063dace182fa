"""Small dialogs: go to an offset, open a dump, pick a device, export."""

from __future__ import annotations

import os

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets.option_list import Option

from core.numbers import parse_offset
from core.space import ConfigSpace
from core.text import printable


class GotoScreen(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("go to offset (hex, or decimal with 0d)")
            yield Input(placeholder="0xff8", id="offset")
            yield Label("", id="error")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        try:
            offset = parse_offset(event.value)
        except ValueError as exc:
            self.query_one("#error", Label).update(Content(str(exc)))
            return
        self.dismiss(offset)


class OpenScreen(ModalScreen[str | None]):
    """A path to open (a dump, or a plan file); errors from reading it are shown here, not
    crashed on."""

    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]

    PROMPT = "open a dump: lspci -x text, binary, hexdump/xxd, .coe, or sysfs:BDF"

    def __init__(self, error: str = "", prompt: str = PROMPT) -> None:
        super().__init__()
        self.error, self.prompt = error, prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt)
            yield Input(placeholder="path", id="path")
            yield Label(printable(self.error), id="error", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value.strip():
            self.dismiss(event.value.strip())


class DevicePicker(ModalScreen[int | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]

    def __init__(self, devices: list[ConfigSpace]) -> None:
        super().__init__()
        self.devices = devices

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"{len(self.devices)} devices in this file: pick one")
            yield OptionList(*[Option(printable(d.provenance.device_line or d.label()), id=str(i))
                               for i, d in enumerate(self.devices)], id="devices")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id))


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
    return (f"{printable(os.path.basename(path))} ends in {printable(ext)}, not "
            f"{' or '.join(ENDINGS[fmt])} as {fmt} files do{hint}")


class ExportScreen(ModalScreen[tuple[str, str] | None]):
    """Export: the highlighted format is the one written. Enter on a format goes to the file
    name; Enter there (or the button) writes. A file name whose extension does not fit the
    format is warned about first; Enter again writes it anyway."""

    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]

    def __init__(self) -> None:
        super().__init__()
        self._warned: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label("export the guest view with the placed capabilities, or a picture")
            yield OptionList(*[Option(Content.assemble((f"{fmt:<14}", "bold"), label), id=fmt)
                               for fmt, label, _ in FORMATS], id="format")
            yield Input(placeholder="file to write (atomically)", id="path")
            yield Label("", id="warning", markup=False)
            with Horizontal():
                yield Button("export", variant="primary", id="ok")
                yield Button("cancel", id="cancel")
            yield Label("", id="error", markup=False)

    def on_mount(self) -> None:
        self.query_one("#format", OptionList).highlighted = 0
        self.query_one("#format", OptionList).focus()

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
        self.query_one("#warning", Label).update(warning)
        return warning

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        self._submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._submit()

    def _submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.query_one("#error", Label).update("a file name, please")
            return
        warning = self._check()
        if warning and self._warned != (self.format, path):
            self._warned = (self.format, path)
            self.query_one("#warning", Label).update(warning + ": Enter again writes it anyway")
            return
        self.dismiss((self.format, path))
