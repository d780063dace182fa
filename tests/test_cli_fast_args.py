"""The command line's fast path (issue 23): the common command lines are read without
argparse, and must give exactly what argparse gives. The truth is argparse itself, run on
the same parser the CLI builds; the fast path may only ever decline (argparse then reads
the line, with its help, errors and suggestions)."""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.cli import ROOT
from capslot import cli
from capslot.tui.parsing import UsageError

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"
PARSERS = {name: cli.build_parser(name) for name in cli.COMMANDS}


def by_argparse(argv: list[str]) -> dict | None:
    """What argparse makes of argv: its namespace, or None for an error or a help text."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return vars(PARSERS[argv[0]].parse_args(argv))
    except (UsageError, SystemExit):
        return None


def actions(name: str) -> list[argparse.Action]:
    """The arguments of the command's own parser, as argparse holds them."""
    (sub,) = [a for a in PARSERS[name]._actions if isinstance(a, argparse._SubParsersAction)]
    return [a for a in sub.choices[name]._actions if a.dest != "help"]


VALUES = ["x", NIC, "-", "0xff8", "pasid", "pasid@0xff8", ""]
JUNK = ["-x", "--", "-h", "--help", "--js", "--vie", "-1", "--view=bogus", "--json=1", "-oout", "a b",
        "-o", "--add", "extra"]


@st.composite
def command_lines(draw):
    """Mostly lines argparse accepts (each argument in any order, `--opt value` or
    `--opt=value`), some with a word that is not."""
    name = draw(st.sampled_from(cli.COMMANDS))
    parts = []
    for action in draw(st.lists(st.sampled_from(actions(name)), max_size=6)):
        if not action.option_strings:
            parts.append([draw(st.sampled_from(VALUES))])
            continue
        flag = draw(st.sampled_from(action.option_strings))
        if action.nargs == 0:
            parts.append([flag])
            continue
        value = draw(st.sampled_from([*(action.choices or ()), *VALUES]))
        parts.append([f"{flag}={value}"] if flag.startswith("--") and draw(st.booleans()) else [flag, value])
    if draw(st.integers(0, 3)) == 0:
        parts.insert(draw(st.integers(0, len(parts))), [draw(st.sampled_from(JUNK))])
    return [name, *(word for part in parts for word in part)]


@settings(max_examples=1500, deadline=None)
@given(command_lines())
def test_the_fast_path_reads_a_line_as_argparse_does_or_declines(argv):
    fast = cli._fast_args(argv)
    if fast is not None:
        assert vars(fast) == by_argparse(argv), argv


COMMON = [
    ["show", "--json", NIC], ["show", NIC], ["show", NIC, "--json", "--view", "guest"],
    ["show", "--view=vfio", NIC, "--map", "text", "-o", "-"], ["show", "--json"],
    ["place", NIC, "--add", "pasid", "--json"], ["place", "--add=pasid", "--add", "vsec:40", NIC],
    ["check", NIC, "--add", "pasid@0xff8", "--layout-only", "--vmm", "crosvm"],
    ["path", NIC, "--json"], ["diff", NIC, NIC, "--json"], ["caps", "pasid"], ["caps"],
    ["tui", NIC, "--plan", "p.json"], ["show", "--device", "0000:00:1f.0", "--json"],
]


def test_the_common_lines_take_the_fast_path_with_argparses_answer():
    for argv in COMMON:
        fast = cli._fast_args(argv)
        assert fast is not None, argv
        assert vars(fast) == by_argparse(argv), argv


def test_append_defaults_are_never_shared_between_runs():
    first = cli._fast_args(["show", NIC, "--add", "pasid@0xff8"])
    second = cli._fast_args(["show", NIC])
    assert first.add == ["pasid@0xff8"] and second.add == []


def test_lines_the_fast_path_leaves_to_argparse_still_get_its_errors_and_help():
    def run(*args):
        return subprocess.run([sys.executable, "-m", "capslot", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=60)

    r = run("show", NIC, "--view", "bogus")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("capslot: usage: argument --view: invalid choice: 'bogus'"), r.stderr
    r = run("place", NIC, "--json")
    assert r.returncode == 2 and "the following arguments are required: --add" in r.stderr
    r = run("show", "--help")
    assert r.returncode == 0 and r.stdout.startswith("usage: capslot show") and "--json" in r.stdout
    r = run("show", NIC, "--js")  # an abbreviation: argparse's to allow
    assert r.returncode == 0 and r.stdout.startswith("{"), r.stderr
    r = run("shwo", NIC)
    assert r.returncode == 2 and "did you mean `capslot show`?" in r.stderr
