"""Core speed: `capslot show --json` and the human `show` (Rich's bytes, written without Rich
where tui/writer.py models the terminal) against their floor (`python -c pass` of the same
venv) and their peer (`lspci -F DUMP -vvv`), with cached bytecode; then where a `show --json`
spends its time (`python -X importtime`) and the work per device in-process.
Goals (issue 23): show --json <= 1.4x the floor, the human show <= 2x.

Each command is paired with the floor: N pairs, the order alternating (floor first, then the
command first), after a warm-up. CPU is the child's own (user + system from os.wait4, which
reaps it), wall the parent's clock around it, memory the child's own peak (ru_maxrss). The
ratio is the median of the per-pair ratios (each pair ran side by side, so a burst of load
hits both), with the min and max of those ratios beside it.

    python benchmarks/core_speed.py [--pairs N] [--checkout DIR]

--checkout DIR measures the capslot of another checkout (a whole one: `git archive 761d562`
unpacked in DIR, for a before-and-after) with this venv's Python.

Where valgrind is installed, each command's user-space instructions are counted too (one run
under callgrind, against the floor's): a figure the load of a shared machine cannot move, to
read beside the CPU ratios (user CPU tracks it; system time, about a fifth of the floor's CPU,
is not in it).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import Code, bytecode_env  # noqa: E402 - after the path

DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))
ONE = ROOT / "sample_dumps" / "intel_0d93_cxl_dvsec.txt"
FLOOR = [sys.executable, "-c", "pass"]


def capslot_command(checkout: Path) -> list[str]:
    """What the installed `capslot` script runs, from `checkout`'s code."""
    if checkout == ROOT:
        return [str(Path(sys.executable).with_name("capslot"))]
    return Code(checkout).command()


def run(cmd: Sequence[str], env: dict) -> tuple[float, float, int]:
    """(CPU seconds of the child alone, wall seconds, its peak RSS in KiB)."""
    with open(os.devnull, "rb") as inp, open(os.devnull, "wb") as out:
        t = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdin=inp, stdout=out, stderr=out, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall, usage.ru_maxrss


def spread(xs: list[float], scale: float = 1.0, unit: str = "") -> str:
    return " / ".join(f"{x * scale:.{1 if scale > 1 else 2}f}" for x in
                      (min(xs), statistics.median(xs), max(xs))) + unit


def pairs_against_floor(cmd: Sequence[str], pairs: int, env: dict) -> dict[str, list[float]]:
    """`pairs` runs of the floor and of `cmd`, side by side, the order alternating."""
    for _ in range(2):  # warm-up: the page cache and the bytecode
        run(FLOOR, env), run(cmd, env)
    got: dict[str, list[float]] = {k: [] for k in ("cpu", "wall", "rss", "fcpu", "fwall")}
    for i in range(pairs):
        if i % 2:
            c, w, m = run(cmd, env)
            fc, fw, _ = run(FLOOR, env)
        else:
            fc, fw, _ = run(FLOOR, env)
            c, w, m = run(cmd, env)
        for k, v in zip(got, (c, w, m, fc, fw), strict=True):
            got[k].append(v)
    return got


def report(name: str, got: dict[str, list[float]], goal: float | None) -> float:
    cpu_ratios = [c / f for c, f in zip(got["cpu"], got["fcpu"], strict=True)]
    wall_ratios = [w / f for w, f in zip(got["wall"], got["fwall"], strict=True)]
    median = statistics.median(cpu_ratios)
    print(f"  {name:<28} cpu {spread(got['cpu'], 1000, ' ms')}   wall {spread(got['wall'], 1000, ' ms')}"
          f"   peak {max(got['rss']) / 1024:.0f} MB")
    print(f"  {'  the floor beside it':<28} cpu {spread(got['fcpu'], 1000, ' ms')}"
          f"   wall {spread(got['fwall'], 1000, ' ms')}")
    print(f"  {'  per-pair ratio':<28} cpu {spread(cpu_ratios, unit='x')}   wall {spread(wall_ratios, unit='x')}"
          f"   median cpu {median:.2f}x" + (f" (goal {goal}x)" if goal else ""))
    return median


def processes(pairs: int, checkout: Path) -> None:
    env = bytecode_env()
    for tree in ("core", "tui"):
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(checkout / tree)], check=True, env=env)
    capslot = capslot_command(checkout)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {pairs} pairs each against "
          f"`python -c pass`, order alternating; {ONE.name}; code of {checkout}")
    print("  (min / median / max; CPU from the child's own rusage)")
    report("capslot show --json", pairs_against_floor([*capslot, "show", "--json", str(ONE)], pairs, env), 1.4)
    report("capslot show (human)", pairs_against_floor([*capslot, "show", str(ONE)], pairs, env), 2.0)
    lspci = shutil.which("lspci")
    if lspci:
        report("lspci -F DUMP -vvv (peer)", pairs_against_floor([lspci, "-F", str(ONE), "-vvv"], pairs, env),
               None)
    else:
        print("  lspci not found: the peer is skipped")
    print(f"load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    instruction_ratios(capslot, env)


def instructions(cmd: Sequence[str], env: dict) -> int | None:
    """User-space instructions of one run of `cmd` (callgrind's total), None without valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        out = subprocess.run([valgrind, "--tool=callgrind", f"--callgrind-out-file={scratch}/cg.out", *cmd],
                             capture_output=True, text=True, env=env).stderr
    m = re.search(r"Collected : (\d+)", out)
    return int(m.group(1)) if m else None


def instruction_ratios(capslot: list[str], env: dict) -> None:
    floor = instructions(FLOOR, env)
    if floor is None:
        print("  valgrind is not installed: the instruction counts are skipped")
        return
    print(f"user-space instructions (callgrind, one run each; load-independent): floor {floor / 1e6:.1f}M")
    for name, cmd in (("capslot show --json", [*capslot, "show", "--json", str(ONE)]),
                      ("capslot show (human)", [*capslot, "show", str(ONE)])):
        count = instructions(cmd, env)
        if count:
            print(f"  {name:<28} {count / 1e6:.1f}M   {count / floor:.2f}x the floor")


def importtime(checkout: Path) -> None:
    code = Code(checkout).boot(f"sys.argv[1:] = ['show', '--json', {str(ONE)!r}]; main()")
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True,
                         env=bytecode_env()).stderr
    rows = []
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and len(m.group(3)) <= 2:  # top-level imports and their direct children
            rows.append((int(m.group(2)), m.group(4)))
    print("python -X importtime, show --json: the costliest top-level imports (cumulative):")
    for us, name in sorted(rows, reverse=True)[:10]:
        print(f"  {us / 1000:7.1f} ms  {name}")


def per_device(rounds: int = 5) -> None:
    from capslot.core.layout import build
    from capslot.core.report import device_object
    from capslot.core.sources import load

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
    ap.add_argument("--pairs", type=int, default=15)
    ap.add_argument("--checkout", type=Path, default=ROOT, help="measure the capslot of this checkout")
    args = ap.parse_args()
    checkout = args.checkout.resolve()
    processes(args.pairs, checkout)
    importtime(checkout)
    if checkout == ROOT:
        per_device()


if __name__ == "__main__":
    main()
