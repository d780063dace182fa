"""What a plan raises: a usage error (exit 2) or the policy's refusal (exit 1)."""

from __future__ import annotations

from ..space import DumpError

MAX_PLACEMENTS = 1024  # DWORDs in the extended space: no plan can place more


class PlanError(DumpError):
    """A plan that cannot be answered as asked (usage): exit 2, one line."""


class Refused(Exception):
    """Placements the policy refuses (exit 1): one line per refused placement."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("; ".join(lines))
        self.lines = lines


