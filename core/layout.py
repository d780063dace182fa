"""The byte map: every byte 0x000-0xFFF in exactly one region.

Kinds: `header`, `capability` (a capability's sized extent), `unknown_tail` (after a
capability whose size is not exact, up to the next structure or the end of its space,
or up to the largest size its rule allows when the rule knows one),
`orphan` (a plausible extended capability no chain reaches), `zero_gap`, `data_gap`
(DWORDs holding non-zero bytes nobody owns), `unavailable` (not in the dump). The views add `hidden`
and `virtual` later.

Extents of overlapping capabilities are cut at the start of the next one, so every
header stays visible; the walker has reported the overlap. What a capability declares beyond
the structure that cut it (a VSEC whose length runs past a capability inside it) is still its
own: those bytes are never a free gap.
"""

from __future__ import annotations

from .record import cached_property, record
from .choices import StrChoice
from .elsewhere import elsewhere
from .record import NamedTuple

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from .capview import CapView
    from .orphan import Orphan

from .registry import Certainty, PcieInfo, Space, lookup
from .registry.model import CapContext
from .space import CONFIG_SIZE, STD_SIZE, ConfigSpace
from .ids import EXT_NEXT_MASK, ext_next_field
from .walk import Capability, Chains, Problem, Rule, follow, header_size, walk


# The extended chain as a reader of a layout's bytes meets it from 0x100 (QEMU's insertion
# check walks exactly this): any pointer followed, until 0, a zero header or a header read again.
READ_EXT = Rule(Space.EXTENDED, EXT_NEXT_MASK, stop_headers=frozenset({0}))


class Kind(StrChoice):
    HEADER = "header"
    CAPABILITY = "capability"
    UNKNOWN_TAIL = "unknown_tail"
    ZERO_GAP = "zero_gap"
    DATA_GAP = "data_gap"
    ORPHAN = "orphan"
    MASKED = "masked"
    HIDDEN = "hidden"
    VIRTUAL = "virtual"
    UNAVAILABLE = "unavailable"


class Region(NamedTuple):
    """A run of bytes of one kind. (A NamedTuple: immutable, and cheap to make; a layout
    makes dozens, a survey millions.)"""

    start: int
    end: int  # exclusive
    kind: Kind
    capability: int | None = None  # index into Layout.capabilities
    orphan: int | None = None  # index into Layout.orphans

    @property
    def length(self) -> int:
        return self.end - self.start


# A Region without the NamedTuple's Python-level __new__ (every field given): the regions
# of every layout are made here, dozens a device.
_new = tuple.__new__


class Layout(metaclass=record, slots=False):
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
    insert_headers: tuple[int, ...] | None = None  # what QEMU's insertion walk meets, when
    #                                                it differs from the bytes (a stub head)
    config_size: int = CONFIG_SIZE  # the config region this layer exposes (vfio: 256 or 4096)

    def visibility(self, index: int) -> str:
        return self.cap_views[index].visibility if self.cap_views else "visible"

    @cached_property
    def ext_headers(self) -> tuple[int, ...]:
        """Offsets of the extended headers a reader of these bytes meets walking from 0x100
        (QEMU's insertion check walks exactly this), stopping at 0, a zero header or a loop."""
        return follow(self.space.data, READ_EXT, STD_SIZE).offsets

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
# version 1..3 in bits 19:16, next pointer bits 1:0 clear (bits 21:20 of the header): for
# each of the header's first three bytes, a table of the values that may stand there (made
# by slices, not a loop over 256 values per table: ~0.1 ms of every start-up)
_ID_LOW = b"\0" + b"\1" * LAST_ASSIGNED_EXT_ID + bytes(255 - LAST_ASSIGNED_EXT_ID)
_ID_HIGH = b"\1" + bytes(255)
_VERSION_BYTE = (b"\0" + b"\1" * MAX_ORPHAN_VERSION + bytes(0x3F - MAX_ORPHAN_VERSION)) * 4  # bits 3:0 1..3, 5:4 clear, 7:6 any


def header_candidates(data: bytes, start: int, end: int) -> list[int]:
    """The DWORD-aligned offsets in [start, end - 6] whose first three bytes could open an
    extended header (the tables above), in order. Each byte column of the aligned DWORDs is
    mapped to 1/0 through its table (a strided slice and `translate`, in C) and the three
    columns are ANDed as big integers, so a gap costs no Python loop per DWORD. (The bound
    end - 6 is the old scan's: its pattern ended three bytes before the gap's end.)"""
    first, last = (start + 3) & ~3, end - 6
    if first > last:
        return []
    n = (last - first) // 4 + 1
    stop = first + 4 * n
    hits = (int.from_bytes(data[first:stop:4].translate(_ID_LOW), "big")
            & int.from_bytes(data[first + 1:stop + 1:4].translate(_ID_HIGH), "big")
            & int.from_bytes(data[first + 2:stop + 2:4].translate(_VERSION_BYTE), "big"))
    if not hits:
        return []
    flags = hits.to_bytes(n, "big")
    out = []
    i = flags.find(1)
    while i >= 0:
        out.append(first + 4 * i)
        i = flags.find(1, i + 1)
    return out


