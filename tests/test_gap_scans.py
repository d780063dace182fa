"""The two scans of the free bytes of extended space (core/layout.py), written without `re`:
where an extended header could stand (the orphan search), and the runs of zero bytes (the
gap map). The oracle for headers is the spec's header layout, decoded DWORD by DWORD here
(PCIe Base Spec 7.6.3: ID bits 15:0, version 19:16, next pointer 31:20 with bits 1:0
reserved); for zero runs it is `re` itself."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from capslot.core.layout import LAST_ASSIGNED_EXT_ID, MAX_ORPHAN_VERSION, header_candidates, zero_runs
from capslot.core.space import CONFIG_SIZE


def _headers_by_the_spec(data: bytes, start: int, end: int) -> list[int]:
    out = []
    for pos in range(start, end):
        if pos % 4 or pos + 6 > end:  # the scan's bound: the header and two bytes more in the gap
            continue
        header = int.from_bytes(data[pos:pos + 4], "little")
        cap_id, version, next_low = header & 0xFFFF, (header >> 16) & 0xF, (header >> 20) & 3
        if 1 <= cap_id <= LAST_ASSIGNED_EXT_ID and 1 <= version <= MAX_ORPHAN_VERSION and not next_low:
            out.append(pos)
    return out


# bytes that make up headers and near-headers, so that hits are common
BYTES = st.sampled_from([0x00, 0x01, 0x02, 0x03, 0x10, 0x1b, 0x3a, 0x3b, 0x41, 0x43, 0x44, 0x81,
                         0xc3, 0x11, 0x31, 0xff])


@settings(max_examples=400, deadline=None)
@given(st.lists(BYTES, max_size=0x240), st.integers(0x100, 0xE00), st.integers(0, 0x40), st.integers(0, 0x280))
def test_header_candidates_are_the_aligned_dwords_the_spec_would_read_as_headers(chunk, at, skip, length):
    data = bytearray(CONFIG_SIZE)
    data[at:at + len(chunk)] = chunk  # the rest zero, as most of a real extended space
    start = at + skip
    end = min(CONFIG_SIZE, start + length)
    assert header_candidates(bytes(data), start, end) == _headers_by_the_spec(bytes(data), start, end)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from([0, 0, 0, 1, 0x80]), min_size=64, max_size=400).map(bytes),
       st.integers(0, 40), st.integers(0, 400))
def test_zero_runs_are_what_re_finds(data, start, end):
    expected = [m.span() for m in re.compile(rb"\x00{4,}").finditer(data, start, end)]
    assert zero_runs(data, start, end) == expected


def test_a_header_right_after_an_unaligned_lookalike_is_a_candidate():
    """`05 00 01` at 0x202 looks like a header's first bytes, but unaligned; the AER header
    `01 00 01 00` at 0x204 overlaps it. A pattern search (as the scan was) resumes past the
    lookalike and never sees 0x204; the DWORD-by-DWORD reading of the spec does."""
    data = bytearray(CONFIG_SIZE)
    data[0x200:0x208] = bytes([0x00, 0x00, 0x05, 0x00, 0x01, 0x00, 0x01, 0x00])
    pattern = re.compile(rb"[\x01-\x3a]\x00[\x01-\x03\x41-\x43\x81-\x83\xc1-\xc3]")
    assert [m.start() for m in pattern.finditer(data, 0x100)] == [0x202]  # 0x204 unseen
    assert header_candidates(bytes(data), 0x100, CONFIG_SIZE) == [0x204]
