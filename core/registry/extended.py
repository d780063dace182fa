"""Extended (16-bit ID) capabilities of the PCIe 1.x-3.x era, IDs 0x0000-0x001F.

IDs 0x0020-0x003A are in extended_modern.py.

Sources are cited per entry; the rules and disagreements come from
docs/reference/capabilities.md (PCIe Base 6.3 register maps, Linux pci_regs.h,
pciutils ls-ecaps.c).
"""

from __future__ import annotations

from ..record import record
from collections.abc import Callable

from .extended_modern import rebar_spec
from .model import (
    RCEC, ROOT_PORT, SWITCH_PORTS, Bits, CapContext, CapSpec, Certainty, Reg, Size, Space,
    bit, bits, dword_round, fixed, lanes, reg, unknown_size,
)

E = Space.EXTENDED
EXACT, MINIMUM = Certainty.EXACT, Certainty.MINIMUM
CONFIG_SPACE_END = 0x1000  # extended config space ends here


def _room(ctx: CapContext, floor: int) -> int:
    """Bytes from the capability start to the end of config space (DWORD-floored),
    never below `floor` so that a misplaced capability still gets a sane size."""
    return max(floor, (CONFIG_SPACE_END - ctx.offset) & ~3)


def _entries(count: int) -> str:
    return f"{count} entr{'y' if count == 1 else 'ies'}"


# ------------------------------------------------------------------ 0x0001 AER

AER_COMMON_END = 0x2C  # after the Header Log (0x1C-0x2B)
AER_ROOT_END = 0x38  # Root Error Command/Status, Error Source ID (Root Ports, RCECs)
AER_PREFIX_END = 0x48  # TLP Prefix Log at 0x38-0x47
AER_FLIT_END = 0x60  # Flit mode: a logged TLP of up to 4 + 10 DWORDs (Linux PCIE_STD_MAX_TLP_HEADERLOG)


def _aer_root(ctx: CapContext) -> bool:
    return ctx.pcie is None or ctx.pcie.port_type in (ROOT_PORT, RCEC)


def _aer_size(ctx: CapContext) -> Size:
    """The TLP Prefix Log exists when the function supports End-End TLP Prefixes (Device
    Capabilities 2 bit 21). AER Capabilities and Control bit 11 (TLP Prefix Log Present)
    only says whether the logged TLP carried prefixes: a status bit, not the register."""
    pcie = ctx.pcie
    if pcie is None:
        return Size(AER_COMMON_END, Certainty.MINIMUM, "no PCI Express capability: port type "
                    "and End-End TLP Prefix support unknown", AER_FLIT_END)
    if pcie.flit_mode_supported:
        # PCIe 6.x: a Flit-mode TLP log may run past the prefix log, up to 0x60.
        return Size(AER_PREFIX_END, Certainty.MINIMUM, "Flit-mode capable: the TLP log may "
                    "reach 0x60", AER_FLIT_END)
    if pcie.e2e_tlp_prefix:
        return Size(AER_PREFIX_END, Certainty.EXACT, "End-End TLP Prefix Supported (Device "
                    "Capabilities 2 bit 21): TLP Prefix Log at 0x38-0x47")
    if pcie.port_type in (ROOT_PORT, RCEC):
        return Size(AER_ROOT_END, Certainty.EXACT, "root port / RCEC: Root Error registers")
    return Size(AER_COMMON_END, Certainty.EXACT, "not a root port, no End-End TLP Prefixes: "
                "ends after the Header Log")


AER_COMMON = (
    reg(0x04, 4, "uncor_status", "Uncorrectable Error Status (write 1 to clear)",
        bit(4, "dlp", "Data Link Protocol error"),
        bit(5, "sde", "Surprise Down error"),
        bit(12, "poisoned_tlp", "Poisoned TLP received"),
        bit(13, "fcp", "Flow Control Protocol error"),
        bit(14, "completion_timeout", "Completion timeout"),
        bit(15, "completer_abort", "Completer abort"),
        bit(16, "unexpected_completion", "Unexpected completion"),
        bit(17, "receiver_overflow", "Receiver overflow"),
        bit(18, "malformed_tlp", "Malformed TLP"),
        bit(19, "ecrc", "ECRC error"),
        bit(20, "unsupported_request", "Unsupported request"),
        bit(21, "acs_violation", "ACS violation")),
    reg(0x08, 4, "uncor_mask", "Uncorrectable Error Mask: 1 stops reporting that error"),
    reg(0x0C, 4, "uncor_severity", "Uncorrectable Error Severity: 1 fatal, 0 non-fatal"),
    reg(0x10, 4, "cor_status", "Correctable Error Status (write 1 to clear)",
        bit(0, "receiver_error", "Receiver error"),
        bit(6, "bad_tlp", "Bad TLP"),
        bit(7, "bad_dllp", "Bad DLLP"),
        bit(8, "replay_rollover", "REPLAY_NUM rollover"),
        bit(12, "replay_timeout", "Replay timer timeout"),
        bit(13, "advisory_nonfatal", "Advisory non-fatal error"),
        bit(14, "internal", "Corrected internal error"),
        bit(15, "header_log_overflow", "Header log overflow")),
    reg(0x14, 4, "cor_mask", "Correctable Error Mask"),
    reg(0x18, 4, "cap_control", "Advanced Error Capabilities and Control",
        bits(4, 0, "first_error_pointer", "Bit position of the first uncorrectable error logged"),
        bit(5, "ecrc_gen_capable", "ECRC generation capable"),
        bit(6, "ecrc_gen_enable", "ECRC generation enabled"),
        bit(7, "ecrc_check_capable", "ECRC check capable"),
        bit(8, "ecrc_check_enable", "ECRC check enabled"),
        bit(9, "multi_header_capable", "Multiple header recording capable"),
        bit(10, "multi_header_enable", "Multiple header recording enabled"),
        bit(11, "tlp_prefix_log_present", "TLP Prefix Log Present: the logged TLP had End-End "
            "prefixes (a status bit; the register exists when End-End TLP Prefixes are supported)"),
        bit(12, "completion_timeout_prefix", "Completion timeout prefix/header log capable"),
        bit(18, "tlp_logged_in_flit", "TLP logged in Flit mode (PCIe 6.0)"),
        bits(23, 19, "logged_tlp_size", "Logged TLP size in DWORDs (Flit mode)")),
    reg(0x1C, 16, "header_log", "Header Log: the first 4 DWORDs of the TLP in error"),
)
AER_ROOT = (
    reg(0x2C, 4, "root_command", "Root Error Command: interrupt on correctable/non-fatal/fatal errors"),
    reg(0x30, 4, "root_status", "Root Error Status: errors received, multiple, first fatal, message number"),
    reg(0x34, 4, "error_source_id", "Error Source Identification: requester IDs of the first ERR_COR and ERR_FATAL/NONFATAL"),
)
AER_PREFIX = (
    reg(0x38, 16, "tlp_prefix_log", "TLP Prefix Log: end-end prefixes of the TLP in error"),
)


def _aer_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    regs = AER_COMMON
    if size >= AER_ROOT_END and _aer_root(ctx):  # reserved in other functions
        regs += AER_ROOT
    if size >= AER_PREFIX_END:
        regs += AER_PREFIX
    if size > AER_PREFIX_END:
        regs += (reg(AER_PREFIX_END, size - AER_PREFIX_END, "flit_tlp_log",
                     "Further DWORDs of a Flit-mode logged TLP"),)
    return regs


# ------------------------------------------------------------------ 0x0002 / 0x0008 / 0x0009 VC, MFVC

