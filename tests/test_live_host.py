"""Live host mode on a fake sysfs tree that pciutils' own lspci reads as well
(`lspci -O sysfs.path=...`): names, upstream paths (`lspci -PP`), drivers and IOMMU groups
(`lspci -vvk`), End-End TLP Prefix support (`lspci -vvv`); whether PASID can cross the
path is checked against the kernel's rule (drivers/pci/probe.c pci_configure_eetlp_prefix,
modelled below from lspci's decode). Then the picker, driven with Pilot, and once on this
machine's real devices."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from capslot.core import host, pciids, topology
from capslot.core.sources import load
from tests.cli import capslot
from tests.fake_sysfs import LSPCI, Fake, bridge, build, lspci, sample, with_acs, with_ee_prefix

SYSTEM_IDS = pciids.find()
needs_lspci = pytest.mark.skipif(LSPCI is None or SYSTEM_IDS is None,
                                 reason="lspci (pciutils) or pci.ids is not installed")

RP, USP, DSP, NVME = "0000:00:03.0", "0000:02:00.0", "0000:03:01.0", "0000:04:00.0"
DSA, GPU, HDA = "0000:00:0a.0", "0000:00:0b.0", "0000:00:1b.0"  # on the root bus
PARTS = {RP: "intel_x58_rootport1_3408", USP: "plx_pex8796_switch_8796",
         DSP: "plx_pex9716_switch_dpc_9716_256", NVME: "samsung_pm1743_nvme_a826",
         DSA: "intel_spr_dsa_0b25", GPU: "amd_navi21_rx6800_73bf", HDA: "intel_ich10_hda_3a3e"}
ORDER = [RP, DSA, GPU, HDA, USP, DSP, NVME]  # as lspci sorts them
ALL = {RP, USP, DSP, NVME, DSA, GPU}
BUSES = {RP: (0x00, 0x02, 0x04), USP: (0x02, 0x03, 0x04), DSP: (0x03, 0x04, 0x04)}


def machine(root: Path, ee: set[str] = frozenset(), readable: int = 4096,
            blocking: set[str] = frozenset(), acs: bool = True) -> Path:
    """A root port, a switch (upstream and downstream port) and an NVMe drive below it;
    on the root bus an accelerator (an RCiEP), a GPU (a Legacy Endpoint with no root port
    above it, as in a VM) and an HD audio function with a version 1 PCIe capability. The
    functions in `ee` advertise End-End TLP Prefix support (Device Capabilities 2 bit 21
    edited); `readable` bytes of each config file are there (64: a non-root reader). With
    `acs` the downstream port, the one port without one, gets an ACS capability."""
    def config(slot: str) -> bytearray:
        data = (with_ee_prefix(PARTS[slot], slot in ee, slot in blocking)
                if slot != HDA else sample(PARTS[slot]))
        if slot == DSP and acs:  # the one port without ACS (its dump holds 256 bytes)
            data = with_acs(data)
        return bridge(data, *BUSES[slot]) if slot in BUSES else data

    parents = {USP: RP, DSP: USP, NVME: DSP}
    drivers = {NVME: ("vfio-pci", "12"), DSA: ("idxd", "3"), GPU: (None, "5"),
               HDA: ("snd_hda_intel", "7")}
    return build(root, [Fake(slot, config(slot), parents.get(slot),
                             *drivers.get(slot, ("pcieport", None)), readable=readable)
                        for slot in (RP, USP, DSP, NVME, DSA, GPU, HDA)])


# ---------------------------------------------------------------- the oracle's side

def lspci_facts(root: Path | None, ids: str | None = SYSTEM_IDS) -> dict[str, dict]:
    """Per device, what lspci says: its line, path, driver, IOMMU group, port type,
    End-End TLP Prefix support and ACS capability (with the config file's bytes)."""
    names = lspci(root, "-D", ids=ids).splitlines()
    paths = lspci(root, "-PP", ids=ids).splitlines()
    facts: dict[str, dict] = {}
    for line, path in zip(names, paths, strict=False):
        slot = line.split(" ", 1)[0]
        facts[slot] = {"line": lspci(root, "-s", slot, ids=ids).rstrip("\n"),
                       "path": path.split(" ", 1)[0].split("/"),
                       "config": (root / "bus" / "pci" / "devices" / slot / "config").read_bytes()
                       if root is not None else b""}
    for block in lspci(root, "-D", "-vvvk", ids=ids).split("\n\n"):
        if not block.strip():
            continue
        slot = block.split(" ", 1)[0]
        driver = re.search(r"^\tKernel driver in use: (.*)$", block, re.M)
        group = re.search(r"^\tIOMMU group: (.*)$", block, re.M)
        kind = re.search(r"Capabilities: \[[0-9a-f]+\] Express \(v\d\) ([A-Za-z ]+)", block)
        prefix = re.search(r"EETLPPrefix([+-])", block)
        acs = re.search(r"Access Control Services\n\t\tACSCap:\t(.*)\n", block)
        facts[slot].update(driver=driver and driver.group(1), group=group and group.group(1),
                           kind=kind and kind.group(1).strip(),
                           ee=prefix is not None and prefix.group(1) == "+",
                           acs=acs and acs.group(1))
    return facts


def kernel_enables_pasid(facts: dict[str, dict], slot: str) -> bool:
    """drivers/pci/probe.c pci_configure_eetlp_prefix, on lspci's facts: a PCIe function
    with End-End TLP Prefix support joins the chain if it is a Root Port or an RCiEP, or if
    its upstream bridge is in the chain; pci_enable_pasid refuses a device outside it."""
    def acs_ok(s: str) -> bool:
        # drivers/pci/pci.c pci_acs_enabled(RR | UF): ports must have ACS (bits they do not
        # implement count as on, and the kernel enables the rest at boot); a multifunction
        # endpoint too (header type bit 7, read from the config file); others pass
        f = facts[s]
        if f["kind"] in ("Root Port", "Downstream Port"):
            return f["acs"] is not None
        multifunction = f["config"][0x0E] & 0x80
        return not multifunction or f["acs"] is not None

    def acs_path(s: str) -> bool:
        above = facts[s]["path"][:-1]
        return acs_ok(s) and (not above or acs_path(next(k for k in facts if k.endswith(above[-1]))))

    def in_chain(s: str) -> bool:
        f = facts[s]
        if f["kind"] is None or not f["ee"]:
            return False
        if f["kind"] in ("Root Port", "Root Complex Integrated Endpoint"):
            return True
        above = facts[s]["path"][:-1]
        return bool(above) and in_chain(next(k for k in facts if k.endswith(above[-1])))
    return in_chain(slot) and acs_path(slot)


def short(slot: str) -> str:
    return pciids.lspci_slot(slot)


# ---------------------------------------------------------------- the fake machine

@needs_lspci
def test_live_devices_are_what_lspci_reads_from_the_same_tree(tmp_path):
    root = machine(tmp_path)
    ids = pciids.read(SYSTEM_IDS)
    facts = lspci_facts(root)
    devices = host.devices(str(root))
    assert [d.slot for d in devices] == list(facts)
    for dev in devices:
        f = facts[dev.slot]
        assert dev.name_line(ids) == f["line"]
        assert [short(s) for s in dev.upstream + (dev.slot,)] == f["path"]
        assert (dev.driver, dev.iommu_group) == (f["driver"], f["group"])
        assert dev.root_bus == "pci0000:00"


@needs_lspci
@pytest.mark.parametrize("ee", [set(), ALL, ALL - {USP}, ALL - {RP}, ALL - {NVME}, ALL - {DSA}],
                         ids=["none", "all", "no-upstream-port", "no-root-port", "no-device",
                              "no-rciep"])
def test_the_path_flags_each_function_as_lspci_decodes_it(tmp_path, ee):
    root = machine(tmp_path, ee)
    facts = lspci_facts(root)
    for slot in (NVME, DSA, GPU, HDA):
        path = host.upstream_path(slot, str(root))
        assert [short(h.slot) for h in path.hops] == facts[slot]["path"]
        for h in path.hops:
            assert h.ee_prefix is facts[h.slot]["ee"], h.slot
        state, why = path.verdict()
        assert (state == topology.OK) == kernel_enables_pasid(facts, slot), why
        if state == topology.BLOCKED:
            lacking = [h.slot for h in path.hops if not facts[h.slot]["ee"]]
            if lacking:
                assert any(s in why for s in lacking) or (slot in lacking and "the device" in why)
            else:  # all support it, but the path starts at no Root Port (the GPU)
                assert "not at a Root Port" in why
        else:
            assert state == topology.OK  # every fact is readable: nothing is unknown


def test_a_blocking_port_is_a_warning_never_ok(tmp_path):
    root = machine(tmp_path, {RP, USP, DSP, NVME}, blocking={DSP})
    state, why = host.upstream_path(NVME, str(root)).verdict()
    assert state == topology.WARNING and DSP in why and "Blocking" in why


def test_a_non_root_reader_sees_64_bytes_and_nothing_is_called_ok(tmp_path):
    root = machine(tmp_path, {RP, USP, DSP, NVME}, readable=64)
    assert host.config_access(str(root)) == 64
    path = host.upstream_path(NVME, str(root))
    assert all(h.ee_prefix is None and "only 64" in h.note for h in path.hops)
    assert path.verdict()[0] == topology.UNKNOWN
    full = machine(tmp_path / "root", {RP, USP, DSP, NVME})
    assert host.config_access(str(full)) == 4096
    assert host.upstream_path(NVME, str(full)).verdict()[0] == topology.OK


def test_every_sysfs_file_is_opened_read_only(tmp_path, monkeypatch):
    root = str(machine(tmp_path, {RP}))
    monkeypatch.setenv("CAPSLOT_SYSFS_ROOT", root)
    flags_seen = []
    real_open = os.open

    def spy(path, flags, *a, **kw):
        flags_seen.append((path, flags))
        return real_open(path, flags, *a, **kw)

    monkeypatch.setattr(os, "open", spy)
    ids = pciids.NO_NAMES
    for dev in host.devices():
        host.upstream_path(dev.slot)
        (cs,) = load(f"sysfs:{dev.slot}")
        host.describe(cs, ids)
    host.config_access()
    opened = {os.path.basename(p) for p, _ in flags_seen if str(p).startswith(root)}
    assert {"config", "vendor", "class", "revision"} <= opened
    bad = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    assert all(f & bad == 0 for _, f in flags_seen)


def test_no_sysfs_tree_means_no_live_mode(tmp_path):
    assert host.slots(str(tmp_path)) == [] and host.devices(str(tmp_path)) == []
    assert host.config_access(str(tmp_path)) is None
    assert host.slots(str(machine(tmp_path / "m"))) == ORDER


# ---------------------------------------------------------------- the commands

def env_for(root: Path) -> dict[str, str]:
    return {**os.environ, "CAPSLOT_SYSFS_ROOT": str(root), "COLUMNS": "400"}


@needs_lspci
def test_show_sysfs_prints_lspcis_line_and_the_path(tmp_path):
    root = machine(tmp_path, {RP, DSP, NVME})
    r = capslot("show", f"sysfs:{NVME}", "--pci-ids", SYSTEM_IDS, env=env_for(root))
    assert r.code == 0, r.err
    line = lspci(root, "-s", NVME, ids=SYSTEM_IDS).rstrip("\n")
    assert r.out.splitlines()[0].rstrip() == f"{NVME}  [144d:a826]  {line.split(' ', 1)[1]}"
    flagged = [l for l in r.out.splitlines() if "NOT supported" in l]
    assert len(flagged) == 1 and USP in flagged[0]
    assert "PASID over this path: blocked" in r.out


@pytest.mark.parametrize("ee, code, verdict", [({RP, USP, DSP, NVME}, 0, "ok"),
                                               ({RP, DSP, NVME}, 1, "blocked")])
def test_path_command_json_and_exit_code(tmp_path, ee, code, verdict):
    root = machine(tmp_path, ee)
    r = capslot("path", "--device", NVME, "--json", env=env_for(root))
    assert r.code == code, r.err
    (dev,) = __import__("json").loads(r.out)["devices"]
    up = dev["upstream"]
    assert up["verdict"] == verdict and up["complete"] and up["root"] == "pci0000:00"
    assert [h["slot"] for h in up["hops"]] == [RP, USP, DSP, NVME]
    assert [h["ee_prefix"] for h in up["hops"]] == [s in ee for s in (RP, USP, DSP, NVME)]


def test_show_json_carries_the_path_of_a_live_device(tmp_path):
    root = machine(tmp_path)
    r = capslot("show", f"sysfs:{HDA}", "--json", env=env_for(root))
    (dev,) = __import__("json").loads(r.out)["devices"]
    assert dev["upstream"]["hops"][0]["slot"] == HDA
    assert "version 1" in dev["upstream"]["why"]  # ICH10 HDA: PCIe capability v1


# ---------------------------------------------------------------- the picker

SIZE = (160, 50)


def screen_text(app) -> str:
    import html

    return html.unescape(re.sub(r"<[^>]+>", "", app.export_screenshot())).replace("\u00a0", " ")


async def until(pilot, condition, guard: float = 30) -> None:
    """Let the app run until `condition()` holds (the picker reads sysfs off the UI thread);
    `guard` seconds is a guard against a hang, never a timing assertion."""
    import time

    deadline = time.monotonic() + guard
    while not condition():
        assert time.monotonic() < deadline, "the condition never came"
        await pilot.pause()
    await pilot.pause()  # and what it changed is painted before the screen is read


def picker_listed(app) -> bool:
    from capslot.tui.screens.live import LivePicker

    return isinstance(app.screen, LivePicker) and app.screen.listed


def detail_has(app, text: str) -> bool:
    return text in " ".join(screen_text(app).split())


def live_app(root: Path, ids=None):
    from tests.tui_apps import make_app
    from capslot.tui.screens.live import LiveApp

    base = make_app()
    return LiveApp(base.session, base.path, root=str(root), ids=ids)


async def test_the_picker_lists_the_machine_and_opens_a_device(tmp_path, monkeypatch):
    from textual.widgets import DataTable

    from capslot.tui.screens.live import LivePicker

    root = machine(tmp_path, {RP, USP, DSP, NVME})
    monkeypatch.setenv("CAPSLOT_SYSFS_ROOT", str(root))  # the explorer reads sysfs:BDF there
    names = tmp_path / "names.ids"
    names.write_text("144d  Samsung\n\ta826  PM1743\nC 01  Mass storage controller\n"
                     "\t08  Non-Volatile memory controller\n")
    app = live_app(root, pciids.read(str(names)))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: picker_listed(app))
        assert isinstance(app.screen, LivePicker)
        table = app.screen.query_one(DataTable)
        assert [k.value for k in table.rows] == ORDER
        text = screen_text(app)
        assert "vfio-pci" in text and "snd_hda_intel" in text and "Read-only" in text
        assert "sudo capslot" not in text
        await pilot.press(*["down"] * ORDER.index(NVME))
        await until(pilot, lambda: detail_has(app, "04:00.0 Non-Volatile"))
        text = screen_text(app)
        assert "04:00.0 Non-Volatile memory controller: Samsung PM1743" in text
        assert "PASID over this path: ok" in text and all(s in text for s in (RP, USP, DSP))
        await pilot.press("v")  # the explorer's keys do nothing over the picker
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, LivePicker)
        assert app.session.device.provenance.source == f"sysfs:{NVME}"
        assert app.session.device.complete and app.session.view_name == "guest"
        assert "Non-Volatile memory controller: Samsung PM1743" in app.sub_title
        await pilot.press("l")
        await until(pilot, lambda: picker_listed(app))
        assert isinstance(app.screen, LivePicker)
        await pilot.press("escape")  # back to the device already open
        await pilot.pause()
        assert not isinstance(app.screen, LivePicker) and app.is_running


