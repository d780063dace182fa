"""Snapshots of the explorer (stored in snapshots/test_snapshots/, each looked at before it
was committed): a real device's map and a ghost over a collision in each layout (80x24,
120x40, 200x60), an orphan decoded in the inspector, the vfio view's hidden regions, the help
screen, and a terminal too small to use."""

from __future__ import annotations

import pytest

from tests.test_tui import SIZES, cell, ids
from tests.tui_apps import make_app
from capslot.tui.widgets.hexmap import HexMap


@pytest.mark.parametrize("size", SIZES, ids=ids)
def test_map_of_a_real_device(snap_compare, size):
    assert snap_compare(make_app("sample_dumps/intel_0d93_cxl_dvsec.txt"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=ids)
def test_ghost_over_a_collision(snap_compare, size):
    app = make_app()

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("g", *"104", "enter")
        await pilot.pause()
        palette = app.query_one("#palette")
        assert await pilot.mouse_down("#palette", offset=palette.entry_offset("pasid"))
        assert await pilot.hover(HexMap, offset=cell(app, 0x104))  # inside AER
        await pilot.pause()
        assert app.query_one(HexMap).ghost.verdict == "collision"

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=ids)
def test_the_answer_after_a_drop(snap_compare, size):
    """PASID dropped at 0xff8 on the Fiji GPU (it has a PASID, hidden by vfio-pci): the
    verdict says first whether the guest gets a working PASID (unknown from one dump: the
    path and the host IOMMU), then the layout, the 1:1 alternative and the gates."""
    app = make_app("sample_dumps/amd_fiji_gpu_7300_rebar.txt")

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("p", "end", "enter")
        await pilot.pause()
        assert [s.request.offset for s in app.session.placed] == [0xFF8]

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_orphan_in_the_inspector(snap_compare):
    app = make_app("sample_dumps/samsung_pm1743_nvme_a826.txt", view="hardware")

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("g", *"23a", "enter", "2")  # ACS, in the chain nothing links to

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_vfio_view_with_hidden_regions(snap_compare):
    app = make_app("sample_dumps/amd_navi21_rx6800_73bf.txt", view="vfio")

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("g", *"270", "enter")  # Secondary PCIe, hidden by vfio-pci

    assert snap_compare(app, terminal_size=(200, 60), run_before=run_before)


def test_help_screen(snap_compare):
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["f1"])


def test_too_small(snap_compare):
    assert snap_compare(make_app(), terminal_size=(50, 15))
