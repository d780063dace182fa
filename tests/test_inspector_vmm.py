"""The inspector speaks of the chosen VMM (issue 21): under each VMM the note on a byte says
what THAT VMM does with guest reads and writes there. The truth here is a model written in
this test from the source rules quoted in core/views/vmms.py (its module docstring and the
VMM entries' notes), applied to the capability offsets lspci printed for the sample."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from capslot.core.sources import load
from capslot.core.target import TargetSpec
from capslot.core.views.vmms import VMMS, byte_handling
from tests.tui_apps import TABLE
from capslot.tui.session import Session
from capslot.tui.widgets.inspector import byte_panel

ROOT = Path(__file__).resolve().parent.parent
INTEL = ROOT / "sample_dumps/intel_82576_nic_10c9_sriov.txt"  # ARI, SR-IOV
FIJI = ROOT / "sample_dumps/amd_fiji_gpu_7300_rebar.txt"  # Resizable BAR (1 BAR), ARI last

# How each VMM removes a capability (vmms.py): rebuild | id-null | relink-zero | unlink; and
# whether a removed capability's body reads 0 with writes dropped (Firecracker's
# device-passthrough code: "its body as 0", "guest writes to the masked registers are dropped")
STYLE = {"qemu": ("rebuild", False), "cloud-hypervisor": ("id-null", False),
         "openvmm": ("id-null", False), "firecracker": ("id-null", True),
         "firecracker-vfio": ("id-null", False), "firecracker-unlink": ("unlink", False),
         "crosvm": ("relink-zero", False)}
# Their sizes, from the PCIe spec: ARI 8 bytes, SR-IOV 0x40, Resizable BAR 4 + 8 per BAR.
SIZES = {"Alternative Routing-ID Interpretation (ARI)": 8,
         "Single Root I/O Virtualization (SR-IOV)": 0x40, "Physical Resizable BAR": 12}
REMOVED_BY_EVERY_OTHER = set(SIZES)  # each VMM but QEMU removes ARI, SR-IOV and Resizable BAR
# QEMU removes ARI and SR-IOV; Resizable BAR only when a current size is > 27 (Fiji's BAR 0:
# 256MB, lspci), so it keeps the Fiji's
QEMU_REMOVES = {"Alternative Routing-ID Interpretation (ARI)", "Single Root I/O Virtualization (SR-IOV)"}


def extended(dump: Path) -> list[tuple[int, str]]:
    """The extended capabilities lspci printed, in chain order: (offset, name)."""
    text = dump.with_suffix("").with_suffix(".lspci.txt").read_text()
    return [(int(m[1], 16), m[2].strip()) for m in
            re.finditer(r"Capabilities: \[([0-9a-f]{3}) v\d\] ([^\n:]+)", text)]


def model(vmm: str, dump: Path, offset: int) -> tuple[str, str]:
    """(reads, writes) at `offset` under `vmm`, from the rules above."""
    style, zero_body = STYLE[vmm]
    caps = extended(dump)
    owner = next(((o, n) for o, n in reversed(caps) if o <= offset), None) if offset >= 0x100 else None
    if owner is None:  # the standard part: QEMU rebuilds the standard chain (next pointers)
        pm_next = offset == 0x41 or offset == 0x51  # the PM capability's next byte (lspci)
        return ("emulated" if style == "rebuild" and pm_next else "passed through", "forwarded")
    at, name = owner
    rel = offset - at
    removed = style != "rebuild" and name in REMOVED_BY_EVERY_OTHER
    follows_removed = any(n in REMOVED_BY_EVERY_OTHER for o, n in caps[[o for o, _ in caps].index(at) + 1:][:1])
    if style == "rebuild":  # QEMU: every extended header it keeps is its own; writes forwarded
        return ("emulated" if rel < 4 and name not in QEMU_REMOVES else "passed through",
                "forwarded")
    if style == "id-null":
        if not removed:
            return "passed through", "forwarded"
        writes = "dropped" if zero_body else "forwarded"
        if rel < 2:
            return "emulated", writes  # the ID bits 15:0 read 0
        if rel < 4:
            return "passed through", writes  # version and next kept
        return ("hidden" if zero_body and rel < SIZES[name] else "passed through"), writes
    if style == "relink-zero":
        if removed:
            return "hidden", "dropped"  # the whole extent reads 0 (none is the head here)
        return ("emulated" if 2 <= rel < 4 else "passed through"), "forwarded"
    # unlink: the previous kept header's next skips a removed one; a removed one stays raw
    if not removed and 2 <= rel < 4 and follows_removed:
        return "emulated", "forwarded"
    return "passed through", "forwarded"


CASES = [(INTEL, off) for off in (0x41, 0x44, 0x102, 0x143, 0x150, 0x152, 0x154, 0x164, 0x17C)] + \
        [(FIJI, off) for off in (0x51, 0x152, 0x200, 0x208, 0x272, 0x32A)]


@pytest.mark.parametrize("vmm", list(STYLE))
def test_each_vmm_says_what_it_does_with_the_byte(vmm):
    assert set(STYLE) == set(VMMS)  # a VMM added to the registry gets its rule here
    for dump, offset in CASES:
        layout = Session(load(str(dump)), table=TABLE, target=TargetSpec(vmm=vmm)).synthesized()
        got = byte_handling(layout, offset, vmm)
        assert (got.reads, got.writes) == model(vmm, dump, offset), (dump.name, hex(offset), got.text)


@pytest.mark.parametrize("vmm", ["cloud-hypervisor", "crosvm", "firecracker", "openvmm"])
def test_the_inspector_names_the_vmm_chosen_and_never_qemu(vmm):
    from rich.console import Console

    layout = Session(load(str(INTEL)), table=TABLE, target=TargetSpec(vmm=vmm)).synthesized()
    console = Console(width=200, record=True, file=io.StringIO())
    console.print(byte_panel(layout, 0x150, vmm))
    text = console.export_text()
    note = next(line for line in text.splitlines() if line.startswith(f"{vmm}: "))
    assert VMMS[vmm].label in note and "ARI" in note
    assert "qemu" not in text.lower()


def test_explain_says_the_same_as_the_inspector():
    """`capslot explain --vmm crosvm` on SR-IOV's body: crosvm's extent rule (reads 0, writes
    dropped), in the text and in --json."""
    import json

    from tests.cli import capslot

    r = capslot("explain", str(INTEL), "0x164", "--vmm", "crosvm", "--json")
    assert r.code == 0, r.err
    (guest,) = [v for v in json.loads(r.out)["views"] if v["view"] == "guest"]
    assert (guest["vmm"], guest["vmm_reads"], guest["vmm_writes"]) == ("crosvm", "hidden", "dropped")
    assert model("crosvm", INTEL, 0x164) == ("hidden", "dropped")
