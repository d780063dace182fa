"""`lspci -x` / `-xxx` / `-xxxx` text: one or many devices, `-v` lines allowed.

A device starts at its description line (`07:00.0 Ethernet controller: ...`, with or
without a domain); its hex rows follow (`00: ec 10 68 81 ...`, 16 bytes each, offsets
up to `ff0`). Indented lines are lspci's decode and are skipped, as are unindented
lines between a device line and its first row (lspci -v wraps some decode lines there);
anything else unrecognized is an error at its line.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    import re
    from collections.abc import Callable, Iterable, Iterator
    from typing import BinaryIO

from ..lazyre import MULTILINE, LazyPattern
from ..space import CONFIG_SIZE, ConfigSpace, DumpError, Provenance, normalize_slot

# The three line shapes, matched with string methods rather than `re` (whose import, with the
# enum and functools it brings, was a tenth of a `show --json`). Each matches exactly what
# its pattern, given beside it, matches: tests/test_lspci_lines.py holds them to `re`.
_HEX = "0123456789abcdefABCDEF"


def _hex(text: str) -> bool:
    return bool(text) and not text.strip(_HEX)


class _Groups(tuple):
    """A match's groups, read as `re.Match.group(n)` reads them."""

    def group(self, n: int = 0) -> str | None:
        return self[n]


class _Shape:
    """`.match(line)`: the groups of the line as `re.compile(pattern).match` finds them, or None."""

    def __init__(self, pattern: str, match: Callable[[str], _Groups | None]) -> None:
        self.pattern, self.match = pattern, match


def _match_device(line: str) -> _Groups | None:
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
        return _Groups((slot, slot, None))
    text = rest.lstrip()  # `\s+` takes every leading whitespace character (newlines too)
    if len(text) == len(rest):
        return None
    newline = text.find("\n")  # `(.*)` stops at a newline; `$` is the end, or a last newline
    if newline >= 0 and newline != len(text) - 1:
        return None
    return _Groups((line[:len(line) - (newline >= 0)], slot, text[:newline] if newline >= 0 else text))


_SPACES16 = " " * 16


def _match_row(line: str) -> _Groups | None:
    colon = 2 if line[2:3] == ":" else 3 if line[3:4] == ":" else -1
    if colon < 0:
        return None
    body = line[colon + 1:colon + 49]
    if len(body) != 48 or body[::3] != _SPACES16 or (line[:colon] + body[1::3] + body[2::3]).strip(_HEX):
        return None  # one strip: the offset's digits and both digits of every byte are hex
    rest = line[colon + 49:]
    if rest and not rest.isspace():
        return None
    return _Groups((line, line[:colon], body))  # `\s*` takes a last newline too


def _match_row_like(line: str) -> _Groups | None:
    colon = 2 if line[2:3] == ":" else 3 if line[3:4] == ":" else -1
    if colon < 0 or not _hex(line[:colon]):
        return None
    return _Groups((line[:colon + 1],))


DEVICE = _Shape(r"^((?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])(?:\s+(.*))?$", _match_device)
ROW = _Shape(r"^([0-9a-fA-F]{2,3}):((?: [0-9a-fA-F]{2}){16})\s*$", _match_row)
ROW_LIKE = _Shape(r"^[0-9a-fA-F]{2,3}:", _match_row_like)


class _Device:
    __slots__ = ("slot", "line", "text", "data", "rows")

    def __init__(self, slot: str | None, line: int, text: str | None) -> None:
        self.slot, self.line, self.text = slot, line, text
        self.data = bytearray(CONFIG_SIZE)
        self.rows: set[int] = set()

    def finish(self, source: str, fmt: str, index: int) -> ConfigSpace:
        if not self.rows:
            raise DumpError(source, "device has no hex dump rows (use lspci -x, -xxx or -xxxx)",
                            self.line)
        available: list[tuple[int, int]] = []
        for row in sorted(self.rows):
            start = row * 16
            if available and available[-1][1] == start:
                available[-1] = (available[-1][0], start + 16)
            else:
                available.append((start, start + 16))
        prov = Provenance(source, fmt, self.line, self.slot, self.text, index)
        return ConfigSpace(bytes(self.data), tuple(available), prov)


