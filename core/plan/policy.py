"""The placement policy (docs/placement.md, "Verdicts"): a placement with a collision is
refused by every command (exit 1, nothing exported); one with warnings only is accepted, and
its warnings are shown; `strict` turns warnings into refusals. Auto placement never picks a
collision; the one auto rule (`solved`) places every unpinned request together.

`Policy` is a room of `Plan` (core.plan.model): its methods read the plan's placements and
feasibility, and decide.
"""

from __future__ import annotations

from ..record import replace
from ..verdicts import WORSE, Verdict

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from ..placement.auto import Placement
    from ..placement.vcaps import VcapRequest
    from .model import Plan


def layout_accepted(p: Placement, strict: bool = False) -> bool:
    """The layout half of the policy: placed, no collision, and with `strict` no warning."""
    return p.offset is not None and p.verdict != Verdict.COLLISION and (not strict or p.verdict == Verdict.OK)


class Policy:
    """Which placements are accepted, and the one auto rule (a room of `Plan`: its
    methods take the plan as `self`)."""

    def pinned(self: Plan) -> tuple[bool, ...]:
        """Per request: whether its offset is the user's (it stays where it is). A request
        with no offset, or one a front end auto-placed earlier (`origins` not the user's), is
        auto-placed: the one auto rule places it again with the others."""
        origins = self.origins or (None,) * len(self.requests)
        return tuple(r.offset is not None and (o is None or o[0] == "user")
                     for r, o in zip(self.requests, origins, strict=False))

    def solved(self: Plan, slots: tuple[tuple[VcapRequest, bool], ...]) -> Plan:
        """The one auto rule (`capslot place`, the explorer, survey), for these requests, each
        with whether it is pinned: pinned ones stay at their offsets, all the others are placed
        together as `capslot place` places them, so the order they were added in never changes
        an offset. An auto plan: its placements say where each went."""
        return replace(self, requests=tuple(r if pin else _unpinned(r) for r, pin in slots),
                       auto=True, origins=())

    def replanned(self: Plan, add: tuple[VcapRequest, ...] = (), remove: int | None = None) -> Plan:
        """This plan's requests (without the one at index `remove`) and `add`, under the one
        auto rule: every auto-placed one is placed again with those added."""
        keep = tuple(x for i, x in enumerate(zip(self.requests, self.pinned(), strict=False)) if i != remove)
        return self.solved(keep + tuple((r, False) for r in add))

    def place_next(self: Plan, request: VcapRequest) -> Placement:
        """Where one more auto-placed capability goes under the one auto rule (the others
        auto-placed may move with it: `replanned` says where)."""
        return self.replanned((request,)).placements[-1]

    def accepted(self: Plan, p: Placement, strict: bool = False) -> bool:
        """The one acceptance policy: the layout's (no collision; with `strict` no warning),
        and the answer to "will it work?": not-synthesized and blocked are refused like a
        collision, unknown is a warning (refused with `strict`)."""
        if not layout_accepted(p, strict):
            return False
        f = self.feasibility(p)
        if f is None:
            return True
        if f.refused:
            return False
        return not strict or f.state == "works"

    @property
    def verdict(self: Plan) -> Verdict:
        """The worst verdict of the placements ('ok' with none)."""
        return max((p.verdict for p in self.placements), key=WORSE.__getitem__, default=Verdict.OK)

    def refused(self: Plan, strict: bool = False) -> list[Placement]:
        return [p for p in self.placements if not self.accepted(p, strict)]

    def exit_code(self: Plan, strict: bool = False) -> int:
        return 1 if self.refused(strict) else 0


def standing(plan: Plan) -> str:
    """How QEMU's default offset for PASID (0xff8) stands on the plan's device, in a few words
    (the PASID table of docs/feasibility.md and the survey summary)."""
    from ..placement import default_standing

    return default_standing(plan.ground)


def _unpinned(vcap: VcapRequest) -> VcapRequest:
    return vcap if vcap.offset is None else replace(vcap, offset=None)


