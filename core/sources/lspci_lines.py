"""The line-by-line reader of lspci text: any text `lspci.parse_whole` does not read whole
(`-v` decode between the rows, CRLF, rows out of place, a fault named at its line), a
device found by `--slot`, and a survey's device that is not canonical. A `show` of
canonical `lspci -x` text never imports it.

A device starts at its description line; its hex rows follow. Indented lines are lspci's
decode and are skipped, as are unindented lines between a device line and its first row
(lspci -v wraps some decode lines there); anything else unrecognized is an error at its line.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

from ..lazyre import MULTILINE, LazyPattern
from ..space import CONFIG_SIZE, ConfigSpace, DumpError, Provenance, normalize_slot
from .lspci import match_device, match_row, match_row_like

# where a device line starts in a block of text (the survey's and --slot's readers cut there)
DEVICE_AT = LazyPattern(r"^(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7](?=[ \t\r\n]|$)", MULTILINE)

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
    """Every device of numbered lspci text lines, in order; a fault is a DumpError at its line."""
    current: _Device | None = None
    index = 0
    for number, line in lines:
        if not line or line[0] in " \t":
            continue  # blank, or lspci -v decode
        m = match_row(line)
        if m:
            offset = int(m[1], 16)
            if offset % 16 or offset >= CONFIG_SIZE:
                raise DumpError(source, f"bad hex row: offset {m[1]} is not a row of "
                                        "the 4 KiB config space", number)
            if current is None:  # rows with no device line before them
                current = _Device(None, number, None)
            row = offset // 16
            if row in current.rows:
                raise DumpError(source, f"bad hex row: offset {m[1]} appears twice", number)
            current.rows.add(row)
            current.data[offset:offset + 16] = bytes.fromhex(m[2])
            continue
        d = match_device(line)
        if d:
            if current is not None:
                yield current.finish(source, fmt, index)
                index += 1
            current = _Device(normalize_slot(d[1]), number, line)
            continue
        if match_row_like(line):
            raise DumpError(source, f"bad hex row: {_clip(line)}", number)
        if current is not None and not current.rows and current.text is not None:
            continue  # lspci -v decode between a device line and its rows (wrapped lines)
        raise DumpError(source, f"not lspci -x output: {_clip(line)}", number)
    if current is not None:
        yield current.finish(source, fmt, index)


def _clip(line: str, width: int = 60) -> str:
    line = line.strip()
    return repr(line if len(line) <= width else line[:width] + "...")
