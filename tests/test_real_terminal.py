"""The explorer in a real terminal: tmux at 200x60, xterm SGR mouse sequences sent to the
pane. A drag of PASID onto 0xff8 of a real NIC dump writes the plan with offset 0xff8.

Screen positions come from the same layout computed headlessly at the same size."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.test_tui import SIZE
from tests.tui_apps import make_app
from tui.widgets.hexmap import HexMap

ROOT = Path(__file__).resolve().parent.parent
NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


async def _positions() -> tuple[tuple[int, int], tuple[int, int]]:
    """Screen cells (0-based) of the PASID palette entry and of byte 0xff8 once the map has
    gone to it with `g ff8 Enter`, as the headless app lays them out at 200x60."""
    app = make_app(NIC)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g", *"ff8", "enter")
        await pilot.pause()
        block = app.query_one("#vcap-pasid").region
        hexmap = app.query_one(HexMap)
        region = hexmap.scrollable_content_region
        target = (region.x + hexmap.cell_x(0xFF8), region.y + 0xFF8 // 16 - int(hexmap.scroll_offset.y))
        return (block.x + 2, block.y), target


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=False).stdout


def wait_for(predicate, timeout: float = 20.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_drag_pasid_onto_0xff8_in_tmux(tmp_path):
    import asyncio

    (bx, by), (tx, ty) = asyncio.run(_positions())
    plan = tmp_path / "plan.json"
    session = f"capslot-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    cmd = (f"cd {ROOT} && TERM=xterm-256color XDG_CONFIG_HOME={tmp_path} {sys.executable} -m tui.cli "
           f"tui {NIC} --plan {plan}")
    subprocess.run(["tmux", "-L", session, "new-session", "-d", "-s", session, "-x", str(SIZE[0]),
                    "-y", str(SIZE[1]), cmd], check=True, env=env)
    try:
        def screen() -> str:
            return subprocess.run(["tmux", "-L", session, "capture-pane", "-p", "-t", session],
                                  capture_output=True, text=True).stdout

        assert wait_for(lambda: "virtual capabilities" in screen()), screen()

        def send(text: str, literal: bool = True) -> None:
            subprocess.run(["tmux", "-L", session, "send-keys", "-t", session,
                            *(["-l"] if literal else []), text], check=True)

        send("g")
        assert wait_for(lambda: "go to offset" in screen()), screen()
        send("ff8")
        send("Enter", literal=False)
        assert wait_for(lambda: "ff0" in screen())
        sgr = lambda b, x, y, end="M": f"\x1b[<{b};{x + 1};{y + 1}{end}"
        send(sgr(0, bx, by))  # press on the PASID palette entry
        time.sleep(0.3)
        for step in range(1, 6):  # motion with the left button held, towards 0xff8
            x = bx + (tx - bx) * step // 5
            y = by + (ty - by) * step // 5
            send(sgr(32, x, y))
            time.sleep(0.1)
        send(sgr(0, tx, ty, "m"))  # release on 0xff8
        assert wait_for(lambda: plan.exists() and json.loads(plan.read_text())["placements"]), screen()
        (placed,) = json.loads(plan.read_text())["placements"]
        assert (placed["vcap"], placed["offset"], placed["verdict"]) == ("pasid", 0xFF8, "ok")
        send("C-q", literal=False)
    finally:
        subprocess.run(["tmux", "-L", session, "kill-server"], capture_output=True)