def parse(lines: Iterable[tuple[int, str]], source: str, fmt: str = "lspci") -> Iterator[ConfigSpace]:
    current: _Device | None = None
    index = 0
    for number, line in lines:
        if not line or line[0] in " \t":
            continue  # blank, or lspci -v decode
        m = ROW.match(line)
        if m:
            offset = int(m.group(1), 16)
            if offset % 16 or offset >= CONFIG_SIZE:
                raise DumpError(source, f"bad hex row: offset {m.group(1)} is not a row of "
                                        "the 4 KiB config space", number)
            if current is None:  # rows with no device line before them
                current = _Device(None, number, None)
            row = offset // 16
            if row in current.rows:
                raise DumpError(source, f"bad hex row: offset {m.group(1)} appears twice", number)
            current.rows.add(row)
            current.data[offset:offset + 16] = bytes.fromhex(m.group(2))
            continue
        d = DEVICE.match(line)
        if d:
            if current is not None:
                yield current.finish(source, fmt, index)
                index += 1
            current = _Device(normalize_slot(d.group(1)), number, line)
            continue
        if ROW_LIKE.match(line):
            raise DumpError(source, f"bad hex row: {_clip(line)}", number)
        if current is not None and not current.rows and current.text is not None:
            continue  # lspci -v decode between a device line and its rows (wrapped lines)
        raise DumpError(source, f"not lspci -x output: {_clip(line)}", number)
    if current is not None:
        yield current.finish(source, fmt, index)


def parse_whole(data: bytes, source: str) -> list[ConfigSpace] | None:
    """The devices `parse` reads in the whole lspci text `data`, when every device in it is a
    device line and the canonical rows of `lspci -x/-xxx/-xxxx`, with blank lines between:
    each is then checked and decoded with a handful of C-level string operations (the
    survey's `_fast_device`) instead of line by line (~2 ms of a `show` of one 4 KiB device).
    None for anything else (a `-v` decode, CRLF, a row out of place, any fault): `parse`
    then reads it, and says what is wrong where, as it always did."""
    text = data.decode("utf-8", "replace")  # as `parse`'s lines are, one by one
    if "\r" in text:
        return None
    devices: list[ConfigSpace] = []
    line = 1  # the number of the first line of `piece`
    for piece in text.split("\n\n"):
        device = piece.lstrip("\n")
        first = line + len(piece) - len(device)
        line += piece.count("\n") + 2
        if not device.strip(" \t\n"):
            continue  # blank lines (and indented blanks, which `parse` skips too)
        cs = _fast_device(device, source, first, len(devices))
        if cs is None:
            return None
        devices.append(cs)
    return devices or None


def _clip(line: str, width: int = 60) -> str:
    line = line.strip()
    return repr(line if len(line) <= width else line[:width] + "...")


# ---------------------------------------------------------------- fast, recovering reader (survey)

_DEVICE_AT = LazyPattern(r"^(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7](?=[ \t\r\n]|$)", MULTILINE)
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


def parse_recovering(data: bytes, source: str, first_line: int = 1, first_index: int = 0
                     ) -> Iterator[ConfigSpace | DumpError]:
    """Every device of a block of lspci text, fast in the common case: devices separated
    by a blank line, each a device line and the canonical rows of `lspci -x/-xxx/-xxxx`,
    checked and decoded with a handful of C-level string operations. Anything else goes
    through the line-by-line reader. A device with a bad line yields its DumpError and the
    reader carries on at the next device line: a survey never stops on one device."""
    text = data.decode("utf-8", "replace")  # as every reader: device names may be UTF-8
    line, index = first_line, first_index
    for chunk in _device_chunks(text):
        stripped = chunk.lstrip("\n")
        line += len(chunk) - len(stripped)
        chunk = stripped
        if chunk.strip():
            fast = _fast_device(chunk, source, line, index)
            if fast is not None:
                yield fast
                index += 1
            else:
                for item in _careful(chunk, source, line, index):
                    yield item
                    index += 1
        line += chunk.count("\n") + 2


def _device_chunks(text: str) -> Iterator[str]:
    """The text cut at blank lines that are followed by a device line (a blank line inside
    a device's rows does not end it, as for the line-by-line reader)."""
    pending: str | None = None
    for chunk in text.split("\n\n"):
        if pending is not None and not _DEVICE_AT.match(chunk.lstrip("\n")):
            pending += "\n\n" + chunk
            continue
        if pending is not None:
            yield pending
        pending = chunk
    if pending is not None:
        yield pending


