"""What each VMM shows its guest of a vfio-pci device, on top of the kernel's view: one
registry entry per VMM (`VMMS`), read from each VMM's own source (the file and function are in
the entry; ../shared/reference/vmm-guest-views.md summarizes them).

Every VMM reads the device through the vfio config region, so its input is the kernel's view
(`vfio.vfio_view`). How each removes a capability:
- `rebuild` (QEMU, `qemu.py`): the chain is rebuilt from the kept capabilities;
- `id-null` (cloud-hypervisor, openvmm, Firecracker): the chain is kept and the ID bits 15:0
  of a removed capability's header read 0 (version and next kept); Firecracker's
  device-passthrough code also reads its body as 0;
- `relink-zero` (crosvm): the kept capabilities are relinked in address order, a removed
  capability's whole extent reads 0, and a removed head at 0x100 reads ID 0x000C;
- `unlink` (Firecracker's newer PCI code, from the reference page: the previous next pointer
  skips a removed capability, whose body reads 0).
A removed capability's registers stay live on the device (capslot calls them `masked` where
its header still says ID 0, and `hidden` where it is unlinked or zeroed): never free space.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ..ids import (
    CAP_ID_EXP, CAP_ID_MSIX, CAP_ID_PM, EXT_ARI, EXT_CAC, EXT_REBAR, EXT_SRIOV, EXT_VF_REBAR,
    set_ext_next,
)
from ..layout import CapView, Layout
from ..registry import Space
from ..space import CONFIG_SIZE, STD_SIZE
from ..walk import Problem
from . import QemuOptions, recolour, with_bytes

E = Space.EXTENDED
ARI, SRIOV, REBAR, VF_REBAR, CAC = EXT_ARI, EXT_SRIOV, EXT_REBAR, EXT_VF_REBAR, EXT_CAC
NAMES = {ARI: "ARI", SRIOV: "SR-IOV", REBAR: "Resizable BAR", VF_REBAR: "VF Resizable BAR"}


@dataclass(frozen=True, slots=True)
class Creates:
    """How a VMM synthesizes one virtual capability, as far as its source says."""

    property: str | None  # the option that sets its offset (None: the VMM picks it)
    offsets: tuple[int, ...] = ()  # the only offsets it uses when it picks (empty: not stated)
    how: str = ""  # in words, with the option or the source
    needs: str = ""  # what else must hold for the VMM to create it at all
    state: str = "released"  # released | unverified (not in the source read) | proposed (an
    #                          open pull request: the VMM does not create it)


@dataclass(frozen=True, slots=True)
class Vmm:
    """One VMM's guest view of a vfio-pci device: what it removes and how, what it creates."""

    name: str
    label: str
    style: str  # rebuild | id-null | relink-zero | unlink
    removes: frozenset[int]  # extended capability IDs it hides from the guest
    needs: tuple[int, ...]  # standard capabilities the kernel must show for it to act
    walk_bound: int | None  # steps its extended walk takes at most (None: none: a loop hangs it)
    zero_body: bool  # a removed capability's body reads 0
    source: str  # file and function, and the revision read
    verified: bool = True  # False: modelled from the reference page, not from source
    creates: dict[str, Creates] = field(default_factory=dict)  # vcap template name -> how
    notes: tuple[str, ...] = field(default=())
    requires: tuple[int, ...] = ()  # standard capabilities without which it refuses the device


