"""The guest view QEMU's vfio-pci (hw/vfio/pci.c) builds on top of the kernel's.

From docs/reference/vfio-qemu.md §2 and QEMU's source:
- Standard capabilities keep their physical order; each gets the size "distance to the
  next-higher capability offset, or to 0x100".
- Extended capabilities are processed only for a PCI Express device whose kernel view reads a
  non-zero DWORD at 0x100 (`vfio_add_ext_cap()`'s early exit). QEMU walks the chain *as the
  kernel shows it* (`pdev->config`, read from the vfio region): an ID-0 header at 0x100 that the
  kernel serves raw leaves the capability it points to reachable, and QEMU adds it although
  vfio-pci meant to hide it. The walk has no bound: a looping chain hangs QEMU at device start.
- Dropped: ID 0 (the kernel's placeholder), SR-IOV and ARI; ATS with `ats=off`; Resizable BAR
  when a BAR's current size cannot be expressed (size field > 27). A kept Resizable BAR reports
  only each BAR's current size (`vfio_setup_rebar_ecap()` emulates the pairs). `ats=on` on a device whose
  kernel view has no ATS fails device start. Every other capability is re-added at its offset
  with the size "distance to the next-higher kernel-chain offset, or to 0x1000", linked in
  chain order; the head is a 0xFFFF stub while it rebuilds, so when everything is dropped the
  vPASID insertion still finds a head (any aligned offset >= 0x104 is accepted) and the guest
  sees ID 0 / version 0 / next -> the PASID.
- QEMU aborts (assert) when a kept extended capability gets a size below 8 or sits above 0xFF8.
- Dropped capabilities are unlinked; their bytes still pass to the kernel. Guest writes go to
  the kernel whatever QEMU emulates, so the per-byte access of the guest view is the kernel's.
"""

from __future__ import annotations

import struct

from ..ids import EXT_ATS, EXT_REBAR, ext_next, set_ext_next
from ..capview import CapView
from ..layout import Layout
from ..registry import Space
from ..space import CONFIG_SIZE, STD_SIZE
from ..walk import Capability, Problem, cap_pointer_register, follow
from .model import recolour, with_bytes
from .removals import QEMU_DROPS
from .walks import EXT_WALKS

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:  # annotations only
    from . import QemuOptions

S, E = Space.STANDARD, Space.EXTENDED
QEMU_LAST_EXT = CONFIG_SIZE - 8  # pcie_add_capability asserts offset <= 0xFF8


REBAR_CTRL_KEPT = 0x1F00 | 0xE0 | 0x07  # PCI_REBAR_CTRL_BAR_SIZE | NBAR_MASK | BAR_IDX
REBAR_CAP_SIZES = 0xFFFFFFF0  # PCI_REBAR_CAP_SIZES


def setup_rebar(data: bytearray, offset: int) -> bool:
    """vfio_setup_rebar_ecap(): for each BAR in order, the capability register is emulated to
    report only the current size (1 << (size + 4)) and the control register keeps only its
    size, NBAR and index fields; a current size above 27 cannot be reported, so QEMU gives up
    (returns False: the capability is dropped) -- the pairs before it stay emulated."""
    nbar = (struct.unpack_from("<I", data, offset + 8)[0] >> 5) & 7
    for i in range(nbar):
        cap_at, ctrl_at = offset + 4 + 8 * i, offset + 8 + 8 * i
        if ctrl_at + 4 > CONFIG_SIZE:
            break
        ctrl = struct.unpack_from("<I", data, ctrl_at)[0]
        size = (ctrl >> 8) & 0x1F
        cap = 1 << (size + 4) if size <= 27 else 0
        if not cap & REBAR_CAP_SIZES:
            return False
        struct.pack_into("<I", data, cap_at, cap)
        struct.pack_into("<I", data, ctrl_at, ctrl & REBAR_CTRL_KEPT)
    return True


def _drop_reason(kernel: Layout, data: bytearray, offset: int, cap_id: int, index: int | None,
                 opts: QemuOptions) -> str:
    if cap_id == 0 and index is not None and kernel.visibility(index) == "placeholder":
        return (f"{kernel.cap_views[index].reason.split(';')[0]}; QEMU then drops the "
                "kernel's ID-0 placeholder at the head of the chain")
    if cap_id in QEMU_DROPS:
        return QEMU_DROPS[cap_id]
    if cap_id == EXT_ATS and opts.ats == "off":
        return "QEMU drops ATS (ats=off)"
    if cap_id == EXT_REBAR and not setup_rebar(data, offset):
        return "QEMU drops Resizable BAR: a BAR's current size does not fit the capability register"
    return ""


def _distance(offset: int, others: list[int], limit: int) -> int:
    return min([o for o in others if o > offset] + [limit]) - offset


