"""The register tables of extended_modern.py: imported the first time a decode asks for one
(`model.tables`), so a command that only walks and sizes capabilities never builds them."""

from __future__ import annotations

TYPE_CHECKING = False  # for the type checker only
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

from .extended_modern import (
    PL16,
    PL32,
    PL64,
    PL128,
    DVSEC_MIN_LENGTH,
    IDE_ADDR_BLOCK,
    IDE_BLOCKS_START,
    IDE_LINK_BLOCK,
    IDE_SEL_BLOCK,
    LMR_LANE_SIZE,
    LMR_LANE_START,
    LMR_MAX_LANES,
    MRBL_LOCATOR_SIZE,
    MRBL_LOCATORS_START,
    SHADOW_ENTRIES_START,
    SHADOW_ENTRY_SIZE,
    SVC_EVC_MASK,
    SVC_VC_SIZE,
    SVC_VC_START,
    _ide_walk,
    _link_width,
)
from .model import CapContext
from .registers import Bits, Reg, bit, bits, reg


def _within(regs: Iterable[Reg], size: int) -> list[Reg]:
    """The registers that fit in `size` bytes (layouts never run past the size asked)."""
    return [r for r in regs if r.end <= size]


# ------------------------------------------------------------------ Physical Layer 16/32/64/128 GT/s

def phy_layout(lane_array: tuple[str, int, int], regs: tuple[Reg, ...],
               lane_fields: tuple[Bits, ...] = ()) -> Callable[[CapContext, int], list[Reg]]:
    """The layout of a Physical Layer capability: its fixed registers `regs`, then one Lane
    Equalization Control byte (with `lane_fields`) per lane of the link, from the lane
    array's start (`lane_array`: extended_modern's (rate, lane_start, max_lanes))."""
    rate, lane_start, max_lanes = lane_array

    def layout(ctx: CapContext, size: int) -> list[Reg]:
        room = min(max(size - lane_start, 0), max_lanes)
        width, _ = _link_width(ctx, max_lanes)
        count = min(width, room) if width is not None else room
        lane_regs = [reg(lane_start + n, 1, f"lane{n}_eq_control",
                         f"Lane {n} {rate} Equalization Control", *lane_fields)
                     for n in range(count)]
        return _within(regs, size) + lane_regs

    return layout


def _eq_status(*extra: Bits) -> tuple[Bits, ...]:
    """The equalization bits 4:0 every Physical Layer Status register starts with."""
    return (*extra,
            bit(4, "link_eq_request", "Link Equalization Request"),
            bit(3, "eq_phase3", "Equalization phase 3 successful"),
            bit(2, "eq_phase2", "Equalization phase 2 successful"),
            bit(1, "eq_phase1", "Equalization phase 1 successful"),
            bit(0, "eq_complete", "Equalization complete"))


LANE_PRESETS = (bits(7, 4, "usp_tx_preset", "Upstream port transmitter preset"),
                bits(3, 0, "dsp_tx_preset", "Downstream port transmitter preset"))


def _phy_common(rate: str, status: Reg) -> tuple[Reg, ...]:
    return (reg(0x04, 4, "phy_cap", f"{rate} Capabilities"),
            reg(0x08, 4, "phy_control", f"{rate} Control"),
            status)


PL16_LAYOUT = phy_layout(PL16, _phy_common("16.0 GT/s", reg(
    0x0C, 4, "phy_status", "16.0 GT/s Status", *_eq_status())) + (
    reg(0x10, 4, "local_parity_mismatch", "Local Data Parity Mismatch Status: one bit per lane"),
    reg(0x14, 4, "retimer1_parity_mismatch", "First Retimer Data Parity Mismatch Status: one bit per lane"),
    reg(0x18, 4, "retimer2_parity_mismatch", "Second Retimer Data Parity Mismatch Status: one bit per lane"),
), LANE_PRESETS)


def _mod_ts_data1(side: str) -> tuple[Bits, ...]:
    return (bits(31, 16, "vendor_id", f"{side} Modified TS vendor ID"),
            bits(15, 3, "usage_info1", f"{side} Modified TS usage information 1"),
            bits(2, 0, "usage_mode", f"{side} Modified TS usage mode"))


