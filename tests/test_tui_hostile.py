"""Issue 15, the explorer: hostile dumps, paths and plan files, and input faster than the
screens. Each test feeds the exact hostile input and checks what the user sees: the text shown
literally, no file written, one refusal, the explorer alive.

The truths come from outside the explorer: the device lines as the dump files spell them (read
here with a regular expression), Rich's, Textual's, JSON's and HTML's own parsers for the
escaping, the file system for what was (not) written, and the plan files' bytes."""

from __future__ import annotations

import asyncio
import errno
import html
import json
import os
import re
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rich.text import Text
from textual import events
from textual.content import Content
from textual.widgets import Button, Input, Label, OptionList
from textual.widgets._toast import Toast

from capslot.core.placement import parse_vcap
from capslot.core.sources import load
from capslot.core.text import printable, rich_markup, textual_markup
from tests.conftest import sample_dumps
from tests.test_tui import dump_rows, screen_lines
from tests.tui_apps import TABLE, make_app
from capslot.tui.screens import reading
from capslot.tui.screens.dialogs import ConflictScreen, DevicePicker, ExportScreen, PathScreen
from capslot.tui.session import Session

ROOT = Path(__file__).resolve().parent.parent
NIC = str(ROOT / "sample_dumps/realtek_rtl8168_nic_b.txt")
SIZE = (200, 60)
DEVICE_LINE = re.compile(r"^(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7] .*$")


def nic_with(first_line: str) -> str:
    lines = Path(NIC).read_text().splitlines()
    return "\n".join([first_line, *lines[1:]]) + "\n"


def flat(text: str) -> str:
    return " ".join(text.split())


def squeeze(text: str) -> str:
    """The characters without the whitespace: a wrapped line reads the same (a long word
    may be folded anywhere)."""
    return "".join(text.split())


def option_list_text(app) -> str:
    """What the picker's list shows, row after row (wrapped rows joined), off the screen."""
    options = app.screen.query_one(OptionList)
    region = options.content_region
    lines = screen_lines(app)[region.y:region.bottom]
    return squeeze("".join(line[region.x:region.right] for line in lines))


async def settle(pilot) -> None:
    """Every worker done (files are read and written off the UI thread), then the screen."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def burst(app, *keys: str) -> None:
    """Keys as a terminal sends them in one read: all queued before any is handled."""
    for key in keys:
        char = {"enter": "\r", "escape": "\x1b"}.get(key, key if len(key) == 1 else None)
        event = events.Key(key, char)
        event.set_sender(app)
        app._driver.send_message(event)


def terminal_click(app, x: int, y: int) -> None:
    """A click as the terminal sends it: press and release through the driver (so the app
    sees the text's style under the pointer, links and all, as in a real terminal)."""
    for cls in (events.MouseDown, events.MouseUp):
        event = cls(None, x, y, 0, 0, 1, False, False, False, screen_x=x, screen_y=y)
        event.set_sender(app)
        app._driver.send_message(event)


def where(app, text: str, widget) -> tuple[int, int]:
    """The screen cell where `text` starts inside `widget`."""
    region = widget.content_region
    for y, line in enumerate(screen_lines(app)[region.y:region.bottom], region.y):
        if text in line[region.x:region.right]:
            return region.x + line[region.x:region.right].index(text), y
    raise AssertionError(f"{text!r} is not in {widget}")


def said(app, text: str) -> bool:
    """A notification on screen says `text` (run_test(..., notifications=True))."""
    return any(text in str(toast.render()) for toast in app.screen.query(Toast))


def alive(app) -> bool:
    return app.is_running and app._exception is None


# ---------------------------------------------------------------- one escaping per sink

TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60) | st.sampled_from([
    "[@click=app.screenshot('victim.txt','/tmp')]Realtek[/]", "[/]", "[link=file:///etc]x",
    "[AMD] [GeForce MX150]", "a\\[b]", "x\\", "\\\\[red]y[/]", "$accent [$accent]", "\x1b[31m\r\0"])


