"""Honest timing for the benchmarks: commands measured in alternation (A B, then B A, ...) after
a warm-up round, each run's wall and CPU time (user + system of the child and the workers it
reaped, from os.wait4 of that child), its memory twice: the child's own peak RSS from the same
wait4 (the kernel's figure for the measured process, never the benchmark's own), and the peak
of the whole process tree summed (sampled while it runs: what --jobs workers add). Reported as
min / median / max; a ratio is the median of the per-pair ratios. Imported by the other
scripts; asserts nothing.

The machine is shared: every script prints the load average before and after (`load()`).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
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
    rss: list[int] = field(default_factory=list)  # KiB: the child's own peak (wait4)
    tree: list[int] = field(default_factory=list)  # KiB: the process tree's summed peak (sampled)

    @staticmethod
    def spread(xs: list[float], scale: float = 1.0, digits: int = 3) -> str:
        return " / ".join(f"{x * scale:.{digits}f}" for x in (min(xs), statistics.median(xs), max(xs)))

    def line(self, name: str, unit: str = "s") -> str:
        scale, digits = (1000.0, 1) if unit == "ms" else (1.0, 3)
        tree = max(self.tree, default=0)
        both = f", tree {tree / 1024:.0f} MB" if tree > 1.2 * max(self.rss) else ""
        return (f"{name:<44} wall {self.spread(self.wall, scale, digits)} {unit}   "
                f"cpu {self.spread(self.cpu, scale, digits)} {unit}   "
                f"peak {statistics.median(self.rss) / 1024:.0f} MB{both}")


class Code:
    """Where a checkout's code is imported from, and under which names. This checkout: the
    venv's installed `capslot`. An earlier tree (top-level `core/` and `tui/`, before the one
    installed name): straight from its folder. A later tree: its own installed layout, laid out
    in a temporary folder by its tests/installed_layout.py. Never `capslot.*` from the venv for
    another checkout: that would silently measure this one."""

    def __init__(self, checkout: Path) -> None:
        checkout = checkout.resolve()
        self.path: str | None = None
        self.core, self.tui, self.cli = "capslot.core", "capslot.tui", "capslot.cli"
        if checkout == ROOT:
            return
        if (checkout / "tui" / "cli.py").exists():
            self.path, self.core, self.tui, self.cli = str(checkout), "core", "tui", "tui.cli"
            return
        if not (checkout / "tests" / "installed_layout.py").exists() or not (checkout / "pyproject.toml").exists():
            # without them, this checkout's own tests/installed_layout.py would lay out THIS code
            raise SystemExit(f"{checkout}: not a whole checkout (no tests/installed_layout.py or "
                             "pyproject.toml): unpack all of it (`git archive REV | tar -x -C DIR`)")
        dest = tempfile.mkdtemp(prefix="capslot-bench-")
        subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                        "from tests.installed_layout import lay_out; from pathlib import Path; "
                        "lay_out(Path(sys.argv[2]))", str(checkout), dest], check=True)
        self.path = dest

    def boot(self, call: str = "sys.exit(main())") -> str:
        """Python code that runs this code's command line with sys.argv[1:]."""
        first = f"sys.path.insert(0, {self.path!r}); " if self.path else ""
        return f"import sys; {first}from {self.cli} import main; {call}"

    def command(self) -> list[str]:
        return [sys.executable, "-c", self.boot()]


def load() -> str:
    """The load average, for the record: figures from a busy machine say so."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({len(os.sched_getaffinity(0))} cores)"


def have(tool: str) -> str | None:
    """The tool's path, or None after saying that its column is skipped."""
    path = shutil.which(tool)
    if path is None:
        print(f"  {tool} is not installed: its column is skipped (apt-get install pciutils)")
    return path


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
    """Wall seconds, CPU seconds and the child's own peak RSS (KiB) of one run."""
    wall, cpu, rss, _ = run_full(cmd, cwd, env, stdin)
    return wall, cpu, rss


def run_full(cmd: Sequence[str], cwd: Path = ROOT, env: dict | None = None,
             stdin: Path | None = None) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (user + system of the child and the workers it reaped), the
    child's own peak RSS (KiB, wait4: the largest of it and its reaped workers) and the whole
    tree's peak RSS summed (KiB, sampled every 20 ms; at least the child's own)."""
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
        _, status, usage = os.wait4(proc.pid, 0)  # this child's usage alone, its reaped workers included
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    if proc.returncode != 0:
        print(f"  warning: {' '.join(map(str, cmd))} exited {proc.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, max(peak, usage.ru_maxrss)


def paired(commands: dict[str, Sequence[str]], pairs: int = 5, warmup: int = 1,
           env: dict | None = None, cwd: dict[str, Path] | None = None) -> dict[str, Runs]:
    """Every command run `warmup` times, then `pairs` rounds of all of them, the order
    reversed every other round (A B, B A, ...) so that neither always runs first.
    `cwd`: a working directory for some commands (by name; the others run in ROOT)."""
    where = cwd or {}
    for _ in range(warmup):
        for name, cmd in commands.items():
            run_full(cmd, where.get(name, ROOT), env=env)
    out = {name: Runs() for name in commands}
    names = list(commands)
    for i in range(pairs):
        for name in names if i % 2 == 0 else reversed(names):
            wall, cpu, rss, tree = run_full(commands[name], where.get(name, ROOT), env=env)
            r = out[name]
            r.wall.append(wall)
            r.cpu.append(cpu)
            r.rss.append(rss)
            r.tree.append(tree)
    return out


def pair_ratio(a: list[float], b: list[float]) -> float:
    """The median of the per-pair ratios a[i] / b[i] (runs of one round pair up)."""
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def ratio(a: Runs, b: Runs) -> str:
    """a over b: the median of the per-pair ratios of CPU (and of wall beside it)."""
    return f"{pair_ratio(a.cpu, b.cpu):.2f}x cpu, {pair_ratio(a.wall, b.wall):.2f}x wall"


def bytecode_env() -> dict:
    """The environment with bytecode caching allowed (the measure is 'with cached bytecode';
    this workplace sets PYTHONDONTWRITEBYTECODE)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env
