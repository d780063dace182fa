"""Extended capabilities of the PCIe 4.0+ era, IDs 0x0020-0x003A (M-PCIe to Captured Data).

Sources are cited per entry; the rules and disagreements come from
docs/reference/capabilities.md (PCIe Base 6.3 register maps, Linux pci_regs.h,
pciutils ls-ecaps.c). Bit positions come from Linux pci_regs.h (DVSEC, Resizable BAR,
DLF, 16 GT/s lane presets, NPEM, DOE, Device 3, IDE, the SIOV patch), pciutils lib/header.h
patches (Lane Margining, Device 3), TianoCore EDK2 IndustryStandard/PciExpress40/50/60.h
(Physical Layer 16/32/64 GT/s, Data Link Feature, Device 3, DOE), pydiskcmd (Data Link
Feature, SVC) and pcics (M-PCIe, FRS Queueing, Readiness Time Reporting, VF Resizable BAR).
Registers whose bits no source gave are listed without fields.
"""

from __future__ import annotations

from .extended import rebar_spec
TYPE_CHECKING = False  # for the type checker only
if TYPE_CHECKING:
    from collections.abc import Callable

    from .model import SizeRule

from .model import CapContext, CapSpec, Certainty, Size, Space, dword_round, fixed, lanes, tables, unknown_size

E = Space.EXTENDED
EXT_BODY_LIMIT = 0xF00  # 0x100..0xFFF: no extended capability can be longer


def _link_width(ctx: CapContext, max_lanes: int) -> tuple[int | None, str]:
    """Maximum Link Width from the PCI Express capability, or None and the reason."""
    width = lanes(ctx)
    if width is None:
        return None, "no link width known (no PCI Express capability or Max Link Width 0)"
    if width > max_lanes:
        return None, f"Maximum Link Width x{width} is beyond x{max_lanes}"
    return width, ""


# ------------------------------------------------------------------ 0x0020 M-PCIe (pcics)

# ------------------------------------------------------------------ 0x0021 FRS Queueing (pcics)

# ------------------------------------------------------------------ 0x0022 Readiness Time Reporting (pcics)

# ------------------------------------------------------------------ 0x0023 DVSEC

DVSEC_MIN_LENGTH = 0x0A  # ext header + Header 1 + Header 2
DVSEC_MIN_SIZE = 0x0C  # Header 2 rounded up to its DWORD


def _dvsec_size(ctx: CapContext) -> Size:
    length = ctx.u32(4) >> 20
    if length < DVSEC_MIN_LENGTH:
        return Size(DVSEC_MIN_SIZE, Certainty.MINIMUM,
                    f"DVSEC Length {length:#x} is below its own 10-byte header")
    if length > EXT_BODY_LIMIT:
        return Size(DVSEC_MIN_SIZE, Certainty.MINIMUM,
                    f"DVSEC Length {length:#x} runs past extended config space")
    return Size(length, Certainty.EXACT, "DVSEC Length field (+4 bits 31:20)")


# ------------------------------------------------------------------ 0x0024 VF Resizable BAR
# The Resizable BAR layout (extended.rebar_spec), with VF BARs.

# ------------------------------------------------------------------ 0x0025 Data Link Feature

# ------------------------------------------------------------------ Physical Layer 16/32/64/128 GT/s

# The lane array of each Physical Layer capability: (rate, lane_start, max_lanes), shared by
# its size rule (`_phy_size`) and its register layout (extended_modern_tables.phy_layout).
# Plain tuples and a closure, not a record class: a class costs a start-up ~0.7M instructions.
PL16 = ("16.0 GT/s", 0x20, 32)
PL32 = ("32.0 GT/s", 0x20, 32)
PL64 = ("64.0 GT/s", 0x10, 16)
PL128 = ("128.0 GT/s", 0x10, 16)


