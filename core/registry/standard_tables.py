"""The register tables of standard.py: imported the first time a decode asks for one
(`model.tables`), so a command that only walks and sizes capabilities never builds them."""

from __future__ import annotations

from collections.abc import Iterable

from .model import CapContext
from .registers import Bits, Reg, bit, bits, reg
from .standard import (
    MSI_64BIT,
    MSI_EXT_DATA,
    MSI_PVM,
    VIRTIO_CAP_MIN,
    VIRTIO_NOTIFY,
    VIRTIO_PCI_CFG,
    VIRTIO_SHM,
    VNDR_HEADER,
    is_virtio,
)
from .standard_rare import (
    HT_AM,
    HT_AM_BASE,
    HT_AM_MAP_64,
    HT_AM_NDMA,
    HT_AM_PER_DMA,
    PCIX_BRIDGE_SIZE,
    PCIX_SIZE,
    _ea_entries,
    _ht_am_map,
    _ht_block,
    _ht_type5,
    _is_bridge,
)


def _within(regs: Iterable[Reg], size: int) -> tuple[Reg, ...]:
    """The registers of a variable layout that fit in `size` bytes."""
    return tuple(r for r in regs if r.end <= size)


# ------------------------------------------------------------------ 0x08 HyperTransport blocks


def _ht_type_field(width: int) -> Bits:
    return bits(15, 16 - width, "capability_type", f"HT capability type ({width}-bit encoding)")


def _ht_command(doc: str, *fields: Bits, width: int = 5) -> Reg:
    return reg(0x02, 2, "command", doc, _ht_type_field(width), *fields)


def _ht_link_control(offset: int, suffix: str) -> Reg:
    return reg(offset, 2, f"link_control{suffix}", f"Link Control {suffix}".rstrip(),
               bit(15, "addr64", "64-bit addressing enabled"),
               bit(14, "ext_ctl", "Extended CTL time"),
               bit(13, "ldtstop_tristate", "LDTSTOP# tristate enabled"),
               bit(12, "isoc_fc", "Isochronous flow control enabled"),
               bits(11, 8, "crc_error", "CRC error per byte lane"),
               bit(7, "tx_off", "Transmitter off"),
               bit(6, "end_of_chain", "End of chain"),
               bit(5, "init_complete", "Initialization complete"),
               bit(4, "link_fail", "Link failure"),
               bit(3, "crc_force_error", "CRC force error"),
               bit(2, "crc_start_test", "CRC start test"),
               bit(1, "crc_flood", "CRC flood enable"))


def _ht_link_config(offset: int, suffix: str) -> Reg:
    return reg(offset, 2, f"link_config{suffix}", f"Link Configuration {suffix}".rstrip(),
               bit(15, "dw_fc_out_enable", "Doubleword flow control out enabled"),
               bits(14, 12, "width_out", "Link width out"),
               bit(11, "dw_fc_in_enable", "Doubleword flow control in enabled"),
               bits(10, 8, "width_in", "Link width in"),
               bit(7, "dw_fc_out", "Doubleword flow control out supported"),
               bits(6, 4, "max_width_out", "Maximum link width out"),
               bit(3, "dw_fc_in", "Doubleword flow control in supported"),
               bits(2, 0, "max_width_in", "Maximum link width in"))


def _ht_revision(offset: int) -> Reg:
    return reg(offset, 1, "revision_id", "HT specification revision implemented",
               bits(7, 5, "major", "Major revision"), bits(4, 0, "minor", "Minor revision"))


def _ht_freq_error(offset: int, suffix: str) -> Reg:
    return reg(offset, 1, f"link_freq_error{suffix}", f"Link Frequency/Error {suffix}".rstrip(),
               bit(7, "ctl_timeout", "CTL timeout"),
               bit(6, "end_of_chain_error", "End of chain error"),
               bit(5, "overflow_error", "Overflow error"),
               bit(4, "protocol_error", "Protocol error"),
               bits(3, 0, "frequency", "Transmitter clock frequency (0 = 200 MHz ... 9 = 1.6 GHz)"))


def _ht_freq_cap(offset: int, suffix: str) -> Reg:
    return reg(offset, 2, f"link_freq_cap{suffix}",
               f"Link Frequency Capability {suffix}".rstrip() + ": supported clock frequencies")


HT_FEATURE_BITS = (
    bit(5, "unitid_reorder_disable", "UnitID reorder disable"),
    bit(4, "addr64", "64-bit addressing supported"),
    bit(3, "ext_ctl_required", "Extended CTL time required"),
    bit(2, "crc_test_mode", "CRC test mode supported"),
    bit(1, "ldtstop", "LDTSTOP# supported"),
    bit(0, "isoc_fc", "Isochronous flow control mode supported"),
)


def _ht_error_handling(offset: int) -> Reg:
    return reg(offset, 2, "error_handling", "Error Handling: flood/fatal/non-fatal enables",
               bit(15, "serr_nonfatal", "System error non-fatal enable"),
               bit(14, "crc_nonfatal", "CRC error non-fatal enable"),
               bit(13, "response_nonfatal", "Response error non-fatal enable"),
               bit(12, "eoc_nonfatal", "End of chain error non-fatal enable"),
               bit(11, "overflow_nonfatal", "Overflow error non-fatal enable"),
               bit(10, "protocol_nonfatal", "Protocol error non-fatal enable"),
               bit(9, "response_error", "Response error"),
               bit(8, "chain_fail", "Chain fail"),
               bit(7, "serr_fatal", "System error fatal enable"),
               bit(6, "crc_fatal", "CRC error fatal enable"),
               bit(5, "response_fatal", "Response error fatal enable"),
               bit(4, "eoc_fatal", "End of chain error fatal enable"),
               bit(3, "overflow_fatal", "Overflow error fatal enable"),
               bit(2, "protocol_fatal", "Protocol error fatal enable"),
               bit(1, "overflow_flood", "Overflow error flood enable"),
               bit(0, "protocol_flood", "Protocol error flood enable"))


def _ht_mem_upper(offset: int) -> tuple[Reg, ...]:
    return (reg(offset, 1, "mem_base_upper", "Prefetchable memory base behind the bridge, upper bits"),
            reg(offset + 1, 1, "mem_limit_upper", "Prefetchable memory limit behind the bridge, upper bits"))


