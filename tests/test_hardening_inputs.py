"""Hostile input paths (issues 14 and 15): each case is the exact input a user could give,
and the test asserts what the user sees: one line `capslot: file[:line]: what`, exit 2,
no file written, no hang (every subprocess runs under a timeout, every in-process run
in a thread that must finish)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.installed_layout import lay_out
from tests.cli import ROOT, Result, capslot
from tests.test_cli_input import one_error_line

NIC = ROOT / "sample_dumps" / "realtek_rtl8168_nic_b.txt"
NIC_SLOT = "0000:08:00.0"
MiB = 1 << 20


def run_main(argv: list[str], capsys, wait: float = 120) -> Result:
    """`tui.cli.main(argv)` in a thread that must end within `wait` seconds (a guard
    against a hang, not a timing assertion)."""
    from capslot.cli import main

    box: dict = {}
    worker = threading.Thread(target=lambda: box.setdefault("code", main(argv)), daemon=True)
    worker.start()
    worker.join(wait)
    assert not worker.is_alive(), f"capslot {' '.join(argv)} still running after {wait} s"
    out, err = capsys.readouterr()
    return Result(box["code"], out, err)


def capslot_stdin(args: list[str], stdin, timeout: float = 60) -> Result:
    """The real command with standard input from an open file or a pipe."""
    proc = subprocess.run([sys.executable, "-m", "capslot", *args], cwd=ROOT, stdin=stdin,
                          capture_output=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout.decode("utf-8", "replace"),
                  proc.stderr.decode("utf-8", "replace"))


# ---------------------------------------------------------------- FIFOs, devices, streams

def test_a_fifo_nobody_writes_to_is_refused_after_the_wait(tmp_path, capsys, monkeypatch):
    import capslot.core.sources.inputs as inputs

    monkeypatch.setattr(inputs, "WAIT_SECONDS", 0.2)  # the real wait is 10 s; no writer ever comes
    fifo = tmp_path / "lspci.fifo"
    os.mkfifo(fifo)
    line = one_error_line(run_main(["show", str(fifo)], capsys), str(fifo))
    assert "FIFO: no data after 0.2 s" in line


def test_a_fifo_as_pci_ids_is_refused_after_the_wait(tmp_path, capsys, monkeypatch):
    """--pci-ids goes through the same bounded reader as a dump (issue 20, N5)."""
    import capslot.core.sources.inputs as inputs
    from capslot.core import pciids

    monkeypatch.setattr(inputs, "WAIT_SECONDS", 0.2)  # the real wait is 10 s; no writer ever comes
    monkeypatch.setattr(pciids, "_chosen", [None])
    fifo = tmp_path / "pci.ids"
    os.mkfifo(fifo)
    line = one_error_line(run_main(["show", str(NIC), "--pci-ids", str(fifo)], capsys, wait=30),
                          str(fifo))
    assert "FIFO: no data after 0.2 s" in line


def test_a_fifo_as_pci_ids_with_a_writer_is_read_once(tmp_path, capsys, monkeypatch):
    from capslot.core import pciids

    monkeypatch.setattr(pciids, "_chosen", [None])
    fifo = tmp_path / "pci.ids"
    os.mkfifo(fifo)

    def writer() -> None:
        with open(fifo, "wb") as f:  # blocks until capslot opens the FIFO for reading
            f.write(b"10ec  Vendor From A Fifo\n\t8168  Its NIC\n")

    from capslot.core.sources import load

    raw = tmp_path / "config.bin"  # no device line of its own: named from pci.ids
    raw.write_bytes(load(str(NIC))[0].data)
    threading.Thread(target=writer, daemon=True).start()
    try:
        r = run_main(["path", str(raw), "--pci-ids", str(fifo)], capsys, wait=30)
    finally:
        pciids.default.cache_clear()  # the next test reads the system's names again
        with contextlib.suppress(OSError):  # should capslot have died first, free the writer
            os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    assert r.err == "" and "Vendor From A Fifo Its NIC" in r.out, r


def test_a_fifo_with_a_writer_reads_like_the_file(tmp_path):
    fifo = tmp_path / "lspci.fifo"
    os.mkfifo(fifo)
    data = NIC.read_bytes()

    def writer() -> None:
        with open(fifo, "wb") as f:  # blocks until capslot opens the FIFO for reading
            f.write(data)

    threading.Thread(target=writer, daemon=True).start()
    try:
        via_fifo = capslot("show", "--json", str(fifo), timeout=60)
    finally:
        # should capslot have died before opening it, release the writer
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.close(fd)
    assert via_fifo.code == 0, via_fifo.err
    via_file = capslot("show", "--json", str(NIC))
    (a,), (b,) = json.loads(via_fifo.out)["devices"], json.loads(via_file.out)["devices"]
    assert a.pop("source") == str(fifo) and b.pop("source") == str(NIC)
    assert a == b


def _endless_lspci_writer() -> str:
    """Python code that writes a valid dump, then lspci -v style decode lines forever."""
    return ("import sys\n"
            f"sys.stdout.buffer.write(open({str(NIC)!r}, 'rb').read())\n"
            "line = b'\\t' + b'Capabilities: decode ' * 3000 + b'\\n'\n"
            "try:\n"
            "    while True:\n"
            "        sys.stdout.buffer.write(line)\n"
            "except (BrokenPipeError, OSError):\n"
            "    pass\n")


def test_an_endless_stream_on_stdin_stops_at_the_byte_limit():
    writer = subprocess.Popen([sys.executable, "-c", _endless_lspci_writer()], stdout=subprocess.PIPE)
    try:
        result = capslot_stdin(["show", "-"], writer.stdout)
    finally:
        writer.kill()
        writer.wait()
    line = one_error_line(result, "-")
    assert "standard input: more than 64 MiB" in line


def test_yes_and_dev_zero_on_stdin_are_refused_at_once():
    yes = subprocess.Popen(["yes"], stdout=subprocess.PIPE)
    try:
        line = one_error_line(capslot_stdin(["show", "-"], yes.stdout), "-", 1)
    finally:
        yes.kill()
        yes.wait()
    assert "not a config-space dump" in line
    with open("/dev/zero", "rb") as zero:
        assert "binary data" in one_error_line(capslot_stdin(["show", "-"], zero), "-")
    assert "binary data" in one_error_line(capslot("show", "/dev/zero"), "/dev/zero")


def test_an_endless_fifo_stops_at_the_byte_limit(tmp_path):
    fifo = tmp_path / "endless.fifo"
    os.mkfifo(fifo)
    writer = subprocess.Popen([sys.executable, "-c", _endless_lspci_writer()],
                              stdout=os.open(fifo, os.O_RDWR))  # RDWR: opens without a reader
    try:
        line = one_error_line(capslot("show", str(fifo), timeout=60), str(fifo))
    finally:
        writer.kill()
        writer.wait()
    assert "FIFO: more than 64 MiB" in line


# ---------------------------------------------------------------- one text decoding

def test_a_utf8_device_name_reads_the_same_in_show_and_survey(tmp_path):
    name = "08:00.0 Ethernet controller: Société Générale Réseau Ω NIC (rev 02)"
    lines = NIC.read_text().splitlines()
    lines[0] = name
    f = tmp_path / "utf8.txt"
    f.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    shown = capslot("show", "--json", str(f))
    surveyed = capslot("survey", "--jsonl", str(f))
    assert shown.code == 0 and surveyed.code == 0, (shown.err, surveyed.err)
    (device,) = json.loads(shown.out)["devices"]
    (record,) = [json.loads(x) for x in surveyed.out.splitlines()]
    assert device["device_line"] == record["device_line"] == name


# ---------------------------------------------------------------- --slot reads one device

def _fleet(path: Path, devices: int) -> list[str]:
    """A multi-device lspci file of real dumps, each given its own slot; the slots."""
    dumps = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))
    texts = [p.read_text().rstrip("\n") for p in dumps]
    slots = []
    with open(path, "w") as f:
        for n in range(devices):
            slot = f"{n >> 16:04x}:{(n >> 8) & 0xFF:02x}:{(n >> 3) & 0x1F:02x}.{n & 7}"
            slots.append(slot)
            f.write(re.sub(r"^\S+", slot, texts[n % len(texts)], count=1) + "\n\n")
    return slots


@pytest.mark.skipif(shutil.which("lspci") is None, reason="lspci (pciutils) is not installed")
def test_show_slot_picks_the_device_lspci_picks(tmp_path):
    fleet = tmp_path / "fleet.txt"
    slots = _fleet(fleet, 400)
    lines = fleet.read_text().splitlines()
    for slot in (slots[0], slots[137], slots[-1]):
        picked = capslot("show", "--json", "--slot", slot, str(fleet))
        assert picked.code == 0, picked.err
        # lspci's pick of the same slot, its bytes alone in a file
        alone = tmp_path / "alone.txt"
        alone.write_text(subprocess.run(["lspci", "-F", str(fleet), "-s", slot, "-xxxx"],
                                        capture_output=True, text=True, check=True).stdout)
        oracle = capslot("show", "--json", str(alone))
        (a,), (b,) = json.loads(picked.out)["devices"], json.loads(oracle.out)["devices"]
        assert a["slot"] == slot
        assert a["line"] == lines.index(a["device_line"]) + 1  # the device line's own number
        for key in ("source", "line", "device_line"):
            a.pop(key), b.pop(key)
        assert a == b


def test_show_slot_reads_only_the_wanted_device_in_flat_memory(tmp_path):
    import tracemalloc

    from capslot.core.sources import load_slot

    peaks = []
    for devices in (300, 3000):  # about 3.6 and 36 MB of text
        fleet = tmp_path / f"fleet{devices}.txt"
        slots = _fleet(fleet, devices)
        tracemalloc.start()
        try:
            (device,) = load_slot(str(fleet), slots[-1])
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert device.provenance.slot == slots[-1]
    # a window of the file, whatever its size (reading every device: 14 MiB at 3000)
    assert peaks[1] < 4 * MiB and peaks[1] < peaks[0] + MiB, [f"{p / MiB:.1f} MiB" for p in peaks]


def test_show_slot_on_a_missing_slot_names_the_first_slots(tmp_path):
    fleet = tmp_path / "fleet.txt"
    slots = _fleet(fleet, 50)
    line = one_error_line(capslot("show", "--slot", "0000:ff:1f.7", str(fleet)), str(fleet))
    assert f"no device at 0000:ff:1f.7 (the dump has: {', '.join(slots[:8])})" in line


# ---------------------------------------------------------------- device tables (--quirks)

GOOD_ENTRY = "[[device]]\nvendor = 0x10ec\ndevice = 0x8168\n"


def place_with(quirks: Path | str, capsys, env_overlay: bool = False) -> Result:
    argv = ["place", str(NIC), "--add", "pasid", "--json", "--layout-only", "--quirks", str(quirks)]
    return run_main(argv + ([] if env_overlay else ["--no-user-quirks"]), capsys)


def test_an_unknown_key_in_device_offsets_is_said_once_and_the_entry_still_used(tmp_path, capsys):
    quirks = tmp_path / "quirks.toml"
    quirks.write_text("# mine\n" + GOOD_ENTRY + "[device.offsets]\npasdi = 0xe00\npasid = 0xd00\n")
    r = place_with(quirks, capsys)
    assert r.code == 0, r
    (line,) = r.err.splitlines()
    assert line.startswith(f"capslot: {quirks}:2: warning: [[device]] #1: [device.offsets] "
                           "key 'pasdi' is not a virtual capability, ignored")
    (placed,) = json.loads(r.out)["placements"]
    assert (placed["offset"], placed["chosen_by"]) == (0xD00, "quirk")  # the known key is used
    quirks.write_text(GOOD_ENTRY + "[device.offsets]\npasid = 0xd00\n\"0x1f\" = 0xe00\n")
    r = place_with(quirks, capsys)
    assert r.code == 0 and r.err == ""  # a raw extended ID is a name too


@pytest.mark.parametrize("body, line, what", [
    # sizes: zero, negative, below the header, past the end, not a number, not a table
    ('sizes = { "0x2@0x140" = 0 }', 4, "at least the 4-byte header"),
    ('sizes = { "0x2@0x140" = -8 }', 4, "at least the 4-byte header"),
    ('sizes = { "0x2@0x140" = 2 }', 4, "at least the 4-byte header"),
    ('sizes = { "0x5@0x50" = 1 }', 4, "at least the 2-byte header"),
    ('sizes = { "0x2@0x140" = 0xf00 }', 4, "end by 0x1000"),
    ('sizes = { "0x5@0x50" = 0xc0 }', 4, "end by 0x100"),
    ('sizes = { "0x2@0x140" = "0x40" }', 4, "must be a number"),
    ('sizes = { "0x2@0x140" = true }', 4, "must be a number"),
    ('sizes = { "0x2@0x1000" = 4 }', 4, "DWORD-aligned offset inside 0x40-0xffc"),
    ('sizes = { "0x2@0x142" = 4 }', 4, "DWORD-aligned"),
    ('sizes = { "0x2@0x10" = 4 }', 4, "DWORD-aligned offset inside 0x40-0xffc"),
    ('sizes = { "0x100@0x50" = 4 }', 4, "standard capability ID is at most 0xff"),
    ('sizes = { "2@0x140" = 4 }', 4, "is not \"0xID@0xOFFSET\""),
    ("sizes = 5", 4, "sizes must be a table"),
    ("sizes = [1, 2]", 4, "sizes must be a table"),
    # offsets: negative, past the space, not a number, not a table
    ("offsets = { pasid = -8 }", 4, "outside 0x40-0xfff"),
    ("offsets = { pasid = 0x1000 }", 4, "outside 0x40-0xfff"),
    ('offsets = { pasid = "0xe00" }', 4, "must be a number"),
    ("offsets = [1]", 4, "offsets must be a table"),
    # reserved / available: not strings, not a list, backwards, past the space
    ("reserved = [[1, 2]]", 4, "list of \"START-END\" strings"),
    ("reserved = [1792]", 4, "list of \"START-END\" strings"),
    ('reserved = "0x700-0x8ff"', 4, "list of \"START-END\" strings"),
    ('available = ["0x8ff-0x700"]', 4, "must run forwards"),
    ('reserved = ["0xf00-0x1000"]', 4, "inside 0x000-0xfff"),
    # identifiers out of their registers' width
    ("revision = 0x100", 4, "outside 0x0-0xff"),
    ("subsystem_vendor = -1", 4, "outside 0x0-0xffff"),
    ("class = 0x1000000", 4, "outside 0x0-0xffffff"),
])
def test_malformed_quirk_values_are_one_line_with_the_entry_line(tmp_path, capsys, body, line, what):
    q = tmp_path / "quirks.toml"
    q.write_text("# my table\n" + GOOD_ENTRY.replace("[[device]]\n", "[[device]]  # the NIC\n") + body + "\n")
    got = one_error_line(place_with(q, capsys), str(q), 2)
    assert what in got
    assert "internal error" not in got


@pytest.mark.parametrize("text, what", [
    ("device = [1, 2]\n", "[[device]] #1 is 1, not a table"),
    ("x = " + "[" * 5000 + "\n", "not valid TOML"),
    ("device = 5\n", "[[device]] tables only"),
])
def test_malformed_quirk_files_are_one_line(tmp_path, capsys, text, what):
    q = tmp_path / "quirks.toml"
    q.write_text(text)
    assert what in one_error_line(place_with(q, capsys), str(q))


def test_a_quirk_file_not_in_utf8_names_its_line(tmp_path, capsys):
    q = tmp_path / "quirks.toml"
    q.write_bytes(GOOD_ENTRY.encode() + b'name = "R\xe9altek"\n')
    assert "not UTF-8" in one_error_line(place_with(q, capsys), str(q), 4)


def test_too_many_quirk_entries_are_refused_before_parsing(tmp_path, capsys):
    from capslot.core.placement.quirks import MAX_ENTRIES

    q = tmp_path / "quirks.toml"
    q.write_text(GOOD_ENTRY * (MAX_ENTRIES + 1))
    line = one_error_line(place_with(q, capsys), str(q), 3 * MAX_ENTRIES + 1)
    assert f"more than {MAX_ENTRIES} [[device]] entries ({MAX_ENTRIES + 1})" in line


def test_a_quirk_file_over_the_size_limit_is_refused_unread(tmp_path, capsys):
    from capslot.core.placement.quirks import MAX_BYTES

    q = tmp_path / "huge.toml"
    with open(q, "wb") as f:
        f.truncate(MAX_BYTES + 1)  # sparse: refused by its size, never read
    assert f"quirks file is larger than {MAX_BYTES >> 20} MiB" in one_error_line(place_with(q, capsys), str(q))


def test_quirks_from_dev_zero_read_at_most_the_limit(capsys):
    from capslot.core.placement.quirks import MAX_BYTES

    line = one_error_line(place_with("/dev/zero", capsys), "/dev/zero")
    assert f"quirks file is larger than {MAX_BYTES >> 20} MiB" in line


def test_quirks_from_a_fifo_nobody_writes_to(tmp_path, capsys, monkeypatch):
    import capslot.core.sources.inputs as inputs

    monkeypatch.setattr(inputs, "WAIT_SECONDS", 0.2)
    fifo = tmp_path / "quirks.fifo"
    os.mkfifo(fifo)
    assert "FIFO: no data after 0.2 s" in one_error_line(place_with(fifo, capsys), str(fifo))


def test_quirks_given_a_directory(tmp_path, capsys):
    assert "is a directory" in one_error_line(place_with(tmp_path, capsys), str(tmp_path))


def test_a_user_overlay_that_is_a_directory(tmp_path, capsys, monkeypatch):
    (tmp_path / "capslot" / "quirks.toml").mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    overlay = tmp_path / "capslot" / "quirks.toml"
    r = run_main(["place", str(NIC), "--add", "pasid", "--json"], capsys)
    assert "is a directory, not a quirks file" in one_error_line(r, str(overlay))


def _others_can_reach(path: str) -> bool:
    """Every folder above `path` lets other users through, and `path` lets them read (and
    run) it: what an unprivileged user needs to use it."""
    path = os.path.realpath(path)
    here = path
    while True:
        mode = os.stat(here).st_mode
        if here != path and not mode & 0o001:
            return False
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    return bool(os.stat(path).st_mode & 0o005)


def _interpreter_for_nobody(drop: list[str]) -> str | None:
    """A Python of this version (the base interpreter, else the system's) that `nobody` can
    run with its standard library; None when there is none."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = [os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
                  shutil.which(f"python{version}"), f"/usr/bin/python{version}",
                  f"/usr/local/bin/python{version}"]
    for python in dict.fromkeys(c for c in candidates if c and os.path.isfile(c)):
        if not _others_can_reach(python):
            continue
        check = subprocess.run([*drop, python, "-s", "-c", "import sys, tomllib; "
                                f"sys.exit(sys.version.startswith('{version}.') is False)"],
                               cwd="/", capture_output=True, timeout=60)
        if check.returncode == 0:
            return python
    return None


