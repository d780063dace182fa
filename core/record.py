"""Immutable records without `dataclasses`: `@record` stands for `@dataclass(frozen=True,
slots=True)` and `@record(slots=False)` for `@dataclass(frozen=True)`. The same records are
spelled `class X(metaclass=record)` and `class X(metaclass=record, slots=False)`: `record`
then gets the class body before any class is made and makes the one class, where the
decorator remakes the class statement's (slots) or sets ten attributes on it, ~60K
instructions a class more: the spelling for the classes a command's start-up makes.

Why: a command's start-up is mostly class creation. `dataclasses` imports `inspect` (and
with it `ast`, `dis`, `tokenize`), and each decorated class costs it six generated
functions, each compiled on its own: 18 classes on the path of `capslot show --json`
cost ~24 ms, more than the command's work. A record compiles one function (`__init__`);
equality, hashing, `repr` and the frozen guard are shared closures.

What a record keeps of a frozen dataclass: the same `__init__` (positional or keyword,
defaults, `field(default_factory=...)`, `__post_init__`), `==` between instances of the
same class over the compared fields, the same `hash()` values (of the tuple of compared
fields), the same `repr`, assignment refused (`FrozenInstanceError`, an AttributeError),
pickling and copying, `__match_args__`. `replace(obj, **changes)` here is
`dataclasses.replace`; and `dataclasses.replace`, `fields`, `asdict` and `is_dataclass`
work on records too (`__dataclass_fields__` is made, importing `dataclasses`, the first
time one of them asks for it).

`NamedTuple` here is `typing.NamedTuple` for the class syntax (`class Size(NamedTuple):`
with annotated fields, defaults, methods and a docstring), without importing `typing`
(3-5 ms of a start-up); the class made is a `collections.namedtuple`, as typing's is.
"""

from __future__ import annotations

import sys

# the C module behind `collections`: importing the package costs a `show --json` ~1.5 ms
# (collections brings reprlib, itertools and operator), for one name
from _collections import _tuplegetter  # type: ignore[import-not-found] - namedtuple's field descriptor

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")

_SET = object.__setattr__


MISSING: Any = object()  # no default (a class of its own for a repr is one more made at start-up)
_FACTORY = object()  # an __init__ default: "call the field's factory"


class cached_property:  # noqa: N801 - named as functools' is
    """`functools.cached_property` without importing functools (which brings `collections`:
    ~1.5 ms of a `show --json`): computed on first access, then kept in the instance's
    `__dict__`, which shadows this (non-data) descriptor from then on."""

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func
        self.attrname: str | None = None
        self.__doc__ = func.__doc__
        self.__module__ = func.__module__

    def __set_name__(self, owner: type, name: str) -> None:
        self.attrname = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.attrname] = value
        return value


def __getattr__(name: str) -> Any:
    """`FrozenInstanceError`, made the first time it is asked for (a refused assignment, an
    `except` naming it): a class made at every start-up for what seldom happens."""
    if name == "FrozenInstanceError":
        return _frozen_error()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _frozen_error() -> type[AttributeError]:
    error = globals().get("FrozenInstanceError")
    if error is None:
        error = globals()["FrozenInstanceError"] = type("FrozenInstanceError", (AttributeError,), {
            "__module__": __name__,
            "__doc__": "An assignment to a record's field (records are immutable)."})
    return error


class Field:
    """What `field()` says of one field (and, once the class is made, its name)."""

    __slots__ = ("name", "default", "default_factory", "compare", "repr")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING,
                 compare: bool = True, repr: bool = True) -> None:  # noqa: A002 - dataclasses' word
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default, self.default_factory = default, default_factory
        self.compare, self.repr = compare, repr


def field(*, default: Any = MISSING, default_factory: Any = MISSING, compare: bool = True,
          repr: bool = True) -> Any:  # noqa: A002 - dataclasses' word
    """As `dataclasses.field`, for the options records support."""
    return Field(default, default_factory, compare, repr)


