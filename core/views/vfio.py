"""The vfio view: what Linux vfio-pci (drivers/vfio/pci/vfio_pci_config.c) shows user space.

Kernel facts modelled here, each from ../shared/reference/vfio-qemu.md:
- `pci_cap_length[]` / `pci_ext_cap_length[]`: a capability with length 0 is hidden,
  i.e. unlinked by rewriting the previous next pointer; its bytes are not mapped and
  stay raw (reads and writes reach the device). 0xFF lengths are computed from the
  capability's bytes (`vfio_cap_len()` / `vfio_ext_cap_len()`), and a computed 0 hides it
  too (a vendor capability with length 0).
- A hidden first extended capability (at 0x100) becomes a 4-byte placeholder: ID and
  version read as zero, next kept. If no extended capability is left, 0x100 reads 0.
  ID 0 at 0x100 is the quirk: the placeholder's map byte is 0 (PCI_CAP_ID_BASIC), so
  the header is read raw from the device.
- The extended chain is walked only when a PCI Express capability (or a PCI-X 2.0 one)
  was sized with a config space above 256 bytes and a non-zero DWORD at 0x100.
- Access per byte: the config header's table, the per-capability permission tables
  (most visible capabilities are read-only, a few registers are writable to hardware,
  vendor capabilities take raw writes), and raw for every byte outside a mapped extent.

Like the kernel, this follows the chain the hardware walker found; the kernel's own walk
differs only on broken chains (it does not mask pointers), which the problems list names.
"""

from __future__ import annotations

import struct
from typing import Callable

from ..layout import CapView, Layout
from ..registry import Space
from ..space import CONFIG_SIZE, STD_SIZE, ConfigSpace
from ..walk import Capability, cap_pointer_register
from . import Access, KernelProfile, recolour, with_bytes

S, E = Space.STANDARD, Space.EXTENDED
V, RO, W, RAW = Access.VIRTUALIZED, Access.READ_ONLY, Access.WRITABLE, Access.RAW
PCI_CAP_ID_MAX = 0x14
CAP_ID_PCIX, CAP_ID_EXP = 0x07, 0x10

LengthRule = Callable[[ConfigSpace, Capability], int]


# ---------------------------------------------------------------- lengths (the kernel's tables)

def _msi_len(cs: ConfigSpace, c: Capability) -> int:
    flags = cs.u16(c.offset + 2)
    return 10 + (4 if flags & 0x80 else 0) + (10 if flags & 0x100 else 0)


def _pcix_len(cs: ConfigSpace, c: Capability) -> int:
    return 24 if cs.u16(c.offset + 2) & 0x3000 else 8


def _ht_len(cs: ConfigSpace, c: Capability) -> int:
    return 24 if cs.u8(c.offset + 3) & 0xE0 else 28


def _exp_len(cs: ConfigSpace, c: Capability) -> int:
    flags = cs.u16(c.offset + 2)
    rc_end = (flags >> 4) & 0xF == 0x9
    if flags & 0xF == 1:
        return 0x0C if rc_end else 0x14
    return 0x2C if rc_end else 0x34


def _sata_len(cs: ConfigSpace, c: Capability) -> int:
    return 16 if cs.u8(c.offset + 4) & 0xF == 0xF else 8


def _vc_len(cs: ConfigSpace, c: Capability) -> int:
    length = 0x10 + (1 + (cs.u32(c.offset + 4) & 7)) * 0x0C
    cap2 = cs.u32(c.offset + 8)
    phases = 128 if cap2 & 0x8 else 64 if cap2 & 0x4 else 32 if cap2 & 0x2 else 0
    if phases:
        length = ((length + 15) & ~15) + phases * 4 // 8
    return length


def _acs_len(cs: ConfigSpace, c: Capability) -> int:
    if not cs.u8(c.offset + 4) & 0x20:
        return 8
    egress = cs.u8(c.offset + 5)
    bits = ((egress + 31) & ~31) if egress else 256
    return 8 + bits // 8


