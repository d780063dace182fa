"""The validator (every finding kind, on purpose-built spaces and real dumps), auto
placement's candidate order, the device table, synthesis and the CLI."""

from __future__ import annotations

import json
import struct
import os
import shutil
import subprocess

import pytest

from capslot.core.placement import (
    DeviceTable, parse_ranges, parse_vcap, place, synthesize, validate, verdict,
)
from capslot.core.placement.quirks import load_file
from capslot.core.placement.validate import Placed
from capslot.core.sources import load
from capslot.core.space import DumpError
from tests.cli import capslot
from tests.helpers import config_space, dw, ext_header, load_bytes, pcie_cap, std_cap, target_for

TABLE = DeviceTable.load(use_overlay=False)


def real(stem: str, **kw):
    return target_for(load(f"sample_dumps/{stem}.txt")[0], table=kw.pop("table", TABLE), **kw)


def built(ext, std=None, size=4096, **kw):
    raw = config_space(std=std or {0x40: pcie_cap()}, ext=ext, size=size)
    return target_for(load_bytes(raw), table=None, **kw)


def kinds(target, vcap: str, offset: int, severity: str | None = None):
    return {f.kind for f in validate(target, parse_vcap(vcap), offset)
            if severity is None or f.severity == severity}


SIMPLE = {0x100: ext_header(0x01, 1, 0x200), 0x200: ext_header(0x18, 1, 0)}


# ---------------------------------------------------------------- every finding kind

def test_range_and_alignment():
    t = built(SIMPLE)
    assert "range" in kinds(t, "pasid", 0xFFC, "collision")  # 8 bytes do not fit
    assert "range" in kinds(t, "pasid", 0x0F8, "collision")  # below the extended space
    assert "alignment" in kinds(t, "pasid", 0xF02, "collision")
    assert "range" in kinds(t, "std:vndr:8", 0xFC, "collision")
    # a function without PCI Express has no extended space at all (real: the RS690 host bridge)
    assert "range" in kinds(real("amd_rs690_hostbridge_7911"), "pasid", 0xFF8, "collision")
    assert "alignment" in kinds(real("realtek_rtl8168_nic_b"), "pasid", 0xF01, "collision")


def test_overlap_with_an_exact_capability():
    assert "overlap" in kinds(built(SIMPLE), "pasid", 0x104, "collision")  # inside AER
    assert "overlap" in kinds(real("intel_0d93_cxl_dvsec"), "pasid", 0xE10, "collision")


def test_header():
    t = target_for(load_bytes(config_space(std={0x50: std_cap(0x01, 0, bytes(6))}, header_type=2)),
                   table=None)
    assert "header" in kinds(t, "std:vndr:8", 0x40, "collision")  # CardBus header to 0x47
    assert "header" in kinds(real("o2micro_cardbus_7136_256"), "std:vndr:4", 0x44, "collision")


def test_hidden_capability_bytes():
    t = built({0x100: ext_header(0x01, 1, 0x200), 0x200: ext_header(0x1E, 1, 0x300),
               0x300: ext_header(0x18, 1, 0)})
    assert "hidden" in kinds(t, "ats", 0x208, "collision")  # L1SS, unlinked by vfio
    assert "hidden" in kinds(real("amd_fiji_gpu_7300_rebar"), "ats", 0x2D0, "collision")


def test_orphan_structure():
    assert "orphan" in kinds(real("mellanox_connectx3pro_1007"), "pasid", 0x110, "collision")
    t = built({0x100: ext_header(0x0E, 1, 0x148), 0x108: ext_header(0x10, 1, 0x148),
               0x148: ext_header(0x03, 1, 0)})
    assert "orphan" in kinds(t, "pasid", 0x110, "collision")


def test_bytes_missing_from_the_dump():
    assert "unavailable" in kinds(built(SIMPLE, size=256), "pasid", 0xFF8, "collision")
    assert "unavailable" in kinds(real("plx_pex9716_switch_dpc_9716_256"), "pasid", 0xFF8, "collision")