VC_BASE = 0x10  # Port VC Cap 1/2, Port VC Control/Status, then the VC resources
VC_PER_VC = 0x0C  # VC Resource Capability, Control, (reserved), Status
VC_MIN, VC_MAX = 0x1C, 0xFFC
VC_TABLE_UNIT = 16  # table offset fields count 16-byte units from the capability start
VCAT_BITS_PER_PHASE = 4
# (capability bit, phases), largest first: a table holds the most phases the port supports.
VCAT_PHASES = ((3, 128), (2, 64), (1, 32))  # Port VC Cap 2 bits 3:1
PAT_PHASES = ((5, 256), (4, 128), (3, 128), (2, 64), (1, 32))  # VC Resource Cap bits 5:1


@record(slots=False)
class _VcKind:
    """What differs between VC/VC9 and MFVC: the names of the per-VC tables and which
    bit fields we have verified."""

    table: str  # per-VC arbitration table name, e.g. "port_arb_table"
    table_doc: str
    cap1: tuple[Bits, ...]
    cap2: tuple[Bits, ...]
    control: tuple[Bits, ...]
    status: tuple[Bits, ...]
    res_cap: tuple[Bits, ...]
    res_control: tuple[Bits, ...]
    res_status: tuple[Bits, ...]


VC_KIND = _VcKind(
    "port_arb_table", "Port Arbitration Table",
    cap1=(bits(2, 0, "evc", "Extended VC Count: number of VCs besides VC0"),
          bits(6, 4, "lpevc", "Low Priority Extended VC Count"),
          bits(9, 8, "ref_clock", "Reference clock for time-based arbitration (0: 100 ns)"),
          bits(11, 10, "pat_entry_size", "Port Arbitration Table entry size: 1 << n bits")),
    cap2=(bits(7, 0, "vc_arb_cap", "VC arbitration supported: bit 0 fixed, 1 WRR32, 2 WRR64, 3 WRR128"),
          bits(31, 24, "vcat_offset", "VC Arbitration Table offset in 16-byte units (0: none)")),
    control=(bit(0, "load_vc_arb_table", "Load the VC Arbitration Table"),
             bits(3, 1, "vc_arb_select", "VC arbitration scheme in use")),
    status=(bit(0, "vc_arb_table_status", "VC Arbitration Table update pending"),),
    res_cap=(bits(7, 0, "port_arb_cap", "Port arbitration supported: fixed, WRR32/64/128, TWRR128, WRR256"),
             bit(15, "reject_snoop", "Reject Snoop Transactions"),
             bits(21, 16, "max_time_slots", "Maximum time slots minus 1 (time-based WRR)"),
             bits(31, 24, "pat_offset", "Port Arbitration Table offset in 16-byte units (0: none)")),
    res_control=(bits(7, 0, "tc_vc_map", "Traffic classes mapped to this VC"),
                 bit(16, "load_pat", "Load the Port Arbitration Table"),
                 bits(19, 17, "port_arb_select", "Port arbitration scheme in use"),
                 bits(26, 24, "vc_id", "VC ID"),
                 bit(31, "vc_enable", "VC enabled")),
    res_status=(bit(0, "pat_status", "Port Arbitration Table update pending"),
                bit(1, "negotiation_pending", "VC negotiation pending")),
)

MFVC_KIND = _VcKind(
    "func_arb_table", "Function Arbitration Table",
    cap1=(bits(2, 0, "evc", "Extended VC Count: number of VCs besides VC0"),
          bits(11, 10, "fat_entry_size", "Function Arbitration Table entry size: 1 << n bits")),
    cap2=(bits(7, 0, "vc_arb_cap", "VC arbitration supported: bit 1 WRR32, 2 WRR64, 3 WRR128"),
          bits(31, 24, "vcat_offset", "VC Arbitration Table offset in 16-byte units (0: none)")),
    control=(), status=(),
    res_cap=(bits(7, 0, "func_arb_cap", "Function arbitration supported (bits 5:1 size the table)"),
             bits(31, 24, "fat_offset", "Function Arbitration Table offset in 16-byte units (0: none)")),
    res_control=(), res_status=(),
)


@record(slots=False)
class _VcTable:
    """One per-VC arbitration table of an instance: where it starts, its length and name."""

    start: int
    length: int
    name: str
    doc: str

    @property
    def end(self) -> int:
        return self.start + self.length


def _phases(cap: int, table: tuple[tuple[int, int], ...]) -> int:
    return next((phases for pos, phases in table if cap >> pos & 1), 0)


def _vc_count(ctx: CapContext) -> int:
    return (ctx.u32(4) & 0x7) + 1


def _vc_tables(ctx: CapContext, kind: _VcKind) -> list[_VcTable]:
    """The VC Arbitration Table and per-VC Port/Function Arbitration Tables present."""
    cap1, cap2 = ctx.u32(4), ctx.u32(8)
    out = []
    phases = _phases(cap2, VCAT_PHASES)
    if cap2 >> 24 and phases:
        out.append(_VcTable(VC_TABLE_UNIT * (cap2 >> 24), phases * VCAT_BITS_PER_PHASE // 8,
                            "vc_arb_table", f"VC Arbitration Table: {phases} phases x 4 bits"))
    entry_bits = 1 << (cap1 >> 10 & 0x3)
    for vc in range(_vc_count(ctx)):
        res_cap = ctx.u32(VC_BASE + VC_PER_VC * vc)
        phases = _phases(res_cap, PAT_PHASES)
        if res_cap >> 24 and phases:
            out.append(_VcTable(VC_TABLE_UNIT * (res_cap >> 24), phases * entry_bits // 8,
                                f"vc{vc}_{kind.table}",
                                f"VC{vc} {kind.table_doc}: {phases} phases x {entry_bits} bits"))
    return out


def _vc_size(ctx: CapContext) -> Size:
    count = _vc_count(ctx)
    tables = _vc_tables(ctx, VC_KIND)
    end = dword_round(max([VC_BASE + VC_PER_VC * count] + [t.end for t in tables]))
    room = min(_room(ctx, VC_MIN), VC_MAX)
    if end > room:
        return Size(room, MINIMUM, f"the structure would end at {end:#x}, past the end of "
                                   "config space: cut there")
    why = f"{count} VC resource(s) of 12 bytes"
    if tables:
        why += f" and {len(tables)} arbitration table(s): the last part ends at {end:#x}"
    return Size(end, EXACT, why)


def _vc_layout_for(kind: _VcKind) -> Callable[[CapContext, int], list[Reg]]:
    def layout(ctx: CapContext, size: int) -> list[Reg]:
        out = [
            reg(0x04, 4, "port_vc_cap1", "Port VC Capability 1", *kind.cap1),
            reg(0x08, 4, "port_vc_cap2", "Port VC Capability 2", *kind.cap2),
            reg(0x0C, 2, "port_vc_control", "Port VC Control", *kind.control),
            reg(0x0E, 2, "port_vc_status", "Port VC Status", *kind.status),
        ]
        for vc in range(_vc_count(ctx)):
            base = VC_BASE + VC_PER_VC * vc
            out += [
                reg(base, 4, f"vc{vc}_resource_cap", f"VC{vc} Resource Capability", *kind.res_cap),
                reg(base + 4, 4, f"vc{vc}_resource_control", f"VC{vc} Resource Control",
                    *kind.res_control),
                reg(base + 0x0A, 2, f"vc{vc}_resource_status", f"VC{vc} Resource Status",
                    *kind.res_status),
            ]
        out += [reg(t.start, t.length, t.name, t.doc) for t in _vc_tables(ctx, kind)]
        return [r for r in out if r.end <= size]
    return layout


def _vc_size_text(kind: _VcKind) -> str:
    return ("0x10 + 0x0C per VC (Extended VC Count +4 bits 2:0, plus VC0), extended to the end of "
            "the VC Arbitration Table (16 * +8 bits 31:24; 32/64/128 phases x 4 bits) and of each "
            f"VC's {kind.table_doc} (16 * Resource Cap bits 31:24; phases x entry size); "
            "DWORD-rounded, cut at the end of config space")


