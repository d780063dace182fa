"""Extended (16-bit ID) capabilities of the PCIe 1.x-3.x era, IDs 0x0000-0x001F: the entries
most devices have (AER, VC, DSN, ACS, ARI, ATS, SR-IOV, LTR, L1 PM Substates, DPC, PTM...).
The rarer IDs of that range (Root Complex structures, MFVC, Multicast, DPA...) are in
extended_rare.py, and IDs 0x0020-0x003A in extended_modern.py, each loaded when one of its
IDs is met; both take what they share from here (the VC rule, the Resizable BAR layout).

Sources are cited per entry; the rules and disagreements come from
docs/reference/capabilities.md (PCIe Base 6.3 register maps, Linux pci_regs.h,
pciutils ls-ecaps.c).
"""

from __future__ import annotations

from .model import (
    RCEC,
    ROOT_PORT,
    CapContext,
    CapSpec,
    Certainty,
    Size,
    Space,
    dword_round,
    fixed,
    lanes,
    tables,
)

TYPE_CHECKING = False  # no `typing`, no `collections` at start-up (issue 23): for the type checker
if TYPE_CHECKING:  # for annotations alone
    from collections.abc import Callable

    from .model import SizeRule
    from .registers import Reg

    ExtLayout = Callable[[CapContext, int], list[Reg]]

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


# ------------------------------------------------------------------ 0x0002 / 0x0008 / 0x0009 VC, MFVC

VC_BASE = 0x10  # Port VC Cap 1/2, Port VC Control/Status, then the VC resources
VC_PER_VC = 0x0C  # VC Resource Capability, Control, (reserved), Status
VC_MIN, VC_MAX = 0x1C, 0xFFC
VC_TABLE_UNIT = 16  # table offset fields count 16-byte units from the capability start
VCAT_BITS_PER_PHASE = 4
# (capability bit, phases), largest first: a table holds the most phases the port supports.
VCAT_PHASES = ((3, 128), (2, 64), (1, 32))  # Port VC Cap 2 bits 3:1
PAT_PHASES = ((5, 256), (4, 128), (3, 128), (2, 64), (1, 32))  # VC Resource Cap bits 5:1


# (per-VC arbitration table name, what the spec calls it): what differs between VC/VC9 and
# MFVC when sizing; extended_tables holds the bit fields of each kind's registers.
VC_TABLE = ("port_arb_table", "Port Arbitration Table")
MFVC_TABLE = ("func_arb_table", "Function Arbitration Table")


def _phases(cap: int, table: tuple[tuple[int, int], ...]) -> int:
    return next((phases for pos, phases in table if cap >> pos & 1), 0)


def _vc_count(ctx: CapContext) -> int:
    return (ctx.u32(4) & 0x7) + 1


def _vc_tables(ctx: CapContext, kind: tuple[str, str]) -> list[tuple[int, int, str, str]]:
    """The VC Arbitration Table and per-VC Port/Function Arbitration Tables present: (start,
    length, name, description) each, `kind` the (name, description) of the per-VC tables."""
    cap1, cap2 = ctx.u32(4), ctx.u32(8)
    out = []
    phases = _phases(cap2, VCAT_PHASES)
    if cap2 >> 24 and phases:
        out.append((VC_TABLE_UNIT * (cap2 >> 24), phases * VCAT_BITS_PER_PHASE // 8,
                    "vc_arb_table", f"VC Arbitration Table: {phases} phases x 4 bits"))
    entry_bits = 1 << (cap1 >> 10 & 0x3)
    table, table_doc = kind
    for vc in range(_vc_count(ctx)):
        res_cap = ctx.u32(VC_BASE + VC_PER_VC * vc)
        phases = _phases(res_cap, PAT_PHASES)
        if res_cap >> 24 and phases:
            out.append((VC_TABLE_UNIT * (res_cap >> 24), phases * entry_bits // 8,
                        f"vc{vc}_{table}", f"VC{vc} {table_doc}: {phases} phases x {entry_bits} bits"))
    return out


