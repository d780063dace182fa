"""What every command shares: reading its input, the target and device table it asks for,
the one Plan it builds, and writing its answer (a Rich console, JSON, -o FILE, one line on
stderr). Each command's own module parses nothing else and computes nothing itself."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # no `typing` at start-up (issue 23): it is for the type checker
if TYPE_CHECKING:
    import argparse
    from typing import Any

EXIT_OK, EXIT_COLLISION, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 70


def new_console(stderr: bool = False):
    from rich.console import Console

    # markup=False: no string capslot prints is Rich markup, and text from dumps or the
    # device table must never be read as such.
    return Console(stderr=stderr, highlight=False, soft_wrap=False, markup=False)


def emit_json(obj: Any) -> None:
    from capslot.core.jsontext import dumps  # json.dumps(obj, indent=1), without importing json

    sys.stdout.write(dumps(obj) + "\n")


def load_selected(dump: str, slot: str | None):
    from capslot.core import sources

    return sources.load_slot(dump, slot)


def load_one(dump: str, slot: str | None):
    """The one device a command needs (core.sources.load_one: decided while streaming)."""
    from capslot.core import sources

    return sources.load_one(dump, slot)


def dump_arg(args: argparse.Namespace) -> str:
    if getattr(args, "device", None):
        if args.dump:
            from capslot.tui.parsing import UsageError  # (the parser's: a run with none never loads it)

            raise UsageError("give either DUMP or --device, not both")
        return f"sysfs:{args.device}"
    if not args.dump:
        from capslot.tui.parsing import UsageError

        raise UsageError("a DUMP (path, '-' or sysfs:BDF) or --device BDF is required")
    return args.dump


def target_of(args: argparse.Namespace, view: str | None = None):
    from capslot.core.target import TargetSpec
    from capslot.core.views import QemuOptions

    arch = getattr(args, "arch", None)
    return TargetSpec(view=view or getattr(args, "view", None) or "guest", kernel=args.profile,
                      qemu=QemuOptions(ats=args.qemu_ats), vmm=args.vmm,
                      captured=getattr(args, "captured", None), **({"arch": arch} if arch else {}))


def device_table(args: argparse.Namespace):
    from capslot.core.placement import DeviceTable

    table = DeviceTable.load(getattr(args, "quirks", None),
                             use_overlay=not getattr(args, "no_user_quirks", False))
    say_warnings(table)
    return table


def say_warnings(table) -> None:
    """What the device table ignores, one line each on stderr (the command goes on)."""
    for line in table.warnings:
        fail(line)


def ranges_of(args: argparse.Namespace) -> tuple[tuple[int, int], ...]:
    from capslot.core.placement import parse_ranges

    return parse_ranges(args.ranges) if getattr(args, "ranges", None) else ()


def requests_of(args: argparse.Namespace) -> tuple:
    from capslot.core.placement import parse_vcap

    return tuple(parse_vcap(text) for text in args.add)


def build_plan(args: argparse.Namespace, cs, auto: bool, table=None, peers: tuple = (), upstream=None):
    from capslot.core.plan import Plan

    return Plan(cs, target_of(args), requests_of(args), table if table is not None else device_table(args),
                ranges_of(args), auto=auto, peers=peers, upstream=upstream,
                layout_only=getattr(args, "layout_only", False))


def placement_plan(args: argparse.Namespace, auto: bool):
    from capslot.core.upstream import upstream_of

    dump = dump_arg(args)
    cs = load_one(dump, args.slot)
    # the ports above it (a gate of "will it work?"): read only when something is placed
    path = upstream_of(dump, cs, args.slot) if getattr(args, "add", None) else None
    return build_plan(args, cs, auto=auto, upstream=path)


def upstreams(dump: str, every: list, shown: list) -> list:
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


def write_out(args: argparse.Namespace, data: bytes) -> int:
    """To -o FILE or standard output, by the one rule of core.atomic.Output (a regular file
    replaced atomically, `-` and /dev/std* the descriptor, a device or FIFO in place)."""
    from capslot.core.atomic import write_output

    write_output(getattr(args, "output", None) or "-", data)
    return EXIT_OK


def vars_of(facts) -> dict[str, Any]:
    """A record's fields by name (what `dataclasses.asdict` gives for records of plain values,
    without importing dataclasses and making one for it)."""
    return {name: getattr(facts, name) for name in type(facts).__record_names__}


def rendered(*items) -> str:
    """What new_console() would print of `items`, as text (for -o): no colours, the terminal's
    width when standard output is one, else 80 columns."""
    import io

    from rich.console import Console

    from capslot.tui.parsing import columns

    buffer = io.StringIO()
    width = columns() if sys.stdout.isatty() else 80
    console = Console(file=buffer, highlight=False, soft_wrap=False, markup=False,
                      color_system=None, width=width)
    for item in items:
        console.print(item)
    return buffer.getvalue()


def fail(message: str) -> None:
    """One plain line on stderr; control characters from a dump are escaped."""
    from capslot.core.text import printable  # an error's: a run that succeeds never loads it

    sys.stderr.write(f"capslot: {printable(message)}\n")
    sys.stderr.flush()
