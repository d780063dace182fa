"""The register model of capability knowledge: a register (`Reg`) at an offset in a
capability, its bit fields (`Bits`), the shorthands the register tables are written with,
and the capability headers every layout starts with.

Only a decode (`explain`, the explorer's register view) or `capslot caps` needs these: the
`*_tables` modules and decode.py import them, and model.py hands them out when first asked
for, so a command that walks and sizes capabilities never makes these classes.
"""

from __future__ import annotations

from ..record import NamedTuple


class Bits(NamedTuple):
    """A bit field inside a register: bits `lo`..`hi` inclusive."""

    lo: int
    hi: int
    name: str
    doc: str

    @property
    def width(self) -> int:
        return self.hi - self.lo + 1


class Reg(NamedTuple):
    """A register at `offset` (bytes from the capability header), `width` bytes wide.

    Widths 1, 2, 4 and 8 are little-endian integers; any other width is a byte string
    (tables, arrays). `fields` are optional bit fields of an integer register.
    """

    offset: int
    width: int
    name: str
    doc: str
    fields: tuple[Bits, ...] = ()

    @property
    def end(self) -> int:
        return self.offset + self.width


# The tables make ~1,100 of these at import: each is made straight from its tuple of fields
# (what the NamedTuple's own __new__ does, one Python call less per register and field).
_new = tuple.__new__


def reg(offset: int, width: int, name: str, doc: str, *fields: Bits) -> Reg:
    """Shorthand used by the registry tables."""
    return _new(Reg, (offset, width, name, doc, fields))


def bit(n: int, name: str, doc: str) -> Bits:
    return _new(Bits, (n, n, name, doc))


def bits(hi: int, lo: int, name: str, doc: str) -> Bits:
    """A field written as the spec writes it: high bit first."""
    return _new(Bits, (lo, hi, name, doc))


STD_HEADER: tuple[Reg, ...] = (
    reg(0x00, 1, "cap_id", "Capability ID: which capability this is"),
    reg(0x01, 1, "next", "Next capability pointer (0 ends the list; bits 1:0 reserved)"),
)

EXT_HEADER: tuple[Reg, ...] = (
    reg(0x00, 4, "header", "Extended capability header",
        bits(15, 0, "id", "PCI Express Extended Capability ID"),
        bits(19, 16, "version", "Capability version (layout revision of this capability)"),
        bits(31, 20, "next", "Next capability offset (0 ends the list; bits 1:0 reserved)")),
)
