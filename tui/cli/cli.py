"""`capslot`: the command-line front. The stable contract: the schemas in schemas/ and docs/spec/cli.md.

Exit codes: 0 ok, 1 a collision / no safe slot, 2 bad input. Every error is one line
on stderr, `capslot: <file>[:<line>]: <what>`, never a traceback (set CAPSLOT_DEBUG=1
to see one). Headless commands never import Textual.
"""

from __future__ import annotations

import os
import sys
TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    import argparse
    from typing import Any
from collections.abc import Callable, Sequence

from capslot.core.space import DumpError
from capslot.core.text import printable
from capslot.tui.parsing import UsageError
from capslot.tui.parsing import columns as _columns

EXIT_OK, EXIT_COLLISION, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 70
VMM_NAMES = ("qemu", "cloud-hypervisor", "openvmm", "firecracker", "firecracker-vfio",
             "firecracker-unlink", "crosvm")
EXPORT_FORMATS = ["lspci", "binary", "json", "qemu", "libvirt", "qemu-cmdline"]
COMMANDS = ("show", "explain", "check", "place", "export", "survey", "caps", "diff", "path", "tui")
DEFAULT_SAMPLE = "realtek_rtl8168_nic_b.txt"


def _console(stderr: bool = False):
    from rich.console import Console

    # markup=False: no string capslot prints is Rich markup, and text from dumps or the
    # device table must never be read as such.
    return Console(stderr=stderr, highlight=False, soft_wrap=False, markup=False)


def _emit_json(obj: Any) -> None:
    from capslot.core.jsontext import dumps  # json.dumps(obj, indent=1), without importing json

    sys.stdout.write(dumps(obj) + "\n")


def _load_selected(dump: str, slot: str | None):
    from capslot.core.sources import load_slot

    return load_slot(dump, slot)


def _load_one(dump: str, slot: str | None):
    """The one device a command needs (core.sources.load_one: decided while streaming)."""
    from capslot.core.sources import load_one

    return load_one(dump, slot)


def _dump_arg(args: argparse.Namespace) -> str:
    if getattr(args, "device", None):
        if args.dump:
            raise UsageError("give either DUMP or --device, not both")
        return f"sysfs:{args.device}"
    if not args.dump:
        raise UsageError("a DUMP (path, '-' or sysfs:BDF) or --device BDF is required")
    return args.dump


# ---------------------------------------------------------------- commands
# Each command parses its input, builds one core.plan.Plan (the placement use case) and
# renders its answers: no command assembles views, validation or synthesis itself.

def _target(args: argparse.Namespace, view: str | None = None):
    from capslot.core.target import TargetSpec
    from capslot.core.views import QemuOptions

    arch = getattr(args, "arch", None)
    return TargetSpec(view=view or getattr(args, "view", None) or "guest", kernel=args.profile,
                      qemu=QemuOptions(ats=args.qemu_ats), vmm=args.vmm,
                      captured=getattr(args, "captured", None), **({"arch": arch} if arch else {}))


def _table(args: argparse.Namespace):
    from capslot.core.placement import DeviceTable

    table = DeviceTable.load(getattr(args, "quirks", None),
                             use_overlay=not getattr(args, "no_user_quirks", False))
    _say_warnings(table)
    return table


def _say_warnings(table) -> None:
    """What the device table ignores, one line each on stderr (the command goes on)."""
    for line in table.warnings:
        _fail(line)


def _ranges(args: argparse.Namespace) -> tuple[tuple[int, int], ...]:
    from capslot.core.placement import parse_ranges

    return parse_ranges(args.ranges) if getattr(args, "ranges", None) else ()


def _requests(args: argparse.Namespace) -> tuple:
    from capslot.core.placement import parse_vcap

    return tuple(parse_vcap(text) for text in args.add)


def _plan(args: argparse.Namespace, cs, auto: bool, table=None, peers: tuple = (), upstream=None):
    from capslot.core.plan import Plan

    return Plan(cs, _target(args), _requests(args), table if table is not None else _table(args),
                _ranges(args), auto=auto, peers=peers, upstream=upstream,
                layout_only=getattr(args, "layout_only", False))


SHOW_STREAM_BYTES = 64 << 20  # a larger file is shown as it is read (below)


def cmd_show(args: argparse.Namespace) -> int:
    from capslot.core.capture import host_layout
    from capslot.core.plan import Plan, verdict_lines
    from capslot.core.report import device_object

    dump = _dump_arg(args)
    spaces, peers, upstream = _show_input(dump, args)
    table = _table(args) if args.add else None

    def items():  # (layout shown, lines under it, plan, upstream path), one device at a time
        for n, cs in enumerate(spaces):
            path = upstream(n, cs)
            if args.add:  # judged for the target, drawn in the target view (the path: a gate)
                plan = _plan(args, cs, auto=False, table=table, peers=peers, upstream=path)
                yield plan.display(), verdict_lines(plan), plan, path
            else:  # the bytes as read, unless another view is asked for
                plan = Plan(cs, _target(args), peers=peers)
                yield plan.view(args.view or "hardware"), [], plan, path

    if args.json:
        from capslot.core.jsontext import dumps  # json.dumps(obj, indent=1), without importing json

        out = sys.stdout
        out.write('{\n "devices": [\n')  # json.dumps(..., indent=1) of the whole, streamed
        for n, (layout, _, plan, path) in enumerate(items()):
            obj = device_object(layout)
            obj["captured"] = plan.captured.to_json()
            if args.host_layout:
                obj["host_layout"] = [vars_of(r) for r in host_layout(plan.hardware)]
            if path is not None:
                obj["upstream"] = path.to_json()
            if args.add:
                judged = plan.to_json()
                obj["target"], obj["placements"] = judged["target"], judged["placements"]
            out.write((",\n" if n else "") + dumps(obj, "  "))
        out.write("\n ]\n}\n")
        return EXIT_OK
    if args.map:
        from capslot.tui.render import export_map

        text = export_map([(layout, lines) for layout, lines, _, _ in items()], args.map)
        return _write_out(args, text.encode("ascii" if args.map == "text" else "utf-8"))
    from rich.text import Text

    from capslot.core.textmap import heading
    from capslot.tui import render

    console = _console()
    for n, (layout, lines, plan, path) in enumerate(items()):
        if n:
            console.rule()
        first, lines = heading(lines)  # the target in the first lines, the verdicts under the map
        console.print(render.device(layout, plan.captured, first))
        if args.host_layout:
            console.print(render.host_layout(host_layout(plan.hardware), plan.captured))
        for line in lines:
            console.print(Text(line))
        if path is not None:
            from capslot.tui.upstream import path_text

            console.print(path_text(path))
    return EXIT_OK


