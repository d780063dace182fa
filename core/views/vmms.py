"""What each VMM shows its guest of a vfio-pci device, on top of the kernel's view: one
registry entry per VMM (`VMMS`), read from each VMM's own source (the file and function are in
the entry; docs/reference/vmm-guest-views.md summarizes them).

Every VMM reads the device through the vfio config region, so its input is the kernel's view
(`vfio.vfio_view`). How each removes a capability:
- `rebuild` (QEMU, `qemu.py`): the chain is rebuilt from the kept capabilities;
- `id-null` (cloud-hypervisor, openvmm, Firecracker): the chain is kept and the ID bits 15:0
  of a removed capability's header read 0 (version and next kept); Firecracker's
  device-passthrough code also reads its body as 0;
- `relink-zero` (crosvm): the kept capabilities are relinked in address order, a removed
  capability's whole extent reads 0, and a removed head at 0x100 reads ID 0x000C;
- `unlink` (Firecracker's `devices/vfio/pci.rs`): the previous kept header's next pointer
  skips a removed capability, whose header and body stay raw; only a removed head at 0x100
  is overridden (ID 0, version 0, next -> the first kept one).
A removed capability's registers stay live on the device (capslot calls them `masked` where
its header still says ID 0, and `hidden` where it is unlinked or zeroed): never free space.

A VMM that never starts the device says so as a problem of its guest view, never as an ok
view: `vmm_refuses` (a non-endpoint under pci.rs, an I/O BAR under openvmm, no MSI-X or a
256-byte region under Firecracker's PR, a PCI Express device with a 256-byte region under
crosvm) and `vmm_hang` (an unbounded walk around a loop, standard or extended). The fields
`endpoint_only` and `refuses_io_bar` carry two of those refusals as data for other checks.
"""

from __future__ import annotations

import struct

from ..ids import (
    CAP_ID_EXP, CAP_ID_MSIX, CAP_ID_PM, EXT_CAC, EXT_NEXT_MASK, EXT_PASID, ext_next,
)
from ..capview import CapView
from ..layout import Kind, Layout
from ..record import field, record, replace
from ..registry import Space
from ..space import CONFIG_SIZE, STD_SIZE
from ..walk import STATUS_CAP_LIST, Problem, follow
from .model import recolour, with_bytes
from .qemu import guest_view as qemu_view
from .removals import REMOVED, REMOVES
from .walks import EXT_WALKS, STD_WALKS

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:  # annotations only
    from . import QemuOptions

E = Space.EXTENDED
CAC = EXT_CAC
NAMES = {cap_id: r.name for cap_id, r in REMOVED.items()}


@record
class Creates:
    """How a VMM synthesizes one virtual capability, as far as its source says."""

    property: str | None  # the option that sets its offset (None: the VMM picks it)
    offsets: tuple[int, ...] = ()  # the only offsets it uses when it picks (empty: not stated)
    how: str = ""  # in words, with the option or the source
    needs: str = ""  # what else must hold for the VMM to create it at all
    state: str = "released"  # released | unverified (not in the source read) | proposed (an
    #                          open pull request: the VMM does not create it)


@record
class Vmm:
    """One VMM's guest view of a vfio-pci device: what it removes and how, what it creates."""

    name: str
    label: str
    style: str  # rebuild | id-null | relink-zero | unlink
    removes: frozenset[int]  # extended capability IDs it hides from the guest (removals.REMOVES)
    needs: tuple[int, ...]  # standard capabilities the kernel must show for it to act
    zero_body: bool  # a removed capability's body reads 0
    source: str  # file and function, and the revision read
    verified: bool = True  # False: modelled from the reference page, not from source
    creates: dict[str, Creates] = field(default_factory=dict)  # vcap template name -> how
    notes: tuple[str, ...] = field(default=())
    requires: tuple[int, ...] = ()  # standard capabilities without which it refuses the device
    endpoint_only: bool = False  # refuses any function whose header type is not 0
    refuses_io_bar: bool = False  # refuses a device with an I/O (PIO) BAR
    # what a register above a 256-byte vfio config region reads: None the kernel's bytes,
    # else this value; `small_region_refused` when the VMM refuses such a device instead
    above_region: int | None = None
    small_region_refused: str = ""
    # bounded | unbounded-listed (QEMU) | unbounded-masked (cloud-hypervisor) | unbounded-raw
    # (crosvm): how its standard-chain walk ends, and so whether a loop hangs it
    std_walk: str = "bounded"

    @property
    def walk_bound(self) -> int | None:
        """Steps its extended walk takes at most (None: none: a loop hangs it); the walk
        itself is its row of `core.views.walks.EXT_WALKS`."""
        return EXT_WALKS[self.name].bound


