"""Small dialogs: go to an offset, open a dump, pick a device, export."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet
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


FORMATS = (("qemu", "QEMU property (x-vpasid-cap-offset=...)"), ("lspci", "lspci -xxxx text"),
           ("binary", "raw 4 KiB binary"), ("json", "the placement plan (JSON)"),
           ("map-text", "the map as 72-column text, for mail"), ("map-svg", "the map as SVG"),
           ("map-html", "the map as a web page"), ("screenshot", "a screenshot of the explorer (SVG)"))


class ExportScreen(ModalScreen[tuple[str, str] | None]):
    BINDINGS = [Binding("escape", "dismiss(None)", "cancel")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("export the guest view with the placed capabilities, or a picture")
            with RadioSet(id="format"):
                for i, (_, label) in enumerate(FORMATS):
                    yield RadioButton(label, value=i == 0)
            yield Input(placeholder="file to write (atomically)", id="path")
            with Horizontal():
                yield Button("export", variant="primary", id="ok")
                yield Button("cancel", id="cancel")
            yield Label("", id="error")

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
        index = self.query_one("#format", RadioSet).pressed_index
        self.dismiss((FORMATS[max(index, 0)][0], path))
