"""Standard (8-bit ID) capabilities, config space 0x40-0xFF: one entry per ID 0x00-0x15.

Sources are cited per entry; the rules and disagreements come from
docs/reference/capabilities.md (pciutils lib/header.h, Linux pci_regs.h, the PCI
Local Bus / PCI PM / PCIe Base specs). Bit positions come from pciutils lib/header.h and
ls-caps.c, Linux pci_regs.h and drivers (AGP, AMD IOMMU), pcics (PCI-X ECC, FPB) and
QEMU / illumos (AMD IOMMU flags).
"""

from __future__ import annotations

from .model import (
    CapContext,
    CapSpec,
    Certainty,
    Size,
    Space,
    fixed,
    tables,
    unknown_size,
)

S = Space.STANDARD


# ------------------------------------------------------------------ 0x00 Null

NULL_SIZE = 2  # ID + Next only


# ------------------------------------------------------------------ 0x01 Power Management

def _pm_version(ctx: CapContext) -> int:
    return ctx.u16(2) & 0x7


# ------------------------------------------------------------------ 0x02 AGP

AGP_SIZE, AGP3_SIZE = 0x0C, 0x24  # AGP 1.0/2.0 set; AGP 3.0 set (0x22 DWORD-rounded)
AGP3_MAJOR = 3
AGP_STATUS_AGP3 = 1 << 3


def _agp_major(ctx: CapContext) -> int:
    return ctx.u8(2) >> 4


def _agp_size(ctx: CapContext) -> Size:
    major = _agp_major(ctx)
    if major >= AGP3_MAJOR:
        return Size(AGP3_SIZE, Certainty.EXACT,
                    f"AGP {major}.x: AGP 3.0 registers through NICMD (0x22), DWORD-rounded")
    if ctx.u32(4) & AGP_STATUS_AGP3:
        return Size(AGP_SIZE, Certainty.MINIMUM,
                    f"revision {major}.x but Status reports AGP3 mode: AGP 3.0 registers may follow")
    return Size(AGP_SIZE, Certainty.EXACT, f"AGP {major}.x: Revision, Status and Command only")


def _agp_version(ctx: CapContext) -> int:
    return _agp_major(ctx)


# ------------------------------------------------------------------ 0x03 VPD

# ------------------------------------------------------------------ 0x04 Slot ID

# ------------------------------------------------------------------ 0x05 MSI

MSI_64BIT, MSI_PVM, MSI_EXT_DATA = 1 << 7, 1 << 8, 1 << 9


def _msi_size(ctx: CapContext) -> Size:
    ctl = ctx.u16(2)
    wide = bool(ctl & MSI_64BIT)
    data_end = 0x0E if wide else 0x0A
    if ctl & MSI_PVM:
        n = 0x18 if wide else 0x14
        why = f"{'64' if wide else '32'}-bit address, per-vector masking"
    elif ctl & MSI_EXT_DATA:
        n = data_end + 2
        why = f"{'64' if wide else '32'}-bit address, extended message data"
    else:
        n = data_end
        why = f"{'64' if wide else '32'}-bit address"
    return Size(n, Certainty.EXACT, why)


# ------------------------------------------------------------------ 0x06 CompactPCI Hot Swap

# ------------------------------------------------------------------ 0x07 PCI-X

PCIX_SIZE, PCIX_ECC_SIZE = 0x08, 0x18  # type 0: Command + Status; + 4 ECC registers
PCIX_BRIDGE_SIZE, PCIX_BRIDGE_ECC_SIZE = 0x10, 0x20  # type 1: + split transaction controls
PCIX_ECC_VERSIONS = (1, 2)  # 01b Mode 2 ECC, 10b Mode 1 and Mode 2 ECC; 11b is reserved
BRIDGE_HEADER = 1


def _is_bridge(ctx: CapContext) -> bool:
    return ctx.header_type & 0x7F == BRIDGE_HEADER


def _pcix_version(ctx: CapContext) -> int:
    """Capability version: Command (type 0) or Secondary Status (type 1) bits 13:12."""
    return (ctx.u16(2) >> 12) & 0x3


def _pcix_size(ctx: CapContext) -> Size:
    bridge, version = _is_bridge(ctx), _pcix_version(ctx)
    base, with_ecc = (PCIX_BRIDGE_SIZE, PCIX_BRIDGE_ECC_SIZE) if bridge else (PCIX_SIZE, PCIX_ECC_SIZE)
    kind = "bridge (header type 1)" if bridge else "type 0"
    if version in PCIX_ECC_VERSIONS:
        return Size(with_ecc, Certainty.EXACT, f"{kind}, version {version}: ECC registers follow")
    if version == 0:
        return Size(base, Certainty.EXACT, f"{kind}, version 0: no ECC registers")
    return Size(base, Certainty.MINIMUM, f"{kind}, reserved version 3: ECC registers may follow")


