"""Small builders shared by tests: config spaces and capability contexts from bytes."""

from __future__ import annotations

import struct

from capslot.core.registry.model import CapContext, PcieInfo, Space


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


class SpyContext(CapContext):
    """A capability context that records every relative offset a rule reads (in `reads`).

    Used to prove that size rules and register walks stay inside their limits on hostile bytes.
    """

    reads: list[int] = []

    def u8(self, rel: int) -> int:
        SpyContext.reads.append(rel)
        return super().u8(rel)

    def u32(self, rel: int) -> int:
        SpyContext.reads.extend((rel, rel + 3))
        return super().u32(rel)


def spy_context(data: bytes, offset: int, space: Space, header_type: int = 0) -> SpyContext:
    """A fresh SpyContext over `data`; `SpyContext.reads` starts empty."""
    SpyContext.reads = []
    return SpyContext(bytes(data), offset, space, header_type, None)


def ext_header(cap_id: int, version: int = 1, next_ptr: int = 0) -> bytes:
    return struct.pack("<I", cap_id | version << 16 | next_ptr << 20)


def dw(*values: int) -> bytes:
    """Little-endian DWORDs."""
    return struct.pack(f"<{len(values)}I", *values)


# ---------------------------------------------------------------- whole config spaces

def std_cap(cap_id: int, next_ptr: int, body: bytes = b"") -> bytes:
    """A standard capability: ID, next, then its registers from +2."""
    return bytes([cap_id, next_ptr]) + body


def pcie_cap(next_ptr: int = 0, port_type: int = 0, width: int = 1, version: int = 2,
             slot: bool = False) -> bytes:
    """A PCI Express capability with Link Capabilities saying x`width`."""
    flags = version | port_type << 4 | (0x100 if slot else 0)
    body = bytearray(0x3A)
    body[0:2] = flags.to_bytes(2, "little")
    body[0x0A:0x0E] = (width << 4 | 1).to_bytes(4, "little")  # LnkCap at cap+0x0C
    return std_cap(0x10, next_ptr, bytes(body))


def config_space(std: dict[int, bytes] | None = None, ext: dict[int, bytes] | None = None,
                 cap_ptr: int | None = None, size: int = 4096, header_type: int = 0,
                 vendor: int = 0x8086, device: int = 0x1234) -> bytes:
    """A config space with the given structures written at their offsets.

    The capabilities pointer defaults to the lowest standard offset; Status.CapList is set
    when there is a pointer.
    """
    data = bytearray(4096)
    data[0:4] = struct.pack("<HH", vendor, device)
    data[0x0E] = header_type
    std = std or {}
    if cap_ptr is None and std:
        cap_ptr = min(std)
    if cap_ptr:
        data[0x06] = 0x10
        data[0x14 if header_type == 2 else 0x34] = cap_ptr
    for where in (std, ext or {}):
        for off, blob in where.items():
            data[off:off + len(blob)] = blob
    return bytes(data[:size])


def load_bytes(raw: bytes, name: str = "test.bin"):
    """The ConfigSpace capslot reads from a raw binary dump."""
    from capslot.core.space import ConfigSpace, Provenance

    return ConfigSpace.from_prefix(raw, Provenance(name, "binary"))


def target_for(cs, view_name: str = "guest", profile: str = "upstream", qemu=None, table=None,
               ranges: tuple[tuple[int, int], ...] = (), hardware=None, access: bool = True):
    """The ground placements are validated on, as `core.plan.Plan.ground` builds it (the one
    place that does), for tests that exercise the placement pieces directly. `hardware`: the
    layout when the caller has built it already; `access=False`: no per-byte access classes."""
    from capslot.core.plan import Plan
    from capslot.core.target import TargetSpec
    from capslot.core.views import QemuOptions

    target = TargetSpec(view_name, profile, qemu=qemu or QemuOptions())
    return Plan(cs, target, table=table, ranges=ranges, hardware_layout=hardware,
                access=access).ground
