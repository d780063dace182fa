"""The `check` / `place` JSON document (schemas/placement.v1.json). A room of `Plan`
(core.plan.model)."""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from typing import Any

    from ..placement.validate import Finding
    from .model import Plan


class Json:
    """The plan as the JSON contract's document (a room of `Plan`: its
    methods take the plan as `self`)."""

    def to_json(self: Plan, strict: bool = False) -> dict[str, Any]:
        """The `check` / `place` JSON (schemas/placement.v1.json), with the target."""
        cs = self.device
        items = []
        for p in self.placements:
            item: dict[str, Any] = {
                "vcap": p.vcap.name, "id": p.vcap.cap_id, "size": p.vcap.size, "offset": p.offset,
                "space": p.vcap.space.value, "verdict": p.verdict,
                "accepted": self.accepted(p, strict),
                "chosen_by": p.chosen_by, "rule": p.rule,
                "findings": [_finding_json(f) for f in p.findings],
                "rejected": [{"offset": r.offset, "reason": r.reason, "rule": r.rule} for r in p.rejected],
                "vmm": self.vmm_note(p),
            }
            if p.least_bad is not None:
                item["least_bad"] = {"offset": p.least_bad[0],
                                     "findings": [_finding_json(f) for f in p.least_bad[1]]}
            if p.alternatives:
                item["alternatives"] = [{"offset": a.offset, "rule": a.rule, "why": a.reason}
                                        for a in p.alternatives]
            feasible = self.feasibility(p)
            item["feasibility"] = feasible.to_json() if feasible is not None else None
            items.append(item)
        quirk = self.quirk
        return {
            "device": {"slot": cs.provenance.slot, "vendor_id": cs.vendor_id,
                       "device_id": cs.device_id, "source": cs.provenance.source},
            "target": self.target.to_json(self.target_view == "captured"),
            "captured": self.captured.to_json(),
            "view": self.ground.layout.view, "profile": self.ground.layout.profile,
            "quirk": ({"name": quirk.name, "source": quirk.source, "file": quirk.origin}
                      if quirk else None),
            "strict": strict, "accepted": not self.refused(strict),
            "layout_only": self.layout_note(),
            "preconditions": self.preconditions(),
            "placements": items,
            "qemu": self.qemu_property(strict),
        }


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"severity": f.severity, "kind": f.kind, "start": f.start, "end": f.end,
            "message": f.message}