# ------------------------------------------------------------------ 0x08 HyperTransport
# The capability type sits in the Command word (+2): bits 15:13 for the slave/primary
# and host/secondary interface blocks, bits 15:11 for every other block.

HT_HEADER = 4  # ID, Next and the Command word
HT_AM_BASE, HT_AM_PER_DMA, HT_AM64_SIZE = 0x0C, 8, 0x10
HT_AM_MAP_40, HT_AM_MAP_64 = 0, 1
HT_AM_NDMA = 0xF  # Command bits 3:0: number of 40-bit DMA windows
HT_MAX = HT_AM_BASE + HT_AM_PER_DMA * HT_AM_NDMA


def _ht_type3(ctx: CapContext) -> int:
    return ctx.u16(2) >> 13


def _ht_type5(ctx: CapContext) -> int:
    return ctx.u16(2) >> 11


def _ht_am_map(ctx: CapContext) -> int:
    return (ctx.u16(2) >> 9) & 0x3


def _ht_am_size(ctx: CapContext) -> Size:
    map_type, ndma = _ht_am_map(ctx), ctx.u16(2) & HT_AM_NDMA
    if map_type == HT_AM_MAP_40:
        return Size(HT_AM_BASE + HT_AM_PER_DMA * ndma, Certainty.EXACT,
                    f"Address Mapping, 40-bit: 12 + 8 bytes per DMA window ({ndma})")
    if map_type == HT_AM_MAP_64:
        return Size(HT_AM64_SIZE, Certainty.EXACT, "Address Mapping, 64-bit: index/data registers")
    return Size(HT_AM_BASE, Certainty.MINIMUM, f"Address Mapping with reserved map type {map_type}")


# 5-bit type (Command bits 15:11) -> (name, fixed size); Address Mapping is computed. Each
# block's registers are standard_tables.HT_BLOCK_REGS[name] (loaded for a decode only).
HT_SWITCH, HT_AM = 0x08, 0x14
HT_FIXED: dict[int, tuple[str, int]] = {
    HT_SWITCH: ("Switch", 0x18),
    0x10: ("Interrupt Discovery and Configuration", 0x08),
    0x11: ("Revision ID", 0x04),
    0x12: ("UnitID Clumping", 0x0C),
    0x13: ("Extended Configuration Space Access", 0x0C),
    0x15: ("MSI Mapping", 0x0C),
    0x16: ("DirectRoute", 0x0C),
    0x17: ("VCSet", 0x10),
    0x18: ("Retry Mode", 0x0C),
}
# 3-bit type (Command bits 15:13) -> the interface blocks
HT_INTERFACES: dict[int, tuple[str, int]] = {
    0: ("Slave/Primary Interface", 0x1C),
    1: ("Host/Secondary Interface", 0x18),
}


def _ht_block(ctx: CapContext) -> tuple[str, int] | None:
    """The (name, size) of the HT block this capability is, None for Address Mapping or an
    unknown type."""
    return HT_INTERFACES.get(_ht_type3(ctx)) or HT_FIXED.get(_ht_type5(ctx))


def _ht_size(ctx: CapContext) -> Size:
    block = _ht_block(ctx)
    if block is not None:
        name, size = block
        return Size(size, Certainty.EXACT, f"{name} block: fixed {size} bytes")
    if _ht_type5(ctx) == HT_AM:
        return _ht_am_size(ctx)
    return Size(HT_HEADER, Certainty.MINIMUM,
                f"HT capability type {_ht_type5(ctx):#04x} has no known layout")


# ------------------------------------------------------------------ 0x09 Vendor Specific

VNDR_HEADER = 3  # ID, Next, Length


def _vndr_size(ctx: CapContext) -> Size:
    length = ctx.u8(2)
    if length < VNDR_HEADER:
        return Size(VNDR_HEADER, Certainty.MINIMUM,
                    f"Length byte {length:#x} is below its own 3-byte header")
    return Size(length, Certainty.EXACT, "Capability Length byte at +2")


