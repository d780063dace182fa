"""Decode speed: every capability of every sample dump through the one decoder
(core.registry.decode.decode), timed per round; min / median / max over the rounds.
Also checks that `import capslot.core.layout` does not import construct (walking and mapping never
pay for the decoder). Prints figures; never asserts (timed tests are not tests).

    .venv/bin/python benchmarks/decode_speed.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from capslot.core.layout import build  # noqa: E402 - imported after sys.path names the project
from capslot.core.registry.decode import decode  # noqa: E402 - imported after sys.path names the project
from capslot.core.sources import load  # noqa: E402 - imported after sys.path names the project

DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))


def instances() -> list[tuple]:
    out = []
    for p in DUMPS:
        layout = build(load(str(p))[0])
        for cap in layout.capabilities:
            out.append((cap.spec, cap.context(layout.space, layout.pcie), cap.size))
    return out


def decode_all(items) -> int:
    n = 0
    for spec, ctx, size in items:
        n += len(decode(spec, ctx, size))
    return n


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    items = instances()
    t = time.perf_counter()
    values = decode_all(items)  # the first round compiles (and caches) every structure
    first = time.perf_counter() - t
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        decode_all(items)
        times.append(time.perf_counter() - t)
    print(f"{len(DUMPS)} dumps, {len(items)} capabilities, {values} register/field values")
    print(f"first round (compiles the structures): {first * 1e3:8.1f} ms")
    print(f"warm, {rounds} rounds: min {min(times) * 1e3:.1f} ms  median "
          f"{statistics.median(times) * 1e3:.1f} ms  max {max(times) * 1e3:.1f} ms  "
          f"({statistics.median(times) * 1e6 / len(items):.0f} us/capability)")
    probe = "import capslot.core.layout, sys; print('construct' in sys.modules)"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", probe], capture_output=True,
                         text=True, check=True, cwd=ROOT)
    construct_lines = [ln for ln in out.stderr.splitlines() if "construct" in ln]
    print(f"`import capslot.core.layout` imports construct: {out.stdout.strip()} "
          f"({len(construct_lines)} construct lines in -X importtime)")


if __name__ == "__main__":
    main()
