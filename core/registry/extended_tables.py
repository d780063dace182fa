"""The register tables of extended.py: imported the first time a decode asks for one
(`model.tables`), so a command that only walks and sizes capabilities never builds them."""

from __future__ import annotations

from collections.abc import Callable

from ..record import record
from .extended import (
    ACS_BASE,
    AER_PREFIX_END,
    AER_ROOT_END,
    DPC_RP_BASE,
    TPH_BASE,
    TPH_LOC_CAP,
    TPH_ST_ENTRY,
    TPH_ST_MAX_IN_CAP,
    MFVC_TABLE,
    VC_BASE,
    VC_PER_VC,
    VC_TABLE,
    _acs_vector_dwords,
    _tph_fields,
    _vc_count,
    _vc_tables,
)
from .extended_rare import (
    DPA_BASE,
    MCAST_PORT_SIZE,
    PMUX_BASE,
    RCLINK_ENTRY,
    RCLINK_FIRST,
    _dpa_substates,
    _pmux_entries,
    _rclink_count,
)
from .model import RCEC, ROOT_PORT, CapContext
from .registers import Bits, Reg, bit, bits, reg


def _aer_root(ctx: CapContext) -> bool:
    return ctx.pcie is None or ctx.pcie.port_type in (ROOT_PORT, RCEC)


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


class _VcKind(metaclass=record, slots=False):
    """What differs between VC/VC9 and MFVC: the per-VC tables (extended.VC_TABLE,
    MFVC_TABLE) and which bit fields we have verified."""

    tables: tuple[str, str]  # per-VC arbitration table: name, e.g. "port_arb_table", and words
    cap1: tuple[Bits, ...]
    cap2: tuple[Bits, ...]
    control: tuple[Bits, ...]
    status: tuple[Bits, ...]
    res_cap: tuple[Bits, ...]
    res_control: tuple[Bits, ...]
    res_status: tuple[Bits, ...]


VC_KIND = _VcKind(
    VC_TABLE,
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
    MFVC_TABLE,
    cap1=(bits(2, 0, "evc", "Extended VC Count: number of VCs besides VC0"),
          bits(11, 10, "fat_entry_size", "Function Arbitration Table entry size: 1 << n bits")),
    cap2=(bits(7, 0, "vc_arb_cap", "VC arbitration supported: bit 1 WRR32, 2 WRR64, 3 WRR128"),
          bits(31, 24, "vcat_offset", "VC Arbitration Table offset in 16-byte units (0: none)")),
    control=(), status=(),
    res_cap=(bits(7, 0, "func_arb_cap", "Function arbitration supported (bits 5:1 size the table)"),
             bits(31, 24, "fat_offset", "Function Arbitration Table offset in 16-byte units (0: none)")),
    res_control=(), res_status=(),
)


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
        out += [reg(start, length, name, doc) for start, length, name, doc in _vc_tables(ctx, kind.tables)]
        return [r for r in out if r.end <= size]
    return layout


DSN_REGS = (
    reg(0x04, 8, "serial_number", "Device Serial Number: 64-bit IEEE EUI-64 (lower DWORD first)"),
)


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


RCILINK_REGS = (
    reg(0x04, 4, "rc_link_cap", "Root Complex Link Capabilities (laid out like Link Capabilities)"),
    reg(0x08, 2, "rc_link_control", "Root Complex Link Control"),
    reg(0x0A, 2, "rc_link_status", "Root Complex Link Status"),
)


def _rcec_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = [reg(0x04, 4, "rciep_bitmap", "Association Bitmap: bit n = RCiEP at device n on the RCEC's bus")]
    if size >= 0x0C:
        out.append(reg(0x08, 4, "assoc_bus_numbers", "RCEC Associated Bus Numbers (version 2+)",
                       bits(15, 8, "next_bus", "First associated bus number"),
                       bits(23, 16, "last_bus", "Last associated bus number")))
    return out


RCRB_REGS = (
    reg(0x04, 2, "vendor_id", "Vendor ID of the RCRB"),
    reg(0x06, 2, "device_id", "Device ID of the RCRB"),
    reg(0x08, 4, "rcrb_cap", "RCRB Capabilities (CRS software visibility)"),
    reg(0x0C, 4, "rcrb_control", "RCRB Control (CRS software visibility enable)"),
    reg(0x10, 4, "reserved", "RsvdZ DWORD counted in the structure"),
)


def _vsec_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    regs = (reg(0x04, 4, "vsec_header", "Vendor-Specific Header",
                bits(15, 0, "vsec_id", "VSEC ID: the vendor's own structure ID"),
                bits(19, 16, "vsec_rev", "VSEC revision"),
                bits(31, 20, "vsec_length", "Length of the whole capability in bytes")),)
    if size > 8:
        regs += (reg(0x08, size - 8, "vendor_registers", "Vendor-specific registers (layout is the vendor's)"),)
    return regs


CAC_REGS = (
    reg(0x04, 4, "device_correlation", "Device Correlation: correlates config accesses (obsolete ECN)"),
)


ACS_FLAGS = (
    ("source_validation", "Source Validation"),
    ("translation_blocking", "Translation Blocking"),
    ("p2p_request_redirect", "P2P Request Redirect"),
    ("p2p_completion_redirect", "P2P Completion Redirect"),
    ("upstream_forwarding", "Upstream Forwarding"),
    ("p2p_egress_control", "P2P Egress Control"),
    ("direct_translated_p2p", "Direct Translated P2P"),
)


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


ATS_REGS = (
    reg(0x04, 2, "ats_cap", "ATS Capability",
        bits(4, 0, "invalidate_queue_depth", "Invalidate Queue Depth (0: 32)"),
        bit(5, "page_aligned_request", "Page Aligned Request: untranslated addresses are page aligned")),
    reg(0x06, 2, "ats_control", "ATS Control",
        bits(4, 0, "smallest_translation_unit", "Smallest Translation Unit: 4096 << n bytes"),
        bit(15, "enable", "ATS enabled")),
)


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


def _tph_entries(ctx: CapContext) -> int:
    location, table_size = _tph_fields(ctx)
    if location == TPH_LOC_CAP and table_size <= TPH_ST_MAX_IN_CAP:
        return table_size + 1
    return 0


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


LTR_FIELDS = (
    bits(9, 0, "value", "Latency value (multiplied by the scale)"),
    bits(12, 10, "scale", "Latency scale: 1 << (5 * n) ns"),
)


LTR_REGS = (
    reg(0x04, 2, "max_snoop_latency", "Max Snoop Latency the device reports", *LTR_FIELDS),
    reg(0x06, 2, "max_no_snoop_latency", "Max No-Snoop Latency the device reports", *LTR_FIELDS),
)


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


LNR_REGS = (
    reg(0x04, 2, "lnr_cap", "LN Requester Capability: supported cacheline sizes, max registrations"),
    reg(0x06, 2, "lnr_control", "LN Requester Control: enables, registration limit"),
)


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


def _l1pm_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    return tuple(r for r in L1PM_REGS if r.end <= size)


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



VC_LAYOUT = _vc_layout_for(VC_KIND)  # VC (0x0002) and VC9 (0x0009)
MFVC_LAYOUT = _vc_layout_for(MFVC_KIND)
