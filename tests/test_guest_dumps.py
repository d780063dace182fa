"""Dumps read inside a guest, masked capabilities, and QEMU as its code behaves (issue 12).

The guest dumps here are built by hand from what each VMM's source does (see the comments),
not by capslot; tests/test_vmm_models.py compares whole guest views with models of each VMM."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from capslot.core.capture import detect
from capslot.core.hostchain import host_layout
from capslot.core.layout import Kind, build
from capslot.core.plan import Plan
from capslot.core.placement import parse_vcap
from capslot.core.sources import load
from capslot.core.target import TargetSpec
from capslot.core.views import QemuOptions
from tests.cli import capslot
from tests.conftest import sample_dumps
from tests.helpers import config_space, dw, ext_header, load_bytes, pcie_cap, std_cap

SRIOV_BODY = dw(0x2, 0x0000, 0x00080008, 0x8, 0x00020180, 0x10ca0000, 0x553, 0x1,
                0xfe000000, 0, 0, 0xfd000000, 0, 0, 0)  # 15 DWORDs after the header


def ext(cap_id: int, version: int, nxt: int) -> bytes:
    return struct.pack("<I", cap_id | version << 16 | nxt << 20)


def id_null_guest() -> bytes:
    """What cloud-hypervisor/openvmm/Firecracker (feature/vfio) show for a device with AER@0x100
    -> SR-IOV@0x140 -> DSN@0x180: SR-IOV's header keeps version 1 and next, ID bits read 0
    (ConfigPatch mask 0x0000_ffff, patch 0), its body is raw."""
    return config_space(std={0x40: pcie_cap(next_ptr=0x80), 0x80: std_cap(0x01, 0, dw(0x3))},
                        ext={0x100: ext(0x01, 2, 0x140) + bytes(0x28),
                             0x140: ext(0x00, 1, 0x180) + SRIOV_BODY,
                             0x180: ext(0x03, 1, 0) + dw(0x12345678, 0x9abc)})


def write(tmp_path: Path, name: str, raw: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(raw)
    return str(path)


# ---------------------------------------------------------------- masked capabilities

def test_a_masked_sriov_is_never_free(tmp_path):
    dump = write(tmp_path, "guest.bin", id_null_guest())
    hw = build(load_bytes(id_null_guest()))
    kinds = {r.kind for r in hw.regions if 0x140 <= r.start < 0x180}
    assert kinds == {Kind.MASKED}
    (cap,) = [c for c in hw.capabilities if c.offset == 0x140]
    assert cap.size == 0x40 and "likely SR-IOV" in cap.size_why
    r = capslot("check", dump, "--add", "pasid@0x150", "--json")
    (p,) = json.loads(r.out)["placements"]
    assert r.code == 1 and p["verdict"] == "collision"
    assert any(f["kind"] == "masked" and "likely SR-IOV" in f["message"] for f in p["findings"])
    # the old answer was a 4-byte "Null" capability and a free zero gap behind it; and auto
    # placement keeps out of it
    place = json.loads(capslot("place", dump, "--add", "pasid", "--json").out)["placements"][0]
    assert not 0x140 <= place["offset"] < 0x180


def test_show_json_names_masked_and_where_it_was_read(tmp_path):
    out = json.loads(capslot("show", write(tmp_path, "g.bin", id_null_guest()), "--json").out)
    dev = out["devices"][0]
    assert dev["captured"]["layer"] == "guest" and dev["captured"]["vmm_style"] == "id-null"
    assert any("0x140" in e for e in dev["captured"]["evidence"])
    masked = [r for r in dev["regions"] if r["kind"] == "masked"]
    assert (masked[0]["start"], masked[-1]["end"]) == (0x140, 0x180)
    (cap,) = [c for c in dev["capabilities"] if c["offset"] == 0x140]
    assert cap["visibility"] == "masked"


def test_the_target_of_a_guest_dump_is_the_dump_itself(tmp_path):
    dump = write(tmp_path, "g.bin", id_null_guest())
    r = capslot("check", dump, "--add", "pasid@0x200")
    assert "target: the guest that read this dump" in r.out
    # --captured host asks for the second pass anyway (a vfio + QEMU view of these bytes)
    r = capslot("check", dump, "--add", "pasid@0x200", "--captured", "host", "--json")
    assert json.loads(r.out)["target"]["text"] == "QEMU guest, upstream kernel"


def test_text_map_and_legend_show_masked(tmp_path):
    text = capslot("show", write(tmp_path, "g.bin", id_null_guest()), "--map", "text").out
    (row,) = [line for line in text.splitlines() if line.startswith("100 ")]
    assert row[4 + 0x40 // 4:4 + 0x80 // 4] == "&" * 16 and "& masked capability" in text


# ---------------------------------------------------------------- where was this dump read?

def test_every_bundled_host_dump_reads_as_host():
    for path in sample_dumps():
        devices = load(str(path))
        for cs in devices:
            got = detect(build(cs), devices)
            virtio = cs.vendor_id == 0x1AF4  # QEMU's emulated virtio devices: read in a guest
            assert (got.layer == "guest") == virtio, (path.name, got)


def test_placeholder_head_with_live_body_is_a_guest_sign_and_host_layout_sizes_it():
    """vfio-pci's placeholder for a hidden first capability: ID and version read 0, next
    kept (vfio_ecap_init); the body stays raw. Secondary PCIe on an x4 link is 0x0C + 2*4."""
    body = dw(0, 0) + bytes([0x11, 0x22] * 4)
    raw = config_space(std={0x40: pcie_cap(width=4)},
                       ext={0x100: struct.pack("<I", 0x114 << 20) + body,
                            0x114: ext_header(0x03) + dw(1, 2)})
    hw = build(load_bytes(raw))
    got = detect(hw)
    assert got.layer == "guest" and "[100 v0]" in got.evidence[0]
    head = host_layout(hw)[0]
    assert (head.offset, head.what, head.size, head.certainty) == (0x100, "likely SecPCIe", 0x14, "guess")
    assert "x4" in head.reason


def test_a_crosvm_head_and_its_zeros(tmp_path):
    """crosvm: a removed head reads (config & 0xffc<<20) | 0x000C, its extent reads 0; the
    zeros elsewhere may be removed capabilities too, so no zero gap is proven free."""
    raw = config_space(std={0x40: pcie_cap()},
                       ext={0x100: ext(0x0C, 0, 0x180), 0x180: ext(0x03, 1, 0) + dw(7, 8)})
    dump = write(tmp_path, "crosvm.bin", raw)
    dev = json.loads(capslot("show", dump, "--json").out)["devices"][0]
    assert dev["captured"]["layer"] == "guest" and dev["captured"]["vmm_style"] == "relink-zero"
    r = capslot("check", dump, "--add", "pasid@0x400", "--json")
    (p,) = json.loads(r.out)["placements"]
    assert p["verdict"] == "warning" and any(f["kind"] == "zero-unproven" for f in p["findings"])


def test_crosvm_leaves_no_trace_unless_told(tmp_path):
    """crosvm removing a tail SR-IOV leaves a clean-looking dump: capslot cannot know, so the
    user says --captured guest --vmm crosvm, and the zeros are no longer proven free."""
    raw = config_space(std={0x40: pcie_cap()}, ext={0x100: ext(0x01, 2, 0) + bytes(0x28)})
    dump = write(tmp_path, "quiet.bin", raw)
    assert json.loads(capslot("check", dump, "--add", "pasid@0x200", "--json").out)[
        "placements"][0]["verdict"] == "ok"
    told = json.loads(capslot("check", dump, "--add", "pasid@0x200", "--captured", "guest",
                              "--vmm", "crosvm", "--json").out)["placements"][0]
    assert told["verdict"] == "warning"


def test_a_vmms_host_bridge_in_a_whole_machine_dump(tmp_path):
    nic = Path("sample_dumps/realtek_rtl8168_nic_b.txt").read_text()
    bridge = "00:00.0 Host bridge: Intel Corporation Device 0d57\n00: 86 80 57 0d 00 00 00 00 00 00 00 06 00 00 00 00\n"
    path = tmp_path / "machine.txt"
    path.write_text(bridge + "\n" + nic)
    devs = json.loads(capslot("show", str(path), "--json").out)["devices"]
    nic_dev = [d for d in devs if d["vendor_id"] == 0x10EC][0]
    assert nic_dev["captured"]["layer"] == "guest"
    assert any("8086:0d57" in e for e in nic_dev["captured"]["evidence"])


# ---------------------------------------------------------------- QEMU as its code behaves

def plan_of(raw: bytes, *vcaps: str, **target) -> Plan:
    """QEMU's view and insertion check alone (--layout-only): these synthetic devices have
    no PASID of their own, so "will it work?" would be no at every offset."""
    return Plan(load_bytes(raw), TargetSpec(**target), tuple(parse_vcap(v) for v in vcaps),
                auto=False, layout_only=True)


def kinds_of(plan: Plan) -> set[str]:
    return {f.kind for f in plan.placements[0].findings}


def test_qemu_keeps_a_stub_head_when_it_drops_everything():
    """vfio_add_ext_cap(): the head is PCI_EXT_CAP(0xFFFF, 0, 0) while caps are re-added;
    SR-IOV is dropped, so the stub is still there when vfio_pci_synthesize_pasid_cap() runs:
    pcie_insert_capability() walks from it and accepts any aligned offset >= 0x104; the cleanup
    then sets the stub's ID to 0, keeping next -> the PASID."""
    raw = config_space(std={0x40: pcie_cap()}, ext={0x100: ext(0x10, 1, 0) + SRIOV_BODY})
    plan = plan_of(raw, "pasid@0x200", captured="host")
    (p,) = plan.placements
    assert p.verdict == "ok" and "qemu-device" not in kinds_of(plan)
    assert plan.qemu_property() == "x-vpasid-cap-offset=0x200"
    guest = plan.synthesis.layout.space
    assert guest.u32(0x100) == 0x200 << 20  # ID 0, version 0, next -> PASID
    assert guest.u32(0x200) & 0xFFFF == 0x1B


