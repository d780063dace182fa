"""One verdict everywhere (issue 11): the same dump and placement give the same verdict in
`show --add`, `check`, `place`, `export`, `--map text`, `explain` and the explorer's session,
all judged for the same default target; the acceptance policy is one table; bad offsets are
usage errors; duplicates collide; the VMM's own capabilities are placed first.

Most cases judge the layout alone (`--layout-only`): the Realtek NIC has no PASID capability,
so "will it work?" is "no" at every offset (tests/test_feasibility.py); here the offsets are
what is compared."""

from __future__ import annotations

from pathlib import Path
import json
import re
import xml.etree.ElementTree as ET

import pytest

from capslot.core.placement import parse_vcap
from capslot.core.sources import load
from capslot.core.target import host_arch
from tests.cli import capslot
from tests.tui_apps import TABLE
from capslot.tui.session import Session

S = "sample_dumps/"
NIC = S + "realtek_rtl8168_nic_b.txt"

# (dump, placement, verdict, why: read in the dump's lspci -vvv decode or its bytes, not in capslot)
CASES = [
    ("realtek_rtl8168_nic_b", "pasid@0xff8", "ok",
     "the last extended capability lspci lists is [160] DSN (12 bytes); 0xff8-0xfff read 0"),
    ("realtek_rtl8168_nic_b", "pasid@0x160", "collision", "lspci: [160 v1] Device Serial Number"),
    ("intel_82576_nic_10c9_sriov", "pasid@0x160", "collision",
     "lspci: [160 v1] SR-IOV: QEMU unlinks it but its registers stay live"),
    ("plx_pex8532_switch_8532", "pasid@0xff8", "warning",
     "the dump reads ff at 0xff0-0xfff, inside no capability lspci lists"),
    ("broadcom_bridge_9039", "pasid@0xff8", "warning",
     "lspci lists no extended capability: QEMU adds none, so no PASID"),
    ("amd_fiji_gpu_7300_rebar", "pasid@0x2d0", "warning",
     "lspci: [2d0 v1] PASID, which vfio-pci hides: the virtual one replaces it 1:1, and every "
     "guest write reaches its live registers"),
]


def _independent_check(stem: str, placement: str, expected: str) -> None:
    """The expected verdicts follow from the lspci decode (collisions on listed capabilities)."""
    decode = Path(f"{S}{stem}.lspci.txt").read_text()
    offset = int(placement.split("@")[1], 16)
    listed = {int(m, 16) for m in re.findall(r"Capabilities: \[([0-9a-f]{3}) v\d\]", decode)}
    if expected == "collision":
        assert offset in listed
    elif offset in listed:  # only the 1:1 replacement of a hidden PASID may sit on one
        assert "Process Address Space ID" in decode.split(f"[{offset:x} v")[1].splitlines()[0]


def verdicts_of_every_front(stem: str, placement: str) -> dict[str, str]:
    dump = f"{S}{stem}.txt"
    add = ["--add", placement, "--no-user-quirks", "--layout-only"]
    out: dict[str, str] = {}
    r = capslot("show", dump, *add, "--json")
    out["show --add"] = json.loads(r.out)["devices"][0]["placements"][0]["verdict"]
    for cmd in ("check", "place"):
        r = capslot(cmd, dump, *add, "--json")
        out[cmd] = json.loads(r.out)["placements"][0]["verdict"]
        assert r.code == (1 if out[cmd] == "collision" else 0), (cmd, r)
    r = capslot("export", dump, *add, "--format", "json")
    out["export"] = json.loads(r.out)["placements"][0]["verdict"] if r.code == 0 else (
        "collision" if r.code == 1 and "collision" in r.err else f"exit {r.code}")
    r = capslot("show", dump, *add, "--map", "text")
    out["--map text"] = re.search(r"^pasid at 0x[0-9a-f]+: layout (\w+)", r.out, re.M).group(1)
    r = capslot("explain", dump, placement.split("@")[1], *add, "--json")
    out["explain"] = json.loads(r.out)["placements"][0]["verdict"]
    session = Session(load(dump), table=TABLE)
    req = parse_vcap(placement)
    session.add(req, req.offset)
    out["explorer session"] = session.placements()[0].verdict
    return out


