"""Untrusted input: what cannot be read is one line `capslot: file[:line]: what` and exit 2,
quickly; a readable dump with a broken chain is parsed with its problems listed."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from tests.cli import capslot
from tests.helpers import config_space, ext_header, pcie_cap, std_cap

NIC = "sample_dumps/realtek_rtl8168_nic_b.txt"


def one_error_line(result, path: str, line: int | None = None) -> str:
    assert result.code == 2, result
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    where = f"capslot: {path}:{line}: " if line else f"capslot: {path}: "
    assert lines[0].startswith(where), lines[0]
    assert "Traceback" not in result.err
    return lines[0]


def test_empty_file(tmp_path):
    p = tmp_path / "empty"
    p.write_bytes(b"")
    assert "empty" in one_error_line(capslot("show", str(p)), str(p))


def test_text_garbage(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("\nDear diary,\nthe device did not work.\n")
    assert "not a config-space dump" in one_error_line(capslot("show", str(p)), str(p), 2)


def test_binary_of_the_wrong_size(tmp_path):
    p = tmp_path / "blob"
    p.write_bytes(bytes(range(256)) * 3 + b"\x00" * 232)  # 1000 bytes
    assert "1000 bytes" in one_error_line(capslot("show", str(p)), str(p))


def test_bad_hex_row_names_its_line(tmp_path):
    lines = Path(NIC).read_text().splitlines()
    lines[5] = "40: 01 50 c3 zz 08 00 00 00 00 00 00 00 00 00 00 00"
    p = tmp_path / "bad.txt"
    p.write_text("\n".join(lines) + "\n")
    assert "bad hex row" in one_error_line(capslot("show", str(p)), str(p), 6)


def test_short_hex_row(tmp_path):
    lines = Path(NIC).read_text().splitlines()
    lines[3] = "20: 0c 00 ef f8"
    p = tmp_path / "short.txt"
    p.write_text("\n".join(lines) + "\n")
    one_error_line(capslot("show", str(p)), str(p), 4)


def test_directory_and_missing_file(tmp_path):
    assert "directory" in one_error_line(capslot("show", str(tmp_path)), str(tmp_path))
    missing = str(tmp_path / "nope.txt")
    assert "no such file" in one_error_line(capslot("show", missing), missing)


def test_a_100_mb_random_file_is_refused_fast(tmp_path):
    p = tmp_path / "random.bin"
    with open(p, "wb") as f:
        for _ in range(100):
            f.write(os.urandom(1 << 20))
    start = time.monotonic()
    result = capslot("show", str(p))
    assert time.monotonic() - start < 5
    assert "binary data" in one_error_line(result, str(p))


def test_usage_errors_are_one_line_too():
    r = capslot("show", NIC, "--view", "nonsense")
    assert r.code == 2 and len(r.err.splitlines()) == 1 and r.err.startswith("capslot: usage:")


def run_json(tmp_path, raw: bytes):
    p = tmp_path / "config"
    p.write_bytes(raw)
    r = capslot("show", str(p), "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)["devices"][0]


def test_loop_in_the_extended_chain(tmp_path):
    raw = config_space(std={0x40: pcie_cap()},
                       ext={0x100: ext_header(0x01, 1, 0x200), 0x200: ext_header(0x18, 1, 0x100)})
    dev = run_json(tmp_path, raw)
    assert [c["offset"] for c in dev["capabilities"]] == [0x40, 0x100, 0x200]
    assert [(p["kind"], p["offset"]) for p in dev["problems"]] == [("loop", 0x200)]


def test_loop_in_the_standard_chain_and_pointer_into_the_header(tmp_path):
    raw = config_space(std={0x40: std_cap(0x01, 0x50, bytes(6)), 0x50: std_cap(0x05, 0x40, bytes(8))})
    dev = run_json(tmp_path, raw)
    assert [p["kind"] for p in dev["problems"]] == ["loop"]
    raw = config_space(std={0x40: std_cap(0x01, 0x10, bytes(6))})
    assert [p["kind"] for p in run_json(tmp_path, raw)["problems"]] == ["bad_pointer"]


def test_pointer_out_of_range_reserved_bits_and_zero_header(tmp_path):
    raw = config_space(std={0x41 & ~3: pcie_cap()}, cap_ptr=0x41,
                       ext={0x100: ext_header(0x01, 1, 0x300)})
    kinds = [p["kind"] for p in run_json(tmp_path, raw)["problems"]]
    assert kinds == ["reserved_bits", "null_header"]


def test_all_ff_is_parsed_with_problems(tmp_path):
    dev = run_json(tmp_path, b"\xff" * 4096)
    assert dev["vendor_id"] == 0xFFFF
    assert {p["kind"] for p in dev["problems"]} >= {"absent"}


def test_truncated_capability(tmp_path):
    # An SR-IOV capability (0x40 bytes) at 0xfe0 runs past the end of the space.
    raw = config_space(std={0x40: pcie_cap()}, ext={0x100: ext_header(0x18, 1, 0xFE0),
                                                     0xFE0: ext_header(0x10)})
    dev = run_json(tmp_path, raw)
    assert ("truncated", 0xFE0) in [(p["kind"], p["offset"]) for p in dev["problems"]]
    # and the 256-byte dump of the same: the extended space is simply unavailable
    dev = run_json(tmp_path, raw[:256])
    assert dev["available"] == 256 and dev["regions"][-1] == {
        "start": 256, "end": 4096, "kind": "unavailable", "capability": None}


def test_overlapping_capabilities(tmp_path):
    raw = config_space(std={0x40: pcie_cap()},
                       ext={0x100: ext_header(0x10, 1, 0x120), 0x120: ext_header(0x18)})
    dev = run_json(tmp_path, raw)
    assert ("overlap", 0x120) in [(p["kind"], p["offset"]) for p in dev["problems"]]
    kinds = [(r["start"], r["end"], r["kind"]) for r in dev["regions"] if 0x100 <= r["start"] < 0x130]
    assert kinds[:2] == [(0x100, 0x120, "capability"), (0x120, 0x128, "capability")]


@pytest.mark.parametrize("evil", ["[bold red]x[/]", "[link=https://evil.example]click[/link]",
                                  "\x1b[31mred\x1b[0m"])
def test_markup_in_a_device_line_prints_literally(tmp_path, evil):
    lines = Path(NIC).read_text().splitlines()
    lines[0] = f"08:00.0 Ethernet controller: {evil}"
    p = tmp_path / "evil.txt"
    p.write_text("\n".join(lines) + "\n")
    r = capslot("show", str(p))
    assert r.code == 0, r.err
    shown = evil.replace("\x1b", "\\x1b")  # an escape is shown as the text \x1b
    assert shown in " ".join(r.out.split())
    assert "\x1b" not in r.out  # no escape sequence from the dump reaches the terminal


def test_the_parsers_choices_are_the_cores():
    """The parser names views, kernel profiles and VMMs without importing the core; they
    must be the core's own."""
    from capslot.core.views import PROFILES, VIEWS
    from capslot.core.views.vmms import VMMS
    from capslot import arguments, cli

    assert arguments.VIEW_NAMES == VIEWS
    assert {k: v.description for k, v in PROFILES.items()} == arguments.PROFILE_HELP
    assert set(arguments.VMM_NAMES) == set(VMMS)
    assert set(cli.SUBCOMMANDS) == set(cli.COMMANDS)


def test_a_misspelt_command_suggests_the_closest_one():
    from tests.cli import capslot

    r = capslot("shwo", "sample_dumps/realtek_rtl8168_nic_b.txt")
    assert r.code == 2 and r.out == ""
    assert r.err.splitlines() == ["capslot: usage: 'shwo' is not a command: did you mean "
                                  "`capslot show`? (see capslot --help)"]


def test_survey_of_a_directory_skips_lspci_text_and_notes(tmp_path):
    from tests.cli import capslot

    root = Path(__file__).resolve().parent.parent / "sample_dumps"
    for name in ("realtek_rtl8168_nic_b.txt", "realtek_rtl8168_nic_b.lspci.txt", "NOTES.md"):
        (tmp_path / name).write_bytes((root / name).read_bytes() if (root / name).exists() else b"# notes\n")
    r = capslot("survey", str(tmp_path))
    assert r.code == 0, r.err
    assert "1 devices read" in r.out and "could not be read" not in r.out, r.out
