"""The one decoder and encoder: register tables -> `construct` structures.

Everything that shows or writes a register value goes through here: `explain` (a byte's
register and fields), the inspector, `capslot caps` (the register table, via `table`), and
synthesis of virtual capabilities (`encode`). Nothing else takes bits apart by hand.

How a table compiles: the capability's bytes are byte-swapped as a whole (`ByteSwapped`) and
read as one bit stream (`Bitwise`). Byte-swapping the whole capability turns every
little-endian register into a big-endian one sitting at `total - end`, so the registers are
listed from the end of the capability back to its start, and the bits of each register come
top bit first. A register without fields is a `BitsInteger` of its width; a byte string
(width other than 1, 2, 4, 8) is `Bytewise(ByteSwapped(Bytes))`, which gives its bytes back
in dump order; a register with fields is a `Peek` at its whole value followed by its fields,
high bit first: a field `hi:lo` is a `BitsInteger(hi - lo + 1)` (one bit: a `Flag`), keyed
`register.field`; reserved bits and holes are `Padding`. One flat `Struct` per table: nested
ones cost a context each, which was most of the parse time. A register that overlaps one
before it (arbitration table offsets come from the device's own bytes) is read where it lies
through a `Pointer`, so nothing the device describes is dropped. Fields that overlap or leave
their register are a registry error (`check_fields` raises). Each table's structure is built
once and cached; construct's `compile()` was measured and left out: it saves a third of a
parse but costs ~15 ms per table, more than an inspector session ever parses. Every
register and field carries its one-line description as the construct docstring (what
`name / Con * "doc"` makes, in one `Renamed` rather than two: a third fewer parse calls).

construct is imported inside the functions only: walking and mapping never pay for it, and
`table` (what `capslot caps` lists) needs none.
"""

from __future__ import annotations

from functools import lru_cache
from collections.abc import Iterable, Mapping

from ..record import NamedTuple, record
from .model import CapContext, CapSpec
from .registers import Bits, Reg

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:
    from typing import Any

_INT_WIDTHS = frozenset((1, 2, 4, 8))


def is_int(register: Reg) -> bool:
    """Widths 1, 2, 4 and 8 are little-endian integers; others are byte strings."""
    return register.width in _INT_WIDTHS


def bit_span(f: Bits) -> str:
    """A field's bits as the spec writes them: `5`, `12:8`."""
    return f"{f.lo}" if f.lo == f.hi else f"{f.hi}:{f.lo}"


_MEMO_LIMIT = 4096
# Memos keyed by object identity (the registry's static tables are shared tuples; hashing
# them by value on every decode would cost more than the parse). Each entry keeps its key
# object alive, so an id is never reused while its entry stands.
_STATIC_TABLES: dict[tuple[int, int], tuple[CapSpec, tuple[Reg, ...]]] = {}


def table(spec: CapSpec, ctx: CapContext | None, size: int) -> tuple[Reg, ...]:
    """The registers of one instance as the decoder reads them: the header and the body
    registers that fit in `size` bytes, in offset order. (No construct needed.)"""
    limit = max(size, 4)
    static = not callable(spec.body_layout)
    if static:
        hit = _STATIC_TABLES.get((id(spec), limit))
        if hit is not None and hit[0] is spec:
            return hit[1]
    regs = tuple(sorted((r for r in spec.registers(ctx, size) if r.end <= limit),
                        key=lambda r: r.offset))
    if static:
        if len(_STATIC_TABLES) >= _MEMO_LIMIT:
            _STATIC_TABLES.clear()
        _STATIC_TABLES[(id(spec), limit)] = (spec, regs)
    return regs


def check_fields(register: Reg) -> None:
    """A register's fields must lie inside it and must not overlap: the registry is wrong
    otherwise, and the decoder says so instead of hiding a field."""
    taken = 0
    for f in register.fields:
        mask = ((1 << f.width) - 1) << f.lo
        if f.lo < 0 or f.hi < f.lo or f.hi >= register.width * 8 or taken & mask:
            raise ValueError(f"registry error: field {f.name} ({bit_span(f)}) of register "
                             f"{register.name} overlaps another field or leaves the register")
        taken |= mask


