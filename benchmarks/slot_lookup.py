"""`capslot show --json --slot LAST FILE` against `lspci -F FILE -s LAST -vvv`.

Builds a 10,000-device `lspci -xxxx` text file from sample_dumps/ (the real dumps repeated,
each device given its own slot), then runs the two commands in alternating pairs after a
warm-up of each, and prints wall and CPU time (user + system of the child, from wait4) and
peak RSS, min / median / max over the pairs. LAST is the file's last device: the worst
case for a reader that scans. Prints figures; asserts nothing (issue 14's goal: capslot
at most lspci's time).

    .venv/bin/python benchmarks/slot_lookup.py [--devices N] [--pairs N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))
_VENV_CAPSLOT = ROOT / ".venv" / "bin" / "capslot"
CAPSLOT = [str(_VENV_CAPSLOT)] if _VENV_CAPSLOT.exists() else [sys.executable, "-m", "tui.cli"]
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


def run(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one run."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def stats(values: list[float], scale: float = 1.0, unit: str = "s", fmt: str = ".3f") -> str:
    v = [x * scale for x in values]
    return f"min {min(v):{fmt}} {unit}  median {statistics.median(v):{fmt}} {unit}  max {max(v):{fmt}} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--pairs", type=int, default=7)
    args = parser.parse_args()
    lspci = shutil.which("lspci")
    if not lspci:
        raise SystemExit("lspci is not installed (apt-get install pciutils): no peer to compare with")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.txt"
        last = corpus(path, args.devices)
        print(f"file: {args.devices} devices, {path.stat().st_size / 1e6:.1f} MB; slot {last} (the last)")
        commands = {
            "capslot show --json --slot LAST": [*CAPSLOT, "show", "--json", "--slot", last, str(path)],
            "lspci -F FILE -s LAST -vvv": [lspci, "-F", str(path), "-s", last, "-vvv"],
        }
        for cmd in commands.values():  # warm-up: page cache, .pyc files
            run(cmd)
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
        for _ in range(args.pairs):
            for name, cmd in commands.items():
                results[name].append(run(cmd))
        for name, rows in results.items():
            print(f"{name} ({args.pairs} runs, alternating):")
            print(f"  wall  {stats([r[0] for r in rows])}")
            print(f"  cpu   {stats([r[1] for r in rows])}")
            print(f"  rss   {stats([r[2] for r in rows], 1 / 1024, 'MB', '.0f')}")
        c, l = (statistics.median(r[0] for r in rows) for rows in results.values())
        print(f"median wall ratio capslot / lspci: {c / l:.2f}")


if __name__ == "__main__":
    main()
