"""`lspci -x` / `-xxx` / `-xxxx` text: one or many devices, `-v` lines allowed.

A device starts at its description line (`07:00.0 Ethernet controller: ...`, with or
without a domain); its hex rows follow (`00: ec 10 68 81 ...`, 16 bytes each, offsets
up to `ff0`). Indented lines are lspci's decode and are skipped, as are unindented
lines between a device line and its first row (lspci -v wraps some decode lines there);
anything else unrecognized is an error at its line.
"""

from __future__ import annotations

import re
from typing import Iterable, Iterator

from ..space import CONFIG_SIZE, ConfigSpace, DumpError, Provenance, normalize_slot

DEVICE = re.compile(r"^((?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])(?:\s+(.*))?$")
ROW = re.compile(r"^([0-9a-fA-F]{2,3}):((?: [0-9a-fA-F]{2}){16})\s*$")
ROW_LIKE = re.compile(r"^[0-9a-fA-F]{2,3}:")


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


def _clip(line: str, width: int = 60) -> str:
    line = line.strip()
    return repr(line if len(line) <= width else line[:width] + "...")
