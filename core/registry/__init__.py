"""Capability knowledge, table-driven: `lookup(space, id)` returns the registry entry.

IDs without an entry get a synthesized "unknown (0xNNNN)" entry whose size is the
header only, with certainty `unknown`: the layout maps the rest as an unknown-size tail.

The entries come in tables imported only when needed: `standard` and `extended` hold the IDs
most devices have; `standard_rare` and `extended_rare` the older or rarer IDs below 0x16 and
0x20 (AGP, PCI-X, HyperTransport, RCRB, MFVC, Multicast...), and `extended_modern` the
extended IDs from 0x0020 on (PCIe 4.0 and later: DVSEC, 16 GT/s, DOE, IDE...). Each of those
is imported the first time one of its IDs is looked up (or a whole table is asked for): most
devices have none, and their `show` never loads them.
"""

from __future__ import annotations


from . import extended, standard
from .model import CapContext, CapSpec, Certainty, PcieInfo, Size, Space, unknown_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .registers import Bits, Reg

__all__ = [
    "Bits", "CapContext", "CapSpec", "Certainty", "PcieInfo", "Reg", "Size", "Space",
    "STANDARD", "EXTENDED", "lookup", "entries", "find",
]


def _index(entries: tuple[CapSpec, ...], space: Space) -> dict[int, CapSpec]:
    table: dict[int, CapSpec] = {}
    for spec in entries:
        assert spec.space is space, spec
        assert spec.id not in table, f"duplicate registry entry {spec.id_text}"
        table[spec.id] = spec
    return table


MODERN_FIRST = 0x20  # the first extended ID of extended_modern's table
STANDARD_LAST = 0x15  # the last standard ID with an entry
# each space's table: its common entries, and the rare (and modern) ones once loaded
_TABLES = {Space.STANDARD: _index(standard.ENTRIES, Space.STANDARD),
           Space.EXTENDED: _index(extended.ENTRIES, Space.EXTENDED)}
_LOADED: set[str] = set()  # the names of the tables loaded into _TABLES


def _load(space: Space, name: str) -> dict[int, CapSpec]:
    """`space`'s table with the module `name`'s entries, added the first time."""
    table = _TABLES[space]
    if name not in _LOADED:
        more = _index(_entries_of(name), space)
        assert table.keys().isdisjoint(more), f"{name} repeats an ID of another table"
        table.update(more)
        _LOADED.add(name)
    return table


def _entries_of(name: str) -> tuple[CapSpec, ...]:
    if name == "standard_rare":
        from . import standard_rare as module
    elif name == "extended_rare":
        from . import extended_rare as module
    else:
        from . import extended_modern as module
    return module.ENTRIES


def _whole(space: Space) -> dict[int, CapSpec]:
    """The whole table of `space` (every module of its entries loaded)."""
    if space is Space.STANDARD:
        return _load(space, "standard_rare")
    _load(space, "extended_rare")
    return _load(space, "extended_modern")


def __getattr__(name: str) -> object:
    if name in ("STANDARD", "EXTENDED"):  # a whole table: {ID: entry}
        return _whole(Space.STANDARD if name == "STANDARD" else Space.EXTENDED)
    if name in ("Bits", "Reg"):  # the register model: registers.py, made when first asked for
        from . import registers

        return getattr(registers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_UNKNOWN: dict[tuple[Space, int], CapSpec] = {}  # made once per ID (a dict: no functools at start-up)
_UNKNOWN_MAX = 512  # IDs come from untrusted dumps: the memo is emptied past this


def _unknown(space: Space, cap_id: int) -> CapSpec:
    spec = _UNKNOWN.get((space, cap_id))
    if spec is None:
        if len(_UNKNOWN) >= _UNKNOWN_MAX:
            _UNKNOWN.clear()
        spec = _UNKNOWN[space, cap_id] = _unknown_spec(space, cap_id)
    return spec


def _unknown_spec(space: Space, cap_id: int) -> CapSpec:
    header = 2 if space is Space.STANDARD else 4
    return CapSpec(space, cap_id, "?", "", "", "unknown ID: the extent runs to the next "
                   "capability in address order", unknown_size(header), (), header, 0,
                   known=False)


def lookup(space: Space, cap_id: int) -> CapSpec:
    spec = _TABLES[space].get(cap_id)
    if spec is None:
        if space is Space.STANDARD:
            if cap_id <= STANDARD_LAST:
                spec = _load(space, "standard_rare").get(cap_id)
        elif cap_id < MODERN_FIRST:
            spec = _load(space, "extended_rare").get(cap_id)
        elif "extended_modern" in _LOADED:  # the whole table was asked for: it is in _TABLES
            spec = None
        else:
            from . import extended_modern  # (its entries are made one by one, as they are met)

            spec = extended_modern.get(cap_id)
    return spec if spec is not None else _unknown(space, cap_id)


def entries(space: Space | None = None) -> list[CapSpec]:
    spaces = [space] if space else [Space.STANDARD, Space.EXTENDED]
    return [spec for s in spaces for _, spec in sorted(_whole(s).items())]


def find(text: str) -> list[CapSpec]:
    """Entries matching a user's words: `0x10`, `16`, `ext:0x10`, `aer`, `pasid`."""
    text = text.strip().lower()
    space: Space | None = None
    for prefix, sp in (("std:", Space.STANDARD), ("ext:", Space.EXTENDED)):
        if text.startswith(prefix):
            space, text = sp, text[len(prefix):]
    try:
        number = int(text, 0)
    except ValueError:
        number = None
    out = []
    for spec in entries(space):
        if number is not None:
            if spec.id == number:
                out.append(spec)
        elif text in (spec.short.lower(), *spec.aliases) or text in spec.name.lower():
            out.append(spec)
    return out