def _rebar_len(cs: ConfigSpace, c: Capability) -> int:
    return 4 + ((cs.u32(c.offset + 8) >> 5) & 7) * 8


def _dpa_len(cs: ConfigSpace, c: Capability) -> int:
    return 16 + (cs.u32(c.offset + 4) & 0x1F) + 1


def _tph_len(cs: ConfigSpace, c: Capability) -> int:
    cap = cs.u32(c.offset + 4)
    if cap & 0x600 == 0x200:  # ST table in the capability
        return 0x0C + ((cap >> 16) & 0x7FF) * 2 + 2
    return 0x0C


def _header_len(cs: ConfigSpace, c: Capability) -> int:  # VSEC, DVSEC: Header 1 bits 31:20
    return cs.u32(c.offset + 4) >> 20


def _std_vndr_len(cs: ConfigSpace, c: Capability) -> int:
    return cs.u8(c.offset + 2)


# pci_cap_length[]: a number, a computed rule, or the kernel's reason for 0.
STD_LENGTHS: dict[int, int | LengthRule | str] = {
    0x01: 8, 0x02: 12, 0x03: 8, 0x04: "bridge - don't care", 0x05: _msi_len,
    0x06: "cpci - not yet", 0x07: _pcix_len, 0x08: _ht_len, 0x09: _std_vndr_len,
    0x0A: "debug - don't care", 0x0B: "cpci - not yet", 0x0C: "hotswap - not yet",
    0x0D: "bridge - don't care", 0x0E: "AGP8x - not yet", 0x0F: "secure device not yet",
    0x10: _exp_len, 0x11: 12, 0x12: _sata_len, 0x13: 6, 0x14: "no entry in pci_cap_length[]",
}
# pci_ext_cap_length[] (IDs without an entry are 0).
EXT_LENGTHS: dict[int, int | LengthRule | str] = {
    0x01: 0x2C, 0x02: _vc_len, 0x03: 12, 0x04: 0x10, 0x05: "root only - don't care",
    0x06: "root only - don't care", 0x07: "root only - don't care", 0x08: _vc_len,
    0x09: _vc_len, 0x0A: "root only - don't care", 0x0B: _header_len, 0x0C: "obsolete",
    0x0D: _acs_len, 0x0E: 8, 0x0F: 8, 0x10: 0x40, 0x11: "not yet", 0x12: 40, 0x13: 16,
    0x14: "not yet", 0x15: _rebar_len, 0x16: _dpa_len, 0x17: _tph_len, 0x18: 8,
    0x19: "not yet", 0x1A: "not yet", 0x1B: "not yet", 0x23: _header_len,
}


def std_length(cs: ConfigSpace, c: Capability) -> tuple[int, str]:
    """vfio's length for a standard capability, and the reason when it is 0."""
    if c.id == 0:
        return 0, "vfio-pci hides ID 0 (a NULL capability, conflicting with its PCI_CAP_ID_BASIC)"
    if c.id > PCI_CAP_ID_MAX:
        return 0, f"ID {c.id:#04x} is above PCI_CAP_ID_MAX (0x14): vfio-pci has no length for it"
    return _length(STD_LENGTHS.get(c.id, "no entry"), cs, c, f"{c.spec.short} ({c.id:#04x})")


def ext_length(cs: ConfigSpace, c: Capability, profile: KernelProfile) -> tuple[int, str]:
    """vfio's length for an extended capability under a kernel flavour."""
    label = f"{c.spec.short} ({c.id:#06x})"
    if c.id > profile.ext_cap_id_max:
        return 0, (f"ID {c.id:#06x} is above PCI_EXT_CAP_ID_MAX ({profile.ext_cap_id_max:#x}): "
                   "vfio-pci has no length for it")
    if c.id == 0x1B and profile.exposes_pasid:
        return 8, ""
    if c.id == 0x23 and not profile.exposes_dvsec:
        return 0, "this kernel has no pci_ext_cap_length[] entry for DVSEC"
    return _length(EXT_LENGTHS.get(c.id, "no entry in pci_ext_cap_length[]"), cs, c, label)


