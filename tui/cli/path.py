"""`capslot path`: the ports above a device, and whether a PASID can travel them."""

from __future__ import annotations

from capslot.arguments import add_dump
from capslot.common import EXIT_COLLISION, EXIT_OK, dump_arg, emit_json, new_console, upstreams
from capslot.core.text import printable

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any


def cmd_path(args: argparse.Namespace) -> int:
    """The upstream path of a device and whether a PASID can travel it: exit 1 when it
    cannot (a function on the path lacks End-End TLP Prefix support)."""
    from capslot.core import host, topology
    from capslot.core.sources import load, select
    from capslot.core.upstream import slot_paths

    dump = dump_arg(args)
    if args.slot and not dump.startswith("sysfs:"):  # streamed: the bridges and the device kept
        paths = slot_paths(dump, args.slot)
    else:
        every = load(dump)
        shown = select(every, args.slot, dump)
        # None: a dump of one device, whose path says that its ports are not in the dump
        paths = [(cs, path if path is not None else topology.from_dump(every, 0))
                 for cs, path in zip(shown, upstreams(dump, every, shown), strict=False)]
    blocked = any(p.verdict()[0] == topology.BLOCKED for _, p in paths)
    if args.json:
        emit_json({"devices": [{"source": cs.provenance.source, "slot": cs.provenance.slot,
                                 "vendor_id": cs.vendor_id, "device_id": cs.device_id,
                                 "upstream": p.to_json()} for cs, p in paths]})
        return EXIT_COLLISION if blocked else EXIT_OK
    from capslot.core import pciids
    from rich.text import Text

    from capslot.tui.upstream import path_text

    console = new_console()
    for n, (cs, p) in enumerate(paths):
        if n:
            console.print()
        name = cs.provenance.device_line or host.describe(cs, pciids.default()) or cs.label()
        console.print(Text(printable(name), style="bold"))
        console.print(path_text(p))
    return EXIT_COLLISION if blocked else EXIT_OK


def _path_args(p: argparse.ArgumentParser) -> None:
    add_dump(p, required=False)
    p.add_argument("--json", action="store_true")


# command: (how its arguments are added, what runs it), for capslot.cli
COMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]] = {
    "path": (_path_args, cmd_path),
}
