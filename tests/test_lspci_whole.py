"""A small lspci file is read whole (core/sources/lspci.py parse_whole: each device checked
and decoded at once) when every device is a device line and lspci's canonical rows; the
devices must be exactly what the line-by-line reader gives (bytes, ranges, provenance with
its line numbers), and anything else must be left to that reader, errors and all."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capslot.core.sources import load
from capslot.core.sources.lspci import _canonical_layout, parse, parse_whole
from capslot.core.space import DumpError
from tests.conftest import sample_dumps

NIC = Path("sample_dumps/realtek_rtl8168_nic_b.txt")


def by_lines(text: str, source: str = "x") -> list:
    return list(parse(enumerate(text.split("\n"), 1), source))


def rows_of(data: bytes, rows: int) -> str:
    """lspci's rows as pciutils' ls-kernel/lspci.c prints them: the offset in 2 hex digits
    below 0x100 and 3 from there, a space before each byte."""
    return "\n".join(f"{r * 16:02x}:" + "".join(f" {b:02x}" for b in data[r * 16:r * 16 + 16])
                     for r in range(rows))


@pytest.mark.parametrize("rows", [4, 16, 256])
def test_the_canonical_layout_is_lspcis_rows(rows):
    text = rows_of(bytes(range(256)) * 16, rows)
    skeleton, columns = _canonical_layout(rows)
    assert skeleton == "".join("x" if c in "0123456789abcdef" else c for c in text)
    for start, step, expected in columns:
        assert text[start:start + step * len(expected):step] == expected


def test_every_bundled_lspci_dump_reads_as_line_by_line():
    whole = 0
    for path in sample_dumps():
        data = path.read_bytes()
        got = parse_whole(data, str(path))
        if got is not None:
            whole += 1
            assert got == by_lines(data.decode(), str(path)), path.name
    assert whole >= 10  # the bundled dumps are mostly canonical lspci -xxx/-xxxx text


def test_several_devices_blank_lines_and_line_numbers(tmp_path):
    rng = random.Random(23)
    devices = [bytes(rng.randrange(256) for _ in range(4096)) for _ in range(3)]
    text = ("\n\n" + f"00:1f.3 Audio device: X\n{rows_of(devices[0], 4)}\n\n\n"
            f"0000:3b:00.0 Ethernet controller: Y\n{rows_of(devices[1], 256)}\n\n"
            f"3c:00.1 Z\n{rows_of(devices[2], 16)}\n\n")
    got = parse_whole(text.encode(), "x")
    assert got is not None and got == by_lines(text)
    assert [cs.provenance.line for cs in got] == [3, 10, 268]
    path = tmp_path / "three.txt"
    path.write_text(text)
    read = by_lines(text, str(path))
    assert load(str(path)) == read  # the file is read whole, to the line reader's devices


@pytest.mark.parametrize("change", [
    lambda t: t.replace("\n", "\r\n"),  # CRLF
    lambda t: t.replace("\n10:", "\n\tCapabilities: [40] Power Management\n10:", 1),  # lspci -v
    lambda t: t.replace("\n10:", "\n\n10:", 1),  # a blank line inside the rows
    lambda t: t.replace("\n20:", "\n30:", 1),  # a row out of place (30 twice)
    lambda t: t.replace("\n20: ", "\n20:", 1),  # a malformed row
    lambda t: t + "trailing words\n",  # not lspci -x output
    lambda t: t.split("\n", 1)[1],  # rows without a device line
    lambda t: t.rstrip("\n").rsplit("\n", 1)[0],  # a row missing: 255 rows
])
def test_anything_else_is_left_to_the_line_reader(change):
    text = change(NIC.read_text())
    assert parse_whole(text.encode(), "x") is None
    try:
        expected = by_lines(text.replace("\r", ""))
    except DumpError:
        return  # the line reader reports it, at its line
    assert expected  # read line by line, as before


def test_errors_are_the_line_readers(tmp_path):
    text = NIC.read_text().replace("\n20:", "\n30:", 1)
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(DumpError) as caught:
        load(str(path))
    assert str(caught.value) == f"{path}:5: bad hex row: offset 30 appears twice"  # rows 20->30, 30


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4 * 1024), st.sampled_from(["", " ", "\n", "\n\n", "\t", "0", "f",
                                                                    "g", ":", "\r", "\x0c", "é", "00:00.0 x\n"]),
                          st.integers(0, 3)), max_size=4))
def test_any_edit_of_a_dump_reads_whole_as_line_by_line_or_not_at_all(edits):
    """Whatever is changed (a character replaced, inserted or removed, anywhere), the whole
    reader gives the line reader's devices, or gives up and leaves the text to it."""
    text = NIC.read_text()
    for at, insert, cut in edits:
        at %= len(text) + 1
        text = text[:at] + insert + text[at + cut:]
    got = parse_whole(text.encode(), "x")
    if got is None:
        return
    assert got == by_lines(text)