def _show_input(dump: str, args: argparse.Namespace):
    """What `show` shows: the devices (a list, or a stream for a large file), the peers
    (what else the file holds: evidence of where it was read), and a function giving the
    upstream path of the n-th device shown (None where there is none to give)."""
    from capslot.core.capture import Peers

    if args.slot:  # straight to the one device (a huge file is not parsed whole); its path
        spaces = _load_selected(dump, args.slot)  # is read (streamed) only for a verdict
        if not args.add:
            return spaces, Peers(spaces), lambda n, cs: None
        from capslot.core.upstream import upstream_of

        return spaces, Peers(spaces), lambda n, cs: upstream_of(dump, cs, args.slot)
    if not dump.startswith("sysfs:") and dump != "-" and os.path.isfile(dump) \
            and os.path.getsize(dump) > SHOW_STREAM_BYTES:
        return _show_streamed(dump)
    from capslot.core.sources import load

    every = load(dump)
    paths = _upstreams(dump, every, every)
    return every, Peers(every), lambda n, cs: paths[n]


def _show_streamed(dump: str):
    """A large file, read twice so that memory stays flat: first (the fast reader of survey)
    for the bridges and the peers alone, then device by device as it is shown. A device that
    cannot be read stops the second pass there, after the devices before it were shown."""
    from capslot.core import topology
    from capslot.core.capture import VIRTUAL_BRIDGES, Peers
    from capslot.core.sources import iter_devices
    from capslot.core.survey import stream_devices

    kept: list = []
    position: dict[int, int] = {}  # the n-th device of the file: its place in `kept`
    count, slotted = 0, True
    for n, cs in enumerate(stream_devices(dump)):
        count += 1
        slotted = slotted and cs.provenance.slot is not None
        if topology.is_bridge(cs) or (cs.vendor_id, cs.device_id) in VIRTUAL_BRIDGES:
            position[n] = len(kept)
            kept.append(cs)
    topo = topology.DumpTopology(kept, many=count >= 2) if count >= 2 and slotted else None

    def upstream(n: int, cs):
        return topo.path_of(cs, position.get(n)) if topo is not None else None

    return iter_devices(dump), Peers(kept), upstream


def _upstreams(dump: str, every: list, shown: list) -> list:
    """The upstream path of each shown device: from sysfs for a live device, from the
    bridges of a multi-device dump (found once), None for a dump of one device (its ports
    are not there to look at)."""
    if dump.startswith("sysfs:"):
        from capslot.core import host

        return [host.upstream_path(cs.provenance.slot) if cs.provenance.slot else None
                for cs in shown]
    if len(every) < 2:
        return [None] * len(shown)
    if not all(d.provenance.slot for d in every):
        return [None] * len(shown)  # no bus numbers (hexdump, xxd, binary): no topology
    from capslot.core import topology

    topo = topology.DumpTopology(every)
    position = {id(d): i for i, d in enumerate(every)}
    return [topo.path(position[id(cs)]) for cs in shown]


def cmd_path(args: argparse.Namespace) -> int:
    """The upstream path of a device and whether a PASID can travel it: exit 1 when it
    cannot (a function on the path lacks End-End TLP Prefix support)."""
    from capslot.core import host, topology
    from capslot.core.sources import load, select
    from capslot.core.upstream import slot_paths

    dump = _dump_arg(args)
    if args.slot and not dump.startswith("sysfs:"):  # streamed: the bridges and the device kept
        paths = slot_paths(dump, args.slot)
    else:
        every = load(dump)
        shown = select(every, args.slot, dump)
        # None: a dump of one device, whose path says that its ports are not in the dump
        paths = [(cs, path if path is not None else topology.from_dump(every, 0))
                 for cs, path in zip(shown, _upstreams(dump, every, shown), strict=False)]
    blocked = any(p.verdict()[0] == topology.BLOCKED for _, p in paths)
    if args.json:
        _emit_json({"devices": [{"source": cs.provenance.source, "slot": cs.provenance.slot,
                                 "vendor_id": cs.vendor_id, "device_id": cs.device_id,
                                 "upstream": p.to_json()} for cs, p in paths]})
        return EXIT_COLLISION if blocked else EXIT_OK
    from capslot.core import pciids
    from rich.text import Text

    from capslot.tui.upstream import path_text

    console = _console()
    for n, (cs, p) in enumerate(paths):
        if n:
            console.print()
        name = cs.provenance.device_line or host.describe(cs, pciids.default()) or cs.label()
        console.print(Text(printable(name), style="bold"))
        console.print(path_text(p))
    return EXIT_COLLISION if blocked else EXIT_OK