def _vc_size(ctx: CapContext) -> Size:
    count = _vc_count(ctx)
    tables = _vc_tables(ctx, VC_TABLE)
    end = dword_round(max([VC_BASE + VC_PER_VC * count] + [start + length for start, length, _, _ in tables]))
    room = min(_room(ctx, VC_MIN), VC_MAX)
    if end > room:
        return Size(room, MINIMUM, f"the structure would end at {end:#x}, past the end of "
                                   "config space: cut there")
    why = f"{count} VC resource(s) of 12 bytes"
    if tables:
        why += f" and {len(tables)} arbitration table(s): the last part ends at {end:#x}"
    return Size(end, EXACT, why)


def _vc_size_text(kind: tuple[str, str]) -> str:
    return ("0x10 + 0x0C per VC (Extended VC Count +4 bits 2:0, plus VC0), extended to the end of "
            "the VC Arbitration Table (16 * +8 bits 31:24; 32/64/128 phases x 4 bits) and of each "
            f"VC's {kind[1]} (16 * Resource Cap bits 31:24; phases x entry size); "
            "DWORD-rounded, cut at the end of config space")


VC_NOTES = ("NVIDIA nvpcie.h uses 0x18 + 0x10 per extended VC; Linux, pciutils and the spec use "
            "0x10 + 0x0C per VC (followed here). vfio ignores the table offsets and Port "
            "Arbitration Tables; pciutils reads only 0x10 + 12 per VC.")


# ------------------------------------------------------------------ 0x0003 DSN

# ------------------------------------------------------------------ 0x0004 Power Budgeting

# ------------------------------------------------------------------ 0x000B VSEC

def _vsec_size(ctx: CapContext) -> Size:
    length = ctx.u32(4) >> 20
    if length < 8:
        return Size(8, Certainty.MINIMUM, f"VSEC Length {length:#x} is below its own 8-byte header")
    if length > 0xF00:
        return Size(8, Certainty.MINIMUM, f"VSEC Length {length:#x} exceeds the extended space")
    return Size(length, Certainty.EXACT, "VSEC Length field (+4 bits 31:20)")


# ------------------------------------------------------------------ 0x000D ACS

ACS_EGRESS_CONTROL = 1 << 5  # ACS P2P Egress Control supported: the vector follows at +8
ACS_VECTOR_DEFAULT = 256  # an Egress Control Vector Size of 0 means 256 bits
ACS_BASE = 0x08

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


# ------------------------------------------------------------------ 0x000E ARI

# ------------------------------------------------------------------ 0x000F ATS

# ------------------------------------------------------------------ 0x0010 SR-IOV

# ------------------------------------------------------------------ 0x0013 PRI

# ------------------------------------------------------------------ 0x0017 TPH Requester

TPH_BASE = 0x0C  # Capability, Control; then the ST Table when it lives here
TPH_LOC_NONE, TPH_LOC_CAP, TPH_LOC_MSIX = 0, 1, 2
TPH_ST_MAX_IN_CAP = 63  # ST Table Size (entries - 1) allowed in the capability
TPH_ST_ENTRY = 2


def _tph_fields(ctx: CapContext) -> tuple[int, int]:
    cap = ctx.u32(4)
    return cap >> 9 & 0x3, cap >> 16 & 0x7FF  # ST Table Location, ST Table Size


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


# ------------------------------------------------------------------ 0x0018 LTR

# ------------------------------------------------------------------ 0x0019 Secondary PCIe

def _secpci_size(ctx: CapContext) -> Size:
    width = lanes(ctx)
    if width is None:
        return Size(0x10, Certainty.MINIMUM, "no link width known: at least one lane")
    if width > 32:
        return Size(0x10, Certainty.MINIMUM, f"Maximum Link Width x{width} is not a valid width")
    return Size(dword_round(0x0C + 2 * width), Certainty.EXACT,
                f"x{width}: 2 bytes of Lane Equalization Control per lane")


# ------------------------------------------------------------------ 0x001B PASID

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


# ------------------------------------------------------------------ 0x001E L1 PM Substates

