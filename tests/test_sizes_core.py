"""Sizes of the capabilities whose rule depends on their own bytes or on the PCI Express
capability, pinned to the spec's rule (the literal is derived in each comment), and
checked end to end: the walker must feed the PCIe capability's facts to the rules."""

from __future__ import annotations

import pytest

from capslot.core.layout import build
from capslot.core.registry import Certainty, Space, lookup
from tests.helpers import (
    config_space, ctx_for, dw, ext_header, load_bytes, pcie, pcie_cap, std_cap,
)

S, E = Space.STANDARD, Space.EXTENDED


def size_of(space, cap_id, body, **kw):
    s = lookup(space, cap_id).size(ctx_for(body, space, **kw))
    return s.size, s.certainty


@pytest.mark.parametrize("control, expected", [
    (0x0000, 0x0A),  # 32-bit: ID/next/ctl, address +4, data +8..+9 -> 10
    (0x0080, 0x0E),  # 64-bit: upper address +8, data +0x0C..+0x0D -> 14
    (0x0100, 0x14),  # 32-bit + masking: mask +0x0C, pending +0x10..+0x13 -> 20
    (0x0180, 0x18),  # 64-bit + masking: mask +0x10, pending +0x14..+0x17 -> 24
    (0x0200, 0x0C),  # 32-bit + extended message data at +0x0A..+0x0B -> 12
    (0x0280, 0x10),  # 64-bit + extended message data at +0x0E..+0x0F -> 16
])
def test_msi_variants(control, expected):
    assert size_of(S, 0x05, std_cap(5, 0, control.to_bytes(2, "little"))) == (expected, Certainty.EXACT)


@pytest.mark.parametrize("flags, expected", [
    (0x0002, 0x3C),  # v2 endpoint: every register through Slot Status 2 (0x3A..0x3B)
    (0x0092, 0x3C),  # v2 RCiEP: still 0x3C, the registers exist as RsvdZ
    (0x0091, 0x0C),  # v1 RCiEP: Device Capabilities/Control/Status only
    (0x0001, 0x14),  # v1 endpoint: through Link Status (0x12..0x13)
    (0x0161, 0x1C),  # v1 downstream port with slot: through Slot Status (0x1A..0x1B)
    (0x0041, 0x24),  # v1 root port: through Root Status (0x20..0x23)
])
def test_pci_express_versions(flags, expected):
    assert size_of(S, 0x10, std_cap(0x10, 0, flags.to_bytes(2, "little")))[0] == expected


AER_PLAIN = ext_header(1) + bytes(0x18 - 4) + dw(0)
# AER Cap & Control bit 11 "TLP Prefix Log Present": a status bit about the logged TLP
# (pci_regs.h PCI_ERR_CAP_PREFIX_LOG_PRESENT); it does not add the register.
AER_BIT11 = ext_header(1) + bytes(0x18 - 4) + dw(1 << 11)


@pytest.mark.parametrize("port_type, body, e2e, expected", [
    (0x0, AER_PLAIN, False, (0x2C, Certainty.EXACT)),   # endpoint: ends after Header Log (0x1C+16)
    (0x5, AER_PLAIN, False, (0x2C, Certainty.EXACT)),   # switch upstream port: same
    (0x4, AER_PLAIN, False, (0x38, Certainty.EXACT)),   # root port: Root Error Cmd/Status/Source ID
    (0xA, AER_PLAIN, False, (0x38, Certainty.EXACT)),   # RCEC: likewise
    (0x0, AER_BIT11, False, (0x2C, Certainty.EXACT)),   # bit 11 alone adds nothing
    (0x0, AER_PLAIN, True, (0x48, Certainty.EXACT)),    # End-End TLP Prefixes: log at 0x38 + 16
    (0x4, AER_PLAIN, True, (0x48, Certainty.EXACT)),    # root port with prefixes: same end
])
def test_aer_by_port_type(port_type, body, e2e, expected):
    assert size_of(E, 0x01, body, pcie_info=pcie(port_type)._replace(e2e_tlp_prefix=e2e)) == expected


