"""The path from a device up to its root complex, and whether PASID can travel it.

Outside Flit Mode a PASID rides in an End-End TLP Prefix. Every port between the device
and the root complex must forward such prefixes, and says so in its PCI Express
capability: Device Capabilities 2 (+0x24) bit 21, End-End TLP Prefix Supported, with
bits 23:22 the most prefixes one TLP may carry (00b meaning 4). Linux
(drivers/pci/probe.c, pci_configure_eetlp_prefix) starts the chain at a Root Port or a
Root Complex Integrated Endpoint, extends it to a function only when that function has
the bit and its upstream bridge is already in the chain, and `pci_enable_pasid` refuses
a device outside it. So a port without the bit means a PASID synthesized for the guest
cannot work at any offset; openvmm had to make its virtual root ports advertise the
bit for that reason. Device Control 2 (+0x28) bit 15, End-End TLP Prefix Blocking,
makes a port that supports prefixes refuse to forward them: a setting, flagged as a
warning (Linux does not check it).

The path comes from sysfs for a live device (core/host.py), or from bus numbers in a
dump of a whole machine: a device on bus N sits below the bridge whose secondary bus is
N (type 1 and CardBus headers: secondary at 0x19, subordinate at 0x1A). A bridge that
ought to be there but is not in the dump makes the path incomplete, and says so.
"""

from __future__ import annotations

from .record import record, replace
from .registry.model import PORT_TYPES, RCEC, ROOT_PORT, SWITCH_PORTS
from .space import ConfigSpace
from .walk import walk

PCI_PRIMARY_BUS, PCI_SECONDARY_BUS, PCI_SUBORDINATE_BUS = 0x18, 0x19, 0x1A
PCI_EXP_DEVCAP2, PCI_EXP_DEVCTL2 = 0x24, 0x28  # offsets in the PCI Express capability
PCI_EXP_DEVCAP2_EE_PREFIX = 0x00200000  # bit 21: End-End TLP Prefix Supported
PCI_EXP_DEVCAP2_EE_PREFIX_MAX = 0x00C00000  # bits 23:22: Max End-End TLP Prefixes (0 = 4)
PCI_EXP_DEVCTL2_EE_PREFIX_BLOCK = 0x8000  # bit 15: End-End TLP Prefix Blocking
RC_END = 0x9  # Root Complex Integrated Endpoint
BRIDGE_CLASS = 0x06
MAX_DEPTH = 256  # more hops than buses means the bus numbers loop

# verdicts, worst first
BLOCKED, UNKNOWN, WARNING, OK = "blocked", "unknown", "warning", "ok"


@record
class Hop:
    """One function on the path: the device itself or a port above it."""

    slot: str | None
    role: str  # "Root Port", "Upstream Port", ... or "PCI bridge"/"PCI device" without PCIe
    port_type: int | None  # PCI Express capability bits 7:4, None without one
    ee_prefix: bool | None  # End-End TLP Prefix Supported; None when it cannot be read
    max_prefixes: int | None  # when supported: 1-4
    blocking: bool  # End-End TLP Prefix Blocking set (ports only)
    note: str  # why ee_prefix is what it is, in words
    acs: bool | None = None  # Linux's pci_acs_enabled(RR | UF) for this function; None: unknown
    acs_note: str = ""  # why, in words

    def describe(self) -> str:
        if self.ee_prefix is None:
            return f"End-End TLP Prefix: unknown ({self.note})"
        if not self.ee_prefix:
            return f"End-End TLP Prefix: NOT supported ({self.note})"
        text = f"End-End TLP Prefix: supported, at most {self.max_prefixes} per TLP"
        return text + ("; forwarding BLOCKED (Device Control 2 bit 15)" if self.blocking else "")


# Access Control Services (PCI_EXT_CAP_ID_ACS): Capability at +4, Control at +6
EXT_ACS, PCI_ACS_CAP, PCI_ACS_CTRL = 0x0D, 0x04, 0x06
PCI_ACS_RR, PCI_ACS_UF, PCI_ACS_EC = 0x0004, 0x0010, 0x0020
PASID_ACS = PCI_ACS_RR | PCI_ACS_UF  # what pci_enable_pasid() asks of every function on the path
PCIE_TO_PCI_BRIDGE = 0x7
ACS_CHECKED = (ROOT_PORT, 0x6, RCEC)  # pci_acs_enabled(): ports that must have ACS themselves
ACS_IF_MULTIFUNCTION = (0x0, 0x1, 0x5, RC_END)  # ... and functions that must when multifunction


