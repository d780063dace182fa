"""The placement use case, in one place: a device, a target and the virtual capabilities asked
for give the placements with their findings, auto placement with every rejected candidate,
the synthesized guest config space, and every export.

`check`, `place`, `export`, `show --add`, the maps, `explain`, `diff --add`, `survey`, the
explorer's session and `make docs` all build a `Plan` and read its answers; none of them
assembles load -> views -> validate -> place -> synthesize -> export itself. So the same dump
and placement give the same verdict everywhere.

The acceptance policy (docs/placement.md, "Verdicts"): a placement with a collision is refused by every
command (exit 1, nothing exported); one with warnings only is accepted, and its warnings are
shown; `strict` turns warnings into refusals. Auto placement never picks a collision.
"""

from __future__ import annotations

from .record import field, record, replace
from functools import cached_property
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker

from .capture import Captured, detect
from .capture import forced as forced_capture
from .layout import Layout, build
from .space import ConfigSpace, DumpError
from .target import NO_VMM, TargetSpec
from .views import view as view_of

if TYPE_CHECKING:  # the placement machinery is imported when a placement is asked for:
    #                `show --json` of the bytes alone never pays for it
    from typing import Any

    from .placement import DeviceTable, QuirkEntry, Synthesis
    from .placement.auto import Placement
    from .placement.validate import Finding, Placed, Target
    from .placement.vcaps import VcapRequest
    from .feasibility import Feasibility
    from .target import Realize
    from .topology import UpstreamPath

COLLISION = "collision"

MAX_PLACEMENTS = 1024  # DWORDs in the extended space: no plan can place more


class PlanError(DumpError):
    """A plan that cannot be answered as asked (usage): exit 2, one line."""


