"""The verdict: what the validator says about the virtual capability being moved or just
placed, finding by finding, and why auto placement chose what it chose. The panel holds it
all; the one-line form sits under the map where the panels are tabs, so a verdict is on
screen whichever tab is open. Red is for verdicts only (tui/colours.py)."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from rich.console import RenderableType
from textual.widget import Widget

from core.placement import Finding, Placement
from core.placement.validate import verdict
from core.text import printable
from tui.colours import SEVERITY_STYLE, VERDICT_STYLE


def findings_view(title: str, findings: list[Finding] | tuple[Finding, ...]) -> Group:
    v = verdict(list(findings))
    head = Text.assemble((f" {v} ", VERDICT_STYLE[v]), " ", (title, "bold"))
    table = Table.grid(padding=(0, 1))
    for f in findings:
        table.add_row(Text(f.severity, style=SEVERITY_STYLE[f.severity]), Text(f.kind, style="dim"),
                      Text(printable(f.message)))
    return Group(head, table)


def findings_line(title: str, findings: list[Finding] | tuple[Finding, ...]) -> Text:
    """The verdict in one line: its swatch, the title, and the worst finding."""
    v = verdict(list(findings))
    line = Text.assemble((f" {v} ", VERDICT_STYLE[v]), " ", (title, "bold"))
    worst = next((f for f in findings if f.severity == "collision"), None) or next(
        (f for f in findings if f.severity == "warning"), None)
    if worst is not None:
        others = sum(f.severity != "info" for f in findings) - 1
        line.append(f": {printable(worst.message)}")
        if others:
            line.append(f" (+{others} more)", "dim")
    return line


def placement_line(p: Placement) -> Text:
    if p.offset is None:
        return Text.assemble((" no safe slot ", VERDICT_STYLE["collision"]), f" for {p.vcap.name}")
    return findings_line(f"{p.vcap.name} at {p.offset:#05x}, by {p.chosen_by}", p.findings)


def placement_view(p: Placement) -> Group:
    if p.offset is None:
        parts: list = [Text.assemble((" no safe slot ", VERDICT_STYLE["collision"]),
                                     f" for {p.vcap.name}")]
    else:
        parts = [findings_view(f"{p.vcap.name} at {p.offset:#05x}, chosen by {p.chosen_by} ({p.rule})",
                               p.findings)]
    for r in p.rejected:
        parts.append(Text.assemble(("rejected ", "dim"), f"{r.offset:#05x} ({r.rule}): ",
                                   (printable(r.reason), "dim")))
    if p.least_bad:
        parts.append(Text(f"least bad candidate: {p.least_bad[0]:#05x}", style="bold"))
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