@settings(max_examples=300, deadline=None)
@given(TEXTS)
@example("\\[")  # a backslash before a lone '[': Rich reads both literally (found by hypothesis)
@example("a\\[b")
def test_each_sink_reads_the_escaped_text_back_literally(text):
    """Rich's and Textual's markup parsers each give back exactly the text, with control
    characters made visible (the sinks' own parsers are the judges)."""
    shown = printable(text)
    assert shown.isprintable()
    assert Text.from_markup(rich_markup(text)).plain == shown
    assert Content.from_markup(textual_markup(text)).plain == shown


def test_rich_reads_every_short_mix_of_backslashes_and_brackets_back():
    """Every string of up to 5 characters from backslash, brackets, '/' and a letter: Rich's
    own parser gives back exactly the text (hypothesis once found `\\[`, a lone bracket)."""
    import itertools

    for n in range(1, 6):
        for chars in itertools.product("\\[]/b", repeat=n):
            text = "".join(chars)
            assert Text.from_markup(rich_markup(text)).plain == printable(text), text


# ---------------------------------------------------------------- dump text is data

async def test_every_sample_device_line_shows_literally_in_the_picker(tmp_path):
    """All 96 bundled dumps in one multi-device file: every device line is in the picker
    exactly as the dump spells it, brackets included ("[AMD]", "[GeForce MX150]"...)."""
    dumps = sample_dumps()
    every = tmp_path / "every.txt"
    every.write_text("".join(p.read_text().rstrip("\n") + "\n\n" for p in dumps))
    spelled = [line for p in dumps for line in p.read_text().splitlines() if DEVICE_LINE.match(line)]
    assert len(spelled) == len(dumps) == 96
    assert sum("[" in line for line in spelled) >= 27  # the lines the picker used to eat
    app = make_app(str(every))
    async with app.run_test(size=(200, 170)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DevicePicker)
        shown = option_list_text(app)
        missing = [line for line in spelled if squeeze(printable(line)) not in shown]
        assert not missing, missing[:3]


HOSTILE = {
    "click": "08:00.0 Ethernet controller: [@click=app.screenshot('victim.svg','{dir}')]Realtek "
             "Semiconductor Co., Ltd. RTL8111/8168/8411 PCI Express Gigabit Ethernet Controller[/]",
    "close": "08:00.1 Ethernet controller: [/] nothing open",
    "link": "08:00.2 Ethernet controller: [link=file:///etc/passwd]passwd[/link] here",
    "words": "08:00.3 VGA compatible controller: NVIDIA Corporation [GeForce MX150] [AMD] (rev a1)",
    "escapes": "08:00.4 Ethernet controller: \x1b]0;pwned\x07\x1b[2J\rRealtek",
}


def hostile_file(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    lines = {k: v.format(dir=tmp_path) for k, v in HOSTILE.items()}
    path = tmp_path / "hostile.txt"
    path.write_text("\n".join(nic_with(line) for line in lines.values()))
    return path, lines


async def test_hostile_device_lines_show_literally_and_clicking_them_writes_nothing(tmp_path):
    """The lines that wrote a file on a click, crashed the explorer with a traceback or lost
    their words: shown as written; a click on every cell of every one writes no file, picks
    that device, and the explorer lives."""
    path, lines = hostile_file(tmp_path)
    before = sorted(os.listdir(tmp_path))
    for n, (name, line) in enumerate(lines.items()):
        app = make_app(str(path))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, DevicePicker)
            shown = option_list_text(app)
            assert all(squeeze(printable(x)) in shown for x in lines.values()), shown
            x, y = where(app, printable(line.split(": ", 1)[1])[:12], app.screen.query_one(OptionList))
            terminal_click(app, x + 2, y)
            await pilot.pause()
            await pilot.pause()
            assert alive(app), name
            assert app.session.index == n and app.screen is app.main, name
            header = screen_lines(app)[0]  # the device described, as far as the header goes
            assert printable(line.split(" ", 1)[1])[:30] in header, (name, header)
        assert sorted(os.listdir(tmp_path)) == before, name  # no victim.svg, nothing else
    assert not (Path.cwd() / "victim.svg").exists()


