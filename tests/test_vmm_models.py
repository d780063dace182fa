"""Issue 12: what each VMM shows a guest of a vfio-pci device's extended config space.

capslot's guest views are compared byte for byte (0x100-0xFFF) with independent models
written from each VMM's own source (tests/vmm_models.py; the kernel layer is capslot's
vfio view, which every VMM reads through). Then the guest dumps those models produce are
fed to the CLI: a placement inside a capability an ID-null VMM masked is a collision of
kind `masked`, `show` says the dump was read inside a guest and in which style, and
`diff` names the VMM that explains it.
"""

from __future__ import annotations

import json
import re
import struct
from functools import cache
from pathlib import Path

import pytest

from capslot.core.layout import build
from capslot.core.sources import load
from capslot.core.views import QemuOptions, view
from capslot.core.views.vmms import VMMS as CAPSLOT_VMMS
from tests.cli import capslot
from tests.conftest import SAMPLES, sample_dumps
from tests.helpers import config_space, load_bytes, pcie_cap, std_cap
from tests.vmm_models import (ARI, ATS, CONFIG_SIZE, EXT, ID_NULL, MODELS, PASID, REBAR,
                              SRIOV, VmmAborts, VmmHangs, VmmRefuses, linux_cfg_size, u32)

VMMS = tuple(MODELS)

# ---------------------------------------------------------------- purpose-built devices

AER, DSN, LTR, L1SS = 0x01, 0x03, 0x18, 0x1E


def hdr(cap_id: int, next_ptr: int, version: int = 1) -> bytes:
    return struct.pack("<I", cap_id | version << 16 | next_ptr << 20)


def dws(*values: int) -> bytes:
    return struct.pack(f"<{len(values)}I", *values)


def aer(nxt: int) -> bytes:  # 0x48 bytes with live-looking status and mask registers
    return hdr(AER, nxt, 2) + dws(0x00100000, 0x00400000, 0x00462030, 0x00002000, 0x0000E000,
                                  0x000000A0, 0x34000001, 0x0F, 0x1A2B3C4D, 0x5E6F7081) \
        + bytes(0x48 - 44)


def dsn(nxt: int) -> bytes:
    return hdr(DSN, nxt) + dws(0x89ABCDEF, 0x01234567)


def sriov(nxt: int) -> bytes:
    """A complete SR-IOV capability: 8 VFs, 64-bit VF BAR0/BAR3 with host addresses."""
    return hdr(SRIOV, nxt) + dws(
        0x00000002, 0x00000000, 0x00080008, 0x00000008, 0x00020080, 0x10CA0000, 0x00000553,
        0x00000001, 0xF000000C, 0x00000038, 0x00000000, 0xE000000C, 0x00000038, 0x00000000,
        0x00000000)


def ltr(nxt: int) -> bytes:
    return hdr(LTR, nxt) + dws(0x10031003)


def ari(nxt: int) -> bytes:
    return hdr(ARI, nxt) + dws(0x00000100)


def ats(nxt: int) -> bytes:
    return hdr(ATS, nxt) + dws(0x00000020)


def rebar(nxt: int, sizes: tuple[int, ...]) -> bytes:
    """Resizable BAR with one (CAP, CTRL) pair per entry of `sizes` (the CTRL size field);
    NBAR is in CTRL(0); each CAP lists 1 MB..16 GB plus the current size."""
    out = hdr(REBAR, nxt)
    for i, size in enumerate(sizes):
        nbar = len(sizes) << 5 if i == 0 else 0
        out += dws(0x000FFFF0 | 1 << (size + 4) if size <= 27 else 0x000FFFF0,
                   0x00FF0000 | size << 8 | nbar | i)
    return out


def pasid(nxt: int) -> bytes:
    return hdr(PASID, nxt) + dws(0x00001406)


def l1ss(nxt: int) -> bytes:
    return hdr(L1SS, nxt) + dws(0x0028281F, 0x40A0280F, 0x00000028)


def vsec(nxt: int, length: int) -> bytes:
    return hdr(0x0B, nxt) + dws(0x1234 | 1 << 16 | length << 20) + bytes(length - 8)


def secpcie(nxt: int) -> bytes:  # Secondary PCI Express (0x19), one lane
    return hdr(0x19, nxt) + dws(0, 0, 0x0F0F)


