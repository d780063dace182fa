"""The one vocabulary of judgement: a finding's severity (info, warning, collision) and a
placement's verdict (ok, warning, collision: the worst severity of its findings, info aside).

A `StrChoice` (core/choices.py: a StrEnum without `enum`): each member is equal to its
string and is written as that string (JSON, f-strings, plan files), so the contract's words
stay the same; code compares members, not
literals, so a misspelt one is a NameError rather than a comparison that is never true."""

from __future__ import annotations

from .choices import StrChoice


class Verdict(StrChoice):
    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    COLLISION = "collision"


# the order findings are listed in (the worst first), and verdicts are compared by (worst last)
LISTED = {Verdict.COLLISION: 0, Verdict.WARNING: 1, Verdict.INFO: 2}
WORSE = {Verdict.OK: 0, Verdict.INFO: 0, Verdict.WARNING: 1, Verdict.COLLISION: 2}


def worst(findings_severities: set[str]) -> Verdict:
    """The verdict of a placement from the severities of its findings: info counts as ok."""
    for v in (Verdict.COLLISION, Verdict.WARNING):
        if v in findings_severities:
            return v
    return Verdict.OK
