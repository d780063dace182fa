"""What every view shares, below the views themselves (so `vfio`, `qemu` and `vmms` import
this and never their package): the access class of a byte, a view's regions recoloured by
what it unlinks, and a config space with a view's bytes."""

from __future__ import annotations

from ..choices import IntChoice

from ..layout import Kind, Region
from ..space import ConfigSpace

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from ..capview import CapView


class Access(IntChoice):
    """What happens to a guest's access of one byte, as vfio-pci dispatches it."""

    VIRTUALIZED = 1  # served from vfio's virtual config (reads emulated, writes kept there)
    READ_ONLY = 2  # reads come from the device, writes are dropped
    WRITABLE = 3  # writes to defined register bits reach the device
    RAW = 4  # unassigned or hidden: reads and writes go straight to the device

    @property
    def label(self) -> str:
        return ACCESS_LABELS[self]

    @property
    def reaches_device(self) -> bool:
        return self in (Access.WRITABLE, Access.RAW)


ACCESS_LABELS = {
    Access.VIRTUALIZED: "virtualized", Access.READ_ONLY: "read-only",
    Access.WRITABLE: "writable to hardware", Access.RAW: "raw (reads and writes reach the device)",
}


def recolour(regions: tuple[Region, ...], cap_views: tuple[CapView, ...],
             offsets: list[int]) -> tuple[Region, ...]:
    """Regions of a view: the extents of capabilities the view unlinks become `hidden`
    (their bytes remain); a placeholder keeps its 4-byte header as the capability."""
    out: list[Region] = []
    for r in regions:
        if r.capability is None or r.kind is not Kind.CAPABILITY:
            out.append(r)
            continue
        vis = cap_views[r.capability].visibility
        if vis in ("hidden", "dropped"):
            out.append(r._replace(kind=Kind.HIDDEN))
        elif vis == "masked":
            out.append(r._replace(kind=Kind.MASKED))
        elif vis == "placeholder":
            head_end = min(r.end, offsets[r.capability] + 4)
            out.append(r._replace(end=head_end))
            if head_end < r.end:
                out.append(Region(head_end, r.end, Kind.HIDDEN, r.capability))
        else:
            out.append(r)
    return tuple(out)


def with_bytes(cs: ConfigSpace, data: bytearray) -> ConfigSpace:
    return ConfigSpace(bytes(data), cs.available, cs.provenance)
