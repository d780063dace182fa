"""The same device seen through the layers of passthrough (docs/reference/vfio-qemu.md).

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

from ..elsewhere import elsewhere
from ..record import record

from ..layout import Layout, build
from ..space import CONFIG_SIZE

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from .kernels import PROFILES, KernelProfile
    from .model import ACCESS_LABELS, Access, recolour, with_bytes

VIEWS = ("hardware", "vfio", "guest")


ATS_MODES = ("auto", "on", "off")


class QemuOptions(metaclass=record):
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
    from .kernels import PROFILES
    from .vfio import vfio_view  # deliberately lazy, like vmms: `show --json` never loads it

    kernel = vfio_view(hardware, PROFILES[profile], access)
    if name == "vfio":
        return kernel
    if name == "guest":
        from .vmms import guest_view  # deliberately lazy: `show` of the bytes never loads the VMM table

        return guest_view(kernel, vmm, qemu or QemuOptions())
    raise ValueError(f"unknown view {name!r}")


# What the views share (`model`) and the kernel flavours (`kernels`), imported from there when
# first asked for: a `show --json` of the bytes as read needs neither.
_ELSEWHERE = {"ACCESS_LABELS": "model", "Access": "model", "recolour": "model",
              "with_bytes": "model", "KernelProfile": "kernels", "PROFILES": "kernels"}


__getattr__ = elsewhere(globals(), _ELSEWHERE)


__all__ = ["ACCESS_LABELS", "ATS_MODES", "Access", "KernelProfile", "PROFILES", "QemuOptions", "VIEWS", "view",
           "build", "CONFIG_SIZE", "recolour", "with_bytes"]
