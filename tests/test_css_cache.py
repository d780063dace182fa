"""The explorer's parsed CSS kept between runs (tui/csscache.py): a second start parses no
CSS and styles every widget as parsing would; anything else (other CSS, another theme, a bad
file, a folder that cannot be written) is a parse, as without the cache.

Each test's cache is a file of its own under tmp_path (csscache.CACHE replaced); the truth
is Textual parsing with the cache off (csscache.CACHE = None: the hook calls Textual's own)."""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import textual.css.stylesheet as stylesheet_module
from textual.css.stylesheet import Stylesheet, StylesheetParseError
from textual.widgets import Footer

from capslot.tui import csscache
from capslot.tui.widgets.chain import ChainPanel
from capslot.tui.widgets.hexmap import HexMap
from capslot.tui.widgets.palette import Palette
from tests.tui_apps import make_app

CSS = """
Thing { color: $accent; padding: 1 2; }
Thing > .part:hover { background: $accent 50%; text-style: bold; }
#other, Other.wide { width: 1fr; border: round $accent; }
"""
RED, BLUE = {"accent": "red"}, {"accent": "blue"}


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The CSS texts Textual parses (textual.css.parse.parse, as the stylesheet calls it)."""
    seen: list[str] = []
    original = stylesheet_module.parse

    def parse(scope, css, *args, **kwargs):
        seen.append(css)
        return original(scope, css, *args, **kwargs)

    monkeypatch.setattr(stylesheet_module, "parse", parse)
    return seen


@pytest.fixture
def path(tmp_path, monkeypatch) -> str:
    """This test's cache file (bytecode may be written, whatever the environment says)."""
    assert csscache.install(), "the hook is installed (Textual's _parse_rules as written for)"
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    file = str(tmp_path / "pycache" / "textual-css.pickle")
    monkeypatch.setattr(csscache, "CACHE", csscache.ParsedCSS(file))
    return file


def fresh(monkeypatch, path: str) -> csscache.ParsedCSS:
    """A new process's cache: nothing in memory, the file as the last run left it."""
    cache = csscache.ParsedCSS(path)
    monkeypatch.setattr(csscache, "CACHE", cache)
    return cache


def declared(styles) -> list[tuple[str, str]]:
    """A Styles' declarations, by value (a layout compares by identity; and Textual's own
    `.css` fails on some, as `link-background: initial`)."""
    return sorted((name, repr(value)) for name, value in styles.get_rules().items())


def described(rules) -> list[tuple]:
    return [(r.selectors, [s.specificity for s in r.selector_set], declared(r.styles), sorted(r.styles.important),
             r.is_default_rules, r.tie_breaker, sorted(r.selector_names), sorted(r.pseudo_classes))
            for r in rules]


def parsed(css: str = CSS, variables: dict[str, str] | None = None) -> list[tuple]:
    sheet = Stylesheet(variables=dict(RED if variables is None else variables))
    sheet.add_source(css, read_from=("test.tcss", ""))
    sheet.parse()
    return described(sheet.rules)


def truth(monkeypatch, css: str = CSS, variables: dict[str, str] | None = None) -> list[tuple]:
    """What Textual parses, the cache off."""
    with monkeypatch.context() as m:
        m.setattr(csscache, "CACHE", None)
        return parsed(css, variables)


# ------------------------------------------------------------------ the explorer, started twice

