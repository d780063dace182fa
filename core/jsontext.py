"""`json.dumps(obj, indent=1)`, byte for byte, in a third of the time and without importing
`json` (its decoder and scanner come with it).

With an indent, the standard library encodes in pure Python, a generator per container:
~6 ms of a `capslot show --json`, more than the work before it. This writes the same text
with one recursive function: strings through the C string encoder json itself uses
(`_json.encode_basestring_ascii`, so `ensure_ascii` as json's default), numbers as json
writes them (an IntEnum as its number, a StrEnum as its string), keys converted as json
converts them. Anything json would refuse raises the TypeError json raises; a container
holding itself raises ValueError as json does (by the depth instead of a marker table).
"""

from __future__ import annotations


def _string(s: str) -> str:
    """A JSON string as json writes it (`ensure_ascii`). Most strings need no escape: those
    are quoted here, and json's C encoder (an extension module to load) is left for the rest."""
    if s.isascii() and s.isprintable() and '"' not in s and "\\" not in s:
        return f'"{s}"'
    return _escape(s)


def _escape(s: str) -> str:
    global _escape
    try:
        from _json import encode_basestring_ascii as escape
    except ImportError:  # another Python: json's own (pure Python) encoder
        from json.encoder import encode_basestring_ascii as escape
    _escape = escape
    return escape(s)


TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    from typing import Any

_INF = float("inf")
MAX_DEPTH = 500  # deeper: a container holding itself (json: "Circular reference detected")


def dumps(obj: Any, prefix: str = "") -> str:
    """json.dumps(obj, indent=1), every line starting with `prefix` (as textwrap.indent
    would put it: no line of it is blank)."""
    text = _scalar(obj)
    return prefix + (text if text is not None else _container(obj, "\n" + prefix, 0))


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o == _INF:
        return "Infinity"
    if o == -_INF:
        return "-Infinity"
    return float.__repr__(o)


def _scalar(o: Any) -> str | None:
    """The text of a JSON scalar, None for a container (or something json refuses)."""
    kind = type(o)
    if kind is int:  # most of a capslot document: offsets, sizes, IDs
        return int.__repr__(o)
    if kind is str:
        return _string(o)
    if isinstance(o, str):
        return _string(o)
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, int):
        return int.__repr__(o)
    if isinstance(o, float):
        return _float(o)
    return None


_KEYS: dict[str, str] = {}  # a key's text: a document repeats a few dozen keys hundreds of times


def _key(k: Any) -> str:
    if type(k) is str:
        text = _KEYS.get(k)
        if text is None:
            text = _string(k)
            if len(_KEYS) < 1024:
                _KEYS[k] = text
        return text
    if isinstance(k, str):
        return _string(k)
    if isinstance(k, float):
        return _string(_float(k))
    if k is True:
        return '"true"'
    if k is False:
        return '"false"'
    if k is None:
        return '"null"'
    if isinstance(k, int):
        return _string(int.__repr__(k))
    raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")


def _container(o: Any, newline: str, depth: int) -> str:
    """The text of a list, tuple or dict whose first line starts at `newline`'s indent. The
    usual items (a str key held in `_KEYS`, an int, a plain string, None) are written here,
    not by a call each: a `show --json` writes some hundreds of them."""
    if depth > MAX_DEPTH:
        raise ValueError("Circular reference detected")
    inner = newline + " "
    items: list[str] = []
    add = items.append
    if isinstance(o, dict):
        if not o:
            return "{}"
        for k, item in o.items():
            key = _KEYS.get(k)  # (only str keys are held: an equal key is written alike)
            if key is None:
                key = _key(k)
            kind = type(item)
            if kind is int:
                add(f"{key}: {item}")  # an exact int formats as its repr
            elif kind is dict or kind is list:
                add(f"{key}: {_container(item, inner, depth + 1)}")
            elif isinstance(item, str) and item.isascii() and item.isprintable() \
                    and '"' not in item and "\\" not in item:
                add(f'{key}: "{item}"')  # as _string writes it (a StrChoice too)
            elif item is None:
                add(key + ": null")
            else:
                text = _scalar(item)
                add(key + ": " + (text if text is not None else _container(item, inner, depth + 1)))
        return f"{{{inner}{(',' + inner).join(items)}{newline}}}"  # (one copy of the items' text)
    if isinstance(o, (list, tuple)):
        if not o:
            return "[]"
        for item in o:
            kind = type(item)
            if kind is int:
                add(f"{item}")
            elif kind is dict:
                add(_container(item, inner, depth + 1))
            else:
                text = _scalar(item)
                add(text if text is not None else _container(item, inner, depth + 1))
        return f"[{inner}{(',' + inner).join(items)}{newline}]"
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")
