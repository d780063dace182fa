"""The survey's cache of device analyses, keyed by the bytes that decide them.

A fleet holds the same device model many times over, and copies of a model differ in bytes
no analysis reads: BAR addresses, bus numbers, error status bits, the serial number. The
survey record of a device (layout, captured, auto placement, feasibility) is a function of
its config-space bytes, which of them were captured, its format and the evidence of its
peers; its provenance (source, slot, line) is only copied in. So the record is cached
under those inputs with the non-deciding fields cleared (`deciding_bytes`), and a copy of
the model elsewhere in the fleet gets it with its own provenance written in.

What is cleared, and why it decides nothing (tests/test_survey_cache.py flips each of them in
every real dump, and every other byte too, against an uncached run):
- header: the BARs (addresses; 0x10-0x27 on an endpoint, 0x10-0x17 on a bridge, 0x10-0x13 on
  a CardBus bridge), a bridge's or CardBus bridge's bus numbers (0x18-0x1A), the Interrupt
  Line (0x3C) and the Status register's error bits (8, 11-15; Capabilities List stays);
- PCI Express Device Status: the error-detected and Transactions Pending bits;
- AER: Uncorrectable and Correctable Error Status and the Header Log;
- Device Serial Number: the serial number.
The fields inside capabilities are cleared only where a walk over the kept bytes finds the
capability (the same one the analysis later confirms, see `confirmed`), and every byte that
walk reads is kept: equal keys always mean equal walks, hence equal fields cleared.

Nothing is cached without a budget: entries are dropped oldest first past CACHE_BYTES of
cached text (a few MiB; a fleet has far fewer distinct models than that holds).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Hashable

from .space import CONFIG_SIZE, ConfigSpace

CACHE_BYTES = 8 << 20  # cached text (keys and records) kept at most
ENV_OFF = "CAPSLOT_SURVEY_CACHE"  # "0": analyse every device afresh (for tests and doubts)

STATUS_ERROR_BITS = 0x0100 | 0xF800
DEVSTA_BITS = 0x002F  # Correctable/Non-Fatal/Fatal/Unsupported Request Detected, Transactions Pending
_BARS = {0: (0x10, 0x28), 1: (0x10, 0x18), 2: (0x10, 0x14)}
_BUSES = (0x18, 0x1B)  # primary, secondary, subordinate (type 1) / PCI, CardBus, subordinate (type 2)
_PCIE, _AER, _DSN = 0x10, 0x0001, 0x0003
_AER_FIELDS = ((0x04, 4), (0x10, 4), (0x1C, 16))  # Uncorrectable, Correctable Status; Header Log
_MAX_STD, _MAX_EXT = 48, (CONFIG_SIZE - 0x100) // 4

Found = tuple[tuple[str, int, int], ...]  # ("standard" | "extended", ID, offset) whose fields were cleared


def enabled() -> bool:
    return os.environ.get(ENV_OFF, "1") != "0"


def _chain(cs: ConfigSpace) -> tuple[list[tuple[str, int, int]], list[int]]:
    """A plain walk of both chains over the captured bytes: the capabilities met and the
    offsets of every byte read. It stops at anything odd (a loop, a pointer into the header,
    an unaligned or uncaptured link): the fields it does not find stay in the key."""
    data, has = cs.data, cs.has
    if len(cs.available) == 1 and cs.available[0][0] == 0:  # the usual prefix: a bound, no calls
        end = cs.available[0][1]

        def has(pos: int, n: int = 1) -> bool:
            return pos + n <= end
    read = [0x06, 0x0E]
    caps: list[tuple[str, int, int]] = []
    ptr_reg = 0x14 if data[0x0E] & 0x7F == 2 else 0x34
    if has(0x06) and data[0x06] & 0x10 and has(ptr_reg):
        read.append(ptr_reg)
        pos, seen = data[ptr_reg] & 0xFC, set()
        while pos >= 0x40 and pos not in seen and has(pos, 2) and len(seen) < _MAX_STD:
            seen.add(pos)
            read += (pos, pos + 1)
            caps.append(("standard", data[pos], pos))
            pos = data[pos + 1] & 0xFC
    pos, seen = 0x100, set()
    while pos >= 0x100 and not pos & 3 and pos not in seen and has(pos, 4) and len(seen) < _MAX_EXT:
        seen.add(pos)
        read += range(pos, pos + 4)
        header = struct.unpack_from("<I", data, pos)[0]
        if header in (0, 0xFFFFFFFF):
            break
        caps.append(("extended", header & 0xFFFF, pos))
        pos = (header >> 20) & 0xFFC
    return caps, read


def deciding_bytes(cs: ConfigSpace) -> tuple[bytes, Found]:
    """The config space with the fields that decide nothing cleared, and the capabilities
    whose fields were cleared (the analysis must find each of them where this walk did)."""
    data = cs.data
    key = bytearray(data)
    kind = data[0x0E] & 0x7F
    if kind in _BARS:
        start, end = _BARS[kind]
        key[start:end] = bytes(end - start)
        if kind:
            key[_BUSES[0]:_BUSES[1]] = bytes(_BUSES[1] - _BUSES[0])
    key[0x3C] = 0
    key[0x06] &= ~STATUS_ERROR_BITS & 0xFF
    key[0x07] &= ~STATUS_ERROR_BITS >> 8 & 0xFF
    caps, read = _chain(cs)
    found = []
    for space, cap, pos in caps:
        if space == "standard" and cap == _PCIE and pos + 0x0C <= 0x100:
            key[pos + 0x0A] &= ~DEVSTA_BITS & 0xFF
        elif space == "extended" and cap == _AER and pos + 0x2C <= CONFIG_SIZE:
            for rel, n in _AER_FIELDS:
                key[pos + rel:pos + rel + n] = bytes(n)
        elif space == "extended" and cap == _DSN and pos + 0x0C <= CONFIG_SIZE:
            key[pos + 4:pos + 12] = bytes(8)
        else:
            continue
        found.append((space, cap, pos))
    for pos in read:  # what the walk read is kept whatever overlaps it
        key[pos] = data[pos]
    return bytes(key), tuple(found)


def confirmed(found: Found, capabilities: list[dict]) -> bool:
    """Did the analysis find every capability whose fields the key cleared, where the key's
    walk found it (`capabilities`: the record's)? If not, those bytes may mean something
    else: no caching."""
    have = {(str(c["space"]), c["id"], c["offset"]) for c in capabilities}
    return all(f in have for f in found)


class RecordCache:
    """Cached values by key, dropped oldest first past `budget` characters of text."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget, self.used = budget, 0
        self.entries: dict[Hashable, tuple[int, object]] = {}
        self.hits = self.misses = 0

    def get(self, key: Hashable):
        hit = self.entries.get(key)
        if hit is None:
            self.misses += 1
            return None
        self.hits += 1
        return hit[1]

    def put(self, key: Hashable, value: object, size: int) -> None:
        if size > self.budget or key in self.entries:
            return
        self.entries[key] = (size, value)
        self.used += size
        while self.used > self.budget:
            oldest = next(iter(self.entries))
            self.used -= self.entries.pop(oldest)[0]
