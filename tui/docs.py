"""Generated parts of the README: `python -m tui.docs README.md` rewrites them in place
(between their `<!-- name -->` / `<!-- /name -->` markers); a test checks they are current."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pasid_table() -> str:
    """Where QEMU's default PASID offset 0xFF8 stands on every full 4 KiB sample dump, and
    where `capslot place --add pasid` puts it (guest view, upstream kernel, shipped table)."""
    from core.placement import DeviceTable, default_standing, parse_vcap, place, target_for
    from core.sources import load

    table = DeviceTable.load(use_overlay=False)
    rows = ["| device | 0xFF8 (QEMU's default) | capslot places PASID at | chosen by |",
            "|---|---|---|---|"]
    for path in sorted((ROOT / "sample_dumps").glob("*.txt")):
        if path.name.endswith(".lspci.txt"):
            continue
        (cs,) = load(str(path))
        if cs.captured < 4096:
            continue
        target = target_for(cs, table=table)
        (p,) = place(target, [parse_vcap("pasid")])
        where = f"`{p.offset:#05x}` ({p.verdict})" if p.offset is not None else "no safe slot"
        how = (p.chosen_by if p.rule == p.chosen_by else f"{p.chosen_by} ({p.rule})") \
            if p.offset is not None else \
            f"least bad {p.least_bad[0]:#05x}" if p.least_bad else "-"
        rows.append(f"| {path.stem} | {default_standing(target)} | {where} | {how} |")
    return "\n".join(rows)


SECTIONS = {"pasid-table": pasid_table}


def rewrite(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "README.md")
    target.write_text(rewrite(target.read_text()))