VMMS: dict[str, Vmm] = {v.name: v for v in (
    Vmm("qemu", "QEMU", "rebuild", REMOVES["qemu"], (CAP_ID_EXP,), False,
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
               "on a PCIe machine bus"),
        std_walk="unbounded-listed"),
    Vmm("cloud-hypervisor", "cloud-hypervisor", "id-null", REMOVES["cloud-hypervisor"],
        (CAP_ID_PM, CAP_ID_EXP), False,
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
        notes=("acts only when the kernel shows both a PM and a PCI Express capability",),
        # read_config_register() -> read_config_dword(): a zeroed buffer that vfio-ioctls'
        # VfioDevice::region_read() leaves untouched past the region (it only warns)
        above_region=0,
        # parse_capabilities(): no bound, stops only at next 0 or next == itself;
        # parse_extended_capabilities(): cap_next = (hdr >> 20) & 0xfff, not aligned
        std_walk="unbounded-masked"),
    Vmm("openvmm", "openvmm", "id-null", REMOVES["openvmm"], (), False,
        "vm/devices/pci/vfio_assigned_device/src/lib.rs discover_capabilities() and its "
        "config patches (main, 2026-08-21)",
        creates={"pasid": Creates(None, (), "PR #4375 (open, Sep 2026) appends a synthetic PASID "
                                  "after the last visible capability, header read-only; its "
                                  "offset rule is not stated; main (1488a37b) has no PASID "
                                  "synthesis", state="proposed")},
        # VfioAssignedPciDevice::new(): anyhow::bail!("PIO BARs are not supported") on any
        # implemented BAR with bit 0 set (openvmm 1488a37b7cfe, lib.rs)
        refuses_io_bar=True,
        # read_phys_config(): a failed read_config() (offset + len > config_size) sets !0
        above_region=0xFFFFFFFF),
    Vmm("firecracker", "Firecracker", "id-null", REMOVES["firecracker"], (CAP_ID_EXP,),
        True,
        "src/vmm/src/vfio.rs vfio_read_extended_caps(), vfio_mask_sriov(), "
        "vfio_mask_resizeable_bar() (device-passthrough PR #6055, 2026-07-24)",
        notes=("guest writes to the masked registers are dropped",
               "refuses a device without MSI-X (VfioError::NoMsixIrq)"),
        requires=(CAP_ID_MSIX,),
        # vfio.rs: the config space is one 4 KiB region_read() into a zeroed array; past a
        # 256-byte region vfio-ioctls 0.8 fails the whole read, so no MSI-X is found
        small_region_refused="its 4 KiB config read fails on a 256-byte region, so it finds "
                             "no MSI-X capability (VfioError::NoMsixIrq)"),
    Vmm("firecracker-vfio", "Firecracker (feature/vfio)", "id-null", REMOVES["firecracker-vfio"],
        (CAP_ID_EXP,), False,
        "src/vmm/src/vfio.rs vfio_read_extended_caps() (branch feature/vfio; PR #6085 reads "
        "the same)"),
    # src/vmm/src/devices/vfio/pci.rs VfioPciDevice::with_io(), hide_extended_capabilities(),
    # virtual_config_byte(), read_config_register() (firecracker-microvm/firecracker
    # fa70b54b9a15c0437dbd66b091817aa99495279b): the walk runs whenever the region is larger
    # than 256 bytes (no PCI Express condition), at most EXTENDED_CAPABILITY_TTL = 480 steps
    Vmm("firecracker-unlink", "Firecracker (pci.rs)", "unlink",
        REMOVES["firecracker-unlink"], (), False,
        "src/vmm/src/devices/vfio/pci.rs with_io(), hide_extended_capabilities(), "
        "virtual_config_byte(), read_config_register() (fa70b54b9a15)", verified=True,
        notes=("refuses any function whose header type is not 0 (VfioPciError::NotAnEndpoint)",
               "a removed capability's header and body stay raw; only a removed head at 0x100 "
               "is overridden"),
        endpoint_only=True, above_region=0xFFFFFFFF),
    Vmm("crosvm", "crosvm", "relink-zero", REMOVES["crosvm"], (CAP_ID_EXP,),
        True, "devices/src/pci/vfio_pci.rs VfioPciDevice::new(), is_skipped_ext_cap(), "
        "read_config_register() (main, 2026-08-21)",
        notes=("guest writes to a removed capability's extent are dropped",),
        # VfioPciDevice::new(): the standard walk has no bound and no mask (crosvm f1e797a68dad)
        std_walk="unbounded-raw"),
)}


