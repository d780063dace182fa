"""Textual's parsed stylesheets, kept between runs beside this package's bytecode.

Why: every start of the explorer parsed all its Textual CSS again (tui/app.tcss, our
widgets' DEFAULT_CSS and Textual's own: App, Screen, Header, Footer...), some 21 parses of
18 sources before the first frame: kept, a first paint at 200x60 is ~1252M -> ~1204M
instructions (80x24: ~1124M -> ~1073M); unpickling the kept rules is most of what is left
of it (~15M). A parse is a pure function of its five arguments (the CSS text, where it was read
from, whether it is a widget's default CSS, its tie breaker and scope) and the stylesheet's
variables (the theme's), so its result, pickled, can stand for it in the next run, as a .pyc
stands for compiling a module (core/record.py keeps its compiled __init__s the same way).

How: `install()` (the explorer's App, once per process) wraps Textual's
`Stylesheet._parse_rules` at class level (so the fresh Stylesheets of `reparse()` and
`copy()` use it too). A parse not in the stylesheet's own cache is looked up here by its
exact five arguments under its exact variables; found, the pickled rules are unpickled (new
objects, as a parse makes); else it is parsed as Textual does and, when no rule has errors,
kept. `save()` writes the file (after the first frame, and at exit when something new was
parsed since: a dialog, the help, another theme).

The file: `__pycache__/textual-css.<Textual version>.<cache tag>.pickle` (pickled rules are
valid only for the Textual that made them), written like a .pyc: not when
sys.dont_write_bytecode, atomically (a temporary file, then os.replace), and a folder that
cannot be written is no error. A missing, truncated, garbled or foreign file is an empty
cache. Like a .pyc, it is trusted as what this package wrote (unpickling runs its content).
Bounded: the last THEMES variable sets, ENTRIES parses each, the oldest dropped first.

`CAPSLOT_CSS_CACHE=0` turns it off (nothing installed: benchmarks/tui_speed.py measures the
first paint both ways). Other Textual apps of the same process get from it exactly what
parsing would give them.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from textual.css.model import RuleSet
    from textual.css.stylesheet import Stylesheet

FORMAT = 1  # of the pickled (FORMAT, {variables: {parse arguments: pickled rules}})
# Textual's `Stylesheet._parse_rules(self, css, read_from, is_default_rules, tie_breaker,
# scope)`: the signature the hook was written for; another one, and nothing is installed
SIGNATURE = ("self", "css", "read_from", "is_default_rules", "tie_breaker", "scope")
SWITCH = "CAPSLOT_CSS_CACHE"  # "0": off

ParseKey = tuple  # (css, read_from, is_default_rules, tie_breaker, scope)


def textual_version() -> str | None:
    """Textual's version, from its dist-info folder's name beside it (importlib.metadata
    costs a start-up ~10M instructions of imports); None when it cannot be told."""
    import os

    import textual

    site = os.path.dirname(os.path.dirname(textual.__file__))
    try:
        found = [name for name in os.listdir(site)
                 if name.startswith("textual-") and name.endswith(".dist-info")]
    except OSError:
        found = []
    if len(found) == 1:
        return found[0][len("textual-"):-len(".dist-info")]
    try:  # another layout (several dist-infos, a source tree): ask importlib
        return str(textual.__version__)
    except Exception:  # no metadata at all: nothing to name the file by
        return None


def default_path() -> str | None:
    """The file, in this package's __pycache__ (None: Textual's version is unknown)."""
    import os

    version = textual_version()
    if version is None or sys.implementation.cache_tag is None:
        return None
    return os.path.join(os.path.dirname(__file__), "__pycache__",
                        f"textual-css.{version}.{sys.implementation.cache_tag}.pickle")


class ParsedCSS:
    """The kept parses: {variables: {parse arguments: pickled rules}}, read at first use,
    oldest first (a variable set or a parse used again moves to the end)."""

    THEMES = 4  # variable sets (themes) kept
    ENTRIES = 256  # parses kept per variable set (~25 a run: dialogs and help included)

    def __init__(self, path: str | None = None) -> None:
        self._path = path  # None: default_path(), worked out when the file is first read
        # {variables: {parse arguments: the pickled rules, or the rules parsed in this process}}
        self._themes: dict[tuple, dict[ParseKey, Any]] | None = None
        self._variables: dict[str, str] | None = None  # the variables last looked up...
        self._entries: dict[ParseKey, Any] = {}  # ...and their parses (memo by identity)
        self.changed = False  # a parse kept since the file was read or written

    @property
    def path(self) -> str | None:
        if self._path is None:
            self._path = default_path() or ""
        return self._path or None

    def _load(self) -> dict[tuple, dict[ParseKey, Any]]:
        import pickle

        path = self.path
        if path is None:
            return {}
        try:
            with open(path, "rb") as f:
                data = pickle.loads(f.read())
        except Exception:  # missing, unreadable, truncated, garbled: an empty cache
            return {}
        if type(data) is not tuple or len(data) != 2 or data[0] != FORMAT or type(data[1]) is not dict:
            return {}
        return data[1]

    def entries(self, variables: dict[str, str]) -> dict[ParseKey, Any]:
        """The kept parses made with `variables`. Textual gives a stylesheet a new dict when
        the variables change (set_variables) and never changes one in place, so the answer
        is kept for the dict object last asked about."""
        if variables is self._variables:
            return self._entries
        if self._themes is None:
            self._themes = self._load()
        key = tuple(variables.items())  # exact: every name and value, in order
        try:
            hash(key)
        except TypeError:  # a value that cannot be a key (not Textual's strings): not kept
            return {}
        entries = self._themes.pop(key, None)
        if type(entries) is not dict:
            entries = {}
        self._themes[key] = entries  # the newest
        while len(self._themes) > self.THEMES:
            del self._themes[next(iter(self._themes))]
        self._variables, self._entries = variables, entries
        return entries

    def rules(self, variables: dict[str, str], key: ParseKey) -> list[RuleSet] | None:
        """The kept rules of the parse `key` with `variables`, new objects; None if not kept
        (or kept unreadable: then dropped, so the parse is kept again)."""
        entries = self.entries(variables)
        kept = entries.pop(key, None)
        if kept is None:
            return None
        import pickle

        from textual.css.model import RuleSet

        try:
            kept = _pickled(kept)  # (rules parsed in this process: asked again by another stylesheet)
            rules = pickle.loads(kept)
        except Exception:
            rules = None
        if type(rules) is not list or any(type(rule) is not RuleSet for rule in rules):
            self.changed = True  # rewritten without it
            return None
        entries[key] = kept  # the newest
        return rules

    def keep(self, variables: dict[str, str], key: ParseKey, rules: list[RuleSet]) -> None:
        """Keep a parse's rules, unless a rule has errors (Textual reports them, and parses
        such CSS again each time) or its key changes with each process. They are pickled
        when the file is written (after the first frame: a first run pays no more before it
        than a run without the cache)."""
        if any(rule.errors for rule in rules):
            return
        css, read_from = key[0], key[1]
        if type(read_from) is tuple and read_from == ("", str(hash(css))):
            return  # CSS added from nowhere: named by its hash, another in each process
        entries = self.entries(variables)
        entries[key] = rules
        while len(entries) > self.ENTRIES:
            del entries[next(iter(entries))]
        self.changed = True

    def save(self, force: bool = False) -> bool:
        """Write the file if a parse was kept since it was read (`force`: even under
        sys.dont_write_bytecode). Whether it was written."""
        path = self.path
        if not self.changed or path is None or self._themes is None or (
                sys.dont_write_bytecode and not force):
            return False
        import os
        import pickle

        for entries in self._themes.values():
            for key, kept in list(entries.items()):
                if type(kept) is not bytes:  # parsed in this process
                    try:
                        entries[key] = _pickled(kept)
                    except Exception:  # what cannot be pickled is not kept
                        del entries[key]
        temporary = f"{path}.{os.getpid()}.tmp"
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(temporary, "wb") as f:
                f.write(pickle.dumps((FORMAT, self._themes), pickle.HIGHEST_PROTOCOL))
            os.replace(temporary, path)
        except OSError:  # a folder that cannot be written: no cache, no error
            import contextlib  # a failed write only: no start-up import

            with contextlib.suppress(OSError):
                os.unlink(temporary)
            return False
        self.changed = False
        return True


def _pickled(kept: bytes | list[RuleSet]) -> bytes:
    """A kept parse as bytes: read from the file, or rules parsed in this process."""
    if type(kept) is bytes:
        return kept
    import pickle

    return pickle.dumps(kept, pickle.HIGHEST_PROTOCOL)


CACHE: ParsedCSS | None = ParsedCSS()  # the hook's (tests give it a file of their own; None: off)
_installed: bool | None = None  # install()'s answer, once per process


def install() -> bool:
    """Wrap Textual's `Stylesheet._parse_rules` with the cache, once per process; whether it
    is installed (not when CAPSLOT_CSS_CACHE=0, nor for a `_parse_rules` of another shape)."""
    global _installed
    if _installed is not None:
        return _installed
    import os

    from textual.css.stylesheet import Stylesheet

    original = Stylesheet._parse_rules
    code = getattr(original, "__code__", None)
    _installed = (os.environ.get(SWITCH) != "0" and code is not None
                  and code.co_argcount == len(SIGNATURE) and code.co_varnames[:len(SIGNATURE)] == SIGNATURE)
    if _installed:
        Stylesheet._parse_rules = _hook(original)  # type: ignore[method-assign]
    return _installed


def _hook(original: Callable[..., list[RuleSet]]) -> Callable[..., list[RuleSet]]:
    def _parse_rules(self: Stylesheet, css: str, read_from: Any, is_default_rules: bool = False,
                     tie_breaker: int = 0, scope: str = "") -> list[RuleSet]:
        cache, parsed = CACHE, getattr(self, "_parse_cache", None)
        if cache is None or parsed is None:
            return original(self, css, read_from, is_default_rules, tie_breaker, scope)
        key = (css, read_from, is_default_rules, tie_breaker, scope)  # Textual's own key
        rules = parsed.get(key)  # this stylesheet's parses first, as Textual looks
        if rules is not None:
            return rules
        variables = self._variables
        rules = cache.rules(variables, key)
        if rules is not None:
            parsed[key] = rules
            return rules
        rules = original(self, css, read_from, is_default_rules, tie_breaker, scope)
        cache.keep(variables, key, rules)
        return rules

    _parse_rules.__wrapped__ = original  # type: ignore[attr-defined]
    _parse_rules.__doc__ = original.__doc__
    return _parse_rules


def save() -> bool:
    """Write the kept parses if any is new (tui/app.py: after the first frame, at exit)."""
    return CACHE.save() if CACHE is not None and _installed else False


def prime(dump: str, sizes: tuple[tuple[int, int], ...] = ((80, 24), (120, 40), (200, 60))) -> str | None:
    """Open the explorer on `dump` at each size (headless, to its first frame) and write what
    it parsed, as `make install` does (whatever PYTHONDONTWRITEBYTECODE says: it compiles the
    package's bytecode too), so that even the first start parses no CSS. The file's path, or
    None when nothing could be written (the cache off, or the folder not writable)."""
    import asyncio

    from capslot.core.placement import DeviceTable  # (the explorer's: it imports this module)
    from capslot.core.sources import load
    from capslot.tui.app import CapslotApp
    from capslot.tui.session import Session

    if not install() or CACHE is None:
        return None

    async def open_at(size: tuple[int, int]) -> None:
        app = CapslotApp(Session(load(dump), table=DeviceTable.load(use_overlay=False)), dump)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()

    for size in sizes:
        asyncio.run(open_at(size))
    CACHE.save(force=True)
    import os

    path = CACHE.path
    return path if path is not None and not CACHE.changed and os.path.exists(path) else None
