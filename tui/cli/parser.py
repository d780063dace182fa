"""The whole command line as argparse reads it, imported only when argparse is needed:
`--help`, a usage error, a command line the fast path of capslot.cli declines, a word that
may be a misspelt command. What the common command lines run (capslot.cli) does not carry
the parser's help texts or the code that builds it.

Each command's arguments are its own module's (capslot.<module>.COMMANDS); this module gives
each command its one-line help and description."""

from __future__ import annotations

from capslot.arguments import NUMBERS
from capslot.cli import COMMAND_MODULES, COMMANDS, command
from capslot.tui.parsing import UsageError  # noqa: F401 - capslot.cli.UsageError, for the tests

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse

PLACEMENT_TEXT = ("A collision is refused (exit 1, nothing exported); warnings are shown and "
                  "accepted, unless --strict. ")
# command: (its one-line help, a longer description, the module that runs it: capslot.<module>,
# whose COMMANDS gives the command's arguments and what runs it)
_HELP: dict[str, tuple[str, str]] = {
    "show": ("capability list and byte map of a device",
             "The capability list and byte map of a device: the hardware bytes, or --view "
             "vfio|guest. With --add, the target view (the QEMU guest unless --view says "
             "otherwise) with the virtual capabilities and their verdicts. " + NUMBERS),
    "explain": ("what owns one byte in each view, and what vfio/QEMU do", ""),
    "check": ("validate virtual capabilities at given offsets",
              "Validate virtual capabilities at given offsets. " + PLACEMENT_TEXT + NUMBERS),
    "place": ("auto placement of virtual capabilities",
              "Auto placement of virtual capabilities. " + PLACEMENT_TEXT + NUMBERS),
    "export": ("the guest view with virtual capabilities synthesized",
               "The guest view with virtual capabilities synthesized. " + PLACEMENT_TEXT + NUMBERS),
    "survey": ("every device of every file: streamed records or a summary", ""),
    "caps": ("the capability knowledge table", ""),
    "diff": ("compare two dumps of one device, through each view", ""),
    "path": ("the ports above a device, and whether PASID can cross them",
             "The upstream path of a device: each bridge and root port up to the root complex "
             "(from sysfs for sysfs:BDF, from bus numbers in a dump of a whole machine), each "
             "one's End-End TLP Prefix support, and whether a PASID can travel it. Exit 1 when "
             "it cannot."),
    "tui": ("open the explorer", ""),
}
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    name: (*_HELP[name], COMMAND_MODULES[name]) for name in COMMANDS}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that command's sub-parser is built (argparse builds
    every sub-parser's help up front, which cost more than the rest of a `show --json`)."""
    from capslot.tui.parsing import parser_classes

    _, _Parser = parser_classes()
    parser = _Parser(prog="capslot", description="Explore PCI/PCIe config space: capability "
                     "chains, a map of all 4096 bytes, and where a virtual capability may go.")
    from capslot.core import __version__

    parser.add_argument("--version", action="version", version=f"capslot {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for name, (text, description, _) in SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        add, run = command(name)
        p = sub.add_parser(name, help=text, description=description or None)
        add(p)
        p.set_defaults(func=run)
    return parser

