"""`capslot diff`: two dumps of one device, B against A seen through each view."""

from __future__ import annotations

from capslot.arguments import ADD_HELP, add_table, add_view
from capslot.common import (
    EXIT_OK, device_table, emit_json, load_one, new_console, requests_of, target_of,
)
from capslot.tui.parsing import UsageError

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any


def cmd_diff(args: argparse.Namespace) -> int:
    from capslot.core.plan import compare

    a = load_one(args.a, args.slot)
    b = load_one(args.b, args.slot_b or args.slot)
    requests = requests_of(args)
    missing = [r.text for r in requests if r.offset is None]
    if missing:
        raise UsageError(f"diff --add needs offsets (like pasid@0xff8): {', '.join(missing)}")
    result = compare(a, b, target_of(args, "guest"), requests, device_table(args) if requests else None)
    if args.json:
        emit_json(_diff_json(result))
        return EXIT_OK
    from capslot.tui import render

    new_console().print(render.diff(result, args.a, args.b))
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


def _diff_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("a", metavar="A", help="the reference dump (e.g. the host's sysfs config)")
    p.add_argument("b", metavar="B", help="the other dump (e.g. what the guest reads)")
    p.add_argument("--slot", metavar="BDF", help="device of A (and of B without --slot-b)")
    p.add_argument("--slot-b", metavar="BDF", help="device of B when it differs")
    p.add_argument("--add", action="append", default=[], metavar="VCAP@OFFSET",
                   help="virtual capabilities the VMM added to B (A's guest view gets them): "
                        + ADD_HELP)
    add_table(p)
    add_view(p, default=None)
    p.add_argument("--json", action="store_true")


# command: (how its arguments are added, what runs it), for capslot.cli
COMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]] = {
    "diff": (_diff_args, cmd_diff),
}
