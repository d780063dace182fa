"""The verdict: what the validator says about the virtual capability being moved or just
placed, finding by finding, and why auto placement chose what it chose. The panel holds it
all; the one-line form sits under the map where the panels are tabs, so a verdict is on
screen whichever tab is open. Red is for verdicts only (tui/colours.py)."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from capslot.core.placement import Finding, Placement
from capslot.core.placement.validate import verdict
from capslot.core.text import printable
from capslot.core.verdicts import Verdict
from capslot.tui.colours import SEVERITY_STYLE, VERDICT_STYLE
from capslot.tui.render import why_suffix

if TYPE_CHECKING:  # the module itself is imported with the first placement judged (core/plan)
    from capslot.core.feasibility import Feasibility


class FindingRows:
    """Findings as rows of severity, kind and message, each message wrapped under itself.

    It looks like a Rich `Table.grid`, at a tenth of its cost. The panel redraws it on every
    drag step, and the table's cell measuring was the largest part of a frame (issue 14,
    benchmarks/tui_speed.py). Messages are printable text (core/text.py); a wide character
    only makes a line one cell longer, which the panel crops."""

    def __init__(self, findings: list[Finding] | tuple[Finding, ...]) -> None:
        self.rows = [(f.severity, f.kind, printable(f.message)) for f in findings]

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if not self.rows:
            return
        severity_width = max(len(r[0]) for r in self.rows)
        kind_width = max(len(r[1]) for r in self.rows)
        indent = severity_width + kind_width + 2
        room = max(8, options.max_width - indent)
        dim, newline, pad = Style.parse("dim"), Segment.line(), Segment(" " * indent)
        for severity, kind, message in self.rows:
            lines = textwrap.wrap(message, room, break_on_hyphens=False) or [""]
            yield Segment(severity.ljust(severity_width) + " ", Style.parse(SEVERITY_STYLE[severity]))
            yield Segment(kind.ljust(kind_width) + " ", dim)
            yield Segment(lines[0])
            yield newline
            for line in lines[1:]:
                yield pad
                yield Segment(line)
                yield newline


def findings_view(title: str, findings: list[Finding] | tuple[Finding, ...]) -> Group:
    v = verdict(list(findings))
    head = Text.assemble((f" {v} ", VERDICT_STYLE[v]), " ", (title, "bold"))
    return Group(head, FindingRows(findings))


def findings_line(title: str, findings: list[Finding] | tuple[Finding, ...]) -> Text:
    """The verdict in one line: its swatch, the title, and the worst finding."""
    v = verdict(list(findings))
    line = Text.assemble((f" {v} ", VERDICT_STYLE[v]), " ", (title, "bold"))
    worst = next((f for f in findings if f.severity == Verdict.COLLISION), None) or next(
        (f for f in findings if f.severity == Verdict.WARNING), None)
    if worst is not None:
        others = sum(f.severity != Verdict.INFO for f in findings) - 1
        line.append(f": {printable(worst.message)}")
        if others:
            line.append(f" (+{others} more)", "dim")
    return line


def placement_line(p: Placement, f: Feasibility | None = None) -> Text:
    """One line: the answer to "will it work?" when it is judged (its deciding gate), else
    the layout's verdict and worst finding."""
    if f is not None and f.state != "works":
        g = f.deciding
        where = (f"{p.vcap.name} at {p.offset:#05x} (layout {p.verdict})" if p.offset is not None
                 else f"{p.vcap.name} (no safe slot)")
        if f.state == "unknown":  # what to check, by name (the panel and F1 say more)
            why = ": check " + ", ".join(x.gate for x in f.gates if x.state == "unknown")
        else:
            why = f": {g.gate}: {printable(g.evidence)}" if g is not None else ""
        return Text.assemble((f" {f.state} ", VERDICT_STYLE[f.state]), " ", (where, "bold"), why)
    if p.offset is None:
        return Text.assemble((" no safe slot ", VERDICT_STYLE[Verdict.COLLISION]), f" for {p.vcap.name}")
    return findings_line(f"{p.vcap.name} at {p.offset:#05x}, by {p.chosen_by}", p.findings)