@pytest.mark.parametrize("stem, placement, expected, why", CASES, ids=[f"{c[0]}@{c[1]}" for c in CASES])
def test_every_front_gives_the_same_verdict(stem, placement, expected, why):
    _independent_check(stem, placement, expected)
    got = verdicts_of_every_front(stem, placement)
    assert set(got.values()) == {expected}, (why, got)


def test_every_output_names_its_target():
    target = "target: QEMU guest, upstream kernel"
    assert target in capslot("check", NIC, "--add", "pasid@ff8").out.splitlines()[:12]
    assert target in capslot("place", NIC, "--add", "pasid").out
    assert capslot("show", NIC, "--add", "pasid@ff8", "--map", "text").out.count(target) == 1
    assert json.loads(capslot("check", NIC, "--add", "pasid@ff8", "--json").out)["target"] == {
        "view": "guest", "kernel": "upstream", "vmm": "qemu", "qemu_ats": "auto",
        "captured": None, "text": "QEMU guest, upstream kernel", "arch": host_arch()}
    assert "target: QEMU guest, upstream kernel, ats=off" in capslot(
        "check", NIC, "--add", "pasid@ff8", "--qemu-ats", "off").out
    assert "target: cloud-hypervisor guest, upstream kernel" in capslot(
        "check", NIC, "--add", "pasid@ff8", "--vmm", "cloud-hypervisor").out


# ---------------------------------------------------------------- one of each ID

def test_two_pasids_from_two_adds_collide():
    r = capslot("check", NIC, "--add", "pasid@0xff8", "--add", "pasid@0xf00", "--json", "--layout-only")
    doc = json.loads(r.out)
    assert r.code == 1 and [p["verdict"] for p in doc["placements"]] == ["collision"] * 2
    assert all(any(f["kind"] == "duplicate" for f in p["findings"]) for p in doc["placements"])
    r = capslot("place", NIC, "--add", "pasid", "--add", "pasid", "--json", "--layout-only")
    first, second = json.loads(r.out)["placements"]
    assert r.code == 1 and first["offset"] == 0xFF8 and second["offset"] is None
    assert "already placed at 0xff8" in second["rejected"][0]["reason"]


def test_auto_twice_in_the_explorer_places_one_pasid():
    s = Session(load(NIC), table=TABLE)
    assert s.auto(parse_vcap("pasid")).offset == 0xFF8
    again = s.auto(parse_vcap("pasid"))
    assert again.offset is None and len(s.placed) == 1
    assert "already placed" in again.rejected[0].reason


def test_a_physical_capability_the_guest_sees_is_a_duplicate():
    # lspci: [100 v1] AER on the Realtek NIC, and vfio-pci/QEMU keep AER
    r = capslot("check", NIC, "--add", "0x1:0x2c@0xe00", "--json", "--layout-only")
    (p,) = json.loads(r.out)["placements"]
    assert r.code == 1 and {"duplicate"} <= {f["kind"] for f in p["findings"]}
    # vendor-specific capabilities may repeat
    assert capslot("check", NIC, "--add", "vsec@0xe00", "--add", "vsec@0xf00", "--layout-only").code == 0


def test_every_pair_is_checked_whatever_the_order():
    """check used to check each --add only against the earlier ones."""
    for order in (["pri@0xff0", "pasid@0xff8"], ["pasid@0xff8", "pri@0xff0"]):
        r = capslot("check", NIC, *sum((["--add", a] for a in order), []), "--json")
        assert [p["verdict"] for p in json.loads(r.out)["placements"]] == ["collision"] * 2


# ---------------------------------------------------------------- offsets are input

@pytest.mark.parametrize("text, what", [
    ("pasid@0x1000", "offset outside 0x000-0xfff"), ("pasid@0x2000", "offset outside 0x000-0xfff"),
    ("pasid@-4", "negative"), ("pasid@zz", "not a number"), ("pasid@", "no offset after '@'"),
    ("vsec:0x2000@0x100", "does not fit"), ("0x1f:0x2000", "must fit the extended space"),
    ("pasid@0x" + "f" * 40, "not a number"),
])
@pytest.mark.parametrize("cmd", ["check", "place", "export", "show"])
def test_bad_offsets_and_sizes_are_usage_errors(cmd, text, what):
    extra = ["--format", "qemu"] if cmd == "export" else []
    r = capslot(cmd, NIC, "--add", text, *extra)
    assert r.code == 2 and r.out == "" and "Traceback" not in r.err, r
    (line,) = r.err.splitlines()
    assert line.startswith(f"capslot: --add {text}: ") and what in line, line


