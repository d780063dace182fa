"""How one capability appears in a view (`Layout.cap_views`): what the vfio and guest views
make. The hardware layout has none, so a `show` of the bytes as read never builds its class."""

from __future__ import annotations

from .record import NamedTuple


class CapView(NamedTuple):
    """How one capability appears in a view (vfio, guest): linked or not, and why."""

    visibility: str  # visible | hidden | placeholder | dropped | virtual
    reason: str = ""  # why it is hidden or dropped, in words
    exposed: int = 0  # bytes the layer maps for it (vfio's length, QEMU's size); 0 if none