L1PM_BASE = 0x10  # PCIe 3.1/4.0: Capabilities, Control 1, Control 2
L1PM_SIZE = 0x14  # PCIe 5.0+: the Status register at +0x10 is inside the capability
L1PM_LINK_ACTIVATION = 1 << 5  # Capabilities bit 5, with the Status register's only bit
def _l1pm_size(ctx: CapContext) -> Size:
    """PCIe 5.0 added the Status register at +0x10 with Link Activation. The capability
    version stayed 1, so only a function that supports Link Activation shows which
    layout it has; any other may end at 0x10 (PCIe 3.1/4.0) or 0x14 (PCIe 5.0+)."""
    if ctx.u32(4) & L1PM_LINK_ACTIVATION:
        return Size(L1PM_SIZE, EXACT, "Link Activation supported: the PCIe 5.0+ layout, "
                    "Status register at +0x10")
    return Size(L1PM_BASE, MINIMUM, "PCIe 3.1/4.0 layout (0x10) or PCIe 5.0+ (Status register "
                "at +0x10, 0x14): the capability does not say which", L1PM_SIZE)


# ------------------------------------------------------------------ 0x001F PTM

# ------------------------------------------------------------------ Resizable BAR layout (0x0015, 0x0024)

REBAR_ENTRY_SIZE = 8  # Capability + Control
REBAR_MAX_BARS = 6
REBAR_MIN_SIZE, REBAR_MAX_SIZE = 4 + REBAR_ENTRY_SIZE, 4 + REBAR_ENTRY_SIZE * REBAR_MAX_BARS
REBAR_NBAR_SHIFT, REBAR_NBAR_MASK = 5, 0x7  # first Control register (+8) bits 7:5
REBAR_SIZE_TEXT = ("4 + 8 * NBAR, NBAR = Number of Resizable BARs (first Control +8 bits 7:5), "
                   "valid 1..6 -> 0x0C..0x34")


def rebar_size(label: str) -> SizeRule:
    """Size rule of a Resizable BAR-shaped capability; `label` names its BARs ("VF BAR")."""
    def size(ctx: CapContext) -> Size:
        nbar = (ctx.u32(8) >> REBAR_NBAR_SHIFT) & REBAR_NBAR_MASK
        if 1 <= nbar <= REBAR_MAX_BARS:
            return Size(4 + REBAR_ENTRY_SIZE * nbar, Certainty.EXACT,
                        f"NBAR {nbar}: 8 bytes (Capability + Control) per {label}")
        return Size(REBAR_MIN_SIZE, Certainty.MINIMUM,
                    f"NBAR {nbar} is outside 1..6: at least one {label} entry")
    return size


