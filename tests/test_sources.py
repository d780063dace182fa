"""Every input format reads to the same bytes; the format comes from content only."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from capslot.core import export
from capslot.core.layout import Kind, build
from capslot.core.sources import detect, load, select
from capslot.core.space import DumpError

DATA = Path(__file__).parent / "data"
NIC = "realtek_rtl8168_nic_b"


SAMPLES_DIR = Path(__file__).resolve().parent.parent / "sample_dumps"


@pytest.fixture(scope="module")
def nic():
    return load(str(SAMPLES_DIR / f"{NIC}.txt"))[0]


def write(tmp_path: Path, name: str, content: bytes | str) -> str:
    p = tmp_path / name
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return str(p)


@pytest.mark.parametrize("fixture, fmt", [
    (f"{NIC}.hexdump", "hexdump"), (f"{NIC}.xxd", "xxd"), (f"{NIC}.xxd-a", "xxd"),
])
def test_hexdump_and_xxd_read_to_the_lspci_bytes(nic, fixture, fmt, tmp_path):
    # The name says nothing: the format must come from the content.
    path = write(tmp_path, "dump.bin", (DATA / fixture).read_bytes())
    (cs,) = load(path)
    assert cs.provenance.format == fmt
    assert cs.data == nic.data and cs.complete


def test_xxd_with_byte_groups_and_256_bytes(nic):
    (cs,) = load(str(DATA / f"{NIC}_256.xxd-g1"))
    assert cs.captured == 256 and cs.data[:256] == nic.data[:256]
    assert build(cs).region_at(0x100).kind is Kind.UNAVAILABLE


def test_coe(nic, tmp_path):
    (cs,) = load(write(tmp_path, "x.txt", export.coe_text(nic.data)))
    assert cs.provenance.format == "coe" and cs.data == nic.data


@pytest.mark.parametrize("size", [64, 256, 4096])
def test_raw_binary_sizes(nic, tmp_path, size):
    (cs,) = load(write(tmp_path, "config", nic.data[:size]))
    assert cs.provenance.format == "binary" and cs.captured == size
    assert cs.data[:size] == nic.data[:size]
    if size < 4096:
        r = build(cs).region_at(size)
        assert (r.kind, r.start, r.end) == (Kind.UNAVAILABLE, size, 4096)


def test_stdin_binary_and_text(nic):
    (cs,) = load("-", stdin=io.BytesIO(nic.data[:256]))
    assert cs.captured == 256 and cs.provenance.source == "-"
    (cs,) = load("-", stdin=io.BytesIO((DATA / f"{NIC}.xxd").read_bytes()))
    assert cs.data == nic.data


def test_lspci_multi_device_with_domains_and_v_lines(samples, tmp_path):
    """Three devices, one with a domain, with lspci -vvv decode lines between them."""
    parts = []
    for stem in ("realtek_rtl8168_nic_b", "fsl_p2020_rootport_0070_b", "intel_82576_nic_10c9_sriov"):
        hexpart = (samples / f"{stem}.txt").read_text().splitlines()
        decode = (samples / f"{stem}.lspci.txt").read_text().splitlines()
        # lspci -vvv -xxxx: device line, decode (indented), then the hex rows
        parts.append("\n".join([hexpart[0], *decode[1:], *hexpart[1:], ""]))
    (path) = write(tmp_path, "all.txt", "\n".join(parts))
    devices = load(path)
    assert [d.provenance.slot for d in devices] == ["0000:08:00.0", "0001:02:00.0", "0000:01:00.0"]
    assert [d.provenance.index for d in devices] == [0, 1, 2]
    assert devices[1].provenance.device_line.startswith("0001:02:00.0 PCI bridge")
    singles = [load(str(samples / f"{s}.txt"))[0] for s in
               ("realtek_rtl8168_nic_b", "fsl_p2020_rootport_0070_b", "intel_82576_nic_10c9_sriov")]
    assert [d.data for d in devices] == [d.data for d in singles]
    assert select(devices, "1:02:00.0", path)[0].data == singles[1].data
    with pytest.raises(DumpError, match="no device at 0000:09:00.0"):
        select(devices, "09:00.0", path)


def test_lspci_x_without_device_line_and_64_bytes(nic, tmp_path):
    rows = "\n".join(f"{o:02x}: " + " ".join(f"{b:02x}" for b in nic.data[o:o + 16]) for o in range(0, 64, 16))
    (cs,) = load(write(tmp_path, "d", rows + "\n"))
    assert cs.captured == 64 and cs.provenance.slot is None and cs.provenance.format == "lspci"
    assert [(r.kind.value, r.start, r.end) for r in build(cs).regions] == [
        ("header", 0, 64), ("unavailable", 64, 4096)]


@pytest.mark.parametrize("head, fmt", [
    (b"00: 86 80 " + b"00 " * 13 + b"00\n", "lspci"),
    (b"0000:00:1f.3 Audio device: x\n", "lspci"),
    (b"00000000  86 80 00 00  |..|\n", "hexdump"),
    (b"00000000: 8680 0000  ....\n", "xxd"),
    (b"memory_initialization_radix=16;\nmemory_initialization_vector=\n", "coe"),
    (b"hello world\n", None),
    (b"\x00\x01\x02", None),
    (b"MEMORY_Initialization_Vector=\n", "coe"),  # the name in any case
    # control bytes (not tab, CR, LF, FF): text while they are at most 1% of the head
    (b"00: 86 80 " + b"00 " * 13 + b"00\n\x1b" + b"\n" * 50, "lspci"),
    (b"00: 86 80 " + b"00 " * 13 + b"00\n\x1b\x07" + b"\n" * 50, None),
])
def test_detect(head, fmt):
    assert detect(head) == fmt


def test_sysfs_is_read_only_and_short_reads_are_unavailable(nic, tmp_path, monkeypatch):
    """A live device read as a non-root user yields 64 bytes; the file is opened O_RDONLY."""
    dev = tmp_path / "bus" / "pci" / "devices" / "0000:08:00.0"
    dev.mkdir(parents=True)
    (dev / "config").write_bytes(nic.data[:64])
    os.chmod(dev / "config", 0o444)
    monkeypatch.setenv("CAPSLOT_SYSFS_ROOT", str(tmp_path))
    flags_seen = []
    real_open = os.open

    def spy(path, flags, *a, **kw):
        flags_seen.append(flags)
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(os, "open", spy)
    (cs,) = load("sysfs:08:00.0")
    assert flags_seen and all(f & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC) == 0
                              for f in flags_seen)
    assert cs.captured == 64 and cs.provenance.slot == "0000:08:00.0"
    assert build(cs).region_at(0x40).kind is Kind.UNAVAILABLE
    with pytest.raises(DumpError, match="no such device"):
        load("sysfs:0000:09:00.0")
