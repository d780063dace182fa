"""A fuzzer for the explorer: random keys and mouse input, in bursts, on real and hostile dumps.

Each run starts the explorer headless (Textual's `run_test`) on one scenario at one terminal
size and sends seeded random input the way a terminal does, through the driver and in bursts
(so a second Enter can arrive before the first one's dialog has gone):

- keys: the explorer's, the map's and the dialogs' bindings, printable characters, Enter,
  Escape, Tab, arrows, page keys; sometimes a path pasted into the focused input (a dump, a
  FIFO nobody writes to, /dev/zero, a directory, good and bad plan files, a file in a
  missing directory);
- the mouse: clicks, double clicks, wheel and drags on random cells, on the palette and on
  the map;
- now and then a resize across the layouts.

After every burst: the explorer is alive (no exception; quitting with q or ctrl+q is fine,
and a new explorer takes over), the screen stack is sane, and the state holds: the map's
regions tile 0..4096, every placed capability is inside 0x000-0xfff, the cursor and the ghost
are on the map, `session.placements()` answers, no dialog job failed with a bug, and no file
was written by a click on text from a dump. And the meaning holds: the plan file on disk
names the device shown and holds exactly its placements; the auto-placed capabilities are
where `capslot place` puts the same requests (the CLI's parser and plan builder, in-process);
the scenario's --ranges are still the session's after any `o` or device switch.

`python -m tests.tui_fuzz --events 5000` (in `make fuzz`) is the long run; the test suite
runs a short one (tests/test_tui_fuzz.py).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import string
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual import events  # noqa: E402
from textual.geometry import Size  # noqa: E402
from textual.screen import ModalScreen  # noqa: E402

from capslot.core.layout import check_tiling  # noqa: E402
from capslot.core.space import CONFIG_SIZE  # noqa: E402
from tests.tui_apps import make_app  # noqa: E402
from capslot.tui.app import CapslotApp  # noqa: E402
from capslot.tui.screens.explorer import ExplorerScreen  # noqa: E402
from capslot.tui.screens.dialogs import Dialog  # noqa: E402
from capslot.tui.session import Session  # noqa: E402
from capslot.tui.widgets.hexmap import HexMap  # noqa: E402
from capslot.tui.widgets.palette import Palette  # noqa: E402

SAMPLES = ROOT / "sample_dumps"
NIC = SAMPLES / "realtek_rtl8168_nic_b.txt"
FIJI = SAMPLES / "amd_fiji_gpu_7300_rebar.txt"
SIZES = ((80, 24), (120, 40), (200, 60))
BURST = 8  # events sent before the explorer is let to settle and checked
VICTIM = "victim.svg"  # the file a click on a hostile device line would write

# Device lines that were read as markup (tui/safe.py says what each did).
HOSTILE_LINES = (
    "08:00.0 Ethernet controller: [@click=app.screenshot('" + VICTIM + "','{dir}')]Realtek "
    "Semiconductor Co., Ltd. RTL8111/8168/8411[/]",
    "08:00.1 Ethernet controller: [/] unbalanced [link=file:///etc/passwd]link[/link] \\[x\\]",
    "08:00.2 VGA compatible controller: NVIDIA Corporation [GeForce MX150] [AMD] \x1b[31m red\r",
)


@dataclass
class Scenario:
    name: str
    dump: str
    plan: str | None = None
    ranges: tuple[tuple[int, int], ...] = ()  # --ranges (kept through `o` and `d`)


@dataclass
class Crash:
    scenario: str
    size: tuple[int, int]
    seed: int
    event: int
    what: str
    recent: list[str]


@dataclass
class Tally:
    events: int = 0
    runs: int = 0
    restarts: int = 0  # the explorer quit (q, ctrl+q, the palette) and a new one took over
    crashes: list[Crash] = field(default_factory=list)


def scenarios(work: Path) -> tuple[list[Scenario], list[str]]:
    """The scenarios, and the paths pasted into dialogs, made in `work`."""
    # the dumps are copied into `work`: a path pasted into a save dialog, a letter typed after
    # it and Enter write there, never beside the project's own files
    nic, fiji = work / NIC.name, work / FIJI.name
    shutil.copyfile(NIC, nic)
    shutil.copyfile(FIJI, fiji)
    nic_lines = NIC.read_text().splitlines()

    def device(first: str) -> str:
        return "\n".join([first, *nic_lines[1:]]) + "\n"

    hostile = work / "hostile[bold].txt"
    hostile.write_text("".join(device(line.format(dir=work)) + "\n" for line in HOSTILE_LINES)
                       + FIJI.read_text())
    good_plan = work / "plan.json"
    ff9_plan = work / "ff9.json"
    bad_plan = work / "bad.json"
    doc = ('{"plan_version": 1, "device": {"vendor_id": 4332, "device_id": 33128}, '
           '"placements": [{"vcap": "pasid", "size": 8, "offset": %d}]}\n')
    ff9_plan.write_text(doc % 0xFF9)
    bad_plan.write_text(doc % 0x1000)
    fifo = work / "fifo"
    with contextlib.suppress(OSError, AttributeError):
        os.mkfifo(fifo)
    paste = [str(nic), str(fiji), str(hostile), str(fifo), "/dev/zero", str(work), str(good_plan),
             str(ff9_plan), str(bad_plan), str(work / "missing" / "plan.json"), "out.json",
             "map.svg", "x"]
    return [
        Scenario("nic", str(nic), ranges=((0x400, 0x1000),)),
        Scenario("hostile multi-device, plan", str(hostile), str(good_plan)),
        Scenario("plan at 0xff9", str(nic), str(ff9_plan)),
        Scenario("unwritable plan", str(nic), str(work / "missing" / "plan.json")),
    ], paste


def key_pool() -> list[str]:
    """The keys of the explorer's, the map's and the dialogs' bindings, and typing keys."""
    keys: list[str] = []
    for binding in [*ExplorerScreen.BINDINGS, *CapslotApp.BINDINGS, *HexMap.BINDINGS, *Dialog.BINDINGS]:
        keys += [k.strip() for k in binding.key.split(",")]  # type: ignore[union-attr]
    keys += ["enter", "enter", "escape", "tab", "shift+tab", "up", "down", "left", "right",
             "pageup", "pagedown", "home", "end", "backspace", "ctrl+p", "space"]
    return keys


