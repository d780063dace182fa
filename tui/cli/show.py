"""`capslot show`: the capability list and byte map of a device (or every device of a dump),
as Rich text, JSON (schemas/show.v1.json) or a map to share; with --add, judged for the target."""

from __future__ import annotations

import os
import sys

from capslot.arguments import ADD_HELP, OUTPUT_HELP, add_dump, add_table, add_view
from capslot.common import (
    EXIT_OK, build_plan, device_table, dump_arg, load_selected, new_console, target_of, upstreams,
    vars_of, write_out,
)

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any

SHOW_STREAM_BYTES = 64 << 20  # a larger file is shown as it is read (below)


def cmd_show(args: argparse.Namespace) -> int:
    from capslot.core.report import device_object

    dump = dump_arg(args)
    spaces, peers, upstream = _show_input(dump, args)
    table = device_table(args) if args.add else None

    def items():  # (layout shown, lines under it, plan, upstream path), one device at a time
        for n, cs in enumerate(spaces):
            path = upstream(n, cs)
            if args.add:  # judged for the target, drawn in the target view (the path: a gate)
                from capslot.core.plan import verdict_lines

                plan = build_plan(args, cs, auto=False, table=table, peers=peers, upstream=path)
                yield plan.display(), verdict_lines(plan), plan, path
            else:  # the bytes as read, unless another view is asked for: the device seen
                #     alone (what a Plan of no request answers), without the placement service
                from capslot.core.plan.seen import Seen

                plan = Seen(cs, target_of(args), peers=peers)
                yield plan.view(args.view or "hardware"), [], plan, path

    if args.json:
        from capslot.core.jsontext import dumps  # json.dumps(obj, indent=1), without importing json

        out = sys.stdout
        out.write('{\n "devices": [\n')  # json.dumps(..., indent=1) of the whole, streamed
        for n, (layout, _, plan, path) in enumerate(items()):
            obj = device_object(layout)
            obj["captured"] = plan.captured.to_json()
            if args.host_layout:
                from capslot.core.hostchain import host_layout

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
        return write_out(args, text.encode("ascii" if args.map == "text" else "utf-8"))
    from capslot.core.textmap import heading
    from capslot.tui import pieces
    from capslot.tui.styled import Styled
    from capslot.tui.termenv import detect

    # Rich's terminal, modelled: each device written by tui/writer.py, with Rich's bytes;
    # where the terminal or a device's output is not modelled, that device goes through Rich
    terminal = detect()
    console = None
    for n, (layout, lines, plan, path) in enumerate(items()):
        first, lines = heading(lines)  # the target in the first lines, the verdicts under the map
        blocks = pieces.device(layout, plan.captured, first)
        if args.host_layout:
            from capslot.core.hostchain import host_layout

            blocks.append(pieces.host_layout(host_layout(plan.hardware), plan.captured))
        blocks += [Styled(line) for line in lines]
        if path is not None:
            from capslot.tui.upstream import path_styled

            blocks.append(path_styled(path))
        text = None
        if terminal is not None:
            from capslot.tui import writer

            text = writer.render(blocks, terminal, rule=n > 0)
        if text is not None:
            writer.write(text, terminal)
            continue
        if console is None:
            console = new_console()
        if n:
            console.rule()
        for block in blocks:
            console.print(block)
    return EXIT_OK


def _show_input(dump: str, args: argparse.Namespace):
    """What `show` shows: the devices (a list, or a stream for a large file), the peers
    (what else the file holds: evidence of where it was read), and a function giving the
    upstream path of the n-th device shown (None where there is none to give)."""
    from capslot.core.capture import Peers

    if args.slot:  # straight to the one device (a huge file is not parsed whole); its path
        spaces = load_selected(dump, args.slot)  # is read (streamed) only for a verdict
        if not args.add:
            return spaces, Peers(spaces), lambda n, cs: None
        from capslot.core.upstream import upstream_of

        return spaces, Peers(spaces), lambda n, cs: upstream_of(dump, cs, args.slot)
    if not dump.startswith("sysfs:") and dump != "-" and os.path.isfile(dump) \
            and os.path.getsize(dump) > SHOW_STREAM_BYTES:
        return _show_streamed(dump)
    from capslot.core.sources import load

    every = load(dump)
    paths = upstreams(dump, every, every)
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


def _show_args(p: argparse.ArgumentParser) -> None:
    add_dump(p, required=False)
    add_view(p, default=None)
    p.add_argument("--json", action="store_true", help="the JSON contract (schemas/show.v1.json)")
    p.add_argument("--map", choices=["text", "svg", "html"],
                   help="a picture to share: 72-column ASCII for mail, or a standalone SVG/HTML")
    p.add_argument("-o", "--output", metavar="FILE", help="write the map here: " + OUTPUT_HELP)
    p.add_argument("--host-layout", action="store_true",
                   help="for a dump read inside a guest: the chain the host most likely had")
    p.add_argument("--add", action="append", default=[], metavar="VCAP@OFFSET",
                   help="show a virtual capability at an offset, with its verdict: " + ADD_HELP)
    add_table(p)


# command: (how its arguments are added, what runs it), for capslot.cli
COMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]] = {
    "show": (_show_args, cmd_show),
}
