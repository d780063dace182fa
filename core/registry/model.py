"""The shape of capability knowledge: one `CapSpec` per capability ID.

Each entry carries what the spec says about one capability: its names and spec
reference, a size rule evaluated on the capability's own bytes (and, where the spec
says so, on the PCI Express capability: link width, port type), the certainty of that
size, and a register table with a one-line description of every register and field.
The register tables compile to `construct` structures on demand (see `decode.py`), so
nothing here pays for construct until a decode is asked for.

Size rules follow docs/reference/capabilities.md; where the sources disagree the
entry follows the PCIe spec and says so in `notes`.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing`, no `collections` at start-up (issue 23): for the type checker
if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

from ..record import field, record
from ..choices import StrChoice
from ..elsewhere import elsewhere
from ..record import NamedTuple

if TYPE_CHECKING:
    from .registers import Reg

# The register model (Bits, Reg, their helpers and the capability headers) is registers.py's:
# only a decode or `capslot caps` needs it, and its classes are made when it is first asked for
# (by a `*_tables` module, or an import of one of these names from here).
_REGISTERS = frozenset({"Bits", "Reg", "reg", "bit", "bits", "STD_HEADER", "EXT_HEADER"})


__getattr__ = elsewhere(globals(), dict.fromkeys(_REGISTERS, "registers"))



class Space(StrChoice):
    STANDARD = "standard"
    EXTENDED = "extended"


class Certainty(StrChoice):
    EXACT = "exact"  # the spec rule was applied to the capability's bytes
    MINIMUM = "minimum"  # at least this many bytes; the structure may be longer
    UNKNOWN = "unknown"  # no layout known beyond the header


class PcieInfo(NamedTuple):
    """Facts from the PCI Express capability that other capabilities are sized by."""

    offset: int
    version: int  # PCIe Capabilities bits 3:0
    port_type: int  # PCIe Capabilities bits 7:4
    slot_implemented: bool  # PCIe Capabilities bit 8
    max_link_width: int  # Link Capabilities bits 9:4 (0 when the function has no link)
    flit_mode_supported: bool  # PCIe Capabilities bit 15 (PCIe 6.0)
    # Device Capabilities 2 (+0x24) bit 21, End-End TLP Prefix Supported. Device
    # Capabilities 2 exists only in a version 2 capability (pci_regs.h), so False for v1.
    e2e_tlp_prefix: bool = False


# Device/Port Type values (PCIe Capabilities bits 7:4).
PORT_TYPES: dict[int, str] = {
    0x0: "Endpoint",
    0x1: "Legacy Endpoint",
    0x2: "RCiEP (PCIe 1.x)",
    0x4: "Root Port",
    0x5: "Upstream Port",
    0x6: "Downstream Port",
    0x7: "PCIe-to-PCI/PCI-X Bridge",
    0x8: "PCI/PCI-X-to-PCIe Bridge",
    0x9: "Root Complex Integrated Endpoint",
    0xA: "Root Complex Event Collector",
}
ROOT_PORT, RCEC = 0x4, 0xA
SWITCH_PORTS = (0x5, 0x6)


class CapContext(NamedTuple):
    """What a size rule or register layout may look at: the capability's own bytes
    (relative reads), the header type, and the PCI Express capability's facts.
    (A NamedTuple: one is made per capability walked, so it must be cheap.)"""

    data: bytes  # the whole config space (4096 bytes, missing bytes read as 0)
    offset: int  # where this capability starts
    space: Space
    header_type: int  # config header layout: 0 endpoint, 1 bridge, 2 CardBus
    pcie: PcieInfo | None

    def u8(self, rel: int) -> int:
        pos = self.offset + rel
        return self.data[pos] if 0 <= pos < len(self.data) else 0

    def u16(self, rel: int) -> int:
        return self.u8(rel) | self.u8(rel + 1) << 8

    def u32(self, rel: int) -> int:
        pos = self.offset + rel
        if pos >= 0 and pos + 4 <= len(self.data):
            return int.from_bytes(self.data[pos:pos + 4], "little")
        return self.u16(rel) | self.u16(rel + 2) << 16

    @property
    def version(self) -> int:
        """Extended capability version (header bits 19:16); 0 for standard ones."""
        return (self.u32(0) >> 16) & 0xF if self.space is Space.EXTENDED else 0


class Size(NamedTuple):
    size: int
    certainty: Certainty
    why: str = ""  # which branch of the rule applied, in words
    # For a MINIMUM: the most bytes this instance can have, when the rule knows it (the
    # layout maps the bytes from `size` up to `limit` as an unknown-size tail and no
    # further). 0: no known bound, the tail runs to the next structure.
    limit: int = 0


if TYPE_CHECKING:  # an alias for annotations alone: `Callable` is not imported at run time
    SizeRule = Callable[[CapContext], Size]


def tables(module: str, name: str) -> str:
    """A register layout that lives in a `*_tables` module of this package, named
    "module:name" (`tables("extended", "DSN_REGS")` is `extended_tables.DSN_REGS`): the module
    is imported the first time a decode (or `capslot caps`) asks for a layout, so a command
    that only walks and sizes capabilities (`show --json`) never builds the ~1,100 registers
    and fields. A name, so a CapSpec's equality, hash and pickle never depend on the layout
    found (and no class of its own is made at start-up)."""
    return f"{module}:{name}"


_RESOLVED: dict[str, RegLayout] = {}  # "module:name" -> the layout it names, once imported


def _resolve(named: str) -> RegLayout:
    layout = _RESOLVED.get(named)
    if layout is None:
        import importlib

        module, _, name = named.partition(":")
        layout = _RESOLVED[named] = getattr(importlib.import_module(f"{__package__}.{module}_tables"), name)
    return layout


if TYPE_CHECKING:  # aliases for annotations alone
    RegLayout = tuple[Reg, ...] | Callable[[CapContext, int], Sequence[Reg]]
    Layout = RegLayout | str  # a str: the name of a `*_tables` module's layout (`tables()`)


class CapSpec(metaclass=record, slots=False):
    """Everything capslot knows about one capability ID."""

    space: Space
    id: int
    short: str  # e.g. "AER"
    name: str  # e.g. "Advanced Error Reporting"
    spec: str  # where the layout is defined, e.g. "PCIe 6.3 §7.8.4"
    size_text: str  # the size rule in words, shown by `capslot caps`
    size: SizeRule
    layout: Layout = ()  # body registers; the header is added by `registers()`
    min_size: int = 0  # the smallest size the rule allows
    max_size: int = 0  # the largest size the rule allows (0: unbounded)
    notes: str = ""  # where sources disagree, and what we chose
    known: bool = True  # False for IDs the registry has no entry for
    version: Callable[[CapContext], int | None] | None = None  # standard caps only
    aliases: tuple[str, ...] = field(default=())  # names users may type

    @property
    def label(self) -> str:
        return self.name if self.known else f"unknown ({self.id_text})"

    @property
    def id_text(self) -> str:
        return f"0x{self.id:04x}" if self.space is Space.EXTENDED else f"0x{self.id:02x}"

    @property
    def body_layout(self) -> RegLayout:
        """The body registers, or the function giving them for an instance (a `tables()`
        name resolved)."""
        layout = self.layout
        return _resolve(layout) if isinstance(layout, str) else layout

    def header_regs(self) -> tuple[Reg, ...]:
        from .registers import EXT_HEADER, STD_HEADER

        return STD_HEADER if self.space is Space.STANDARD else EXT_HEADER

    def registers(self, ctx: CapContext | None, size: int) -> tuple[Reg, ...]:
        """The header plus the body registers of one instance (of `size` bytes).

        With `ctx=None` (no instance, e.g. for `capslot caps`) layouts computed from
        the bytes are evaluated on an all-zero capability.
        """
        body: Iterable[Reg]
        layout = self.body_layout
        if callable(layout):
            if ctx is None:
                ctx = CapContext(bytes(4096), 0x100 if self.space is Space.EXTENDED else 0x40,
                                 self.space, 0, None)
            body = layout(ctx, size)
        else:
            body = layout
        return self.header_regs() + tuple(body)


# ---------------------------------------------------------------- size-rule helpers

def fixed(n: int, why: str = "") -> SizeRule:
    result = Size(n, Certainty.EXACT, why or f"fixed {n:#x} bytes")
    return lambda ctx: result


def unknown_size(header: int) -> SizeRule:
    result = Size(header, Certainty.UNKNOWN, "no public layout: only the header is known")
    return lambda ctx: result


def dword_round(n: int) -> int:
    return (n + 3) & ~3


def lanes(ctx: CapContext) -> int | None:
    """Maximum Link Width from the PCI Express capability, if there is one."""
    if ctx.pcie is None or ctx.pcie.max_link_width == 0:
        return None
    return ctx.pcie.max_link_width
