"""Generated parts of the README and docs/: `python -m capslot.tui.docs` (`make docs`) rewrites them in
place (between their `<!-- name -->` / `<!-- /name -->` markers, in whichever of the files holds
them; `python -m tui.docs FILE...` only those files); a test checks they are current."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def pasid_table() -> str:
    """Where QEMU's default PASID offset 0xFF8 stands on every full 4 KiB sample dump, and
    where `capslot place --add pasid` puts it (guest view, upstream kernel, shipped table)."""
    from capslot.core.placement import DeviceTable, parse_vcap
    from capslot.core.plan import Plan, standing
    from capslot.core.sources import load
    from capslot.core.target import TargetSpec

    table = DeviceTable.load(use_overlay=False)
    rows = ["| device | will a QEMU guest get a working PASID? (the deciding gate) | 0xFF8 (QEMU's "
            "default) | capslot places PASID at | chosen by |",
            "|---|---|---|---|---|"]
    for path in sorted((ROOT / "sample_dumps").glob("*.txt")):
        if path.name.endswith(".lspci.txt"):
            continue
        (cs,) = load(str(path))
        if cs.captured < 4096:
            continue
        plan = Plan(cs, TargetSpec(arch="x86_64"), requests=(parse_vcap("pasid"),), table=table)
        (p,) = plan.placements
        answer = plan.feasibility(p)
        gate = answer.deciding
        works = f"**{answer.state}**" + (f" ({gate.gate})" if gate is not None else "")
        where = f"`{p.offset:#05x}` ({p.verdict})" if p.offset is not None else "no safe slot"
        how = (p.chosen_by if p.rule == p.chosen_by else f"{p.chosen_by} ({p.rule})") \
            if p.offset is not None else \
            f"least bad {p.least_bad[0]:#05x}" if p.least_bad else "-"
        rows.append(f"| {path.stem} | {works} | {standing(plan)} | {where} | {how} |")
    return "\n".join(rows)


def gates() -> str:
    """The gates of "will it work?", from core.feasibility's table."""
    from capslot.core.feasibility import gates_text

    return "\n".join(f"{n}. {line}" for n, line in enumerate(gates_text(), 1))


GALLERY_DUMP = "sample_dumps/samsung_pm1743_nvme_a826.txt"
GALLERY_SVG = ROOT / "snapshots" / "gallery" / "samsung_pm1743_nvme_a826.svg"
HOWTO_DUMP = "sample_dumps/realtek_rtl8168_nic_b.txt"


def _layout(dump: str):
    import os

    from capslot.core.layout import build
    from capslot.core.sources import load

    cwd = os.getcwd()
    os.chdir(ROOT)  # sources are named relative to the project, on every machine
    try:
        return build(load(dump)[0])
    finally:
        os.chdir(cwd)


def _text_map(dump: str) -> str:
    from capslot.core.textmap import text_map

    return "```\n" + text_map(_layout(dump)).rstrip("\n") + "\n```"


def gallery_svg() -> str:
    """The gallery picture: `capslot show DUMP --map svg`."""
    from capslot.tui.render import export_map

    return export_map([(_layout(GALLERY_DUMP), [])], "svg")


def vmm_table() -> str:
    """What each VMM hides and where each puts a synthesized PASID (core.views.vmms.VMMS)."""
    from capslot.core.registry import Space, lookup
    from capslot.core.views.vmms import VMMS

    how = {"rebuild": "unlinks them: the chain is rebuilt from the kept capabilities",
           "id-null": "keeps the chain; the ID bits 15:0 read 0 (version, next kept)",
           "relink-zero": "relinks the kept ones in address order; a removed extent reads 0, "
                          "a removed head reads ID 0x000c",
           "unlink": "the previous next pointer skips it; its header stays raw (a removed head "
                     "at 0x100 reads ID 0, next -> the first kept one)"}
    rows = ["| `--vmm` | removes | how the guest sees one | its body | refuses the device | "
            "synthesized PASID | source |",
            "|---|---|---|---|---|---|---|"]
    for v in VMMS.values():
        removed = ", ".join(lookup(Space.EXTENDED, i).short if i else "ID 0" for i in sorted(v.removes))
        if v.name == "qemu":
            removed += "; ATS with ats=off; ReBAR when a size is > 27"
        needs = {0x01: "PM", 0x10: "PCI Express"}
        if v.needs:
            removed += " (only with " + " and ".join(needs[n] for n in v.needs) + ")"
        body = "reads 0" if v.zero_body else "raw (live)"
        pasid = v.creates.get("pasid")
        where = pasid.how if pasid else "none"
        src = v.source + ("" if v.verified else " — not verified against source")
        refuses = [text for flag, text in (
            (v.endpoint_only, "a header type other than 0"),
            (v.refuses_io_bar, "an I/O BAR"),
            (0x11 in v.requires, "no MSI-X"),
            (bool(v.small_region_refused), "a 256-byte config region"),
            (v.std_walk != "bounded", "hangs on a looping standard chain"),
            (v.walk_bound is None, "hangs on a looping extended chain"),
        ) if flag]
        rows.append(f"| `{v.name}` | {removed} | {how[v.style]} | {body} | "
                    f"{'; '.join(refuses) or '-'} | {where} | {src} |")
    return "\n".join(rows)


def documents() -> list[Path]:
    """The files that may hold generated parts: the README and docs/*.md (not the copied
    references under docs/reference/ and docs/spec/)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


SECTIONS = {"pasid-table": pasid_table, "vmm-table": vmm_table, "gates": gates,
            "gallery-text": lambda: _text_map(GALLERY_DUMP),
            "howto-map": lambda: _text_map(HOWTO_DUMP)}


def rewrite(text: str) -> str:
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name} -->\n).*?(<!-- /{name} -->)", re.S)
        body = make()
        text = pattern.sub(lambda m, body=body: m.group(1) + body + "\n" + m.group(2), text)
    return text


if __name__ == "__main__":
    for target in [Path(a) for a in sys.argv[1:]] or documents():
        text = target.read_text()
        new = rewrite(text)
        if new != text:
            target.write_text(new)
    GALLERY_SVG.parent.mkdir(parents=True, exist_ok=True)
    GALLERY_SVG.write_text(gallery_svg())
