"""Placing virtual capabilities: templates (`vcaps`), the device table (`quirks`), the
validator (`validate`), auto placement (`auto`) and synthesis (`synth`).

`target_for()` builds what they all work on: a view of one device (the guest view by
default, where virtual capabilities live), vfio-pci's access classes, the device table's
matching entry and the user's available ranges.
"""

from __future__ import annotations

from typing import Any

from ..layout import Layout, build
from ..space import ConfigSpace
from ..views import QemuOptions, view
from .auto import Placement, Rejected, place
from .quirks import DeviceTable, QuirkEntry, parse_ranges
from .synth import Synthesis, synthesize
from .validate import Finding, Target, validate, verdict
from .vcaps import TEMPLATES, VcapRequest, parse_vcap

__all__ = ["DeviceTable", "Finding", "Placement", "QuirkEntry", "Rejected", "Synthesis",
           "TEMPLATES", "Target", "VcapRequest", "parse_ranges", "parse_vcap", "place",
           "placement_json", "synthesize", "target_for", "validate", "verdict"]


def _with_size_overrides(cs: ConfigSpace, quirk: QuirkEntry | None) -> Layout:
    """The hardware layout, with sizes the device table gives for capabilities the rules
    cannot size (`sizes = { "0x0b@0x400" = 0x40 }`)."""
    hw = build(cs)
    if quirk is None or not quirk.sizes:
        return hw

    from ..registry import Certainty
    from ..walk import Chains, walk

    chains = walk(cs)
    wanted = {(cap_id, off): size for cap_id, off, size in quirk.sizes}
    caps = tuple(c._replace(size=wanted[(c.id, c.offset)], certainty=Certainty.EXACT,
                         size_why=f"device table: {quirk.source or quirk.name}")
                 if (c.id, c.offset) in wanted else c for c in chains.capabilities)
    return build(cs, Chains(caps, chains.problems, chains.pcie, chains.ext_walked))


def target_for(cs: ConfigSpace, view_name: str = "guest", profile: str = "upstream",
               qemu: QemuOptions | None = None, table: DeviceTable | None = None,
               ranges: tuple[tuple[int, int], ...] = (), hardware: Layout | None = None,
               access: bool = True) -> Target:
    """`hardware`: the device's hardware layout when the caller has built it already.
    `access=False`: no per-byte access classes, hence no raw-write findings (survey)."""
    quirk = table.match(cs) if table is not None else None
    hw = hardware if hardware is not None and (quirk is None or not quirk.sizes) \
        else _with_size_overrides(cs, quirk)
    layout = view(hw, view_name, profile, qemu, access)
    per_byte = (layout.access or view(hw, "vfio", profile).access) if access else b""
    return Target(layout, per_byte, quirk, ranges)


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"severity": f.severity, "kind": f.kind, "start": f.start, "end": f.end,
            "message": f.message}


def placement_json(target: Target, placements: list[Placement]) -> dict[str, Any]:
    """The `check` / `place` JSON of ../shared/spec/cli.md."""
    cs = target.layout.space
    items = []
    for p in placements:
        item: dict[str, Any] = {
            "vcap": p.vcap.name, "id": p.vcap.cap_id, "size": p.vcap.size, "offset": p.offset,
            "space": p.vcap.space.value, "verdict": p.verdict, "chosen_by": p.chosen_by,
            "rule": p.rule, "findings": [_finding_json(f) for f in p.findings],
            "rejected": [{"offset": r.offset, "reason": r.reason, "rule": r.rule} for r in p.rejected],
        }
        if p.least_bad is not None:
            item["least_bad"] = {"offset": p.least_bad[0],
                                 "findings": [_finding_json(f) for f in p.least_bad[1]]}
        items.append(item)
    return {
        "device": {"slot": cs.provenance.slot, "vendor_id": cs.vendor_id, "device_id": cs.device_id,
                   "source": cs.provenance.source},
        "view": target.layout.view, "profile": target.layout.profile,
        "quirk": ({"name": target.quirk.name, "source": target.quirk.source, "file": target.quirk.origin}
                  if target.quirk else None),
        "placements": items,
        "qemu": qemu_property(placements),
    }


def qemu_property(placements: list[Placement]) -> str | None:
    """QEMU's property for the placements it has one for (x-vpasid-cap-offset)."""
    props = [f"{p.vcap.qemu_property}={p.offset:#x}" for p in placements
             if p.offset is not None and p.vcap.qemu_property]
    return ",".join(props) if props else None


# Where QEMU's default PASID offset stands on a device, worst first.
STANDING_ORDER = (
    ("range", "no extended space"), ("unavailable", "not in the dump"),
    ("overlap", "inside a capability"), ("hidden", "on a hidden capability"),
    ("orphan", "on an orphan structure"), ("quirk", "reserved by the device table"),
    ("tail", "in an unknown-size tail"), ("data", "on non-zero data"),
    ("qemu", "QEMU refuses it"), ("qemu-device", "clean, but QEMU adds no extended caps here"),
)


def default_standing(target: Target, vcap: VcapRequest | None = None) -> str:
    """How QEMU's default offset (0xFF8 for PASID) stands on this device, in a few words."""
    vcap = vcap or parse_vcap("pasid")
    kinds = {f.kind for f in validate(target, vcap, vcap.default_offsets[0])
             if f.severity != "info"}
    for kind, words in STANDING_ORDER:
        if kind in kinds:
            return words
    return "clean"
