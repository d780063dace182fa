"""`capslot show --json --slot LAST FILE` against `lspci -F FILE -s LAST -vvv`.

Builds a 10,000-device `lspci -xxxx` text file from sample_dumps/ (the real dumps repeated,
each device given its own slot), then runs the two commands in alternating pairs after a
warm-up of each (benchmarks/measure.py), and prints wall and CPU time and peak RSS, min /
median / max over the pairs, and the median of the per-pair ratios. Without lspci, capslot's
figures alone. LAST is the file's last device: the worst
case for a reader that scans. Prints figures; asserts nothing (issue 14's goal: capslot
at most lspci's time).

    .venv/bin/python benchmarks/slot_lookup.py [--devices N] [--pairs N]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import bytecode_env, have, load, paired, ratio  # noqa: E402 - after the path

DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))
_VENV_CAPSLOT = ROOT / ".venv" / "bin" / "capslot"
CAPSLOT = [str(_VENV_CAPSLOT)] if _VENV_CAPSLOT.exists() else [sys.executable, "-m", "capslot"]
_DEVICE_LINE = re.compile(r"^(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]", re.M)


def slot_of(n: int) -> str:
    """The n-th unique PCI address: function, then device, then bus, then domain."""
    return f"{n >> 16:04x}:{(n >> 8) & 0xFF:02x}:{(n >> 3) & 0x1F:02x}.{n & 7}"


def corpus(path: Path, devices: int) -> str:
    """Writes the file; returns the last device's slot."""
    texts = [p.read_text() for p in DUMPS]
    with open(path, "w") as f:
        for n in range(devices):
            text = texts[n % len(texts)].rstrip("\n")
            f.write(_DEVICE_LINE.sub(slot_of(n), text, count=1) + "\n\n")
    return slot_of(devices - 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=7)
    args = parser.parse_args()
    print(f"slot lookup: {load()}")
    lspci = have("lspci")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.txt"
        last = corpus(path, args.devices)
        print(f"file: {args.devices} devices, {path.stat().st_size / 1e6:.1f} MB; slot {last} (the last)")
        commands = {"capslot show --json --slot LAST": [*CAPSLOT, "show", "--json", "--slot", last, str(path)]}
        if lspci:
            commands["lspci -F FILE -s LAST -vvv"] = [lspci, "-F", str(path), "-s", last, "-vvv"]
        runs = paired(commands, pairs=args.pairs, env=bytecode_env())
        for name, r in runs.items():
            print("  " + r.line(name))
        if lspci:
            print(f"  capslot / lspci: {ratio(*runs.values())}")
    print(f"slot lookup: done, {load()}")


if __name__ == "__main__":
    main()
