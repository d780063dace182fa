"""Plan validation before and after (issue 15): the explorer re-validates every placement
against every other one on each refresh. Before: 1,600 placements took 27 s a refresh (a new
target tuple per pair); now an interval index and one finding per kind keep it n log n.

    python benchmarks/plan_validation.py [--before DIR] [--runs N]

Each checkout runs in its own process, the two alternate, a warm-up run first; printed:
min / median / max wall and CPU seconds of one refresh (Session.placements()) for 100, 400
and 960 placements (960 DWORD-aligned VSECs of 16 bytes: every one overlaps three others).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from capslot.core.placement import parse_vcap
from capslot.core.sources import load
from capslot.tui import session as S
slot = getattr(S, "Slot")
placed = [slot(parse_vcap(f"vsec:0x10@{{0x100 + 4 * n:#x}}"), "user", "pinned") for n in range({n})]
if hasattr(S, "State"):  # the session's state is one immutable value
    s = S.Session(load({nic!r}), placed=placed)
else:
    s = S.Session(load({nic!r}))
    s.placed = placed
t, c = time.perf_counter(), time.process_time()
s.placements()
print(json.dumps([time.perf_counter() - t, time.process_time() - c]))
"""


def one(repo: Path, n: int, timeout: float) -> tuple[float, float] | None:
    code = PROBE.format(repo=str(repo), nic=str(ROOT / "sample_dumps/realtek_rtl8168_nic_b.txt"), n=n)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=timeout, cwd=repo, check=True).stdout
    except subprocess.TimeoutExpired:
        return None
    wall, cpu = json.loads(out.splitlines()[-1])
    return wall, cpu


def fmt(xs: list[float]) -> str:
    return f"{min(xs):8.3f} {statistics.median(xs):8.3f} {max(xs):8.3f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", type=Path, help="a checkout of the old code (git worktree)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()
    repos = {"after": ROOT}
    if args.before:
        repos = {"before": args.before, **repos}
    print(f"{'placements':>10} {'code':>7}   wall s (min median max)      cpu s (min median max)")
    for n in (100, 400, 960):
        results: dict[str, list[tuple[float, float]]] = {k: [] for k in repos}
        for repo in repos.values():
            one(repo, n, args.timeout)  # warm-up
        for _ in range(args.runs):
            for name, repo in repos.items():
                r = one(repo, n, args.timeout)
                if r is not None:
                    results[name].append(r)
        for name, rs in results.items():
            if not rs:
                print(f"{n:>10} {name:>7}   more than {args.timeout:.0f} s")
                continue
            print(f"{n:>10} {name:>7}   {fmt([w for w, _ in rs])}   {fmt([c for _, c in rs])}")


if __name__ == "__main__":
    main()
