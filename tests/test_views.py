"""The vfio and guest views, built from the kernel's and QEMU's own rules
(docs/reference/vfio-qemu.md)."""

from __future__ import annotations

import json
import struct

import pytest

from capslot.core.layout import Kind, build
from capslot.core.views import Access, QemuOptions, view
from capslot.core.walk import walk
from tests.cli import capslot
from tests.helpers import config_space, dw, ext_header, load_bytes, pcie_cap, std_cap

PASID, DPC, L1SS, UNKNOWN = 0x1B, 0x1D, 0x1E, 0x4A4A


def device(ext: dict[int, bytes], std: dict[int, bytes] | None = None):
    return build(load_bytes(config_space(std=std or {0x40: pcie_cap()}, ext=ext)))


def chain(layout):
    """What a reader of the view's bytes finds by walking them."""
    return [(c.space.value[:3], c.offset, c.id) for c in walk(layout.space).capabilities]


def vis(layout):
    return {(c.offset): layout.visibility(i) for i, c in enumerate(layout.capabilities)}


@pytest.mark.parametrize("middle", [PASID, DPC, L1SS, UNKNOWN])
def test_a_cap_vfio_cannot_size_is_unlinked_and_its_bytes_stay_raw(middle):
    hw = device({0x100: ext_header(0x01, 1, 0x140),  # AER
                 0x140: ext_header(middle, 1, 0x180) + dw(0x0000_1234),
                 0x180: ext_header(0x18, 1, 0)})   # LTR
    v = view(hw, "vfio")
    assert vis(v)[0x140] == "hidden" and vis(v)[0x100] == vis(v)[0x180] == "visible"
    assert chain(v) == [("sta", 0x40, 0x10), ("ext", 0x100, 0x01), ("ext", 0x180, 0x18)]
    # the hidden cap's bytes are still there, as they were, and reach the device raw
    assert v.space.data[0x140:0x148] == hw.space.data[0x140:0x148]
    assert v.region_at(0x140).kind is Kind.HIDDEN
    assert set(v.access[0x140:0x148]) == {Access.RAW}
    reason = v.cap_views[1 + 1].reason
    assert "vfio-pci" in reason


def test_hidden_first_cap_leaves_a_placeholder_with_id_and_version_zero():
    hw = device({0x100: ext_header(PASID, 1, 0x200), 0x200: ext_header(0x01, 2, 0)})
    v = view(hw, "vfio")
    assert vis(v)[0x100] == "placeholder"
    hdr = struct.unpack_from("<I", v.space.data, 0x100)[0]
    assert hdr & 0xFFFFF == 0 and hdr >> 20 == 0x200  # ID 0, version 0, next kept
    assert chain(v)[1:] == [("ext", 0x100, 0), ("ext", 0x200, 0x01)]
    assert set(v.access[0x100:0x104]) == {Access.VIRTUALIZED}
    assert set(v.access[0x104:0x108]) == {Access.RAW}  # the body is not mapped
    assert v.region_at(0x100).kind is Kind.CAPABILITY and v.region_at(0x104).kind is Kind.HIDDEN
    # QEMU drops the placeholder: the guest sees ID 0 at 0x100 pointing on to AER
    g = view(hw, "guest")
    assert vis(g)[0x100] == "dropped" and chain(g)[1:] == [("ext", 0x100, 0), ("ext", 0x200, 0x01)]


def test_a_chain_of_only_hidden_caps_shows_no_extended_caps():
    hw = device({0x100: ext_header(L1SS, 1, 0x200), 0x200: ext_header(DPC, 1, 0)})
    v = view(hw, "vfio")
    assert [x for x in chain(v) if x[0] == "ext"] == []
    assert v.space.u32(0x100) == 0


def test_sriov_and_ari_are_visible_to_vfio_and_dropped_by_qemu():
    hw = device({0x100: ext_header(0x0E, 1, 0x108), 0x108: ext_header(0x01, 1, 0x160),
                 0x160: ext_header(0x10, 1, 0)})
    v, g = view(hw, "vfio"), view(hw, "guest")
    assert vis(v) == {0x40: "visible", 0x100: "visible", 0x108: "visible", 0x160: "visible"}
    assert vis(g)[0x100] == vis(g)[0x160] == "dropped" and vis(g)[0x108] == "visible"
    assert [x for x in chain(g) if x[0] == "ext"] == [("ext", 0x100, 0), ("ext", 0x108, 0x01)]
    assert "SR-IOV" in g.cap_views[3].reason and "ARI" in g.cap_views[1].reason
    # the dropped caps' bytes remain; ARI's (at the head) is replaced by QEMU's ID-0 stub
    assert g.region_at(0x160).kind is Kind.HIDDEN
    assert g.space.data[0x164:0x1A0] == hw.space.data[0x164:0x1A0]


