"""A fake /sys for live-host tests, laid out as the kernel lays out the real one, so that
pciutils' own sysfs backend (`lspci -O sysfs.path=ROOT/bus/pci`) reads it too and can be
the oracle: `ROOT/devices/pci0000:00/<bridge>/.../<BDF>/` holding `config` and the
attribute files, `ROOT/bus/pci/devices/<BDF>` a relative link to it, `driver` and
`iommu_group` links to existing directories.

Devices are real dumps from sample_dumps/ whose bus numbers (and, where a test says so,
Device Capabilities 2) are edited to form one machine.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

from capslot.core.sources import load
from tests import lspci_oracle

LSPCI = shutil.which("lspci")
EE_PREFIX = 1 << 21  # Device Capabilities 2 bit 21 (pci_regs.h PCI_EXP_DEVCAP2_EE_PREFIX)


def sample(name: str) -> bytearray:
    """The bytes of a bundled dump (missing bytes as 0)."""
    return bytearray(load(f"sample_dumps/{name}.txt")[0].data)


def express_offset(name: str) -> int:
    """Where lspci's decode of the dump puts the PCI Express capability."""
    text = Path(f"sample_dumps/{name}.lspci.txt").read_text()
    (offset,) = [off for space, off, ids in lspci_oracle.capabilities(text)
                 if space == lspci_oracle.STANDARD and 0x10 in ids]
    return offset


def with_ee_prefix(name: str, supported: bool, blocking: bool = False) -> bytearray:
    """A dump with its End-End TLP Prefix Supported bit (and Blocking bit) set as asked."""
    data = sample(name)
    at = express_offset(name) + 0x24
    cap2 = struct.unpack_from("<I", data, at)[0]
    cap2 = cap2 | EE_PREFIX if supported else cap2 & ~EE_PREFIX
    struct.pack_into("<I", data, at, cap2)
    ctl = express_offset(name) + 0x28
    struct.pack_into("<H", data, ctl, struct.unpack_from("<H", data, ctl)[0] & ~0x8000
                     | (0x8000 if blocking else 0))
    return data


ACS_RR_UF = 0x0014  # ACS Request Redirect (bit 2) and Upstream Forwarding (bit 4), pci_regs.h


def with_acs(data: bytearray, at: int = 0x100) -> bytearray:
    """A function whose (empty) extended chain gets an ACS capability (ID 0x000d) at `at`,
    implementing and enabling Request Redirect and Upstream Forwarding, as the kernel leaves a
    port's ACS at boot with an IOMMU on. Only for dumps with no extended capability."""
    assert not any(data[0x100:0x104]), "the dump has an extended chain already"
    struct.pack_into("<IHH", data, at, 0x0001000D, ACS_RR_UF, ACS_RR_UF)
    return data


def bridge(data: bytearray, primary: int, secondary: int, subordinate: int) -> bytearray:
    data[0x18:0x1B] = bytes([primary, secondary, subordinate])
    return data


@dataclass
class Fake:
    slot: str
    config: bytes
    parent: str | None = None  # the slot of the bridge above (None: on the root bus)
    driver: str | None = None
    group: str | None = None
    readable: int = 4096  # bytes the config file holds (64: what a non-root reader gets)
    ecap: int | None = None  # an Intel VT-d unit's ECAP in front of it (its `iommu` link)


def build(root: Path, devices: list[Fake], root_bus: str = "pci0000:00") -> Path:
    """Lay the devices out under `root` (parents before children); returns `root`."""
    where: dict[str, Path] = {}
    links = root / "bus" / "pci" / "devices"
    links.mkdir(parents=True, exist_ok=True)
    for dev in devices:
        base = where[dev.parent] if dev.parent else root / "devices" / root_bus
        path = base / dev.slot
        path.mkdir(parents=True)
        where[dev.slot] = path
        cfg = dev.config
        vendor, device = struct.unpack_from("<HH", cfg, 0)
        cls = cfg[0x09] | cfg[0x0A] << 8 | cfg[0x0B] << 16
        sub = struct.unpack_from("<HH", cfg, 0x2C) if cfg[0x0E] & 0x7F == 0 else (0, 0)
        (path / "config").write_bytes(bytes(cfg[:dev.readable]))
        for name, value in (("vendor", f"0x{vendor:04x}"), ("device", f"0x{device:04x}"),
                            ("class", f"0x{cls:06x}"), ("revision", f"0x{cfg[8]:02x}"),
                            ("subsystem_vendor", f"0x{sub[0]:04x}"),
                            ("subsystem_device", f"0x{sub[1]:04x}"), ("irq", "0")):
            (path / name).write_text(value + "\n")
        (path / "resource").write_text("0x0000000000000000 0x0000000000000000 "
                                       "0x0000000000000000\n" * 13)
        for name in os.listdir(path):
            os.chmod(path / name, 0o444)
        for link, target in (("driver", root / "bus" / "pci" / "drivers" / (dev.driver or "")),
                             ("iommu_group", root / "kernel" / "iommu_groups" / (dev.group or ""))):
            if (dev.driver if link == "driver" else dev.group) is not None:
                target.mkdir(parents=True, exist_ok=True)
                os.symlink(os.path.relpath(target, path), path / link)
        if dev.ecap is not None:  # as the kernel lays it out: iommu -> devices/virtual/iommu/dmarN
            unit = root / "devices" / "virtual" / "iommu" / "dmar0"
            (unit / "intel-iommu").mkdir(parents=True, exist_ok=True)
            (unit / "intel-iommu" / "ecap").write_text(f"{dev.ecap:x}\n")
            os.symlink(os.path.relpath(unit, path), path / "iommu")
        os.symlink(os.path.relpath(path, links), links / dev.slot)
    return root


def lspci(root: Path | None, *args: str, ids: str | None = None) -> str:
    """lspci's output for the fake tree under `root` (the real /sys when None), with names
    from `ids` only (udev's hwdb off, as capslot has none)."""
    cmd = [LSPCI, "-O", "hwdb.disable=1"]
    if root is not None:
        cmd += ["-O", f"sysfs.path={root}/bus/pci"]
    if ids:
        cmd += ["-i", ids]
    out = subprocess.run([*cmd, *args], capture_output=True, check=True)
    return out.stdout.decode("utf-8", "replace")