async def test_the_picker_says_how_to_read_more_than_64_bytes(tmp_path):
    from capslot.tui.screens.live import LivePicker

    root = machine(tmp_path, readable=64)
    app = live_app(root, pciids.NO_NAMES)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: picker_listed(app))
        text = " ".join(screen_text(app).split())  # the note wraps
        assert "read only the first 64 bytes" in text and "sudo capslot" in text
        assert isinstance(app.screen, LivePicker)
        await pilot.press("escape")  # nothing opened yet: Escape leaves
        await pilot.pause()
    assert app.return_code is not None or not app.is_running


async def test_names_from_a_hostile_pci_ids_show_literally(tmp_path):
    root = machine(tmp_path)
    evil = tmp_path / "evil.ids"
    evil.write_text("144d  [bold red]Evil[/] \x1b[31mCorp\n\ta826  [link=x]drive\n")
    app = live_app(root, pciids.read(str(evil)))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: detail_has(app, "drive"))
        text = screen_text(app)
        assert "[bold red]Evil[/] \\x1b[31mCorp [link=x]drive" in text


# ---------------------------------------------------------------- this machine

REAL = Path("/sys/bus/pci/devices")
real_slots = sorted(os.listdir(REAL)) if REAL.is_dir() else []
needs_real = pytest.mark.skipif(not real_slots or LSPCI is None or SYSTEM_IDS is None,
                                reason="no PCI devices in sysfs, or no lspci")


