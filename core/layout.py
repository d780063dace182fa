"""The byte map: every byte 0x000-0xFFF in exactly one region.

Kinds: `header`, `capability` (a capability's sized extent), `unknown_tail` (after a
capability whose size is not exact, up to the next structure or the end of its space),
`orphan` (a plausible extended capability no chain reaches), `zero_gap`, `data_gap`
(non-zero bytes nobody owns), `unavailable` (not in the dump). The views add `hidden`
and `virtual` later.

Extents of overlapping capabilities are cut at the start of the next one, so every
header stays visible; the walker has reported the overlap.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from enum import Enum

from .registry import Certainty, PcieInfo, Space, lookup
from .registry.model import CapContext
from .space import CONFIG_SIZE, STD_SIZE, ConfigSpace
from .walk import Capability, Chains, Problem, header_size, walk


class Kind(str, Enum):
    HEADER = "header"
    CAPABILITY = "capability"
    UNKNOWN_TAIL = "unknown_tail"
    ZERO_GAP = "zero_gap"
    DATA_GAP = "data_gap"
    ORPHAN = "orphan"
    HIDDEN = "hidden"
    VIRTUAL = "virtual"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class Region:
    start: int
    end: int  # exclusive
    kind: Kind
    capability: int | None = None  # index into Layout.capabilities
    orphan: int | None = None  # index into Layout.orphans

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Orphan:
    """A well-formed extended capability header that no chain reaches."""

    id: int
    version: int
    offset: int
    next: int
    size: int
    certainty: Certainty
    linked_from: int | None  # the orphan whose next pointer leads here, if any

    @property
    def name(self) -> str:
        return lookup(Space.EXTENDED, self.id).label

    @property
    def end(self) -> int:
        return self.offset + self.size


@dataclass(frozen=True, slots=True)
class CapView:
    """How one capability appears in a view (vfio, guest): linked or not, and why."""

    visibility: str  # visible | hidden | placeholder | dropped | virtual
    reason: str = ""  # why it is hidden or dropped, in words
    exposed: int = 0  # bytes the layer maps for it (vfio's length, QEMU's size); 0 if none


@dataclass(frozen=True)
class Layout:
    """One view of one device. `space.data` holds the bytes as that layer reads them
    (chain pointers rewritten where the layer unlinks capabilities)."""

    space: ConfigSpace
    capabilities: tuple[Capability, ...]
    orphans: tuple[Orphan, ...]
    regions: tuple[Region, ...]
    problems: tuple[Problem, ...]
    pcie: PcieInfo | None
    view: str = "hardware"
    cap_views: tuple[CapView, ...] = ()  # parallel to capabilities; empty: all visible
    access: bytes = b""  # per byte, an Access code (views only)
    profile: str = ""  # kernel flavour / QEMU options the view was computed with

    def visibility(self, index: int) -> str:
        return self.cap_views[index].visibility if self.cap_views else "visible"

    def region_index(self, offset: int) -> int:
        """Index of the region holding byte `offset` (binary search)."""
        lo, hi = 0, len(self.regions) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.regions[mid].start <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def region_at(self, offset: int) -> Region:
        return self.regions[self.region_index(offset)]

    def capability_at(self, offset: int) -> Capability | None:
        r = self.region_at(offset)
        return self.capabilities[r.capability] if r.capability is not None else None


# ---------------------------------------------------------------- orphan scan

MAX_ORPHAN_VERSION = 3  # real capability versions are 1..3; higher is most likely data
LAST_ASSIGNED_EXT_ID = 0x3A
# An extended header in the bytes: ID 0x0001-0x003A (low byte 01-3a, high byte 00),
# version 1..3 in bits 19:16, next pointer bits 1:0 clear (bits 21:20 of the header).
_ORPHAN_RE = re.compile(rb"[\x01-\x3a]\x00[\x01-\x03\x41-\x43\x81-\x83\xc1-\xc3]", re.S)


def _plausible(data: bytes, pos: int, pcie: PcieInfo | None, header_type: int
               ) -> tuple[int, int, int, int, Certainty] | None:
    header = struct.unpack_from("<I", data, pos)[0]
    cap_id, version, nxt = header & 0xFFFF, (header >> 16) & 0xF, header >> 20
    if not (1 <= cap_id <= LAST_ASSIGNED_EXT_ID and 1 <= version <= MAX_ORPHAN_VERSION):
        return None
    if nxt & 3 or (nxt and (nxt < STD_SIZE or nxt == pos)):
        return None
    spec = lookup(Space.EXTENDED, cap_id)
    size = spec.size(CapContext(data, pos, Space.EXTENDED, header_type, pcie))
    if pos + size.size > CONFIG_SIZE:
        return None
    return cap_id, version, nxt, size.size, size.certainty


ADJACENT = 0x10  # a lone header this close after a structure's end is kept


def find_orphans(cs: ConfigSpace, free: list[tuple[int, int]], pcie: PcieInfo | None,
                 live: dict[int, int] | None = None) -> list[Orphan]:
    """Plausible extended headers in free extended-space ranges that no chain reaches.

    A candidate is kept when it is part of a linked run (its next pointer leads to
    another candidate or a live capability, or another candidate points at it: NOTES.md
    lists devices with whole unlinked chains), or when it ends a list (next 0) and sits
    right after the end of a known structure, as packed capabilities do. A lone header
    anywhere else is most likely data that happens to look like one. Candidates inside
    the body of a kept orphan are data of that orphan. `live` maps each live extended
    capability's offset to its end.
    """
    live = live or {}
    data = cs.data
    candidates: dict[int, tuple[int, int, int, int, Certainty]] = {}
    for start, end in free:
        start = max(start, STD_SIZE)
        if end - start < 8:
            continue
        for m in _ORPHAN_RE.finditer(data, start, end - 3):
            pos = m.start()
            if pos & 3:
                continue
            hit = _plausible(data, pos, pcie, cs.header_type)
            if hit:  # a body cut short by the next structure is kept, clipped to fit
                candidates[pos] = hit[:3] + (min(hit[3], end - pos),) + hit[4:]
    if not candidates:
        return []
    linked_from: dict[int, int] = {}
    for pos, (_, _, nxt, _, _) in candidates.items():
        if nxt in candidates:
            linked_from.setdefault(nxt, pos)
    ends = set(live.values())
    out: list[Orphan] = []
    body_end = 0
    for pos in sorted(candidates):
        cap_id, version, nxt, size, certainty = candidates[pos]
        if pos < body_end:
            continue
        linked = nxt in candidates or nxt in live or pos in linked_from
        packed = nxt == 0 and any(0 <= pos - e <= ADJACENT for e in ends)
        if not (linked or packed):
            continue
        out.append(Orphan(cap_id, version, pos, nxt, size, certainty, linked_from.get(pos)))
        ends.add(pos + size)
        if certainty is Certainty.EXACT:
            body_end = pos + size
    # A run whose head was dropped must not name it as the link.
    kept = {o.offset for o in out}
    return [o if o.linked_from in kept or o.linked_from is None
            else Orphan(o.id, o.version, o.offset, o.next, o.size, o.certainty, None)
            for o in out]


# ---------------------------------------------------------------- regions

def _subtract(ranges: list[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    a, b = cut
    out = []
    for s, e in ranges:
        if e <= a or b <= s:
            out.append((s, e))
            continue
        if s < a:
            out.append((s, a))
        if b < e:
            out.append((b, e))
    return out


_ZEROS = re.compile(rb"\x00+")


def _gap_regions(data: bytes, start: int, end: int) -> list[Region]:
    out: list[Region] = []
    pos = start
    for m in _ZEROS.finditer(data, start, end):
        if m.start() > pos:
            out.append(Region(pos, m.start(), Kind.DATA_GAP))
        out.append(Region(m.start(), m.end(), Kind.ZERO_GAP))
        pos = m.end()
    if pos < end:
        out.append(Region(pos, end, Kind.DATA_GAP))
    return out


def build(cs: ConfigSpace, chains: Chains | None = None) -> Layout:
    """The hardware layout of one config space: capabilities, orphans and regions."""
    chains = chains or walk(cs)
    caps = chains.capabilities
    owned: list[Region] = []  # header, capability, tail and orphan regions (available only)
    hdr = header_size(cs)
    owned.append(Region(0, hdr, Kind.HEADER))

    # Each capability's extent, cut at the next structure's start in address order.
    by_space: dict[Space, list[tuple[int, int]]] = {Space.STANDARD: [], Space.EXTENDED: []}
    for i, cap in enumerate(caps):
        by_space[cap.space].append((cap.offset, i))
    claimed: list[tuple[int, int]] = [(0, hdr)]
    tails: list[tuple[int, int]] = []  # (cap index, space limit) of caps with tails
    for space, limit, floor in ((Space.STANDARD, STD_SIZE, hdr), (Space.EXTENDED, CONFIG_SIZE, STD_SIZE)):
        starts = sorted(set(by_space[space]))
        distinct = sorted({off for off, _ in starts})
        for off, i in starts:
            cap = caps[i]
            if off < floor:
                continue
            later = [o for o in distinct if o > off]
            stop = min([limit, *later[:1]])
            end = min(cap.end, stop)
            if any(r.start == off and r.kind is Kind.CAPABILITY for r in owned):
                continue  # the same offset reached twice (a loop): map it once
            owned.append(Region(off, end, Kind.CAPABILITY, i))
            claimed.append((off, end))
            if cap.certainty is not Certainty.EXACT and end < stop:
                tails.append((i, stop))

    free: list[tuple[int, int]] = [(0, CONFIG_SIZE)]
    for c in claimed:
        free = _subtract(free, c)
    live = {c.offset: c.end for c in caps if c.space is Space.EXTENDED}
    orphans = find_orphans(cs, [f for f in free if f[0] >= STD_SIZE], chains.pcie, live) \
        if cs.has(STD_SIZE, 4) and chains.ext_walked else []
    orphan_starts = [o.offset for o in orphans]  # sorted by find_orphans
    for j, o in enumerate(orphans):
        end = min([o.end, *orphan_starts[j + 1:j + 2]])  # cut at the next orphan
        owned.append(Region(o.offset, end, Kind.ORPHAN, orphan=j))
        free = _subtract(free, (o.offset, end))
    for i, stop in tails:
        cap = caps[i]
        start = min(cap.end, stop)
        stop = min([stop, *[s for s in orphan_starts if s >= start][:1]])
        if start < stop:
            owned.append(Region(start, stop, Kind.UNKNOWN_TAIL, i))
            free = _subtract(free, (start, stop))

    regions = _tile(cs, owned, free)
    problems = chains.problems + _alias_problems(cs) + _orphan_problems(orphans)
    return Layout(cs, caps, tuple(orphans), regions, problems, chains.pcie)


def _alias_problems(cs: ConfigSpace) -> tuple[Problem, ...]:
    """Devices that decode fewer address bits repeat their header further up (NOTES.md:
    1 KiB aliasing on TeleScan captures, 256-byte aliasing on old host bridges)."""
    if not cs.has(0, 12):
        return ()
    vendor, cls = cs.data[0:2], cs.data[9:12]
    mirrors = [k for k in range(STD_SIZE, CONFIG_SIZE, STD_SIZE)
               if cs.has(k, 12) and cs.data[k:k + 2] == vendor and cs.data[k + 9:k + 12] == cls]
    if not mirrors or vendor in (b"\x00\x00", b"\xff\xff"):
        return ()
    where = ", ".join(f"{k:#05x}" for k in mirrors)
    return (Problem("aliasing", mirrors[0], f"the config header repeats at {where}: the "
                    "device likely decodes fewer address bits, so structures found there are "
                    "mirrors, not capabilities", Space.EXTENDED),)


def _orphan_problems(orphans: list[Orphan]) -> tuple[Problem, ...]:
    return tuple(Problem("orphan", o.offset, f"{o.name} v{o.version} at {o.offset:#05x} "
                         "is not reachable from the extended chain", Space.EXTENDED)
                 for o in orphans if o.linked_from is None)


def _tile(cs: ConfigSpace, owned: list[Region], free: list[tuple[int, int]]) -> tuple[Region, ...]:
    """Owned regions plus gap regions, split by availability, sorted, merged where equal."""
    pieces: list[Region] = list(owned)
    for s, e in free:
        pieces.extend(_gap_regions(cs.data, s, e))
    pieces.sort(key=lambda r: r.start)
    # Split by what the dump holds.
    unavailable: list[tuple[int, int]] = [(0, CONFIG_SIZE)]
    for a in cs.available:
        unavailable = _subtract(unavailable, a)
    if unavailable:
        cut: list[Region] = []
        for r in pieces:
            keep = [(r.start, r.end)]
            for u in unavailable:
                keep = _subtract(keep, u)
            cut.extend(Region(s, e, r.kind, r.capability, r.orphan) for s, e in keep)
        cut.extend(Region(s, e, Kind.UNAVAILABLE) for s, e in unavailable)
        pieces = sorted(cut, key=lambda r: r.start)
    merged: list[Region] = []
    for r in pieces:
        if r.start >= r.end:
            continue
        prev = merged[-1] if merged else None
        if prev and prev.end == r.start and prev.kind is r.kind and r.capability is None \
                and prev.capability is None and r.orphan is None and prev.orphan is None \
                and r.kind in (Kind.ZERO_GAP, Kind.DATA_GAP, Kind.UNAVAILABLE):
            merged[-1] = Region(prev.start, r.end, r.kind)
        else:
            merged.append(r)
    return tuple(merged)


def check_tiling(regions: tuple[Region, ...]) -> None:
    """Raise AssertionError unless the regions tile 0..4096 in order."""
    pos = 0
    for r in regions:
        assert r.start == pos and r.end > r.start, (pos, r)
        pos = r.end
    assert pos == CONFIG_SIZE, pos