def feasibility_text(f: Feasibility | None, p: Placement, note: str | None = None) -> Text:
    """The answer to "will it work?" in words, first in the panel (or why only the layout is
    judged)."""
    if f is None:
        return Text(note or "layout only", style="dim")
    where = f"{p.vcap.name} at {p.offset:#05x}" if p.offset is not None else p.vcap.name
    if f.state == "unknown":  # the names to check first; each gate's row below says how
        words = ("nothing rules it out; check "
                 + ", ".join(g.gate for g in f.gates if g.state == "unknown"))
    else:
        words = printable(f.headline(p.vcap.name, p.offset)).removeprefix(f"{where}: ")
    out = Text.assemble((f" {f.state} ", VERDICT_STYLE[f.state]), " ", (where, "bold"), f": {words}")
    out.append(f"\ngates: {f.summary()}", "dim")
    return out


def gates_rows(f: Feasibility) -> Text:
    out = Text()
    for g in f.gates:
        out.append(f"{g.gate:<12}", "dim")
        out.append(f"{g.state:<8}", VERDICT_STYLE[g.state])
        out.append(printable(g.evidence) + "\n")
    out.rstrip()
    return out


def plan_view(plan) -> Group:
    """Every placed capability's answer and layout verdict (after V, v, undo, open...)."""
    parts: list = [Text(f"verdicts for {plan.describe()}", style="dim")]
    for p in plan.placements:
        parts.append(feasibility_text(plan.feasibility(p), p, plan.layout_note()))
        parts.append(placement_line(p) if plan.feasibility(p) is None else
                     findings_line(f"layout: {p.vcap.name} at {p.offset or 0:#05x}", p.findings))
    return Group(*parts)


def placement_view(p: Placement, f: Feasibility | None = None, note: str | None = None) -> Group:
    """The answer to "will it work?", then the layout's verdict, the alternative offered,
    the candidates rejected, the findings, and every gate."""
    parts: list = [feasibility_text(f, p, note)]
    if p.offset is None:
        parts.append(Text.assemble((" no safe slot ", VERDICT_STYLE[Verdict.COLLISION]),
                                   f" for {p.vcap.name}"))
    else:
        v = verdict(list(p.findings))
        parts.append(Text.assemble((f" {v} ", VERDICT_STYLE[v]), " ", (
            f"layout: {p.vcap.name} at {p.offset:#05x}, chosen by {p.chosen_by} ({p.rule}{why_suffix(p)})", "bold")))
    for a in p.alternatives:
        parts.append(Text.assemble(("alternative ", "dim"), f"{a.offset:#05x} ({a.rule}): ",
                                   (printable(a.reason), "dim")))
    for r in p.rejected:
        parts.append(Text.assemble(("rejected ", "dim"), f"{r.offset:#05x} ({r.rule}): ",
                                   (printable(r.reason), "dim")))
    if p.offset is not None:
        parts.append(FindingRows(p.findings))
    if p.least_bad:
        parts.append(Text(f"least bad candidate: {p.least_bad[0]:#05x}", style="bold"))
    if f is not None:
        parts.append(gates_rows(f))
    return Group(*parts)


class VerdictLine(Widget):
    """The verdict in one line (under the map in the medium and narrow layouts)."""

    DEFAULT_CSS = "VerdictLine { height: 1; }"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._content = Text("")

    def render(self) -> RenderableType:
        return self._content

    def update(self, content: Text) -> None:
        content.no_wrap, content.overflow = True, "ellipsis"
        self._content = content
        self.refresh()


class VerdictPanel(Widget):
    """A fixed-size panel: updating it repaints only itself. (A Static's update() asks for
    a new layout of the whole screen, which costs a full repaint on every drag step.)"""

    BORDER_TITLE = "verdict"

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._content: RenderableType = Text("")

    def render(self) -> RenderableType:
        return self._content

    def update(self, content: RenderableType) -> None:
        self._content = content
        self.refresh()

    @property
    def content(self) -> RenderableType:
        return self._content