def _write_out(args: argparse.Namespace, data: bytes) -> int:
    """To -o FILE or standard output, by the one rule of core.atomic.Output (a regular file
    replaced atomically, `-` and /dev/std* the descriptor, a device or FIFO in place)."""
    from capslot.core.atomic import write_output

    write_output(getattr(args, "output", None) or "-", data)
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    from capslot.core.explain import explain
    from capslot.core.numbers import parse_offset
    from capslot.core.plan import verdict_lines
    from capslot.core.views import VIEWS

    try:
        offset = parse_offset(args.offset)
    except ValueError as exc:
        raise DumpError(f"OFFSET {args.offset}", str(exc)) from None
    plan = _placement_plan(args, auto=False)
    # one rule with check: a dump read inside a guest is judged as read (its bytes already
    # are a VMM's view: running vfio and a VMM over them again describes a guest of a guest)
    names = ("captured",) if plan.guest_dump else VIEWS
    answers = [(name, explain(plan.display(name), offset, plan.target.vmm)) for name in names]
    lines = verdict_lines(plan) if args.add else []
    if args.json:
        obj: dict[str, Any] = {"offset": offset, "target": plan.target.to_json(),
                               "views": [{"view": name, **vars_of(f)} for name, f in answers]}
        if args.add:
            obj["placements"] = plan.to_json()["placements"]
        _emit_json(obj)
        return EXIT_OK
    from rich.text import Text

    from capslot.tui import render

    console = _console()
    for line in lines:
        console.print(Text(line))
    console.print(render.explanation(offset, answers))
    return EXIT_OK


def vars_of(facts) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(facts)


def cmd_diff(args: argparse.Namespace) -> int:
    from capslot.core.plan import compare

    a = _load_one(args.a, args.slot)
    b = _load_one(args.b, args.slot_b or args.slot)
    requests = _requests(args)
    missing = [r.text for r in requests if r.offset is None]
    if missing:
        raise UsageError(f"diff --add needs offsets (like pasid@0xff8): {', '.join(missing)}")
    result = compare(a, b, _target(args, "guest"), requests, _table(args) if requests else None)
    if args.json:
        _emit_json(_diff_json(result))
        return EXIT_OK
    from capslot.tui import render

    _console().print(render.diff(result, args.a, args.b))
    return EXIT_OK


def _diff_json(result) -> dict[str, Any]:
    def caps(xs):
        return [{"space": s, "offset": o, "id": i} for s, o, i in xs]

    return {
        "changed_bytes": result.changed_bytes,
        "changes": [{"start": c.start, "end": c.end, "owner": c.owner} for c in result.changes],
        "appeared": caps(result.appeared), "disappeared": caps(result.disappeared),
        "views": [{"view": v.view, "matches": v.matches, "missing": caps(v.missing),
                   "extra": caps(v.extra)} for v in result.views],
        "consistent_with": result.best.view if result.best else None,
        # every view the bytes allow (several VMMs can show a guest the same bytes)
        "consistent_views": [v.view for v in result.consistent],
    }


# ---------------------------------------------------------------- placement

def _placement_plan(args: argparse.Namespace, auto: bool):
    from capslot.core.upstream import upstream_of

    dump = _dump_arg(args)
    cs = _load_one(dump, args.slot)
    # the ports above it (a gate of "will it work?"): read only when something is placed
    path = upstream_of(dump, cs, args.slot) if getattr(args, "add", None) else None
    return _plan(args, cs, auto=auto, upstream=path)


def _report(args: argparse.Namespace, plan) -> int:
    """check and place: the verdicts (JSON or Rich), exit 1 when the policy refuses one;
    with -o, what would be printed goes there."""
    if args.json and args.output:
        from capslot.core.jsontext import dumps

        _write_out(args, (dumps(plan.to_json(args.strict)) + "\n").encode())
    elif args.json:
        _emit_json(plan.to_json(args.strict))
    else:
        from capslot.tui import render

        table = render.placements(plan, args.strict)
        if args.output:
            _write_out(args, _rendered(table).encode("utf-8"))
        else:
            _console().print(table)
    for line in plan.refusals(args.strict):
        _fail(f"{args.dump or args.device}: {line}")
    return plan.exit_code(args.strict)


def _rendered(*items) -> str:
    """What _console() would print of `items`, as text (for -o): no colours, the terminal's
    width when standard output is one, else 80 columns."""
    import io

    from rich.console import Console

    buffer = io.StringIO()
    width = _columns() if sys.stdout.isatty() else 80
    console = Console(file=buffer, highlight=False, soft_wrap=False, markup=False,
                      color_system=None, width=width)
    for item in items:
        console.print(item)
    return buffer.getvalue()


def cmd_check(args: argparse.Namespace) -> int:
    return _report(args, _placement_plan(args, auto=False))


def cmd_place(args: argparse.Namespace) -> int:
    return _report(args, _placement_plan(args, auto=True))


def cmd_export(args: argparse.Namespace) -> int:
    from capslot.core.plan import Refused

    plan = _placement_plan(args, auto=True)
    try:
        data = plan.export(args.format, args.strict, args.bdf, args.alias)
    except Refused as refused:
        for line in refused.lines:
            _fail(f"{args.dump or args.device}: {line}; nothing exported (see capslot place "
                  "for the reasons)")
        return EXIT_COLLISION
    if args.format == "binary" and args.output in (None, "-") and sys.stdout.isatty():
        raise UsageError("binary output to a terminal: use -o FILE or a pipe")
    code = _write_out(args, data)
    # exported: what else to know, on stderr (after the write, so a failed write is one line)
    for line in plan.warnings():  # accepted with warnings: said, and exported
        _fail(f"warning: {line}")
    if args.format in ("qemu", "libvirt", "qemu-cmdline"):
        skipped = [p.vcap.name for p in plan.placements if plan.realize(p) is None]
        if skipped:
            _fail(f"note: {', '.join(skipped)}: not in the {args.format} output ({NO_VMM_NOTE})")
    return code


NO_VMM_NOTE = "no VMM property: for a custom VMM; use --format lspci, binary or json"


# ---------------------------------------------------------------- survey

_ANALYZER = None