def _mod_ts_data2(side: str) -> tuple[Bits, ...]:
    return (bits(25, 24, "alt_protocol_status", f"{side} alternate protocol negotiation status"),
            bits(23, 0, "usage_info2", f"{side} Modified TS usage information 2"))


PL32_LAYOUT = phy_layout(PL32, (
    reg(0x04, 4, "phy_cap", "32.0 GT/s Capabilities",
        bit(10, "mod_ts_mode2", "Modified TS usage mode 2 (alternate protocol) supported"),
        bit(9, "mod_ts_mode1", "Modified TS usage mode 1 (training set messages) supported"),
        bit(8, "mod_ts_mode0", "Modified TS usage mode 0 (PCI Express) supported"),
        bit(1, "no_eq_needed", "No Equalization Needed supported"),
        bit(0, "eq_bypass", "Equalization bypass to highest rate supported")),
    reg(0x08, 4, "phy_control", "32.0 GT/s Control",
        bits(10, 8, "mod_ts_mode", "Modified TS usage mode selected"),
        bit(1, "no_eq_needed_disable", "No Equalization Needed disabled"),
        bit(0, "eq_bypass_disable", "Equalization bypass to highest rate disabled")),
    reg(0x0C, 4, "phy_status", "32.0 GT/s Status", *_eq_status(
        bit(10, "no_eq_needed_received", "No Equalization Needed received"),
        bit(9, "tx_precode_request", "Transmitter precode request"),
        bit(8, "tx_precoding_on", "Transmitter precoding on"),
        bits(7, 6, "enh_link_control", "Received Enhanced Link Behavior Control"),
        bit(5, "mod_ts_received", "Modified TS1/TS2 ordered sets received"))),
    reg(0x10, 4, "rx_mod_ts_data1", "Received Modified TS Data 1", *_mod_ts_data1("Received")),
    reg(0x14, 4, "rx_mod_ts_data2", "Received Modified TS Data 2", *_mod_ts_data2("Received")),
    reg(0x18, 4, "tx_mod_ts_data1", "Transmitted Modified TS Data 1", *_mod_ts_data1("Transmitted")),
    reg(0x1C, 4, "tx_mod_ts_data2", "Transmitted Modified TS Data 2", *_mod_ts_data2("Transmitted")),
), LANE_PRESETS)

PL64_LAYOUT = phy_layout(PL64, _phy_common("64.0 GT/s", reg(
    0x0C, 4, "phy_status", "64.0 GT/s Status", *_eq_status(
        bit(7, "no_eq_needed_received", "No Equalization Needed received"),
        bit(6, "tx_precode_request", "Transmitter precode request"),
        bit(5, "tx_precoding_on", "Transmitter precoding on")))), LANE_PRESETS)

PL128_LAYOUT = phy_layout(PL128, _phy_common("128.0 GT/s", reg(
    0x0C, 4, "phy_status", "128.0 GT/s Status")))

MPCIE_REGS = (
    reg(0x04, 4, "mpcie_cap", "M-PCIe Capabilities",
        bits(31, 24, "max_rx_width", "Maximum RX LANE width capability (bit map x1..x32)"),
        bits(23, 16, "max_tx_width", "Maximum TX LANE width capability (bit map x1..x32)"),
        bit(15, "config_software", "Configuration.Software state supported"),
        bits(1, 0, "link_speed", "Link speeds supported: bit 0 HS-G1, bit 1 HS-G2")),
    reg(0x08, 4, "mpcie_control", "M-PCIe Control",
        bits(1, 0, "target_link_speed", "Target link speed: bit 0 HS-G1, bit 1 HS-G2")),
    reg(0x0C, 4, "mpcie_status", "M-PCIe Status",
        bits(31, 24, "rx_width", "Current RX LANE width"),
        bits(23, 16, "tx_width", "Current TX LANE width"),
        bit(15, "config_software_status", "LTSSM is in Configuration.Software"),
        bits(1, 0, "link_speed", "Current link speed: bit 0 HS-G1, bit 1 HS-G2")),
    reg(0x10, 4, "lane_error_status", "M-PCIe LANE Error Status: one bit per lane with an error"),
    reg(0x14, 4, "phy_control_address", "M-PCIe Phy Control Address (RRAP register access)",
        bit(31, "config", "Keep the downstream LTSSM in Configuration.Software"),
        bit(30, "read", "Start a read of the addressed Phy register"),
        bits(27, 25, "phy_location", "Phy location: 0 local, 1 remote"),
        bits(7, 0, "lower_addr", "RRAP LowerAddr[7:0]")),
    reg(0x18, 4, "phy_control_data", "M-PCIe Phy Control Data",
        bit(31, "pending", "Phy control operation in progress"),
        bit(30, "rrap_abort", "A bit of the RRAP response (abort)"),
        bit(29, "error", "Phy control operation completed in error"),
        bits(7, 0, "data", "Phy register data")),
)


