"""Multi-device files (issue 20): a command that needs one device decides while streaming (a
second device and no --slot stops the read with the slots and the hint), and `path --slot`
keeps only the bridges and the device, giving the path `path` of the whole file gives."""

from __future__ import annotations

import json

import pytest

from capslot.core import sources
from capslot.core.space import DumpError
from tests.cli import capslot
from tests.fake_sysfs import LSPCI
from tests.test_live_host import ALL, DSP, ORDER
from tests.test_topology import whole_machine

needs_lspci = pytest.mark.skipif(LSPCI is None, reason="lspci (pciutils) is not installed")


def test_a_second_device_stops_the_read(monkeypatch, tmp_path):
    """load_one reads no further than the second device (the rest could be gigabytes)."""
    seen = []
    nic = sources.load("sample_dumps/realtek_rtl8168_nic_b.txt")[0]

    def devices(spec, stdin=None):
        for n in range(100):
            seen.append(n)
            yield nic

    monkeypatch.setattr(sources, "iter_devices", devices)
    with pytest.raises(DumpError, match=r"more than one device in the dump \(0000:08:00.0, "
                                        r"0000:08:00.0, \.\.\.\): pick one with --slot"):
        sources.load_one("many.txt", None)
    assert seen == [0, 1]


@needs_lspci
@pytest.mark.parametrize("command", [["explain", "0x100"], ["check", "--add", "pasid@0xff8"],
                                     ["place", "--add", "pasid"],
                                     ["export", "--add", "pasid", "--format", "qemu"]])
def test_commands_of_one_device_say_which_slots_and_the_hint(tmp_path, command):
    dump = whole_machine(tmp_path, ALL)
    name, *rest = command
    r = capslot(name, str(dump), *rest)
    assert r.code == 2 and r.out == "", r
    (line,) = r.err.splitlines()
    assert line == (f"capslot: {dump}: more than one device in the dump ({ORDER[0]}, "
                    f"{ORDER[1]}, ...): pick one with --slot")
    r = capslot(name, str(dump), *rest, "--slot", ORDER[1])
    assert r.code in (0, 1) and r.out, r


@needs_lspci
def test_path_slot_streams_and_gives_the_whole_files_answer(tmp_path):
    dump = whole_machine(tmp_path, ALL - {DSP})
    whole = {d["slot"]: d for d in json.loads(capslot("path", str(dump), "--json").out)["devices"]}
    assert sorted(whole) == sorted(ORDER)
    for slot in ORDER:
        r = capslot("path", str(dump), "--slot", slot, "--json")
        (dev,) = json.loads(r.out)["devices"]
        assert dev == whole[slot]
        assert r.code == (1 if dev["upstream"]["verdict"] == "blocked" else 0)
    r = capslot("path", str(dump), "--slot", "0000:42:00.0")
    assert r.code == 2 and "no device at 0000:42:00.0 (the dump has: " in r.err


@needs_lspci
def test_path_slot_from_standard_input_gives_the_same_answer(tmp_path):
    dump = whole_machine(tmp_path, ALL - {DSP})
    from_file = capslot("path", str(dump), "--slot", ORDER[-1], "--json")
    from_stdin = capslot("path", "-", "--slot", ORDER[-1], "--json", stdin=dump.read_bytes())
    assert from_file.code == from_stdin.code == 1
    assert json.loads(from_stdin.out)["devices"][0]["upstream"] == \
        json.loads(from_file.out)["devices"][0]["upstream"]


@needs_lspci
@pytest.mark.parametrize("extra", [["--json"], [], ["--add", "pasid@0xff8", "--json"],
                                   ["--view", "guest", "--host-layout"]])
def test_show_of_a_large_file_streams_and_prints_what_show_prints(tmp_path, capsys, monkeypatch,
                                                                  extra):
    """A file over SHOW_STREAM_BYTES is read twice (bridges first, then device by device as
    shown): the same output as the whole file read at once."""
    from capslot import show
    from tests.test_hardening_inputs import run_main

    dump = whole_machine(tmp_path, ALL - {DSP})
    monkeypatch.setenv("COLUMNS", "200")
    whole = run_main(["show", str(dump), *extra], capsys)
    monkeypatch.setattr(show, "SHOW_STREAM_BYTES", 0)
    read = []
    real = sources.iter_devices

    def counted(spec, stdin=None):
        for cs in real(spec, stdin):
            read.append(cs.provenance.slot)
            yield cs

    monkeypatch.setattr(sources, "iter_devices", counted)
    streamed = run_main(["show", str(dump), *extra], capsys)
    assert streamed == whole and whole.code == 0 and "0000:04:00.0" in whole.out
    assert read == ORDER  # the second pass: one device at a time, in the file's order
    if "--json" in extra:
        assert json.loads(streamed.out)["devices"][-1]["upstream"]["verdict"] == "blocked"
