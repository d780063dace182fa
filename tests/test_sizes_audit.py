"""Size rules the audit found wrong (issue 12), each checked against the spec's rule or an
outside tool, never against capslot's own output:

- AER has the TLP Prefix Log (0x38-0x47) when the function supports End-End TLP
  Prefixes (PCI Express capability, Device Capabilities 2 bit 21), not when AER Cap &
  Control bit 11 (a status bit) is set;
- L1 PM Substates is 0x10 before PCIe 5.0 and 0x14 from it on (Status at +0x10): a
  minimum with a tail to 0x14 unless Link Activation (+4 bit 5) shows the 5.0 layout;
- Physical Layer 64.0 GT/s starts its lane array at +0x10 (PCIe 6.3) or +0x20 (PCIe 6.0,
  Linux PCI_PL_64GT_LE_CTRL): a minimum with a tail to the 6.0 size;
- a standard capability with ID 0xFF: lspci stops there, vfio-pci hides it and walks on.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess

import pytest

from capslot.core.export import lspci_text
from capslot.core.layout import Kind, build
from capslot.core.registry import Certainty, Space
from capslot.core.sources import load
from capslot.core.views import Access, view
from capslot.core.walk import walk
from tests import lspci_oracle
from tests.conftest import sample_dumps
from tests.helpers import config_space, dw, ext_header, load_bytes, pcie_cap, std_cap

E = Space.EXTENDED
DUMPS = sample_dumps()


def regions_of(layout, offset):
    """(start, end, kind) of every region owned by the capability at `offset`."""
    index = next(i for i, c in enumerate(layout.capabilities) if c.offset == offset)
    return [(r.start, r.end, r.kind) for r in layout.regions if r.capability == index]


def next_structure(layout, offset):
    """Where the next extended structure after `offset` starts: a capability of the chain
    or an unlinked (orphan) header, or the end of config space."""
    later = [c.offset for c in layout.capabilities if c.space is E and c.offset > offset]
    later += [o.offset for o in layout.orphans if o.offset > offset]
    return min([*later, 0x1000])


def expected_tail(start, end):
    return [(start, end, Kind.UNKNOWN_TAIL)] if start < end else []


# ---------------------------------------------------------------- AER

# AER register ends (PCIe 6.3 §7.8.4; pci_regs.h PCI_ERR_ROOT_COMMAND 0x2c,
# PCI_ERR_PREFIX_LOG 0x38 "up to 16 bytes"): Header Log ends 0x2C; Root Error Command,
# Status, Error Source ID end 0x38; TLP Prefix Log (4 DWORDs) ends 0x48; a Flit-mode
# logged TLP of up to 4 + 10 DWORDs (Linux PCIE_STD_MAX_TLP_HEADERLOG) ends 0x60.
AER_HEADER_LOG_END, AER_ROOT_END, AER_PREFIX_LOG_END, AER_FLIT_END = 0x2C, 0x38, 0x48, 0x60


def _lspci_aer_facts(dump):
    """From lspci's own decode: AER's offset, the next extended offset after it, whether
    DevCap2 says EETLPPrefix+, and whether the port is a Root Port or RCEC."""
    text = dump.with_name(dump.stem + ".lspci.txt").read_text()
    caps = lspci_oracle.capabilities(text)
    aer = [o for s, o, ids in caps if s == "extended" and 0x01 in ids]
    if not aer:
        return None
    later = sorted(o for s, o, _ in caps if s == "extended" and o > aer[0])
    express = re.search(r"Express \(v\d\) ([A-Za-z ]+?)(?: \(Slot[+-]\))?, ", text)
    root = bool(express) and express.group(1) in ("Root Port", "Root Complex Event Collector")
    e2e = re.search(r"\bEETLPPrefix\+", text) is not None
    pcie_at = next((o for s, o, ids in caps if s == "standard" and 0x10 in ids), None)
    return aer[0], (later[0] if later else 0x1000), e2e, root, pcie_at


AER_DUMPS = [d for d in DUMPS if _lspci_aer_facts(d)]


def test_the_corpus_has_end_end_prefix_functions_with_aer():
    """AMD GPUs, Intel DSA and a CXL card: the cases the old bit-11 rule sized wrong."""
    stems = {d.stem for d in AER_DUMPS if _lspci_aer_facts(d)[2]}
    assert {"amd_fiji_gpu_7300_rebar", "amd_navi21_rx6800_73bf", "intel_spr_dsa_0b25",
            "intel_0d93_cxl_dvsec"} <= stems


@pytest.mark.parametrize("dump", AER_DUMPS, ids=lambda p: p.stem)
def test_aer_size_follows_end_end_tlp_prefix_support(dump):
    aer, next_ext, e2e, root, pcie_at = _lspci_aer_facts(dump)
    cs = load(str(dump))[0]
    flit = pcie_at is not None and cs.u16(pcie_at + 2) & 0x8000  # PCIe Capabilities bit 15
    layout = build(cs)
    cap = next(c for c in layout.capabilities if c.space is E and c.offset == aer)
    if flit:
        # Flit mode: the prefix log area holds further TLP DWORDs, up to 0x60
        assert (cap.size, cap.certainty) == (AER_PREFIX_LOG_END, Certainty.MINIMUM)
        tail_end = min(next_structure(layout, aer), aer + AER_FLIT_END)
        assert regions_of(layout, aer)[1:] == expected_tail(aer + AER_PREFIX_LOG_END, tail_end)
        return
    expected = AER_PREFIX_LOG_END if e2e else AER_ROOT_END if root else AER_HEADER_LOG_END
    assert (cap.size, cap.certainty) == (expected, Certainty.EXACT)
    if e2e:  # the device itself leaves room for the prefix log
        assert next_ext >= aer + AER_PREFIX_LOG_END
    assert regions_of(layout, aer) == [(aer, aer + expected, Kind.CAPABILITY)]


def test_aer_bit_11_is_status_and_devcap2_needs_a_version_2_capability():
    """Bit 11 set without prefix support keeps 0x2C; DevCap2 bit 21 in a v1 capability's
    bytes (where there is no DevCap2, pci_regs.h) keeps 0x2C; in a v2 one it gives 0x48."""
    def aer_size(version, devcap2, aer_ctl):
        pcie = bytearray(pcie_cap(version=version))
        pcie[0x24:0x28] = struct.pack("<I", devcap2)  # cap + 0x24
        raw = config_space(std={0x40: bytes(pcie)},
                           ext={0x100: ext_header(0x01, 1, 0x200) + bytes(0x14) + dw(aer_ctl),
                                0x200: ext_header(0x18, 1, 0)})
        cap = build(load_bytes(raw)).capabilities[1]
        return cap.size, cap.certainty

    assert aer_size(2, 0, 1 << 11) == (0x2C, Certainty.EXACT)
    assert aer_size(1, 1 << 21, 0) == (0x2C, Certainty.EXACT)
    assert aer_size(2, 1 << 21, 0) == (0x48, Certainty.EXACT)


# ---------------------------------------------------------------- L1 PM Substates

L1SS = 0x1E
L1SS_BASE, L1SS_WITH_STATUS = 0x10, 0x14  # Control 2 at +0x0C (pci_regs.h); Status +0x10 (PCIe 5.0)
LINK_ACTIVATION = 1 << 5  # L1 PM Substates Capabilities bit 5


def _l1ss_device(cap_bits, next_at=0x180):
    return build(load_bytes(config_space(
        std={0x40: pcie_cap()},
        ext={0x100: ext_header(L1SS, 1, next_at) + dw(cap_bits),
             next_at: ext_header(0x18, 1, 0)})))


def test_l1ss_with_link_activation_is_the_5_0_layout():
    layout = _l1ss_device(0x1F | LINK_ACTIVATION)
    cap = layout.capabilities[1]
    assert (cap.size, cap.certainty) == (L1SS_WITH_STATUS, Certainty.EXACT)
    assert regions_of(layout, 0x100) == [(0x100, 0x114, Kind.CAPABILITY)]


def test_l1ss_without_link_activation_is_a_minimum_with_a_tail_to_0x14_only():
    layout = _l1ss_device(0x1F)
    cap = layout.capabilities[1]
    assert (cap.size, cap.certainty) == (L1SS_BASE, Certainty.MINIMUM)
    # the tail stops at 0x14 (the largest layout), not at the next capability (0x180)
    assert regions_of(layout, 0x100) == [(0x100, 0x110, Kind.CAPABILITY),
                                         (0x110, 0x114, Kind.UNKNOWN_TAIL)]
    assert layout.region_at(0x114).kind is Kind.ZERO_GAP
    # a next capability right at 0x110 leaves no tail
    assert regions_of(_l1ss_device(0x1F, next_at=0x110), 0x100) == [(0x100, 0x110, Kind.CAPABILITY)]


@pytest.mark.parametrize("dump", DUMPS, ids=lambda p: p.stem)
def test_l1ss_in_real_dumps(dump):
    cs = load(str(dump))[0]
    text = dump.with_name(dump.stem + ".lspci.txt").read_text()
    offsets = [o for s, o, ids in lspci_oracle.capabilities(text) if s == "extended" and L1SS in ids]
    layout = build(cs)
    for off in offsets:
        cap = next(c for c in layout.capabilities if c.offset == off and c.space is E)
        if cs.u32(off + 4) & LINK_ACTIVATION:
            assert (cap.size, cap.certainty) == (L1SS_WITH_STATUS, Certainty.EXACT)
        else:
            assert (cap.size, cap.certainty) == (L1SS_BASE, Certainty.MINIMUM)
            tail_end = min(next_structure(layout, off), off + L1SS_WITH_STATUS)
            assert regions_of(layout, off)[1:] == expected_tail(off + L1SS_BASE, tail_end)


# ---------------------------------------------------------------- Physical Layer 64.0 GT/s

PL64 = 0x31


@pytest.mark.parametrize("width, size, limit", [
    (16, 0x20, 0x30),  # 6.3: 0x10 + 16 lanes = 0x20; 6.0: 0x20 + 16 = 0x30
    (1, 0x14, 0x24),   # 0x10 + 1 -> DWORD 0x14; 0x20 + 1 -> 0x24
    (0, 0x14, 0x30),   # no link width: at least one lane (6.3), at most 16 (6.0)
])
def test_pl64_is_a_minimum_with_a_tail_to_the_pcie_6_0_layout(width, size, limit):
    layout = build(load_bytes(config_space(std={0x40: pcie_cap(width=width)},
                                           ext={0x100: ext_header(PL64, 1, 0x200),
                                                0x200: ext_header(0x18, 1, 0)})))
    cap = layout.capabilities[1]
    assert (cap.size, cap.certainty) == (size, Certainty.MINIMUM)
    assert regions_of(layout, 0x100) == [(0x100, 0x100 + size, Kind.CAPABILITY),
                                         (0x100 + size, 0x100 + limit, Kind.UNKNOWN_TAIL)]


# ---------------------------------------------------------------- standard capability ID 0xFF

def _ff_in_the_middle():
    """PM at 0x40 -> a capability with ID 0xFF at 0x50 -> MSI at 0x60 -> PCIe at 0x70."""
    return config_space(std={0x40: std_cap(0x01, 0x50, bytes(6)),
                             0x50: std_cap(0xFF, 0x60, bytes(6)),
                             0x60: std_cap(0x05, 0x70, bytes(8)),
                             0x70: pcie_cap(0)})


def test_id_ff_is_walked_past_with_a_problem_naming_where_lspci_stops():
    layout = build(load_bytes(_ff_in_the_middle()))
    std = [(c.offset, c.id) for c in layout.capabilities if c.space is Space.STANDARD]
    assert std == [(0x40, 0x01), (0x50, 0xFF), (0x60, 0x05), (0x70, 0x10)]
    (p,) = [p for p in layout.problems if p.offset == 0x50]
    assert p.kind == "chain_broken" and "lspci" in p.message


@pytest.mark.skipif(shutil.which("lspci") is None, reason="lspci (pciutils) is not installed")
def test_lspci_really_stops_at_id_ff(tmp_path):
    """The problem's claim, checked against lspci itself."""
    dump = tmp_path / "ff.txt"
    dump.write_text(lspci_text(load_bytes(_ff_in_the_middle())))
    decoded = subprocess.run(["lspci", "-F", str(dump), "-vvv"], capture_output=True, text=True).stdout
    lines = [line.strip() for line in decoded.splitlines() if line.strip().startswith("Capabilities:")]
    assert lines[-1] == "Capabilities: [50] <chain broken>"
    assert not any(line.startswith("Capabilities: [60]") for line in lines)