VMMS: dict[str, Vmm] = {v.name: v for v in (
    Vmm("qemu", "QEMU", "rebuild", frozenset({0x00, SRIOV, ARI}), (CAP_ID_EXP,), None, False,
        "hw/vfio/pci.c vfio_add_ext_cap(), vfio_ext_cap_max_size(), vfio_setup_rebar_ecap(); "
        "hw/pci/pcie.c pcie_insert_capability() (legoater/qemu, QEMU 11.x)",
        creates={
            # vfio_pci_synthesize_pasid_cap(): x-vpasid-cap-offset, 0 meaning 0xff8
            "pasid": Creates("x-vpasid-cap-offset", (), "x-vpasid-cap-offset=OFFSET (QEMU 11; 0 "
                             "or unset means 0xff8)",
                             "QEMU synthesizes it only with the iommufd backend (the host "
                             "IOMMU reports a PASID width), a vIOMMU with PASID support "
                             "(VIOMMU_FLAG_PASID_SUPPORTED: arm-smmuv3 with ssidsize, or an "
                             "intel-iommu with PASID), a PCI Express device whose config region is "
                             "4 KiB, on a PCIe machine bus (q35, virt)"),
            # vfio_add_nv_gpudirect_cap(): 0xc8, else 0xd4 when a capability is there
            "std:gpudirect": Creates(None, (0xC8, 0xD4), "x-nv-gpudirect-clique=N; QEMU puts it "
                                     "at 0xc8, or 0xd4 when 0xc8 is taken"),
            # vfio_add_vmd_shadow_cap(): Intel VMD devices, at 0xe8
            "std:vmd": Creates(None, (0xE8,), "added by QEMU itself for Intel VMD devices, at 0xe8"),
        },
        notes=("also drops ATS with ats=off, and Resizable BAR when a current size is > 27",
               "vPASID needs the iommufd backend and a vIOMMU with PASID support "
               "(VIOMMU_FLAG_PASID_SUPPORTED), a PCI Express device with a 4 KiB config region, "
               "on a PCIe machine bus")),
    Vmm("cloud-hypervisor", "cloud-hypervisor", "id-null", frozenset({ARI, REBAR, SRIOV}),
        (CAP_ID_PM, CAP_ID_EXP), None, False,
        "pci/src/vfio.rs parse_capabilities(), parse_extended_capabilities(), "
        "read_config_register() (main, 2026-08-20)",
        creates={
            "pasid": Creates(None, (0xFF8,), "PR #8790 (reported merged Aug 2026; not in the "
                             "source read, ae44c297 of 2026-08-22): extra extended capabilities "
                             "on a VFIO device; its tests put PASID at 0xff8; no user-facing "
                             "offset option is documented", state="unverified"),
            # add_nv_gpudirect_clique_cap(): always 0xd4
            "std:gpudirect": Creates(None, (0xD4,), "x_nv_gpudirect_clique=N; cloud-hypervisor "
                                     "puts it at 0xd4"),
        },
        notes=("acts only when the kernel shows both a PM and a PCI Express capability",)),
    Vmm("openvmm", "openvmm", "id-null", frozenset({SRIOV, ARI, REBAR}), (), 256, False,
        "vm/devices/pci/vfio_assigned_device/src/lib.rs discover_capabilities() and its "
        "config patches (main, 2026-08-21)",
        creates={"pasid": Creates(None, (), "PR #4375 (open, Sep 2026) appends a synthetic PASID "
                                  "after the last visible capability, header read-only; its "
                                  "offset rule is not stated; main (1488a37b) has no PASID "
                                  "synthesis", state="proposed")}),
    Vmm("firecracker", "Firecracker", "id-null", frozenset({ARI, REBAR, SRIOV}), (CAP_ID_EXP,),
        1024, True,
        "src/vmm/src/vfio.rs vfio_read_extended_caps(), vfio_mask_sriov(), "
        "vfio_mask_resizeable_bar() (device-passthrough PR #6055, 2026-07-24)",
        notes=("guest writes to the masked registers are dropped",
               "refuses a device without MSI-X (VfioError::NoMsixIrq)"),
        requires=(CAP_ID_MSIX,)),
    Vmm("firecracker-vfio", "Firecracker (feature/vfio)", "id-null", frozenset({ARI, REBAR, SRIOV}),
        (CAP_ID_EXP,), 1024, False,
        "src/vmm/src/vfio.rs vfio_read_extended_caps() (branch feature/vfio; PR #6085 reads "
        "the same)"),
    Vmm("firecracker-unlink", "Firecracker (newer PCI code)", "unlink",
        frozenset({SRIOV, ARI, REBAR, VF_REBAR}), (CAP_ID_EXP,), 1024, True,
        "src/vmm/src/devices/vfio/pci.rs (a revision of PR #6085 that the stored sources do "
        "not hold)", verified=False,
        notes=("modelled from ../shared/reference/vmm-guest-views.md only",)),
    Vmm("crosvm", "crosvm", "relink-zero", frozenset({ARI, SRIOV, REBAR}), (CAP_ID_EXP,), None,
        True, "devices/src/pci/vfio_pci.rs VfioPciDevice::new(), is_skipped_ext_cap(), "
        "read_config_register() (main, 2026-08-21)",
        notes=("guest writes to a removed capability's extent are dropped",)),
)}


