"""One device of lspci text by its slot (`--slot`): the bytes are searched for the slot, and
only the devices found are read (line by line, `lspci_lines`), so a `show --slot` of a
fleet file is one pass over its bytes and memory a window."""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    import re
    from collections.abc import Iterator
    from typing import BinaryIO

from ..space import ConfigSpace, DumpError, Provenance, normalize_slot
from .lspci import match_device
from .lspci_lines import DEVICE_AT, parse

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
            if not first and match_device(text):
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
            for d in DEVICE_AT.finditer(win.buf[win.pos:to].decode("utf-8", "replace")):
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
        d = match_device(win.text(end))
        if d is None or normalize_slot(d[1]) != want:
            skip(end)  # the slot inside some other line, or another domain's device
            continue
        for cs in parse(win.device_lines(), source, fmt):
            p = cs.provenance
            found.append(ConfigSpace(cs.data, cs.available,
                                     Provenance(source, fmt, p.line, p.slot, p.device_line, len(found))))
    return found, first_slots