def test_vfio_hides_id_ff_and_links_past_it():
    """vfio_cap_init(): ID 0xFF is above PCI_CAP_ID_MAX, so its length is 0: `*prev = next`
    (PM's next pointer at 0x41 becomes 0x60) and its bytes stay unmapped (raw)."""
    hw = build(load_bytes(_ff_in_the_middle()))
    v = view(hw, "vfio")
    assert v.space.u8(0x41) == 0x60
    assert [(c.offset, c.id) for c in walk(v.space).capabilities] == [(0x40, 0x01), (0x60, 0x05), (0x70, 0x10)]
    assert set(v.access[0x50:0x60]) == {Access.RAW}


def test_all_ones_header_still_reads_as_absent():
    raw = bytearray(config_space(std={0x40: std_cap(0x01, 0x50, bytes(6))}))
    raw[0x50:0x52] = b"\xff\xff"  # ID 0xFF, next 0xFF: nothing answers
    layout = build(load_bytes(bytes(raw)))
    assert [c.offset for c in layout.capabilities] == [0x40]
    assert [p.kind for p in layout.problems if p.offset == 0x50] == ["absent"]


@pytest.mark.parametrize("stem", ["synopsys_epmockup_nvme_edda_dev3", "synopsys_epmockup_nvme_edda_flit"])
def test_a_pre_5_0_l1ss_is_followed_by_another_structure_at_0x10(stem):
    """Evidence from a real device for the 0x10 layout: L1SS at 0x180, and the next DWORD
    after its 0x10 bytes, 0x190, holds a Dynamic Power Allocation header (ID 0x0016,
    version 1) of an unlinked run. The old fixed 0x14 swallowed that header."""
    cs = load(f"sample_dumps/{stem}.txt")[0]
    assert cs.u32(0x180) & 0xFFFF == L1SS and cs.u32(0x190) & 0xFFFFF == 0x10016
    layout = build(cs)
    assert regions_of(layout, 0x180) == [(0x180, 0x190, Kind.CAPABILITY)]
    assert layout.region_at(0x190).start == 0x190