HT_PRIMARY_REGS = (
    _ht_command("Slave/Primary Interface Command",
                bit(12, "drop_on_uninit", "Drop on uninitialized link"),
                bit(11, "default_direction", "Default direction"),
                bit(10, "master_host", "Master host"),
                bits(9, 5, "unit_count", "Unit count"),
                bits(4, 0, "base_unit_id", "Base UnitID"), width=3),
    _ht_link_control(0x04, "0"), _ht_link_config(0x06, "0"),
    _ht_link_control(0x08, "1"), _ht_link_config(0x0A, "1"),
    _ht_revision(0x0C),
    _ht_freq_error(0x0D, "0"), _ht_freq_cap(0x0E, "0"),
    reg(0x10, 1, "feature", "Feature capability", *HT_FEATURE_BITS),
    _ht_freq_error(0x11, "1"), _ht_freq_cap(0x12, "1"),
    reg(0x14, 2, "enum_scratchpad", "Enumeration scratchpad"),
    _ht_error_handling(0x16),
    *_ht_mem_upper(0x18),
    reg(0x1A, 1, "bus_number", "Bus number"),
)

HT_SECONDARY_REGS = (
    _ht_command("Host/Secondary Interface Command",
                bit(12, "drop_on_uninit", "Drop on uninitialized link"),
                bit(11, "host_inbound_eoc_error", "Host inbound end of chain error"),
                bit(10, "act_as_slave", "Act as slave"),
                bit(8, "host_hide", "Host hide"),
                bit(7, "chain_side", "Chain side"),
                bit(1, "double_ended", "Double-ended chain"),
                bit(0, "warm_reset", "Warm reset"), width=3),
    _ht_link_control(0x04, ""), _ht_link_config(0x06, ""),
    _ht_revision(0x08),
    _ht_freq_error(0x09, ""), _ht_freq_cap(0x0A, ""),
    reg(0x0C, 2, "feature", "Feature capability", *HT_FEATURE_BITS,
        bit(9, "upstream_config_enable", "Upstream configuration enable"),
        bit(8, "extended_register_set", "Extended register set (error handling, memory upper) present")),
    reg(0x10, 2, "enum_scratchpad", "Enumeration scratchpad"),
    _ht_error_handling(0x12),
    *_ht_mem_upper(0x14),
)

HT_SWITCH_REGS = (
    _ht_command("Switch Command",
                bit(10, "vib_nonfatal", "VIB error non-fatal enable"),
                bit(9, "vib_fatal", "VIB error fatal enable"),
                bit(8, "vib_flood", "VIB error flood enable"),
                bit(7, "vib_error", "VIB error")),
    reg(0x04, 4, "partition_mask", "Partition mask"),
    reg(0x08, 4, "switch_info", "Switch info: default port and data-register index",
        bit(19, "hide_port", "Hide port"),
        bit(18, "hot_plug", "Hot plug"),
        bits(17, 12, "base_limit_index", "Base/limit range index"),
        bits(11, 8, "perf_counter_index", "Performance counter index"),
        bit(6, "cold_reset", "Cold reset"),
        bit(5, "enable_decode", "Enable decode"),
        bits(4, 0, "default_port", "Default port")),
    reg(0x0C, 4, "perf_counter_data", "Performance counter data (selected by the index)"),
    reg(0x10, 4, "base_limit_data", "Base/limit range data (selected by the index)"),
    reg(0x14, 4, "secondary_base_data", "Secondary base data (selected by the index)"),
)

HT_IDC_REGS = (
    _ht_command("Interrupt Discovery and Configuration", bits(7, 0, "index", "Register index")),
    reg(0x04, 4, "data", "Data of the register selected by the index"),
)

HT_RID_REGS = (
    _ht_command("Revision ID", bits(7, 5, "major", "Major revision"),
                bits(4, 0, "minor", "Minor revision")),
)

HT_UIDC_REGS = (
    _ht_command("UnitID Clumping"),
    reg(0x04, 4, "clumping_support", "Clumping support: UnitIDs that may be clumped"),
    reg(0x08, 4, "clumping_enable", "Clumping enable"),
)

HT_ECSA_REGS = (
    _ht_command("Extended Configuration Space Access"),
    reg(0x04, 4, "config_address", "Configuration address",
        bit(28, "type", "Access type"),
        bits(27, 20, "bus", "Bus number"),
        bits(14, 12, "function", "Function"),
        bits(11, 2, "register", "Register (DWORD)")),
    reg(0x08, 4, "config_data", "Configuration data"),
)

HT_MSIM_REGS = (
    _ht_command("MSI Mapping", bit(1, "fixed", "Mapping address fixed at 0xFEE00000"),
                bit(0, "enable", "Mapping active")),
    reg(0x04, 4, "address_lower", "MSI mapping address, lower half",
        bits(31, 20, "address", "Address bits 31:20")),
    reg(0x08, 4, "address_upper", "MSI mapping address, upper half"),
)

HT_DR_REGS = (
    _ht_command("DirectRoute", bits(8, 4, "index", "Index of the DirectRoute register to access"),
                bits(3, 0, "spaces", "Number of DirectRoute spaces")),
    reg(0x04, 4, "enable_vector", "DirectRoute enable vector"),
    reg(0x08, 4, "data", "Data of the register selected by the index"),
)

HT_VCS_REGS = (
    _ht_command("VCSet"),
    reg(0x04, 1, "vcsets_supported", "VCSets supported"),
    reg(0x05, 1, "link1_vcsets_enabled", "Link 1 VCSets enabled"),
    reg(0x06, 1, "link0_vcsets_enabled", "Link 0 VCSets enabled"),
    reg(0x08, 1, "stream_bucket_depth", "Stream bucket depth"),
    reg(0x09, 1, "stream_interval", "Stream interval"),
    reg(0x0A, 1, "streaming_vcs", "Number of streaming VCs supported"),
    reg(0x0C, 1, "nonfc_bucket_depth", "Non-FC bucket depth"),
    reg(0x0D, 1, "nonfc_interval", "Non-FC bucket interval"),
)

HT_RETRY_CONTROL = (
    bits(7, 6, "allowed_attempts", "Allowed retry attempts"),
    bit(5, "retry_fatal", "Retry fatal enable"),
    bit(4, "retry_nonfatal", "Retry non-fatal enable"),
    bit(3, "force_single_stomp", "Force single stomp"),
    bit(2, "rollover_nonfatal", "Rollover non-fatal enable"),
    bit(1, "force_single_error", "Force single error"),
    bit(0, "link_retry", "Link retry enable"),
)
HT_RETRY_STATUS = (
    bit(2, "stomp_received", "Stomp received"),
    bit(1, "count_rollover", "Retry count rollover"),
    bit(0, "retry_sent", "Retry sent"),
)