def check(app: CapslotApp, main, scenario: Scenario | None = None,
          solved_under: dict | None = None) -> None:
    """The invariants of a live explorer."""
    stack = app.screen_stack
    assert stack and stack[0] is main, f"the explorer's screen is not at the bottom: {stack}"
    assert len(stack) <= 5, f"screens piled up: {stack}"
    assert len(set(map(id, stack))) == len(stack), f"a screen twice on the stack: {stack}"
    for screen in stack[1:]:
        assert isinstance(screen, ModalScreen), f"not a dialog over the explorer: {screen}"
        if isinstance(screen, Dialog):
            assert not screen.errors, f"a dialog's job failed: {screen.errors[0]!r}"
    s = app.session
    placements = s.placements()
    for p in placements:
        assert p.offset is None or 0 <= p.offset < CONFIG_SIZE, f"placed outside the space: {p}"
    for slot in s.placed:
        assert 0 <= (slot.request.offset or 0) < CONFIG_SIZE, f"placed outside the space: {slot}"
    check_plan_file(s)
    if scenario is not None:
        assert s.ranges == scenario.ranges, f"--ranges {scenario.ranges} became {s.ranges}"
    if solved_under is not None:
        check_auto_rule(app, solved_under)
    layout = s.synthesized()
    check_tiling(layout.regions)
    if app.mode != "tiny":
        hexmap = app.hexmap
        assert 0 <= hexmap.cursor < CONFIG_SIZE, f"cursor off the map: {hexmap.cursor:#x}"
        ghost = hexmap.ghost
        assert ghost is None or 0 <= ghost.offset < CONFIG_SIZE, f"ghost off the map: {ghost}"
        assert hexmap.byte_style(CONFIG_SIZE - 1) is not None, "the map's styles do not cover 4096 bytes"