def test_a_misaligned_offset_inside_the_space_is_a_collision():
    r = capslot("check", NIC, "--add", "pasid@0xff9", "--json")
    (p,) = json.loads(r.out)["placements"]
    assert r.code == 1 and {"alignment", "range"} <= {f["kind"] for f in p["findings"]}


def test_numbers_are_hex_or_0d_decimal_everywhere():
    as_hex = json.loads(capslot("check", NIC, "--add", "vsec:20@fe0", "--json").out)["placements"][0]
    as_dec = json.loads(capslot("check", NIC, "--add", "vsec:0d32@0d4064", "--json").out)["placements"][0]
    assert (as_hex["offset"], as_hex["size"]) == (as_dec["offset"], as_dec["size"]) == (0xFE0, 0x20)
    assert json.loads(capslot("explain", NIC, "0d4088", "--json").out)["offset"] == 0xFF8
    assert "hex with or without 0x" in capslot("check", "--help").out


# ---------------------------------------------------------------- what the VMM can realize

def test_pasid_gets_the_same_slot_whatever_the_order():
    alone = json.loads(capslot("place", NIC, "--add", "pasid", "--json").out)["placements"][0]
    later = json.loads(capslot("place", NIC, "--add", "ats", "--add", "pasid", "--json").out)
    ats, pasid = later["placements"]
    assert pasid["offset"] == alone["offset"] == 0xFF8
    assert ats["offset"] != pasid["offset"] and ats["vmm"] == "no VMM property: for a custom VMM"
    text = capslot("place", NIC, "--add", "ats", "--add", "pasid").out
    assert "no VMM property: for a custom VMM" in text


def test_qemu_export_holds_only_what_qemu_has():
    both = capslot("export", NIC, "--add", "ats", "--add", "pasid", "--format", "qemu", "--layout-only")
    assert both.code == 0 and both.out == "x-vpasid-cap-offset=0xff8\n"
    assert "ats" in both.err and "custom VMM" in both.err
    # judged whole, QEMU creates no ATS: refused, and so is the PASID this NIC cannot have
    judged = capslot("export", NIC, "--add", "ats", "--add", "pasid", "--format", "qemu")
    assert judged.code == 1 and judged.out == "" and "ats at" in judged.err and "NOT SYNTHESIZED" in judged.err
    only = capslot("export", NIC, "--add", "ats", "--format", "qemu", "--layout-only")
    assert only.code == 2 and only.out == "" and len(only.err.splitlines()) == 1
    assert "QEMU has no property for ats" in only.err


def test_check_prints_a_property_only_for_offsets_qemu_accepts():
    # 0x100 is AER's header dword: QEMU's pcie_insert_capability() refuses it
    assert json.loads(capslot("check", NIC, "--add", "pasid@0x104", "--json", "--layout-only").out)[
        "qemu"] is None
    assert json.loads(capslot("check", NIC, "--add", "pasid@0xff8", "--json", "--layout-only").out)[
        "qemu"] == "x-vpasid-cap-offset=0xff8"
    # judged whole: the NIC gets no PASID at all, so there is no property to give QEMU
    assert json.loads(capslot("check", NIC, "--add", "pasid@0xff8", "--json").out)["qemu"] is None


def test_libvirt_snippet_parses_and_carries_the_property():
    r = capslot("export", NIC, "--add", "pasid", "--format", "libvirt", "--alias", "ua-nic0",
                "--layout-only")
    assert r.code == 0
    ns = {"qemu": "http://libvirt.org/schemas/domain/qemu/1.0"}
    root = ET.fromstring(f"<domain xmlns:qemu='{ns['qemu']}'>{r.out}</domain>").find(
        "qemu:override", ns)
    device = root.find("qemu:device", ns)
    assert device is not None and device.get("alias") == "ua-nic0"
    props = {p.get("name"): (p.get("type"), p.get("value"))
             for p in device.findall("qemu:frontend/qemu:property", ns)}
    assert props["x-vpasid-cap-offset"] == ("unsigned", "4088")


