"""The promises of DEVELOPERS.md ("Standards"), each tested so that removing it fails:
live devices are only read; saved files are atomic; hostile text stays literal; limits hold."""

from __future__ import annotations

from pathlib import Path
import json
import os

import pytest

from capslot.core.atomic import write_output
from capslot.core.layout import build
from capslot.core.sources import load
from capslot.core.space import DumpError
from tests.cli import capslot

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"


# ---------------------------------------------------------------- live devices

def fake_sysfs(tmp_path, monkeypatch, content: bytes, slot: str = "0000:08:00.0"):
    dev = tmp_path / "bus" / "pci" / "devices" / slot
    dev.mkdir(parents=True)
    (dev / "config").write_bytes(content)
    os.chmod(dev / "config", 0o444)
    monkeypatch.setenv("CAPSLOT_SYSFS_ROOT", str(tmp_path))
    return dev / "config"


def test_a_device_removed_mid_read_is_reported(tmp_path, monkeypatch):
    nic = load(NIC)[0].data
    fake_sysfs(tmp_path, monkeypatch, nic)
    real_read, calls = os.read, []

    def vanishing(fd, n):
        calls.append(n)
        if len(calls) > 1:
            raise OSError(19, "No such device")
        return real_read(fd, 200)  # a short first read, then the device is gone

    monkeypatch.setattr(os, "read", vanishing)
    (cs,) = load("sysfs:08:00.0")
    layout = build(cs)
    assert cs.captured == 200
    assert [p.kind for p in layout.problems if p.kind == "short_dump"] == ["short_dump"]
    assert layout.region_at(200).kind.value == "unavailable"


def test_a_device_reading_all_ff_is_reported(tmp_path, monkeypatch):
    fake_sysfs(tmp_path, monkeypatch, b"\xff" * 4096)
    r = capslot("show", "sysfs:0000:08:00.0", "--json", env={**os.environ, "CAPSLOT_SYSFS_ROOT": str(tmp_path)})
    dev = json.loads(r.out)["devices"][0]
    assert r.code == 0 and "absent" in {p["kind"] for p in dev["problems"]}


def test_sysfs_open_failure_is_one_line(tmp_path, monkeypatch):
    r = capslot("show", "--device", "0000:42:00.0", env={**os.environ, "CAPSLOT_SYSFS_ROOT": str(tmp_path)})
    assert r.code == 2 and r.err.startswith("capslot: sysfs:0000:42:00.0: no such device")


# ---------------------------------------------------------------- atomic writes

def test_a_crash_mid_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "plan.json"
    target.write_text("old")

    def boom(fd):
        raise OSError(5, "I/O error")  # the disk fails before the data is safe

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        write_output(str(target), b"new and half written")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["plan.json"]  # no temporary file left behind


def test_export_and_suggestions_write_atomically(tmp_path, monkeypatch):
    out = tmp_path / "guest.bin"
    out.write_bytes(b"previous")
    r = capslot("export", "sample_dumps/plx_pex8532_switch_8532.txt", "--add", "pasid",
                "--format", "binary", "-o", str(out))
    assert r.code == 1 and out.read_bytes() == b"previous"  # a failed export writes nothing
    suggestions = tmp_path / "quirks.toml"
    r = capslot("survey", "--suggest-quirks", "-o", str(suggestions), "sample_dumps/nvidia_gt218_gpu_0a65.txt")
    assert r.code == 0 and suggestions.read_text().startswith("# Device-table suggestions")
    stream = tmp_path / "fleet.jsonl"
    r = capslot("survey", "--jsonl", "-o", str(stream), NIC)
    assert r.code == 0 and r.out == "" and json.loads(stream.read_text())["slot"] == "0000:08:00.0"


# ---------------------------------------------------------------- hostile text

EVIL = ["[bold red]boom[/]", "[link=https://evil.example]x[/link]", "\x1b[2J\x1b[31mred", "cr\rnul\x00"]


@pytest.mark.parametrize("evil", EVIL)
def test_hostile_file_names_print_literally(tmp_path, evil):
    from capslot.core.text import printable

    stem = evil.replace("\x00", "").replace("/", "_")
    name = tmp_path / f"{stem}.txt"
    name.write_text(Path(NIC).read_text())
    r = capslot("show", str(name))
    assert r.code == 0 and "\x1b" not in r.out and "\r" not in r.out
    assert printable(stem) in "".join(r.out.split()).replace(" ", "") or \
        printable(stem).replace(" ", "") in "".join(r.out.split())
    r = capslot("show", str(name) + ".missing")
    assert r.code == 2 and "\x1b" not in r.err and len(r.err.splitlines()) == 1
    assert printable(stem) in r.err


def test_hostile_quirk_strings_print_literally(tmp_path):
    q = tmp_path / "q.toml"
    q.write_text('[[device]]\nvendor = 0x10ec\ndevice = 0x8168\nreserved = ["0xff0-0xfff"]\n'
                 'name = "[bold]evil\\u001b[31m"\nsource = "[link=x]y[/link]"\n')
    r = capslot("check", NIC, "--add", "pasid@0xff8", "--quirks", str(q), "--no-user-quirks")
    assert r.code == 1 and "\x1b" not in r.out
    flat = " ".join(r.out.split())
    assert "[bold]evil" in flat and "[link=x]y[/link]" in flat


def test_an_endless_line_is_refused(tmp_path):
    f = tmp_path / "endless.txt"
    with open(f, "w") as out:  # a device line, then an "lspci -v line" that never ends
        out.write("07:00.0 Ethernet controller: x\n\t")
        out.write("x" * (1 << 20))
    r = capslot("show", str(f))
    assert r.code == 2 and "line longer than" in r.err and len(r.err.splitlines()) == 1


def test_a_deeply_nested_directory_is_bounded(tmp_path):
    d = tmp_path
    for _ in range(300):
        d = d / "d"
    d.mkdir(parents=True)
    (d / "x.txt").write_text(Path(NIC).read_text())
    r = capslot("survey", "--jsonl", str(tmp_path))
    recs = [json.loads(line) for line in r.out.splitlines()]
    assert r.code == 2 and len(recs) == 1 and "nested deeper than" in recs[0]["error"]


def test_load_rejects_what_it_cannot_read_with_a_line(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("00: 00\n")
    with pytest.raises(DumpError) as e:
        load(str(f))
    assert e.value.line == 1
