"""`capslot check`, `place` and `export`: virtual capabilities judged at given offsets, placed
automatically, and exported when the policy accepts them (core.plan)."""

from __future__ import annotations

import sys

from capslot.arguments import ADD_HELP, EXPORT_FORMATS, OUTPUT_HELP, add_dump, add_table, add_view
from capslot.common import (
    EXIT_COLLISION, emit_json, fail, new_console, placement_plan, rendered, write_out,
)
from capslot.tui.parsing import UsageError

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any


def _report(args: argparse.Namespace, plan) -> int:
    """check and place: the verdicts (JSON or Rich), exit 1 when the policy refuses one;
    with -o, what would be printed goes there."""
    if args.json and args.output:
        from capslot.core.jsontext import dumps

        write_out(args, (dumps(plan.to_json(args.strict)) + "\n").encode())
    elif args.json:
        emit_json(plan.to_json(args.strict))
    else:
        from capslot.tui import render

        table = render.placements(plan, args.strict)
        if args.output:
            write_out(args, rendered(table).encode("utf-8"))
        else:
            new_console().print(table)
    for line in plan.refusals(args.strict):
        fail(f"{args.dump or args.device}: {line}")
    return plan.exit_code(args.strict)


def cmd_check(args: argparse.Namespace) -> int:
    return _report(args, placement_plan(args, auto=False))


def cmd_place(args: argparse.Namespace) -> int:
    return _report(args, placement_plan(args, auto=True))


def cmd_export(args: argparse.Namespace) -> int:
    from capslot.core.plan import Refused

    plan = placement_plan(args, auto=True)
    try:
        data = plan.export(args.format, args.strict, args.bdf, args.alias)
    except Refused as refused:
        for line in refused.lines:
            fail(f"{args.dump or args.device}: {line}; nothing exported (see capslot place "
                  "for the reasons)")
        return EXIT_COLLISION
    if args.format == "binary" and args.output in (None, "-") and sys.stdout.isatty():
        raise UsageError("binary output to a terminal: use -o FILE or a pipe")
    code = write_out(args, data)
    # exported: what else to know, on stderr (after the write, so a failed write is one line)
    for line in plan.warnings():  # accepted with warnings: said, and exported
        fail(f"warning: {line}")
    if args.format in ("qemu", "libvirt", "qemu-cmdline"):
        skipped = [p.vcap.name for p in plan.placements if plan.realize(p) is None]
        if skipped:
            fail(f"note: {', '.join(skipped)}: not in the {args.format} output ({NO_VMM_NOTE})")
    return code
NO_VMM_NOTE = "no VMM property: for a custom VMM; use --format lspci, binary or json"


def _placement_args(p: argparse.ArgumentParser, name: str) -> None:
    add_dump(p, required=False)
    p.add_argument("--add", action="append", required=True, metavar="VCAP", help=ADD_HELP)
    p.add_argument("--ranges", metavar="R", help="available ranges, START-END with END "
                   "inclusive, e.g. 0xe00-0xeff,0xf80-0xfff")
    p.add_argument("--strict", action="store_true", help="refuse warnings too (exit 1)")
    add_table(p)
    add_view(p, default="guest")
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


# command: (how its arguments are added, what runs it), for capslot.cli
COMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]] = {
    "check": (lambda p: _placement_args(p, "check"), cmd_check),
    "place": (lambda p: _placement_args(p, "place"), cmd_place),
    "export": (lambda p: _placement_args(p, "export"), cmd_export),
}
