"""The email-safe map: the 4 KiB as plain ASCII in at most 72 columns, one character per
DWORD (64 a row, 0x100 bytes), a letter per capability and a symbol per region kind, with
row labels and a legend. It depends on nothing but the layout, so two maps diff cleanly.
"""

from __future__ import annotations

from .layout import Kind, Layout
from .space import CONFIG_SIZE

WIDTH = 72
DWORDS_PER_ROW = 64
SYMBOLS: dict[Kind, tuple[str, str]] = {
    Kind.HEADER: ("=", "config header"),
    Kind.ZERO_GAP: (".", "zero gap"),
    Kind.DATA_GAP: (":", "non-zero gap (data no capability owns)"),
    Kind.UNKNOWN_TAIL: ("?", "unknown-size tail"),
    Kind.ORPHAN: ("%", "orphan (unlinked capability)"),
    Kind.MASKED: ("&", "masked capability (ID 0: live registers)"),
    Kind.HIDDEN: ("~", "hidden by the view (bytes still live)"),
    Kind.VIRTUAL: ("#", "virtual capability"),
    Kind.UNAVAILABLE: ("_", "not in the dump"),
}
# When a DWORD holds bytes of several regions, the first kind in this list shows.
PRIORITY = [Kind.VIRTUAL, Kind.CAPABILITY, Kind.MASKED, Kind.ORPHAN, Kind.HIDDEN, Kind.UNKNOWN_TAIL,
            Kind.HEADER, Kind.DATA_GAP, Kind.ZERO_GAP, Kind.UNAVAILABLE]
_RANK = {k: i for i, k in enumerate(PRIORITY)}
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def ascii_text(text: str) -> str:
    """Printable ASCII only: anything else as a backslash escape."""
    out = text.encode("ascii", "backslashreplace").decode("ascii")
    return "".join(ch if 32 <= ord(ch) < 127 else f"\\x{ord(ch):02x}" for ch in out)


def dword_owner(layout: Layout, pos: int) -> tuple[Kind, int | None]:
    """The region kind (and capability) a DWORD shows as: the most telling of its bytes."""
    idx = layout.region_index(pos)
    best = None
    regions = layout.regions
    while idx < len(regions) and regions[idx].start < pos + 4:
        r = regions[idx]
        if best is None or _RANK[r.kind] < _RANK[best.kind]:
            best = r
        idx += 1
    return best.kind, best.capability


def letters(layout: Layout) -> dict[int, str]:
    """A letter per (non-virtual) capability, in address order."""
    order = sorted((i for i in range(len(layout.capabilities)) if layout.visibility(i) != "virtual"),
                   key=lambda i: (layout.capabilities[i].offset, i))
    return {i: LETTERS[n % len(LETTERS)] for n, i in enumerate(order)}


def _fit(line: str) -> str:
    return line if len(line) <= WIDTH else line[:WIDTH - 3] + "..."


def text_map(layout: Layout, notes: list[str] | None = None) -> str:
    cs = layout.space
    p = cs.provenance
    marks = letters(layout)
    ids = f"{cs.vendor_id:04x}:{cs.device_id:04x}" if cs.vendor_id is not None else "????:????"
    out = [_fit(f"capslot map of {p.slot or 'a device'} [{ids}], view {layout.view}")]
    if p.device_line:
        out.append(_fit(ascii_text(p.device_line)))
    out.append(_fit(f"from {ascii_text(p.source.rsplit('/', 1)[-1])}, {cs.captured} of {CONFIG_SIZE} bytes"))
    out.append("one character per DWORD, 0x100 bytes a row")
    out.append("    " + "".join(f"+{c * 4:02x}".ljust(8) for c in range(0, DWORDS_PER_ROW, 8)).rstrip())
    for row in range(CONFIG_SIZE // (4 * DWORDS_PER_ROW)):
        base = row * 4 * DWORDS_PER_ROW
        chars = []
        for d in range(DWORDS_PER_ROW):
            kind, cap = dword_owner(layout, base + 4 * d)
            if kind is Kind.CAPABILITY and cap is not None and cap in marks:
                chars.append(marks[cap])
            else:
                chars.append(SYMBOLS[kind][0])
        out.append(f"{base:03x} " + "".join(chars))
    out.append("")
    out.append("   offset   size certainty / capability")
    for i in sorted(range(len(layout.capabilities)), key=lambda i: (layout.capabilities[i].offset, i)):
        c = layout.capabilities[i]
        vis = layout.visibility(i)
        mark = marks.get(i, SYMBOLS[Kind.VIRTUAL][0])
        extra = "" if vis == "visible" else f" ({vis})"
        out.append(_fit(f" {mark} {c.offset:#05x} {c.size:#6x} {c.certainty.value:7s} {c.name}{extra}"))
    for o in layout.orphans:
        out.append(_fit(f" {SYMBOLS[Kind.ORPHAN][0]} {o.offset:#05x} {o.size:#6x} {o.certainty.value:7s} "
                        f"{o.name} (orphan)"))
    used = {r.kind for r in layout.regions}
    keys = [f"{sym} {what}" for kind, (sym, what) in SYMBOLS.items() if kind in used]
    line = ""
    for key in keys:
        piece = ("  " if line else " ") + key
        if len(line) + len(piece) > WIDTH:
            out.append(line)
            line = " " + key
        else:
            line += piece
    if line:
        out.append(line)
    for note in notes or ():
        out.append(_fit(ascii_text(note)))
    return "\n".join(out) + "\n"
