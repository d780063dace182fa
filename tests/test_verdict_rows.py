"""The verdict panel's findings (tui/widgets/verdict.py `FindingRows`) read as the Rich table
they replaced (a `Table.grid`, drawn by Rich itself, is the reference): same words, same
columns, same wrapping, on the findings of real placements at several panel widths."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from rich.table import Table
from rich.text import Text

from capslot.core.placement import DeviceTable, parse_vcap
from capslot.core.sources import load
from capslot.core.text import printable
from capslot.tui.session import Session
from capslot.tui.widgets.verdict import FindingRows

SAMPLES = Path(__file__).resolve().parent.parent / "sample_dumps"
DUMPS = ["realtek_rtl8168_nic_b.txt", "intel_82576_nic_10c9_sriov.txt", "amd_fiji_gpu_7300_rebar.txt",
         "samsung_pm1743_nvme_a826.txt"]
OFFSETS = [0x40, 0x100, 0x104, 0x160, 0x1FC, 0x400, 0xFF8, 0xFFC, 0xFF9]


def table_reference(findings) -> Table:
    table = Table.grid(padding=(0, 1))
    for f in findings:
        table.add_row(Text(f.severity), Text(f.kind), Text(printable(f.message)))
    return table


def lines(renderable, width: int) -> list[str]:
    console = Console(width=width, force_terminal=False, color_system=None, record=True)
    with console.capture() as out:
        console.print(renderable)
    return [line.rstrip() for line in out.get().splitlines()]


@pytest.mark.parametrize("dump", DUMPS)
def test_finding_rows_read_as_rich_table(dump):
    session = Session(load(str(SAMPLES / dump)), table=DeviceTable.load(use_overlay=False))
    compared = 0
    for name in ("pasid", "pri", "vsec"):
        for offset in OFFSETS:
            findings = session.preview(parse_vcap(name), offset)
            if not findings:
                continue
            for width in (40, 61, 94, 140):
                assert lines(FindingRows(findings), width) == lines(table_reference(findings), width), (
                    dump, name, hex(offset), width)
                compared += 1
    assert compared >= 20
