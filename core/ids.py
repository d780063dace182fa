"""Capability IDs and extended-header fields that several modules use, named once
(include/uapi/linux/pci_regs.h names in comments). The registry is the knowledge of each ID;
these are the few the views, the walker and the placement code test for by number."""

from __future__ import annotations


# standard capabilities (PCI_CAP_ID_*)
CAP_ID_PM, CAP_ID_MSI, CAP_ID_PCIX, CAP_ID_VNDR = 0x01, 0x05, 0x07, 0x09
CAP_ID_EXP, CAP_ID_MSIX = 0x10, 0x11

# extended capabilities (PCI_EXT_CAP_ID_*)
EXT_NULL, EXT_AER, EXT_VSEC, EXT_CAC = 0x00, 0x01, 0x0B, 0x0C
EXT_ARI, EXT_ATS, EXT_SRIOV, EXT_PRI = 0x0E, 0x0F, 0x10, 0x13
EXT_REBAR, EXT_PASID, EXT_DVSEC, EXT_VF_REBAR = 0x15, 0x1B, 0x23, 0x24

# a standard capability header: ID in its first byte, next pointer in its second (bits 1:0
# reserved: pointers are DWORD aligned, as the PCI core reads them)
STD_NEXT_MASK = 0xFC
# the extended capability header: ID 15:0, version 19:16, next 31:20 (bits 21:20 reserved)
EXT_NEXT_MASK = 0xFFC  # PCI_EXT_CAP_NEXT(): next pointers are DWORD aligned
EXT_NEXT_FIELD = 0xFFF  # the whole 12-bit field, as a reader that does not align it sees it
EXT_NEXT_SHIFT = 20
EXT_KEEP_ID_VERSION = 0x000FFFFF


def std_next(byte: int) -> int:
    """A standard capability's next pointer byte, aligned (`& ~3`, as the PCI core reads it)."""
    return byte & STD_NEXT_MASK


def ext_next_field(header: int) -> int:
    """Bits 31:20 of an extended header as read, reserved bits 21:20 included."""
    return header >> EXT_NEXT_SHIFT


def ext_next(header: int) -> int:
    """PCI_EXT_CAP_NEXT(header)."""
    return ext_next_field(header) & EXT_NEXT_MASK


def set_ext_next(data: bytearray, pos: int, nxt: int) -> None:
    """Rewrite the next pointer of the extended header at `pos` (ID and version kept): what
    vfio-pci does to unlink, QEMU to rebuild its chain, and synthesis to link a new one."""
    import struct  # (the walk reads without it: an extension module fewer at start-up)

    header = struct.unpack_from("<I", data, pos)[0]
    struct.pack_into("<I", data, pos, (header & EXT_KEEP_ID_VERSION) | (nxt & EXT_NEXT_MASK) << EXT_NEXT_SHIFT)