PM = std_cap(0x01, 0, bytes.fromhex("03c8 0800 0000"))  # next filled in by `std`
MSIX = std_cap(0x11, 0, bytes.fromhex("0300") + dws(0x00002000, 0x00003000))
PCIX2 = std_cap(0x07, 0, bytes.fromhex("0010") + dws(0x40000000 | 0x00030000)
                + bytes(24 - 8))  # PCI-X 2.0 (Cmd version 1), 266 MHz capable


def std(*caps: tuple[int, bytes]) -> dict[int, bytes]:
    """Standard capabilities at the given offsets, linked in the order given."""
    out = {}
    for i, (off, cap) in enumerate(caps):
        nxt = caps[i + 1][0] if i + 1 < len(caps) else 0
        out[off] = bytes([cap[0], nxt]) + cap[2:]
    return out


EXPRESS = std((0x40, PM), (0x50, MSIX), (0x60, pcie_cap()))

DEVICES: dict[str, tuple[dict[int, bytes], dict[int, bytes]]] = {
    # SR-IOV first in the chain: ID-null VMMs null it in place, QEMU leaves a stub, crosvm
    # turns it into a CAC header and zeroes its body
    "sriov_head": (EXPRESS, {0x100: sriov(0x140), 0x140: aer(0x188), 0x188: dsn(0)}),
    "sriov_middle": (EXPRESS, {0x100: aer(0x148), 0x148: sriov(0x188), 0x188: dsn(0)}),
    "ari_sriov": (EXPRESS, {0x100: aer(0x148), 0x148: ari(0x150), 0x150: sriov(0x190),
                            0x190: ats(0x1A0), 0x1A0: dsn(0)}),
    # everything QEMU keeps is ATS: with ats=off nothing is left
    "ari_head": (EXPRESS, {0x100: ari(0x108), 0x108: sriov(0x148), 0x148: ats(0)}),
    "rebar_1": (EXPRESS, {0x100: aer(0x148), 0x148: rebar(0x158, (8,)), 0x158: dsn(0)}),
    "rebar_3_head": (EXPRESS, {0x100: rebar(0x120, (8, 4, 14)), 0x120: aer(0x168),
                               0x168: dsn(0)}),
    # BAR 1's size field is 28 (> 27): QEMU drops the capability, after emulating BAR 0's pair
    "rebar_3_too_big": (EXPRESS, {0x100: aer(0x148), 0x148: rebar(0x168, (8, 28, 3)),
                                  0x168: dsn(0)}),
    # no Power Management capability: cloud-hypervisor parses no extended capability
    "no_pm": (std((0x50, MSIX), (0x60, pcie_cap())),
              {0x100: aer(0x148), 0x148: sriov(0x188), 0x188: dsn(0)}),
    # no PCI Express and no PCI-X 2.0: the kernel's config region is 256 bytes
    "not_pcie": (std((0x40, PM), (0x50, MSIX)), {0x100: sriov(0x140), 0x140: ari(0)}),
    # PCI-X 2.0 (266 MHz): a 4 KiB region, but no PCI Express capability
    "pcix2": (std((0x40, PM), (0x50, MSIX), (0x60, PCIX2)),
              {0x100: sriov(0x140), 0x140: aer(0)}),
    # the chain ends at SR-IOV; a well-formed ARI -> DSN pair behind it is reached by nothing
    "ends_early": (EXPRESS, {0x100: aer(0x148), 0x148: sriov(0), 0x200: ari(0x208),
                             0x208: dsn(0)}),
    # kept capabilities out of address order: AER -> LTR@0x300 -> DSN@0x200
    "backward": (EXPRESS, {0x100: aer(0x400), 0x400: sriov(0x300), 0x300: ltr(0x200),
                           0x200: dsn(0x160), 0x160: ari(0)}),
    # the same order with nothing any VMM removes: crosvm still relinks by address
    "backward_nothing_removed": (EXPRESS, {0x100: aer(0x300), 0x300: ltr(0x200),
                                           0x200: dsn(0)}),
    # the kernel hides both (PASID, L1SS): 0x100 reads 0 to user space
    "kernel_zero": (EXPRESS, {0x100: pasid(0x200), 0x200: l1ss(0)}),
    # the kernel's placeholder (ID 0, version 0) at 0x100, SR-IOV behind it
    "placeholder_head": (EXPRESS, {0x100: pasid(0x108), 0x108: sriov(0x148), 0x148: aer(0)}),
    # the chain ends at a header that reads 0: vfio_ecap_init() rewrites AER's next to 0
    "trailing_zero_header": (EXPRESS, {0x100: aer(0x148), 0x148: sriov(0x200),
                                       0x204: dws(0x12345678)}),
    # ID 0xFFFF at 0x100: the kernel serves it raw (map byte 0xff), QEMU keeps it and its
    # head cleanup then reads ID 0
    "ffff_head": (EXPRESS, {0x100: hdr(0xFFFF, 0x148) + dws(1, 2), 0x148: aer(0)}),
    # the issue's Synopsys endpoint: VSEC@0x2fc (0x100 bytes) abutting VSEC@0x3fc, then two
    # capabilities vfio-pci hides (L1 PM Substates, Secondary PCIe: no length); 0x3fc reads
    # raw, so they stay reachable
    "abutting_vsec": (EXPRESS, {0x100: aer(0x2FC), 0x2FC: vsec(0x3FC, 0x100),
                                0x3FC: vsec(0x434, 0x38), 0x434: l1ss(0x450),
                                0x450: secpcie(0)}),
}
CYCLIC = (EXPRESS, {0x100: aer(0x148), 0x148: sriov(0x100)})  # 0x148 links back to 0x100


