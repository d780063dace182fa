"""The vfio view's per-byte access classes, compared byte by byte with an independent model
of the kernel's config virtualization, written here from Linux
drivers/vfio/pci/vfio_pci_config.c (gregkh/linux 25cdd2a492d8) and
include/uapi/linux/pci_regs.h: vfio_config_init() builds a map with one byte per config
byte (PCI_CAP_ID_BASIC for the header, PCI_CAP_ID_INVALID elsewhere), vfio_cap_init() and
vfio_ecap_init() memset each visible capability's length with its ID, and
vfio_config_do_rw() serves each byte by the permissions its map byte selects.

The model keeps the kernel's own terms: per byte, which bits are virtualized and which
are writable (perm->virt, perm->write), or which read/write functions serve it. The four
classes capslot shows are read off that:
- a write reaches the device: raw (unassigned_perms) or writable (a writable bit that is
  not virtualized, or a raw write function);
- else the byte is served from vfio's copy (all bits virtualized, or writes kept there):
  virtualized;
- else the device's value is read and writes are dropped: read-only.
"""

from __future__ import annotations

import struct

import pytest

from capslot.core.layout import build
from capslot.core.sources import load
from capslot.core.views import Access, view
from tests.conftest import sample_dumps
from tests.helpers import config_space, ext_header, load_bytes, pcie_cap

RAW, WRITABLE, VIRT, RO = Access.RAW, Access.WRITABLE, Access.VIRTUALIZED, Access.READ_ONLY

# ---------------------------------------------------------------- the kernel, modelled

BASIC, INVALID_VIRT, INVALID = 0x00, 0xFE, 0xFF  # map values (vfio_pci_priv.h)
CAP_ID_MAX, EXT_CAP_ID_MAX = 0x14, 0x31  # pci_regs.h: PCI_CAP_ID_EA, PCI_EXT_CAP_ID_PL_64GT
VARIABLE = 0xFF

# pci_cap_length[] and pci_ext_cap_length[] (0 = hidden, 0xFF = computed).
CAP_LENGTH = {0x00: 64, 0x01: 8, 0x02: 12, 0x03: 8, 0x05: VARIABLE, 0x07: VARIABLE,
              0x08: VARIABLE, 0x09: VARIABLE, 0x10: VARIABLE, 0x11: 12, 0x12: VARIABLE, 0x13: 6}
EXT_CAP_LENGTH = {0x01: 0x2C, 0x02: VARIABLE, 0x03: 12, 0x04: 0x10, 0x08: VARIABLE,
                  0x09: VARIABLE, 0x0B: VARIABLE, 0x0D: VARIABLE, 0x0E: 8, 0x0F: 8, 0x10: 0x40,
                  0x12: 40, 0x13: 16, 0x15: VARIABLE, 0x16: VARIABLE, 0x17: VARIABLE,
                  0x18: 8, 0x23: VARIABLE}


