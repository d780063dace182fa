"""Independent models of what each VMM shows a guest of a vfio-pci device's extended
config space (0x100-0xFFF), each written from that VMM's own source.

These are test oracles: they never import capslot's guest views. Each model is a
simulation of the VMM's set-up walk (what it decides at device creation) and of its
per-register read path (what a guest config read returns), in the VMM's own terms. The
input is what user space reads from the vfio-pci config region (capslot's vfio view,
which models the kernel, is the input layer) and the size of that region; the output is
the 4096 bytes the guest reads. The standard space (0x00-0xFF) is passed through: these
models only speak for 0x100-0xFFF.

Revisions read (git mirrors under /work/.mirror, or the stored public copies):
- cloud-hypervisor  ae44c2971c83 (main, 2026-08-22)  pci/src/vfio.rs
- openvmm           1488a37b7cfe (main, 2026-08-21)  vm/devices/pci/vfio_assigned_device/src/lib.rs
- crosvm            f1e797a68dad (main, 2026-08-21)  devices/src/pci/vfio_pci.rs
- Firecracker       8c8fc631ae22 (feature/vfio)         src/vmm/src/vfio.rs  ("firecracker-vfio")
                    85c8fe03bcb1 (refs/pull/6055/head)  src/vmm/src/vfio.rs  ("firecracker")
                    fa70b54b9a15 (stored public copy)   src/vmm/src/devices/vfio/pci.rs
                                                        ("firecracker-unlink")
- rust-vmm vfio-ioctls 0.8 VfioDevice::region_read() (cloud-hypervisor, Firecracker): a read
  past the region only warns, so the buffer keeps its 0s.
- QEMU              legoater/qemu 0bdfd5427037 hw/vfio/pci.c, hw/pci/pcie.c
- Linux             drivers/pci/probe.c pci_cfg_space_size() for the region size.

A VMM whose set-up never returns on some bytes (an unbounded walk around a cycle) raises
`VmmHangs`; QEMU's `assert()`s raise `VmmAborts`; a VMM that refuses the device raises
`VmmRefuses`. In all three cases there is no guest view to compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

CONFIG_SIZE = 0x1000
EXT = 0x100  # PCI_CONFIG_SPACE_SIZE / PCI_CFG_SPACE_SIZE
REGS = CONFIG_SIZE // 4

# Extended capability IDs (include/uapi/linux/pci_regs.h)
ARI, ATS, SRIOV, REBAR, PASID, CAC = 0x0E, 0x0F, 0x10, 0x15, 0x1B, 0x0C
# Standard capability IDs
CAP_PM, CAP_PCIX, CAP_EXP, CAP_MSIX = 0x01, 0x07, 0x10, 0x11


class VmmHangs(Exception):
    """The VMM's set-up loops forever on these bytes: no guest ever runs."""


class VmmAborts(Exception):
    """The VMM stops on an assertion (QEMU `assert()`): no guest ever runs."""


class VmmRefuses(Exception):
    """The VMM refuses to pass this device through: there is no guest view."""


def u8(b: bytes, off: int) -> int:
    return b[off] if 0 <= off < len(b) else 0


def u16(b: bytes, off: int) -> int:
    return u8(b, off) | u8(b, off + 1) << 8


def u32(b: bytes, off: int) -> int:
    return u16(b, off) | u16(b, off + 2) << 16


