"""Auto placement: deterministic, same inputs -> same offset on every host (migration
depends on it). Candidates, in order, each rejection recorded with its reason:

1. a pinned offset (`pasid@0xe00`): taken as given (`user`), whatever the verdict; an
   unpinned capability whose ID the function already has (physical or placed) gets none;
2. the user's available ranges (`ranges`), highest fitting slot first;
3. the device table: its preferred offset, then its available ranges (`quirk`);
4. the VMM's default (0xFF8 for PASID: QEMU's; the end of the space for other extended
   capabilities; GPUDirect 0xC8/0xD4, VMD 0xE8) when the validator finds it clean;
5. the highest clean DWORD-aligned slot inside a zero gap (`heuristic`);
6. the physical location of the same capability when the view hides it (`hidden-physical`,
   1:1): a warning, since every guest write then reaches its live registers. It is offered
   as a named alternative when a slot above wins, and taken only when none does.

Candidates 2-3 and 6 must be free of collisions and acceptable to QEMU's own check (inside a
range, a clean slot is preferred to a warned one); 4 and 5 must be clean (no warning either):
auto placement never picks a collision, and outside the ranges someone called free it never
settles for a warning but the named 1:1 one. Several capabilities are placed together: pinned ones first,
then the others (those the VMM creates first, then by name), each avoiding those already placed:
the order they were asked in never changes an offset.
"""

from __future__ import annotations

from ..layout import Kind
from ..record import record, replace
from ..registry import Space
from ..verdicts import Verdict
from .validate import (
    UNIFORM, Finding, Placed, Target, duplicate_findings, has_extended_space,
    validate, verdict,
)
from .vcaps import VcapRequest

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:
    from collections.abc import Callable


@record
class Rejected:
    offset: int
    reason: str
    rule: str


# What each rule means, in words: the command line and the explorer say it beside the rule's
# name, so "chosen by heuristic (qemu-default)" explains itself. One entry per rule above
# (`pinned`, "chosen by user", says it already).
RULE_WHY = {
    "ranges": "the highest clean slot of the first --ranges span that has one",
    "quirk-offset": "the offset the device table gives for this device",
    "quirk-available": "the highest clean slot in the spans the device table calls free",
    "qemu-default": "the VMM's own default offset for this capability, and nothing lives there",
    "end-of-space": "the last DWORDs of the extended space (no VMM has a default for this "
                    "capability), and nothing lives there",
    "zero-gap": "the highest DWORD-aligned slot inside a gap of zeros that nothing owns",
    "hidden-physical": "1:1 on the physical capability the view hides: no cleaner slot was left, "
                       "and every guest write reaches its live registers",
}


@record(slots=False)
class Placement:
    vcap: VcapRequest
    offset: int | None  # None: no safe slot
    chosen_by: str | None  # user | hidden-physical | ranges | quirk | heuristic
    rule: str  # which rule chose it (qemu-default, zero-gap, ...) or why none did
    findings: tuple[Finding, ...]
    rejected: tuple[Rejected, ...]
    least_bad: tuple[int, tuple[Finding, ...]] | None = None  # when offset is None
    alternatives: tuple[Rejected, ...] = ()  # offered, not chosen (1:1 on a hidden physical one)

    @property
    def verdict(self) -> str:
        return verdict(list(self.findings)) if self.offset is not None else Verdict.COLLISION

    @property
    def why(self) -> str:
        """The rule that chose the offset, in words ('' for a rule from elsewhere, e.g. an
        older plan file)."""
        return RULE_WHY.get(self.rule, "") if self.offset is not None else ""

    @property
    def end(self) -> int:
        return (self.offset or 0) + self.vcap.size


def _usable(findings: list[Finding]) -> bool:
    """No collision, and QEMU's own check would accept it."""
    return not any(f.severity == Verdict.COLLISION or (f.kind == "qemu" and f.severity == Verdict.WARNING)
                   for f in findings)


def _clean(findings: list[Finding]) -> bool:
    """No collision and no warning, but for warnings true of the device as a whole."""
    return not any(f.severity in (Verdict.COLLISION, Verdict.WARNING) and f.kind not in UNIFORM
                   for f in findings)


