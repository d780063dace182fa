"""`capslot show`: the JSON contract of spec/cli.md, orphans on real devices, the text map."""

from __future__ import annotations

from pathlib import Path
import json

from tests.cli import capslot

CAP_KEYS = {"space", "id", "version", "name", "offset", "size", "size_certainty", "next", "visibility"}
REGION_KINDS = {"header", "capability", "unknown_tail", "zero_gap", "data_gap", "orphan",
                "hidden", "virtual", "unavailable"}


def show_json(*args):
    r = capslot("show", *args, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)["devices"]


def test_json_contract_on_a_real_device():
    (dev,) = show_json("sample_dumps/intel_82576_nic_10c9_sriov.txt")
    assert dev["source"] == "sample_dumps/intel_82576_nic_10c9_sriov.txt"
    assert dev["slot"] == "0000:01:00.0"
    assert (dev["vendor_id"], dev["device_id"]) == (0x8086, 0x10C9)
    assert dev["available"] == 4096 and dev["view"] == "hardware"
    for cap in dev["capabilities"]:
        assert set(cap) >= CAP_KEYS
        assert cap["space"] in ("standard", "extended")
        assert cap["size_certainty"] in ("exact", "minimum", "unknown")
        assert cap["visibility"] == "visible"
        assert all(isinstance(cap[k], int) for k in ("id", "offset", "size", "next"))
    sriov = next(c for c in dev["capabilities"] if c["id"] == 0x10 and c["space"] == "extended")
    assert (sriov["offset"], sriov["size"], sriov["size_certainty"]) == (0x160, 0x40, "exact")
    pos = 0
    for r in dev["regions"]:
        assert set(r) >= {"start", "end", "kind", "capability"} and r["kind"] in REGION_KINDS
        assert r["start"] == pos and r["end"] > r["start"]
        if r["capability"] is not None:
            assert dev["capabilities"][r["capability"]]["offset"] <= r["start"]
        pos = r["end"]
    assert pos == 4096
    assert isinstance(dev["problems"], list)


def test_all_devices_of_a_multi_device_file(tmp_path):
    text = "".join(Path(f"sample_dumps/{s}.txt").read_text() + "\n" for s in
                   ("realtek_rtl8168_nic_a", "realtek_rtl8168_nic_b"))
    p = tmp_path / "two.txt"
    p.write_text(text)
    assert [d["slot"] for d in show_json(str(p))] == ["0000:07:00.0", "0000:08:00.0"]
    assert [d["slot"] for d in show_json(str(p), "--slot", "08:00.0")] == ["0000:08:00.0"]


def orphan_map(dev):
    return {(o["offset"], o["id"]) for o in dev["orphans"]}


def test_unlinked_sriov_of_the_connectx3(samples=None):
    """NOTES.md: ARI@0x100 links to DSN@0x148; a complete SR-IOV cap sits at 0x108."""
    (dev,) = show_json("sample_dumps/mellanox_connectx3pro_1007.txt")
    assert (0x108, 0x10) in orphan_map(dev)
    region = next(r for r in dev["regions"] if r["start"] == 0x108)
    assert (region["kind"], region["end"]) == ("orphan", 0x148)


def test_whole_unlinked_chain_of_the_pm1743():
    """NOTES.md: ACS@0x238 -> LTR -> DPA -> RTR -> VSEC -> VSEC -> PTM -> VSEC -> RBAR@0x440
    -> VF-RBAR@0x480, interleaved with the live chain."""
    (dev,) = show_json("sample_dumps/samsung_pm1743_nvme_a826.txt")
    found = orphan_map(dev)
    for off, cap_id in [(0x238, 0x0D), (0x244, 0x18), (0x24C, 0x16), (0x27C, 0x22), (0x288, 0x0B),
                        (0x388, 0x0B), (0x3CC, 0x1F), (0x3D8, 0x0B), (0x440, 0x15), (0x480, 0x24)]:
        assert (off, cap_id) in found, hex(off)
    links = {o["offset"]: o["linked_from"] for o in dev["orphans"]}
    assert links[0x244] == 0x238 and links[0x480] == 0x440


def test_lsi_sriov_and_ari_are_orphans():
    (dev,) = show_json("sample_dumps/lsi_sas2008_hba_0072.txt")
    assert {(0x150, 0x10), (0x190, 0x0E)} <= orphan_map(dev)


def test_data_gaps_of_nvidia_private_registers():
    """NOTES.md: NVIDIA GPUs keep private registers at 0x130-0x1ff and 0x410-0x4cf."""
    (dev,) = show_json("sample_dumps/nvidia_gt218_gpu_0a65.txt")
    data = [(r["start"], r["end"]) for r in dev["regions"] if r["kind"] == "data_gap"]
    assert any(0x130 <= s < 0x200 for s, _ in data)
    assert any(0x410 <= s < 0x4D0 for s, _ in data)


def test_text_output_has_table_map_and_legend():
    r = capslot("show", "sample_dumps/intel_0d93_cxl_dvsec.txt")
    assert r.code == 0
    assert "Designated Vendor-Specific" in r.out and "0xe00" in r.out
    assert "one character per DWORD" in r.out
    map_rows = [l for l in r.out.splitlines() if l[:3] in {f"{i:x}00" for i in range(1, 16)}]
    assert len(map_rows) == 15 and all(len(l) == 4 + 64 for l in map_rows)
    assert "zero gap" in r.out  # legend


def test_show_of_the_bytes_is_what_the_plan_sees_in_every_view():
    """`show` without --add asks core.plan.seen.Seen, not a whole Plan (the placement service
    stays unloaded): each view and where the dump was read must be what the Plan that
    `check`, `place` and the explorer judge with answers, on a host dump and a guest-read
    one, with and without --captured."""
    from capslot.core.plan import Plan
    from capslot.core.plan.seen import Seen
    from capslot.core.report import device_object
    from capslot.core.sources import load
    from capslot.core.target import TargetSpec

    for dump in ("sample_dumps/intel_82576_nic_10c9_sriov.txt",
                 "sample_dumps/virtio_net_1000_256_VIRTUAL.txt"):
        (cs,) = load(dump)
        for captured in (None, "host", "guest"):
            target = TargetSpec(captured=captured)
            seen, plan = Seen(cs, target, peers=(cs,)), Plan(cs, target, peers=(cs,))
            assert seen.captured == plan.captured
            for view in ("hardware", "vfio", "guest", "captured"):
                assert device_object(seen.view(view)) == device_object(plan.view(view)), (dump, view)
            assert device_object(seen.view()) == device_object(plan.view())
