"""Where was this dump read? From the bytes alone: on the host (the device as it is), or inside
a guest (already the view some VMM built, whose ID-0 headers and zeroed bytes hide live
registers). And, for a guest dump, the chain the host most likely had.

Evidence, strongest first (docs/reference/vmm-guest-views.md, "Signs that a dump was read
inside a guest"):
- masked capabilities: extended headers with ID 0 but a version (`id-null` VMMs keep it);
- a `[100 v0]` head (ID 0, version 0, next set) whose body holds data: vfio-pci's placeholder
  for a hidden first capability, or QEMU's rebuilt head over a dropped one;
- a head with ID 0x000C (CAC, obsolete) and version 0: crosvm's mark of a removed head;
- unlinked capabilities whose next pointer leads back into the chain, when every one of them is
  what one layer removes and that layer's removals are all gone from the chain (QEMU: SR-IOV
  and ARI; vfio-pci: the IDs it has no length for);
- in a multi-device dump, a VMM's virtual host bridge or root port (8086:0d57 of
  cloud-hypervisor and Firecracker, QEMU's q35/i440FX/gpex bridges) or virtio devices.
A dump with none of these is taken as read on the host; `--captured` overrides either way.
"""

from __future__ import annotations

from .record import record, replace
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

from .ids import EXT_ARI, EXT_CAC, EXT_PASID, EXT_REBAR, EXT_SRIOV, EXT_VF_REBAR, ext_next_field
from .views import PROFILES
from .views.removals import REMOVED, REMOVES, vfio_hides
from .layout import Layout, is_masked, masked_guess
from .registry import Certainty, CapContext, Space, lookup
from .space import STD_SIZE, ConfigSpace

E = Space.EXTENDED
SRIOV, ARI, CAC = EXT_SRIOV, EXT_ARI, EXT_CAC
VIRTUAL_BRIDGES = {
    (0x8086, 0x0D57): "the host bridge of cloud-hypervisor and Firecracker",
    (0x8086, 0x29C0): "QEMU's q35 host bridge", (0x8086, 0x1237): "QEMU's i440FX host bridge",
    (0x1B36, 0x0008): "QEMU's PCIe host bridge (gpex)", (0x1B36, 0x000C): "QEMU's PCIe root port",
    (0x1B36, 0x000E): "QEMU's PCIe-to-PCI bridge",
}
VIRTIO_VENDOR = 0x1AF4


@record
class Captured:
    """Where a dump was read (host or guest), the VMM style seen, and the evidence."""

    layer: str  # host | guest
    vmm_style: str | None  # id-null | rebuild | relink-zero | None
    evidence: tuple[str, ...]
    forced: bool = False  # set by --captured, not decided from the bytes

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer, "vmm_style": self.vmm_style, "evidence": list(self.evidence),
                "forced": self.forced}


def _u32(cs: ConfigSpace, pos: int) -> int:
    return cs.u32(pos) if cs.has(pos, 4) else 0


def _body_has_data(hw: Layout, offset: int) -> bool:
    cap = next((c for c in hw.capabilities if c.space is E and c.offset == offset), None)
    end = offset + cap.size if cap is not None and is_masked(cap) else offset + 4
    return any(hw.space.data[offset + 4:end])


def _vfio_hides(cap_id: int) -> bool:
    return vfio_hides(cap_id, PROFILES["upstream"])


