"""Every verdict current (issue 21): V, v, undo/redo and export re-judge what is placed; a
refused drop's red line does not outlive the next change; the inspector speaks of the VMM
chosen."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from tests.tui_apps import make_app
from capslot.tui.widgets.verdict import VerdictPanel

NIC = str(Path(__file__).resolve().parent.parent / "sample_dumps/realtek_rtl8168_nic_b.txt")


def panel_text(app) -> str:
    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    for w in app.query(VerdictPanel):
        console.print(w.content)
    return console.export_text()


async def test_v_and_undo_rejudge_what_is_placed():
    app = make_app(NIC)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.press("a")
        await pilot.press("V")  # another VMM: the PASID is judged for it
        await pilot.pause()
        text = panel_text(app)
        assert app.session.target.vmm != "qemu"
        assert "pasid at 0xff8" in text and app.session.target.vmm in text, text
        await pilot.press("v")
        await pilot.pause()
        assert "pasid at 0xff8" in panel_text(app)
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert app.session.placed == [] and "pasid at" not in panel_text(app)
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert "pasid at 0xff8" in panel_text(app)


async def test_a_refused_drop_does_not_stay_after_a_view_switch():
    app = make_app(NIC)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.press("p")  # carry PASID; drop it on the header
        app.drop(0x0)
        await pilot.pause()
        assert "refused" in panel_text(app)
        await pilot.press("v")
        await pilot.pause()
        assert "refused" not in panel_text(app)


async def test_the_inspector_names_the_vmm_chosen():
    app = make_app(NIC)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.press("V")
        await pilot.pause()
        from tests.test_tui import screen_lines

        text = "\n".join(screen_lines(app))
        assert "qemu:" not in text and f"{app.session.target.vmm}:" in text, text
