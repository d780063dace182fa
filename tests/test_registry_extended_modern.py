"""Extended capability registry entries 0x0020-0x003A: size rules, layouts, decode.

Every expected size below is a literal derived from the rule in
docs/reference/capabilities.md (derivation in the comment next to it), never a value
computed by calling the registry.
"""

from __future__ import annotations

import re

import pytest

from capslot.core.registry import extended, lookup
from capslot.core.registry.model import Certainty, PcieInfo, Space
from tests.helpers import SpyContext, ctx_for, dw, ext_header, pcie, spy_context

E = Space.EXTENDED
EXACT, MINIMUM, UNKNOWN = Certainty.EXACT, Certainty.MINIMUM, Certainty.UNKNOWN
FIELD_NAME = re.compile(r"[a-z0-9][a-z0-9_]*")


def cap(cap_id: int, *dwords: int) -> bytes:
    """Extended header, then the body DWORDs from +4."""
    return ext_header(cap_id) + dw(*dwords)


def width(n: int) -> PcieInfo:
    return pcie(port_type=0, width=n)


def check(cap_id: int, body: bytes, size: int, certainty: Certainty,
          pcie_info: PcieInfo | None = None) -> None:
    got = lookup(E, cap_id).size(ctx_for(body, pcie_info=pcie_info))
    assert (got.size, got.certainty) == (size, certainty), got.why
    assert got.why


def names(cap_id: int, body: bytes, size: int, pcie_info: PcieInfo | None = None) -> dict[str, int]:
    ctx = ctx_for(body, pcie_info=pcie_info)
    return {r.name: r.offset for r in lookup(E, cap_id).registers(ctx, size)}


# ------------------------------------------------------------------ fixed and unknown sizes

@pytest.mark.parametrize("cap_id, expected", [
    (0x0020, 0x1C),  # M-PCIe: Capabilities .. Phy Control Data at 0x18
    (0x0021, 0x10),  # FRS: Capability, Status/Control, Message Queue at 0x0C
    (0x0022, 0x0C),  # RTR: Readiness Time Reporting 1 (+4), 2 (+8)
    (0x0025, 0x0C),  # Data Link Feature: Capabilities (+4), Status (+8)
    (0x0028, 0x20),  # Hierarchy ID: GUID 5 at 0x1C
    (0x0029, 0x10),  # NPEM: Capability, Control, Status at 0x0C
    (0x002B, 0x18),  # Alternate Protocol: Selective Enable Mask at 0x14 (PCIe 6.3)
    (0x002C, 0x14),  # SFI: CAM Data at 0x10
    (0x002E, 0x18),  # DOE: Read Data Mailbox at 0x14
    (0x002F, 0x10),  # Device 3: Status 3 at 0x0C
    (0x0032, 0x3C),  # Flit Logging: FBER Measurement Status 10 at 0x38
    (0x0033, 0x24),  # Flit Performance Measurement: LTSSM status through 0x20
    (0x0034, 0x24),  # Flit Error Injection: OS Rx status at 0x20
    (0x0037, 0x14),  # NOP Flit: Status at 0x10
    (0x0038, 0x10),  # SIOV: SDI Stride at 0x0E (PCI_EXT_CAP_SIOV_SIZEOF)
])
@pytest.mark.parametrize("fill", [0x0000_0000, 0xFFFF_FFFF])
def test_fixed_sizes(cap_id: int, expected: int, fill: int) -> None:
    check(cap_id, cap(cap_id, *[fill] * 16), expected, EXACT)
    check(cap_id, cap(cap_id, *[fill] * 16), expected, EXACT, width(16))


def test_captured_data_is_unknown() -> None:
    check(0x003A, cap(0x3A, 0xFFFF_FFFF), 4, UNKNOWN)  # no layout anywhere: header only


# ------------------------------------------------------------------ 0x0023 DVSEC

def dvsec(length: int, vendor: int = 0x1E98, rev: int = 1, dvsec_id: int = 3) -> bytes:
    return cap(0x23, length << 20 | rev << 16 | vendor, dvsec_id)


