"""Extended capability registry entries 0x0000-0x001F: size rules, layouts, decode.

Every expected size below is a literal derived from the rule in
docs/reference/capabilities.md (derivation in the comment next to it), never a value
computed by calling the registry.
"""

from __future__ import annotations

import re

import pytest

from capslot.core.registry import extended, lookup
from capslot.core.registry.model import Certainty, PcieInfo, Space
from tests.helpers import ctx_for, dw, ext_header, pcie

E = Space.EXTENDED
EXACT, MINIMUM, UNKNOWN = Certainty.EXACT, Certainty.MINIMUM, Certainty.UNKNOWN
NAME = re.compile(r"[a-z][a-z0-9_]*")
VC_IDS = (0x0002, 0x0008, 0x0009)
PRE_EXISTING = (0x0001, 0x000B, 0x0019, 0x001B)  # AER, VSEC, Secondary PCIe, PASID
MINE = tuple(spec.id for spec in extended.ENTRIES if spec.id not in PRE_EXISTING)


def cap(cap_id: int, *dwords: int, version: int = 1) -> bytes:
    """Extended header, then the body DWORDs from +4."""
    return ext_header(cap_id, version) + dw(*dwords)


def check(cap_id: int, body: bytes, size: int, certainty: Certainty,
          pcie_info: PcieInfo | None = None, offset: int | None = None) -> None:
    got = lookup(E, cap_id).size(ctx_for(body, offset=offset, pcie_info=pcie_info))
    assert (got.size, got.certainty) == (size, certainty), got.why
    assert got.why


def names(cap_id: int, body: bytes, size: int, pcie_info: PcieInfo | None = None) -> dict[str, int]:
    ctx = ctx_for(body, pcie_info=pcie_info)
    return {r.name: r.offset for r in lookup(E, cap_id).registers(ctx, size)}


def test_entries_are_ordered_by_id_and_cover_0x00_to_0x1f() -> None:
    from capslot.core.registry import extended_rare

    for table in (extended.ENTRIES, extended_rare.ENTRIES):
        ids = [spec.id for spec in table]
        assert ids == sorted(ids)  # each table in ID order
    ids = sorted(spec.id for spec in extended.ENTRIES + extended_rare.ENTRIES)
    assert ids == list(range(0x00, 0x20))  # every ID 0x0000..0x001F, once


# ------------------------------------------------------------------ fixed and unknown sizes

@pytest.mark.parametrize("cap_id, expected", [
    (0x0000, 0x04),  # Null: the header only
    (0x0003, 0x0C),  # DSN: 64-bit serial at +4
    (0x0004, 0x10),  # Power Budgeting: Data Select .. Capability/Sense Detect at 0x0C/0x0D
    (0x0006, 0x0C),  # RC Internal Link Control: Link Status at 0x0A
    (0x000A, 0x14),  # RCRB Header: Control at 0x0C + reserved DWORD at 0x10
    (0x000C, 0x08),  # CAC: Device Correlation at +4
    (0x000E, 0x08),  # ARI: Capability (+4), Control (+6)
    (0x000F, 0x08),  # ATS: Capability (+4), Control (+6)
    (0x0010, 0x40),  # SR-IOV: VF Migration State Array Offset at 0x3C
    (0x0013, 0x10),  # PRI: Allocation at 0x0C
    (0x0018, 0x08),  # LTR: Max Snoop (+4), Max No-Snoop (+6)
    (0x001C, 0x08),  # LN Requester: Capability (+4), Control (+6)
    (0x001F, 0x0C),  # PTM: Capability (+4), Control (+8)
])
def test_fixed_sizes(cap_id: int, expected: int) -> None:
    for body in (cap(cap_id), ext_header(cap_id) + b"\xff" * 0x40):
        check(cap_id, body, expected, EXACT)


@pytest.mark.parametrize("cap_id", [0x0011, 0x0014])
def test_unknown_layouts_report_the_header_only(cap_id: int) -> None:
    check(cap_id, cap(cap_id, *[0x5A5A5A5A] * 8), 4, UNKNOWN)


# ------------------------------------------------------------------ 0x0002 / 0x0008 / 0x0009 VC

