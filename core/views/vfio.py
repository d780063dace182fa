"""The vfio view: what Linux vfio-pci (drivers/vfio/pci/vfio_pci_config.c) shows user space.

Kernel facts modelled here, each from docs/reference/vfio-qemu.md:
- `pci_cap_length[]` / `pci_ext_cap_length[]`: a capability with length 0 is hidden,
  i.e. unlinked by rewriting the previous next pointer; its bytes are not mapped and
  stay raw (reads and writes reach the device). 0xFF lengths are computed from the
  capability's bytes (`vfio_cap_len()` / `vfio_ext_cap_len()`), and a computed 0 hides it
  too (a vendor capability with length 0).
- A hidden first extended capability (at 0x100) becomes a 4-byte placeholder: ID and
  version read as zero, next kept. If no extended capability is left, 0x100 reads 0.
  The kernel's map holds one byte per config byte, the low byte of the ID, and that byte
  picks the placeholder's permissions: 0x00 is PCI_CAP_ID_BASIC (the header is read raw,
  writes dropped), 0xFF is PCI_CAP_ID_INVALID (raw reads and writes), 0xFE is
  PCI_CAP_ID_INVALID_VIRT (vfio's copy, writable), a low byte up to PCI_EXT_CAP_ID_MAX
  takes that ID's permission table (raw writes for VSEC and DVSEC), and above it the
  read-only direct permissions. Where the header reads raw, vfio's rewrites of it (unlinks,
  the zeroing) are not seen.
- The extended chain is walked only when a PCI Express capability (or a PCI-X 2.0 one)
  was sized with a config space above 256 bytes and a non-zero DWORD at 0x100.
- Access per byte: the kernel's permission tables, byte by byte from their virtualized and
  writable bit masks (`Perm`, `byte_access`): the config header's, the per-capability
  ones (most visible capabilities are read-only, a few registers are writable to
  hardware, vendor capabilities take raw writes), and raw for every byte outside a mapped
  extent.

Like the kernel, this follows the chain the hardware walker found; the kernel's own walk
differs only on broken chains (it does not mask pointers), which the problems list names.
"""

from __future__ import annotations

import re
import struct
from functools import lru_cache
from collections.abc import Callable

from ..ids import CAP_ID_EXP, CAP_ID_MSI, CAP_ID_PCIX, EXT_NEXT_MASK, ext_next, set_ext_next
from ..capview import CapView
from ..layout import Layout
from ..record import NamedTuple
from ..registry import Space, lookup
from ..space import CONFIG_SIZE, STD_HEADER_SIZE, STD_SIZE, ConfigSpace
from ..walk import Capability, cap_pointer_register, follow
from .model import Access, recolour, with_bytes
from .walks import RAW_EXT, RAW_STD

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:  # annotations only
    from .kernels import KernelProfile

S, E = Space.STANDARD, Space.EXTENDED
V, RO, W, RAW = Access.VIRTUALIZED, Access.READ_ONLY, Access.WRITABLE, Access.RAW
PCI_CAP_ID_MAX = 0x14

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


def no_length(cap_id: int, profile: KernelProfile) -> str:
    """Why vfio-pci under a kernel flavour has no length for an extended ID whatever the
    capability's bytes say (so hides it), or "" when it has one (a number or a rule)."""
    if cap_id > profile.ext_cap_id_max:
        return (f"ID {cap_id:#06x} is above PCI_EXT_CAP_ID_MAX ({profile.ext_cap_id_max:#x}): "
                "vfio-pci has no length for it")
    if cap_id == 0x1B and profile.exposes_pasid:
        return ""
    if cap_id == 0x23 and not profile.exposes_dvsec:
        return "this kernel has no pci_ext_cap_length[] entry for DVSEC"
    rule = EXT_LENGTHS.get(cap_id, "no entry in pci_ext_cap_length[]")
    if isinstance(rule, str):
        return f"vfio-pci has no length for {lookup(E, cap_id).short} ({cap_id:#06x}) (its table says: {rule})"
    return ""


