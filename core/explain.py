"""What one byte is: which structure, register and field own it in a view, what the field
means, and what vfio-pci and QEMU do with reads and writes there."""

from __future__ import annotations

from dataclasses import dataclass

from .layout import Kind, Layout
from .registry import Space
from .registry.decode import decode_at
from .views import Access

# Standard config header registers (type 0 layout; bridges differ from 0x10 on).
HEADER_REGS: tuple[tuple[int, int, str, str], ...] = (
    (0x00, 2, "vendor_id", "Vendor ID"), (0x02, 2, "device_id", "Device ID"),
    (0x04, 2, "command", "Command: I/O, memory, bus master enables, INTx disable"),
    (0x06, 2, "status", "Status: Capabilities List (bit 4), error bits"),
    (0x08, 1, "revision", "Revision ID"), (0x09, 3, "class", "Class code (prog-if, subclass, base)"),
    (0x0C, 1, "cache_line", "Cache Line Size"), (0x0D, 1, "latency", "Latency Timer"),
    (0x0E, 1, "header_type", "Header Type (bit 7: multi-function)"), (0x0F, 1, "bist", "BIST"),
    (0x10, 24, "bars", "Base Address Registers 0-5 (type 0); bus numbers and windows (type 1)"),
    (0x28, 4, "cardbus_cis", "CardBus CIS pointer"),
    (0x2C, 4, "subsystem", "Subsystem vendor and device ID"),
    (0x30, 4, "rom", "Expansion ROM base address"),
    (0x34, 1, "cap_ptr", "Capabilities Pointer: offset of the first standard capability"),
    (0x35, 7, "reserved", "Reserved"),
    (0x3C, 1, "int_line", "Interrupt Line"), (0x3D, 1, "int_pin", "Interrupt Pin"),
    (0x3E, 2, "min_gnt_max_lat", "Min Grant / Max Latency (bridge control on type 1)"),
)

ACCESS_TEXT = {
    Access.VIRTUALIZED: "vfio-pci serves it from its virtual copy: reads and writes stay in the kernel",
    Access.READ_ONLY: "vfio-pci reads it from the device and drops writes",
    Access.WRITABLE: "vfio-pci passes writes to the defined bits on to the device",
    Access.RAW: "vfio-pci passes reads and writes straight to the device (no capability maps it)",
}


@dataclass(frozen=True)
class ByteFacts:
    offset: int
    value: int | None  # None: not in the dump
    kind: str  # the region kind
    owner: str  # "PCI Express @0x040", "config header", "zero gap", ...
    register: str | None  # register name (and offset within its owner)
    register_doc: str | None
    fields: tuple[tuple[str, str, str, int], ...]  # (name, bits, doc, value)
    visibility: str | None
    reason: str | None  # why the view hides or drops the owner
    vfio: str | None  # what vfio-pci does with accesses here (views only)
    qemu: str | None  # what QEMU does (guest view only)


def explain(layout: Layout, offset: int) -> ByteFacts:
    cs = layout.space
    r = layout.region_at(offset)
    value = cs.data[offset] if cs.has(offset) else None
    register = register_doc = None
    fields: tuple = ()
    visibility = reason = None
    owner = r.kind.value.replace("_", " ")
    if r.capability is not None:
        cap = layout.capabilities[r.capability]
        visibility = layout.visibility(r.capability)
        reason = layout.cap_views[r.capability].reason if layout.cap_views else None
        owner = f"{cap.name} @{cap.offset:#05x}"
        if r.kind is Kind.UNKNOWN_TAIL:
            owner += " (unknown-size tail: beyond what the rules can size)"
        else:
            ctx = cap.context(cs, layout.pcie)
            reg, values = decode_at(cap.spec, ctx, cap.size, offset - cap.offset)
            if reg is not None:
                register = f"{reg.name} (+{reg.offset:#04x}, {reg.width} bytes)"
                register_doc = reg.doc
                fields = tuple((v.name, v.bits, v.doc, v.value) for v in values)
    elif r.orphan is not None:
        o = layout.orphans[r.orphan]
        owner = f"orphan {o.name} @{o.offset:#05x} (no chain reaches it)"
    elif r.kind is Kind.HEADER:
        owner = "config header"
        for off, width, name, doc in HEADER_REGS:
            if off <= offset < off + width:
                register, register_doc = f"{name} (+{off:#04x}, {width} bytes)", doc
    vfio = qemu = None
    if layout.access:
        vfio = ACCESS_TEXT[Access(layout.access[offset])]
    if layout.view == "guest":
        qemu = _qemu_text(layout, offset, r.kind, visibility)
    return ByteFacts(offset, value, r.kind.value, owner, register, register_doc, fields,
                     visibility, reason or None, vfio, qemu)


def _qemu_text(layout: Layout, offset: int, kind: Kind, visibility: str | None) -> str:
    forwarded = "QEMU forwards every guest write to vfio-pci as well"
    if kind is Kind.VIRTUAL:
        return f"QEMU emulates this virtual capability's reads; {forwarded}, so the kernel decides"
    if visibility == "dropped":
        return "QEMU unlinked this capability; reads and writes still pass through to vfio-pci"
    cap = layout.capability_at(offset)
    if cap is not None and cap.space is Space.EXTENDED and offset - cap.offset < 4:
        return f"QEMU emulates this header's next pointer; {forwarded}"
    if cap is not None and cap.space is Space.STANDARD and offset - cap.offset == 1:
        return f"QEMU emulates the next pointer (it rebuilds the chain); {forwarded}"
    return f"QEMU passes reads through to vfio-pci; {forwarded}"
