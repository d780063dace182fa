"""Properties over random config spaces: the walker never raises or loops, and the
regions always tile 0..4096 exactly, in order, whatever the bytes say."""

from __future__ import annotations

import json
import random
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capslot.core.layout import Kind, build, check_tiling
from capslot.core.report import device_object
from tests.helpers import load_bytes

SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.large_base_example])


def check(raw: bytes) -> None:
    layout = build(load_bytes(raw))
    check_tiling(layout.regions)
    for r in layout.regions:
        if r.capability is not None:
            assert 0 <= r.capability < len(layout.capabilities)
            assert r.kind in (Kind.CAPABILITY, Kind.UNKNOWN_TAIL, Kind.MASKED)
        if r.orphan is not None:
            assert r.kind is Kind.ORPHAN and 0 <= r.orphan < len(layout.orphans)
        if r.start >= len(raw):
            assert r.kind is Kind.UNAVAILABLE
    json.dumps(device_object(layout))


def noise(seed: int) -> bytes:
    return random.Random(seed).randbytes(4096)


# Sparse patches on zeros (shrink well) or dense noise from a seed.
SPACES = st.one_of(
    st.dictionaries(st.integers(0, 4095), st.integers(0, 255), max_size=300).map(
        lambda patch: bytes(patch.get(i, 0) for i in range(4096))),
    st.integers(0, 2**32).map(noise),
)


@SETTINGS
@given(SPACES, st.sampled_from([64, 256, 4096]))
def test_random_bytes(raw, size):
    raw = bytearray(raw)
    raw[6] |= 0x10  # Status.CapList, so the standard walk always runs
    check(bytes(raw[:size]))


@st.composite
def chained_spaces(draw):
    """A PCIe function with random standard and extended chains: random IDs (known and
    unknown), random next pointers (forward, backward, into the header, unaligned, out
    of range, loops), random register bytes."""
    data = bytearray(draw(SPACES))
    data[6] |= 0x10
    std_offsets = draw(st.lists(st.integers(0x10, 0x3F).map(lambda d: d * 4), min_size=1,
                                max_size=8, unique=True))
    data[0x34] = draw(st.sampled_from([std_offsets[0], std_offsets[0] | 1, 0x20, 0xFF]))
    for i, off in enumerate(std_offsets):
        nxt = std_offsets[i + 1] if i + 1 < len(std_offsets) else draw(st.sampled_from([0, std_offsets[0]]))
        data[off] = 0x10 if i == 0 else draw(st.integers(0, 0x16))
        data[off + 1] = nxt
    ext_offsets = draw(st.lists(st.integers(0x40, 0x3FF).map(lambda d: d * 4), min_size=1,
                                max_size=12, unique=True))
    ext_offsets[0] = 0x100
    for i, off in enumerate(ext_offsets):
        nxt = ext_offsets[i + 1] if i + 1 < len(ext_offsets) else draw(
            st.sampled_from([0, 0x100, 0x40, 0xFFF, ext_offsets[-1]]))
        cap_id = draw(st.one_of(st.integers(0, 0x3B), st.integers(0, 0xFFFF)))
        version = draw(st.integers(0, 15))
        struct.pack_into("<I", data, off, cap_id | version << 16 | (nxt & 0xFFF) << 20)
    size = draw(st.sampled_from([256, 4096, 4096, 4096]))
    return bytes(data[:size])


@SETTINGS
@given(chained_spaces())
def test_random_chains(raw):
    check(raw)
