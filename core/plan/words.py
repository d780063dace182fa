"""The plan's answers in words: the same lines in every text output (show --add, the maps,
explain, the explorer's status, the refusals on stderr). A room of `Plan` (core.plan.model)."""

from __future__ import annotations

from ..target import NO_VMM
from ..verdicts import Verdict
from .policy import layout_accepted

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from ..placement.auto import Placement
    from .model import Plan


class Words:
    """The plan's answers as lines of text (a room of `Plan`: its
    methods take the plan as `self`)."""

    def layout_note(self: Plan) -> str | None:
        """Why no gate is judged, in words (None when they are)."""
        if self.judges_feasibility:
            return None
        from ..feasibility import LAYOUT_ONLY, NOT_A_GUEST

        return LAYOUT_ONLY if self.layout_only else NOT_A_GUEST.format(view=self.target.view)

    def headlines(self: Plan) -> list[str]:
        """The answer for each placement in words, before any offset talk."""
        note = self.layout_note()
        if note is not None:
            return [note] if self.placements else []
        return [self.feasibility(p).headline(p.vcap.name, p.offset)  # type: ignore[union-attr] - judged
                for p in self.placements]

    def refusals(self: Plan, strict: bool = False) -> list[str]:
        """One line per refused placement, for stderr."""
        out = []
        for p in self.refused(strict):
            f = self.feasibility(p)
            if f is not None and f.refused and f.deciding is not None and f.deciding.gate != "layout":
                out.append(f.headline(p.vcap.name, p.offset))  # the answer first: no slot helps
            elif p.offset is None:
                why = p.rejected[-1].reason if p.rejected else "no candidate"
                out.append(f"{p.vcap.text}: no safe slot ({why})")
            elif f is not None and f.state != "works" and (f.refused or layout_accepted(p, strict)):
                out.append(f.headline(p.vcap.name, p.offset)
                           + ("" if f.refused else ", refused (--strict)"))
            else:
                worst = next((x for x in p.findings if x.severity != Verdict.INFO), None)
                out.append(f"{p.vcap.name} at {p.offset:#05x}: {p.verdict}"
                           + (f" ({worst.message})" if worst else ""))
        return out

    def warnings(self: Plan) -> list[str]:
        """The warnings of accepted placements, one line each: an `unknown` answer with what
        to check, then the layout's warnings."""
        out = []
        for p in self.placements:
            if not self.accepted(p):
                continue
            f = self.feasibility(p)
            if f is not None and f.state == "unknown":
                out.append(f.headline(p.vcap.name, p.offset))
                out += [f"  check {line}" for line in f.checks()]
            out += [f"{p.vcap.name} at {p.offset:#05x}: warning: {x.message}"
                    for x in p.findings if x.severity == Verdict.WARNING]
        return out

    def vmm_text(self: Plan, p: Placement, strict: bool = False) -> str:
        """What the VMM is told for this placement: its property, how it places it itself,
        or why it gets nothing."""
        from ..placement.validate import qemu_accepts

        how = self.realize(p)
        if how is None:
            return NO_VMM
        if how.property is None:
            return how.how
        if not self.accepted(p, strict):
            return f"no {how.property}: refused"
        if not qemu_accepts(self.ground.layout, p.offset, p.vcap.size)[0]:
            return f"no {how.property}: QEMU's own check refuses this offset"
        return f"{self.target.vmm_facts.label}: {how.property}={p.offset:#x}"

    def preconditions(self: Plan) -> list[str]:
        """What must also hold for the target VMM to create the placed capabilities at all
        (QEMU's vPASID: iommufd and a PASID-capable vIOMMU), said with every verdict."""
        if self.judges_feasibility:
            return []  # said by the gates (core.feasibility), each with its evidence
        needs = {how.needs for p in self.placements if p.offset is not None
                 and (how := self.realize(p)) is not None and how.needs}
        return sorted(needs)

    def vmm_note(self: Plan, p: Placement) -> str:
        """How the target VMM creates it, or that only a custom VMM can."""
        how = self.realize(p)
        return how.how if how is not None else NO_VMM


def verdict_lines(plan: Plan, strict: bool = False) -> list[str]:
    """The verdicts in words, the same in every text output (show --add, the maps, explain,
    the explorer's status): the answer to "will it work?" first, then the target, then one
    line per placement's layout and its findings."""
    lines = plan.headlines() + [f"target: {plan.describe()}"]
    for p in plan.placements:
        f = plan.feasibility(p)
        if f is not None:
            lines.append(f"  gates: {f.summary()}")
        if p.offset is None:
            why = p.rejected[-1].reason if p.rejected else "no candidate"
            lines.append(f"{p.vcap.name}: no safe slot ({why})")
            continue
        ok = layout_accepted(p, strict)
        state = p.verdict if ok or p.verdict == Verdict.COLLISION else f"{p.verdict}, refused (--strict)"
        lines.append(f"{p.vcap.name} at {p.offset:#05x}: layout {state} ({plan.vmm_text(p, strict)})")
        lines += [f"  {x.severity}: {x.message}" for x in p.findings if x.severity != Verdict.INFO]
        lines += [f"  alternative: {a.offset:#05x} ({a.rule}): {a.reason}" for a in p.alternatives]
    lines += [f"precondition: {need}" for need in plan.preconditions()]
    return lines
