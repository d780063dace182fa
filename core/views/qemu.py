"""The guest view: what QEMU's vfio-pci (hw/vfio/pci.c) shows the VM, on top of the kernel's.

From ../shared/reference/vfio-qemu.md §2:
- Standard capabilities keep their physical order; each gets the size "distance to the
  next-higher capability offset, or to 0x100".
- Extended capabilities are processed only for an express device whose kernel view reads
  a non-zero DWORD at 0x100. QEMU drops the kernel's ID-0 placeholder, SR-IOV and ARI,
  ATS with `ats=off`, and Resizable BAR when a BAR's current size cannot be expressed
  (size field > 27). Every other capability is re-added at the same offset with the size
  "distance to the next-higher kernel-chain offset, or to 0x1000", linked in chain order.
- QEMU aborts (assert) when a kept extended capability gets a size below 8 or sits above
  0xFF8: that is a problem of the device in this view.
- Dropped capabilities are unlinked; their bytes still pass to the kernel.
- Guest writes go to the kernel whatever QEMU emulates, so the per-byte access of the
  guest view is the kernel's.
"""

from __future__ import annotations

import struct

from ..layout import CapView, Layout
from ..registry import Space
from ..space import CONFIG_SIZE, STD_SIZE
from ..walk import Capability, Problem, cap_pointer_register
from . import QemuOptions, recolour, with_bytes

S, E = Space.STANDARD, Space.EXTENDED
CAP_ID_EXP = 0x10
ID_SRIOV, ID_ARI, ID_ATS, ID_REBAR = 0x10, 0x0E, 0x0F, 0x15
QEMU_LAST_EXT = CONFIG_SIZE - 8  # pcie_add_capability asserts offset <= 0xFF8


def _rebar_unrepresentable(layout: Layout, c: Capability) -> bool:
    """vfio_setup_rebar_ecap(): a BAR whose current size field (CTRL bits 12:8) is above
    27 cannot be shown in the capability register, and QEMU drops the capability."""
    cs = layout.space
    nbar = (cs.u32(c.offset + 8) >> 5) & 7
    return any(((cs.u32(c.offset + 8 + 8 * i) >> 8) & 0x1F) > 27 for i in range(nbar))


def _drop_reason(layout: Layout, c: Capability, index: int, opts: QemuOptions) -> str:
    if layout.visibility(index) == "placeholder":
        return (f"{layout.cap_views[index].reason.split(';')[0]}; QEMU then drops the "
                "kernel's ID-0 placeholder at the head of the chain")
    if c.id == 0:
        return "QEMU drops an ID-0 capability at the head of the chain"
    if c.id == ID_SRIOV:
        return "QEMU drops SR-IOV (read-only VF BARs confuse OVMF)"
    if c.id == ID_ARI:
        return "QEMU drops ARI (it needs next-function virtualization)"
    if c.id == ID_ATS and not opts.ats:
        return "QEMU drops ATS (ats=off)"
    if c.id == ID_REBAR and _rebar_unrepresentable(layout, c):
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
    express = any(caps[i].id == CAP_ID_EXP for i in std)

    chain = [i for i, c in enumerate(caps) if c.space is E
             and views[i].visibility in ("visible", "placeholder")]
    if not chain:
        pass
    elif not express or not cs.u32(STD_SIZE):
        for i in chain:
            views[i] = CapView("dropped", "QEMU adds no extended capabilities: the device is "
                               "not PCI Express or the kernel shows 0 at 0x100")
    else:
        offsets = [caps[i].offset for i in chain]
        kept: list[int] = []
        for i in chain:
            c = caps[i]
            reason = _drop_reason(kernel, c, i, opts)
            if reason:
                views[i] = CapView("dropped", reason)
                continue
            size = _distance(c.offset, offsets, CONFIG_SIZE)
            views[i] = CapView("visible", "", size)
            kept.append(i)
            if size < 8 or c.offset > QEMU_LAST_EXT:
                problems.append(Problem("qemu_abort", c.offset, f"QEMU would abort: {c.name} at "
                                        f"{c.offset:#05x} gets {size} bytes (pcie_add_capability "
                                        "asserts size >= 8 and offset <= 0xff8)", E))
        _relink_extended(data, caps, kept)

    _relink_standard(data, cs, [caps[i] for i in std])
    cap_views = tuple(views)
    return Layout(with_bytes(cs, data), caps, kernel.orphans,
                  recolour(kernel.regions, cap_views, [c.offset for c in caps]),
                  tuple(problems), kernel.pcie, view="guest", cap_views=cap_views,
                  access=kernel.access, profile=f"{kernel.profile}, {opts.text}")


def _relink_standard(data: bytearray, cs, visible: list[Capability]) -> None:
    pointer = cap_pointer_register(cs)
    for c in visible:
        data[pointer] = c.offset
        pointer = c.offset + 1
    data[pointer] = 0


def _relink_extended(data: bytearray, caps: tuple[Capability, ...], kept: list[int]) -> None:
    """QEMU re-adds each kept capability at the tail; the head at 0x100 holds the first
    kept one, or ID 0 / version 0 pointing at it, or 0 when nothing is kept."""
    offsets = [caps[i].offset for i in kept]
    for n, i in enumerate(kept):
        nxt = offsets[n + 1] if n + 1 < len(offsets) else 0
        hdr = struct.unpack_from("<I", data, caps[i].offset)[0]
        struct.pack_into("<I", data, caps[i].offset, (hdr & 0xFFFFF) | nxt << 20)
    if not offsets or offsets[0] != STD_SIZE:
        head = offsets[0] << 20 if offsets else 0
        struct.pack_into("<I", data, STD_SIZE, head)
