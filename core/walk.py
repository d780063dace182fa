"""Walking the capability chains of one config space.

The standard chain starts at the Capabilities Pointer (0x34, or 0x14 on a CardBus
bridge) when Status.CapList is set; the extended chain starts at 0x100 when the
function has a PCI Express (or PCI-X) capability, as lspci and the kernel do. The
walker never raises and never loops: whatever it meets that is wrong becomes a
`Problem` and the walk stops at that link. One exception follows the bytes rather than
lspci: a standard capability with ID 0xFF and a real next pointer is listed and walked
past, as vfio-pci does (it hides the ID and follows the pointer); the problem names where
lspci and the PCI core's capability search stop.
"""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing`, no `collections` at start-up (issue 23): for the type checker
if TYPE_CHECKING:
    from collections.abc import Callable


from .record import record
from .record import NamedTuple

from .ids import (
    CAP_ID_EXP, CAP_ID_PCIX, EXT_NEXT_MASK, EXT_NEXT_SHIFT, STD_NEXT_MASK, ext_next_field, std_next,
)
from .registry import CapSpec, Certainty, PcieInfo, Space, lookup
from .registry.model import CapContext
from .space import CONFIG_SIZE, STD_HEADER_SIZE, STD_SIZE, ConfigSpace

STATUS_CAP_LIST = 0x10
CAP_ID_INVALID = 0xFF  # a standard capability ID that lspci and the PCI core stop at
# PCI Express capability registers (pci_regs.h).
EXP_FLAGS, EXP_LNKCAP, EXP_DEVCAP2 = 0x02, 0x0C, 0x24
EXP_FLAGS_VERS, EXP_FLAGS_SLOT, EXP_FLAGS_FLIT = 0x000F, 0x0100, 0x8000
EXP_DEVCAP2_EE_PREFIX = 1 << 21  # End-End TLP Prefix Supported
MAX_STD_CAPS = 48  # (0x100 - 0x40) / 4: more links than slots means a loop
MAX_EXT_CAPS = (CONFIG_SIZE - STD_SIZE) // 4


class Problem(NamedTuple):
    kind: str  # loop, bad_pointer, reserved_bits, overlap, truncated, absent, null_header, ...
    offset: int
    message: str
    space: Space | None = None


class Capability(NamedTuple):
    """One capability of a chain. (A NamedTuple: immutable and cheap to make.)"""

    space: Space
    id: int
    offset: int
    next: int  # the next pointer as read (reserved low bits masked off)
    version: int | None  # extended: header bits 19:16; standard: the cap's own version field
    size: int
    certainty: Certainty
    size_why: str
    spec: CapSpec
    limit: int = 0  # for a minimum: the most bytes it can have (0: unknown), see `Size`

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def name(self) -> str:
        return self.spec.label

    def context(self, cs: ConfigSpace, pcie: PcieInfo | None) -> CapContext:
        return CapContext(cs.data, self.offset, self.space, cs.header_type, pcie)


class Chains(metaclass=record):
    """The capabilities in chain order (standard first, then extended) and the problems."""

    capabilities: tuple[Capability, ...]
    problems: tuple[Problem, ...]
    pcie: PcieInfo | None
    ext_walked: bool  # False when the extended space was not walked (and why is a problem)


def cap_pointer_register(cs: ConfigSpace) -> int:
    return 0x14 if cs.header_type == 2 else 0x34


def header_size(cs: ConfigSpace) -> int:
    """The type 0/1 header is 64 bytes; a CardBus (type 2) header is 0x48."""
    return 0x48 if cs.header_type == 2 else STD_HEADER_SIZE


def pcie_info(cs: ConfigSpace, offset: int) -> PcieInfo:
    flags = cs.u16(offset + EXP_FLAGS)
    version = flags & EXP_FLAGS_VERS
    lnkcap = cs.u32(offset + EXP_LNKCAP) if cs.has(offset + EXP_LNKCAP, 4) else 0
    # Device Capabilities 2 is only present in a version 2 capability (pci_regs.h).
    devcap2 = cs.u32(offset + EXP_DEVCAP2) if version >= 2 and cs.has(offset + EXP_DEVCAP2, 4) else 0
    port_type = (flags >> 4) & 0xF
    has_link = port_type not in (0x9, 0xA)  # RCiEPs and RCECs have no link
    return PcieInfo(offset=offset, version=version, port_type=port_type,
                    slot_implemented=bool(flags & EXP_FLAGS_SLOT),
                    max_link_width=((lnkcap >> 4) & 0x3F) if has_link else 0,
                    flit_mode_supported=bool(flags & EXP_FLAGS_FLIT),
                    e2e_tlp_prefix=bool(devcap2 & EXP_DEVCAP2_EE_PREFIX))


# ---------------------------------------------------------------- the one chain walker
#
# Every reader of a chain (lspci and the PCI core, vfio-pci, QEMU, each VMM) follows next
# pointers from a start until something ends the walk; they differ only in what ends it. A
# `Rule` names those differences, `follow` walks by it, and the `Trail` says where the walk
# went and why it stopped. The hardware walk below turns that into `Problem`s; the views
# read it as their VMM's or kernel's walk (core.views.vmms.WALKS holds each VMM's rules).

class Rule(NamedTuple):
    """How one reader walks a chain. A header is 2 bytes (ID, next) in the standard space
    and a DWORD in the extended one; its next pointer is masked with `mask` (0xfc / 0xffc
    aligned as the PCI core reads it, 0xff / 0xfff followed as read)."""

    space: Space
    mask: int
    low: int = 0  # a pointer below this ends the walk ("below"); 0: none (any is followed)
    bound: int | None = None  # the most headers read ("bound"); None: no bound
    loops: bool = True  # a header reached again ends the walk ("loop"); False: no check, a
    #                     loop repeats until the bound
    stop_headers: frozenset[int] = frozenset()  # header values that end the walk, unlisted
    stop_at_self: bool = False  # a header whose next pointer is itself ends the walk (listed)
    strict_next: bool = False  # a next field with bits 1:0 set or below 0x100 ends the walk
    #                            (listed): openvmm's discover_capabilities()
    beyond_reads_zero: bool = False  # a pointer past the space reads as a zero header
    #                                  instead of ending the walk ("above")


class Trail(NamedTuple):
    """The headers a walk read: their offsets and values (a standard header is its ID byte
    and next byte, little-endian), in order, and why and where it stopped."""

    offsets: tuple[int, ...]
    headers: tuple[int, ...]
    stop: str  # end (a next pointer of 0), below, above, loop, bound, truncated, header,
    #            self, malformed
    pointer: int  # where the walk was going (the pointer, masked) or stopped (a header)
    came_from: int | None  # the header whose next pointer led there (None: the start)

    @property
    def loops(self) -> bool:
        return self.stop == "loop"


_new = tuple.__new__  # a NamedTuple without its Python-level __new__: this is the hot loop


def follow(data: bytes, rule: Rule, start: int,
           has: Callable[[int, int], bool] | None = None) -> Trail:
    """Walk the chain from the pointer `start` (as read: masked here) by `rule`. `has`: which
    bytes the dump holds, when a header outside them ends the walk ("truncated"). A header
    past the bytes given reads 0. (Written for speed: the hardware walk of every device of a
    survey runs through it.)"""
    space, mask, low, bound, loops, stops, stop_at_self, strict, beyond = rule
    std = space is Space.STANDARD
    width, shift = (2, 8) if std else (4, EXT_NEXT_SHIFT)  # the next field: byte 1, bits 31:20
    last = STD_SIZE - 1 if std else CONFIG_SIZE - 4  # the last offset a header can start at
    readable = len(data) - width
    out: list[int] = []
    headers: list[int] = []
    seen: set[int] = set()
    pos, came_from = start & mask, None
    while True:
        if not pos:
            return _new(Trail, (tuple(out), tuple(headers), "end", 0, came_from))
        if pos < low:
            kind = "below"
            break
        if pos > last and not beyond:
            kind = "above"
            break
        if loops and pos in seen:
            kind = "loop"
            break
        if bound is not None and len(out) >= bound:
            kind = "bound"
            break
        if has is not None and not has(pos, width):
            kind = "truncated"
            break
        if pos > last or pos > readable:
            header = 0
        elif std:
            header = data[pos] | data[pos + 1] << 8
        else:
            header = int.from_bytes(data[pos:pos + 4], "little")
        if header in stops:
            kind = "header"
            break
        seen.add(pos)
        out.append(pos)
        headers.append(header)
        raw = header >> shift
        nxt = raw & mask
        if strict and raw and (raw < STD_SIZE or raw & 3):
            return _new(Trail, (tuple(out), tuple(headers), "malformed", pos, came_from))
        if stop_at_self and nxt == pos:
            return _new(Trail, (tuple(out), tuple(headers), "self", pos, came_from))
        came_from, pos = pos, nxt
    return _new(Trail, (tuple(out), tuple(headers), kind, pos, came_from))


# The hardware walk, as lspci and the PCI core read the chains (with the problems it meets).
HW_STD = Rule(Space.STANDARD, STD_NEXT_MASK, bound=MAX_STD_CAPS, stop_headers=frozenset({0xFFFF}))
_HW_STD_BY_HEADER = {size: HW_STD._replace(low=size) for size in (STD_HEADER_SIZE, 0x48)}
HW_EXT = Rule(Space.EXTENDED, EXT_NEXT_MASK, low=STD_SIZE, bound=MAX_EXT_CAPS,
              stop_headers=frozenset({0, 0xFFFFFFFF}))


def _has(cs: ConfigSpace) -> Callable[[int, int], bool] | None:
    """What `follow` asks of the dump's bytes: nothing of a whole space (every header the
    hardware rules read lies inside it)."""
    return None if cs.complete else cs.has


def _walk_standard(cs: ConfigSpace, problems: list[Problem]) -> list[tuple[int, int, int]]:
    """(offset, id, next) of each standard capability, in chain order."""
    S = Space.STANDARD
    if not cs.has(0x06, 2):
        return []
    if not cs.u16(0x06) & STATUS_CAP_LIST:
        return []
    reg = cap_pointer_register(cs)
    if not cs.has(reg):
        problems.append(Problem("truncated", reg, f"the capabilities pointer at {reg:#04x} "
                                "is not in the dump", S))
        return []
    start = cs.u8(reg)
    trail = follow(cs.data, _HW_STD_BY_HEADER[header_size(cs)], start, _has(cs))

    def pointer_problem(raw: int, came_from: int | None) -> None:
        """The pointer read at the header `came_from` (None: the capabilities pointer)."""
        at = reg if came_from is None else came_from + 1
        if raw & 3:
            problems.append(Problem("reserved_bits", at, f"pointer {raw:#04x} at {at:#04x} has "
                                    f"reserved bits 1:0 set; using {raw & ~3:#04x}", S))

    found: list[tuple[int, int, int]] = []
    incoming, came_from = start, None  # the pointer that led to each header, and where it was
    for pos, header in zip(trail.offsets, trail.headers, strict=True):
        if incoming & 3:
            pointer_problem(incoming, came_from)
        cap_id, raw = header & 0xFF, header >> 8
        if cap_id == CAP_ID_INVALID:
            # The bytes go on (vfio-pci hides it and follows its next pointer), but lspci
            # prints "<chain broken>" and stops, and so does the PCI core's search
            # (__pci_find_next_cap_ttl): drivers find nothing after it.
            problems.append(Problem("chain_broken", pos, f"capability ID 0xff at {pos:#04x}: "
                                    "lspci stops here (<chain broken>), and so does the Linux "
                                    "PCI core's capability search; vfio-pci hides it and follows "
                                    f"its next pointer ({raw:#04x})", S))
        found.append((pos, cap_id, std_next(raw)))
        incoming, came_from = raw, pos
    if incoming & 3:
        pointer_problem(incoming, came_from)
    at = reg if trail.came_from is None else trail.came_from + 1
    pos = trail.pointer
    if trail.stop == "below":
        problems.append(Problem("bad_pointer", at, f"pointer at {at:#04x} "
                                f"points into the header ({pos:#04x})", S))
    elif trail.stop == "loop":
        problems.append(Problem("loop", at, f"the chain loops back to {pos:#04x}", S))
    elif trail.stop == "bound":
        problems.append(Problem("loop", pos, "more than 48 standard capabilities", S))
    elif trail.stop == "truncated":
        problems.append(Problem("truncated", pos, f"capability at {pos:#04x} is not in the dump", S))
    elif trail.stop == "header":  # the whole header reads as ones: nothing answers here
        problems.append(Problem("absent", pos, f"capability ID 0xff and next 0xff at "
                                f"{pos:#04x}: the device reads as absent here", S))
    return found


def _walk_extended(cs: ConfigSpace, problems: list[Problem]) -> list[tuple[int, int, int]]:
    E = Space.EXTENDED
    if not cs.has(STD_SIZE, 4):
        return []
    trail = follow(cs.data, HW_EXT, STD_SIZE, _has(cs))
    found: list[tuple[int, int, int]] = []
    for pos, header in zip(trail.offsets, trail.headers, strict=True):
        raw = ext_next_field(header)
        if raw & 3:
            problems.append(Problem("reserved_bits", pos, f"next field {raw:#05x} at "
                                    f"{pos:#05x} has reserved bits 1:0 set; using {raw & ~3:#05x}", E))
        found.append((pos, header & 0xFFFF, raw & EXT_NEXT_MASK))
    pos, came_from = trail.pointer, trail.came_from
    if trail.stop in ("below", "above"):
        problems.append(Problem("bad_pointer", came_from or pos, f"next pointer "
                                f"{pos:#05x} at {came_from:#05x} is outside the extended "
                                "space (0x100-0xffc)", E))
    elif trail.stop == "loop":
        problems.append(Problem("loop", came_from or pos, f"the chain loops back to {pos:#05x}", E))
    elif trail.stop == "bound":
        problems.append(Problem("loop", pos, "more extended capabilities than DWORDs", E))
    elif trail.stop == "truncated":
        problems.append(Problem("truncated", pos, f"capability at {pos:#05x} is not in the dump", E))
    elif trail.stop == "header" and cs.u32(pos) == 0xFFFFFFFF:
        problems.append(Problem("absent", pos, f"header 0xffffffff at {pos:#05x}: the "
                                "extended space reads as absent", E))
    elif trail.stop == "header" and pos != STD_SIZE:
        problems.append(Problem("null_header", came_from or pos, f"next pointer "
                                f"leads to {pos:#05x}, which holds a zero header", E))
    return found


def walk(cs: ConfigSpace) -> Chains:
    problems: list[Problem] = []
    std = _walk_standard(cs, problems)
    pcie = next((pcie_info(cs, off) for off, cid, _ in std if cid == CAP_ID_EXP), None)
    ext_capable = any(cid in (CAP_ID_EXP, CAP_ID_PCIX) for _, cid, _ in std)
    ext: list[tuple[int, int, int]] = []
    if ext_capable:
        ext = _walk_extended(cs, problems)
    elif cs.has(STD_SIZE, 4) and cs.u32(STD_SIZE) not in (0, 0xFFFFFFFF):
        problems.append(Problem("no_extended_space", STD_SIZE, "no PCI Express or PCI-X "
                                "capability: bytes above 0xff are not config space for this "
                                "function (lspci and the kernel read 256 bytes), so no "
                                "extended chain is walked", Space.EXTENDED))

    caps: list[Capability] = []
    data, header_type = cs.data, cs.header_type
    for space, links in ((Space.STANDARD, std), (Space.EXTENDED, ext)):
        for off, cid, nxt in links:
            spec = lookup(space, cid)
            ctx = _new(CapContext, (data, off, space, header_type, pcie))  # (every field given)
            size = spec.size(ctx)
            if space is Space.EXTENDED:
                version: int | None = ctx.version
            else:
                version = spec.version(ctx) if spec.version else None
            caps.append(_new(Capability, (space, cid, off, nxt, version, size.size, size.certainty,
                                          size.why, spec, size.limit)))
    _check_extents(cs, caps, problems)
    return Chains(tuple(caps), tuple(problems), pcie, ext_capable)


def _check_extents(cs: ConfigSpace, caps: list[Capability], problems: list[Problem]) -> None:
    """Truncated (past the space or the dump) and overlapping capabilities."""
    has = _has(cs)  # None: the whole space is there, and only past its end is a cap cut short
    for space, limit in ((Space.STANDARD, STD_SIZE), (Space.EXTENDED, CONFIG_SIZE)):
        ordered = sorted([c for c in caps if c.space is space], key=_offset)
        for cap in ordered:
            if cap.end > limit:
                problems.append(Problem("truncated", cap.offset, f"{cap.name} at "
                                        f"{cap.offset:#05x} needs {cap.size:#x} bytes and runs "
                                        f"past the end of the {space.value} space ({limit:#05x})", space))
            elif has is not None and not has(cap.offset, cap.size):
                problems.append(Problem("truncated", cap.offset, f"{cap.name} at "
                                        f"{cap.offset:#05x} ({cap.size:#x} bytes) is cut off by "
                                        "the end of the dump", space))
        for a, b in zip(ordered, ordered[1:], strict=False):
            if a.offset == b.offset:
                continue  # the same structure reached twice is reported as a loop
            if a.end > b.offset and a.certainty is not Certainty.UNKNOWN:
                problems.append(Problem("overlap", b.offset, f"{a.name} at {a.offset:#05x} "
                                        f"({a.size:#x} bytes, {a.certainty.value}) overlaps "
                                        f"{b.name} at {b.offset:#05x}", space))


def _offset(cap: Capability) -> int:
    return cap.offset
