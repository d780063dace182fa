"""The record of an orphan capability (`layout.find_orphans`): made only when a dump holds
one, so most layouts never build its class."""

from __future__ import annotations

from .record import record
from .registry import Certainty, Space, lookup


class Orphan(metaclass=record):
    """A well-formed extended capability header that no chain reaches."""

    id: int
    version: int
    offset: int
    next: int
    size: int
    certainty: Certainty
    linked_from: int | None  # the orphan whose next pointer leads here, if any

    @property
    def name(self) -> str:
        return lookup(Space.EXTENDED, self.id).label

    @property
    def end(self) -> int:
        return self.offset + self.size