def test_an_id0_head_read_raw_leaves_the_hidden_pasid_reachable():
    """The kernel maps the ID-0 placeholder as PCI_CAP_ID_BASIC and reads it raw, so hiding
    the PASID it points to (a rewrite of vconfig's next) is never seen; QEMU walks 0x100 ->
    PASID and adds the physical PASID: a virtual one is a duplicate."""
    raw = config_space(std={0x40: pcie_cap()},
                       ext={0x100: ext(0x00, 1, 0x140) + dw(5), 0x140: ext(0x1B, 1, 0) + dw(0x1400)})
    plan = plan_of(raw, "pasid@0xff8", captured="host")
    assert plan.view().visibility([c.offset for c in plan.view().capabilities].index(0x140)) == "visible"
    assert "duplicate" in kinds_of(plan) and plan.placements[0].verdict == "collision"


def test_no_extended_capabilities_without_pci_express():
    pcix = std_cap(0x07, 0, dw(0x00030000, 0, 0, 0, 0))  # PCI-X 2.0: vfio walks, QEMU does not
    raw = config_space(std={0x40: pcix}, ext={0x100: ext(0x01, 1, 0) + bytes(0x28)})
    plan = plan_of(raw, "pasid@0xff8", captured="host")
    assert "qemu-device" in kinds_of(plan) and plan.placements[0].verdict == "warning"
    assert plan.qemu_property() is None


