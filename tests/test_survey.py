"""`capslot survey`: a stream of records that goes on past bad devices, reads stdin and
directories, and gives the same bytes with --jobs as in one process."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from capslot.core.placement.quirks import load_file
from tests.cli import capslot

SAMPLES = Path(__file__).resolve().parent.parent / "sample_dumps"
NICS = ["realtek_rtl8168_nic_a", "intel_82576_nic_10c9_sriov", "realtek_rtl8168_nic_b"]


def text(stem: str) -> str:
    return (SAMPLES / f"{stem}.txt").read_text().rstrip("\n") + "\n"


def records(r) -> list[dict]:
    assert r.err == "" or r.code == 0, r.err
    return [json.loads(line) for line in r.out.splitlines()]


def test_records_carry_the_show_object_and_the_pasid_placement(tmp_path):
    f = tmp_path / "three.txt"
    f.write_text("\n".join(text(s) for s in NICS))
    recs = records(capslot("survey", "--jsonl", str(f)))
    assert [r["slot"] for r in recs] == ["0000:07:00.0", "0000:01:00.0", "0000:08:00.0"]
    for r in recs:
        assert r["error"] is None and {"capabilities", "regions", "problems"} <= set(r)
        assert r["auto"]["pasid"]["offset"] == 0xFF8 and r["auto"]["pasid"]["verdict"] == "ok"
    assert [r["line"] for r in recs] == [1, 259, 517]


def test_an_error_mid_file_and_a_device_split_by_garbage_do_not_stop_the_stream(tmp_path):
    broken = text("intel_82576_nic_10c9_sriov").splitlines()
    broken.insert(100, "%%% this line does not belong in a dump %%%")
    f = tmp_path / "mixed.txt"
    f.write_text(text(NICS[0]) + "\n" + "\n".join(broken) + "\n\n" + text(NICS[2]))
    recs = records(capslot("survey", "--jsonl", str(f)))
    assert [r["error"] is None for r in recs] == [True, False, True]
    assert recs[1]["error"].startswith(f"{f}:359: ")  # 257 + blank + 101st line and "not lspci" in recs[1]["error"]
    assert recs[2]["slot"] == "0000:08:00.0"


def test_a_bad_hex_row_is_an_error_record(tmp_path):
    lines = text(NICS[2]).splitlines()
    lines[20] = "130: 00 00 zz 00 00 00 00 00 00 00 00 00 00 00 00 00"
    f = tmp_path / "bad.txt"
    f.write_text(text(NICS[0]) + "\n" + "\n".join(lines) + "\n")
    recs = records(capslot("survey", "--jsonl", str(f)))
    assert recs[0]["error"] is None and "bad hex row" in recs[1]["error"] and ":279:" in recs[1]["error"]  # 257 + blank + 21st line


def test_stdin_and_directories(tmp_path):
    r = capslot("survey", "--jsonl", "-", stdin=text(NICS[0]).encode())
    assert [x["slot"] for x in records(r)] == ["0000:07:00.0"]
    d = tmp_path / "fleet" / "rack1"
    d.mkdir(parents=True)
    (d / "a.txt").write_text(text(NICS[0]))
    (d.parent / "b.bin").write_bytes(bytes.fromhex(
        "".join(line.split(":", 1)[1] for line in text(NICS[2]).splitlines()[1:])))
    (d.parent / "notes.md").write_text("not a dump\n")  # skipped in a directory, as lspci text is
    (d.parent / "a.lspci.txt").write_text("07:00.0 Ethernet controller: decoded, no hex\n")
    recs = records(capslot("survey", "--jsonl", str(d.parent)))
    assert [(Path(x["source"]).name, x["error"] is None) for x in recs] == [
        ("b.bin", True), ("a.txt", True)]
    named = capslot("survey", "--jsonl", str(d.parent / "notes.md"))  # named: read, and refused
    assert named.code == 2 and [json.loads(line)["source"] for line in named.out.splitlines()] == [
        str(d.parent / "notes.md")]


def test_jobs_give_byte_identical_output(tmp_path):
    f = tmp_path / "many.txt"
    stems = sorted(p.stem for p in SAMPLES.glob("*.txt") if not p.name.endswith(".lspci.txt"))
    f.write_text("\n".join(text(s) for s in stems * 3))
    one = capslot("survey", "--jsonl", str(f), str(SAMPLES / "NOTES.md"))
    four = capslot("survey", "--jsonl", "--jobs", "4", str(f), str(SAMPLES / "NOTES.md"))
    assert one.code == four.code == 0 and one.out == four.out
    assert len(one.out.splitlines()) == len(stems) * 3 + 1


def test_summary_and_exit_codes(tmp_path):
    r = capslot("survey", str(SAMPLES / "realtek_rtl8168_nic_b.txt"), str(SAMPLES / "amd_fiji_gpu_7300_rebar.txt"))
    assert r.code == 0 and "2 devices read" in r.out and "where QEMU's default 0xff8 stands" in r.out
    # will it work? the NIC has no PASID (not-synthesized); the Fiji GPU has one that vfio hides:
    # nothing rules it out, but the path and the host IOMMU are not in a dump (unknown)
    table = r.out[r.out.index("will a QEMU guest get a working PASID"):r.out.index("where QEMU's")]
    assert re.search(r"not-synthesized\s+1\b", table) and re.search(r"unknown\s+1\b", table), table
    junk = tmp_path / "junk.txt"
    junk.write_text("nothing here\n")
    r = capslot("survey", str(junk))
    assert r.code == 2 and "no device could be read" in r.err


def test_suggest_quirks_is_valid_reviewable_toml(tmp_path):
    r = capslot("survey", "--suggest-quirks", "--no-user-quirks",
                str(SAMPLES / "nvidia_gt218_gpu_0a65.txt"), str(SAMPLES / "realtek_rtl8168_nic_b.txt"))
    assert r.code == 0 and r.out.startswith("# Device-table suggestions")
    doc = tomllib.loads(r.out)
    by_device = {(d["vendor"], d["device"]): d for d in doc["device"]}
    gt218 = by_device[(0x10DE, 0x0A65)]
    assert any(x.startswith("0x130-") for x in gt218["reserved"]) and "capslot survey" in gt218["source"]
    out = tmp_path / "suggested.toml"
    out.write_text(r.out)
    assert len(load_file(out)) == len(doc["device"])  # capslot reads back what it suggests


def test_progress_bar_on_a_terminal_for_large_input(tmp_path):
    """stderr is a terminal and the input is large: a progress bar is drawn there (and the
    records still go to stdout)."""
    import os
    import pty
    import subprocess
    import sys

    f = tmp_path / "big.txt"
    chunk = "\n".join(text(s) for s in NICS) + "\n"
    written = 0
    with open(f, "w") as out:
        while out.tell() < 9 << 20:
            out.write(chunk)
            written += len(NICS)
    master, slave = pty.openpty()
    drawn = bytearray()

    def drain() -> None:  # the terminal must be read while the survey runs
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:
                return
            if not data:
                return
            drawn.extend(data)

    import threading

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    proc = subprocess.run([sys.executable, "-m", "capslot", "survey", "--jsonl", "--jobs", "2", str(f)],
                          stdout=subprocess.PIPE, stderr=slave, cwd=SAMPLES.parent, timeout=120,
                          env={**os.environ, "COLUMNS": "100"})
    os.close(slave)
    reader.join(timeout=5)
    os.close(master)
    assert proc.returncode == 0 and proc.stdout.count(b"\n") == written
    assert b"survey" in drawn and b"MB" in drawn
