"""The verdict panel: what the validator says about the virtual capability being moved or
under the cursor, finding by finding, and why auto placement chose what it chose."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text
from rich.console import RenderableType
from textual.widget import Widget

from core.placement import Finding, Placement
from core.placement.validate import verdict
from core.text import printable
from tui.colours import VERDICT_STYLE

SEVERITY = {"collision": "bold red", "warning": "yellow", "info": "cyan"}


def findings_view(title: str, findings: list[Finding] | tuple[Finding, ...]) -> Group:
    v = verdict(list(findings))
    head = Text.assemble((f" {v} ", VERDICT_STYLE[v]), " ", (title, "bold"))
    table = Table.grid(padding=(0, 1))
    for f in findings:
        table.add_row(Text(f.severity, style=SEVERITY[f.severity]), Text(f.kind, style="dim"),
                      Text(printable(f.message)))
    return Group(head, table)


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

    def idle(self, hint: str) -> None:
        self.update(Text(hint, style="dim"))