HT_RM_REGS = (
    _ht_command("Retry Mode"),
    reg(0x04, 1, "control0", "Link 0 retry control", *HT_RETRY_CONTROL),
    reg(0x05, 1, "status0", "Link 0 retry status", *HT_RETRY_STATUS),
    reg(0x06, 1, "control1", "Link 1 retry control", *HT_RETRY_CONTROL),
    reg(0x07, 1, "status1", "Link 1 retry status", *HT_RETRY_STATUS),
    reg(0x08, 2, "retry_count0", "Link 0 retry count"),
    reg(0x0A, 2, "retry_count1", "Link 1 retry count"),
)

# the registers of each block standard.HT_INTERFACES and HT_FIXED name and size
HT_BLOCK_REGS: dict[str, tuple[Reg, ...]] = {
    "Slave/Primary Interface": HT_PRIMARY_REGS,
    "Host/Secondary Interface": HT_SECONDARY_REGS,
    "Switch": HT_SWITCH_REGS,
    "Interrupt Discovery and Configuration": HT_IDC_REGS,
    "Revision ID": HT_RID_REGS,
    "UnitID Clumping": HT_UIDC_REGS,
    "Extended Configuration Space Access": HT_ECSA_REGS,
    "MSI Mapping": HT_MSIM_REGS,
    "DirectRoute": HT_DR_REGS,
    "VCSet": HT_VCS_REGS,
    "Retry Mode": HT_RM_REGS,
}


PM_REGS = (
    reg(0x02, 2, "pmc", "Power Management Capabilities (read-only)",
        bits(2, 0, "version", "PCI PM spec version (3 = PCI PM 1.2)"),
        bit(3, "pme_clock", "PME clock required (obsolete, 0 for PCIe)"),
        bit(4, "imm_readiness_d0", "Immediate readiness on return to D0"),
        bit(5, "dsi", "Device-specific initialization required"),
        bits(8, 6, "aux_current", "Max 3.3Vaux current drawn in D3cold (encoded)"),
        bit(9, "d1_support", "Supports the D1 power state"),
        bit(10, "d2_support", "Supports the D2 power state"),
        bits(15, 11, "pme_support", "States from which PME# can be asserted: D0, D1, D2, D3hot, D3cold")),
    reg(0x04, 2, "pmcsr", "Power Management Control/Status",
        bits(1, 0, "power_state", "Current power state: 0 D0, 1 D1, 2 D2, 3 D3hot"),
        bit(3, "no_soft_reset", "No reset on D3hot->D0: configuration context is kept"),
        bit(8, "pme_enable", "PME generation enabled"),
        bits(12, 9, "data_select", "Selects what the Data register reports"),
        bits(14, 13, "data_scale", "Scale factor of the Data register"),
        bit(15, "pme_status", "PME event pending (write 1 to clear)")),
    reg(0x06, 1, "pmcsr_bse", "PMCSR bridge support extensions (bridges only)",
        bit(6, "b2_b3", "B2/B3 support for D3hot"),
        bit(7, "bpcc_enable", "Bus power/clock control enabled")),
    reg(0x07, 1, "data", "Power consumption/dissipation reported for Data Select"),
)


def _agp_rate(doc: str) -> Bits:
    return bits(2, 0, "rate", doc)


AGP_REGS = (
    reg(0x02, 1, "revision", "AGP revision (BCD major.minor)",
        bits(7, 4, "major", "Major revision (3 = AGP 3.0)"),
        bits(3, 0, "minor", "Minor revision")),
    reg(0x04, 4, "status", "AGP Status: what the device supports",
        bits(31, 24, "rq", "Maximum outstanding requests - 1"),
        bit(16, "isoch", "Isochronous transactions supported"),
        bits(15, 13, "arqsz", "log2(optimum asynchronous request size) - 4"),
        bits(12, 10, "cal", "Calibration cycle timing"),
        bit(9, "sba", "Sideband addressing supported"),
        bit(8, "ita_coh", "In-aperture accesses always coherent"),
        bit(7, "gart64", "64-bit GART entries supported"),
        bit(6, "htrans", "Host translation of aperture accesses not supported"),
        bit(5, "addr64", "64-bit addressing supported"),
        bit(4, "fw", "Fast write transfers supported"),
        bit(3, "agp3", "AGP 3.0 mode (the rate bits then mean 4x/8x)"),
        _agp_rate("Supported rates: 1x, 2x, 4x (AGP3 mode: 4x, 8x)")),
    reg(0x08, 4, "command", "AGP Command: what software enabled",
        bits(31, 24, "rq", "Maximum outstanding requests the master may issue"),
        bits(15, 13, "arqsz", "log2(optimum asynchronous request size) - 4"),
        bits(12, 10, "cal", "Calibration cycle timing"),
        bit(9, "sba", "Sideband addressing enabled"),
        bit(8, "agp_enable", "AGP transactions enabled"),
        bit(7, "gart64", "64-bit GART entries enabled"),
        bit(5, "addr64", "64-bit addressing enabled"),
        bit(4, "fw", "Fast write transfers enabled"),
        _agp_rate("Rate in use: 1x, 2x, 4x (AGP3 mode: 4x, 8x)")),
)


AGP3_REGS = (
    reg(0x0C, 4, "nistat", "Isochronous Status (AGP 3.0)"),
    reg(0x10, 4, "agpctrl", "AGP Control (AGP 3.0)",
        bit(8, "aperture_enable", "Graphics aperture enabled"),
        bit(7, "gtlb_enable", "GART translation lookaside buffer enabled")),
    reg(0x14, 2, "apsize", "Aperture Size (AGP 3.0)"),
    reg(0x16, 2, "nepg", "NEPG register (AGP 3.0; Linux AGPNEPG)"),
    reg(0x18, 4, "gart_lo", "GART base address, low half (AGP 3.0)"),
    reg(0x1C, 4, "gart_hi", "GART base address, high half (AGP 3.0)"),
    reg(0x20, 2, "nicmd", "Isochronous Command (AGP 3.0)"),
)


def _agp_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    return _within(AGP_REGS + AGP3_REGS, size)


VPD_REGS = (
    reg(0x02, 2, "vpd_address", "VPD Address: which DWORD of VPD to read or write",
        bit(15, "f", "Completion flag: set by hardware after a read, cleared after a write"),
        bits(14, 0, "address", "VPD byte address (DWORD aligned)")),
    reg(0x04, 4, "vpd_data", "VPD Data: the DWORD at VPD Address"),
)


