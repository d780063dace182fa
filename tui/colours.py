"""One set of styles for every front end (the Rich maps of `show`, the SVG and HTML pictures,
the explorer): a colour per capability, a style per region kind, the verdict colours. The
symbols and words that go with them are core/textmap.py VOCABULARY.

Rules the styles keep (tests/test_colours.py checks them):
- Red, and the hatched look of a colliding ghost, mean a verdict and nothing else.
- Capabilities are light backgrounds under black text; every other region kind is a dark
  background or a coloured foreground. The maps draw on a fixed dark canvas, so they read the
  same in the light and the dark themes.
- The capability palette has one colour per hue family, none of them red or grey, chosen to stay apart
  under normal vision and simulated protanopia, deuteranopia and tritanopia; two capabilities
  next to each other in address order never get the same colour (so never the same family).
"""

from __future__ import annotations

from capslot.core.layout import Kind, Layout
from capslot.core.registry import Space
from capslot.core.verdicts import Verdict

# Hue families: azure, orange, chartreuse, violet, yellow, rose. Searched among light
# qualitative colours (Paul Tol's, Okabe and Ito's and others) for the largest smallest
# CIELAB distance under normal vision and Machado et al. (2009) protanopia, deuteranopia and
# tritanopia; away from the verdict colours and from grey (the config header).
PALETTE = ("#a6d8ff", "#ee8866", "#b8e986", "#b39ddb", "#f0e442", "#f7b6d2")
CANVAS = "#1c1c1c"  # the maps' background, in every theme

# Region kinds other than capabilities (a new kind: one line here, one in VOCABULARY).
REGION_STYLE: dict[Kind, str] = {
    Kind.HEADER: "bold #eeeeee on #585858",
    Kind.ZERO_GAP: "#6c6c6c",
    Kind.DATA_GAP: "bold #ffd75f",
    Kind.UNKNOWN_TAIL: "italic #ffd7af on #5f3f00",
    Kind.ORPHAN: "#ffffff on #5f3f87",
    Kind.MASKED: "bold #ffffff on #5f5f00",
    Kind.HIDDEN: "#d0d0d0 on #1f4f4f",
    Kind.VIRTUAL: "bold #ffffff on #0072b2",
    Kind.UNAVAILABLE: "#585858 on #262626",
}
CAP_TEXT = "#000000"  # on a capability's colour (hex: named colours follow the theme)

# The one verdict table: a badge (the ghost, the verdict panel) or words in text (show, check,
# place, the upstream path); a path's ok/warning/unknown/blocked reads as ok/warning/collision.
VERDICT_COLOUR = {Verdict.OK: "#009e73", Verdict.WARNING: "#e69f00", Verdict.COLLISION: "#cc0000"}
VERDICT_STYLE = {Verdict.OK: "bold #ffffff on #009e73", Verdict.WARNING: "bold #000000 on #e69f00",
                 Verdict.COLLISION: "bold #ffffff on #cc0000"}
VERDICT_TEXT = {v: f"bold {c}" for v, c in VERDICT_COLOUR.items()}
VERDICT_TEXT.update(unknown=VERDICT_TEXT[Verdict.WARNING], blocked=VERDICT_TEXT[Verdict.COLLISION])
# the answer to "will it work?" (core.feasibility) and each gate's state, in the same colours
ANSWER_AS = {"works": Verdict.OK, "not-synthesized": Verdict.COLLISION, "blocked": Verdict.COLLISION,
             "unknown": Verdict.WARNING, "pass": Verdict.OK, "fail": Verdict.COLLISION}
VERDICT_TEXT.update({k: VERDICT_TEXT[v] for k, v in ANSWER_AS.items()})
VERDICT_STYLE.update({k: VERDICT_STYLE[v] for k, v in ANSWER_AS.items()})
SEVERITY_STYLE = {Verdict.COLLISION: VERDICT_TEXT[Verdict.COLLISION],
                  Verdict.WARNING: VERDICT_TEXT[Verdict.WARNING], Verdict.INFO: "#5fafd7"}
# The ghost of a capability being placed: its verdict's colour, drawn as one bar (the gaps
# between its bytes filled) between brackets, so it differs from what it covers in shape as
# well as colour; a collision is also hatched.
GHOST_FILL = {Verdict.OK: " ", Verdict.WARNING: " ", Verdict.COLLISION: "/"}


def cap_colour(space: Space, cap_id: int) -> str:
    """A capability's own colour, where it has no neighbours (the `caps` tables)."""
    return PALETTE[(cap_id * 5 + (1 if space is Space.EXTENDED else 0)) % len(PALETTE)]


def cap_colours(layout: Layout) -> dict[int, str]:
    """The colour of every capability of a layout (by index; virtual ones have their region
    style): its own colour, unless the capability before it in address order has that colour,
    then the next one in the palette."""
    out: dict[int, str] = {}
    order = sorted((c.offset, i) for i, c in enumerate(layout.capabilities)
                   if layout.visibility(i) != "virtual")
    previous = None
    for _, i in order:
        c = layout.capabilities[i]
        colour = cap_colour(c.space, c.id)
        if colour == previous:
            colour = PALETTE[(PALETTE.index(colour) + 1) % len(PALETTE)]
        out[i] = previous = colour
    return out


def cap_style(colour: str) -> str:
    return f"{CAP_TEXT} on {colour}"
