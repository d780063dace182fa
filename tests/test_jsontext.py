"""capslot.core.jsontext.dumps writes what `json.dumps(obj, indent=1)` writes (issue 23: the JSON
outputs are written without importing json). The truth is the standard library's json."""

from __future__ import annotations

import enum
import json
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capslot.core.jsontext import dumps


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.text() | st.sampled_from([Colour.RED, Level.HIGH, "\x1b[31m", "é\u2028\U0001f600"]))
keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False) | st.just(Colour.RED)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(keys, inner, max_size=4), max_leaves=30)


@settings(max_examples=600, deadline=None)
@given(values)
def test_the_text_is_jsons(obj):
    assert dumps(obj) == json.dumps(obj, indent=1)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), values, max_size=4), st.sampled_from(["", " ", "  "]))
def test_a_prefix_indents_every_line_as_textwrap_does(obj, prefix):
    assert dumps(obj, prefix) == textwrap.indent(json.dumps(obj, indent=1), prefix)


@pytest.mark.parametrize("bad", [{1j: 1}, [object()], {"a": {1, 2}}, {(1, 2): 3}])
def test_what_json_refuses_is_refused_with_its_error(bad):
    with pytest.raises(TypeError):
        json.dumps(bad, indent=1)
    with pytest.raises(TypeError):
        dumps(bad)


def test_a_container_holding_itself_is_an_error_not_a_crash():
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError):
        json.dumps(loop, indent=1)
    with pytest.raises(ValueError):
        dumps(loop)


def test_every_character_is_escaped_as_json_escapes_it():
    """Strings json writes as they are, and those it escapes (controls, DEL, quote, backslash,
    anything past ASCII, a lone surrogate), as values and as keys."""
    texts = [f"a{chr(i)}b" for i in range(0x300)] + ["\ud800", "\u2028", "\U0001f600", "", '"', "\\"]
    assert dumps(texts) == json.dumps(texts, indent=1)
    assert dumps(dict.fromkeys(texts, 0)) == json.dumps(dict.fromkeys(texts, 0), indent=1)
