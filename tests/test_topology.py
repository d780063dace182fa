"""The End-End TLP Prefix check on dumps: each function's support as pciutils decodes it,
and the upstream path of a device in a dump of a whole machine, by bus numbers, as
`lspci -F DUMP -PP` builds it; a missing bridge makes the path incomplete, never ok."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from capslot.core import host, topology
from capslot.core.sources import load
from tests.cli import capslot
from tests.conftest import sample_dumps
from tests.fake_sysfs import LSPCI, lspci
from tests.helpers import config_space, load_bytes, pcie_cap
from tests.test_live_host import ALL, DSP, GPU, NVME, ORDER, RP, USP, machine, short

needs_lspci = pytest.mark.skipif(LSPCI is None, reason="lspci (pciutils) is not installed")
PREFIX = re.compile(r"EETLPPrefix([+-])(?:, MaxEETLPPrefixes (\d))?")


@pytest.mark.parametrize("dump", sample_dumps(), ids=lambda p: p.stem)
def test_prefix_support_is_read_as_lspci_decodes_it(dump):
    decode = dump.with_name(dump.stem + ".lspci.txt").read_text()
    m = PREFIX.search(decode)
    h = topology.hop(load(str(dump))[0], None)
    if m is None:  # lspci prints no DevCap2 (no PCIe, or a version 1 capability)
        assert h.ee_prefix is not True
    else:
        assert h.ee_prefix is (m.group(1) == "+")
        assert h.max_prefixes == (int(m.group(2)) if m.group(2) else None)


PORT = re.compile(r"Express \(v\d\) (Root Port|Downstream Port)")


@pytest.mark.parametrize("dump", [d for d in sample_dumps()
                                  if PORT.search(d.with_name(d.stem + ".lspci.txt").read_text())],
                         ids=lambda p: p.stem)
def test_a_ports_acs_is_read_as_lspci_decodes_it(dump):
    """pci_enable_pasid() needs ACS on every Root and Downstream Port of the path
    (pci_acs_path_enabled): a port lspci shows no ACS for fails, unless its extended space
    is not in the dump (then unknown, never ok)."""
    decode = dump.with_name(dump.stem + ".lspci.txt").read_text()
    cs = load(str(dump))[0]
    h = topology.hop(cs, None)
    if "Access Control Services" in decode:
        assert h.acs is True, h.acs_note
    elif not cs.has(0x100, 4):
        assert h.acs is None and "not in the bytes read" in h.acs_note
    else:
        assert h.acs is False and "no ACS capability" in h.acs_note


def whole_machine(tmp_path: Path, ee: set[str], drop: tuple[str, ...] = ()) -> Path:
    """`lspci -xxxx` of the fake machine, as one text dump (pciutils writes it), less the
    devices in `drop`."""
    root = machine(tmp_path / "sys", ee)
    blocks = lspci(root, "-xxxx").split("\n\n")
    kept = [b for b in blocks if b.strip() and not any(b.startswith(short(s) + " ") for s in drop)]
    out = tmp_path / "machine.txt"
    out.write_text("\n\n".join(kept) + "\n")
    return out


def lspci_paths(dump: Path) -> dict[str, list[str]]:
    out = subprocess.run([LSPCI, "-F", str(dump), "-PP"], capture_output=True, text=True, check=True)
    return {line.split(" ", 1)[0].split("/")[-1]: line.split(" ", 1)[0].split("/")
            for line in out.stdout.splitlines()}


@needs_lspci
@pytest.mark.parametrize("ee", [ALL, ALL - {USP}, set()], ids=["all", "no-upstream-port", "none"])
def test_a_whole_machine_dump_gives_the_path_sysfs_gives(tmp_path, ee):
    dump = whole_machine(tmp_path, ee)
    devices = load(str(dump))
    assert [d.provenance.slot for d in devices] == ORDER
    theirs = lspci_paths(dump)
    for i, cs in enumerate(devices):
        path = topology.from_dump(devices, i)
        assert [short(h.slot) for h in path.hops] == theirs[short(cs.provenance.slot)]
        live = host.upstream_path(cs.provenance.slot, str(tmp_path / "sys"))
        if cs.provenance.slot == GPU:  # an endpoint on the root bus: a dump cannot tell a
            assert not path.complete  # missing root port from none (sysfs can)
            assert path.verdict()[0] == (topology.UNKNOWN if GPU in ee else topology.BLOCKED)
        else:
            assert path.verdict()[0] == live.verdict()[0] and path.complete
        assert [(h.slot, h.ee_prefix, h.role) for h in path.hops] == \
               [(h.slot, h.ee_prefix, h.role) for h in live.hops]


@needs_lspci
@pytest.mark.parametrize("drop, gap", [((USP,), "bus 03"), ((RP,), "not a Root Port"),
                                       ((RP, USP), "bus 03")])
def test_a_bridge_missing_from_the_dump_makes_the_path_incomplete(tmp_path, drop, gap):
    dump = whole_machine(tmp_path, ALL, drop)
    devices = load(str(dump))
    index = [d.provenance.slot for d in devices].index(NVME)
    path = topology.from_dump(devices, index)
    assert [short(h.slot) for h in path.hops] == lspci_paths(dump)["04:00.0"]
    assert not path.complete and any(gap in n for n in path.notes)
    state, why = path.verdict()
    assert state == topology.UNKNOWN and "incomplete" in why  # every present port supports it


@needs_lspci
def test_path_and_show_on_a_machine_dump(tmp_path):
    dump = whole_machine(tmp_path, ALL - {DSP})
    r = capslot("path", str(dump), "--slot", "04:00.0", "--json")
    assert r.code == 1, r.err
    (dev,) = json.loads(r.out)["devices"]
    assert dev["upstream"]["verdict"] == "blocked" and DSP in dev["upstream"]["why"]
    # show of the whole file gives every device its path (show --slot goes straight to one
    # device without reading the others, so it leaves the path to `capslot path`)
    r = capslot("show", str(dump), env={**os.environ, "COLUMNS": "300"})
    assert r.code == 0 and "from the bridges in this dump" in r.out
    assert any(l.lstrip().startswith(DSP) and "NOT supported" in l for l in r.out.splitlines())
    shown = json.loads(capslot("show", str(dump), "--json").out)["devices"]
    (nvme,) = [d for d in shown if d["slot"] == "0000:04:00.0"]
    assert nvme["upstream"]["verdict"] == "blocked"
    r = capslot("path", str(dump), "--slot", "00:0a.0")  # the RCiEP: nothing above it
    assert r.code == 0 and "ok" in r.out


def test_a_dump_of_one_device_has_no_path_and_is_never_ok():
    for name in ("intel_spr_dsa_0b25", "samsung_pm1743_nvme_a826"):
        path = topology.from_dump(load(f"sample_dumps/{name}.txt"), 0)
        assert path.source == "one device" and not path.ports
        assert path.verdict()[0] in (topology.UNKNOWN, topology.BLOCKED)


def _bridge_at(bus: int, dev: int, secondary: int, subordinate: int):
    data = bytearray(config_space({0x40: pcie_cap(port_type=4)}, header_type=1))
    data[0x0B], data[0x0A] = 0x06, 0x04
    data[0x18:0x1B] = bytes([bus, secondary, subordinate])
    return data


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 31), st.integers(0, 255),
                          st.integers(0, 255)), min_size=2, max_size=12))
def test_hostile_bus_numbers_never_loop_or_raise(bridges):
    from dataclasses import replace

    devices = []
    for n, (bus, dev, sec, sub) in enumerate(bridges):
        cs = load_bytes(bytes(_bridge_at(bus, dev, sec, sub)))
        slot = f"0000:{bus:02x}:{dev:02x}.{n % 8}"
        devices.append(replace(cs, provenance=replace(cs.provenance, slot=slot)))
    for i in range(len(devices)):
        path = topology.from_dump(devices, i)
        assert len(path.ports) < len(devices)
        assert len({h.slot for h in path.ports}) == len(path.ports)
        path.verdict()