def _survey_init(quirks: str | None, user: bool, evidence: bool, say: bool = False) -> None:
    global _ANALYZER
    from capslot.core.placement import DeviceTable
    from capslot.core.survey import Analyzer

    table = DeviceTable.load(quirks, use_overlay=user)
    if say:  # the parent says it, a worker does not say it again
        _say_warnings(table)
    _ANALYZER = Analyzer(table, evidence)


def _survey_worker(quirks: str | None, user: bool, evidence: bool) -> None:
    """A --jobs worker: the parent alone answers SIGTERM, SIGHUP and Ctrl-C (it stops the
    pool and removes its temporary file); a worker signalled with it just ends."""
    import signal

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _ANALYZER is None:  # not inherited from the parent (a start method other than fork)
        _survey_init(quirks, user, evidence)


def _survey_block(block):
    return _ANALYZER.block_lines(block)


def _survey_results(args: argparse.Namespace, block_iter):
    """(lines, facts) per block, in input order, from one process or a bounded pool."""
    from collections import deque

    init = (args.quirks, not args.no_user_quirks, args.suggest_quirks)
    if args.jobs <= 1:
        _survey_init(*init, say=True)
        for block in block_iter:
            yield block if isinstance(block, dict) else _survey_block(block)
        return
    from concurrent.futures import ProcessPoolExecutor

    _survey_init(*init, say=True)  # here first: a bad device table is one line, not a worker's traceback
    pool = ProcessPoolExecutor(args.jobs, initializer=_survey_worker, initargs=init)
    try:
        window: deque = deque()
        for block in block_iter:
            window.append(block if isinstance(block, dict) else pool.submit(_survey_block, block))
            while len(window) > 2 * args.jobs:
                yield _done(window.popleft())
        while window:
            yield _done(window.popleft())
    finally:  # stopped early (a signal, an error): drop the queued blocks, not wait for them
        pool.shutdown(wait=True, cancel_futures=True)


def _done(item):
    return item if isinstance(item, dict) else item.result()


def _survey_signals():
    """A context in which SIGTERM or SIGHUP leaves the with block at once (its finally
    clauses clean up) and ends there: it yields a list that then holds the signal's
    number. From the first signal on both are ignored, so the clean-up runs to its end;
    the old handlers are back after."""
    import contextlib
    import signal
    import threading

    class Stopped(BaseException):
        pass

    @contextlib.contextmanager
    def handlers():
        came: list[int] = []
        if threading.current_thread() is not threading.main_thread():
            yield came  # only the main thread may set handlers (capslot's own is the main one)
            return
        wanted = (signal.SIGTERM, signal.SIGHUP)

        def stop(signum, frame):
            for sig in wanted:
                signal.signal(sig, signal.SIG_IGN)
            came.append(signum)
            raise Stopped

        before = {sig: signal.signal(sig, stop) for sig in wanted}
        try:
            yield came
        except Stopped:
            pass  # the block's own finally clauses have removed what it made
        finally:
            signal.pthread_sigmask(signal.SIG_BLOCK, wanted)  # no signal between the two
            for sig, old in before.items():
                signal.signal(sig, old)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, wanted)

    return handlers()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _survey_jobs(text: str) -> int:
    """--jobs: 1 to four per core; more would only fight over the cores."""
    import argparse

    try:
        jobs = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    cores = _cores()
    if not 1 <= jobs <= 4 * cores:
        raise argparse.ArgumentTypeError(f"{jobs} is not between 1 and {4 * cores} "
                                         f"(four per core; this machine has {cores})")
    return jobs


def _survey_size(path) -> int:
    try:
        return os.path.getsize(path) if isinstance(path, str) and path != "-" and os.path.isfile(path) else 0
    except OSError:
        return 0


def cmd_survey(args: argparse.Namespace) -> int:
    import json
    import signal

    from capslot.core.survey import QuirkEvidence, Summary, blocks, failure_lines, suggest_toml, walk_paths

    if args.jobs is None:  # one process: with the cache by deciding bytes (core.recordcache)
        args.jobs = 1      # workers save no wall time on a fleet, and cost CPU and memory
    paths = list(walk_paths(args.paths))
    total = sum(_survey_size(p) for p in paths)
    progress = _progress(total) if sys.stderr.isatty() and total > (8 << 20) else None
    summary = Summary()
    evidence: dict = {}
    read_bytes = 0

    def block_iter():
        nonlocal read_bytes
        for path in paths:
            for block in blocks(path):
                if not isinstance(block, dict):
                    read_bytes += len(block.data)
                    if progress is not None:
                        progress[0].update(progress[1], completed=read_bytes)
                yield block

    sink = None  # core.atomic.Output for -o; standard output otherwise
    results = None
    to_file = bool(args.output)

    def write(text: str) -> None:
        if sink is not None:
            sink.write(text.encode("utf-8"))
        else:
            sys.stdout.write(text)

    with _survey_signals() as stopped:
        try:
            # the output (a temporary file beside a regular one) comes with the signals
            # held, so that a SIGTERM never falls between making it and knowing its name
            held = {signal.SIGTERM, signal.SIGHUP}
            signal.pthread_sigmask(signal.SIG_BLOCK, held)
            try:
                sink = _survey_output(args)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, held)
            results = _survey_results(args, block_iter())
            for result in results:
                if isinstance(result, dict):  # a file that could not be opened
                    lines, facts = [json.dumps(result, separators=(",", ":"))], \
                        [{"error": True, "message": result["error"]}]
                else:
                    lines, facts = result
                if args.jsonl:
                    write("\n".join(lines) + "\n")
                for f in facts:
                    summary.add(f)
                    if args.suggest_quirks and not f.get("error"):
                        evidence.setdefault((f["vendor"], f["device"]), QuirkEvidence()).add(f)
            if args.suggest_quirks:
                write(suggest_toml(evidence, summary))
            elif not args.jsonl and to_file:  # -o FILE holds what would be printed
                write(_survey_summary_text(summary))
            if sink is not None and summary.devices:  # nothing read: the file stays as it was
                sink.commit()
        finally:  # (a second signal is ignored from the first on: this always runs to the end)
            if results is not None:
                results.close()  # a pool stops here, before the temporary file goes
            if progress is not None:
                progress[0].stop()
            if sink is not None:  # interrupted or failed: the old file stays, the partial one goes
                sink.discard()
    if stopped:
        return 128 + stopped[0]  # as a shell reports a process ended by the signal
    if not args.jsonl and not args.suggest_quirks and not to_file:
        from capslot.tui import render

        console = _console()
        console.print(render.survey(summary))
        if summary.errors:
            console.print("could not be read:")
            for line in failure_lines(summary):
                console.print(f"  {printable(line)}", soft_wrap=True)
    if summary.devices == 0:
        first = f"; {printable(summary.failures[0])}" if summary.failures else ""
        _fail(f"{' '.join(args.paths)}: no device could be read ({summary.errors} errors{first})")
        return EXIT_BAD_INPUT
    return EXIT_OK


