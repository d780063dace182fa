"""What rich.console.Console(stderr=...) would decide about the terminal, decided without
importing Rich: the width, whether colour is written and in which colour system, NO_COLOR.
The steps are Console.__init__'s, Console.size's, is_terminal's, is_dumb_terminal's and
_detect_color_system's (Rich 15). None wherever Rich would do something this module does not
model (Windows, Jupyter, IDLE, a stream that is not an ordinary file, an encoding other than
UTF-8, a width Rich would take from a non-ASCII digit or that is too small to lay out): the
caller then prints with Rich itself."""

from __future__ import annotations

import builtins
import os
import sys

STANDARD, EIGHT_BIT, TRUECOLOR = "standard", "256", "truecolor"  # Rich's colour systems
_TERM_COLOURS = {"kitty": EIGHT_BIT, "256color": EIGHT_BIT, "16color": STANDARD}
MIN_WIDTH = 10  # narrower: Rich's own


class Terminal:
    """The console Rich would make: `width`, `system` (None: no escape codes at all),
    `no_colour` (NO_COLOR: attributes kept, colours dropped) and the `file` written to."""

    __slots__ = ("width", "system", "no_colour", "file")

    def __init__(self, width: int, system: str | None, no_colour: bool, file) -> None:
        self.width, self.system, self.no_colour, self.file = width, system, no_colour, file

    def __repr__(self) -> str:
        return f"Terminal(width={self.width}, system={self.system!r}, no_colour={self.no_colour})"


def _digits(value: str | None) -> int | None:
    """Rich reads COLUMNS and LINES where str.isdigit() holds; -1: a digit int() refuses
    (Rich fails there) or one it reads differently (non-ASCII digits): not modelled."""
    if value is None or not value.isdigit():
        return None
    return int(value) if value.isascii() else -1


def detect(stderr: bool = False, environ=None) -> Terminal | None:
    env = os.environ if environ is None else environ
    if sys.platform == "win32" or hasattr(builtins, "get_ipython"):
        return None  # Windows consoles, Jupyter: Rich's
    file = sys.stderr if stderr else sys.stdout
    if file is None or hasattr(file, "rich_proxied_file"):
        return None
    if not (getattr(file, "encoding", "utf-8") or "utf-8").lower().startswith("utf"):
        return None  # Rich's ASCII boxes and rules, and its errors
    if hasattr(sys.stdin, "__module__") and str(sys.stdin.__module__).startswith("idlelib"):
        return None
    columns, lines = _digits(env.get("COLUMNS")), _digits(env.get("LINES"))
    if columns == -1 or lines == -1:
        return None
    terminal = _is_terminal(file, env)
    dumb = terminal and env.get("TERM", "").lower() in ("dumb", "unknown")
    if columns is not None and lines is not None:
        width = columns
    elif dumb:
        width = 80
    else:
        width = None
        for fd in (0, 1, 2):
            try:
                width = os.get_terminal_size(fd)[0]
            except (AttributeError, ValueError, OSError):
                continue
            break
        width = columns if columns is not None else (width or 80)
    if width < MIN_WIDTH:
        return None
    system = None
    if terminal and not dumb:
        colour_term = env.get("COLORTERM", "").strip().lower()
        if colour_term in ("truecolor", "24bit"):
            system = TRUECOLOR
        else:
            term = env.get("TERM", "").strip().lower()
            system = _TERM_COLOURS.get(term.rpartition("-")[2], STANDARD)
    return Terminal(width, system, env.get("NO_COLOR", "") != "", file)


def _is_terminal(file, env) -> bool:
    compatible = env.get("TTY_COMPATIBLE", "")
    if compatible in ("0", "1"):
        return compatible == "1"
    force = env.get("FORCE_COLOR")
    if force is not None:
        return force != ""
    isatty = getattr(file, "isatty", None)
    try:
        return False if isatty is None else bool(isatty())
    except ValueError:
        return False