def _with(raw: bytes, **dwords: int) -> bytes:
    out = bytearray(raw)
    for off, value in dwords.items():
        struct.pack_into("<I", out, int(off[1:], 16), value)
    return bytes(out)


def _std_loop() -> bytes:
    """PM@0x40 -> MSI-X@0x50 -> PCIe@0x60 -> back to PM: the standard chain loops."""
    raw = bytearray(config_space(std=EXPRESS, ext={0x100: aer(0x148), 0x148: sriov(0)}))
    raw[0x61] = 0x40
    return bytes(raw)


def _unaligned() -> bytes:
    """AER@0x100 whose next pointer is 0x14a: the kernel and most VMMs mask it to 0x148
    (SR-IOV); cloud-hypervisor reads the dword at 0x14a."""
    raw = bytearray(config_space(std=EXPRESS, ext={0x100: aer(0x148), 0x148: sriov(0x188),
                                                   0x188: dsn(0)}))
    struct.pack_into("<I", raw, 0x100, AER | 2 << 16 | 0x14A << 20)
    return bytes(raw)


# Devices built byte by byte: header types, BARs, chains the (std, ext) form cannot say.
RAW_DEVICES = {
    # the standard chain loops: QEMU, cloud-hypervisor and crosvm never return from device
    # set-up
    "std_loop": _std_loop,
    "ext_unaligned": _unaligned,
    # a PCI Express root port (header type 1): Firecracker's pci.rs refuses it
    "bridge": lambda: config_space(std=std((0x40, PM), (0x60, pcie_cap(port_type=4))),
                                   ext={0x100: aer(0x148), 0x148: ari(0x150), 0x150: dsn(0)},
                                   header_type=1),
    # BAR 0 is an I/O BAR: openvmm refuses the device
    "io_bar": lambda: _with(config_space(std=EXPRESS, ext={0x100: aer(0x148),
                                                           0x148: sriov(0)}), x10=0xE001),
    # a PCI Express device captured (or exposed) with 256 bytes: a 256-byte region
    "pcie_256": lambda: config_space(std=EXPRESS, ext={}, size=0x100),
    "pcie_256_4k_capture": lambda: _with(config_space(std=EXPRESS, ext={}), x100=0xFFFFFFFF),
}


@cache
def purpose(name: str):
    if name in RAW_DEVICES:
        return build(load_bytes(RAW_DEVICES[name](), f"{name}.bin"))
    std_caps, ext = CYCLIC if name == "cyclic" else DEVICES[name]
    return build(load_bytes(config_space(std=std_caps, ext=ext), f"{name}.bin"))


# ---------------------------------------------------------------- real devices

def lspci_names_removed_caps(path: Path) -> bool:
    decode = path.with_name(path.name[:-len(".txt")] + ".lspci.txt")
    return decode.exists() and re.search(
        r"Single Root I/O Virtualization|Alternative Routing-ID|Resizable BAR",
        decode.read_text(errors="replace")) is not None


# Also: SR-IOV and ARI that nothing links to (NOTES.md), an ID-0 placeholder at 0x100, a
# 4 KiB capture of a device without PCI Express (aliased), a backward chain.
EXTRA_SAMPLES = ("lsi_sas2008_hba_0072", "intel_skylake_igpu_191e",
                 "amd_rs690_hostbridge_7911", "nvidia_gp108m_mx150_1d10")
REAL = sorted({p.name[:-4] for p in sample_dumps() if lspci_names_removed_caps(p)}
              | set(EXTRA_SAMPLES))


