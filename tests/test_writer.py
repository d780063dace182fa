"""The human `show` written without Rich (tui/writer.py) writes Rich's bytes: the truth is
Rich itself (its Style.render, its Console's detection, its console.print of the same
pieces), imported here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.color import ColorSystem
from rich.console import Console
from rich.style import Style

from capslot.tui import colours, pieces, sgr, termenv
from capslot.tui.styled import modelled, one_cell_characters

SYSTEMS = {sgr.STANDARD: ColorSystem.STANDARD, sgr.EIGHT_BIT: ColorSystem.EIGHT_BIT,
           sgr.TRUECOLOR: ColorSystem.TRUECOLOR}
_fresh = Style.parse.__wrapped__  # (Style.parse is cached, and a Style keeps its first codes)


def _rich_render(style: str, system: str, no_colour: bool = False) -> str:
    parsed = _fresh(Style, style)
    if no_colour:
        parsed = parsed.without_color
    return parsed.render("x", color_system=SYSTEMS[system])


def _capslot_styles() -> set[str]:
    found = set(colours.REGION_STYLE.values()) | set(colours.VERDICT_STYLE.values()) \
        | set(colours.VERDICT_TEXT.values()) | set(colours.SEVERITY_STYLE.values()) \
        | {colours.cap_style(c) for c in colours.PALETTE} | {"bold " + colours.cap_style(c) for c in colours.PALETTE}
    found |= set(pieces.VISIBILITY_STYLE.values()) | set(pieces.CERTAINTY_STYLE.values()) \
        | set(pieces.ACCESS_STYLE.values())
    return found | {"dim", "bold", "cyan", "green", "yellow", "red", "bold yellow", "bold red",
                    "bold green", "bold cyan", "italic", "italic dim", "bright_green"}


@pytest.mark.parametrize("system", list(SYSTEMS))
def test_every_style_capslot_uses_is_written_as_rich_writes_it(system):
    for style in sorted(_capslot_styles()):
        for no_colour in (False, True):
            assert sgr.styled("x", style, system, no_colour) == _rich_render(style, system, no_colour), style


colour = st.one_of(
    st.sampled_from(sorted(sgr.NAMED) + ["default"]),
    st.integers(0, 0xFFFFFF).map(lambda v: f"#{v:06x}"),
    st.integers(0, 255).map(lambda v: f"color({v})"),
    st.tuples(*[st.integers(0, 255)] * 3).map(lambda t: "rgb({},{},{})".format(*t)))
words = st.lists(st.one_of(st.sampled_from(sorted(sgr._BITS)), colour, colour.map(lambda c: "on " + c)),
                 max_size=5).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(words, st.sampled_from(list(SYSTEMS)), st.booleans())
def test_any_style_of_the_grammar_is_written_as_rich_writes_it(style, system, no_colour):
    assert sgr.styled("x", style, system, no_colour) == _rich_render(style, system, no_colour)


def test_the_characters_taken_as_one_cell_are_one_cell_for_rich():
    from rich.cells import cell_len

    ours = one_cell_characters()
    assert all(cell_len(ch) == 1 for ch in ours)
    assert all(modelled(ch) == (ch in ours) for ch in map(chr, range(0x3000)))


env_values = st.one_of(st.none(), st.sampled_from(["", "0", "1", "40", "80", "200", "abc", "-5", "²", " 80"]))
terms = st.one_of(st.none(), st.sampled_from(["", "dumb", "unknown", "xterm", "xterm-256color", "kitty",
                                               "screen-16color", "vt100", "DUMB"]))


@settings(max_examples=300, deadline=None)
@given(env_values, env_values, terms, st.one_of(st.none(), st.sampled_from(["", "truecolor", "24bit", "x"])),
       st.one_of(st.none(), st.sampled_from(["", "1", "0"])), st.one_of(st.none(), st.sampled_from(["", "1", "x"])),
       st.one_of(st.none(), st.sampled_from(["", "0", "1"])))
def test_the_terminal_is_the_one_rich_sees(columns, lines, term, colour_term, no_colour, force, compatible):
    env = {k: v for k, v in {"COLUMNS": columns, "LINES": lines, "TERM": term, "COLORTERM": colour_term,
                             "NO_COLOR": no_colour, "FORCE_COLOR": force, "TTY_COMPATIBLE": compatible}.items()
           if v is not None}
    ours = termenv.detect(environ=env)
    try:
        console = Console(_environ=env, highlight=False, soft_wrap=False, markup=False)
        width = console.width
    except ValueError:  # (Rich fails on a digit int() refuses)
        assert ours is None
        return
    if ours is None:  # not modelled: only where Rich's width is too small, or unusual digits
        assert width < termenv.MIN_WIDTH or any(not v.isascii() for v in env.values() if v.isdigit())
        return
    assert ours.width == width
    assert ours.system == (None if console._color_system is None else
                           {v: k for k, v in SYSTEMS.items()}[console._color_system])
    assert ours.no_colour == console.no_color


# ---- the whole `show`, ours against Rich's print of the same pieces (in a child process)

PROBE = """
import sys
from capslot.cli import main
if sys.argv[1] == "rich":  # the Rich console, as before the writer
    import capslot.tui.termenv as t
    t.detect = lambda stderr=False, environ=None: None