def _u32(data: bytes | bytearray, pos: int) -> int:
    return struct.unpack_from("<I", data, pos)[0] if 0 <= pos <= CONFIG_SIZE - 4 else 0


def _walk(vmm: Vmm, data: bytes) -> tuple[list[int], bool]:
    """The extended chain as this VMM walks the kernel's bytes from 0x100, and whether it
    never ends (a loop, and no bound on the walk)."""
    out: list[int] = []
    seen: set[int] = set()
    pos = STD_SIZE
    bound = vmm.walk_bound or (CONFIG_SIZE - STD_SIZE) // 4 + 1
    while pos and len(out) < bound:
        if pos > CONFIG_SIZE - 4 or pos < STD_SIZE:
            break  # (below 0x100 a VMM would read the standard header as a capability: not modelled)
        header = _u32(data, pos)
        if not header:
            break
        if pos in seen and vmm.walk_bound is None:
            return out, True
        seen.add(pos)
        out.append(pos)
        raw = (header >> 20) & 0xFFF
        if vmm.name == "openvmm" and raw and (raw < STD_SIZE or raw & 3):
            break  # discover_capabilities() aborts on a malformed next pointer
        pos = raw & 0xFFC
    return out, False


def _body_dwords(vmm: Vmm, data: bytes, off: int, cap_id: int, extent: int) -> int:
    """How many bytes after the header a VMM zeroes for a removed capability."""
    if vmm.style == "relink-zero":
        return extent - 4
    if cap_id == ARI:
        return 4
    if cap_id == SRIOV:
        return 0x3C
    nbar = min(max((_u32(data, off + 8) >> 5) & 7, 1), 6)  # vfio_mask_resizeable_bar()
    return 8 * nbar


