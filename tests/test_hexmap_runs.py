"""The map draws a row with no overlay as few segments as it looks (tui/widgets/hexmap.py
plain_row): every cell must still look as the byte-by-byte drawing says. The truth per cell is
the byte's region style (byte_styles: the colours tests/test_tui.py checks against the
regions) for its two hex digits, and the canvas for every other cell."""

from __future__ import annotations

import pytest

from capslot.core.placement import DeviceTable
from capslot.core.sources import load
from capslot.tui.colours import CANVAS
from capslot.tui.session import Session
from capslot.tui.widgets.hexmap import HEX, LABEL_W, MID_GAP, ROW_W, ROWS, byte_styles, plain_row

DUMPS = ["sample_dumps/realtek_rtl8168_nic_b.txt", "sample_dumps/intel_0d93_cxl_dvsec.txt",
         "sample_dumps/amd_fiji_gpu_7300_rebar.txt"]


def look(style, ch: str) -> tuple:
    """What a terminal shows of a cell: a blank's foreground shows nothing."""
    ink = ch != " " or style.underline or style.reverse or style.strike
    return (ch, style.color if ink else None, style.bgcolor, bool(style.bold) and ink,
            bool(style.italic) and ink, bool(style.underline), bool(style.reverse), bool(style.strike))


def cells(segments) -> list[tuple]:
    return [look(s.style, ch) for s in segments for ch in s.text]


@pytest.mark.parametrize("dump", DUMPS)
@pytest.mark.parametrize("view", ["hardware", "guest"])
def test_each_cell_looks_as_its_byte(dump, view):
    layout = Session(load(dump), view_name=view, table=DeviceTable.load(use_overlay=False)).synthesized()
    styles = byte_styles(layout)
    data = bytes(layout.space.data[:4096]).ljust(4096, b"\0")
    shown = [HEX[b] for b in data]
    canvas_seen = 0
    for row in range(ROWS):
        got = cells(plain_row(shown, styles, row))
        assert len(got) == ROW_W
        digits = {}
        for i in range(16):
            x = LABEL_W + 3 * i + (MID_GAP if i >= 8 else 0)
            digits[x], digits[x + 1] = (row * 16 + i, 0), (row * 16 + i, 1)
        for x, cell in enumerate(got[LABEL_W:], LABEL_W):
            if x in digits:
                pos, k = digits[x]
                assert cell == look(styles[pos], f"{data[pos]:02x}"[k]), (row, x)
            else:  # the gaps between bytes: the canvas, nothing drawn across
                assert cell[0] == " " and cell[2].triplet.hex == CANVAS.lower() and cell[5:] == (False,) * 3, (row, x)
                canvas_seen += 1
        assert "".join(c[0] for c in got[:LABEL_W]) == f"{row * 16:03x}  "
    assert canvas_seen == ROWS * (16 + MID_GAP)


def test_a_row_of_one_region_is_one_run():
    layout = Session(load(DUMPS[0]), table=DeviceTable.load(use_overlay=False)).synthesized()
    styles = byte_styles(layout)
    row = next(r for r in range(ROWS) if len({id(styles[r * 16 + i]) for i in range(16)}) == 1
               and not styles[r * 16].underline and styles[r * 16].bgcolor.triplet.hex == CANVAS.lower())
    assert len(plain_row([HEX[0]] * 4096, styles, row)) == 2  # the label, then the sixteen bytes
