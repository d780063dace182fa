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

from capslot.common import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_OK, fail
from capslot.core.elsewhere import elsewhere
from capslot.core.space import DumpError

# command: the module that runs it, capslot.<module>, whose COMMANDS gives the command's
# arguments and what runs it (the help texts and the parser: capslot.parser)
COMMAND_MODULES = {"show": "show", "explain": "explain", "check": "place", "place": "place",
                   "export": "place", "survey": "survey", "caps": "caps", "diff": "diff",
                   "path": "path", "tui": "explore"}
COMMANDS = tuple(COMMAND_MODULES)


def command(name: str) -> tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]:
    """(how the command's arguments are added, what runs it), from its own module."""
    module: ModuleType = __import__(f"capslot.{COMMAND_MODULES[name]}", fromlist=["COMMANDS"])
    return module.COMMANDS[name]


# the parser's names, from capslot.parser, which only a command line that needs argparse imports
__getattr__ = elsewhere(globals(), dict.fromkeys(("build_parser", "SUBCOMMANDS", "UsageError"), "parser"))


def _declared(add: Callable[[Any], None]) -> tuple[dict, list, list] | None:
    """What a command's argument function `add` declares, recorded without argparse (the same
    `add_argument` calls, kept as data for the fast path below): (option string -> its
    argument, the positionals, every argument); None where it declares something the fast
    path leaves to argparse. (A closure, not a class: a class is costly to make at start-up.)"""
    options: dict[str, dict[str, Any]] = {}
    positionals: list[dict[str, Any]] = []
    arguments: list[dict[str, Any]] = []
    readable = [True]

    def add_argument(*flags: str, **kw: Any) -> None:
        get = kw.get
        action, nargs, dest = get("action", "store"), get("nargs"), get("dest")
        if get("type") is not None or action not in ("store", "store_true", "append"):
            readable[0] = False  # a count, a constant, a conversion (argparse converts defaults too)
        arg = {"action": action, "default": get("default", False if action == "store_true" else None),
               "choices": get("choices"), "required": get("required", False), "nargs": nargs}
        name = flags[0]
        if name[:1] == "-":
            if not dest:
                for flag in flags:  # the first long option names it, else the first
                    if flag[:2] == "--":
                        name = flag
                        break
                dest = name.lstrip("-").replace("-", "_")
            if nargs is not None:
                readable[0] = False
            for flag in flags:
                options[flag] = arg
        else:
            dest = dest or name
            if nargs not in (None, "?") or (positionals and positionals[-1]["nargs"]):
                readable[0] = False  # only "A", "A?" or "A B": no guessing of argparse's matching
            positionals.append(arg)
        arg["dest"] = dest
        arguments.append(arg)

    add(_Namespace(add_argument=add_argument))
    return (options, positionals, arguments) if readable[0] else None


def _fast_args(argv: list[str]):
    """The namespace argparse would make of `argv` (a command and its arguments), read
    without argparse; None whenever it is not plainly so (help, an error, an abbreviation,
    `-oFILE`, a value that starts with `-`, `--`...): argparse then reads it, and says what
    is wrong as it always did. tests/test_cli_fast_args.py holds the two to the same answer."""
    name = argv[0]
    add, run = command(name)
    declared = _declared(add)
    if declared is None:
        return None
    options, positionals, arguments = declared
    values: dict[str, Any] = {"command": name}
    for arg in arguments:
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
        arg = options.get(flag)
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
    needed = sum(1 for p in positionals if p["nargs"] is None)
    if not needed <= len(words) <= len(positionals):
        return None
    for p, word in zip(positionals, words, strict=False):
        values[p["dest"]] = word
    if any(arg["required"] and arg["dest"] not in given for arg in arguments):
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
        args = _fast_args(argv) if argv[0] in COMMANDS else None
        if args is None:
            from capslot.parser import build_parser

            args = build_parser(argv[0] if argv[0] in COMMANDS else None).parse_args(argv)
        if getattr(args, "pci_ids", None):
            from capslot.core import pciids

            pciids.configure(args.pci_ids)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except DumpError as exc:
        fail(str(exc))
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        sys.stderr.close()  # a reader such as `head` went away: not an error
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        if _is_usage_error(exc):
            fail(f"usage: {exc} (see capslot --help)")
            return EXIT_BAD_INPUT
        if os.environ.get("CAPSLOT_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (CAPSLOT_DEBUG=1 shows where)")
        return EXIT_INTERNAL


def _is_usage_error(exc: Exception) -> bool:
    """A bad command line (capslot.tui.parsing.UsageError): that module is loaded wherever one
    was raised, so a run that raises none never imports it."""
    parsing = sys.modules.get("capslot.tui.parsing")
    return parsing is not None and isinstance(exc, parsing.UsageError)


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
