"""Commands of one device on a large multi-device file (issue 20): `explain` without --slot
(which must only say "pick one with --slot"), `explain`, `path` and `show` of the file's last
device with --slot. Figures, never asserts.

Builds an `lspci -xxxx` text file of N devices from sample_dumps/ (as slot_lookup.py does:
the real dumps repeated, each given its own slot), then runs each command once after a warm-up
and prints wall and CPU time and peak memory (benchmarks/measure.py). `--tree DIR` runs the
capslot of another checkout (an unpacked `git archive` of an older commit) with this venv's
Python: the figures before and after a change, on the same file and machine.

    .venv/bin/python benchmarks/multi_device.py [--devices N] [--pairs N] [--show-all] [--tree DIR]

Measured on the project's machine (2 cores shared with other work, so wall times are noisy;
CPU is the steadier figure), 20,000 devices (241 MB), one run each, `--tree` an unpacked
`git archive 7156b69 core tui` for "before":

    command                      before (7156b69)                 after (branch hard3)
                                 wall     cpu      peak           wall     cpu      peak
    explain 0x100, no --slot     16.4 s   14.6 s   114 MB         0.19 s   0.09 s   16 MB
    explain 0x100 --slot LAST     0.51 s   0.51 s   26 MB         0.59 s   0.46 s   25 MB
    path --slot LAST             15.2 s   14.8 s   117 MB         4.8 s    1.66 s   56 MB
    show --json --slot LAST       0.70 s   0.62 s   19 MB         0.71 s   0.39 s   19 MB

(the "after" wall times were taken while the TUI tests ran on the other core.)

`--show-all` adds `show --json` of every device; at 6,000 devices (72 MB, past show's 64 MiB
streaming threshold), before -> after: wall 27.8 -> 19.6 s, cpu 9.6 -> 10.9 s, peak 480 -> 33
MB (read twice, so a little more CPU; memory no longer grows with the file). The other
commands at 6,000 devices: explain without --slot 4.2 -> 0.09 s CPU, path --slot 3.6 -> 0.57 s
CPU and 47 -> 33 MB.
The issue's 1 GB file: 89,018 devices (1,074 MB), one run each, the same machine with other
work on it (CPU is the figure to read), `--tree` the tree of 7156b69 for "before", main after
issues 19, 20 and 22 for "after":

    command                      before (7156b69)                 after
                                 wall     cpu      peak           wall     cpu      peak
    explain 0x100, no --slot     94.8 s   90.7 s   456 MB         0.72 s   0.23 s   19 MB
    explain 0x100 --slot LAST     2.27 s   2.23 s   21 MB        12.9 s    2.35 s   21 MB
    path --slot LAST             76.0 s   75.2 s   469 MB        38.3 s    9.14 s  172 MB
    show --json --slot LAST       1.84 s   1.82 s   19 MB         7.82 s   1.90 s   19 MB
    show --json, every device    (the issue: 1.09 GB and still printing after 300 s)
                                                                470.6 s  208.3 s  181 MB

`explain` (and check, place, export, diff) without --slot now stops at the second device.
`path --slot` keeps only the bridges and the device, and reads a file as survey does (in
blocks of whole devices, by the fast reader): it still reads every device, since any may be
a bridge above the one asked for, but no longer holds them. The issue's 1 GB file is about
4 times this one. `explain --slot` and `show --slot` are unchanged (the same load_slot).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import bytecode_env, paired  # noqa: E402 - after the path
from benchmarks.slot_lookup import corpus  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--devices", type=int, default=20_000, help="devices in the file (20,000)")
    ap.add_argument("--pairs", type=int, default=1, help="runs of each command (1)")
    ap.add_argument("--show-all", action="store_true",
                    help="also `show --json` of every device (long on a large file)")
    ap.add_argument("--tree", type=Path, default=ROOT,
                    help="the checkout whose capslot runs (default: this one)")
    args = ap.parse_args(argv)
    tree = args.tree.resolve()
    with tempfile.TemporaryDirectory(prefix="capslot-multi-") as tmp:
        dump = Path(tmp) / "machine.txt"
        last = corpus(dump, args.devices)
        size = dump.stat().st_size
        print(f"{args.devices} devices, {size / 1e6:.0f} MB, last device {last}, capslot of {tree}")
        # -P: nothing but `tree` and the standard library ahead of site-packages, so that the
        # checkout's own core/ and tui/ are the ones imported, not this venv's editable install
        capslot = [sys.executable, "-P", "-c", "import sys; sys.path.insert(0, sys.argv.pop(1)); "
                   "from capslot.cli import entry; entry()", str(tree)]
        commands = {
            "explain 0x100, no --slot": [*capslot, "explain", str(dump), "0x100"],
            "explain 0x100 --slot LAST": [*capslot, "explain", str(dump), "0x100", "--slot", last],
            "path --slot LAST": [*capslot, "path", str(dump), "--slot", last],
            "show --json --slot LAST": [*capslot, "show", str(dump), "--json", "--slot", last],
        }
        if args.show_all:
            commands["show --json, every device"] = [*capslot, "show", str(dump), "--json"]
        results = paired(commands, pairs=args.pairs, warmup=0, env=bytecode_env())
        for name, runs in results.items():
            print(runs.line(name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