@pytest.mark.parametrize("length, size, certainty", [
    (0x010, 0x010, EXACT),    # DVSEC Length is the size
    (0x00A, 0x00A, EXACT),    # the 10-byte header alone is a valid DVSEC
    (0x03C, 0x03C, EXACT),    # e.g. a CXL device DVSEC
    (0xF00, 0xF00, EXACT),    # the whole of extended config space
    (0x008, 0x00C, MINIMUM),  # below the 10-byte header: at least Header 2's DWORD
    (0x000, 0x00C, MINIMUM),
    (0xF04, 0x00C, MINIMUM),  # past 0xF00: invalid, at least 0x0C
])
def test_dvsec_size(length: int, size: int, certainty: Certainty) -> None:
    check(0x23, dvsec(length), size, certainty)


def test_dvsec_layout() -> None:
    # Length 0x14: header 1 (+4), DVSEC ID (+8), vendor bytes 0x0A..0x13
    assert names(0x23, dvsec(0x14), 0x14) == {
        "header": 0, "dvsec_header1": 4, "dvsec_id": 8, "vendor_registers": 0x0A}
    regs = lookup(E, 0x23).registers(ctx_for(dvsec(0x14)), 0x14)
    assert regs[-1].width == 0x0A
    assert "vendor_registers" not in names(0x23, dvsec(0x0A), 0x0A)


# ------------------------------------------------------------------ 0x0024 VF Resizable BAR

@pytest.mark.parametrize("nbar, size, certainty", [
    (1, 0x0C, EXACT),    # 4 + 8 * 1
    (2, 0x14, EXACT),    # 4 + 8 * 2
    (6, 0x34, EXACT),    # 4 + 8 * 6, the maximum
    (0, 0x0C, MINIMUM),  # NBAR 0 is invalid: at least one entry
    (7, 0x0C, MINIMUM),  # NBAR 7 is invalid
])
def test_vf_rebar_size(nbar: int, size: int, certainty: Certainty) -> None:
    check(0x24, cap(0x24, 0xFFFF_FFF0, nbar << 5 | 0x100), size, certainty)


def test_vf_rebar_layout() -> None:
    assert names(0x24, cap(0x24, 0, 2 << 5), 0x14) == {
        "header": 0, "bar0_cap": 4, "bar0_control": 8, "bar1_cap": 0x0C, "bar1_control": 0x10}


def test_rebar_helpers_take_the_entry_name() -> None:
    ctx = ctx_for(cap(0x15, 0, 3 << 5))
    assert "Resizable BAR" in extended.rebar_size("Resizable BAR")(ctx).why
    layout = extended.rebar_layout("Resizable BAR")(ctx, 0x1C)  # 4 + 8 * 3
    assert len(layout) == 6 and all("Resizable BAR" in r.doc for r in layout)
    spec = extended.rebar_spec(0x15, "REBAR", "Resizable BAR", "PCIe 6.3", "BAR", ("rebar",))
    assert (spec.size(ctx).size, spec.min_size, spec.max_size) == (0x1C, 0x0C, 0x34)


# ------------------------------------------------------------------ Physical Layer 16/32/64/128 GT/s

@pytest.mark.parametrize("cap_id", [0x26, 0x2A])
@pytest.mark.parametrize("lanes, size", [
    (1, 0x24),   # 0x20 + 1 -> 0x24
    (2, 0x24),   # 0x20 + 2 -> 0x24
    (4, 0x24),   # 0x20 + 4
    (8, 0x28),   # 0x20 + 8
    (12, 0x2C),  # 0x20 + 12
    (16, 0x30),  # 0x20 + 16
    (32, 0x40),  # 0x20 + 32 (spec: lane registers at 20h to 3Ch)
])
def test_pl16_pl32_size(cap_id: int, lanes: int, size: int) -> None:
    check(cap_id, cap(cap_id), size, EXACT, width(lanes))


@pytest.mark.parametrize("cap_id", [0x26, 0x2A])
@pytest.mark.parametrize("info", [None, width(0), width(63)])
def test_pl16_pl32_without_a_width(cap_id: int, info: PcieInfo | None) -> None:
    check(cap_id, cap(cap_id), 0x24, MINIMUM, info)  # at least one lane: 0x20 + 1 -> 0x24