def _register_cons(register: Reg) -> list:
    """The subcons of one register in the (byte-swapped) bit stream, top bit first."""
    import construct as c

    doc, name = register.doc, register.name
    if not is_int(register):
        return [c.Renamed(c.Bytewise(c.ByteSwapped(c.Bytes(register.width))), name, doc)]
    if not register.fields:
        return [c.Renamed(c.BitsInteger(register.width * 8), name, doc)]
    check_fields(register)
    subcons = [c.Renamed(c.Peek(c.BitsInteger(register.width * 8)), name, doc)]
    pos = register.width * 8  # next bit expected, counting down from the top
    for f in sorted(register.fields, key=lambda f: f.hi, reverse=True):
        if f.hi < pos - 1:
            subcons.append(c.Padding(pos - 1 - f.hi))
        con = c.Flag if f.width == 1 else c.BitsInteger(f.width)
        subcons.append(c.Renamed(con, field_key(register, f), f.doc))
        pos = f.lo
    if pos > 0:
        subcons.append(c.Padding(pos))
    return subcons


def field_key(register: Reg, f: Bits) -> str:
    """A field's key in a parse result (and in `encode`'s flat form): `register.field`."""
    return f"{register.name}.{f.name}"


class _Entry(NamedTuple):
    register: Reg
    fields: tuple[tuple[Bits, str], ...] | None  # (field, key), low bit first; None: no fields
    nested: bool  # read through a Pointer: its keys sit in a container under its name


class _Compiled(NamedTuple):
    regs: tuple[Reg, ...]
    total: int  # bytes from offset 0 to the end of the last register
    struct: Any  # the construct structure
    order: tuple[_Entry, ...]  # in offset order


@lru_cache(maxsize=1024)
def _compile(regs: tuple[Reg, ...]) -> _Compiled:
    import construct as c

    total = max((r.end for r in regs), default=0)
    ordered = sorted(regs, key=lambda r: (r.offset, -r.width))
    sequential: list[Reg] = []
    overlapping: list[Reg] = []
    pos = 0
    for r in ordered:
        (overlapping if r.offset < pos else sequential).append(r)
        pos = max(pos, r.end)
    subcons = []
    pos = total  # in byte-swapped order, from the end of the capability back to 0
    for r in reversed(sequential):
        if r.end < pos:
            subcons.append(c.Padding((pos - r.end) * 8))
        subcons += _register_cons(r)
        pos = r.offset
    if pos > 0:
        subcons.append(c.Padding(pos * 8))
    for r in overlapping:
        subcons.append(r.name / c.Pointer((total - r.end) * 8, c.Struct(*_register_cons(r))))
    nested = {id(r) for r in overlapping}
    order = tuple(_Entry(r, tuple((f, field_key(r, f)) for f in sorted(r.fields, key=lambda f: f.lo))
                         if r.fields and is_int(r) else None, id(r) in nested) for r in ordered)
    return _Compiled(regs, total, c.ByteSwapped(c.Bitwise(c.Struct(*subcons))), order)


_COMPILED: dict[int, tuple[tuple[Reg, ...], _Compiled]] = {}


def _compiled(regs: tuple[Reg, ...], shared: bool = False) -> _Compiled:
    """The structure of `regs`; `shared`: a long-lived tuple (a static table from `table`),
    found by identity instead of by hashing every register."""
    if not shared:
        return _compile(regs)
    hit = _COMPILED.get(id(regs))
    if hit is not None and hit[0] is regs:
        return hit[1]
    out = _compile(regs)
    if len(_COMPILED) >= _MEMO_LIMIT:
        _COMPILED.clear()
    _COMPILED[id(regs)] = (regs, out)
    return out


class FieldValue(metaclass=record):
    register: Reg
    field: Bits | None  # None: the register's whole value
    value: int | bytes

    @property
    def name(self) -> str:
        return self.field.name if self.field else self.register.name

    @property
    def doc(self) -> str:
        return self.field.doc if self.field else self.register.doc

    @property
    def bits(self) -> str:
        """The field's bits (`12:8`), or "" for a whole register."""
        return bit_span(self.field) if self.field else ""


