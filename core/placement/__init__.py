"""Placing virtual capabilities: templates (`vcaps`), the device table (`quirks`), the
validator (`validate`), auto placement (`auto`) and synthesis (`synth`).

They are the pieces; `core.plan.Plan` is the use case that puts them together (every front
end calls it; the ground a Plan validates on is `Plan.ground`).
"""

from __future__ import annotations

from .auto import Placement, Rejected, place
from .quirks import DeviceTable, QuirkEntry, parse_ranges
from .synth import Synthesis, synthesize
from ..verdicts import Verdict
from .validate import Finding, Target, validate, verdict
from .vcaps import TEMPLATES, VcapRequest, parse_vcap

__all__ = ["DeviceTable", "Finding", "Placement", "QuirkEntry", "Rejected", "Synthesis",
           "TEMPLATES", "Target", "VcapRequest", "parse_ranges", "parse_vcap", "place",
           "synthesize", "validate", "verdict"]


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
             if f.severity != Verdict.INFO}
    for kind, words in STANDING_ORDER:
        if kind in kinds:
            return words
    return "clean"