def detect(hw: Layout, peers: Iterable[ConfigSpace] = ()) -> Captured:
    """Where the dump behind the hardware layout `hw` was most likely read."""
    cs = hw.space
    evidence: list[str] = []
    styles: list[str] = []
    ext = [(i, c) for i, c in enumerate(hw.capabilities) if c.space is E]
    head = _u32(cs, STD_SIZE)
    for _i, c in ext:
        if is_masked(c) and c.version:
            guess = masked_guess(cs.data, c.offset, c.size)
            evidence.append(f"masked capability at {c.offset:#05x}: ID 0 with version {c.version} "
                            "kept (an ID-null VMM: cloud-hypervisor, openvmm or Firecracker)"
                            + (f"; likely {guess[1]}" if guess else ""))
            styles.append("id-null")
    if (head and head & 0xFFFF == 0 and (head >> 16) & 0xF == 0 and ext_next_field(head)
            and _body_has_data(hw, STD_SIZE)):
        evidence.append("[100 v0] head whose body holds data: vfio-pci's placeholder for a "
                        "hidden first capability, or QEMU's head over a dropped one")
        styles.append("")
    if head & 0xFFFF == CAC and (head >> 16) & 0xF == 0:
        evidence.append("ID 0x000c (CAC, obsolete) with version 0 at 0x100: crosvm's mark of a "
                        "removed head capability")
        styles.append("relink-zero")
    linked = {c.id for _, c in ext if not is_masked(c)}
    back = [o for o in hw.orphans if o.next in {c.offset for _, c in ext}]
    if back:
        ids = {o.id for o in hw.orphans}
        removable = {x for x in ids | linked if x in REMOVES["qemu"] or _vfio_hides(x)}
        # every unlinked one is something a layer removes, and nothing linked is
        if ids <= removable and not linked & removable:
            qemu = bool(ids & REMOVES["qemu"])  # SR-IOV or ARI: vfio-pci hides neither
            evidence.append("unlinked " + ", ".join(f"{lookup(E, o.id).short}@{o.offset:#05x}"
                                                   for o in back)
                            + " leading back into the chain, every unlinked one of an ID "
                            + ("QEMU drops or " if qemu else "") + "vfio-pci hides, none of "
                            "those linked: " + ("QEMU's rebuilt chain" if qemu else
                                                "vfio-pci's unlinking"))
            styles.append("rebuild" if qemu else "")
    for line in peer_evidence(peers):
        evidence.append(line)
        styles.append("")
    if cs.vendor_id == VIRTIO_VENDOR:
        evidence.append("a virtio device (vendor 1af4): emulated by a VMM, read inside its guest")
        styles.append("")
    if not evidence:
        return Captured("host", None, ())
    named = [s for s in styles if s]
    style = named[0] if named and all(s == named[0] for s in named) else None
    return Captured("guest", style, tuple(evidence))


class Peers(tuple):
    """The devices read with one (a file, a survey block), with the evidence they give about
    where it was read worked out once, however many devices ask."""

    @property
    def evidence(self) -> tuple[str, ...]:
        cached = getattr(self, "_evidence", None)
        if cached is None:
            cached = self._evidence = tuple(
                f"{v:04x}:{d:04x} in the same dump: {VIRTUAL_BRIDGES[(v, d)]}"
                for v, d in dict.fromkeys((cs.vendor_id, cs.device_id) for cs in self)
                if (v, d) in VIRTUAL_BRIDGES)
        return cached


def peer_evidence(peers: Iterable[ConfigSpace]) -> tuple[str, ...]:
    return (peers if isinstance(peers, Peers) else Peers(peers)).evidence


def forced(layer: str, vmm_style: str | None = None) -> Captured:
    """What --captured says; for a guest, the style of the VMM the user names (--vmm)."""
    return Captured(layer, vmm_style if layer == "guest" else None, (f"--captured {layer}",),
                    forced=True)


# ---------------------------------------------------------------- the host behind a guest dump

@record
class HostRow:
    """One row of the chain the host most likely had behind a guest-read dump."""

    offset: int
    what: str  # the capability the host most likely had here
    size: int
    certainty: str  # seen | guess | unknown
    reason: str