def _reason(findings: list[Finding]) -> str:
    worst = [f for f in findings if f.severity in (Verdict.COLLISION, Verdict.WARNING)]
    return worst[0].message if worst else "not clean"


def _slots(start: int, end: int, size: int) -> range:
    """DWORD-aligned offsets inside [start, end) where `size` bytes fit, highest first."""
    top = (end - size) & ~3
    first = (start + 3) & ~3
    return range(top, first - 1, -4)


class _Search:
    def __init__(self, target: Target, vcap: VcapRequest) -> None:
        self.target, self.vcap = target, vcap
        self.rejected: list[Rejected] = []
        self.tried: list[tuple[int, list[Finding]]] = []

    def try_at(self, offset: int, rule: str, accept, record: bool = True) -> list[Finding] | None:
        findings = validate(self.target, self.vcap, offset)
        self.tried.append((offset, findings))
        if accept(findings):
            return findings
        if record:
            self.rejected.append(Rejected(offset, _reason(findings), rule))
        return None

    def in_ranges(self, ranges, rule: str) -> tuple[int, list[Finding]] | None:
        """The highest clean slot of the first range that has one, else its highest usable
        (warned) slot: a range the user or the table calls free may still hold a warning."""
        for start, end in ranges:
            found = None
            usable = None
            for off in _slots(start, end, self.vcap.size):
                findings = self.try_at(off, rule, _usable, record=False)
                if findings is not None:
                    if _clean(findings):
                        return off, findings
                    usable = usable or (off, findings)
                found = found or off
            if usable is not None:
                return usable
            if found is not None:
                self.rejected.append(Rejected(found, f"no usable slot in {start:#05x}-{end - 1:#05x}: "
                                              + _reason(self.tried[-1][1]), rule))
            else:
                self.rejected.append(Rejected(start, f"{self.vcap.size:#x} bytes do not fit in "
                                              f"{start:#05x}-{end - 1:#05x}", rule))
        return None


def place_one(target: Target, vcap: VcapRequest) -> Placement:
    if vcap.offset is not None:
        findings = validate(target, vcap, vcap.offset)
        return Placement(vcap, vcap.offset, "user", "pinned", tuple(findings), ())
    s = _Search(target, vcap)
    layout = target.layout

    # 1. one per function: a second capability of this ID collides wherever it goes
    twins = duplicate_findings(target, vcap, 0, 0)
    if twins:
        s.rejected += [Rejected(f.start, f.message, "duplicate") for f in twins[:1]]
        return Placement(vcap, None, None, "duplicate", (), tuple(s.rejected),
                         None)

    chosen = _preferred(s, target, vcap)
    # 6. hidden-physical: the same capability, unlinked by the view, replaced 1:1
    one_to_one = None
    for i, cap in enumerate(layout.capabilities):
        if (cap.space is vcap.space and cap.id == vcap.cap_id
                and layout.visibility(i) in ("hidden", "placeholder", "dropped")):
            if cap.size < vcap.size:
                s.rejected.append(Rejected(cap.offset, f"the physical {cap.name} is only "
                                           f"{cap.size:#x} bytes", "hidden-physical"))
                continue
            findings = s.try_at(cap.offset, "hidden-physical", _usable, record=chosen is None)
            if findings is not None:
                one_to_one = (cap, findings)
                break
    if chosen is not None:
        if one_to_one is None:
            return chosen
        cap = one_to_one[0]
        return replace(chosen, alternatives=(Rejected(
            cap.offset, f"1:1 on the physical {cap.name}: the guest drives the real registers, "
            "and every guest write reaches them", "hidden-physical"),))
    if one_to_one is not None:
        cap, findings = one_to_one
        return Placement(vcap, cap.offset, "hidden-physical", "hidden-physical",
                         tuple(findings), tuple(s.rejected))
    return Placement(vcap, None, None, "no safe slot", (), tuple(s.rejected), _least_bad(s.tried))