def test_qemu_ats_on_without_ats_fails_device_start():
    raw = config_space(std={0x40: pcie_cap()}, ext={0x100: ext(0x01, 2, 0) + bytes(0x28)})
    assert plan_of(raw, "pasid@0xff8", captured="host").placements[0].verdict == "ok"
    on = plan_of(raw, "pasid@0xff8", captured="host", qemu=QemuOptions(ats="on"))
    assert on.placements[0].verdict == "collision" and "device-start" in kinds_of(on)
    with_ats = config_space(std={0x40: pcie_cap()},
                            ext={0x100: ext(0x01, 2, 0x140) + bytes(0x28), 0x140: ext(0x0F, 1, 0) + dw(0x20)})
    assert plan_of(with_ats, "pasid@0xff8", captured="host",
                   qemu=QemuOptions(ats="on")).placements[0].verdict == "ok"
    off = plan_of(with_ats, "pasid@0xff8", captured="host", qemu=QemuOptions(ats="off"))
    (ats,) = [i for i, c in enumerate(off.view().capabilities) if c.id == 0x0F and c.space.value == "extended"]
    assert off.view().visibility(ats) == "dropped"


def test_a_looping_chain_hangs_qemu_and_cloud_hypervisor_but_not_openvmm():
    raw = config_space(std={0x40: pcie_cap(next_ptr=0x80), 0x80: std_cap(0x01, 0, dw(0x3))},
                       ext={0x100: ext(0x01, 2, 0x140) + bytes(0x28), 0x140: ext(0x03, 1, 0x100) + dw(1, 2)})
    for vmm, hangs in (("qemu", True), ("cloud-hypervisor", True), ("crosvm", True),
                       ("openvmm", False), ("firecracker", False)):
        plan = plan_of(raw, "pasid@0xff8", captured="host", vmm=vmm)
        said = [f.message for f in plan.placements[0].findings if f.kind == "device-start"]
        assert any("hang" in m for m in said) == hangs, vmm