main(sys.argv[2:])
print(sorted(m for m in ("rich", "textual") if m in sys.modules), file=sys.stderr)
"""
ENVS = [{}, {"COLUMNS": "40"}, {"COLUMNS": "120"}, {"COLUMNS": "200"},
        {"FORCE_COLOR": "1", "TERM": "xterm"}, {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "120"},
        {"FORCE_COLOR": "1", "COLORTERM": "truecolor", "COLUMNS": "200"},
        {"FORCE_COLOR": "1", "NO_COLOR": "1", "TERM": "xterm-256color"}, {"FORCE_COLOR": "1", "TERM": "dumb"},
        {"TTY_COMPATIBLE": "1", "COLUMNS": "40", "COLORTERM": "24bit"}, {"COLUMNS": "250", "LINES": "10"},
        {"FORCE_COLOR": "1", "TERM": "screen-16color", "COLUMNS": "60"}]
DUMPS = sorted(f"sample_dumps/{n}" for n in os.listdir("sample_dumps")
               if n.endswith(".txt") and not n.endswith(".lspci.txt") and n[0].islower())


def _run(mode: str, args: list[str], env: dict[str, str]):
    base = {k: v for k, v in os.environ.items()
            if k not in ("COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE")}
    return subprocess.run([sys.executable, "-c", PROBE, mode, *args], capture_output=True,
                          env={**base, **env}, stdin=subprocess.DEVNULL)


CASES = [(d, ENVS[i % len(ENVS)], ([] if i % 3 else ["--view", ("vfio", "guest")[i % 2]])
          + (["--add", "pasid@0x" + ("ff8" if i % 4 else "100")] if i % 5 == 1 else [])
          + (["--host-layout"] if i % 7 == 2 else []))
         for i, d in enumerate(DUMPS)]


@pytest.mark.parametrize("dump, env, extra", CASES, ids=[c[0].split("/")[-1] for c in CASES])
def test_show_writes_richs_bytes_without_rich(dump, env, extra):
    rich, ours = _run("rich", ["show", dump, *extra], env), _run("ours", ["show", dump, *extra], env)
    assert ours.returncode == rich.returncode
    assert ours.stdout == rich.stdout
    assert ours.stderr.splitlines()[:-1] == rich.stderr.splitlines()[:-1]
    assert ours.stderr.splitlines()[-1] == b"[]"  # neither rich nor textual imported
    assert b"\x1b" not in ours.stdout.replace(b"\x1b[", b"")  # no escape but Rich's own


@pytest.mark.parametrize("wide", ["", " 网卡"])
def test_a_hostile_device_line_is_shown_as_rich_shows_it(tmp_path, wide):
    """Escapes, CR, U+202E and zero-width characters arrive escaped (core.text.printable),
    with Rich's bytes; a wide character (not modelled here) leaves the device to Rich."""
    src = Path("sample_dumps/realtek_rtl8168_nic_b.txt").read_text(encoding="utf-8").splitlines()
    src[0] = src[0][:8] + f"Ethernet \x1b[31mred\x1b]0;title\x07 \r\u202e evil \u200b{wide} name"
    dump = tmp_path / "hostile.txt"
    dump.write_text("\n".join(src) + "\n", encoding="utf-8")
    for env in ({}, {"FORCE_COLOR": "1", "COLORTERM": "truecolor"}):
        rich, ours = _run("rich", ["show", str(dump)], env), _run("ours", ["show", str(dump)], env)
        assert ours.stdout == rich.stdout and ours.returncode == rich.returncode
        assert b"evil" in ours.stdout and b"\\x1b]0;title" in ours.stdout
        assert b"\x1b]" not in ours.stdout and b"\r" not in ours.stdout and "\u202e".encode() not in ours.stdout
        assert ours.stderr.splitlines()[-1] == (b"['rich']" if wide else b"[]")
    # among other devices: each device is written whole by one of the two, with the same bytes
    two = tmp_path / "two.txt"
    two.write_text(Path("sample_dumps/intel_ich7_pcie_port1_27d0.txt").read_text(encoding="utf-8")
                   + dump.read_text(encoding="utf-8"), encoding="utf-8")
    env = {"FORCE_COLOR": "1", "TERM": "xterm-256color"}
    assert _run("ours", ["show", str(two)], env).stdout == _run("rich", ["show", str(two)], env).stdout