def _phy_size(lane_array: tuple[str, int, int], certainty: Certainty, caveat: str = "",
              alt_lane_start: int = 0) -> SizeRule:
    """Physical Layer N GT/s: fixed registers, then 1 Lane Equalization Control byte per lane
    from `lane_start`, sized by Maximum Link Width and DWORD-rounded. `certainty` is what a
    known link width gives (MINIMUM for disputed layouts), `caveat` why. `alt_lane_start`:
    where other sources start the lane array (a disputed layout); the size from `lane_start`
    is then a minimum, and the structure is at most as long as that layout."""
    rate, lane_start, max_lanes = lane_array
    min_size = dword_round(lane_start + 1)
    if alt_lane_start:
        certainty = Certainty.MINIMUM

    def limit(width: int) -> int:
        return dword_round(alt_lane_start + width) if alt_lane_start else 0

    def size(ctx: CapContext) -> Size:
        width, why = _link_width(ctx, max_lanes)
        if width is None:
            return Size(min_size, Certainty.MINIMUM, f"{why}: at least one lane", limit(max_lanes))
        return Size(dword_round(lane_start + width), certainty,
                    f"x{width}: 1 byte of {rate} Lane Equalization Control per lane "
                    f"from {lane_start:#x}, DWORD-rounded{caveat}", limit(width))

    return size


# ------------------------------------------------------------------ 0x0027 Lane Margining at the Receiver

LMR_LANE_START, LMR_LANE_SIZE, LMR_MAX_LANES = 0x08, 4, 32
LMR_MIN_SIZE, LMR_MAX_SIZE = LMR_LANE_START + LMR_LANE_SIZE, LMR_LANE_START + LMR_LANE_SIZE * LMR_MAX_LANES

def _lmr_size(ctx: CapContext) -> Size:
    width, why = _link_width(ctx, LMR_MAX_LANES)
    if width is None:
        return Size(LMR_MIN_SIZE, Certainty.MINIMUM, f"{why}: at least one lane")
    return Size(LMR_LANE_START + LMR_LANE_SIZE * width, Certainty.EXACT,
                f"x{width}: 4 bytes (Lane Control + Lane Status) per lane")


# ------------------------------------------------------------------ 0x0028 Hierarchy ID

# ------------------------------------------------------------------ 0x0029 NPEM (Linux pci_regs.h)

# ------------------------------------------------------------------ 0x002B Alternate Protocol

# ------------------------------------------------------------------ 0x002C System Firmware Intermediary

# ------------------------------------------------------------------ 0x002D Shadow Functions

SHADOW_ENTRIES_START, SHADOW_ENTRY_SIZE = 0x0C, 4
SHADOW_MIN_SIZE = SHADOW_ENTRIES_START + SHADOW_ENTRY_SIZE


def _shadow_size(ctx: CapContext) -> Size:
    return Size(SHADOW_MIN_SIZE, Certainty.MINIMUM,
                "instance entry count field not verified: at least one Instance Register Entry")


# ------------------------------------------------------------------ 0x002E DOE (Linux pci_regs.h)

# ------------------------------------------------------------------ 0x002F Device 3 (Linux, pciutils)

# ------------------------------------------------------------------ 0x0030 IDE (Linux pci_regs.h)

IDE_BLOCKS_START = 0x0C
IDE_LINK_BLOCK, IDE_SEL_BLOCK, IDE_ADDR_BLOCK = 8, 0x14, 0x0C
IDE_CAP_LINK, IDE_CAP_SELECTIVE = 1 << 0, 1 << 1


def _ide_walk(ctx: CapContext) -> tuple[int, tuple[int, ...], int, int]:
    """Walk the Link and Selective IDE stream blocks; never reads past 0xF00 from the start.
    What it found: (Link IDE streams, per Selective IDE stream walked its address
    association blocks, the Selective IDE streams the capability says it has, the bytes from
    the capability start the blocks walked cover). A tuple: a class costs start-up."""
    cap = ctx.u32(0x04)
    link = ((cap >> 13) & 0x7) + 1 if cap & IDE_CAP_LINK else 0
    claimed = ((cap >> 16) & 0xFF) + 1 if cap & IDE_CAP_SELECTIVE else 0
    pos = IDE_BLOCKS_START + IDE_LINK_BLOCK * link
    walked: list[int] = []
    for _ in range(claimed):
        if pos + IDE_SEL_BLOCK > EXT_BODY_LIMIT:
            break
        n_addr = ctx.u32(pos) & 0xF
        block = IDE_SEL_BLOCK + IDE_ADDR_BLOCK * n_addr
        if pos + block > EXT_BODY_LIMIT:
            break
        walked.append(n_addr)
        pos += block
    return link, tuple(walked), claimed, pos