def ext_length(cs: ConfigSpace, c: Capability, profile: KernelProfile) -> tuple[int, str]:
    """vfio's length for an extended capability under a kernel flavour."""
    why = no_length(c.id, profile)
    if why:
        return 0, why
    if c.id == 0x1B and profile.exposes_pasid:
        return 8, ""
    return _length(EXT_LENGTHS[c.id], cs, c, f"{c.spec.short} ({c.id:#06x})")


def _length(rule: int | LengthRule | str, cs: ConfigSpace, c: Capability, label: str) -> tuple[int, str]:
    if isinstance(rule, str):
        return 0, f"vfio-pci has no length for {label} (its table says: {rule})"
    n = rule if isinstance(rule, int) else rule(cs, c)
    if n == 0:
        return 0, f"vfio-pci hides {label}: its length field is 0"
    return n, ""


# ---------------------------------------------------------------- access per byte
#
# The kernel's permission tables (vfio_pci_init_perm_bits() and init_pci_cap_*_perm()):
# each p_setb/p_setw/p_setd call sets, for the bits of one register, which are virtualized
# (read from and written to vfio's copy) and which are writable (a write reaches the
# device unless the bit is also virtualized). One `Perm` is one such call.


class Perm(NamedTuple):
    offset: int  # from the capability start
    width: int  # 1, 2 or 4 bytes (p_setb, p_setw, p_setd)
    virt: int
    write: int


ALL = 0xFFFFFFFF
# pci_regs.h bits the tables name.
COMMAND_INTX_DISABLE, STATUS_CAP_LIST = 0x0400, 0x0010
PM_CAP_PME_MASK = 0xF800
PM_CTRL_PME_ENABLE, PM_CTRL_PME_STATUS, PM_CTRL_STATE_MASK = 0x0100, 0x8000, 0x0003
EXP_DEVCTL_BCR_FLR, EXP_DEVCTL_PAYLOAD, EXP_DEVCTL_READRQ = 0x8000, 0x00E0, 0x7000
EXP_DEVCTL_PHANTOM, EXP_DEVCTL2_ARI = 0x0200, 0x0020
AF_CTRL_FLR = 0x01
MSI_FLAGS_64BIT, MSI_FLAGS_MASKBIT = 0x0080, 0x0100
# Error bits a user may clear or mask (init_pci_ext_cap_err_perm): UND, DLP, SURPDN,
# POISON_TLP, FCP, COMP_TIME, COMP_ABORT, UNX_COMP, RX_OVER, MALF_TLP, ECRC, UNSUP, ACSV,
# INTN, MCBTLP, ATOMEG, TLPPRE; and RCVR, BAD_TLP, BAD_DLLP, REP_ROLL, REP_TIMER, ADV_NFAT,
# INTERNAL, LOG_OVER; and ECRC generation/check enable.
ERR_UNC_WRITABLE = 0x00000001 | 0x00000010 | 0x00000020 | 0x03FFF000
ERR_COR_WRITABLE = 0x00000001 | 0x00000040 | 0x00000080 | 0x00000100 | 0x0000F000
ERR_CAP_WRITABLE = 0x00000040 | 0x00000100
PCI_CAP_LIST_NEXT = 1

