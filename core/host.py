"""The PCI devices of the machine capslot runs on, from sysfs, read-only.

Each device is a directory `/sys/bus/pci/devices/<BDF>` (a link into `/sys/devices`):
small attribute files (`vendor`, `device`, `class`, `revision`, `subsystem_vendor`,
`subsystem_device`: what lspci reads too), a `driver` link named after the bound driver,
an `iommu_group` link named after the group, and `config`, the config space. Every file
is opened O_RDONLY and only read; nothing is ever written.

The kernel lets a process without CAP_SYS_ADMIN read only the first 64 bytes of `config`
(128 for a CardBus bridge), whatever the file's size says; `config_access()` finds out
which applies to this process by asking for one DWORD past them.

The upstream path is the device's place in `/sys/devices`:
`/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/0000:03:01.0/0000:04:00.0` is the
device 0000:04:00.0 below the bridges 0000:00:1c.0, 0000:02:00.0, 0000:03:01.0, on the
root bus 00 of domain 0000 (`pci0000:00`).

`CAPSLOT_SYSFS_ROOT` replaces `/sys`, as for core/sources/sysfs.py (tests use a fake tree).
"""

from __future__ import annotations

import os

from . import pciids, topology
from .lazyre import LazyPattern
from .pciids import Identity, PciIds
from .record import record
from .sources.inputs import open_input, read_head
from .space import CONFIG_SIZE, ConfigSpace, DumpError, Provenance, normalize_slot

