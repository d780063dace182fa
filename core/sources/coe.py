"""pcileech `.coe` (Xilinx memory init) files: `memory_initialization_vector=` followed by
8-digit hex words, each the next four config bytes in address order; `;` starts a comment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..space import CONFIG_SIZE, ConfigSpace, DumpError, Provenance

_RADIX = re.compile(r"memory_initialization_radix\s*=\s*(\d+)", re.I)
_VECTOR = re.compile(r"memory_initialization_vector\s*=", re.I)
_WORD = re.compile(r"^[0-9a-fA-F]{8}$")


def parse(lines: Iterable[tuple[int, str]], source: str, fmt: str = "coe") -> Iterator[ConfigSpace]:
    data = bytearray()
    in_vector = done = False
    start_line = 1
    for number, line in lines:
        code = line.partition(";")[0]
        if not in_vector:
            radix = _RADIX.search(code)
            if radix and radix.group(1) != "16":
                raise DumpError(source, f"radix {radix.group(1)} is not supported (only 16)", number)
            vec = _VECTOR.search(code)
            if not vec:
                if code.strip() and not _RADIX.search(code):
                    raise DumpError(source, f"not a .coe line: {code.strip()[:60]!r}", number)
                continue
            in_vector, start_line = True, number
            code = code[vec.end():]
        if done:
            if code.strip():
                raise DumpError(source, "data after the end of the vector", number)
            continue
        for word in code.replace(",", " ").split():
            if not _WORD.match(word):
                raise DumpError(source, f"bad .coe word {word[:20]!r}: expected 8 hex digits", number)
            if len(data) >= CONFIG_SIZE:
                raise DumpError(source, "vector is longer than the 4 KiB config space", number)
            data += bytes.fromhex(word)
        if line.strip() == ";" or (code.strip() and ";" in line):
            done = True  # a lone ';', or one right after the last words, ends the vector
    if not data:
        raise DumpError(source, "no memory_initialization_vector data")
    yield ConfigSpace.from_prefix(bytes(data), Provenance(source, fmt, start_line))