SLOTID_REGS = (
    reg(0x02, 1, "expansion_slot", "Expansion Slot register",
        bit(5, "first_in_chassis", "First In Chassis: this bridge is the first in its chassis"),
        bits(4, 0, "slots", "Number of expansion slots behind this bridge")),
    reg(0x03, 1, "chassis_number", "Chassis Number"),
)


def _msi_layout(ctx: CapContext, size: int) -> list[Reg]:
    ctl = ctx.u16(2)
    wide = bool(ctl & MSI_64BIT)
    out = [
        reg(0x02, 2, "message_control", "MSI Message Control",
            bit(0, "enable", "MSI enabled"),
            bits(3, 1, "multiple_message_capable", "log2 of the vectors the function requests"),
            bits(6, 4, "multiple_message_enable", "log2 of the vectors software granted"),
            bit(7, "addr64", "64-bit message address capable"),
            bit(8, "per_vector_masking", "Per-vector masking capable (Mask/Pending registers present)"),
            bit(9, "ext_msg_data_capable", "Extended Message Data capable"),
            bit(10, "ext_msg_data_enable", "Extended Message Data enabled")),
        reg(0x04, 4, "message_address", "Message Address (bits 31:2; DWORD aligned)"),
    ]
    data = 0x08
    if wide:
        out.append(reg(0x08, 4, "message_upper_address", "Message Upper Address (bits 63:32)"))
        data = 0x0C
    out.append(reg(data, 2, "message_data", "Message Data written to signal an interrupt"))
    if ctl & MSI_PVM:
        out.append(reg(data + 2, 2, "ext_message_data", "Extended Message Data (upper 16 bits of the data)"))
        out.append(reg(data + 4, 4, "mask_bits", "Per-vector mask bits: 1 masks that vector"))
        out.append(reg(data + 8, 4, "pending_bits", "Per-vector pending bits (read-only)"))
    elif ctl & MSI_EXT_DATA:
        out.append(reg(data + 2, 2, "ext_message_data", "Extended Message Data (upper 16 bits of the data)"))
    return out


CHSWP_REGS = (
    reg(0x02, 1, "hs_csr", "Hot Swap Control and Status",
        bit(7, "ins", "ENUM# status: insertion"),
        bit(6, "ext", "ENUM# status: extraction"),
        bits(5, 4, "pi", "Programming interface"),
        bit(3, "loo", "Blue LED on"),
        bit(2, "pie", "Pending insertion or extraction"),
        bit(1, "eim", "ENUM# signal mask"),
        bit(0, "dha", "Device hiding arm")),
)


PCIX_VERSION_FIELD = bits(13, 12, "version",
                          "Capability version: 0 no ECC, 1 Mode 2 ECC, 2 Mode 1 and 2 ECC")


# Status bits shared by the type-0 Status and the bridge (primary bus) Status registers
PCIX_STATUS_COMMON = (
    bit(31, "cap_533", "PCI-X 533 capable"),
    bit(30, "cap_266", "PCI-X 266 capable"),
    bit(19, "unexpected_split", "Unexpected split completion received"),
    bit(18, "split_discarded", "Split completion discarded"),
    bit(17, "cap_133", "133 MHz capable"),
    bit(16, "dev64", "64-bit device"),
    bits(15, 8, "bus", "Bus number captured from configuration writes"),
    bits(7, 3, "device", "Device number captured from configuration writes"),
    bits(2, 0, "function", "Function number"),
)


PCIX_DEVICE_REGS = (
    reg(0x02, 2, "command", "PCI-X Command",
        PCIX_VERSION_FIELD,
        bits(6, 4, "max_split", "Maximum outstanding split transactions (1, 2, 3, 4, 8, 12, 16, 32)"),
        bits(3, 2, "max_read", "Maximum memory read byte count (512 << n)"),
        bit(1, "ero", "Relaxed ordering enabled"),
        bit(0, "dpere", "Data parity error recovery enabled")),
    reg(0x04, 4, "status", "PCI-X Status",
        *PCIX_STATUS_COMMON,
        bit(29, "split_error_msg", "Received split completion error message"),
        bits(28, 26, "designed_max_cumulative", "Designed maximum cumulative read size"),
        bits(25, 23, "designed_max_split", "Designed maximum outstanding split transactions"),
        bits(22, 21, "designed_max_read", "Designed maximum memory read byte count"),
        bit(20, "complex", "Device complexity: 1 bridge, 0 simple device")),
)


PCIX_BRIDGE_REGS = (
    reg(0x02, 2, "secondary_status", "PCI-X Secondary Status (secondary bus)",
        bit(15, "cap_533", "PCI-X 533 capable"),
        bit(14, "cap_266", "PCI-X 266 capable"),
        PCIX_VERSION_FIELD,
        bits(9, 6, "mode_freq", "Secondary bus mode and frequency"),
        bit(5, "split_delayed", "Split request delayed"),
        bit(4, "split_overrun", "Split completion overrun"),
        bit(3, "unexpected_split", "Unexpected split completion"),
        bit(2, "split_discarded", "Split completion discarded"),
        bit(1, "cap_133", "133 MHz capable"),
        bit(0, "dev64", "Secondary AD interface is 64 bits")),
    reg(0x04, 4, "bridge_status", "PCI-X Bridge Status (primary bus)",
        *PCIX_STATUS_COMMON,
        bit(29, "device_id_msg", "Device ID messaging capable"),
        bit(21, "split_delayed", "Split request delayed"),
        bit(20, "split_overrun", "Split completion overrun")),
)


def _split_control(offset: int, direction: str) -> Reg:
    return reg(offset, 4, f"{direction.lower()}_split_control",
               f"{direction} Split Transaction Control",
               bits(31, 16, "commitment_limit", "Split transaction commitment limit (ADQs)"),
               bits(15, 0, "capacity", "Split transaction capacity (ADQs)"))


PCIX_BRIDGE_REGS += (_split_control(0x08, "Upstream"), _split_control(0x0C, "Downstream"))