def test_qemu_sizes_and_abort():
    """QEMU sizes a kept cap by the distance to the next one; < 8 bytes aborts QEMU."""
    hw = device({0x100: ext_header(0x18, 1, 0x104), 0x104: ext_header(0x18, 1, 0xFFC),
                 0xFFC: ext_header(0x0F, 1, 0)})
    g = view(hw, "guest")
    assert [v.exposed for v in g.cap_views[1:]] == [4, 0xFFC - 0x104, 4]
    aborts = [p.offset for p in g.problems if p.kind == "qemu_abort"]
    assert aborts == [0x100, 0xFFC]


def test_ats_off_and_unrepresentable_rebar_are_dropped():
    rebar = ext_header(0x15, 1, 0) + dw(0x0000_0010, 0x0000_1C20)  # NBAR 1, BAR size 28
    hw = device({0x100: ext_header(0x0F, 1, 0x140), 0x140: rebar})
    assert vis(view(hw, "guest"))[0x100] == "visible"
    g = view(hw, "guest", qemu=QemuOptions(ats="off"))
    assert vis(g) == {0x40: "visible", 0x100: "dropped", 0x140: "dropped"}


def test_hidden_standard_caps_are_unlinked():
    std = {0x40: std_cap(0x0D, 0x50, bytes(6)),  # SSVID: vfio hides it
           0x50: std_cap(0x01, 0x60, bytes(6)),  # PM
           0x60: pcie_cap(0x90), 0x90: std_cap(0x0A, 0, bytes(2))}  # debug port: hidden
    v = view(build(load_bytes(config_space(std=std))), "vfio")
    assert vis(v) == {0x40: "hidden", 0x50: "visible", 0x60: "visible", 0x90: "hidden"}
    assert v.space.u8(0x34) == 0x50 and chain(v) == [("sta", 0x50, 0x01), ("sta", 0x60, 0x10)]
    assert set(v.access[0x40:0x48]) == {Access.RAW}
    only_hidden = view(build(load_bytes(config_space(std={0x40: std_cap(0x0D, 0, bytes(6))}))), "vfio")
    assert only_hidden.space.u16(0x06) & 0x10 == 0  # Status.CapList cleared


def test_access_classes_of_visible_caps():
    hw = device({0x100: ext_header(0x01, 1, 0)})
    v = view(hw, "vfio")
    assert set(v.access[0x100:0x104]) == {Access.VIRTUALIZED}  # header from vconfig
    # uncorrectable status/mask/severity: every byte holds a writable error bit
    assert set(v.access[0x104:0x110]) == {Access.WRITABLE}
    # correctable status/mask: bits 0, 6-8, 12-15 only, so bytes +2..+3 drop writes;
    # capabilities/control: ECRC enables at bits 6 and 8 only
    for reg in (0x110, 0x114, 0x118):
        assert list(v.access[reg:reg + 4]) == [Access.WRITABLE] * 2 + [Access.READ_ONLY] * 2
    assert set(v.access[0x11C:0x12C]) == {Access.READ_ONLY}  # header log
    assert set(v.access[0x12C:0x1000]) == {Access.RAW}  # unassigned
    assert set(v.access[0x48:0x4A]) == {Access.WRITABLE}  # PCIe Device Control
    assert set(v.access[0x10:0x28]) == {Access.VIRTUALIZED}  # BARs


def test_kernel_flavour_exposes_pasid():
    hw = device({0x100: ext_header(0x01, 1, 0x140), 0x140: ext_header(PASID, 1, 0)})
    assert vis(view(hw, "vfio", profile="nvidia"))[0x140] == "visible"
    assert view(hw, "vfio", profile="nvidia").profile == "kernel nvidia"


# ---------------------------------------------------------------- real devices, pinned by hand

PINNED = {
    # AMD Fiji: upstream vfio hides PASID and Secondary PCIe; QEMU also drops ARI.
    "amd_fiji_gpu_7300_rebar": ({0x270: "hidden", 0x2D0: "hidden"},
                                {0x270: "hidden", 0x2D0: "hidden", 0x328: "dropped"}),
    # Intel 82576 (SR-IOV): vfio shows all; QEMU drops ARI and SR-IOV.
    "intel_82576_nic_10c9_sriov": ({}, {0x150: "dropped", 0x160: "dropped"}),
    # Intel AX200: L1 PM Substates hidden in both.
    "intel_ax200_wifi_2723": ({0x154: "hidden"}, {0x154: "hidden"}),
    # Skylake iGPU: PASID is first at 0x100 -> placeholder; QEMU drops the placeholder.
    "intel_skylake_igpu_191e": ({0x100: "placeholder"}, {0x100: "dropped"}),
    # A bridge whose only extended cap (PTM) is hidden: no extended caps in the vfio view.
    "intel_b002_bridge_ptm": ({0x100: "placeholder"}, {0x100: "dropped"}),
}


