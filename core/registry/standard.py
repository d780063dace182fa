"""Standard (8-bit ID) capabilities, config space 0x40-0xFF: the entries of the IDs
0x00-0x15 most devices have (Power Management, MSI, VPD, Vendor Specific, PCI Express, MSI-X,
SATA, Advanced Features, Bridge Subsystem ID). The other IDs of that range (AGP, PCI-X,
HyperTransport...) are standard_rare.py's, loaded when one of them is met.

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
)

S = Space.STANDARD


# ------------------------------------------------------------------ 0x00 Null

NULL_SIZE = 2  # ID + Next only


# ------------------------------------------------------------------ 0x01 Power Management

def _pm_version(ctx: CapContext) -> int:
    return ctx.u16(2) & 0x7


# ------------------------------------------------------------------ 0x03 VPD

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


# ------------------------------------------------------------------ 0x0D Bridge subsystem ID

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

ENTRIES: tuple[CapSpec, ...] = (
    CapSpec(S, 0x00, "NULL", "Null Capability", "PCI Code and ID Assignment; PCIe 6.3 §7.9.27",
            "fixed 2 bytes: ID and Next pointer only", fixed(NULL_SIZE, "ID + next only"), (),
            NULL_SIZE, NULL_SIZE, aliases=("null",)),
    CapSpec(S, 0x01, "PM", "Power Management", "PCI PM 1.2; PCIe 6.3 §7.5.2",
            "fixed 8 bytes (PCI_PM_SIZEOF)", fixed(8), tables("standard", "PM_REGS"), 8, 8,
            version=_pm_version, aliases=("pm", "power")),
    CapSpec(S, 0x03, "VPD", "Vital Product Data", "PCI Local Bus 2.2+ (Vital Product Data)",
            "fixed 8 bytes (PCI_CAP_VPD_SIZEOF): VPD Address (+2), VPD Data (+4)",
            fixed(8), tables("standard", "VPD_REGS"), 8, 8, aliases=("vpd",)),
    CapSpec(S, 0x05, "MSI", "MSI", "PCI 3.0 §6.8.1; PCIe 6.3 §7.7.1",
            "Message Control bit 7 (64-bit) and bit 8 (per-vector masking): 10, 14, 20 or 24 "
            "bytes; +2 for Extended Message Data without masking",
            _msi_size, tables("standard", "_msi_layout"), 0x0A, 0x18,
            notes="pydiskcmd always reserves the Extended Message Data slot (12/16); Linux, "
                  "pciutils and vfio use the unrounded 10/14, as the spec's register map does."),
    CapSpec(S, 0x09, "VNDR", "Vendor Specific", "PCIe 6.3 §7.9.4",
            "Capability Length byte at +2 (bytes, header included); below 3 is invalid (at least 3)",
            _vndr_size, tables("standard", "_vndr_layout"), VNDR_HEADER, 0xFF, aliases=("vndr", "vendor")),
    CapSpec(S, 0x0D, "SSVID", "Bridge Subsystem Vendor ID", "PCI-to-PCI Bridge 1.2; PCIe 6.3 §7.9.23",
            "fixed 8 bytes: Subsystem Vendor ID (+4), Subsystem ID (+6)",
            fixed(8), tables("standard", "SSVID_REGS"), 8, 8, aliases=("ssvid", "subsystem")),
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
)