class Refused(Exception):
    """Placements the policy refuses (exit 1): one line per refused placement."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


def layout_accepted(p: Placement, strict: bool = False) -> bool:
    """The layout half of the policy: placed, no collision, and with `strict` no warning."""
    return p.offset is not None and p.verdict != COLLISION and (not strict or p.verdict == "ok")


@record(slots=False)
class Plan:
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
        from .registry import Certainty
        from .walk import Chains, walk

        chains = walk(self.device)
        wanted = {(cap_id, off): size for cap_id, off, size in quirk.sizes}
        caps = tuple(c._replace(size=wanted[(c.id, c.offset)], certainty=Certainty.EXACT,
                                size_why=f"device table: {quirk.source or quirk.name}")
                     if (c.id, c.offset) in wanted else c for c in chains.capabilities)
        return build(self.device, Chains(caps, chains.problems, chains.pcie, chains.ext_walked))

    @cached_property
    def captured(self) -> Captured:
        """Where the dump was read (host or guest), with the evidence; --captured decides."""
        if self.target.captured:
            return forced_capture(self.target.captured, self.target.vmm_facts.style)
        return detect(self.hardware, self.peers)

    @property
    def guest_dump(self) -> bool:
        """The dump was read inside a guest: it already is that guest's view, and is judged as
        read (a second vfio + VMM pass, a guest of a guest, is never what the user meant)."""
        return self.captured.layer == "guest"

    @property
    def target_view(self) -> str:
        """The view verdicts are about: the target's, or `captured` for a guest-read dump."""
        return "captured" if self.guest_dump and self.target.view != "hardware" else self.target.view

    def describe(self) -> str:
        return self.target.describe(self.target_view == "captured")

    def view(self, name: str | None = None) -> Layout:
        """The device in a view (the target's when None), without virtual capabilities.
        `captured` is the dump as its guest read it."""
        name = name or self.target_view
        cache = self.__dict__.setdefault("_views", {})
        if name not in cache:
            if name == "captured":
                from .record import replace as _replace

                cache[name] = _replace(self.hardware, view="captured",
                                       profile=f"read inside a guest ({self.captured.vmm_style or 'VMM unknown'})")
            else:
                access = self.access or name == "vfio"
                cache[name] = view_of(self.hardware, name, self.target.kernel, self.target.qemu,
                                      access, self.target.vmm)
        return cache[name]

    @cached_property
    def ground(self) -> Target:
        """What placements are validated against: the target view, vfio-pci's access class
        per byte, the device table's entry and the user's ranges."""
        from .placement.validate import Target

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
        from .placement.auto import Placement, place
        from .placement.validate import Placed, validate

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
        from .placement.validate import Placed

        return tuple(Placed.of(p.vcap, p.offset) for i, p in enumerate(self.placements)
                     if p.offset is not None and i != skip)

    def preview(self, request: VcapRequest, offset: int, ignore: int | None = None) -> list[Finding]:
        """Findings for `request` at `offset` among the placed ones (but `ignore`, the one
        being moved): the explorer's live verdict while dragging."""
        from .placement.validate import validate

        cache = self.__dict__.setdefault("_grounds", {})
        if ignore not in cache:
            cache[ignore] = self.ground.with_all_placed(self.placed(ignore))
        return validate(cache[ignore], request, offset)

    def pinned(self) -> tuple[bool, ...]:
        """Per request: whether its offset is the user's (it stays where it is). A request
        with no offset, or one a front end auto-placed earlier (`origins` not the user's), is
        auto-placed: the one auto rule places it again with the others."""
        origins = self.origins or (None,) * len(self.requests)
        return tuple(r.offset is not None and (o is None or o[0] == "user")
                     for r, o in zip(self.requests, origins, strict=False))

    def solved(self, slots: tuple[tuple[VcapRequest, bool], ...]) -> Plan:
        """The one auto rule (`capslot place`, the explorer, survey), for these requests, each
        with whether it is pinned: pinned ones stay at their offsets, all the others are placed
        together as `capslot place` places them, so the order they were added in never changes
        an offset. An auto plan: its placements say where each went."""
        return replace(self, requests=tuple(r if pin else _unpinned(r) for r, pin in slots),
                       auto=True, origins=())

    def replanned(self, add: tuple[VcapRequest, ...] = (), remove: int | None = None) -> Plan:
        """This plan's requests (without the one at index `remove`) and `add`, under the one
        auto rule: every auto-placed one is placed again with those added."""
        keep = tuple(x for i, x in enumerate(zip(self.requests, self.pinned(), strict=False)) if i != remove)
        return self.solved(keep + tuple((r, False) for r in add))

    def place_next(self, request: VcapRequest) -> Placement:
        """Where one more auto-placed capability goes under the one auto rule (the others
        auto-placed may move with it: `replanned` says where)."""
        return self.replanned((request,)).placements[-1]

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
            from .feasibility import judge

            cache[key] = (p, judge(self, p))  # p kept alive: its id stays its own
        return cache[key][1]

    def layout_note(self) -> str | None:
        """Why no gate is judged, in words (None when they are)."""
        if self.judges_feasibility:
            return None
        from .feasibility import LAYOUT_ONLY, NOT_A_GUEST

        return LAYOUT_ONLY if self.layout_only else NOT_A_GUEST.format(view=self.target.view)

    def accepted(self, p: Placement, strict: bool = False) -> bool:
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

    def headlines(self) -> list[str]:
        """The answer for each placement in words, before any offset talk."""
        note = self.layout_note()
        if note is not None:
            return [note] if self.placements else []
        return [self.feasibility(p).headline(p.vcap.name, p.offset)  # type: ignore[union-attr] - judged
                for p in self.placements]

    @property
    def verdict(self) -> str:
        """The worst verdict of the placements ('ok' with none)."""
        order = {"ok": 0, "warning": 1, COLLISION: 2}
        return max((p.verdict for p in self.placements), key=order.__getitem__, default="ok")

    def refused(self, strict: bool = False) -> list[Placement]:
        return [p for p in self.placements if not self.accepted(p, strict)]

    def exit_code(self, strict: bool = False) -> int:
        return 1 if self.refused(strict) else 0

    def refusals(self, strict: bool = False) -> list[str]:
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
                worst = next((x for x in p.findings if x.severity != "info"), None)
                out.append(f"{p.vcap.name} at {p.offset:#05x}: {p.verdict}"
                           + (f" ({worst.message})" if worst else ""))
        return out

    def warnings(self) -> list[str]:
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
                    for x in p.findings if x.severity == "warning"]
        return out

    def vmm_text(self, p: Placement, strict: bool = False) -> str:
        """What the VMM is told for this placement: its property, how it places it itself,
        or why it gets nothing."""
        from .placement.validate import qemu_accepts

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

    def preconditions(self) -> list[str]:
        """What must also hold for the target VMM to create the placed capabilities at all
        (QEMU's vPASID: iommufd and a PASID-capable vIOMMU), said with every verdict."""
        if self.judges_feasibility:
            return []  # said by the gates (core.feasibility), each with its evidence
        needs = {how.needs for p in self.placements if p.offset is not None
                 and (how := self.realize(p)) is not None and how.needs}
        return sorted(needs)

    def vmm_note(self, p: Placement) -> str:
        """How the target VMM creates it, or that only a custom VMM can."""
        how = self.realize(p)
        return how.how if how is not None else NO_VMM

    # ------------------------------------------------------------ synthesis

    @cached_property
    def synthesis(self) -> Synthesis:
        """The target view with the placed capabilities written and linked."""
        from .placement import synthesize

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
            from .placement import synthesize

            cache[name] = synthesize(self.view(name), list(self.placements)).layout
        return cache[name]

    # ------------------------------------------------------------ exports

    def qemu_property(self, strict: bool = False) -> str | None:
        """QEMU's property for the accepted placements it has one for, at offsets its own
        insertion check accepts (`x-vpasid-cap-offset=0xff8`); None when there is none."""
        from .placement.validate import qemu_accepts

        props = []
        for p in self.placements:
            how = self.realize(p)
            if how is None or how.property is None or not self.accepted(p, strict):
                continue
            if qemu_accepts(self.ground.layout, p.offset, p.vcap.size)[0]:
                props.append(f"{how.property}={p.offset:#x}")
        return ",".join(props) if props else None

    def to_json(self, strict: bool = False) -> dict[str, Any]:
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

    def export(self, fmt: str, strict: bool = False, bdf: str | None = None,
               alias: str = "hostdev0") -> bytes:
        """One export of an accepted plan. Raises Refused (exit 1) when the policy refuses a
        placement, PlanError (exit 2) when the format cannot say what was asked."""
        vmm_format = fmt in ("qemu", "libvirt", "qemu-cmdline")
        if vmm_format:  # what the format cannot say is a usage error, whatever the verdicts
            self._vmm_usage(fmt, bdf)
        lines = self.refusals(strict)
        if lines:
            raise Refused(lines)
        if vmm_format:
            return self._vmm_export(fmt, strict, bdf, alias).encode()
        if fmt == "json":
            import json  # here: only the json export writes JSON

            return (json.dumps(self.to_json(strict), indent=1) + "\n").encode()
        synth = self.synthesis
        if synth.problems:
            raise PlanError(self.device.provenance.source, "synthesis failed: "
                            + "; ".join(synth.problems))
        from . import export as writers

        if fmt == "lspci":
            return writers.lspci_text(synth.layout.space).encode()
        if fmt == "binary":
            return writers.binary(synth.layout.space)
        raise PlanError("--format", f"unknown format {fmt!r}")

    def _vmm_usage(self, fmt: str, bdf: str | None) -> None:
        """PlanError (exit 2) when the VM configuration cannot be written as asked: not QEMU's
        guest, no capability QEMU has a property for, no host address."""
        if self.target.vmm != "qemu" or self.target.view != "guest":
            raise PlanError(f"--format {fmt}", f"this is QEMU's; the target is {self.describe()}")
        if not any((how := self.realize(p)) is not None and how.property is not None
                   for p in self.placements):
            names = ", ".join(p.vcap.name for p in self.placements)
            raise PlanError(f"--format {fmt}", f"QEMU has no property for {names} (only pasid: "
                            "x-vpasid-cap-offset); use --format lspci, binary or json for a "
                            "custom VMM")
        if fmt != "qemu":
            self._host_address(fmt, bdf)

    def _vmm_export(self, fmt: str, strict: bool, bdf: str | None, alias: str) -> str:
        prop = self.qemu_property(strict)
        if prop is None:
            raise PlanError(f"--format {fmt}", "QEMU's own insertion check refuses every offset "
                            "placed: there is no property to give it")
        if fmt == "qemu":
            return prop + "\n"
        host = self._host_address(fmt, bdf)
        from . import vmconfig

        if fmt == "qemu-cmdline":
            return vmconfig.qemu_cmdline(self.target.arch, host, prop)
        return vmconfig.libvirt_xml(self.target.arch, host, prop, alias, self.target.describe())

    def _host_address(self, fmt: str, bdf: str | None) -> str:
        """The device's host address for the VM configuration: --bdf, else the dump's own slot
        when the dump was read on the host (inside a guest it is the guest's address)."""
        if bdf is None and self.guest_dump:
            raise PlanError("--format", f"{fmt} needs the device's host address, and this dump "
                            "was read inside a guest (its slot is the guest's): give --bdf "
                            "DDDD:BB:DD.F")
        host = bdf or self.device.provenance.slot
        if not host:
            raise PlanError("--format", f"{fmt} needs the device's host address: the dump names "
                            "none, give --bdf DDDD:BB:DD.F")
        from .sinks import SinkError, check_bdf

        try:  # --bdf was checked when parsed; the dump's own slot is checked here
            return check_bdf(host)
        except SinkError as exc:
            raise PlanError("--bdf" if bdf else self.device.provenance.source, str(exc)) from None


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"severity": f.severity, "kind": f.kind, "start": f.start, "end": f.end,
            "message": f.message}


