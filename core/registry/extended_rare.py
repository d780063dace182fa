"""The extended capabilities below 0x0020 seldom met on today's devices (Root Complex link
and RCRB structures, MFVC and its VC, CAC, MR-IOV, Multicast, DPA, PMUX, LN Requester, the
AMD-reserved ID): their entries and size rules, in a module of their own so that a walk that
meets none never loads them. The registry loads it the first time one of these IDs is
looked up (or every entry is asked for). Sources and rules as in extended.py.
"""

from __future__ import annotations

from .extended import MFVC_TABLE, VC_MAX, VC_MIN, VC_NOTES, VC_TABLE, _entries, _room, _vc_size, _vc_size_text
from .model import ROOT_PORT, SWITCH_PORTS, CapContext, CapSpec, Certainty, Size, Space, dword_round, fixed, tables, unknown_size

E = Space.EXTENDED
EXACT, MINIMUM = Certainty.EXACT, Certainty.MINIMUM

# ------------------------------------------------------------------ 0x0005 RC Link Declaration

RCLINK_FIRST = 0x10  # first Link Entry
RCLINK_ENTRY = 0x10  # Link Description, reserved DWORD, 64-bit Link Address
RCLINK_MAX = 0xFF0


def _rclink_count(ctx: CapContext) -> int:
    return ctx.u32(4) >> 8 & 0xFF


def _rclink_size(ctx: CapContext) -> Size:
    count = _rclink_count(ctx)
    end = RCLINK_FIRST + RCLINK_ENTRY * count
    room = min(_room(ctx, RCLINK_FIRST), RCLINK_MAX)
    if end > room:
        return Size(room, MINIMUM, f"{count} link entries would reach {end:#x}, past the end of "
                                   "config space: cut there")
    return Size(end, EXACT, f"{_entries(count)} of 16 bytes")


# ------------------------------------------------------------------ 0x0006 RC Internal Link Control

# ------------------------------------------------------------------ 0x0007 RCEC Endpoint Association

RCEC_BUSN_VERSION = 2  # PCI_RCEC_BUSN_REG_VER: the Associated Bus Numbers register appears


def _rcec_size(ctx: CapContext) -> Size:
    version = ctx.version
    if version >= RCEC_BUSN_VERSION:
        return Size(0x0C, EXACT, f"version {version}: bitmap and Associated Bus Numbers")
    if version == 1:
        return Size(0x08, EXACT, "version 1: Association Bitmap only")
    return Size(0x08, MINIMUM, "version 0 is not defined: at least the Association Bitmap")


# ------------------------------------------------------------------ 0x000A RCRB Header

# ------------------------------------------------------------------ 0x000C CAC

# ------------------------------------------------------------------ 0x0012 Multicast

MCAST_ENDPOINT_SIZE, MCAST_PORT_SIZE = 0x28, 0x30
MCAST_ENDPOINTS = (0x0, 0x1, 0x9)  # Endpoint, Legacy Endpoint, RCiEP: no MC_Overlay_BAR
MCAST_PORTS = (ROOT_PORT, *SWITCH_PORTS)  # these add MC_Overlay_BAR at +0x28


def _mcast_size(ctx: CapContext) -> Size:
    if ctx.pcie is None:
        return Size(MCAST_ENDPOINT_SIZE, MINIMUM, "no PCI Express capability: port type unknown")
    port = ctx.pcie.port_type
    if port in MCAST_PORTS:
        return Size(MCAST_PORT_SIZE, EXACT, "root/switch port: MC_Overlay_BAR at +0x28")
    if port in MCAST_ENDPOINTS:
        return Size(MCAST_ENDPOINT_SIZE, EXACT, "endpoint: no MC_Overlay_BAR")
    return Size(MCAST_ENDPOINT_SIZE, MINIMUM,
                f"port type {port:#x} is not one Multicast is defined for: at least the endpoint layout")


# ------------------------------------------------------------------ 0x0016 DPA

DPA_BASE = 0x10  # Capability, Latency Indicator, Status, Control; then the array


def _dpa_substates(ctx: CapContext) -> int:
    return (ctx.u32(4) & 0x1F) + 1  # Substate_Max + 1


def _dpa_size(ctx: CapContext) -> Size:
    count = _dpa_substates(ctx)
    return Size(dword_round(DPA_BASE + count), EXACT,
                f"{count} substate(s): 1 byte of Power Allocation Array each, DWORD-rounded")


# ------------------------------------------------------------------ 0x001A PMUX

PMUX_BASE = 0x10  # Capability, Control, Status; then the Protocol Array
PMUX_SPEC_ENTRIES = 15  # PCIe 6.3 G.5.5: array at offsets 10h through 48h
PMUX_MAX = PMUX_BASE + 4 * PMUX_SPEC_ENTRIES


def _pmux_entries(ctx: CapContext) -> int:
    return ctx.u32(4) & 0x3F  # PMUX Protocol Array Size


def _pmux_size(ctx: CapContext) -> Size:
    count = _pmux_entries(ctx)
    if count > PMUX_SPEC_ENTRIES:
        return Size(PMUX_MAX, MINIMUM, f"Protocol Array Size {count} exceeds the spec's 15 "
                                       "entries: at least those 15")
    return Size(PMUX_BASE + 4 * count, EXACT, f"{_entries(count)} of 4 bytes in the Protocol Array")


# ------------------------------------------------------------------ 0x001C LN Requester