@pytest.mark.parametrize("cap_id", [0x31, 0x39])
@pytest.mark.parametrize("info, size", [
    (width(1), 0x14),   # 0x10 + 1 -> 0x14
    (width(4), 0x14),   # 0x10 + 4
    (width(8), 0x18),   # 0x10 + 8
    (width(12), 0x1C),  # 0x10 + 12
    (width(16), 0x20),  # 0x10 + 16, the widest 64/128 GT/s link
    (None, 0x14),       # no width: at least one lane
    (width(32), 0x14),  # beyond x16: at least one lane
])
def test_pl64_pl128_size_is_a_minimum(cap_id: int, info: PcieInfo | None, size: int) -> None:
    check(cap_id, cap(cap_id), size, MINIMUM, info)  # disputed / single weak source


def test_phy_layouts() -> None:
    regs = names(0x26, cap(0x26), 0x24, width(4))
    assert [regs[f"lane{n}_eq_control"] for n in range(4)] == [0x20, 0x21, 0x22, 0x23]
    assert "lane1_eq_control" not in names(0x26, cap(0x26), 0x24, width(1))
    assert names(0x2A, cap(0x2A), 0x24, width(1))["tx_mod_ts_data2"] == 0x1C
    regs = names(0x31, cap(0x31), 0x18, width(8))
    assert regs["phy_status"] == 0x0C and regs["lane7_eq_control"] == 0x17


def test_phy_caps_share_one_helper() -> None:
    """The four Physical Layer capabilities are sized (and laid out) by one rule each."""
    sizes = {lookup(E, cap_id).size.__code__ for cap_id in (0x26, 0x2A, 0x31, 0x39)}
    layouts = {lookup(E, cap_id).body_layout.__code__ for cap_id in (0x26, 0x2A, 0x31, 0x39)}
    assert len(sizes) == 1 and len(layouts) == 1


# ------------------------------------------------------------------ 0x0027 Lane Margining

@pytest.mark.parametrize("info, size, certainty", [
    (width(1), 0x0C, EXACT),   # 8 + 4 * 1
    (width(2), 0x10, EXACT),   # 8 + 4 * 2
    (width(4), 0x18, EXACT),   # 8 + 4 * 4
    (width(8), 0x28, EXACT),   # 8 + 4 * 8
    (width(16), 0x48, EXACT),  # 8 + 4 * 16
    (width(32), 0x88, EXACT),  # 8 + 4 * 32
    (None, 0x0C, MINIMUM),     # no width: at least one lane
    (width(63), 0x0C, MINIMUM),
])
def test_lmr_size(info: PcieInfo | None, size: int, certainty: Certainty) -> None:
    check(0x27, cap(0x27), size, certainty, info)


def test_lmr_layout() -> None:
    assert names(0x27, cap(0x27), 0x10, width(2)) == {
        "header": 0, "port_cap": 4, "port_status": 6, "lane0_control": 8, "lane0_status": 0x0A,
        "lane1_control": 0x0C, "lane1_status": 0x0E}


# ------------------------------------------------------------------ 0x002D Shadow Functions

def test_shadow_functions_is_a_minimum() -> None:
    check(0x2D, cap(0x2D, 0xFFFF_FFFF), 0x10, MINIMUM)  # 0x0C + one 4-byte instance entry
    assert names(0x2D, cap(0x2D), 0x1C)["instance3"] == 0x18


# ------------------------------------------------------------------ 0x0030 IDE

LINK, SEL = 1 << 0, 1 << 1


