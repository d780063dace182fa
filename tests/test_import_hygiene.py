"""Headless commands never import Textual, and nothing imports construct until a register
decode is asked for: the CLI stays fast and the core stays pure."""

from __future__ import annotations

import subprocess
import sys

import pytest

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"
PROBE = """
import io, sys, contextlib
from tui.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    main({args!r})
print(sorted(m for m in ("textual", "construct") if m in sys.modules))
"""


@pytest.mark.parametrize("args, allowed", [
    (["show", "--json", NIC], []),
    (["show", NIC, "--view", "guest"], []),
    (["place", NIC, "--add", "pasid", "--json"], []),
    # a property needs no bytes; synthesis builds them with construct (the one encoder)
    (["export", NIC, "--add", "pasid", "--format", "qemu"], []),
    (["export", NIC, "--add", "pasid", "--format", "lspci"], ["construct"]),
    (["survey", "--jsonl", NIC], []),
    (["caps", "pasid"], []),  # the register table is shown, not decoded
])
def test_headless_commands_import_neither_textual_nor_construct(args, allowed):
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()[-1]
    assert out == repr(allowed)


def test_core_never_imports_textual():
    code = "import core.layout, core.views, core.placement, core.survey, core.diff, core.explain, sys; print('textual' in sys.modules, 'rich' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False False"
