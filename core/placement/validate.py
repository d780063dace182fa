"""The validator: may this virtual capability live at this offset, in this view?

Every finding names its severity and the bytes it concerns (docs/spec/design.md,
"Deciding where"):
- collision: out of range or does not fit, misaligned, overlaps a capability's extent,
  the config header, a hidden capability's bytes, an orphan structure, bytes missing
  from the dump, a range the device table reserves, or another virtual capability; or
  repeats an ID the function already has (one PASID, one ATS, ...; vendor IDs may repeat);
- warning: overlaps an unknown-size tail or non-zero data, lies outside the user's
  available ranges, QEMU would refuse it, QEMU would accept an unsafe placement, or replaces
  a hidden physical capability 1:1 (guest writes then reach its live registers);
- info: QEMU's own check passes; guest writes to these bytes reach the device (raw).
"""

from __future__ import annotations

from bisect import bisect_left
from functools import cached_property

from ..ids import CAP_ID_EXP, CAP_ID_PCIX, CAP_ID_VNDR, EXT_DVSEC, EXT_VSEC
from ..layout import Kind, Layout
from ..record import NamedTuple, field, record, replace
from ..registry import Space
from ..verdicts import LISTED, Verdict, worst
from ..space import CONFIG_SIZE, STD_HEADER_SIZE, STD_SIZE
from ..views import Access
from ..walk import cap_pointer_register
from .quirks import QuirkEntry
from .vcaps import VcapRequest

MAX_LISTED = 4  # overlapping virtual capabilities named one by one; the rest are counted
QEMU_LAST = CONFIG_SIZE - 8
NO_EXT_CAPS = "the kernel view has no extended capabilities, so QEMU adds none, this one included"
# Findings every fallback candidate shares alike: they do not make one slot worse than another.
UNIFORM = ("qemu-device", "ranges")


class Finding(NamedTuple):
    severity: Verdict
    kind: str  # range, alignment, overlap, header, hidden, orphan, unavailable, quirk,
    #            virtual, tail, data, ranges, duplicate, qemu, qemu-device, raw-write,
    #            hidden-physical
    start: int
    end: int
    message: str


class Placed(NamedTuple):
    """A virtual capability already placed: others must not overlap it, nor repeat its ID."""

    name: str
    start: int
    end: int
    space: Space = Space.EXTENDED
    cap_id: int = -1  # -1: unknown (no duplicate check)

    @classmethod
    def of(cls, vcap: VcapRequest, offset: int) -> Placed:
        return cls(vcap.name, offset, offset + vcap.size, vcap.space, vcap.cap_id)


# IDs a function may carry more than once: the vendor-specific ones. Every other capability
# exists once per function (one PASID, one PRI, one ATS, ...).
REPEATABLE = {(Space.STANDARD, CAP_ID_VNDR), (Space.EXTENDED, EXT_VSEC), (Space.EXTENDED, EXT_DVSEC)}


def repeatable(space: Space, cap_id: int) -> bool:
    return (space, cap_id) in REPEATABLE


@record(slots=False)
class Target:
    """Where placements go: a view of one device, and what is known about it."""

    layout: Layout  # the view placed into (guest, normally)
    access: bytes  # vfio-pci access class per byte (empty: unknown)
    quirk: QuirkEntry | None = None
    ranges: tuple[tuple[int, int], ...] = ()  # the user's available ranges
    placed: tuple[Placed, ...] = field(default=())
    vmm: str = "qemu"  # whose insertion rules apply (QEMU's own check, for QEMU)
    zero_unproven: bool = False  # a guest dump whose VMM reads removed bytes as 0 (crosvm)
    guest_dump: bool = False  # the layout is a dump read inside a guest, judged as read

    def with_placed(self, p: Placed) -> Target:
        return self.with_all_placed(self.placed + (p,))

    def with_all_placed(self, placed: tuple[Placed, ...]) -> Target:
        return replace(self, placed=placed)

    @cached_property
    def _by_start(self) -> tuple[list[int], tuple[Placed, ...], int]:
        """The placed capabilities sorted by start (for bisection), and the longest one."""
        order = tuple(sorted(self.placed, key=lambda p: p.start))
        return [p.start for p in order], order, max((p.end - p.start for p in order), default=0)

    def placed_overlapping(self, a: int, b: int) -> list[Placed]:
        """Placed capabilities that share a byte with [a, b): O(log n + k), so a plan of
        hundreds of placements validates in n log n, not n squared."""
        if not self.placed:
            return []
        starts, order, longest = self._by_start
        hi = bisect_left(starts, b)
        lo = bisect_left(starts, a - longest + 1)
        return [p for p in order[lo:hi] if p.end > a]

    @cached_property
    def _by_id(self) -> dict[tuple[Space, int], list[Placed]]:
        out: dict[tuple[Space, int], list[Placed]] = {}
        for p in self.placed:
            out.setdefault((p.space, p.cap_id), []).append(p)
        return out

    def placed_with_id(self, space: Space, cap_id: int) -> list[Placed]:
        return self._by_id.get((space, cap_id), []) if self.placed else []