def host_layout(hw: Layout) -> tuple[HostRow, ...]:
    """The chain the host most likely had behind a guest-read dump: every capability the
    guest sees, each masked or placeholder span with the IDs whose spec size fits it, and
    each unlinked run linked back where its next pointer lands. Every inferred row says how
    sure it is and why."""
    cs = hw.space
    rows: list[HostRow] = []
    masked = any(is_masked(c) and c.version for c in hw.capabilities)
    for _i, c in enumerate(hw.capabilities):
        if c.space is not E:
            continue
        if is_masked(c):
            rows.append(_masked_row(hw, c.offset, c.version or 0, c.size))
        elif c.id == EXT_PASID and (masked or detect(hw).layer == "guest"):
            rows.append(HostRow(c.offset, "PASID (synthesized)", c.size, "guess",
                                "synthesized by the VMM, most likely: upstream vfio-pci hides "
                                "PASID (no length in pci_ext_cap_length[]), so a PASID linked in "
                                "a guest's chain is the VMM's virtual one (or the host's at its "
                                "physical offset, under a kernel that exposes PASID)"))
        else:
            rows.append(HostRow(c.offset, c.name, c.size, "seen", "linked in the dump"))
    rows = _eliminate(hw, rows)
    chained = {c.offset for c in hw.capabilities if c.space is E}
    for o in hw.orphans:
        lands = f"{o.next:#05x}" if o.next else "the end"
        where = ("its next pointer leads back into the chain at " + lands
                 if o.next in chained else f"unlinked; its next pointer leads to {lands}")
        rows.append(HostRow(o.offset, o.name, o.size, "guess",
                            f"a well-formed header no chain reaches ({where}): the host most "
                            "likely linked it there, and a VMM or vfio-pci unlinked it"))
    if not hw.capabilities and _u32(cs, STD_SIZE) == 0:
        rows.append(HostRow(STD_SIZE, "nothing visible", 0, "unknown", "0x100 reads 0: the host "
                            "may have extended capabilities that the guest cannot see at all"))
    return tuple(sorted(rows, key=lambda r: r.offset))


# What a VMM's masked span can be, one of each per function (a VF Resizable BAR is taken as a
# Resizable BAR): the name and the smallest size of each, from the one table of removals.
ONE_EACH = (ARI, SRIOV, EXT_REBAR)
REMOVED_NAMES = {i: REMOVED[i].name for i in ONE_EACH}
REMOVED_SIZES = {i: REMOVED[i].smallest for i in ONE_EACH}


def _eliminate(hw: Layout, rows: list[HostRow]) -> list[HostRow]:
    """Decide VMM-masked spans by elimination: a function has at most one ARI, one SR-IOV and
    one Resizable BAR (each is a per-function structure, PCIe 6.3 §7.8.7, §9.3.3, §7.8.6), so
    a capability decided at one span (by its size, or seen linked) is not another span's, and
    what is left may decide it. Repeated until nothing changes."""
    cs = hw.space
    masked = {c.offset: c for c in hw.capabilities if is_masked(c) and c.version}
    cands: dict[int, set[int]] = {}
    for r in rows:
        if r.offset not in masked:
            continue
        guess = masked_guess(cs.data, r.offset, masked[r.offset].size)
        if guess is not None:
            cands[r.offset] = {EXT_REBAR if guess[0] == EXT_VF_REBAR else guess[0]}
        else:
            cands[r.offset] = {i for i, size in REMOVED_SIZES.items()
                               if size <= masked[r.offset].size}
    taken = {c.id: c.offset for c in hw.capabilities
             if c.space is E and not is_masked(c) and c.id in REMOVED_NAMES}
    gone_from: dict[int, list[int]] = {}
    changed = True
    while changed:
        changed = False
        for off, ids in cands.items():
            if len(ids) == 1:
                (only,) = ids
                taken.setdefault(only, off)
        for off, ids in cands.items():
            gone = {i for i in ids if i in taken and taken[i] != off}
            if gone and len(ids) > 1 and ids - gone:
                ids -= gone
                gone_from.setdefault(off, []).extend(sorted(gone))
                changed = True
    why = {off: ", ".join(f"{REMOVED_NAMES[i]} is at {taken[i]:#05x}" for i in ids)
           for off, ids in gone_from.items()}
    out = []
    for r in rows:
        ids = cands.get(r.offset)
        if r.offset in why and ids is not None and len(ids) == 1:
            (only,) = ids
            name = REMOVED_NAMES[only]
            size = REMOVED[only].smallest if REMOVED[only].fixed else r.size
            r = HostRow(r.offset, f"likely {name}", size, "guess",
                        f"ID 0 with version {masked[r.offset].version}: a VMM masked it; by "
                        f"elimination ({why[r.offset]}, and a function has one of each), only "
                        f"{name} is left")
        elif r.offset in why and ids:
            r = replace(r, what="one of " + ", ".join(REMOVED_NAMES[i] for i in sorted(ids)),
                        reason=r.reason + f" (not {why[r.offset]})")
        out.append(r)
    return out