BASIC_PERMS: tuple[Perm, ...] = (
    Perm(0x00, 2, ALL, 0), Perm(0x02, 2, ALL, 0),   # vendor/device ID (virtualized for VFs)
    Perm(0x04, 2, COMMAND_INTX_DISABLE, ALL),       # command: INTx disable virtualized
    Perm(0x06, 2, STATUS_CAP_LIST, 0),              # status: Capabilities List virtualized
    Perm(0x0C, 1, 0, ALL), Perm(0x0D, 1, 0, ALL),   # cache line size, latency timer
    Perm(0x0F, 1, 0, ALL),                          # BIST
    *(Perm(bar, 4, ALL, ALL) for bar in range(0x10, 0x28, 4)),  # BARs: fully virtual
    Perm(0x30, 4, ALL, ALL),                        # expansion ROM BAR
    Perm(0x34, 1, ALL, 0),                          # capabilities pointer
    Perm(0x3C, 1, ALL, ALL), Perm(0x3D, 1, ALL, 0),  # interrupt line, pin
)
NEXT_VIRT = Perm(PCI_CAP_LIST_NEXT, 1, ALL, 0)  # "we always virtualize the next field"

PermRule = Callable[[ConfigSpace, Capability], tuple[Perm, ...]]


def _msi_perms(cs: ConfigSpace, c: Capability) -> tuple[Perm, ...]:
    """init_pci_cap_msi_perm(): flags low byte, address and data virtualized; mask and
    pending bits written to the device."""
    flags = cs.u16(c.offset + 2)
    data, mask, pending = (0x0C, 0x10, 0x14) if flags & MSI_FLAGS_64BIT else (0x08, 0x0C, 0x10)
    perms = [NEXT_VIRT, Perm(0x02, 1, ALL, ALL), Perm(0x04, 4, ALL, ALL)]
    if flags & MSI_FLAGS_64BIT:
        perms.append(Perm(0x08, 4, ALL, ALL))
    perms.append(Perm(data, 2, ALL, ALL))
    if flags & MSI_FLAGS_MASKBIT:
        perms += [Perm(mask, 4, 0, ALL), Perm(pending, 4, 0, ALL)]
    return tuple(perms)


# How the kernel serves a mapped capability's bytes, by ID: a permission table (reads mix
# vfio's copy and the device per bit, writes reach the device for writable bits), "raw
# write" (read direct, header from vfio's copy; every write goes to the device), or, with
# no entry, read-only direct reads (header from vfio's copy).
RAW_WRITE = "raw write"
STD_PERMS: dict[int, tuple[Perm, ...] | PermRule | str] = {
    0x01: (NEXT_VIRT, Perm(0x02, 2, PM_CAP_PME_MASK, 0),
           Perm(0x04, 4, PM_CTRL_PME_ENABLE | PM_CTRL_PME_STATUS,
                ALL & ~(PM_CTRL_PME_ENABLE | PM_CTRL_PME_STATUS | PM_CTRL_STATE_MASK))),
    0x03: (NEXT_VIRT, Perm(0x02, 2, ALL, ALL), Perm(0x04, 4, ALL, ALL)),  # VPD address, data
    0x05: _msi_perms,
    0x07: (NEXT_VIRT, Perm(0x02, 2, 0, ALL), Perm(0x08, 4, 0, ALL)),  # PCI-X command, ECC
    0x09: RAW_WRITE,                                 # vendor specific
    0x10: (NEXT_VIRT,
           Perm(0x08, 2, EXP_DEVCTL_BCR_FLR | EXP_DEVCTL_PAYLOAD | EXP_DEVCTL_READRQ,
                ALL & ~EXP_DEVCTL_PHANTOM),         # Device Control
           Perm(0x28, 2, 0, ALL & ~EXP_DEVCTL2_ARI)),  # Device Control 2
    0x13: (NEXT_VIRT, Perm(0x04, 1, AF_CTRL_FLR, AF_CTRL_FLR)),  # AF control (FLR)
}
EXT_PERMS: dict[int, tuple[Perm, ...] | PermRule | str] = {
    0x01: (Perm(0x00, 4, ALL, 0),                    # AER
           Perm(0x04, 4, 0, ERR_UNC_WRITABLE), Perm(0x08, 4, 0, ERR_UNC_WRITABLE),
           Perm(0x0C, 4, 0, ERR_UNC_WRITABLE),
           Perm(0x10, 4, 0, ERR_COR_WRITABLE), Perm(0x14, 4, 0, ERR_COR_WRITABLE),
           Perm(0x18, 4, 0, ERR_CAP_WRITABLE)),
    0x04: (Perm(0x00, 4, ALL, 0), Perm(0x08, 1, 0, ALL)),  # power budgeting: the byte at +8
    0x0B: RAW_WRITE,                                 # VSEC
    0x23: RAW_WRITE,                                 # DVSEC
}