def _pcix_ecc(start: int) -> tuple[Reg, ...]:
    """The four ECC registers (versions 1 and 2), starting at `start`."""
    return (
        reg(start, 4, "ecc_csr", "ECC Control and Status",
            bit(31, "ecc_mode", "ECC mode"),
            bit(30, "disable_sbe_correction", "Single-bit error correction disabled"),
            bit(28, "ecc_update_enable", "ECC control update enabled"),
            bits(27, 24, "error_upper_attr", "Upper attributes of the transaction in error"),
            bits(23, 20, "error_second_cmd", "Second command of the transaction in error"),
            bits(19, 16, "error_first_cmd", "First (or only) command of the transaction in error"),
            bits(15, 8, "syndrome", "ECC syndrome of the error"),
            bit(7, "error_corrected", "The logged error was corrected"),
            bits(6, 4, "error_phase", "Phase of the error: address, attribute or data"),
            bit(3, "additional_uncorrectable", "Additional uncorrectable ECC error"),
            bit(2, "additional_correctable", "Additional correctable ECC error"),
            bit(1, "error_in_other_bank", "Error present in the other ECC register bank"),
            bit(0, "select_secondary", "Select the secondary bus ECC registers")),
        reg(start + 4, 4, "ecc_first_address", "ECC First Address of the transaction in error"),
        reg(start + 8, 4, "ecc_second_address", "ECC Second Address of the transaction in error"),
        reg(start + 12, 4, "ecc_attribute", "ECC Attribute of the transaction in error"),
    )


def _pcix_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    regs, base = (PCIX_BRIDGE_REGS, PCIX_BRIDGE_SIZE) if _is_bridge(ctx) else (PCIX_DEVICE_REGS, PCIX_SIZE)
    return _within(regs + _pcix_ecc(base), size)


HT_AM_COMMAND = _ht_command(
    "Address Mapping",
    bits(10, 9, "map_type", "Map type: 0 40-bit, 1 64-bit"),
    bits(8, 4, "io_size", "I/O size"),
    bits(3, 0, "dma_mappings", "Number of DMA mappings (40-bit map: windows that follow)"))


def _ht_window(offset: int, name: str, doc: str) -> Reg:
    return reg(offset, 4, name, doc,
               bits(31, 28, "control", "Window control: enable, isochronous, non-coherent, compat"),
               bits(19, 0, "base", "Window base"))


HT_AM40_REGS = (
    HT_AM_COMMAND,
    _ht_window(0x04, "sec_nonprefetch_window", "Secondary bus non-prefetchable window"),
    _ht_window(0x08, "sec_prefetch_window", "Secondary bus prefetchable window"),
)


HT_AM64_REGS = (
    HT_AM_COMMAND,
    reg(0x04, 4, "index", "Index of the mapping register to access"),
    reg(0x08, 4, "data_lower", "Data, lower half"),
    reg(0x0C, 4, "data_upper", "Data, upper half"),
)


def _ht_dma_window(n: int) -> tuple[Reg, ...]:
    at = HT_AM_BASE + HT_AM_PER_DMA * n
    return (reg(at, 4, f"dma{n}_primary_base", f"DMA window {n}: primary base and control",
                bits(31, 28, "control", "Window control")),
            reg(at + 4, 2, f"dma{n}_secondary_limit", f"DMA window {n}: secondary limit"),
            reg(at + 6, 2, f"dma{n}_secondary_base", f"DMA window {n}: secondary base"))


def _ht_am_layout(ctx: CapContext) -> tuple[Reg, ...]:
    if _ht_am_map(ctx) == HT_AM_MAP_64:
        return HT_AM64_REGS
    return HT_AM40_REGS + tuple(r for n in range(ctx.u16(2) & HT_AM_NDMA) for r in _ht_dma_window(n))


HT_UNKNOWN_REGS = (_ht_command("HT Command of a capability type without a known layout"),)


def _ht_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    block = _ht_block(ctx)
    if block is not None:
        regs = HT_BLOCK_REGS[block[0]]
    elif _ht_type5(ctx) == HT_AM:
        regs = _ht_am_layout(ctx)
    else:
        regs = HT_UNKNOWN_REGS
    return _within(regs, size)


def _vndr_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    if is_virtio(ctx) and size >= VIRTIO_CAP_MIN:
        return _virtio_layout(ctx, size)
    regs = (reg(0x02, 1, "length", "Capability length in bytes, header included"),)
    if size > VNDR_HEADER:
        regs += (reg(VNDR_HEADER, size - VNDR_HEADER, "vendor_data",
                     "Vendor-specific registers (layout is the vendor's)"),)
    return _within(regs, size)


def _virtio_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    cfg_type = ctx.u8(3)
    regs = [
        reg(0x02, 1, "cap_len", "Capability length in bytes, header included (cap_len)"),
        reg(0x03, 1, "cfg_type", "virtio structure type: 1 common config, 2 notifications, "
            "3 ISR status, 4 device-specific config, 5 PCI config access, 8 shared memory, "
            "9 vendor-specific"),
        reg(0x04, 1, "bar", "BAR holding the structure (0-5)"),
        reg(0x05, 1, "id", "Identifies multiple capabilities of one type (shared memory id)"),
        reg(0x06, 2, "padding", "Padding"),
        reg(0x08, 4, "offset", "Offset of the structure within the BAR"),
        reg(0x0C, 4, "length", "Length of the structure, in bytes"),
    ]
    if cfg_type == VIRTIO_NOTIFY:
        regs.append(reg(0x10, 4, "notify_off_multiplier", "Multiplier for a queue's "
                        "queue_notify_off: the notification address is offset + "
                        "queue_notify_off * notify_off_multiplier"))
    elif cfg_type == VIRTIO_PCI_CFG:
        regs.append(reg(0x10, 4, "pci_cfg_data", "Data for BAR access through this window "
                        "(the window's bar, offset and length select the bytes)"))
    elif cfg_type == VIRTIO_SHM:
        regs += [reg(0x10, 4, "offset_hi", "Offset of the shared memory region, high 32 bits"),
                 reg(0x14, 4, "length_hi", "Length of the shared memory region, high 32 bits")]
    end = max(r.end for r in regs if r.end <= size)
    if size > end:
        regs.append(reg(end, size - end, "vendor_data", "Further bytes of the capability"))
    return _within(regs, size)


DBG_REGS = (
    reg(0x02, 2, "debug_port", "Debug port location",
        bits(15, 13, "bar", "BAR number holding the debug port registers"),
        bits(12, 0, "offset", "Offset of the debug port registers within that BAR")),
)


SHPC_REGS = (
    reg(0x02, 1, "dword_select", "DWORD Select: which SHPC working register DWORD Data accesses"),
    reg(0x03, 1, "pending", "Pending status of the SHPC (interrupt / SERR#)"),
    reg(0x04, 4, "dword_data", "DWORD Data: window onto the selected SHPC register"),
)