def verdict(findings: list[Finding]) -> Verdict:
    return worst({f.severity for f in findings})


def _space_bounds(space: Space) -> tuple[int, int]:
    return (STD_HEADER_SIZE, STD_SIZE) if space is Space.STANDARD else (STD_SIZE, CONFIG_SIZE)


def replaced_cap(layout: Layout, vcap: VcapRequest, offset: int) -> int | None:
    """The index of the physical capability of the same ID that the view unlinks and that
    `vcap` at `offset` replaces 1:1 (same start, room for it): the guest then drives the real
    registers, which is what a VMM that synthesizes it for a device that has it wants."""
    for i, c in enumerate(layout.capabilities):
        if (c.offset == offset and c.space is vcap.space and c.id == vcap.cap_id
                and c.size >= vcap.size
                and layout.visibility(i) in ("hidden", "placeholder", "dropped")):
            return i
    return None


def validate(target: Target, vcap: VcapRequest, offset: int, skip: Placed | None = None
             ) -> list[Finding]:
    """Findings for `vcap` at `offset`, most severe first. On the physical capability of the
    same ID that the view hides, 1:1, it is no collision (`replaced_cap`). `skip` is this very
    capability among `target.placed` (when every placement is checked against all others)."""
    start, end = offset, offset + vcap.size
    ignore_cap = replaced_cap(target.layout, vcap, offset)
    lo, hi = _space_bounds(vcap.space)
    out: list[Finding] = []
    if start < lo or end > hi:
        out.append(Finding(Verdict.COLLISION, "range", start, end, f"{vcap.name} ({vcap.size:#x} bytes) at "
                           f"{start:#05x} does not fit the {vcap.space.value} space {lo:#05x}-{hi - 1:#05x}"))
    if start % 4:
        out.append(Finding(Verdict.COLLISION, "alignment", start, end,
                           f"{start:#05x} is not DWORD aligned: capabilities start on a multiple of 4"))
    a, b = max(start, 0), min(end, CONFIG_SIZE)
    if a < b:
        out += _region_findings(target, a, b, ignore_cap)
        out += _table_findings(target, a, b, skip)
    out += duplicate_findings(target, vcap, start, end, skip)
    link = _link_point(target.layout, vcap.space)
    if link is not None:
        out.append(Finding(Verdict.COLLISION, "unavailable", link, link + 4, f"{link:#05x}, where the "
                           f"{vcap.space.value} chain starts, is not in the dump: the capability "
                           "could not be linked"))
    if vcap.space is Space.EXTENDED and not has_extended_space(target.layout):
        out.append(Finding(Verdict.COLLISION, "range", start, end, "this function has no extended config "
                           "space (no PCI Express or PCI-X capability): bytes above 0xff are not "
                           "its registers"))
    if vcap.space is Space.EXTENDED:
        out += _start_findings(target.layout, start, end)
    if vcap.space is Space.EXTENDED and target.vmm == "qemu":
        out += _qemu_findings(target.layout, vcap, start, end, any(f.severity == Verdict.COLLISION for f in out))
    if target.guest_dump:
        out.append(Finding(Verdict.INFO, "guest-dump", start, end, "judged on the dump as its guest read "
                           "it: what the host's vfio-pci hides, and which bytes reach the device, "
                           "cannot be seen from inside"))
    if ignore_cap is not None:
        cap = target.layout.capabilities[ignore_cap]
        via = ("QEMU forwards every guest write to vfio-pci" if target.vmm == "qemu" else
               "the VMM passes guest writes to vfio-pci")
        out.append(Finding(Verdict.WARNING, "hidden-physical", start, end, f"placed 1:1 on the physical "
                           f"{cap.name} that the {target.layout.view} view unlinks: {via}, which "
                           "passes a hidden capability's bytes raw, so every guest write reaches "
                           "its live registers (for PASID: the PASID Control the host's IOMMU "
                           "driver enabled)"))
    if a < b and target.access:
        span = target.access[a:b]
        raw = len(span) - span.count(Access.VIRTUALIZED) - span.count(Access.READ_ONLY)
        if raw:
            via = ("QEMU forwards every write" if target.vmm == "qemu" else
                   "the VMM passes config writes to vfio-pci")
            out.append(Finding(Verdict.INFO, "raw-write", a, b, f"guest writes to {raw} of these {b - a} "
                               f"bytes also reach the physical device ({via}; vfio-pci passes "
                               "these raw)"))
    return sorted(out, key=lambda f: (LISTED[f.severity], f.start, f.kind))


