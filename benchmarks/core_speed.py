"""Core speed: read + walk + map + JSON per device over the bundled corpus, and the wall
time of `capslot show --json` as a process (with `lspci -F -vvv` beside it when lspci
is installed). Prints figures; never asserts (timed tests are not tests)."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.layout import build  # noqa: E402
from core.report import device_object  # noqa: E402
from core.sources import load  # noqa: E402

DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))
ONE = ROOT / "sample_dumps" / "intel_0d93_cxl_dvsec.txt"


def per_device(rounds: int = 5) -> None:
    best = {}
    for stage in ("load", "build", "json"):
        best[stage] = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        spaces = [load(str(p))[0] for p in DUMPS]
        t1 = time.perf_counter()
        layouts = [build(cs) for cs in spaces]
        t2 = time.perf_counter()
        for layout in layouts:
            json.dumps(device_object(layout))
        t3 = time.perf_counter()
        best["load"] = min(best["load"], t1 - t0)
        best["build"] = min(best["build"], t2 - t1)
        best["json"] = min(best["json"], t3 - t2)
    n = len(DUMPS)
    print(f"in-process, best of {rounds}, {n} real devices:")
    for stage, secs in best.items():
        print(f"  {stage:6s} {secs * 1e6 / n:8.0f} us/device")
    print(f"  total  {sum(best.values()) * 1e6 / n:8.0f} us/device")


def wall(cmd: list[str], runs: int = 11) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    per_device()
    capslot = [sys.executable, "-m", "tui.cli", "show", "--json", str(ONE)]
    print(f"capslot show --json {ONE.name}: median {wall(capslot) * 1000:.0f} ms (process)")
    lspci = shutil.which("lspci")
    if lspci:
        print(f"lspci -F {ONE.name} -vvv:        median {wall([lspci, '-F', str(ONE), '-vvv']) * 1000:.0f} ms")
    else:
        print("lspci not installed: no peer figure (apt-get install pciutils)")


if __name__ == "__main__":
    main()