def acs(cs: ConfigSpace, port_type: int | None) -> tuple[bool | None, str]:
    """Linux `pci_acs_enabled(pdev, PCI_ACS_RR | PCI_ACS_UF)` from the config bytes
    (drivers/pci/pci.c, pci_acs_enabled() and pci_acs_flags_enabled()): not PCI Express or a
    PCIe-to-PCI bridge: no; Root and Downstream Ports (and RCECs): the ACS capability must
    enable RR and UF where it implements them (bits it does not implement count as hard-wired
    on); Endpoints, Upstream Ports and RCiEPs only when multifunction. A device-specific ACS
    quirk in the kernel (pci_dev_acs_enabled[]) can pass a function without the capability:
    a dump cannot tell, so it is said. The Control bits are set by the kernel at boot when an
    IOMMU is on (pci_enable_acs()); a dump taken with the IOMMU off shows them clear."""
    if port_type is None:
        return False, "not PCI Express: Linux's ACS check fails for it"
    if port_type == PCIE_TO_PCI_BRIDGE:
        return False, "a PCIe-to-PCI bridge: Linux's ACS check fails for it"
    multifunction = cs.has(0x0E) and bool(cs.u8(0x0E) & 0x80)
    if port_type not in ACS_CHECKED and not (port_type in ACS_IF_MULTIFUNCTION and multifunction):
        return True, "not checked for this function type" + (
            "" if port_type not in ACS_IF_MULTIFUNCTION else " (single-function)")
    pos = next((c.offset for c in walk(cs).capabilities
                if c.space.value == "extended" and c.id == EXT_ACS), None)
    if pos is None:
        if not cs.has(0x100, 4):
            return None, "the extended space (ACS) is not in the bytes read"
        return False, ("no ACS capability: Linux refuses PASID below it (unless a "
                       "device-specific ACS quirk of the kernel covers this device)")
    if not cs.has(pos + PCI_ACS_CAP, 4):
        return None, f"ACS at {pos:#05x} is not in the bytes read"
    cap, ctrl = cs.u16(pos + PCI_ACS_CAP), cs.u16(pos + PCI_ACS_CTRL)
    need = PASID_ACS & (cap | PCI_ACS_EC)
    if ctrl & need == need:
        return True, f"ACS at {pos:#05x}: Request Redirect and Upstream Forwarding on"
    return True, (f"ACS at {pos:#05x} implements them (Capability {cap:#06x}) but Control "
                  f"{ctrl:#06x} has them off in this dump: Linux turns them on at boot when an "
                  "IOMMU is enabled (pci_enable_acs)")


def hop(cs: ConfigSpace | None, slot: str | None, why_missing: str = "not readable") -> Hop:
    """The End-End TLP Prefix and ACS facts of one function, from its config bytes."""
    hop = _prefix_hop(cs, slot, why_missing)
    if cs is None:
        return hop
    if hop.port_type is None and hop.ee_prefix is None:  # the capabilities were not read
        ok, why = None, hop.note
    else:
        ok, why = acs(cs, hop.port_type)
    return replace(hop, acs=ok, acs_note=why)


def _prefix_hop(cs: ConfigSpace | None, slot: str | None, why_missing: str) -> Hop:
    if cs is None:
        return Hop(slot, "?", None, None, None, False, why_missing)
    bridge = cs.header_type in (1, 2)
    chains = walk(cs)
    pcie = chains.pcie
    if pcie is None:
        role = "PCI bridge" if bridge else "PCI device"
        if not cs.has(0x40, 0xC0) and cs.has(0x06, 2) and cs.u16(0x06) & 0x10:
            return Hop(slot, role, None, None, None, False,
                       f"only {cs.captured} config bytes could be read, and the "
                       "capabilities (PCI Express among them, if any) lie beyond them")
        return Hop(slot, role, None, False, None, False,
                   "no PCI Express capability: TLP prefixes are PCI Express only")
    role = PORT_TYPES.get(pcie.port_type, f"port type {pcie.port_type:#x}")
    if pcie.version < 2:
        return Hop(slot, role, pcie.port_type, False, None, False, "PCI Express capability "
                   "version 1 has no Device Capabilities 2 (read as 0)")
    where = pcie.offset + PCI_EXP_DEVCAP2
    if not cs.has(where, 4):
        return Hop(slot, role, pcie.port_type, None, None, False,
                   f"Device Capabilities 2 at {where:#05x} is not in the bytes read")
    cap2 = cs.u32(where)
    if not cap2 & PCI_EXP_DEVCAP2_EE_PREFIX:
        return Hop(slot, role, pcie.port_type, False, None, False,
                   f"Device Capabilities 2 at {where:#05x} = {cap2:#010x}, bit 21 clear")
    most = (cap2 & PCI_EXP_DEVCAP2_EE_PREFIX_MAX) >> 22 or 4
    ctl = pcie.offset + PCI_EXP_DEVCTL2
    routing = pcie.port_type == ROOT_PORT or pcie.port_type in SWITCH_PORTS
    blocking = routing and cs.has(ctl, 2) and bool(cs.u16(ctl) & PCI_EXP_DEVCTL2_EE_PREFIX_BLOCK)
    return Hop(slot, role, pcie.port_type, True, most, blocking, f"Device Capabilities 2 at "
               f"{where:#05x} = {cap2:#010x}")