def _masked_row(hw: Layout, offset: int, version: int, span: int) -> HostRow:
    """A masked header: which removed or hidden capability fits its span."""
    cs = hw.space
    guess = masked_guess(cs.data, offset, span)
    if guess is not None and version:
        known = REMOVED.get(guess[0])
        size = (known.smallest if known is not None and known.fixed
                else 4 + 8 * ((cs.u32(offset + 8) >> 5) & 7))
        return HostRow(offset, f"likely {guess[1]}", size, "guess", f"ID 0 with version "
                       f"{version}: a VMM masked it; of the capabilities VMMs remove, only "
                       f"{guess[1]} ({size:#x} bytes) fits its {span:#x}-byte span")
    if version:  # a VMM's removal: ARI, SR-IOV or (VF) Resizable BAR, by size
        fits = [REMOVED_NAMES[i] for i in ONE_EACH if REMOVED_SIZES[i] <= span]
        return HostRow(offset, "one of " + ", ".join(fits) if fits else "unknown (masked)", span,
                       "unknown", f"ID 0 with version {version}: a VMM masked it, and its "
                       f"{span:#x} bytes (a zeroed body, or more than one fits) do not say which")
    fits = []
    for cap_id in _hidden_candidates(hw.pcie):
        spec = lookup(E, cap_id)
        size = spec.size(CapContext(cs.data, offset, E, cs.header_type, hw.pcie))
        if size.certainty is Certainty.EXACT and size.size == span:
            fits.append(f"{spec.short} ({size.why})")
    if len(fits) == 1:
        return HostRow(offset, f"likely {fits[0].split(' (')[0]}", span, "guess",
                       f"a [100 v0] placeholder: of the capabilities vfio-pci hides, only "
                       f"{fits[0]}, sized by the spec on these bytes, fills its {span:#x} bytes")
    if fits:
        return HostRow(offset, "one of " + ", ".join(f.split(" (")[0] for f in fits[:6]), span,
                       "unknown", f"a [100 v0] placeholder: its {span:#x} bytes fit several "
                       "capabilities' spec sizes")
    return HostRow(offset, "unknown (placeholder)", span, "unknown", "a [100 v0] placeholder: "
                   "no capability vfio-pci hides fills its span by the spec; its registers are live")


# Capabilities only some functions have (PCIe 6.3 §7.8/7.9, each capability's "applies to"):
# a hidden span is not guessed as one the function cannot carry.
ROOT_COMPLEX_ONLY = {0x05, 0x06, 0x07, 0x0A}  # RC link/internal link/event collector, RCRB
DOWNSTREAM_ONLY = {0x1D, 0x2C}  # DPC, SFI
FLIT_ONLY = {0x32, 0x33, 0x34, 0x37}  # Flit logging, performance, error injection, NOP Flit
ROOT_TYPES, DOWNSTREAM_TYPES = {0x4, 0x9, 0xA}, {0x4, 0x6}


def _hidden_candidates(pcie) -> list[int]:
    """Extended IDs a layer removes (vfio-pci's no-length IDs and the VMMs' removals) that
    this function could carry, by its port type and flit mode."""
    ids = {i for i in range(1, 0x40) if _vfio_hides(i)} | set(REMOVED)
    port = pcie.port_type if pcie is not None else None
    if port not in ROOT_TYPES:
        ids -= ROOT_COMPLEX_ONLY
    if port not in DOWNSTREAM_TYPES:
        ids -= DOWNSTREAM_ONLY
    if pcie is None or not pcie.flit_mode_supported:
        ids -= FLIT_ONLY
    return sorted(ids)


__all__ = ["Captured", "HostRow", "detect", "forced", "host_layout"]