def byte_access(virt: int, write: int) -> Access:
    """One byte of a permission table: writable bits that are not virtualized reach the
    device; a byte read wholly from vfio's copy, or whose writes are kept there, is
    virtualized; anything else reads the device and drops writes."""
    if write & ~virt & 0xFF:
        return W
    if virt & 0xFF == 0xFF or write & virt & 0xFF:
        return V
    return RO


@lru_cache(maxsize=256)
def _table_access(perms: tuple[Perm, ...], length: int) -> bytes:
    virt, write = bytearray(length), bytearray(length)
    for p in perms:
        for k in range(p.width):
            if p.offset + k < length:
                virt[p.offset + k] = (p.virt >> 8 * k) & 0xFF
                write[p.offset + k] = (p.write >> 8 * k) & 0xFF
    return bytes(byte_access(v, w) for v, w in zip(virt, write, strict=False))


_HEADER_ACCESS = _table_access(BASIC_PERMS, STD_HEADER_SIZE)


@lru_cache(maxsize=256)
def _direct_access(space: Space, length: int) -> bytes:
    """vfio_direct_config_read() with no write function: an extended header DWORD comes
    from vfio's copy; a standard capability's next byte does, its ID byte is the device's
    (a word read at +0 takes both from the copy, which holds the device's ID); writes are
    dropped."""
    out = bytearray([RO]) * length
    head = range(0, 4) if space is E else range(PCI_CAP_LIST_NEXT, PCI_CAP_LIST_NEXT + 1)
    for k in head:
        if k < length:
            out[k] = V
    return bytes(out)


def served_access(cs: ConfigSpace, space: Space, perm_id: int, length: int,
                  msi: Capability | None, profile: KernelProfile) -> bytes:
    """The access class of `length` bytes from the start of a run the kernel's map gives
    ID `perm_id`, served by that ID's permissions (`msi`: the capability whose flags set
    up the per-device MSI table, the first MSI one)."""
    table = (STD_PERMS if space is S else EXT_PERMS).get(perm_id)
    if space is E and perm_id > profile.ext_cap_id_max:
        table = None  # direct_ro_perms
    if table == RAW_WRITE:
        return bytes([W]) * length
    if table is None or isinstance(table, str):
        return _direct_access(space, length)
    if callable(table):
        if msi is None:
            return _direct_access(space, length)
        table = table(cs, msi)
    return _table_access(table, length)


# The kernel's map (pci_config_map) holds one byte per config byte: the ID of the
# capability mapped there (the low byte of an extended ID), or one of these.
MAP_BASIC, MAP_INVALID_VIRT, MAP_INVALID = 0x00, 0xFE, 0xFF