# virtio's vendor capabilities (virtio 1.2 §4.1.4 struct virtio_pci_cap, and
# struct virtio_pci_notify_cap, virtio_pci_cap64, virtio_pci_cfg_cap), decoded where pciutils
# decodes them: ls-caps-vendor.c show_vendor_caps_virtio() (pciutils/pciutils 0f5b941aa5cf),
# for vendor 0x1af4 devices 0x1000-0x107f and a length of at least 16.
VIRTIO_VENDOR, VIRTIO_DEVICES, VIRTIO_CAP_MIN = 0x1AF4, range(0x1000, 0x1080), 16
VIRTIO_TYPES = {1: "CommonCfg", 2: "Notify", 3: "ISR", 4: "DeviceCfg", 5: "PCICfg",
                8: "SharedMemory", 9: "Vendor"}
VIRTIO_NOTIFY, VIRTIO_PCI_CFG, VIRTIO_SHM = 2, 5, 8
LSPCI_VIRTIO_TYPES = (1, 2, 3, 4, 8)  # the ones show_vendor_caps_virtio() names


def is_virtio(ctx: CapContext) -> bool:
    """A virtio PCI function, as pciutils' do_show_vendor_caps() tells one."""
    vendor = ctx.data[0] | ctx.data[1] << 8 if len(ctx.data) >= 4 else 0
    device = ctx.data[2] | ctx.data[3] << 8 if len(ctx.data) >= 4 else 0
    return vendor == VIRTIO_VENDOR and device in VIRTIO_DEVICES and ctx.u8(2) >= VIRTIO_CAP_MIN


def virtio_text(ctx: CapContext) -> str | None:
    """The capability as lspci -vv shows it (show_vendor_caps_virtio()), or None when it
    is not a virtio one."""
    if not is_virtio(ctx):
        return None
    cfg_type, length = ctx.u8(3), ctx.u8(2)
    name = VIRTIO_TYPES[cfg_type] if cfg_type in LSPCI_VIRTIO_TYPES else "<unknown>"
    out = f"VirtIO: {name}"
    if cfg_type == VIRTIO_SHM:
        offset = ctx.u32(8) | ctx.u32(16) << 32
        size = ctx.u32(12) | ctx.u32(20) << 32
        out += f" BAR={ctx.u8(4)} offset={offset:016x} size={size:016x} id={ctx.u8(5)}"
    else:
        out += f" BAR={ctx.u8(4)} offset={ctx.u32(8):08x} size={ctx.u32(12):08x}"
    if cfg_type == VIRTIO_NOTIFY and length >= 20:
        out += f" multiplier={ctx.u32(16):08x}"
    return out


# ------------------------------------------------------------------ 0x0A Debug port

# ------------------------------------------------------------------ 0x0C SHPC

# ------------------------------------------------------------------ 0x0D Bridge subsystem ID

# ------------------------------------------------------------------ 0x0F Secure device (AMD IOMMU)

SECURE_SIZE, SECURE_EXT_SIZE = 0x14, 0x18
SECURE_CAP_EXT = 1 << 12  # +2 word bit 12 = header bit 28 (QEMU AMDVI_CAPAB_FLAT_EXT)


def _secure_size(ctx: CapContext) -> Size:
    if ctx.u16(2) & SECURE_CAP_EXT:
        return Size(SECURE_EXT_SIZE, Certainty.EXACT,
                    "capability extension flag set: Misc Information 1 at +0x14")
    return Size(SECURE_SIZE, Certainty.EXACT, "no capability extension: ends after Misc Information 0")


# ------------------------------------------------------------------ 0x10 PCI Express

def _exp_size(ctx: CapContext) -> Size:
    flags = ctx.u16(2)
    version, ptype, slot = flags & 0xF, (flags >> 4) & 0xF, bool(flags & 0x100)
    if version >= 2:
        return Size(0x3C, Certainty.EXACT, f"version {version}: every register up to Slot Status 2")
    if ptype == 0x9:
        return Size(0x0C, Certainty.EXACT, "version 1 RCiEP: device registers only")
    if ptype in (0x4, 0xA):
        return Size(0x24, Certainty.EXACT, "version 1 root port / RCEC: up to Root Status")
    if slot:
        return Size(0x1C, Certainty.EXACT, "version 1 with a slot: up to Slot Status")
    return Size(0x14, Certainty.EXACT, "version 1 with a link: up to Link Status")


def _exp_version(ctx: CapContext) -> int:
    return ctx.u16(2) & 0xF


# ------------------------------------------------------------------ 0x11 MSI-X

# ------------------------------------------------------------------ 0x12 SATA