class Kernel:
    """vfio_config_init() over one config space, reading 'hardware' from `data`."""

    def __init__(self, data: bytes, cfg_size: int):
        self.hw, self.cfg_size = data, cfg_size
        self.map = bytearray([BASIC]) * 64 + bytearray([INVALID]) * (cfg_size - 64)
        self.extended_caps = False
        self.msi_flags: int | None = None  # vdev->msi_perm is set up by the first MSI cap
        self.exp_flags: int | None = None  # pci_pcie_type() / pcie_caps_reg(): the PCI core's
        self.hidden: list[tuple[str, int, int]] = []  # (space, offset, ID) of each capability
        #   the walk gave no length (unlinked for user space)
        self.placeholders: list[int] = []  # a first extended capability kept as a 4-byte stub
        self.kept: list[tuple[str, int, int]] = []  # the capabilities user space still sees
        self.cap_init()
        self.ecap_init()

    def b(self, pos):
        return self.hw[pos]

    def w(self, pos):
        return struct.unpack_from("<H", self.hw, pos)[0]

    def d(self, pos):
        return struct.unpack_from("<I", self.hw, pos)[0]

    def cap_len(self, cap, pos):  # vfio_cap_len()
        if cap == 0x05:
            flags = self.w(pos + 2)
            if self.msi_flags is None:
                self.msi_flags = flags
            return 10 + (4 if flags & 0x0080 else 0) + (10 if flags & 0x0100 else 0)
        if cap == 0x07:
            if (self.w(pos + 2) >> 12) & 3:
                if self.cfg_size > 256:
                    self.extended_caps = self.d(256) != 0
                return 24
            return 8
        if cap == 0x09:
            return self.b(pos + 2)
        if cap == 0x10:
            if self.cfg_size > 256:
                self.extended_caps = self.d(256) != 0
            flags = self.exp_flags if self.exp_flags is not None else self.w(pos + 2)
            rc_end = (flags >> 4) & 0xF == 0x9
            if flags & 0xF == 1:
                return 0xC if rc_end else 20
            return 0x2C if rc_end else 0x34
        if cap == 0x08:
            return 24 if self.b(pos + 3) & 0xE0 else 28
        if cap == 0x12:
            return 16 if self.b(pos + 4) & 0xF == 0xF else 8
        return 0

    def ext_cap_len(self, ecap, epos):  # vfio_ext_cap_len()
        if ecap in (0x0B, 0x23):
            return self.d(epos + 4) >> 20
        if ecap in (0x02, 0x08, 0x09):
            evcc = self.d(epos + 4) & 7
            cap2 = self.d(epos + 8)
            phases = 128 if cap2 & 8 else 64 if cap2 & 4 else 32 if cap2 & 2 else 0
            length = 0x10 + (1 + evcc) * 0x0C
            if phases:
                length = (length + 15) // 16 * 16 + phases * 4 // 8
            return length
        if ecap == 0x0D:
            if self.b(epos + 4) & 0x20:
                n = self.b(epos + 5)
                bits = (n + 31) // 32 * 32 if n else 256
                return 8 + bits // 8
            return 8
        if ecap == 0x15:
            return 4 + ((self.b(epos + 8) & 0xE0) >> 5) * 8
        if ecap == 0x16:
            return 16 + (self.b(epos + 4) & 0x1F) + 1
        if ecap == 0x17:
            dword = self.d(epos + 4)
            if dword & 0x600 == 0x200:
                return 0xC + ((dword & 0x07FF0000) >> 16) * 2 + 2
            return 0xC
        return 0

    def cap_init(self):  # vfio_cap_init()
        if not self.w(0x06) & 0x10:
            return
        pos, loops = self.b(0x34), (256 - 64) // 4
        while pos and loops:
            loops -= 1
            cap, nxt = self.b(pos), self.b(pos + 1)
            length = 0
            if cap and cap <= CAP_ID_MAX:
                length = CAP_LENGTH.get(cap, 0)
                if length == VARIABLE:
                    if cap == 0x10 and self.exp_flags is None:
                        self.exp_flags = self.w(pos + 2)
                    length = self.cap_len(cap, pos)
            if length:
                self.map[pos:pos + length] = bytes([cap]) * length
                self.kept.append(("standard", pos, cap))
            else:
                self.hidden.append(("standard", pos, cap))
            pos = nxt

    def ecap_init(self):  # vfio_ecap_init()
        if not self.extended_caps:
            return
        epos, prev_seen, loops = 256, False, (self.cfg_size - 256) // 4
        while loops and epos >= 256:
            loops -= 1
            header = self.d(epos)
            ecap, length = header & 0xFFFF, 0
            if ecap <= EXT_CAP_ID_MAX:
                length = EXT_CAP_LENGTH.get(ecap, 0)
                if length == VARIABLE:
                    length = self.ext_cap_len(ecap, epos)
            if not length:
                if prev_seen:
                    self.hidden.append(("extended", epos, ecap))
                    epos = (header >> 20) & 0xFFC
                    continue
                length = 4  # the placeholder
                self.placeholders.append(epos)
            else:
                self.kept.append(("extended", epos, ecap))
            self.map[epos:epos + length] = bytes([ecap & 0xFF]) * length
            prev_seen = True
            epos = (header >> 20) & 0xFFC

    # ------------------------------------------------ permissions (vfio_pci_init_perm_bits)

    def cap_start(self, pos):  # vfio_find_cap_start()
        cap = self.map[pos]
        if cap == BASIC:
            return 0
        base = 256 if pos >= 256 else 64
        while pos - 1 >= base and self.map[pos - 1] == cap:
            pos -= 1
        return pos

    def perm_table(self, cap_id, std):
        """(virt, write) byte arrays of a perm table made with alloc_perm_bits(), or None
        for the default { .readfn = vfio_direct_config_read }."""
        virt, write = bytearray(64), bytearray(64)

        def p_set(off, width, v, wr):
            virt[off:off + width] = (v & (1 << 8 * width) - 1).to_bytes(width, "little")
            write[off:off + width] = (wr & (1 << 8 * width) - 1).to_bytes(width, "little")

        full = 0xFFFFFFFF
        if std and cap_id == BASIC:  # init_pci_cap_basic_perm()
            p_set(0x00, 2, full, 0)
            p_set(0x02, 2, full, 0)
            p_set(0x04, 2, 0x0400, full)
            p_set(0x06, 2, 0x0010, 0)
            for off in (0x0C, 0x0D, 0x0F):
                p_set(off, 1, 0, full)
            for off in range(0x10, 0x28, 4):
                p_set(off, 4, full, full)
            p_set(0x30, 4, full, full)
            p_set(0x34, 1, full, 0)
            p_set(0x3C, 1, full, full)
            p_set(0x3D, 1, full, 0)
        elif std and cap_id == 0x01:  # init_pci_cap_pm_perm()
            p_set(1, 1, full, 0)
            p_set(2, 2, 0xF800, 0)
            p_set(4, 4, 0x0100 | 0x8000, ~(0x0100 | 0x8000 | 0x0003))
        elif std and cap_id == 0x03:  # init_pci_cap_vpd_perm()
            p_set(1, 1, full, 0)
            p_set(2, 2, full, full)
            p_set(4, 4, full, full)
        elif std and cap_id == 0x07:  # init_pci_cap_pcix_perm()
            p_set(1, 1, full, 0)
            p_set(2, 2, 0, full)
            p_set(8, 4, 0, full)
        elif std and cap_id == 0x10:  # init_pci_cap_exp_perm()
            p_set(1, 1, full, 0)
            p_set(8, 2, 0x8000 | 0x00E0 | 0x7000, ~0x0200)
            p_set(0x28, 2, 0, ~0x0020)
        elif std and cap_id == 0x13:  # init_pci_cap_af_perm()
            p_set(1, 1, full, 0)
            p_set(4, 1, 0x01, 0x01)
        elif std and cap_id == 0x05:  # init_pci_cap_msi_perm(), with the first MSI's flags
            flags = self.msi_flags
            p_set(1, 1, full, 0)
            p_set(2, 1, full, full)
            p_set(4, 4, full, full)
            if flags & 0x0080:
                p_set(8, 4, full, full)
                p_set(0x0C, 2, full, full)
                if flags & 0x0100:
                    p_set(0x10, 4, 0, full)
                    p_set(0x14, 4, 0, full)
            else:
                p_set(8, 2, full, full)
                if flags & 0x0100:
                    p_set(0x0C, 4, 0, full)
                    p_set(0x10, 4, 0, full)
        elif not std and cap_id == 0x01:  # init_pci_ext_cap_err_perm()
            p_set(0, 4, full, 0)
            unc = (0x1 | 0x10 | 0x20 | 0x1000 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000
                   | 0x40000 | 0x80000 | 0x100000 | 0x200000 | 0x400000 | 0x800000 | 0x1000000
                   | 0x2000000)
            cor = 0x1 | 0x40 | 0x80 | 0x100 | 0x1000 | 0x2000 | 0x4000 | 0x8000
            for off in (0x04, 0x08, 0x0C):
                p_set(off, 4, 0, unc)
            p_set(0x10, 4, 0, cor)
            p_set(0x14, 4, 0, cor)
            p_set(0x18, 4, 0, 0x40 | 0x100)
        elif not std and cap_id == 0x04:  # init_pci_ext_cap_pwr_perm()
            p_set(0, 4, full, 0)
            p_set(0x08, 1, 0, full)
        else:
            return None
        return virt, write

    def access(self, pos) -> Access:
        """How vfio_config_do_rw() serves a 1-byte access at `pos`."""
        cap = self.map[pos]
        if cap == INVALID:
            return RAW  # unassigned_perms: raw read, raw write
        if cap == INVALID_VIRT:
            return VIRT  # virt_perms
        std = pos < 256
        if not std and cap > EXT_CAP_ID_MAX:
            raw_write, table = False, None  # direct_ro_perms
        else:
            raw_write = (std and cap == 0x09) or (not std and cap in (0x0B, 0x23))
            table = self.perm_table(cap, std)
        offset = pos - self.cap_start(pos)
        if raw_write:
            return WRITABLE  # vfio_raw_config_write
        if table is None:  # vfio_direct_config_read, no write function
            if not std:
                return VIRT if offset < 4 else RO
            if pos >= 64 and offset == 1:  # PCI_CAP_LIST_NEXT from vconfig
                return VIRT
            return RO
        virt, write = table[0][offset], table[1][offset]
        if write & ~virt:
            return WRITABLE
        if virt == 0xFF or write & virt:
            return VIRT
        return RO