@pytest.mark.parametrize("stem", sorted(PINNED))
def test_pinned_real_devices(samples, stem):
    from capslot.core.sources import load

    hw = build(load(str(samples / f"{stem}.txt"))[0])
    for name, expected in zip(("vfio", "guest"), PINNED[stem], strict=False):
        v = view(hw, name)
        got = {off: s for off, s in vis(v).items() if s != "visible"}
        assert got == expected, name
    if stem == "intel_b002_bridge_ptm":
        assert view(hw, "vfio").space.u32(0x100) == 0


# QEMU's vfio_add_ext_cap() (hw/vfio/pci.c), the switch over each extended capability's ID:
#   case 0: /* kernel masked capability */  case PCI_EXT_CAP_ID_SRIOV:  case PCI_EXT_CAP_ID_ARI:
#       trace_vfio_add_ext_cap_dropped(...); break;
QEMU_DROPS = {0x0000, 0x0010, 0x000E}


def model_counts(data: bytes) -> dict[str, int]:
    """Per view, how many capabilities are hidden, kept as a placeholder, or dropped, from the
    test's own models: Linux vfio_config_init() (tests/test_vfio_access.Kernel) for vfio,
    then QEMU's drop switch above for the guest (which also drops the kernel's placeholder)."""
    from tests.test_vfio_access import Kernel

    kernel = Kernel(data, len(data))
    ext = len(data) > 256 and any(b in (0x07, 0x10) for b in kernel.map[64:256])
    if len(data) > 256 and not ext:  # pci_cfg_space_size(): a 256-byte region, no extended walk
        kernel = Kernel(data[:256], 256)
    hidden, placeholders = len(kernel.hidden), len(kernel.placeholders)
    dropped = placeholders + sum(1 for space, _off, cap in kernel.kept
                                 if space == "extended" and cap in QEMU_DROPS)
    counts = {"vfio_hidden": hidden, "vfio_placeholder": placeholders,
              "guest_hidden": hidden, "guest_dropped": dropped}
    return {k: n for k, n in counts.items() if n}


def test_counts_per_view_on_every_real_device(samples):
    """How many capabilities each view hides, turns into a placeholder or drops, on every real
    device, equal to the kernel's and QEMU's rules modelled in the test (upstream kernel, QEMU
    with ATS kept)."""
    from capslot.core.sources import load
    from tests.conftest import sample_dumps

    for dump in sample_dumps():
        if "cardbus" in dump.stem:
            continue  # its capability pointer is at 0x14; vfio-pci reads 0x34 regardless
        cs = load(str(dump))[0]
        hw = build(cs)
        counts = {}
        for name in ("vfio", "guest"):
            v = view(hw, name)
            for state in ("hidden", "placeholder", "dropped"):
                n = sum(1 for i in range(len(v.capabilities)) if v.visibility(i) == state)
                if n:
                    counts[f"{name}_{state}"] = n
        assert counts == model_counts(cs.data[:cs.captured]), dump.stem


def test_show_json_reports_visibility_and_hidden_regions():
    r = capslot("show", "sample_dumps/amd_fiji_gpu_7300_rebar.txt", "--view", "guest", "--json")
    (dev,) = json.loads(r.out)["devices"]
    assert dev["view"] == "guest" and "upstream" in dev["profile"]
    states = {c["offset"]: c["visibility"] for c in dev["capabilities"]}
    assert states[0x2D0] == "hidden" and states[0x328] == "dropped" and states[0x100] == "visible"
    assert all(c["visibility"] in ("visible", "hidden", "placeholder", "dropped") for c in dev["capabilities"])
    hidden = [(r["start"], r["kind"]) for r in dev["regions"] if r["kind"] == "hidden"]
    assert (0x2D0, "hidden") in hidden and (0x328, "hidden") in hidden
    assert {a["class"] for a in dev["access"]} >= {"virtualized", "read_only", "raw"}


def test_id0_at_0x100_reads_raw_from_the_device():
    """The ID-0 quirk: the placeholder's map byte is PCI_CAP_ID_BASIC, so the header is read
    raw, and even with no capability left 0x100 is not zeroed."""
    hw = device({0x100: ext_header(0x0000, 1, 0x200), 0x200: ext_header(L1SS, 1, 0)})
    v = view(hw, "vfio")
    assert vis(v)[0x100] == "placeholder"
    assert v.space.u32(0x100) == hw.space.u32(0x100)
    assert set(v.access[0x100:0x104]) == {Access.READ_ONLY}


def test_views_do_not_change_the_hardware_layout():
    hw = device({0x100: ext_header(PASID, 1, 0x200), 0x200: ext_header(0x01, 2, 0)})
    before = (hw.space.data, hw.regions)
    view(hw, "guest")
    assert (hw.space.data, hw.regions) == before
