"""The lspci reader's line shapes (core/sources/lspci.py match_device, match_row,
match_row_like) are matched with string methods, not `re`: each must match exactly what its
regular expression (kept beside it, `*_PATTERN`) matches, with the same groups, on any line a
hostile dump can hold."""

from __future__ import annotations

import re
import sys

from hypothesis import example, given, settings
from hypothesis import strategies as st

from capslot.core.lazyre import DOTALL, IGNORECASE, MULTILINE
from capslot.core.sources.lspci import (
    DEVICE_PATTERN, ROW_LIKE_PATTERN, ROW_PATTERN, match_device, match_row, match_row_like,
)

SHAPES = {"DEVICE": ((DEVICE_PATTERN, match_device), 3), "ROW": ((ROW_PATTERN, match_row), 3),
          "ROW_LIKE": ((ROW_LIKE_PATTERN, match_row_like), 1)}
# what the shapes look at, and what could trip them: other hex-like and space-like characters
ALPHABET = "0123456789abcdefABCDEFgG:. \t\r\n\x0b\x0c\xa0\u2028\u3000\uff10\u0661x_-"
ROW_TEXT = "00: " + " ".join(f"{b:02x}" for b in range(16))


def _same(shape, groups: int, line: str) -> None:
    pattern, match = shape
    expected = re.match(pattern, line)
    got = match(line)
    if expected is None:
        assert got is None, line
    else:
        assert got is not None, line
        assert [got[i] for i in range(groups)] == [expected.group(i) for i in range(groups)], line


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=70))
@example("0000:6b:00.0 Unassigned class [ff00]: Intel Corporation Device 0d93")
@example("07:00.0\n")
@example("07:00.0 \n")
@example("07:00.0 a\nb")
@example("07:00.0\nb")
@example("1f:00.7\u3000x")
@example("123456789:00:00.0 x")
@example("abc:" + ROW_TEXT[3:] + " \n")
def test_each_shape_matches_what_its_pattern_matches(line):
    for shape, groups in SHAPES.values():
        _same(shape, groups, line)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(["0000:6b:00.0", "07:00.0", "ffff:ff:1f.7", ROW_TEXT, "100:" + ROW_TEXT[3:]]),
       st.integers(0, 60), st.text(alphabet=ALPHABET, max_size=3), st.text(alphabet=ALPHABET, max_size=12))
def test_near_misses_of_real_lines_match_as_the_pattern_does(real, at, cut, tail):
    """Real lines with a few characters changed or appended: the cases a random string
    almost never reaches."""
    line = real[:at] + cut + real[at + len(cut):] + tail
    for shape, groups in SHAPES.values():
        _same(shape, groups, line)


def test_space_is_what_the_pattern_calls_space():
    """`\\s` and str.isspace()/lstrip() agree on every character (the shapes rely on it)."""
    space = re.compile(r"\s")
    for c in map(chr, range(sys.maxunicode + 1)):
        assert bool(space.match(c)) == c.isspace(), hex(ord(c))


def test_lazy_pattern_flags_are_res():
    assert (IGNORECASE, MULTILINE, DOTALL) == (re.IGNORECASE, re.MULTILINE, re.DOTALL)