UNPRIVILEGED_BYTES = 64  # what the kernel gives a reader without CAP_SYS_ADMIN
MAX_ATTRIBUTE = 64  # bytes read of an attribute file: "0x020000\n" is 9
_SLOT = LazyPattern(r"^[0-9a-f]{4,8}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
_ROOT_BUS = LazyPattern(r"^pci[0-9a-f]{4,8}:[0-9a-f]{2}$")
_HEX = LazyPattern(r"^0x[0-9a-fA-F]{1,8}$")
_REGISTER = LazyPattern(r"^(?:0x)?[0-9a-fA-F]{1,16}$")  # a 64-bit register, as %llx prints it
ATTRIBUTES = ("vendor", "device", "class", "revision", "subsystem_vendor", "subsystem_device")


def default_root() -> str:
    return os.environ.get("CAPSLOT_SYSFS_ROOT", "/sys")


def devices_dir(root: str | None = None) -> str:
    return os.path.join(root or default_root(), "bus", "pci", "devices")


@record
class LiveDevice:
    """One device as sysfs describes it (no config byte beyond the first 64 was read)."""

    slot: str  # dddd:bb:dd.f
    identity: Identity | None  # None when neither the attributes nor config could be read
    driver: str | None  # the bound driver's name (vfio-pci, nvme, ...), None when unbound
    iommu_group: str | None  # None without an IOMMU (or with it off)
    config_size: int | None  # the config file's size: 256 or 4096 (what root may read)
    upstream: tuple[str, ...]  # the bridges above, root side first
    root_bus: str | None  # "pci0000:00"; None when the sysfs path does not reach one

    def name_line(self, ids: PciIds) -> str:
        """The line `lspci -s BDF` prints (it reads the same attribute files)."""
        if self.identity is None:
            return f"{pciids.lspci_slot(self.slot)} (unreadable)"
        return pciids.name_line(ids, self.identity, self.slot)


# ---------------------------------------------------------------- reading, read-only

def _read(path: str, limit: int) -> bytes | None:
    """At most `limit` bytes of a sysfs file, by the one bounded reader (core.sources.inputs):
    None when it cannot be read, or is not a regular file (a FIFO never blocks the read)."""
    try:
        raw, error = read_head(path, limit)
    except DumpError:
        return None
    return None if error is not None and not raw else raw


def _attribute(directory: str, name: str) -> int | None:
    raw = _read(os.path.join(directory, name), MAX_ATTRIBUTE)
    if raw is None:
        return None
    text = raw.decode("ascii", "replace").strip()
    return int(text, 16) if _HEX.match(text) else None


def _link_name(path: str) -> str | None:
    try:
        target = os.readlink(path)
    except OSError:
        return None
    name = os.path.basename(target.rstrip("/"))
    return name or None


def _identity(directory: str) -> Identity | None:
    """From the attribute files, as lspci does; the first 64 config bytes fill gaps."""
    values = {name: _attribute(directory, name) for name in ATTRIBUTES}
    if None in values.values():
        raw = _read(os.path.join(directory, "config"), UNPRIVILEGED_BYTES)
        config = (Identity.from_config(ConfigSpace.from_prefix(raw, Provenance("sysfs", "sysfs")))
                  if raw else None)
        if config is not None:
            from_config = (config.vendor, config.device, config.class_code, config.revision,
                           config.subsystem_vendor, config.subsystem_device)
            values = {k: v if v is not None else c for (k, v), c in zip(values.items(), from_config, strict=False)}
    vendor, device, cls, revision, sub_vendor, sub_device = values.values()
    if vendor is None or device is None or cls is None or revision is None:
        return None
    return Identity(vendor & 0xFFFF, device & 0xFFFF, cls & 0xFFFFFF, revision & 0xFF,
                    None if sub_vendor is None else sub_vendor & 0xFFFF,
                    None if sub_device is None else sub_device & 0xFFFF)


def _upstream(directory: str, slot: str) -> tuple[tuple[str, ...], str | None]:
    """The bridges above a device and its root bus, from its real path in /sys/devices."""
    parts = os.path.realpath(directory).split(os.sep)
    if not parts or parts[-1] != slot:
        return (), None
    above: list[str] = []
    for part in reversed(parts[:-1]):
        if _SLOT.match(part):
            above.insert(0, part)
        elif _ROOT_BUS.match(part):
            return tuple(above), part
        else:
            break
    return tuple(above), None


def device(slot: str, root: str | None = None) -> LiveDevice:
    """One live device. Raises DumpError when there is no such device."""
    source = f"sysfs:{slot}"
    norm = normalize_slot(slot)
    if norm is None:
        raise DumpError(source, f"{slot!r} is not a PCI address like 0000:01:00.0")
    directory = os.path.join(devices_dir(root), norm)
    if not os.path.isdir(directory):
        raise DumpError(source, f"no such device ({directory})")
    try:
        size: int | None = os.stat(os.path.join(directory, "config")).st_size
    except OSError:
        size = None
    upstream, root_bus = _upstream(directory, norm)
    return LiveDevice(norm, _identity(directory), _link_name(os.path.join(directory, "driver")),
                      _link_name(os.path.join(directory, "iommu_group")), size, upstream, root_bus)


def slots(root: str | None = None) -> list[str]:
    """Every device directory's name that is a PCI address, sorted as lspci sorts."""
    try:
        names = os.listdir(devices_dir(root))
    except OSError:
        return []
    return sorted((n for n in names if _SLOT.match(n)),
                  key=lambda s: tuple(int(x, 16) for x in s.replace(".", ":").split(":")))


def devices(root: str | None = None) -> list[LiveDevice]:
    """Every live device (an empty list where there is no sysfs PCI tree)."""
    out = []
    for slot in slots(root):
        try:
            out.append(device(slot, root))
        except DumpError:
            continue  # removed while listing
    return out


def config_access(root: str | None = None) -> int | None:
    """How many config bytes this process may read: UNPRIVILEGED_BYTES, or more (the full
    space) when it may read past them; None when no device could be asked."""
    for slot in slots(root):
        path = os.path.join(devices_dir(root), slot, "config")
        try:
            stream, size = open_input(path, regular_only=True)  # a FIFO: refused, not waited on
        except DumpError:
            continue
        with stream:
            try:
                beyond = os.pread(stream.fileno(), 4, UNPRIVILEGED_BYTES)
            except OSError:
                continue
        return max(size, UNPRIVILEGED_BYTES + 4) if beyond else UNPRIVILEGED_BYTES
    return None


def read_config(slot: str, root: str | None = None) -> ConfigSpace | None:
    """The config bytes this process may read (64 without privilege); None if unreadable."""
    raw = _read(os.path.join(devices_dir(root), slot, "config"), CONFIG_SIZE)
    if not raw:
        return None
    return ConfigSpace.from_prefix(raw, Provenance(f"sysfs:{slot}", "sysfs", None, slot, None))


def upstream_path(slot: str, root: str | None = None) -> topology.UpstreamPath:
    """The device and every bridge above it up to the root complex, with each one's End-End
    TLP Prefix support read from its config space."""
    dev = device(slot, root)
    why = "its config file could not be read"
    hops = [topology.hop(read_config(s, root), s, why) for s in dev.upstream]
    notes = [] if dev.root_bus else [f"the sysfs path of {dev.slot} does not lead to a root "
                                     "bus (pciDDDD:BB)"]
    return topology.UpstreamPath(topology.hop(read_config(dev.slot, root), dev.slot, why),
                                 tuple(hops), dev.root_bus is not None, dev.root_bus, "sysfs",
                                 tuple(notes))


ECAP_PASID = 1 << 40  # Intel VT-d Extended Capability register: PASID Support (ecap_pasid())


def iommu_pasid(slot: str, root: str | None = None) -> tuple[bool | None, str]:
    """Whether the IOMMU in front of a live device supports PASID, as far as sysfs says:
    the device's `iommu` link leads to its IOMMU; an Intel VT-d unit's `intel-iommu/ecap`
    holds its Extended Capability register, whose bit 40 is PASID Support (Linux
    include/linux/intel-iommu.h ecap_pasid()). (None, why) where sysfs cannot tell."""
    base = os.path.join(devices_dir(root), slot, "iommu")
    if not os.path.lexists(base):
        return None, (f"{slot} has no iommu link in sysfs: no IOMMU is translating for it "
                      "(is the IOMMU on?)")
    raw = _read(os.path.join(base, "intel-iommu", "ecap"), MAX_ATTRIBUTE)
    if raw is None:
        return None, (f"the IOMMU of {slot} ({_link_name(base) or '?'}) is not an Intel VT-d unit: "
                      "its PASID support is not in sysfs")
    text = raw.decode("ascii", "replace").strip()
    if not _REGISTER.match(text):
        return None, f"{_link_name(base)}/intel-iommu/ecap reads {text[:20]!r}, not a number"
    ecap = int(text, 16)
    state = bool(ecap & ECAP_PASID)
    return state, (f"{_link_name(base)}: Intel VT-d ECAP {ecap:#x}, bit 40 (PASID Support) "
                   + ("set" if state else "clear"))


def describe(cs: ConfigSpace, ids: PciIds, root: str | None = None) -> str | None:
    """The line lspci prints for a device that capslot read: from the sysfs attribute files
    for a live device (as `lspci -s BDF`), else from the config bytes (as `lspci -F`).
    None when the IDs were not captured."""
    p = cs.provenance
    if p.format == "sysfs" and p.slot:
        try:
            return device(p.slot, root).name_line(ids)
        except DumpError:
            pass  # gone since it was read: fall back to the bytes that were
    ident = Identity.from_config(cs)
    return pciids.name_line(ids, ident, p.slot) if ident is not None else None
