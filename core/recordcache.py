"""The survey's cache of device analyses, keyed by the bytes that decide them.

A fleet holds the same device model many times over, and copies of a model differ in bytes
no analysis reads: BAR addresses, bus numbers, error status bits, the serial number. The
survey record of a device (layout, captured, auto placement, feasibility) is a function of
its config-space bytes, which of them were captured, its format and the evidence of its
peers; its provenance (source, slot, line) is only copied in. So the record is cached
under those inputs with the non-deciding fields cleared (`deciding_bytes`), and a copy of
the model elsewhere in the fleet gets it with its own provenance written in.

What is cleared: what the platform and the driver set and the errors a device logged, none of
which the walk, the sizes, the views, placement or feasibility read (tests/test_survey_cache.py
flips every byte of every real dump and compares an uncached run whenever the key stays):
- header: the BAR addresses (each BAR's type bits stay; 0x10-0x27 on an endpoint, 0x10-0x17 on
  a bridge, 0x10-0x13 on a CardBus bridge), a bridge's or CardBus bridge's bus numbers
  (0x18-0x1A), the Interrupt Line (0x3C), Command's I/O, Memory and Bus Master enables and the
  Status register's error bits (8, 11-15; Capabilities List stays);
- Power Management: the power state, PME_En and PME_Status;
- MSI: Enable, Multiple Message Enable, the message address and data, mask and pending bits;
  MSI-X: Enable and Function Mask;
- PCI Express: Device Control's Max Payload and Max Read Request Sizes, Device Status's
  error-detected and Transactions Pending bits, Link Status (but Slot Clock Configuration);
- AER: Uncorrectable and Correctable Error Status and the Header Log;
- Device Serial Number: the serial number.
The fields inside capabilities are cleared only where a walk over the kept bytes finds the
capability (the same one the analysis later confirms, see `confirmed`), and every byte that
walk reads is kept: equal keys always mean equal walks, hence equal fields cleared.

Nothing is cached without a budget: entries are dropped oldest first past CACHE_BYTES of
cached text (a few MiB; a fleet has far fewer distinct models than that holds). Input that is
mostly one-off models (fewer than one hit in five lookups after GIVE_UP_AFTER misses) turns the
cache off for the rest of the survey: keys would cost some 15 % more CPU for nothing.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Hashable

from .space import CONFIG_SIZE, ConfigSpace

CACHE_BYTES = 8 << 20  # cached text (keys and records) kept at most
GIVE_UP_AFTER = 1024  # misses: with fewer than one hit for four misses by then, caching stops
ENV_OFF = "CAPSLOT_SURVEY_CACHE"  # "0": analyse every device afresh (for tests and doubts)

STATUS_ERROR_BITS = 0x0100 | 0xF800
COMMAND_ENABLES = 0x07  # I/O Space, Memory Space, Bus Master (set as a driver binds)
LNKSTA_KEPT = 0x10  # Link Status high byte: Slot Clock Configuration stays, the rest is cleared
DEVSTA_BITS = 0x002F  # Correctable/Non-Fatal/Fatal/Unsupported Request Detected, Transactions Pending
_BARS = {0: (0x10, 0x28), 1: (0x10, 0x18), 2: (0x10, 0x14)}
_BUSES = (0x18, 0x1B)  # primary, secondary, subordinate (type 1) / PCI, CardBus, subordinate (type 2)
_PM, _MSI, _PCIE, _MSIX = 0x01, 0x05, 0x10, 0x11
_AER, _DSN = 0x0001, 0x0003
_AER_FIELDS = ((0x04, 4), (0x10, 4), (0x1C, 16))  # Uncorrectable, Correctable Status; Header Log
_NO_LINK = (9, 10)  # PCI Express device types without link registers: RCiEP, RC Event Collector
_MAX_STD, _MAX_EXT = 48, (CONFIG_SIZE - 0x100) // 4

Found = tuple[tuple[str, int, int, int], ...]  # (space, ID, offset, extent) of capabilities whose
#   fields up to offset + extent were cleared


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


def _clear_msi(key: bytearray, data: bytes, pos: int) -> int:
    """MSI: Enable and Multiple Message Enable, the message address and data, the mask and
    pending bits (what the OS programs); Control's capability bits stay. The extent cleared."""
    control = data[pos + 2] | data[pos + 3] << 8
    key[pos + 2] &= ~0x71
    is64, masking = control & 0x80, control & 0x100
    message = 10 if is64 else 6  # address (and upper address), data
    key[pos + 4:pos + 4 + message] = bytes(message)
    if not masking:
        return 4 + message
    at = 0x10 if is64 else 0x0C
    key[pos + at:pos + at + 8] = bytes(8)
    return at + 8


