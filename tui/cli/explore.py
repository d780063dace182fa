"""`capslot tui` (and `capslot` alone, or `capslot DUMP`): the explorer. Every input problem is
reported before the screen opens."""

from __future__ import annotations

import os

from capslot.arguments import add_dump, add_table, add_view
from capslot.common import EXIT_OK, device_table, dump_arg, ranges_of, target_of

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any

DEFAULT_SAMPLE = "realtek_rtl8168_nic_b.txt"


def cmd_tui(args: argparse.Namespace) -> int:
    """The explorer. Every input problem is reported before the screen opens."""
    from capslot.tui import collector

    collector.hold()  # from here to the explorer's first frame (tui/collector.py)
    try:
        return _explore(args)
    finally:
        collector.release()  # whatever ended the explorer, or stopped it from starting


def _explore(args: argparse.Namespace) -> int:
    from capslot.core.sources import load, select
    from capslot.tui.session import Session

    live = not args.dump and not getattr(args, "device", None) and _live_host()
    if not args.dump and not getattr(args, "device", None):
        args.dump = os.path.join(_samples_dir(), DEFAULT_SAMPLE)
    dump = dump_arg(args)
    devices = load(dump)
    index = 0
    if args.slot:
        picked = select(devices, args.slot, dump)[0]
        index = devices.index(picked)
    target = target_of(args)
    session = Session(devices, index, view_name=target.view, target=target, table=device_table(args),
                      ranges=ranges_of(args), layout_only=args.layout_only)
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
    here = os.path.dirname(os.path.abspath(__file__))  # tui/cli/ in the repository
    return os.path.join(os.path.dirname(os.path.dirname(here)), "sample_dumps")


def _tui_args(p: argparse.ArgumentParser) -> None:
    add_dump(p, required=False)
    add_view(p, default="guest")
    p.add_argument("--plan", metavar="FILE", help="keep the placements in FILE (the place --json "
                   "shape), written atomically whenever they change; loaded if it exists")
    p.add_argument("--ranges", metavar="R", help="available ranges, e.g. 0xe00-0xeff")
    add_table(p)


# command: (how its arguments are added, what runs it), for capslot.cli
COMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]] = {
    "tui": (_tui_args, cmd_tui),
}
