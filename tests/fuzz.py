"""A mutation fuzzer over the real dumps, driving the whole core.

Each input is one of the real dumps in sample_dumps/, mutated: chain pointers and next
fields flipped, headers set to 0 / 0xFFFFFFFF / random, length fields (VSEC, VNDR, MSI
flags, ReBAR counts) randomized, random bytes, truncation to any length; or, at the text
level, corrupted hex rows, dropped, duplicated and shuffled lines, garbage and hostile
device lines. Every input goes through loaders -> walker -> byte map -> views ->
validator -> auto placement -> synthesis -> re-walk, and through the survey reader.

Invariants checked on every input:
- no exception escapes (a DumpError for unreadable text is an answer, not an escape);
- the regions of every view tile 0..4096;
- auto placement never returns an offset the validator marks as a collision;
- synthesis re-walks to the old capabilities plus the new ones, with no loop;
- the survey, reading the same bytes from standard input, answers every device the
  loader reads (a record each) and gives an error record for what the loader refuses.

`python -m tests.fuzz --devices 1000000 --jobs 2` (or `make fuzz`) is the long run; the
test suite runs a short one.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import struct
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from capslot.core import export  # noqa: E402 - imported after sys.path names the project
from capslot.core.layout import build, check_tiling  # noqa: E402 - imported after sys.path names the project
from capslot.core.placement import DeviceTable, parse_vcap, place, synthesize, validate  # noqa: E402 - imported after sys.path names the project
from capslot.core.placement.validate import Placed  # noqa: E402 - imported after sys.path names the project
from capslot.core.report import device_object  # noqa: E402 - imported after sys.path names the project
from capslot.core.sources import _from_stream  # noqa: E402 - imported after sys.path names the project
from capslot.core.space import ConfigSpace, DumpError, Provenance  # noqa: E402 - imported after sys.path names the project
from capslot.core.survey import Analyzer, blocks  # noqa: E402 - imported after sys.path names the project
from capslot.core.views import view  # noqa: E402 - imported after sys.path names the project
from capslot.core.walk import walk  # noqa: E402 - imported after sys.path names the project
from tests.helpers import target_for  # noqa: E402 - imported after sys.path names the project

DUMPS = sorted(p for p in (ROOT / "sample_dumps").glob("*.txt") if not p.name.endswith(".lspci.txt"))
VCAPS = ["pasid", "pri", "ats", "vsec:0x20", "dvsec:0x14", "0x4f:0xc", "std:vndr:8"]
HOSTILE = ["[bold]x[/]", "[link=http://e]y[/link]", "\x1b[2J", "\r", "\x00", "é\u202e", "%s%n"]


class Failure(Exception):
    """An invariant that did not hold."""


# ---------------------------------------------------------------- mutations

def _pointer_sites(data: bytes) -> list[int]:
    """Where chain pointers live in this space: 0x34 and every next field we can find."""
    sites = [0x34, 0x14]
    for c in walk(ConfigSpace.from_prefix(data, Provenance("f", "binary"))).capabilities:
        sites.append(c.offset + 1 if c.space.value == "standard" else c.offset + 2)
    return sites


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    b = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(9)
        if op == 0:  # a chain pointer somewhere else
            site = rng.choice(_pointer_sites(bytes(b)))
            if site + 1 < len(b):
                b[site] = rng.randrange(256)
                if rng.random() < 0.3 and site + 1 < len(b):
                    b[site + 1] = rng.randrange(256)
        elif op == 1 and len(b) > 0x104:  # an extended header: 0, all-ones, or random
            pos = rng.randrange(0x100, len(b) - 3) & ~3
            struct.pack_into("<I", b, pos, rng.choice([0, 0xFFFFFFFF, rng.getrandbits(32),
                                                       rng.randrange(1, 0x3B) | 1 << 16 | rng.randrange(0x40, 0x400) << 22]))
        elif op == 2 and len(b) > 0x108:  # a length-ish field: VSEC/DVSEC header 1, ReBAR ctl
            pos = rng.randrange(0x104, len(b) - 3) & ~3
            struct.pack_into("<I", b, pos, rng.getrandbits(32))
        elif op == 3 and len(b) > 0x44:  # standard capability flags (MSI, PCIe, VNDR length)
            pos = rng.randrange(0x40, min(len(b), 0x100) - 2)
            b[pos] = rng.randrange(256)
        elif op == 4:  # random bytes anywhere
            for _ in range(rng.randint(1, 32)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif op == 5:  # truncate
            return bytes(b[:rng.choice([0, 1, 63, 64, 100, 256, 257, 1000, 4095, len(b)])])
        elif op == 6:  # a self loop or a backward link
            site = rng.choice(_pointer_sites(bytes(b)))
            if site < len(b):
                b[site] = rng.choice([0x40, 0x44, site & 0xFC, 0x00, 0xFC])
        elif op == 7 and len(b) > 0x100:  # status bit and header type
            b[0x06] ^= 0x10
            b[0x0E] = rng.choice([0, 1, 2, 0x7F, 0x80])
        else:  # a whole region filled
            start = rng.randrange(len(b))
            end = min(len(b), start + rng.randrange(1, 512))
            b[start:end] = bytes([rng.choice([0, 0xFF, rng.randrange(256)])]) * (end - start)
    return bytes(b)


def mutate_text(rng: random.Random, text: str) -> str:
    lines = text.splitlines()
    for _ in range(rng.randint(1, 4)):
        if not lines:
            break
        op = rng.randrange(7)
        i = rng.randrange(len(lines))
        if op == 0:  # a corrupted hex row
            line = list(lines[i])
            if line:
                line[rng.randrange(len(line))] = rng.choice("zG: -\t")
            lines[i] = "".join(line)
        elif op == 1:
            del lines[i]
        elif op == 2:
            lines.insert(i, lines[rng.randrange(len(lines))])
        elif op == 3:
            lines.insert(i, rng.choice(["garbage", "", "\t-v decode line", "ff0: 00", "*", "100:"]))
        elif op == 4:  # a hostile device line
            lines[0] = f"{rng.randrange(256):02x}:00.0 Device {rng.choice(HOSTILE)}"
        elif op == 5:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines = lines[:i]
    return "\n".join(lines) + ("\n" if rng.random() < 0.9 else "")


def make_input(rng: random.Random, originals: list[bytes]) -> tuple[str, bytes]:
    """(kind, raw input bytes) for one fuzz case."""
    base = rng.choice(originals)
    if rng.random() < 0.6:
        data = mutate_bytes(rng, base)
        fmt = rng.choice(["binary", "lspci", "xxd", "hexdump", "coe"])
    else:
        data, fmt = base, rng.choice(["lspci", "xxd", "hexdump", "coe"])
    cs = ConfigSpace.from_prefix(data, Provenance("fuzz", "binary", slot="0000:01:00.0",
                                                  device_line="01:00.0 Fuzzed device"))
    if fmt == "binary":
        return fmt, data
    text = {"lspci": export.lspci_text, "xxd": lambda c: export.xxd_text(export.binary(c)),
            "hexdump": lambda c: export.hexdump_text(export.binary(c)),
            "coe": lambda c: export.coe_text(export.binary(c))}[fmt](cs)
    if fmt == "lspci" and rng.random() < 0.3:  # several devices in one file
        text = "\n".join([text] + [export.lspci_text(ConfigSpace.from_prefix(
            mutate_bytes(rng, rng.choice(originals)), Provenance("f", "binary", slot="0000:02:00.0",
                                                                 device_line="02:00.0 Other")))
            for _ in range(rng.randint(1, 3))])
    if rng.random() < 0.5:
        text = mutate_text(rng, text)
    return fmt, text.encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------- the pipeline and its invariants

@dataclass
class Stats:
    inputs: int = 0
    devices: int = 0
    unreadable: int = 0
    placements: int = 0
    failures: list[str] = field(default_factory=list)


def check_device(cs: ConfigSpace, rng: random.Random, table: DeviceTable, stats: Stats) -> None:
    hw = build(cs)
    check_tiling(hw.regions)
    json.dumps(device_object(hw))
    for name in ("vfio", "guest"):
        check_tiling(view(hw, name).regions)
    target = target_for(cs, table=table, hardware=hw)
    for _ in range(2):
        validate(target, parse_vcap(rng.choice(VCAPS)), rng.randrange(-8, 0x1004))
    vcaps = [parse_vcap(v) for v in rng.sample(VCAPS, rng.randint(1, 3))]
    placements = place(target, vcaps)
    placed = [p for p in placements if p.offset is not None]
    stats.placements += len(placed)
    for p in placed:
        if p.chosen_by == "user":
            continue
        others = target
        for q in placed:
            if q is not p:
                others = others.with_placed(Placed(q.vcap.name, q.offset, q.end))
        bad = [f for f in validate(others, p.vcap, p.offset) if f.severity == "collision"]
        if bad:
            raise Failure(f"place chose {p.offset:#x} for {p.vcap.name}, a collision: {bad[0].message}")
    synth = synthesize(target.layout, placements)
    if synth.problems:
        raise Failure(f"synthesis: {synth.problems}")
    if any(pr.kind == "loop" for pr in walk(synth.layout.space).problems) and \
            not any(pr.kind == "loop" for pr in walk(target.layout.space).problems):
        raise Failure("synthesis made a loop")
    check_tiling(synth.layout.regions)


def run_case(seed: int, originals: list[bytes], table: DeviceTable, analyzer: Analyzer, stats: Stats) -> None:
    rng = random.Random(seed)
    kind, raw = make_input(rng, originals)
    stats.inputs += 1
    try:
        try:
            devices = list(_from_stream(io.BytesIO(raw), "fuzz", len(raw) if kind == "binary" else None))
        except DumpError:
            stats.unreadable += 1
            devices = []
        for cs in devices:
            stats.devices += 1
            check_device(cs, rng, table, stats)
        # the survey, reading the same bytes as standard input, answers every device of it
        records = []
        for block in blocks("-", stdin=io.BytesIO(raw)):
            if isinstance(block, dict):
                records.append(block)
            else:
                records += [json.loads(line) for line in analyzer.block_lines(block)[0]]
        if devices and [r.get("slot") for r in records] != [d.provenance.slot for d in devices]:
            raise Failure(f"survey records {[r.get('slot') for r in records]} for devices "
                          f"{[d.provenance.slot for d in devices]}")
        if devices and any(r["error"] for r in records):
            raise Failure(f"survey refused a device the loader read: {records[0]['error']}")
        if not devices and not records:
            raise Failure("survey gave no answer for an unreadable input")
    except Failure as exc:
        stats.failures.append(f"seed {seed}: {exc}")
    except Exception:  # noqa: BLE001 - an escape is exactly what we look for
        stats.failures.append(f"seed {seed}: exception\n{traceback.format_exc()}")


def originals() -> list[bytes]:
    from capslot.core.sources import load

    return [export.binary(load(str(p))[0]) for p in DUMPS]


def fuzz(seeds: range, progress: bool = False) -> Stats:
    table = DeviceTable.load(use_overlay=False)
    analyzer = Analyzer(table)
    base = originals()
    stats = Stats()
    start = time.monotonic()
    for n, seed in enumerate(seeds):
        run_case(seed, base, table, analyzer, stats)
        if progress and n % 5000 == 0 and n:
            _progress(stats, start)
    return stats


def _progress(stats: Stats, start: float) -> None:
    rate = stats.inputs / (time.monotonic() - start)
    print(f"  {stats.inputs} inputs, {stats.devices} devices, {len(stats.failures)} failures, "
          f"{rate:.0f}/s", file=sys.stderr, flush=True)


def _worker(args: tuple[int, int]) -> Stats:
    first, count = args
    return fuzz(range(first, first + count))


def _merge(into: Stats, part: Stats) -> None:
    for k in ("inputs", "devices", "unreadable", "placements"):
        setattr(into, k, getattr(into, k) + getattr(part, k))
    into.failures += part.failures


def _parallel(first: int, inputs: int | None, devices: int | None, jobs: int) -> Stats:
    """Chunks of seeds over `jobs` processes, merged in seed order, until `inputs` inputs have
    run or `devices` devices have been parsed (whichever was asked); a few chunks stay in flight."""
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    chunk = min(2000, max(20, inputs or devices or 0))  # a small run needs no 2000-input chunk
    start, stats = time.monotonic(), Stats()
    end = None if inputs is None else first + inputs
    next_seed, reported = first, 0

    def more() -> bool:
        return next_seed < end if end is not None else stats.devices + 0.7 * chunk * len(flight) < devices

    with ProcessPoolExecutor(jobs) as pool:
        flight: deque = deque()
        while True:
            while len(flight) < 2 * jobs and more():
                count = chunk if end is None else min(chunk, end - next_seed)
                flight.append(pool.submit(_worker, (next_seed, count)))
                next_seed += count
            if not flight:
                break
            _merge(stats, flight.popleft().result())
            if stats.inputs // 20000 > reported:
                reported = stats.inputs // 20000
                _progress(stats, start)
    return stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, help="run this many inputs (default 20000)")
    parser.add_argument("--devices", type=int, help="run until this many devices have been parsed")
    parser.add_argument("--seed", type=int, default=0, help="first seed (cases are seed, seed+1, ...)")
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    if args.inputs is None and args.devices is None:
        args.inputs = 20000
    start = time.monotonic()
    if args.jobs <= 1 and args.devices is None:
        stats = fuzz(range(args.seed, args.seed + args.inputs), progress=True)
    else:
        stats = _parallel(args.seed, args.inputs, args.devices, max(1, args.jobs))
    elapsed = time.monotonic() - start
    print(f"fuzz: {stats.inputs} inputs ({stats.devices} devices parsed, {stats.unreadable} unreadable "
          f"inputs refused with a DumpError, {stats.placements} placements checked) in {elapsed:.0f} s: "
          f"{len(stats.failures)} failures")
    for f in stats.failures[:20]:
        print(f)
    return 1 if stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