def _preferred(s: _Search, target: Target, vcap: VcapRequest) -> Placement | None:
    """Candidates 2-5: the ranges, the device table, the VMM's default, a clean zero gap."""
    layout = target.layout
    # 2. the user's available ranges
    hit = s.in_ranges(target.ranges, "ranges")
    if hit:
        return Placement(vcap, hit[0], "ranges", "ranges", tuple(hit[1]), tuple(s.rejected))

    # 3. the device table
    quirk = target.quirk
    if quirk is not None:
        preferred = quirk.offset_for(vcap.name)
        if preferred is not None:
            findings = s.try_at(preferred, "quirk", _usable)
            if findings is not None:
                return Placement(vcap, preferred, "quirk", "quirk-offset", tuple(findings), tuple(s.rejected))
        hit = s.in_ranges(quirk.available, "quirk")
        if hit:
            return Placement(vcap, hit[0], "quirk", "quirk-available", tuple(hit[1]), tuple(s.rejected))

    # 4. the VMM's default offset, when clean (QEMU's for PASID; the end of the extended space
    #    for the others, which no VMM places by default)
    rule = "qemu-default" if vcap.template is not None and vcap.template.default_offsets else "end-of-space"
    for off in vcap.default_offsets:
        findings = s.try_at(off, rule, _clean)
        if findings is not None:
            return Placement(vcap, off, "heuristic", rule, tuple(findings), tuple(s.rejected))

    # 5. the highest clean slot inside a zero gap
    lo, hi = (0x40, 0x100) if vcap.space is Space.STANDARD else (0x100, 0x1000)
    if vcap.space is Space.EXTENDED and not has_extended_space(layout):
        s.rejected.append(Rejected(hi - vcap.size, "the function has no extended config space",
                                   "zero-gap"))
        return None
    taken = [(p.start, p.end) for p in target.placed]
    if target.quirk is not None:
        taken += list(target.quirk.reserved)
    gaps = [r for r in layout.regions if r.kind is Kind.ZERO_GAP and r.end > lo and r.start < hi]
    for r in sorted(gaps, key=lambda r: r.end, reverse=True):
        for off in _slots(max(r.start, lo), min(r.end, hi), vcap.size):
            if any(a < off + vcap.size and off < b for a, b in taken):
                continue  # reserved or taken: the validator would only say so again
            findings = s.try_at(off, "zero-gap", _clean, record=False)
            if findings is not None:
                return Placement(vcap, off, "heuristic", "zero-gap", tuple(findings), tuple(s.rejected))
    s.rejected.append(Rejected(hi - vcap.size, "no clean DWORD-aligned slot inside a zero gap",
                               "zero-gap"))
    return None


def _least_bad(tried: list[tuple[int, list[Finding]]]) -> tuple[int, tuple[Finding, ...]] | None:
    if not tried:
        return None

    def badness(item: tuple[int, list[Finding]]) -> tuple[int, int, int]:
        off, findings = item
        return (sum(f.severity == Verdict.COLLISION for f in findings),
                sum(f.severity == Verdict.WARNING for f in findings), -off)

    off, findings = min(tried, key=badness)
    return off, tuple(findings)


def place(target: Target, vcaps: list[VcapRequest],
          realizable: Callable[[VcapRequest], bool] | None = None) -> list[Placement]:
    """Place several virtual capabilities without overlap; results in the order given.

    Pinned ones go first (they are fixed); then those the VMM can create (`realizable`:
    QEMU's PASID), so each gets the slot it would get alone; then those with a VMM's own
    default offset; then the others (for a custom VMM) by name. The order of the requests
    never changes an offset: `place --add pri --add pasid`, the other order, and the explorer
    adding them one by one agree."""
    def rank(i: int) -> tuple[bool, bool, bool, str, int]:
        v = vcaps[i]
        unpinned = v.offset is None
        vmm_default = v.template is not None and bool(v.template.default_offsets)
        return (unpinned, realizable is not None and not realizable(v), not vmm_default,
                v.name if unpinned else "", i)

    results: dict[int, Placement] = {}
    for i in sorted(range(len(vcaps)), key=rank):
        p = place_one(target, vcaps[i])
        results[i] = p
        if p.offset is not None:
            target = target.with_placed(Placed.of(vcaps[i], p.offset))
    return [results[i] for i in range(len(vcaps))]