def test_the_real_devices_include_every_kind_the_issue_names():
    assert {"intel_82576_nic_10c9_sriov", "cavium_thunderx_nic_a01e_ea",
            "samsung_pm1743_nvme_a826", "intel_0d93_cxl_dvsec", "amd_fiji_gpu_7300_rebar",
            "amd_navi21_rx6800_73bf", "mellanox_connectx3pro_1007"} <= set(REAL)


@cache
def real(name: str):
    return build(load(str(SAMPLES / f"{name}.txt"))[0])


# ---------------------------------------------------------------- comparing

def kernel_bytes(hw) -> bytes:
    return view(hw, "vfio", "upstream").space.data


def model_bytes(hw, vmm: str, ats: bool = True) -> bytes:
    """What the VMM's own source says the guest reads (raises VmmHangs/Aborts/Refuses)."""
    # a capture of 256 bytes is what sysfs shows of a 256-byte config (pdev->cfg_size)
    region = linux_cfg_size(hw.space.data) if hw.space.has(EXT, 4) else EXT
    if vmm == "qemu":
        return MODELS[vmm](kernel_bytes(hw), region, ats=ats)
    return MODELS[vmm](kernel_bytes(hw), region)


def capslot_bytes(hw, vmm: str, ats: bool = True) -> bytes:
    options = QemuOptions(ats="auto" if ats else "off")
    return view(hw, "guest", "upstream", options, vmm=vmm).space.data


def first_difference(model: bytes, got: bytes, kernel: bytes) -> str | None:
    for off in range(EXT, CONFIG_SIZE):
        if model[off] != got[off]:
            reg = off & ~3
            return (f"first differing offset {off:#x}: model byte {model[off]:#04x}, capslot "
                    f"byte {got[off]:#04x} (dword {reg:#x}: model {u32(model, reg):#010x}, "
                    f"capslot {u32(got, reg):#010x}, kernel {u32(kernel, reg):#010x})")
    return None


START = {VmmHangs: {"vmm_hang"}, VmmRefuses: {"vmm_refuses"},
         VmmAborts: {"vmm_refuses", "qemu_abort"}}


def start_problems(hw, vmm: str, ats: bool = True) -> set[str]:
    options = QemuOptions(ats="auto" if ats else "off")
    layout = view(hw, "guest", "upstream", options, vmm=vmm)
    return {p.kind for p in layout.problems} & {"vmm_hang", "vmm_refuses", "qemu_abort"}


def assert_same(hw, vmm: str, what: str, ats: bool = True) -> None:
    """Byte for byte where the VMM's source gives the guest a view; where it hangs, refuses or
    aborts, capslot says so (a start problem), and says nothing of the kind otherwise."""
    try:
        want = model_bytes(hw, vmm, ats)
    except (VmmHangs, VmmAborts, VmmRefuses) as e:
        said = start_problems(hw, vmm, ats)
        assert said & START[type(e)], f"{vmm} on {what}: the source says {e!r}; capslot: {said}"
        return
    assert not start_problems(hw, vmm, ats) - {"qemu_abort"}, f"{vmm} on {what} starts"
    diff = first_difference(want, capslot_bytes(hw, vmm, ats), kernel_bytes(hw))
    assert diff is None, f"{vmm} on {what}: {diff}"


# Where capslot's guest view and the VMM's source disagree (reported to the lead, issue 12).
def cases(names):
    return [pytest.param(name, vmm, id=f"{name}-{vmm}") for name in names for vmm in VMMS]


@pytest.mark.parametrize("name,vmm", cases([*DEVICES, *RAW_DEVICES, "cyclic"]))
def test_purpose_built_device(name, vmm):
    assert_same(purpose(name), vmm, name)


@pytest.mark.parametrize("name", ["ari_head", "ari_sriov"])
def test_qemu_with_ats_off(name):
    assert_same(purpose(name), "qemu", f"{name} (ats=off)", ats=False)


@pytest.mark.parametrize("name,vmm", cases(REAL))
def test_real_device(name, vmm):
    assert_same(real(name), vmm, name)


def test_every_sample_dump_every_vmm():
    """The same comparison over the whole corpus, reported at once (known ones aside)."""
    mismatches = []
    for path in sample_dumps():
        for i, cs in enumerate(load(str(path))):
            hw = build(cs)
            if not cs.has(EXT, 4):
                continue
            kernel = kernel_bytes(hw)
            for vmm in VMMS:
                try:
                    want = model_bytes(hw, vmm)
                except (VmmHangs, VmmAborts, VmmRefuses):
                    continue
                diff = first_difference(want, capslot_bytes(hw, vmm), kernel)
                if diff:
                    mismatches.append(f"{vmm} on {path.name}#{i}: {diff}")
    assert not mismatches, "\n".join(mismatches)