async def test_textual_screenshot_action_is_never_run(tmp_path):
    """Defence in depth: Textual's `screenshot` action writes wherever its arguments say; a
    markup link that slipped through would run it. The explorer refuses it."""
    app = make_app(NIC)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not await app.run_action(f"screenshot('victim.svg', '{tmp_path}')")
        await pilot.pause()
    assert os.listdir(tmp_path) == []


async def test_hostile_device_line_is_plain_text_in_title_and_exports(tmp_path):
    """The device line in the header, the map's SVG and HTML, the lspci text and the
    screenshot: the same words, nothing of it markup, no tag of its own in the pictures."""
    line = ("08:00.0 Ethernet controller: [red]Real[/]tek </text><script>alert(1)</script> "
            "\x1b[31m&amp;")
    dump = tmp_path / "evil.txt"
    dump.write_text(nic_with(line))
    app = make_app(str(dump), layout_only=True)  # the NIC gets no PASID: exported all the same
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "[red]Real[/]tek </text><script>alert(1)</script> \\x1b[31m&amp;" in screen_lines(app)[0]
        for fmt in ("map-svg", "map-html", "screenshot"):
            picture = app.export_bytes(fmt).decode()
            assert "<script>" not in picture, fmt
            words = html.unescape(picture).replace("\xa0", " ")
            assert "</text><script>alert(1)</script>" in words, fmt
        assert "\x1b" not in app.export_bytes("map-text").decode("ascii")
        await pilot.press("p", "end", "enter")
        lspci = app.export_bytes("lspci").decode()
        assert "\x1b" not in lspci and "\\x1b[31m" in lspci.splitlines()[0]


# ---------------------------------------------------------------- dialogs close once

async def test_enter_twice_in_every_dialog_closes_it_once(tmp_path):
    """Two Enters in one burst in go-to, open, plan file, export, the device picker and the
    conflict modal: the dialog does its work once and goes; the explorer's screen stays."""
    two = tmp_path / "two.txt"
    two.write_text(nic_with("08:00.0 first") + "\n" + nic_with("09:00.0 second"))
    app = make_app(NIC, layout_only=True)  # the export dialog writes: the layout alone is judged
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        main = app.main

        async def twice(*keys: str, value: str | None = None) -> None:
            await pilot.press(*keys)
            if value is not None:
                app.screen.query_one("#path" if app.screen.query("#path") else Input, Input).value = value
            burst(app, "enter", "enter")
            await settle(pilot)
            await settle(pilot)
            assert alive(app) and app.screen_stack[0] is main

        await twice("g", "f", "f", "8")
        assert app.hexmap.cursor == 0xFF8 and app.screen is main

        await twice("o", value=str(two))  # read once: one device picker comes up
        assert [type(s) for s in app.screen_stack] == [type(main), DevicePicker]
        burst(app, "down", "enter", "enter")
        await settle(pilot)
        assert app.screen is main and app.session.index == 1

        await twice("o", value=str(tmp_path / "nothing-here"))  # a refusal, said once
        assert isinstance(app.screen, PathScreen)
        assert str(app.screen.query_one("#error", Label).render()).count("no such file") == 1
        await pilot.press("escape")

        plan = tmp_path / "plan.json"
        await twice("ctrl+s", value=str(plan))
        assert app.session.plan_path == str(plan) and app.screen is main

        await pilot.press("p", "end", "enter")  # PASID at 0xff8 (saved to the plan)
        await twice("e", "tab", value=str(tmp_path / "once.txt"))  # the QEMU property
        assert (tmp_path / "once.txt").read_text() == "x-vpasid-cap-offset=0xff8\n"
        assert app.screen is main

        other = Session(load(str(two)), 1, table=TABLE)
        other.use_plan_file(str(plan))
        other.add(parse_vcap("ats"), 0xF00)  # another explorer writes the plan
        await pilot.press("g", *"ff8", "enter", "delete")  # ... and this one changes it
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen)
        app.screen.query_one("#reload", Button).focus()
        burst(app, "enter", "enter")
        await settle(pilot)
        assert app.screen is main and [p.request.name for p in app.session.placed] == ["pasid", "ats"]