@needs_real
def test_this_machines_devices_are_named_and_placed_as_lspci_does(monkeypatch):
    monkeypatch.delenv("CAPSLOT_SYSFS_ROOT", raising=False)
    facts = lspci_facts(None)
    assert sorted(facts) == real_slots
    env = {k: v for k, v in os.environ.items() if k != "CAPSLOT_SYSFS_ROOT"} | {"COLUMNS": "400"}
    for slot in real_slots:
        r = capslot("show", f"sysfs:{slot}", "--pci-ids", SYSTEM_IDS, env=env)
        assert r.code == 0, r.err
        name = facts[slot]["line"].split(" ", 1)[1]  # lspci's line after its slot
        assert r.out.splitlines()[0].rstrip().endswith(f"]  {name}"), slot
        assert r.out.startswith(f"{slot}  [")
        dev = host.device(slot)
        assert [short(s) for s in dev.upstream + (slot,)] == facts[slot]["path"]
        assert (dev.driver, dev.iommu_group) == (facts[slot]["driver"], facts[slot]["group"])
        if os.geteuid() == 0:  # the path's prefix facts need the whole config space
            path = host.upstream_path(slot)
            assert [h.ee_prefix for h in path.hops] == [
                facts[next(k for k in facts if k.endswith(p))]["ee"] for p in facts[slot]["path"]]