def rebar_layout(label: str) -> ExtLayout:
    """Register layout of a Resizable BAR-shaped capability, one entry per 8 bytes of `size`."""
    def layout(ctx: CapContext, size: int) -> list[Reg]:
        from .registers import bits, reg  # (a decode's: never loaded to walk and size)

        out: list[Reg] = []
        for i in range(min(max(size - 4, 0) // REBAR_ENTRY_SIZE, REBAR_MAX_BARS)):
            base = 4 + REBAR_ENTRY_SIZE * i
            out.append(reg(base, 4, f"bar{i}_cap", f"{label} entry {i} Capability: supported sizes",
                           bits(31, 4, "sizes", "Supported sizes: bit n set = 2^(n+16) bytes (bit 4 = 1 MB)")))
            out.append(reg(base + 4, 4, f"bar{i}_control", f"{label} entry {i} Control",
                           bits(31, 16, "sizes_upper", "Supported sizes 256 TB..8 EB (bit n = 2^(n+32))"),
                           bits(12, 8, "bar_size", "Programmed size: 2^(n+20) bytes"),
                           bits(7, 5, "nbar", "Number of resizable BARs (meaningful in entry 0)"),
                           bits(2, 0, "bar_index", "Which BAR this entry controls (0..5)")))
        return out
    return layout


def rebar_spec(cap_id: int, short: str, name: str, spec: str, label: str,
               aliases: tuple[str, ...], notes: str = "") -> CapSpec:
    """A registry entry with the Resizable BAR layout (Resizable BAR, VF Resizable BAR)."""
    return CapSpec(E, cap_id, short, name, spec, REBAR_SIZE_TEXT, rebar_size(label),
                   rebar_layout(label), REBAR_MIN_SIZE, REBAR_MAX_SIZE, notes=notes, aliases=aliases)



ENTRIES: tuple[CapSpec, ...] = (
    CapSpec(E, 0x0000, "NULL", "Null Extended Capability", "PCIe 6.3 §7.9.28",
            "fixed 4 bytes: the header only", fixed(4, "header only"), (), 4, 4,
            aliases=("null",)),
    CapSpec(E, 0x0001, "AER", "Advanced Error Reporting", "PCIe 6.3 §7.8.4",
            "0x2C; 0x38 for root ports and RCECs (Root Error registers); 0x48 when the "
            "function supports End-End TLP Prefixes (PCIe capability Device Capabilities 2 bit "
            "21: TLP Prefix Log at 0x38); at least 0x48 and up to 0x60 for a Flit-mode "
            "capable function",
            _aer_size, tables("extended", "_aer_layout"), AER_COMMON_END, AER_FLIT_END,
            notes="The common '0x38 non-root vs 0x48 root' claim is not the spec's rule. AER "
                  "Capabilities and Control bit 11 (TLP Prefix Log Present) is a status bit "
                  "about the logged TLP, not the register's presence. vfio exposes 0x2C only.",
            aliases=("aer", "err")),
    CapSpec(E, 0x0002, "VC", "Virtual Channel", "PCIe 6.3 §7.9.1", _vc_size_text(VC_TABLE),
            _vc_size, tables("extended", "VC_LAYOUT"), VC_MIN, VC_MAX, notes=VC_NOTES, aliases=("vc",)),
    CapSpec(E, 0x0003, "DSN", "Device Serial Number", "PCIe 6.3 §7.9.3",
            "fixed 12 bytes (PCI_EXT_CAP_DSN_SIZEOF): 64-bit serial number at +4", fixed(0x0C),
            tables("extended", "DSN_REGS"), 0x0C, 0x0C, aliases=("dsn", "serial")),
    CapSpec(E, 0x0004, "PB", "Power Budgeting", "PCIe 6.3 §7.8.1",
            "fixed 16 bytes (PCI_EXT_CAP_PWR_SIZEOF)", fixed(0x10), tables("extended", "PB_REGS"), 0x10, 0x10,
            notes="PB Control (+6) and Sense Detect (+0x0D) are PCIe 6.x additions inside the "
                  "same 16 bytes; older functions read them as reserved.",
            aliases=("pb", "pwr", "power-budgeting")),
    CapSpec(E, 0x000B, "VSEC", "Vendor-Specific Extended Capability", "PCIe 6.3 §7.9.5",
            "VSEC Length (+4 bits 31:20), counted from the capability start",
            _vsec_size, tables("extended", "_vsec_layout"), 0x08, 0xF00, aliases=("vsec", "vndr")),
    CapSpec(E, 0x000D, "ACS", "Access Control Services", "PCIe 6.3 §7.7.11",
            "8 bytes; with P2P Egress Control (+4 bit 5) add 4 * ceil(N/32) bytes of Egress "
            "Control Vector, N = +4 bits 15:8 (0 means 256): up to 0x28",
            _acs_size, tables("extended", "_acs_layout"), ACS_BASE, ACS_BASE + ACS_VECTOR_DEFAULT // 8,
            notes="NVIDIA and pydiskcmd use a fixed 0x10; the spec formula (as in vfio) is "
                  "followed here.", aliases=("acs",)),
    CapSpec(E, 0x000E, "ARI", "Alternative Routing-ID Interpretation", "PCIe 6.3 §7.8.8",
            "fixed 8 bytes (PCI_EXT_CAP_ARI_SIZEOF)", fixed(8), tables("extended", "ARI_REGS"), 8, 8, aliases=("ari",)),
    CapSpec(E, 0x000F, "ATS", "Address Translation Services", "PCIe 6.3 §10.5.1",
            "fixed 8 bytes (PCI_EXT_CAP_ATS_SIZEOF)", fixed(8), tables("extended", "ATS_REGS"), 8, 8, aliases=("ats",)),
    CapSpec(E, 0x0010, "SRIOV", "Single Root I/O Virtualization", "PCIe 6.3 §9.3.3",
            "fixed 64 bytes (PCI_EXT_CAP_SRIOV_SIZEOF): last register at 0x3C", fixed(0x40),
            tables("extended", "SRIOV_REGS"), 0x40, 0x40, aliases=("sriov", "sr-iov", "iov")),
    CapSpec(E, 0x0013, "PRI", "Page Request Interface", "PCIe 6.3 §10.5.2",
            "fixed 16 bytes (PCI_EXT_CAP_PRI_SIZEOF)", fixed(0x10), tables("extended", "PRI_REGS"), 0x10, 0x10,
            aliases=("pri",)),
    # Same layout as VF Resizable BAR (0x0024): defined once in extended_modern.py.
    rebar_spec(0x0015, "REBAR", "Resizable BAR", "PCIe 6.3 §7.8.6", "BAR",
               aliases=("rebar", "resizable-bar"),
               notes="An NBAR outside 1..6 (pciutils rejects it) gives the 0x0C minimum."),
    CapSpec(E, 0x0017, "TPH", "TPH Requester", "PCIe 6.3 §7.9.13",
            "0x0C; with the ST Table in the capability (+4 bits 10:9 = 01b) add 2 * (ST Table "
            "Size + 1) bytes, ST Table Size = +4 bits 26:16 (at most 63), DWORD-rounded: up to 0x8C",
            _tph_size, tables("extended", "_tph_layout"), TPH_BASE, 0x8C,
            notes="vfio adds the table unrounded; pydiskcmd uses 12 (base only).",
            aliases=("tph",)),
    CapSpec(E, 0x0018, "LTR", "Latency Tolerance Reporting", "PCIe 6.3 §7.8.2",
            "fixed 8 bytes (PCI_EXT_CAP_LTR_SIZEOF)", fixed(8), tables("extended", "LTR_REGS"), 8, 8, aliases=("ltr",)),
    CapSpec(E, 0x0019, "SecPCIe", "Secondary PCI Express", "PCIe 6.3 §7.7.3",
            "0x0C + 2 bytes per lane (Maximum Link Width from the PCIe capability), DWORD-rounded: "
            "0x10 x1/x2, 0x14 x4, 0x1C x8, 0x2C x16, 0x4C x32",
            _secpci_size, tables("extended", "_secpci_layout"), 0x10, 0x4C, aliases=("secpci",)),
    CapSpec(E, 0x001B, "PASID", "Process Address Space ID", "PCIe 6.3 §7.8.9",
            "fixed 8 bytes (PCI_EXT_CAP_PASID_SIZEOF)", fixed(8), tables("extended", "PASID_REGS"), 8, 8,
            notes="Hidden by upstream vfio-pci; QEMU 11 synthesizes an 8-byte PASID capability.",
            aliases=("pasid",)),
    CapSpec(E, 0x001D, "DPC", "Downstream Port Containment", "PCIe 6.3 §7.9.14",
            "0x0C without Root Port Extensions (+4 bit 5); with them 0x20 + 4 * RP PIO Log Size "
            "(+4 bits 11:8, bit 13 as bit 4 on Flit-mode ports), valid 4..9 (4..15 in Flit "
            "mode): 0x30..0x5C", _dpc_size, tables("extended", "_dpc_layout"), DPC_BASE, 0x5C,
            notes="pciutils reads only 0x0C. A Log Size outside the valid range gives the 0x30 "
                  "minimum (Header Log only).", aliases=("dpc",)),
    CapSpec(E, 0x001E, "L1PM", "L1 PM Substates", "PCIe 6.3 §7.8.3",
            "0x14 when Link Activation is supported (+4 bit 5: the PCIe 5.0+ layout with the "
            "Status register at +0x10); otherwise at least 0x10 (PCIe 3.1/4.0), up to 0x14",
            _l1pm_size, tables("extended", "_l1pm_layout"), L1PM_BASE, L1PM_SIZE,
            notes="PCIe 3.1/4.0 functions implement 0x10 (no Status register), as Linux "
                  "pci_regs.h and pciutils read; PCIe 5.0+ ones 0x14. The version field is 1 in "
                  "both, so without Link Activation the size is a minimum with a tail to 0x14.",
            aliases=("l1pm", "l1ss")),
    CapSpec(E, 0x001F, "PTM", "Precision Time Measurement", "PCIe 6.3 §7.9.15",
            "fixed 12 bytes: PTM Capability (+4), PTM Control (+8)", fixed(0x0C), tables("extended", "PTM_REGS"),
            0x0C, 0x0C, aliases=("ptm",)),
)
