"""Explorer speed at 200x60: start-up to first paint, and per drag step (validate + redraw)
p50/p95 over 200 steps, and a full hex map redraw. Prints figures; targets: first paint < 0.5 s,
p95 step < 16 ms, map redraw a few ms."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"

FIRST_PAINT = f"""
import time, sys
sys.path.insert(0, {str(ROOT)!r})
t0 = time.perf_counter()
from core.placement import DeviceTable
from core.sources import load
from textual.screen import Screen
from tui.app import CapslotApp
from tui.session import Session

first = []
original = Screen._compositor_refresh
def timed(self, *a, **kw):
    result = original(self, *a, **kw)
    if not first:
        first.append(time.perf_counter() - t0)  # the first frame is composed
    return result
Screen._compositor_refresh = timed

class Once(CapslotApp):
    def on_mount(self):
        super().on_mount()
        self.call_after_refresh(self._painted)
    def _painted(self):
        print(first[0], time.perf_counter() - t0)
        self.exit()

Once(Session(load({NIC!r}), table=DeviceTable.load(use_overlay=False))).run(headless=True, size=(200, 60))
"""


def first_paint(runs: int = 7) -> tuple[list[float], list[float], list[float]]:
    frame, settled, whole = [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", FIRST_PAINT], capture_output=True, text=True,
                             cwd=ROOT, check=True).stdout
        whole.append(time.perf_counter() - t)
        a, b = out.strip().splitlines()[-1].split()
        frame.append(float(a))
        settled.append(float(b))
    return frame, settled, whole


async def map_redraw(n: int = 50) -> tuple[list[float], list[float]]:
    """A new layout shown on the map (styles for 4096 bytes recomputed, row cache cleared) and
    every visible row rebuilt through render_line; and all 256 rows of the 4 KiB likewise."""
    from tests.tui_apps import make_app
    from tui.widgets.hexmap import HexMap

    visible, whole = [], []
    app = make_app(NIC)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        hexmap = app.query_one(HexMap)
        layout = app.session.synthesized()
        rows = hexmap.scrollable_content_region.height
        for _ in range(n):
            for count, out in ((rows, visible), (256, whole)):
                t = time.perf_counter()
                hexmap.show(layout)
                for y in range(count):
                    hexmap.render_line(y)
                out.append(time.perf_counter() - t)
    return visible, whole


async def drag_steps(n: int = 200) -> tuple[list[float], list[float], list[float]]:
    from textual.screen import Screen

    from tests.tui_apps import make_app
    from tui.widgets.hexmap import HexMap

    refresh_time = [0.0]
    original = Screen._compositor_refresh

    def timed(self, *a, **kw):
        t = time.perf_counter()
        try:
            return original(self, *a, **kw)
        finally:
            refresh_time[0] += time.perf_counter() - t

    Screen._compositor_refresh = timed
    validate, redraw = [], []
    app = make_app(NIC)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.press("p")  # carry PASID with the keyboard: the same preview as a drag
        await pilot.pause()
        hexmap = app.query_one(HexMap)
        top = int(hexmap.scroll_offset.y) * 16
        for i in range(n):
            offset = top + (i * 52) % (40 * 16)  # wander over the visible rows
            refresh_time[0] = 0.0
            t = time.perf_counter()
            app.preview(offset & ~3)
            validate.append(time.perf_counter() - t)
            await pilot.pause()
            redraw.append(refresh_time[0])
    Screen._compositor_refresh = original
    total = [a + b for a, b in zip(validate, redraw)]
    return validate, redraw, total


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    frame, settled, whole = first_paint()
    print(f"first paint (imports + mount + first frame composed): median {statistics.median(frame) * 1000:.0f} ms, "
          f"best {min(frame) * 1000:.0f} ms")
    print(f"settled (inspector and chain filled in after it):     median {statistics.median(settled) * 1000:.0f} ms")
    print(f"whole process, interpreter start to exit:             median {statistics.median(whole) * 1000:.0f} ms")
    visible, whole_map = asyncio.run(map_redraw())
    validate, redraw, total = asyncio.run(drag_steps())
    for label, xs in (("map redraw, visible rows", visible), ("map redraw, all 256 rows", whole_map),
                      ("validate + ghost + verdict", validate), ("compositor redraw", redraw),
                      ("drag step total", total)):
        print(f"{label:28s} p50 {pct(xs, 0.5) * 1000:6.2f} ms   p95 {pct(xs, 0.95) * 1000:6.2f} ms   "
              f"max {max(xs) * 1000:6.2f} ms   (n={len(xs)})")


if __name__ == "__main__":
    main()