@record
class UpstreamPath:
    """The device, the ports above it (the root's side first), and what is known."""

    device: Hop
    ports: tuple[Hop, ...]  # root side first, the device's own bridge last
    complete: bool  # every port up to the root complex is known
    root: str | None  # "pci0000:00" (sysfs) or "bus 00" (a dump)
    source: str  # "sysfs", "dump", or "one device"
    notes: tuple[str, ...] = ()  # gaps and other facts, in words

    @property
    def hops(self) -> tuple[Hop, ...]:
        return self.ports + (self.device,)

    def _starts_the_chain(self) -> bool | None:
        """Linux starts the prefix chain at a Root Port or an RCiEP: does this path?"""
        top = self.ports[0] if self.ports else self.device
        if top.port_type is None:
            return None
        return top.port_type == ROOT_PORT or (not self.ports and top.port_type == RC_END)

    def verdict(self) -> tuple[str, str]:
        """(ok|warning|unknown|blocked, why in one sentence)."""
        for h in (self.device,) + self.ports:  # the device first: it is the first reason
            if h.ee_prefix is False and h is self.device:
                return BLOCKED, ("the device itself does not support End-End TLP Prefixes "
                                 f"({h.note}): it cannot carry a PASID in a TLP, so a "
                                 "synthesized PASID cannot work at any offset")
            if h.ee_prefix is False:
                return BLOCKED, (f"PASID-prefixed TLPs cannot cross {h.slot} ({h.role}): "
                                 f"End-End TLP Prefix not supported ({h.note}), so a "
                                 "synthesized PASID cannot work at any offset")
        if self.complete and self._starts_the_chain() is False:
            top = self.ports[0] if self.ports else self.device
            where = f"{top.slot} ({top.role})" if self.ports else f"the device ({top.role})"
            return BLOCKED, (f"the path ends at {where} on root bus {self.root}, not at a Root "
                             "Port: Linux enables PASID only below a Root Port or on a Root "
                             "Complex Integrated Endpoint")
        for h in (self.device,) + self.ports:
            if h.acs is False:
                who = "the device itself" if h is self.device else f"{h.slot} ({h.role})"
                return BLOCKED, (f"Linux's ACS check fails at {who}: {h.acs_note}; "
                                 "pci_enable_pasid() needs ACS Request Redirect and Upstream "
                                 "Forwarding on every function up to the root")
        unknown = [h for h in self.hops if h.ee_prefix is None]
        if unknown:
            return UNKNOWN, (f"End-End TLP Prefix support of {len(unknown)} function(s) on the "
                             f"path is unknown ({unknown[0].note})")
        no_acs = [h for h in self.hops if h.acs is None]
        if no_acs:
            return UNKNOWN, (f"ACS of {len(no_acs)} function(s) on the path is unknown "
                             f"({no_acs[0].acs_note})")
        if not self.complete:
            return UNKNOWN, "the path to the root complex is incomplete: " + (
                self.notes[0] if self.notes else "ports above are not known")
        blocked = [h for h in self.ports if h.blocking]
        if blocked:
            return WARNING, (f"{blocked[0].slot} ({blocked[0].role}) has End-End TLP Prefix "
                             "Blocking set: it does not forward PASID-prefixed TLPs until it "
                             "is cleared")
        most = min(h.max_prefixes or 4 for h in self.hops)
        return OK, (f"every function from the device to {self.root or 'the root'} supports "
                    f"End-End TLP Prefixes (at most {most} per TLP on this path) and passes "
                    "Linux's ACS check")

    def to_json(self) -> dict:
        state, why = self.verdict()
        return {"source": self.source, "root": self.root, "complete": self.complete,
                "verdict": state, "why": why, "notes": list(self.notes),
                "hops": [{"slot": h.slot, "role": h.role, "port_type": h.port_type,
                          "ee_prefix": h.ee_prefix, "max_prefixes": h.max_prefixes,
                          "blocking": h.blocking, "note": h.note, "acs": h.acs,
                          "acs_note": h.acs_note, "device": h is self.device}
                         for h in self.hops]}