def test_reserved_by_the_device_table(tmp_path):
    assert "quirk" in kinds(real("realtek_rtl8168_nic_b"), "pasid", 0x700, "collision")
    assert "quirk" not in kinds(real("realtek_rtl8168_nic_b", table=None), "pasid", 0x700)
    q = tmp_path / "q.toml"
    q.write_text('[[device]]\nvendor = 0x8086\ndevice = 0x1234\nreserved = ["0xf00-0xfff"]\nsource = "test"\n')
    t = target_for(load_bytes(config_space(std={0x40: pcie_cap()}, ext=SIMPLE)),
                   table=DeviceTable.load(str(q), use_overlay=False))
    assert "quirk" in kinds(t, "pasid", 0xFF8, "collision")


def test_another_virtual_capability():
    t = built(SIMPLE).with_placed(Placed("pri", 0xFF0, 0x1000))
    assert "virtual" in kinds(t, "pasid", 0xFF8, "collision")
    t = real("realtek_rtl8168_nic_b").with_placed(Placed("ats", 0xFF8, 0x1000))
    assert "virtual" in kinds(t, "pasid", 0xFFC - 4, "collision")


def test_unknown_size_tail_and_data_are_warnings():
    t = built({0x100: ext_header(0x4242, 1, 0)})  # unknown ID: tail to the end
    assert kinds(t, "pasid", 0xFF8, "warning") >= {"tail"}
    assert verdict(validate(t, parse_vcap("pasid"), 0xFF8)) == "warning"
    data = dict(SIMPLE)
    data[0xF00] = dw(0xDEADBEEF)
    assert "data" in kinds(built(data), "pasid", 0xF00, "warning")
    # real: the 8168's DesignWare port logic, without the device table
    assert "data" in kinds(real("realtek_rtl8168_nic_b", table=None), "pasid", 0x710, "warning")
    # real tail: Secondary PCIe of the CXL card has only a minimum size
    assert "tail" in kinds(real("intel_0d93_cxl_dvsec"), "pasid", 0x724, "warning")


def test_outside_the_users_ranges():
    t = built(SIMPLE, ranges=parse_ranges("0xe00-0xeff"))
    assert "ranges" in kinds(t, "pasid", 0xFF8, "warning")
    assert "ranges" not in kinds(t, "pasid", 0xE00)
    assert "ranges" in kinds(real("realtek_rtl8168_nic_b", ranges=((0x800, 0x900),)), "pasid", 0xFF8)


def test_qemu_check_accepts_refuses_and_flags_unsafe():
    t = built(SIMPLE)
    fs = {f.kind: f for f in validate(t, parse_vcap("pasid"), 0xFF8)}
    assert fs["qemu"].severity == "info"  # clean and accepted
    refused = {f.kind: f for f in validate(t, parse_vcap("pasid"), 0x200)}
    assert refused["qemu"].severity == "warning" and "refuse" in refused["qemu"].message
    unsafe = {f.kind: f for f in validate(real("intel_0d93_cxl_dvsec"), parse_vcap("pasid"), 0xE10)}
    assert unsafe["qemu"].severity == "warning" and "ACCEPT" in unsafe["qemu"].message
    # a device whose kernel view has no extended caps: QEMU synthesizes nothing at all
    assert "qemu-device" in kinds(real("broadcom_bridge_9039"), "pasid", 0xFF8, "warning")
    assert "qemu-device" in kinds(built({}), "pasid", 0xFF8, "warning")


def test_raw_write_info_on_a_built_space():
    fs = validate(built(SIMPLE), parse_vcap("pasid"), 0xFF8)
    assert [f.severity for f in fs if f.kind == "raw-write"] == ["info"]


def test_raw_write_info():
    fs = validate(real("realtek_rtl8168_nic_b"), parse_vcap("pasid"), 0xFF8)
    raw = [f for f in fs if f.kind == "raw-write"]
    assert raw and raw[0].severity == "info" and "reach the physical device" in raw[0].message


def test_duplicate():
    """A function has one capability of each non-vendor ID (PCIe: one LTR, one ATS, ...):
    a second is a collision; vendor-specific ones (VSEC, DVSEC, std 0x09) may repeat."""
    assert "duplicate" in kinds(built(SIMPLE), "ltr", 0xFF8, "collision")  # LTR at 0x200 exists
    assert "duplicate" in kinds(real("amd_fiji_gpu_7300_rebar"), "ats", 0xFF8, "collision")
    vsec = built({0x100: ext_header(0x0B, 1, 0x200) + dw(1 | 0x10 << 20) + bytes(8),
                  0x200: ext_header(0x18)})
    assert "duplicate" not in {f.kind for f in validate(vsec, parse_vcap("vsec"), 0xF00)}