def _survey_summary_text(summary) -> str:
    """The summary survey prints, as plain text (for -o FILE)."""
    from capslot.core.survey import failure_lines
    from capslot.tui import render

    lines = [_rendered(render.survey(summary))]
    if summary.errors:
        lines.append("could not be read:\n")
        lines.extend(f"  {printable(line)}\n" for line in failure_lines(summary))
    return "".join(lines)


def _survey_output(args: argparse.Namespace):
    """None (standard output), or the -o output (core.atomic.Output): a regular file is a
    temporary file beside it that replaces it only when complete (streamed, so memory stays
    flat however long the survey), with the umask's mode or the mode of the file it replaces."""
    if not args.output:
        return None
    from capslot.core.atomic import Output

    return Output(args.output)


def _progress(total: int):
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    # redirect_stdout=False: the records go to stdout untouched, the bar to stderr only
    bar = Progress("survey", BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                   console=_console(stderr=True), transient=True, redirect_stdout=False,
                   redirect_stderr=False)
    task = bar.add_task("survey", total=total)
    bar.start()
    return bar, task


def cmd_caps(args: argparse.Namespace) -> int:
    from capslot.core import registry

    if args.virtual:
        from capslot.core.placement import TEMPLATES

        if args.json:
            _emit_json({"virtual": [{"name": t.name, "space": t.space.value, "id": t.cap_id,
                                     "size": t.size, "min_size": t.min_size, "max_size": t.max_size,
                                     "default_offsets": list(t.default_offsets), "doc": t.doc,
                                     "qemu_property": t.qemu_property} for t in TEMPLATES.values()]})
            return EXIT_OK
        from capslot.tui import render

        _console().print(render.templates(list(TEMPLATES.values())))
        return EXIT_OK

    if args.id is None:
        specs = registry.entries()
        if args.json:
            _emit_json({"capabilities": [_spec_json(s) for s in specs]})
            return EXIT_OK
        from capslot.tui import render

        _console().print(render.caps_table(specs))
        return EXIT_OK
    specs = registry.find(args.id)
    if not specs:
        raise DumpError("caps", f"no capability matches {args.id!r} (try an ID like 0x10 or "
                                "ext:0x1b, or a name like aer)")
    if args.json:
        _emit_json({"capabilities": [_spec_json(s, registers=True) for s in specs]})
        return EXIT_OK
    from capslot.tui import render

    console = _console()
    for s in specs:
        console.print(render.cap_detail(s))
    return EXIT_OK


def _spec_json(spec, registers: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "space": spec.space.value, "id": spec.id, "short": spec.short, "name": spec.name,
        "spec": spec.spec, "size_rule": spec.size_text, "min_size": spec.min_size,
        "max_size": spec.max_size, "notes": spec.notes,
    }
    if registers:
        from capslot.core.registry.decode import table  # the registers as the decoder reads them

        size = spec.max_size or spec.min_size
        out["registers"] = [
            {"offset": r.offset, "width": r.width, "name": r.name, "doc": r.doc,
             "fields": [{"lo": f.lo, "hi": f.hi, "name": f.name, "doc": f.doc} for f in r.fields]}
            for r in table(spec, None, size)]
    return out


def cmd_tui(args: argparse.Namespace) -> int:
    """The explorer. Every input problem is reported before the screen opens."""
    from capslot.core.sources import load, select
    from capslot.tui.session import Session

    live = not args.dump and not getattr(args, "device", None) and _live_host()
    if not args.dump and not getattr(args, "device", None):
        args.dump = os.path.join(_samples_dir(), DEFAULT_SAMPLE)
    dump = _dump_arg(args)
    devices = load(dump)
    index = 0
    if args.slot:
        picked = select(devices, args.slot, dump)[0]
        index = devices.index(picked)
    target = _target(args)
    session = Session(devices, index, view_name=target.view, target=target, table=_table(args),
                      ranges=_ranges(args), layout_only=args.layout_only)
    if args.plan and not live:
        session.use_plan_file(args.plan)  # a bad plan stops here, and is never overwritten
    if live:  # the machine's own devices: a picker first (the sample waits underneath); the
        #       plan is checked against the device picked
        from capslot.tui.screens.live import LiveApp

        LiveApp(session, dump, plan=args.plan).run()
        return EXIT_OK
    from capslot.tui.app import CapslotApp

    CapslotApp(session, dump).run()
    return EXIT_OK


def _live_host() -> bool:
    """True on a machine with a sysfs PCI tree holding devices (`capslot` then lists them)."""
    from capslot.core import host

    return bool(host.slots())


def _samples_dir() -> str:
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(here), "sample_dumps")


# ---------------------------------------------------------------- parser