@needs_real
async def test_the_picker_on_this_machine(monkeypatch):
    from textual.widgets import DataTable

    monkeypatch.delenv("CAPSLOT_SYSFS_ROOT", raising=False)
    from tests.tui_apps import make_app
    from capslot.tui.screens.live import LiveApp

    base = make_app()
    app = LiveApp(base.session, base.path)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: picker_listed(app))
        table = app.screen.query_one(DataTable)
        assert [k.value for k in table.rows] == real_slots
        await pilot.press(*["down"] * (len(real_slots) - 1), "enter")
        await pilot.pause()
        assert app.session.device.provenance.slot == real_slots[-1]


# ---------------------------------------------------------------- a blocking sysfs (issue 20, N4)

def fifo_attribute(root: Path, slot: str, name: str = "vendor") -> Path:
    """`name` of `slot` made a FIFO nobody writes to (a read of it would block for good)."""
    path = Path(os.path.realpath(root / "bus" / "pci" / "devices" / slot)) / name
    path.unlink()
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("command", ["show", "path"])
def test_a_fifo_attribute_never_hangs_show_or_path(tmp_path, command):
    root = machine(tmp_path, {RP, USP, DSP, NVME})
    fifo_attribute(root, NVME)
    fifo_attribute(root, DSP, "class")
    r = capslot(command, f"sysfs:{NVME}", timeout=60, env=env_for(root))  # a hang: TimeoutExpired
    assert r.code == 0 and r.err == "", r.err  # the attribute is unreadable: config says it
    assert "Non-Volatile memory controller" in r.out and "PASID over this path: ok" in r.out


