"""Honest timing for the benchmarks: commands measured in alternation (A B A B ...), a warm-up
round first, wall and CPU time (user + system of the whole process tree) per run, peak memory
of the whole process tree (all its processes' RSS summed, sampled while it runs), reported as
min / median / max. Imported by the other scripts; asserts nothing."""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Runs:
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)  # KiB, whole tree

    @staticmethod
    def spread(xs: list[float], scale: float = 1.0, digits: int = 3) -> str:
        return " / ".join(f"{x * scale:.{digits}f}" for x in (min(xs), statistics.median(xs), max(xs)))

    def line(self, name: str, unit: str = "s") -> str:
        scale, digits = (1000.0, 1) if unit == "ms" else (1.0, 3)
        return (f"{name:<44} wall {self.spread(self.wall, scale, digits)} {unit}   "
                f"cpu {self.spread(self.cpu, scale, digits)} {unit}   "
                f"peak {max(self.rss) / 1024:.0f} MB")


def _tree_rss(root: int) -> int:
    """RSS (KiB) of `root` and all its descendants now."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE") // 1024
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/statm") as f:
                resident = int(f.read().split()[1])
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = resident * page
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def run_once(cmd: Sequence[str], cwd: Path = ROOT, env: dict | None = None,
             stdin: Path | None = None) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the tree's user + system) and peak tree RSS (KiB)."""
    peak = 0
    done = threading.Event()
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as inp:
        t = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdin=inp,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def sample() -> None:
            nonlocal peak
            while not done.wait(0.02):
                peak = max(peak, _tree_rss(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, _, usage = os.wait4(proc.pid, 0)  # the child's own usage, its reaped workers included
        wall = time.perf_counter() - t
        proc.returncode = 0
        done.set()
        sampler.join()
    cpu = usage.ru_utime + usage.ru_stime
    # a run shorter than the sampling step: the kernel's peak of its largest process
    return wall, cpu, max(peak, usage.ru_maxrss)


def paired(commands: dict[str, Sequence[str]], pairs: int = 5, warmup: int = 1,
           env: dict | None = None) -> dict[str, Runs]:
    """Every command run `warmup` times, then `pairs` rounds of all of them in alternation."""
    for _ in range(warmup):
        for cmd in commands.values():
            run_once(cmd, env=env)
    out = {name: Runs() for name in commands}
    for _ in range(pairs):
        for name, cmd in commands.items():
            wall, cpu, rss = run_once(cmd, env=env)
            out[name].wall.append(wall)
            out[name].cpu.append(cpu)
            out[name].rss.append(rss)
    return out


def ratio(a: Runs, b: Runs) -> str:
    """Median CPU of a over median CPU of b (and wall beside it)."""
    return (f"{statistics.median(a.cpu) / statistics.median(b.cpu):.2f}x cpu, "
            f"{statistics.median(a.wall) / statistics.median(b.wall):.2f}x wall")


def bytecode_env() -> dict:
    """The environment with bytecode caching allowed (the measure is 'with cached bytecode';
    this workplace sets PYTHONDONTWRITEBYTECODE)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
