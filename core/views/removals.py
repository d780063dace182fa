"""What each layer of passthrough removes from the extended chain, in one table.

- vfio-pci hides every extended capability it has no length for (`pci_ext_cap_length[]`,
  `vfio.ext_length`): that depends on the kernel flavour, so it is a function of it here
  (`vfio_hides`), not a list;
- QEMU drops ID 0 (the kernel's placeholder), SR-IOV and ARI always, ATS with `ats=off` and a
  Resizable BAR whose current size its emulation cannot report (`qemu.py`);
- every other VMM removes a fixed set (`REMOVES`, read from each one's source: the file and
  function are in its entry of `core.views.vmms.VMMS`).

`REMOVED` names the capabilities VMMs remove and the smallest each can be (PCIe 6.3 §7.8.7
ARI, §9.3.3 SR-IOV, §7.8.6 Resizable BAR with one BAR): a guest dump's masked span is guessed
by them (core.capture).
"""

from __future__ import annotations

from ..ids import EXT_ARI, EXT_REBAR, EXT_SRIOV, EXT_VF_REBAR

from ..record import NamedTuple

TYPE_CHECKING = False  # `typing` costs start-up (core/record.py): annotations only
if TYPE_CHECKING:
    from .kernels import KernelProfile

ARI, SRIOV, REBAR, VF_REBAR = EXT_ARI, EXT_SRIOV, EXT_REBAR, EXT_VF_REBAR


class Removed(NamedTuple):
    name: str
    smallest: int  # bytes: ARI and SR-IOV have one size; a (VF) Resizable BAR 4 + 8 per BAR
    fixed: bool  # its size is always `smallest`


REMOVED: dict[int, Removed] = {
    ARI: Removed("ARI", 8, True),
    SRIOV: Removed("SR-IOV", 0x40, True),
    REBAR: Removed("Resizable BAR", 0xC, False),
    VF_REBAR: Removed("VF Resizable BAR", 0xC, False),
}

# What QEMU always drops, and why (hw/vfio/pci.c vfio_add_ext_cap()); it also drops ATS with
# ats=off and a Resizable BAR whose current size is > 27 (qemu.py `_drop_reason` decides).
QEMU_DROPS: dict[int, str] = {
    0x00: "QEMU drops an ID-0 (masked) capability",
    SRIOV: "QEMU drops SR-IOV (read-only VF BARs confuse OVMF)",
    ARI: "QEMU drops ARI (it needs next-function virtualization)",
}

# The extended IDs each VMM removes from the guest's chain.
REMOVES: dict[str, frozenset[int]] = {
    "qemu": frozenset(QEMU_DROPS),
    "cloud-hypervisor": frozenset({ARI, REBAR, SRIOV}),
    "openvmm": frozenset({SRIOV, ARI, REBAR}),
    "firecracker": frozenset({ARI, REBAR, SRIOV}),
    "firecracker-vfio": frozenset({ARI, REBAR, SRIOV}),
    "firecracker-unlink": frozenset({SRIOV, ARI, REBAR, VF_REBAR}),
    "crosvm": frozenset({ARI, SRIOV, REBAR}),
}


def vfio_hides(cap_id: int, profile: KernelProfile) -> bool:
    """Whether vfio-pci under this kernel flavour hides the extended ID whatever its bytes
    say (it has no length for it; a computed length of 0 hides one device's too)."""
    from .vfio import no_length  # deliberately lazy: vfio's tables load only when asked

    return bool(no_length(cap_id, profile))
