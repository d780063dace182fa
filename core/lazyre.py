"""Regular expressions compiled on first use: compiling one costs 0.1-0.3 ms, and a module's
patterns are mostly for inputs or sinks that a given run never meets (a `show --json` of an
lspci dump needs none of the survey's or Rich's)."""

from __future__ import annotations

import re
from functools import cached_property
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    from typing import Any


class LazyPattern:
    """Stands for `re.compile(pattern, flags)`: `.match`, `.finditer`, `.sub`... compile it
    the first time one is used."""

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._source, self._flags = pattern, flags

    @cached_property
    def compiled(self) -> re.Pattern:
        return re.compile(self._source, self._flags)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled, name)