def _registers(kernel: bytes, read: Callable[[int], int]) -> bytes:
    """The guest's view: the standard space as the kernel shows it (not modelled), then
    every extended register as the VMM's read path returns it."""
    out = bytearray(kernel[:EXT].ljust(EXT, b"\0"))
    for reg in range(EXT // 4, REGS):
        out += (read(reg) & 0xFFFFFFFF).to_bytes(4, "little")
    return bytes(out)


def _passthrough(kernel: bytes) -> bytes:
    return _registers(kernel, lambda reg: u32(kernel, reg * 4))


# ---------------------------------------------------------------- the kernel's region size

def _linux_find_cap(hw: bytes, cap_id: int) -> int:
    """drivers/pci/pci.c pci_find_capability(): start at 0x34 (0x14 for a CardBus bridge)
    when Status.CapList is set; __pci_find_next_cap_ttl(): 48 steps, stop below 0x40, mask
    the pointer with ~3, stop at ID 0xFF."""
    if not u16(hw, 0x06) & 0x10:
        return 0
    pos = u8(hw, 0x14 if u8(hw, 0x0E) & 0x7F == 2 else 0x34)
    for _ in range(48):
        if pos < 0x40:
            break
        pos &= ~3
        ent = u16(hw, pos)
        if ent & 0xFF == 0xFF:
            break
        if ent & 0xFF == cap_id:
            return pos
        pos = ent >> 8
    return 0


def _linux_size_ext(hw: bytes) -> int:
    """pci_cfg_space_size_ext(): 0x100 must not read ~0, and the extended space must not
    alias the first 256 bytes (pci_ext_cfg_is_aliased(): the ID dword at every 0x100)."""
    status = u32(hw, EXT)
    if status == 0xFFFFFFFF:
        return EXT
    if all(u32(hw, pos) == u32(hw, 0) for pos in range(EXT, CONFIG_SIZE, EXT)):
        return EXT
    return CONFIG_SIZE


def linux_cfg_size(hw: bytes) -> int:
    """drivers/pci/probe.c pci_cfg_space_size(): the size of the vfio-pci config region
    (vfio uses pdev->cfg_size). 4096 only for a host bridge, a PCI Express function, or a
    PCI-X function that is 266/533 MHz capable; 256 otherwise."""
    if len(hw) < CONFIG_SIZE:
        return EXT
    if u16(hw, 0x0A) == 0x0600 or _linux_find_cap(hw, CAP_EXP):
        return _linux_size_ext(hw)
    pcix = _linux_find_cap(hw, CAP_PCIX)
    if not pcix:
        return EXT
    if u32(hw, pcix + 4) & (0x40000000 | 0x80000000):  # PCI_X_STATUS_266MHZ | _533MHZ
        return _linux_size_ext(hw)
    return EXT


# ---------------------------------------------------------------- cloud-hypervisor

def cloud_hypervisor(kernel: bytes, region: int = CONFIG_SIZE) -> bytes:
    """pci/src/vfio.rs.

    parse_capabilities(): only when Status.CapList is set (has_capabilities()); walks the
    standard chain from 0x34 with pointers masked by !0b11, stopping at next 0 or a next
    pointing at itself (a longer cycle loops forever); remembers a PCI Express (0x10) and a
    Power Management (0x01) capability. parse_extended_capabilities() runs only when both
    were found.

    parse_extended_capabilities(): from 0x100, read the dword, cap_id = bits 15:0, cap_next
    = bits 31:20 (& 0xfff, not dword-aligned); ARI, Resizable BAR and SR-IOV get
    `ConfigPatch { mask: 0x0000_ffff, patch: NullCapability (0) }` at reg_idx = offset / 4;
    stop when cap_next == 0; no loop bound, no check that next >= 0x100.

    read_config_register(): value = vfio read & mask (the header-type mask is standard
    space); `value = (value & !patch.mask) | patch.patch`. read_config_dword() starts from a
    zeroed buffer and vfio-ioctls' region_read() leaves it so past the region: above a
    256-byte region every register reads 0 (and the extended walk reads 0 at 0x100 and stops).
    """
    if region <= EXT:
        return _registers(kernel, lambda reg: 0)
    patches: dict[int, tuple[int, int]] = {}
    pcie = pm = False
    if u16(kernel, 0x06) & 0x10:
        it = u8(kernel, 0x34) & 0xFC
        seen: set[int] = set()
        while it:
            if it in seen:
                raise VmmHangs("cloud-hypervisor: parse_capabilities() loops on the standard chain")
            seen.add(it)
            cid = u8(kernel, it)
            pcie |= cid == CAP_EXP
            pm |= cid == CAP_PM
            nxt = u8(kernel, it + 1) & 0xFC
            if nxt == 0 or nxt == it:
                break
            it = nxt
    if pcie and pm:
        cur = EXT
        seen = set()
        while True:
            if cur in seen:
                raise VmmHangs("cloud-hypervisor: parse_extended_capabilities() has no loop bound")
            seen.add(cur)
            # a pread at `cur` (unaligned too); a read past the region leaves 0
            hdr = u32(kernel, cur) if cur + 4 <= region else 0
            cap_id, cap_next = hdr & 0xFFFF, (hdr >> 20) & 0xFFF
            if cap_id in (ARI, REBAR, SRIOV):
                patches[cur // 4] = (0x0000FFFF, 0)
            if cap_next == 0:
                break
            cur = cap_next

    def read(reg: int) -> int:
        value = u32(kernel, reg * 4)
        if reg in patches:
            mask, patch = patches[reg]
            value = (value & ~mask) | patch
        return value

    return _registers(kernel, read)


# ---------------------------------------------------------------- openvmm

def openvmm(kernel: bytes, region: int = CONFIG_SIZE) -> bytes:
    """vm/devices/pci/vfio_assigned_device/src/lib.rs.

    discover_capabilities(): the extended walk runs whenever the read of 0x100 succeeds
    (read_config() bails when offset + len > config_size, the region size): there is no
    PCI Express or PM condition. From 0x100, at most 256 entries: stop at a header of 0;
    SR-IOV, ARI and REBAR get `ConfigPatch { mask: 0x0000_FFFF, value: 0 }` keyed by the
    offset; stop at next 0, or next < 0x100 or next & 3 != 0 (malformed).

    pci_cfg_read(): everything but the BARs and the MSI-X capability's first dword (both in
    standard space) is `read_phys_config()` then `(hw & !mask) | (value & mask)`;
    read_phys_config() sets `!0` when read_config() fails, and it fails past config_size:
    above a 256-byte region every register reads 0xFFFFFFFF.

    VfioAssignedPciDevice::new() bails "PIO BARs are not supported" on any implemented BAR
    whose bit 0 is set (the upper half of a 64-bit BAR is skipped). Modelled on the BARs the
    header has (six for type 0, two for a bridge): vfio-pci reports no region for the rest.
    """
    bar, nbars = 0, {0: 6, 1: 2}.get(u8(kernel, 0x0E) & 0x7F, 0)
    while bar < nbars:
        value = u32(kernel, 0x10 + 4 * bar)
        if value & 1:
            raise VmmRefuses(f"openvmm: PIO BARs are not supported (BAR {bar})")
        bar += 2 if value & 0x7 == 0x4 else 1
    if region <= EXT:
        return _registers(kernel, lambda reg: 0xFFFFFFFF)
    patches: dict[int, tuple[int, int]] = {}
    offset = EXT
    for _ in range(256):  # MAX_EXT_CAPS
        header = u32(kernel, offset)
        if header == 0:
            break
        cap_id, cap_next = header & 0xFFFF, (header >> 20) & 0xFFF
        if cap_id in (SRIOV, ARI, REBAR):
            patches[offset] = (0x0000FFFF, 0)
        if cap_next == 0 or cap_next < EXT or cap_next & 3:
            break
        offset = cap_next

    def read(reg: int) -> int:
        hw = u32(kernel, reg * 4)
        if reg * 4 in patches:
            mask, value = patches[reg * 4]
            hw = (hw & ~mask) | (value & mask)
        return hw

    return _registers(kernel, read)


# ---------------------------------------------------------------- crosvm

@dataclass
class _CrosvmExtCap:
    offset: int
    size: int
    next: int
    is_skipped: bool


def crosvm(kernel: bytes, region: int = CONFIG_SIZE) -> bytes:
    """devices/src/pci/vfio_pci.rs.

    VfioPciDevice::new(): walks the standard chain from the byte at 0x34 (no Status check,
    no mask, no bound: a cycle loops forever), is_pcie when an ID 0x10 is met. Only then,
    from 0x100 while next != 0: read the dword, break on 0, push ExtCap { offset, next =
    (hdr >> 20) & 0xffc, is_skipped = ID in (ARI, SR-IOV, REBAR) }; no bound. Sort by
    offset descending; walking down, a kept cap's next = the previous kept offset (the next
    kept one by address), a skipped cap at 0x100 gets the same, and size = the distance to
    the next capability by address (the last to 0x1000); reverse to ascending.

    read_config_register(): for reg >= 0x100, the first ExtCap (ascending) whose
    [offset, offset + size) holds reg: at its header the bits 0xffc << 20 are replaced by
    next; if skipped, reg 0x100 reads (config & 0xffc << 20) | PCI_EXT_CAP_ID_CAC (0x0C)
    and any other register reads 0.
    """
    caps: list[_CrosvmExtCap] = []
    cap_next = u8(kernel, 0x34)
    is_pcie = False
    seen: set[int] = set()
    while cap_next:
        if cap_next in seen:
            raise VmmHangs("crosvm: VfioPciDevice::new() loops on the standard chain")
        seen.add(cap_next)
        is_pcie |= u8(kernel, cap_next) == CAP_EXP
        cap_next = u8(kernel, cap_next + 1)  # PCI_MSI_NEXT_POINTER
    if is_pcie and region <= EXT:
        # devices/src/vfio.rs VfioDevice::region_read() panics on a read past the region
        raise VmmAborts("crosvm: VfioPciDevice::new() reads 0x100 of a 256-byte region: "
                        "region_read() panics")
    if is_pcie:
        nxt = EXT
        seen = set()
        while nxt:
            if nxt in seen:
                raise VmmHangs("crosvm: the extended walk in VfioPciDevice::new() has no bound")
            seen.add(nxt)
            config = u32(kernel, nxt)
            if config == 0:
                break
            caps.append(_CrosvmExtCap(nxt, 0, (config >> 20) & 0xFFC,
                                      config & 0xFFFF in (ARI, SRIOV, REBAR)))
            nxt = (config >> 20) & 0xFFC
        caps.sort(key=lambda c: c.offset, reverse=True)
        next_offset, non_skipped_next = CONFIG_SIZE, 0
        for c in caps:
            if not c.is_skipped:
                c.next = non_skipped_next
                non_skipped_next = c.offset
            elif c.offset == EXT:
                c.next = non_skipped_next
            c.size = next_offset - c.offset
            next_offset = c.offset
        caps.reverse()

    def read(reg_idx: int) -> int:
        reg = reg_idx * 4
        config = u32(kernel, reg)
        cap = next((c for c in caps if c.offset <= reg < c.offset + c.size), None)
        if cap is not None:
            if cap.offset == reg:
                config = (config & ~(0xFFC << 20)) | ((cap.next & 0xFFC) << 20)
            if cap.is_skipped:
                config = ((config & (0xFFC << 20)) | CAC) if reg == EXT else 0
        return config

    return _registers(kernel, read)


# ---------------------------------------------------------------- Firecracker

@dataclass(frozen=True)
class _FcMask:
    register: int
    mask: int  # bits that remain: (R & mask) | value
    value: int


def _fc_legacy_caps(kernel: bytes) -> tuple[bool, bool]:
    """vfio_read_legacy_caps(): from the byte at 0x34, at most 256 / 4 steps, each pointer
    masked with 0xfc; returns (MSI-X found, PCI Express found)."""
    nxt = u8(kernel, 0x34)
    msix = pcie = False
    for _ in range(256 // 4):
        if not nxt:
            break
        nxt &= 0xFC
        ent = u16(kernel, nxt)
        cid, nxt = ent & 0xFF, (ent & 0xFF00) >> 8
        pcie |= cid == CAP_EXP
        msix |= cid == CAP_MSIX
    return msix, pcie


def _fc_extended_masks(kernel: bytes, mask_bodies: bool) -> list[_FcMask]:
    """vfio_read_extended_caps(): from 0x100 while next != 0, at most 1024 steps; the
    pointer is masked with 0x0ffc after the test; next = header >> 20. ARI, REBAR and
    SR-IOV get a header mask (R & 0xffff_0000) | 0. With `mask_bodies` (PR 6055) the body
    is masked to 0 too: ARI's +4 dword; SR-IOV's 15 dwords after the header; REBAR's 2*N
    dwords with N = bits 7:5 of control(0) at +8, clamped to 1..6 (only the +4 dword when
    +8 is past the config space)."""
    masks: list[_FcMask] = []
    nxt, steps = EXT, 0
    while nxt and steps < REGS:
        steps += 1
        nxt &= 0x0FFC
        header = u32(kernel, nxt)
        cur, nxt = nxt, header >> 20
        cap_id, register = header & 0xFFFF, cur // 4
        if cap_id not in (ARI, REBAR, SRIOV):
            continue
        masks.append(_FcMask(register, 0xFFFF0000, 0))
        if not mask_bodies:
            continue
        if cap_id == ARI:
            if (cur + 4) // 4 < REGS:
                masks.append(_FcMask((cur + 4) // 4, 0, 0))
        elif cap_id == REBAR:
            if (cur + 8) // 4 < REGS:
                n = min(max((u32(kernel, cur + 8) >> 5) & 0b111, 1), 6)
                start = min(register + 1, REGS - 1)
                masks += [_FcMask(r, 0, 0) for r in range(start, min(start + 2 * n, REGS))]
            elif (cur + 4) // 4 < REGS:
                masks.append(_FcMask((cur + 4) // 4, 0, 0))
        else:  # SR-IOV
            start = min(register + 1, REGS - 1)
            masks += [_FcMask(r, 0, 0) for r in range(start, min(start + 15, REGS))]
    return masks


def _firecracker(kernel: bytes, mask_bodies: bool, needs_msix: bool) -> bytes:
    msix, pcie = _fc_legacy_caps(kernel)
    if needs_msix and not msix:
        raise VmmRefuses("firecracker: only devices with an MSI-X capability are supported "
                         "(VfioError::NoMsixIrq)")
    masks = _fc_extended_masks(kernel, mask_bodies) if pcie else []

    def read(reg: int) -> int:
        result = u32(kernel, reg * 4)
        for m in masks:  # the first matching mask wins
            if m.register == reg:
                return (result & m.mask) | m.value
        return result

    return _registers(kernel, read)


def firecracker_vfio(kernel: bytes, region: int = CONFIG_SIZE) -> bytes:
    """Firecracker branch feature/vfio, src/vmm/src/vfio.rs vfio_get_pci_capabilities():
    extended masks only when a PCI Express capability was found; the header of ARI, REBAR
    and SR-IOV is masked as (R & 0xffff_0000) | 0 ("Applied as (R & mask) | value"), the
    body is left raw. (This revision has no device creation, so no MSI-X condition.)"""
    return _firecracker(kernel, mask_bodies=False, needs_msix=False)


def firecracker(kernel: bytes, region: int = CONFIG_SIZE) -> bytes:
    """Firecracker device-passthrough PR (refs/pull/6055/head), src/vmm/src/vfio.rs: the
    same walk, the bodies masked to 0 as well; read_config_register() applies the first
    mask whose register matches. The device is refused without an MSI-X capability.

    The device's config space is read as one 4 KiB region_read() into a zeroed array; past a
    256-byte region vfio-ioctls 0.8 fails the whole read, the array stays 0, no MSI-X is
    found: the device is refused (VfioError::NoMsixIrq)."""
    if region <= EXT:
        raise VmmRefuses("firecracker: the 4 KiB config read of a 256-byte region fails; "
                         "no MSI-X is found (VfioError::NoMsixIrq)")
    return _firecracker(kernel, mask_bodies=True, needs_msix=True)


FC_HIDDEN = (SRIOV, ARI, REBAR, 0x24)  # HIDDEN_EXTENDED_CAPABILITIES (0x24: VF Resizable BAR)


def firecracker_unlink(kernel: bytes, region: int = CONFIG_SIZE) -> bytes:
    """Firecracker src/vmm/src/devices/vfio/pci.rs (firecracker-microvm/firecracker
    fa70b54b9a15, the stored copy).

    VfioPciDevice::with_io(): the Header Type byte & 0x7f must be 0, else
    VfioPciError::NotAnEndpoint. Only when the region is larger than 256 bytes, from 0x100
    at most (4096 - 256) / 8 = 480 steps (EXTENDED_CAPABILITY_TTL; no cycle check: a loop
    repeats entries): stop at a header of 0 or 0xFFFFFFFF; push (pos, header); next =
    (header >> 20) & 0xffc; stop when next < 0x100.

    hide_extended_capabilities(): next_visible(i) = the offset of the first entry from i on
    whose ID is not hidden (0 when none). A hidden entry gets an override only at index 0:
    (pos, next_visible(1) << 20). A kept entry whose next (& 0xffc) differs from
    next_visible(i + 1) gets (pos, (header & 0x000fffff) | next << 20). A removed header
    elsewhere, and every body, stays raw.

    read_config_register(): register + 4 > config_size reads u32::MAX; otherwise the device
    bytes, each byte replaced by virtual_config_byte(), which takes the first override
    whose 4 bytes hold it.
    """
    if u8(kernel, 0x0E) & 0x7F:
        raise VmmRefuses(f"firecracker pci.rs: not a PCI endpoint (header type "
                         f"{u8(kernel, 0x0E) & 0x7F:#x}; VfioPciError::NotAnEndpoint)")
    ecaps: list[tuple[int, int]] = []
    if region > EXT:
        pos = EXT
        for _ in range((CONFIG_SIZE - EXT) // 8):
            header = u32(kernel, pos)
            if header in (0, 0xFFFFFFFF):
                break
            ecaps.append((pos, header))
            nxt = (header >> 20) & 0xFFC
            if nxt < EXT:
                break
            pos = nxt

    def next_visible(start: int) -> int:
        return next((p for p, h in ecaps[start:] if h & 0xFFFF not in FC_HIDDEN), 0)

    overrides: list[tuple[int, int]] = []
    for i, (pos, header) in enumerate(ecaps):
        nxt = next_visible(i + 1)
        if header & 0xFFFF in FC_HIDDEN:
            if i == 0:
                overrides.append((pos, nxt << 20))
        elif (header >> 20) & 0xFFC != nxt:
            overrides.append((pos, (header & 0x000FFFFF) | nxt << 20))

    def read(reg: int) -> int:
        off = reg * 4
        if off + 4 > region:
            return 0xFFFFFFFF
        value = u32(kernel, off)
        return next((h for p, h in overrides if p == off), value)

    return _registers(kernel, read)


# ---------------------------------------------------------------- QEMU

PCI_EXT_CAP_NEXT_MASK = 0xFFC << 20


def _ext_next(header: int) -> int:
    return (header >> 20) & 0xFFC  # PCI_EXT_CAP_NEXT()


def _chain_cycles(config: bytes) -> bool:
    """Whether `for (tmp = 0x100; tmp; tmp = PCI_EXT_CAP_NEXT(config + tmp))` loops."""
    seen: set[int] = set()
    tmp = EXT
    while tmp:
        if tmp in seen:
            return True
        seen.add(tmp)
        tmp = _ext_next(u32(config, tmp))
    return False


def qemu(kernel: bytes, region: int = CONFIG_SIZE, ats: bool = True) -> bytes:
    """hw/vfio/pci.c (legoater/qemu 0bdfd5427037) and hw/pci/pcie.c.

    Guest read (vfio_pci_read_config): (emulated bits from pdev->config) | (the other bits
    from the kernel). pdev->config starts as the kernel's bytes (vfio_pci_config_setup).
    vfio_pci_populate_device(): a 256-byte region clears QEMU_PCI_CAP_EXPRESS, and
    vfio_pci_add_capabilities() adds nothing without Status.CapList and a pointer at 0x34;
    vfio_add_ext_cap() returns at once when not express or the kernel's dword at 0x100 is 0.

    vfio_add_ext_cap(): seed 0x100 with PCI_EXT_CAP(0xFFFF, 0, 0), all 32 bits emulated;
    walk the kernel's chain from 0x100 while next != 0 (no bound); for each cap: size =
    vfio_ext_cap_max_size() (distance to the next-higher chain offset, or 0x1000); emulate
    its next bits (PCI_EXT_CAP_NEXT_MASK); drop ID 0, SR-IOV, ARI, ATS when not
    `ats_needed`, REBAR when vfio_setup_rebar_ecap() fails; pcie_add_capability() the rest
    (appended at the tail of QEMU's list, header PCI_EXT_CAP(id, ver, 0); asserts). PASID
    synthesis needs an iommufd host device: not modelled (no PASID). Finally a word 0xFFFF
    at 0x100 becomes 0.
    """
    if u16(kernel, 0x06) & 0x10 and u8(kernel, 0x34):
        # vfio_add_capabilities() -> vfio_add_std_cap() -> vfio_std_cap_max_size(): `for (tmp
        # = pdev->config[PCI_CAPABILITY_LIST]; tmp; tmp = pdev->config[tmp + 1])`, no bound,
        # no mask, for every device: a cycle in the standard chain never returns
        tmp, seen = u8(kernel, 0x34), set()
        while tmp:
            if tmp in seen:
                raise VmmHangs("qemu: vfio_std_cap_max_size() walks the standard chain "
                               "without a bound")
            seen.add(tmp)
            tmp = u8(kernel, tmp + 1)
    if region <= EXT:  # QEMU_PCI_CAP_EXPRESS cleared: no extended capability processing
        return _passthrough(kernel)
    if not (u16(kernel, 0x06) & 0x10) or not u8(kernel, 0x34):
        return _passthrough(kernel)
    if not u32(kernel, EXT):
        return _passthrough(kernel)

    config = bytes(kernel)  # g_memdup(pdev->config): the kernel's chain
    qc = bytearray(kernel.ljust(CONFIG_SIZE, b"\0"))  # pdev->config
    emu = bytearray(CONFIG_SIZE)  # vdev->emulated_config_bits

    def set_long(buf: bytearray, off: int, val: int) -> None:
        buf[off:off + 4] = (val & 0xFFFFFFFF).to_bytes(4, "little")

    def emulate_long(off: int, val: int) -> None:  # vfio_add_emulated_long(.., mask=~0)
        if off + 4 > CONFIG_SIZE:
            raise VmmAborts(f"qemu: vfio_setup_rebar_ecap() writes past config space at {off:#x}")
        set_long(qc, off, val)
        set_long(emu, off, 0xFFFFFFFF)

    def max_size(pos: int) -> int:  # vfio_ext_cap_max_size()
        nxt, tmp = CONFIG_SIZE, EXT
        while tmp:
            if pos < tmp < nxt:
                nxt = tmp
            tmp = _ext_next(u32(config, tmp))
        return nxt - pos

    def add(cap_id: int, ver: int, offset: int, size: int) -> None:  # pcie_add_capability()
        if not (offset >= EXT and offset < (offset + size) & 0xFFFF
                and (offset + size) & 0xFFFF <= CONFIG_SIZE and size >= 8):
            raise VmmAborts(f"qemu: pcie_add_capability() asserts on {cap_id:#x}@{offset:#x} "
                            f"size {size:#x}")
        if offset != EXT:
            prev, nxt = 0, EXT  # pcie_find_capability_list(dev, 0xffffffff, &prev)
            if u32(qc, EXT):
                while nxt:
                    if not EXT <= nxt <= CONFIG_SIZE - 8:
                        raise VmmAborts(f"qemu: pcie_find_capability_list() asserts at {nxt:#x}")
                    prev, nxt = nxt, _ext_next(u32(qc, nxt))
            if prev < EXT:
                raise VmmAborts("qemu: pcie_add_capability() asserts prev >= 0x100")
            header = u32(qc, prev)  # pcie_ext_cap_set_next()
            set_long(qc, prev, (header & ~PCI_EXT_CAP_NEXT_MASK)
                     | ((offset << 20) & PCI_EXT_CAP_NEXT_MASK))
        set_long(qc, offset, cap_id | ver << 16)

    def setup_rebar(pos: int) -> bool:  # vfio_setup_rebar_ecap() == 0
        nbar = (u32(qc, pos + 8) & 0xE0) >> 5
        for i in range(nbar):
            ctrl = u32(qc, pos + 8 + i * 8)
            size = (ctrl & 0x1F00) >> 8
            cap = 1 << (size + 4) if size <= 27 else 0
            if not cap & 0xFFFFFFF0:  # PCI_REBAR_CAP_SIZES
                return False  # the registers emulated so far stay emulated
            ctrl &= 0x1F00 | 0xE0 | 0x7  # BAR_SIZE | NBAR_MASK | BAR_IDX
            emulate_long(pos + 4 + i * 8, cap)
            emulate_long(pos + 8 + i * 8, ctrl)
        return True

    if _chain_cycles(config):
        raise VmmHangs("qemu: vfio_ext_cap_max_size() walks the extended chain without a bound")
    set_long(qc, EXT, 0xFFFF)  # PCI_EXT_CAP(0xFFFF, 0, 0)
    set_long(emu, EXT, 0xFFFFFFFF)
    nxt = EXT
    while nxt:
        header = u32(config, nxt)
        cap_id, cap_ver = header & 0xFFFF, (header >> 16) & 0xF
        size = max_size(nxt)
        set_long(emu, nxt, u32(emu, nxt) | PCI_EXT_CAP_NEXT_MASK)
        if cap_id in (0, SRIOV, ARI):
            pass
        elif cap_id == REBAR:
            if setup_rebar(nxt):
                add(cap_id, cap_ver, nxt, size)
        elif cap_id == ATS:
            if ats:
                add(cap_id, cap_ver, nxt, size)
        else:
            add(cap_id, cap_ver, nxt, size)
        nxt = _ext_next(header)
    if u16(qc, EXT) == 0xFFFF:  # "Cleanup chain head ID if necessary"
        qc[EXT:EXT + 2] = b"\0\0"

    def read(reg: int) -> int:
        off = reg * 4
        bits = u32(emu, off)
        return (u32(qc, off) & bits) | (u32(kernel, off) & ~bits)

    return _registers(kernel, read)


MODELS: dict[str, Callable[..., bytes]] = {
    "qemu": qemu,
    "cloud-hypervisor": cloud_hypervisor,
    "openvmm": openvmm,
    "firecracker": firecracker,
    "firecracker-vfio": firecracker_vfio,
    "firecracker-unlink": firecracker_unlink,
    "crosvm": crosvm,
}
ID_NULL = ("cloud-hypervisor", "openvmm", "firecracker", "firecracker-vfio")