FRS_REGS = (
    reg(0x04, 4, "frs_cap", "FRS Queueing Capability",
        bits(20, 16, "interrupt_message", "MSI/MSI-X vector for FRS interrupts"),
        bits(11, 0, "max_depth", "FRS message queue depth implemented (1..4095)")),
    reg(0x08, 2, "frs_status", "FRS Queueing Status",
        bit(1, "overflow", "FRS message queue overflowed"),
        bit(0, "received", "New FRS message received")),
    reg(0x0A, 2, "frs_control", "FRS Queueing Control",
        bit(0, "interrupt_enable", "Interrupt on FRS message received/overflow")),
    reg(0x0C, 4, "frs_message_queue", "FRS Message Queue: the oldest queued message",
        bits(31, 20, "depth", "Messages currently in the queue"),
        bits(19, 16, "reason", "FRS reason of the oldest message"),
        bits(15, 0, "function_id", "Requester ID of the oldest message")),
)


RTR_REGS = (
    reg(0x04, 4, "rtr1", "Readiness Time Reporting 1",
        bit(31, "valid", "All time values in this capability are valid"),
        bits(23, 12, "dl_up_time", "Time to Configuration-Ready after DL_Up (value 8:0, scale 11:9)"),
        bits(11, 0, "reset_time", "Time to Configuration-Ready after reset (value 8:0, scale 11:9)")),
    reg(0x08, 4, "rtr2", "Readiness Time Reporting 2",
        bits(23, 12, "d3hot_to_d0_time", "Time to Configuration-Ready after D3hot->D0"),
        bits(11, 0, "flr_time", "Time to Configuration-Ready after FLR")),
)


def _dvsec_layout(ctx: CapContext, size: int) -> list[Reg]:
    regs = [
        reg(0x04, 4, "dvsec_header1", "Designated Vendor-Specific Header 1",
            bits(31, 20, "dvsec_length", "Length of the whole capability in bytes"),
            bits(19, 16, "dvsec_revision", "DVSEC revision (vendor-defined)"),
            bits(15, 0, "dvsec_vendor_id", "Vendor ID that defines this DVSEC")),
        reg(0x08, 2, "dvsec_id", "Designated Vendor-Specific Header 2: DVSEC ID (vendor's structure ID)"),
    ]
    if size > DVSEC_MIN_LENGTH:
        regs.append(reg(DVSEC_MIN_LENGTH, size - DVSEC_MIN_LENGTH, "vendor_registers",
                        "Designated vendor-specific registers (layout is the vendor's)"))
    return _within(regs, size)


def _dlf_fields(side: str) -> tuple[Bits, ...]:
    return (bits(7, 5, "l0p_exit_latency", f"{side} L0p exit latency"),
            bits(4, 2, "extended_vc_count", f"{side} extended VC count"),
            bit(1, "immediate_readiness", f"{side} immediate readiness"),
            bit(0, "scaled_flow_control", f"{side} supports Scaled Flow Control"))


DLF_REGS = (
    reg(0x04, 4, "dlf_cap", "Data Link Feature Capabilities (local features)",
        bit(31, "exchange_enable", "Data Link Feature Exchange enabled"), *_dlf_fields("Local")),
    reg(0x08, 4, "dlf_status", "Data Link Feature Status (features the remote port reported)",
        bit(31, "remote_valid", "Remote Data Link Feature Supported is valid"), *_dlf_fields("Remote")),
)


