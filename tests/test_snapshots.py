"""Snapshots of the explorer (stored in snapshots/test_snapshots/, each looked at before it
was committed): a real device's map, a ghost over a collision, the vfio view's hidden
regions, and the help screen."""

from __future__ import annotations

from tests.test_tui import SIZE, cell
from tests.tui_apps import make_app
from tui.widgets.hexmap import HexMap


def test_map_of_a_real_device(snap_compare):
    assert snap_compare(make_app("sample_dumps/intel_0d93_cxl_dvsec.txt"), terminal_size=SIZE)


def test_ghost_over_a_collision(snap_compare):
    app = make_app()

    async def run_before(pilot):
        await pilot.pause()
        assert await pilot.mouse_down("#vcap-pasid")
        await pilot.hover(HexMap, offset=cell(app, 0x104))  # inside AER
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_vfio_view_with_hidden_regions(snap_compare):
    app = make_app("sample_dumps/amd_navi21_rx6800_73bf.txt", view="vfio")

    async def run_before(pilot):
        await pilot.pause()
        await pilot.press("g", *"270", "enter")  # Secondary PCIe, hidden by vfio-pci

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_help_screen(snap_compare):
    assert snap_compare(make_app(), terminal_size=SIZE, press=["f1"])