def test_many_devices_with_the_rule_between(tmp_path):
    dump = tmp_path / "two.txt"
    dump.write_text("".join(Path(f"sample_dumps/{n}.txt").read_text(encoding="utf-8") for n in
                            ("intel_ich7_pcie_port1_27d0", "realtek_rtl8168_nic_b")), encoding="utf-8")
    dump = str(dump)
    for env in ({}, {"FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "120"}):
        for extra in ([], ["--add", "pasid@0x100"]):  # the verdicts, the path as a gate
            ours, rich = _run("ours", ["show", dump, *extra], env), _run("rich", ["show", dump, *extra], env)
            assert ours.stdout == rich.stdout and ours.stderr.splitlines()[-1] == b"[]"
            width = int(env.get("COLUMNS", "80"))
            rules = [line for line in ours.stdout.decode().splitlines()
                     if line.removeprefix("\x1b[92m").startswith("─" * width)]
            assert len(rules) == 1 and b"PASID over this path" in ours.stdout


def test_a_stream_that_is_not_utf8_is_left_to_rich():
    env = {"PYTHONIOENCODING": "latin-1", "FORCE_COLOR": "1"}
    dump = "sample_dumps/realtek_rtl8168_nic_b.txt"
    ours, rich = _run("ours", ["show", dump], env), _run("rich", ["show", dump], env)
    assert (ours.returncode, ours.stdout) == (rich.returncode, rich.stdout)
    assert ours.stderr.splitlines()[-1] == b"['rich']"


def test_windows_and_jupyter_are_left_to_rich(monkeypatch):
    import builtins

    assert termenv.detect(environ={"COLUMNS": "80"}) is not None
    monkeypatch.setattr(builtins, "get_ipython", lambda: None, raising=False)
    assert termenv.detect(environ={"COLUMNS": "80"}) is None
    monkeypatch.delattr(builtins, "get_ipython")
    monkeypatch.setattr(sys, "platform", "win32")
    assert termenv.detect(environ={"COLUMNS": "80"}) is None



# ---- in-process: the writer against a Rich Console printing the same pieces, many combinations

def _forget_richs_codes() -> None:
    """A Rich Style keeps the codes of the first colour system it was rendered for, and Rich
    shares Styles (its theme, its parse and sum caches): in one process, each colour system
    needs them forgotten."""
    from rich.default_styles import DEFAULT_STYLES

    Style.parse.cache_clear()
    Style._add.cache_clear()
    for style in DEFAULT_STYLES.values():
        style._ansi = None


def _show(argv: list[str], terminal, monkeypatch) -> str:
    """`capslot show` as written to `terminal` (ours), or by a Rich Console made alike."""
    import io

    from capslot import show
    from capslot.cli import build_parser

    buffer = io.StringIO()
    if terminal.file == "ours":
        monkeypatch.setattr(termenv, "detect", lambda stderr=False, environ=None: termenv.Terminal(
            terminal.width, terminal.system, terminal.no_colour, buffer))
    else:
        _forget_richs_codes()
        monkeypatch.setattr(termenv, "detect", lambda stderr=False, environ=None: None)
        monkeypatch.setattr(show, "new_console", lambda stderr=False: Console(
            file=buffer, width=terminal.width, height=25, color_system=terminal.system,
            force_terminal=terminal.system is not None, no_color=terminal.no_colour, _environ={},
            highlight=False, soft_wrap=False, markup=False))
    args = build_parser("show").parse_args(["show", *argv])
    assert show.cmd_show(args) == 0
    return buffer.getvalue()


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(DUMPS), st.sampled_from([[], ["--view", "vfio"], ["--view", "guest"]]),
       st.sampled_from([[], ["--add", "pasid@0xff8"], ["--add", "pasid@0x100"]]),
       st.sampled_from([[], ["--host-layout"]]), st.sampled_from([40, 80, 120, 200, 250]),
       st.sampled_from([None, *SYSTEMS]), st.booleans())
def test_every_form_of_show_prints_as_rich_prints_it(dump, view_args, add, host, width, system, no_colour):
    import pytest as _pytest

    with _pytest.MonkeyPatch.context() as monkeypatch:
        argv = [dump, *view_args, *add, *host]
        ours = _show(argv, termenv.Terminal(width, system, no_colour, "ours"), monkeypatch)
        rich = _show(argv, termenv.Terminal(width, system, no_colour, "rich"), monkeypatch)
    assert ours == rich


def test_a_closed_pipe_ends_show_as_rich_ends_it(tmp_path):
    """`capslot show MANY | head -1`: exit status 1, nothing on stderr (Console.on_broken_pipe)."""
    dump = tmp_path / "many.txt"
    dump.write_text(Path("sample_dumps/intel_ich7_pcie_port1_27d0.txt").read_text(encoding="utf-8") * 40,
                    encoding="utf-8")
    results = []
    for mode in ("ours", "rich"):
        base = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR", "NO_COLOR")}
        child = subprocess.Popen([sys.executable, "-c", PROBE, mode, "show", str(dump)], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base)
        first = child.stdout.readline()
        child.stdout.close()
        stderr = child.stderr.read()
        child.stderr.close()
        results.append((first, child.wait(), stderr))
    assert results[0] == results[1]
    assert results[0][1] == 1 and results[0][2] == b""


WIDTHS = (40, 80, 120, 200, 250)
COLOURS = ((None, False), (sgr.STANDARD, False), (sgr.EIGHT_BIT, False), (sgr.TRUECOLOR, False),
           (sgr.TRUECOLOR, True), (sgr.EIGHT_BIT, True))


@pytest.mark.parametrize("dump", DUMPS, ids=[d.split("/")[-1] for d in DUMPS])
def test_every_dump_in_every_view_prints_as_rich_prints_it(dump, monkeypatch):
    """Each sample dump in the three views, the width, colours, --add and --host-layout taken
    in turn (the combinations: the hypothesis test above)."""
    n = DUMPS.index(dump)
    for k, view_args in enumerate(([], ["--view", "vfio"], ["--view", "guest"])):
        i = 3 * n + k
        argv = [dump, *view_args, *(["--add", "pasid@0xff8"] if i % 4 == 1 else []),
                *(["--host-layout"] if i % 5 == 2 else [])]
        system, no_colour = COLOURS[i % len(COLOURS)]
        width = WIDTHS[i % len(WIDTHS)]
        ours = _show(argv, termenv.Terminal(width, system, no_colour, "ours"), monkeypatch)
        rich = _show(argv, termenv.Terminal(width, system, no_colour, "rich"), monkeypatch)
        assert ours == rich, (argv, width, system, no_colour)