# ---------------------------------------------------------------- the models themselves

def test_the_models_disagree_where_the_sources_do():
    """Sanity of the oracles: on SR-IOV in the middle each style is visible in the bytes."""
    g = {vmm: model_bytes(purpose("sriov_middle"), vmm) for vmm in VMMS}
    k = kernel_bytes(purpose("sriov_middle"))
    assert u32(k, 0x148) == 0x18810010
    for vmm in ("cloud-hypervisor", "openvmm", "firecracker-vfio"):
        assert u32(g[vmm], 0x148) == 0x18810000 and g[vmm][0x14C:0x188] == k[0x14C:0x188]
    assert u32(g["firecracker"], 0x148) == 0x18810000 and not any(g["firecracker"][0x14C:0x188])
    assert u32(g["crosvm"], 0x100) >> 20 == 0x188 and not any(g["crosvm"][0x148:0x188])
    assert u32(g["qemu"], 0x100) >> 20 == 0x188 and g["qemu"][0x148:0x188] == k[0x148:0x188]


@pytest.mark.parametrize("vmm", ["cloud-hypervisor", "crosvm", "qemu"])
def test_unbounded_walks_hang_on_a_cycle(tmp_path, vmm):
    """No guest ever runs: capslot says the device does not start under that VMM."""
    with pytest.raises(VmmHangs):
        model_bytes(purpose("cyclic"), vmm)
    dump = tmp_path / "cyclic.bin"
    dump.write_bytes(purpose("cyclic").space.data)
    r = capslot("check", str(dump), "--add", "pasid@0xff8", "--vmm", vmm, "--json")
    findings = [f for p in json.loads(r.out)["placements"] for f in p["findings"]]
    assert r.code == 1 and any(f["kind"] == "device-start" and f["severity"] == "collision"
                               and "hang" in f["message"] for f in findings), findings


def test_firecracker_refuses_a_device_without_msix():
    name = "amd_fiji_gpu_7300_rebar"
    with pytest.raises(VmmRefuses):
        model_bytes(real(name), "firecracker")
    r = capslot("check", str(SAMPLES / f"{name}.txt"), "--add", "pasid@0xff8", "--vmm",
                "firecracker", "--json")
    findings = [f for p in json.loads(r.out)["placements"] for f in p["findings"]]
    assert r.code == 1 and any(f["kind"] == "device-start" for f in findings), findings


@pytest.mark.parametrize("vmm", ["openvmm", "firecracker", "firecracker-vfio"])
def test_bounded_walks_survive_a_cycle(vmm):
    assert_same(purpose("cyclic"), vmm, "cyclic")


def test_the_region_is_256_bytes_without_pci_express():
    assert linux_cfg_size(purpose("not_pcie").space.data) == 0x100
    assert linux_cfg_size(purpose("pcix2").space.data) == CONFIG_SIZE
    assert linux_cfg_size(real("amd_rs690_hostbridge_7911").space.data) == 0x100  # aliased


# ---------------------------------------------------------------- the CLI on model guests

SRIOV_SAMPLE = "intel_82576_nic_10c9_sriov"  # AER@100 DSN@140 ARI@150 SR-IOV@160


def guest_file(tmp_path: Path, name: str, vmm: str, hw=None) -> Path:
    data = model_bytes(hw or real(name), vmm)
    path = tmp_path / f"{name}.{vmm}.bin"
    path.write_bytes(data)
    return path


def sriov_offset(hw) -> int:
    k = kernel_bytes(hw)
    off, seen = EXT, set()
    while off and off not in seen:
        seen.add(off)
        if u32(k, off) & 0xFFFF == SRIOV:
            return off
        off = (u32(k, off) >> 20) & 0xFFC
    raise AssertionError("no SR-IOV in the kernel's chain")


@pytest.mark.parametrize("vmm", ID_NULL)
def test_a_pasid_inside_a_masked_sriov_collides(tmp_path, vmm):
    # openvmm refuses the 82576 (its BAR 2 is an I/O BAR): the ThunderX NIC has none
    name = "cavium_thunderx_nic_a01e_ea" if vmm == "openvmm" else SRIOV_SAMPLE
    guest = guest_file(tmp_path, name, vmm)
    off = sriov_offset(real(name)) + 0x10
    assert u32(guest.read_bytes(), off - 0x10) & 0xFFFF == 0  # the model nulled the ID
    r = capslot("check", str(guest), "--add", f"pasid@{off:#x}", "--json")
    assert r.code == 1, r.out + r.err
    out = json.loads(r.out)
    kinds = {f["kind"] for p in out["placements"] for f in p["findings"]
             if f["severity"] == "collision"}
    assert "masked" in kinds, out
    r = capslot("show", str(guest), "--json")
    captured = json.loads(r.out)["devices"][0]["captured"]
    assert captured["layer"] == "guest" and captured["vmm_style"] == "id-null", captured