def vc(cap_id: int, cap1: int = 0, cap2: int = 0, *res_caps: int) -> bytes:
    """Port VC Cap 1/2, Control/Status, then VC resources (Cap, Control, Status) per VC."""
    body = [cap1, cap2, 0]
    for res_cap in res_caps:
        body += [res_cap, 0, 0]
    return cap(cap_id, *body)


@pytest.mark.parametrize("cap_id", VC_IDS)
def test_vc_resources(cap_id: int) -> None:
    check(cap_id, vc(cap_id, 0), 0x1C, EXACT)        # EVC 0: 0x10 + 0x0C * 1
    check(cap_id, vc(cap_id, 3), 0x40, EXACT)        # EVC 3: 0x10 + 0x0C * 4 = 0x40
    check(cap_id, vc(cap_id, 7), 0x70, EXACT)        # EVC 7: 0x10 + 0x0C * 8 = 0x70


@pytest.mark.parametrize("cap_id", VC_IDS)
def test_vc_arbitration_table(cap_id: int) -> None:
    # EVC 1 (resources end 0x28); VCAT offset 6 -> 0x60, 128 phases (bit 3) x 4 bits = 64 -> 0xA0
    check(cap_id, vc(cap_id, 1, 0x06 << 24 | 1 << 3), 0xA0, EXACT)
    # 32 and 64 phases supported (bits 1, 2): the table holds 64 x 4 bits = 32 -> 0x60 + 0x20
    check(cap_id, vc(cap_id, 1, 0x06 << 24 | 0b110), 0x80, EXACT)
    # an offset without any WRR phase bit: no table, resources only -> 0x28
    check(cap_id, vc(cap_id, 1, 0x06 << 24), 0x28, EXACT)


@pytest.mark.parametrize("cap_id", VC_IDS)
def test_vc_port_arbitration_tables(cap_id: int) -> None:
    # EVC 0, entry size 4 bits (cap1 11:10 = 2); VC0 table at 0x40, 256 phases (bit 5):
    # 256 x 4 / 8 = 128 bytes -> 0x40 + 0x80 = 0xC0
    check(cap_id, vc(cap_id, 2 << 10, 0, 0x04 << 24 | 1 << 5), 0xC0, EXACT)
    # EVC 1, 1-bit entries; only VC1 has a table: 0x30 + 32 x 1 / 8 = 0x34 (> resources 0x28)
    check(cap_id, vc(cap_id, 1, 0, 0, 0x03 << 24 | 1 << 1), 0x34, EXACT)
    # 8-bit entries, 128 phases (TWRR128, bit 4) at 0x20: 128 bytes -> 0xA0
    check(cap_id, vc(cap_id, 3 << 10, 0, 0x02 << 24 | 1 << 4), 0xA0, EXACT)


@pytest.mark.parametrize("cap_id", VC_IDS)
def test_vc_cut_at_the_end_of_config_space(cap_id: int) -> None:
    # at 0xF00 only 0x100 bytes remain; an 8-bit 256-phase table at 0xF0 would end at 0x1F0
    body = vc(cap_id, 3 << 10, 0, 0x0F << 24 | 1 << 5)
    check(cap_id, body, 0x100, MINIMUM, offset=0xF00)
    check(cap_id, body, 0x1F0, EXACT)  # at 0x100 it fits: 0xF0 + 256 = 0x1F0


def test_vc_layout_names_the_tables() -> None:
    body = vc(0x0002, 1 | 2 << 10, 0x06 << 24 | 1 << 3, 0x0B << 24 | 1 << 1, 0)
    regs = names(0x0002, body, 0xC0)
    assert regs["vc_arb_table"] == 0x60 and regs["vc0_port_arb_table"] == 0xB0
    assert regs["vc1_resource_status"] == 0x10 + 0x0C + 0x0A
    mfvc = names(0x0008, ext_header(0x0008) + body[4:], 0xC0)
    assert "vc0_func_arb_table" in mfvc and "vc0_port_arb_table" not in mfvc


# ------------------------------------------------------------------ 0x0005 RC Link Declaration

def test_rclink_sizes() -> None:
    check(0x0005, cap(0x0005, 0), 0x10, EXACT)                  # no links: 0x10
    check(0x0005, cap(0x0005, 2 << 8), 0x30, EXACT)             # 2 links: 0x10 + 2 * 0x10
    # 255 links would end at 0x10 + 0xFF0 = 0x1000; at 0x100 only 0xF00 bytes remain
    check(0x0005, cap(0x0005, 0xFF << 8), 0xF00, MINIMUM)
    regs = names(0x0005, cap(0x0005, 2 << 8), 0x30)
    assert regs["link1_description"] == 0x20 and regs["link1_address"] == 0x28