def _length(rule: int | LengthRule | str, cs: ConfigSpace, c: Capability, label: str) -> tuple[int, str]:
    if isinstance(rule, str):
        return 0, f"vfio-pci has no length for {label} (its table says: {rule})"
    n = rule if isinstance(rule, int) else rule(cs, c)
    if n == 0:
        return 0, f"vfio-pci hides {label}: its length field is 0"
    return n, ""


# ---------------------------------------------------------------- access per byte

HEADER_ACCESS: tuple[tuple[int, int, Access], ...] = (
    (0x00, 0x04, V),   # vendor and device ID: virtualized, read-only
    (0x04, 0x06, W),   # command: writable (INTx disable virtualized)
    (0x06, 0x08, RO),  # status: Capabilities List virtualized, no writable bits
    (0x08, 0x0C, RO),  # revision, class
    (0x0C, 0x0E, W),   # cache line size, latency timer
    (0x0E, 0x0F, RO),  # header type
    (0x0F, 0x10, W),   # BIST
    (0x10, 0x28, V),   # BAR0-5: fully virtual, sizing emulated
    (0x28, 0x30, RO),  # CardBus CIS, subsystem IDs
    (0x30, 0x35, V),   # expansion ROM BAR, capabilities pointer
    (0x35, 0x3C, RO),  # reserved
    (0x3C, 0x3E, V),   # interrupt line and pin
    (0x3E, 0x40, RO),  # min grant, max latency
)

PermRule = Callable[[ConfigSpace, Capability, int], list[tuple[int, int, Access]]]


def _msi_perms(cs: ConfigSpace, c: Capability, length: int) -> list[tuple[int, int, Access]]:
    wide = cs.u16(c.offset + 2) & 0x80
    data_end = 0x0E if wide else 0x0A
    return [(2, 3, V), (4, data_end, V), (data_end, length, W)]  # mask/pending writable


# Registers that differ from the default (header from vfio's copy, body read-only).
STD_PERMS: dict[int, list[tuple[int, int, Access]] | PermRule] = {
    0x01: [(4, 6, W)],               # PMCSR (power state writes trapped)
    0x03: [(2, 8, V)],               # VPD address/data, emulated through the VPD ops
    0x05: _msi_perms,
    0x07: [(2, 4, W), (8, 12, W)],   # PCI-X command, ECC control/status
    0x09: [(0, 0x100, W)],           # vendor specific: raw writes, header included
    0x10: [(8, 10, W), (0x28, 0x2A, W)],  # Device Control, Device Control 2
    0x13: [(4, 5, V)],               # AF control (FLR)
}
EXT_PERMS: dict[int, list[tuple[int, int, Access]] | PermRule] = {
    0x01: [(4, 0x1C, W)],            # AER status, mask, severity, capabilities/control
    0x04: [(8, 9, W)],               # power budgeting: the byte at +8
    0x0B: [(0, 0x1000, W)],          # VSEC: raw writes
    0x23: [(0, 0x1000, W)],          # DVSEC: raw writes
}


def _apply_perms(access: bytearray, cs: ConfigSpace, c: Capability, length: int) -> None:
    start, end = c.offset, min(c.offset + length, CONFIG_SIZE)
    access[start:end] = bytes([RO]) * (end - start)
    head = 2 if c.space is S else 4
    access[start:min(start + head, end)] = bytes([V]) * (min(start + head, end) - start)
    table = (STD_PERMS if c.space is S else EXT_PERMS).get(c.id)
    if table is None:
        return
    ranges = table(cs, c, length) if callable(table) else table
    for a, b, kind in ranges:
        lo, hi = start + a, min(start + b, end)
        if lo < hi:
            access[lo:hi] = bytes([kind]) * (hi - lo)