def test_firecracker_refuses_a_device_without_msix():
    """PR #6055's vfio_get_pci_capabilities(): no MSI-X capability, VfioError::NoMsixIrq."""
    raw = config_space(std={0x40: pcie_cap()}, ext={0x100: ext(0x01, 2, 0) + bytes(0x28)})
    plan = plan_of(raw, "pasid@0xff8", captured="host", vmm="firecracker")
    assert plan.placements[0].verdict == "collision"
    assert any("MSI-X" in f.message for f in plan.placements[0].findings)
    with_msix = config_space(std={0x40: pcie_cap(next_ptr=0x80), 0x80: std_cap(0x11, 0, dw(0, 0))},
                             ext={0x100: ext(0x01, 2, 0) + bytes(0x28)})
    assert plan_of(with_msix, "pasid@0xff8", captured="host",
                   vmm="firecracker").placements[0].verdict == "ok"


@pytest.mark.parametrize("vmm", ["cloud-hypervisor", "openvmm", "firecracker", "crosvm"])
def test_other_vmms_get_no_qemu_property(vmm):
    # openvmm refuses the RTL8168 (BAR 0 is an I/O BAR, "PIO BARs are not supported")
    dump = ("sample_dumps/samsung_pm1743_nvme_a826.txt" if vmm == "openvmm"
            else "sample_dumps/realtek_rtl8168_nic_b.txt")
    r = json.loads(capslot("check", dump, "--add", "pasid@0xff8", "--vmm", vmm, "--json").out)
    assert r["qemu"] is None and r["target"]["vmm"] == vmm
    assert not any(f["kind"] == "qemu" for f in r["placements"][0]["findings"])
    r = capslot("export", dump, "--add", "pasid", "--vmm", vmm, "--format", "qemu")
    assert r.code == 2 and "QEMU's" in r.err


