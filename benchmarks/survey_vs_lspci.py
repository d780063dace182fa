"""capslot survey against lspci on the same corpus, in alternation, in the same run.

The corpus: the bundled real dumps repeated to ~5,000 devices, each with a slot of its own
(unique domain:bus:dev.fn: nothing a cache could exploit). Measured: `capslot survey --jsonl
--jobs 1` (the headline: one core against lspci's one core), `--jobs N` with every core
(labelled, beside it), `lspci -F FILE -vvv`; CPU and wall, min / median / max after a warm-up;
peak memory of the whole process tree (workers included); then the tree's peak on a file ten
times larger (it must not grow). Goal (issue 14): --jobs 1 at most 1.0x lspci's CPU.

    python benchmarks/survey_vs_lspci.py [--devices N] [--pairs N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import bytecode_env, paired, ratio, run_once  # noqa: E402 - after the path

DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))


def corpus(path: Path, devices: int) -> int:
    """`devices` lspci -xxxx devices, every one at its own slot dddd:bb:dd.f."""
    bodies = []
    for p in DUMPS:
        text = p.read_text()
        for block in text.strip("\n").split("\n\n"):
            head, _, body = block.partition("\n")
            if body:
                bodies.append((head.split(" ", 1)[1] if " " in head else "Device", body))
    n = 0
    with open(path, "w") as f:
        while n < devices:
            for name, body in bodies:
                slot = f"{n >> 16:04x}:{(n >> 8) & 0xFF:02x}:{(n >> 3) & 0x1F:02x}.{n & 7}"
                f.write(f"{slot} {name}\n{body}\n\n")
                n += 1
                if n >= devices:
                    break
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--devices", type=int, default=5000)
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0))
    capslot = str(Path(sys.executable).with_name("capslot"))
    lspci = shutil.which("lspci")
    env = bytecode_env()
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "corpus.txt", Path(tmp) / "corpus10.txt"
        n = corpus(small, args.devices)
        print(f"corpus: {n} devices with unique slots, {small.stat().st_size / 1e6:.1f} MB, "
              f"from {len(DUMPS)} real dumps; {cores} cores")
        commands = {"capslot survey --jsonl --jobs 1": [capslot, "survey", "--jsonl", "--jobs", "1", str(small)],
                    f"capslot survey --jsonl --jobs {cores} (all cores)":
                        [capslot, "survey", "--jsonl", "--jobs", str(cores), str(small)]}
        if lspci:
            commands["lspci -F FILE -vvv (one core)"] = [lspci, "-F", str(small), "-vvv"]
        runs = paired(commands, pairs=args.pairs, env=env)
        for name, r in runs.items():
            print("  " + r.line(name))
        one = runs["capslot survey --jsonl --jobs 1"]
        if lspci:
            peer = runs["lspci -F FILE -vvv (one core)"]
            print(f"  headline, one core against one core: --jobs 1 / lspci = {ratio(one, peer)}   (goal 1.0x cpu)")
            every = runs[f"capslot survey --jsonl --jobs {cores} (all cores)"]
            print(f"  beside it, all {cores} cores: wall {statistics.median(every.wall) / statistics.median(peer.wall):.2f}x lspci's")
            print(f"  devices per second on one core: {n / statistics.median(one.wall):.0f} (lspci: "
                  f"{n / statistics.median(peer.wall):.0f})")
        else:
            print("  lspci is not installed (apt-get install pciutils): no peer figure")
        corpus(big, args.devices * 10)
        _, _, rss = run_once([capslot, "survey", "--jsonl", "--jobs", str(cores), str(big)], env=env)
        print(f"  peak memory of the process tree on a file ten times larger "
              f"({big.stat().st_size / 1e6:.0f} MB): {rss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