def record(cls: Any = None, bases: tuple[type, ...] | None = None,
           namespace: dict[str, Any] | None = None, /, *, slots: bool = True) -> Any:
    """Make `cls` an immutable record of its annotated fields (see the module's docstring).

    As a decorator (`@record`, `@record(slots=False)`) it remakes the class the class
    statement made (a slots record) or sets the record's methods on it; as the class
    statement's metaclass (`class X(metaclass=record)`, `class X(metaclass=record,
    slots=False)`) it is handed the class body before any class is made, and makes the one
    class: the same record, for about half the cost of the decorator's two classes (or of
    the attributes it sets). The class made is a plain class (its metaclass is its bases')."""
    if namespace is not None:
        return _build(_metaclass(bases or ()), cls, bases or (), namespace, slots)
    if cls is None:
        return lambda c: _make(c, slots)
    return _make(cls, slots)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of the record (or dataclass) `obj` with `changes`, as `dataclasses.replace`."""
    names = getattr(type(obj), "__record_names__", None)
    if names is None:
        import dataclasses

        return dataclasses.replace(obj, **changes)
    for name in names:
        if name not in changes:
            changes[name] = getattr(obj, name)
    return type(obj)(**changes)


def _ancestors(bases: tuple[type, ...]) -> tuple[type, ...]:
    """The classes a class of `bases` inherits from, in its MRO's order (itself left out)."""
    if not bases:
        return (object,)
    if len(bases) == 1:
        return bases[0].__mro__
    return type("_", bases, {}).__mro__[1:]  # several bases: Python's own C3 order


def _fields(ancestors: tuple[type, ...], own: dict[str, Any]) -> list[Field]:
    """The fields of a class: its bases' first, then its own annotations in order."""
    found: dict[str, Field] = {}
    for base in reversed(ancestors):  # (each record's holds its bases' fields too)
        for f in base.__dict__.get("__record_fields__", ()):
            found[f.name] = f
    for name, annotation in own.get("__annotations__", {}).items():
        if isinstance(annotation, str) and annotation.startswith(("ClassVar", "typing.ClassVar")):
            continue
        value = own.get(name, MISSING)
        f = value if isinstance(value, Field) else Field(default=value)
        if isinstance(f.default, (list, dict, set)):
            raise ValueError(f"mutable default {type(f.default).__name__} for field {name} "
                             "is not allowed: use default_factory")
        f.name = name
        found[name] = f
    fields = list(found.values())
    seen_default = False
    for f in fields:
        has_default = f.default is not MISSING or f.default_factory is not MISSING
        if seen_default and not has_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        seen_default = seen_default or has_default
    return fields


def _init(qualname: str, fields: list[Field], post_init: bool, in_dict: bool) -> Callable[..., None]:
    """The one compiled function: __init__ with the fields as its parameters. `in_dict`: the
    fields are all the instance's `__dict__` (no slot among them), set as one dict in one
    call (a class made at import, as the registry's entries are, pays per assignment)."""
    scope: dict[str, Any] = {"_set": _SET, "_FACTORY": _FACTORY}
    params, values = ["self"], []
    for n, f in enumerate(fields):
        if f.default_factory is not MISSING:
            scope[f"_f{n}"] = f.default_factory
            params.append(f"{f.name}=_FACTORY")
            values.append((f.name, f"_f{n}() if {f.name} is _FACTORY else {f.name}"))
        else:
            if f.default is not MISSING:
                scope[f"_d{n}"] = f.default
                params.append(f"{f.name}=_d{n}")
            else:
                params.append(f.name)
            values.append((f.name, f.name))
    if in_dict and values:
        body = ["_set(self, '__dict__', {" + ", ".join(f"{n!r}: {v}" for n, v in values) + "})"]
    else:
        body = [f"_set(self, {n!r}, {v})" for n, v in values]
    if post_init:
        body.append("self.__post_init__()")
    source = f"def __init__({', '.join(params)}):\n " + ("\n ".join(body) or "pass") + "\n"
    exec(_CODE.get(source), scope)  # noqa: S102 - our own text (or its kept code)
    init = scope["__init__"]
    init.__qualname__ = f"{qualname}.__init__"
    return init