def test_qemus_vpasid_preconditions_come_with_the_verdict():
    """vfio_pci_synthesize_pasid_cap() returns without a PASID unless iommufd reports a PASID
    width and the vIOMMU says VIOMMU_FLAG_PASID_SUPPORTED: every QEMU verdict says so."""
    nic = "sample_dumps/realtek_rtl8168_nic_b.txt"
    doc = json.loads(capslot("check", nic, "--add", "pasid@0xff8", "--json", "--layout-only").out)
    (need,) = doc["preconditions"]  # judged on the layout alone: said as a precondition
    assert "iommufd" in need and "vIOMMU" in need
    assert "precondition: " in capslot("check", nic, "--add", "pasid@0xff8", "--layout-only").out
    assert json.loads(capslot("check", nic, "--add", "ats@0xff0", "--json", "--layout-only").out)[
        "preconditions"] == []
    # judged whole, it is the `config` gate, with its evidence
    doc = json.loads(capslot("check", nic, "--add", "pasid@0xff8", "--json").out)
    (config,) = [g for g in doc["placements"][0]["feasibility"]["gates"] if g["gate"] == "config"]
    assert "iommufd" in config["evidence"] and "VIOMMU_FLAG_PASID_SUPPORTED" in config["evidence"]


def h200_style_guest() -> bytes:
    """An ID-null guest (cloud-hypervisor style) of an H200-like function: three masked
    headers with zeroed bodies, AER and DSN between them, and a PASID the VMM linked at the
    end. Only 0x248's span (8 bytes) fits one removed capability by size (ARI)."""
    return config_space(std={0x40: pcie_cap(next_ptr=0x80), 0x80: std_cap(0x01, 0, dw(0x3))},
                        ext={0x100: ext(0x01, 2, 0x134) + bytes(0x28) + dw(1),
                             0x134: ext(0x00, 1, 0x148) + bytes(0x10),
                             0x148: ext(0x03, 1, 0x248) + dw(0x1234, 0x5678),
                             0x248: ext(0x00, 1, 0x250) + bytes(4),
                             0x250: ext(0x00, 1, 0x2A0) + bytes(0x4C),
                             0x2A0: ext(0x1B, 1, 0) + dw(0x1406)})


def test_host_layout_decides_masked_spans_by_elimination_and_names_a_synthesized_pasid(tmp_path):
    """Issue 22: a function has one ARI, one SR-IOV, one Resizable BAR. 0x248 is ARI (its
    span), so 0x134 (0x14 bytes: ARI or Resizable BAR) is Resizable BAR, and 0x250 (ARI,
    SR-IOV or Resizable BAR) is SR-IOV. Upstream vfio-pci hides PASID: a linked PASID in
    this guest is the VMM's."""
    dump = write(tmp_path, "h200_guest.bin", h200_style_guest())
    r = capslot("show", dump, "--host-layout", "--json")
    rows = {row["offset"]: row for row in json.loads(r.out)["devices"][0]["host_layout"]}
    assert rows[0x248]["what"] == "likely ARI"
    assert rows[0x134]["what"] == "likely Resizable BAR" and "elimination" in rows[0x134]["reason"]
    assert rows[0x250]["what"] == "likely SR-IOV" and "elimination" in rows[0x250]["reason"]
    assert rows[0x250]["size"] == 0x40
    assert "synthesized" in rows[0x2A0]["what"] and "synthesized" in rows[0x2A0]["reason"]
    text = capslot("show", dump, "--host-layout").out
    assert "synthesized" in text and "elimination" in text


def test_explain_judges_a_guest_dump_as_read(tmp_path):
    """One rule with check (issue 22): a dump read inside a guest is explained as read, not
    run through vfio-pci and a VMM again ("vfio-pci has no length for NULL")."""
    dump = write(tmp_path, "id_null.bin", id_null_guest())
    out = json.loads(capslot("explain", dump, "0x140", "--json").out)
    assert [v["view"] for v in out["views"]] == ["captured"]
    assert not any("no length" in (v["reason"] or "") for v in out["views"])
    text = capslot("explain", dump, "0x140").out
    assert "captured" in text and "no length for NULL" not in text
    host = json.loads(capslot("explain", dump, "0x140", "--captured", "host", "--json").out)
    assert [v["view"] for v in host["views"]] == ["hardware", "vfio", "guest"]
