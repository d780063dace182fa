"""The tables of the headless commands (tui.render.Table) draw plain tables themselves rather
than through Rich's Table: what they yield must be what Rich's Table yields for the same table,
segment for segment (so the same bytes, coloured or not, and the same pictures exported), at
every width: where columns fit, where Rich shrinks and wraps them, and where Rich must lay the
table out itself. Rich is the truth here: each table is also built as a rich.table.Table."""

from __future__ import annotations

import io
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich import box
from rich.console import Console
from rich.table import Table as RichTable
from rich.text import Text

from capslot.core.capture import detect
from capslot.core.hostchain import host_layout as host_rows
from capslot.core.layout import build
from capslot.core.sources import load
from capslot.core.views import view
from capslot.tui import render

WIDTHS = (200, 100, 80, 60, 44, 30, 12)


def _console(width: int, colour: bool = True) -> Console:
    return Console(width=width, file=io.StringIO(), force_terminal=colour,
                   color_system="truecolor" if colour else None, highlight=False,
                   soft_wrap=False, markup=False)


def _same_as_rich(table: render.Table, width: int) -> bool:
    """The segments are those of Rich's Table; returns whether the table was drawn without it."""
    console = _console(width)
    ours = list(console.render(table))
    rich_table = table.rich()
    assert isinstance(rich_table, RichTable)
    assert ours == list(console.render(rich_table)), width
    for colour in (True, False):  # and so the bytes printed
        printed = []
        for renderable in (table, rich_table):
            c = _console(width, colour)
            c.print(renderable)
            printed.append(c.file.getvalue())
        assert printed[0] == printed[1]
    return table.plain and table.lines(width) is not None


# guest dumps (reasons, host layout), orphans, problems, long names, a wide chain
DUMPS = ["intel_0d93_cxl_dvsec", "amd_fiji_gpu_7300_rebar", "realtek_rtl8168_nic_b",
         "samsung_pm1743_nvme_a826", "intel_82576_nic_10c9_sriov", "virtio_net_1000_256_VIRTUAL"]


@pytest.mark.parametrize("name", DUMPS)
def test_the_tables_of_show_are_rich_tables(name):
    (cs,) = load(f"sample_dumps/{name}.txt")
    hardware = build(cs)
    tables = []
    for layout in (hardware, view(hardware, "vfio"), view(hardware, "guest")):
        tables += [render.chain_table(layout), render.legend(layout), render.problems(layout),
                   render.orphans(layout), render.reasons(layout)]
    tables.append(render.host_layout(host_rows(hardware), detect(hardware)))
    drawn = 0
    for table in tables:
        if isinstance(table, render.Table):
            for width in WIDTHS:
                drawn += _same_as_rich(table, width)
    assert drawn, "no table drawn without Rich's layout"


def test_the_knowledge_tables_are_rich_tables():
    from capslot.core import registry
    from capslot.core.placement import TEMPLATES

    for table in (render.caps_table(registry.entries()), render.templates(list(TEMPLATES.values()))):
        for width in (200, 80):
            _same_as_rich(table, width)


def test_a_plain_table_takes_rich_tables_defaults():
    """What a plain table leaves out is what Rich's Table would take."""
    import inspect

    from rich.table import Column

    table = inspect.signature(RichTable).parameters
    for name, value in render._TABLE_DEFAULTS.items():
        assert table[name].default == value, name  # (the box: rich_box of our name)
    assert (table["style"].default, table["header_style"].default) == ("none", "table.header")
    assert table["border_style"].default is None and table["row_styles"].default is None
    column = Column()
    for name, value in render._COLUMN_DEFAULTS.items():
        assert getattr(column, name) == value, name
    assert (column.style, column.header_style) == ("", "")
    grid = RichTable.grid(padding=(0, 2))
    ours = render.Table.grid(padding=(0, 2))
    assert {name: getattr(grid, name) for name in ours.options if name != "padding"} == \
        {name: value for name, value in ours.options.items() if name != "padding"}
    assert grid.padding == render._unpack(ours.options["padding"])


words = st.text(alphabet=string.ascii_letters + "  ≥-_", max_size=14)
styles = st.sampled_from(["", "bold", "red", "dim italic", "black on #a6d8ff"])


@st.composite
def tables(draw) -> render.Table:
    grid = draw(st.booleans())
    padding = draw(st.sampled_from([(0, 1), (0, 2), 0, (0, 1, 0, 3)]))
    if grid:
        table = render.Table.grid(padding=padding)
    else:
        table = render.Table(
            title=draw(st.none() | words), title_justify=draw(st.sampled_from(["left", "center", "right"])),
            box=draw(st.sampled_from([box.SIMPLE_HEAD, box.HEAVY_HEAD, box.ROUNDED, None])),
            padding=padding, pad_edge=draw(st.booleans()), show_header=draw(st.booleans()),
            show_edge=draw(st.booleans()), collapse_padding=draw(st.booleans()),
            min_width=draw(st.none() | st.integers(10, 90)))
        if draw(st.booleans()):
            table.caption = draw(words)
    ncols = draw(st.integers(1, 5))
    for _ in range(ncols):
        table.add_column(draw(words), justify=draw(st.sampled_from(["left", "right", "center"])),
                         overflow=draw(st.sampled_from(["ellipsis", "fold", "crop"])),
                         no_wrap=draw(st.booleans()), vertical=draw(st.sampled_from(["top", "bottom"])))
    for _ in range(draw(st.integers(0, 5))):
        cells = []
        for _ in range(ncols):
            pieces = draw(st.lists(st.tuples(words, styles), max_size=3))
            cell = Text.assemble(*pieces) if draw(st.booleans()) else "".join(p for p, _ in pieces)
            if isinstance(cell, Text) and draw(st.booleans()):
                cell.stylize(draw(styles))
            cells.append(cell)
        table.add_row(*cells)
    return table


@settings(max_examples=300, deadline=None)
@given(tables(), st.sampled_from([100, 60, 40, 25, 14, 8]))
def test_any_plain_table_is_drawn_as_rich_draws_it(table, width):
    _same_as_rich(table, width)


PROBE = """
import io, os, sys, contextlib
os.environ["COLUMNS"] = {columns!r}
from capslot.cli import main
import capslot.tui.termenv as t  # Rich drawing (tui/writer.py draws without Rich at all)
t.detect = lambda stderr=False, environ=None: None
with contextlib.redirect_stdout(io.StringIO()):
    main(["show", {dump!r}])
print(sorted(m for m in ("rich.console", "rich.table", "fractions", "decimal") if m in sys.modules))
"""


@pytest.mark.parametrize("columns", ["80", "200"])
def test_rich_show_never_imports_richs_table(columns):
    """Its tables are plain: Rich's Table (with fractions and decimal, ~5 ms) is not imported."""
    import subprocess
    import sys

    probe = PROBE.format(columns=columns, dump=f"sample_dumps/{DUMPS[0]}.txt")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "['rich.console']"
