"""Explorer speed in each layout (80x24 narrow, 120x40 medium, 200x60 wide), side by side:

- first paint: a fresh process, from interpreter start to the first frame composed;
- F1: from the key to the help screen's first frame;
- drag step: real mouse events (Pilot mouse_down on PASID, then hover over the map, then
  mouse_up), each step timed from the move reaching the palette (dragging PASID) to the frame
  that shows the new ghost and verdict (validation + redraw), p50 / p95 / max;
- map redraw (200x60): a new layout on the map and every visible row rebuilt.

Targets: first paint at most 1.3x a bare Textual app of the same size (started in
alternation with it, a warm-up pair first; the ratio is the median of the per-pair ratios), F1 < 0.2 s, drag step p95 < 16 ms and max < 30 ms.
The first paint is measured twice: with the explorer's CSS cache (tui/csscache.py, written by
the warm-up round) and without it (CAPSLOT_CSS_CACHE=0), in the same rounds: the second row
says how much of the ratio is that cache (the bare app has none: part of what it saves is
the parsing of Textual's own CSS, which the bare app pays too).
The drag step's floor is printed beside it: a bare Textual app's mouse-move-to-frame step,
which Textual's 60 frames a second pacing puts near 1/60 s whatever the app does.
Run on a quiet machine (`make bench`); the figures are wall time."""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import bytecode_env  # noqa: E402 - imported after sys.path names the project

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"
SIZES = ((80, 24), (120, 40), (200, 60))

# Both probes time from interpreter start (t0) to the first frame composed.
FIRST_FRAME = """
first = []
original = Screen._compositor_refresh
def timed(self, *a, **kw):
    result = original(self, *a, **kw)
    if not first:
        first.append(time.perf_counter() - t0)  # the first frame is composed
    return result
Screen._compositor_refresh = timed
"""
FIRST_PAINT = """
import time, sys
sys.path.insert(0, {root!r})
t0 = time.perf_counter()
from capslot.core.placement import DeviceTable
from capslot.core.sources import load
from textual.screen import Screen
from capslot.tui.app import CapslotApp
from capslot.tui.session import Session

{clock}
class Once(CapslotApp):
    def on_mount(self):  # Textual calls CapslotApp.on_mount as well: not again from here
        self.call_after_refresh(self._painted)
    def _painted(self):
        print(first[0])
        self.exit()

Once(Session(load({nic!r}), table=DeviceTable.load(use_overlay=False))).run(headless=True, size={size!r})
"""
# The floor: a minimal Textual app of the same size (a header, a line of text, a footer),
# timed the same way from interpreter start to its first frame.
BARE = """
import time, sys
t0 = time.perf_counter()
from textual.app import App
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

{clock}
class Bare(App):
    def compose(self):
        yield Header()
        yield Static("hello")
        yield Footer()
    def on_mount(self):
        self.call_after_refresh(self._painted)
    def _painted(self):
        print(first[0])
        self.exit()

Bare().run(headless=True, size={size!r})
"""


def first_paint(size: tuple[int, int], runs: int = 15) -> tuple[list[float], list[float], list[float]]:
    """(capslot, capslot without its CSS cache, the bare app), round by round: a warm-up round
    first (it also writes the CSS cache, tui/csscache.py), then `runs` rounds, the order
    reversed every other round (so none always starts on another's warm caches). Fifteen
    rounds: on this shared machine one start's wall time varies by a third either way (per-pair
    ratios 0.7-1.9), and nine rounds moved the median by up to 0.2."""
    out: tuple[list[float], list[float], list[float]] = ([], [], [])
    env = bytecode_env()
    env.pop("CAPSLOT_CSS_CACHE", None)  # on
    envs = (env, {**env, "CAPSLOT_CSS_CACHE": "0"}, env)
    for n in range(runs + 1):
        order = (0, 1, 2) if n % 2 else (2, 1, 0)
        for i in order:
            template = (FIRST_PAINT, FIRST_PAINT, BARE)[i]
            script = template.format(root=str(ROOT), nic=NIC, size=size, clock=FIRST_FRAME)
            text = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                                  cwd=ROOT, check=True, env=envs[i]).stdout
            if n:  # the first round warms the caches
                out[i].append(float(text.strip().splitlines()[-1]))
    return out


class FrameClock:
    """Times from a mark to the end of the next frame composed (of a given screen class)."""

    def __init__(self) -> None:
        from textual.screen import Screen

        self.mark: float | None = None
        self.screen: str | None = None
        self.times: list[float] = []
        self._original = Screen._compositor_refresh
        clock = self

        def timed(screen, *a, **kw):
            result = clock._original(screen, *a, **kw)
            if clock.mark is not None and (clock.screen is None or type(screen).__name__ == clock.screen):
                clock.times.append(time.perf_counter() - clock.mark)
                clock.mark = None
            return result

        Screen._compositor_refresh = timed

    def start(self, screen: str | None = None) -> None:
        self.mark, self.screen = time.perf_counter(), screen

    def close(self) -> None:
        from textual.screen import Screen

        Screen._compositor_refresh = self._original


async def f1(size: tuple[int, int], runs: int = 10) -> list[float]:
    from tests.tui_apps import make_app

    clock = FrameClock()
    try:
        app = make_app(NIC)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for _ in range(runs):
                clock.start("HelpScreen")
                await pilot.press("f1")
                while clock.mark is not None:
                    await asyncio.sleep(0.001)
                await pilot.press("escape")
                await pilot.pause()
    finally:
        clock.close()
    return clock.times