def map_access(kmap: bytes, cs: ConfigSpace, msi: Capability | None,
               profile: KernelProfile) -> bytes:
    """Per byte, how vfio_config_do_rw() serves it: the permissions its map byte selects,
    at the offset from where vfio_find_cap_start() puts the start (the first of a run of
    equal map bytes, within the standard or the extended space). So two capabilities with
    the same ID that abut or overlap are served as one, as the kernel does."""
    out = bytearray(CONFIG_SIZE)
    out[:STD_HEADER_SIZE] = _HEADER_ACCESS
    for lo, hi in ((STD_HEADER_SIZE, STD_SIZE), (STD_SIZE, CONFIG_SIZE)):
        for run in _RUN.finditer(kmap, lo, hi):
            pos, end, m = run.start(), run.end(), kmap[run.start()]
            if m == MAP_INVALID:
                out[pos:end] = bytes([RAW]) * (end - pos)  # unassigned_perms
            elif m == MAP_INVALID_VIRT:
                out[pos:end] = bytes([V]) * (end - pos)  # virt_perms
            elif m == MAP_BASIC:
                # only a placeholder at 0x100 can hold it: vfio_find_cap_start() returns 0
                # for PCI_CAP_ID_BASIC, so the offset is never < 4 and the direct read is raw
                out[pos:end] = bytes([RO]) * (end - pos)
            else:
                space = S if pos < STD_SIZE else E
                out[pos:end] = served_access(cs, space, m, end - pos, msi, profile)
    return bytes(out)


_RUN = re.compile(rb"(.)\1*", re.S)  # a run of one map byte


def _placeholder(c: Capability, profile: KernelProfile) -> tuple[bool, str]:
    """A hidden first extended capability: vfio maps 4 bytes with the low byte of its ID,
    and that byte picks how the header is served: (whether it reads raw, why)."""
    low = c.id & 0xFF
    if low == MAP_BASIC:
        return True, ("its map byte is the ID's low byte 0x00, vfio's PCI_CAP_ID_BASIC, so "
                      "the header reads raw from the device (writes dropped)")
    if low == MAP_INVALID:
        return True, ("its map byte is the ID's low byte 0xff, PCI_CAP_ID_INVALID, so the "
                      "header is raw: reads and writes reach the device")
    if low == MAP_INVALID_VIRT:
        return False, ("ID and version read as 0; its map byte is the ID's low byte 0xfe, "
                       "PCI_CAP_ID_INVALID_VIRT: the header is vfio's copy, and writes change it")
    why = "ID and version read as 0"
    if low != c.id and low <= profile.ext_cap_id_max:
        why += (f"; its map byte {low:#04x} (the ID's low byte) gives it the permissions of "
                f"{lookup(E, low).short}")
    return False, why


# ---------------------------------------------------------------- the view

# Standard IDs whose permissions are a table (alloc_perm_bits(): vfio_default_config_read(),
# virtualized bits at the offset from the start): BASIC, PM, VPD, MSI, PCI-X, PCIe, AF. Every
# other standard ID is read by vfio_direct_config_read() (cap_perms[0 ... PCI_CAP_ID_MAX]).
STD_TABLE_IDS = frozenset(i for i, t in STD_PERMS.items() if t != RAW_WRITE)


# Per space, how vfio_find_cap_start() and vfio_direct_config_read() treat a header: how far
# back the start can be found (PCI_STD_HEADER_SIZEOF, or 0x100), how many header bytes are
# served from vconfig at the start (ID and next; the extended header DWORD), the raw chain a
# header read from the device leads along, and how offsets are written.
_ABUT = {S: (STD_HEADER_SIZE, 2, RAW_STD, "#04x"), E: (STD_SIZE, 4, RAW_EXT, "#05x")}


