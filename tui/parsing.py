"""The command line's argparse side, imported only when argparse is needed: `--help`, a
usage error, a command line the fast path of capslot.cli does not read. argparse (with gettext
and locale) and building a command's parser cost a `show --json` more than its work.

UsageError and `columns()` are here, light, so that capslot.cli and the parser share them
(also when the command runs as `python -m capslot`)."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse
    from typing import Any


class UsageError(Exception):
    """A bad command line: reported like bad input (exit 2)."""


def columns(fallback: int = 80) -> int:
    """shutil.get_terminal_size().columns: $COLUMNS, else the terminal's, else 80."""
    try:
        cols = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        cols = 0
    if cols <= 0:
        try:
            cols = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            cols = fallback
        cols = cols or fallback
    return cols


_PARSER_CLASSES: list[tuple[type[argparse.HelpFormatter], type[argparse.ArgumentParser]]] = []


def parser_classes() -> tuple[type[argparse.HelpFormatter], type[argparse.ArgumentParser]]:
    """(formatter, parser): argparse's, with capslot's help width and one-line errors; made
    once (a list for a memo: `functools` is not a start-up import)."""
    if _PARSER_CLASSES:
        return _PARSER_CLASSES[0]
    import argparse

    class Formatter(argparse.HelpFormatter):
        """argparse's help formatter, sized as argparse sizes it (shutil.get_terminal_size)
        but without importing shutil, which brings zlib, bz2 and lzma: argparse makes a
        formatter for every argument added, so every run paid for them, help or not."""

        def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                     width: int | None = None) -> None:
            super().__init__(prog, indent_increment, max_help_position,
                             columns() - 2 if width is None else width)

    class Parser(argparse.ArgumentParser):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("formatter_class", Formatter)
            super().__init__(*args, **kwargs)

        def error(self, message: str) -> None:  # one line, exit 2, like every other error
            raise UsageError(message)

    _PARSER_CLASSES.append((Formatter, Parser))
    return Formatter, Parser
