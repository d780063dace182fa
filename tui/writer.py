"""The human `show` written without Rich: its pieces (tui/pieces.py) laid out as Rich lays
them out, and written with the escape codes Rich writes (tui/sgr.py) for the terminal Rich
would see (tui/termenv.py). The bytes are Rich's (tests/test_writer.py holds them to Rich's
own output). Where anything is not modelled (the terminal, a character, a style, a table Rich
must lay out itself) `render` returns None, and the caller prints that device with Rich."""

from __future__ import annotations

import os
import sys

from capslot.tui.styled import Styled, lines
from capslot.tui.table import Table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from capslot.tui.termenv import Terminal

RULE = "─"  # rich.rule.Rule's characters (Console.rule), styled "rule.line"


def block_lines(block, width: int) -> list | None:
    if isinstance(block, Styled):
        return lines(block, width)
    if isinstance(block, Table) or hasattr(block, "pieces"):  # a table, a map (pieces.Runs)
        return block.lines(width)
    return None


def render(blocks: list, terminal: Terminal, rule: bool = False) -> str | None:
    """What Rich's console.print of each block writes (after Console.rule(), a line of the
    terminal's width, with `rule`), or None where it is not modelled."""
    width, system, no_colour = terminal.width, terminal.system, terminal.no_colour
    out: list[str] = []
    add = out.append
    around: dict[str, tuple[str, str]] = {}  # a style's escape before and after (Style.render)
    written: dict[tuple, str] = {}  # a segment (text, style): what is written of it
    every = [[[(RULE * width, "rule.line")]]] if rule else []  # each block's lines
    for block in blocks:
        drawn = block_lines(block, width)
        if drawn is None:
            return None
        every.append(drawn)
    if system is not None:
        from capslot.tui import sgr  # (the escape codes: only where colour is written)
    for drawn in every:
        if system is None:  # no colour (not a terminal): the text alone
            for line in drawn:
                add("".join([text for text, _ in line]))
                add("\n")
            continue
        for line in drawn:  # (each no wider than `width`: Rich crops nothing)
            for segment in line:
                bytes_out = written.get(segment)
                if bytes_out is None:  # (a map repeats its segments: each is worked out once)
                    text, style = segment
                    bytes_out = text
                    if style and text:  # (system is not None here: no colour went above)
                        before_after = around.get(style)
                        if before_after is None:
                            codes = sgr.codes(style, system, no_colour)
                            if codes is None:
                                return None
                            before_after = around[style] = (f"\x1b[{codes}m", "\x1b[0m") if codes else ("", "")
                        bytes_out = before_after[0] + text + before_after[1]
                    written[segment] = bytes_out
                add(bytes_out)
            add("\n")
    return "".join(out)


def write(text: str, terminal: Terminal) -> None:
    """As Console._check_buffer writes: the text, a flush; a closed pipe ends the run as
    Rich's Console.on_broken_pipe does."""
    try:
        terminal.file.write(text)
        terminal.file.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(1) from None
