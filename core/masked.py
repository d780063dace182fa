"""Masked capabilities (`layout.is_masked`: an extended header with ID 0 whose registers
are live behind it): their size in a layout, and what a masked span most likely was. Only
a dump read inside some guests holds one.
"""

from __future__ import annotations

from .registry import Certainty
from .space import CONFIG_SIZE

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from .registry import PcieInfo
    from .space import ConfigSpace
    from .walk import Capability

# The IDs VMMs and vfio-pci remove, with the size a guess by span can match (vmm-guest-views.md).
MASKED_CANDIDATES: dict[int, str] = {0x0E: "ARI", 0x10: "SR-IOV", 0x15: "Resizable BAR",
                                     0x24: "VF Resizable BAR"}


def masked_guess(data: bytes, offset: int, span: int) -> tuple[int, str] | None:
    """The removed-by-VMM capability a masked span most likely was, when exactly one fits:
    ARI 8 bytes, SR-IOV 0x40, (VF) Resizable BAR 4 + 8n (n read from its own control register,
    when the body is not zeroed). A candidate fits when its size is the span, or is shorter
    and the rest of the span reads 0 while its own body does not. A guess, said to be one."""
    nbar = (int.from_bytes(data[offset + 8:offset + 12], "little") >> 5) & 7 if offset + 12 <= CONFIG_SIZE else 0
    sizes = {0x0E: 8, 0x10: 0x40}
    if 1 <= nbar <= 6:
        sizes[0x15] = 4 + 8 * nbar
    hits = []
    for cap_id, size in sizes.items():
        end = offset + size
        if size == span or (size < span and end <= CONFIG_SIZE and not any(data[end:offset + span])
                            and any(data[offset + 4:end])):
            hits.append(cap_id)
    if len(hits) == 1:
        return hits[0], MASKED_CANDIDATES[hits[0]] + (" or VF Resizable BAR" if hits[0] == 0x15 else "")
    return None


def sized_masks(cs: ConfigSpace, caps: tuple[Capability, ...], ends: dict[int, int],
                 pcie: PcieInfo | None) -> tuple[Capability, ...]:
    out = list(caps)
    for i, end in ends.items():
        c = caps[i]
        span = end - c.offset
        guess = masked_guess(cs.data, c.offset, span)
        why = (f"masked: ID 0 with version {c.version} and next {c.next:#05x}; its registers are "
               f"live up to the next structure ({span:#x} bytes)"
               + (f"; likely {guess[1]} (a guess from its span)" if guess else ""))
        out[i] = c._replace(size=span, certainty=Certainty.UNKNOWN, size_why=why)
    return tuple(out)
