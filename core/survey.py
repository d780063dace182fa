"""Survey: every device of every input, one record each, streamed in constant memory.

A record is the `show` device object plus the auto placement of PASID
(`"auto": {"pasid": {"offset", "verdict", ..., "feasibility": {"state", "gates"}}}`: will a
QEMU guest get a working PASID there, core.feasibility) and `"error": null`; a device that
cannot be read gives a record with `error` set, and the stream goes on.

Large lspci files are cut into blocks of whole devices as they are read (`blocks()`),
so workers (`--jobs`) get independent pieces and the reader never holds more than a
bounded window of the file. The analysis of a block is a pure function of its bytes and
position, which is what makes `--jobs N` byte-identical to one process.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Iterator

from .layout import Kind, Layout, build
from .placement import DeviceTable, default_standing, parse_vcap
from .capture import Peers
from .plan import Plan
from .record import record
from .recordcache import RecordCache, confirmed, deciding_bytes, enabled
from .report import device_object
from .space import ConfigSpace, DumpError
from .text import printable
from .verdicts import Verdict
from .sources import RAW_SIZES, SNIFF, detect
from .sources import lspci as lspci_source
from .sources.inputs import standard_input

TYPE_CHECKING = False  # `typing` costs start-up: it is for the type checker alone here
if TYPE_CHECKING:
    from typing import BinaryIO

_DEFAULT = object()  # an __init__ default: "make the usual one"

_encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode  # compact lines
_string = json.encoder.encode_basestring_ascii  # what _encode does with a str (ensure_ascii)
BLOCK_BYTES = 1 << 20  # about 80 lspci -xxxx devices a block
MAX_PENDING = 16 << 20  # a "device" longer than this is cut wherever it is
TEXT_BLOCK_LIMIT = 64 << 20  # hexdump/xxd/.coe text is read whole, up to this
_DEVICE_START = re.compile(
    rb"\n(?=(?:[0-9a-fA-F]{4,8}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7][ \t\r\n])")


@record
class Block:
    """Whole devices of one lspci text file (or one whole non-lspci input)."""

    source: str
    first_line: int  # line number of the block's first line
    data: bytes
    fmt: str  # "lspci", or "file" for a whole input read by iter_devices
    index: int  # the block's number in its source (records locate devices by file and line)


def _last_device_start(data: bytes) -> int:
    """Where a new device starts near the end of `data` (0: none found): after the last
    blank line (lspci separates devices with one), else at the last device line."""
    blank = data.rfind(b"\n\n", max(0, len(data) - BLOCK_BYTES))
    if blank >= 0:
        return blank + 2
    last = 0
    for m in _DEVICE_START.finditer(data, max(0, len(data) - BLOCK_BYTES)):
        last = m.start() + 1
    return last


def _error_record(source: str, error: DumpError | str, line: int | None = None) -> dict:
    message = str(error) if isinstance(error, DumpError) else f"{source}: {error}"
    return {"source": source, "slot": None, "line": getattr(error, "line", line),
            "error": message}


MAX_DEPTH = 256  # directories nested deeper than this are reported, not followed
NOT_DUMPS = (".lspci.txt", ".md")  # in a directory walked: lspci's decoded text and notes,
#   never a dump (sample_dumps/ keeps both beside the dumps); named on the command line they are read


def walk_paths(paths: Iterable[str]) -> Iterator[str | dict]:
    """Files in the order given; directories recursively, sorted, depth first, without
    recursion (any depth is safe) and without following symbolic links to directories;
    files named like NOT_DUMPS inside a directory are skipped. What cannot be listed becomes
    an error record."""
    for path in paths:
        if path == "-" or not os.path.isdir(path):
            yield path
            continue
        stack: list[tuple[str, int]] = [(path, 0)]
        while stack:
            directory, depth = stack.pop()
            if depth > MAX_DEPTH:
                yield _error_record(directory, DumpError(directory, f"nested deeper than {MAX_DEPTH} "
                                                                    "directories: not followed"))
                continue
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as exc:
                yield _error_record(directory, DumpError(directory, exc.strerror or "cannot list"))
                continue
            subdirs = []
            for entry in entries:
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    is_dir = False
                if is_dir:
                    subdirs.append((entry.path, depth + 1))
                elif not entry.name.endswith(NOT_DUMPS):
                    yield entry.path
            stack.extend(reversed(subdirs))


def blocks(path: str | dict, stdin: BinaryIO | None = None) -> Iterator[Block | dict]:
    """The input cut into blocks of whole devices (or an error record for what cannot be
    opened). Only lspci text is cut; any other format is one block read by iter_devices."""
    if isinstance(path, dict):  # an error record from walk_paths
        yield path
        return
    if path != "-":
        try:
            st = os.stat(path)
        except OSError as exc:
            yield _error_record(path, DumpError(path, exc.strerror or "cannot open"))
            return
        if not stat.S_ISREG(st.st_mode):
            yield _error_record(path, DumpError(path, "not a regular file"))
            return
    stream: BinaryIO
    try:  # streamed in constant memory (stdin: no byte limit, but signals answered); closed
        #      in the finally below, as the generator is consumed
        stream = (stdin if stdin is not None else standard_input(None)) if path == "-" \
            else open(path, "rb")  # noqa: SIM115 - a generator owns it; closed in `finally`
    except DumpError as exc:
        yield _error_record(path, exc)
        return
    except OSError as exc:
        yield _error_record(path, DumpError(path, exc.strerror or "cannot open"))
        return
    try:
        head = stream.read(SNIFF)
        fmt = detect(head)
        if fmt != "lspci":
            if fmt is None:  # binary: a raw dump is 64, 256 or 4096 bytes
                rest = stream.read(4096 * 64 + 1) if len(head) < SNIFF else b""
            else:  # hexdump, xxd or .coe text: the whole of it is one block
                rest = stream.read(TEXT_BLOCK_LIMIT + 1 - len(head))
                if len(head) + len(rest) > TEXT_BLOCK_LIMIT:
                    yield _error_record(path, DumpError(path, f"{fmt} text larger than "
                                        f"{TEXT_BLOCK_LIMIT >> 20} MiB: survey cuts only lspci "
                                        "text into devices; split the file"))
                    return
            data = head + rest
            if fmt is None and len(data) not in RAW_SIZES:
                data = data[:SNIFF]  # binary of the wrong size: the reader says so
            yield Block(path, 1, data, "file", 0)
            return
        pending, line, index = head, 1, 0
        while True:
            chunk = stream.read(BLOCK_BYTES)
            pending += chunk
            if len(pending) >= BLOCK_BYTES or not chunk:
                cut = len(pending) if not chunk else _last_device_start(pending)
                if cut and (cut < len(pending) or not chunk):
                    block, pending = pending[:cut], pending[cut:]
                    if block.strip():
                        yield Block(path, line, block, "lspci", index)
                    line += block.count(b"\n")
                    index += 1  # blocks are numbered; records carry file and line
                elif len(pending) > MAX_PENDING:  # no device line in sight: cut anyway
                    yield Block(path, line, pending, "lspci", index)
                    line += pending.count(b"\n")
                    pending = b""
            if not chunk:
                return
    except DumpError as exc:  # a stream that fails mid-way: its record, and the survey goes on
        yield _error_record(path, exc)
    except OSError as exc:
        yield _error_record(path, DumpError(path, f"read failed: {exc.strerror or exc}"))
    finally:
        if stream is not stdin and path != "-":
            stream.close()


class Analyzer:
    """Per-device analysis shared by every block (one per process)."""

    __slots__ = ("table", "evidence", "pasid", "cache")

    def __init__(self, table: DeviceTable, evidence: bool = False, pasid: object = _DEFAULT,
                 cache: RecordCache | None | object = _DEFAULT) -> None:
        self.table = table
        self.evidence = evidence  # collect what --suggest-quirks needs
        self.pasid = parse_vcap("pasid") if pasid is _DEFAULT else pasid
        self.cache: RecordCache | None = ((RecordCache() if enabled() else None)
                                          if cache is _DEFAULT else cache)  # type: ignore[assignment]

    def record(self, cs: ConfigSpace, peers: tuple[ConfigSpace, ...] = ()) -> tuple[dict, dict]:
        """The device's record, and the facts the summary counts. `peers`: the other devices
        read with it (a VMM's host bridge among them says the dump was read in a guest)."""
        if self.evidence and (cs.vendor_id is None or cs.device_id is None):
            raise DumpError(cs.provenance.source, "no vendor and device ID (the 00: row is not in "
                            "the dump): no device-table entry can be suggested for it", cs.provenance.line)
        hw = build(cs)
        plan = Plan(cs, requests=(self.pasid,), table=self.table, access=False, hardware_layout=hw,
                    peers=peers)
        (p,) = plan.placements
        target = plan.ground
        obj = device_object(hw)
        obj["captured"] = plan.captured.to_json()
        feasible = plan.feasibility(p)
        obj["auto"] = {"pasid": {"offset": p.offset, "verdict": p.verdict, "chosen_by": p.chosen_by,
                                 "rule": p.rule, "feasibility": feasible.to_json()}}
        obj["error"] = None
        return obj, {**self.facts(hw, target.layout, p, target), "feasibility": feasible.state}

    def facts(self, hw: Layout, guest: Layout, placement, target) -> dict:
        kinds = {r.kind for r in hw.regions}
        vfio_hidden = sum(1 for i in range(len(guest.capabilities)) if guest.visibility(i) != "visible")
        extra = {}
        if self.evidence:
            cs = hw.space
            extra = {
                "device": cs.device_id, "where": f"{cs.provenance.source}:{cs.provenance.line or 1}",
                "gaps": [(r.start, r.end) for r in hw.regions
                         if r.kind is Kind.DATA_GAP and r.start >= 0x100],
                "sizes": [(hw.capabilities[r.capability].id, hw.capabilities[r.capability].offset,
                           r.end - hw.capabilities[r.capability].offset)
                          for r in hw.regions if r.kind is Kind.UNKNOWN_TAIL
                          and hw.capabilities[r.capability].space.value == "extended"],
            }
        return {**extra,
            "ff8": self._standing(hw, placement, target),
            "data_gap": Kind.DATA_GAP in kinds, "orphans": bool(hw.orphans),
            "unknown_ids": any(not c.spec.known for c in hw.capabilities),
            "hidden_guest": vfio_hidden,
            "placed": placement.offset is not None,
            "chosen_by": placement.chosen_by or "none",
        }

    def _standing(self, hw: Layout, placement, target) -> str:
        if not hw.space.complete:
            return "not in the dump"
        if placement.offset == 0xFF8 and placement.verdict == Verdict.OK:
            return "clean"  # auto placement already validated QEMU's default, clean
        return default_standing(target, self.pasid)

    def block_lines(self, block: Block) -> tuple[list[str], list[dict]]:
        """JSON lines of every device of a block (errors included) and their facts."""
        lines: list[str] = []
        facts: list[dict] = []
        items = list(_devices_of(block))  # a block is a bounded window of whole devices
        peers = Peers(x for x in items if not isinstance(x, dict))
        cache = self.cache if self.cache is not None and self.cache.worth() else None
        if self.evidence:  # --suggest-quirks wants every device's own facts
            cache = None
        for item in items:
            if isinstance(item, dict):
                lines.append(_encode(item))
                facts.append({"error": True, "message": item["error"]})
                continue
            try:
                if cache is not None and item.provenance.format != "sysfs":  # sysfs: the host decides
                    line, f = self._cached(item, peers, cache)
                else:
                    obj, f = self.record(item, peers)
                    line = _encode(obj)
            except DumpError as exc:  # this device cannot be used: its record says why
                obj, f = _device_error(item, str(exc))
                line = _encode(obj)
            except Exception as exc:  # noqa: BLE001 - one device's failure must not stop a survey
                obj, f = _device_error(item, f"{item.provenance.source}: internal error: "
                                             f"{type(exc).__name__}: {exc}")
                line = _encode(obj)
            lines.append(line)
            f["vendor"], f["kind"] = item.vendor_id, item.u8(0x0B) if item.has(0x0B) else None
            facts.append(f)
        return lines, facts

    def _cached(self, cs: ConfigSpace, peers: Peers, cache: RecordCache) -> tuple[str, dict]:
        """The record line and facts of a device, analysed once per set of deciding bytes
        (core.recordcache): a copy of a model already seen gets its record with its own
        provenance written in, byte for byte what the analysis would give."""
        data, found = deciding_bytes(cs)
        key = (data, cs.available, cs.provenance.format, peers.evidence)
        hit = cache.get(key)
        if hit is not None:
            mid, tail, facts = hit
            return _assemble(cs.provenance, mid, tail), dict(facts)
        obj, f = self.record(cs, peers)
        parts = _fragments(obj)
        if parts is None:
            return _encode(obj), f
        mid, tail = parts
        if confirmed(found, obj["capabilities"]):
            cache.put(key, (mid, tail, dict(f)), len(data) + len(mid) + len(tail) + 512)
        return _assemble(cs.provenance, mid, tail), f


_HEAD = ("source", "slot")
_MID = ("vendor_id", "device_id", "available", "view", "capabilities", "regions", "problems",
        "orphans")
_PROVENANCE = ("format", "line", "device_line")


def _fragments(obj: dict) -> tuple[str, str] | None:
    """A record's JSON without its provenance: the text between slot and format, and after
    device_line (None: a record not of that shape). Compact JSON of a dict is its members'
    text joined, so `_assemble` of these is `_encode(obj)` (tests/test_survey_cache.py)."""
    keys = list(obj)
    if keys[:10] != [*_HEAD, *_MID] or keys[10:13] != list(_PROVENANCE):
        return None
    mid = _encode({k: obj[k] for k in _MID})[1:-1]
    tail = _encode({k: obj[k] for k in keys[13:]})[1:-1]
    return mid, tail


def _js(value: str | int | None) -> str:
    """A provenance value as json writes it (what `_encode` gives, without its dispatch)."""
    if value is None:
        return "null"
    return _string(value) if isinstance(value, str) else int.__repr__(value)


def _assemble(p, mid: str, tail: str) -> str:
    return (f'{{"source":{_js(p.source)},"slot":{_js(p.slot)},{mid},'
            f'"format":{_js(p.format)},"line":{_js(p.line)},'
            f'"device_line":{_js(p.device_line)},{tail}}}')


def _device_error(cs: ConfigSpace, message: str) -> tuple[dict, dict]:
    """The error record of a device that was read but could not be analysed."""
    p = cs.provenance
    return ({"source": p.source, "slot": p.slot, "line": p.line, "error": message},
            {"error": True, "message": message})


def _devices_of(block: Block) -> Iterator[ConfigSpace | dict]:
    if block.fmt == "file":
        try:
            yield from iter_devices_bytes(block)
        except DumpError as exc:
            yield _error_record(block.source, exc)
        return
    for item in lspci_source.parse_recovering(block.data, block.source, block.first_line, block.index):
        yield _error_record(block.source, item) if isinstance(item, DumpError) else item


def stream_devices(path: str) -> Iterator[ConfigSpace]:
    """Every device of one regular file as survey reads it: lspci text in blocks of whole
    devices, each parsed by the fast reader (some ten times the line-by-line reader's speed on
    a fleet file), memory one block. A device that cannot be read is skipped (as `--slot`
    skips the devices it does not parse); a file that cannot be read is a DumpError."""
    for block in blocks(path):
        if isinstance(block, dict):  # the file itself: cannot be opened or read
            raise DumpError(path, block["error"].removeprefix(f"{path}: "))
        for item in _devices_of(block):
            if not isinstance(item, dict):
                yield item
            elif block.fmt == "file":  # a whole non-lspci input that cannot be read
                raise DumpError(path, item["error"].removeprefix(f"{path}: "), item["line"])


def iter_devices_bytes(block: Block) -> Iterator[ConfigSpace]:
    import io

    from .sources import _from_stream

    size = len(block.data) if len(block.data) in RAW_SIZES else None
    yield from _from_stream(io.BytesIO(block.data), block.source, size)


# ---------------------------------------------------------------- summary

FAILURES_SHOWN = 5  # what could not be read, named in the summary; then "and N more"


def failure_lines(summary: Summary) -> list[str]:
    """What could not be read: `path[:line]: reason` for the first few, then "and N more"."""
    out = list(summary.failures)
    if summary.errors > len(out):
        out.append(f"and {summary.errors - len(out)} more")
    return out


class Summary:
    """The survey's counts, added to device by device."""

    __slots__ = ("devices", "errors", "by_kind", "by_vendor", "ff8", "chosen_by", "feasibility",
                 "data_gaps", "orphans", "unknown_ids", "hidden_guest", "no_slot", "failures")

    def __init__(self) -> None:
        self.devices = self.errors = 0
        self.by_kind: Counter = Counter()
        self.by_vendor: Counter = Counter()
        self.ff8: Counter = Counter()
        self.chosen_by: Counter = Counter()
        self.feasibility: Counter = Counter()  # works | not-synthesized | ...
        self.data_gaps = self.orphans = self.unknown_ids = self.hidden_guest = self.no_slot = 0
        self.failures: list[str] = []  # the first FAILURES_SHOWN errors

    def add(self, f: dict) -> None:
        if f.get("error"):
            self.errors += 1
            if len(self.failures) < FAILURES_SHOWN:
                self.failures.append(f.get("message") or "unreadable")
            return
        self.devices += 1
        self.by_kind[f["kind"]] += 1
        self.by_vendor[f["vendor"]] += 1
        self.ff8[f["ff8"]] += 1
        self.chosen_by[f["chosen_by"]] += 1
        self.feasibility[f["feasibility"]] += 1
        self.data_gaps += f["data_gap"]
        self.orphans += f["orphans"]
        self.unknown_ids += f["unknown_ids"]
        self.hidden_guest += f["hidden_guest"] > 0
        self.no_slot += not f["placed"]


# ---------------------------------------------------------------- device-table suggestions

class QuirkEvidence:
    """What the survey saw of one model (vendor:device), for --suggest-quirks."""

    __slots__ = ("devices", "where", "gaps", "sizes")

    def __init__(self) -> None:
        self.devices = 0
        self.where: list[str] = []  # a few examples
        self.gaps: Counter = Counter()  # (start, end) -> devices showing data there
        self.sizes: Counter = Counter()  # (id, offset, size) -> devices

    def add(self, f: dict) -> None:
        self.devices += 1
        if len(self.where) < 3:
            self.where.append(f["where"])
        self.gaps.update(_merge(f["gaps"]))
        self.sizes.update(tuple(x) for x in f["sizes"])


def _merge(ranges: list, slack: int = 0x20) -> list[tuple[int, int]]:
    """Nearby data runs as one reserved range, rounded out to 16 bytes."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(ranges):
        s, e = s & ~0xF, (e + 0xF) & ~0xF
        if out and s - out[-1][1] <= slack:
            out[-1] = (out[-1][0], max(e, out[-1][1]))
        else:
            out.append((s, e))
    return out


def suggest_toml(evidence: dict[tuple[int, int], QuirkEvidence], summary: Summary | None = None) -> str:
    """TOML [[device]] entries for a human to review, each with its evidence; what could
    not be read is named in comments at the top."""
    out = ["# Device-table suggestions from capslot survey: REVIEW before use.",
           "# Reserved ranges are DWORDs of non-zero data outside every capability; sizes are",
           "# capabilities whose size the rules do not know, assumed to run to the next structure."]
    if summary is not None and summary.errors:
        out.append(f"# Not used: {summary.errors} input(s) or device(s) could not be read:")
        out += [f"#   {printable(line)}" for line in failure_lines(summary)]
    out.append("")
    usable = ((k, v) for k, v in evidence.items() if None not in k)  # a model needs both IDs
    for (vendor, device), ev in sorted(usable, key=lambda kv: kv[0]):
        if not ev.gaps and not ev.sizes:
            continue
        out.append("[[device]]")
        out.append(f"vendor = {vendor:#06x}")
        out.append(f"device = {device:#06x}")
        if ev.gaps:
            ranges = ", ".join(f'"{s:#05x}-{e - 1:#05x}"' for s, e in sorted(ev.gaps))
            out.append(f"reserved = [{ranges}]")
        if ev.sizes:
            sizes = ", ".join(f'"{i:#06x}@{o:#05x}" = {n:#x}' for (i, o, n) in sorted(ev.sizes))
            out.append(f"sizes = {{ {sizes} }}")
        seen = "; ".join(f"{s:#05x}-{e - 1:#05x} in {n} of {ev.devices}" for (s, e), n in sorted(ev.gaps.items()))
        examples = ", ".join(ev.where)
        out.append("source = " + json.dumps(f"capslot survey: {ev.devices} device(s), e.g. "
                                            f"{examples}; data seen {seen}"))
        out.append("")
    return "\n".join(out)