def deciding_bytes(cs: ConfigSpace) -> tuple[bytes, Found]:
    """The config space with the fields that decide nothing cleared, and the capabilities
    whose fields were cleared (the analysis must find each of them where this walk did)."""
    data = cs.data
    key = bytearray(data)
    kind = data[0x0E] & 0x7F
    if kind in _BARS:
        start, end = _BARS[kind]
        key[start:end] = bytes(end - start)
        pos = start
        while pos < end:  # each BAR's type bits stay: I/O or memory, 64-bit, prefetchable
            low = data[pos]
            key[pos] = low & (0x03 if low & 1 else 0x0F)
            pos += 8 if not low & 1 and (low >> 1) & 3 == 2 else 4  # a 64-bit BAR's high half
        if kind:
            key[_BUSES[0]:_BUSES[1]] = bytes(_BUSES[1] - _BUSES[0])
    key[0x3C] = 0
    key[0x04] &= ~COMMAND_ENABLES & 0xFF
    key[0x06] &= ~STATUS_ERROR_BITS & 0xFF
    key[0x07] &= ~STATUS_ERROR_BITS >> 8 & 0xFF
    caps, read = _chain(cs)
    found = []
    for space, cap, pos in caps:
        if space == "standard" and cap == _PCIE and pos + 0x14 <= 0x100:
            key[pos + 0x08] &= ~0xE0  # Device Control: Max Payload Size
            key[pos + 0x09] &= ~0x70  # Max Read Request Size
            key[pos + 0x0A] &= ~DEVSTA_BITS & 0xFF
            extent = 0x0C
            if (data[pos + 2] >> 4) & 0xF not in _NO_LINK:
                key[pos + 0x12] = 0  # Link Status: the speed and width trained, training, ...
                key[pos + 0x13] &= LNKSTA_KEPT
                extent = 0x14
        elif space == "standard" and cap == _MSI and pos + 0x18 <= 0x100:
            extent = _clear_msi(key, data, pos)
        elif space == "standard" and cap == _MSIX and pos + 4 <= 0x100:
            key[pos + 3] &= ~0xC0  # MSI-X Enable, Function Mask
            extent = 4
        elif space == "standard" and cap == _PM and pos + 8 <= 0x100:
            key[pos + 4] &= ~0x03  # PMCSR: the power state
            key[pos + 5] &= ~0x81  # PME_En, PME_Status
            extent = 8
        elif space == "extended" and cap == _AER and pos + 0x2C <= CONFIG_SIZE:
            for rel, n in _AER_FIELDS:
                key[pos + rel:pos + rel + n] = bytes(n)
            extent = 0x2C
        elif space == "extended" and cap == _DSN and pos + 0x0C <= CONFIG_SIZE:
            key[pos + 4:pos + 12] = bytes(8)
            extent = 0x0C
        else:
            continue
        found.append((space, cap, pos, extent))
    for pos in read:  # what the walk read is kept whatever overlaps it
        key[pos] = data[pos]
    return bytes(key), tuple(found)


def confirmed(found: Found, capabilities: list[dict]) -> bool:
    """Did the analysis find every capability whose fields the key cleared, where the key's
    walk found it and at least as long as the fields (`capabilities`: the record's)? If not,
    those bytes may mean something else (a gap's data): no caching."""
    have = {(str(c["space"]), c["id"], c["offset"]): c["size"] for c in capabilities}
    return all(have.get((space, cap, pos), -1) >= extent for space, cap, pos, extent in found)


class RecordCache:
    """Cached values by key, dropped oldest first past `budget` characters of text."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget, self.used = budget, 0
        self.entries: dict[Hashable, tuple[int, object]] = {}
        self.hits = self.misses = 0
        self.off = False  # set by worth(): caching stopped for this survey

    def worth(self) -> bool:
        """False, for good, once the devices seen are mostly each a model of its own (a
        directory of one-off dumps): keys then cost more than the hits save. Entries are freed."""
        if not self.off and self.misses >= GIVE_UP_AFTER and self.hits * 4 < self.misses:
            self.off, self.used = True, 0
            self.entries.clear()
        return not self.off

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
