"""Core speed: `capslot show --json` and the Rich `show` against their floor (`python -c pass`
of the same venv) and their peer (`lspci -F DUMP -vvv`), in alternation with cached bytecode;
then where a `show --json` spends its time (`python -X importtime`) and the work per device
in-process. Goals (issue 14): show --json <= 1.4x the floor, the Rich show <= 2x.

    python benchmarks/core_speed.py [--pairs N]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import bytecode_env, paired, ratio  # noqa: E402 - after the path

DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))
ONE = ROOT / "sample_dumps" / "intel_0d93_cxl_dvsec.txt"
CAPSLOT = str(Path(sys.executable).with_name("capslot"))


def processes(pairs: int) -> None:
    env = bytecode_env()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "core"), str(ROOT / "tui")],
                   check=True, env=env)
    commands = {"python -c pass (floor)": [sys.executable, "-c", "pass"],
                "capslot show --json": [CAPSLOT, "show", "--json", str(ONE)],
                "capslot show (Rich)": [CAPSLOT, "show", str(ONE)]}
    lspci = shutil.which("lspci")
    if lspci:
        commands["lspci -F DUMP -vvv (peer)"] = [lspci, "-F", str(ONE), "-vvv"]
    runs = paired(commands, pairs=pairs, env=env)
    print(f"processes on {ONE.name}, {pairs} alternating rounds after a warm-up (min / median / max):")
    for name, r in runs.items():
        print("  " + r.line(name, "ms"))
    floor = runs["python -c pass (floor)"]
    json_ = runs["capslot show --json"]
    rich = runs["capslot show (Rich)"]
    print(f"  show --json / floor: {ratio(json_, floor)}   (goal 1.4x)")
    print(f"  show (Rich) / floor: {ratio(rich, floor)}   (goal 2x)")
    if lspci:
        print(f"  show --json / lspci: {ratio(json_, runs['lspci -F DUMP -vvv (peer)'])}")


def importtime() -> None:
    out = subprocess.run([sys.executable, "-X", "importtime", "-m", "tui.cli", "show", "--json", str(ONE)],
                         capture_output=True, text=True, cwd=ROOT, env=bytecode_env()).stderr
    rows = []
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and len(m.group(3)) <= 2:  # top-level imports and their direct children
            rows.append((int(m.group(2)), m.group(4)))
    print("python -X importtime, show --json: the costliest top-level imports (cumulative):")
    for us, name in sorted(rows, reverse=True)[:10]:
        print(f"  {us / 1000:7.1f} ms  {name}")


def per_device(rounds: int = 5) -> None:
    from core.layout import build
    from core.report import device_object
    from core.sources import load

    best = {"load": float("inf"), "build": float("inf"), "json": float("inf")}
    for _ in range(rounds):
        t0 = time.perf_counter()
        spaces = [load(str(p))[0] for p in DUMPS]
        t1 = time.perf_counter()
        layouts = [build(cs) for cs in spaces]
        t2 = time.perf_counter()
        for layout in layouts:
            json.dumps(device_object(layout))
        t3 = time.perf_counter()
        for stage, secs in zip(best, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            best[stage] = min(best[stage], secs)
    n = len(DUMPS)
    print(f"in-process, best of {rounds}, {n} real devices: " + ", ".join(
        f"{stage} {secs * 1e6 / n:.0f}" for stage, secs in best.items())
        + f", total {sum(best.values()) * 1e6 / n:.0f} us/device")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=7)
    args = ap.parse_args()
    processes(args.pairs)
    importtime()
    per_device()


if __name__ == "__main__":
    main()