async def drag_steps(size: tuple[int, int], n: int = 200) -> list[float]:
    """Each step: from the MouseMove reaching the palette (it holds the mouse while
    dragging) to the frame showing the ghost there."""
    from tests.test_tui import cell
    from tests.tui_apps import make_app
    from capslot.tui.app import EDGE_ROWS
    from capslot.tui.widgets.hexmap import HexMap
    from capslot.tui.widgets.palette import Palette

    clock = FrameClock()
    original = Palette.on_mouse_move

    def on_mouse_move(palette, event):
        clock.start()
        original(palette, event)

    Palette.on_mouse_move = on_mouse_move
    try:
        app = make_app(NIC)
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            palette = app.query_one("#palette", Palette)
            assert await pilot.mouse_down("#palette", offset=palette.entry_offset("pasid"))
            hexmap = app.query_one(HexMap)
            top, rows = int(hexmap.scroll_offset.y), hexmap.scrollable_content_region.height
            inner = rows - 2 * EDGE_ROWS  # the edge rows scroll the map (a scroll, not a step)
            for i in range(n):
                offset = (top + EDGE_ROWS + (i * 7) % inner) * 16 + (i * 5) % 16  # wander over the map
                clock.times.clear() if i == 0 else None
                await pilot.hover(HexMap, offset=cell(app, offset))
                while clock.mark is not None:
                    await asyncio.sleep(0.001)
            await pilot.mouse_up(HexMap, offset=cell(app, top * 16))
            await pilot.pause()
    finally:
        Palette.on_mouse_move = original
        clock.close()
    return clock.times


async def bare_steps(size: tuple[int, int], n: int = 200) -> list[float]:
    """The floor of a drag step: a bare Textual app whose one widget says where the mouse
    is, timed the same way (the move reaching the widget to the next frame). Textual paints
    at most TEXTUAL_FPS (60) frames a second: a change waits for the screen's update timer,
    so no step of any Textual app is much under 1/60 s."""
    from textual.app import App
    from textual.widgets import Static

    clock = FrameClock()

    class Where(Static):
        def on_mouse_move(self, event) -> None:
            clock.start()
            self.update(f"mouse at {event.x},{event.y}")

    class Bare(App):
        def compose(self):
            yield Where("move the mouse", id="where")

    try:
        app = Bare()
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            for i in range(n):
                clock.times.clear() if i == 0 else None
                await pilot.hover("#where", offset=((i * 5) % (size[0] - 1), (i * 7) % (size[1] - 1)))
                while clock.mark is not None:
                    await asyncio.sleep(0.001)
    finally:
        clock.close()
    return clock.times


async def map_redraw(n: int = 50) -> list[float]:
    from tests.tui_apps import make_app
    from capslot.tui.widgets.hexmap import HexMap

    out = []
    app = make_app(NIC)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        hexmap = app.query_one(HexMap)
        layout = app.session.synthesized()
        rows = hexmap.scrollable_content_region.height
        for _ in range(n):
            t = time.perf_counter()
            hexmap.show(layout)
            for y in range(rows):
                hexmap.render_line(y)
            out.append(time.perf_counter() - t)
    return out


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def ms(x: float) -> str:
    return f"{x * 1000:8.1f} ms"


def main() -> None:
    rows: dict[str, list[str]] = {}
    for size in SIZES:
        paint, uncached, bare = first_paint(size)
        help_ = asyncio.run(f1(size))
        steps = asyncio.run(drag_steps(size))
        floor = asyncio.run(bare_steps(size))
        for label, spread, times in (("first paint / bare app", "  per-pair min, max", paint),
                                     ("first paint, no CSS cache / bare app", "  no CSS cache: min, max",
                                      uncached)):
            ratios = sorted(p / b for p, b in zip(times, bare, strict=True))  # round by round
            rows.setdefault(label, []).append(f"{statistics.median(ratios):.2f}x")
            rows.setdefault(spread, []).append(f"{ratios[0]:.2f} {ratios[-1]:.2f}")
        for label, value in (("first paint, median", statistics.median(paint)),
                             ("first paint, best", min(paint)),
                             ("  no CSS cache, median", statistics.median(uncached)),
                             ("bare Textual app, median", statistics.median(bare)),
                             ("F1 to help shown, median", statistics.median(help_)),
                             ("F1 to help shown, max", max(help_)),
                             ("drag step, p50", pct(steps, 0.5)),
                             ("drag step, p95", pct(steps, 0.95)),
                             ("drag step, max", max(steps)),
                             ("bare app move step, p50", pct(floor, 0.5)),
                             ("bare app move step, p95", pct(floor, 0.95)),
                             ("bare app move step, max", max(floor))):
            rows.setdefault(label, []).append(ms(value))
        print(f"  measured {size[0]}x{size[1]}: {len(paint)} starts, {len(help_)} F1, "
              f"{len(steps)} drag steps", file=sys.stderr)
    print(f"{'':37s}" + "".join(f"{f'{w}x{h}':>11s}" for w, h in SIZES))
    for label, values in rows.items():
        print(f"{label:37s}" + "".join(f"{v:>11s}" for v in values))
    redraw = asyncio.run(map_redraw())
    print(f"map redraw at 200x60 (new layout, visible rows): p50 {ms(pct(redraw, 0.5)).strip()}, "
          f"max {ms(max(redraw)).strip()}")


if __name__ == "__main__":
    main()
