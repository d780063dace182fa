"""Placing virtual capabilities: templates (`vcaps`), the device table (`quirks`), the
validator (`validate`), auto placement (`auto`) and synthesis (`synth`).

They are the pieces; `core.plan.Plan` is the use case that puts them together (every front
end calls it). `target_for()` returns the ground a Plan validates on, for tests and tools
that exercise the pieces directly.
"""

from __future__ import annotations

from ..layout import Layout
from ..space import ConfigSpace
from ..views import QemuOptions
from .auto import Placement, Rejected, place
from .quirks import DeviceTable, QuirkEntry, parse_ranges
from .synth import Synthesis, synthesize
from .validate import Finding, Target, validate, verdict
from .vcaps import TEMPLATES, VcapRequest, parse_vcap

__all__ = ["DeviceTable", "Finding", "Placement", "QuirkEntry", "Rejected", "Synthesis",
           "TEMPLATES", "Target", "VcapRequest", "parse_ranges", "parse_vcap", "place",
           "synthesize", "target_for", "validate", "verdict"]


def target_for(cs: ConfigSpace, view_name: str = "guest", profile: str = "upstream",
               qemu: QemuOptions | None = None, table: DeviceTable | None = None,
               ranges: tuple[tuple[int, int], ...] = (), hardware: Layout | None = None,
               access: bool = True) -> Target:
    """The ground placements are validated on, as `core.plan.Plan.ground` builds it (the one
    place that does). `hardware`: the layout when the caller has built it already;
    `access=False`: no per-byte access classes, hence no raw-write findings (survey)."""
    from ..plan import Plan
    from ..target import TargetSpec

    target = TargetSpec(view_name, profile, qemu=qemu or QemuOptions())
    return Plan(cs, target, table=table, ranges=ranges, hardware_layout=hardware,
                access=access).ground


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
