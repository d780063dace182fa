"""Headless commands never import Textual, and nothing imports construct until a register
decode is asked for: the CLI stays fast and the core stays pure."""

from __future__ import annotations

import subprocess
import sys

import pytest

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"
PROBE = """
import io, sys, contextlib
from capslot.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main({args!r})
print(sorted(m for m in ("textual", "construct") if m in sys.modules))
"""


@pytest.mark.parametrize("args, allowed", [
    (["show", "--json", NIC], []),
    (["show", NIC, "--view", "guest"], []),
    (["place", NIC, "--add", "pasid", "--json"], []),
    # a property needs no bytes; synthesis builds them with construct (the one encoder)
    (["export", NIC, "--add", "pasid", "--format", "qemu", "--layout-only"], []),
    (["export", NIC, "--add", "pasid", "--format", "lspci", "--layout-only"], ["construct"]),
    (["export", NIC, "--add", "pasid", "--format", "lspci"], []),  # refused: nothing synthesized
    (["survey", "--jsonl", NIC], []),
    (["caps", "pasid"], []),  # the register table is shown, not decoded
])
def test_headless_commands_import_neither_textual_nor_construct(args, allowed):
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == repr(allowed)


def test_core_never_imports_textual():
    code = "import core.layout, core.views, core.placement, core.survey, core.plan, core.explain, sys; print('textual' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"


SHOW_JSON_PROBE = """
import io, sys
from capslot.cli import main
sys.stdout = io.StringIO()  # (not contextlib: the probe must not import what it looks for)
main(["show", "--json", {dump!r}])
sys.stdout = sys.__stdout__
print(sorted(m for m in {unwanted!r} if m in sys.modules))
"""


def test_show_json_imports_only_what_it_uses():
    """`show --json` of the bytes alone (issue 14): no shutil (argparse's help width), no VMM
    table, no .coe reader, no Rich; and (issue 23) none of the start-up costs: argparse (the
    fast path reads the line), dataclasses with inspect and ast (core.record), typing, and the
    registry's register tables (only a decode needs them: the walk needs names and size rules);
    nor `re` and `enum`, with the functools, collections and contextlib they bring (~6 ms of a
    run: the dump's lines and the gaps are read with string methods, the model's constants
    are core.choices), nor the `json` package (core.jsontext writes it)."""
    unwanted = ("re", "enum", "keyword", "functools", "collections", "contextlib", "json", "types", "shutil", "capslot.core.views.vmms", "capslot.core.views.vfio", "capslot.core.sources.coe", "rich",
                "capslot.core.placement", "argparse", "dataclasses", "inspect", "ast", "typing", "textwrap",
                "capslot.core.registry.standard_tables", "capslot.core.registry.extended_tables",
                "capslot.core.registry.extended_modern_tables",
                # nor the register model (Reg, Bits): sizing a VC is done without it
                "capslot.core.registry.registers",
                # the NIC has no extended ID from 0x0020 on, nor a rare one (PCI-X, MFVC...):
                # no table of those IDs either
                "capslot.core.registry.extended_modern", "capslot.core.registry.standard_rare",
                "capslot.core.registry.extended_rare",
                # the placement service's rooms beyond the device seen (core.plan.seen)
                "capslot.core.plan.model", "capslot.core.plan.policy", "capslot.core.plan.words",
                "capslot.core.plan.exports", "capslot.core.plan.json", "capslot.core.verdicts",
                # the host's likely chain (--host-layout), the removals table (a dump whose
                # unlinked capabilities lead back into the chain)
                "capslot.core.hostchain", "capslot.core.views.removals")
    out = subprocess.run([sys.executable, "-c", SHOW_JSON_PROBE.format(dump=NIC, unwanted=unwanted)],
                         capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == "[]"


@pytest.mark.parametrize("columns", ["", "0", "50", "200", "junk"])
def test_help_width_is_argparse_own(columns, monkeypatch):
    """The CLI's formatter sizes help as argparse does (shutil.get_terminal_size), without
    importing shutil."""
    import shutil

    from capslot.tui.parsing import parser_classes

    formatter, _ = parser_classes()
    monkeypatch.setenv("COLUMNS", columns)
    assert formatter("capslot")._width == shutil.get_terminal_size().columns - 2


def test_rich_show_loads_no_emoji_table():
    """The Rich `show` hands Rich Text, never a str to scan for `:emoji:` names: Rich's emoji
    table (3,600 names) is not loaded, and a `:name:` in any cell would print as written."""
    probe = SHOW_JSON_PROBE.replace('"--json", ', "").replace(  # Rich drawing (tui/writer.py aside)
        "from capslot.cli import main", "from capslot.cli import main\nimport capslot.tui.termenv as t\n"
        "t.detect = lambda stderr=False, environ=None: None")
    out = subprocess.run([sys.executable, "-c", probe.format(
        dump=NIC, unwanted=("rich._emoji_codes", "rich.console"))],
        capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == "['rich.console']"  # Rich drew it, without the emoji table


def test_show_json_loads_no_extension_module_it_does_not_need():
    """Each extension module is a shared library to map at start-up: the walk reads its
    DWORDs with int.from_bytes (no struct), strings that need no escape are quoted by
    jsontext (no _json), and only a FIFO or pipe is polled (no select)."""
    out = subprocess.run([sys.executable, "-c", SHOW_JSON_PROBE.format(
        dump=NIC, unwanted=("_struct", "_json", "select"))],
        capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == "[]"


def test_human_show_imports_no_rich():
    """The human `show` (issue 23): written by tui/writer.py with Rich's bytes, without importing
    Rich (~80 modules) where the terminal is one it models (here: not a terminal, 80 columns)."""
    out = subprocess.run([sys.executable, "-c", SHOW_JSON_PROBE.replace('"--json", ', "").format(
        dump=NIC, unwanted=("rich", "textual"))], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
