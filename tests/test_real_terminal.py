"""The explorer in a real terminal: tmux at 200x60, xterm SGR mouse sequences sent to the
pane. A drag of PASID onto 0xff8 of a real NIC dump writes the plan with offset 0xff8.

Screen positions come from the same layout computed headlessly at the same size. Every step
waits for what the previous one must have put on the screen (polling tmux capture-pane),
never for a fixed time, so a loaded machine makes the test slower, not red."""

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
from capslot.tui.widgets.hexmap import HexMap

ROOT = Path(__file__).resolve().parent.parent
NIC = str(ROOT / "sample_dumps/realtek_rtl8168_nic_b.txt")  # absolute: the suite runs from any folder
TIMEOUT = 120.0  # seconds for one condition: generous, since a loaded machine only slows it
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


async def _positions() -> tuple[tuple[int, int], tuple[int, int], int]:
    """Screen cells (0-based) of the PASID palette entry and of byte 0xff8 once the map has
    gone to it with `g ff8 Enter`, and the column of the map's row labels, as the headless app
    lays them out at 200x60."""
    app = make_app(NIC)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g", *"ff8", "enter")
        await pilot.pause()
        palette = app.query_one("#palette")
        block = palette.region.offset + palette.entry_offset("pasid")
        hexmap = app.query_one(HexMap)
        region = hexmap.scrollable_content_region
        target = (region.x + hexmap.cell_x(0xFF8), region.y + 0xFF8 // 16 - int(hexmap.scroll_offset.y))
        return (block.x + 2, block.y), target, region.x


def wait_for(predicate, timeout: float = TIMEOUT) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)  # the poll interval of a condition, not a guess at how long a step takes
    return predicate()


class Pane:
    """`capslot tui ARGS` in its own tmux server (a pane of SIZE; the runner's COLUMNS and
    LINES, which pytest-xdist sets in workers, are not passed on); killed on leaving."""

    def __init__(self, tmp_path: Path, args: str) -> None:
        self.server = f"capslot-{uuid.uuid4().hex[:8]}"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("TMUX") and k not in ("COLUMNS", "LINES")}
        cmd = (f"cd {ROOT} && TERM=xterm-256color XDG_CONFIG_HOME={tmp_path} {sys.executable} "
               f"-m capslot tui {args}")
        subprocess.run(["tmux", "-L", self.server, "-f", "/dev/null", "new-session", "-d", "-s",
                        self.server, "-x", str(SIZE[0]), "-y", str(SIZE[1]), cmd], check=True, env=env)

    def __enter__(self) -> Pane:
        return self

    def __exit__(self, *exc: object) -> None:
        subprocess.run(["tmux", "-L", self.server, "kill-server"], capture_output=True)

    def lines(self) -> list[str]:
        return subprocess.run(["tmux", "-L", self.server, "capture-pane", "-p", "-t", self.server],
                              capture_output=True, text=True).stdout.splitlines()

    def screen(self) -> str:
        return "\n".join(self.lines())

    def send(self, *keys: str, literal: bool = False) -> None:
        subprocess.run(["tmux", "-L", self.server, "send-keys", "-t", self.server,
                        *(["-l"] if literal else []), *keys], check=True)

    def quit_and_wait(self) -> None:
        self.send("q")
        assert wait_for(lambda: subprocess.run(["tmux", "-L", self.server, "has-session", "-t",
                                                self.server], capture_output=True).returncode != 0), \
            self.screen()


def test_drag_pasid_onto_0xff8_in_tmux(tmp_path):
    import asyncio

    (bx, by), (tx, ty), label_x = asyncio.run(_positions())
    plan = tmp_path / "plan.json"
    with Pane(tmp_path, f"{NIC} --plan {plan}") as pane:
        screen, lines = pane.screen, pane.lines

        def send(text: str, literal: bool = True) -> None:
            pane.send(text, literal=literal)

        def row_label_at(y: int, label: str) -> bool:
            rows = lines()
            return len(rows) > y and rows[y][label_x:label_x + 3] == label

        assert wait_for(lambda: " dvsec " in screen() and "drag a virtual" in screen()), screen()  # the palette, the verdict
        send("g")
        assert wait_for(lambda: "go to offset" in screen()), screen()
        send("ff8")
        send("Enter", literal=False)
        assert wait_for(lambda: "go to offset" not in screen() and row_label_at(ty, "ff0")), screen()

        sgr = lambda b, x, y, end="M": f"\x1b[<{b};{x + 1};{y + 1}{end}"
        send(sgr(0, bx, by))  # press on the PASID palette entry
        assert wait_for(lambda: "carrying pasid" in screen()), screen()
        for step in range(1, 5):  # motion with the left button held, towards 0xff8
            send(sgr(32, bx + (tx - bx) * step // 5, by + (ty - by) * step // 5))
        send(sgr(32, tx, ty))
        assert wait_for(lambda: "pasid at 0xff8" in screen()), screen()  # the live verdict there
        send(sgr(0, tx, ty, "m"))  # release on 0xff8
        assert wait_for(lambda: plan.exists() and json.loads(plan.read_text())["placements"]), screen()
        (placed,) = json.loads(plan.read_text())["placements"]
        assert (placed["vcap"], placed["offset"], placed["verdict"]) == ("pasid", 0xFF8, "ok")
        # the answer first (this NIC has no PASID: never synthesized), then the layout's verdict
        assert wait_for(lambda: "not-synthesized" in screen() and "pasid at 0xff8" in screen()), screen()
        pane.quit_and_wait()


def test_a_device_switch_never_overwrites_the_plan_file_in_tmux(tmp_path):
    """Issue 21's replay with real keys: `capslot tui two-devices.txt --plan p.json`, pick A,
    `a`, `d`, pick B, `a`: p.json still holds A's plan (the explorer asked, and the default
    is to keep B's placements unsaved)."""
    nic = (ROOT / NIC).read_text()
    other = (ROOT / "sample_dumps/intel_82576_nic_10c9_sriov.txt").read_text()
    dump = tmp_path / "two-devices.txt"
    dump.write_text(nic + other)
    plan = tmp_path / "p.json"
    with Pane(tmp_path, f"{dump} --plan {plan}") as pane:
        screen, send = pane.screen, pane.send

        def plan_doc() -> dict | None:
            try:
                return json.loads(plan.read_text())
            except (OSError, ValueError):
                return None

        assert wait_for(lambda: "2 devices in this file" in screen()), screen()
        send("Enter")  # A: the Realtek NIC
        assert wait_for(lambda: "2 devices in this file" not in screen()), screen()
        send("a")
        assert wait_for(lambda: (plan_doc() or {}).get("placements")), screen()
        held = plan.read_bytes()
        assert plan_doc()["device"]["vendor_id"] == 0x10EC
        send("d")
        assert wait_for(lambda: "2 devices in this file" in screen()), screen()
        send("Down")
        send("Enter")  # B: the Intel NIC
        assert wait_for(lambda: "keep working unsaved" in screen()), screen()
        send("Enter")  # keep working unsaved (the default)
        assert wait_for(lambda: "keep working unsaved" not in screen()), screen()
        send("a")
        assert wait_for(lambda: "auto-placed" in screen()), screen()
        assert plan.read_bytes() == held
        doc = plan_doc()
        assert doc["device"]["vendor_id"] == 0x10EC and [p["vcap"] for p in doc["placements"]] == ["pasid"]
        pane.quit_and_wait()
