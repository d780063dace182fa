"""`capslot`: the command-line front. The stable contract: the schemas in schemas/ and docs/spec/cli.md.

Exit codes: 0 ok, 1 a collision / no safe slot, 2 bad input. Every error is one line
on stderr, `capslot: <file>[:<line>]: <what>`, never a traceback (set CAPSLOT_DEBUG=1
to see one). Headless commands never import Textual.

This module reads the command line and dispatches: each command lives in its own module
(capslot.show, capslot.place for check/place/export, capslot.survey, capslot.explain,
capslot.diff, capslot.caps, capslot.path, capslot.explore for the explorer), imported only
when that command runs; what they share is capslot.common and capslot.arguments.
"""

from __future__ import annotations

import os
import sys
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    import argparse
    from types import ModuleType
    from collections.abc import Callable, Sequence
    from typing import Any

from capslot.arguments import NUMBERS
from capslot.common import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, fail
from capslot.core.space import DumpError
from capslot.tui.parsing import UsageError

COMMANDS = ("show", "explain", "check", "place", "export", "survey", "caps", "diff", "path", "tui")


PLACEMENT_TEXT = ("A collision is refused (exit 1, nothing exported); warnings are shown and "
                  "accepted, unless --strict. ")
# command: (its one-line help, a longer description, the module that runs it: capslot.<module>,
# whose COMMANDS gives the command's arguments and what runs it)
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "show": ("capability list and byte map of a device",
             "The capability list and byte map of a device: the hardware bytes, or --view "
             "vfio|guest. With --add, the target view (the QEMU guest unless --view says "
             "otherwise) with the virtual capabilities and their verdicts. " + NUMBERS, "show"),
    "explain": ("what owns one byte in each view, and what vfio/QEMU do", "", "explain"),
    "check": ("validate virtual capabilities at given offsets",
              "Validate virtual capabilities at given offsets. " + PLACEMENT_TEXT + NUMBERS, "place"),
    "place": ("auto placement of virtual capabilities",
              "Auto placement of virtual capabilities. " + PLACEMENT_TEXT + NUMBERS, "place"),
    "export": ("the guest view with virtual capabilities synthesized",
               "The guest view with virtual capabilities synthesized. " + PLACEMENT_TEXT + NUMBERS,
               "place"),
    "survey": ("every device of every file: streamed records or a summary", "", "survey"),
    "caps": ("the capability knowledge table", "", "caps"),
    "diff": ("compare two dumps of one device, through each view", "", "diff"),
    "path": ("the ports above a device, and whether PASID can cross them",
             "The upstream path of a device: each bridge and root port up to the root complex "
             "(from sysfs for sysfs:BDF, from bus numbers in a dump of a whole machine), each "
             "one's End-End TLP Prefix support, and whether a PASID can travel it. Exit 1 when "
             "it cannot.", "path"),
    "tui": ("open the explorer", "", "explore"),
}


def command(name: str) -> tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]:
    """(how the command's arguments are added, what runs it), from its own module."""
    module: ModuleType = __import__(f"capslot.{SUBCOMMANDS[name][2]}", fromlist=["COMMANDS"])
    return module.COMMANDS[name]


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


class _Declared:
    """What a command's argument function declares, recorded without argparse: the same
    `add_argument` calls, kept as data for the fast path below."""

    def __init__(self) -> None:
        self.options: dict[str, dict[str, Any]] = {}  # option string -> its argument
        self.positionals: list[dict[str, Any]] = []
        self.arguments: list[dict[str, Any]] = []
        self.readable = True  # False: something the fast path leaves to argparse

    def add_argument(self, *flags: str, **kw: Any) -> None:
        action = kw.get("action", "store")
        arg = {"action": action, "default": kw.get("default", False if action == "store_true" else None),
               "choices": kw.get("choices"), "required": kw.get("required", False),
               "nargs": kw.get("nargs"), "type": kw.get("type")}
        if action not in ("store", "store_true", "append") or arg["type"] is not None:
            self.readable = False  # a count, a constant, a conversion (argparse converts defaults too)
        if flags[0].startswith("-"):
            long = [f for f in flags if f.startswith("--")]
            arg["dest"] = kw.get("dest") or (long[0] if long else flags[0]).lstrip("-").replace("-", "_")
            if arg["nargs"] is not None:
                self.readable = False
            for flag in flags:
                self.options[flag] = arg
        else:
            arg["dest"] = kw.get("dest") or flags[0]
            if arg["nargs"] not in (None, "?") or (self.positionals and self.positionals[-1]["nargs"]):
                self.readable = False  # only "A", "A?" or "A B": no guessing of argparse's matching
            self.positionals.append(arg)
        self.arguments.append(arg)


