"""The explorer's state, kept apart from Textual so it is plain to test: the devices of the
open file, the device and view shown, the target verdicts are about, the virtual capabilities
placed (with undo and redo), and the plan file they are saved to.

All of it is one immutable `State`; every action makes a new one and puts it in place as a
whole (`Session.state`), so no action can leave half of a change behind (a placement of one
device under another device's plan file, say), and giving up a change is putting the old
state back. `Session` holds the current state of one opened input, with what is worked out
from it (cached per state) and the plan file's reads and writes.

Every answer comes from one `core.plan.Plan` built from that state (the same service the
commands use), so a placement has the same verdict here as in `capslot check`. Placements are
stored as pinned requests (`pasid@0xff8`) plus who chose the offset; each state makes its own
Plan, so switching views or devices never leaves a stale verdict behind.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable

from capslot.core import planfile
from capslot.core.layout import Layout, build
from capslot.core.placement import DeviceTable, Finding, Placement, Rejected
from capslot.core.placement.vcaps import VcapRequest
from capslot.core.plan import Plan
from capslot.core.record import field, record, replace
from capslot.core.atomic import WriteError
from capslot.core.space import ConfigSpace, DumpError
from capslot.core.target import TargetSpec

TYPE_CHECKING = False  # `typing` is for the type checker alone here
if TYPE_CHECKING:
    from typing import Any

Slot = planfile.Pinned  # one placed capability: the request at its offset, and who chose it
Placed = tuple[Slot, ...]


def pinned(request: VcapRequest, offset: int) -> VcapRequest:
    return replace(request, offset=offset, text=f"{request.name}@{offset:#x}")


@record(slots=False)
class State:
    """What the explorer shows and saves, at one moment. Undo and redo hold the placements
    only: undo takes back a placement change, never a switch of device, view or VMM."""

    # a state equals only itself (what `@dataclass(eq=False)` gave): no field-by-field
    # comparison of every device's bytes
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    devices: tuple[ConfigSpace, ...]
    index: int = 0
    view_name: str = "guest"  # the view drawn; verdicts are about `target`
    target: TargetSpec = field(default_factory=TargetSpec)
    table: DeviceTable | None = None
    ranges: tuple[tuple[int, int], ...] = ()
    plan_path: str | None = None
    layout_only: bool = False  # judge the offsets alone (--layout-only, L)
    placed: Placed = ()
    undo: tuple[Placed, ...] = ()
    redo: tuple[Placed, ...] = ()
    plan_fingerprint: str | None = None  # the plan file as this session last read or wrote it
    plan_problem: DumpError | OSError | None = None  # why the plan file does not hold the
    #   placements shown (its last write failed); None when it does, or there is none
    set_aside: str | None = None  # the plan file of another device of this dump (after `d`):
    #   never written here; taken up again when that device is shown

    def __post_init__(self) -> None:  # lists given by callers become tuples: nothing shared
        for name in ("devices", "placed", "ranges"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def device(self) -> ConfigSpace:
        return self.devices[self.index]

    def placing(self, placed: Iterable[Slot]) -> State:
        """These placements instead (an undoable change)."""
        return replace(self, placed=tuple(placed), undo=(*self.undo, self.placed), redo=())

    def showing(self, index: int) -> State:
        """Device `index` of the same input: no placements and no plan file yet; what the
        user chose (view, target, ranges, layout only) stays."""
        return replace(self, index=index, placed=(), undo=(), redo=(), plan_path=None,
                       plan_fingerprint=None, plan_problem=None, set_aside=None)

    def opened(self, devices: Iterable[ConfigSpace]) -> State:
        """Another input (`o`, a live device picked): what the user chose carries over (the
        view, the target, the table, the ranges, layout only); nothing placed, no plan file."""
        return State(tuple(devices), view_name=self.view_name, target=self.target, table=self.table,
                     ranges=self.ranges, layout_only=self.layout_only)


class Session:
    """The current `State` of one opened input (replaced whole by every action), what is
    worked out from it, and its plan file."""

    def __init__(self, devices: Iterable[ConfigSpace], index: int = 0, **choices: Any) -> None:
        self.state = State(tuple(devices), index, **choices)
        self._cache: dict[tuple, Any] = {}

    @classmethod
    def of(cls, state: State) -> Session:
        session = cls(state.devices)
        session.state = state
        return session

    # ------------------------------------------------------------ the state, read

    @property
    def devices(self) -> tuple[ConfigSpace, ...]:
        return self.state.devices

    @property
    def index(self) -> int:
        return self.state.index

    @property
    def device(self) -> ConfigSpace:
        return self.state.device

    @property
    def view_name(self) -> str:
        return self.state.view_name

    @property
    def target(self) -> TargetSpec:
        return self.state.target

    @property
    def table(self) -> DeviceTable | None:
        return self.state.table

    @property
    def ranges(self) -> tuple[tuple[int, int], ...]:
        return self.state.ranges

    @property
    def layout_only(self) -> bool:
        return self.state.layout_only

    @property
    def placed(self) -> list[Slot]:
        """The placements (a copy: changing it changes nothing)."""
        return list(self.state.placed)

    @property
    def plan_path(self) -> str | None:
        return self.state.plan_path

    @property
    def plan_fingerprint(self) -> str | None:
        return self.state.plan_fingerprint

    @property
    def plan_problem(self) -> DumpError | OSError | None:
        return self.state.plan_problem

    @property
    def set_aside(self) -> str | None:
        return self.state.set_aside

    # ------------------------------------------------------------ what is shown

    def hardware(self) -> Layout:
        key = ("hw", self.index)
        if key not in self._cache:
            self._cache[key] = build(self.device)
        return self._cache[key]

    def plan(self) -> Plan:
        """The placement service for the current state (cached while the state holds)."""
        st = self.state
        key = ("plan", st.index, st.target, st.ranges, st.placed, st.layout_only)
        plan = self._cache.get(key)
        if plan is None:
            for old in [k for k in self._cache if k[0] == "plan"]:
                del self._cache[old]  # one state at a time: the undo stack keeps the rest
            plan = Plan(st.device, st.target, tuple(s.request for s in st.placed),
                        st.table, st.ranges, auto=False,
                        origins=tuple((s.chosen_by, s.rule) for s in st.placed),
                        hardware_layout=self.hardware(), source="plan",
                        upstream=self.upstream(), layout_only=st.layout_only)
            self._cache[key] = plan
        return plan

    def upstream(self):
        """The ports above the device (live, or from the other devices of the file): the
        `path` gate of "will it work?"."""
        key = ("path", self.index)
        if key not in self._cache:
            from capslot.core.upstream import upstream_in

            self._cache[key] = upstream_in(list(self.devices), self.index)
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

    # ------------------------------------------------------------ what is judged

    def set_view(self, name: str) -> None:
        self.state = replace(self.state, view_name=name)

    def set_layout_only(self, layout_only: bool) -> None:
        self.state = replace(self.state, layout_only=layout_only)

    def set_vmm(self, name: str) -> None:
        """Judge for another VMM's guest (the placements stay; their verdicts are recomputed)."""
        self.state = replace(self.state, target=replace(self.state.target, vmm=name))

    # ------------------------------------------------------------ changes (undoable)

    def _change(self, new: Iterable[Slot]) -> None:
        self.state = self.state.placing(new)
        self.save_plan()

    def _pins(self) -> list[tuple[VcapRequest, bool]]:
        """Each placed request, and whether it is pinned (the user put it there): the others
        were auto-placed, and move with every change (the one auto rule)."""
        return [(s.request, s.chosen_by == "user") for s in self.state.placed]

    def _solve(self, pins: list[tuple[VcapRequest, bool]]) -> None:
        """Place the auto-placed ones again around the pinned ones (core's one auto rule), and
        make that the placements. One that finds no slot any more stays where it was."""
        plan = self.plan().solved(tuple(pins))
        old = {id(s.request): s for s in self.state.placed}
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
        from capslot.core.placement.validate import repeatable

        if repeatable(request.space, request.cap_id):
            return None
        return next((s for s in self.state.placed if (s.request.space, s.request.cap_id)
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

    def can_undo(self) -> bool:
        return bool(self.state.undo)

    def can_redo(self) -> bool:
        return bool(self.state.redo)

    def undo(self) -> bool:
        """Back to the placements before the last change (the current ones can be redone)."""
        st = self.state
        if not st.undo:
            return False
        self.state = replace(st, placed=st.undo[-1], undo=st.undo[:-1], redo=(*st.redo, st.placed))
        self.save_plan()
        return True

    def redo(self) -> bool:
        st = self.state
        if not st.redo:
            return False
        self.state = replace(st, placed=st.redo[-1], redo=st.redo[:-1], undo=(*st.undo, st.placed))
        self.save_plan()
        return True

    def placed_at(self, offset: int) -> int | None:
        for i, p in enumerate(self.state.placed):
            if p.request.offset <= offset < p.request.offset + p.request.size:
                return i
        return None

    # ------------------------------------------------------------ devices

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
        self.state = self.state.showing(index)
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
        self.state = replace(self.state, set_aside=path)
        return path

    # ------------------------------------------------------------ the plan file

    def plan_document(self) -> dict[str, Any]:
        return planfile.document(self.plan())

    def save_plan(self, overwrite: bool = False) -> None:
        """Write the plan file, if there is one. Raises PlanConflict when another writer
        changed it, OSError (WriteError) when it cannot be written: the placements stay in
        memory, and `plan_problem` says why until a write succeeds. `overwrite`: write over
        whatever the file holds now (the user chose to, after a PlanConflict)."""
        st = self.state
        if not st.plan_path:
            return
        path = st.plan_path
        try:
            if _special(path):  # planfile opens the file blocking: a FIFO would hang it
                raise WriteError(path, "cannot write: not a regular file")
            if planfile.names(path, st.device) is False:
                raise DumpError(path, "the plan file is another device's: not overwritten")
            expected = planfile.fingerprint(planfile.current(path)) if overwrite else st.plan_fingerprint
            written = planfile.write(path, self.plan(), expected)
        except (DumpError, OSError) as exc:
            self.state = replace(st, plan_problem=exc)
            raise
        self.state = replace(st, plan_fingerprint=written, plan_problem=None)

    def saved_to(self, path: str, fingerprint: str) -> None:
        """The placements were written to `path` (save as): it is the plan file from now on."""
        self.state = replace(self.state, plan_path=path, plan_fingerprint=fingerprint, plan_problem=None)

    def use_plan_file(self, path: str, loaded: tuple[list[Slot], str] | None = None) -> None:
        """Load `path` if it exists (refusing a bad one, which is left alone), then keep the
        placements there from now on. `loaded`: what planfile.read gave for it already (the
        explorer reads it off the UI thread)."""
        if loaded is None:
            if _special(path):
                raise DumpError(path, "not a regular file: a plan file is one")
            if planfile.current(path) is not None:
                loaded = planfile.read(path, self.device)
        st = replace(self.state, plan_path=path, plan_problem=None, plan_fingerprint=None)
        if loaded is not None:
            placed, fingerprint = loaded
            st = replace(st, placed=tuple(placed), plan_fingerprint=fingerprint, undo=(), redo=())
        self.state = st

    def load_plan(self, path: str) -> None:
        """Placements from a plan file (the `place --json` shape). A plan that is corrupt,
        from a newer capslot, or for another device is refused with a clear error."""
        placed, fingerprint = planfile.read(path, self.device)
        self.state = replace(self.state, placed=tuple(placed), plan_fingerprint=fingerprint, undo=(), redo=())

    def reload_plan(self) -> None:
        """The plan file's placements replace the ones here (after a PlanConflict); undo
        brings these back."""
        path = self.plan_path
        if not path:
            return
        if _special(path):
            raise DumpError(path, "not a regular file: a plan file is one")
        placed, fingerprint = planfile.read(path, self.device)
        self.state = replace(self.state.placing(placed), plan_fingerprint=fingerprint, plan_problem=None)


def _special(path: str) -> bool:
    """Something other than a regular file is at `path` (a FIFO, a device, a directory)."""
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # nothing there (or not reachable): reading or writing says why
