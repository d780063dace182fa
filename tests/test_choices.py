"""core/choices.py stands in for enum.StrEnum and enum.IntEnum on the model (Kind, Space,
Certainty, Verdict, Access): each behaviour the code relies on is checked against the same
class written with `enum` itself, the truth here."""

from __future__ import annotations

import copy
import enum
import json
import pickle

import pytest

from capslot.core.choices import IntChoice, StrChoice
from capslot.core.jsontext import dumps
from capslot.core.layout import Kind
from capslot.core.verdicts import Verdict
from capslot.core.views.model import Access


class Colour(StrChoice):
    RED = "red"
    DARK_BLUE = "dark_blue"


class EnumColour(enum.StrEnum):
    RED = "red"
    DARK_BLUE = "dark_blue"


class Level(IntChoice):
    LOW = 1
    HIGH = 4


class EnumLevel(enum.IntEnum):
    LOW = 1
    HIGH = 4


PAIRS = [(Colour, EnumColour), (Level, EnumLevel)]


@pytest.mark.parametrize(("ours", "theirs"), PAIRS)
def test_members_behave_as_enum_members(ours, theirs):
    assert [m.name for m in ours] == [m.name for m in theirs]
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a == b and a == b.value and hash(a) == hash(b)
        assert a.value == b.value and type(a.value) is type(b.value)
        assert str(a) == str(b) and f"{a}" == f"{b}" and format(a, "") == format(b, "")
        assert repr(a).replace(ours.__name__, "X") == repr(b).replace(theirs.__name__, "X")
        assert ours(b.value) is a  # lookup by value gives the one member
        assert getattr(ours, b.name) is a
        assert isinstance(a, ours) and isinstance(a, type(b.value))
        assert pickle.loads(pickle.dumps(a)) is a
        assert copy.copy(a) is a and copy.deepcopy(a) is a
        assert json.dumps(a) == json.dumps(b) == dumps(a)
        assert json.dumps({a: 1}) == json.dumps({b: 1})


@pytest.mark.parametrize(("ours", "theirs", "bad"), [(Colour, EnumColour, "blue"), (Level, EnumLevel, 2),
                                                     (Colour, EnumColour, None), (Level, EnumLevel, [])])
def test_an_unknown_value_is_refused_as_enum_refuses_it(ours, theirs, bad):
    with pytest.raises(ValueError) as mine:
        ours(bad)
    with pytest.raises(ValueError) as enums:
        theirs(bad)
    assert str(mine.value).replace(ours.__name__, "X") == str(enums.value).replace(theirs.__name__, "X")


def test_format_specs_of_an_int_member_are_the_numbers():
    assert f"{Level.HIGH:#04x}" == f"{EnumLevel.HIGH:#04x}" == "0x04"
    assert f"{Colour.RED:>6}" == f"{EnumColour.RED:>6}"


def test_the_model_choices_keep_their_words_and_numbers():
    """The words written to JSON and plan files, and vfio's access numbers (as the views
    store them in a bytearray), are those of the schemas and of the views' model."""
    assert [str(v) for v in Verdict] == ["ok", "info", "warning", "collision"]
    assert Kind("zero_gap") is Kind.ZERO_GAP
    assert bytes([Access.RAW, Access.VIRTUALIZED]) == b"\x04\x01"
    assert Access(4).name == "RAW" and Access.RAW.reaches_device