def _add_dump(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("dump", nargs=None if required else "?", metavar="DUMP",
                   help="a dump file, '-' for standard input, or sysfs:BDF for a live device")
    p.add_argument("--device", metavar="BDF", help="read a live device's sysfs config (read-only)")
    p.add_argument("--slot", metavar="BDF", help="pick one device of a multi-device dump")
    p.add_argument("--pci-ids", metavar="FILE", help="names from this pci.ids (default: the "
                   "system's, as lspci finds it)")


OUTPUT_HELP = ("a regular file is replaced atomically; '-' is standard output; a character "
               "device or FIFO is written in place")
NUMBERS = ("Offsets and sizes are hex with or without 0x (ff8, 0xff8), or decimal with a "
           "leading 0d (0d4088).")
ADD_HELP = ("NAME[:SIZE][@OFFSET], e.g. pasid, pasid@0xff8, vsec:40, 0x1f:10, std:vndr:8@d4 "
            "(see capslot caps --virtual). " + NUMBERS)


# The choices, written here so that building a parser imports nothing of the core;
# tests/test_cli_input.py checks them against core.views and core.views.vmms.
VIEW_NAMES = ("hardware", "vfio", "guest")
ARCHES = ("x86_64", "aarch64")
PROFILE_HELP = {"nvidia": "NVIDIA NV-Kernels vfio-pci (exposes PASID, 8 bytes)",
                "upstream": "Linux mainline vfio-pci (hides PASID)"}


def _add_view(p: argparse.ArgumentParser, default: str | None = "hardware") -> None:
    p.add_argument("--view", choices=VIEW_NAMES, default=default,
                   help="hardware bytes, what vfio-pci shows user space, or what QEMU shows the "
                        "guest; verdicts are about this view (the guest unless given)")
    p.add_argument("--profile", choices=sorted(PROFILE_HELP), default="upstream",
                   help="kernel flavour for the vfio/guest views: " +
                        "; ".join(f"{k}: {v}" for k, v in sorted(PROFILE_HELP.items())))
    p.add_argument("--qemu-ats", choices=["auto", "on", "off"], default="auto",
                   help="QEMU 11.1's ats property: auto keeps ATS when the kernel shows it, off "
                        "drops it, on fails device start without it")
    p.add_argument("--vmm", choices=list(VMM_NAMES), default="qemu",
                   help="the VMM whose guest view is the target: what it removes and how "
                        "(docs/placement.md, 'Which VMM?')")
    p.add_argument("--captured", choices=["host", "guest"],
                   help="where the dump was read (default: decided from its bytes; a dump read "
                        "inside a guest is judged as read)")
    p.add_argument("--arch", choices=ARCHES, default=None,
                   help="the guest's architecture: which PASID-capable vIOMMU the VM needs "
                        "(arm-smmuv3 or intel-iommu; default: this machine's)")
    p.add_argument("--layout-only", action="store_true",
                   help="judge the offsets alone (teaching, a custom VMM): not whether the VMM "
                        "creates the capability or whether a PASID can work")


def _add_table(p: argparse.ArgumentParser) -> None:
    p.add_argument("--quirks", metavar="FILE", help="a device table of your own (TOML)")
    p.add_argument("--no-user-quirks", action="store_true",
                   help="ignore $XDG_CONFIG_HOME/capslot/quirks.toml")


def _show_args(p: argparse.ArgumentParser) -> None:
    _add_dump(p, required=False)
    _add_view(p, default=None)
    p.add_argument("--json", action="store_true", help="the JSON contract (schemas/show.v1.json)")
    p.add_argument("--map", choices=["text", "svg", "html"],
                   help="a picture to share: 72-column ASCII for mail, or a standalone SVG/HTML")
    p.add_argument("-o", "--output", metavar="FILE", help="write the map here: " + OUTPUT_HELP)
    p.add_argument("--host-layout", action="store_true",
                   help="for a dump read inside a guest: the chain the host most likely had")
    p.add_argument("--add", action="append", default=[], metavar="VCAP@OFFSET",
                   help="show a virtual capability at an offset, with its verdict: " + ADD_HELP)
    _add_table(p)


def _explain_args(p: argparse.ArgumentParser) -> None:
    _add_dump(p, required=False)
    p.add_argument("offset", metavar="OFFSET", help="0x000-0xfff: " + NUMBERS)
    _add_view(p, default=None)
    p.add_argument("--add", action="append", default=[], metavar="VCAP@OFFSET",
                   help="explain a byte of a virtual capability placed here: " + ADD_HELP)
    _add_table(p)
    p.add_argument("--json", action="store_true")


def _placement_args(p: argparse.ArgumentParser, name: str) -> None:
    _add_dump(p, required=False)
    p.add_argument("--add", action="append", required=True, metavar="VCAP", help=ADD_HELP)
    p.add_argument("--ranges", metavar="R", help="available ranges, START-END with END "
                   "inclusive, e.g. 0xe00-0xeff,0xf80-0xfff")
    p.add_argument("--strict", action="store_true", help="refuse warnings too (exit 1)")
    _add_table(p)
    _add_view(p, default="guest")
    if name == "export":
        p.add_argument("--format", choices=EXPORT_FORMATS, required=True,
                       help="lspci -xxxx text, raw binary, the JSON plan, QEMU's property, "
                            "libvirt's <qemu:override> block, or the QEMU -device argument")
        p.add_argument("--bdf", metavar="BDF", type=_sink(_check_bdf),
                       help="the device's host address DDDD:BB:DD.F for qemu-cmdline "
                            "(default: the dump's slot)")
        p.add_argument("--alias", default="hostdev0", metavar="NAME", type=_sink(_check_alias),
                       help="the libvirt hostdev alias the override applies to: ua-NAME (a "
                            "user alias: letters, digits, _ and -) or hostdevN")
    else:
        p.add_argument("--json", action="store_true")
    p.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)


def _check_bdf(text: str) -> str:
    from capslot.core.sinks import check_bdf

    return check_bdf(text)