def guest_view(kernel: Layout, opts: QemuOptions) -> Layout:
    cs = kernel.space
    data = bytearray(cs.data)
    caps = kernel.capabilities
    views = list(kernel.cap_views)
    problems: list[Problem] = list(kernel.problems)

    # Standard: the kernel's visible chain, in physical chain order.
    std = [i for i, c in enumerate(caps) if c.space is S and views[i].visibility == "visible"]
    std_offsets = [caps[i].offset for i in std]
    for i in std:
        views[i] = CapView("visible", "", _distance(caps[i].offset, std_offsets, STD_SIZE))
    # QEMU's vfio-pci starts as an express device and vfio_pci_populate_device() clears
    # QEMU_PCI_CAP_EXPRESS when the kernel's config region is 256 bytes: "express" is the
    # region's size, not a PCI Express capability (a PCI-X 2.0 function has 4 KiB too).
    express = kernel.config_size > STD_SIZE

    insert_headers: tuple[int, ...] | None = None
    ext = [i for i, c in enumerate(caps) if c.space is E]
    # the chain as a reader of the kernel's bytes walks it from 0x100 (QEMU's row of the one
    # walker): a pointer below 0x100 ends the list here (QEMU itself would assert on it, said
    # below), and a loop never ends (QEMU's walk has no bound)
    trail = follow(cs.data, EXT_WALKS["qemu"], STD_SIZE) if cs.has(STD_SIZE, 4) else None
    chain, loops = (list(trail.offsets), trail.loops) if trail else ([], False)
    if not ext and not chain:
        pass
    elif not express or not cs.u32(STD_SIZE):
        insert_headers = ()  # vfio_add_ext_cap() returns at once: no vPASID either
        for i in ext:
            if views[i].visibility in ("visible", "placeholder"):
                views[i] = CapView("dropped", "QEMU adds no extended capabilities: the device is "
                                   "not PCI Express or the kernel shows 0 at 0x100")
    else:
        if loops:
            problems.append(Problem("vmm_hang", chain[-1], "QEMU would hang at device start: "
                                    "the extended chain the kernel shows loops, and "
                                    "vfio_add_ext_cap() walks it without a bound", E))
        last = chain[-1] if chain else STD_SIZE
        below = ext_next(struct.unpack_from("<I", cs.data, last)[0])
        if chain and 0 < below < STD_SIZE:
            problems.append(Problem("qemu_abort", last, f"QEMU would abort: the chain the kernel "
                                    f"shows points from {last:#05x} to {below:#05x}, below 0x100 "
                                    "(pcie_add_capability asserts offset >= 0x100)", E))
        by_offset = {caps[i].offset: i for i in ext}
        kept_offsets: list[int] = []
        reached: set[int] = set()
        for off in chain:
            cap_id = struct.unpack_from("<I", cs.data, off)[0] & 0xFFFF
            i = by_offset.get(off)
            reason = _drop_reason(kernel, data, off, cap_id, i, opts)
            if i is not None:
                reached.add(i)
                if reason:
                    views[i] = CapView("dropped", reason)
                else:
                    note = "" if views[i].visibility == "visible" else (
                        "reachable through the header at 0x100, which the kernel serves raw: "
                        "QEMU adds it although vfio-pci maps none of its bytes")
                    views[i] = CapView("visible", note, _distance(off, chain, CONFIG_SIZE))
            if reason:
                continue
            kept_offsets.append(off)
            size = _distance(off, chain, CONFIG_SIZE)
            if size < 8 or off > QEMU_LAST_EXT:
                name = caps[i].name if i is not None else f"ID {cap_id:#06x}"
                problems.append(Problem("qemu_abort", off, f"QEMU would abort: {name} at "
                                        f"{off:#05x} gets {size} bytes (pcie_add_capability "
                                        "asserts size >= 8 and offset <= 0xff8)", E))
        for i in ext:  # linked for the kernel but not reached in its bytes: not in QEMU's chain
            if i not in reached and views[i].visibility == "visible":
                views[i] = CapView("dropped", "not reachable in the chain the kernel shows")
        if opts.ats == "on" and not any(
                struct.unpack_from("<I", cs.data, off)[0] & 0xFFFF == EXT_ATS for off in kept_offsets):
            problems.append(Problem("qemu_start_fails", STD_SIZE, "QEMU fails to start the device: "
                                    "ats=on but the kernel shows no ATS capability", E))
        _relink_extended(data, kept_offsets)
        if kept_offsets and kept_offsets[0] == STD_SIZE and data[STD_SIZE:STD_SIZE + 2] == b"\xff\xff":
            # vfio_add_ext_cap() "Cleanup chain head ID if necessary": a word 0xFFFF at 0x100
            # (its own stub, or a kept capability whose ID is 0xFFFF) becomes 0 (hw/vfio/pci.c)
            data[STD_SIZE:STD_SIZE + 2] = b"\0\0"
            i = by_offset.get(STD_SIZE)
            if i is not None:
                views[i] = CapView("visible", "its ID 0xffff reads 0: QEMU clears a 0xffff "
                                   "head after rebuilding the chain", views[i].exposed)
        if not kept_offsets:  # the 0xFFFF stub head stays while QEMU synthesizes the vPASID
            insert_headers = (STD_SIZE,)

    _relink_standard(data, cs, [caps[i] for i in std])
    cap_views = tuple(views)
    return Layout(with_bytes(cs, data), caps, kernel.orphans,
                  recolour(kernel.regions, cap_views, [c.offset for c in caps]),
                  tuple(problems), kernel.pcie, view="guest", cap_views=cap_views,
                  access=kernel.access, profile=f"{kernel.profile}, {opts.text}",
                  insert_headers=insert_headers)


def _relink_standard(data: bytearray, cs, visible: list[Capability]) -> None:
    pointer = cap_pointer_register(cs)
    for c in visible:
        data[pointer] = c.offset
        pointer = c.offset + 1
    data[pointer] = 0


def _relink_extended(data: bytearray, offsets: list[int]) -> None:
    """QEMU re-adds each kept capability at the tail; the head at 0x100 holds the first
    kept one, or ID 0 / version 0 pointing at it, or 0 when nothing is kept."""
    for n, off in enumerate(offsets):
        set_ext_next(data, off, offsets[n + 1] if n + 1 < len(offsets) else 0)
    if not offsets or offsets[0] != STD_SIZE:
        head = offsets[0] << 20 if offsets else 0
        struct.pack_into("<I", data, STD_SIZE, head)