VC_NOTES = ("NVIDIA nvpcie.h uses 0x18 + 0x10 per extended VC; Linux, pciutils and the spec use "
            "0x10 + 0x0C per VC (followed here). vfio ignores the table offsets and Port "
            "Arbitration Tables; pciutils reads only 0x10 + 12 per VC.")


# ------------------------------------------------------------------ 0x0003 DSN

DSN_REGS = (
    reg(0x04, 8, "serial_number", "Device Serial Number: 64-bit IEEE EUI-64 (lower DWORD first)"),
)


# ------------------------------------------------------------------ 0x0004 Power Budgeting

PB_REGS = (
    reg(0x04, 1, "data_select", "Data Select: index of the power value shown in the Data register"),
    reg(0x06, 2, "pb_control", "Power Budgeting Control (PCIe 6.x; reserved before)"),
    reg(0x08, 4, "data", "Data: the power value selected by Data Select",
        bits(7, 0, "base_power", "Base power in watts (scaled by Data Scale)"),
        bits(9, 8, "data_scale", "Data scale: 1.0, 0.1, 0.01, 0.001 x"),
        bits(12, 10, "pm_sub_state", "PM sub-state the value applies to"),
        bits(14, 13, "pm_state", "PM state (D0..D3) the value applies to"),
        bits(17, 15, "type", "Operating condition: PME aux, auxiliary, idle, sustained, maximum"),
        bits(20, 18, "power_rail", "Power rail: 12V, 3.3V, 1.5V/1.8V, thermal")),
    reg(0x0C, 1, "pb_capability", "Power Budget Capability",
        bit(0, "system_allocated", "Power is included in the system budget")),
    reg(0x0D, 1, "sense_detect", "Power Budgeting Sense Detect (PCIe 6.x; reserved before)"),
)


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


