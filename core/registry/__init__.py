"""Capability knowledge, table-driven: `lookup(space, id)` returns the registry entry.

IDs without an entry get a synthesized "unknown (0xNNNN)" entry whose size is the
header only, with certainty `unknown`: the layout maps the rest as an unknown-size tail.

The extended IDs from 0x0020 on (PCIe 4.0 and later: DVSEC, 16 GT/s, DOE, IDE...) are
`extended_modern`'s, imported the first time one of them is looked up (or the whole table
is asked for): most devices have none, and their `show` never loads it.
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


STANDARD: dict[int, CapSpec] = _index(standard.ENTRIES, Space.STANDARD)
MODERN_FIRST = 0x20  # the first extended ID of extended_modern's table
_EXTENDED: dict[int, CapSpec] = _index(extended.ENTRIES, Space.EXTENDED)  # + the modern ones, once loaded
_TABLES = {Space.STANDARD: STANDARD, Space.EXTENDED: _EXTENDED}
_MODERN: list[bool] = []  # [True] once extended_modern's entries are in _EXTENDED


def _load_modern() -> dict[int, CapSpec]:
    """The extended table, whole: extended_modern's entries added the first time."""
    if not _MODERN:
        from . import extended_modern

        modern = _index(extended_modern.ENTRIES, Space.EXTENDED)
        assert min(modern) >= MODERN_FIRST > max(_EXTENDED), "the two extended tables overlap"
        _EXTENDED.update(modern)
        _MODERN.append(True)
    return _EXTENDED


def __getattr__(name: str) -> object:
    if name == "EXTENDED":  # the whole extended table (extended_modern loaded for it)
        return _load_modern()
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
    if spec is None and space is Space.EXTENDED and cap_id >= MODERN_FIRST and not _MODERN:
        spec = _load_modern().get(cap_id)
    return spec if spec is not None else _unknown(space, cap_id)


def entries(space: Space | None = None) -> list[CapSpec]:
    spaces = [space] if space else [Space.STANDARD, Space.EXTENDED]
    if Space.EXTENDED in spaces:
        _load_modern()
    return [spec for s in spaces for _, spec in sorted(_TABLES[s].items())]


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