ENTRIES: tuple[CapSpec, ...] = (
    CapSpec(E, 0x0005, "RCLINK", "Root Complex Link Declaration", "PCIe 6.3 §7.9.8",
            "0x10 + 0x10 per link entry (Number of Link Entries, +4 bits 15:8), cut at the end "
            "of config space", _rclink_size, tables("extended", "_rclink_layout"), RCLINK_FIRST, RCLINK_MAX,
            notes="pydiskcmd uses a fixed 28 bytes; pciutils and pcics use 16-byte link entries "
                  "from +0x10 (followed here).", aliases=("rclink", "rcld")),
    CapSpec(E, 0x0006, "RCILINK", "Root Complex Internal Link Control", "PCIe 6.3 §7.9.9",
            "fixed 12 bytes: Link Capabilities, Control, Status", fixed(0x0C), tables("extended", "RCILINK_REGS"),
            0x0C, 0x0C, aliases=("rcilink", "rcilc")),
    CapSpec(E, 0x0007, "RCEC", "Root Complex Event Collector Endpoint Association",
            "PCIe 6.3 §7.9.10",
            "by Capability Version (header bits 19:16): 8 bytes for version 1, 12 for version 2+ "
            "(RCEC Associated Bus Numbers at +8)", _rcec_size, tables("extended", "_rcec_layout"), 0x08, 0x0C,
            aliases=("rcec", "rcec-ea")),
    CapSpec(E, 0x0008, "MFVC", "Multi-Function Virtual Channel", "PCIe 6.3 §7.9.2",
            _vc_size_text(MFVC_TABLE),
            _vc_size, tables("extended", "MFVC_LAYOUT"), VC_MIN, VC_MAX,
            notes="Same rule as VC with Function Arbitration Tables. NVIDIA nvpcie.h uses 0x18 + "
                  "0x10 per extended VC; the spec's 0x10 + 0x0C per VC is followed here.",
            aliases=("mfvc",)),
    CapSpec(E, 0x0009, "VC2", "Virtual Channel (used when MFVC is present)", "PCIe 6.3 §7.9.1",
            _vc_size_text(VC_TABLE), _vc_size, tables("extended", "VC_LAYOUT"), VC_MIN, VC_MAX, notes=VC_NOTES,
            aliases=("vc2", "vc9")),
    CapSpec(E, 0x000A, "RCRB", "RCRB Header", "PCIe 6.3 §7.9.7",
            "fixed 20 bytes: IDs, RCRB Capabilities, RCRB Control and a reserved DWORD",
            fixed(0x14), tables("extended", "RCRB_REGS"), 0x14, 0x14,
            notes="The named registers end at 0x10; pcics, NVIDIA and pydiskcmd count the "
                  "reserved DWORD at 0x10 too (0x14, followed here).", aliases=("rcrb",)),
    CapSpec(E, 0x000C, "CAC", "Configuration Access Correlation (obsolete)",
            "Trusted Configuration Space for PCIe ECN (obsolete)",
            "fixed 8 bytes: Device Correlation at +4", fixed(8), tables("extended", "CAC_REGS"), 8, 8,
            notes="Only pcics gives a layout; Linux names the ID obsolete.", aliases=("cac",)),
    CapSpec(E, 0x0011, "MRIOV", "Multi-Root I/O Virtualization", "MR-IOV 1.0 (not public)",
            "unknown: the layout is in the non-public MR-IOV spec", unknown_size(4), (), 4, 0,
            aliases=("mriov", "mr-iov")),
    CapSpec(E, 0x0012, "MCAST", "Multicast", "PCIe 6.3 §7.9.11",
            "0x30 for root and switch ports (MC_Overlay_BAR at +0x28); 0x28 for endpoints and "
            "RCiEPs (PCI Express capability port type)", _mcast_size, tables("extended", "_mcast_layout"),
            MCAST_ENDPOINT_SIZE, MCAST_PORT_SIZE,
            notes="vfio exposes 0x28 (the endpoint layout) for every function; pciutils reads "
                  "0x34 (4 bytes too many).", aliases=("mcast", "multicast")),
    CapSpec(E, 0x0014, "AMD", "Reserved for AMD", "PCI Code and ID Assignment (reserved ID)",
            "unknown: reserved ID, no public layout", unknown_size(4), (), 4, 0,
            aliases=("amd",)),
    CapSpec(E, 0x0016, "DPA", "Dynamic Power Allocation", "PCIe 6.3 §7.9.12",
            "0x10 + (Substate_Max + 1) bytes of Power Allocation Array, Substate_Max = +4 bits "
            "4:0, DWORD-rounded: 0x14..0x30", _dpa_size, tables("extended", "_dpa_layout"), 0x14, 0x30,
            notes="vfio uses the unrounded 0x10 + Substate_Max + 1 (e.g. 0x11); the "
                  "DWORD-rounded length is used here.", aliases=("dpa",)),
    CapSpec(E, 0x001A, "PMUX", "Protocol Multiplexing", "PCIe 6.3 Appendix G.5",
            "0x10 + 4 * PMUX Protocol Array Size (+4 bits 5:0); the spec maps at most 15 "
            "entries (0x10-0x48): up to 0x4C", _pmux_size, tables("extended", "_pmux_layout"), PMUX_BASE, PMUX_MAX,
            notes="The spec's register map ends the array at 0x48 (15 entries); pydiskcmd "
                  "allows the 6-bit field's 63 entries (0x10C). Above 15 we report the 0x4C "
                  "minimum.", aliases=("pmux",)),
    CapSpec(E, 0x001C, "LNR", "LN Requester", "PCIe 3.1 (Lightweight Notification ECN)",
            "fixed 8 bytes: LNR Capability (+4) and Control (+6)", fixed(8), tables("extended", "LNR_REGS"), 8, 8,
            aliases=("lnr", "ln")),
)