def _rclink_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = [reg(0x04, 4, "element_self_description", "Element Self Description",
               bits(7, 0, "element_type", "Element type: 0 configuration space, 1 egress port, 2 internal link"),
               bits(15, 8, "num_link_entries", "Number of Link Entries that follow at +0x10"),
               bits(23, 16, "component_id", "Component ID of this element"),
               bits(31, 24, "port_number", "Port number of this element"))]
    for link in range(min(_rclink_count(ctx), (size - RCLINK_FIRST) // RCLINK_ENTRY)):
        base = RCLINK_FIRST + RCLINK_ENTRY * link
        out += [
            reg(base, 4, f"link{link}_description", f"Link {link} Description",
                bit(0, "link_valid", "Link entry valid"),
                bit(1, "link_type", "Link type: 1 configuration space, 0 memory-mapped RCRB"),
                bit(2, "assoc_rcrb_header", "Associated RCRB Header capability present"),
                bits(23, 16, "target_component_id", "Component ID of the linked element"),
                bits(31, 24, "target_port_number", "Port number of the linked element")),
            reg(base + 8, 8, f"link{link}_address", f"Link {link} Address: RCRB base or config-space address"),
        ]
    return out


# ------------------------------------------------------------------ 0x0006 RC Internal Link Control

RCILINK_REGS = (
    reg(0x04, 4, "rc_link_cap", "Root Complex Link Capabilities (laid out like Link Capabilities)"),
    reg(0x08, 2, "rc_link_control", "Root Complex Link Control"),
    reg(0x0A, 2, "rc_link_status", "Root Complex Link Status"),
)


# ------------------------------------------------------------------ 0x0007 RCEC Endpoint Association

RCEC_BUSN_VERSION = 2  # PCI_RCEC_BUSN_REG_VER: the Associated Bus Numbers register appears


def _rcec_size(ctx: CapContext) -> Size:
    version = ctx.version
    if version >= RCEC_BUSN_VERSION:
        return Size(0x0C, EXACT, f"version {version}: bitmap and Associated Bus Numbers")
    if version == 1:
        return Size(0x08, EXACT, "version 1: Association Bitmap only")
    return Size(0x08, MINIMUM, "version 0 is not defined: at least the Association Bitmap")


def _rcec_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = [reg(0x04, 4, "rciep_bitmap", "Association Bitmap: bit n = RCiEP at device n on the RCEC's bus")]
    if size >= 0x0C:
        out.append(reg(0x08, 4, "assoc_bus_numbers", "RCEC Associated Bus Numbers (version 2+)",
                       bits(15, 8, "next_bus", "First associated bus number"),
                       bits(23, 16, "last_bus", "Last associated bus number")))
    return out


# ------------------------------------------------------------------ 0x000A RCRB Header

RCRB_REGS = (
    reg(0x04, 2, "vendor_id", "Vendor ID of the RCRB"),
    reg(0x06, 2, "device_id", "Device ID of the RCRB"),
    reg(0x08, 4, "rcrb_cap", "RCRB Capabilities (CRS software visibility)"),
    reg(0x0C, 4, "rcrb_control", "RCRB Control (CRS software visibility enable)"),
    reg(0x10, 4, "reserved", "RsvdZ DWORD counted in the structure"),
)


# ------------------------------------------------------------------ 0x000B VSEC

def _vsec_size(ctx: CapContext) -> Size:
    length = ctx.u32(4) >> 20
    if length < 8:
        return Size(8, Certainty.MINIMUM, f"VSEC Length {length:#x} is below its own 8-byte header")
    if length > 0xF00:
        return Size(8, Certainty.MINIMUM, f"VSEC Length {length:#x} exceeds the extended space")
    return Size(length, Certainty.EXACT, "VSEC Length field (+4 bits 31:20)")


def _vsec_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    regs = (reg(0x04, 4, "vsec_header", "Vendor-Specific Header",
                bits(15, 0, "vsec_id", "VSEC ID: the vendor's own structure ID"),
                bits(19, 16, "vsec_rev", "VSEC revision"),
                bits(31, 20, "vsec_length", "Length of the whole capability in bytes")),)
    if size > 8:
        regs += (reg(0x08, size - 8, "vendor_registers", "Vendor-specific registers (layout is the vendor's)"),)
    return regs


# ------------------------------------------------------------------ 0x000C CAC

CAC_REGS = (
    reg(0x04, 4, "device_correlation", "Device Correlation: correlates config accesses (obsolete ECN)"),
)


# ------------------------------------------------------------------ 0x000D ACS

ACS_EGRESS_CONTROL = 1 << 5  # ACS P2P Egress Control supported: the vector follows at +8
ACS_VECTOR_DEFAULT = 256  # an Egress Control Vector Size of 0 means 256 bits
ACS_BASE = 0x08

ACS_FLAGS = (
    ("source_validation", "Source Validation"),
    ("translation_blocking", "Translation Blocking"),
    ("p2p_request_redirect", "P2P Request Redirect"),
    ("p2p_completion_redirect", "P2P Completion Redirect"),
    ("upstream_forwarding", "Upstream Forwarding"),
    ("p2p_egress_control", "P2P Egress Control"),
    ("direct_translated_p2p", "Direct Translated P2P"),
)


def _acs_vector_bits(ctx: CapContext) -> int:
    """Egress Control Vector size in bits; 0 without P2P Egress Control."""
    cap = ctx.u16(4)
    if not cap & ACS_EGRESS_CONTROL:
        return 0
    return (cap >> 8 & 0xFF) or ACS_VECTOR_DEFAULT


def _acs_vector_dwords(ctx: CapContext) -> int:
    return (_acs_vector_bits(ctx) + 31) // 32


def _acs_size(ctx: CapContext) -> Size:
    dwords = _acs_vector_dwords(ctx)
    if not dwords:
        return Size(ACS_BASE, EXACT, "no P2P Egress Control: Capability and Control only")
    return Size(ACS_BASE + 4 * dwords, EXACT,
                f"P2P Egress Control, {_acs_vector_bits(ctx)}-bit vector: {dwords} DWORD(s) at +8")


def _acs_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = [
        reg(0x04, 2, "acs_cap", "ACS Capability",
            *(bit(n, name, f"{doc} supported") for n, (name, doc) in enumerate(ACS_FLAGS)),
            bits(15, 8, "egress_vector_size", "Egress Control Vector size in bits (0: 256)")),
        reg(0x06, 2, "acs_control", "ACS Control",
            *(bit(n, f"{name}_enable", f"{doc} enabled") for n, (name, doc) in enumerate(ACS_FLAGS))),
    ]
    for dword in range(min(_acs_vector_dwords(ctx), (size - ACS_BASE) // 4)):
        out.append(reg(ACS_BASE + 4 * dword, 4, f"egress_control_vector{dword}",
                       f"Egress Control Vector bits {32 * dword + 31}:{32 * dword}: 1 blocks P2P "
                       "requests to that port/function"))
    return out


# ------------------------------------------------------------------ 0x000E ARI

ARI_REGS = (
    reg(0x04, 2, "ari_cap", "ARI Capability",
        bit(0, "mfvc_function_groups", "MFVC Function Groups capable"),
        bit(1, "acs_function_groups", "ACS Function Groups capable"),
        bits(15, 8, "next_function", "Next Function Number in the device's function list")),
    reg(0x06, 2, "ari_control", "ARI Control",
        bit(0, "mfvc_function_groups_enable", "MFVC Function Groups enabled"),
        bit(1, "acs_function_groups_enable", "ACS Function Groups enabled"),
        bits(6, 4, "function_group", "Function Group this function belongs to")),
)


# ------------------------------------------------------------------ 0x000F ATS

ATS_REGS = (
    reg(0x04, 2, "ats_cap", "ATS Capability",
        bits(4, 0, "invalidate_queue_depth", "Invalidate Queue Depth (0: 32)"),
        bit(5, "page_aligned_request", "Page Aligned Request: untranslated addresses are page aligned")),
    reg(0x06, 2, "ats_control", "ATS Control",
        bits(4, 0, "smallest_translation_unit", "Smallest Translation Unit: 4096 << n bytes"),
        bit(15, "enable", "ATS enabled")),
)


# ------------------------------------------------------------------ 0x0010 SR-IOV

SRIOV_NUM_BARS = 6
SRIOV_REGS = (
    reg(0x04, 4, "sriov_cap", "SR-IOV Capabilities",
        bit(0, "vf_migration_capable", "VF Migration capable"),
        bits(31, 21, "vf_migration_int_msg", "VF Migration Interrupt Message Number")),
    reg(0x08, 2, "sriov_control", "SR-IOV Control",
        bit(0, "vf_enable", "VF Enable"),
        bit(1, "vf_migration_enable", "VF Migration enabled"),
        bit(2, "vf_migration_int_enable", "VF Migration interrupt enabled"),
        bit(3, "vf_mse", "VF Memory Space Enable"),
        bit(4, "ari_capable_hierarchy", "ARI Capable Hierarchy")),
    reg(0x0A, 2, "sriov_status", "SR-IOV Status",
        bit(0, "vf_migration_status", "VF Migration status: migration requests pending")),
    reg(0x0C, 2, "initial_vfs", "InitialVFs: VFs initially associated with the PF"),
    reg(0x0E, 2, "total_vfs", "TotalVFs: most VFs the PF can be associated with"),
    reg(0x10, 2, "num_vfs", "NumVFs: VFs software made visible (takes effect with VF Enable)"),
    reg(0x12, 1, "function_dependency_link", "Function Dependency Link: PF this PF's VFs depend on"),
    reg(0x14, 2, "first_vf_offset", "First VF Offset: Routing ID of VF1 relative to the PF"),
    reg(0x16, 2, "vf_stride", "VF Stride: Routing ID step between consecutive VFs"),
    reg(0x1A, 2, "vf_device_id", "VF Device ID reported by every VF"),
    reg(0x1C, 4, "supported_page_sizes", "Supported Page Sizes: bit n = 4 KB << n supported"),
    reg(0x20, 4, "system_page_size", "System Page Size: the one bit software selected (VF BAR alignment)"),
    *(reg(0x24 + 4 * n, 4, f"vf_bar{n}", f"VF BAR{n}: base of the VF{n} BAR array (64-bit BARs pair up)")
      for n in range(SRIOV_NUM_BARS)),
    reg(0x3C, 4, "vf_migration_state", "VF Migration State Array Offset",
        bits(2, 0, "bir", "BAR indicator of the VF Migration State Array"),
        bits(31, 3, "offset", "Offset of the array in that BAR (QWORD aligned, bits 31:3)")),
)


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


MCAST_REGS = (
    reg(0x04, 2, "mc_cap", "Multicast Capability",
        bits(5, 0, "max_group", "MC_Max_Group: groups supported minus 1"),
        bits(13, 8, "window_size_requested", "MC_Window_Size_Requested: log2 bytes (endpoints)"),
        bit(15, "ecrc_regeneration", "MC ECRC regeneration supported (ports)")),
    reg(0x06, 2, "mc_control", "Multicast Control",
        bits(5, 0, "num_group", "MC_Num_Group: groups enabled minus 1"),
        bit(15, "enable", "Multicast enabled")),
    reg(0x08, 8, "mc_base_address", "MC_Base_Address",
        bits(5, 0, "index_position", "MC_Index_Position: address bit of the group number"),
        bits(63, 12, "base_address", "Multicast address range base (bits 63:12)")),
    reg(0x10, 8, "mc_receive", "MC_Receive: groups this function accepts"),
    reg(0x18, 8, "mc_block_all", "MC_Block_All: groups blocked"),
    reg(0x20, 8, "mc_block_untranslated", "MC_Block_Untranslated: groups blocked for untranslated addresses"),
)
MCAST_OVERLAY = (
    reg(0x28, 8, "mc_overlay_bar", "MC_Overlay_BAR (root and switch ports)",
        bits(5, 0, "overlay_size", "Overlay size: log2 bytes (below 6: overlay disabled)"),
        bits(63, 6, "overlay_base", "Overlay base address (bits 63:6)")),
)


def _mcast_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    return MCAST_REGS + (MCAST_OVERLAY if size >= MCAST_PORT_SIZE else ())


# ------------------------------------------------------------------ 0x0013 PRI

PRI_REGS = (
    reg(0x04, 2, "pri_control", "Page Request Control",
        bit(0, "enable", "Page requests enabled"),
        bit(1, "reset", "Reset the outstanding request state")),
    reg(0x06, 2, "pri_status", "Page Request Status",
        bit(0, "response_failure", "Response Failure received"),
        bit(1, "unexpected_prg_index", "Unexpected Page Request Group Index received"),
        bit(8, "stopped", "Stopped: no page requests outstanding"),
        bit(15, "prg_response_pasid_required", "PRG responses must carry a PASID")),
    reg(0x08, 4, "outstanding_capacity", "Outstanding Page Request Capacity"),
    reg(0x0C, 4, "outstanding_allocation", "Outstanding Page Request Allocation"),
)


# ------------------------------------------------------------------ 0x0016 DPA

DPA_BASE = 0x10  # Capability, Latency Indicator, Status, Control; then the array


def _dpa_substates(ctx: CapContext) -> int:
    return (ctx.u32(4) & 0x1F) + 1  # Substate_Max + 1


def _dpa_size(ctx: CapContext) -> Size:
    count = _dpa_substates(ctx)
    return Size(dword_round(DPA_BASE + count), EXACT,
                f"{count} substate(s): 1 byte of Power Allocation Array each, DWORD-rounded")


def _dpa_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = [
        reg(0x04, 4, "dpa_cap", "DPA Capability",
            bits(4, 0, "substate_max", "Substate_Max: highest substate number")),
        reg(0x08, 4, "latency_indicator", "DPA Latency Indicator: which transition latency value each substate uses"),
        reg(0x0C, 2, "dpa_status", "DPA Status: substate status and control-enabled flag"),
        reg(0x0E, 2, "dpa_control", "DPA Control: substate software selected"),
    ]
    for n in range(min(_dpa_substates(ctx), size - DPA_BASE)):
        out.append(reg(DPA_BASE + n, 1, f"power_allocation{n}",
                       f"Power Allocation Array entry for substate {n} (scaled watts)"))
    return out


# ------------------------------------------------------------------ 0x0017 TPH Requester

TPH_BASE = 0x0C  # Capability, Control; then the ST Table when it lives here
TPH_LOC_NONE, TPH_LOC_CAP, TPH_LOC_MSIX = 0, 1, 2
TPH_ST_MAX_IN_CAP = 63  # ST Table Size (entries - 1) allowed in the capability
TPH_ST_ENTRY = 2


def _tph_fields(ctx: CapContext) -> tuple[int, int]:
    cap = ctx.u32(4)
    return cap >> 9 & 0x3, cap >> 16 & 0x7FF  # ST Table Location, ST Table Size


def _tph_entries(ctx: CapContext) -> int:
    location, table_size = _tph_fields(ctx)
    if location == TPH_LOC_CAP and table_size <= TPH_ST_MAX_IN_CAP:
        return table_size + 1
    return 0


def _tph_size(ctx: CapContext) -> Size:
    location, table_size = _tph_fields(ctx)
    if location == TPH_LOC_CAP:
        if table_size > TPH_ST_MAX_IN_CAP:
            return Size(TPH_BASE, MINIMUM, f"ST Table Size {table_size} exceeds 63 for a table in "
                                           "the capability: table extent unknown")
        count = table_size + 1
        return Size(dword_round(TPH_BASE + TPH_ST_ENTRY * count), EXACT,
                    f"ST Table in the capability: {count} entries of 2 bytes, DWORD-rounded")
    if location in (TPH_LOC_NONE, TPH_LOC_MSIX):
        where = "no ST Table" if location == TPH_LOC_NONE else "ST Table in the MSI-X table"
        return Size(TPH_BASE, EXACT, f"{where}: Capability and Control only")
    return Size(TPH_BASE, MINIMUM, "reserved ST Table Location 11b: table extent unknown")


def _tph_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = [
        reg(0x04, 4, "tph_cap", "TPH Requester Capability",
            bit(0, "no_st_mode", "No ST mode supported"),
            bit(1, "interrupt_vector_mode", "Interrupt Vector mode supported"),
            bit(2, "device_specific_mode", "Device Specific mode supported"),
            bit(8, "extended_tph_requester", "Extended TPH Requester supported"),
            bits(10, 9, "st_table_location", "ST Table location: 0 none, 1 this capability, 2 MSI-X table"),
            bits(26, 16, "st_table_size", "ST Table Size: entries minus 1")),
        reg(0x08, 4, "tph_control", "TPH Requester Control",
            bits(2, 0, "st_mode_select", "ST mode in use: 0 no ST, 1 interrupt vector, 2 device specific"),
            bits(9, 8, "requester_enable", "TPH requests allowed: 0 none, 1 TPH, 3 TPH and extended TPH")),
    ]
    for n in range(min(_tph_entries(ctx), (size - TPH_BASE) // TPH_ST_ENTRY)):
        out.append(reg(TPH_BASE + TPH_ST_ENTRY * n, TPH_ST_ENTRY, f"st_entry{n}",
                       f"ST Table entry {n}: steering tag (lower, upper byte)"))
    return out


# ------------------------------------------------------------------ 0x0018 LTR

LTR_FIELDS = (
    bits(9, 0, "value", "Latency value (multiplied by the scale)"),
    bits(12, 10, "scale", "Latency scale: 1 << (5 * n) ns"),
)
LTR_REGS = (
    reg(0x04, 2, "max_snoop_latency", "Max Snoop Latency the device reports", *LTR_FIELDS),
    reg(0x06, 2, "max_no_snoop_latency", "Max No-Snoop Latency the device reports", *LTR_FIELDS),
)


# ------------------------------------------------------------------ 0x0019 Secondary PCIe

def _secpci_size(ctx: CapContext) -> Size:
    width = lanes(ctx)
    if width is None:
        return Size(0x10, Certainty.MINIMUM, "no link width known: at least one lane")
    if width > 32:
        return Size(0x10, Certainty.MINIMUM, f"Maximum Link Width x{width} is not a valid width")
    return Size(dword_round(0x0C + 2 * width), Certainty.EXACT,
                f"x{width}: 2 bytes of Lane Equalization Control per lane")


def _secpci_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = [
        reg(0x04, 4, "link_control3", "Link Control 3",
            bit(0, "perform_equalization", "Perform equalization"),
            bit(1, "eq_request_int", "Link equalization request interrupt enabled"),
            bits(15, 9, "lower_skp_os_gen", "Enable lower SKP OS generation vector")),
        reg(0x08, 4, "lane_error_status", "Lane Error Status: one bit per lane with a detected error"),
    ]
    for lane in range((size - 0x0C) // 2):
        out.append(reg(0x0C + 2 * lane, 2, f"lane{lane}_eq_control",
                       f"Lane {lane} Equalization Control (8 GT/s presets)",
                       bits(3, 0, "dsp_tx_preset", "Downstream port transmitter preset"),
                       bits(6, 4, "dsp_rx_hint", "Downstream port receiver preset hint"),
                       bits(11, 8, "usp_tx_preset", "Upstream port transmitter preset"),
                       bits(14, 12, "usp_rx_hint", "Upstream port receiver preset hint")))
    return out


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


def _pmux_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = [
        reg(0x04, 4, "pmux_cap", "PMUX Capability",
            bits(5, 0, "protocol_array_size", "Number of PMUX Protocol Array entries")),
        reg(0x08, 4, "pmux_control", "PMUX Control: protocols enabled per channel"),
        reg(0x0C, 4, "pmux_status", "PMUX Status: protocol negotiation status per channel"),
    ]
    for n in range(min(_pmux_entries(ctx), (size - PMUX_BASE) // 4)):
        out.append(reg(PMUX_BASE + 4 * n, 4, f"protocol{n}",
                       f"PMUX Protocol Array entry {n}: protocol authority and ID"))
    return out


# ------------------------------------------------------------------ 0x001B PASID

PASID_REGS = (
    reg(0x04, 2, "pasid_cap", "PASID Capability",
        bit(1, "execute_permission", "Execute permission supported"),
        bit(2, "privileged_mode", "Privileged mode supported"),
        bit(3, "translated_requests_with_pasid", "Translated requests with PASID supported (PCIe 6.0)"),
        bits(12, 8, "max_pasid_width", "Max PASID width in bits (up to 20)")),
    reg(0x06, 2, "pasid_control", "PASID Control",
        bit(0, "enable", "PASID enabled"),
        bit(1, "execute_permission_enable", "Execute permission enabled"),
        bit(2, "privileged_mode_enable", "Privileged mode enabled"),
        bit(3, "translated_requests_enable", "Translated requests with PASID enabled")),
)


# ------------------------------------------------------------------ 0x001C LN Requester

LNR_REGS = (
    reg(0x04, 2, "lnr_cap", "LN Requester Capability: supported cacheline sizes, max registrations"),
    reg(0x06, 2, "lnr_control", "LN Requester Control: enables, registration limit"),
)


# ------------------------------------------------------------------ 0x001D DPC

DPC_RP_EXT = 1 << 5  # Root Port Extensions for DPC: RP PIO registers and logs follow
DPC_LOG_SIZE4 = 1 << 13  # RP PIO Log Size bit 4 (Flit Mode capable ports, PCIe 6.x)
DPC_BASE, DPC_RP_BASE = 0x0C, 0x20  # end without RP Extensions / start of the Header Log
DPC_LOG_MIN, DPC_LOG_MAX, DPC_LOG_MAX_FLIT = 4, 9, 15  # RP PIO Log Size in DWORDs


def _dpc_size(ctx: CapContext) -> Size:
    cap = ctx.u16(4)
    if not cap & DPC_RP_EXT:
        return Size(DPC_BASE, EXACT, "no Root Port Extensions: DPC registers only")
    flit = None if ctx.pcie is None else ctx.pcie.flit_mode_supported
    log = cap >> 8 & 0xF
    if flit and cap & DPC_LOG_SIZE4:
        log |= 0x10
    limit = DPC_LOG_MAX if flit is False else DPC_LOG_MAX_FLIT
    if not DPC_LOG_MIN <= log <= limit:
        return Size(DPC_RP_BASE + 4 * DPC_LOG_MIN, MINIMUM,
                    f"RP PIO Log Size {log} is outside {DPC_LOG_MIN}..{limit}: at least the 4-DWORD Header Log")
    size = DPC_RP_BASE + 4 * log
    if flit is None and cap & DPC_LOG_SIZE4:
        return Size(size, MINIMUM, f"no PCI Express capability: Log Size bit 4 may count, "
                                   f"at least {log} log DWORDs")
    return Size(size, EXACT, f"Root Port Extensions: RP PIO registers and {log} log DWORDs")


DPC_REGS = (
    reg(0x04, 2, "dpc_cap", "DPC Capability",
        bits(4, 0, "int_msg_number", "DPC Interrupt Message Number"),
        bit(5, "rp_extensions", "Root Port Extensions for DPC (RP PIO registers present)"),
        bit(6, "poisoned_tlp_blocking", "Poisoned TLP Egress Blocking supported"),
        bit(7, "sw_trigger", "DPC Software Triggering supported"),
        bits(11, 8, "rp_pio_log_size", "RP PIO Log Size in DWORDs (bits 3:0)"),
        bit(12, "dl_active_err_cor", "ERR_COR on DL_Active supported"),
        bit(13, "rp_pio_log_size4", "RP PIO Log Size bit 4 (Flit Mode, PCIe 6.x)")),
    reg(0x06, 2, "dpc_control", "DPC Control",
        bits(1, 0, "trigger_enable", "DPC trigger: 0 off, 1 on ERR_FATAL, 2 on ERR_NONFATAL/FATAL"),
        bit(2, "completion_control", "Completion control while contained"),
        bit(3, "int_enable", "DPC interrupt enabled"),
        bit(4, "err_cor_enable", "ERR_COR on trigger enabled"),
        bit(5, "poisoned_tlp_blocking_enable", "Poisoned TLP Egress Blocking enabled"),
        bit(6, "sw_trigger", "Software trigger (write 1)"),
        bit(7, "dl_active_err_cor_enable", "ERR_COR on DL_Active enabled")),
    reg(0x08, 2, "dpc_status", "DPC Status",
        bit(0, "trigger_status", "DPC triggered: the link is contained"),
        bits(2, 1, "trigger_reason", "Trigger reason: uncorrectable, ERR_NONFATAL, ERR_FATAL, extension"),
        bit(3, "interrupt_status", "DPC interrupt pending"),
        bit(4, "rp_busy", "Root Port busy"),
        bits(6, 5, "trigger_reason_ext", "Trigger reason extension: RP PIO, software trigger"),
        bits(12, 8, "rp_pio_first_error", "RP PIO First Error Pointer")),
    reg(0x0A, 2, "error_source_id", "DPC Error Source ID: requester of the triggering message"),
)
DPC_RP = (
    reg(0x0C, 4, "rp_pio_status", "RP PIO Status (write 1 to clear)"),
    reg(0x10, 4, "rp_pio_mask", "RP PIO Mask"),
    reg(0x14, 4, "rp_pio_severity", "RP PIO Severity"),
    reg(0x18, 4, "rp_pio_syserror", "RP PIO SysError"),
    reg(0x1C, 4, "rp_pio_exception", "RP PIO Exception"),
)


def _dpc_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    regs = DPC_REGS
    if size >= DPC_RP_BASE:
        regs += DPC_RP
    if size >= 0x30:
        regs += (reg(0x20, 16, "rp_pio_header_log", "RP PIO Header Log: first 4 DWORDs of the failed request"),)
    if size >= 0x34:
        regs += (reg(0x30, 4, "rp_pio_impspec_log", "RP PIO ImpSpec Log"),)
    if size > 0x34:
        regs += (reg(0x34, size - 0x34, "rp_pio_tlp_prefix_log",
                     "RP PIO TLP Prefix Log (Flit mode: further logged TLP DWORDs)"),)
    return regs


# ------------------------------------------------------------------ 0x001E L1 PM Substates

L1PM_BASE = 0x10  # PCIe 3.1/4.0: Capabilities, Control 1, Control 2
L1PM_SIZE = 0x14  # PCIe 5.0+: the Status register at +0x10 is inside the capability
L1PM_LINK_ACTIVATION = 1 << 5  # Capabilities bit 5, with the Status register's only bit
L1PM_REGS = (
    reg(0x04, 4, "l1ss_cap", "L1 PM Substates Capabilities",
        bit(0, "pcipm_l1_2", "PCI-PM L1.2 supported"),
        bit(1, "pcipm_l1_1", "PCI-PM L1.1 supported"),
        bit(2, "aspm_l1_2", "ASPM L1.2 supported"),
        bit(3, "aspm_l1_1", "ASPM L1.1 supported"),
        bit(4, "l1_pm_substates", "L1 PM Substates supported"),
        bit(5, "link_activation", "Link Activation supported (downstream ports; PCIe 5.0+, "
            "with the Status register at +0x10)"),
        bits(15, 8, "common_mode_restore_time", "Port Common_Mode_Restore_Time in us"),
        bits(17, 16, "t_power_on_scale", "Port T_POWER_ON scale: 2, 10, 100 us"),
        bits(23, 19, "t_power_on_value", "Port T_POWER_ON value")),
    reg(0x08, 4, "l1ss_control1", "L1 PM Substates Control 1",
        bit(0, "pcipm_l1_2_enable", "PCI-PM L1.2 enabled"),
        bit(1, "pcipm_l1_1_enable", "PCI-PM L1.1 enabled"),
        bit(2, "aspm_l1_2_enable", "ASPM L1.2 enabled"),
        bit(3, "aspm_l1_1_enable", "ASPM L1.1 enabled"),
        bit(4, "link_activation_int_enable", "Link Activation interrupt enabled"),
        bit(5, "link_activation_control", "Link Activation control"),
        bits(15, 8, "common_mode_restore_time", "Common_Mode_Restore_Time in us"),
        bits(25, 16, "ltr_l1_2_threshold_value", "LTR_L1.2_THRESHOLD value"),
        bits(31, 29, "ltr_l1_2_threshold_scale", "LTR_L1.2_THRESHOLD scale")),
    reg(0x0C, 4, "l1ss_control2", "L1 PM Substates Control 2",
        bits(1, 0, "t_power_on_scale", "T_POWER_ON scale: 2, 10, 100 us"),
        bits(7, 3, "t_power_on_value", "T_POWER_ON value")),
    reg(0x10, 4, "l1ss_status", "L1 PM Substates Status (PCIe 5.0+)",
        bit(0, "link_activation_status", "Link Activation status")),
)


def _l1pm_size(ctx: CapContext) -> Size:
    """PCIe 5.0 added the Status register at +0x10 with Link Activation. The capability
    version stayed 1, so only a function that supports Link Activation shows which
    layout it has; any other may end at 0x10 (PCIe 3.1/4.0) or 0x14 (PCIe 5.0+)."""
    if ctx.u32(4) & L1PM_LINK_ACTIVATION:
        return Size(L1PM_SIZE, EXACT, "Link Activation supported: the PCIe 5.0+ layout, "
                    "Status register at +0x10")
    return Size(L1PM_BASE, MINIMUM, "PCIe 3.1/4.0 layout (0x10) or PCIe 5.0+ (Status register "
                "at +0x10, 0x14): the capability does not say which", L1PM_SIZE)


def _l1pm_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    return tuple(r for r in L1PM_REGS if r.end <= size)


# ------------------------------------------------------------------ 0x001F PTM

PTM_REGS = (
    reg(0x04, 4, "ptm_cap", "PTM Capability",
        bit(0, "requester", "PTM Requester capable"),
        bit(1, "responder", "PTM Responder capable"),
        bit(2, "root", "PTM Root capable"),
        bits(15, 8, "local_clock_granularity", "Local clock granularity in ns (0 unimplemented, FF > 254)")),
    reg(0x08, 4, "ptm_control", "PTM Control",
        bit(0, "enable", "PTM enabled"),
        bit(1, "root_select", "This function is the PTM root"),
        bits(15, 8, "effective_granularity", "Effective granularity in ns (0 unknown)")),
)


ENTRIES: tuple[CapSpec, ...] = (
    CapSpec(E, 0x0000, "NULL", "Null Extended Capability", "PCIe 6.3 §7.9.28",
            "fixed 4 bytes: the header only", fixed(4, "header only"), (), 4, 4,
            aliases=("null",)),
    CapSpec(E, 0x0001, "AER", "Advanced Error Reporting", "PCIe 6.3 §7.8.4",
            "0x2C; 0x38 for root ports and RCECs (Root Error registers); 0x48 when the "
            "function supports End-End TLP Prefixes (PCIe capability Device Capabilities 2 bit "
            "21: TLP Prefix Log at 0x38); at least 0x48 and up to 0x60 for a Flit-mode "
            "capable function",
            _aer_size, _aer_layout, AER_COMMON_END, AER_FLIT_END,
            notes="The common '0x38 non-root vs 0x48 root' claim is not the spec's rule. AER "
                  "Capabilities and Control bit 11 (TLP Prefix Log Present) is a status bit "
                  "about the logged TLP, not the register's presence. vfio exposes 0x2C only.",
            aliases=("aer", "err")),
    CapSpec(E, 0x0002, "VC", "Virtual Channel", "PCIe 6.3 §7.9.1", _vc_size_text(VC_KIND),
            _vc_size, _vc_layout_for(VC_KIND), VC_MIN, VC_MAX, notes=VC_NOTES, aliases=("vc",)),
    CapSpec(E, 0x0003, "DSN", "Device Serial Number", "PCIe 6.3 §7.9.3",
            "fixed 12 bytes (PCI_EXT_CAP_DSN_SIZEOF): 64-bit serial number at +4", fixed(0x0C),
            DSN_REGS, 0x0C, 0x0C, aliases=("dsn", "serial")),
    CapSpec(E, 0x0004, "PB", "Power Budgeting", "PCIe 6.3 §7.8.1",
            "fixed 16 bytes (PCI_EXT_CAP_PWR_SIZEOF)", fixed(0x10), PB_REGS, 0x10, 0x10,
            notes="PB Control (+6) and Sense Detect (+0x0D) are PCIe 6.x additions inside the "
                  "same 16 bytes; older functions read them as reserved.",
            aliases=("pb", "pwr", "power-budgeting")),
    CapSpec(E, 0x0005, "RCLINK", "Root Complex Link Declaration", "PCIe 6.3 §7.9.8",
            "0x10 + 0x10 per link entry (Number of Link Entries, +4 bits 15:8), cut at the end "
            "of config space", _rclink_size, _rclink_layout, RCLINK_FIRST, RCLINK_MAX,
            notes="pydiskcmd uses a fixed 28 bytes; pciutils and pcics use 16-byte link entries "
                  "from +0x10 (followed here).", aliases=("rclink", "rcld")),
    CapSpec(E, 0x0006, "RCILINK", "Root Complex Internal Link Control", "PCIe 6.3 §7.9.9",
            "fixed 12 bytes: Link Capabilities, Control, Status", fixed(0x0C), RCILINK_REGS,
            0x0C, 0x0C, aliases=("rcilink", "rcilc")),
    CapSpec(E, 0x0007, "RCEC", "Root Complex Event Collector Endpoint Association",
            "PCIe 6.3 §7.9.10",
            "by Capability Version (header bits 19:16): 8 bytes for version 1, 12 for version 2+ "
            "(RCEC Associated Bus Numbers at +8)", _rcec_size, _rcec_layout, 0x08, 0x0C,
            aliases=("rcec", "rcec-ea")),
    CapSpec(E, 0x0008, "MFVC", "Multi-Function Virtual Channel", "PCIe 6.3 §7.9.2",
            _vc_size_text(MFVC_KIND),
            _vc_size, _vc_layout_for(MFVC_KIND), VC_MIN, VC_MAX,
            notes="Same rule as VC with Function Arbitration Tables. NVIDIA nvpcie.h uses 0x18 + "
                  "0x10 per extended VC; the spec's 0x10 + 0x0C per VC is followed here.",
            aliases=("mfvc",)),
    CapSpec(E, 0x0009, "VC2", "Virtual Channel (used when MFVC is present)", "PCIe 6.3 §7.9.1",
            _vc_size_text(VC_KIND), _vc_size, _vc_layout_for(VC_KIND), VC_MIN, VC_MAX, notes=VC_NOTES,
            aliases=("vc2", "vc9")),
    CapSpec(E, 0x000A, "RCRB", "RCRB Header", "PCIe 6.3 §7.9.7",
            "fixed 20 bytes: IDs, RCRB Capabilities, RCRB Control and a reserved DWORD",
            fixed(0x14), RCRB_REGS, 0x14, 0x14,
            notes="The named registers end at 0x10; pcics, NVIDIA and pydiskcmd count the "
                  "reserved DWORD at 0x10 too (0x14, followed here).", aliases=("rcrb",)),
    CapSpec(E, 0x000B, "VSEC", "Vendor-Specific Extended Capability", "PCIe 6.3 §7.9.5",
            "VSEC Length (+4 bits 31:20), counted from the capability start",
            _vsec_size, _vsec_layout, 0x08, 0xF00, aliases=("vsec", "vndr")),
    CapSpec(E, 0x000C, "CAC", "Configuration Access Correlation (obsolete)",
            "Trusted Configuration Space for PCIe ECN (obsolete)",
            "fixed 8 bytes: Device Correlation at +4", fixed(8), CAC_REGS, 8, 8,
            notes="Only pcics gives a layout; Linux names the ID obsolete.", aliases=("cac",)),
    CapSpec(E, 0x000D, "ACS", "Access Control Services", "PCIe 6.3 §7.7.11",
            "8 bytes; with P2P Egress Control (+4 bit 5) add 4 * ceil(N/32) bytes of Egress "
            "Control Vector, N = +4 bits 15:8 (0 means 256): up to 0x28",
            _acs_size, _acs_layout, ACS_BASE, ACS_BASE + ACS_VECTOR_DEFAULT // 8,
            notes="NVIDIA and pydiskcmd use a fixed 0x10; the spec formula (as in vfio) is "
                  "followed here.", aliases=("acs",)),
    CapSpec(E, 0x000E, "ARI", "Alternative Routing-ID Interpretation", "PCIe 6.3 §7.8.8",
            "fixed 8 bytes (PCI_EXT_CAP_ARI_SIZEOF)", fixed(8), ARI_REGS, 8, 8, aliases=("ari",)),
    CapSpec(E, 0x000F, "ATS", "Address Translation Services", "PCIe 6.3 §10.5.1",
            "fixed 8 bytes (PCI_EXT_CAP_ATS_SIZEOF)", fixed(8), ATS_REGS, 8, 8, aliases=("ats",)),
    CapSpec(E, 0x0010, "SRIOV", "Single Root I/O Virtualization", "PCIe 6.3 §9.3.3",
            "fixed 64 bytes (PCI_EXT_CAP_SRIOV_SIZEOF): last register at 0x3C", fixed(0x40),
            SRIOV_REGS, 0x40, 0x40, aliases=("sriov", "sr-iov", "iov")),
    CapSpec(E, 0x0011, "MRIOV", "Multi-Root I/O Virtualization", "MR-IOV 1.0 (not public)",
            "unknown: the layout is in the non-public MR-IOV spec", unknown_size(4), (), 4, 0,
            aliases=("mriov", "mr-iov")),
    CapSpec(E, 0x0012, "MCAST", "Multicast", "PCIe 6.3 §7.9.11",
            "0x30 for root and switch ports (MC_Overlay_BAR at +0x28); 0x28 for endpoints and "
            "RCiEPs (PCI Express capability port type)", _mcast_size, _mcast_layout,
            MCAST_ENDPOINT_SIZE, MCAST_PORT_SIZE,
            notes="vfio exposes 0x28 (the endpoint layout) for every function; pciutils reads "
                  "0x34 (4 bytes too many).", aliases=("mcast", "multicast")),
    CapSpec(E, 0x0013, "PRI", "Page Request Interface", "PCIe 6.3 §10.5.2",
            "fixed 16 bytes (PCI_EXT_CAP_PRI_SIZEOF)", fixed(0x10), PRI_REGS, 0x10, 0x10,
            aliases=("pri",)),
    CapSpec(E, 0x0014, "AMD", "Reserved for AMD", "PCI Code and ID Assignment (reserved ID)",
            "unknown: reserved ID, no public layout", unknown_size(4), (), 4, 0,
            aliases=("amd",)),
    # Same layout as VF Resizable BAR (0x0024): defined once in extended_modern.py.
    rebar_spec(0x0015, "REBAR", "Resizable BAR", "PCIe 6.3 §7.8.6", "BAR",
               aliases=("rebar", "resizable-bar"),
               notes="An NBAR outside 1..6 (pciutils rejects it) gives the 0x0C minimum."),
    CapSpec(E, 0x0016, "DPA", "Dynamic Power Allocation", "PCIe 6.3 §7.9.12",
            "0x10 + (Substate_Max + 1) bytes of Power Allocation Array, Substate_Max = +4 bits "
            "4:0, DWORD-rounded: 0x14..0x30", _dpa_size, _dpa_layout, 0x14, 0x30,
            notes="vfio uses the unrounded 0x10 + Substate_Max + 1 (e.g. 0x11); the "
                  "DWORD-rounded length is used here.", aliases=("dpa",)),
    CapSpec(E, 0x0017, "TPH", "TPH Requester", "PCIe 6.3 §7.9.13",
            "0x0C; with the ST Table in the capability (+4 bits 10:9 = 01b) add 2 * (ST Table "
            "Size + 1) bytes, ST Table Size = +4 bits 26:16 (at most 63), DWORD-rounded: up to 0x8C",
            _tph_size, _tph_layout, TPH_BASE, 0x8C,
            notes="vfio adds the table unrounded; pydiskcmd uses 12 (base only).",
            aliases=("tph",)),
    CapSpec(E, 0x0018, "LTR", "Latency Tolerance Reporting", "PCIe 6.3 §7.8.2",
            "fixed 8 bytes (PCI_EXT_CAP_LTR_SIZEOF)", fixed(8), LTR_REGS, 8, 8, aliases=("ltr",)),
    CapSpec(E, 0x0019, "SecPCIe", "Secondary PCI Express", "PCIe 6.3 §7.7.3",
            "0x0C + 2 bytes per lane (Maximum Link Width from the PCIe capability), DWORD-rounded: "
            "0x10 x1/x2, 0x14 x4, 0x1C x8, 0x2C x16, 0x4C x32",
            _secpci_size, _secpci_layout, 0x10, 0x4C, aliases=("secpci",)),
    CapSpec(E, 0x001A, "PMUX", "Protocol Multiplexing", "PCIe 6.3 Appendix G.5",
            "0x10 + 4 * PMUX Protocol Array Size (+4 bits 5:0); the spec maps at most 15 "
            "entries (0x10-0x48): up to 0x4C", _pmux_size, _pmux_layout, PMUX_BASE, PMUX_MAX,
            notes="The spec's register map ends the array at 0x48 (15 entries); pydiskcmd "
                  "allows the 6-bit field's 63 entries (0x10C). Above 15 we report the 0x4C "
                  "minimum.", aliases=("pmux",)),
    CapSpec(E, 0x001B, "PASID", "Process Address Space ID", "PCIe 6.3 §7.8.9",
            "fixed 8 bytes (PCI_EXT_CAP_PASID_SIZEOF)", fixed(8), PASID_REGS, 8, 8,
            notes="Hidden by upstream vfio-pci; QEMU 11 synthesizes an 8-byte PASID capability.",
            aliases=("pasid",)),
    CapSpec(E, 0x001C, "LNR", "LN Requester", "PCIe 3.1 (Lightweight Notification ECN)",
            "fixed 8 bytes: LNR Capability (+4) and Control (+6)", fixed(8), LNR_REGS, 8, 8,
            aliases=("lnr", "ln")),
    CapSpec(E, 0x001D, "DPC", "Downstream Port Containment", "PCIe 6.3 §7.9.14",
            "0x0C without Root Port Extensions (+4 bit 5); with them 0x20 + 4 * RP PIO Log Size "
            "(+4 bits 11:8, bit 13 as bit 4 on Flit-mode ports), valid 4..9 (4..15 in Flit "
            "mode): 0x30..0x5C", _dpc_size, _dpc_layout, DPC_BASE, 0x5C,
            notes="pciutils reads only 0x0C. A Log Size outside the valid range gives the 0x30 "
                  "minimum (Header Log only).", aliases=("dpc",)),
    CapSpec(E, 0x001E, "L1PM", "L1 PM Substates", "PCIe 6.3 §7.8.3",
            "0x14 when Link Activation is supported (+4 bit 5: the PCIe 5.0+ layout with the "
            "Status register at +0x10); otherwise at least 0x10 (PCIe 3.1/4.0), up to 0x14",
            _l1pm_size, _l1pm_layout, L1PM_BASE, L1PM_SIZE,
            notes="PCIe 3.1/4.0 functions implement 0x10 (no Status register), as Linux "
                  "pci_regs.h and pciutils read; PCIe 5.0+ ones 0x14. The version field is 1 in "
                  "both, so without Link Activation the size is a minimum with a tail to 0x14.",
            aliases=("l1pm", "l1ss")),
    CapSpec(E, 0x001F, "PTM", "Precision Time Measurement", "PCIe 6.3 §7.9.15",
            "fixed 12 bytes: PTM Capability (+4), PTM Control (+8)", fixed(0x0C), PTM_REGS,
            0x0C, 0x0C, aliases=("ptm",)),
)
