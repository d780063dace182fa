"""A realistic fleet corpus: the bundled real dumps repeated, each copy varied as the same
model varies across a fleet, written as one `lspci -xxxx`-style file that `lspci -F` reads.

Every copy gets its own slot (domain:bus:dev.fn) and, where the model has them:
- BAR addresses (the type bits kept, address bits drawn; an unimplemented BAR stays 0);
- bridge bus numbers (primary = the copy's bus, secondary and subordinate above it);
- status bits: the Status register's error bits (8, 11-15), the PCI Express Device Status
  error and Transactions Pending bits, AER's Uncorrectable and Correctable Status;
- the Device Serial Number.

So no two copies are byte-identical: a cache keyed by the whole dump never hits, and one
keyed by the bytes that decide the analysis must ignore exactly these. The copies are drawn
from a seeded generator: the same arguments give the same file.

    python benchmarks/fleet.py OUT --devices N [--seed S]
"""

from __future__ import annotations

import argparse
import random
import struct
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))

STATUS_ERROR_BITS = 0x0100 | 0xF800  # Master Data Parity Error, 11-15: aborts, SERR, parity
DEVSTA_BITS = 0x000F | 0x0020  # CED NFED FED URD, Transactions Pending
AER_UNCOR_BITS = 0x03FFF030  # DLP, SDES, PTLP .. poisoned, UR, ACS, ... (the defined ones)
AER_COR_BITS = 0x0000F1C1  # Receiver Error, Bad TLP, Bad DLLP, Replay, Timeout, Advisory, ...


class Model:
    """One real device: its description line, its bytes and which 16-byte rows were dumped."""

    __slots__ = ("name", "data", "rows")

    def __init__(self, name: str, data: bytes, rows: tuple[int, ...]) -> None:
        self.name, self.data, self.rows = name, data, rows


def models(paths: list[Path] = DUMPS) -> list[Model]:
    """Every device of the given lspci -xxxx files, in file order."""
    out = []
    for p in paths:
        name, data, rows = None, bytearray(4096), []
        for line in p.read_text().splitlines() + [""]:
            if not line.strip():
                if name is not None and rows:
                    out.append(Model(name, bytes(data), tuple(rows)))
                name, data, rows = None, bytearray(4096), []
                continue
            head, sep, rest = line.partition(": ")
            if name is None:
                name = line.split(" ", 1)[1] if " " in line else "Device"
            elif sep and len(head) in (2, 3) and not line[0].isspace():
                off = int(head, 16)
                data[off:off + 16] = bytes.fromhex(rest)
                rows.append(off)
    return out


def _caps(data: bytes, rows: tuple[int, ...]) -> Iterator[tuple[str, int, int]]:
    """(space, id, offset) of the capabilities a plain walk finds in the dumped rows."""
    have = set(rows)
    seen: set[int] = set()
    if data[6] & 0x10 and 0x30 in have:
        pos = data[0x34] & 0xFC
        while pos >= 0x40 and pos not in seen and (pos & ~0xF) in have:
            seen.add(pos)
            yield "std", data[pos], pos
            pos = data[pos + 1] & 0xFC
    pos = 0x100
    while pos >= 0x100 and pos not in seen and pos in have:
        seen.add(pos)
        header = struct.unpack_from("<I", data, pos)[0]
        if header in (0, 0xFFFFFFFF):
            break
        yield "ext", header & 0xFFFF, pos
        pos = (header >> 20) & 0xFFC


def vary(model: Model, bus: int, rng: random.Random) -> bytes:
    """One fleet copy of `model` on bus `bus`: BARs, bus numbers, status bits and DSN drawn."""
    data = bytearray(model.data)
    have = set(model.rows)

    def put32(pos: int, value: int) -> None:
        if (pos & ~0xF) in have:
            struct.pack_into("<I", data, pos, value & 0xFFFFFFFF)

    kind = data[0x0E] & 0x7F
    bars = {0: range(0x10, 0x28, 4), 1: range(0x10, 0x18, 4), 2: range(0x10, 0x14, 4)}.get(kind, ())
    upper = False  # the next dword is the high half of a 64-bit BAR
    for pos in bars:
        value = struct.unpack_from("<I", data, pos)[0]
        if upper:
            put32(pos, rng.randrange(0, 0x40) if value else 0)
            upper = False
        elif value & 1:  # I/O: bits 15:2 address
            put32(pos, (value & 0x3) | (rng.randrange(0x10, 0x100) << 8))
        elif value:
            put32(pos, (value & 0xF) | (rng.randrange(0x800, 0x1000) << 20))
            upper = (value >> 1) & 3 == 2
    if kind == 1 and 0x10 in have:
        secondary = min(bus + 1 + rng.randrange(0, 8), 0xFF)
        data[0x18:0x1B] = bytes((bus, secondary, min(secondary + rng.randrange(0, 8), 0xFF)))
    status = struct.unpack_from("<H", data, 6)[0]
    struct.pack_into("<H", data, 6, (status & ~STATUS_ERROR_BITS) | (rng.getrandbits(16) & STATUS_ERROR_BITS))
    for space, cap, pos in _caps(bytes(data), model.rows):
        if space == "std" and cap == 0x10 and ((pos + 0x0A) & ~0xF) in have:
            devsta = struct.unpack_from("<H", data, pos + 0x0A)[0]
            struct.pack_into("<H", data, pos + 0x0A,
                             (devsta & ~DEVSTA_BITS) | (rng.getrandbits(16) & DEVSTA_BITS))
        elif space == "ext" and cap == 0x0001:
            put32(pos + 0x04, rng.getrandbits(32) & AER_UNCOR_BITS)
            put32(pos + 0x10, rng.getrandbits(32) & AER_COR_BITS)
        elif space == "ext" and cap == 0x0003:
            put32(pos + 4, rng.getrandbits(32))
            put32(pos + 8, rng.getrandbits(32))
    return bytes(data)


def slot(n: int) -> str:
    """The n-th copy's slot: every copy at its own domain:bus:dev.fn."""
    return f"{n >> 16:04x}:{(n >> 8) & 0xFF:02x}:{(n >> 3) & 0x1F:02x}.{n & 7}"


def render(where: str, name: str, data: bytes, rows: tuple[int, ...]) -> str:
    """One device as lspci -xxxx prints it: its line, its hex rows, a blank line."""
    hexrows = "".join(f"{off:02x}: " + " ".join(f"{b:02x}" for b in data[off:off + 16]) + "\n"
                      for off in rows)
    return f"{where} {name}\n{hexrows}\n"


def lines(devices: int, seed: int = 23, paths: list[Path] = DUMPS) -> Iterator[str]:
    """The corpus, one device (description line, hex rows, blank line) at a time."""
    rng = random.Random(seed)
    pool = models(paths)
    n = 0
    while n < devices:
        for model in pool:
            if n >= devices:
                return
            yield render(slot(n), model.name, vary(model, (n >> 8) & 0xFF, rng), model.rows)
            n += 1


def write(path: Path, devices: int, seed: int = 23) -> int:
    """Write the corpus of `devices` copies to `path`; the number written."""
    n = 0
    with open(path, "w") as f:
        for text in lines(devices, seed):
            f.write(text)
            n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--devices", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=23)
    args = ap.parse_args()
    n = write(args.out, args.devices, args.seed)
    print(f"{args.out}: {n} devices from {len(models())} real ones")


if __name__ == "__main__":
    main()