def _ide_size(ctx: CapContext) -> Size:
    link_streams, addr_blocks, claimed, end = _ide_walk(ctx)
    if len(addr_blocks) < claimed:
        return Size(end, Certainty.MINIMUM,
                    f"Selective IDE streams run past 0xF00: {len(addr_blocks)} of "
                    f"{claimed} streams fit")
    return Size(end, Certainty.EXACT,
                f"{link_streams} Link IDE stream blocks, {claimed} Selective IDE streams "
                f"with {sum(addr_blocks)} address association blocks")


# ------------------------------------------------------------------ 0x0032-0x0034, 0x0037 Flit registers

# ------------------------------------------------------------------ 0x0035 Streamlined Virtual Channel

SVC_VC_START, SVC_VC_SIZE, SVC_EVC_MASK = 0x14, 0x0C, 0x7
SVC_MIN_SIZE, SVC_MAX_SIZE = SVC_VC_START + SVC_VC_SIZE, SVC_VC_START + SVC_VC_SIZE * (SVC_EVC_MASK + 1)

def _svc_size(ctx: CapContext) -> Size:
    evc = ctx.u32(4) & SVC_EVC_MASK
    return Size(SVC_VC_START + SVC_VC_SIZE * (evc + 1), Certainty.EXACT,
                f"EVC {evc}: 12 bytes of VC resource registers for each of {evc + 1} VCs")


# ------------------------------------------------------------------ 0x0036 MMIO Register Block Locator

MRBL_LOCATORS_START, MRBL_LOCATOR_SIZE, MRBL_LENGTH_MASK = 0x08, 8, 0xFFF
MRBL_MIN_SIZE = MRBL_LOCATORS_START + MRBL_LOCATOR_SIZE


def _mrbl_size(ctx: CapContext) -> Size:
    length = ctx.u32(4) & MRBL_LENGTH_MASK
    if length < MRBL_MIN_SIZE or length > EXT_BODY_LIMIT:
        return Size(MRBL_MIN_SIZE, Certainty.MINIMUM,
                    f"MRBL Structure Length {length:#x} is outside 0x10..0xF00: at least one locator")
    if length % MRBL_LOCATOR_SIZE:
        return Size(length - length % MRBL_LOCATOR_SIZE, Certainty.MINIMUM,
                    f"MRBL Structure Length {length:#x} is not 8 + 8 * locators: whole locators only")
    return Size(length, Certainty.EXACT, "MRBL Structure Length (+4 bits 11:0)")


# ------------------------------------------------------------------ 0x0038 SIOV (Linux SIOV patch)

# ------------------------------------------------------------------ the entries

PL_SIZE_TEXT = ("{start:#x} + 1 byte of Lane Equalization Control per lane (Maximum Link Width "
                "from the PCIe capability), DWORD-rounded: {lo:#x} x1 .. {hi:#x} x{lanes}")


PL_MAX_NOTE = "NVIDIA nvpcie.h and pydiskcmd use the x32 maximum 0x40; we size by the link width."


def _phy_spec(cap_id: int, short: str, rate: str, spec: str, lane_array: tuple[str, int, int],
              certainty: Certainty, layout: str, aliases: tuple[str, ...], notes: str = "",
              caveat: str = "", alt_lane_start: int = 0) -> CapSpec:
    _, lane_start, max_lanes = lane_array
    min_size = dword_round(lane_start + 1)
    max_size = dword_round(max(lane_start, alt_lane_start) + max_lanes)
    text = PL_SIZE_TEXT.format(start=lane_start, lo=min_size,
                               hi=dword_round(lane_start + max_lanes), lanes=max_lanes)
    if alt_lane_start:
        text += (f"; other sources start the lanes at {alt_lane_start:#x} (up to "
                 f"{max_size:#x}), so the size is a minimum")
    return CapSpec(E, cap_id, short, f"Physical Layer {rate}", spec, text,
                   _phy_size(lane_array, certainty, caveat, alt_lane_start),
                   tables("extended_modern", layout), min_size, max_size, notes=notes, aliases=aliases)


