"""The explorer's state, kept apart from Textual so it is plain to test: the devices of the
open file, the device and view shown, the virtual capabilities placed (with undo and
redo), and the plan file they are saved to.

Placements are stored as pinned requests (`pasid@0xff8`) plus who chose the offset; every
read re-validates them against the current view, so switching views or devices never
leaves a stale verdict behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

from core.atomic import write_atomic
from core.layout import Layout, build
from core.placement import (
    DeviceTable, Placement, Target, parse_vcap, place, placement_json, synthesize, target_for,
)
from core.placement.validate import Placed, validate
from core.placement.vcaps import VcapRequest
from core.space import ConfigSpace, DumpError
from core.text import printable
from core.views import QemuOptions, view

PLAN_VERSION = 1


@dataclass(frozen=True, slots=True)
class Slot:
    """One placed virtual capability: the request pinned at its offset, and who chose it."""

    request: VcapRequest
    chosen_by: str = "user"
    rule: str = "pinned"


def pinned(request: VcapRequest, offset: int) -> VcapRequest:
    return replace(request, offset=offset, text=f"{request.name}@{offset:#x}")


@dataclass
class Session:
    devices: list[ConfigSpace]
    index: int = 0
    view_name: str = "guest"
    profile: str = "upstream"
    qemu: QemuOptions = field(default_factory=QemuOptions)
    table: DeviceTable | None = None
    ranges: tuple[tuple[int, int], ...] = ()
    plan_path: str | None = None
    placed: list[Slot] = field(default_factory=list)
    undo_stack: list[list[Slot]] = field(default_factory=list)
    redo_stack: list[list[Slot]] = field(default_factory=list)
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

    def layout(self) -> Layout:
        """The current view of the current device (without the virtual capabilities)."""
        key = ("view", self.index, self.view_name, self.profile, self.qemu)
        if key not in self._cache:
            self._cache[key] = view(self.hardware(), self.view_name, self.profile, self.qemu)
        return self._cache[key]

    def target(self) -> Target:
        key = ("target", self.index, self.view_name, self.profile, self.qemu, self.ranges)
        if key not in self._cache:
            self._cache[key] = target_for(self.device, self.view_name, self.profile, self.qemu,
                                          self.table, self.ranges)
        return self._cache[key]

    def placements(self) -> list[Placement]:
        """Every placed capability, validated against the others and the current view."""
        target = self.target()
        out = []
        for i, p in enumerate(self.placed):
            others = target
            for j, q in enumerate(self.placed):
                if j != i:
                    others = others.with_placed(Placed(q.request.name, q.request.offset,
                                                       q.request.offset + q.request.size))
            findings = validate(others, p.request, p.request.offset)
            out.append(Placement(p.request, p.request.offset, p.chosen_by, p.rule, tuple(findings), ()))
        return out

    def synthesized(self) -> Layout:
        """The current view with the placed capabilities written in (for the map)."""
        if not self.placed:
            return self.target().layout
        return synthesize(self.target().layout, self.placements()).layout

    def preview(self, request: VcapRequest, offset: int, ignore: int | None = None):
        """Findings for `request` at `offset` while it is dragged (others stay in place)."""
        target = self.target()
        for j, q in enumerate(self.placed):
            if j != ignore:
                target = target.with_placed(Placed(q.request.name, q.request.offset,
                                                   q.request.offset + q.request.size))
        return validate(target, request, offset)

    # ------------------------------------------------------------ changes (undoable)

    def _change(self, new: list[Slot]) -> None:
        self.undo_stack.append(list(self.placed))
        self.redo_stack.clear()
        self.placed = new
        self.save_plan()

    def add(self, request: VcapRequest, offset: int, chosen_by: str = "user", rule: str = "pinned") -> None:
        self._change([*self.placed, Slot(pinned(request, offset), chosen_by, rule)])

    def move(self, index: int, offset: int) -> None:
        new = list(self.placed)
        new[index] = Slot(pinned(new[index].request, offset))
        self._change(new)

    def remove(self, index: int) -> None:
        self._change([p for i, p in enumerate(self.placed) if i != index])

    def auto(self, request: VcapRequest) -> Placement:
        """Auto placement of one more capability around the placed ones; placed if a slot
        was found. The Placement (with its rejected candidates) explains the choice."""
        target = self.target()
        for q in self.placed:
            target = target.with_placed(Placed(q.request.name, q.request.offset,
                                               q.request.offset + q.request.size))
        (result,) = place(target, [replace(request, offset=None)])
        if result.offset is not None:
            self.add(request, result.offset, result.chosen_by or "heuristic", result.rule)
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

    def select_device(self, index: int) -> None:
        if index != self.index:
            self.index = index
            self.placed, self.undo_stack, self.redo_stack = [], [], []

    # ------------------------------------------------------------ the plan file

    def plan(self) -> dict[str, Any]:
        out = placement_json(self.target(), self.placements())
        out["plan_version"] = PLAN_VERSION
        for item, p in zip(out["placements"], self.placed):
            item["chosen_by"], item["rule"] = p.chosen_by, p.rule
        return out

    def save_plan(self) -> None:
        if self.plan_path:
            write_atomic(self.plan_path, (json.dumps(self.plan(), indent=1) + "\n").encode())

    def load_plan(self, path: str) -> None:
        """Placements from a plan file (the `place --json` shape). A plan that is corrupt,
        from a newer capslot, or for another device is refused with a clear error."""
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except FileNotFoundError:
            raise DumpError(path, "no such plan file") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            raise DumpError(path, f"not a capslot plan: {exc.__class__.__name__}: "
                            f"{getattr(exc, 'msg', exc)}", line) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("placements"), list):
            raise DumpError(path, "not a capslot plan: no placements list")
        if int(doc.get("plan_version", 1)) > PLAN_VERSION:
            raise DumpError(path, f"plan version {doc.get('plan_version')} is newer than this "
                            f"capslot understands ({PLAN_VERSION})")
        dev = doc.get("device") or {}
        cs = self.device
        if (dev.get("vendor_id"), dev.get("device_id")) != (cs.vendor_id, cs.device_id):
            def hex_id(v: Any) -> str:
                return f"{v:04x}" if isinstance(v, int) else printable(str(v))

            raise DumpError(path, f"the plan is for device {hex_id(dev.get('vendor_id'))}:"
                            f"{hex_id(dev.get('device_id'))}, not {cs.vendor_id:04x}:{cs.device_id:04x} "
                            f"({printable(cs.label())})")
        placed = []
        for item in doc["placements"]:
            try:
                req = parse_vcap(f"{item['vcap']}:{int(item['size'])}@{int(item['offset']):#x}", path)
            except (KeyError, TypeError, ValueError) as exc:
                raise DumpError(path, f"a placement is incomplete: {exc}") from None
            placed.append(Slot(req, str(item.get("chosen_by") or "user"), str(item.get("rule") or "pinned")))
        self.placed, self.undo_stack, self.redo_stack = placed, [], []
