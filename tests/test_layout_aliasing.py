"""A device that decodes fewer address bits repeats its config header further up (NOTES.md):
the layout names where, and only where the dump holds the bytes."""

from __future__ import annotations

from capslot.core.layout import build
from capslot.core.space import ConfigSpace, Provenance

HEADER = bytes.fromhex("86801234") + bytes(5) + bytes.fromhex("000302") + bytes(52)  # vendor 8086, class 020300


def space(data: bytes, captured: int = 4096) -> ConfigSpace:
    return ConfigSpace.from_prefix(data[:captured], Provenance("t", "binary"))


def aliasing(cs: ConfigSpace) -> list[tuple[int, str]]:
    return [(p.offset, p.message) for p in build(cs).problems if p.kind == "aliasing"]


def test_a_header_repeated_every_kib_is_named_at_each_mirror():
    data = bytearray(4096)
    for k in (0, 0x400, 0x800, 0xC00):
        data[k:k + 64] = HEADER
    ((offset, message),) = aliasing(space(bytes(data)))
    assert offset == 0x400 and "0x400, 0x800, 0xc00" in message


def test_a_mirror_outside_the_captured_bytes_is_not_seen():
    data = bytearray(4096)
    data[0:64] = HEADER
    data[0x400:0x440] = HEADER
    assert aliasing(space(bytes(data), captured=0x400 + 8)) == []  # the class bytes are not there
    assert aliasing(space(bytes(data), captured=0x400 + 12)) != []


def test_an_absent_vendor_is_no_alias():
    data = bytearray(4096)  # all zero: every "header" matches, and none is a device
    assert aliasing(space(bytes(data))) == []