async def test_the_picker_lists_a_machine_with_a_fifo_attribute_and_ctrl_q_quits(tmp_path):
    from textual.widgets import DataTable

    root = machine(tmp_path)
    fifo_attribute(root, NVME)
    app = live_app(root, pciids.NO_NAMES)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: picker_listed(app))
        assert [k.value for k in app.screen.query_one(DataTable).rows] == ORDER
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running)
    assert app.return_code == 0


async def test_ctrl_q_quits_while_a_sysfs_read_blocks(tmp_path, monkeypatch):
    """The picker reads sysfs off the UI thread: a read that never returns (here, one that
    waits for the test's release) holds neither the screen nor the way out."""
    import threading

    root = machine(tmp_path)
    release, finished = threading.Event(), threading.Event()
    real = host.devices

    def blocking(root=None):
        release.wait(20)  # a guard: the test releases it at the end
        finished.set()
        return real(root)

    monkeypatch.setattr(host, "devices", blocking)
    app = live_app(root, pciids.NO_NAMES)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert "reading sysfs" in screen_text(app)
            await pilot.press("ctrl+q")
            await until(pilot, lambda: not app.is_running)
        assert not finished.is_set()  # quit while the read was still blocked
    finally:
        release.set()


async def test_the_plan_is_checked_against_the_device_picked(tmp_path, monkeypatch):
    """`capslot --plan p.json` on a live host: p.json is the picked device's plan (never
    checked against the bundled sample), taken up when that device is opened."""
    from dataclasses import replace

    from tests.tui_apps import make_app
    from capslot.tui.screens.live import LiveApp
    from capslot.tui.session import Session

    root = machine(tmp_path, {RP, USP, DSP, NVME})
    monkeypatch.setenv("CAPSLOT_SYSFS_ROOT", str(root))
    plan = tmp_path / "p.json"
    plan.write_text(json.dumps({"device": {"vendor_id": 0x144D, "device_id": 0xA826}, "placements": [
        {"vcap": "pasid", "size": 8, "offset": 0xFF8, "chosen_by": "user", "rule": "pinned"}]}))
    base = make_app()
    ranges = ((0x800, 0x900),)  # --ranges: kept through every device picked
    app = LiveApp(Session.of(replace(base.session.state, ranges=ranges)), base.path, root=str(root),
                  plan=str(plan))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press(*["down"] * ORDER.index(NVME), "enter")
        await pilot.pause()
        assert app.session.device.provenance.source == f"sysfs:{NVME}"
        assert app.session.plan_path == str(plan) and app.session.ranges == ranges
        assert [(p.request.name, p.request.offset) for p in app.session.placed] == [("pasid", 0xFF8)]
        held = plan.read_bytes()
        await pilot.press("l")  # another device: the NVMe's plan is not its own
        await pilot.pause()
        await pilot.press(*["up"] * len(ORDER), "enter")
        await pilot.pause()
        assert app.session.device.provenance.source == f"sysfs:{ORDER[0]}"
        assert app.session.plan_path is None and app.session.set_aside == str(plan)
        assert app.session.ranges == ranges
        await pilot.press("a")
        await pilot.pause()
        assert plan.read_bytes() == held
