"""What one byte is: which structure, register and field own it in a view, what the field
means, and what vfio-pci and the chosen VMM do with reads and writes there."""

from __future__ import annotations

from .layout import Kind, Layout
from .record import record
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


@record(slots=False)
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
    qemu: str | None  # what QEMU does (guest view for QEMU only; kept for explain --json)
    vmm: str | None = None  # the VMM the guest view is for (guest view only)
    vmm_note: str | None = None  # what that VMM does with reads and writes here (its model)
    vmm_reads: str | None = None  # passed through | emulated | hidden (core.views.vmms)
    vmm_writes: str | None = None  # forwarded | dropped | None (its source does not say)


def explain(layout: Layout, offset: int, vmm: str = "qemu") -> ByteFacts:
    """The byte at `offset` of `layout`; in a guest view, as the VMM `vmm` handles it."""
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
    vfio = None
    if layout.access:
        vfio = ACCESS_TEXT[Access(layout.access[offset])]
    if layout.view != "guest":
        return ByteFacts(offset, value, r.kind.value, owner, register, register_doc, fields,
                         visibility, reason or None, vfio, None)
    from .views.vmms import byte_handling

    h = byte_handling(layout, offset, vmm)
    return ByteFacts(offset, value, r.kind.value, owner, register, register_doc, fields,
                     visibility, reason or None, vfio, h.text if vmm == "qemu" else None,
                     vmm, h.text, h.reads, h.writes)