def _careful(chunk: str, source: str, line: int, index: int) -> Iterator[ConfigSpace | DumpError]:
    """The line-by-line reader over one chunk, device by device, errors yielded."""
    starts = [m.start() for m in _DEVICE_AT.finditer(chunk)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(chunk)
        piece = chunk[start:end]
        first = line + chunk.count("\n", 0, start)
        try:
            for cs in parse(((i, l.rstrip("\r")) for i, l in enumerate(piece.split("\n"), first)), source):
                p = cs.provenance
                yield ConfigSpace(cs.data, cs.available,
                                  Provenance(source, "lspci", p.line, p.slot, p.device_line, index + n))
        except DumpError as exc:
            yield exc


def _fast_device(chunk: str, source: str, line: int, index: int) -> ConfigSpace | None:
    head, _, body = chunk.partition("\n")
    body = body.rstrip("\n")
    layout = _canonical(len(body))
    if layout is None:
        return None
    skeleton, columns = layout
    d = DEVICE.match(head)
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
    return ConfigSpace.from_prefix(raw, Provenance(source, "lspci", line, normalize_slot(d.group(1)),
                                                   head, index))


# ---------------------------------------------------------------- one device by slot (--slot)

SCAN_CHUNK = 1 << 20  # bytes read at a time while looking for a device line
_FIRST_SLOTS_BYTES = 1 << 20  # where the slots named in a "no device at" error are taken from


class _Window:
    """A sliding window over a byte stream: `pos` is always a line start in `buf`, and
    `line` that line's number. Reading on drops what lies before `pos`, so the window
    holds at most a chunk and a line whatever the stream's size."""

    def __init__(self, stream: BinaryIO, head: bytes, source: str, max_line: int) -> None:
        self.stream, self.source, self.max_line = stream, source, max_line
        self.buf, self.pos, self.line, self.eof = head, 0, 1, False

    def advance(self, to: int) -> None:
        self.line += self.buf.count(b"\n", self.pos, to)
        self.pos = to

    def more(self) -> bool:
        """Reads the next chunk; False at the end of the stream."""
        if self.eof:
            return False
        chunk = self.stream.read(SCAN_CHUNK)
        if not chunk:
            self.eof = True
            return False
        self.buf = self.buf[self.pos:] + chunk
        self.pos = 0
        return True

    def line_end(self) -> int:
        """Index just past the line at `pos` (its newline included), reading on as needed."""
        while True:
            nl = self.buf.find(b"\n", self.pos)
            if nl >= 0:
                return nl + 1
            self.check_line()
            if not self.more():
                return len(self.buf)

    def check_line(self) -> None:
        if len(self.buf) - self.pos > self.max_line:
            raise DumpError(self.source, f"line longer than {self.max_line} bytes: not a "
                                         "config-space dump", self.line)

    def text(self, end: int) -> str:
        return self.buf[self.pos:end].decode("utf-8", "replace").rstrip("\r\n")

    def device_lines(self) -> Iterator[tuple[int, str]]:
        """The numbered lines of the device whose line is at `pos`, up to (not including)
        the next device line, which is left at `pos`."""
        first = True
        while self.pos < len(self.buf) or self.more():
            end = self.line_end()
            text = self.text(end)
            if not first and DEVICE.match(text):
                return
            first = False
            yield self.line, text
            self.advance(end)


def _slot_literal(want: str) -> re.Pattern[bytes]:
    """`bus:dev.fn` of a normalized slot as it may be written (hex in either case)."""
    import re

    _, bus, devfn = want.split(":")
    return re.compile(re.escape(f"{bus}:{devfn}".encode()), re.I)


def scan_slot(stream: BinaryIO, head: bytes, source: str, want: str, max_line: int,
              fmt: str = "lspci") -> tuple[list[ConfigSpace], list[str]]:
    """The devices at slot `want` (normalized) of lspci text, and when there are none the
    first slots the text names (for the error). The bytes are searched for the slot (a
    C-level search, no line splitting) and only the devices found are parsed, so time is
    one pass over the bytes and memory a window: `show --slot` on a fleet file reads like
    `lspci -F FILE -s`. Other devices are not parsed, so their faults are not reported."""
    win = _Window(stream, head, source, max_line)
    literal = _slot_literal(want)
    found: list[ConfigSpace] = []
    first_slots: list[str] = []
    noted = 0  # bytes looked at for first_slots

    def skip(to: int) -> None:
        """Moves past lines that hold no wanted device, noting the first slots named."""
        nonlocal noted
        if len(first_slots) < 8 and noted < _FIRST_SLOTS_BYTES and to > win.pos:
            for d in _DEVICE_AT.finditer(win.buf[win.pos:to].decode("utf-8", "replace")):
                first_slots.append(normalize_slot(d.group(0)) or "?")
                if len(first_slots) >= 8:
                    break
            noted += to - win.pos
        win.advance(to)

    while True:
        m = literal.search(win.buf, win.pos)
        if m is None:
            skip(win.buf.rfind(b"\n", win.pos) + 1 or win.pos)  # keep the last, partial line
            win.check_line()
            if not win.more():
                break
            continue
        skip(win.buf.rfind(b"\n", win.pos, m.start()) + 1 or win.pos)
        end = win.line_end()
        d = DEVICE.match(win.text(end))
        if d is None or normalize_slot(d.group(1)) != want:
            skip(end)  # the slot inside some other line, or another domain's device
            continue
        for cs in parse(win.device_lines(), source, fmt):
            p = cs.provenance
            found.append(ConfigSpace(cs.data, cs.available,
                                     Provenance(source, fmt, p.line, p.slot, p.device_line, len(found))))
    return found, first_slots
