"""Every registry entry, standard and extended: documented registers and fields that do
not overlap, sizes within the entry's bounds, layouts within the size, and no exception
for any bytes (garbage included) at any offset with any PCI Express facts."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capslot.core.registry import Certainty, Space, entries
from capslot.core.registry.decode import decode, register_at
from capslot.core.registry.model import CapContext
from tests.helpers import pcie

NAME = re.compile(r"[a-z][a-z0-9_]*")
ALL = entries()
PCIE = st.one_of(st.none(), st.builds(pcie, st.integers(0, 15), st.integers(0, 63),
                                      st.integers(0, 3), st.booleans(), st.booleans()))


def context(spec, body: bytes, offset: int, info, header_type: int = 0) -> CapContext:
    data = bytearray(4096)
    data[offset:offset + len(body)] = body[:4096 - offset]
    if spec.space is Space.EXTENDED:
        data[offset:offset + 2] = spec.id.to_bytes(2, "little")
    else:
        data[offset] = spec.id
    return CapContext(bytes(data), offset, spec.space, header_type, info)


@pytest.mark.parametrize("spec", ALL, ids=lambda s: f"{s.space.value[:3]}-{s.id_text}")
def test_entry_is_documented(spec):
    assert spec.short and spec.name and spec.spec and spec.size_text
    assert all(a == a.lower() for a in spec.aliases)
    for fill in (0x00, 0xFF):
        ctx = context(spec, bytes([fill]) * 0x400, 0x100 if spec.space is Space.EXTENDED else 0x40,
                      pcie(0x4, 16))
        size = spec.size(ctx)
        regs = spec.registers(ctx, size.size)
        assert len({r.name for r in regs}) == len(regs), spec.id_text
        for r in regs:
            assert NAME.fullmatch(r.name) and r.doc.strip(), (spec.id_text, r)
            taken = 0
            for f in r.fields:
                assert NAME.fullmatch(f.name) and f.doc.strip(), (spec.id_text, r.name, f)
                assert 0 <= f.lo <= f.hi < 8 * r.width, (spec.id_text, r.name, f)
                mask = ((1 << f.width) - 1) << f.lo
                assert not taken & mask, (spec.id_text, r.name, f.name)
                taken |= mask
        values = decode(spec, ctx, size.size)
        assert values[0].name in ("cap_id", "header")


@settings(max_examples=300, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.sampled_from(ALL), body=st.binary(max_size=0x300), info=PCIE,
       where=st.sampled_from([0, 1, 2]), header_type=st.integers(0, 2))
def test_any_bytes_give_sizes_in_bounds_and_layouts_in_the_size(spec, body, info, where,
                                                                  header_type):
    std = spec.space is Space.STANDARD
    offset = ((0x40, 0xC0, 0xFC) if std else (0x100, 0x800, 0xFF8))[where]
    ctx = context(spec, body, offset, info, header_type)
    size = spec.size(ctx)
    if size.certainty is Certainty.UNKNOWN:
        assert size.size == (2 if std else 4)
    else:
        assert spec.min_size <= size.size, (spec.id_text, size)
        assert not spec.max_size or size.size <= spec.max_size, (spec.id_text, size)
    # The layout of these bytes fits the size the rule gives for them.
    for r in spec.registers(ctx, size.size):
        assert r.end <= max(size.size, 2 if std else 4), (spec.id_text, r, size)
    decode(spec, ctx, size.size)
    register_at(spec, ctx, size.size, size.size - 1)
