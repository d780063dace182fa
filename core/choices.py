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
    from collections.abc import Iterator
    from typing import Any


class _ChoiceType(type):
    """The class of a choice class: iteration and length over its members."""

    _members_: dict

    def __iter__(cls) -> Iterator[Any]:
        return iter(cls._members_.values())

    def __len__(cls) -> int:
        return len(cls._members_)


class _Choice:
    _members_: dict  # value -> member, in definition order
    _name_: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        base = int if issubclass(cls, int) else str
        members: dict = {}
        for name, value in list(vars(cls).items()):
            if name.isupper() and not name.startswith("_") and type(value) is base:
                member = base.__new__(cls, value)  # type: ignore[call-overload]
                member._name_ = name
                setattr(cls, name, member)
                members[value] = member
        cls._members_ = members

    def __new__(cls, value: Any) -> Any:
        """The member whose value is `value`: members are made once, at class creation."""
        try:
            return cls._members_[value]
        except (KeyError, TypeError):
            raise ValueError(f"{value!r} is not a valid {cls.__qualname__}") from None

    @property
    def name(self) -> str:
        return self._name_

    def __repr__(self) -> str:
        return f"<{type(self).__name__}.{self._name_}: {self.value!r}>"

    def __reduce_ex__(self, protocol: object) -> tuple:
        return type(self), (self.value,)

    def __copy__(self) -> Any:
        return self

    def __deepcopy__(self, memo: object) -> Any:
        return self


class StrChoice(_Choice, str, metaclass=_ChoiceType):
    """A member is a str, equal to its value (`enum.StrEnum` without `enum`)."""

    @property
    def value(self) -> str:
        return str.__str__(self)

    __str__ = str.__str__
    __format__ = str.__format__


class IntChoice(_Choice, int, metaclass=_ChoiceType):
    """A member is an int, equal to its value (`enum.IntEnum` without `enum`)."""

    @property
    def value(self) -> int:
        return int(self)

    __str__ = int.__repr__
    __format__ = int.__format__