def kernel_access(data: bytes) -> tuple[list[Access], int]:
    cfg_size = len(data)
    kernel = Kernel(data, cfg_size)
    if cfg_size > 256 and not any(b in (0x07, 0x10) for b in kernel.map[64:256]):
        cfg_size = 256  # pci_cfg_space_size(): no PCIe/PCI-X capability, 256 bytes
    return [kernel.access(pos) for pos in range(cfg_size)], cfg_size


# ---------------------------------------------------------------- the comparisons

# The CardBus bridge keeps its capability pointer at 0x14; vfio-pci reads 0x34 regardless.
DUMPS = [d for d in sample_dumps() if "cardbus" not in d.stem]


def _diff(got, expected, start=0):
    for pos, (g, e) in enumerate(zip(got, expected, strict=False), start):
        if g != e:
            return f"first difference at {pos:#05x}: view says {Access(g).label}, kernel {e.label}"
    return ""


@pytest.mark.parametrize("dump", DUMPS, ids=lambda p: p.stem)
def test_access_classes_match_the_kernel_model_on_real_dumps(dump):
    cs = load(str(dump))[0]
    expected, cfg_size = kernel_access(cs.data[:cs.captured])
    got = list(view(build(cs), "vfio").access[:cfg_size])
    assert got == expected, _diff(got, expected)


