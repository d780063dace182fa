"""The standard capabilities seldom met on today's devices (AGP, Slot ID, CompactPCI,
PCI-X, HyperTransport, EHCI debug port, SHPC, AMD IOMMU, Enhanced Allocation, FPB): their
entries and size rules, in a module of their own so that a walk that meets none never loads
them. The registry loads it the first time one of these IDs is looked up (or every entry is
asked for). Sources and rules as in standard.py.
"""

from __future__ import annotations

from .model import CapContext, CapSpec, Certainty, Size, Space, fixed, tables, unknown_size

S = Space.STANDARD

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


# ------------------------------------------------------------------ 0x04 Slot ID

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


# ------------------------------------------------------------------ 0x0A Debug port

# ------------------------------------------------------------------ 0x0C SHPC

# ------------------------------------------------------------------ 0x0F Secure device (AMD IOMMU)

SECURE_SIZE, SECURE_EXT_SIZE = 0x14, 0x18
SECURE_CAP_EXT = 1 << 12  # +2 word bit 12 = header bit 28 (QEMU AMDVI_CAPAB_FLAT_EXT)


def _secure_size(ctx: CapContext) -> Size:
    if ctx.u16(2) & SECURE_CAP_EXT:
        return Size(SECURE_EXT_SIZE, Certainty.EXACT,
                    "capability extension flag set: Misc Information 1 at +0x14")
    return Size(SECURE_SIZE, Certainty.EXACT, "no capability extension: ends after Misc Information 0")


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
    CapSpec(S, 0x02, "AGP", "Accelerated Graphics Port", "AGP 2.0 / AGP 3.0 (Intel)",
            "12 bytes (Revision, Status, Command); 0x24 (AGP 3.0 registers to NICMD at +0x20, "
            "DWORD-rounded) when the major revision (+2 bits 7:4) is 3 or more",
            _agp_size, tables("standard", "_agp_layout"), AGP_SIZE, AGP3_SIZE, version=_agp_version,
            notes="pciutils, Linux pci_regs.h and vfio use 12 (PCI_AGP_SIZEOF) for every revision; "
                  "the Linux AGP driver and pcics read the AGP 3.0 registers up to +0x22. We use "
                  "0x24 for revision >= 3, and report 12 as a minimum when an older revision sets "
                  "the AGP3 mode bit.",
            aliases=("agp",)),
    CapSpec(S, 0x04, "SLOTID", "Slot Identification", "PCI-to-PCI Bridge Architecture 1.1",
            "fixed 4 bytes: Expansion Slot (+2), Chassis Number (+3)",
            fixed(4), tables("standard", "SLOTID_REGS"), 4, 4, aliases=("slotid", "slot")),
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