# ------------------------------------------------------------------ 0x0007 RCEC Endpoint Association

def test_rcec_sizes_by_version() -> None:
    check(0x0007, cap(0x0007, version=1), 0x08, EXACT)     # v1: Association Bitmap at +4
    check(0x0007, cap(0x0007, version=2), 0x0C, EXACT)     # v2: + Associated Bus Numbers at +8
    check(0x0007, cap(0x0007, version=3), 0x0C, EXACT)     # later versions keep the v2 layout
    check(0x0007, cap(0x0007, version=0), 0x08, MINIMUM)   # version 0 is undefined
    assert "assoc_bus_numbers" not in names(0x0007, cap(0x0007), 0x08)


# ------------------------------------------------------------------ 0x000D ACS

def test_acs_sizes() -> None:
    check(0x000D, cap(0x000D, 0), 0x08, EXACT)                # no P2P Egress Control: 8
    check(0x000D, cap(0x000D, 0x40 << 8), 0x08, EXACT)        # vector size set, bit 5 clear: 8
    check(0x000D, cap(0x000D, 1 << 5 | 8 << 8), 0x0C, EXACT)  # 8 bits -> 1 DWORD: 8 + 4
    check(0x000D, cap(0x000D, 1 << 5 | 32 << 8), 0x0C, EXACT)  # 32 bits -> 1 DWORD
    check(0x000D, cap(0x000D, 1 << 5 | 33 << 8), 0x10, EXACT)  # 33 bits -> 2 DWORDs: 8 + 8
    check(0x000D, cap(0x000D, 1 << 5), 0x28, EXACT)           # 0 means 256 bits: 8 + 32
    regs = names(0x000D, cap(0x000D, 1 << 5 | 33 << 8), 0x10)
    assert regs["egress_control_vector1"] == 0x0C


# ------------------------------------------------------------------ 0x0012 Multicast

@pytest.mark.parametrize("port_type, expected, certainty", [
    (0x4, 0x30, EXACT),    # root port: MC_Overlay_BAR at 0x28..0x2F
    (0x5, 0x30, EXACT),    # switch upstream port
    (0x6, 0x30, EXACT),    # switch downstream port
    (0x0, 0x28, EXACT),    # endpoint: no overlay BAR
    (0x1, 0x28, EXACT),    # legacy endpoint
    (0x9, 0x28, EXACT),    # RCiEP
    (0x7, 0x28, MINIMUM),  # PCIe-to-PCI bridge: not a Multicast port type
])
def test_multicast_by_port_type(port_type: int, expected: int, certainty: Certainty) -> None:
    check(0x0012, cap(0x0012), expected, certainty, pcie(port_type))


def test_multicast_without_pcie_and_layout() -> None:
    check(0x0012, cap(0x0012), 0x28, MINIMUM)  # port type unknown: the endpoint layout at least
    assert "mc_overlay_bar" in names(0x0012, cap(0x0012), 0x30)
    assert "mc_overlay_bar" not in names(0x0012, cap(0x0012), 0x28)


# ------------------------------------------------------------------ 0x0015 Resizable BAR

def test_rebar_sizes() -> None:
    check(0x0015, cap(0x0015, 0, 1 << 5), 0x0C, EXACT)  # NBAR 1: 4 + 8
    check(0x0015, cap(0x0015, 0, 3 << 5), 0x1C, EXACT)  # NBAR 3: 4 + 24
    check(0x0015, cap(0x0015, 0, 6 << 5), 0x34, EXACT)  # NBAR 6: 4 + 48
    check(0x0015, cap(0x0015, 0, 0), 0x0C, MINIMUM)     # NBAR 0 invalid
    check(0x0015, cap(0x0015, 0, 7 << 5), 0x0C, MINIMUM)  # NBAR 7 invalid


# ------------------------------------------------------------------ 0x0016 DPA

