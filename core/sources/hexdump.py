"""`hexdump -C` and `xxd` text of a raw config-space file.

hexdump -C: `00000000  86 80 1a 15 06 00 10 00  02 00 80 0c 10 00 00 00  |................|`
xxd:        `00000000: 8680 1a15 0600 1000 0200 800c 1000 0000  ................`
Both may collapse repeated rows into a `*` line (hexdump by default, `xxd -a`); the row
before it repeats up to the next offset. A dump whose offsets restart at 0 starts a new
device, so concatenated dumps read as a multi-device file.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing`, no `collections` at start-up (issue 23): for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    import re


from ..lazyre import LazyPattern
from ..space import CONFIG_SIZE, ConfigSpace, DumpError, Provenance

HEXDUMP_ROW = LazyPattern(r"^([0-9a-fA-F]{7,8})((?: {1,2}[0-9a-fA-F]{2}){1,16})(?:\s+\|.*\|)?\s*$")
HEXDUMP_END = LazyPattern(r"^([0-9a-fA-F]{7,8})\s*$")  # parsing only: detect() needs none
ID_BYTES = 4  # vendor and device ID: the least of a config space a dump must hold
XXD_ROW = LazyPattern(r"^([0-9a-fA-F]{7,8}): ((?:[0-9a-fA-F]{2})+(?: (?:[0-9a-fA-F]{2})+)*)(?:  .*)?$")


class _Dump:
    __slots__ = ("data", "end", "line", "last")

    def __init__(self, line: int) -> None:
        self.data = bytearray()
        self.end = 0  # bytes filled so far
        self.line = line
        self.last = b""  # the previous row, for '*'

    def put(self, offset: int, row: bytes, source: str, number: int) -> None:
        if offset != len(self.data):
            raise DumpError(source, f"bad hex row: offset {offset:#x} where {len(self.data):#x} "
                                    "was expected", number)
        if offset + len(row) > CONFIG_SIZE:
            raise DumpError(source, "bad hex row: runs past the 4 KiB config space", number)
        self.data += row
        self.last = row

    def repeat_to(self, offset: int, source: str, number: int) -> None:
        """Fill a `*` gap: the last row repeats up to `offset`."""
        if not self.last or offset < len(self.data) or offset > CONFIG_SIZE:
            raise DumpError(source, f"bad repeat: offset {offset:#x} after '*'", number)
        while len(self.data) < offset:
            self.data += self.last[: offset - len(self.data)]

    def finish(self, source: str, fmt: str, index: int) -> ConfigSpace:
        if len(self.data) < ID_BYTES:  # config reads are DWORDs: the first one at least
            raise DumpError(source, f"the dump ends after {len(self.data)} byte(s): shorter than "
                                    f"the vendor and device ID ({ID_BYTES} bytes)", self.line)
        return ConfigSpace.from_prefix(bytes(self.data), Provenance(source, fmt, self.line, index=index))


def _row_bytes(m: re.Match[str]) -> bytes:
    return bytes.fromhex(m.group(2).replace(" ", ""))


def parse(lines: Iterable[tuple[int, str]], source: str, fmt: str) -> Iterator[ConfigSpace]:
    row_re = (XXD_ROW if fmt == "xxd" else HEXDUMP_ROW).compiled  # the pattern itself, once
    dump: _Dump | None = None
    pending_star = False
    index = 0
    for number, line in lines:
        text = line.rstrip()
        if not text:
            continue
        if text == "*":
            pending_star = True
            continue
        m = row_re.match(text)
        end = None if m else HEXDUMP_END.match(text)
        if not m and not end:
            raise DumpError(source, f"bad hex row: {text[:60]!r}", number)
        offset = int((m or end).group(1), 16)  # type: ignore[union-attr] - one of them matched (above)
        if offset == 0 and dump is not None and dump.data:
            yield dump.finish(source, fmt, index)
            index, dump = index + 1, None
        if dump is None:
            dump = _Dump(number)
        if pending_star:
            dump.repeat_to(offset, source, number)
            pending_star = False
        if m:
            dump.put(offset, _row_bytes(m), source, number)
    if dump is not None and dump.data:
        yield dump.finish(source, fmt, index)
    elif dump is None:
        raise DumpError(source, "no hex rows found")
