"""capslot survey against lspci on the same ~5,000-device file, in the same run.

Builds a corpus from sample_dumps/ (repeated), times `capslot survey --jsonl` (with
--jobs, one per core) and `lspci -F FILE -vvv` (best of several each), prints both, the
ratio and capslot's peak RSS; then the RSS on a file ten times larger (it must not grow);
then `capslot show --json` on one dump. Prints figures; asserts nothing."""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))
CAPSLOT = [sys.executable, "-m", "tui.cli"]


def corpus(path: Path, devices: int) -> int:
    texts = [p.read_text() for p in DUMPS]
    n = 0
    with open(path, "w") as f:
        while n < devices:
            for t in texts:
                f.write(t.rstrip("\n") + "\n\n")
                n += 1
                if n >= devices:
                    break
    return n


def timed(cmd: list[str], runs: int) -> tuple[float, int]:
    """Best wall time of `runs`, and the peak RSS (KiB) of the process tree."""
    best, rss = float("inf"), 0
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        t = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, check=False)
        best = min(best, time.perf_counter() - t)
        rss = max(rss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)
    return best, rss


def peak_rss(cmd: list[str]) -> int:
    """Peak RSS (KiB) of the largest process of one run, measured by GNU time when present."""
    gnu_time = shutil.which("time") or "/usr/bin/time"
    if not os.path.exists(gnu_time):
        return timed(cmd, 1)[1]
    out = subprocess.run([gnu_time, "-f", "%M", *cmd], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, cwd=ROOT).stderr
    return int(out.strip().splitlines()[-1])


def main(devices: int = 5000, runs: int = 3) -> None:
    jobs = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        small, big = Path(tmp) / "corpus.txt", Path(tmp) / "corpus10.txt"
        n = corpus(small, devices)
        print(f"corpus: {n} devices, {small.stat().st_size / 1e6:.1f} MB "
              f"({len(DUMPS)} real dumps repeated)")
        survey = [*CAPSLOT, "survey", "--jsonl", "--jobs", str(jobs), str(small)]
        t_capslot, _ = timed(survey, runs)
        rss = peak_rss(survey)
        lspci = shutil.which("lspci")
        print(f"capslot survey --jsonl --jobs {jobs}: best of {runs} {t_capslot:.2f} s, peak RSS {rss / 1024:.0f} MB")
        one = [*CAPSLOT, "survey", "--jsonl", "--jobs", "1", str(small)]
        print(f"capslot survey --jsonl --jobs 1:  best of {runs} {timed(one, runs)[0]:.2f} s")
        if lspci:
            t_lspci, _ = timed([lspci, "-F", str(small), "-vvv"], runs)
            print(f"lspci -F FILE -vvv:               best of {runs} {t_lspci:.2f} s")
            print(f"ratio capslot / lspci:            {t_capslot / t_lspci:.2f}")
        else:
            print("lspci is not installed (apt-get install pciutils): no peer figure")
        corpus(big, devices * 10)
        rss_big = peak_rss([*CAPSLOT, "survey", "--jsonl", "--jobs", str(jobs), str(big)])
        print(f"peak RSS on a file ten times larger ({big.stat().st_size / 1e6:.0f} MB): {rss_big / 1024:.0f} MB")
    one_dump = str(ROOT / "sample_dumps" / "intel_0d93_cxl_dvsec.txt")
    times = []
    for _ in range(11):
        t = time.perf_counter()
        subprocess.run([*CAPSLOT, "show", "--json", one_dump], stdout=subprocess.DEVNULL, cwd=ROOT)
        times.append(time.perf_counter() - t)
    print(f"capslot show --json (one dump): median {statistics.median(times) * 1000:.0f} ms over 11 runs")


if __name__ == "__main__":
    main()
