"""One palette for every front end (the Rich CLI and the Textual map): a colour per
capability kind, and a style per region kind, so a capability looks the same everywhere."""

from __future__ import annotations

from core.layout import Kind
from core.registry import Space

CAP_COLOURS = [
    "#4e9a06", "#3465a4", "#c4a000", "#75507b", "#06989a", "#cc0000", "#ce5c00",
    "#8ae234", "#729fcf", "#fce94f", "#ad7fa8", "#34e2e2", "#ef2929", "#fcaf3e",
]

# kind: (symbol for the compact map, Rich style, what it means)
KIND_STYLE: dict[Kind, tuple[str, str, str]] = {
    Kind.HEADER: ("H", "bold white on #555753", "config header"),
    Kind.UNKNOWN_TAIL: ("?", "black on #e9b96e", "unknown-size tail"),
    Kind.ZERO_GAP: ("·", "#555753", "zero gap"),
    Kind.DATA_GAP: ("▒", "bold #fce94f", "non-zero gap (data no capability owns)"),
    Kind.ORPHAN: ("o", "bold white on #5c3566", "orphan (unlinked capability)"),
    Kind.MASKED: ("&", "bold white on #8f5902", "masked capability (ID 0: live registers)"),
    Kind.HIDDEN: ("h", "#d3d7cf on #2e3436", "hidden by the view (bytes still live)"),
    Kind.VIRTUAL: ("V", "bold black on #8ae234", "virtual capability"),
    Kind.UNAVAILABLE: ("×", "#888a85 on #2e3436", "not in the dump"),
}
VERDICT_STYLE = {"ok": "bold black on #8ae234", "warning": "bold black on #fcaf3e",
                 "collision": "bold white on #cc0000"}


# The capabilities seen most get colours that tell them apart side by side.
COMMON: dict[tuple[Space, int], str] = {
    (Space.STANDARD, 0x01): "#4e9a06", (Space.STANDARD, 0x05): "#3465a4",
    (Space.STANDARD, 0x10): "#ce5c00", (Space.STANDARD, 0x11): "#75507b",
    (Space.STANDARD, 0x03): "#06989a", (Space.STANDARD, 0x09): "#c4a000",
    (Space.STANDARD, 0x0D): "#729fcf", (Space.STANDARD, 0x08): "#ad7fa8",
    (Space.EXTENDED, 0x01): "#ef2929", (Space.EXTENDED, 0x02): "#34e2e2",
    (Space.EXTENDED, 0x03): "#8f5902", (Space.EXTENDED, 0x04): "#babdb6",
    (Space.EXTENDED, 0x0B): "#fce94f", (Space.EXTENDED, 0x0D): "#8ae234",
    (Space.EXTENDED, 0x0E): "#fcaf3e", (Space.EXTENDED, 0x0F): "#729fcf",
    (Space.EXTENDED, 0x10): "#e9b96e", (Space.EXTENDED, 0x13): "#ad7fa8",
    (Space.EXTENDED, 0x15): "#5c8fd6", (Space.EXTENDED, 0x18): "#73d216",
    (Space.EXTENDED, 0x19): "#c17d11", (Space.EXTENDED, 0x1B): "#f57900",
    (Space.EXTENDED, 0x1E): "#4ec9b0", (Space.EXTENDED, 0x1F): "#d3a4d0",
    (Space.EXTENDED, 0x23): "#edd400",
}


def cap_colour(space: Space, cap_id: int) -> str:
    common = COMMON.get((space, cap_id))
    if common is not None:
        return common
    return CAP_COLOURS[(cap_id * 5 + (3 if space is Space.EXTENDED else 0)) % len(CAP_COLOURS)]
