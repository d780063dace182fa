"""The maps' one character per DWORD (core/textmap.py dword_marks, which walks the regions
once): a DWORD shows the most telling of the regions holding its four bytes (the lowest rank
in VOCABULARY, a capability's rank CAPABILITY_RANK), as each byte's own region says."""

from __future__ import annotations

from capslot.core.layout import Kind, build
from capslot.core.sources import load
from capslot.core.space import CONFIG_SIZE
from capslot.core.textmap import CAPABILITY_RANK, VOCABULARY, dword_mark, dword_marks, letters
from capslot.core.views import view
from tests.conftest import sample_dumps


def _rank(kind: Kind) -> int:
    return CAPABILITY_RANK if kind is Kind.CAPABILITY else VOCABULARY[kind].rank


def test_every_dword_shows_the_most_telling_region_of_its_bytes() -> None:
    split = 0  # DWORDs whose bytes lie in more than one region: the walk's slow branch
    for path in sample_dumps():
        for cs in load(str(path)):
            hardware = build(cs)
            for layout in (hardware, view(hardware, "vfio"), view(hardware, "guest")):
                marks = letters(layout)
                every = dword_marks(layout, marks)
                assert len(every) == CONFIG_SIZE // 4
                for pos in range(0, CONFIG_SIZE, 4):
                    held = [layout.region_at(pos + b) for b in range(4)]
                    split += len({id(r) for r in held}) > 1
                    best = min(held, key=lambda r: _rank(r.kind))  # the first of equal ranks: address order
                    ch, kind, cap = every[pos // 4]
                    assert (kind, cap) == (best.kind, best.capability), (path.name, layout.view, hex(pos))
                    if kind is Kind.CAPABILITY and cap in marks:
                        assert ch == marks[cap]
                    else:
                        assert ch == VOCABULARY[kind].symbol
                    assert every[pos // 4] == dword_mark(layout, pos, marks)
    assert split > 0  # the samples do hold DWORDs shared by regions
