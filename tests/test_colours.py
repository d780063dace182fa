"""Colours and symbols that carry meaning (tui/colours.py, core/textmap.py VOCABULARY).

Hue families are computed here from the colours themselves (HLS hue in 30-degree bins, grey
below a chroma floor); colour-vision deficiencies are simulated with the matrices of Machado,
Oliveira and Fernandes, "A Physiologically-based Model for Simulation of Color Vision
Deficiency" (IEEE TVCG 2009), severity 1.0, applied to linear sRGB; distances are CIE76 in
CIELAB (D65). None of this comes from the code under test."""

from __future__ import annotations

import colorsys
import itertools
import math
import re

import pytest
from rich.style import Style

from capslot.core.layout import Kind, build
from capslot.core.sources import load
from capslot.core.textmap import ACCESS_SYMBOLS, LETTERS, VOCABULARY, text_map
from capslot.core.views import view
from tests.conftest import sample_dumps
from capslot.tui import colours
from capslot.tui.render import ACCESS_STYLE, CERTAINTY_STYLE, VISIBILITY_STYLE, byte_map, legend
from capslot.tui.widgets.hexmap import byte_styles
from capslot.tui.widgets.legend import legend_text

MACHADO = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}
FAMILIES = ("red", "orange", "yellow", "chartreuse", "green", "spring", "cyan", "azure", "blue",
            "violet", "magenta", "rose")


def rgb(colour: str) -> tuple[int, int, int]:
    triplet = Style.parse(f"on {colour}").bgcolor.get_truecolor()
    return triplet.red, triplet.green, triplet.blue