def _values(table: _Compiled, parsed) -> list[FieldValue]:
    out: list[FieldValue] = []
    for r, fields, nested in table.order:
        source = parsed[r.name] if nested else parsed
        out.append(FieldValue(r, None, source[r.name]))
        if fields is not None:
            out += [FieldValue(r, f, int(source[key])) for f, key in fields]
    return out


def _decode_regs(regs: tuple[Reg, ...], data: bytes, offset: int, shared: bool = False) -> list[FieldValue]:
    """Parse `regs` (offsets relative to `offset`) out of `data`; registers that run past
    the bytes `data` holds are left out."""
    have = len(data) - offset
    compiled = _compiled(regs, shared)
    if compiled.total > have:
        regs = tuple(r for r in regs if r.end <= have)
        compiled = _compiled(regs)
    if not regs:
        return []
    return _values(compiled, compiled.struct.parse(data[offset:offset + compiled.total]))


def decode(spec: CapSpec, ctx: CapContext, size: int) -> list[FieldValue]:
    """Decode one instance: every register (and its fields, low bit first) with its value,
    in offset order. Registers past the bytes the config space holds are cut off."""
    return _decode_regs(table(spec, ctx, size), ctx.data, ctx.offset, shared=not callable(spec.body_layout))


def decode_at(spec: CapSpec, ctx: CapContext, size: int, rel: int) -> tuple[Reg | None, list[FieldValue]]:
    """The register that owns byte `rel` of a capability, and the values of its fields that
    touch that byte (all of them for a byte string: none). Only that register is parsed."""
    reg, hit = register_at(spec, ctx, size, rel)
    if reg is None or not hit:
        return reg, []
    values = _decode_regs((reg,), ctx.data, ctx.offset)
    return reg, [v for v in values if v.field in hit]


def register_at(spec: CapSpec, ctx: CapContext | None, size: int, rel: int) -> tuple[Reg | None, list[Bits]]:
    """Which register (and which fields) own byte `rel` of a capability."""
    for r in spec.registers(ctx, size):
        if r.offset <= rel < r.end:
            lo, hi = (rel - r.offset) * 8, (rel - r.offset) * 8 + 7
            return r, [f for f in r.fields if f.lo <= hi and f.hi >= lo]
    return None, []


def _fill(table: _Compiled, values: Mapping[str, Any]) -> dict[str, Any]:
    """Every register and field of the table, from `values` or 0 (zero bytes), keyed as
    the structure reads them."""
    unknown = set(values) - {r.name for r in table.regs}
    if unknown:
        raise KeyError(f"no register {', '.join(sorted(unknown))} in this layout")
    out: dict[str, Any] = {}
    for r, fields, nested in table.order:
        given = values.get(r.name)
        part: dict[str, Any] = {}
        if fields is not None:
            if not isinstance(given, Mapping | None):
                raise TypeError(f"{r.name} has fields: give them as a dict, not {given!r}")
            given = dict(given or {})
            extra = set(given) - {f.name for f, _ in fields}
            if extra:
                raise KeyError(f"no field {', '.join(sorted(extra))} in {r.name}")
            part[r.name] = 0  # the Peek at the whole value writes nothing
            part.update((key, given.get(f.name, 0)) for f, key in fields)
        elif is_int(r):
            part[r.name] = given or 0
        else:
            part[r.name] = given if given is not None else bytes(r.width)
        if nested:
            out[r.name] = part
        else:
            out.update(part)
    return out


def encode_table(regs: Iterable[Reg], values: Mapping[str, Any], size: int) -> bytes:
    """Build `size` bytes from register values (field values as a dict for a register with
    fields); whatever `values` leaves out, and reserved bits, are 0."""
    regs = tuple(r for r in regs if r.end <= size)
    if not regs:
        return bytes(size)
    compiled = _compiled(regs)
    blob = compiled.struct.build(_fill(compiled, values))
    return blob + bytes(size - len(blob))


def encode(spec: CapSpec, values: Mapping[str, Any], size: int, ctx: CapContext | None = None) -> bytes:
    """One capability's bytes from its registry layout and register/field values: e.g.
    `{"header": {"id": 0x1B, "version": 1}, "pasid_cap": {"max_pasid_width": 20}}`."""
    return encode_table(table(spec, ctx, size), values, size)