SSVID_REGS = (
    reg(0x04, 2, "subsystem_vendor_id", "Subsystem Vendor ID of the bridge"),
    reg(0x06, 2, "subsystem_id", "Subsystem ID of the bridge"),
)


SECURE_REGS = (
    reg(0x02, 2, "cap_flags", "IOMMU capability flags (upper half of the header DWORD)",
        bit(12, "cap_ext", "Capability extension: Misc Information 1 present"),
        bit(11, "efr_support", "Extended Feature Register supported"),
        bit(10, "np_cache", "Not-present table entries are cached"),
        bit(9, "ht_tunnel", "HyperTransport tunnel translation supported"),
        bit(8, "iotlb_support", "Remote IOTLB supported"),
        bits(2, 0, "cap_type", "Capability type (3 = IOMMU)")),
    reg(0x04, 4, "base_address_low", "IOMMU MMIO base address, low half"),
    reg(0x08, 4, "base_address_high", "IOMMU MMIO base address, high half"),
    reg(0x0C, 4, "range", "IOMMU Range: the devices this IOMMU translates",
        bits(31, 24, "last_devfn", "Last device/function"),
        bits(23, 16, "first_devfn", "First device/function"),
        bits(15, 8, "bus", "Bus number"),
        bit(7, "range_valid", "Range fields are valid"),
        bits(4, 0, "unit_id", "HyperTransport UnitID")),
    reg(0x10, 4, "misc_info0", "IOMMU Miscellaneous Information 0",
        bit(22, "ht_ats_reserved", "HT ATS address range reserved"),
        bits(21, 15, "va_size", "Virtual address size"),
        bits(14, 8, "pa_size", "Physical address size"),
        bits(4, 0, "msi_num", "MSI message number for event-log interrupts")),
)


SECURE_EXT_REGS = (reg(0x14, 4, "misc_info1", "IOMMU Miscellaneous Information 1 (IOMMU rev 2+)"),)


def _secure_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    return _within(SECURE_REGS + SECURE_EXT_REGS, size)


EXP_DEVICE = (
    reg(0x02, 2, "pcie_caps", "PCI Express Capabilities",
        bits(3, 0, "version", "Capability version (1 = PCIe 1.x layout, 2 = PCIe 2.0+)"),
        bits(7, 4, "port_type", "Device/Port type: 0 endpoint, 1 legacy EP, 4 root port, 5 upstream, 6 downstream, 9 RCiEP, A RCEC"),
        bit(8, "slot_implemented", "The link of this port connects to a slot"),
        bits(13, 9, "int_msg_number", "MSI/MSI-X vector used for status interrupts"),
        bit(15, "flit_mode_supported", "Flit mode supported (PCIe 6.0)")),
    reg(0x04, 4, "devcap", "Device Capabilities",
        bits(2, 0, "max_payload", "Max payload size supported (128 << n bytes)"),
        bits(4, 3, "phantom_functions", "Phantom functions supported"),
        bit(5, "ext_tag", "8-bit tag field supported"),
        bits(8, 6, "l0s_latency", "Acceptable L0s exit latency"),
        bits(11, 9, "l1_latency", "Acceptable L1 exit latency"),
        bit(15, "role_based_error", "Role-based error reporting"),
        bits(25, 18, "slot_power_value", "Captured slot power limit value"),
        bits(27, 26, "slot_power_scale", "Captured slot power limit scale"),
        bit(28, "flr", "Function Level Reset capable")),
    reg(0x08, 2, "devctl", "Device Control",
        bit(0, "corr_err_report", "Correctable error reporting enabled"),
        bit(1, "nonfatal_err_report", "Non-fatal error reporting enabled"),
        bit(2, "fatal_err_report", "Fatal error reporting enabled"),
        bit(3, "unsupported_req_report", "Unsupported request reporting enabled"),
        bit(4, "relaxed_ordering", "Relaxed ordering enabled"),
        bits(7, 5, "max_payload", "Max payload size in use (128 << n bytes)"),
        bit(8, "ext_tag", "Extended tags enabled"),
        bit(9, "phantom", "Phantom functions enabled"),
        bit(10, "aux_power_pm", "Aux power PM enabled"),
        bit(11, "no_snoop", "No-snoop enabled"),
        bits(14, 12, "max_read_request", "Max read request size (128 << n bytes)"),
        bit(15, "bcr_flr", "Bridge config retry enable / initiate Function Level Reset")),
    reg(0x0A, 2, "devsta", "Device Status",
        bit(0, "corr_err", "Correctable error detected"),
        bit(1, "nonfatal_err", "Non-fatal error detected"),
        bit(2, "fatal_err", "Fatal error detected"),
        bit(3, "unsupported_req", "Unsupported request detected"),
        bit(4, "aux_power", "Aux power detected"),
        bit(5, "transactions_pending", "Non-posted requests outstanding")),
)


EXP_LINK = (
    reg(0x0C, 4, "lnkcap", "Link Capabilities",
        bits(3, 0, "max_speed", "Max link speed (index into the Supported Link Speeds vector)"),
        bits(9, 4, "max_width", "Maximum link width (x1..x32); sizes lane arrays of other caps"),
        bits(11, 10, "aspm", "ASPM support: L0s, L1"),
        bits(14, 12, "l0s_exit", "L0s exit latency"),
        bits(17, 15, "l1_exit", "L1 exit latency"),
        bit(18, "clock_pm", "Clock power management"),
        bit(19, "surprise_down", "Surprise down error reporting capable"),
        bit(20, "dll_active_reporting", "Data Link Layer active reporting capable"),
        bit(21, "bw_notification", "Link bandwidth notification capable"),
        bit(22, "aspm_optionality", "ASPM optionality compliance"),
        bits(31, 24, "port_number", "Port number")),
    reg(0x10, 2, "lnkctl", "Link Control",
        bits(1, 0, "aspm_control", "ASPM enabled: L0s, L1"),
        bit(3, "rcb", "Read completion boundary (0: 64 bytes, 1: 128 bytes)"),
        bit(4, "link_disable", "Link disabled"),
        bit(5, "retrain", "Retrain link"),
        bit(6, "common_clock", "Common clock configuration"),
        bit(7, "extended_synch", "Extended synch"),
        bit(8, "clock_pm_enable", "Clock power management enabled"),
        bit(9, "hw_autonomous_width_disable", "Hardware autonomous width disabled"),
        bit(10, "bw_mgmt_int", "Link bandwidth management interrupt enabled"),
        bit(11, "auto_bw_int", "Link autonomous bandwidth interrupt enabled")),
    reg(0x12, 2, "lnksta", "Link Status",
        bits(3, 0, "speed", "Current link speed"),
        bits(9, 4, "width", "Negotiated link width"),
        bit(11, "training", "Link training in progress"),
        bit(12, "slot_clock", "Slot clock configuration"),
        bit(13, "dll_active", "Data Link Layer link active"),
        bit(14, "bw_mgmt", "Link bandwidth management status"),
        bit(15, "auto_bw", "Link autonomous bandwidth status")),
)