def test_dpa_sizes() -> None:
    check(0x0016, cap(0x0016, 0), 0x14, EXACT)   # Substate_Max 0: 0x10 + 1 = 0x11 -> 0x14
    check(0x0016, cap(0x0016, 3), 0x14, EXACT)   # 0x10 + 4 = 0x14
    check(0x0016, cap(0x0016, 4), 0x18, EXACT)   # 0x10 + 5 = 0x15 -> 0x18
    check(0x0016, cap(0x0016, 31), 0x30, EXACT)  # 0x10 + 32 = 0x30
    regs = names(0x0016, cap(0x0016, 4), 0x18)
    assert regs["power_allocation4"] == 0x14 and "power_allocation5" not in regs


# ------------------------------------------------------------------ 0x0017 TPH Requester

def tph(location: int, table_size: int = 0) -> bytes:
    return cap(0x0017, location << 9 | table_size << 16)


def test_tph_sizes() -> None:
    check(0x0017, tph(0), 0x0C, EXACT)        # no ST Table
    check(0x0017, tph(2, 5), 0x0C, EXACT)     # ST Table in MSI-X: not here
    check(0x0017, tph(1, 0), 0x10, EXACT)     # 1 entry: 0x0C + 2 = 0x0E -> 0x10
    check(0x0017, tph(1, 1), 0x10, EXACT)     # 2 entries: 0x0C + 4
    check(0x0017, tph(1, 2), 0x14, EXACT)     # 3 entries: 0x0C + 6 = 0x12 -> 0x14
    check(0x0017, tph(1, 63), 0x8C, EXACT)    # 64 entries: 0x0C + 128
    check(0x0017, tph(1, 64), 0x0C, MINIMUM)  # more than 63 is invalid in the capability
    check(0x0017, tph(3), 0x0C, MINIMUM)      # reserved location
    regs = names(0x0017, tph(1, 2), 0x14)
    assert regs["st_entry2"] == 0x10 and "st_entry3" not in regs


# ------------------------------------------------------------------ 0x001A PMUX

def test_pmux_sizes() -> None:
    check(0x001A, cap(0x001A, 0), 0x10, EXACT)      # no protocols
    check(0x001A, cap(0x001A, 3), 0x1C, EXACT)      # 0x10 + 3 * 4
    check(0x001A, cap(0x001A, 15), 0x4C, EXACT)     # spec maximum: array at 0x10..0x48
    check(0x001A, cap(0x001A, 16), 0x4C, MINIMUM)   # beyond the spec's 15 entries
    check(0x001A, cap(0x001A, 63), 0x4C, MINIMUM)


# ------------------------------------------------------------------ 0x001D DPC

def dpc(log: int, rp_ext: bool = True, size4: bool = False) -> bytes:
    return cap(0x001D, (1 << 5 if rp_ext else 0) | log << 8 | (1 << 13 if size4 else 0))


def test_dpc_sizes() -> None:
    plain, flit = pcie(0x4), pcie(0x4, flit=True)
    check(0x001D, dpc(9, rp_ext=False), 0x0C, EXACT, plain)   # no RP Extensions: 0x0C
    check(0x001D, dpc(4), 0x30, EXACT, plain)                 # 0x20 + 4 * 4
    check(0x001D, dpc(9), 0x44, EXACT, plain)                 # 0x20 + 9 * 4
    check(0x001D, dpc(5, size4=True), 0x34, EXACT, plain)     # bit 13 ignored without Flit mode
    check(0x001D, dpc(10), 0x30, MINIMUM, plain)              # 10 > 9 outside Flit mode
    check(0x001D, dpc(3), 0x30, MINIMUM, plain)               # below 4: Header Log at least
    check(0x001D, dpc(15), 0x5C, EXACT, flit)                 # Flit mode: 0x20 + 15 * 4
    check(0x001D, dpc(0, size4=True), 0x30, MINIMUM, flit)    # 16 > 15
    check(0x001D, dpc(4), 0x30, EXACT)                        # no PCIe cap, bit 13 clear
    check(0x001D, dpc(12), 0x50, EXACT)                       # no PCIe cap: 4..15 allowed
    check(0x001D, dpc(4, size4=True), 0x30, MINIMUM)          # no PCIe cap: bit 13 unknown
    regs = names(0x001D, dpc(9), 0x44, plain)
    assert regs["rp_pio_impspec_log"] == 0x30 and regs["rp_pio_tlp_prefix_log"] == 0x34
    assert "rp_pio_status" not in names(0x001D, dpc(9, rp_ext=False), 0x0C, plain)