async def test_random_burst_of_enters_and_escapes_keeps_the_stack(tmp_path):
    """Enter and Escape hammered over every dialog's key: never a ScreenStackError."""
    app = make_app(NIC)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for opener in ("g", "o", "ctrl+s", "e", "f1", "ctrl+p"):
            burst(app, opener, "enter", "enter", "escape", "escape", "enter", "escape")
            await settle(pilot)
            assert alive(app) and app.screen_stack[0] is app.main, opener
            while len(app.screen_stack) > 1:
                await pilot.press("escape")


# ---------------------------------------------------------------- files off the UI thread

@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


async def test_a_fifo_with_no_writer_is_refused_in_the_dialog_and_the_explorer_answers(fifo):
    """`o` on a FIFO nobody writes to: the dialog says it is reading, typing still works
    meanwhile (the UI thread is not blocked), and after the wait the refusal is shown there;
    the device shown is still the NIC."""
    app = make_app(NIC)
    app.read_wait = 0.5
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("o")
        app.screen.query_one(Input).value = str(fifo)
        await pilot.press("enter")
        assert "reading" in str(app.screen.query_one("#status", Label).render())
        await pilot.press("x")  # the UI thread is free: the input takes a key meanwhile
        assert app.screen.query_one(Input).value.endswith("x")
        await settle(pilot)
        assert isinstance(app.screen, PathScreen) and alive(app)
        assert "no data after 0.5 s (is anything writing to it?)" in str(
            app.screen.query_one("#error", Label).render())
        await pilot.press("escape")
        assert app.session.device.device_id == 0x8168 and app.screen is app.main


async def test_escape_cancels_a_read_and_ctrl_q_quits_meanwhile(fifo, monkeypatch):
    """A FIFO read waiting up to 10 minutes: Escape ends the read at once, and so does
    ctrl+q (the explorer ends; no thread is left reading)."""
    ended: list[threading.Event] = []
    real = reading.read_dump

    def watched(path, cancel, wait):
        done = threading.Event()
        ended.append(done)
        try:
            return real(path, cancel, wait)
        finally:
            done.set()

    monkeypatch.setattr(reading, "read_dump", watched)
    app = make_app(NIC)
    app.read_wait = 600
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for leave in ("escape", "ctrl+q"):
            await pilot.press("o")
            app.screen.query_one(Input).value = str(fifo)
            await pilot.press("enter")
            assert isinstance(app.screen, PathScreen) and app.screen.busy
            await pilot.press(leave)
            await pilot.pause()
            assert await asyncio.to_thread(ended[-1].wait, 30), f"{leave} left the read running"
            if leave == "escape":
                assert app.screen is app.main and alive(app)
        assert not app.is_running and app._exception is None