def same_bytes(hw) -> dict[str, set[str]]:
    """For each VMM, every VMM whose guest's extended space is the same as its own on this
    device. VMMs capslot knows but that have no model here (no source was given for them,
    e.g. firecracker-unlink) only count through capslot's own bytes, to decide a tie."""
    out = {}
    for vmm in VMMS:
        try:
            out[vmm] = model_bytes(hw, vmm)[EXT:]
        except (VmmHangs, VmmAborts, VmmRefuses):
            continue  # no guest: it cannot explain any dump
    out |= {vmm: capslot_bytes(hw, vmm)[EXT:] for vmm in CAPSLOT_VMMS if vmm not in MODELS}
    return {vmm: {o for o in out if out[o] == out[vmm]} for vmm in out}


@pytest.mark.parametrize("name", [SRIOV_SAMPLE, "mellanox_connectx3pro_1007"])
@pytest.mark.parametrize("vmm", VMMS)
def test_diff_names_the_vmm(tmp_path, name, vmm):
    if vmm not in same_bytes(real(name)):
        pytest.skip(f"{vmm} refuses {name}")
    hw = real(name)
    same = same_bytes(hw)[vmm]
    guest = guest_file(tmp_path, name, vmm)
    r = capslot("diff", str(SAMPLES / f"{name}.txt"), str(guest), "--json")
    assert r.code == 0, r.out + r.err
    out = json.loads(r.out)
    said = out["consistent_with"]
    assert said and any(said.startswith(f"guest ({o})") for o in same), (said, same)
    # every VMM whose guest reads these bytes, and no other (issue 22), and the host layers
    # when the VMM changed nothing
    want = {f"guest ({o})" for o in same}
    data = guest.read_bytes()[EXT:]
    want |= {layer for layer, layout in (("hardware", hw), ("vfio", view(hw, "vfio", "upstream")))
             if layout.space.data[EXT:] == data}
    assert set(out["consistent_views"]) == want, (out["consistent_views"], want)


# Where the style shows in the bytes alone:
# - crosvm (relink-zero): a skipped capability at 0x100 reads as ID 0x000C (CAC) with version
#   0 and the rest of its extent zero (cavium, mellanox: ARI@0x100; sriov_head, ari_head).
# - QEMU (rebuild): a well-formed SR-IOV or ARI that nothing links to, whose next pointer
#   leads back into the chain (vfio-pci never unlinks SR-IOV or ARI: it has a length for
#   both). sriov_middle: SR-IOV@0x148 -> DSN@0x188; ari_sriov: ARI@0x148 -> SR-IOV -> ATS;
#   placeholder_head: SR-IOV@0x108 -> AER@0x148; intel_0d93: SR-IOV@0xb80 -> VSEC@0xd00;
#   xilinx c084: ARI@0x128 -> AER@0x200. Not listed, as the bytes cannot tell: 82576 and
#   pm1743 (the unlinked ARI -> SR-IOV run ends in 0, as lsi_sas2008's does on the host),
#   cavium and mellanox under QEMU (an ID 0 / version 0 head whose own registers are 0).
STYLE_EVIDENCE = [
    ("crosvm", "cavium_thunderx_nic_a01e_ea", "relink-zero"),
    ("crosvm", "mellanox_connectx3pro_1007", "relink-zero"),
    ("crosvm", "sriov_head", "relink-zero"),
    ("crosvm", "ari_head", "relink-zero"),
    ("qemu", "sriov_middle", "rebuild"),
    ("qemu", "ari_sriov", "rebuild"),
    ("qemu", "placeholder_head", "rebuild"),
    ("qemu", "intel_0d93_cxl_dvsec", "rebuild"),
    ("qemu", "xilinx_cxl_memdev_c084", "rebuild"),
]