def guest_view(kernel: Layout, vmm_name: str, opts: QemuOptions) -> Layout:
    """The named VMM's guest view of a device whose kernel view is `kernel`."""
    vmm = VMMS[vmm_name]
    if vmm.style == "rebuild":
        from .qemu import guest_view as qemu_view

        return qemu_view(kernel, opts)
    cs = kernel.space
    data = bytearray(cs.data)
    caps = kernel.capabilities
    views = list(kernel.cap_views)
    problems = list(kernel.problems)
    shown = {c.id for i, c in enumerate(caps) if c.space is Space.STANDARD
             and kernel.visibility(i) == "visible"}
    # above a 256-byte vfio region there is nothing to read (openvmm's probe of 0x100 fails)
    readable = cs.has(STD_SIZE, 4) and kernel.config_size > STD_SIZE
    chain, hangs = _walk(vmm, cs.data) if readable else ([], False)
    acts = all(n in shown for n in vmm.needs)
    missing = [n for n in vmm.requires if n not in shown]
    if missing:
        problems.append(Problem("vmm_refuses", STD_SIZE, f"{vmm.label} refuses this device: it "
                                "needs an MSI-X capability (VfioError::NoMsixIrq)"
                                if missing == [CAP_ID_MSIX] else f"{vmm.label} refuses this device", E))
    if hangs and acts:
        problems.append(Problem("vmm_hang", chain[-1], f"{vmm.label} would hang at device "
                                "start: the extended chain the kernel shows loops, and its walk "
                                "has no bound", E))
    by_offset = {c.offset: i for i, c in enumerate(caps) if c.space is E}
    removed = [off for off in chain if acts and _u32(cs.data, off) & 0xFFFF in vmm.removes]
    if vmm.style == "relink-zero" and acts and chain:  # crosvm relinks even when none is removed
        _relink_zero(data, cs.data, chain, removed)
    else:
        for _n, off in enumerate(removed):
            cap_id = _u32(cs.data, off) & 0xFFFF
            if vmm.style == "unlink":
                _unlink(data, chain, removed, off)
            else:
                struct.pack_into("<I", data, off, _u32(data, off) & 0xFFFF0000)
            if vmm.zero_body:
                extent = min([o for o in chain if o > off] + [CONFIG_SIZE]) - off
                n_body = min(_body_dwords(vmm, cs.data, off, cap_id, extent), CONFIG_SIZE - off - 4)
                data[off + 4:off + 4 + n_body] = bytes(n_body)
    for off in removed:
        i = by_offset.get(off)
        if i is None:
            continue
        name = NAMES.get(caps[i].id, caps[i].name)
        how = {"id-null": f"{vmm.label} masks {name}: its ID reads 0, the chain passes through it"
                          + (" and its body reads 0" if vmm.zero_body else "; its registers are raw"),
               "unlink": f"{vmm.label} unlinks {name} and reads its body as 0",
               "relink-zero": f"{vmm.label} skips {name}: its whole extent reads 0"
                              + (" (its header ID 0x000c at the head)" if off == STD_SIZE else "")
               }[vmm.style]
        views[i] = CapView("masked" if vmm.style == "id-null" else "dropped", how)
    if not acts and any(_u32(cs.data, off) & 0xFFFF in vmm.removes for off in chain):
        why = f"{vmm.label} removes nothing here: it acts only when the kernel shows " + " and ".join(
            {CAP_ID_PM: "a PM", CAP_ID_EXP: "a PCI Express"}[n] for n in vmm.needs) + " capability"
        problems.append(Problem("vmm_inactive", STD_SIZE, why, E))
    cap_views = tuple(views)
    return Layout(with_bytes(cs, data), caps, kernel.orphans,
                  recolour(kernel.regions, cap_views, [c.offset for c in caps]),
                  tuple(problems), kernel.pcie, view="guest", cap_views=cap_views,
                  access=kernel.access, profile=f"{kernel.profile}, {vmm.name}")


def _unlink(data: bytearray, chain: list[int], removed: list[int], off: int) -> None:
    """From the reference page: the kept capability before `off` points past it; a removed
    head reads ID 0, version 0, next -> the first kept one; a removed header elsewhere reads 0."""
    after = next((o for o in chain[chain.index(off) + 1:] if o not in removed), 0)
    if off == STD_SIZE:
        struct.pack_into("<I", data, off, after << 20)
        return
    struct.pack_into("<I", data, off, 0)
    before = [o for o in chain[:chain.index(off)] if o not in removed or o == STD_SIZE]
    if before:
        prev = before[-1]
        set_ext_next(data, prev, after)


def _relink_zero(data: bytearray, kernel_bytes: bytes, chain: list[int], removed: list[int]) -> None:
    """crosvm: kept capabilities linked in address order; removed extents read 0; a removed
    head reads ID 0x000C (CAC), version 0, next -> the first kept one."""
    order = sorted(set(chain))
    kept = [o for o in order if o not in removed]
    for n, off in enumerate(order):
        end = order[n + 1] if n + 1 < len(order) else CONFIG_SIZE
        if off in removed:
            if off == STD_SIZE:
                first = kept[0] if kept else 0
                struct.pack_into("<I", data, off, first << 20 | CAC)
                data[off + 4:end] = bytes(end - off - 4)
            else:
                data[off:end] = bytes(end - off)
            continue
        nxt = next((k for k in kept if k > off), 0)  # read_config_register() keeps bits 21:20
        struct.pack_into("<I", data, off, (_u32(kernel_bytes, off) & ~(0xFFC << 20)) | nxt << 20)
