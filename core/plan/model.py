"""The placement use case, in one place: a device, a target and the virtual capabilities asked
for give the placements with their findings, auto placement with every rejected candidate,
the synthesized guest config space, and every export.

`check`, `place`, `export`, `show --add`, the maps, `explain`, `diff --add`, `survey`, the
explorer's session and `make docs` all build a `Plan` and read its answers; none of them
assembles load -> views -> validate -> place -> synthesize -> export itself. So the same dump
and placement give the same verdict everywhere.

This module is the service and its data (the device seen in each view, the placements, the
synthesis); its rooms are the device seen (core.plan.seen: where it was read, its views),
the policy (core.plan.policy), the words (core.plan.words), the JSON document
(core.plan.json) and the exports (core.plan.exports).
"""

from __future__ import annotations


from ..layout import Layout, build
from ..record import cached_property, field, record, replace
from ..space import ConfigSpace
from ..target import TargetSpec
from .errors import MAX_PLACEMENTS, PlanError
from .exports import Exports
from .json import Json
from .policy import Policy
from .seen import Views
from .words import Words

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:  # the placement machinery is imported when a placement is asked for:
    #                `show --json` of the bytes alone never pays for it
    from ..feasibility import Feasibility
    from ..placement import DeviceTable, QuirkEntry, Synthesis
    from ..placement.auto import Placement
    from ..placement.validate import Finding, Placed, Target
    from ..placement.vcaps import VcapRequest
    from ..target import Realize
    from ..topology import UpstreamPath


