"""Every loader reads back what the writers write, for any bytes (hypothesis): lspci text,
binary, xxd, hexdump -C and .coe round-trip, and agree with each other."""

from __future__ import annotations

import io
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from capslot.core import export
from capslot.core.sources import _from_stream
from capslot.core.space import ConfigSpace, Provenance

SIZES = st.sampled_from([64, 256, 4096])


def spaces():
    def make(args):
        size, seed, density = args
        rng = random.Random(seed)
        data = bytes(rng.randrange(256) if rng.random() < density else 0 for _ in range(size))
        return ConfigSpace.from_prefix(data, Provenance("x", "binary", slot="0000:03:00.1",
                                                        device_line="03:00.1 Test device"))
    return st.tuples(SIZES, st.integers(0, 2**32), st.sampled_from([0.0, 0.05, 0.5, 1.0])).map(make)


def read(text: str | bytes, size: int | None = None) -> list[ConfigSpace]:
    raw = text.encode() if isinstance(text, str) else text
    return list(_from_stream(io.BytesIO(raw), "rt", size))


@settings(max_examples=60, deadline=None, database=None)
@given(spaces())
def test_every_format_round_trips(cs):
    want = export.binary(cs)
    assert [d.provenance.format for d in read(export.lspci_text(cs))] == ["lspci"]
    for text, fmt in ((export.lspci_text(cs), "lspci"), (export.xxd_text(want), "xxd"),
                      (export.hexdump_text(want), "hexdump"), (export.coe_text(want), "coe")):
        (back,) = read(text)
        assert back.provenance.format == fmt
        assert export.binary(back) == want and back.captured == len(want)
    (raw,) = read(want, len(want))
    assert raw.provenance.format == "binary" and raw.data == cs.data


@settings(max_examples=30, deadline=None, database=None)
@given(st.lists(spaces(), min_size=1, max_size=4))
def test_multi_device_lspci_text_round_trips(devices):
    text = "\n".join(export.lspci_text(d) for d in devices)
    back = read(text)
    assert [export.binary(b) for b in back] == [export.binary(d) for d in devices]
