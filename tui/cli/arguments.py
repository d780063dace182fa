"""The arguments several commands take (a dump, a view and its target, a device table), and
the choices and help texts they share. Written here so that building a parser imports nothing
of the core; tests/test_cli_input.py checks the choices against core.views and core.views.vmms."""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse

VMM_NAMES = ("qemu", "cloud-hypervisor", "openvmm", "firecracker", "firecracker-vfio",
             "firecracker-unlink", "crosvm")
EXPORT_FORMATS = ["lspci", "binary", "json", "qemu", "libvirt", "qemu-cmdline"]


def add_dump(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("dump", nargs=None if required else "?", metavar="DUMP",
                   help="a dump file, '-' for standard input, or sysfs:BDF for a live device")
    p.add_argument("--device", metavar="BDF", help="read a live device's sysfs config (read-only)")
    p.add_argument("--slot", metavar="BDF", help="pick one device of a multi-device dump")
    p.add_argument("--pci-ids", metavar="FILE", help="names from this pci.ids (default: the "
                   "system's, as lspci finds it)")
OUTPUT_HELP = ("a regular file is replaced atomically; '-' is standard output; a character "
               "device or FIFO is written in place")
NUMBERS = ("Offsets and sizes are hex with or without 0x (ff8, 0xff8), or decimal with a "
           "leading 0d (0d4088).")
ADD_HELP = ("NAME[:SIZE][@OFFSET], e.g. pasid, pasid@0xff8, vsec:40, 0x1f:10, std:vndr:8@d4 "
            "(see capslot caps --virtual). " + NUMBERS)
# The choices, written here so that building a parser imports nothing of the core;
# tests/test_cli_input.py checks them against core.views and core.views.vmms.
VIEW_NAMES = ("hardware", "vfio", "guest")
ARCHES = ("x86_64", "aarch64")
PROFILE_HELP = {"nvidia": "NVIDIA NV-Kernels vfio-pci (exposes PASID, 8 bytes)",
                "upstream": "Linux mainline vfio-pci (hides PASID)"}


def add_view(p: argparse.ArgumentParser, default: str | None = "hardware") -> None:
    p.add_argument("--view", choices=VIEW_NAMES, default=default,
                   help="hardware bytes, what vfio-pci shows user space, or what QEMU shows the "
                        "guest; verdicts are about this view (the guest unless given)")
    p.add_argument("--profile", choices=sorted(PROFILE_HELP), default="upstream",
                   help="kernel flavour for the vfio/guest views: " +
                        "; ".join(f"{k}: {v}" for k, v in sorted(PROFILE_HELP.items())))
    p.add_argument("--qemu-ats", choices=["auto", "on", "off"], default="auto",
                   help="QEMU 11.1's ats property: auto keeps ATS when the kernel shows it, off "
                        "drops it, on fails device start without it")
    p.add_argument("--vmm", choices=list(VMM_NAMES), default="qemu",
                   help="the VMM whose guest view is the target: what it removes and how "
                        "(docs/placement.md, 'Which VMM?')")
    p.add_argument("--captured", choices=["host", "guest"],
                   help="where the dump was read (default: decided from its bytes; a dump read "
                        "inside a guest is judged as read)")
    p.add_argument("--arch", choices=ARCHES, default=None,
                   help="the guest's architecture: which PASID-capable vIOMMU the VM needs "
                        "(arm-smmuv3 or intel-iommu; default: this machine's)")
    p.add_argument("--layout-only", action="store_true",
                   help="judge the offsets alone (teaching, a custom VMM): not whether the VMM "
                        "creates the capability or whether a PASID can work")


def add_table(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quirks", metavar="FILE", help="a device table of your own (TOML)")
    p.add_argument("--no-user-quirks", action="store_true",
                   help="ignore $XDG_CONFIG_HOME/capslot/quirks.toml")
