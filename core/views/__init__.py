"""The same device seen through the layers of passthrough (../shared/reference/vfio-qemu.md).

- hardware: the bytes as read from sysfs by root (`core.layout.build`);
- vfio: what Linux vfio-pci shows user space (`vfio.vfio_view`): capabilities it unlinks
  (hidden, bytes left raw), the placeholder when the first extended capability is hidden,
  and per byte whether a write reaches the device;
- guest: what a VMM shows the VM on top of that (`vmms.guest_view`: QEMU's in `qemu.py`,
  cloud-hypervisor, openvmm, Firecracker and crosvm in `vmms.py`).

Each view is a pure function of the layer below and of named options (the kernel
flavour, QEMU properties). `view()` picks one by name.
"""

from __future__ import annotations

from ..record import record
from enum import IntEnum

from ..layout import CapView, Kind, Layout, Region, build
from ..space import CONFIG_SIZE, ConfigSpace

VIEWS = ("hardware", "vfio", "guest")


class Access(IntEnum):
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


@record
class KernelProfile:
    """A vfio-pci flavour: which extended IDs it has a length for."""

    name: str
    description: str
    exposes_pasid: bool = False
    exposes_dvsec: bool = True
    ext_cap_id_max: int = 0x31  # PCI_EXT_CAP_ID_MAX of its pci_regs.h


PROFILES: dict[str, KernelProfile] = {
    "upstream": KernelProfile("upstream", "Linux mainline vfio-pci (hides PASID)"),
    "nvidia": KernelProfile("nvidia", "NVIDIA NV-Kernels vfio-pci (exposes PASID, 8 bytes)",
                            exposes_pasid=True),
}


ATS_MODES = ("auto", "on", "off")


@record
class QemuOptions:
    """QEMU vfio-pci properties that change what the guest sees.

    `ats` is QEMU 11.1's on|off|auto (auto, the default, keeps ATS when the kernel shows it;
    off drops it; on fails device start when the kernel shows none)."""

    ats: str = "auto"

    @property
    def text(self) -> str:
        return f"qemu ats={self.ats}"


def view(hardware: Layout, name: str = "hardware", profile: str = "upstream",
         qemu: QemuOptions | None = None, access: bool = True, vmm: str = "qemu") -> Layout:
    """The layout of one device in the named view. `access=False` skips the per-byte
    access classes (a survey reports no raw-write findings and saves the time). The guest
    view is the named VMM's (core.views.vmms.VMMS)."""
    if name == "hardware":
        return hardware
    from .vfio import vfio_view

    kernel = vfio_view(hardware, PROFILES[profile], access)
    if name == "vfio":
        return kernel
    if name == "guest":
        from .vmms import guest_view

        return guest_view(kernel, vmm, qemu or QemuOptions())
    raise ValueError(f"unknown view {name!r}")


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


__all__ = ["ATS_MODES", "Access", "KernelProfile", "PROFILES", "QemuOptions", "VIEWS", "view",
           "build", "CONFIG_SIZE"]