def family(colour: str) -> str:
    r, g, b = (c / 255 for c in rgb(colour))
    hue, _, _ = colorsys.rgb_to_hls(r, g, b)
    if max(r, g, b) - min(r, g, b) < 0.12:
        return "grey"
    return FAMILIES[int((hue * 360 + 15) % 360 // 30)]


def lab(colour: str, vision: str) -> tuple[float, float, float]:
    def linear(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    lin = [linear(c) for c in rgb(colour)]
    r, g, b = (min(1.0, max(0.0, sum(m * x for m, x in zip(row, lin, strict=False)))) for row in MACHADO[vision])
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in (x, y, z)]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def distance(a: str, b: str) -> float:
    """The smallest CIE76 distance of two colours across normal and simulated vision."""
    return min(math.dist(lab(a, v), lab(b, v)) for v in MACHADO)


def colours_of(style: str) -> list[str]:
    s = Style.parse(style)
    return [f"#{c.get_truecolor().hex[1:]}" for c in (s.color, s.bgcolor) if c is not None]


# ---------------------------------------------------------------- the palette

def test_the_palette_has_one_colour_per_hue_family_none_red_or_grey():
    families = [family(c) for c in colours.PALETTE]
    assert len(set(families)) == len(families) >= 6, families
    assert "red" not in families and "grey" not in families


def test_palette_colours_stay_apart_for_common_colour_vision_deficiencies():
    for a, b in itertools.combinations(colours.PALETTE, 2):
        assert distance(a, b) >= 12, (a, b, distance(a, b))
    for c in colours.PALETTE:
        assert distance(c, colours.VERDICT_COLOUR["collision"]) >= 12, c
    for a, b in itertools.combinations(colours.VERDICT_COLOUR.values(), 2):
        assert distance(a, b) >= 25, (a, b)  # ok, warning and collision never blur


def test_capabilities_side_by_side_never_share_a_hue_family():
    checked = 0
    for path in sample_dumps():
        for cs in load(str(path)):
            hardware = build(cs)
            for layout in (hardware, view(hardware, "guest")):
                chosen = colours.cap_colours(layout)
                order = sorted(chosen, key=lambda i: (layout.capabilities[i].offset, i))
                for a, b in zip(order, order[1:], strict=False):
                    assert family(chosen[a]) != family(chosen[b]), (path.name, a, b)
                    checked += 1
    assert checked > 500


# ---------------------------------------------------------------- red is a verdict

def test_red_means_a_verdict_and_nothing_else():
    styles = [*colours.REGION_STYLE.values(), *(colours.cap_style(c) for c in colours.PALETTE),
              *VISIBILITY_STYLE.values(), *CERTAINTY_STYLE.values(), *ACCESS_STYLE.values()]
    for style in styles:
        for c in colours_of(style):
            assert family(c) != "red" or max(rgb(c)) - min(rgb(c)) < 60, (style, c)
    assert family(colours.VERDICT_COLOUR["collision"]) == "red"
    for path in sample_dumps()[::4]:
        for cs in load(str(path)):
            for style in set(byte_styles(view(build(cs), "guest"))):
                if style.bgcolor is not None:
                    assert family(f"#{style.bgcolor.get_truecolor().hex[1:]}") != "red", (path.name, style)


# ---------------------------------------------------------------- one vocabulary

def test_no_character_has_two_meanings():
    symbols = [m.symbol for m in VOCABULARY.values()]
    access = [s for s, _ in ACCESS_SYMBOLS.values()]
    for s in symbols + access:
        assert len(s) == 1 and s.isascii() and s.isprintable() and not s.isalnum() and s != " ", s
    assert len(set(symbols)) == len(symbols) and len(set(access)) == len(access)
    assert not set(symbols) & set(access) and not set(symbols + access) & set(LETTERS)
    assert set(VOCABULARY) | {Kind.CAPABILITY} == set(Kind), "a region kind without a symbol"
    assert set(colours.REGION_STYLE) | {Kind.CAPABILITY} == set(Kind), "a region kind without a style"


@pytest.mark.parametrize("name", ["samsung_pm1743_nvme_a826", "amd_fiji_gpu_7300_rebar", "intel_0d93_cxl_dvsec"])
def test_every_map_draws_the_same_characters(name):
    """`--map text`, the Rich map of `show` (and so the SVG and HTML pictures, which print it),
    and both legends: one character per DWORD, the same everywhere, with the same words."""
    (cs,) = load(f"sample_dumps/{name}.txt")
    for layout in (build(cs), view(build(cs), "vfio")):
        text_rows = [line for line in text_map(layout).splitlines() if re.match(r"^[0-9a-f]00 ", line)]
        rich_rows = byte_map(layout).plain.splitlines()
        assert rich_rows == text_rows
        used = {r.kind for r in layout.regions} - {Kind.CAPABILITY, Kind.VIRTUAL}
        rich_legend = "\n".join(str(cell) for cell in _cells(legend(layout)))
        explorer_legend = legend_text().plain
        for kind in used:
            mark = VOCABULARY[kind]
            assert f" {mark.symbol}  {mark.meaning}" in rich_legend, kind
            assert f" {mark.symbol}  {mark.meaning}" in explorer_legend, kind
            assert f"{mark.symbol} {mark.meaning}" in text_map(layout), kind


def _cells(table):
    for column in table.columns:
        yield from (c.plain if hasattr(c, "plain") else c for c in column._cells)


# ---------------------------------------------------------------- light and dark themes

def styled_cells(app, region) -> list[list[tuple[str, str | None, str | None]]]:
    """The screen inside `region`, cell by cell: the character, its colour (where one shows)
    and its background, as a terminal would draw them."""
    import io

    from rich.console import Console
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, force_terminal=True,
                      color_system="truecolor", legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    from rich.segment import ControlType

    rows: list[list[tuple[str, str | None, str | None]]] = [[] for _ in range(height)]
    y = 0
    for segment in console._record_buffer:
        if segment.control:
            for code, *args in segment.control:
                if code is ControlType.CURSOR_MOVE_TO:
                    y = args[1]
            continue
        style = segment.style or Style()
        fg = style.color.get_truecolor().hex if style.color else None
        bg = style.bgcolor.get_truecolor().hex if style.bgcolor else None
        for ch in segment.text:
            if ch == "\n":
                y += 1
            else:
                rows[y].append((ch, fg if ch.strip() else None, bg))
    return [row[region.x:region.right] for row in rows[region.y:region.bottom]]


async def test_the_map_and_legend_read_the_same_in_light_and_dark_themes():
    from tests.tui_apps import make_app
    from capslot.tui.widgets.hexmap import HexMap

    app = make_app("sample_dumps/amd_fiji_gpu_7300_rebar.txt", view="vfio")  # hidden ranges too
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        await pilot.press("g", *"2d0", "enter")
        regions = [app.query_one(HexMap).scrollable_content_region, app.query_one("#legend").content_region]
        seen = {}
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            seen[theme] = [styled_cells(app, r) for r in regions]
        assert seen["textual-dark"] == seen["textual-light"]
        assert any(cell[2] for row in seen["textual-dark"][0] for cell in row)  # it did draw colours