# ---------------------------------------------------------------- the view

def _set_next_std(data: bytearray, pointer_pos: int, value: int) -> None:
    data[pointer_pos] = value


def _set_next_ext(data: bytearray, header_pos: int, value: int) -> None:
    hdr = struct.unpack_from("<I", data, header_pos)[0]
    struct.pack_into("<I", data, header_pos, (hdr & 0x000FFFFF) | (value & 0xFFC) << 20)


def vfio_view(hw: Layout, profile: KernelProfile, with_access: bool = True) -> Layout:
    cs = hw.space
    data = bytearray(cs.data)
    access = bytearray([RAW]) * CONFIG_SIZE if with_access else None
    if access is not None:
        for a, b, kind in HEADER_ACCESS:
            access[a:b] = bytes([kind]) * (b - a)
    caps = hw.capabilities
    views: list[CapView | None] = [None] * len(caps)
    cfg_size = CONFIG_SIZE if cs.has(STD_SIZE, 4) else STD_SIZE
    extended_caps = False

    prev_ptr = cap_pointer_register(cs)
    visible_std = 0
    for i, c in enumerate(caps):
        if c.space is not S:
            continue
        length, reason = std_length(cs, c)
        if not length:
            views[i] = CapView("hidden", reason)
            _set_next_std(data, prev_ptr, c.next)
            continue
        if cfg_size > STD_SIZE and cs.u32(STD_SIZE) and (
                c.id == CAP_ID_EXP or (c.id == CAP_ID_PCIX and length == 24)):
            extended_caps = True
        views[i] = CapView("visible", "", length)
        if access is not None:
            _apply_perms(access, cs, c, length)
        prev_ptr, visible_std = c.offset + 1, visible_std + 1
    if not visible_std:
        data[0x06] &= ~0x10  # no capability left: Status.CapList reads 0

    prev_hdr: int | None = None
    ecaps = 0
    id0_quirk = False
    for i, c in enumerate(caps):
        if c.space is not E:
            continue
        if not extended_caps:
            views[i] = CapView("visible", "vfio-pci did not walk the extended space (no PCI "
                               "Express capability was sized): these bytes are raw, not "
                               "virtualized", 0)
            continue
        length, reason = ext_length(cs, c, profile)
        if not length and prev_hdr is not None:
            views[i] = CapView("hidden", reason)
            if not (id0_quirk and prev_hdr == STD_SIZE):  # that header is read raw
                _set_next_ext(data, prev_hdr, c.next)
            continue
        if not length:  # first in the chain: a 4-byte placeholder anchors the list
            views[i] = CapView("placeholder", reason + "; it is first in the chain, so vfio "
                               "keeps a 4-byte placeholder (ID and version read as 0)", 4)
            if c.id == 0:
                id0_quirk = True  # map byte 0 = PCI_CAP_ID_BASIC: the header reads raw
            else:
                hdr = struct.unpack_from("<I", data, c.offset)[0]
                struct.pack_into("<I", data, c.offset, hdr & 0xFFC00000)
            if access is not None:
                access[c.offset:c.offset + 4] = bytes([RO if c.id == 0 else V]) * 4
            prev_hdr = c.offset
            continue
        views[i] = CapView("visible", "", length)
        if access is not None:
            _apply_perms(access, cs, c, length)
        prev_hdr, ecaps = c.offset, ecaps + 1
    if extended_caps and not ecaps and not id0_quirk and cs.has(STD_SIZE, 4):
        struct.pack_into("<I", data, STD_SIZE, 0)  # no extended capability left

    cap_views = tuple(v or CapView("visible") for v in views)
    return Layout(with_bytes(cs, data), caps, hw.orphans,
                  recolour(hw.regions, cap_views, [c.offset for c in caps]),
                  hw.problems, hw.pcie, view="vfio", cap_views=cap_views,
                  access=bytes(access) if access is not None else b"", profile=f"kernel {profile.name}")