LMR_PORT_REGS = (
    reg(0x04, 2, "port_cap", "Margining Port Capabilities",
        bit(0, "uses_driver_software", "Margining uses driver software")),
    reg(0x06, 2, "port_status", "Margining Port Status",
        bit(1, "software_ready", "Margining software ready"),
        bit(0, "ready", "Margining ready")),
)


def _lmr_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = _within(LMR_PORT_REGS, size)
    for n in range(min(max(size - LMR_LANE_START, 0) // LMR_LANE_SIZE, LMR_MAX_LANES)):
        base = LMR_LANE_START + LMR_LANE_SIZE * n
        out.append(reg(base, 2, f"lane{n}_control", f"Margining Lane {n} Control: margining command"))
        out.append(reg(base + 2, 2, f"lane{n}_status", f"Margining Lane {n} Status: command response"))
    return out


HIER_ID_REGS = (
    reg(0x04, 4, "hier_status", "Hierarchy ID Status"),
    reg(0x08, 4, "hier_data", "Hierarchy ID Data"),
    *(reg(0x0C + 4 * i, 4, f"guid{i + 1}", f"Hierarchy ID GUID {i + 1}") for i in range(5)),
)


def _npem_indications(verb: str, reset_doc: str) -> tuple[Bits, ...]:
    names = ("ok", "locate", "fail", "rebuild", "pfa", "hot_spare", "in_critical_array",
             "in_failed_array", "invalid_device_type", "disabled")
    docs = ("OK", "Locate", "Fail", "Rebuild", "Predicted Failure Analysis", "Hot Spare",
            "In A Critical Array", "In A Failed Array", "Invalid Device Type", "Disabled")
    return (bits(31, 24, "enclosure_specific", f"Enclosure-specific indications {verb}"),
            *(bit(2 + i, name, f"{doc} indication {verb}") for i, (name, doc) in enumerate(zip(names, docs, strict=False))),
            bit(1, "reset", reset_doc))


NPEM_REGS = (
    reg(0x04, 4, "npem_cap", "NPEM Capability", *_npem_indications("supported", "NPEM reset supported"),
        bit(0, "capable", "NPEM capable")),
    reg(0x08, 4, "npem_control", "NPEM Control", *_npem_indications("enabled", "NPEM reset command"),
        bit(0, "enable", "NPEM enabled")),
    reg(0x0C, 4, "npem_status", "NPEM Status",
        bit(0, "command_completed", "NPEM command completed")),
)


ALT_PROT_REGS = (
    reg(0x04, 4, "alt_prot_cap", "Alternate Protocol Capabilities"),
    reg(0x08, 4, "alt_prot_control", "Alternate Protocol Control"),
    reg(0x0C, 4, "alt_prot_data1", "Alternate Protocol Data 1"),
    reg(0x10, 4, "alt_prot_data2", "Alternate Protocol Data 2"),
    reg(0x14, 4, "alt_prot_selective_enable_mask", "Alternate Protocol Selective Enable Mask (PCIe 6.0+)"),
)


SFI_REGS = (
    reg(0x04, 2, "sfi_cap", "SFI Capability"),
    reg(0x06, 2, "sfi_control", "SFI Control"),
    reg(0x08, 2, "sfi_status", "SFI Status"),
    reg(0x0C, 4, "sfi_cam_address", "SFI CAM Address: config access mechanism address"),
    reg(0x10, 4, "sfi_cam_data", "SFI CAM Data: data for the access at CAM Address"),
)


def _shadow_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = _within((reg(0x04, 4, "shadow_cap", "Shadow Functions Capability"),
                   reg(0x08, 4, "shadow_control", "Shadow Functions Control")), size)
    for i in range(max(size - SHADOW_ENTRIES_START, 0) // SHADOW_ENTRY_SIZE):
        out.append(reg(SHADOW_ENTRIES_START + SHADOW_ENTRY_SIZE * i, 4, f"instance{i}",
                       f"Shadow Functions Instance Register Entry {i}"))
    return out


DOE_REGS = (
    reg(0x04, 4, "doe_cap", "DOE Capabilities",
        bits(11, 1, "interrupt_message", "MSI/MSI-X vector for DOE interrupts"),
        bit(0, "interrupt_support", "DOE interrupts supported")),
    reg(0x08, 4, "doe_control", "DOE Control",
        bit(31, "go", "DOE Go: start processing the written data object"),
        bit(1, "interrupt_enable", "DOE interrupt enabled"),
        bit(0, "abort", "DOE Abort")),
    reg(0x0C, 4, "doe_status", "DOE Status",
        bit(31, "data_object_ready", "A response data object is ready"),
        bit(2, "error", "DOE error"),
        bit(1, "interrupt_status", "DOE interrupt pending"),
        bit(0, "busy", "DOE busy")),
    reg(0x10, 4, "doe_write_mailbox", "DOE Write Data Mailbox: next DWORD of the request"),
    reg(0x14, 4, "doe_read_mailbox", "DOE Read Data Mailbox: next DWORD of the response"),
)


DEV3_REGS = (
    reg(0x04, 4, "devcap3", "Device Capabilities 3",
        bits(9, 7, "retimer_l0p_exit", "Retimer L0p exit latency"),
        bits(6, 4, "port_l0p_exit", "Port L0p exit latency"),
        bit(3, "l0p", "L0p supported"),
        bit(2, "tag14_requester", "14-bit Tag requester supported"),
        bit(1, "tag14_completer", "14-bit Tag completer supported"),
        bit(0, "dmwr_routing", "DMWr request routing supported")),
    reg(0x08, 4, "devctl3", "Device Control 3",
        bits(6, 4, "target_link_width", "Target link width (Flit mode L0p)"),
        bit(3, "l0p_enable", "L0p enabled"),
        bit(2, "tag14_requester_enable", "14-bit Tag requester enabled"),
        bit(1, "dmwr_egress_blocking", "DMWr egress blocking"),
        bit(0, "dmwr_requester_enable", "DMWr requester enabled")),
    reg(0x0C, 4, "devsta3", "Device Status 3",
        bit(4, "remote_l0p", "Remote L0p supported"),
        bit(3, "segment_captured", "Segment captured (end-to-end Flit mode)"),
        bits(2, 0, "initial_link_width", "Initial link width: x(2^n)")),
)


def _ide_stream_control(kind: str) -> tuple[Bits, ...]:
    return (bits(31, 24, "stream_id", f"{kind} IDE stream ID"),
            bits(21, 19, "tc", "Traffic class"),
            bits(18, 14, "algorithm", "Selected algorithm (from IDE Capability)"),
            bits(13, 10, "partial_header_enc", "Partial header encryption mode"),
            bit(8, "pcrc_enable", "PCRC enabled"),
            bits(7, 6, "tx_aggr_cpl", "Tx aggregation mode, completions"),
            bits(5, 4, "tx_aggr_pr", "Tx aggregation mode, posted requests"),
            bits(3, 2, "tx_aggr_npr", "Tx aggregation mode, non-posted requests"),
            bit(0, "enable", f"{kind} IDE stream enabled"))


def _ide_stream_status(kind: str) -> tuple[Bits, ...]:
    return (bit(31, "ide_fail", "IDE Fail message received"),
            bits(3, 0, "state", f"{kind} IDE stream state (2 = secure)"))


IDE_HEAD = (
    reg(0x04, 4, "ide_cap", "IDE Capability",
        bit(24, "tee_limited", "TEE-Limited streams supported"),
        bits(23, 16, "selective_streams", "Selective IDE streams supported - 1"),
        bits(15, 13, "link_tcs", "Link IDE stream TCs supported - 1"),
        bits(12, 8, "algorithms", "Supported algorithms (0 = AES-GCM 256, 96-bit MAC)"),
        bit(7, "selective_config", "Selective IDE for configuration requests supported"),
        bit(6, "ide_km", "IDE_KM protocol supported"),
        bit(5, "pcrc", "PCRC supported"),
        bit(4, "aggregation", "Aggregation supported"),
        bit(3, "partial_header_enc", "Partial header encryption supported"),
        bit(2, "flow_through", "Flow-through IDE stream supported"),
        bit(1, "selective", "Selective IDE streams supported"),
        bit(0, "link", "Link IDE stream supported")),
    reg(0x08, 4, "ide_control", "IDE Control",
        bit(2, "flow_through_enable", "Flow-through IDE stream enabled")),
)


def _ide_selective_regs(i: int, base: int, n_addr: int) -> list[Reg]:
    p = f"sel{i}_"
    out = [
        reg(base, 4, p + "cap", f"Selective IDE Stream {i} Capability",
            bits(3, 0, "addr_assoc_blocks", "Address association register blocks that follow")),
        reg(base + 0x04, 4, p + "control", f"Selective IDE Stream {i} Control",
            bit(23, "tee_limited", "TEE-Limited stream"),
            bit(22, "default_stream", "Default stream"),
            bit(9, "config_enable", "Selective IDE for configuration requests"),
            *_ide_stream_control("Selective")),
        reg(base + 0x08, 4, p + "status", f"Selective IDE Stream {i} Status", *_ide_stream_status("Selective")),
        reg(base + 0x0C, 4, p + "rid_assoc1", f"Stream {i} IDE RID Association 1",
            bits(23, 8, "rid_limit", "RID limit")),
        reg(base + 0x10, 4, p + "rid_assoc2", f"Stream {i} IDE RID Association 2",
            bits(31, 24, "segment_base", "Segment base"),
            bits(23, 8, "rid_base", "RID base"),
            bit(0, "valid", "RID association valid")),
    ]
    for j in range(n_addr):
        a = base + IDE_SEL_BLOCK + IDE_ADDR_BLOCK * j
        out += [
            reg(a, 4, f"{p}addr{j}_1", f"Stream {i} IDE Address Association {j} register 1",
                bits(31, 20, "limit_low", "Memory limit, bits 31:20"),
                bits(19, 8, "base_low", "Memory base, bits 31:20"),
                bit(0, "valid", "Address association valid")),
            reg(a + 4, 4, f"{p}addr{j}_2", f"Stream {i} IDE Address Association {j}: memory limit upper"),
            reg(a + 8, 4, f"{p}addr{j}_3", f"Stream {i} IDE Address Association {j}: memory base upper"),
        ]
    return out


def _ide_layout(ctx: CapContext, size: int) -> list[Reg]:
    link_streams, addr_blocks, _, _ = _ide_walk(ctx)
    out = list(IDE_HEAD)
    for n in range(link_streams):
        base = IDE_BLOCKS_START + IDE_LINK_BLOCK * n
        out.append(reg(base, 4, f"link{n}_control", f"Link IDE Stream {n} Control",
                       *_ide_stream_control("Link")))
        out.append(reg(base + 4, 4, f"link{n}_status", f"Link IDE Stream {n} Status",
                       *_ide_stream_status("Link")))
    pos = IDE_BLOCKS_START + IDE_LINK_BLOCK * link_streams
    for i, n_addr in enumerate(addr_blocks):
        out += _ide_selective_regs(i, pos, n_addr)
        pos += IDE_SEL_BLOCK + IDE_ADDR_BLOCK * n_addr
    return _within(out, size)


FLIT_LOG_REGS = (
    reg(0x04, 4, "flit_error_log1", "Flit Error Log 1: valid, link width, syndromes of group 0"),
    reg(0x08, 4, "flit_error_log2", "Flit Error Log 2: syndromes of groups 1-2"),
    reg(0x0C, 2, "flit_error_counter_control", "Flit Error Counter Control"),
    reg(0x0E, 2, "flit_error_counter_status", "Flit Error Counter Status"),
    reg(0x10, 4, "fber_control", "FBER Measurement Control"),
    *(reg(0x14 + 4 * i, 4, f"fber_status{i + 1}", f"FBER Measurement Status {i + 1}") for i in range(10)),
)


FLIT_PM_REGS = (
    reg(0x04, 4, "flit_pm_cap", "Flit Performance Measurement Capability"),
    reg(0x08, 4, "flit_pm_control", "Flit Performance Measurement Control"),
    reg(0x0C, 4, "flit_pm_status", "Flit Performance Measurement Status"),
    *(reg(0x10 + 4 * i, 4, f"ltssm_pm_status{i + 1}", f"LTSSM Performance Measurement Status {i + 1}")
      for i in range(5)),
)


FLIT_EI_REGS = (
    reg(0x04, 4, "flit_ei_cap", "Flit Error Injection Capability"),
    reg(0x08, 4, "flit_ei_control1", "Flit Error Injection Control 1"),
    reg(0x0C, 4, "flit_ei_control2", "Flit Error Injection Control 2"),
    reg(0x10, 4, "flit_ei_status", "Flit Error Injection Status"),
    reg(0x14, 4, "os_ei_control1", "Ordered Set Error Injection Control 1"),
    reg(0x18, 4, "os_ei_control2", "Ordered Set Error Injection Control 2"),
    reg(0x1C, 4, "os_ei_tx_status", "Ordered Set Tx Error Injection Status"),
    reg(0x20, 4, "os_ei_rx_status", "Ordered Set Rx Error Injection Status"),
)


NOP_FLIT_REGS = (
    reg(0x04, 4, "nop_cap", "NOP Flit Capabilities"),
    reg(0x08, 4, "nop_control1", "NOP Flit Control 1"),
    reg(0x0C, 4, "nop_control2", "NOP Flit Control 2"),
    reg(0x10, 4, "nop_status", "NOP Flit Status"),
)


SVC_PORT_REGS = (
    reg(0x04, 4, "port_cap1", "SVC Port Capability 1",
        bits(2, 0, "evc", "Extended VC Count: VC resources beyond VC0")),
    reg(0x08, 4, "port_cap2", "SVC Port Capability 2"),
    reg(0x0C, 4, "port_control", "SVC Port Control"),
    reg(0x10, 4, "port_status", "SVC Port Status"),
)


def _svc_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = _within(SVC_PORT_REGS, size)
    for i in range(min(max(size - SVC_VC_START, 0) // SVC_VC_SIZE, SVC_EVC_MASK + 1)):
        base = SVC_VC_START + SVC_VC_SIZE * i
        out += [reg(base, 4, f"vc{i}_cap", f"SVC VC Resource {i} Capability"),
                reg(base + 4, 4, f"vc{i}_control", f"SVC VC Resource {i} Control"),
                reg(base + 8, 4, f"vc{i}_status", f"SVC VC Resource {i} Status")]
    return out


def _mrbl_layout(ctx: CapContext, size: int) -> list[Reg]:
    out = _within((reg(0x04, 4, "mrbl_cap", "MRBL Capabilities",
                       bits(11, 0, "structure_length", "Length of the whole structure in bytes")),), size)
    for i in range(max(size - MRBL_LOCATORS_START, 0) // MRBL_LOCATOR_SIZE):
        base = MRBL_LOCATORS_START + MRBL_LOCATOR_SIZE * i
        out.append(reg(base, 4, f"locator{i}_low", f"MRBL Locator {i}, low DWORD",
                       bits(15, 8, "block_id", "Register block ID (1 MCAP, 0xFF MDVS, 0 empty)"),
                       bits(2, 0, "bir", "BAR holding the register block")))
        out.append(reg(base + 4, 4, f"locator{i}_high", f"MRBL Locator {i}: block offset, upper 32 bits"))
    return out


SIOV_REGS = (
    reg(0x04, 4, "siov_cap", "SIOV Capabilities"),
    reg(0x08, 2, "total_sdis", "Total SDIs (Scalable Device Interfaces)"),
    reg(0x0B, 1, "siov_status", "SIOV Status",
        bit(0, "enabled", "At least one SDI is enabled")),
    reg(0x0C, 2, "first_sdi_offset", "First SDI Offset (routing ID offset)"),
    reg(0x0E, 2, "sdi_stride", "SDI Stride (routing ID stride)"),
)