def _check_alias(text: str) -> str:
    from capslot.core.sinks import check_alias

    return check_alias(text)


def _sink(check: Callable[[str], str]) -> Callable[[str], str]:
    """An argparse type from a core.sinks check: its reason is the one-line usage error."""
    def checked(text: str) -> str:
        import argparse

        from capslot.core.sinks import SinkError

        try:
            return check(text)
        except SinkError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return checked


def _survey_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, directories (recursively; "
                   "their *.lspci.txt and *.md files are skipped: decoded text and notes, not dumps), or -")
    p.add_argument("--jsonl", action="store_true", help="one JSON object a line per device")
    p.add_argument("--jobs", type=_survey_jobs, default=None, metavar="N",
                   help="worker processes, 1 to four per core (default 1; the same output "
                        "whatever the number). Copies of a device model are analysed once, so on "
                        "a fleet one process is about as fast as all cores, for less CPU; all "
                        "cores pay "
                        "when most devices are different models (on 2 cores: about 3/4 of the "
                        "wall time) and cost about 3x the memory")
    p.add_argument("--suggest-quirks", action="store_true",
                   help="print device-table entries (TOML) for a human to review, with evidence")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write what would be printed (the records, suggestions or summary) to "
                        "FILE when complete: " + OUTPUT_HELP)
    _add_table(p)


def _caps_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", nargs="?", metavar="ID", help="an ID (0x10, ext:0x1b) or a name (aer)")
    p.add_argument("--virtual", action="store_true", help="the virtual capability templates")
    p.add_argument("--json", action="store_true")


