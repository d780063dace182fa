"""Small builders shared by tests: config spaces and capability contexts from bytes."""

from __future__ import annotations

import struct

from core.registry.model import CapContext, PcieInfo, Space


def pcie(port_type: int = 0, width: int = 1, version: int = 2, slot: bool = False,
         flit: bool = False) -> PcieInfo:
    """PCI Express capability facts for size rules that depend on them."""
    return PcieInfo(offset=0x40, version=version, port_type=port_type, slot_implemented=slot,
                    max_link_width=width, flit_mode_supported=flit)


def ctx_for(body: bytes, space: Space = Space.EXTENDED, offset: int | None = None,
            pcie_info: PcieInfo | None = None, header_type: int = 0) -> CapContext:
    """A capability whose bytes (header included) are `body`, placed at `offset`."""
    if offset is None:
        offset = 0x100 if space is Space.EXTENDED else 0x40
    data = bytearray(4096)
    data[offset:offset + len(body)] = body
    return CapContext(bytes(data), offset, space, header_type, pcie_info)


def ext_header(cap_id: int, version: int = 1, next_ptr: int = 0) -> bytes:
    return struct.pack("<I", cap_id | version << 16 | next_ptr << 20)


def dw(*values: int) -> bytes:
    """Little-endian DWORDs."""
    return struct.pack(f"<{len(values)}I", *values)
