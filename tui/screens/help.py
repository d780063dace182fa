"""F1 / `?`: the keys, the map's colours and symbols, and how an extended capability is laid
out. Built from the bindings and the legend themselves, so it cannot drift from them.

F1 took 1.2-1.7 s: Textual's Markdown widget (a widget per block), and a see-through modal
that has the whole explorer re-rendered and tinted below it. Here the text is laid out once
by Rich at the box's width and shown line by line (Line API) on an opaque screen
(benchmarks/tui_speed.py measures it)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from capslot.core.feasibility import gates_text
from capslot.tui.screens.dialogs import Dialog
from capslot.tui.widgets.legend import legend_text

MOUSE = ("Drag a palette entry onto the map: a ghost of its size follows the pointer, in the "
         "colour of the validator's verdict there (ok, warning, collision: hatched), and the "
         "verdict names every finding. Release to place; a collision is refused.")

LAYOUTS = ("The layout follows the terminal's size. From 160x40: the map with the palette "
           "under it, the chain, then the verdict, inspector and legend side by side. From 110 columns: the "
           "map with the verdict in one line under it and one side panel of tabs. Narrower: the "
           "map over a drawer of tabs (the open tab's key closes and reopens the drawer). Keys "
           "1-4 show a panel in every layout.")

LAYOUT = """\
Every extended capability (0x100-0xFFF) starts with one DWORD:

 31          20 19   16 15                 0
+--------------+-------+--------------------+
| next offset  | ver   | capability ID      |
+--------------+-------+--------------------+

The chain starts at 0x100 and follows `next` until 0. The header says nothing about the
length: capslot knows it only from the spec's rule for each ID (`capslot caps ID`), which
is why a gap may still hold a vendor's registers and why an unknown ID gets an
unknown-size tail. vfio-pci unlinks capabilities it cannot size but leaves their bytes
live; QEMU forwards every guest write, including writes to a virtual capability's bytes,
to the device."""


GATES_INTRO = ("A free offset is not enough. The verdict panel first says whether the guest "
               "gets a working capability: works, not-synthesized (the VMM will not create "
               "it), blocked (the device cannot be assigned, or PASID cannot flow) or unknown "
               "(say what to check). The first gate that fails decides; each is pass, fail or "
               "unknown with its evidence:")


def keys_table(groups: list[tuple[str, list[Binding]]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for title, bindings in groups:
        table.add_row(Text(title, style="bold underline"), "")
        for b in bindings:
            key = b.key_display or b.key.replace("question_mark", "?")
            table.add_row(key, b.tooltip or b.description)
    return table


def help_text(groups: list[tuple[str, list[Binding]]]) -> Group:
    heading = "bold reverse"
    return Group(
        Text(" capslot: the explorer ", style=heading), Text(""),
        keys_table(groups), Text(""), Text(MOUSE), Text(""), Text(LAYOUTS), Text(""),
        Text(" the map's colours (and the symbols capslot show --map text uses) ", style=heading),
        legend_text(), Text(""),
        Text(" the extended capability layout ", style=heading), Text(LAYOUT), Text(""),
        Text(" will it work? the gates, in the order that decides ", style=heading),
        Text(GATES_INTRO), Text("\n".join(gates_text())))


class HelpView(ScrollView, can_focus=True):
    """Text laid out once, shown line by line."""

    BINDINGS = [Binding("up", "scroll_up", show=False), Binding("down", "scroll_down", show=False),
                Binding("pageup", "page_up", show=False), Binding("pagedown", "page_down", show=False),
                Binding("home", "scroll_home", show=False), Binding("end", "scroll_end", show=False)]

    def __init__(self, content: Group, width: int, **kw) -> None:
        super().__init__(**kw)
        console = Console(width=width, color_system="truecolor", legacy_windows=False)
        self.lines = [Strip(line) for line in console.render_lines(content, pad=False, new_lines=False)]
        self.virtual_size = Size(width, len(self.lines))
        self._style = None

    def render_line(self, y: int) -> Strip:
        row = int(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        if row >= len(self.lines):
            return Strip.blank(width)
        if self._style is None:
            self._style = self.rich_style  # the box's background, for the padding
        return self.lines[row].crop_extend(0, width, self._style).apply_style(self._style)


class HelpScreen(Dialog[None]):
    # Opaque: a see-through modal has the whole explorer below re-rendered and tinted, which
    # alone took 0.5-1 s.
    DEFAULT_CSS = "HelpScreen { background: $background; }"
    BINDINGS = [Binding("escape,f1,question_mark,q", "close", "close")]

    WIDTH = 100  # the box's width at most (dialogs.tcss #help)

    def __init__(self, groups: list[tuple[str, list[Binding]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        box = min(self.WIDTH, self.app.size.width)
        view = HelpView(help_text(self.groups), max(20, box - 2 - 2 - 2), id="help")  # border, padding, bar
        view.border_title = "help"
        view.border_subtitle = "Escape, F1 or q closes"
        yield view
