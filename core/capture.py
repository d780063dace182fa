"""Where was this dump read? From the bytes alone: on the host (the device as it is), or inside
a guest (already the view some VMM built, whose ID-0 headers and zeroed bytes hide live
registers). (For a guest dump, the chain the host most likely had: core/hostchain.py.)

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

from .record import record
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

from .ids import EXT_ARI, EXT_CAC, EXT_SRIOV, ext_next_field
from .layout import Layout, is_masked
from .registry import Space, lookup
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


class Captured(metaclass=record):
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
    from .views.kernels import PROFILES
    from .views.removals import vfio_hides  # the removals table: only for a dump with unlinked capabilities

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
            from .masked import masked_guess  # a dump read inside some guests

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
        from .views.removals import REMOVES  # (loaded here only: most dumps have no such orphans)

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

__all__ = ["Captured", "detect", "forced"]
