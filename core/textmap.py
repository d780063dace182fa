"""The email-safe map: the 4 KiB as plain ASCII in at most 72 columns, one character per
DWORD (64 a row, 0x100 bytes), a letter per capability and a symbol per region kind, with
row labels and a legend. It depends on nothing but the layout, so two maps diff cleanly.

VOCABULARY is the one table of those symbols: every map (this one, the Rich map of `show`,
the SVG and HTML pictures, the explorer's legend) reads it, so no character means two things.
"""

from __future__ import annotations

from .layout import Kind, Layout
from .record import NamedTuple
from .space import CONFIG_SIZE
from .views import Access

WIDTH = 72
DWORDS_PER_ROW = 64


class Mark(NamedTuple):
    """How every map shows one region kind: the text map, the Rich map of `show`, the SVG and
    HTML pictures and the explorer's legend all read this one table (colours: tui/colours.py)."""

    symbol: str  # one ASCII character; never a letter or digit, which name capabilities
    meaning: str  # the legend's words
    rank: int  # when a DWORD holds bytes of several kinds, the lowest rank shows
    structure: str = ""  # a structure the explorer lists and decodes: how it is marked


# Capabilities are letters (LETTERS, one per capability); every other kind is a symbol.
# A new region kind is one line here and one in tui/colours.py REGION_STYLE.
VOCABULARY: dict[Kind, Mark] = {
    Kind.HEADER: Mark("=", "config header", 6),
    Kind.ZERO_GAP: Mark(".", "zero gap", 8),
    Kind.DATA_GAP: Mark(":", "non-zero gap (data no capability owns)", 7),
    Kind.UNKNOWN_TAIL: Mark("?", "unknown-size tail", 5),
    Kind.MASKED: Mark("&", "masked capability (ID 0: live registers)", 2, "masked"),
    Kind.ORPHAN: Mark("%", "orphan (unlinked capability)", 3, "orphan"),
    Kind.HIDDEN: Mark("~", "hidden by the view (bytes still live)", 4, "hidden"),
    Kind.VIRTUAL: Mark("#", "virtual capability", 0, "virtual"),
    Kind.UNAVAILABLE: Mark("_", "not in the dump", 9),
}
CAPABILITY_RANK = 1
# The access map of `show` (one character per DWORD: its most device-reaching byte).
ACCESS_SYMBOLS: dict[Access, tuple[str, str]] = {
    Access.VIRTUALIZED: ("+", "virtualized by vfio-pci"),
    Access.READ_ONLY: ("-", "read-only (writes dropped)"),
    Access.WRITABLE: ("*", "writable: writes reach the device"),
    Access.RAW: ("!", "raw: reads and writes reach the device"),
}
SYMBOLS: dict[Kind, tuple[str, str]] = {k: (m.symbol, m.meaning) for k, m in VOCABULARY.items()}
_RANK = {Kind.CAPABILITY: CAPABILITY_RANK, **{k: m.rank for k, m in VOCABULARY.items()}}
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


def dword_mark(layout: Layout, pos: int, marks: dict[int, str]) -> tuple[str, Kind, int | None]:
    """The character every map shows for the DWORD at `pos` (its capability's letter, or its
    kind's symbol), with the kind and capability it stands for. `marks` is letters(layout)."""
    kind, cap = dword_owner(layout, pos)
    if kind is Kind.CAPABILITY and cap is not None and cap in marks:
        return marks[cap], kind, cap
    return VOCABULARY[kind].symbol, kind, cap


def dword_runs(layout: Layout, marks: dict[int, str]) -> list[tuple[int, int, tuple[str, Kind, int | None]]]:
    """dword_mark of every DWORD of the 4 KiB as runs (first DWORD, end DWORD, mark), in
    address order. A map asks for all 1,024 (a binary search each was half of building
    `show`'s pieces): the DWORDs wholly inside one region are that region's, a run per region;
    only a DWORD that a region's start cuts is looked up (dword_mark), a run of its own."""
    regions = layout.regions
    runs: list[tuple[int, int, tuple[str, Kind, int | None]]] = []
    for i, r in enumerate(regions):
        start = r.start
        if start & 3 and (not runs or runs[-1][1] <= start >> 2):  # a DWORD cut, not yet looked up
            runs.append((start >> 2, (start >> 2) + 1, dword_mark(layout, start & ~3, marks)))
        end = regions[i + 1].start if i + 1 < len(regions) else CONFIG_SIZE
        first, last = (start + 3) >> 2, min(end, CONFIG_SIZE) >> 2  # the DWORDs wholly inside
        if first < last:
            kind, cap = r.kind, r.capability
            if kind is Kind.CAPABILITY and cap is not None and cap in marks:
                runs.append((first, last, (marks[cap], kind, cap)))
            else:
                runs.append((first, last, (VOCABULARY[kind].symbol, kind, cap)))
    return runs


def dword_marks(layout: Layout, marks: dict[int, str]) -> list[tuple[str, Kind, int | None]]:
    """dword_mark of every DWORD of the 4 KiB, in address order (from dword_runs)."""
    out: list[tuple[str, Kind, int | None]] = []
    for first, last, mark in dword_runs(layout, marks):
        out += [mark] * (last - first)
    return out


def letters(layout: Layout) -> dict[int, str]:
    """A letter per (non-virtual) capability, in address order."""
    order = sorted((i for i in range(len(layout.capabilities)) if layout.visibility(i) != "virtual"),
                   key=lambda i: (layout.capabilities[i].offset, i))
    return {i: LETTERS[n % len(LETTERS)] for n, i in enumerate(order)}


def _fit(line: str) -> str:
    return line if len(line) <= WIDTH else line[:WIDTH - 3] + "..."


def heading(notes: list[str] | None) -> tuple[list[str], list[str]]:
    """Verdict notes split into what goes in the first lines (the target they are about) and
    what goes under the map (the verdicts)."""
    notes = list(notes or ())
    head = notes[:1] if notes and notes[0].startswith("target: ") else []
    return head, notes[len(head):]


def text_map(layout: Layout, notes: list[str] | None = None) -> str:
    first, notes = heading(notes)
    cs = layout.space
    p = cs.provenance
    marks = letters(layout)
    ids = f"{cs.vendor_id:04x}:{cs.device_id:04x}" if cs.vendor_id is not None else "????:????"
    out = [_fit(f"capslot map of {p.slot or 'a device'} [{ids}], view {layout.view}")]
    if p.device_line:
        out.append(_fit(ascii_text(p.device_line)))
    out.append(_fit(f"from {ascii_text(p.source.rsplit('/', 1)[-1])}, {cs.captured} of {CONFIG_SIZE} bytes"))
    out += [_fit(ascii_text(line)) for line in first]
    out.append("one character per DWORD, 0x100 bytes a row")
    out.append("    " + "".join(f"+{c * 4:02x}".ljust(8) for c in range(0, DWORDS_PER_ROW, 8)).rstrip())
    every = dword_marks(layout, marks)
    for row in range(CONFIG_SIZE // (4 * DWORDS_PER_ROW)):
        base = row * 4 * DWORDS_PER_ROW
        chars = [m[0] for m in every[row * DWORDS_PER_ROW:(row + 1) * DWORDS_PER_ROW]]
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