@pytest.mark.parametrize("width, expected", [
    (1, 0x10),   # 0x0C + 2*1 = 0x0E -> DWORD 0x10
    (2, 0x10),   # 0x0C + 4 = 0x10
    (4, 0x14),   # 0x0C + 8
    (8, 0x1C),   # 0x0C + 16
    (16, 0x2C),  # 0x0C + 32
    (32, 0x4C),  # 0x0C + 64
])
def test_secondary_pcie_by_link_width(width, expected):
    assert size_of(E, 0x19, ext_header(0x19), pcie_info=pcie(width=width)) == (expected, Certainty.EXACT)


def test_secondary_pcie_without_link_width_is_a_minimum():
    assert size_of(E, 0x19, ext_header(0x19)) == (0x10, Certainty.MINIMUM)


@pytest.mark.parametrize("length, expected", [
    (0x010, (0x10, Certainty.EXACT)),   # VSEC Length counts from the capability start
    (0x0E0, (0xE0, Certainty.EXACT)),
    (0x004, (0x08, Certainty.MINIMUM)),  # shorter than its own 8-byte header: not trusted
])
def test_vsec_length(length, expected):
    assert size_of(E, 0x0B, ext_header(0x0B) + dw(length << 20 | 0x1 << 16 | 0x1234)) == expected


def test_pasid_is_eight_bytes():
    assert size_of(E, 0x1B, ext_header(0x1B)) == (8, Certainty.EXACT)


def test_walker_feeds_link_width_and_port_type_to_extended_rules():
    """A x8 root port: Secondary PCIe is 0x1C and AER 0x38, both exact, end to end."""
    raw = config_space(
        std={0x40: pcie_cap(0, port_type=0x4, width=8)},
        ext={0x100: ext_header(0x01, 1, 0x140), 0x140: ext_header(0x19, 1, 0)})
    layout = build(load_bytes(raw))
    by_id = {c.id: c for c in layout.capabilities if c.space is E}
    assert (by_id[0x01].size, by_id[0x01].certainty) == (0x38, Certainty.EXACT)
    assert (by_id[0x19].size, by_id[0x19].certainty) == (0x1C, Certainty.EXACT)
    assert layout.pcie is not None and layout.pcie.max_link_width == 8


def test_unknown_id_gets_an_unknown_tail_to_the_next_capability():
    raw = config_space(std={0x40: pcie_cap()},
                       ext={0x100: ext_header(0x7777, 1, 0x180), 0x180: ext_header(0x1B)})
    layout = build(load_bytes(raw))
    cap = layout.capabilities[1]
    assert cap.name == "unknown (0x7777)" and cap.certainty is Certainty.UNKNOWN
    tail = layout.region_at(0x104)
    assert (tail.kind.value, tail.start, tail.end) == ("unknown_tail", 0x104, 0x180)
    last = layout.region_at(0x188)  # PASID is exact: no tail after it
    assert last.kind.value == "zero_gap"


def test_walk_on_real_dump_sizes_from_its_own_pcie_capability(samples):
    """The PLX 8796 switch port: x? link width read from its own LnkCap sizes SecPCIe."""
    from capslot.core.sources import load

    layout = build(load(str(samples / "plx_pex8796_switch_8796.txt"))[0])
    secpci = next(c for c in layout.capabilities if c.id == 0x19 and c.space is E)
    width = layout.pcie.max_link_width
    assert secpci.size == ((0x0C + 2 * width + 3) & ~3) and secpci.certainty is Certainty.EXACT


@pytest.mark.parametrize("width", [33, 63])
def test_secondary_pcie_with_an_invalid_width_is_a_minimum(width):
    assert size_of(E, 0x19, ext_header(0x19), pcie_info=pcie(width=width)) == (0x10, Certainty.MINIMUM)
