"""Synthesis: write placed virtual capabilities into the guest view and link them.

Extended capabilities are linked as QEMU's `pcie_insert_capability()` does: walking from
0x100, the new one goes after the last capability whose offset is at or below it, and
points at the first one beyond. Standard ones are appended at the tail of the standard
chain, as QEMU adds its GPUDirect and VMD capabilities. When the view has no extended
capability at all, 0x100 gets an ID-0 header pointing at the first virtual one (QEMU's
own head stub; QEMU itself synthesizes nothing then, which the validator says).

The result is re-walked: every capability the view linked must still be reached, once,
the virtual ones too, and no loop may appear (`check()`).
"""

from __future__ import annotations

import struct

from ..ids import ext_next, set_ext_next
from ..layout import CapView, Kind, Layout, Region
from ..record import record
from ..registry import Certainty, Space, lookup
from ..space import CONFIG_SIZE, STD_SIZE
from ..views import with_bytes
from ..walk import Capability, cap_pointer_register, walk
from .auto import Placement



@record(slots=False)
class Synthesis:
    layout: Layout  # the guest view with the virtual capabilities written and linked
    problems: tuple[str, ...]  # what the re-walk found wrong (empty: all good)


def _link_extended(data: bytearray, cs, offset: int) -> None:
    """Link the capability at `offset` into the extended chain as QEMU's insertion does:
    after the last capability at or below it, pointing at the first one beyond. The chain
    is the one the walker reaches (a broken chain is linked where it stops)."""
    chain = [c.offset for c in walk(with_bytes(cs, data)).capabilities if c.space is Space.EXTENDED]
    if not chain:
        if offset != STD_SIZE:
            struct.pack_into("<I", data, STD_SIZE, offset << 20)  # ID-0 head stub
        return
    if offset in chain:
        return  # it is already the head (or a header it replaced): nothing to link
    prev, nxt = None, None
    for pos in chain:
        if offset < pos:
            nxt = pos
            break
        prev = pos
    if prev is None:
        return
    if nxt is None:  # after the last one: take over its next pointer (0, or where it broke)
        nxt = ext_next(struct.unpack_from("<I", data, prev)[0])
    set_ext_next(data, offset, nxt)
    set_ext_next(data, prev, offset)


def _link_standard(data: bytearray, cs, offset: int) -> None:
    """Append at the tail of the standard chain the walker reaches (QEMU adds its virtual
    standard capabilities there); with no chain, point the capabilities pointer at it."""
    chain = [c.offset for c in walk(with_bytes(cs, data)).capabilities if c.space is Space.STANDARD]
    pointer = chain[-1] + 1 if chain else cap_pointer_register(cs)
    data[pointer] = offset
    data[offset + 1] = 0
    data[0x06] |= 0x10  # Status.CapList


def synthesize(view: Layout, placements: list[Placement]) -> Synthesis:
    cs = view.space
    data = bytearray(cs.data)
    # Only a capability that can exist is written: inside its space and DWORD aligned (one
    # that is not is a collision the validator names; writing it would corrupt the chain).
    placed = [p for p in placements if p.offset is not None and _fits(p)]
    for p in placed:
        blob = p.vcap.bytes()
        data[p.offset:p.offset + len(blob)] = blob
    for p in placed:
        if p.vcap.space is Space.EXTENDED:
            _link_extended(data, cs, p.offset)
        else:
            _link_standard(data, cs, p.offset)
    new_cs = with_bytes(cs, data)
    layout = _overlay(view, new_cs, placed)
    return Synthesis(layout, tuple(check(view, layout, placed)))


def _fits(p: Placement) -> bool:
    lo, hi = (0x40, STD_SIZE) if p.vcap.space is Space.STANDARD else (STD_SIZE, CONFIG_SIZE)
    return p.offset is not None and p.offset % 4 == 0 and lo <= p.offset and p.end <= hi


def _overlay(view: Layout, new_cs, placed: list[Placement]) -> Layout:
    """The view's layout with the virtual capabilities added as capabilities and regions."""
    caps = list(view.capabilities)
    cap_views = list(view.cap_views) or [CapView("visible")] * len(caps)
    regions = list(view.regions)
    for p in placed:
        spec = lookup(p.vcap.space, p.vcap.cap_id)
        nxt = ext_next(new_cs.u32(p.offset)) if p.vcap.space is Space.EXTENDED \
            else new_cs.u8(p.offset + 1)
        caps.append(Capability(p.vcap.space, p.vcap.cap_id, p.offset, nxt,
                               1 if p.vcap.space is Space.EXTENDED else None, p.vcap.size,
                               Certainty.EXACT, f"virtual {p.vcap.name}", spec))
        cap_views.append(CapView("virtual", f"synthesized {p.vcap.name} ({p.rule})", p.vcap.size))
        regions = carve(regions, Region(p.offset, p.end, Kind.VIRTUAL, len(caps) - 1))
    # next pointers of linked capabilities changed: refresh the records
    fresh = {(c.space, c.offset): c.next for c in walk(new_cs).capabilities}
    caps = [c._replace(next=fresh.get((c.space, c.offset), c.next)) for c in caps]
    return Layout(new_cs, tuple(caps), view.orphans, tuple(regions), view.problems, view.pcie,
                  view=view.view, cap_views=tuple(cap_views), access=view.access,
                  profile=view.profile)


def carve(regions: list[Region], new: Region) -> list[Region]:
    """Regions with `new` cut in: what it covers is trimmed away, the rest kept."""
    out: list[Region] = []
    for r in regions:
        if r.end <= new.start or new.end <= r.start:
            out.append(r)
            continue
        if r.start < new.start:
            out.append(r._replace(end=new.start))
        if new.end < r.end:
            out.append(r._replace(start=new.end))
    out.append(new)
    return sorted(out, key=lambda r: r.start)


def check(before: Layout, after: Layout, placed: list[Placement]) -> list[str]:
    """The re-walk: old linked capabilities still reached once, new ones too, no loop."""
    problems: list[str] = []
    old = walk(before.space)
    new = walk(after.space)
    keys = [(c.space, c.offset) for c in new.capabilities]
    for c in old.capabilities:
        if (c.space, c.offset) not in keys:
            problems.append(f"{c.name} at {c.offset:#05x} is no longer reached")
    for p in placed:
        if (p.vcap.space, p.offset) not in keys:
            problems.append(f"virtual {p.vcap.name} at {p.offset:#05x} is not reached")
    if len(set(keys)) != len(keys):
        problems.append("a capability is reached twice")
    old_kinds = {pr.kind for pr in old.problems}
    for pr in new.problems:
        if pr.kind in ("loop", "bad_pointer", "null_header") and pr.kind not in old_kinds:
            problems.append(f"the chain is broken after synthesis: {pr.message}")
    return problems
