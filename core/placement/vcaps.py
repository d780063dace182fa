"""Virtual capability templates: what a VMM synthesizes, byte for byte.

A request is written `NAME[:SIZE][@OFFSET]` (../shared/spec/cli.md): `pasid`, `ats@0xf00`,
`vsec:0x40`, `0x1f:16` (a raw extended ID with a size), `std:vndr:8@0xd4`. Each template
builds the capability's bytes with its next pointer left 0; linking is synthesis's job.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable

from ..registry import Space
from ..numbers import parse_number, parse_offset
from ..space import DumpError

E, S = Space.EXTENDED, Space.STANDARD
RAW_MAX_SIZE = 0xF00  # the extended space, 0x100-0xfff
PASID_WIDTH = 20  # QEMU passes the host IOMMU's width; 20 is the PCIe maximum


def _ext_header(cap_id: int, version: int = 1) -> bytes:
    return struct.pack("<I", cap_id | version << 16)


def _pasid(size: int) -> bytes:
    # pcie_pasid_common_init(): cap = width << 8 (| exec 0x2 | priv 0x4), control 0
    return _ext_header(0x1B) + struct.pack("<HH", PASID_WIDTH << 8, 0)


def _pri(size: int) -> bytes:
    # pcie_pri_init(): status Stopped (bit 8), outstanding page request capacity
    return _ext_header(0x13) + struct.pack("<HHII", 0, 0x0100, 32, 0)


def _ats(size: int) -> bytes:
    # pcie_ats_init(): invalidate queue depth 0 (32), page aligned requests (bit 5)
    return _ext_header(0x0F) + struct.pack("<HH", 0x0020, 0)


def _ltr(size: int) -> bytes:
    return _ext_header(0x18) + bytes(4)


def _vsec(size: int) -> bytes:
    return _ext_header(0x0B) + struct.pack("<I", 1 << 16 | size << 20) + bytes(size - 8)


def _dvsec(size: int) -> bytes:
    return (_ext_header(0x23) + struct.pack("<IH", 0xFFFF | size << 20, 0) + bytes(size - 10))


def _std_vndr(size: int) -> bytes:
    return bytes([0x09, 0, size]) + bytes(size - 3)


def _gpudirect(size: int) -> bytes:
    # vfio_add_nv_gpudirect_cap(): length 8, "P2P", clique ID << 3, 0
    return bytes([0x09, 0, 8]) + b"P2P" + bytes([0, 0])


def _vmd(size: int) -> bytes:
    # vfio_add_vmd_shadow_cap(): length 24, version 1, "SHDW", 16 bytes of MEMBAR shadow
    return bytes([0x09, 0, 24, 1]) + struct.pack("<I", 0x53484457) + bytes(16)


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    space: Space
    cap_id: int
    size: int  # default size
    min_size: int
    max_size: int
    build: Callable[[int], bytes]
    doc: str
    default_offsets: tuple[int, ...] = ()  # where the VMM puts it by default
    qemu_property: str | None = None  # the QEMU property that sets its offset

    @property
    def fixed(self) -> bool:
        return self.min_size == self.max_size


TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("pasid", E, 0x1B, 8, 8, 8, _pasid,
             "PASID as QEMU 11 synthesizes it (width 20, no exec/priv, control writable)",
             (0xFF8,), "x-vpasid-cap-offset"),
    Template("pri", E, 0x13, 16, 16, 16, _pri, "Page Request Interface (stopped, capacity 32)"),
    Template("ats", E, 0x0F, 8, 8, 8, _ats, "Address Translation Services (page aligned)"),
    Template("ltr", E, 0x18, 8, 8, 8, _ltr, "Latency Tolerance Reporting (latencies 0)"),
    Template("vsec", E, 0x0B, 0x10, 8, 0xF00, _vsec, "Vendor-Specific Extended Capability of SIZE bytes"),
    Template("dvsec", E, 0x23, 0x10, 0x0C, 0xF00, _dvsec, "Designated VSEC of SIZE bytes (vendor 0xffff)"),
    Template("std:vndr", S, 0x09, 8, 4, 0xC0, _std_vndr, "standard vendor capability of SIZE bytes"),
    Template("std:gpudirect", S, 0x09, 8, 8, 8, _gpudirect,
             "QEMU's NVIDIA GPUDirect clique capability (x-nv-gpudirect-clique)", (0xC8, 0xD4)),
    Template("std:vmd", S, 0x09, 24, 24, 24, _vmd, "QEMU's Intel VMD MEMBAR shadow capability", (0xE8,)),
)}


@dataclass(frozen=True, slots=True)
class VcapRequest:
    """One virtual capability to place: a template (or raw ID), its size, maybe an offset."""

    text: str
    name: str  # template name, or "0x001f" for a raw ID
    space: Space
    cap_id: int
    size: int
    offset: int | None  # None: auto
    template: Template | None

    def bytes(self) -> bytes:
        if self.template is not None:
            return self.template.build(self.size)
        return _ext_header(self.cap_id) + bytes(self.size - 4)

    @property
    def qemu_property(self) -> str | None:
        return self.template.qemu_property if self.template else None

    @property
    def default_offsets(self) -> tuple[int, ...]:
        if self.template and self.template.default_offsets:
            return self.template.default_offsets
        return (0x1000 - self.size,) if self.space is E else ()


def parse_vcap(text: str, source: str = "--add") -> VcapRequest:
    """`NAME[:SIZE][@OFFSET]` -> a request; a bad one is a DumpError (exit 2) whose place is
    the option as typed (`--add pasid@0x1000: offset outside 0x000-0xfff`). Offsets and sizes
    are parsed by `core.numbers` (hex, or decimal with 0d). An offset inside the space that is
    misaligned or runs past the end is the validator's business, not a usage error."""
    where = f"{source} {text.strip()}" if source.startswith("-") else source

    def refuse(what: str) -> DumpError:
        return DumpError(where, what)

    body, at, off_text = text.strip().partition("@")
    offset: int | None = None
    if at and not off_text.strip():
        raise refuse("no offset after '@' (give one like 0xff8, or auto)")
    if at and off_text.strip().lower() != "auto":
        try:
            offset = parse_offset(off_text)
        except ValueError as exc:
            raise refuse(str(exc) if str(exc).startswith("offset") else f"offset {exc}") from None
    prefix = ""
    if body.lower().startswith("std:"):
        prefix, body = "std:", body[4:]
    name, colon, size_text = body.partition(":")
    name = prefix + name.strip().lower()
    size: int | None = None
    if colon:
        try:
            size = parse_number(size_text)
        except ValueError as exc:
            raise refuse(f"size {exc}") from None
    template = TEMPLATES.get(name)
    if template is None:
        try:
            raw_id = parse_number(name[2:]) if name.startswith("0x") else None
        except ValueError:
            raw_id = None
        if raw_id is None or not 0 < raw_id <= 0xFFFF:
            names = ", ".join(TEMPLATES)
            raise refuse(f"unknown virtual capability {name!r} (one of {names}, or 0xID:SIZE "
                         "for a raw extended ID)")
        if size is None:
            raise refuse(f"a raw ID needs a size, like {name}:10 (hex bytes)")
        if size < 4 or size % 4 or size > RAW_MAX_SIZE:
            raise refuse(f"size {size:#x} must be a multiple of 4 in 0x4..{RAW_MAX_SIZE:#x} "
                         "(it must fit the extended space)")
        return VcapRequest(text, f"{raw_id:#06x}", E, raw_id, size, offset, None)
    if size is None:
        size = template.size
    if not template.min_size <= size <= template.max_size:
        raise refuse(f"{template.name} is {template.min_size:#x}"
                     + ("" if template.fixed else f"..{template.max_size:#x}") + " bytes"
                     + ("" if size < template.max_size else
                        f", so {size:#x} does not fit in the {template.space.value} space"))
    return VcapRequest(text, template.name, template.space, template.cap_id, size, offset, template)