def duplicate_findings(target: Target, vcap: VcapRequest, start: int, end: int,
                       skip: Placed | None = None) -> list[Finding]:
    """A function has one capability of each non-vendor ID: a second one, physical (linked
    in the target view) or virtual (placed already), is a collision."""
    if repeatable(vcap.space, vcap.cap_id):
        return []
    out: list[Finding] = []
    layout = target.layout
    for i, c in enumerate(layout.capabilities):
        if c.space is vcap.space and c.id == vcap.cap_id and layout.visibility(i) == "visible":
            out.append(Finding(Verdict.COLLISION, "duplicate", start, end, f"the {layout.view} view "
                               f"already links a {c.name} at {c.offset:#05x}: a function has one, "
                               "and the guest would see two"))
    twins = [p for p in target.placed_with_id(vcap.space, vcap.cap_id) if p is not skip]
    if twins:  # one finding, however many: a plan of n placements stays linear in findings
        more = f" (and {len(twins) - 1} more)" if len(twins) > 1 else ""
        out.append(Finding(Verdict.COLLISION, "duplicate", start, end, f"a virtual {twins[0].name} is "
                           f"already placed at {twins[0].start:#05x}{more}: a function has one "
                           f"{vcap.name}"))
    return out


def _link_point(layout: Layout, space: Space) -> int | None:
    """Where linking a new capability must write, if the dump does not hold it."""
    cs = layout.space
    if space is Space.STANDARD:
        return None if cs.has(0x06, 2) and cs.has(cap_pointer_register(cs)) else 0x34
    return None if cs.has(STD_SIZE, 4) else STD_SIZE


def has_extended_space(layout: Layout) -> bool:
    return any(c.space is Space.STANDARD and c.id in (CAP_ID_PCIX, CAP_ID_EXP) for c in layout.capabilities)


def _region_findings(target: Target, a: int, b: int, ignore_cap: int | None) -> list[Finding]:
    layout = target.layout
    out: list[Finding] = []
    idx = layout.region_index(a)
    while idx < len(layout.regions) and layout.regions[idx].start < b:
        r = layout.regions[idx]
        idx += 1
        s, e = max(r.start, a), min(r.end, b)
        cap = layout.capabilities[r.capability] if r.capability is not None else None
        where = f"{s:#05x}-{e - 1:#05x}"
        if r.kind is Kind.CAPABILITY and cap is not None:
            out.append(Finding(Verdict.COLLISION, "overlap", s, e, f"{where} belongs to {cap.name} at "
                               f"{cap.offset:#05x} ({cap.size:#x} bytes, {cap.certainty.value} size)"))
        elif r.kind is Kind.HEADER:
            out.append(Finding(Verdict.COLLISION, "header", s, e, f"{where} is the config header"))
        elif r.kind is Kind.HIDDEN and cap is not None:
            if r.capability == ignore_cap:
                continue
            vis = layout.visibility(r.capability)
            out.append(Finding(Verdict.COLLISION, "hidden", s, e, f"{where} holds {cap.name} at "
                               f"{cap.offset:#05x}, {vis} in the {layout.view} view: its registers "
                               "are still live on the device"))
        elif r.kind is Kind.MASKED and cap is not None:
            out.append(Finding(Verdict.COLLISION, "masked", s, e, f"{where} holds a masked capability at "
                               f"{cap.offset:#05x} (ID 0, version {cap.version}): its registers "
                               "are live on the device" + _likely(cap.size_why)))
        elif r.kind is Kind.ORPHAN and r.orphan is not None:
            o = layout.orphans[r.orphan]
            out.append(Finding(Verdict.COLLISION, "orphan", s, e, f"{where} holds an unlinked {o.name} "
                               f"structure at {o.offset:#05x}"))
        elif r.kind is Kind.UNAVAILABLE:
            out.append(Finding(Verdict.COLLISION, "unavailable", s, e, f"{where} is not in the dump: "
                               "nothing is known about these bytes"))
        elif r.kind is Kind.VIRTUAL:
            out.append(Finding(Verdict.COLLISION, "virtual", s, e, f"{where} is another virtual capability"))
        elif r.kind is Kind.UNKNOWN_TAIL and cap is not None:
            out.append(Finding(Verdict.WARNING, "tail", s, e, f"{where} may belong to {cap.name} at "
                               f"{cap.offset:#05x}: its size is not known ({cap.certainty.value})"))
        elif r.kind is Kind.ZERO_GAP and target.zero_unproven:
            out.append(Finding(Verdict.WARNING, "zero-unproven", s, e, f"{where} reads 0, but this guest's "
                               "VMM (crosvm) reads every removed capability's bytes as 0: live "
                               "registers may be behind these zeros"))
        elif r.kind is Kind.DATA_GAP:
            out.append(Finding(Verdict.WARNING, "data", s, e, f"{where} holds non-zero bytes no "
                               "capability owns: vendor registers?"))
    return out


