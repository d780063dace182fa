"""Properties of placement over random valid layouts and random virtual capabilities:
`place` never returns an offset the validator marks as a collision, placements never
overlap, and synthesis re-walks to the old capabilities plus the new ones, with no loop."""

from __future__ import annotations

import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capslot.core.placement import parse_vcap, place, synthesize, validate
from capslot.core.placement.validate import Placed
from capslot.core.walk import walk
from tests.helpers import config_space, load_bytes, pcie_cap, target_for

# Extended caps with a fixed size, so random layouts are valid by construction.
FIXED = {0x03: 12, 0x04: 16, 0x0E: 8, 0x0F: 8, 0x10: 64, 0x13: 16, 0x18: 8, 0x1B: 8,
         0x1E: 20, 0x1F: 12, 0x1D: 12, 0x22: 12}
VCAPS = st.one_of(st.sampled_from(["pasid", "pri", "ats", "ltr"]),
                  st.integers(2, 32).map(lambda n: f"vsec:{n * 4:#x}"),
                  st.integers(3, 16).map(lambda n: f"dvsec:{n * 4:#x}"),
                  st.integers(1, 8).map(lambda n: f"0x4f:{n * 4:#x}"))


@st.composite
def layouts(draw):
    ids = draw(st.lists(st.sampled_from(sorted(FIXED)), min_size=1, max_size=10))
    slots = draw(st.lists(st.integers(0x40, 0x3F0), min_size=len(ids), max_size=len(ids), unique=True))
    placed, taken = [], []
    for cap_id, slot in zip(ids, slots, strict=False):
        off, size = slot * 4, FIXED[cap_id]
        if off + size > 0x1000 or any(off < e and s < off + size for s, e in taken):
            continue
        taken.append((off, off + size))
        placed.append((off, cap_id))
    if draw(st.booleans()):
        placed.sort()  # forward-linked, as most devices; otherwise in random chain order
    head = [p for p in placed if p[0] == 0x100]
    rest = [p for p in placed if p[0] != 0x100]
    if not head:
        head = [(0x100, 0x18)]  # LTR at the head
        rest = [p for p in rest if not (p[0] < 0x108)]
    chain = head + rest
    data = bytearray(config_space(std={0x40: pcie_cap()}))
    for n, (off, cap_id) in enumerate(chain):
        nxt = chain[n + 1][0] if n + 1 < len(chain) else 0
        struct.pack_into("<I", data, off, cap_id | 1 << 16 | nxt << 20)
    # vendor data in a few random spots of the gaps
    for spot in draw(st.lists(st.integers(0x40, 0x3FF), max_size=4)):
        off = spot * 4
        if not any(s <= off < e for s, e in taken + [(0x100, 0x108)]):
            data[off] = 0xA5
    return Blob(data)


class Blob(bytes):
    """Config bytes that print as their capability chain, not as 4 KiB of escapes."""

    def __repr__(self) -> str:
        return f"<config space: {[(hex(c.offset), hex(c.id)) for c in walk(load_bytes(self)).capabilities]}>"


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(layouts(), st.lists(VCAPS, min_size=1, max_size=4), st.sampled_from(["guest", "vfio", "hardware"]))
def test_place_never_returns_a_collision_and_synthesis_rewalks(raw, vcap_texts, view_name):
    target = target_for(load_bytes(raw), view_name)
    vcaps = [parse_vcap(t) for t in vcap_texts]
    placements = place(target, vcaps)
    placed = [p for p in placements if p.offset is not None]
    for p in placed:
        others = target
        for q in placed:
            if q is not p:
                others = others.with_placed(Placed(q.vcap.name, q.offset, q.end))
        findings = validate(others, p.vcap, p.offset)
        assert not [f for f in findings if f.severity == "collision"], (p.offset, findings)
    spans = sorted((p.offset, p.end) for p in placed)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    synth = synthesize(target.layout, placements)
    assert synth.problems == ()
    before = {(c.space, c.offset) for c in walk(target.layout.space).capabilities}
    after = [(c.space, c.offset) for c in walk(synth.layout.space).capabilities]
    assert len(after) == len(set(after))
    assert before <= set(after)
    assert {(p.vcap.space, p.offset) for p in placed} <= set(after)
    assert not [pr for pr in walk(synth.layout.space).problems if pr.kind == "loop"]