EXP_SLOT = (
    reg(0x14, 4, "sltcap", "Slot Capabilities",
        bit(0, "attn_button", "Attention button present"),
        bit(1, "power_controller", "Power controller present"),
        bit(2, "mrl_sensor", "MRL sensor present"),
        bit(3, "attn_indicator", "Attention indicator present"),
        bit(4, "power_indicator", "Power indicator present"),
        bit(5, "hotplug_surprise", "Hot-plug surprise"),
        bit(6, "hotplug_capable", "Hot-plug capable"),
        bits(14, 7, "slot_power_value", "Slot power limit value"),
        bits(16, 15, "slot_power_scale", "Slot power limit scale"),
        bit(17, "em_interlock", "Electromechanical interlock present"),
        bit(18, "no_command_completed", "No command completed support"),
        bits(31, 19, "physical_slot", "Physical slot number")),
    reg(0x18, 2, "sltctl", "Slot Control", ),
    reg(0x1A, 2, "sltsta", "Slot Status"),
)


EXP_ROOT = (
    reg(0x1C, 2, "rootctl", "Root Control: system error and PME interrupt enables"),
    reg(0x1E, 2, "rootcap", "Root Capabilities: CRS software visibility"),
    reg(0x20, 4, "rootsta", "Root Status: PME requester ID, PME status and pending"),
)


EXP_V2 = (
    reg(0x24, 4, "devcap2", "Device Capabilities 2",
        bits(3, 0, "completion_timeout_ranges", "Completion timeout ranges supported"),
        bit(4, "completion_timeout_disable", "Completion timeout disable supported"),
        bit(5, "ari_forwarding", "ARI forwarding supported (downstream ports)"),
        bit(6, "atomic_routing", "AtomicOp routing supported"),
        bit(7, "atomic32", "32-bit AtomicOp completer"),
        bit(8, "atomic64", "64-bit AtomicOp completer"),
        bit(9, "cas128", "128-bit CAS completer"),
        bit(11, "ltr", "Latency Tolerance Reporting supported"),
        bits(13, 12, "tph_completer", "TPH completer supported"),
        bit(16, "tag10_completer", "10-bit tag completer supported"),
        bit(17, "tag10_requester", "10-bit tag requester supported"),
        bits(19, 18, "obff", "OBFF supported"),
        bit(20, "ext_fmt_field", "Extended Fmt field supported"),
        bit(21, "e2e_tlp_prefix", "End-end TLP prefix supported"),
        bits(23, 22, "max_e2e_prefixes", "Max end-end TLP prefixes")),
    reg(0x28, 2, "devctl2", "Device Control 2",
        bits(3, 0, "completion_timeout", "Completion timeout value"),
        bit(4, "completion_timeout_disable", "Completion timeout disabled"),
        bit(5, "ari_forwarding", "ARI forwarding enabled"),
        bit(6, "atomic_requester", "AtomicOp requester enabled"),
        bit(7, "atomic_egress_blocking", "AtomicOp egress blocking"),
        bit(8, "ido_request", "ID-based ordering request enable"),
        bit(9, "ido_completion", "ID-based ordering completion enable"),
        bit(10, "ltr_enable", "LTR mechanism enabled"),
        bit(12, "tag10_requester", "10-bit tag requester enabled"),
        bits(14, 13, "obff", "OBFF enable")),
    reg(0x2A, 2, "devsta2", "Device Status 2 (reserved before PCIe 6.0)"),
    reg(0x2C, 4, "lnkcap2", "Link Capabilities 2",
        bits(7, 1, "supported_speeds", "Supported link speeds vector: 2.5, 5, 8, 16, 32, 64, 128 GT/s"),
        bit(8, "crosslink", "Crosslink supported"),
        bit(23, "retimer_presence_detect", "Retimer presence detect supported"),
        bit(31, "drs", "Device Readiness Status supported")),
    reg(0x30, 2, "lnkctl2", "Link Control 2",
        bits(3, 0, "target_speed", "Target link speed"),
        bit(4, "enter_compliance", "Enter compliance"),
        bit(5, "hw_autonomous_speed_disable", "Hardware autonomous speed disabled"),
        bit(6, "selectable_deemphasis", "Selectable de-emphasis"),
        bits(9, 7, "transmit_margin", "Transmit margin"),
        bits(15, 12, "compliance_preset", "Compliance preset / de-emphasis")),
    reg(0x32, 2, "lnksta2", "Link Status 2",
        bit(0, "deemphasis", "Current de-emphasis level"),
        bit(1, "eq_complete", "Equalization complete"),
        bits(5, 2, "eq_phases", "Equalization phase 1/2/3 successful, request")),
    reg(0x34, 4, "sltcap2", "Slot Capabilities 2"),
    reg(0x38, 2, "sltctl2", "Slot Control 2"),
    reg(0x3A, 2, "sltsta2", "Slot Status 2"),
)


def _exp_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    regs = EXP_DEVICE
    if size > 0x0C:
        regs += EXP_LINK
    if size > 0x14:
        regs += EXP_SLOT
    if size > 0x1C:
        regs += EXP_ROOT
    if size > 0x24:
        regs += EXP_V2
    return regs


def _msix_location(offset: int, name: str, what: str) -> Reg:
    return reg(offset, 4, name, f"{what} location: BAR indicator and offset",
               bits(31, 3, "offset", f"{what} offset within the BAR, in 8-byte units (bits 31:3)"),
               bits(2, 0, "bir", f"BAR indicator: which BAR holds the {what}"))


MSIX_REGS = (
    reg(0x02, 2, "message_control", "MSI-X Message Control",
        bit(15, "enable", "MSI-X enabled"),
        bit(14, "function_mask", "All vectors of the function masked"),
        bits(10, 0, "table_size", "Table size - 1 (number of vectors minus one)")),
    _msix_location(0x04, "table", "MSI-X Table"),
    _msix_location(0x08, "pba", "Pending Bit Array"),
)