def _likely(why: str) -> str:
    return "; " + why.split("; ", 1)[1] if "; likely" in why else ""


START_PROBLEMS = ("vmm_hang", "vmm_refuses", "qemu_abort", "qemu_start_fails")


def _start_findings(layout: Layout, start: int, end: int) -> list[Finding]:
    """The device never comes up in this target (a VMM hangs or aborts at device start): no
    placement there can be ok."""
    return [Finding(Verdict.COLLISION, "device-start", start, end, p.message)
            for p in layout.problems if p.kind in START_PROBLEMS]


def _table_findings(target: Target, a: int, b: int, skip: Placed | None = None) -> list[Finding]:
    out: list[Finding] = []
    hits = [p for p in target.placed_overlapping(a, b) if p is not skip]
    for n, p in enumerate(hits[:MAX_LISTED], 1):
        s, e = max(p.start, a), min(p.end, b)
        more = f" (and {len(hits) - n} more)" if n == MAX_LISTED and len(hits) > n else ""
        out.append(Finding(Verdict.COLLISION, "virtual", s, e, f"{s:#05x}-{e - 1:#05x} is taken by "
                           f"the virtual {p.name} placed at {p.start:#05x}{more}"))
    if target.quirk is not None:
        for rs, re_ in target.quirk.reserved:
            s, e = max(rs, a), min(re_, b)
            if s < e:
                out.append(Finding(Verdict.COLLISION, "quirk", s, e, f"{s:#05x}-{e - 1:#05x} is reserved "
                                   f"by the device table ({target.quirk.name or 'entry'}): "
                                   f"{target.quirk.source}"))
    if target.ranges and not any(rs <= a and b <= re_ for rs, re_ in target.ranges):
        out.append(Finding(Verdict.WARNING, "ranges", a, b, f"{a:#05x}-{b - 1:#05x} lies outside the "
                           "available ranges given"))
    return out


def qemu_accepts(layout: Layout, offset: int, size: int) -> tuple[bool, str]:
    """QEMU's pcie_insert_capability() check on the guest chain."""
    if offset % 4 or size < 8 or offset < STD_SIZE or offset + size > CONFIG_SIZE:
        return False, ("not DWORD aligned" if offset % 4 else
                       f"outside {STD_SIZE:#x}..{QEMU_LAST:#x}" if size >= 8 else "smaller than 8 bytes")
    headers = layout.insert_headers if layout.insert_headers is not None else layout.ext_headers
    if not headers:
        return False, NO_EXT_CAPS
    for pos in headers:  # QEMU walks forward while the offset is at or beyond each header
        if offset < pos:
            break
        if offset < pos + 4:
            return False, f"inside the header DWORD of the capability at {pos:#05x}"
    return True, "aligned, inside 0x100..0xff8, not on a capability header"


def _qemu_findings(layout: Layout, vcap: VcapRequest, start: int, end: int, unsafe: bool) -> list[Finding]:
    ok, why = qemu_accepts(layout, start, vcap.size)
    prop = vcap.qemu_property or "QEMU"
    if ok and unsafe:
        return [Finding(Verdict.WARNING, "qemu", start, end, f"QEMU's own check would ACCEPT {start:#05x} "
                        f"({why}) although it collides: {prop} does not look at capability bodies, "
                        "hidden capabilities or vendor registers")]
    if ok:
        return [Finding(Verdict.INFO, "qemu", start, end, f"QEMU's insertion check accepts {start:#05x}: {why}")]
    if why == NO_EXT_CAPS:
        return [Finding(Verdict.WARNING, "qemu-device", start, end, f"QEMU would not synthesize "
                        f"{vcap.name} on this device: {why} (other VMMs may)")]
    return [Finding(Verdict.WARNING, "qemu", start, end, f"QEMU would refuse {start:#05x} ({why}): the "
                    f"device would come up without the {vcap.name} capability")]