async def test_a_fifo_that_is_written_to_opens_and_dev_zero_is_refused(fifo, tmp_path):
    """A dump piped through a FIFO opens like a file (its name in the title); /dev/zero is
    refused in the dialog after a bounded read; a directory likewise; `-` (standard input,
    the terminal the explorer reads keys from) is refused, never read."""
    def write() -> None:
        with open(fifo, "w") as f:
            f.write(Path(NIC).read_text())

    app = make_app(str(ROOT / "sample_dumps/amd_fiji_gpu_7300_rebar.txt"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        for path, refusal in (("/dev/zero", "binary data: not a config-space dump"),
                              (str(tmp_path), "is a directory"),
                              ("-", "standard input is where the explorer reads its keys")):
            await pilot.press("o")
            app.screen.query_one(Input).value = path
            await pilot.press("enter")
            await settle(pilot)
            assert refusal in str(app.screen.query_one("#error", Label).render()), path
            await pilot.press("escape")
        writer = threading.Thread(target=write)
        writer.start()
        await pilot.press("o")
        app.screen.query_one(Input).value = str(fifo)
        await pilot.press("enter")
        await settle(pilot)
        writer.join()
        assert app.screen is app.main and app.session.device.device_id == 0x8168
        assert app.session.device.provenance.source == str(fifo)
        assert "fifo" in str(app.hexmap.border_title)


async def plan_dialog_error(app, pilot, path) -> str:
    """`path` named in the plan file dialog (ctrl+s): what the dialog says is wrong."""
    await pilot.press("ctrl+s")
    app.screen.query_one(Input).value = str(path)
    await pilot.press("enter")
    await settle(pilot)
    return str(app.screen.query_one("#error", Label).render())


async def test_plan_and_export_to_a_fifo_are_refused_and_the_fifo_stays(fifo):
    app = make_app(NIC)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "not a regular file" in await plan_dialog_error(app, pilot, fifo)
        await pilot.press("escape", "e", "down", "down", "down", "down", "tab")  # binary
        app.screen.query_one("#path", Input).value = str(fifo)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)  # written in place, never replaced: a
        # FIFO nobody reads is refused rather than waited on (tests/test_outputs.py)
        assert "no process is reading this FIFO" in str(app.screen.query_one("#error", Label).render())
        assert alive(app) and app.session.plan_path is None
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_capslot_tui_refuses_a_fifo_plan_with_one_line(fifo):
    r = subprocess.run([sys.executable, "-m", "capslot", "tui", NIC, "--plan", str(fifo)],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert r.returncode == 2
    assert (r.stdout + r.stderr).strip().splitlines() == [
        f"capslot: {fifo}: not a regular file: a plan file is one"]


# ---------------------------------------------------------------- plans past the space

def plan_at(tmp_path: Path, offset: int) -> Path:
    path = tmp_path / f"plan-{offset:x}.json"
    path.write_text(json.dumps({"plan_version": 1, "device": {"vendor_id": 0x10EC, "device_id": 0x8168},
                                "placements": [{"vcap": "pasid", "size": 8, "offset": offset}]}))
    return path


@pytest.mark.parametrize("offset", [0x1000, 1 << 80])
def test_capslot_tui_refuses_a_plan_past_the_space_with_one_line(tmp_path, offset):
    bad = plan_at(tmp_path, offset)
    r = subprocess.run([sys.executable, "-m", "capslot", "tui", NIC, "--plan", str(bad)],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL, cwd=ROOT)
    assert r.returncode == 2
    assert (r.stdout + r.stderr).strip().splitlines() == [
        f"capslot: {bad}: placement #1: offset {offset:#x} outside 0x000-0xfff"]


@pytest.mark.parametrize("offset", [0x1000, 1 << 80])
async def test_the_explorer_refuses_a_plan_past_the_space_in_the_dialog(tmp_path, offset):
    bad = plan_at(tmp_path, offset)
    before = bad.read_bytes()
    app = make_app(NIC)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert f"offset {offset:#x} outside 0x000-0xfff" in await plan_dialog_error(app, pilot, bad)
        assert alive(app) and app.session.placed == [] and app.session.plan_path is None
    assert bad.read_bytes() == before


async def test_a_plan_at_0xff9_is_painted_as_a_collision_and_keys_over_it_are_safe(tmp_path):
    """PASID at 0xff9 runs 1 byte past the space: loaded, judged a collision, painted (its
    ID, 0x001b, from 0xff9 on: PCIe 6.0 7.8.8); moving it, the map's end and the ghost at the
    last DWORD do not index out of the map."""
    for n, size in enumerate(((80, 24), (120, 40), (200, 60))):
        folder = tmp_path / str(n)
        folder.mkdir()
        app = make_app(NIC)
        app.session.use_plan_file(str(plan_at(folder, 0xFF9)))
        (p,) = app.session.placements()
        assert (p.offset, p.verdict) == (0xFF9, "collision")
        async with app.run_test(size=size, notifications=True) as pilot:
            await pilot.pause()
            await pilot.press("end")
            await pilot.pause()
            assert on_screen(app, "collision") and on_screen(app, "pasid at 0xff9"), size
            assert said(app, "pasid at 0xff9 from the plan collides: 0xff9 is not DWORD aligned")
            # a collision is never written into the map: the last row is the device's own
            row = next(line for line in screen_lines(app) if re.search(r"[│┃]ff0  ", line))
            assert " ".join(row[row.index("ff0  ") + 5:].split()[:16]) == dump_rows(NIC)[0xFF0]
            await pilot.press("m", "right", "right", "end", "enter", "pagedown", "enter", "p", "end")
            await pilot.pause()
            assert alive(app) and app.hexmap.ghost is not None
            assert app.hexmap.ghost.offset + app.hexmap.ghost.size <= 0x1000


# ---------------------------------------------------------------- plans that cannot be written

@pytest.fixture
def read_only_dir(tmp_path) -> Path:
    """A directory no file can be created in: chmod 555, or (as root, whom modes do not stop)
    /sys, where the kernel refuses every new file."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    probe = ro / "probe"
    try:
        probe.touch()
    except OSError:
        yield ro
    else:
        probe.unlink()
        if not os.path.isdir("/sys") or os.access("/sys", os.W_OK) and _creates("/sys"):
            pytest.skip("no read-only directory here")
        yield Path("/sys")
    finally:
        ro.chmod(0o755)


def _creates(directory: str) -> bool:
    try:
        Path(directory, "capslot-probe").touch()
    except OSError:
        return False
    Path(directory, "capslot-probe").unlink()
    return True


def on_screen(app, text: str) -> bool:
    return text in flat(" ".join(screen_lines(app)))


@pytest.mark.parametrize("where", ["missing directory", "read-only directory", "full disk"])
async def test_an_unwritable_plan_is_said_keeps_the_placements_and_saves_as(tmp_path, where, read_only_dir,
                                                                           monkeypatch):
    """The first placement with a plan that cannot be written: the explorer lives, says so (a
    notification, the verdict line, the map's border), keeps the placement; ctrl+s then saves
    it to another file, which holds it."""
    plan = {"missing directory": tmp_path / "missing" / "plan.json",
            "read-only directory": read_only_dir / "plan.json",
            "full disk": tmp_path / "plan.json"}[where]
    disk_full = where == "full disk"
    if disk_full:
        import capslot.core.atomic

        fsync = capslot.core.atomic.os.fsync

        def full(fd):
            if disk_full:
                raise OSError(errno.ENOSPC, "No space left on device")
            fsync(fd)

        monkeypatch.setattr(capslot.core.atomic.os, "fsync", full)
    app = make_app(NIC, plan=str(plan))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("p", "end", "enter")  # PASID at 0xff8
        await pilot.pause()
        assert alive(app) and [p.request.offset for p in app.session.placed] == [0xFF8]
        assert said(app, f"plan not saved: {plan}: cannot write")
        assert said(app, "The placements are kept here; ctrl+s saves them to another file")
        assert on_screen(app, "plan not saved") and on_screen(app, "plan NOT saved")  # verdict, map
        assert not plan.exists()
        await pilot.press("g", *"ff8", "enter", "delete", "ctrl+z")  # more changes: still kept
        await pilot.pause()
        assert alive(app) and [p.request.offset for p in app.session.placed] == [0xFF8]
        assert on_screen(app, "plan NOT saved") and not plan.exists()
        disk_full = False
        elsewhere = tmp_path / "elsewhere.json"
        await pilot.press("ctrl+s")  # save as
        assert isinstance(app.screen, PathScreen)
        app.screen.query_one(Input).value = str(elsewhere)
        burst(app, "enter", "enter")
        await settle(pilot)
        assert app.screen is app.main and app.session.plan_path == str(elsewhere)
        assert not on_screen(app, "plan NOT saved")
        saved = json.loads(elsewhere.read_text())["placements"]
        assert [(x["vcap"], x["offset"]) for x in saved] == [("pasid", 0xFF8)]
        await pilot.press("delete")  # saved there from now on
        await pilot.pause()
        assert json.loads(elsewhere.read_text())["placements"] == []


@pytest.mark.parametrize("choice", ["overwrite", "save-as", "reload"])
async def test_a_second_writer_between_two_placements_asks_what_to_do(tmp_path, choice):
    """Another Session writes the plan between two placements of this one: nothing is lost
    silently; the modal offers overwrite, save as, reload, and each does what it says."""
    plan = tmp_path / "plan.json"
    app = make_app(NIC, plan=str(plan))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("p", "end", "enter")  # PASID at 0xff8, saved
        other = Session(load(NIC), table=TABLE)
        other.use_plan_file(str(plan))
        other.add(parse_vcap("ats"), 0xF00)  # the other explorer: PASID and ATS
        theirs = plan.read_bytes()
        await pilot.press("g", *"ff8", "enter", "delete")  # this one removes PASID: conflict
        await pilot.pause()
        assert isinstance(app.screen, ConflictScreen) and alive(app)
        assert plan.read_bytes() == theirs and app.session.placed == []
        assert on_screen(app, "changed on disk")
        app.screen.query_one(f"#{choice}", Button).press()
        await settle(pilot)
        names = [x["vcap"] for x in json.loads(plan.read_text())["placements"]]
        if choice == "overwrite":
            assert names == [] and app.screen is app.main
        elif choice == "reload":
            assert names == ["pasid", "ats"] and plan.read_bytes() == theirs
            assert [p.request.name for p in app.session.placed] == ["pasid", "ats"]
            await pilot.press("ctrl+z")  # this explorer's placements come back
            assert app.session.placed == [] and not isinstance(app.screen, ConflictScreen)
        else:
            assert isinstance(app.screen, PathScreen)
            mine = tmp_path / "mine.json"
            app.screen.query_one(Input).value = str(mine)
            await pilot.press("enter")
            await settle(pilot)
            assert json.loads(mine.read_text())["placements"] == []
            assert plan.read_bytes() == theirs and app.session.plan_path == str(mine)


# ---------------------------------------------------------------- a move under a change

@pytest.mark.parametrize("change", [("ctrl+z",), ("delete",), ("d", "down", "enter")])
async def test_a_change_under_a_move_ends_the_move(tmp_path, change):
    """`m` picks up a placed capability by its place in the list; undo, a removal or another
    device under it took that place away (IndexError on the drop). The move ends instead."""
    two = tmp_path / "two.txt"
    two.write_text(nic_with("08:00.0 first") + "\n" + nic_with("09:00.0 second"))
    app = make_app(str(two))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("escape")  # the device picker: the first one
        await pilot.press("p", "end", "enter", "m")  # PASID at 0xff8, picked up again
        assert app.moving == 0
        await pilot.press(*change, "enter")
        await pilot.pause()
        assert alive(app) and app.moving is None and app.carrying is None


# ---------------------------------------------------------------- the palette

async def test_two_clicks_beside_the_command_palette_close_it_once():
    """A double click beside the palette (found by the fuzzer: ScreenStackError)."""
    app = make_app(NIC)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        for _ in range(2):
            terminal_click(app, 5, SIZE[1] - 3)
        await pilot.pause()
        await pilot.pause()
        assert alive(app) and app.screen is app.main

