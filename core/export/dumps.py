"""Writers of a (synthesized) config space: `lspci -xxxx` text that `lspci -F` decodes,
raw binary, and the `xxd`, `hexdump -C` and pcileech `.coe` layouts of bytes."""

from __future__ import annotations

from ..space import STD_SIZE, ConfigSpace
from ..text import printable


def lspci_text(cs: ConfigSpace) -> str:
    """`lspci -xxxx` layout: the device line, then 16 bytes a row (`00:` .. `ff0:`)."""
    p = cs.provenance
    line = p.device_line
    if not line:
        slot = p.slot or "0000:00:00.0"
        cls = cs.u8(0x0B) << 8 | cs.u8(0x0A)
        line = f"{slot} Class {cls:04x}: Device {cs.vendor_id or 0:04x}:{cs.device_id or 0:04x}"
    rows = [printable(line)]  # a device line from a stranger's dump: no ESC/OSC/BEL/CR out
    for start, end in cs.available:
        for off in range(start - start % 16, end, 16):
            label = f"{off:02x}" if off < STD_SIZE else f"{off:03x}"
            rows.append(f"{label}: " + " ".join(f"{b:02x}" for b in cs.data[off:off + 16]))
    return "\n".join(rows) + "\n"


def binary(cs: ConfigSpace) -> bytes:
    """The captured bytes (a prefix: 64, 256 or 4096 bytes, like a sysfs config file)."""
    end = cs.available[-1][1] if cs.available else 0
    return cs.data[:end]


def xxd_text(data: bytes) -> str:
    """`xxd` layout: 8-digit offset, 16 bytes in 2-byte groups, then the characters."""
    rows = []
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        groups = " ".join(chunk[i:i + 2].hex() for i in range(0, len(chunk), 2))
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append(f"{off:08x}: {groups:<39}  {text}")
    return "\n".join(rows) + "\n"


def hexdump_text(data: bytes) -> str:
    """`hexdump -C` layout, with `*` for repeated rows and the final offset line."""
    rows, last, starred = [], None, False
    for off in range(0, len(data), 16):
        chunk = data[off:off + 16]
        if chunk == last and off + 16 < len(data):
            if not starred:
                rows.append("*")
                starred = True
            continue
        last, starred = chunk, False
        left = " ".join(f"{b:02x}" for b in chunk[:8])
        right = " ".join(f"{b:02x}" for b in chunk[8:])
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        rows.append(f"{off:08x}  {left:<23}  {right:<23}  |{text}|")
    rows.append(f"{len(data):08x}")
    return "\n".join(rows) + "\n"


def coe_text(data: bytes) -> str:
    """pcileech `.coe`: a comment per 0x100 bytes, four 8-digit words a line, `;` last."""
    lines = ["memory_initialization_radix=16;", "memory_initialization_vector="]
    for base in range(0, len(data), 16):
        if base % 0x100 == 0:
            lines += ["", f"; {base:04X}"]
        lines.append(",".join(data[i:i + 4].hex() for i in range(base, min(base + 16, len(data)), 4)) + ",")
    return "\n".join(lines + [";", ""])