SATA_SIZE, SATA_INLINE_SIZE = 0x08, 0x10
SATA_BAR_INLINE = 0xF  # BAR Location: the Index/Data pair is in configuration space


def _sata_bar_location(ctx: CapContext) -> int:
    return ctx.u8(4) & 0xF


def _sata_size(ctx: CapContext) -> Size:
    location = _sata_bar_location(ctx)
    if location == SATA_BAR_INLINE:
        return Size(SATA_INLINE_SIZE, Certainty.EXACT,
                    "BAR Location 0xF: Index/Data pair follows in configuration space")
    return Size(SATA_SIZE, Certainty.EXACT, f"BAR Location {location:#x}: Index/Data pair in a BAR")


def _sata_version(ctx: CapContext) -> int:
    return ctx.u8(2) >> 4


# ------------------------------------------------------------------ 0x13 Advanced Features

# ------------------------------------------------------------------ 0x14 Enhanced Allocation

EA_LIMIT = 0x100  # the entry walk never reads past this many bytes from the capability start
EA_NUM_ENTRIES_MASK = 0x3F
EA_ES_MASK = 0x7  # Entry Size: DWORDs after an entry's first DWORD
EA_HEADER, EA_BRIDGE_HEADER = 4, 8


def _ea_first_entry(ctx: CapContext) -> int:
    return EA_BRIDGE_HEADER if _is_bridge(ctx) else EA_HEADER


def _ea_entries(ctx: CapContext) -> tuple[list[tuple[int, int]], bool]:
    """(offset, Entry Size) of each entry that ends within EA_LIMIT; True if the walk
    stopped early because the next entry would run past it."""
    pos, out = _ea_first_entry(ctx), []
    for _ in range(ctx.u8(2) & EA_NUM_ENTRIES_MASK):
        if pos + 4 > EA_LIMIT:
            return out, True
        es = ctx.u32(pos) & EA_ES_MASK
        if pos + 4 + 4 * es > EA_LIMIT:
            return out, True
        out.append((pos, es))
        pos += 4 + 4 * es
    return out, False


def _ea_end(ctx: CapContext, entries: list[tuple[int, int]]) -> int:
    if not entries:
        return _ea_first_entry(ctx)
    pos, es = entries[-1]
    return pos + 4 + 4 * es


def _ea_size(ctx: CapContext) -> Size:
    entries, cut = _ea_entries(ctx)
    end = _ea_end(ctx, entries)
    first = "bridge: 8-byte header" if _is_bridge(ctx) else "4-byte header"
    if cut:
        return Size(end, Certainty.MINIMUM,
                    f"{first}; entry {len(entries)} would run past {EA_LIMIT:#x}: walk stopped")
    return Size(end, Certainty.EXACT, f"{first} + {len(entries)} entries of 4 + 4*ES bytes")


# ------------------------------------------------------------------ 0x15 Flattening Portal Bridge

