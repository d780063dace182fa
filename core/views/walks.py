"""How each reader above the hardware walks the chains of the kernel's view: one row of the
one walker (`core.walk.follow`) per reader, read from its source. The differences between
the rows are the model (what hangs a VMM, what it reaches), so each row says what its source
does; the files and revisions are in each VMM's entry in `core.views.vmms.VMMS`.
"""

from __future__ import annotations

from ..ids import EXT_NEXT_FIELD, EXT_NEXT_MASK, STD_NEXT_MASK
from ..registry import Space
from ..space import CONFIG_SIZE, STD_HEADER_SIZE, STD_SIZE
from ..walk import Rule

S, E = Space.STANDARD, Space.EXTENDED
ZERO = frozenset({0})

# The extended chain from 0x100, as each VMM walks the kernel's bytes. A row without a
# bound checks for a header it has read before: that walk never ends (the VMM hangs at
# device start). A bounded row has no such check: a loop repeats until the bound.
EXT_WALKS: dict[str, Rule] = {
    # hw/vfio/pci.c vfio_add_ext_cap() / vfio_ext_cap_max_size(): PCI_EXT_CAP_NEXT(), stop at
    # a zero header; a pointer below 0x100 ends the list here (QEMU asserts on it: qemu.py
    # says so)
    "qemu": Rule(E, EXT_NEXT_MASK, low=STD_SIZE, stop_headers=ZERO),
    # pci/src/vfio.rs parse_extended_capabilities(): cap_next = (header >> 20) & 0xfff,
    # followed as is (an unaligned pointer reads the dword at that byte), no lower limit, a
    # read past the region is 0; stops only at next 0
    "cloud-hypervisor": Rule(E, EXT_NEXT_FIELD, beyond_reads_zero=True),
    # discover_capabilities(): at most 256 steps; a malformed next pointer aborts it
    "openvmm": Rule(E, EXT_NEXT_MASK, low=STD_SIZE, bound=256, loops=False, stop_headers=ZERO,
                    strict_next=True),
    # src/vmm/src/vfio.rs vfio_read_extended_caps(): at most 1024 steps
    "firecracker": Rule(E, EXT_NEXT_MASK, low=STD_SIZE, bound=1024, loops=False,
                        stop_headers=ZERO),
    "firecracker-vfio": Rule(E, EXT_NEXT_MASK, low=STD_SIZE, bound=1024, loops=False,
                             stop_headers=ZERO),
    # src/vmm/src/devices/vfio/pci.rs with_io(): EXTENDED_CAPABILITY_TTL = 480 steps, stop at
    # a header of 0 or 0xffffffff and at a next pointer below 0x100
    "firecracker-unlink": Rule(E, EXT_NEXT_MASK, low=STD_SIZE, bound=(CONFIG_SIZE - STD_SIZE) // 8,
                               loops=False, stop_headers=frozenset({0, 0xFFFFFFFF})),
    # devices/src/pci/vfio_pci.rs VfioPciDevice::new(): no bound
    "crosvm": Rule(E, EXT_NEXT_MASK, low=STD_SIZE, stop_headers=ZERO),
}

# The standard chain from the byte at 0x34, by how a VMM's unbounded walk reads it (the
# `std_walk` of its entry): (needs Status.CapList, the row). None of them has a bound or a
# lower limit, so a loop hangs each.
# - QEMU hw/vfio/pci.c vfio_add_capabilities(): only with Status.CapList (and a pointer at
#   0x34); vfio_std_cap_max_size() then follows pdev->config[tmp + 1], unmasked, until 0
#   (legoater/qemu 0bdfd5427037).
# - cloud-hypervisor pci/src/vfio.rs parse_capabilities() (ae44c2971c83): only with
#   Status.CapList; pointers & 0xfc; stops at next 0 or next == itself, nothing else.
# - crosvm devices/src/pci/vfio_pci.rs VfioPciDevice::new() (f1e797a68dad): from the byte at
#   0x34, no Status check, no mask, stops only at next 0.
STD_WALKS: dict[str, tuple[bool, Rule]] = {
    "unbounded-listed": (True, Rule(S, 0xFF)),
    "unbounded-masked": (True, Rule(S, STD_NEXT_MASK, stop_at_self=True)),
    "unbounded-raw": (False, Rule(S, 0xFF)),
}

# The chain a reader meets from a header vfio-pci serves raw (the second of two abutting
# capabilities with one ID: vfio.py `_abutting`): the device's own next pointers, down to
# the header (standard) or 0x100 (extended), until one is read again.
RAW_STD = Rule(S, STD_NEXT_MASK, low=STD_HEADER_SIZE)
RAW_EXT = Rule(E, EXT_NEXT_MASK, low=STD_SIZE)
