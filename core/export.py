"""Writers for a (synthesized) config space: `lspci -xxxx` text that `lspci -F` decodes,
raw binary, the placement JSON and QEMU's property."""

from __future__ import annotations

from .space import STD_SIZE, ConfigSpace


def lspci_text(cs: ConfigSpace) -> str:
    """`lspci -xxxx` layout: the device line, then 16 bytes a row (`00:` .. `ff0:`)."""
    p = cs.provenance
    line = p.device_line
    if not line:
        slot = p.slot or "0000:00:00.0"
        cls = cs.u8(0x0B) << 8 | cs.u8(0x0A)
        line = f"{slot} Class {cls:04x}: Device {cs.vendor_id or 0:04x}:{cs.device_id or 0:04x}"
    rows = [line]
    for start, end in cs.available:
        for off in range(start - start % 16, end, 16):
            label = f"{off:02x}" if off < STD_SIZE else f"{off:03x}"
            rows.append(f"{label}: " + " ".join(f"{b:02x}" for b in cs.data[off:off + 16]))
    return "\n".join(rows) + "\n"


def binary(cs: ConfigSpace) -> bytes:
    """The captured bytes (a prefix: 64, 256 or 4096 bytes, like a sysfs config file)."""
    end = cs.available[-1][1] if cs.available else 0
    return cs.data[:end]