def test_a_user_overlay_in_a_folder_without_permission(tmp_path):
    """Run as `nobody` when the tests run as root. The checkout may sit where nobody cannot go
    (a clone under a 0700 folder, as `mktemp -d` makes): what the command needs (core/, tui/,
    the dump) is copied to a folder nobody can read, and run with the base interpreter (the
    command reaches the error before anything outside the standard library is imported)."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="capslot-xdg-"))  # reachable by an unprivileged user
    try:
        os.chmod(base, 0o755)
        (base / "capslot").mkdir()
        (base / "capslot" / "quirks.toml").write_text(GOOD_ENTRY)
        os.chmod(base / "capslot", 0)
        env = {**os.environ, "XDG_CONFIG_HOME": str(base), "PYTHONDONTWRITEBYTECODE": "1"}
        command, cwd, dump = [sys.executable], ROOT, NIC
        # root reads any folder: run as nobody then, as a user would be
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        if drop:
            if shutil.which("setpriv") is None:
                pytest.skip("running as root without setpriv (util-linux) to drop privileges")
            python = _interpreter_for_nobody(drop)
            if python is None:
                pytest.skip(f"no Python {sys.version_info[0]}.{sys.version_info[1]} that "
                            "nobody may run (this one is under a folder closed to others)")
            cwd = base / "project"  # the code nobody may read, outside the checkout
            lay_out(cwd)  # the package as installed (capslot/...), outside the checkout
            dump = cwd / NIC.name
            shutil.copyfile(NIC, dump)
            for folder, _dirs, files in os.walk(cwd):
                os.chmod(folder, 0o755)
                for name in files:
                    os.chmod(os.path.join(folder, name), 0o644)
            command = [python, "-s"]  # not the checkout's venv: nobody may not reach it
            env = {**env, "PYTHONPATH": str(cwd)}
        proc = subprocess.run([*drop, *command, "-m", "capslot", "place", str(dump), "--add", "pasid"],
                              cwd=cwd, env=env, capture_output=True, timeout=60)
        r = Result(proc.returncode, proc.stdout.decode(), proc.stderr.decode())
        line = one_error_line(r, str(base / "capslot" / "quirks.toml"))
        assert "cannot read the user device table: permission denied" in line
    finally:
        os.chmod(base / "capslot", 0o755)
        shutil.rmtree(base)


# ---------------------------------------------------------------- saved files keep to the umask

def _export_qemu(path: Path, capsys) -> Result:
    # --layout-only: the NIC cannot have a PASID (tests/test_feasibility.py); the file is the point
    return run_main(["export", str(NIC), "--add", "pasid", "--format", "qemu", "--layout-only", "-o",
                     str(path)], capsys)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_saved_file_gets_the_mode_the_umask_gives(tmp_path, capsys, umask):
    old = os.umask(umask)
    try:
        assert _export_qemu(tmp_path / "pasid.txt", capsys).code == 0
        with open(tmp_path / "as-a-shell-makes-it", "w"):  # what `>` or any program creates
            pass
    finally:
        os.umask(old)
    mode = (tmp_path / "pasid.txt").stat().st_mode & 0o777
    assert mode == (tmp_path / "as-a-shell-makes-it").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("existing, umask", [(0o644, 0o077), (0o640, 0o022), (0o600, 0o002)])
def test_a_saved_file_written_over_keeps_its_mode(tmp_path, capsys, existing, umask):
    target = tmp_path / "pasid.txt"
    target.write_text("old\n")
    target.chmod(existing)
    old = os.umask(umask)
    try:
        assert _export_qemu(target, capsys).code == 0
    finally:
        os.umask(old)
    assert target.read_text() != "old\n"
    assert target.stat().st_mode & 0o777 == existing
    assert [p.name for p in tmp_path.iterdir()] == ["pasid.txt"]


def test_a_survey_output_gets_the_umask_mode_too(tmp_path):
    out = tmp_path / "fleet.jsonl"
    old = os.umask(0o027)
    try:
        r = capslot("survey", "--jsonl", "-o", str(out), str(NIC))
    finally:
        os.umask(old)
    assert r.code == 0 and out.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("where", ["missing-folder/out.txt", "."])
def test_a_file_that_cannot_be_written_is_one_line(tmp_path, capsys, where):
    target = tmp_path / where
    line = one_error_line(_export_qemu(target, capsys), str(target))
    assert "cannot write" in line


# ---------------------------------------------------------------- survey

def _children(pid: int) -> set[int]:
    """Processes whose parent is `pid` (from /proc)."""
    out = set()
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.add(int(stat_file.parent.name))
    return out


def _wait_for(condition, proc: subprocess.Popen, what: str, limit: float = 60) -> None:
    """Polls `condition` until it holds (the process must still be running)."""
    import time

    deadline = time.monotonic() + limit
    while not condition():
        assert proc.poll() is None, f"survey ended before {what}: {proc.stderr.read().decode()}"
        assert time.monotonic() < deadline, f"no {what} after {limit} s"
        time.sleep(0.01)


@pytest.mark.parametrize("signum", [15, 1], ids=["SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("old", [None, "old records\n"])
def test_a_signal_during_survey_o_removes_the_temporary_file(tmp_path, signum, jobs, old):
    out = tmp_path / "fleet.jsonl"
    if old is not None:
        out.write_text(old)
    # standard input that never ends: the survey is mid-way when the signal comes
    proc = subprocess.Popen([sys.executable, "-m", "capslot", "survey", "--jsonl", "--jobs", str(jobs),
                             "-o", str(out), "-"], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    workers: set[int] = set()
    try:
        proc.stdin.write(((NIC.read_text() + "\n") * 200).encode())  # blocks of devices for the pool
        proc.stdin.flush()
        _wait_for(lambda: any(tmp_path.glob(".fleet.jsonl.*.tmp")), proc, "temporary file")
        if jobs > 1:
            _wait_for(lambda: workers.update(_children(proc.pid)) or workers, proc, "workers")
        proc.send_signal(signum)
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()
    assert code == 128 + signum, proc.stderr.read().decode()
    assert not list(tmp_path.glob(".fleet.jsonl.*.tmp"))
    if old is None:
        assert not out.exists()
    else:
        assert out.read_text() == old
    for pid in workers:  # the pool went with it
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.parametrize("jobs, what", [
    ("0", "0 is not between 1 and"),
    ("-3", "-3 is not between 1 and"),
    ("abc", "'abc' is not a whole number"),
    (str(4 * len(os.sched_getaffinity(0)) + 1), "four per core"),
])
def test_survey_jobs_out_of_range_is_refused(capsys, jobs, what):
    r = run_main(["survey", "--jobs", jobs, str(NIC)], capsys)
    assert r.code == 2 and r.out == "" and len(r.err.splitlines()) == 1
    assert r.err.startswith("capslot: usage: argument --jobs: ") and what in r.err


def test_survey_jobs_at_the_limit_is_accepted():
    r = capslot("survey", "--jsonl", "--jobs", str(4 * len(os.sched_getaffinity(0))), str(NIC))
    assert r.code == 0 and json.loads(r.out)["slot"] == NIC_SLOT


def _fleet_with_a_device_missing_row_00(path: Path) -> None:
    other = (ROOT / "sample_dumps" / "intel_82576_nic_10c9_sriov.txt").read_text()
    broken = "\n".join(l for l in other.splitlines() if not l.startswith("00:"))
    path.write_text((ROOT / "sample_dumps" / "realtek_rtl8168_nic_a.txt").read_text() + "\n"
                    + broken + "\n\n" + NIC.read_text())


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_suggest_quirks_goes_on_past_a_device_without_its_00_row(tmp_path, jobs):
    import tomllib

    f = tmp_path / "fleet.txt"
    _fleet_with_a_device_missing_row_00(f)
    r = capslot("survey", "--suggest-quirks", "--jsonl", "--no-user-quirks", "--jobs", jobs, str(f))
    assert r.code == 0, r.err
    records = [json.loads(l) for l in r.out.splitlines() if l.startswith("{")]
    assert [x["slot"] for x in records] == ["0000:07:00.0", "0000:01:00.0", "0000:08:00.0"]
    assert [x["error"] is None for x in records] == [True, False, True]
    assert records[1]["error"].startswith(f"{f}:260: ") and "00: row" in records[1]["error"]
    toml = r.out[r.out.index("# Device-table suggestions"):]
    doc = tomllib.loads(toml)
    assert {(d["vendor"], d["device"]) for d in doc["device"]} == {(0x10EC, 0x8168)}  # both Realteks
    assert f"#   {f}:260: no vendor and device ID" in toml


def test_the_survey_summary_names_what_it_could_not_read(tmp_path):
    good = tmp_path / "good.txt"
    good.write_text(NIC.read_text())
    bad = []
    for n in range(7):
        p = tmp_path / f"notes{n}.txt"
        p.write_text("Dear diary,\n")
        bad.append(p)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    r = capslot("survey", str(good), *map(str, bad), str(loop))
    assert r.code == 0, r.err
    listed = r.out[r.out.index("could not be read:"):].splitlines()[1:]
    assert listed[:5] == [f"  {p}:1: not a config-space dump: expected lspci -x, hexdump -C, xxd or .coe text"
                          for p in bad[:5]]
    assert listed[5] == "  and 3 more"  # two more notes and the symlink loop
    assert r.out.startswith("1 devices read, 8 could not be read")


def test_a_survey_that_reads_nothing_says_why_in_one_line(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    r = capslot("survey", "--jsonl", str(loop))
    assert r.code == 2 and len(r.err.splitlines()) == 1
    assert r.err.startswith(f"capslot: {loop}: no device could be read (1 errors; {loop}: ")
    assert "symbolic links" in r.err


# ---------------------------------------------------------------- no exit 70 on bad input

@pytest.mark.parametrize("text, line", [
    ("00000000  86 80\n", 1),  # hexdump -C of two bytes: a vendor ID without its device ID
    ("00000000: 86\n", 1),  # xxd of one byte
])
def test_a_dump_shorter_than_its_ids_is_refused(tmp_path, capsys, text, line):
    f = tmp_path / "short.txt"
    f.write_text(text)
    for argv in (["show", str(f)], ["place", str(f), "--add", "pasid"], ["show", "--map", "text", str(f)]):
        got = one_error_line(run_main(argv, capsys), str(f), line)
        assert "shorter than the vendor and device ID (4 bytes)" in got


def test_a_bad_device_table_with_survey_jobs_is_one_line(tmp_path):
    q = tmp_path / "quirks.toml"
    q.write_bytes(b"\xff\xfe")
    r = capslot("survey", "--jobs", "2", "--quirks", str(q), str(NIC))
    assert "not UTF-8" in one_error_line(r, str(q), 1)


@pytest.mark.parametrize("command", [
    ["survey", "--jsonl", str(NIC), "-o"],
    ["export", str(NIC), "--add", "pasid", "--format", "qemu", "--layout-only", "-o"],
    ["show", str(NIC), "--map", "text", "-o"],
])
def test_output_to_a_directory_is_one_line(tmp_path, capsys, command):
    r = run_main([*command, str(tmp_path)], capsys)
    assert one_error_line(r, str(tmp_path)) == f"capslot: {tmp_path}: cannot write: is a directory"
    assert list(tmp_path.iterdir()) == []


def test_survey_of_a_folder_holding_a_fifo_and_a_loop_does_not_wait(tmp_path):
    os.mkfifo(tmp_path / "a.fifo")
    (tmp_path / "b-loop").symlink_to(tmp_path / "b-loop")
    (tmp_path / "c.txt").write_text(NIC.read_text())
    r = capslot("survey", "--jsonl", str(tmp_path), timeout=60)
    assert r.code == 0, r.err
    records = [json.loads(l) for l in r.out.splitlines()]
    assert [x["error"] for x in records[:2]] == [f"{tmp_path / 'a.fifo'}: not a regular file",
                                                 f"{tmp_path / 'b-loop'}: Too many levels of symbolic links"]
    assert records[2]["slot"] == NIC_SLOT


@pytest.mark.skipif(shutil.which("hexdump") is None, reason="hexdump (bsdextrautils) is not installed")
def test_survey_reads_every_device_of_a_large_hexdump_file_as_show_does(tmp_path):
    raw = [tmp_path / f"dev{n}.bin" for n in range(6)]
    for n, path in enumerate(raw):  # six different 4 KiB config spaces
        r = capslot("export", str(NIC), "--add", f"vsec:{0x10 + 4 * n:#x}", "--format", "binary", "--layout-only",
                    "-o", str(path))
        assert r.code == 0, r.err
    text = "".join(subprocess.run(["hexdump", "-C", "-v", str(p)], capture_output=True, text=True,
                                  check=True).stdout for p in raw)
    f = tmp_path / "six.hex"
    f.write_text(text)
    assert f.stat().st_size > 64 * 1024  # more than the survey's first look
    shown = json.loads(capslot("show", "--json", str(f)).out)["devices"]
    surveyed = [json.loads(l) for l in capslot("survey", "--jsonl", str(f)).out.splitlines()]
    assert len(shown) == len(surveyed) == 6
    for a, b in zip(shown, surveyed, strict=False):
        assert b["error"] is None and b["available"] == 4096
        assert {k: b[k] for k in a} == a


def test_a_sysfs_config_that_is_a_fifo_is_refused_not_waited_on(tmp_path):
    device = tmp_path / "bus" / "pci" / "devices" / "0000:01:00.0"
    device.mkdir(parents=True)
    os.mkfifo(device / "config")  # opening it for reading would block until a writer came
    r = capslot("show", "--device", "0000:01:00.0", env={**os.environ, "CAPSLOT_SYSFS_ROOT": str(tmp_path)})
    assert "is not a config file (not a regular file)" in one_error_line(r, "sysfs:0000:01:00.0")


_CXL = (ROOT / "sample_dumps" / "intel_0d93_cxl_dvsec.txt").read_text().rstrip("\n")
_NIC = NIC.read_text().rstrip("\n")
_HEAD, _BODY = _NIC.split("\n", 1)


@pytest.mark.parametrize("text, slot, count", [
    (_NIC.replace("\n", "\r\n") + "\r\n", "08:00.0", 1),  # CRLF
    (re.sub(r"^08:00.0", "0A:1F.7", _NIC), "0000:0a:1f.7", 1),  # upper-case hex
    (re.sub(r"^08:00.0", "0001:02:00.0", _NIC) + "\n\n" + re.sub(r"^6b:00.0", "02:00.0", _CXL),
     "1:2:0.0", 1),  # the same bus:dev.fn in two domains
    (_NIC + "\n\n" + _CXL + "\n\n" + _NIC, "08:00.0", 2),  # a slot twice (two hosts' files joined)
    (_HEAD + "\n\tBus: upstream 08:00.0\n\tSubsystem: 08:00.0\n" + _BODY, "08:00.0", 1),  # -v text naming it
    (_CXL + "\n\n" + _NIC, "0000:08:00.0", 1),  # no newline at the end
])
def test_show_slot_shows_what_show_without_slot_shows_for_that_device(tmp_path, text, slot, count):
    f = tmp_path / "dump.txt"
    f.write_bytes(text.encode())
    everything = json.loads(capslot("show", "--json", str(f)).out)["devices"]
    r = capslot("show", "--json", "--slot", slot, str(f))
    assert r.code == 0, r.err
    picked = json.loads(r.out)["devices"]
    from capslot.core.space import normalize_slot

    assert len(picked) == count
    # the same device object, but for the upstream path: --slot does not read the bridges
    # (`capslot path` does), so only show of the whole file has one
    for d in everything:
        d.pop("upstream", None)
    assert picked == [d for d in everything if d["slot"] == normalize_slot(slot)]