def test_the_corpus_exercises_every_perm_table():
    """The comparison above is only as good as what the dumps contain."""
    seen_std, seen_ext = set(), set()
    for dump in DUMPS:
        cs = load(str(dump))[0]
        kernel = Kernel(cs.data[:cs.captured], cs.captured)
        seen_std |= set(kernel.map[64:256])
        seen_ext |= set(kernel.map[256:])
    assert {0x01, 0x03, 0x05, 0x07, 0x09, 0x10, 0x11} <= seen_std
    assert {0x01, 0x04, 0x0B, 0x23} <= seen_ext


@pytest.mark.parametrize("msi_flags", [0x0000, 0x0080, 0x0100, 0x0180])
def test_msi_variants_match_the_kernel_model(msi_flags):
    """32/64-bit, with and without per-vector masking: the bytes between Message Data and
    the Mask register are reserved, read-only."""
    raw = config_space(std={0x40: bytes([0x05, 0x50]) + msi_flags.to_bytes(2, "little"),
                            0x50: pcie_cap(0)})
    expected, _ = kernel_access(raw)
    got = list(view(build(load_bytes(raw)), "vfio").access)
    assert got == expected, _diff(got, expected)


# A hidden first extended capability: its map byte is the low byte of its ID.
@pytest.mark.parametrize("cap_id", [0x0000, 0x0100, 0x00FF, 0x01FF, 0x01FE, 0x0101, 0x0104,
                                    0x010B, 0x0123, 0x0110, 0x001B, 0x0140])
def test_hidden_first_extended_capability_by_its_map_byte(cap_id):
    raw = config_space(std={0x40: pcie_cap(0)},
                       ext={0x100: ext_header(cap_id, 1, 0x200), 0x200: ext_header(0x01, 1, 0)})
    v = view(build(load_bytes(raw)), "vfio")
    assert v.visibility(1) == "placeholder"
    expected, _ = kernel_access(raw)
    assert list(v.access) == expected, _diff(v.access, expected)
    # what a reader sees at 0x100: the device's header where the placeholder reads raw
    # (map byte PCI_CAP_ID_BASIC or PCI_CAP_ID_INVALID), else vfio's copy: ID and version
    # zeroed, next kept
    low = cap_id & 0xFF
    header = raw[0x100:0x104]
    if low not in (BASIC, INVALID):
        header = struct.pack("<I", struct.unpack("<I", header)[0] & 0xFFC00000)
    assert v.space.data[0x100:0x104] == header


@pytest.mark.parametrize("cap_id", [0x0100, 0x00FF])
def test_a_raw_placeholder_is_not_zeroed_when_no_capability_is_left(cap_id):
    """vfio_ecap_init() zeroes vconfig[0x100] when no capability is left, but a header
    that reads raw never shows vfio's copy."""
    raw = config_space(std={0x40: pcie_cap(0)},
                       ext={0x100: ext_header(cap_id, 1, 0x200), 0x200: ext_header(0x1E, 1, 0)})
    v = view(build(load_bytes(raw)), "vfio")
    assert v.space.data[0x100:0x104] == raw[0x100:0x104]


def test_a_virt_placeholder_is_zeroed_when_no_capability_is_left():
    raw = config_space(std={0x40: pcie_cap(0)},
                       ext={0x100: ext_header(0x01FE, 1, 0x200), 0x200: ext_header(0x1E, 1, 0)})
    assert view(build(load_bytes(raw)), "vfio").space.u32(0x100) == 0