# ---------------------------------------------------------------- auto placement

def only(target, *vcaps):
    return place(target, [parse_vcap(v) for v in vcaps])


def test_pinned_offset_is_taken_as_given():
    (p,) = only(built(SIMPLE), "pasid@0x104")
    assert (p.offset, p.chosen_by, p.verdict) == (0x104, "user", "collision")


def test_a_clean_slot_comes_before_hidden_physical_which_is_offered():
    """1:1 on the PASID vfio-pci hides (lspci: [2d0 v1] PASID) lets every guest write reach
    its live registers: a clean slot wins, and 1:1 is the named alternative."""
    (p,) = only(real("amd_fiji_gpu_7300_rebar"), "pasid")
    assert (p.offset, p.chosen_by, p.verdict) == (0xFF8, "heuristic", "ok")
    assert [(a.offset, a.rule) for a in p.alternatives] == [(0x2D0, "hidden-physical")]


def test_hidden_physical_when_nothing_cleaner_is_left():
    """A VSEC declaring 0x100-0xff7 (0xef8 bytes) and the physical PASID at 0xff8 that
    vfio-pci hides: no clean slot is left, so 1:1 is taken, with its warning."""
    vsec = ext_header(0x0B, 1, 0xFF8) + struct.pack("<I", 0xEF8 << 20 | 1 << 16 | 0x1)
    pasid = ext_header(0x1B, 1, 0) + struct.pack("<HH", 0x1400, 0)
    (p,) = only(built({0x100: vsec, 0xFF8: pasid}), "pasid")
    assert (p.offset, p.chosen_by, p.verdict) == (0xFF8, "hidden-physical", "warning")
    assert any(f.kind == "hidden-physical" and "every guest write" in f.message for f in p.findings)


def test_ranges_then_quirk_then_default():
    (p,) = only(built(SIMPLE, ranges=parse_ranges("0xe00-0xe1f")), "pasid")
    assert (p.offset, p.chosen_by) == (0xE18, "ranges")  # highest slot of the range
    (p,) = only(built(SIMPLE), "pasid")
    assert (p.offset, p.chosen_by, p.rule) == (0xFF8, "heuristic", "qemu-default")


def test_device_table_offset_and_available(tmp_path):
    q = tmp_path / "q.toml"
    q.write_text('[[device]]\nvendor = 0x8086\ndevice = 0x1234\navailable = ["0xd00-0xd3f"]\n'
                 'source = "lab notes"\n[device.offsets]\npasid = 0xe00\n')
    table = DeviceTable.load(str(q), use_overlay=False)
    cs = load_bytes(config_space(std={0x40: pcie_cap()}, ext=SIMPLE))
    (p,) = place(target_for(cs, table=table), [parse_vcap("pasid")])
    assert (p.offset, p.chosen_by, p.rule) == (0xE00, "quirk", "quirk-offset")
    (a, b) = place(target_for(cs, table=table), [parse_vcap("pasid"), parse_vcap("pri")])
    assert (b.offset, b.chosen_by, b.rule) == (0xD30, "quirk", "quirk-available")


def test_rejections_are_recorded_in_order():
    """The 8168 with its port logic reserved and 0xff8 taken: the next clean zero-gap slot."""
    t = real("realtek_rtl8168_nic_b", ranges=parse_ranges("0x700-0x70f"))
    (p,) = only(t.with_placed(Placed("x", 0xFF0, 0x1000)), "pasid")
    assert [r.rule for r in p.rejected] == ["ranges", "qemu-default"]
    assert "reserved by the device table" in p.rejected[0].reason
    assert (p.chosen_by, p.rule, p.offset) == ("heuristic", "zero-gap", 0xFE8)


def test_several_caps_do_not_overlap():
    ps = only(real("realtek_rtl8168_nic_b"), "pasid", "pri", "ats", "vsec:0x40")
    spans = sorted((p.offset, p.end) for p in ps)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert ps[0].offset == 0xFF8 and all(p.verdict == "ok" for p in ps)


