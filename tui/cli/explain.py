"""`capslot explain`: what owns one byte in each view, and what vfio-pci and the VMM do with it."""

from __future__ import annotations

from capslot.arguments import ADD_HELP, NUMBERS, add_dump, add_table, add_view
from capslot.common import EXIT_OK, emit_json, new_console, placement_plan, vars_of
from capslot.core.space import DumpError

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any


def cmd_explain(args: argparse.Namespace) -> int:
    from capslot.core.explain import explain
    from capslot.core.numbers import parse_offset
    from capslot.core.plan import verdict_lines
    from capslot.core.views import VIEWS

    try:
        offset = parse_offset(args.offset)
    except ValueError as exc:
        raise DumpError(f"OFFSET {args.offset}", str(exc)) from None
    plan = placement_plan(args, auto=False)
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
        emit_json(obj)
        return EXIT_OK
    from rich.text import Text

    from capslot.tui import render

    console = new_console()
    for line in lines:
        console.print(Text(line))
    console.print(render.explanation(offset, answers))
    return EXIT_OK


def _explain_args(p: argparse.ArgumentParser) -> None:
    add_dump(p, required=False)
    p.add_argument("offset", metavar="OFFSET", help="0x000-0xfff: " + NUMBERS)
    add_view(p, default=None)
    p.add_argument("--add", action="append", default=[], metavar="VCAP@OFFSET",
                   help="explain a byte of a virtual capability placed here: " + ADD_HELP)
    add_table(p)
    p.add_argument("--json", action="store_true")


# command: (how its arguments are added, what runs it), for capslot.cli
COMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]] = {
    "explain": (_explain_args, cmd_explain),
}