def _key(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    """The tuple of the fields `names`: what == compares and hash() hashes, as dataclasses do.
    (Not `operator.attrgetter`: importing `_operator` cost each start-up as much as making two
    classes; nor compiled with __init__: each kept function is ~10K instructions to load.)"""
    return lambda self: tuple(map(self.__getattribute__, names))


class _CompiledInits:
    """The code of every __init__ made so far, kept beside the bytecode of this module (as
    Python keeps a module's): parsing and compiling the text again cost each run ~0.5M
    instructions per class, and the first compile() ~10M more (it builds every AST class).
    Keyed by the function's text, so an entry is never stale; written like a .pyc (not when
    sys.dont_write_bytecode, atomically, and a folder that cannot be written is no error).
    Each entry's code stays marshalled until its class is made: the file holds every class's
    of every command (and of the tests), and unmarshalling them all was ~0.5 ms of a start-up
    that makes thirty."""

    LIMIT = 400  # entries: more means classes changed many times; start again

    def __init__(self) -> None:
        self._codes: dict[str, Any] | None = None

    @property
    def path(self) -> str:
        import os

        return os.path.join(os.path.dirname(__file__), "__pycache__",
                            f"record-inits.{sys.implementation.cache_tag}.2.marshal")  # 2: codes kept marshalled

    def _load(self) -> dict[str, bytes]:
        """{function text: its marshalled code}: what the file holds."""
        import marshal

        try:
            with open(self.path, "rb") as f:
                codes = marshal.loads(f.read())  # load(f) reads the file in thousands of small reads
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        return codes if isinstance(codes, dict) else {}

    def get(self, source: str) -> Any:
        """What to exec for `source`: its kept code, else the text itself when nothing is
        kept (exec of text never builds the AST classes that compile() builds first)."""
        if self._codes is None:
            self._codes = self._load()
        kept = self._codes.get(source)
        if type(kept) is bytes:
            import marshal

            try:
                code = marshal.loads(kept)
            except (EOFError, ValueError, TypeError):
                code = None
            if type(code) is _CODE_TYPE:
                return code
        if sys.dont_write_bytecode:
            return source
        code = compile(source, "<record __init__>", "exec")
        if len(self._codes) >= self.LIMIT:
            self._codes = {}
        import marshal

        self._codes[source] = marshal.dumps(code)
        self._save()
        return code

    def _save(self) -> None:
        import marshal
        import os

        temporary = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(temporary, "wb") as f:
                marshal.dump(self._codes, f)
            os.replace(temporary, self.path)
        except OSError:
            import contextlib  # a failed cache write only: no start-up import

            with contextlib.suppress(OSError):
                os.unlink(temporary)


_CODE_TYPE = type(_CompiledInits.get.__code__)
_CODE = _CompiledInits()


def _make(cls: type, slots: bool) -> type:
    """`@record`: the class statement's class remade with slots, or given the methods."""
    own = dict(cls.__dict__)
    if slots:  # the one class made from the class statement's
        own.pop("__dict__", None)
        own.pop("__weakref__", None)
        own["__qualname__"] = cls.__qualname__
        return _build(type(cls), cls.__name__, cls.__bases__, own, slots)
    body, bind = _body(cls.__qualname__, cls.__mro__[1:], own, slots)
    for name in cls.__dict__.keys() - body.keys():
        delattr(cls, name)  # a field's class attribute, not a default
    for name, value in body.items():
        if cls.__dict__.get(name, MISSING) is not value:
            setattr(cls, name, value)
    bind(cls)
    return cls


def _build(meta: type, name: str, bases: tuple[type, ...], namespace: dict[str, Any],
           slots: bool) -> type:
    """The record class of the class body `namespace`, made once (by `meta`)."""
    body, bind = _body(namespace.get("__qualname__", name), _ancestors(bases), namespace, slots)
    made = meta(name, bases, body)
    bind(made)
    return made


def _metaclass(bases: tuple[type, ...]) -> type:
    """The metaclass a class of `bases` gets (the most derived of theirs), as Python picks it."""
    meta = type
    for base in bases:
        kind = type(base)
        if issubclass(kind, meta):
            meta = kind
        elif not issubclass(meta, kind):
            raise TypeError("metaclass conflict: the metaclass of a derived class must be a "
                            "(non-strict) subclass of the metaclasses of all its bases")
    return meta


def _body(qualname: str, ancestors: tuple[type, ...], own: dict[str, Any],
          slots: bool) -> tuple[dict[str, Any], Callable[[type], None]]:
    """The record's class body: `own` (a class statement's, changed in place) with the
    record's methods and its fields' class attributes made their defaults (or __slots__); and
    `bind`, to be called with the class once it is made."""
    fields = _fields(ancestors, own)
    names = tuple(f.name for f in fields)
    frozen_setattr, frozen_delattr, bind = _frozen(names)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    inherited = {s for base in ancestors for s in base.__dict__.get("__slots__", ())}
    if slots:
        own["__slots__"] = tuple(n for n in names if n not in inherited)
        for n in names:
            own.pop(n, None)  # a default stands in __init__; a slot takes its name
        own["__getstate__"] = lambda self: [getattr(self, n) for n in names]
        own["__setstate__"] = _setstate(names)
    else:
        for f in fields:  # the class attributes that stood for defaults
            if f.name in own:
                if f.default is MISSING:
                    del own[f.name]
                else:
                    own[f.name] = f.default
    key = _key(tuple(f.name for f in fields if f.compare))
    # an __init__, __repr__ or __eq__ the class writes itself stays, as dataclasses leaves it
    if "__init__" not in own:
        post_init = "__post_init__" in own or any("__post_init__" in a.__dict__ for a in ancestors)
        own["__init__"] = _init(qualname, fields, post_init, not slots and inherited.isdisjoint(names))
    if "__repr__" not in own:
        own["__repr__"] = _repr(tuple(f.name for f in fields if f.repr))
    if "__eq__" not in own:
        own["__eq__"] = _eq(key)
    if not explicit_hash:
        own["__hash__"] = lambda self: hash(key(self))
    own["__record_fields__"] = tuple(fields)
    own["__record_names__"] = own["__match_args__"] = names
    own["__setattr__"], own["__delattr__"] = frozen_setattr, frozen_delattr
    own["__dataclass_fields__"] = _DataclassFields()
    return own, bind


def _eq(key: Callable[[Any], tuple]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _repr(names: tuple[str, ...]) -> Callable[[Any], str]:
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in names)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _frozen(names: tuple[str, ...]) -> tuple[Callable[[Any, str, Any], None],
                                            Callable[[Any, str], None], Callable[[type], None]]:
    """The frozen guard (__setattr__, __delattr__) and `bind`, which tells them their class
    once it is made (they go into the body it is made of)."""
    fields = frozenset(names)
    cls: Any = None

    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in fields:
            raise _frozen_error()(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in fields:
            raise _frozen_error()(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    def bind(made: type) -> None:
        nonlocal cls
        cls = made

    return __setattr__, __delattr__, bind


def _setstate(names: tuple[str, ...]) -> Callable[[Any, list], None]:
    def __setstate__(self: Any, state: list) -> None:
        for name, value in zip(names, state, strict=True):
            _SET(self, name, value)

    return __setstate__


class _DataclassFields:
    """A record's `__dataclass_fields__`, made when first asked for (by `dataclasses.fields`,
    `replace`, `asdict` or `is_dataclass`): the fields of an equivalent dataclass."""

    def __get__(self, obj: Any, cls: type) -> dict[str, Any]:
        import dataclasses

        spec = []
        for f in cls.__record_fields__:  # type: ignore[attr-defined]
            options: dict[str, Any] = {"compare": f.compare, "repr": f.repr}
            if f.default_factory is not MISSING:
                options["default_factory"] = f.default_factory
            elif f.default is not MISSING:
                options["default"] = f.default
            spec.append((f.name, object, dataclasses.field(**options)))
        fields = dataclasses.make_dataclass(cls.__name__, spec, frozen=True).__dataclass_fields__
        type.__setattr__(cls, "__dataclass_fields__", fields)
        return fields


# ---------------------------------------------------------------- NamedTuple without typing

# what typing.NamedTuple refuses in a class body, and what it does not copy onto the class
# keyword.kwlist (tests/test_record.py holds it to the running Python's): the `keyword` module
# is one more file to find and load at every start-up, for this one set
_KEYWORDS = frozenset({
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if",
    "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
    "while", "with", "yield"})
_PROHIBITED = frozenset({"__new__", "__init__", "__slots__", "__getnewargs__", "_fields",
                         "_field_defaults", "_make", "_replace", "_asdict", "_source"})
_SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})


def _namedtuple(typename: str, names: tuple[str, ...], defaults: list, module: str,
                namespace: dict[str, Any] | None = None) -> type:
    """`collections.namedtuple(typename, names, defaults=defaults, module=module)`, the same
    class, but its `__new__` is exec'd from kept code (`_CODE`, as a record's `__init__`)
    rather than eval'd from text: namedtuple's eval parses and compiles on every start-up
    (~0.3M instructions a class, a dozen classes on the path of `show --json`)."""
    for name in (typename, *names):
        if not name.isidentifier() or name in _KEYWORDS:
            raise ValueError(f"Type names and field names must be valid identifiers: {name!r}")
        if name is not typename and name.startswith("_"):
            raise ValueError(f"Field names cannot start with an underscore: {name!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"Encountered duplicate field name in {names!r}")
    names = tuple(map(sys.intern, names))
    count = len(names)
    arg_list = ", ".join(names) + ("," if count == 1 else "")
    scope: dict[str, Any] = {"_tuple_new": tuple.__new__, "__builtins__": {}}
    exec(_CODE.get(f"def __new__(_cls, {arg_list}):\n return _tuple_new(_cls, ({arg_list}))\n"),  # noqa: S102
         scope)
    new = scope["__new__"]
    new.__doc__ = f"Create new instance of {typename}({arg_list})"
    if defaults:
        new.__defaults__ = tuple(defaults)
    tuple_new, repr_fmt = tuple.__new__, "(" + ", ".join(f"{n}=%r" for n in names) + ")"

    @classmethod  # type: ignore[misc]
    def _make(cls: type, iterable: Any) -> Any:
        result = tuple_new(cls, iterable)
        if len(result) != count:
            raise TypeError(f"Expected {count} arguments, got {len(result)}")
        return result

    _make.__func__.__doc__ = f"Make a new {typename} object from a sequence or iterable"

    def _replace(self: Any, /, **kwds: Any) -> Any:
        result = self._make(map(kwds.pop, names, self))
        if kwds:
            raise ValueError(f"Got unexpected field names: {list(kwds)!r}")
        return result

    _replace.__doc__ = f"Return a new {typename} object replacing specified fields with new values"

    def __repr__(self: Any) -> str:
        "Return a nicely formatted representation string"
        return self.__class__.__name__ + repr_fmt % self

    def _asdict(self: Any) -> dict[str, Any]:
        "Return a new dict which maps field names to their values."
        return dict(zip(self._fields, self, strict=True))

    def __getnewargs__(self: Any) -> tuple:
        "Return self as a plain tuple.  Used by copy and pickle."
        return tuple(self)

    for method in (new, _make.__func__, _replace, __repr__, _asdict, __getnewargs__):
        method.__qualname__ = f"{typename}.{method.__name__}"
    body: dict[str, Any] = {
        "__doc__": f"{typename}({arg_list})", "__slots__": (), "_fields": names,
        "_field_defaults": dict(zip(names[count - len(defaults):], defaults, strict=True)) if defaults else {},
        "__new__": new, "_make": _make, "_replace": _replace, "__repr__": __repr__,
        "_asdict": _asdict, "__getnewargs__": __getnewargs__, "__match_args__": names,
    }
    for index, name in enumerate(names):
        body[name] = _tuplegetter(index, sys.intern(f"Alias for field number {index}"))
    body["__module__"] = module
    if namespace:  # a NamedTuple class body's methods and docstring (over namedtuple's own)
        body.update(namespace)
    return type(typename, (tuple,), body)  # one class, whole (each attribute set after costs)


class _NamedTupleMeta(type):
    """`class X(NamedTuple): a: int; b: str = ""` makes a collections.namedtuple, as
    typing.NamedTuple's metaclass does (fields, defaults, then the body's methods)."""

    def __new__(mcls, name: str, bases: tuple, namespace: dict[str, Any]) -> type:
        annotations = namespace.get("__annotations__", {})
        defaults = []
        for field_name in annotations:
            if field_name in namespace:
                defaults.append(namespace[field_name])
            elif defaults:
                raise TypeError(f"Non-default namedtuple field {field_name} cannot follow "
                                f"default field{'s' if len(defaults) > 1 else ''} "
                                f"{', '.join(list(annotations)[:len(defaults)])}")
        own: dict[str, Any] = {"__annotations__": dict(annotations)}
        for key, value in namespace.items():
            if key in _PROHIBITED:
                raise AttributeError("Cannot overwrite NamedTuple attribute " + key)
            if key not in _SPECIAL and key not in annotations:
                own[key] = value
        return _namedtuple(name, tuple(annotations), defaults, namespace["__module__"], own)


NamedTuple = type.__new__(_NamedTupleMeta, "NamedTuple", (), {})
