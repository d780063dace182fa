"""Reading pciutils 3.9.0 `lspci -vvv` decodes (the `.lspci.txt` files): which
capabilities it lists, at which offset, of which kind.

This table is the test's own knowledge of lspci's wording, written from pciutils'
ls-caps.c / ls-ecaps.c, independently of capslot's registry.
"""

from __future__ import annotations

import re

STANDARD = "standard"
EXTENDED = "extended"

# lspci's text -> capability ID. Longest prefixes first where one is a prefix of another.
STD_NAMES: list[tuple[str, set[int]]] = [
    ("Power Management version", {0x01}), ("AGP3", {0x0E}), ("AGP version", {0x02}),
    ("Vital Product Data", {0x03}), ("Slot ID", {0x04}), ("MSI-X", {0x11}), ("MSI:", {0x05}),
    ("CompactPCI hot-swap", {0x06}), ("PCI-X", {0x07}), ("HyperTransport", {0x08}),
    ("Vendor Specific Information", {0x09}), ("Debug port", {0x0A}),
    ("CompactPCI central resource control", {0x0B}), ("Hot-plug capable", {0x0C}),
    ("Subsystem", {0x0D}), ("Secure device", {0x0F}), ("Express", {0x10}),
    ("SATA HBA", {0x12}), ("PCI Advanced Features", {0x13}), ("Enhanced Allocation", {0x14}),
    ("Null", {0x00}),
]
EXT_NAMES: list[tuple[str, set[int]]] = [
    ("Advanced Error Reporting", {0x01}), ("Multi-Function Virtual Channel", {0x08}),
    ("Virtual Channel", {0x02, 0x09}), ("Device Serial Number", {0x03}),
    ("Power Budgeting", {0x04}), ("Root Complex Link", {0x05}),
    ("Root Complex Internal Link", {0x06}), ("Root Complex Event Collector", {0x07}),
    ("Root Complex Register Block", {0x0A}), ("Vendor Specific Information", {0x0B}),
    ("Access Control Services", {0x0D}), ("Alternative Routing-ID", {0x0E}),
    ("Address Translation Service", {0x0F}), ("Single Root I/O Virtualization", {0x10}),
    ("Multi-Root I/O Virtualization", {0x11}), ("Multicast", {0x12}),
    ("Page Request Interface", {0x13}), ("Physical Resizable BAR", {0x15}),
    ("Dynamic Power Allocation", {0x16}), ("Transaction Processing Hints", {0x17}),
    ("Latency Tolerance Reporting", {0x18}), ("Secondary PCI Express", {0x19}),
    ("Protocol Multiplexing", {0x1A}), ("Process Address Space ID", {0x1B}),
    ("LN Requester", {0x1C}), ("Downstream Port Containment", {0x1D}),
    ("L1 PM Substates", {0x1E}), ("Precision Time Measurement", {0x1F}),
    ("PCI Express over M_PHY", {0x20}), ("FRS Queueing", {0x21}),
    ("Readiness Time Reporting", {0x22}), ("Designated Vendor-Specific", {0x23}),
    ("Virtual Resizable BAR", {0x24}), ("Data Link Feature", {0x25}),
    ("Physical Layer 16.0 GT/s", {0x26}), ("Lane Margining at the Receiver", {0x27}),
    ("Hierarchy ID", {0x28}), ("Native PCIe Enclosure Management", {0x29}),
    ("Data Object Exchange", {0x2E}), ("Null", {0x00}),
]
CAP_LINE = re.compile(r"^\tCapabilities: \[([0-9a-f]+)(?: v(\d+))?\] (.*)$")
GENERIC_STD = re.compile(r"^Capability ID (0x[0-9a-f]+)")
GENERIC_EXT = re.compile(r"^Extended Capability ID (0x[0-9a-f]+)")


def _kind(text: str, space: str) -> frozenset[int]:
    generic = (GENERIC_STD if space == STANDARD else GENERIC_EXT).match(text)
    if generic:
        return frozenset({int(generic.group(1), 16)})
    for prefix, ids in (STD_NAMES if space == STANDARD else EXT_NAMES):
        if text.startswith(prefix):
            return frozenset(ids)
    raise ValueError(f"unknown lspci capability text: {text!r}")


def capabilities(text: str) -> set[tuple[str, int, frozenset[int]]]:
    """(space, offset, possible IDs) for every `Capabilities: [...]` line."""
    out = set()
    for line in text.splitlines():
        m = CAP_LINE.match(line)
        if not m:
            continue
        offset = int(m.group(1), 16)
        space = EXTENDED if offset >= 0x100 else STANDARD
        out.add((space, offset, _kind(m.group(3), space)))
    return out
