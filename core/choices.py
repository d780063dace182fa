"""Named constants that are their value: what `enum.StrEnum` and `enum.IntEnum` give the
model (a `Kind.HEADER` equal to "header", written as "header" in JSON and f-strings, an
`Access.RAW` that is the number 4), without importing `enum` (with the `functools`,
`collections` and `types` it brings, and the class machinery it runs for each enum: ~3 ms
of a `capslot show --json`).

    class Kind(StrChoice):
        HEADER = "header"

Each upper-case class attribute holding a value of the base type (str or int) becomes a
member: an instance of the class, equal to and hashing as its value, created once.
`Kind("header")` returns that member (ValueError for any other value, as enum does),
`.name` and `.value` are enum's, `repr()` is enum's `<Kind.HEADER: 'header'>`, `str()` and
`format()` are the value's (as StrEnum and IntEnum have them), members pickle and copy as
themselves, and `list(Kind)` / `len(Kind)` give the members in definition order.
tests/test_choices.py holds these to enum's own behaviour.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any


class _ChoiceType(type):
    """The class of a choice class: iteration and length over its members."""

    _members_: dict

    def __iter__(cls) -> Iterator[Any]:
        return iter(cls._members_.values())

    def __len__(cls) -> int:
        return len(cls._members_)


# What StrChoice and IntChoice share, put in each one's class body: a base class for it would
# be one more class made at every start-up.

def _init_subclass(cls: Any, **kwargs: Any) -> None:  # (made a classmethod, as Python does)
    object.__init_subclass__(**kwargs)  # (str's and int's are object's)
    base = int if issubclass(cls, int) else str
    members: dict = {}
    for name, value in list(vars(cls).items()):
        if name.isupper() and not name.startswith("_") and type(value) is base:
            member = base.__new__(cls, value)  # type: ignore[call-overload]
            member._name_ = name
            setattr(cls, name, member)
            members[value] = member
    cls._members_ = members


def _new(cls: Any, value: Any) -> Any:
    """The member whose value is `value`: members are made once, at class creation."""
    try:
        return cls._members_[value]
    except (KeyError, TypeError):
        raise ValueError(f"{value!r} is not a valid {cls.__qualname__}") from None


def _name(self: Any) -> str:
    return self._name_


def _repr(self: Any) -> str:
    return f"<{type(self).__name__}.{self._name_}: {self.value!r}>"


def _reduce_ex(self: Any, protocol: object) -> tuple:
    return type(self), (self.value,)


def _itself(self: Any, memo: object = None) -> Any:
    return self


def _str_value(self: str) -> str:
    return str.__str__(self)


def _int_value(self: int) -> int:
    return int(self)


def _choice_class(name: str, base: type, value: Callable[[Any], Any], doc: str) -> Any:
    return _ChoiceType(name, (base,), {
        "__module__": __name__, "__qualname__": name, "__doc__": doc, "_members_": {},
        "__init_subclass__": _init_subclass, "__new__": _new, "name": property(_name),
        "value": property(value), "__repr__": _repr, "__reduce_ex__": _reduce_ex,
        "__copy__": _itself, "__deepcopy__": _itself,
        "__str__": base.__repr__ if base is int else base.__str__, "__format__": base.__format__,
    })


if TYPE_CHECKING:  # what the type checker reads: the classes, as they behave
    class StrChoice(str):
        name: str
        value: str

    class IntChoice(int):
        name: str
        value: int
else:
    StrChoice = _choice_class("StrChoice", str, _str_value,
                              "A member is a str, equal to its value (`enum.StrEnum` without `enum`).")
    IntChoice = _choice_class("IntChoice", int, _int_value,
                              "A member is an int, equal to its value (`enum.IntEnum` without `enum`).")
