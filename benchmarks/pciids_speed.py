"""pci.ids speed: opening the system's file (read + index of the top-level lines), the first
name, naming every bundled dump, against parsing every line of the file as a naive reader
would. Prints figures; never asserts (timed tests are not tests)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from capslot.core import pciids  # noqa: E402 - imported after sys.path names the project
from capslot.core.pciids import Identity  # noqa: E402 - imported after sys.path names the project
from capslot.core.sources import load  # noqa: E402 - imported after sys.path names the project


def best(fn, rounds: int = 7) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times) * 1e3


def naive(path: str) -> dict:
    """Every line split into (level, id, name): what the index avoids."""
    table = {}
    for line in Path(path).read_bytes().split(b"\n"):
        if line[:1] == b"#" or not line.strip():
            continue
        tabs = len(line) - len(line.lstrip(b"\t"))
        ident, _, name = line.lstrip(b"\t").partition(b"  ")
        table[(tabs, ident)] = name.decode("utf-8", "replace")
    return table


def main() -> None:
    path = pciids.find()
    if path is None:
        print("no pci.ids on this machine")
        return
    spaces = [cs for p in sorted((ROOT / "sample_dumps").glob("*.txt"))
              if not p.name.endswith(".lspci.txt") for cs in load(str(p))]
    idents = [Identity.from_config(cs) for cs in spaces]
    print(f"{path}: {Path(path).stat().st_size / 1e6:.2f} MB")
    print(f"open (read + index):         {best(lambda: pciids.read(path)):6.1f} ms")
    print(f"open + first name (Intel):   "
          f"{best(lambda: pciids.device_text(pciids.read(path), 0x8086, 0x3a40)):6.1f} ms")
    print(f"open + {len(idents)} name lines:       "
          f"{best(lambda: [pciids.name_line(ids, i, None) for ids in [pciids.read(path)] for i in idents]):6.1f} ms")
    print(f"naive parse of every line:   {best(lambda: naive(path)):6.1f} ms")


if __name__ == "__main__":
    main()