def _abutting(cs: ConfigSpace, data: bytearray, kmap: bytearray, caps: tuple[Capability, ...],
              views: list[CapView | None], space: Space) -> None:
    """Two mapped capabilities with the same map byte that abut (or overlap), in one space.

    drivers/vfio/pci/vfio_pci_config.c (torvalds/linux cc10385b6fde): vfio_config_do_rw()
    takes cap_start = vfio_find_cap_start(), which walks back while map[pos - 1] equals
    map[pos] ("XXX Can we have to abutting capabilities of the same type?"), so the second
    header is not at offset 0 from its start; vfio_direct_config_read() serves the header from
    vconfig only at offsets below 4 (extended) or at 0 and 1 (standard, ID and next): the
    second header reads raw from the device, with its own next pointer, and vfio's rewrite of
    it (unlinking what follows) is not seen. The capabilities that raw pointer leads to, which
    vfio hid (no length, none of their bytes mapped: raw too), are reachable from user space
    and QEMU adds them. In the standard space only IDs with direct permissions (e.g. two
    Vendor Specific ones) are served this way; in the extended one every mapped ID is (for the
    AER and Power Budgeting tables, vfio_default_config_read() would apply their virtualized
    bits at the shifted offset: not modelled; their headers are taken raw)."""
    floor, width, raw_chain, fmt = _ABUT[space]
    by_offset = {c.offset: i for i, c in enumerate(caps) if c.space is space}
    for c in caps:
        if c.space is not space or c.offset <= floor or c.offset + width > CONFIG_SIZE:
            continue
        if space is S and (not c.id or c.id in STD_TABLE_IDS):
            continue
        i = by_offset[c.offset]
        view = views[i]
        if view is None or view.visibility != "visible" or not view.exposed:
            continue
        m = kmap[c.offset]
        if kmap[c.offset - 1] != m or (space is E and m in (MAP_INVALID, MAP_INVALID_VIRT, MAP_BASIC)):
            continue
        if data[c.offset:c.offset + width] == cs.data[c.offset:c.offset + width]:
            continue  # vfio rewrote nothing there: raw or not, user space reads the same
        start = c.offset
        while start - 1 >= floor and kmap[start - 1] == m:
            start -= 1
        data[c.offset:c.offset + width] = cs.data[c.offset:c.offset + width]
        views[i] = CapView("visible", f"its header reads raw: vfio_find_cap_start() puts its "
                           f"start at {start:{fmt}}, in the {lookup(space, c.id).short} before it "
                           "with the same ID, so vfio's rewrite of its next pointer is not seen",
                           view.exposed)
        for nxt in follow(cs.data, raw_chain, c.offset).offsets[1:]:
            j = by_offset.get(nxt)
            if j is None or views[j] is None or views[j].visibility != "hidden":
                break
            views[j] = CapView("visible", f"vfio-pci hides it ({views[j].reason}), but the "
                               f"header at {c.offset:{fmt}} reads raw and leads here: user "
                               "space and QEMU reach it; vfio maps none of its bytes", 0)


def _set_next_std(data: bytearray, pointer_pos: int, value: int) -> None:
    data[pointer_pos] = value


_set_next_ext = set_ext_next


PCI_CLASS_BRIDGE_HOST = 0x0600
PCI_X_STATUS_266_533 = 0xC0000000  # PCI_X_STATUS_266MHZ | PCI_X_STATUS_533MHZ


def config_region_size(cs: ConfigSpace, caps: tuple[Capability, ...]) -> int:
    """The size of the config region the kernel gives vfio-pci (drivers/pci/probe.c
    `pci_cfg_space_size()`): 4096 for a host bridge, a PCI Express function, or a PCI-X 2.0
    one (266/533 MHz capable), when 0x100 answers (not all-ones) and does not alias the header
    (`pci_cfg_space_size_ext()`, `pci_ext_cfg_is_aliased()`); 256 otherwise. A dump without
    those bytes cannot show them: 256."""
    if not cs.has(STD_SIZE, 4):
        return STD_SIZE
    std = [c for c in caps if c.space is S]
    pcix = next((c for c in std if c.id == CAP_ID_PCIX), None)
    wide = (cs.u16(0x0A) == PCI_CLASS_BRIDGE_HOST or any(c.id == CAP_ID_EXP for c in std)
            or (pcix is not None and cs.u32(pcix.offset + 4) & PCI_X_STATUS_266_533))
    if not wide or cs.u32(STD_SIZE) == 0xFFFFFFFF:
        return STD_SIZE
    header = cs.u32(0)
    if all(cs.u32(pos) == header for pos in range(STD_SIZE, CONFIG_SIZE, STD_SIZE)):
        return STD_SIZE  # every 256 bytes repeat the header: the device decodes 8 bits
    return CONFIG_SIZE


