"""Virtual capability templates: what a VMM synthesizes, byte for byte.

A request is written `NAME[:SIZE][@OFFSET]` (docs/spec/cli.md): `pasid`, `ats@0xf00`,
`vsec:0x40`, `0x1f:16` (a raw extended ID with a size), `std:vndr:8@0xd4`. Each template
names its register and field values and builds the bytes with the registry's construct
structure for that ID (`core.registry.decode.encode`, the same tables the decoder reads), its
next pointer left 0; linking is synthesis's job. tests/test_one_decoder.py holds the bytes
QEMU writes for each, modelled from QEMU's source.
"""

from __future__ import annotations

from ..numbers import parse_number, parse_offset
from ..record import record
from ..registry import Space, lookup
from ..registry.decode import encode, encode_table
from ..registry.model import bits, reg
from ..space import DumpError

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

E, S = Space.EXTENDED, Space.STANDARD
RAW_MAX_SIZE = 0xF00  # the extended space, 0x100-0xfff
PASID_WIDTH = 20  # QEMU passes the host IOMMU's width; 20 is the PCIe maximum
PRI_CAPACITY = 32  # Outstanding Page Request Capacity we model (QEMU's callers choose it)
EXT_VERSION = 1  # PCI_PASID_VER, PCI_PRI_VER, pcie_ats_init's 0x1: every template is version 1
VMD_SHADOW_LEN, VMD_SHADOW_VER, VMD_SHADOW_SIG = 24, 1, 0x53484457  # "SHDW" as QEMU writes it
GPUDIRECT_LEN = 8

# The bodies of QEMU's two vendor capabilities, inside the registry's `vendor_data` (offsets
# relative to it, i.e. to capability +3), from the layout comments of hw/vfio/pci-quirks.c.
GPUDIRECT_DATA = (
    reg(0x00, 3, "signature", "'P2P'"),
    reg(0x03, 2, "clique", "NVIDIA GPUDirect P2P clique",
        bits(2, 0, "version", "Version (0)"),
        bits(6, 3, "clique_id", "Clique ID (x-nv-gpudirect-clique)")),
)
VMD_DATA = (
    reg(0x00, 1, "version", "VMD shadow capability version (1)"),
    reg(0x01, 4, "signature", "0x53484457, 'SHDW'"),
    reg(0x05, 16, "membar_shadow", "MEMBAR1/2 host physical addresses (BAR2..BAR5 of the device)"),
)


def _cap(space: Space, cap_id: int, size: int, values: dict[str, Any]) -> bytes:
    """The capability's bytes: the registry's structure for (space, ID) built from
    register/field values; whatever is not named is 0."""
    return encode(lookup(space, cap_id), values, size)


def _ext(cap_id: int, size: int, **values: Any) -> bytes:
    return _cap(E, cap_id, size, {"header": {"id": cap_id, "version": EXT_VERSION, "next": 0}, **values})


def _pasid(size: int) -> bytes:
    # pcie_pasid_common_init(): cap = width << 8 (exec, priv off), control 0
    return _ext(0x1B, size, pasid_cap={"max_pasid_width": PASID_WIDTH}, pasid_control={})


def _pri(size: int) -> bytes:
    # pcie_pri_init(outstanding 32, no PASID in responses): status Stopped, control 0
    return _ext(0x13, size, pri_control={}, pri_status={"stopped": 1},
                outstanding_capacity=PRI_CAPACITY, outstanding_allocation=0)


def _ats(size: int) -> bytes:
    # pcie_ats_init(aligned): invalidate queue depth 0 (means 32), page aligned requests
    return _ext(0x0F, size, ats_cap={"page_aligned_request": 1}, ats_control={})


def _ltr(size: int) -> bytes:
    return _ext(0x18, size, max_snoop_latency={}, max_no_snoop_latency={})


def _vsec(size: int) -> bytes:
    return _ext(0x0B, size, vsec_header={"vsec_id": 0, "vsec_rev": 1, "vsec_length": size})


def _dvsec(size: int) -> bytes:
    return _ext(0x23, size, dvsec_header1={"dvsec_vendor_id": 0xFFFF, "dvsec_revision": 0,
                                           "dvsec_length": size}, dvsec_id=0)


def _vndr(size: int, data: bytes | None = None) -> bytes:
    values: dict[str, Any] = {"cap_id": 0x09, "next": 0, "length": size}
    if data is not None:
        values["vendor_data"] = data
    return _cap(S, 0x09, size, values)


def _std_vndr(size: int) -> bytes:
    return _vndr(size)


def _gpudirect(size: int) -> bytes:
    # vfio_add_nv_gpudirect_cap(): length 8, "P2P", clique ID << 3, 0
    data = encode_table(GPUDIRECT_DATA, {"signature": b"P2P", "clique": {"clique_id": 0}},
                        GPUDIRECT_LEN - 3)
    return _vndr(GPUDIRECT_LEN, data)


def _vmd(size: int) -> bytes:
    # vfio_add_vmd_shadow_cap(): length 24, version 1, "SHDW", 16 bytes of MEMBAR shadow
    data = encode_table(VMD_DATA, {"version": VMD_SHADOW_VER, "signature": VMD_SHADOW_SIG,
                                   "membar_shadow": bytes(16)}, VMD_SHADOW_LEN - 3)
    return _vndr(VMD_SHADOW_LEN, data)


@record
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


@record
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
        return _ext(self.cap_id, self.size)

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