@pytest.mark.parametrize("body, size", [
    (cap(0x30, 0), 0x0C),                                 # no streams: Cap + Control
    (cap(0x30, LINK), 0x14),                              # 0x0C + 8 * (0 + 1)
    (cap(0x30, LINK | 7 << 13), 0x4C),                    # 0x0C + 8 * (7 + 1)
    (cap(0x30, SEL, 0, 0), 0x20),                         # 0x0C + 0x14
    (cap(0x30, SEL | 1 << 16, 0, 1, 0, 0, 0, 0,           # 0x0C + (0x14 + 0x0C) at 0x0C
         0, 0, 0, 2), 0x58),                              #  + (0x14 + 2 * 0x0C) at 0x2C
    (cap(0x30, LINK | 1 << 13 | SEL, 0, 0, 0, 0, 0, 1), 0x3C),  # 0x0C + 2 * 8 + (0x14 + 0x0C)
])
def test_ide_size(body: bytes, size: int) -> None:
    check(0x30, body, size, EXACT)


def test_ide_layout() -> None:
    body = cap(0x30, LINK | 1 << 13 | SEL, 0, 0, 0, 0, 0, 1)  # 2 link streams, 1 stream, 1 addr
    assert names(0x30, body, 0x3C) == {
        "header": 0, "ide_cap": 4, "ide_control": 8,
        "link0_control": 0x0C, "link0_status": 0x10, "link1_control": 0x14, "link1_status": 0x18,
        "sel0_cap": 0x1C, "sel0_control": 0x20, "sel0_status": 0x24, "sel0_rid_assoc1": 0x28,
        "sel0_rid_assoc2": 0x2C, "sel0_addr0_1": 0x30, "sel0_addr0_2": 0x34, "sel0_addr0_3": 0x38}



def test_ide_walk_is_bounded() -> None:
    # All 0xFF: 8 link streams (blocks to 0x4C), 256 selective streams of 0x14 + 15 * 0x0C
    # = 0xC8 bytes each; (0xF00 - 0x4C) // 0xC8 = 18 fit -> 0x4C + 18 * 0xC8 = 0xE5C, a minimum.
    data = bytearray(b"\xff" * 4096)
    data[0x100:0x104] = ext_header(0x30)
    ctx = spy_context(data, 0x100, E, 0)
    size = lookup(E, 0x30).size(ctx)
    assert (size.size, size.certainty) == (0xE5C, MINIMUM)
    lookup(E, 0x30).registers(ctx, 0xF00)
    assert SpyContext.reads and max(SpyContext.reads) < 0xF00


# ------------------------------------------------------------------ 0x0035 SVC, 0x0036 MRBL

@pytest.mark.parametrize("cap1, size", [
    (0, 0x20),            # EVC 0: 0x14 + 0x0C * 1
    (3, 0x44),            # EVC 3: 0x14 + 0x0C * 4
    (7, 0x74),            # EVC 7: 0x14 + 0x0C * 8, the maximum
    (0xFFFF_FFFA, 0x38),  # EVC 2 under set upper bits: 0x14 + 0x0C * 3
])
def test_svc_size(cap1: int, size: int) -> None:
    check(0x35, cap(0x35, cap1), size, EXACT)


def test_svc_layout() -> None:
    regs = names(0x35, cap(0x35, 1), 0x2C)  # EVC 1: VC0 at 0x14, VC1 at 0x20
    assert regs["vc0_cap"] == 0x14 and regs["vc1_status"] == 0x28 and "vc2_cap" not in regs


@pytest.mark.parametrize("cap1, size, certainty", [
    (0x010, 0x010, EXACT),        # 8 + 8 * 1 locator
    (0x028, 0x028, EXACT),        # 8 + 8 * 4 locators
    (0xFFFF_F010, 0x10, EXACT),   # only bits 11:0 are the length
    (0xF00, 0xF00, EXACT),        # the whole extended space
    (0x008, 0x010, MINIMUM),      # no locator: at least one
    (0x01C, 0x018, MINIMUM),      # not 8 + 8n: whole locators only (8 + 8 * 2)
    (0xFFF, 0x010, MINIMUM),      # past 0xF00: invalid
])
def test_mrbl_size(cap1: int, size: int, certainty: Certainty) -> None:
    check(0x36, cap(0x36, cap1), size, certainty)


def test_mrbl_layout() -> None:
    assert names(0x36, cap(0x36, 0x18), 0x18) == {
        "header": 0, "mrbl_cap": 4, "locator0_low": 8, "locator0_high": 0x0C,
        "locator1_low": 0x10, "locator1_high": 0x14}