def check_plan_file(s) -> None:
    """Meaning, not only survival: the plan file the session keeps (written without a problem)
    names the device shown and holds exactly the placements shown. A plan file only ever holds
    the placements of the device it names (a device switch or `o` never writes another's)."""
    if not s.plan_path or s.plan_problem is not None or not os.path.isfile(s.plan_path):
        return
    from capslot.core import planfile

    data = planfile.current(s.plan_path)
    if data is None or planfile.fingerprint(data) != s.plan_fingerprint:
        return  # written by someone else since (an export to the same name): a conflict, said on save
    doc = json.loads(data)
    dev = doc.get("device", {})
    assert (dev.get("vendor_id"), dev.get("device_id")) == (s.device.vendor_id, s.device.device_id), (
        f"{s.plan_path} names {dev}, the explorer shows {s.device.label()}")
    on_disk = [(p["vcap"], p["offset"]) for p in doc["placements"]]
    shown = [(slot.request.name, slot.request.offset) for slot in s.placed]
    assert on_disk == shown, f"{s.plan_path} holds {on_disk}, the explorer shows {shown}"


def check_auto_rule(app: CapslotApp, solved_under: dict) -> None:
    """The explorer's auto placements are `capslot place`'s for the same requests: the ones
    the user put down as NAME@OFFSET, the others by name, under the VMM and --layout-only in
    force when the explorer placed them (V and L re-judge, they do not move anything). Run
    through the CLI's own parser and plan builder. Placements read from a plan file, and a
    set the CLI cannot place whole (one kept where it was), are not compared."""
    from capslot.core.placement.vcaps import parse_vcap
    from capslot import cli, common
    from capslot.tui.widgets.palette import PALETTE

    s = app.session
    placed = s.state.placed
    under = solved_under.get(placed)
    if not placed or under is None or all(slot.chosen_by == "user" for slot in placed):
        return
    vmm, layout_only = under
    names = {(r.space, r.cap_id, r.size): name for name in PALETTE for r in [parse_vcap(name)]}
    adds: list[str] = []
    for slot in placed:
        r = slot.request
        name = names.get((r.space, r.cap_id, r.size))
        if name is None:
            return  # not one the palette offers: no name for it on the command line
        adds += ["--add", f"{name}@{r.offset:#x}" if slot.chosen_by == "user" else name]
    slots = [d.provenance.slot for d in s.devices]
    argv = ["place", app.path, *adds, "--no-user-quirks", "--vmm", vmm]
    if len(s.devices) > 1:
        if not s.device.provenance.slot or slots.count(s.device.provenance.slot) > 1:
            return  # the command line cannot name this device
        argv += ["--slot", s.device.provenance.slot]
    if s.ranges:
        argv += ["--ranges", ",".join(f"{lo:#x}-{hi - 1:#x}" for lo, hi in s.ranges)]
    if layout_only:
        argv.append("--layout-only")
    args = cli.build_parser("place").parse_args(argv)
    answer = [p.offset for p in common.placement_plan(args, auto=True).placements]
    if None in answer:
        return
    shown = [slot.request.offset for slot in placed]
    assert shown == answer, f"the explorer placed {shown}, `capslot {' '.join(argv)}` places {answer}"


@contextlib.contextmanager
def solved_placements():
    """Which VMM and --layout-only each set of placements the explorer made was solved
    under (a spy on Session._change: it observes, it changes nothing)."""
    from capslot.tui.session import Session

    seen: dict = {}
    real = Session._change

    def recorded(self, new) -> None:
        try:
            real(self, new)  # raises (after the state is in place) when the plan file fails
        finally:
            seen[self.state.placed] = (self.target.vmm, self.layout_only)

    Session._change = recorded  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Session._change = real  # type: ignore[method-assign]