ENTRIES: tuple[CapSpec, ...] = (
    CapSpec(S, 0x00, "NULL", "Null Capability", "PCI Code and ID Assignment; PCIe 6.3 §7.9.27",
            "fixed 2 bytes: ID and Next pointer only", fixed(NULL_SIZE, "ID + next only"), (),
            NULL_SIZE, NULL_SIZE, aliases=("null",)),
    CapSpec(S, 0x01, "PM", "Power Management", "PCI PM 1.2; PCIe 6.3 §7.5.2",
            "fixed 8 bytes (PCI_PM_SIZEOF)", fixed(8), tables("standard", "PM_REGS"), 8, 8,
            version=_pm_version, aliases=("pm", "power")),
    CapSpec(S, 0x02, "AGP", "Accelerated Graphics Port", "AGP 2.0 / AGP 3.0 (Intel)",
            "12 bytes (Revision, Status, Command); 0x24 (AGP 3.0 registers to NICMD at +0x20, "
            "DWORD-rounded) when the major revision (+2 bits 7:4) is 3 or more",
            _agp_size, tables("standard", "_agp_layout"), AGP_SIZE, AGP3_SIZE, version=_agp_version,
            notes="pciutils, Linux pci_regs.h and vfio use 12 (PCI_AGP_SIZEOF) for every revision; "
                  "the Linux AGP driver and pcics read the AGP 3.0 registers up to +0x22. We use "
                  "0x24 for revision >= 3, and report 12 as a minimum when an older revision sets "
                  "the AGP3 mode bit.",
            aliases=("agp",)),
    CapSpec(S, 0x03, "VPD", "Vital Product Data", "PCI Local Bus 2.2+ (Vital Product Data)",
            "fixed 8 bytes (PCI_CAP_VPD_SIZEOF): VPD Address (+2), VPD Data (+4)",
            fixed(8), tables("standard", "VPD_REGS"), 8, 8, aliases=("vpd",)),
    CapSpec(S, 0x04, "SLOTID", "Slot Identification", "PCI-to-PCI Bridge Architecture 1.1",
            "fixed 4 bytes: Expansion Slot (+2), Chassis Number (+3)",
            fixed(4), tables("standard", "SLOTID_REGS"), 4, 4, aliases=("slotid", "slot")),
    CapSpec(S, 0x05, "MSI", "MSI", "PCI 3.0 §6.8.1; PCIe 6.3 §7.7.1",
            "Message Control bit 7 (64-bit) and bit 8 (per-vector masking): 10, 14, 20 or 24 "
            "bytes; +2 for Extended Message Data without masking",
            _msi_size, tables("standard", "_msi_layout"), 0x0A, 0x18,
            notes="pydiskcmd always reserves the Extended Message Data slot (12/16); Linux, "
                  "pciutils and vfio use the unrounded 10/14, as the spec's register map does."),
    CapSpec(S, 0x06, "CHSWP", "CompactPCI Hot Swap", "PICMG 2.1 (CompactPCI Hot Swap)",
            "fixed 4 bytes: Hot Swap Control/Status byte at +2",
            fixed(4), tables("standard", "CHSWP_REGS"), 4, 4, aliases=("chswp", "hotswap")),
    CapSpec(S, 0x07, "PCIX", "PCI-X", "PCI-X 2.0a (PCI-X capability)",
            "type 0: 8 bytes, 24 with ECC registers (Command bits 13:12 = 1 or 2); header type 1 "
            "(bridge): 16 bytes, 32 with ECC registers (Secondary Status bits 13:12 = 1 or 2)",
            _pcix_size, tables("standard", "_pcix_layout"), PCIX_SIZE, PCIX_BRIDGE_ECC_SIZE, version=_pcix_version,
            notes="vfio sizes bridges with the type-0 rule (8/24); pciutils reads 8 / 16 and never "
                  "the ECC registers. The bridge ECC block at +0x10 follows pcics. Version 3 is "
                  "reserved: the size without ECC is reported as a minimum.",
            aliases=("pcix", "pci-x")),
    CapSpec(S, 0x08, "HT", "HyperTransport", "HyperTransport I/O Link Spec (rev 2.00+ capability blocks)",
            "by the HT capability type in the Command word (+2): Slave/Primary 28, Host/Secondary 24, "
            "Switch 24, Interrupt Discovery 8, Revision ID 4, UnitID Clumping / Ext. Config Access / "
            "MSI Mapping / DirectRoute / Retry Mode 12, VCSet 16, Address Mapping 12 + 8*NDMA "
            "(40-bit) or 16 (64-bit); other types unknown (at least 4)",
            _ht_size, tables("standard", "_ht_layout"), HT_HEADER, HT_MAX,
            notes="vfio uses 24/28 for every HT sub-type (e.g. MSI Mapping is really 12); we follow "
                  "the per-type sizes of pciutils lib/header.h.",
            aliases=("ht", "hypertransport")),
    CapSpec(S, 0x09, "VNDR", "Vendor Specific", "PCIe 6.3 §7.9.4",
            "Capability Length byte at +2 (bytes, header included); below 3 is invalid (at least 3)",
            _vndr_size, tables("standard", "_vndr_layout"), VNDR_HEADER, 0xFF, aliases=("vndr", "vendor")),
    CapSpec(S, 0x0A, "DBG", "Debug port (EHCI)", "EHCI 1.0 (Debug Port)",
            "fixed 4 bytes: BAR number and offset in the word at +2",
            fixed(4), tables("standard", "DBG_REGS"), 4, 4, aliases=("dbg", "debug")),
    CapSpec(S, 0x0B, "CCRC", "CompactPCI Central Resource Control", "PICMG (CompactPCI)",
            "unknown: no public register layout; only the 2-byte header is known",
            unknown_size(2), (), 2, 0, aliases=("ccrc",)),
    CapSpec(S, 0x0C, "HOTPLUG", "PCI Standard Hot-Plug Controller (SHPC)",
            "PCI Standard Hot-Plug Controller and Subsystem 1.0",
            "fixed 8 bytes: DWORD Select (+2), pending status (+3), DWORD Data (+4)",
            fixed(8), tables("standard", "SHPC_REGS"), 8, 8, aliases=("hotplug", "shpc")),
    CapSpec(S, 0x0D, "SSVID", "Bridge Subsystem Vendor ID", "PCI-to-PCI Bridge 1.2; PCIe 6.3 §7.9.23",
            "fixed 8 bytes: Subsystem Vendor ID (+4), Subsystem ID (+6)",
            fixed(8), tables("standard", "SSVID_REGS"), 8, 8, aliases=("ssvid", "subsystem")),
    CapSpec(S, 0x0E, "AGP3", "AGP 8x / AGP Target PCI-PCI bridge", "AGP 3.0",
            "unknown: no public register layout; only the 2-byte header is known",
            unknown_size(2), (), 2, 0,
            notes="capabilities.md guesses the AGP 3.0 register set of capability 0x02 (up to "
                  "0x24); no source confirms it, so the layout is left unknown.",
            aliases=("agp3",)),
    CapSpec(S, 0x0F, "SECURE", "Secure Device (AMD IOMMU)", "AMD I/O Virtualization Technology (IOMMU)",
            "0x14 (header, base address low/high, range, Misc Information 0); 0x18 when the "
            "capability extension flag (+2 bit 12) adds Misc Information 1",
            _secure_size, tables("standard", "_secure_layout"), SECURE_SIZE, SECURE_EXT_SIZE,
            notes="Linux reads only up to Misc Information 0 (0x14); QEMU's emulated IOMMU "
                  "reserves 0x18. That bit 12 of the flags word announces Misc Information 1 is "
                  "from the AMD IOMMU spec, not confirmed by a stored source.",
            aliases=("secure", "iommu")),
    CapSpec(S, 0x10, "EXP", "PCI Express", "PCIe 6.3 §7.5.3",
            "version >= 2: 0x3C (to Slot Status 2); version 1: 0x0C RCiEP, 0x14 with a link, "
            "0x1C with a slot, 0x24 root port / RCEC",
            _exp_size, tables("standard", "_exp_layout"), 0x0C, 0x3C, version=_exp_version,
            notes="vfio exposes only 0x2C/0x34 (v2) and 0x0C/0x14 (v1): it truncates the "
                  "slot and root registers that the spec places inside the capability."),
    CapSpec(S, 0x11, "MSIX", "MSI-X", "PCI 3.0 (MSI-X); PCIe 6.3 §7.7.2",
            "fixed 12 bytes (PCI_CAP_MSIX_SIZEOF): Message Control, Table and PBA offset/BIR",
            fixed(12), tables("standard", "MSIX_REGS"), 12, 12, aliases=("msix", "msi-x")),
    CapSpec(S, 0x12, "SATA", "Serial ATA Data/Index Configuration", "Serial ATA AHCI 1.x (SATA capability)",
            "8 bytes; 16 when SATA Capability Register 1 (+4) bits 3:0 = 0xF puts the Index/Data "
            "pair in configuration space",
            _sata_size, tables("standard", "_sata_layout"), SATA_SIZE, SATA_INLINE_SIZE, version=_sata_version,
            aliases=("sata",)),
    CapSpec(S, 0x13, "AF", "Conventional PCI Advanced Features",
            "PCI Advanced Features ECN; PCIe 6.3 §7.9.21",
            "fixed 6 bytes (PCI_CAP_AF_SIZEOF): Length, AF Capabilities, AF Control, AF Status",
            fixed(6), tables("standard", "AF_REGS"), 6, 6, aliases=("af",)),
    CapSpec(S, 0x14, "EA", "Enhanced Allocation", "PCIe 6.3 §7.8.5",
            "4 (8 for header type 1: fixed bus numbers) + per entry 4 + 4*ES bytes (ES = entry "
            "DWORD 0 bits 2:0) for Num Entries (+2 bits 5:0) entries; the walk stops at 0x100",
            _ea_size, tables("standard", "_ea_layout"), EA_HEADER, EA_LIMIT,
            notes="pydiskcmd sizes EA as its 4-byte header only; Linux and pciutils walk the "
                  "entries as we do.",
            aliases=("ea",)),
    CapSpec(S, 0x15, "FPB", "Flattening Portal Bridge", "PCIe 6.3 §7.8.11",
            "fixed 36 bytes (0x24): FPB Capabilities to Vector Access Data at +0x20",
            fixed(0x24), tables("standard", "FPB_REGS"), 0x24, 0x24, aliases=("fpb",)),
)