@pytest.mark.parametrize("vmm,name,style", STYLE_EVIDENCE)
def test_show_recognises_the_style(tmp_path, vmm, name, style):
    hw = purpose(name) if name in DEVICES else real(name)
    guest = guest_file(tmp_path, name, vmm, hw)
    r = capslot("show", str(guest), "--json")
    captured = json.loads(r.out)["devices"][0]["captured"]
    assert captured["layer"] == "guest" and captured["vmm_style"] == style, captured


# ---------------------------------------------------------------- issue 22

def test_pci_rs_leaves_a_removed_capability_raw():
    """Firecracker pci.rs on the 82576 (AER@100 DSN@140 ARI@150 SR-IOV@160): DSN, the last
    kept one, points nowhere; ARI and SR-IOV read raw, ARI's header 0x1601000e."""
    hw = real(SRIOV_SAMPLE)
    for got in (model_bytes(hw, "firecracker-unlink"), capslot_bytes(hw, "firecracker-unlink")):
        assert u32(got, 0x150) == 0x1601000E
        assert u32(got, 0x140) >> 20 == 0 and u32(got, 0x100) >> 20 == 0x140
        assert got[0x160:0x1A0] == kernel_bytes(hw)[0x160:0x1A0]
    assert CAPSLOT_VMMS["firecracker-unlink"].verified


def test_refusals_are_data_on_the_vmm_entry():
    """Another check reads these fields to say a VMM cannot take the device at all."""
    assert {n for n, v in CAPSLOT_VMMS.items() if v.endpoint_only} == {"firecracker-unlink"}
    assert {n for n, v in CAPSLOT_VMMS.items() if v.refuses_io_bar} == {"openvmm"}
    for name, vmm, words in (("bridge", "firecracker-unlink", "NotAnEndpoint"),
                             ("io_bar", "openvmm", "PIO BARs are not supported"),
                             ("std_loop", "cloud-hypervisor", "hang"),
                             ("std_loop", "crosvm", "hang"),
                             ("std_loop", "qemu", "hang")):
        layout = view(purpose(name), "guest", "upstream", QemuOptions(), vmm=vmm)
        assert any(words in p.message for p in layout.problems
                   if p.kind in ("vmm_refuses", "vmm_hang")), (name, vmm, layout.problems)


def test_abutting_capabilities_of_one_id_read_the_second_header_raw(tmp_path):
    """vfio_find_cap_start() walks back from 0x3fc into the VSEC at 0x2fc: the header at
    0x3fc is served raw with its own next (0x434), so the capabilities vfio-pci hid after it
    are in the chain user space and QEMU read."""
    hw = purpose("abutting_vsec")
    kernel = view(hw, "vfio", "upstream")
    assert u32(kernel.space.data, 0x3FC) == u32(hw.space.data, 0x3FC) == 0x4341000B
    seen = {c.offset: kernel.visibility(i) for i, c in enumerate(kernel.capabilities)}
    assert seen[0x434] == seen[0x450] == "visible"
    qemu = view(hw, "guest", "upstream", QemuOptions(), vmm="qemu")
    assert {c.offset for i, c in enumerate(qemu.capabilities)
            if qemu.visibility(i) == "visible"} >= {0x434, 0x450}
    dump = tmp_path / "abutting.bin"
    dump.write_bytes(hw.space.data)
    r = capslot("check", str(dump), "--add", "pasid@0x434", "--json")
    findings = [f for p in json.loads(r.out)["placements"] for f in p["findings"]]
    assert r.code == 1 and any(f["severity"] == "collision" for f in findings), findings


def test_a_next_pointer_to_a_zero_header_reads_0_from_the_kernel():
    """vfio_ecap_init() meets ID 0 at 0x200 (no length) and writes PCI_EXT_CAP_NEXT(0) = 0
    into SR-IOV's next: user space reads the chain ending at SR-IOV."""
    hw = purpose("trailing_zero_header")
    assert u32(hw.space.data, 0x148) >> 20 == 0x200
    assert u32(kernel_bytes(hw), 0x148) == 0x00010010


def test_diff_of_each_vmms_export_names_exactly_the_vmms_whose_views_match(tmp_path):
    """capslot export --format binary of each VMM's guest (with a PASID at 0xff8), diffed
    against the host dump with the same PASID: named are exactly the VMMs whose exports hold
    the same bytes, the exporting one among them."""
    name = "mellanox_connectx3pro_1007"
    host = str(SAMPLES / f"{name}.txt")
    exports = {}
    for vmm in CAPSLOT_VMMS:
        out = tmp_path / f"{vmm}.bin"
        # the layout alone: the ConnectX-3 Pro has no PASID, so no VMM would synthesize one
        r = capslot("export", host, "--add", "pasid@0xff8", "--vmm", vmm, "--format", "binary",
                    "--layout-only", "-o", str(out))
        assert r.code == 0, (vmm, r.err)
        exports[vmm] = out.read_bytes()
    for vmm, data in exports.items():
        r = capslot("diff", host, str(tmp_path / f"{vmm}.bin"), "--add", "pasid@0xff8", "--json")
        said = json.loads(r.out)["consistent_views"]
        want = [f"guest ({o}) + pasid@0xff8" for o in CAPSLOT_VMMS
                if exports[o][EXT:] == data[EXT:]]
        assert said == want, (vmm, said, want)
    assert len({d[EXT:] for d in exports.values()}) < len(exports)  # some VMMs tie


