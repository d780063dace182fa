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

from .record import record
from .record import NamedTuple

from .ids import CAP_ID_EXP, CAP_ID_PCIX
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


@record
class Chains:
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
    found: list[tuple[int, int, int]] = []
    seen: set[int] = set()
    pos, came_from = cs.u8(reg), reg
    while pos:
        if pos & 3:
            problems.append(Problem("reserved_bits", came_from, f"pointer {pos:#04x} at "
                                    f"{came_from:#04x} has reserved bits 1:0 set; using "
                                    f"{pos & ~3:#04x}", S))
            pos &= ~3
            if not pos:
                break
        if pos < header_size(cs):
            problems.append(Problem("bad_pointer", came_from, f"pointer at {came_from:#04x} "
                                    f"points into the header ({pos:#04x})", S))
            break
        if pos in seen:
            problems.append(Problem("loop", came_from, f"the chain loops back to {pos:#04x}", S))
            break
        if len(found) >= MAX_STD_CAPS:
            problems.append(Problem("loop", pos, "more than 48 standard capabilities", S))
            break
        if not cs.has(pos, 2):
            problems.append(Problem("truncated", pos, f"capability at {pos:#04x} is not in the dump", S))
            break
        seen.add(pos)
        cap_id, nxt = cs.u8(pos), cs.u8(pos + 1)
        if cap_id == CAP_ID_INVALID:
            if nxt == 0xFF:  # the whole header reads as ones: nothing answers here
                problems.append(Problem("absent", pos, f"capability ID 0xff and next 0xff at "
                                        f"{pos:#04x}: the device reads as absent here", S))
                break
            # The bytes go on (vfio-pci hides it and follows its next pointer), but lspci
            # prints "<chain broken>" and stops, and so does the PCI core's search
            # (__pci_find_next_cap_ttl): drivers find nothing after it.
            problems.append(Problem("chain_broken", pos, f"capability ID 0xff at {pos:#04x}: "
                                    "lspci stops here (<chain broken>), and so does the Linux "
                                    "PCI core's capability search; vfio-pci hides it and follows "
                                    f"its next pointer ({nxt:#04x})", S))
        found.append((pos, cap_id, nxt & ~3))
        came_from, pos = pos + 1, nxt
    return found


def _walk_extended(cs: ConfigSpace, problems: list[Problem]) -> list[tuple[int, int, int]]:
    E = Space.EXTENDED
    if not cs.has(STD_SIZE, 4):
        return []
    found: list[tuple[int, int, int]] = []
    seen: set[int] = set()
    pos, came_from = STD_SIZE, None
    while True:
        if pos < STD_SIZE or pos > CONFIG_SIZE - 4:
            problems.append(Problem("bad_pointer", came_from or pos, f"next pointer "
                                    f"{pos:#05x} at {came_from:#05x} is outside the extended "
                                    "space (0x100-0xffc)", E))
            break
        if pos in seen:
            problems.append(Problem("loop", came_from or pos, f"the chain loops back to {pos:#05x}", E))
            break
        if len(found) >= MAX_EXT_CAPS:
            problems.append(Problem("loop", pos, "more extended capabilities than DWORDs", E))
            break
        if not cs.has(pos, 4):
            problems.append(Problem("truncated", pos, f"capability at {pos:#05x} is not in the dump", E))
            break
        seen.add(pos)
        header = cs.u32(pos)
        if header == 0xFFFFFFFF:
            problems.append(Problem("absent", pos, f"header 0xffffffff at {pos:#05x}: the "
                                    "extended space reads as absent", E))
            break
        if header == 0:
            if pos != STD_SIZE:
                problems.append(Problem("null_header", came_from or pos, f"next pointer "
                                        f"leads to {pos:#05x}, which holds a zero header", E))
            break
        nxt_raw = header >> 20
        if nxt_raw & 3:
            problems.append(Problem("reserved_bits", pos, f"next field {nxt_raw:#05x} at "
                                    f"{pos:#05x} has reserved bits 1:0 set; using {nxt_raw & ~3:#05x}", E))
        nxt = nxt_raw & 0xFFC
        found.append((pos, header & 0xFFFF, nxt))
        if nxt == 0:
            break
        came_from, pos = pos, nxt
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
    for space, links in ((Space.STANDARD, std), (Space.EXTENDED, ext)):
        for off, cid, nxt in links:
            spec = lookup(space, cid)
            ctx = CapContext(cs.data, off, space, cs.header_type, pcie)
            size = spec.size(ctx)
            if space is Space.EXTENDED:
                version: int | None = ctx.version
            else:
                version = spec.version(ctx) if spec.version else None
            caps.append(Capability(space, cid, off, nxt, version, size.size, size.certainty,
                                   size.why, spec, size.limit))
    _check_extents(cs, caps, problems)
    return Chains(tuple(caps), tuple(problems), pcie, ext_capable)


def _check_extents(cs: ConfigSpace, caps: list[Capability], problems: list[Problem]) -> None:
    """Truncated (past the space or the dump) and overlapping capabilities."""
    for space, limit in ((Space.STANDARD, STD_SIZE), (Space.EXTENDED, CONFIG_SIZE)):
        ordered = sorted((c for c in caps if c.space is space), key=lambda c: c.offset)
        for cap in ordered:
            if cap.end > limit:
                problems.append(Problem("truncated", cap.offset, f"{cap.name} at "
                                        f"{cap.offset:#05x} needs {cap.size:#x} bytes and runs "
                                        f"past the end of the {space.value} space ({limit:#05x})", space))
            elif not cs.has(cap.offset, cap.size):
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
