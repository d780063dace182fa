"""capslot.core.record stands for frozen dataclasses on the start-up path (issue 23): a record must
behave as the equivalent `@dataclass(frozen=True[, slots=True])` does. The truth here is the
standard library's dataclasses, each record class built beside its dataclass twin."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from functools import cached_property

import pytest

from capslot.core import record as rec


def twins(slots: bool = True, metaclass: bool = False):
    """The same class as a record and as a dataclass (the record made by `@record`, or by
    `record` as the class statement's metaclass)."""

    def body():
        class Point(**({"metaclass": rec.record, "slots": slots} if metaclass else {})):
            x: int
            y: int = 2
            tags: tuple[str, ...] = rec.field(default=())
            seen: list[int] = rec.field(default_factory=list, compare=False)
            note: str = rec.field(default="", repr=False)

            @property
            def total(self) -> int:
                return self.x + self.y

        return Point

    def dc_body():
        class Point:
            x: int
            y: int = 2
            tags: tuple[str, ...] = dataclasses.field(default=())
            seen: list[int] = dataclasses.field(default_factory=list, compare=False)
            note: str = dataclasses.field(default="", repr=False)

            @property
            def total(self) -> int:
                return self.x + self.y

        return Point

    made = body() if metaclass else rec.record(slots=slots)(body())
    return made, dataclasses.dataclass(frozen=True, slots=slots)(dc_body())


# (slots, made by record as the metaclass)
MODES = pytest.mark.parametrize(("slots", "metaclass"),
                                [(True, False), (False, False), (True, True), (False, True)])


def same_repr(r, d) -> bool:
    return repr(r).split("(", 1)[1] == repr(d).split("(", 1)[1]


@MODES
def test_construction_equality_hash_and_repr_are_the_dataclasses(slots, metaclass):
    R, D = twins(slots, metaclass)
    for args, kwargs in [((1,), {}), ((1, 5), {}), ((), {"x": 3, "tags": ("a",)}),
                         ((1, 2, ("t",), [9], "n"), {})]:
        r, d = R(*args, **kwargs), D(*args, **kwargs)
        assert [getattr(r, f.name) for f in dataclasses.fields(D)] == \
            [getattr(d, f.name) for f in dataclasses.fields(D)]
        assert hash(r) == hash(d)  # the same set and dict orders
        assert same_repr(r, d)
        assert r.total == d.total
        if not slots:
            assert vars(r) == vars(d)  # the fields, in the instance's dict
    assert R(1, seen=[1]) == R(1, seen=[2])  # compare=False, as in D
    assert D(1, seen=[1]) == D(1, seen=[2])
    assert R(1) != R(2) and D(1) != D(2)
    assert R(1).seen is not R(1).seen  # a fresh default from the factory
    assert (R(1) == D(1)) is False  # another class: not equal
    with pytest.raises(TypeError):
        R()
    with pytest.raises(TypeError):
        D()


@MODES
def test_a_record_is_immutable(slots, metaclass):
    R, D = twins(slots, metaclass)
    for obj in (R(1), D(1)):
        with pytest.raises(AttributeError):
            obj.x = 5
        with pytest.raises(AttributeError):
            del obj.x
    with pytest.raises(rec.FrozenInstanceError) as refused:
        R(1).y = 3
    assert isinstance(refused.value, AttributeError)
    assert type(refused.value).__qualname__ == dataclasses.FrozenInstanceError.__qualname__
    if slots:
        assert not hasattr(R(1), "__dict__") and not hasattr(D(1), "__dict__")
        with pytest.raises(AttributeError):
            object.__setattr__(R(1), "other", 1)


@MODES
def test_pickle_and_copy_give_an_equal_record(slots, metaclass):
    R, _ = twins(slots, metaclass)
    r = R(1, 2, ("a",), [3], "n")
    for again in (copy.copy(r), copy.deepcopy(r)):
        assert again == r and again.note == "n" and again.seen == [3]
    globals()["_Pickled"] = R  # pickle finds a class by its module and name
    R.__qualname__ = "_Pickled"
    try:
        again = pickle.loads(pickle.dumps(r))
    finally:
        del globals()["_Pickled"]
    assert again == r and again.note == "n"


@MODES
def test_replace_and_the_dataclasses_functions_work_on_records(slots, metaclass):
    R, D = twins(slots, metaclass)
    r = R(1, 2, ("a",), [3], "n")
    for replace in (rec.replace, dataclasses.replace):
        moved = replace(r, y=7)
        assert type(moved) is R and (moved.x, moved.y, moved.tags, moved.note) == (1, 7, ("a",), "n")
        assert r.y == 2
    assert dataclasses.is_dataclass(r)
    assert [f.name for f in dataclasses.fields(r)] == [f.name for f in dataclasses.fields(D)]
    assert dataclasses.asdict(r) == dataclasses.asdict(D(1, 2, ("a",), [3], "n"))
    d = D(1)
    assert rec.replace(d, x=4) == D(4)  # and on a dataclass, record.replace is dataclasses'


def test_post_init_cached_property_and_own_methods():
    calls = []

    @rec.record(slots=False)
    class Plan:
        n: int
        label: str = "x"

        def __post_init__(self) -> None:
            calls.append(self.n)
            if self.n < 0:
                raise ValueError("negative")

        @cached_property
        def double(self) -> int:
            return self.n * 2

        def __repr__(self) -> str:
            return f"<plan {self.n}>"

    p = Plan(3)
    assert calls == [3] and p.double == 6 and p.double == 6 and repr(p) == "<plan 3>"
    with pytest.raises(ValueError):
        Plan(-1)
    p.__dict__.setdefault("_views", {})["k"] = 1  # what core.plan.Plan does with its caches
    assert rec.replace(p, n=4).double == 8


def test_match_args_and_keyword_construction():
    @rec.record
    class Pair:
        a: int
        b: int = 0

    match Pair(1, 2):
        case Pair(1, b):
            assert b == 2
        case _:
            pytest.fail("no match")
    assert Pair(b=3, a=1) == Pair(1, 3)


def test_a_record_made_as_the_metaclass_is_a_plain_class_and_inherits_as_dataclasses_do():
    calls = []

    class Base(metaclass=rec.record):
        a: int

        def __post_init__(self) -> None:
            calls.append(self.a)

        def describe(self) -> str:
            return f"a={self.a}"

    class Child(Base, metaclass=rec.record):
        b: int = 2

        def describe(self) -> str:
            return super().describe() + f" b={self.b}"  # zero-argument super: the one class made

    @dataclasses.dataclass(frozen=True, slots=True)
    class DBase:
        a: int

    @dataclasses.dataclass(frozen=True, slots=True)
    class DChild(DBase):
        b: int = 2

    c = Child(1)
    assert type(Base) is type and type(Child) is type  # subclasses are not records by default
    assert calls == [1] and c.describe() == "a=1 b=2"
    assert [f.name for f in dataclasses.fields(c)] == [f.name for f in dataclasses.fields(DChild)]
    assert Child.__slots__ == DChild.__slots__ == ("b",) and not hasattr(c, "__dict__")
    assert Child.__match_args__ == DChild.__match_args__ and Child.__qualname__.endswith("Child")
    assert c == Child(1, 2) and c != Base(1) and hash(c) == hash(DChild(1))
    with pytest.raises(rec.FrozenInstanceError):
        c.a = 3

    class Loose(Base, metaclass=rec.record, slots=False):  # its base's field is a slot
        c: int = 0

    loose = Loose(4, 5)
    assert (loose.a, loose.c, vars(loose)) == (4, 5, {"c": 5}) and calls[-1] == 4
    with pytest.raises(TypeError):
        class Order(metaclass=rec.record):
            a: int = 0
            b: int


def test_definition_errors_are_the_dataclasses():
    with pytest.raises(ValueError):
        @rec.record
        class Mutable:
            xs: list = []  # noqa: RUF012

    with pytest.raises(TypeError):
        @rec.record
        class Order:
            a: int = 0
            b: int


def named_twins():
    """The same NamedTuple class body, through typing and through core.record."""
    import typing

    made = []
    for base in (rec.NamedTuple, typing.NamedTuple):
        class Size(base):
            """How big, and how sure."""

            size: int
            certainty: str
            why: str = ""
            limit: int = 0

            @property
            def end(self) -> int:
                return self.size + self.limit

            def doubled(self) -> Size:
                return self._replace(size=self.size * 2)

        made.append(Size)
    return made


def test_named_tuples_are_typings():
    R, T = named_twins()
    for args in [(4, "exact"), (4, "minimum", "why", 8)]:
        r, t = R(*args), T(*args)
        assert r == t == tuple(t) and hash(r) == hash(t) and repr(r) == repr(t)
        assert r.end == t.end and r.doubled() == t.doubled() and r._asdict() == t._asdict()
        assert isinstance(r, tuple) and R._make(list(r)) == r
    assert R._fields == T._fields and R._field_defaults == T._field_defaults
    assert R.__doc__ == T.__doc__ and list(R.__annotations__) == list(T.__annotations__)
    assert R(size=1, certainty="c", limit=3) == T(size=1, certainty="c", limit=3)
    globals()["_PickledSize"] = R
    R.__qualname__ = R.__name__ = "_PickledSize"
    try:
        assert pickle.loads(pickle.dumps(R(1, "x"))) == R(1, "x")
    finally:
        del globals()["_PickledSize"]
    with pytest.raises(TypeError):
        class Bad(rec.NamedTuple):
            a: int = 0
            b: int
    with pytest.raises(AttributeError):
        class Worse(rec.NamedTuple):
            a: int

            def _replace(self):
                return self


def test_named_tuples_match_collections_namedtuple_without_eval(monkeypatch):
    """The class record.NamedTuple makes (its __new__ from kept code, never eval'd text)
    behaves as collections.namedtuple's: one field, defaults, match, copy, bad names."""
    import builtins
    import collections
    import copy

    peer_one = collections.namedtuple("One", ["only"])
    peer_two = collections.namedtuple("Two", ["a", "b"], defaults=["x"])
    monkeypatch.setattr(builtins, "eval", None)  # namedtuple's own way is not taken

    class One(rec.NamedTuple):
        only: int

    class Two(rec.NamedTuple):
        a: int
        b: str = "x"

    for mine, peer, args in [(One, peer_one, (5,)), (Two, peer_two, (1,)), (Two, peer_two, (1, "y"))]:
        m, p = mine(*args), peer(*args)
        assert tuple(m) == tuple(p) and repr(m) == repr(p) and m._asdict() == p._asdict()
        assert mine.__match_args__ == peer.__match_args__ and mine.__doc__ == peer.__doc__
        assert mine.__new__.__defaults__ == peer.__new__.__defaults__
        assert copy.copy(m) == m and m.__getnewargs__() == tuple(p)
    assert Two(b="z", a=2)._replace(a=3) == (3, "z")
    with pytest.raises(TypeError):
        Two._make([1, 2, 3])
    with pytest.raises(ValueError):
        Two(1)._replace(c=1)
    match Two(7, "q"):
        case Two(a, b):
            assert (a, b) == (7, "q")
    for bad in ("_hidden", "class"):
        with pytest.raises(ValueError):
            type(rec.NamedTuple)("Bad", (), {"__module__": __name__, "__annotations__": {bad: int}})


def test_compiled_inits_are_kept_like_bytecode_and_a_bad_file_is_ignored(tmp_path, monkeypatch):
    path = tmp_path / "__pycache__" / "inits.marshal"

    class Inits(rec._CompiledInits):
        @property
        def path(self) -> str:
            return str(path)

    source = "def __init__(self, a):\n _set(self, 'a', a)\n"
    monkeypatch.setattr(rec.sys, "dont_write_bytecode", True)
    Inits().get(source)
    assert not path.exists()  # PYTHONDONTWRITEBYTECODE: nothing written, as for .pyc files
    monkeypatch.setattr(rec.sys, "dont_write_bytecode", False)
    first = Inits().get(source)
    assert path.is_file() and list(tmp_path.joinpath("__pycache__").iterdir()) == [path]
    again = Inits()
    assert again.get(source) == first and again._codes is not None and len(again._codes) == 1
    scope = {"_set": object.__setattr__}
    exec(again.get(source), scope)
    assert scope["__init__"].__code__.co_varnames[:2] == ("self", "a")
    path.write_bytes(b"not marshal data")
    assert Inits().get(source) == first  # a damaged file: compiled again, and replaced
    assert Inits()._load() != {}
    import marshal

    path.write_bytes(marshal.dumps({source: b"\xff damaged entry"}))
    assert Inits().get(source) == first  # a damaged entry: compiled again, and replaced
    assert marshal.loads(Inits()._load()[source]) == first


def test_the_keywords_refused_as_field_names_are_pythons():
    import keyword

    assert frozenset(keyword.kwlist) == rec._KEYWORDS