def test_no_safe_slot_names_the_least_bad():
    (p,) = only(real("plx_pex8532_switch_8532"), "pasid")  # unused space reads 0xff
    assert p.offset is None and p.verdict == "collision" and p.least_bad is not None
    assert p.rejected[-1].rule == "zero-gap"


# ---------------------------------------------------------------- synthesis

def test_synthesis_links_in_address_order_and_rewalks():
    t = built(SIMPLE)
    ps = only(t, "pasid@0x180", "ats@0xff8")
    s = synthesize(t.layout, ps)
    assert s.problems == ()
    from capslot.core.walk import walk

    chain = [(c.offset, c.id) for c in walk(s.layout.space).capabilities if c.offset >= 0x100]
    assert chain == [(0x100, 0x01), (0x180, 0x1B), (0x200, 0x18), (0xFF8, 0x0F)]
    assert s.layout.region_at(0x180).kind.value == "virtual"


def test_synthesis_on_a_device_without_extended_caps_adds_a_head():
    t = real("broadcom_bridge_9039")
    s = synthesize(t.layout, only(t, "pasid"))
    from capslot.core.walk import walk

    ext = [(c.offset, c.id) for c in walk(s.layout.space).capabilities if c.offset >= 0x100]
    assert ext == [(0x100, 0), (0xFF8, 0x1B)] and s.problems == ()


def test_standard_virtual_cap_goes_to_the_tail():
    t = real("nvidia_gt218_gpu_0a65", view_name="guest")
    (p,) = only(t, "std:gpudirect")
    assert (p.offset, p.rule) == (0xC8, "quirk-offset")
    s = synthesize(t.layout, [p])
    from capslot.core.walk import walk

    std = [c.offset for c in walk(s.layout.space).capabilities if c.offset < 0x100]
    assert std[-1] == 0xC8 and s.problems == ()


# ---------------------------------------------------------------- device table and parsing

def test_shipped_table_cites_sources():
    for e in TABLE.entries:
        assert e.source and e.name, e


def test_table_errors_name_file_and_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[device]]\nvendor = 0x10ec\ndevice = 0x8168\nreserved = ["0x900-0x800"]\n')
    with pytest.raises(DumpError) as e:
        load_file(bad)
    assert e.value.line == 1 and "forwards" in str(e.value)
    bad.write_text("[[device]]\nvendor = 0x10ec\ndevice = \n")
    with pytest.raises(DumpError) as e:
        load_file(bad)
    assert e.value.line == 3 and "TOML" in str(e.value)
    bad.write_text("[[device]]\nvendor = 0x10ec\ndevice = 1\ncolour = 'red'\n")
    with pytest.raises(DumpError, match="unknown key"):
        load_file(bad)


def test_later_files_override_and_specific_entries_win(tmp_path):
    q = tmp_path / "q.toml"
    q.write_text('[[device]]\nvendor = 0x10ec\ndevice = [0x8168, 0x8136]\nreserved = []\n'
                 'source = "mine"\nname = "override"\n'
                 '[[device]]\nvendor = 0x10ec\ndevice = 0x8168\nrevision = 2\nsource = "rev 2"\nname = "rev2"\n')
    table = DeviceTable.load(str(q), use_overlay=False)
    cs = load("sample_dumps/realtek_rtl8168_nic_b.txt")[0]  # revision 02
    merged = table.match(cs)
    assert merged.name == "override + rev2"  # both apply; the rev 2 entry is the specific one
    assert merged.reserved == ()  # the override replaced the shipped ranges
    assert [e.name for e in table.entries if e.vendor == 0x10EC and e.devices == (0x8168, 0x8136)] == ["override"]


@pytest.mark.parametrize("text, message", [
    ("bogus", "unknown virtual capability"), ("pasid@xyz", "not a number"), ("0x1f", "needs a size"),
    ("vsec:3", "0x8..0xf00"), ("pasid:16", "0x8 bytes"),
])
def test_bad_vcap_text(text, message):
    with pytest.raises(DumpError, match=message):
        parse_vcap(text)


# ---------------------------------------------------------------- CLI

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"