class Driver:
    """Seeded random input, sent as a terminal sends it."""

    def __init__(self, app: CapslotApp, rng: random.Random, keys: list[str], paste: list[str]) -> None:
        self.app, self.rng, self.keys, self.paste = app, rng, keys, paste
        self.typing = list(string.ascii_letters + string.digits + string.punctuation)

    def send(self, event: events.Event) -> None:
        driver = self.app._driver
        assert driver is not None
        event.set_sender(self.app)
        driver.send_message(event)

    def key(self, name: str) -> None:
        from textual.keys import _character_to_key

        char = name if len(name) == 1 else {"enter": "\r", "tab": "\t", "space": " ",
                                             "escape": "\x1b"}.get(name)
        if len(name) == 1 and not name.isalnum():
            name = _character_to_key(name)
        self.send(events.Key(name, char))

    def mouse(self, cls: type[events.MouseEvent], x: int, y: int, button: int = 1) -> None:
        self.send(cls(None, x, y, 0, 0, button, False, False, False, screen_x=x, screen_y=y))

    def cell(self) -> tuple[int, int]:
        """A random cell: anywhere, on the map, or on the palette."""
        width, height = self.app.size
        rng = self.rng
        choice = rng.random()
        with contextlib.suppress(Exception):
            if choice < 0.4 and self.app.mode != "tiny" and len(self.app.screen_stack) == 1:
                region = self.app.hexmap.region
                if region.area:
                    return rng.randrange(region.x, region.right), rng.randrange(region.y, region.bottom)
            if choice < 0.6 and self.app.mode != "tiny" and len(self.app.screen_stack) == 1:
                region = self.app.main.query_one(Palette).region
                if region.area:
                    return rng.randrange(region.x, region.right), rng.randrange(region.y, region.bottom)
        return rng.randrange(width), rng.randrange(height)

    def one(self) -> str:
        """Send one random input; say what it was."""
        rng, app = self.rng, self.app
        roll = rng.random()
        focused = app.focused
        if roll < 0.05 and focused is not None and hasattr(focused, "value") and isinstance(
                getattr(focused, "value", None), str):
            path = rng.choice(self.paste)
            focused.value = path  # type: ignore[attr-defined]
            return f"paste {path!r}"
        if roll < 0.60:
            key = rng.choice(self.keys)
            self.key(key)
            return f"key {key}"
        if roll < 0.70:
            key = rng.choice(self.typing)
            self.key(key)
            return f"type {key!r}"
        if roll < 0.82:
            x, y = self.cell()
            for cls in (events.MouseDown, events.MouseUp):
                self.mouse(cls, x, y)
            if rng.random() < 0.2:  # a double click
                for cls in (events.MouseDown, events.MouseUp):
                    self.mouse(cls, x, y)
            return f"click {x},{y}"
        if roll < 0.95:
            x, y = self.cell()
            self.mouse(events.MouseDown, x, y)
            steps = [self.cell() for _ in range(rng.randint(1, 4))]
            for sx, sy in steps:
                self.mouse(events.MouseMove, sx, sy)
            if rng.random() < 0.9:  # else the release is lost (outside the window)
                self.mouse(events.MouseUp, *steps[-1])
            return f"drag {x},{y} -> {steps}"
        if roll < 0.98:
            x, y = self.cell()
            cls = rng.choice([events.MouseScrollDown, events.MouseScrollUp])
            self.mouse(cls, x, y, button=0)
            return f"wheel {x},{y}"
        size = rng.choice(SIZES + ((50, 15), (160, 40)))
        driver = app._driver
        if driver is not None and hasattr(driver, "_size"):  # the headless driver's terminal
            driver._size = Size(*size)
        self.send(events.Resize(Size(*size), Size(*size)))
        return f"resize {size}"


async def fuzz_one(scenario: Scenario, size: tuple[int, int], seed: int, events_wanted: int,
                   paste: list[str], work: Path, tally: Tally) -> int:
    """One seeded run of `events_wanted` inputs (explorers that quit are replaced); the
    inputs sent (fewer after a crash, which ends the run)."""
    with solved_placements() as solved_under:
        return await _fuzz_one(scenario, size, seed, events_wanted, paste, work, tally, solved_under)


