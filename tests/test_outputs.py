"""What capslot writes (issue 20, N1/N2): every `-o` and the explorer's export go through one
writer (core.atomic.Output). A regular file is replaced atomically with the user's umask; `-`
and /dev/stdout are standard output; a character device or FIFO is written in place and stays
what it is; a directory or a path whose folder is missing is one line and exit 2."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading

import pytest

from tests.cli import ROOT, capslot

NIC = str(ROOT / "sample_dumps" / "realtek_rtl8168_nic_b.txt")
EXPORT = ("export", NIC, "--add", "pasid", "--format", "qemu", "--layout-only")  # the NIC gets no PASID
QEMU_LINE = "x-vpasid-cap-offset=0xff8\n"
GUARD = 60  # seconds: a guard against a hang, never a timing assertion


class FifoReader:
    """A thread reading a FIFO to its end (what `cat FIFO` would do)."""

    def __init__(self, path) -> None:
        self.path, self.data = path, b""
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        with open(self.path, "rb") as f:  # waits for the writer, as a reader of a FIFO does
            self.data = f.read()

    def result(self) -> bytes:
        self.thread.join(GUARD)
        assert not self.thread.is_alive(), "nothing was written to the FIFO"
        return self.data


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "out.fifo"
    os.mkfifo(path)
    return path


def one_line(r, *words: str) -> None:
    assert r.code == 2 and r.out == "", r
    lines = r.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("capslot: "), r.err
    for word in words:
        assert word in lines[0]


# ---------------------------------------------------------------- devices, FIFOs, stdout

@pytest.mark.parametrize("command", [
    EXPORT,
    ("show", NIC, "--map", "text"),
    ("place", NIC, "--add", "pasid", "--json", "--layout-only"),
    ("check", NIC, "--add", "pasid@0xff8", "--layout-only"),
    ("survey", "--jsonl", NIC),
    ("survey", NIC),
])
def test_every_output_to_dev_null_leaves_it_a_character_device(command):
    before = os.stat("/dev/null")
    r = capslot(*command, "-o", "/dev/null")
    after = os.stat("/dev/null")
    assert r.code == 0 and r.out == "" and r.err == "", r
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino  # the same node, never replaced


def test_export_to_a_fifo_writes_into_it_and_the_fifo_stays(fifo):
    reader = FifoReader(fifo)
    r = capslot(*EXPORT, "-o", str(fifo), timeout=GUARD)
    assert r.code == 0 and r.err == "", r
    assert reader.result().decode() == QEMU_LINE
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert os.listdir(fifo.parent) == [fifo.name]  # no temporary file beside it


def test_survey_summary_to_a_fifo(fifo):
    reader = FifoReader(fifo)
    r = capslot("survey", NIC, "-o", str(fifo), timeout=GUARD)
    assert r.code == 0 and r.out == "", r
    assert reader.result().decode() == capslot("survey", NIC).out != ""
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


@pytest.mark.parametrize("target", ["-", "/dev/stdout"])
def test_output_to_standard_output_prints_it(target):
    r = capslot(*EXPORT, "-o", target)
    assert (r.code, r.out, r.err) == (0, QEMU_LINE, "")
    r = capslot("show", NIC, "--map", "text", "-o", target)
    assert r.code == 0 and r.out == capslot("show", NIC, "--map", "text").out != ""
    assert stat.S_ISLNK(os.lstat("/dev/stdout").st_mode) or not os.path.isfile("/dev/stdout")


def test_binary_export_to_dash_is_standard_output():
    r = subprocess.run([sys.executable, "-m", "capslot", *EXPORT[:4], "--format", "binary", "--layout-only",
                        "-o", "-"], cwd=ROOT, capture_output=True, timeout=GUARD)
    assert r.returncode == 0 and len(r.stdout) == 4096 and r.stderr == b""


# ---------------------------------------------------------------- refused, one line

def test_a_directory_is_refused_with_one_line(tmp_path):
    one_line(capslot(*EXPORT, "-o", str(tmp_path)), str(tmp_path), "is a directory")
    one_line(capslot("survey", NIC, "-o", str(tmp_path)), "is a directory")
    assert os.listdir(tmp_path) == []


def test_a_missing_folder_is_refused_with_one_line(tmp_path):
    target = tmp_path / "no" / "such" / "out.txt"
    one_line(capslot(*EXPORT, "-o", str(target)), str(target), "no such folder")
    one_line(capslot("show", NIC, "--map", "svg", "-o", str(target)), "no such folder")
    one_line(capslot(*EXPORT, "-o", f"{tmp_path}/new/"), "no such folder")  # never a file "new"
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- regular files

def test_a_new_file_gets_the_users_umask(tmp_path):
    target = tmp_path / "out.txt"
    r = subprocess.run([sys.executable, "-m", "capslot", *EXPORT, "-o", str(target)], cwd=ROOT,
                       capture_output=True, timeout=GUARD, preexec_fn=lambda: os.umask(0o027))
    assert r.returncode == 0 and target.read_text() == QEMU_LINE
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_link_to_a_file_stays_a_link_and_its_file_is_replaced(tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    r = capslot(*EXPORT, "-o", str(link))
    assert r.code == 0 and link.is_symlink() and real.read_text() == QEMU_LINE


def test_check_and_place_write_what_they_print(tmp_path):
    target = tmp_path / "verdicts.json"
    r = capslot("place", NIC, "--add", "pasid", "--json", "--layout-only", "-o", str(target))
    assert r.code == 0 and r.out == ""
    assert target.read_text() == capslot("place", NIC, "--add", "pasid", "--json", "--layout-only").out
    text = tmp_path / "verdicts.txt"
    r = capslot("check", NIC, "--add", "pasid@0xff8", "--layout-only", "-o", str(text))
    assert r.code == 0 and r.out == "" and "0xff8" in text.read_text()


# ---------------------------------------------------------------- survey -o (N2)

def test_survey_without_jsonl_writes_its_summary_to_the_file(tmp_path):
    target = tmp_path / "summary.txt"
    target.write_text("previous summary\n")
    r = capslot("survey", NIC, "-o", str(target))
    assert r.code == 0 and r.out == "", r
    printed = capslot("survey", NIC).out
    assert printed.strip() and target.read_text() == printed


def test_survey_that_reads_nothing_never_empties_the_file(tmp_path):
    target = tmp_path / "summary.txt"
    target.write_text("previous summary\n")
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    for extra in ((), ("--jsonl",)):
        r = capslot("survey", *extra, str(empty), "-o", str(target))
        assert r.code == 2 and len(r.err.splitlines()) == 1, r
        assert target.read_text() == "previous summary\n"
    assert sorted(os.listdir(tmp_path)) == ["empty.txt", "summary.txt"]


# ---------------------------------------------------------------- the explorer's export

def test_the_explorers_export_writes_into_a_fifo_being_read(fifo):
    from capslot.tui.app import write_export

    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader there before the export
    try:
        write_export(str(fifo), b"guest bytes", threading.Event())  # fits the pipe: never waits
        assert os.read(reader, 100) == b"guest bytes"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_the_explorers_export_refuses_a_fifo_nobody_reads_and_its_own_terminal(fifo):
    from capslot.core.atomic import WriteError
    from capslot.tui.app import write_export

    with pytest.raises(WriteError, match="no process is reading this FIFO"):
        write_export(str(fifo), b"x", threading.Event())
    for name in ("-", "/dev/stdout"):
        with pytest.raises(WriteError, match="terminal"):
            write_export(name, b"x", threading.Event())
    write_export("/dev/null", b"x", threading.Event())
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and stat.S_ISCHR(os.stat("/dev/null").st_mode)