def _u32(data: bytes | bytearray, pos: int) -> int:
    return struct.unpack_from("<I", data, pos)[0] if 0 <= pos <= CONFIG_SIZE - 4 else 0


def _body_dwords(vmm: Vmm, data: bytes, off: int, cap_id: int, extent: int) -> int:
    """How many bytes after the header a VMM zeroes for a removed capability."""
    if vmm.style == "relink-zero":
        return extent - 4
    removed = REMOVED.get(cap_id)
    if removed is not None and removed.fixed:  # ARI, SR-IOV: the whole structure
        return removed.smallest - 4
    nbar = min(max((_u32(data, off + 8) >> 5) & 7, 1), 6)  # vfio_mask_resizeable_bar()
    return 8 * nbar


def _std_loop(vmm: Vmm, data: bytes) -> int | None:
    """Where an unbounded standard-chain walk (its row of `STD_WALKS`) comes back to a
    capability it has read (the VMM never returns from device set-up), or None."""
    if vmm.std_walk == "bounded":
        return None
    needs_list, rule = STD_WALKS[vmm.std_walk]
    if needs_list and not data[0x06] & STATUS_CAP_LIST:
        return None
    trail = follow(data, rule, data[0x34])
    return trail.pointer if trail.loops else None


def _io_bar(data: bytes) -> int | None:
    """The first implemented I/O BAR of the header, as openvmm's BAR loop meets it."""
    bar, nbars = 0, {0: 6, 1: 2}.get(data[0x0E] & 0x7F, 0)
    while bar < nbars:
        value = _u32(data, 0x10 + 4 * bar)
        if value & 1:
            return bar
        bar += 2 if value & 7 == 4 else 1
    return None