def vfio_view(hw: Layout, profile: KernelProfile, with_access: bool = True) -> Layout:
    cs = hw.space
    data = bytearray(cs.data)
    # the kernel's map: the header is PCI_CAP_ID_BASIC, everything else unassigned
    kmap = bytearray([MAP_BASIC]) * STD_HEADER_SIZE
    kmap += bytearray([MAP_INVALID]) * (CONFIG_SIZE - STD_HEADER_SIZE)
    caps = hw.capabilities
    views: list[CapView | None] = [None] * len(caps)
    cfg_size = config_region_size(cs, caps)
    extended_caps = False
    msi: Capability | None = None  # vdev->msi_perm is set up by the first MSI capability

    def mapped(c: Capability, length: int, map_id: int) -> None:
        end = min(c.offset + length, CONFIG_SIZE)
        kmap[c.offset:end] = bytes([map_id]) * (end - c.offset)

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
        if c.id == CAP_ID_MSI and msi is None:
            msi = c
        views[i] = CapView("visible", "", length)
        mapped(c, length, c.id)
        prev_ptr, visible_std = c.offset + 1, visible_std + 1
    if not visible_std:
        data[0x06] &= ~0x10  # no capability left: Status.CapList reads 0

    prev_hdr: int | None = None
    ecaps = 0
    raw_head = False  # the placeholder's header reads raw: vfio's rewrites of it are unseen
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
            if not (raw_head and prev_hdr == STD_SIZE):
                _set_next_ext(data, prev_hdr, c.next)
            continue
        if not length:  # first in the chain: a 4-byte placeholder anchors the list
            raw_head, why = _placeholder(c, profile)
            views[i] = CapView("placeholder", f"{reason}; it is first in the chain, so vfio "
                               f"keeps a 4-byte placeholder ({why})", 4)
            if not raw_head:
                hdr = struct.unpack_from("<I", data, c.offset)[0]
                struct.pack_into("<I", data, c.offset, hdr & EXT_NEXT_MASK << 20)  # next kept
            mapped(c, 4, c.id & 0xFF)
            prev_hdr = c.offset
            continue
        views[i] = CapView("visible", "", length)
        mapped(c, length, c.id & 0xFF)
        prev_hdr, ecaps = c.offset, ecaps + 1
    if extended_caps and not ecaps and not raw_head and cs.has(STD_SIZE, 4):
        struct.pack_into("<I", data, STD_SIZE, 0)  # no extended capability left
    ext_chain = [c for c in caps if c.space is E]
    if extended_caps and prev_hdr is not None and ext_chain:
        # vfio_ecap_init(): a next pointer that leads to a header reading 0 meets ID 0, which
        # has no length (pci_ext_cap_length[0] is 0): "hiding ecap 0x0", and the previous
        # header's next becomes PCI_EXT_CAP_NEXT(0) = 0 (torvalds/linux cc10385b6fde)
        nxt = ext_next(cs.u32(ext_chain[-1].offset))
        if (STD_SIZE <= nxt <= cfg_size - 4 and cs.has(nxt, 4) and cs.u32(nxt) == 0
                and not (raw_head and prev_hdr == STD_SIZE)):
            _set_next_ext(data, prev_hdr, 0)
    if extended_caps:
        _abutting(cs, data, kmap, caps, views, E)
    _abutting(cs, data, kmap, caps, views, S)

    cap_views = tuple(v or CapView("visible") for v in views)
    access = map_access(kmap, cs, msi, profile) if with_access else b""
    return Layout(with_bytes(cs, data), caps, hw.orphans,
                  recolour(hw.regions, cap_views, [c.offset for c in caps]),
                  hw.problems, hw.pcie, view="vfio", cap_views=cap_views,
                  access=access, profile=f"kernel {profile.name}", config_size=cfg_size)