# ---------------------------------------------------------------- a dump of a whole machine

def _bus(slot: str) -> tuple[int, int]:
    domain, bus, _ = slot.split(":")
    return int(domain, 16), int(bus, 16)


@record
class _Bridge:
    index: int
    domain: int
    own_bus: int
    secondary: int
    subordinate: int


def is_bridge(cs: ConfigSpace) -> bool:
    """A bridge with a slot and bus numbers: what a path above another device is made of."""
    return (cs.provenance.slot is not None and cs.header_type in (1, 2) and cs.has(0x0B)
            and cs.u8(0x0B) == BRIDGE_CLASS and cs.has(PCI_SUBORDINATE_BUS))


def _bridges(devices: list[ConfigSpace]) -> list[_Bridge]:
    """Bridges whose bus numbers make sense: a bridge lies on a bus below its secondary."""
    out = []
    for i, cs in enumerate(devices):
        slot = cs.provenance.slot
        if slot is None or not is_bridge(cs):
            continue
        domain, bus = _bus(slot)
        sec, sub = cs.u8(PCI_SECONDARY_BUS), cs.u8(PCI_SUBORDINATE_BUS)
        if bus < sec <= sub:
            out.append(_Bridge(i, domain, bus, sec, sub))
    return out


class DumpTopology:
    """The bridges of one multi-device dump, found once; `path(i)` for each device (a file
    of thousands of devices costs one pass, not one per device)."""

    def __init__(self, devices: list[ConfigSpace], many: bool | None = None) -> None:
        """`devices`: the dump's devices, or only its bridges and the devices asked about
        (`many` then says whether the dump held more than one device)."""
        self.devices = devices
        self.many = len(devices) >= 2 if many is None else many
        self.bridges = _bridges(devices)
        self._hops: dict[int, Hop] = {}

    def _hop(self, index: int) -> Hop:
        if index not in self._hops:
            self._hops[index] = hop(self.devices[index], self.devices[index].provenance.slot)
        return self._hops[index]

    def path(self, index: int) -> UpstreamPath:
        return self.path_of(self.devices[index], index)

    def path_of(self, cs: ConfigSpace, index: int | None = None) -> UpstreamPath:
        """The path of `cs`: devices[index], or a device of the dump not kept in `devices`
        (index None: a dump read twice keeps only its bridges)."""
        devices = self.devices
        slot = cs.provenance.slot
        device = self._hop(index) if index is not None else hop(cs, slot)
        if not self.many or slot is None:
            return UpstreamPath(device, (), False, None, "one device", (
                "a dump of one device does not show the ports above it: give an lspci -xxxx "
                "dump of the whole machine, or run on the host (sysfs:BDF)",))
        domain, bus = _bus(slot)
        ports: list[Hop] = []
        notes: list[str] = []
        complete = True
        used = {index} if index is not None else set()
        for _ in range(MAX_DEPTH):
            around = [b for b in self.bridges if b.domain == domain
                      and b.secondary <= bus <= b.subordinate and b.index not in used]
            if not around:
                break
            parent = min(around, key=lambda b: (b.subordinate - b.secondary, -b.secondary))
            if parent.secondary != bus:
                complete = False
                notes.append(f"bus {bus:02x} lies below {devices[parent.index].provenance.slot} "
                             f"(buses {parent.secondary:02x}-{parent.subordinate:02x}), but the "
                             f"bridge to bus {bus:02x} is not in the dump")
            used.add(parent.index)
            ports.insert(0, self._hop(parent.index))
            bus = parent.own_bus
        top = ports[0] if ports else device
        if complete and top.port_type is not None and top.port_type != ROOT_PORT and not (
                not ports and top.port_type == RC_END):
            complete = False
            notes.append(f"nothing in the dump leads to bus {bus:02x}, and "
                         f"{'the top port' if ports else 'the device'} is a {top.role}, not a "
                         "Root Port: the ports above it are not in the dump")
        return UpstreamPath(device, tuple(ports), complete, f"bus {bus:02x}", "dump", tuple(notes))


def from_dump(devices: list[ConfigSpace], index: int) -> UpstreamPath:
    """The path of devices[index] from the bridges present in the same dump."""
    return DumpTopology(devices).path(index)