def _pci_rs(data: bytes, region: int) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Firecracker src/vmm/src/devices/vfio/pci.rs (fa70b54b9a15): with_io()'s extended walk
    and hide_extended_capabilities()'s overrides, both as (offset, header) in walk order.

    with_io(): only when the config region is larger than 256 bytes; from 0x100 at most
    EXTENDED_CAPABILITY_TTL = 480 steps (no cycle check: a loop repeats entries); stop at a
    header of 0 or 0xFFFFFFFF; next = (header >> 20) & 0xffc; stop when next < 0x100.
    hide_extended_capabilities(): a hidden entry is overridden only at index 0, as
    next_visible << 20; a kept entry whose next differs from the next visible one gets
    (header & 0x000fffff) | next << 20. virtual_config_byte() takes the first override."""
    ecaps: list[tuple[int, int]] = []
    if region > STD_SIZE:
        walked = follow(data, EXT_WALKS["firecracker-unlink"], STD_SIZE)
        ecaps = list(zip(walked.offsets, walked.headers, strict=True))
    hidden = VMMS["firecracker-unlink"].removes

    def next_visible(start: int) -> int:
        return next((o for o, h in ecaps[start:] if h & 0xFFFF not in hidden), 0)

    overrides: list[tuple[int, int]] = []
    for i, (pos, header) in enumerate(ecaps):
        nxt = next_visible(i + 1)
        if header & 0xFFFF in hidden:
            if i == 0:
                overrides.append((pos, nxt << 20))
        elif ext_next(header) != nxt:
            overrides.append((pos, (header & 0x000FFFFF) | nxt << 20))
    return ecaps, overrides


def _refusal(vmm: Vmm, kernel: Layout, shown: set[int], readable: bool) -> str | None:
    """Why this VMM refuses the device at creation (no guest ever sees it), or None."""
    data = kernel.space.data
    if vmm.endpoint_only and data[0x0E] & 0x7F:
        return (f"it passes through only PCI endpoints (header type {data[0x0E] & 0x7F:#x}; "
                "VfioPciError::NotAnEndpoint)")
    if vmm.refuses_io_bar and (bar := _io_bar(data)) is not None:
        return f"BAR {bar} is an I/O BAR (\"PIO BARs are not supported\")"
    if not readable and vmm.small_region_refused:
        return vmm.small_region_refused
    if not readable and vmm.name == "crosvm" and CAP_ID_EXP in shown:
        # crosvm devices/src/vfio.rs VfioDevice::region_read() panics past the region, and
        # VfioPciDevice::new() reads 0x100 of a PCI Express device
        return "it reads 0x100 of a 256-byte config region at device start, and " \
               "region_read() panics"
    missing = [n for n in vmm.requires if n not in shown]
    if missing:
        return ("it needs an MSI-X capability (VfioError::NoMsixIrq)" if missing == [CAP_ID_MSIX]
                else "a capability it needs is missing")
    return None


def guest_view(kernel: Layout, vmm_name: str, opts: QemuOptions) -> Layout:
    """The named VMM's guest view of a device whose kernel view is `kernel`."""
    vmm = VMMS[vmm_name]
    if vmm.style == "rebuild":
        layout = qemu_view(kernel, opts)
        loop_at = _std_loop(vmm, kernel.space.data)
        if loop_at is None:
            return layout
        return replace(layout, problems=layout.problems + (Problem(
            "vmm_hang", loop_at, f"{vmm.label} would hang at device start: the standard "
            f"capability chain loops back to {loop_at:#04x}, and vfio_std_cap_max_size() walks "
            "it without a bound", Space.STANDARD),))
    cs = kernel.space
    data = bytearray(cs.data)
    caps = kernel.capabilities
    views = list(kernel.cap_views)
    problems = list(kernel.problems)
    shown = {c.id for i, c in enumerate(caps) if c.space is Space.STANDARD
             and kernel.visibility(i) == "visible"}
    # above a 256-byte vfio region there is nothing to read (openvmm's probe of 0x100 fails)
    region = kernel.config_size if cs.has(STD_SIZE, 4) else STD_SIZE
    readable = region > STD_SIZE
    why = _refusal(vmm, kernel, shown, readable)
    if why:
        problems.append(Problem("vmm_refuses", STD_SIZE, f"{vmm.label} refuses this device: "
                                + why, E))
    loop_at = _std_loop(vmm, cs.data)
    if loop_at is not None:
        problems.append(Problem("vmm_hang", loop_at, f"{vmm.label} would hang at device start: "
                                f"the standard capability chain loops back to {loop_at:#04x}, "
                                "and its walk has no bound", Space.STANDARD))
    trail = follow(cs.data, EXT_WALKS[vmm.name], STD_SIZE) if readable else None
    chain, hangs = (list(trail.offsets), trail.loops) if trail else ([], False)
    acts = all(n in shown for n in vmm.needs)
    if hangs and acts:
        problems.append(Problem("vmm_hang", chain[-1], f"{vmm.label} would hang at device "
                                "start: the extended chain the kernel shows loops, and its walk "
                                "has no bound", E))
    by_offset = {c.offset: i for i, c in enumerate(caps) if c.space is E}
    if vmm.style == "unlink":
        ecaps, overrides = _pci_rs(cs.data, region)
        removed = sorted({o for o, h in ecaps if h & 0xFFFF in vmm.removes})
        for pos, header in reversed(overrides):  # the first override of an offset wins
            struct.pack_into("<I", data, pos, header)
    else:
        removed = [off for off in chain if acts and _u32(cs.data, off) & 0xFFFF in vmm.removes]
    if vmm.style == "relink-zero" and acts and chain:  # crosvm relinks even when none is removed
        _relink_zero(data, cs.data, chain, removed)
    elif vmm.style == "id-null":
        for off in removed:
            cap_id = _u32(cs.data, off) & 0xFFFF
            reg = off & ~3  # cloud-hypervisor patches reg_idx = offset / 4
            struct.pack_into("<I", data, reg, _u32(cs.data, reg) & 0xFFFF0000)
            if vmm.zero_body:
                extent = min([o for o in chain if o > off] + [CONFIG_SIZE]) - off
                n_body = min(_body_dwords(vmm, cs.data, off, cap_id, extent), CONFIG_SIZE - off - 4)
                data[off + 4:off + 4 + n_body] = bytes(n_body)
    if not readable and vmm.above_region is not None:
        data[STD_SIZE:] = vmm.above_region.to_bytes(4, "little") * ((len(data) - STD_SIZE) // 4)
    for off in removed:
        i = by_offset.get(off)
        if i is None:
            continue
        name = NAMES.get(caps[i].id, caps[i].name)
        how = {"id-null": f"{vmm.label} masks {name}: its ID reads 0, the chain passes through it"
                          + (" and its body reads 0" if vmm.zero_body else "; its registers are raw"),
               "unlink": f"{vmm.label} unlinks {name}: the chain skips it"
                         + (" (its head reads ID 0, next -> the first kept one)"
                            if off == STD_SIZE else "; its header and registers read raw"),
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
                  access=kernel.access, profile=f"{kernel.profile}, {vmm.name}",
                  config_size=kernel.config_size)


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
        struct.pack_into("<I", data, off, (_u32(kernel_bytes, off) & ~(EXT_NEXT_MASK << 20)) | nxt << 20)


# ---------------------------------------------------------------- one byte, as each VMM handles it

@record
class ByteHandling:
    """What a VMM does with guest accesses to one config byte, by the rules above.

    reads: `passed through` (the kernel's byte, through the vfio region), `emulated` (a value
    the VMM makes: a rewritten pointer or ID, a capability it synthesizes, a fill above a
    256-byte region) or `hidden` (reads 0: the VMM removed what is there).
    writes: `forwarded` (to vfio-pci, where the kernel decides) or `dropped`; None where the
    source read does not say."""

    reads: str
    writes: str | None
    text: str


FORWARDED = "guest writes go on to vfio-pci"


def byte_handling(layout: Layout, offset: int, vmm_name: str) -> ByteHandling:
    """What `vmm_name` does with the byte at `offset` of its guest view `layout` (the one
    place the explorer and `capslot explain` take this from)."""
    vmm = VMMS[vmm_name]
    r = layout.region_at(offset)
    i = r.capability
    cap = layout.capabilities[i] if i is not None else None
    rel = offset - cap.offset if cap is not None else -1
    if vmm.style == "rebuild":
        return _qemu_byte(layout, r.kind, cap, rel, i)
    label = vmm.label
    if r.kind is Kind.VIRTUAL and cap is not None:
        how = vmm.creates.get("pasid") if cap.space is E and cap.id == EXT_PASID else None
        if how is not None and how.state == "released":
            return ByteHandling("emulated", None, f"{label} synthesizes this capability: {how.how}")
        why = f" ({how.state}: {how.how})" if how is not None else ""
        return ByteHandling("passed through", "forwarded",
                            f"{label} does not synthesize this capability{why}: the guest reads "
                            f"the device's byte here; {FORWARDED}")
    if offset >= STD_SIZE and layout.config_size <= STD_SIZE and vmm.above_region is not None:
        return ByteHandling("emulated", None, f"above the 256-byte vfio config region {label} reads "
                            f"{vmm.above_region:#x} here")
    if cap is not None and cap.space is E and cap.id in vmm.removes and layout.visibility(i) != "visible":
        return _removed_byte(vmm, layout, cap, rel)
    if cap is not None and cap.space is E and 2 <= rel < 4:
        if vmm.style == "relink-zero":
            return ByteHandling("emulated", "forwarded", f"{label} relinks the kept capabilities in "
                                f"address order: it makes this next pointer; {FORWARDED}")
        if vmm.style == "unlink" and _before_removed(vmm, layout, cap.offset):
            return ByteHandling("emulated", "forwarded", f"{label} rewrites this next pointer to "
                                f"skip the removed capability after it; {FORWARDED}")
    return ByteHandling("passed through", "forwarded",
                        f"{label} reads it from vfio-pci (passed through); {FORWARDED}")


def _removed_byte(vmm: Vmm, layout: Layout, cap, rel: int) -> ByteHandling:
    """A byte of a capability the VMM removes (see the module's docstring, per style)."""
    label, name = vmm.label, NAMES.get(cap.id, cap.name)
    dropped = "guest writes here are dropped"
    if vmm.style == "relink-zero":
        if cap.offset == STD_SIZE and rel < 4:
            return ByteHandling("emulated", "dropped", f"{label} removed {name}, the head: its "
                                f"header reads ID 0x000c, next -> the first kept one; {dropped}")
        return ByteHandling("hidden", "dropped", f"{label} removed {name}: its whole extent reads 0; "
                            + dropped)
    if vmm.style == "unlink":
        if cap.offset == STD_SIZE and rel < 4:
            return ByteHandling("emulated", "forwarded", f"{label} removed {name}, the head: it reads "
                                f"ID 0, version 0, next -> the first kept one; {FORWARDED}")
        return ByteHandling("passed through", "forwarded", f"{label} unlinked {name} (the chain skips "
                            f"it); its header and registers read raw from vfio-pci; {FORWARDED}")
    # id-null: the ID bits 15:0 of the header read 0, version and next kept
    if rel < 2:
        return ByteHandling("emulated", "forwarded" if not vmm.zero_body else "dropped",
                            f"{label} masks {name}: its ID reads 0 (the chain passes through it)")
    if rel < 4:
        return ByteHandling("passed through", "forwarded" if not vmm.zero_body else "dropped",
                            f"{label} masks {name}: its version and next pointer read raw")
    body = _body_dwords(vmm, layout.space.data, cap.offset, cap.id, cap.size) if vmm.zero_body else 0
    if rel - 4 < body:
        return ByteHandling("hidden", "dropped", f"{label} masks {name}: its body reads 0; {dropped}")
    return ByteHandling("passed through", "forwarded", f"{label} masks {name} by its ID only: this "
                        f"register reads raw from vfio-pci; {FORWARDED}")


def _before_removed(vmm: Vmm, layout: Layout, offset: int) -> bool:
    """The extended capability at `offset` links, in the kernel's chain, to one the VMM
    removes (pci.rs then overrides its next pointer)."""
    ext = [c for c in layout.capabilities if c.space is E]  # in the order the chain reads
    at = next((n for n, c in enumerate(ext) if c.offset == offset), None)
    return at is not None and at + 1 < len(ext) and ext[at + 1].id in vmm.removes


def _qemu_byte(layout: Layout, kind: Kind, cap, rel: int, index: int | None) -> ByteHandling:
    """QEMU (hw/vfio/pci.c): reads pass through except what it emulates; every guest write is
    forwarded to vfio-pci as well (vfio_pci_write_config())."""
    forwarded = "QEMU forwards every guest write to vfio-pci as well"
    if kind is Kind.VIRTUAL:
        return ByteHandling("emulated", "forwarded", "QEMU emulates this virtual capability's "
                            f"reads; {forwarded}, so the kernel decides")
    if index is not None and layout.visibility(index) == "dropped":
        return ByteHandling("passed through", "forwarded", "QEMU unlinked this capability; reads "
                            "and writes still pass through to vfio-pci")
    if cap is not None and cap.space is E and 0 <= rel < 4:
        return ByteHandling("emulated", "forwarded", f"QEMU emulates this header's next pointer; {forwarded}")
    if cap is not None and cap.space is Space.STANDARD and rel == 1:
        return ByteHandling("emulated", "forwarded",
                            f"QEMU emulates the next pointer (it rebuilds the chain); {forwarded}")
    return ByteHandling("passed through", "forwarded", f"QEMU passes reads through to vfio-pci; {forwarded}")
