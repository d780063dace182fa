"""`lspci -x` / `-xxx` / `-xxxx` text: one or many devices, `-v` lines allowed.

A device starts at its description line (`07:00.0 Ethernet controller: ...`, with or
without a domain); its hex rows follow (`00: ec 10 68 81 ...`, 16 bytes each, offsets
up to `ff0`). Indented lines are lspci's decode and are skipped, as are unindented
lines between a device line and its first row (lspci -v wraps some decode lines there);
anything else unrecognized is an error at its line.

Here: the line shapes, and the reader of canonical text (`parse_whole`: each device checked
and decoded at once), which is all a `show` of an `lspci -x` dump runs. The other readers
are their own modules, imported when first needed (and named here, `__getattr__`): the
line-by-line reader `parse` (`lspci_lines`), the survey's `parse_recovering`
(`lspci_fleet`) and `scan_slot` for `--slot` (`lspci_slot`).
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from .lspci_fleet import parse_recovering
    from .lspci_lines import parse
    from .lspci_slot import scan_slot

from ..elsewhere import elsewhere
from ..space import ConfigSpace, Provenance, normalize_slot

# The three line shapes, matched with string methods rather than `re` (whose import, with the
# enum and functools it brings, was a tenth of a `show --json`). Each matches exactly what its
# pattern (`*_PATTERN`, below them) matches, and returns the match's groups as a tuple (item 0
# the whole match, as `re.Match`'s group 0) or None: tests/test_lspci_lines.py holds them to `re`.
_HEX = "0123456789abcdefABCDEF"


def _hex(text: str) -> bool:
    return bool(text) and not text.strip(_HEX)


def match_device(line: str) -> tuple[str, str, str | None] | None:
    colon = line.find(":")
    if colon == 2:
        end = 7
    elif 4 <= colon <= 8 and _hex(line[:colon]):
        end = colon + 8
    else:
        return None
    slot = line[:end]  # [domain:]bus:dev.fn
    if not (len(slot) == end and _hex(slot[end - 7:end - 5]) and slot[end - 5] == ":"
            and _hex(slot[end - 4:end - 2]) and slot[end - 2] == "." and slot[end - 1] in "01234567"):
        return None
    rest = line[end:]
    if not rest:
        return (slot, slot, None)
    text = rest.lstrip()  # `\s+` takes every leading whitespace character (newlines too)
    if len(text) == len(rest):
        return None
    newline = text.find("\n")  # `(.*)` stops at a newline; `$` is the end, or a last newline
    if newline >= 0 and newline != len(text) - 1:
        return None
    return (line[:len(line) - (newline >= 0)], slot, text[:newline] if newline >= 0 else text)


_SPACES16 = " " * 16


def match_row(line: str) -> tuple[str, str, str] | None:
    colon = 2 if line[2:3] == ":" else 3 if line[3:4] == ":" else -1
    if colon < 0:
        return None
    body = line[colon + 1:colon + 49]
    if len(body) != 48 or body[::3] != _SPACES16 or (line[:colon] + body[1::3] + body[2::3]).strip(_HEX):
        return None  # one strip: the offset's digits and both digits of every byte are hex
    rest = line[colon + 49:]
    if rest and not rest.isspace():
        return None
    return (line, line[:colon], body)  # `\s*` takes a last newline too


def match_row_like(line: str) -> tuple[str] | None:
    colon = 2 if line[2:3] == ":" else 3 if line[3:4] == ":" else -1
    if colon < 0 or not _hex(line[:colon]):
        return None
    return (line[:colon + 1],)


DEVICE_PATTERN = r"^((?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])(?:\s+(.*))?$"
ROW_PATTERN = r"^([0-9a-fA-F]{2,3}):((?: [0-9a-fA-F]{2}){16})\s*$"
ROW_LIKE_PATTERN = r"^[0-9a-fA-F]{2,3}:"


def parse_whole(data: bytes, source: str) -> list[ConfigSpace] | None:
    """The devices `parse` reads in the whole lspci text `data`, when every device in it is a
    device line and the canonical rows of `lspci -x/-xxx/-xxxx`, with blank lines between:
    each is then checked and decoded with a handful of C-level string operations (the
    survey's `fast_device`) instead of line by line (~2 ms of a `show` of one 4 KiB device).
    None for anything else (a `-v` decode, CRLF, a row out of place, any fault): `parse`
    then reads it, and says what is wrong where, as it always did."""
    text = data.decode("utf-8", "replace")  # as `parse`'s lines are, one by one
    if "\r" in text:
        return None
    devices: list[ConfigSpace] = []
    line, counted = 1, 0  # the number of the line at `text[counted]`
    pos = 0  # where `piece` starts in `text`
    for piece in text.split("\n\n"):
        device = piece.lstrip("\n")
        start = pos + len(piece) - len(device)
        pos += len(piece) + 2
        if not device.strip(" \t\n"):
            continue  # blank lines (and indented blanks, which `parse` skips too)
        # lines are counted up to each device's start (never through the last device)
        line += text.count("\n", counted, start)
        counted = start
        cs = fast_device(device, source, line, len(devices))
        if cs is None:
            return None
        devices.append(cs)
    return devices or None


# ---------------------------------------------------------------- one canonical device at once
# (parse_whole, and the survey's fast path: lspci_fleet)

_HEX_TO_X_BYTES = bytes.maketrans(b"0123456789abcdef", b"x" * 16)  # bytes.translate: a table, fast


_SKELETON_ROW = " ".join(["xx"] * 16)  # a row's 16 bytes, hex digits as 'x'
_DIGITS = "0123456789abcdef"
_ROW_LENGTH, _LONG_ROW_LENGTH = 52, 53  # with the newline: `00: ` rows 0-15, `100: ` after
CANONICAL_ROWS = (4, 16, 256)  # lspci -x, -xxx, -xxxx


def _canonical_layout(rows: int) -> tuple[str, list[tuple[int, int, str]]]:
    """What the body of a device looks like when lspci printed `rows` rows: its skeleton
    (hex digits as 'x'), and its prefix columns (`00: `, `100: `) as strided slices with
    the text each must hold. Rows 0-15 are 52 characters with the newline, the rest 53,
    so every prefix column is one slice `body[start::step]` of `count` characters. Made
    from repeated pieces, not row by row (a `show` makes one, before its first device)."""
    short, long = min(rows, 16), max(rows - 16, 0)
    skeleton = "\n".join(["xx: " + _SKELETON_ROW] * short + ["xxx: " + _SKELETON_ROW] * long)
    # row r < 16 is `r0:`; row r >= 16 is `(r >> 4)(r & 15)0:`
    columns = [(0, _ROW_LENGTH, _DIGITS[:short]), (1, _ROW_LENGTH, "0" * short),
               (2, _ROW_LENGTH, ":" * short)]
    if long:
        base = 16 * _ROW_LENGTH
        columns += [(base, _LONG_ROW_LENGTH, "".join(c * 16 for c in _DIGITS[1:])[:long]),
                    (base + 1, _LONG_ROW_LENGTH, (_DIGITS * 15)[:long]),
                    (base + 2, _LONG_ROW_LENGTH, "0" * long), (base + 3, _LONG_ROW_LENGTH, ":" * long)]
    return skeleton, columns


def _body_rows(length: int) -> int:
    """How many rows a device body of `length` characters (no last newline) would hold."""
    if length + 1 <= 16 * _ROW_LENGTH:
        return (length + 1) // _ROW_LENGTH if (length + 1) % _ROW_LENGTH == 0 else 0
    rest = length + 1 - 16 * _ROW_LENGTH
    return 16 + rest // _LONG_ROW_LENGTH if rest % _LONG_ROW_LENGTH == 0 else 0


_CANONICAL: dict[int, tuple[bytes, list[tuple[int, int, str]]] | None] = {}  # body length -> layout


def _canonical(length: int) -> tuple[bytes, list[tuple[int, int, str]]] | None:
    """The canonical layout whose body is `length` characters long (None: no lspci -x,
    -xxx or -xxxx body is), made the first time a body of that length is met."""
    try:
        return _CANONICAL[length]
    except KeyError:
        pass
    rows = _body_rows(length)
    layout = None
    if rows in CANONICAL_ROWS:
        skeleton, columns = _canonical_layout(rows)
        layout = (skeleton.encode("ascii"), columns)
    if len(_CANONICAL) < 64:  # lengths come from untrusted text: the memo stays small
        _CANONICAL[length] = layout
    return layout


def fast_device(chunk: str, source: str, line: int, index: int) -> ConfigSpace | None:
    """The device of one chunk of text (its device line, then its rows) when it is canonical
    `lspci -x/-xxx/-xxxx` text; None for anything else (the line-by-line reader's to read)."""
    head, _, body = chunk.partition("\n")
    body = body.rstrip("\n")
    layout = _canonical(len(body))
    if layout is None:
        return None
    skeleton, columns = layout
    d = match_device(head)
    if d is None or not body.isascii():
        return None
    hexes = bytearray(body, "ascii")
    if hexes.translate(_HEX_TO_X_BYTES) != skeleton:
        return None
    for start, step, expected in columns:
        stop = start + step * len(expected)
        if body[start:stop:step] != expected:
            return None  # rows out of order, or offsets that are not lspci's
        hexes[start:stop:step] = b" " * len(expected)  # blank the prefix: fromhex skips it
    raw = bytes.fromhex(hexes.decode("ascii"))
    return ConfigSpace.from_prefix(raw, Provenance(source, "lspci", line, normalize_slot(d[1]),
                                                   head, index))


# the readers a `show` of canonical text does not run, in their modules
_ELSEWHERE = {"parse": "lspci_lines", "parse_recovering": "lspci_fleet", "scan_slot": "lspci_slot"}


__getattr__ = elsewhere(globals(), _ELSEWHERE)


__all__ = ["CANONICAL_ROWS", "DEVICE_PATTERN", "ROW_LIKE_PATTERN", "ROW_PATTERN",
           "fast_device", "match_device", "match_row", "match_row_like", "parse", "parse_recovering",
           "parse_whole", "scan_slot"]
