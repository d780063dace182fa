"""`capslot caps`: the capability knowledge table, and the virtual capability templates."""

from __future__ import annotations

from capslot.common import EXIT_OK, emit_json, new_console
from capslot.core.space import DumpError

TYPE_CHECKING = False  # no `typing` at start-up: it is for the type checker
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from typing import Any


def cmd_caps(args: argparse.Namespace) -> int:
    from capslot.core import registry

    if args.virtual:
        from capslot.core.placement import TEMPLATES

        if args.json:
            emit_json({"virtual": [{"name": t.name, "space": t.space.value, "id": t.cap_id,
                                     "size": t.size, "min_size": t.min_size, "max_size": t.max_size,
                                     "default_offsets": list(t.default_offsets), "doc": t.doc,
                                     "qemu_property": t.qemu_property} for t in TEMPLATES.values()]})
            return EXIT_OK
        from capslot.tui import render

        new_console().print(render.templates(list(TEMPLATES.values())))
        return EXIT_OK

    if args.id is None:
        specs = registry.entries()
        if args.json:
            emit_json({"capabilities": [_spec_json(s) for s in specs]})
            return EXIT_OK
        from capslot.tui import render

        new_console().print(render.caps_table(specs))
        return EXIT_OK
    specs = registry.find(args.id)
    if not specs:
        raise DumpError("caps", f"no capability matches {args.id!r} (try an ID like 0x10 or "
                                "ext:0x1b, or a name like aer)")
    if args.json:
        emit_json({"capabilities": [_spec_json(s, registers=True) for s in specs]})
        return EXIT_OK
    from capslot.tui import render

    console = new_console()
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


def _caps_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", nargs="?", metavar="ID", help="an ID (0x10, ext:0x1b) or a name (aer)")
    p.add_argument("--virtual", action="store_true", help="the virtual capability templates")
    p.add_argument("--json", action="store_true")


# command: (how its arguments are added, what runs it), for capslot.cli
COMMANDS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace], int]]] = {
    "caps": (_caps_args, cmd_caps),
}
