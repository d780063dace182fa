"""Regular expressions compiled on first use: compiling one costs 0.1-0.3 ms, and a module's
patterns are mostly for inputs or sinks that a given run never meets (a `show --json` of an
lspci dump needs none of the survey's or Rich's)."""

from __future__ import annotations

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    import re
    from typing import Any


# re.IGNORECASE, re.MULTILINE, re.DOTALL: their values (sre_constants' SRE_FLAG_*), so a
# lazy pattern's flags need no `re` at import; tests/test_lazyre.py holds them to re's
IGNORECASE, MULTILINE, DOTALL = 2, 8, 16


class LazyPattern:
    """Stands for `re.compile(pattern, flags)`: `.match`, `.finditer`, `.sub`... compile it
    the first time one is used."""

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._source, self._flags = pattern, flags

    @property
    def compiled(self) -> re.Pattern:
        """The pattern, compiled (and `re` imported: ~3 ms with the enum and functools it
        brings) the first time it is asked for."""
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            import re

            compiled = self.__dict__["_compiled"] = re.compile(self._source, self._flags)
        return compiled

    def __getattr__(self, name: str) -> Any:
        return getattr(self.compiled, name)
