"""Register tables -> `construct` structures, and decoding of one capability instance.

A registry entry lists registers as (offset, width, name, doc, bit fields). Here each
layout becomes a construct `Struct`: integer registers are little-endian `Int*ul`, a
register with bit fields is a byte-swapped `BitStruct` (fields from the top bit down,
reserved bits as padding), other widths are `Bytes`, holes are `Padding`. Every field
carries its one-line description as the construct docstring (`name / Con * "doc"`).

construct is imported here only, so walking and mapping never pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from .model import Bits, CapContext, CapSpec, Reg

_INTS = {1: "Int8ul", 2: "Int16ul", 4: "Int32ul", 8: "Int64ul"}


def _bitstruct(register: Reg):
    import construct as c

    subcons = []
    pos = register.width * 8  # next bit expected, counting down from the top
    for f in sorted(register.fields, key=lambda f: f.hi, reverse=True):
        if f.hi >= pos:  # overlapping field definitions: keep the first
            continue
        if f.hi < pos - 1:
            subcons.append(c.Padding(pos - 1 - f.hi))
        con = c.Flag if f.width == 1 else c.BitsInteger(f.width)
        subcons.append(f.name / con * f.doc)
        pos = f.lo
    if pos > 0:
        subcons.append(c.Padding(pos))
    return c.ByteSwapped(c.BitStruct(*subcons))


def _register_con(register: Reg):
    import construct as c

    if register.fields and register.width in _INTS:
        con = _bitstruct(register)
    elif register.width in _INTS:
        con = getattr(c, _INTS[register.width])
    else:
        con = c.Bytes(register.width)
    return register.name / con * register.doc


@lru_cache(maxsize=1024)
def build_struct(regs: tuple[Reg, ...]):
    """A construct Struct for a register table (cached: tables are shared tuples)."""
    import construct as c

    subcons = []
    pos = 0
    for r in sorted(regs, key=lambda r: r.offset):
        if r.offset < pos:  # overlapping registers: the first one wins
            continue
        if r.offset > pos:
            subcons.append(c.Padding(r.offset - pos))
        subcons.append(_register_con(r))
        pos = r.end
    return c.Struct(*subcons)


@dataclass(frozen=True, slots=True)
class FieldValue:
    register: Reg
    field: Bits | None  # None: the register's whole value
    value: int | bytes

    @property
    def name(self) -> str:
        return self.field.name if self.field else self.register.name

    @property
    def doc(self) -> str:
        return self.field.doc if self.field else self.register.doc


def decode(spec: CapSpec, ctx: CapContext, size: int) -> list[FieldValue]:
    """Decode one instance: every register (and its fields) with its value.

    Registers that run past the bytes the config space holds are cut off. Values come
    from construct's parse of the layout; the flat list is what the views show.
    """
    regs = tuple(r for r in spec.registers(ctx, size) if r.end <= max(size, 4))
    raw = ctx.data[ctx.offset:ctx.offset + max((r.end for r in regs), default=0)]
    regs = tuple(r for r in regs if r.end <= len(raw))
    parsed = build_struct(regs).parse(raw)
    out: list[FieldValue] = []
    for r in sorted(regs, key=lambda r: r.offset):
        value = parsed.get(r.name)
        if r.fields and r.width in _INTS:
            whole = int.from_bytes(raw[r.offset:r.end], "little")
            out.append(FieldValue(r, None, whole))
            for f in sorted(r.fields, key=lambda f: f.lo):
                fv = value.get(f.name) if value is not None else None
                out.append(FieldValue(r, f, int(fv) if fv is not None else f.extract(whole)))
        else:
            out.append(FieldValue(r, None, value if value is not None else raw[r.offset:r.end]))
    return out


def register_at(spec: CapSpec, ctx: CapContext | None, size: int, rel: int) -> tuple[Reg | None, list[Bits]]:
    """Which register (and which fields) own byte `rel` of a capability."""
    for r in spec.registers(ctx, size):
        if r.offset <= rel < r.end:
            lo, hi = (rel - r.offset) * 8, (rel - r.offset) * 8 + 7
            return r, [f for f in r.fields if f.lo <= hi and f.hi >= lo]
    return None, []