@pytest.mark.parametrize("dump,vmm,words", [
    ("realtek_rtl8168_nic_b", "openvmm", "PIO BARs are not supported"),
    ("intel_ich10_rootport1_3a40", "firecracker-unlink", "NotAnEndpoint"),
    ("amd_rd890_ht_5a13_256", "firecracker", "256-byte region"),
])
def test_check_says_the_vmm_refuses_the_device(dump, vmm, words):
    """A VMM that refuses the device at creation: every placement collides (device-start),
    with the VMM's own reason."""
    r = capslot("check", str(SAMPLES / f"{dump}.txt"), "--add", "pasid@0xff8", "--vmm", vmm,
                "--json")
    findings = [f for p in json.loads(r.out)["placements"] for f in p["findings"]]
    assert r.code == 1 and any(f["kind"] == "device-start" and words in f["message"]
                               for f in findings), findings


def test_abutting_vendor_capabilities_in_standard_space():
    """The same walk-back in standard space (base 0x40): VNDR@0x40 (0x10 bytes) abuts
    VNDR@0x50, whose next (0x60, a capability vfio-pci hides) reads raw, so user space still
    reaches it; the kernel's rewrite of 0x51 to 0x70 is not seen."""
    vndr = lambda nxt: bytes([0x09, nxt, 0x10]) + bytes(13)  # noqa: E731
    raw = config_space(std={0x40: vndr(0x50), 0x50: vndr(0x60), 0x60: bytes([0x0F, 0x70, 0, 0]),
                            0x70: pcie_cap()}, ext={0x100: aer(0)})
    hw = build(load_bytes(raw, "vndr.bin"))
    kernel = view(hw, "vfio", "upstream")
    assert kernel.space.data[0x51] == 0x60
    seen = {c.offset: kernel.visibility(i) for i, c in enumerate(kernel.capabilities)}
    assert seen[0x60] == "visible"
    # without the abutting one, vfio unlinks it
    raw = config_space(std={0x40: vndr(0x50), 0x50: bytes([0x09, 0x60, 0x8]) + bytes(5),
                            0x60: bytes([0x0F, 0x70, 0, 0]), 0x70: pcie_cap()},
                       ext={0x100: aer(0)})
    raw = raw[:0x42] + bytes([0x0C]) + raw[0x43:]  # VNDR@0x40 is 12 bytes: a gap before 0x50
    kernel = view(build(load_bytes(raw, "gap.bin")), "vfio", "upstream")
    assert kernel.space.data[0x51] == 0x70


@pytest.mark.parametrize(("chain", "hangs"), [
    # 0x40 -> 0x40: cloud-hypervisor's parse_capabilities() stops at next == itself; QEMU's
    # vfio_std_cap_max_size() and crosvm's VfioPciDevice::new() follow it for ever
    ({0x40: (0x01, 0x40)}, {"qemu": True, "cloud-hypervisor": False, "crosvm": True}),
    # 0x40 -> 0x51 -> (0x50 -> 0x40): only cloud-hypervisor masks the pointer (& 0xfc), reaches
    # 0x50 and loops; QEMU and crosvm read the byte after 0x51 (0x52, zero) and stop
    ({0x40: (0x01, 0x51), 0x50: (0x05, 0x40)}, {"qemu": False, "cloud-hypervisor": True,
                                                "crosvm": False}),
], ids=["self-pointer", "unaligned"])
def test_each_vmms_standard_walk_hangs_where_its_source_loops(chain, hangs):
    raw = config_space(std={off: std_cap(cap_id, nxt, bytes(10)) for off, (cap_id, nxt) in chain.items()})
    hw = build(load_bytes(raw))
    for vmm, hang in hangs.items():
        kinds = {p.kind for p in view(hw, "guest", vmm=vmm).problems}
        assert ("vmm_hang" in kinds) == hang, vmm