async def explorer_styles(size=(120, 40), then: Iterator | None = None) -> tuple[list[tuple], dict]:
    """The explorer's rules and its main widgets' computed styles at first paint."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        rules = described(app.stylesheet.rules)
        styles = {cls.__name__: (declared(app.query_one(cls).styles.base), app.query_one(cls).rich_style)
                  for cls in (HexMap, ChainPanel, Palette, Footer)}
        if then is not None:
            await then(pilot)
    return rules, styles


async def test_a_second_start_parses_no_css_and_styles_the_explorer_as_parsing_does(
        path, parses, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(csscache, "CACHE", None)
        expected = await explorer_styles()
    parses.clear()
    first = await explorer_styles()
    assert parses and os.path.exists(path), "the first start parses, and keeps it after its first frame"
    fresh(monkeypatch, path)
    parses.clear()
    second = await explorer_styles()
    assert parses == []
    assert second == first == expected


async def test_what_is_parsed_after_the_first_frame_is_kept_at_exit_and_only_then(path, parses, monkeypatch):
    async def open_help(pilot):
        await pilot.press("f1")
        await pilot.pause()
        assert type(pilot.app.screen).__name__ == "HelpScreen"

    await explorer_styles()
    written = os.stat(path).st_ino
    fresh(monkeypatch, path)
    await explorer_styles()
    assert os.stat(path).st_ino == written, "nothing new parsed: the file is left as it was"
    fresh(monkeypatch, path)
    parses.clear()
    await explorer_styles(then=open_help)
    assert parses, "the help screen's CSS was new"
    assert os.stat(path).st_ino != written
    fresh(monkeypatch, path)
    parses.clear()
    await explorer_styles(then=open_help)
    assert parses == []


# ------------------------------------------------------------------ a stylesheet's parse

def test_kept_rules_are_what_parsing_gives(path, parses, monkeypatch):
    expected = truth(monkeypatch)
    parses.clear()
    assert parsed() == expected and len(parses) == 1
    assert csscache.CACHE.save()
    fresh(monkeypatch, path)
    assert parsed() == expected and parsed() == expected
    assert parses == [CSS]  # the first, before the file was written


def test_changed_css_or_variables_are_parsed(path, parses, monkeypatch):
    other = CSS.replace("padding: 1 2", "padding: 2 1")
    red, blue, other_red = truth(monkeypatch), truth(monkeypatch, variables=BLUE), truth(monkeypatch, other)
    assert blue != red != other_red
    parsed()
    assert csscache.CACHE.save()
    fresh(monkeypatch, path)
    parses.clear()
    assert parsed(other) == other_red and parses == [other]
    assert parsed(variables=BLUE) == blue and parses == [other, CSS]
    assert parsed() == red and parses == [other, CSS]  # the kept one


def test_an_app_theme_change_is_parsed_then_kept(path, parses, monkeypatch):
    async def light(pilot):
        pilot.app.theme = "textual-light"
        await pilot.pause()

    async def run() -> list[tuple]:
        app = make_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await light(pilot)
            return described(app.stylesheet.rules)

    import asyncio

    with monkeypatch.context() as m:
        m.setattr(csscache, "CACHE", None)
        expected = asyncio.run(run())
    parses.clear()
    assert asyncio.run(run()) == expected and parses
    fresh(monkeypatch, path)
    parses.clear()
    assert asyncio.run(run()) == expected and parses == []


def test_css_with_errors_is_never_kept(path, parses, monkeypatch):
    wrong = "Thing { colr: red; }"
    for _ in range(2):
        with pytest.raises(StylesheetParseError):
            parsed(wrong)
    assert len(parses) == 2 and not csscache.CACHE.save()
    assert not os.path.exists(path)


@pytest.mark.parametrize("content", [
    b"", b"\x80\x05garbage", b"not a pickle at all",
    pickle.dumps([1, 2, 3]),  # another type
    pickle.dumps((csscache.FORMAT + 1, {})),  # another format
    pickle.dumps((csscache.FORMAT, {tuple(RED.items()): "not a dict"})),
    pickle.dumps((csscache.FORMAT, {tuple(RED.items()): {(CSS, ("test.tcss", ""), False, 0, ""): b"\x80\x05garbled"}})),
    pickle.dumps((csscache.FORMAT, {tuple(RED.items()): {(CSS, ("test.tcss", ""), False, 0, ""): pickle.dumps("text")}})),
], ids=["empty", "garbage", "text", "a list", "another format", "a bad theme", "a garbled entry", "an entry of another type"])
def test_a_bad_file_is_an_empty_cache_and_is_replaced(path, parses, monkeypatch, content):
    os.makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(content)
    parses.clear()
    assert parsed() == truth(monkeypatch) and len(parses) == 2
    assert csscache.CACHE.save()
    fresh(monkeypatch, path)
    parses.clear()
    assert parsed() == truth(monkeypatch) and len(parses) == 1  # the truth's own parse


def test_a_truncated_file_is_an_empty_cache(path, parses, monkeypatch):
    parsed()
    parsed(variables=BLUE)
    assert csscache.CACHE.save()
    whole = Path(path).read_bytes()
    for cut in (1, len(whole) // 3, len(whole) - 1):
        with open(path, "wb") as f:
            f.write(whole[:cut])
        fresh(monkeypatch, path)
        parses.clear()
        assert parsed() == truth(monkeypatch) and len(parses) == 2


def test_a_folder_that_cannot_be_written_is_no_error(tmp_path, parses, monkeypatch):
    (tmp_path / "a file").write_text("")
    cache = fresh(monkeypatch, str(tmp_path / "a file" / "textual-css.pickle"))  # its folder: a file
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert csscache.install()
    assert parsed() == truth(monkeypatch)
    assert not cache.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a file"]


def test_nothing_is_written_under_dont_write_bytecode_unless_forced(path, monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    parsed()
    assert not csscache.save() and not os.path.exists(path)
    assert csscache.CACHE.save(force=True) and os.path.exists(path)


def test_the_file_is_replaced_whole(path, parses, monkeypatch):
    """Written beside, then renamed over the old one: a reader sees the old file or the new,
    never part of one; a write that fails leaves the old file and no temporary one."""
    parsed()
    assert csscache.CACHE.save()
    old = Path(path).read_bytes()
    real_replace = os.replace
    seen = []

    def replace(src, dst):
        assert dst == path and src != dst
        assert Path(dst).read_bytes() == old  # still the old one, whole
        seen.append(pickle.loads(Path(src).read_bytes()))  # the new one, whole
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    parsed(variables=BLUE)
    assert csscache.CACHE.save() and len(seen) == 1
    assert pickle.loads(Path(path).read_bytes()) == seen[0]

    def failing(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing)
    new = Path(path).read_bytes()
    parsed(CSS + "Extra { height: 1; }")
    assert not csscache.CACHE.save()
    assert Path(path).read_bytes() == new
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]


def test_it_is_bounded_oldest_first(path, parses, monkeypatch):
    cache = csscache.CACHE
    monkeypatch.setattr(cache, "ENTRIES", 2)
    texts = [CSS.replace("padding: 1 2", f"padding: {n}") for n in range(3)]
    for text in texts:
        parsed(text)
    themes = [{"accent": colour} for colour in ("red", "blue", "green", "white", "black")]
    for variables in themes:
        parsed(variables=variables)
    assert cache.save()
    fresh(monkeypatch, path)
    parses.clear()
    for variables in themes[1:]:
        parsed(variables=variables)
    parsed(texts[0])
    assert parses == [texts[0]]  # the oldest parse of its theme dropped
    parsed(variables=themes[0])
    assert parses == [texts[0], CSS]  # the oldest theme dropped


def test_the_switch_turns_it_off(monkeypatch):
    monkeypatch.setenv(csscache.SWITCH, "0")
    monkeypatch.setattr(csscache, "_installed", None)  # a new process
    before = Stylesheet._parse_rules
    assert not csscache.install()
    assert Stylesheet._parse_rules is before and not csscache.save()


def test_another_textual_parse_rules_is_left_alone(monkeypatch):
    def _parse_rules(self, css, read_from, *, is_default_rules=False, tie_breaker=0, scope=""):
        raise AssertionError("not called here")

    monkeypatch.setattr(csscache, "_installed", None)  # a new process...
    monkeypatch.setattr(Stylesheet, "_parse_rules", _parse_rules)  # ...with another Textual
    assert not csscache.install()
    assert Stylesheet._parse_rules is _parse_rules


def test_the_file_is_named_for_this_textual_and_python():
    import textual

    path = csscache.default_path()
    assert path is not None
    assert os.path.dirname(path) == os.path.join(os.path.dirname(csscache.__file__), "__pycache__")
    assert textual.__version__ in os.path.basename(path) and sys.implementation.cache_tag in path


async def test_make_install_primes_it_for_the_first_start(path, parses, monkeypatch):
    """`make install` (tests/installed_layout.py --bundle) opens the explorer headless and
    writes what it parsed, even under PYTHONDONTWRITEBYTECODE."""
    import asyncio

    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    dump = str(Path(__file__).resolve().parent.parent / "sample_dumps" / "realtek_rtl8168_nic_b.txt")
    written = await asyncio.to_thread(csscache.prime, dump, ((80, 24),))  # (it runs its own loop)
    assert written == path
    fresh(monkeypatch, path)
    parses.clear()
    await explorer_styles(size=(80, 24))
    assert parses == []


def test_css_named_by_its_hash_is_not_kept(path, parses, monkeypatch):
    """Textual names CSS added without a location by hash(css): another name in each process
    (PYTHONHASHSEED), so kept, it would be a new entry each run and never found again."""
    sheet = Stylesheet(variables=dict(RED))
    sheet.add_source(CSS)
    sheet.parse()
    assert len(parses) == 1 and not csscache.CACHE.save()