# Each entry is made the first time its ID is looked up (`get`): a device has a few of these
# IDs, and making all 27 entries costs its start-up ~0.5M instructions. `ENTRIES` (the whole
# table, for `capslot caps` and the like) makes the rest.
_MAKE: dict[int, Callable[[], CapSpec]] = {
    0x0020: lambda: CapSpec(E, 0x0020, "M_PCIE", "PCI Express over M-PHY (M-PCIe)", "M-PCIe ECN (PCIe 3.1)",
                "fixed 28 bytes (0x1C): Capabilities to Phy Control Data", fixed(0x1C), tables("extended_modern", "MPCIE_REGS"),
                0x1C, 0x1C, notes="Layout and bits from the pcics crate only.", aliases=("m_pcie", "mpcie")),
    0x0021: lambda: CapSpec(E, 0x0021, "FRS", "FRS Queueing", "PCIe 6.3 §7.8.10",
                "fixed 16 bytes (0x10): Capability, Status, Control, FRS Message Queue", fixed(0x10),
                tables("extended_modern", "FRS_REGS"), 0x10, 0x10, aliases=("frs", "frs_queueing")),
    0x0022: lambda: CapSpec(E, 0x0022, "RTR", "Readiness Time Reporting", "PCIe 6.3 §7.9.16",
                "fixed 12 bytes (0x0C): Readiness Time Reporting 1 and 2", fixed(0x0C), tables("extended_modern", "RTR_REGS"),
                0x0C, 0x0C, aliases=("rtr",)),
    0x0023: lambda: CapSpec(E, 0x0023, "DVSEC", "Designated Vendor-Specific Extended Capability", "PCIe 6.3 §7.9.6",
                "DVSEC Length (+4 bits 31:20), counted from the capability start, 0x0A..0xF00",
                _dvsec_size, tables("extended_modern", "_dvsec_layout"), DVSEC_MIN_LENGTH, EXT_BODY_LIMIT,
                notes="A DVSEC Length below the 10-byte header (or past 0xF00) is invalid: we report "
                      "at least 0x0C (Header 2's DWORD). Older vfio-pci hides DVSEC.",
                aliases=("dvsec",)),
    0x0024: lambda: rebar_spec(0x0024, "VF_REBAR", "VF Resizable BAR", "PCIe 6.3 (VF Resizable BAR)", "VF BAR",
                   ("vf_rebar", "vfrebar"),
                   notes="NVIDIA nvpcie.h uses the 0x34 maximum. BAR Size is bits 12:8 per Linux "
                         "(pcics reads 13:8)."),
    0x0025: lambda: CapSpec(E, 0x0025, "DLNK", "Data Link Feature", "PCIe 6.3 §7.7.4",
                "fixed 12 bytes (0x0C): Capabilities, Status", fixed(0x0C), tables("extended_modern", "DLF_REGS"), 0x0C, 0x0C,
                aliases=("dlnk", "dlf")),
    0x0026: lambda: _phy_spec(0x0026, "16GT", "16.0 GT/s", "PCIe 6.3 §7.7.5", PL16, Certainty.EXACT, "PL16_LAYOUT", ("16gt", "pl_16gt"),
                  notes=PL_MAX_NOTE),
    0x0027: lambda: CapSpec(E, 0x0027, "LMR", "Lane Margining at the Receiver", "PCIe 6.3 §7.7.10",
                "8 + 4 bytes per lane (Maximum Link Width from the PCIe capability): 0x0C x1, "
                "0x18 x4, 0x48 x16, 0x88 x32", _lmr_size, tables("extended_modern", "_lmr_layout"), LMR_MIN_SIZE, LMR_MAX_SIZE,
                notes="NVIDIA nvpcie.h and pydiskcmd use the x32 maximum 0x88; we size by the link "
                      "width. lspci reads only the first 8 bytes.", aliases=("lmr", "margining")),
    0x0028: lambda: CapSpec(E, 0x0028, "HIER_ID", "Hierarchy ID", "PCIe 6.3 §7.9.17",
                "fixed 32 bytes (0x20): Status, Data, GUID 1..5", fixed(0x20), tables("extended_modern", "HIER_ID_REGS"), 0x20, 0x20,
                notes="NVIDIA nvpcie.h says 0x0C (no GUID registers); the PCIe 6.3 map and pydiskcmd "
                      "list GUID 5 at 0x1C, so 0x20.", aliases=("hier_id", "hierarchy_id")),
    0x0029: lambda: CapSpec(E, 0x0029, "NPEM", "Native PCIe Enclosure Management", "PCIe 6.3 §7.9.19",
                "fixed 16 bytes (0x10): Capability, Control, Status", fixed(0x10), tables("extended_modern", "NPEM_REGS"),
                0x10, 0x10, aliases=("npem",)),
    0x002A: lambda: _phy_spec(0x002A, "32GT", "32.0 GT/s", "PCIe 6.3 §7.7.6", PL32, Certainty.EXACT, "PL32_LAYOUT", ("32gt", "pl_32gt"),
                  notes=PL_MAX_NOTE),
    0x002B: lambda: CapSpec(E, 0x002B, "ALT_PROT", "Alternate Protocol", "PCIe 6.3 §7.9.20",
                "fixed 24 bytes (0x18): Capabilities, Control, Data 1, Data 2, Selective Enable Mask",
                fixed(0x18), tables("extended_modern", "ALT_PROT_REGS"), 0x18, 0x18,
                notes="NVIDIA and pydiskcmd stop at 0x14; PCIe 6.0/6.3 list the Selective Enable Mask "
                      "at 0x14, so 0x18.", aliases=("alt_prot", "alternate_protocol")),
    0x002C: lambda: CapSpec(E, 0x002C, "SFI", "System Firmware Intermediary", "PCIe 6.3 §7.9.22",
                "fixed 20 bytes (0x14): Capability, Control, Status, CAM Address, CAM Data", fixed(0x14),
                tables("extended_modern", "SFI_REGS"), 0x14, 0x14, aliases=("sfi",)),
    0x002D: lambda: CapSpec(E, 0x002D, "SHADOW_FN", "Shadow Functions", "PCIe 6.3 §7.9.25",
                "0x0C + 4 bytes per Shadow Functions Instance Register Entry; count field not "
                "verified, so at least 0x10", _shadow_size, tables("extended_modern", "_shadow_layout"), SHADOW_MIN_SIZE, 0,
                notes="NVIDIA and pydiskcmd assume 4 entries (0x1C); the spec array is variable and "
                      "its count field is unverified, so we report a minimum of one entry.",
                aliases=("shadow_fn", "shadow")),
    0x002E: lambda: CapSpec(E, 0x002E, "DOE", "Data Object Exchange", "PCIe 6.3 §7.9.24",
                "fixed 24 bytes (0x18, PCI_DOE_CAP_SIZEOF)", fixed(0x18), tables("extended_modern", "DOE_REGS"), 0x18, 0x18,
                aliases=("doe",)),
    0x002F: lambda: CapSpec(E, 0x002F, "DEV3", "Device 3", "PCIe 6.3 §7.7.9",
                "fixed 16 bytes (0x10): Device Capabilities/Control/Status 3", fixed(0x10), tables("extended_modern", "DEV3_REGS"),
                0x10, 0x10, aliases=("dev3", "device3")),
    0x0030: lambda: CapSpec(E, 0x0030, "IDE", "Integrity and Data Encryption", "PCIe 6.3 §7.9.26",
                "0x0C + 8 per Link IDE stream (TCs + 1, if supported) + per Selective IDE stream "
                "(count + 1, if supported) 0x14 + 0x0C per address association block; at most 0xF00",
                _ide_size, tables("extended_modern", "_ide_layout"), IDE_BLOCKS_START, EXT_BODY_LIMIT,
                notes="NVIDIA nvpcie.h uses a fixed 0x34; Linux and pciutils walk the blocks, as we do.",
                aliases=("ide",)),
    0x0031: lambda: _phy_spec(0x0031, "64GT", "64.0 GT/s", "PCIe 6.3 §7.7.7", PL64, Certainty.MINIMUM, "PL64_LAYOUT", ("64gt", "pl_64gt"),
                  notes="Disputed: PCIe 6.0 and Linux (PCI_PL_64GT_LE_CTRL) put the lane array at "
                        "0x20 (0x24..0x30); PCIe 6.3 and pydiskcmd at 0x10. The size is the 6.3 "
                        "one as a minimum; the bytes up to the 6.0 size are an unknown-size tail.",
                  caveat=" (PCIe 6.3 layout; PCIe 6.0 and Linux start the array at 0x20, so it may run "
                         "16 bytes further)", alt_lane_start=0x20),
    0x0032: lambda: CapSpec(E, 0x0032, "FLIT_LOG", "Flit Logging", "PCIe 6.3 §7.7.8",
                "fixed 60 bytes (0x3C): Error Logs, Counters, FBER Control and Status 1..10",
                fixed(0x3C), tables("extended_modern", "FLIT_LOG_REGS"), 0x3C, 0x3C, aliases=("flit_log",)),
    0x0033: lambda: CapSpec(E, 0x0033, "FLIT_PM", "Flit Performance Measurement", "PCIe 6.3 §7.8.12",
                "fixed 36 bytes (0x24): Capability, Control, Status, LTSSM status 0x10..0x20",
                fixed(0x24), tables("extended_modern", "FLIT_PM_REGS"), 0x24, 0x24, aliases=("flit_pm",)),
    0x0034: lambda: CapSpec(E, 0x0034, "FLIT_EI", "Flit Error Injection", "PCIe 6.3 §7.8.13",
                "fixed 36 bytes (0x24): Capability through OS Rx status at 0x20", fixed(0x24),
                tables("extended_modern", "FLIT_EI_REGS"), 0x24, 0x24, aliases=("flit_ei",)),
    0x0035: lambda: CapSpec(E, 0x0035, "SVC", "Streamlined Virtual Channel", "PCIe 6.3 §7.9.29",
                "0x14 + 0x0C per VC for EVC + 1 VCs (EVC = Port Capability 1 bits 2:0): 0x20..0x74",
                _svc_size, tables("extended_modern", "_svc_layout"), SVC_MIN_SIZE, SVC_MAX_SIZE, aliases=("svc",)),
    0x0036: lambda: CapSpec(E, 0x0036, "MMIO_RBL", "MMIO Register Block Locator (MRBL)", "PCIe 6.3 §7.9.30",
                "MRBL Structure Length (+4 bits 11:0) = 8 + 8 per locator, 0x10..0xF00",
                _mrbl_size, tables("extended_modern", "_mrbl_layout"), MRBL_MIN_SIZE, EXT_BODY_LIMIT, aliases=("mmio_rbl", "mrbl")),
    0x0037: lambda: CapSpec(E, 0x0037, "NOP_FLIT", "NOP Flit", "PCIe 6.3 §7.8.14",
                "fixed 20 bytes (0x14): Capabilities, Control 1, Control 2, Status", fixed(0x14),
                tables("extended_modern", "NOP_FLIT_REGS"), 0x14, 0x14, notes="Register offsets from pydiskcmd (the ToC omits them).",
                aliases=("nop_flit",)),
    0x0038: lambda: CapSpec(E, 0x0038, "SIOV", "Scalable I/O Virtualization", "SIOV ECN (PCIe 7.0 era)",
                "fixed 16 bytes (0x10, PCI_EXT_CAP_SIOV_SIZEOF)", fixed(0x10), tables("extended_modern", "SIOV_REGS"), 0x10, 0x10,
                notes="From an unmerged Linux patch only.", aliases=("siov",)),
    0x0039: lambda: _phy_spec(0x0039, "128GT", "128.0 GT/s", "PCIe 7.0 (third-party summary)", PL128, Certainty.MINIMUM, "PL128_LAYOUT",
                  ("128gt", "pl_128gt"),
                  notes="Single weak source (a third-party PCIe 7.0 summary): certainty minimum.",
                  caveat=" (layout from a single third-party PCIe 7.0 summary)"),
    0x003A: lambda: CapSpec(E, 0x003A, "CAPT_D", "Captured Data", "PCI Code and ID Assignment rev 1.18 (ID only)",
                "unknown: no source gives a layout beyond the header", unknown_size(4), (), 4, 0,
                aliases=("capt_d", "captured_data")),
}
_MADE: dict[int, CapSpec] = {}  # ID -> its entry, made once (lookups rely on its identity)


def get(cap_id: int) -> CapSpec | None:
    """The entry of `cap_id`, made the first time it is asked for; None if it has none."""
    spec = _MADE.get(cap_id)
    if spec is None:
        make = _MAKE.get(cap_id)
        if make is None:
            return None
        spec = _MADE[cap_id] = make()
    return spec


def __getattr__(name: str) -> object:
    if name == "ENTRIES":  # every entry, in ID order: tuple[CapSpec, ...]
        return tuple(get(cap_id) for cap_id in _MAKE)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