def test_qemu_cmdline_needs_a_host_address(tmp_path):
    vfio = "-device vfio-pci,host={},bus=pcie.0,iommufd=iommufd0,x-vpasid-cap-offset=0xff8"
    r = capslot("export", NIC, "--add", "pasid", "--format", "qemu-cmdline", "--layout-only")
    assert r.out.splitlines()[-1] == vfio.format("0000:08:00.0")
    raw = tmp_path / "config.bin"
    raw.write_bytes(load(NIC)[0].data)
    r = capslot("export", str(raw), "--add", "pasid", "--format", "qemu-cmdline", "--layout-only")
    assert r.code == 2 and "--bdf" in r.err
    r = capslot("export", str(raw), "--add", "pasid", "--format", "qemu-cmdline", "--bdf",
                "0000:65:00.0", "--layout-only")
    assert r.out.splitlines()[-1] == vfio.format("0000:65:00.0")


# ---------------------------------------------------------------- one acceptance policy

POLICY = [  # (placement, verdict): collision on DSN, warning on PLX's 0xff data, ok in zeros
    (NIC, "pasid@0x160", "collision"),
    (S + "plx_pex8532_switch_8532.txt", "pasid@0xff8", "warning"),
    (NIC, "pasid@0xff8", "ok"),
]


@pytest.mark.parametrize("dump, placement, verdict", POLICY)
@pytest.mark.parametrize("strict", [False, True])
def test_policy_table(dump, placement, verdict, strict):
    """collision: refused by all three (exit 1, nothing exported); warning: accepted and
    printed by all three (refused with --strict); ok: accepted."""
    refused = verdict == "collision" or (verdict == "warning" and strict)
    flags = ["--add", placement, "--no-user-quirks", "--layout-only"] + (["--strict"] if strict else [])
    for cmd, extra in (("check", []), ("place", []), ("export", ["--format", "qemu"])):
        r = capslot(cmd, dump, *flags, *extra)
        assert r.code == (1 if refused else 0), (cmd, r)
        if cmd == "export":
            assert (r.out == "") == refused, r
            if verdict == "warning" and not refused:
                assert "warning:" in r.err and "non-zero" in r.err
        elif verdict == "warning":
            assert "warning" in r.out and "non-zero" in r.out


def test_auto_placement_never_picks_a_collision_and_prefers_clean_slots_in_ranges():
    # in the range 0xfe0-0xfff of the PLX switch everything is 0xff data (warnings):
    r = json.loads(capslot("place", S + "plx_pex8532_switch_8532.txt", "--add", "pasid",
                           "--ranges", "0xfe0-0xfff", "--json").out)
    (p,) = r["placements"]
    assert p["verdict"] == "warning" and p["chosen_by"] == "ranges"
    # on the NIC, the range holds AER's end and zeros: the clean slot is chosen
    r = json.loads(capslot("place", NIC, "--add", "pasid", "--ranges", "0x120-0x13f", "--json").out)
    (p,) = r["placements"]
    assert p["verdict"] == "ok" and 0x12C <= p["offset"] <= 0x138


# ---------------------------------------------------------------- diff --add

def test_diff_add_matches_capslots_own_export(tmp_path):
    guest = tmp_path / "guest.txt"
    r = capslot("export", NIC, "--add", "pasid@0xff8", "--format", "lspci", "-o", str(guest),
                "--layout-only")
    assert r.code == 0
    plain = json.loads(capslot("diff", NIC, str(guest), "--json").out)
    assert plain["consistent_with"] is None  # the guest shows a PASID the host does not have
    added = json.loads(capslot("diff", NIC, str(guest), "--add", "pasid@0xff8", "--json").out)
    assert added["consistent_with"] == "guest (qemu) + pasid@0xff8"
    text = capslot("diff", NIC, str(guest), "--add", "pasid@0xff8").out
    assert "0x162-0x163" in text  # the DSN next pointer: changed bytes print inclusive ranges
