"""Names from pci.ids, checked against pciutils' own lspci reading the same file: the
name line of every bundled dump (`lspci -F`), the `Subsystem:` lines (`lspci -F -v`), and
the corners of the file format (a pci.ids written here, read by both). Untrusted files
never raise."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capslot.core import pciids
from capslot.core.pciids import Identity, PciIds
from capslot.core.sources import load
from capslot.core.space import DumpError
from tests.cli import capslot
from tests.conftest import sample_dumps
from tests.helpers import config_space

LSPCI = shutil.which("lspci")
SYSTEM_IDS = pciids.find()
needs_lspci = pytest.mark.skipif(LSPCI is None, reason="lspci (pciutils) is not installed")
needs_ids = pytest.mark.skipif(SYSTEM_IDS is None, reason="no pci.ids on this machine")


def lspci_dump(path: Path | str, *args: str, ids: str) -> list[str]:
    """lspci's lines for a dump, names from `ids` only (udev's hwdb off: capslot has none)."""
    out = subprocess.run([LSPCI, "-F", str(path), "-i", ids, "-O", "hwdb.disable=1", *args],
                         capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace").splitlines()


def ours(path: Path | str, ids: PciIds, verbose: bool = False) -> list[str]:
    return [pciids.name_line(ids, Identity.from_config(cs), cs.provenance.slot, verbose)
            for cs in load(str(path))]


def device_lines(lines: list[str]) -> list[str]:
    return [l for l in lines if l and not l[0].isspace()]


@needs_lspci
@needs_ids
@pytest.mark.parametrize("dump", sample_dumps(), ids=lambda p: p.stem)
def test_the_name_line_is_lspcis_for_every_sample_dump(dump):
    ids = pciids.read(SYSTEM_IDS)
    assert ours(dump, ids) == lspci_dump(dump, ids=SYSTEM_IDS)
    assert ours(dump, ids, verbose=True) == device_lines(lspci_dump(dump, "-v", ids=SYSTEM_IDS))


@needs_lspci
@needs_ids
def test_subsystem_lines_are_lspcis():
    ids = pciids.read(SYSTEM_IDS)
    compared = 0
    for dump in sample_dumps():
        theirs = [l.split("Subsystem: ", 1)[1] for l in lspci_dump(dump, "-v", ids=SYSTEM_IDS)
                  if l.startswith("\tSubsystem: ")]
        mine = []
        for cs in load(str(dump)):
            ident = Identity.from_config(cs)
            if ident.subsystem_vendor not in (None, 0, 0xFFFF):  # lspci's own condition
                mine.append(pciids.subsystem_text(ids, ident.vendor, ident.device,
                                                  ident.subsystem_vendor, ident.subsystem_device))
        if theirs and cs.header_type == 0:
            assert mine == theirs, dump.name
            compared += 1
    assert compared > 50


# A pci.ids written for the corners of the format (every line valid: lspci stops at the
# first one it cannot parse). Vendor 1234 has devices, subsystems and a comment inside its
# block; 5678 has no devices; ABCD is written in capitals; 1af4 has one name of 140
# characters (lspci cuts names to 127 with "..."); class 0x12 has no subclasses; the
# generic subsystem block names 1234:0f0f; 9999's line ends with a tab; IDE interfaces
# (0x0101) have no prog-if entries, so lspci spells out their mode bits.
CORNERS = (
    "# comment\n"
    "1234  First Vendor\n"
    "\t0001  Widget\n"
    "# a comment inside a block\n"
    "\t\t1234 0001  Widget (own subsystem)\n"
    "\t\t5678 00ff  Widget for Second\n"
    "\t0002  Gadget\t\n"
    "5678  Second Vendor\n"
    "ABCD  Capital Letters Inc\n"
    "\tEF01  Capital Device\n"
    "1af4  Long Names\n"
    "\t1000  " + "x" * 140 + "\n"
    "9999  Trailing Tab Vendor\t\n"
    "S 1234\n"
    "\t0f0f  Generic subsystem name\n"
    "C 01  Mass storage controller\n"
    "\t01  IDE interface\n"
    "C 02  Network controller\n"
    "\t00  Ethernet controller\n"
    "\t\t01  Some prog-if\n"
    "C 12  Processing accelerators\n"
    "C ff  Unassigned class\n"
)
CORNER_DEVICES = [  # (vendor, device, class24, revision, subsystem vendor, subsystem device)
    (0x1234, 0x0001, 0x020000, 0x01, 0x1234, 0x0001), (0x1234, 0x0001, 0x020000, 0, 0x5678, 0x00FF),
    (0x1234, 0x0002, 0x020001, 0, 0x1234, 0x0F0F), (0x1234, 0x0003, 0x020000, 0, 0x1234, 0x0003),
    (0x5678, 0x0001, 0x120000, 0x10, 0x5678, 0x0001), (0xABCD, 0xEF01, 0xFFFF00, 0, 0, 0),
    (0x1AF4, 0x1000, 0x028000, 0, 0x9999, 0x0001), (0x9999, 0x0002, 0x130000, 0, 0x1111, 0x2222),
    (0x4321, 0x8765, 0x020000, 0, 0x1234, 0x0002),
    (0x1234, 0x0001, 0x01018A, 0, 0, 0), (0x1234, 0x0001, 0x010100, 0, 0, 0),
    (0x1234, 0x0001, 0x010170, 0, 0, 0),  # IDE: mode bits spelled out, none, or no name
]


def _corner_dump(tmp_path: Path, crlf: bool) -> tuple[Path, Path]:
    ids = tmp_path / "corners.ids"
    ids.write_bytes(CORNERS.replace("\n", "\r\n" if crlf else "\n").encode())
    rows = []
    for n, (v, d, cls, rev, sv, sd) in enumerate(CORNER_DEVICES):
        data = bytearray(config_space(vendor=v, device=d, size=64))
        data[8], data[9:12] = rev, cls.to_bytes(3, "little")
        data[0x2C:0x30] = sv.to_bytes(2, "little") + sd.to_bytes(2, "little")
        rows.append(f"00:{n:02x}.0 Device\n" + "".join(
            f"{o:02x}: " + " ".join(f"{b:02x}" for b in data[o:o + 16]) + "\n" for o in range(0, 64, 16)))
    dump = tmp_path / "corners.txt"
    dump.write_text("\n".join(rows))
    return ids, dump


@needs_lspci
@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_the_corners_of_the_format_read_as_lspci_reads_them(tmp_path, crlf):
    ids_path, dump = _corner_dump(tmp_path, crlf)
    ids = pciids.read(str(ids_path))
    assert ours(dump, ids) == lspci_dump(dump, ids=str(ids_path))
    assert ours(dump, ids, verbose=True) == device_lines(lspci_dump(dump, "-v", ids=str(ids_path)))
    theirs = [l.split("Subsystem: ", 1)[1] for l in lspci_dump(dump, "-v", ids=str(ids_path))
              if l.startswith("\tSubsystem: ")]
    mine = [pciids.subsystem_text(ids, v, d, sv, sd) for v, d, _, _, sv, sd in CORNER_DEVICES if sv]
    assert mine == theirs
    cut = [line for line in ours(dump, ids) if line.endswith("...")]  # the 140-character name
    assert len(cut) == 1 and len(cut[0].split(": ", 1)[1]) == 127


@needs_ids
def test_a_gzipped_file_gives_the_same_names(tmp_path):
    packed = tmp_path / "pci.ids.gz"
    packed.write_bytes(gzip.compress(Path(SYSTEM_IDS).read_bytes()))
    plain, zipped = pciids.read(SYSTEM_IDS), pciids.read(str(packed))
    for v, d in ((0x10EC, 0x8168), (0x8086, 0x0D57), (0x1AF4, 0x1041), (0x144D, 0xA826)):
        assert pciids.device_text(zipped, v, d) == pciids.device_text(plain, v, d)


def test_without_a_database_names_are_numbers_as_lspci_prints_them():
    ident = Identity(0x10EC, 0x8168, 0x020000, 0x15)
    assert pciids.name_line(pciids.NO_NAMES, ident, "0000:08:00.0") == \
        "08:00.0 Class 0200: Device 10ec:8168 (rev 15)"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.binary(max_size=80),
    st.text(alphabet="0123456789abcdefABCDEF \tCS#x\r", max_size=30),
    st.sampled_from(["1234  V", "\t0001  D", "\t\t1234 0001  S", "C 02  N", "\t00  E",
                     "\t\t01  P", "S 1234", "\t0f0f  G", "\t\t\t0001  deep", "1234", "C 0"])),
    max_size=40))
def test_hostile_files_never_raise(lines):
    parts = [l if isinstance(l, bytes) else l.encode() for l in lines]
    ids = PciIds(b"\n".join(parts))
    for v, d in ((0x1234, 0x0001), (0, 0), (0xFFFF, 0xFFFF)):
        assert isinstance(pciids.device_text(ids, v, d), str)
        assert isinstance(pciids.subsystem_text(ids, v, d, 0x1234, 0x0F0F), str)
    assert isinstance(pciids.class_text(ids, 0x0200), str)
    ids.progif_name(0x02, 0x00, 0x01)


def test_a_line_longer_than_lspci_reads_is_skipped():
    long_name = "y" * 2000
    ids = PciIds(f"1234  {long_name}\n\t0001  Fine\n".encode())
    assert ids.vendor(0x1234) is None and ids.device(0x1234, 0x0001) == "Fine"


NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"


def test_pci_ids_option_names_a_device_its_dump_does_not_name(tmp_path):
    ids = tmp_path / "mine.ids"
    ids.write_text("10ec  [bold]Vendor\x1b[31m\n\t8168  My NIC\nC 02  Net\n\t00  Eth\n")
    raw = tmp_path / "nic.bin"
    raw.write_bytes(load(NIC)[0].data)  # a raw dump: no description line of its own
    r = capslot("show", str(raw), "--pci-ids", str(ids), env={**os.environ, "COLUMNS": "300"})
    assert r.code == 0, r.err
    first = r.out.splitlines()[0].rstrip()
    assert first == "(no slot)  [10ec:8168]  Eth: [bold]Vendor\\x1b[31m My NIC (rev 02)"
    assert "\x1b" not in r.out
    r = capslot("show", NIC, "--pci-ids", str(ids), env={**os.environ, "COLUMNS": "300"})
    assert "Realtek Semiconductor" in r.out.splitlines()[0]  # the dump's own line stays


@pytest.mark.parametrize("content, what", [
    (None, "no such file"), (b"\x00\x01binary\xff" * 50, "not a pci.ids file"),
    (b"\x1f\x8b\x08junk", "not a readable gzip file")])
def test_a_bad_pci_ids_file_is_one_line_and_exit_2(tmp_path, content, what):
    path = tmp_path / "bad.ids"
    if content is not None:
        path.write_bytes(content)
    r = capslot("show", NIC, "--pci-ids", str(path))
    assert r.code == 2 and r.err.startswith(f"capslot: {path}: ") and what in r.err
    assert len(r.err.splitlines()) == 1


def test_reading_a_bad_file_raises_dump_error_not_anything_else(tmp_path):
    path = tmp_path / "x.ids"
    path.write_bytes(b"")
    with pytest.raises(DumpError):
        pciids.read(str(path))
