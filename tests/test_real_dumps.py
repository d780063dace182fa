"""Every real dump parses, and the capability chains capslot walks are the ones
pciutils' lspci decoded (offset and kind), except where NOTES.md says lspci's text is
not the whole truth."""

from __future__ import annotations

import pytest

from capslot.core.layout import build, check_tiling
from capslot.core.sources import load
from tests import lspci_oracle
from tests.conftest import sample_dumps

# From sample_dumps/NOTES.md, "Where the .lspci.txt decodes are not the whole truth".
# Each entry: capabilities lspci's text lost that are really there.
LSPCI_LOST = {
    # The VSEC line at 0x600 is printed as a bare " <?>".
    "nvidia_gp108m_mx150_1d10": {("extended", 0x600, frozenset({0x0B}))},
    # The Physical Layer 16.0 GT/s line lost its "Capabilities: [" prefix.
    "amd_promontory21_usp_43f4": {("extended", 0x240, frozenset({0x26}))},
}
DUMPS = sample_dumps()


def test_the_bundled_corpus_is_all_there():
    assert len(DUMPS) == 96
    for dump in DUMPS:
        assert dump.with_name(dump.name[:-4] + ".lspci.txt").exists(), dump


@pytest.mark.parametrize("dump", DUMPS, ids=lambda p: p.stem)
def test_chain_matches_lspci(dump):
    devices = load(str(dump))
    assert len(devices) == 1
    layout = build(devices[0])
    ours = {(c.space.value, c.offset, c.id) for c in layout.capabilities}
    expected = lspci_oracle.capabilities(dump.with_name(dump.stem + ".lspci.txt").read_text())
    expected |= LSPCI_LOST.get(dump.stem, set())
    assert {(s, o) for s, o, _ in ours} == {(s, o) for s, o, _ in expected}
    kinds = {(s, o): ids for s, o, ids in expected}
    for space, offset, cap_id in ours:
        assert cap_id in kinds[(space, offset)], (space, hex(offset), hex(cap_id))


@pytest.mark.parametrize("dump", DUMPS, ids=lambda p: p.stem)
def test_regions_tile_the_space(dump):
    layout = build(load(str(dump))[0])
    check_tiling(layout.regions)
    # every capability of the chain owns the region that starts at its offset
    for _i, cap in enumerate(layout.capabilities):
        region = layout.region_at(cap.offset)
        assert region.start == cap.offset and region.capability is not None