def _plausible(data: bytes, pos: int, pcie: PcieInfo | None, header_type: int
               ) -> tuple[int, int, int, int, Certainty] | None:
    header = int.from_bytes(data[pos:pos + 4], "little")
    cap_id, version, nxt = header & 0xFFFF, (header >> 16) & 0xF, ext_next_field(header)
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
        for pos in header_candidates(data, start, end):
            hit = _plausible(data, pos, pcie, cs.header_type)
            if hit:  # a body cut short by the next structure is kept, clipped to fit
                candidates[pos] = hit[:3] + (min(hit[3], end - pos),) + hit[4:]
    if not candidates:
        return []
    from .orphan import Orphan  # its record: built only for a dump that may hold one

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


def zero_runs(data: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """The runs of four or more zero bytes in data[start:end], each as long as it goes
    (what `re.finditer(rb"\\x00{4,}")` finds), found with `bytes.find` and `lstrip`."""
    out = []
    end = min(end, len(data))
    pos = data.find(b"\x00\x00\x00\x00", start, end)
    while pos >= 0:
        run_end = end - len(data[pos + 4:end].lstrip(b"\x00"))
        out.append((pos, run_end))
        pos = data.find(b"\x00\x00\x00\x00", run_end, end)
    return out


def _gap_regions(data: bytes, start: int, end: int) -> list[Region]:
    """A gap split into zero and data runs at DWORD granularity: a DWORD holding any
    non-zero byte is data (config space is read and placed by DWORDs; byte-sized slivers
    of zero between vendor registers are not free space). Partial DWORDs at the gap's
    edges count as whole ones."""
    if data.count(0, start, end) == end - start:
        return [_new(Region, (start, end, Kind.ZERO_GAP, None, None))]  # the common case: all zero
    out: list[Region] = []
    pos = start
    for run_start, run_end in zero_runs(data, start, end):
        zs = start if run_start == start else (run_start + 3) & ~3
        ze = end if run_end == end else run_end & ~3
        if ze <= zs:
            continue
        if zs > pos:
            out.append(_new(Region, (pos, zs, Kind.DATA_GAP, None, None)))
        out.append(_new(Region, (zs, ze, Kind.ZERO_GAP, None, None)))
        pos = ze
    if pos < end:
        kind = Kind.ZERO_GAP if not data[pos:end].strip(b"\x00") else Kind.DATA_GAP
        out.append(_new(Region, (pos, end, kind, None, None)))
    return out


def _complement(owned: list[tuple[int, int]], lo: int = 0, hi: int = CONFIG_SIZE) -> list[tuple[int, int]]:
    """The parts of [lo, hi) no interval of `owned` (sorted by start) covers."""
    out, pos = [], lo
    for s, e in owned:
        if s >= hi:
            break
        if e <= pos:
            continue
        if s > pos:
            out.append((pos, s))
        pos = e
    if pos < hi:
        out.append((pos, hi))
    return out


def build(cs: ConfigSpace, chains: Chains | None = None) -> Layout:
    """The hardware layout of one config space: capabilities, orphans and regions."""
    chains = chains or walk(cs)
    caps = chains.capabilities
    hdr = header_size(cs)
    owned: list[Region] = [Region(0, hdr, Kind.HEADER)]

    # Each capability's extent, cut at the next structure's start in address order.
    tails: list[tuple[int, int, Kind]] = []  # (cap index, where its tail must stop, its kind)
    overhangs: list[tuple[int, int, int]] = []  # (cap index, start, end) declared past the next
    for space, limit, floor in ((Space.STANDARD, STD_SIZE, hdr), (Space.EXTENDED, CONFIG_SIZE, STD_SIZE)):
        order = sorted([(c.offset, i) for i, c in enumerate(caps) if c.space is space])
        seen: set[int] = set()
        after = 0  # order[after]: the first structure starting past `off` (in address order)
        for off, i in order:
            while after < len(order) and order[after][0] <= off:
                after += 1
            if off < floor or off in seen:
                continue  # the same offset reached twice (a loop) is mapped once
            seen.add(off)
            stop = order[after][0] if after < len(order) else limit
            cap = caps[i]
            if is_masked(cap):  # live registers behind an ID-0 header, to the next structure
                owned.append(Region(off, min(off + 4, stop), Kind.MASKED, i))
                tails.append((i, stop, Kind.MASKED))
                continue
            end = min(cap.end, stop)
            owned.append(_new(Region, (off, end, Kind.CAPABILITY, i, None)))
            if cap.end > stop and cap.certainty is not Certainty.UNKNOWN:
                overhangs.append((i, stop, min(cap.end, limit)))
            if cap.certainty is not Certainty.EXACT and end < stop:
                # a minimum whose rule knows its largest size has a tail that long, no longer
                tails.append((i, min(stop, off + cap.limit) if cap.limit else stop,
                              Kind.UNKNOWN_TAIL))

    orphans: list[Orphan] = []
    if cs.has(STD_SIZE, 4) and chains.ext_walked:
        owned.sort(key=_start)
        free = _complement([(r.start, r.end) for r in owned], STD_SIZE)
        live = {c.offset: c.offset + c.size for c in caps if c.space is Space.EXTENDED}
        orphans = find_orphans(cs, free, chains.pcie, live)
    orphan_starts = [o.offset for o in orphans]  # sorted by find_orphans
    for j, o in enumerate(orphans):
        end = min([o.end, *orphan_starts[j + 1:j + 2]])  # cut at the next orphan
        owned.append(Region(o.offset, end, Kind.ORPHAN, orphan=j))
    masked: dict[int, int] = {}  # cap index -> end of its extent
    for i, stop, kind in tails:
        start = min(caps[i].end, stop)
        stop = min([stop, *[s for s in orphan_starts if s >= start][:1]])
        if kind is Kind.MASKED:
            masked[i] = max(stop, start)
        if start < stop:
            owned.append(Region(start, stop, kind, i))
    if masked:
        from .masked import sized_masks  # a dump read inside some guests

        caps = sized_masks(cs, caps, masked, chains.pcie)
    owned.sort(key=_start)
    for i, start, end in overhangs:  # declared bytes past the structure that cut them short
        owned += [Region(s, e, Kind.CAPABILITY, i)
                  for s, e in _complement([(r.start, r.end) for r in owned], start, end)]
        owned.sort(key=_start)
    regions = _tile(cs, owned)
    problems = chains.problems + _short_problems(cs) + _alias_problems(cs) + _orphan_problems(orphans)
    return Layout(cs, caps, tuple(orphans), regions, problems, chains.pcie)


# ---------------------------------------------------------------- masked capabilities

def is_masked(cap: Capability) -> bool:
    """An extended header whose ID is 0 but whose version or next pointer is not: a capability
    a VMM (or vfio-pci's placeholder) masked. Its registers are live behind the header."""
    return cap.space is Space.EXTENDED and cap.id == 0 and bool(cap.version or cap.next)


def _start(r: Region) -> int:
    return r.start


def _short_problems(cs: ConfigSpace) -> tuple[Problem, ...]:
    """A capture that is no natural size (64, 256, 4096 bytes) was cut short: a device
    removed mid-read, or a truncated file."""
    n = cs.captured
    if n in (64, 256, CONFIG_SIZE) or len(cs.available) != 1:
        return ()
    return (Problem("short_dump", n, f"only {n} bytes were captured: the read stopped early "
                    "(device removed mid-read, or a truncated dump)"),)


def _alias_problems(cs: ConfigSpace) -> tuple[Problem, ...]:
    """Devices that decode fewer address bits repeat their header further up (NOTES.md:
    1 KiB aliasing on TeleScan captures, 256-byte aliasing on old host bridges)."""
    if not cs.has(0, 12):
        return ()
    data = cs.data
    vendor, cls = data[0:2], data[9:12]
    mirrors = [k for k in range(STD_SIZE, CONFIG_SIZE, STD_SIZE)
               if data[k:k + 2] == vendor and data[k + 9:k + 12] == cls and cs.has(k, 12)]
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


def _tile(cs: ConfigSpace, owned: list[Region]) -> tuple[Region, ...]:
    """Owned regions (sorted, disjoint) plus gap regions, split by availability."""
    pieces: list[Region] = []
    pos = 0
    data = cs.data
    for r in owned:
        start = r.start
        if start > pos:
            if data.count(0, pos, start) == start - pos:  # _gap_regions' common case, inline
                pieces.append(_new(Region, (pos, start, Kind.ZERO_GAP, None, None)))
            else:
                pieces.extend(_gap_regions(data, pos, start))
        pieces.append(r)
        pos = r.end
    if pos < CONFIG_SIZE:
        pieces.extend(_gap_regions(cs.data, pos, CONFIG_SIZE))
    if cs.complete:
        return tuple(pieces)
    # Split by what the dump holds; merge neighbouring gap pieces of one kind.
    unavailable = _complement(list(cs.available))
    cut: list[Region] = []
    for r in pieces:
        for s, e in _complement(unavailable, r.start, r.end):
            cut.append(r if (s, e) == (r.start, r.end) else Region(s, e, r.kind, r.capability, r.orphan))
    cut.extend(Region(s, e, Kind.UNAVAILABLE) for s, e in unavailable)
    cut.sort(key=_start)
    merged: list[Region] = []
    for r in cut:
        prev = merged[-1] if merged else None
        if prev and prev.end == r.start and prev.kind is r.kind \
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


# Named here, made elsewhere (each module imported when first asked for): the record of an
# orphan, how a capability appears in a view, the guess at what a masked span was.
_ELSEWHERE = {"Orphan": "orphan", "CapView": "capview", "masked_guess": "masked"}


__getattr__ = elsewhere(globals(), _ELSEWHERE)