def test_cli_exit_codes():
    lo = "--layout-only"  # the layout alone: the NIC can have no PASID (test_feasibility.py)
    assert capslot("check", NIC, "--add", "pasid@0xff8", lo).code == 0
    assert capslot("check", NIC, "--add", "pasid@0xff8").code == 1  # not synthesized
    assert capslot("check", NIC, "--add", "pasid@0x160", lo).code == 1  # inside DSN
    assert capslot("place", NIC, "--add", "pasid", lo).code == 0
    assert capslot("place", "sample_dumps/plx_pex8532_switch_8532.txt", "--add", "pasid", lo).code == 1
    r = capslot("check", NIC, "--add", "pasid")
    assert r.code == 2 and r.err.startswith("capslot: --add pasid: an offset is needed")
    r = capslot("place", NIC, "--add", "nonsense")
    assert r.code == 2 and len(r.err.splitlines()) == 1


def test_cli_place_json_contract():
    out = json.loads(capslot("place", NIC, "--add", "pasid", "--json", "--layout-only").out)
    assert out["device"]["slot"] == "0000:08:00.0" and out["qemu"] == "x-vpasid-cap-offset=0xff8"
    (p,) = out["placements"]
    assert {k: p[k] for k in ("vcap", "id", "size", "offset", "verdict", "chosen_by")} == {
        "vcap": "pasid", "id": 27, "size": 8, "offset": 4088, "verdict": "ok", "chosen_by": "heuristic"}
    for f in p["findings"]:
        assert set(f) >= {"severity", "kind", "start", "end", "message"}


def test_same_offset_across_runs_and_hash_seeds():
    outs = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        outs.add(capslot("place", "sample_dumps/samsung_pm1743_nvme_a826.txt", "--add", "pasid",
                         "--add", "pri", "--add", "vsec:0x40", "--json", env=env).out)
    assert len(outs) == 1


def test_export_formats(tmp_path):
    out = tmp_path / "x.bin"
    lo = "--layout-only"
    assert capslot("export", NIC, "--add", "pasid", "--format", "binary", lo, "-o", str(out)).code == 0
    raw = out.read_bytes()
    assert len(raw) == 4096 and raw[0xFF8] == 0x1B
    r = capslot("export", NIC, "--add", "pasid", "--format", "qemu", lo)
    assert r.out.strip() == "x-vpasid-cap-offset=0xff8"
    r = capslot("export", NIC, "--add", "pasid", "--format", "json", lo)
    assert json.loads(r.out)["placements"][0]["offset"] == 0xFF8
    r = capslot("export", "sample_dumps/plx_pex8532_switch_8532.txt", "--add", "pasid", lo,
                "--format", "binary", "-o", str(tmp_path / "none.bin"))
    assert r.code == 1 and not (tmp_path / "none.bin").exists()


@pytest.mark.skipif(shutil.which("lspci") is None, reason="lspci (pciutils) is not installed")
def test_lspci_decodes_the_exported_pasid(tmp_path):
    out = tmp_path / "guest.txt"
    assert capslot("export", "sample_dumps/samsung_pm1743_nvme_a826.txt", "--add", "pasid",
                   "--format", "lspci", "--layout-only", "-o", str(out)).code == 0
    decoded = subprocess.run(["lspci", "-F", str(out), "-vvv"], capture_output=True, text=True).stdout
    assert "Capabilities: [ff8 v1] Process Address Space ID (PASID)" in decoded
    # and lspci still finds every capability the guest view links
    from tests import lspci_oracle

    found = {(s, o) for s, o, _ in lspci_oracle.capabilities(decoded)}
    assert ("extended", 0x100) in found and ("extended", 0xFF8) in found


def test_place_says_why_in_words():
    """Auto placement names its rule and says what it means: on the RTL8168 (lspci: the
    extended space holds AER, VC and DSN only, below 0x170), 0xff8 is
    QEMU's default and free."""
    r = capslot("place", "sample_dumps/realtek_rtl8168_nic_b.txt", "--add", "pasid", "--layout-only")
    words = " ".join(r.out.split())
    assert "-> 0xff8" in words
    assert "chosen by heuristic (qemu-default: the VMM's own default offset for this capability, " \
           "and nothing lives there)" in words