async def _fuzz_one(scenario: Scenario, size: tuple[int, int], seed: int, events_wanted: int,
                    paste: list[str], work: Path, tally: Tally, solved_under: dict) -> int:
    rng = random.Random(seed)
    keys = key_pool()
    sent = 0
    recent: list[str] = []
    while sent < events_wanted:
        app = make_app(scenario.dump)
        if scenario.ranges:
            app.session = Session.of(replace(app.session.state, ranges=scenario.ranges))
        app.read_wait = 0.3  # a FIFO nobody writes to is refused quickly
        if scenario.plan:
            with contextlib.suppress(Exception):  # a bad plan: the explorer starts without it
                app.session.use_plan_file(scenario.plan)
        tally.runs += 1
        try:
            async with app.run_test(size=size) as pilot:
                await pilot.pause()
                main = app.screen_stack[0]
                driver = Driver(app, rng, keys, paste)
                while sent < events_wanted and app.is_running:
                    for _ in range(min(BURST, events_wanted - sent)):
                        recent = (recent + [driver.one()])[-12:]
                        sent += 1
                    await pilot.pause()
                    await pilot.pause()
                    if not app.is_running:
                        break
                    check(app, main, scenario, solved_under)
            if app._exception is not None:
                raise app._exception
        except Exception:  # noqa: BLE001 - every failure is a finding
            tally.crashes.append(Crash(scenario.name, size, seed, sent,
                                       traceback.format_exc(limit=-8), recent))
            return sent
        if sent < events_wanted:
            tally.restarts += 1
        if (work / VICTIM).exists():
            tally.crashes.append(Crash(scenario.name, size, seed, sent,
                                       "a click on a device line wrote a file", recent))
            return sent
    return sent


async def fuzz(events_total: int, seed: int, sizes=SIZES, chosen: list[str] | None = None) -> Tally:
    """`events_total` inputs shared over every scenario and size, seeds `seed`, `seed+1`, ..."""
    tally = Tally()
    before = project_files()
    old = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="capslot-tui-fuzz-") as tmp:
        work = Path(tmp)
        os.chdir(work)  # exports and plans typed as bare names land here
        try:
            all_scenarios, paste = scenarios(work)
            runs = [(sc, size) for sc in all_scenarios if not chosen or sc.name in chosen
                    for size in sizes]
            per_run = max(1, events_total // len(runs))
            for n, (sc, size) in enumerate(runs):
                tally.events += await fuzz_one(sc, size, seed + n, per_run, paste, work, tally)
        finally:
            os.chdir(old)
    changed = sorted(set(project_files().items()) ^ set(before.items()))
    if changed:
        tally.crashes.append(Crash("all", (0, 0), seed, tally.events, "files of the project written "
                                   f"or removed: {sorted({name for name, _ in changed})}", []))
    return tally


def project_files() -> dict[str, int]:
    """The sample dumps and the files at the project's top (name: modification time)."""
    return {str(p): p.stat().st_mtime_ns for p in [*SAMPLES.iterdir(), *ROOT.iterdir()] if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--events", type=int, default=5000, help="inputs in all (default 5000)")
    ap.add_argument("--seed", type=int, default=int(time.time()) % 100000,
                    help="first seed (each run takes the next one)")
    ap.add_argument("--scenario", action="append", help="only this scenario (again: more)")
    ap.add_argument("--size", action="append", help="only this size, WxH (again: more)")
    args = ap.parse_args(argv)
    sizes = tuple(tuple(int(n) for n in s.split("x")) for s in args.size) if args.size else SIZES
    start = time.perf_counter()
    tally = asyncio.run(fuzz(args.events, args.seed, sizes, args.scenario))  # type: ignore[arg-type]
    took = time.perf_counter() - start
    print(f"{tally.events} inputs in {tally.runs} explorers ({tally.restarts} quit and were "
          f"replaced), seeds from {args.seed}, {took:.0f} s: "
          f"{len(tally.crashes)} crashes")
    for c in tally.crashes:
        print(f"\n--- {c.scenario} at {c.size[0]}x{c.size[1]}, seed {c.seed}, after input "
              f"{c.event}:\n{c.what}\nlast inputs: " + "; ".join(c.recent))
    return 1 if tally.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