def _fast_args(argv: list[str]):
    """The namespace argparse would make of `argv` (a command and its arguments), read
    without argparse; None whenever it is not plainly so (help, an error, an abbreviation,
    `-oFILE`, a value that starts with `-`, `--`...): argparse then reads it, and says what
    is wrong as it always did. tests/test_cli_fast_args.py holds the two to the same answer."""
    name = argv[0]
    add, run = command(name)
    declared = _Declared()
    add(declared)
    if not declared.readable:
        return None
    values: dict[str, Any] = {"command": name}
    for arg in declared.arguments:
        default = arg["default"]
        values[arg["dest"]] = list(default) if isinstance(default, list) else default
    given: set[str] = set()
    words: list[str] = []
    i = 1
    while i < len(argv):
        word = argv[i]
        i += 1
        if not word.startswith("-") or word == "-":
            words.append(word)
            continue
        flag, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        arg = declared.options.get(flag)
        if arg is None:
            return None
        given.add(arg["dest"])
        if arg["action"] == "store_true":
            if equals:
                return None
            values[arg["dest"]] = True
            continue
        if not equals:
            if i == len(argv) or (argv[i].startswith("-") and argv[i] != "-"):
                return None
            value = argv[i]
            i += 1
        if arg["choices"] is not None and value not in arg["choices"]:
            return None
        if arg["action"] == "append":
            values[arg["dest"]] = [*(values[arg["dest"]] or []), value]
        else:
            values[arg["dest"]] = value
    positionals = declared.positionals
    needed = sum(1 for p in positionals if p["nargs"] is None)
    if not needed <= len(words) <= len(positionals):
        return None
    for p, word in zip(positionals, words, strict=False):
        values[p["dest"]] = word
    if any(arg["required"] and arg["dest"] not in given for arg in declared.arguments):
        return None
    values["func"] = run
    return _Namespace(**values)


_Namespace = type(sys.implementation)  # types.SimpleNamespace (as types.py defines it), without `types`


# Commands that start no thread and no process: as the process's own entry point (main()
# reading sys.argv) they run with fewer garbage collections and end with os._exit once what
# they printed is flushed. The interpreter's teardown (every module and object freed, a last
# full collection) is a fifth of a `show --json`, for memory the process gives back anyway;
# every file they write is complete and closed before they return (core.atomic).
SHORT_COMMANDS = frozenset({"show", "explain", "check", "place", "export", "caps", "diff", "path"})


def main(argv: Sequence[str] | None = None) -> int:
    if argv is not None or not sys.argv[1:] or sys.argv[1] not in SHORT_COMMANDS:
        return _main(argv)
    import gc

    gc.set_threshold(10_000)  # start-up makes thousands of objects that all live: fewer passes over them
    code = _main(argv)
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 - not contextlib.suppress: `contextlib` is ~1 ms of start-up
            stream.flush()
        except (OSError, ValueError):  # a reader gone (`| head`), a closed stream
            pass
    os._exit(code)


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        guess = _misspelt_command(argv[0]) if argv else None
        if guess is not None:
            fail(f"usage: {argv[0]!r} is not a command: did you mean `capslot {guess}`? "
                  "(see capslot --help)")
            return EXIT_BAD_INPUT
        argv = ["tui", *argv]
    try:
        args = (_fast_args(argv) if argv[0] in COMMANDS else None) \
            or build_parser(argv[0] if argv[0] in COMMANDS else None).parse_args(argv)
        if getattr(args, "pci_ids", None):
            from capslot.core import pciids

            pciids.configure(args.pci_ids)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except DumpError as exc:
        fail(str(exc))
        return EXIT_BAD_INPUT
    except UsageError as exc:
        fail(f"usage: {exc} (see capslot --help)")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        sys.stderr.close()  # a reader such as `head` went away: not an error
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        if os.environ.get("CAPSLOT_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (CAPSLOT_DEBUG=1 shows where)")
        return EXIT_INTERNAL


def _misspelt_command(word: str) -> str | None:
    """The sub-command `word` was probably meant to be (`shwo` -> `show`), when it is no file
    the explorer could open; None otherwise."""
    import difflib

    if word.startswith("-") or word == "-" or ":" in word or os.path.exists(word):
        return None
    close = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.6)
    return close[0] if close else None


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