def _diff_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", metavar="A", help="the reference dump (e.g. the host's sysfs config)")
    p.add_argument("b", metavar="B", help="the other dump (e.g. what the guest reads)")
    p.add_argument("--slot", metavar="BDF", help="device of A (and of B without --slot-b)")
    p.add_argument("--slot-b", metavar="BDF", help="device of B when it differs")
    p.add_argument("--add", action="append", default=[], metavar="VCAP@OFFSET",
                   help="virtual capabilities the VMM added to B (A's guest view gets them): "
                        + ADD_HELP)
    _add_table(p)
    _add_view(p, default=None)
    p.add_argument("--json", action="store_true")


def _path_args(p: argparse.ArgumentParser) -> None:
    _add_dump(p, required=False)
    p.add_argument("--json", action="store_true")


def _tui_args(p: argparse.ArgumentParser) -> None:
    _add_dump(p, required=False)
    _add_view(p, default="guest")
    p.add_argument("--plan", metavar="FILE", help="keep the placements in FILE (the place --json "
                   "shape), written atomically whenever they change; loaded if it exists")
    p.add_argument("--ranges", metavar="R", help="available ranges, e.g. 0xe00-0xeff")
    _add_table(p)


PLACEMENT_TEXT = ("A collision is refused (exit 1, nothing exported); warnings are shown and "
                  "accepted, unless --strict. ")
# command: (its one-line help, a longer description, how its arguments are added, what runs it)
SUBCOMMANDS: dict[str, tuple[str, str, Callable[[argparse.ArgumentParser], None], str]] = {
    "show": ("capability list and byte map of a device",
             "The capability list and byte map of a device: the hardware bytes, or --view "
             "vfio|guest. With --add, the target view (the QEMU guest unless --view says "
             "otherwise) with the virtual capabilities and their verdicts. " + NUMBERS,
             _show_args, "cmd_show"),
    "explain": ("what owns one byte in each view, and what vfio/QEMU do", "", _explain_args,
                "cmd_explain"),
    "check": ("validate virtual capabilities at given offsets",
              "Validate virtual capabilities at given offsets. " + PLACEMENT_TEXT + NUMBERS,
              lambda p: _placement_args(p, "check"), "cmd_check"),
    "place": ("auto placement of virtual capabilities",
              "Auto placement of virtual capabilities. " + PLACEMENT_TEXT + NUMBERS,
              lambda p: _placement_args(p, "place"), "cmd_place"),
    "export": ("the guest view with virtual capabilities synthesized",
               "The guest view with virtual capabilities synthesized. " + PLACEMENT_TEXT + NUMBERS,
               lambda p: _placement_args(p, "export"), "cmd_export"),
    "survey": ("every device of every file: streamed records or a summary", "", _survey_args,
               "cmd_survey"),
    "caps": ("the capability knowledge table", "", _caps_args, "cmd_caps"),
    "diff": ("compare two dumps of one device, through each view", "", _diff_args, "cmd_diff"),
    "path": ("the ports above a device, and whether PASID can cross them",
             "The upstream path of a device: each bridge and root port up to the root complex "
             "(from sysfs for sysfs:BDF, from bus numbers in a dump of a whole machine), each "
             "one's End-End TLP Prefix support, and whether a PASID can travel it. Exit 1 when "
             "it cannot.", _path_args, "cmd_path"),
    "tui": ("open the explorer", "", _tui_args, "cmd_tui"),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that command's sub-parser is built (argparse builds
    every sub-parser's help up front, which cost more than the rest of a `show --json`)."""
    from capslot.tui.parsing import parser_classes

    _, _Parser = parser_classes()
    parser = _Parser(prog="capslot", description="Explore PCI/PCIe config space: capability "
                     "chains, a map of all 4096 bytes, and where a virtual capability may go.")
    from capslot.core import __version__

    parser.add_argument("--version", action="version", version=f"capslot {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    for name, (text, description, add, func) in SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        p = sub.add_parser(name, help=text, description=description or None)
        add(p)
        p.set_defaults(func=globals()[func])
    return parser


class _Declared:
    """What a command's argument function declares, recorded without argparse: the same
    `add_argument` calls, kept as data for the fast path below."""

    def __init__(self) -> None:
        self.options: dict[str, dict[str, Any]] = {}  # option string -> its argument
        self.positionals: list[dict[str, Any]] = []
        self.arguments: list[dict[str, Any]] = []
        self.readable = True  # False: something the fast path leaves to argparse

    def add_argument(self, *flags: str, **kw: Any) -> None:
        action = kw.get("action", "store")
        arg = {"action": action, "default": kw.get("default", False if action == "store_true" else None),
               "choices": kw.get("choices"), "required": kw.get("required", False),
               "nargs": kw.get("nargs"), "type": kw.get("type")}
        if action not in ("store", "store_true", "append") or arg["type"] is not None:
            self.readable = False  # a count, a constant, a conversion (argparse converts defaults too)
        if flags[0].startswith("-"):
            long = [f for f in flags if f.startswith("--")]
            arg["dest"] = kw.get("dest") or (long[0] if long else flags[0]).lstrip("-").replace("-", "_")
            if arg["nargs"] is not None:
                self.readable = False
            for flag in flags:
                self.options[flag] = arg
        else:
            arg["dest"] = kw.get("dest") or flags[0]
            if arg["nargs"] not in (None, "?") or (self.positionals and self.positionals[-1]["nargs"]):
                self.readable = False  # only "A", "A?" or "A B": no guessing of argparse's matching
            self.positionals.append(arg)
        self.arguments.append(arg)


def _fast_args(argv: list[str]):
    """The namespace argparse would make of `argv` (a command and its arguments), read
    without argparse; None whenever it is not plainly so (help, an error, an abbreviation,
    `-oFILE`, a value that starts with `-`, `--`...): argparse then reads it, and says what
    is wrong as it always did. tests/test_cli_fast_args.py holds the two to the same answer."""
    from types import SimpleNamespace

    name = argv[0]
    declared = _Declared()
    SUBCOMMANDS[name][2](declared)
    if not declared.readable:
        return None
    values: dict[str, Any] = {"command": name}
    for arg in declared.arguments:
        default = arg["default"]
        values[arg["dest"]] = list(default) if isinstance(default, list) else default
    given: set[str] = set()
    words: list[str] = []
    i = 1
    while i < len(argv):
        word = argv[i]
        i += 1
        if not word.startswith("-") or word == "-":
            words.append(word)
            continue
        flag, equals, value = word.partition("=") if word.startswith("--") else (word, "", "")
        arg = declared.options.get(flag)
        if arg is None:
            return None
        given.add(arg["dest"])
        if arg["action"] == "store_true":
            if equals:
                return None
            values[arg["dest"]] = True
            continue
        if not equals:
            if i == len(argv) or (argv[i].startswith("-") and argv[i] != "-"):
                return None
            value = argv[i]
            i += 1
        if arg["choices"] is not None and value not in arg["choices"]:
            return None
        if arg["action"] == "append":
            values[arg["dest"]] = [*(values[arg["dest"]] or []), value]
        else:
            values[arg["dest"]] = value
    positionals = declared.positionals
    needed = sum(1 for p in positionals if p["nargs"] is None)
    if not needed <= len(words) <= len(positionals):
        return None
    for p, word in zip(positionals, words, strict=False):
        values[p["dest"]] = word
    if any(arg["required"] and arg["dest"] not in given for arg in declared.arguments):
        return None
    values["func"] = globals()[SUBCOMMANDS[name][3]]
    return SimpleNamespace(**values)


# Commands that start no thread and no process: as the process's own entry point (main()
# reading sys.argv) they run with fewer garbage collections and end with os._exit once what
# they printed is flushed. The interpreter's teardown (every module and object freed, a last
# full collection) is a fifth of a `show --json`, for memory the process gives back anyway;
# every file they write is complete and closed before they return (core.atomic).
SHORT_COMMANDS = frozenset({"show", "explain", "check", "place", "export", "caps", "diff", "path"})


def main(argv: Sequence[str] | None = None) -> int:
    if argv is not None or not sys.argv[1:] or sys.argv[1] not in SHORT_COMMANDS:
        return _main(argv)
    import gc

    gc.set_threshold(10_000)  # start-up makes thousands of objects that all live: fewer passes over them
    code = _main(argv)
    import contextlib

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a reader gone (`| head`), a closed stream
            stream.flush()
    os._exit(code)


def _main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        guess = _misspelt_command(argv[0]) if argv else None
        if guess is not None:
            _fail(f"usage: {argv[0]!r} is not a command: did you mean `capslot {guess}`? "
                  "(see capslot --help)")
            return EXIT_BAD_INPUT
        argv = ["tui", *argv]
    try:
        args = (_fast_args(argv) if argv[0] in COMMANDS else None) \
            or build_parser(argv[0] if argv[0] in COMMANDS else None).parse_args(argv)
        if getattr(args, "pci_ids", None):
            from capslot.core import pciids

            pciids.configure(args.pci_ids)
        func: Callable[[argparse.Namespace], int] = args.func
        return func(args)
    except DumpError as exc:
        _fail(str(exc))
        return EXIT_BAD_INPUT
    except UsageError as exc:
        _fail(f"usage: {exc} (see capslot --help)")
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        sys.stderr.close()  # a reader such as `head` went away: not an error
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the promise is one line, never a traceback
        if os.environ.get("CAPSLOT_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (CAPSLOT_DEBUG=1 shows where)")
        return EXIT_INTERNAL


def _misspelt_command(word: str) -> str | None:
    """The sub-command `word` was probably meant to be (`shwo` -> `show`), when it is no file
    the explorer could open; None otherwise."""
    import difflib

    if word.startswith("-") or word == "-" or ":" in word or os.path.exists(word):
        return None
    close = difflib.get_close_matches(word, list(COMMANDS), n=1, cutoff=0.6)
    return close[0] if close else None


def _fail(message: str) -> None:
    """One plain line on stderr; control characters from a dump are escaped."""
    sys.stderr.write(f"capslot: {printable(message)}\n")
    sys.stderr.flush()


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
