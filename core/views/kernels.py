"""The vfio-pci flavours a view can be computed for (`--kernel`): which extended IDs each
has a length for. Read by the vfio view and by what asks what vfio-pci hides; a `show` of
the bytes as read needs none."""

from __future__ import annotations

from ..record import record


class KernelProfile(metaclass=record):
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
