"""capslot survey against lspci on the same fleet corpus, in alternation, in the same run.

The corpus (benchmarks/fleet.py): the bundled real dumps repeated to 5,000 and 20,000 devices,
every copy at its own slot with its own BARs, bus numbers, status bits and serial number, so
no two devices are the same bytes. Measured, paired (A B, B A, ... after a warm-up):
`capslot survey --jsonl --jobs 1` (the headline: one core against lspci's one core),
`--jobs N` with every core (labelled, beside it), `lspci -F FILE -vvv` when installed, and with
`--before DIR` the same survey from another checkout (an earlier commit: before and after from
one harness, one run). CPU and wall min / median / max; ratios as the median of per-pair
ratios; memory as the child's own peak (wait4) and the process tree's; the load average
before and after. Goal (issue 23): --jobs 1 at most 1.0x lspci's CPU.

    python benchmarks/survey_vs_lspci.py [--devices N ...] [--pairs N] [--before DIR] [--no-flat]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import fleet  # noqa: E402 - after the path
from benchmarks.measure import (  # noqa: E402
    Code,
    Runs, bytecode_env, have, load, pair_ratio, paired, ratio, run_full)

ONE = "capslot survey --jsonl --jobs 1"
BEFORE = "before: survey --jsonl --jobs 1"
LSPCI = "lspci -F FILE -vvv (one core)"


def checkout(path: Path) -> list[str]:
    """`capslot` as the code in `path` runs it (the venv's Python, that checkout first)."""
    return Code(path).command()


def figures(n: int, path: Path, runs: dict[str, Runs], cores: int) -> None:
    every = runs[f"capslot survey --jsonl --jobs {cores} (all cores)"]
    one = runs[ONE]
    for name, r in runs.items():
        print("  " + r.line(name))
    if LSPCI in runs:
        peer = runs[LSPCI]
        print(f"  headline, one core against one core: --jobs 1 / lspci = {ratio(one, peer)}   (goal <= 1.0x cpu)")
        if BEFORE in runs:
            print(f"  before, the same: --jobs 1 / lspci = {ratio(runs[BEFORE], peer)}")
        print(f"  devices per second, wall: --jobs 1 {n / _median(one.wall):.0f}, "
              f"--jobs {cores} {n / _median(every.wall):.0f}, lspci {n / _median(peer.wall):.0f}")
    if BEFORE in runs:
        print(f"  after / before, --jobs 1: {ratio(one, runs[BEFORE])}")
    print(f"  --jobs {cores} against --jobs 1: wall {pair_ratio(every.wall, one.wall):.2f}x, "
          f"cpu {pair_ratio(every.cpu, one.cpu):.2f}x, memory (tree) "
          f"{pair_ratio(every.tree, one.tree):.2f}x ({_median(every.tree) / 1024:.0f} MB against "
          f"{_median(one.tree) / 1024:.0f} MB)")


def _median(xs: list) -> float:
    import statistics

    return statistics.median(xs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, nargs="+", default=[5000, 20000])
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--before", type=Path, help="a checkout of an earlier commit, measured beside")
    ap.add_argument("--no-flat", action="store_true", help="skip the run on a file ten times larger")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0))
    capslot = str(Path(sys.executable).with_name("capslot"))
    env = bytecode_env()
    print(f"survey against lspci: {load()}")
    lspci = have("lspci")
    with tempfile.TemporaryDirectory() as tmp:
        for devices in args.devices:
            path = Path(tmp) / f"fleet{devices}.txt"
            n = fleet.write(path, devices)
            print(f"corpus: {n} devices (benchmarks/fleet.py: {len(fleet.models())} real dumps, every "
                  f"copy varied), {path.stat().st_size / 1e6:.0f} MB")
            commands = {ONE: [capslot, "survey", "--jsonl", "--jobs", "1", str(path)],
                        f"capslot survey --jsonl --jobs {cores} (all cores)":
                            [capslot, "survey", "--jsonl", "--jobs", str(cores), str(path)]}
            if args.before:
                commands[BEFORE] = [*checkout(args.before.resolve()), "survey", "--jsonl", "--jobs", "1",
                                    str(path)]
            if lspci:
                commands[LSPCI] = [lspci, "-F", str(path), "-vvv"]
            figures(n, path, paired(commands, pairs=args.pairs, env=env), cores)
            path.unlink()
        if not args.no_flat:
            big = Path(tmp) / "fleet-big.txt"
            fleet.write(big, args.devices[0] * 10)
            _, _, own, tree = run_full([capslot, "survey", "--jsonl", "--jobs", str(cores), str(big)], env=env)
            print(f"  a file ten times larger ({big.stat().st_size / 1e6:.0f} MB), --jobs {cores}: "
                  f"peak {own / 1024:.0f} MB, tree {tree / 1024:.0f} MB (flat: the same as above)")
    print(f"survey against lspci: done, {load()}")


if __name__ == "__main__":
    main()