def _pinned(vcap: VcapRequest, offset: int) -> VcapRequest:
    return vcap if vcap.offset == offset else replace(vcap, offset=offset)


def _unpinned(vcap: VcapRequest) -> VcapRequest:
    return vcap if vcap.offset is None else replace(vcap, offset=None)


def _with_origin(p: Placement, chosen_by: str, rule: str) -> Placement:
    return replace(p, chosen_by=chosen_by, rule=rule)


def compare(a: ConfigSpace, b: ConfigSpace, target: TargetSpec | None = None,
            requests: tuple[VcapRequest, ...] = (), table: DeviceTable | None = None):
    """`capslot diff A B [--add ...]`: B against A seen through each view, the guest view of
    every VMM; the guest views carry the virtual capabilities (a host dump and a guest dump of
    the same QEMU 11 VM match when the guest's PASID is added). A is taken as read on the host."""
    from .record import replace as _replace

    from .diff import diff
    from .views.vmms import VMMS

    base = _replace(target or TargetSpec(), captured="host")
    extra = " + " + ", ".join(f"{r.name}@{r.offset:#x}" for r in requests) if requests else ""
    plan = Plan(a, _replace(base, view="hardware"), table=table)
    candidates = [("hardware", plan.view("hardware")), ("vfio", plan.view("vfio"))]
    for vmm in VMMS:
        guest = Plan(a, _replace(base, view="guest", vmm=vmm), requests, table, auto=False,
                     hardware_layout=plan.hardware, source="--add")
        seen = guest.view()
        if any(p.kind in ("vmm_refuses", "vmm_hang") for p in seen.problems):
            continue  # the VMM never starts this device: no guest of it read B
        candidates.append((f"guest ({vmm}){extra}", guest.display() if requests else seen))
    return diff(plan.view("hardware"), build(b), candidates)


def standing(plan: Plan) -> str:
    """How QEMU's default offset for PASID (0xff8) stands on the plan's device, in a few words
    (the PASID table of docs/feasibility.md and the survey summary)."""
    from .placement import default_standing

    return default_standing(plan.ground)


__all__ = ["MAX_PLACEMENTS", "Plan", "PlanError", "Refused", "TargetSpec", "compare",
           "layout_accepted", "standing", "verdict_lines"]


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
        state = p.verdict if ok or p.verdict == COLLISION else f"{p.verdict}, refused (--strict)"
        lines.append(f"{p.vcap.name} at {p.offset:#05x}: layout {state} ({plan.vmm_text(p, strict)})")
        lines += [f"  {x.severity}: {x.message}" for x in p.findings if x.severity != "info"]
        lines += [f"  alternative: {a.offset:#05x} ({a.rule}): {a.reason}" for a in p.alternatives]
    lines += [f"precondition: {need}" for need in plan.preconditions()]
    return lines
