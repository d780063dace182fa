"""The upstream path of a device as text: each port from the root complex down, its
End-End TLP Prefix support, and what that means for a synthesized PASID (the
headless commands print it; the live picker shows it), as tui/styled.py text, which the
`show` writer lays out without Rich, or as a Rich Text."""

from __future__ import annotations

from capslot.core.text import printable
from capslot.tui.colours import VERDICT_TEXT
from capslot.tui.styled import Styled
from capslot.core.topology import BLOCKED, OK, UNKNOWN, WARNING, UpstreamPath

VERDICT_STYLE = {state: VERDICT_TEXT[state] for state in (OK, WARNING, UNKNOWN, BLOCKED)}


def path_text(path: UpstreamPath):
    """The path as a rich.text.Text."""
    return path_styled(path).__rich__()


def path_styled(path: UpstreamPath) -> Styled:
    t = Styled()
    where = {"sysfs": "from sysfs", "dump": "from the bridges in this dump",
             "one device": "not in this dump"}[path.source]
    t.append(f"upstream path ({where}", "bold")
    t.append(f", root bus {printable(path.root)})" if path.root else ")", "bold")
    width = max((len(h.slot or "?") for h in path.hops), default=12)
    role_width = max((len(h.role) for h in path.hops), default=10) + len(" (device)")
    for h in path.hops:
        role = h.role + (" (device)" if h is path.device else "")
        style = "red" if h.ee_prefix is False else "yellow" if h.ee_prefix is None or h.blocking else ""
        t.append(f"\n  {(h.slot or '?'):<{width}}  {role:<{role_width}}  ")
        t.append(printable(h.describe()), style)
    for note in path.notes:
        t.append(f"\n  note: {printable(note)}", "yellow")
    state, why = path.verdict()
    t.append("\nPASID over this path: ")
    t.append(state, VERDICT_STYLE[state])
    t.append(f": {printable(why)}")
    return t