@record(slots=False)
class Plan(Views, Policy, Words, Json, Exports):
    """One device judged for one target, with the virtual capabilities asked for.

    `auto=False` is `check`: every request must carry its offset. `origins` gives, per
    request, who chose its offset when a front end placed it earlier (the explorer's auto
    placements); `access=False` skips the per-byte access classes (the survey, which reports
    no raw-write findings)."""

    device: ConfigSpace
    target: TargetSpec = field(default_factory=TargetSpec)
    requests: tuple[VcapRequest, ...] = ()
    table: DeviceTable | None = None
    ranges: tuple[tuple[int, int], ...] = ()
    auto: bool = True
    access: bool = True
    origins: tuple[tuple[str, str] | None, ...] = ()
    hardware_layout: Layout | None = field(default=None, compare=False, repr=False)
    source: str = "--add"
    peers: tuple[ConfigSpace, ...] = field(default=(), compare=False, repr=False)  # the other
    #   devices of a multi-device dump: evidence of where it was read (a VMM's host bridge)
    upstream: UpstreamPath | None = field(default=None, compare=False, repr=False)  # the ports
    #   above the device (live, or from a dump of the whole machine): the `path` gate
    layout_only: bool = False  # judge the offsets alone (teaching, a custom VMM): no gates

    def __post_init__(self) -> None:
        if len(self.requests) > MAX_PLACEMENTS:
            raise PlanError(self.source, f"{len(self.requests)} virtual capabilities: at most "
                            f"{MAX_PLACEMENTS} fit in one config space")
        if not self.auto:
            missing = [r.text for r in self.requests if r.offset is None]
            if missing:
                raise PlanError(f"{self.source} {missing[0]}", "an offset is needed here (like "
                                "pasid@0xff8); capslot place chooses one")

    # ------------------------------------------------------------ the device, seen

    @cached_property
    def quirk(self) -> QuirkEntry | None:
        return self.table.match(self.device) if self.table is not None else None

    @cached_property
    def hardware(self) -> Layout:
        """The hardware layout, with the sizes the device table gives for capabilities the
        rules cannot size (`sizes = { "0x0b@0x400" = 0x40 }`)."""
        quirk = self.quirk
        if quirk is None or not quirk.sizes:
            return self.hardware_layout if self.hardware_layout is not None else build(self.device)
        from ..registry import Certainty
        from ..walk import Chains, walk

        chains = walk(self.device)
        wanted = {(cap_id, off): size for cap_id, off, size in quirk.sizes}
        caps = tuple(c._replace(size=wanted[(c.id, c.offset)], certainty=Certainty.EXACT,
                                size_why=f"device table: {quirk.source or quirk.name}")
                     if (c.id, c.offset) in wanted else c for c in chains.capabilities)
        return build(self.device, Chains(caps, chains.problems, chains.pcie, chains.ext_walked))

    def describe(self) -> str:
        return self.target.describe(self.target_view == "captured")

    @cached_property
    def ground(self) -> Target:
        """What placements are validated against: the target view, vfio-pci's access class
        per byte, the device table's entry and the user's ranges."""
        from ..placement.validate import Target

        layout = self.view()
        guest_dump = self.target_view == "captured"
        per_byte = b"" if guest_dump or not self.access else (
            layout.access or self.view("vfio").access)
        return Target(layout, per_byte, self.quirk, self.ranges, vmm=self.target.vmm,
                      zero_unproven=guest_dump and self.captured.vmm_style == "relink-zero",
                      guest_dump=guest_dump)

    # ------------------------------------------------------------ placements

    def realize(self, p: Placement | VcapRequest, offset: int | None = None) -> Realize | None:
        """How the target VMM creates this virtual capability (None: only a custom VMM can)."""
        vcap = getattr(p, "vcap", p)
        at = getattr(p, "offset", None) if hasattr(p, "vcap") else offset
        return self.target.realize(vcap.name, at)

    @cached_property
    def placements(self) -> tuple[Placement, ...]:
        """Every request placed (auto) or taken at its offset (check), each validated against
        every other one, whatever the order they were asked in."""
        from ..placement.auto import Placement, place
        from ..placement.validate import Placed, validate

        if self.auto:
            first = place(self.ground, list(self.requests),
                          realizable=lambda v: self.realize(v) is not None)
        else:
            first = [Placement(r, r.offset, "user", "pinned", (), ()) for r in self.requests]
        origins = self.origins or (None,) * len(first)
        first = [p if o is None else _with_origin(p, *o) for p, o in zip(first, origins, strict=False)]
        placed = [Placed.of(p.vcap, p.offset) if p.offset is not None else None for p in first]
        if self.auto and sum(x is not None for x in placed) <= 1:
            return tuple(first)  # one placement: auto already validated it alone
        ground = self.ground.with_all_placed(tuple(x for x in placed if x is not None))
        out = []
        for p, me in zip(first, placed, strict=False):
            if me is None:
                out.append(p)
                continue
            findings = validate(ground, _pinned(p.vcap, p.offset), p.offset, skip=me)
            out.append(replace(p, findings=tuple(findings)))
        return tuple(out)

    def placed(self, skip: int | None = None) -> tuple[Placed, ...]:
        from ..placement.validate import Placed

        return tuple(Placed.of(p.vcap, p.offset) for i, p in enumerate(self.placements)
                     if p.offset is not None and i != skip)

    def preview(self, request: VcapRequest, offset: int, ignore: int | None = None) -> list[Finding]:
        """Findings for `request` at `offset` among the placed ones (but `ignore`, the one
        being moved): the explorer's live verdict while dragging."""
        from ..placement.validate import validate

        cache = self.__dict__.setdefault("_grounds", {})
        if ignore not in cache:
            cache[ignore] = self.ground.with_all_placed(self.placed(ignore))
        return validate(cache[ignore], request, offset)

    # ------------------------------------------------------------ will it work?

    @property
    def judges_feasibility(self) -> bool:
        """Whether the gates are judged: a guest target (or a dump read inside one), unless
        `layout_only`."""
        return not self.layout_only and self.target.view == "guest"

    def feasibility(self, p: Placement) -> Feasibility | None:
        """Every gate between this placement and a guest that uses it (core.feasibility);
        None when only the layout is judged (`layout_only`, or a hardware/vfio target)."""
        if not self.judges_feasibility:
            return None
        cache = self.__dict__.setdefault("_feasibility", {})
        key = id(p)
        if key not in cache:
            from ..feasibility import judge

            cache[key] = (p, judge(self, p))  # p kept alive: its id stays its own
        return cache[key][1]

    # ------------------------------------------------------------ synthesis

    @cached_property
    def synthesis(self) -> Synthesis:
        """The target view with the placed capabilities written and linked."""
        from ..placement import synthesize

        return synthesize(self.view(), list(self.placements))

    def display(self, name: str | None = None) -> Layout:
        """A view with the virtual capabilities drawn in (maps, explain, the explorer)."""
        name = name or self.target_view
        if not any(p.offset is not None for p in self.placements):
            return self.view(name)
        if name == self.target_view:
            return self.synthesis.layout
        cache = self.__dict__.setdefault("_displays", {})
        if name not in cache:
            from ..placement import synthesize

            cache[name] = synthesize(self.view(name), list(self.placements)).layout
        return cache[name]


def _pinned(vcap: VcapRequest, offset: int) -> VcapRequest:
    return vcap if vcap.offset == offset else replace(vcap, offset=offset)


def _with_origin(p: Placement, chosen_by: str, rule: str) -> Placement:
    return replace(p, chosen_by=chosen_by, rule=rule)


