"""`capslot diff`: comparing two dumps of one device: host sysfs against what a guest sees, or two hosts,
or two firmware versions.

Changed bytes are grouped by what owns them in A; capabilities appearing or disappearing
are listed; and B is checked against A seen through each view: does walking B give the
chain that A's hardware, vfio or guest view links?
"""

from __future__ import annotations

from ..layout import Kind, Layout, build
from ..record import record, replace
from ..space import ConfigSpace
from ..target import TargetSpec
from ..walk import walk
from .model import Plan

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    from ..placement import DeviceTable
    from ..placement.vcaps import VcapRequest


@record
class ByteChange:
    start: int
    end: int
    owner: str  # "PCI Express @0x040", "header", "data gap", ...


@record
class ViewMatch:
    view: str
    matches: bool  # the chain B links is the chain this view links
    expected: tuple[tuple[str, int, int], ...]  # (space, offset, id) linked in A's view
    missing: tuple[tuple[str, int, int], ...]  # in the view, not in B
    extra: tuple[tuple[str, int, int], ...]  # in B, not in the view
    differing: int = 0  # bytes of 0x100-0xfff (both dumps hold) where B differs from the view


@record(slots=False)
class Diff:
    changes: tuple[ByteChange, ...]
    changed_bytes: int
    appeared: tuple[tuple[str, int, int], ...]  # (space, offset, id) in B only
    disappeared: tuple[tuple[str, int, int], ...]  # in A only
    views: tuple[ViewMatch, ...]

    @property
    def best(self) -> ViewMatch | None:
        """The view whose chain B links and whose bytes differ least from B's (views that
        read the same give the first of them)."""
        matching = [v for v in self.views if v.matches]
        return min(matching, key=lambda v: v.differing) if matching else None

    @property
    def consistent(self) -> tuple[ViewMatch, ...]:
        """Every view whose chain B links and whose bytes differ from B's as little as the
        best one's: when several VMMs show the guest the same bytes, B cannot tell which of
        them it was read under, so all of them are named."""
        best = self.best
        if best is None:
            return ()
        return tuple(v for v in self.views if v.matches and v.differing == best.differing)


def _owner(layout: Layout, pos: int) -> str:
    r = layout.region_at(pos)
    if r.capability is not None:
        c = layout.capabilities[r.capability]
        return f"{c.name} @{c.offset:#05x}" + (" (tail)" if r.kind is Kind.UNKNOWN_TAIL else "")
    if r.orphan is not None:
        o = layout.orphans[r.orphan]
        return f"orphan {o.name} @{o.offset:#05x}"
    return r.kind.value.replace("_", " ")


def _chain(layout: Layout) -> tuple[tuple[str, int, int], ...]:
    return tuple((c.space.value, c.offset, c.id) for c in walk(layout.space).capabilities)


def diff(a: Layout, b: Layout, candidates: list[tuple[str, Layout]]) -> Diff:
    """`a` and `b` are hardware layouts (whatever B really is: the candidates decide).
    `candidates` are A seen through each view (and VMM), by name, virtual capabilities
    included where the caller placed them (`compare` below builds them)."""
    both = [(s, e) for s, e in a.space.available if b.space.has(s, e - s)]
    changes: list[ByteChange] = []
    count = 0
    for start, end in both:
        pos = start
        while pos < end:
            if a.space.data[pos] == b.space.data[pos]:
                pos += 1
                continue
            owner = _owner(a, pos)
            run = pos
            while run < end and a.space.data[run] != b.space.data[run] and _owner(a, run) == owner:
                run += 1
            changes.append(ByteChange(pos, run, owner))
            count += run - pos
            pos = run
    chain_b = _chain(b)
    chain_a = _chain(a)
    views = []
    ext = [(max(s, 0x100), e) for s, e in both if e > 0x100]
    for name, layout in candidates:
        expected = _chain(layout)
        missing = tuple(x for x in expected if x not in chain_b)
        extra = tuple(x for x in chain_b if x not in expected)
        differing = sum(x != y for s, e in ext
                        for x, y in zip(layout.space.data[s:e], b.space.data[s:e], strict=False))
        views.append(ViewMatch(name, not missing and not extra, expected, missing, extra, differing))
    return Diff(tuple(changes), count, tuple(x for x in chain_b if x not in chain_a),
                tuple(x for x in chain_a if x not in chain_b), tuple(views))


def compare(a: ConfigSpace, b: ConfigSpace, target: TargetSpec | None = None,
            requests: tuple[VcapRequest, ...] = (), table: DeviceTable | None = None) -> Diff:
    """`capslot diff A B [--add ...]`: B against A seen through each view, the guest view of
    every VMM; the guest views carry the virtual capabilities (a host dump and a guest dump of
    the same QEMU 11 VM match when the guest's PASID is added). A is taken as read on the host."""
    from ..views.vmms import VMMS

    base = replace(target or TargetSpec(), captured="host")
    extra = " + " + ", ".join(f"{r.name}@{r.offset:#x}" for r in requests) if requests else ""
    plan = Plan(a, replace(base, view="hardware"), table=table)
    candidates = [("hardware", plan.view("hardware")), ("vfio", plan.view("vfio"))]
    for vmm in VMMS:
        guest = Plan(a, replace(base, view="guest", vmm=vmm), requests, table, auto=False,
                     hardware_layout=plan.hardware, source="--add")
        seen = guest.view()
        if any(p.kind in ("vmm_refuses", "vmm_hang") for p in seen.problems):
            continue  # the VMM never starts this device: no guest of it read B
        candidates.append((f"guest ({vmm}){extra}", guest.display() if requests else seen))
    return diff(plan.view("hardware"), build(b), candidates)


__all__ = ["ByteChange", "Diff", "ViewMatch", "compare", "diff"]
