"""The explorer's state, kept apart from Textual so it is plain to test: the devices of the
open file, the device and view shown, the target verdicts are about, the virtual capabilities
placed (with undo and redo), and the plan file they are saved to.

Every answer comes from one `core.plan.Plan` built from that state (the same service the
commands use), so a placement has the same verdict here as in `capslot check`. Placements are
stored as pinned requests (`pasid@0xff8`) plus who chose the offset; each state change makes
a new Plan, so switching views or devices never leaves a stale verdict behind.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field, replace
from typing import Any

from core import planfile
from core.layout import Layout, build
from core.placement import DeviceTable, Finding, Placement, Rejected
from core.placement.vcaps import VcapRequest
from core.plan import Plan
from core.atomic import WriteError
from core.space import ConfigSpace, DumpError
from core.target import TargetSpec

Slot = planfile.Pinned  # one placed capability: the request at its offset, and who chose it


def pinned(request: VcapRequest, offset: int) -> VcapRequest:
    return replace(request, offset=offset, text=f"{request.name}@{offset:#x}")


@dataclass
class Session:
    devices: list[ConfigSpace]
    index: int = 0
    view_name: str = "guest"  # the view drawn; verdicts are about `target`
    target: TargetSpec = field(default_factory=TargetSpec)
    table: DeviceTable | None = None
    ranges: tuple[tuple[int, int], ...] = ()
    plan_path: str | None = None
    layout_only: bool = False  # judge the offsets alone (--layout-only, L)
    placed: list[Slot] = field(default_factory=list)
    undo_stack: list[list[Slot]] = field(default_factory=list)
    redo_stack: list[list[Slot]] = field(default_factory=list)
    plan_fingerprint: str | None = None  # the plan file as this session last read or wrote it
    plan_problem: DumpError | OSError | None = None  # why the plan file does not hold the
    #   placements shown (its last write failed); None when it does, or there is none
    set_aside: str | None = None  # the plan file of another device of this dump (after `d`):
    #   never written here; taken up again when that device is shown
    _cache: dict[tuple, Any] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------ what is shown

    @property
    def device(self) -> ConfigSpace:
        return self.devices[self.index]

    def hardware(self) -> Layout:
        key = ("hw", self.index)
        if key not in self._cache:
            self._cache[key] = build(self.device)
        return self._cache[key]

    def plan(self) -> Plan:
        """The placement service for the current state (cached while the state holds)."""
        key = ("plan", self.index, self.target, self.ranges, tuple(self.placed), self.layout_only)
        plan = self._cache.get(key)
        if plan is None:
            for old in [k for k in self._cache if k[0] == "plan"]:
                del self._cache[old]  # one state at a time: the undo stack keeps the rest
            plan = Plan(self.device, self.target, tuple(s.request for s in self.placed),
                        self.table, self.ranges, auto=False,
                        origins=tuple((s.chosen_by, s.rule) for s in self.placed),
                        hardware_layout=self.hardware(), source="plan",
                        upstream=self.upstream(), layout_only=self.layout_only)
            self._cache[key] = plan
        return plan

    def upstream(self):
        """The ports above the device (live, or from the other devices of the file): the
        `path` gate of "will it work?"."""
        key = ("path", self.index)
        if key not in self._cache:
            from core.upstream import upstream_in

            self._cache[key] = upstream_in(self.devices, self.index)
        return self._cache[key]

    def layout(self) -> Layout:
        """The view drawn, without the virtual capabilities."""
        return self.plan().view(self.view_name)

    def placements(self) -> list[Placement]:
        """Every placed capability, validated against all the others, for the target."""
        return list(self.plan().placements)

    def synthesized(self) -> Layout:
        """The view drawn, with the placed capabilities written in (for the map)."""
        return self.plan().display(self.view_name)

    def preview(self, request: VcapRequest, offset: int, ignore: int | None = None) -> list[Finding]:
        """Findings for `request` at `offset` while it is dragged (others stay in place)."""
        return self.plan().preview(request, offset, ignore)

    # ------------------------------------------------------------ changes (undoable)

    def _change(self, new: list[Slot]) -> None:
        self.undo_stack.append(list(self.placed))
        self.redo_stack.clear()
        self.placed = new
        self.save_plan()

    def _pins(self) -> list[tuple[VcapRequest, bool]]:
        """Each placed request, and whether it is pinned (the user put it there): the others
        were auto-placed, and move with every change (the one auto rule)."""
        return [(s.request, s.chosen_by == "user") for s in self.placed]

    def _solve(self, pins: list[tuple[VcapRequest, bool]]) -> None:
        """Place the auto-placed ones again around the pinned ones (core's one auto rule), and
        make that the placements. One that finds no slot any more stays where it was."""
        plan = self.plan().solved(tuple(pins))
        old = {id(s.request): s for s in self.placed}
        new = [Slot(pinned(p.vcap, p.offset), p.chosen_by or "heuristic", p.rule)
               if p.offset is not None else old.get(id(req)) or Slot(req, "user", "pinned")
               for p, (req, _) in zip(plan.placements, pins, strict=True)]
        self._change(new)

    def add(self, request: VcapRequest, offset: int) -> None:
        """The user put `request` at `offset` (pinned: it stays)."""
        self._solve([*self._pins(), (pinned(request, offset), True)])

    def move(self, index: int, offset: int) -> None:
        pins = self._pins()
        pins[index] = (pinned(pins[index][0], offset), True)
        self._solve(pins)

    def remove(self, index: int) -> None:
        self._solve([x for i, x in enumerate(self._pins()) if i != index])

    def suggest(self, request: VcapRequest) -> Placement:
        """Where auto placement would put one more `request`, without placing it."""
        return self.plan().place_next(request)

    def already(self, request: VcapRequest) -> Slot | None:
        """The placed capability with the ID `request` has, when a function has one of each
        (vendor-specific ones repeat)."""
        from core.placement.validate import repeatable

        if repeatable(request.space, request.cap_id):
            return None
        return next((s for s in self.placed if (s.request.space, s.request.cap_id)
                     == (request.space, request.cap_id)), None)

    def auto(self, request: VcapRequest) -> Placement:
        """One more capability auto-placed: it and every other auto-placed one are placed
        together, as `capslot place` would place them all (pinned ones stay). Placed if every
        one finds a slot; the Placement (with its rejected candidates) explains the choice."""
        plan = self.plan().solved((*self._pins(), (request, False)))
        result = plan.placements[-1]
        lost = [p.vcap.name for p in plan.placements[:-1] if p.offset is None]
        if result.offset is not None and lost:
            return replace(result, offset=None, chosen_by=None, rule="no safe slot", rejected=(
                *result.rejected, Rejected(result.offset, f"{', '.join(lost)} would lose its slot", "auto")))
        if result.offset is not None:
            self._change([Slot(pinned(p.vcap, p.offset), p.chosen_by or "heuristic", p.rule)
                          for p in plan.placements])
        return result

    def undo(self) -> bool:
        return self._step(self.undo_stack, self.redo_stack)

    def redo(self) -> bool:
        return self._step(self.redo_stack, self.undo_stack)

    def _step(self, back: list, forward: list) -> bool:
        """Return to the placements on top of `back`, keeping the current ones on `forward`."""
        if not back:
            return False
        forward.append(list(self.placed))
        self.placed = back.pop()
        self.save_plan()
        return True

    def placed_at(self, offset: int) -> int | None:
        for i, p in enumerate(self.placed):
            if p.request.offset <= offset < p.request.offset + p.request.size:
                return i
        return None

    def set_vmm(self, name: str) -> None:
        """Judge for another VMM's guest (the placements stay; their verdicts are recomputed)."""
        self.target = replace(self.target, vmm=name)

    def select_device(self, index: int) -> str | None:
        """Show device `index`: its own state, with no placements (the target, the ranges and
        whether only the layout is judged stay). The plan file goes along only when it is that
        device's (it is loaded) or holds nothing yet: a plan file only ever holds the
        placements of the device it names. Otherwise it is set aside, and its path returned:
        the placements here are unsaved until the user names a new plan file (switching back to
        its device takes it up again)."""
        if index == self.index:
            return None
        path = self.plan_path or self.set_aside
        self.index = index
        self.placed, self.undo_stack, self.redo_stack = [], [], []
        self.plan_path, self.plan_fingerprint, self.plan_problem, self.set_aside = None, None, None, None
        return self.adopt_plan(path)

    def adopt_plan(self, path: str | None) -> str | None:
        """The plan file of the session before this one (another device, another dump): taken
        up when it is this device's plan or holds nothing yet; else set aside (never written
        here) and its path returned, for the explorer to ask about."""
        if path is None:
            return None
        if not _special(path) and planfile.names(path, self.device) is not False:
            try:
                self.use_plan_file(path)  # this device's plan (or none yet): taken up
                return None
            except (DumpError, OSError):
                pass  # unreadable now: set aside, never written over
        self.set_aside = path
        return path

    # ------------------------------------------------------------ the plan file

    def plan_document(self) -> dict[str, Any]:
        return planfile.document(self.plan())

    def save_plan(self, overwrite: bool = False) -> None:
        """Write the plan file, if there is one. Raises PlanConflict when another writer
        changed it, OSError (WriteError) when it cannot be written: the placements stay in
        memory, and `plan_problem` says why until a write succeeds. `overwrite`: write over
        whatever the file holds now (the user chose to, after a PlanConflict)."""
        if not self.plan_path:
            return
        path = self.plan_path
        try:
            if _special(path):  # planfile opens the file blocking: a FIFO would hang it
                raise WriteError(path, "cannot write: not a regular file")
            if planfile.names(path, self.device) is False:
                raise DumpError(path, "the plan file is another device's: not overwritten")
            expected = planfile.fingerprint(planfile.current(path)) if overwrite else self.plan_fingerprint
            self.plan_fingerprint = planfile.write(path, self.plan(), expected)
        except (DumpError, OSError) as exc:
            self.plan_problem = exc
            raise
        self.plan_problem = None

    def saved_to(self, path: str, fingerprint: str) -> None:
        """The placements were written to `path` (save as): it is the plan file from now on."""
        self.plan_path, self.plan_fingerprint, self.plan_problem = path, fingerprint, None

    def use_plan_file(self, path: str, loaded: tuple[list[Slot], str] | None = None) -> None:
        """Load `path` if it exists (refusing a bad one, which is left alone), then keep the
        placements there from now on. `loaded`: what planfile.read gave for it already (the
        explorer reads it off the UI thread)."""
        if loaded is None:
            if _special(path):
                raise DumpError(path, "not a regular file: a plan file is one")
            if planfile.current(path) is not None:
                loaded = planfile.read(path, self.device)
        if loaded is not None:
            self.placed, self.plan_fingerprint = loaded
            self.undo_stack, self.redo_stack = [], []
        else:
            self.plan_fingerprint = None
        self.plan_path, self.plan_problem = path, None

    def load_plan(self, path: str) -> None:
        """Placements from a plan file (the `place --json` shape). A plan that is corrupt,
        from a newer capslot, or for another device is refused with a clear error."""
        placed, self.plan_fingerprint = planfile.read(path, self.device)
        self.placed, self.undo_stack, self.redo_stack = placed, [], []

    def reload_plan(self) -> None:
        """The plan file's placements replace the ones here (after a PlanConflict); undo
        brings these back."""
        if not self.plan_path:
            return
        if _special(self.plan_path):
            raise DumpError(self.plan_path, "not a regular file: a plan file is one")
        placed, fingerprint = planfile.read(self.plan_path, self.device)
        self.undo_stack.append(list(self.placed))
        self.redo_stack.clear()
        self.placed, self.plan_fingerprint, self.plan_problem = placed, fingerprint, None


def _special(path: str) -> bool:
    """Something other than a regular file is at `path` (a FIFO, a device, a directory)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # nothing there (or not reachable): reading or writing says why
