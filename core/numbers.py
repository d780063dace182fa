"""Numbers typed by users, parsed one way everywhere: offsets, sizes, ranges, go-to.

Hex is the language of config space, so a bare number is hex (`ff8` and `0xff8` are the
same); decimal needs a leading `0d` (`0d4088`). A number is a non-negative integer of at
most 8 digits: anything else is refused with a message that says which form is expected.
"""

from __future__ import annotations

from .lazyre import LazyPattern

FORMS = "hex with or without 0x (ff8, 0xff8), or decimal with a leading 0d (0d4088)"
_HEX = LazyPattern(r"^(?:0x)?([0-9a-f]{1,8})$")
_DEC = LazyPattern(r"^0d([0-9]{1,10})$")


def parse_number(text: str) -> int:
    """`text` as a number; ValueError with a user-facing message when it is not one."""
    t = text.strip().lower()
    if not t:
        raise ValueError("no number given: expected " + FORMS)
    if t.startswith("-"):
        raise ValueError(f"{text.strip()!r} is negative: expected " + FORMS)
    m = _DEC.match(t)
    if m:
        return int(m.group(1), 10)
    m = _HEX.match(t)
    if m:
        return int(m.group(1), 16)
    raise ValueError(f"{text.strip()!r} is not a number: expected " + FORMS)


def parse_offset(text: str, limit: int = 0x1000) -> int:
    """A config-space offset: a number inside 0x000..limit-1."""
    value = parse_number(text)
    if value >= limit:
        raise ValueError(f"offset outside 0x000-{limit - 1:#05x}")
    return value