SATA_REGS = (
    reg(0x02, 1, "revision", "SATA capability revision (major.minor)",
        bits(7, 4, "major", "Major revision"), bits(3, 0, "minor", "Minor revision")),
    reg(0x04, 4, "sata_cr1", "SATA Capability Register 1: where the Index/Data pair is",
        bits(23, 4, "bar_offset", "Offset of the Index/Data pair within the BAR"),
        bits(3, 0, "bar_location", "BAR location: 4-9 BAR0-5 (0x10-0x24), 0xF inline in config space")),
)


SATA_INLINE_REGS = (
    reg(0x08, 4, "index", "Index register of the in-config-space Index/Data pair"),
    reg(0x0C, 4, "data", "Data register of the in-config-space Index/Data pair"),
)


def _sata_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    return _within(SATA_REGS + SATA_INLINE_REGS, size)


AF_REGS = (
    reg(0x02, 1, "length", "Structure length (reads 06h)"),
    reg(0x03, 1, "af_cap", "AF Capabilities",
        bit(1, "flr", "Function Level Reset supported"),
        bit(0, "tp", "Transactions Pending bit supported")),
    reg(0x04, 1, "af_control", "AF Control", bit(0, "initiate_flr", "Initiate Function Level Reset")),
    reg(0x05, 1, "af_status", "AF Status", bit(0, "tp", "Transactions pending")),
)


EA_IS_64 = 1 << 1  # Base / MaxOffset bit 1: an upper DWORD follows


def _ea_entry_regs(ctx: CapContext, n: int, pos: int, es: int) -> list[Reg]:
    out = [reg(pos, 4, f"entry{n}_header", f"Entry {n}: first DWORD",
               bit(31, "enable", "Entry enabled"),
               bit(30, "writable", "Base/MaxOffset writable (else HwInit)"),
               bits(23, 16, "secondary_properties", "Secondary properties"),
               bits(15, 8, "primary_properties", "Primary properties: resource type"),
               bits(7, 4, "bei", "BAR Equivalent Indicator: 0-5 BAR, 8 ROM, 9-14 VF BAR"),
               bits(2, 0, "entry_size", "Entry Size: DWORDs after this one"))]
    base = ctx.u32(pos + 4) if es >= 1 else 0  # read only DWORDs inside the entry
    max_offset = ctx.u32(pos + 8) if es >= 2 else 0
    roles = [(f"entry{n}_base", f"Entry {n}: Base, low DWORD"),
             (f"entry{n}_max_offset", f"Entry {n}: MaxOffset, low DWORD")]
    if base & EA_IS_64:
        roles.append((f"entry{n}_base_upper", f"Entry {n}: Base, upper DWORD"))
    if max_offset & EA_IS_64:
        roles.append((f"entry{n}_max_offset_upper", f"Entry {n}: MaxOffset, upper DWORD"))
    for k in range(es):
        name, doc = roles[k] if k < len(roles) else (f"entry{n}_dw{k + 1}", f"Entry {n}: DWORD {k + 1}")
        fields = ((bits(31, 2, "value", "Address bits 31:2"), bit(1, "is_64", "An upper DWORD follows"))
                  if k < 2 else ())
        out.append(reg(pos + 4 + 4 * k, 4, name, doc, *fields))
    return out


def _ea_layout(ctx: CapContext, size: int) -> tuple[Reg, ...]:
    out = [reg(0x02, 1, "entries", "Num Entries register",
               bits(5, 0, "num_entries", "Number of EA entries that follow"))]
    if _is_bridge(ctx):
        out.append(reg(0x04, 4, "fixed_bus_numbers", "Fixed secondary/subordinate bus numbers (bridges)",
                       bits(15, 8, "fixed_subordinate", "Fixed subordinate bus number"),
                       bits(7, 0, "fixed_secondary", "Fixed secondary bus number")))
    for n, (pos, es) in enumerate(_ea_entries(ctx)[0]):
        out += _ea_entry_regs(ctx, n, pos, es)
    return _within(out, size)


def _fpb_decode_control(offset: int, name: str, doc: str, start: Bits) -> Reg:
    return reg(offset, 4, name, doc, start,
               bits(7, 4, "granularity", "Vector granularity"),
               bit(0, "decode_enable", "Decode mechanism enabled"))


FPB_REGS = (
    reg(0x04, 4, "fpb_cap", "FPB Capabilities",
        bits(26, 24, "mem_high_vector_size", "MEM High Vector size supported"),
        bits(18, 16, "mem_low_vector_size", "MEM Low Vector size supported"),
        bits(10, 8, "rid_vector_size", "RID Vector size supported"),
        bits(7, 3, "num_sec_dev", "Device Numbers on the secondary side (switch upstream ports)"),
        bit(2, "mem_high_supported", "MEM High decode mechanism supported"),
        bit(1, "mem_low_supported", "MEM Low decode mechanism supported"),
        bit(0, "rid_supported", "RID decode mechanism supported")),
    _fpb_decode_control(0x08, "rid_vector_control1", "FPB RID Vector Control 1",
                        bits(31, 19, "rid_vector_start", "RID Vector start (RID bits 15:3)")),
    reg(0x0C, 4, "rid_vector_control2", "FPB RID Vector Control 2",
        bits(15, 3, "rid_secondary_start", "RID offset where Type 1 requests become Type 0")),
    _fpb_decode_control(0x10, "mem_low_vector_control", "FPB MEM Low Vector Control",
                        bits(31, 20, "mem_low_vector_start", "MEM Low Vector start (address bits 31:20)")),
    _fpb_decode_control(0x14, "mem_high_vector_control1", "FPB MEM High Vector Control 1",
                        bits(31, 28, "mem_high_vector_start", "MEM High Vector start (address bits 31:28)")),
    reg(0x18, 4, "mem_high_vector_control2", "FPB MEM High Vector Control 2: start address bits 63:32"),
    reg(0x1C, 4, "vector_access_control", "FPB Vector Access Control",
        bits(15, 14, "vector_select", "Vector selected: 0 RID, 1 MEM Low, 2 MEM High"),
        bits(7, 0, "access_offset", "DWORD offset into the selected vector")),
    reg(0x20, 4, "vector_access_data", "FPB Vector Access Data: the selected vector DWORD"),
)
