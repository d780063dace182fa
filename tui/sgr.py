"""Style strings to terminal escape codes, as Rich writes them, without importing Rich.

The grammar is the part of Rich's (rich/style.py Style.parse) that capslot's styles use:
attribute words (bold, dim, italic, underline, reverse, ... and their one-letter forms), a
foreground colour and `on` a background colour, each a standard name (red, bright_green),
`default`, `#rrggbb`, `color(N)` or `rgb(r,g,b)`. A later word wins over an earlier one, so
the style of Rich's `Style.parse(a) + Style.parse(b)` is `parse(a + " " + b)` here. A style
this module does not read (`not bold`, a link, a named 256-colour) gives None: the caller
leaves the whole output to Rich.

The codes are Rich's (Style._make_ansi_codes): attributes in bit order, then the colour and
the background, each downgraded to the terminal's colour system (Color.downgrade)."""

from __future__ import annotations

# Rich's colour systems (tui/termenv.py: the terminal's); Rich's theme entries the tables and
# the rule use (tui/styled.py: what `combine` resolves). Kept there, so that output with no
# colour (not a terminal) never loads this module.
from capslot.tui.styled import THEME
from capslot.tui.termenv import EIGHT_BIT, STANDARD, TRUECOLOR

# Rich's attribute words, their bit, and the SGR code of each bit (Style._style_map)
_BITS = {"bold": 0, "b": 0, "dim": 1, "d": 1, "italic": 2, "i": 2, "underline": 3, "u": 3,
         "blink": 4, "blink2": 5, "reverse": 6, "r": 6, "conceal": 7, "c": 7, "strike": 8, "s": 8,
         "underline2": 9, "uu": 9, "frame": 10, "encircle": 11, "overline": 12, "o": 12}
_CODES = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "21", "51", "52", "53")
_NAMES = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
NAMED = {**{n: i for i, n in enumerate(_NAMES)}, **{f"bright_{n}": i + 8 for i, n in enumerate(_NAMES)}}

_STANDARD_RGB = ((0, 0, 0), (170, 0, 0), (0, 170, 0), (170, 85, 0), (0, 0, 170), (170, 0, 170),
                 (0, 170, 170), (170, 170, 170), (85, 85, 85), (255, 85, 85), (85, 255, 85),
                 (255, 255, 85), (85, 85, 255), (255, 85, 255), (85, 255, 255), (255, 255, 255))
_EIGHT_BIT_FIRST = ((0, 0, 0), (128, 0, 0), (0, 128, 0), (128, 128, 0), (0, 0, 128), (128, 0, 128),
                    (0, 128, 128), (192, 192, 192), (128, 128, 128), (255, 0, 0), (0, 255, 0),
                    (255, 255, 0), (0, 0, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255))
_LEVELS = (0, 95, 135, 175, 215, 255)

# a colour: ("default",), ("standard", n), ("256", n) or ("truecolor", (r, g, b))
Colour = tuple
# a parsed style: (attribute bits, colour or None, background or None)
Parsed = tuple


def parse_colour(word: str) -> Colour | None:
    if word == "default":
        return ("default",)
    if word in NAMED:
        return (STANDARD, NAMED[word])
    if word.startswith("#") and len(word) == 7 and all(c in "0123456789abcdef" for c in word[1:]):
        return (TRUECOLOR, (int(word[1:3], 16), int(word[3:5], 16), int(word[5:7], 16)))
    if word.startswith("color(") and word.endswith(")") and word[6:-1].isdigit() \
            and word[6:-1].isascii() and len(word) <= 10:
        n = int(word[6:-1])
        return None if n > 255 else (STANDARD, n) if n < 16 else (EIGHT_BIT, n)
    if word.startswith("rgb(") and word.endswith(")"):
        parts = word[4:-1].split(",")
        if len(parts) == 3 and all(p.isdigit() and p.isascii() and len(p) <= 3 for p in parts):
            rgb = tuple(int(p) for p in parts)
            return (TRUECOLOR, rgb) if max(rgb) <= 255 else None
    return None


_parsed: dict[str, Parsed | None] = {}


def parse(style: str) -> Parsed | None:
    """(bits, colour, background) of a style string; None where the grammar is not ours."""
    found = _parsed.get(style, 0)
    if found != 0:
        return found
    result: Parsed | None
    if style in THEME:
        result = parse(THEME[style])
    elif style.strip() == "none":
        result = (0, None, None)
    else:
        bits, colour, background = 0, None, None
        words = iter(style.lower().split())
        result = None
        for word in words:
            if word == "on":
                background = parse_colour(next(words, ""))
                if background is None:
                    break
            elif word in _BITS:
                bits |= 1 << _BITS[word]
            else:
                colour = parse_colour(word)
                if colour is None:
                    break
        else:
            result = (bits, colour, background)
    _parsed[style] = result
    return result


def _match(rgb: tuple[int, int, int]) -> int:
    """rich.palette.Palette.match on the standard palette: the nearest of the 16 colours."""
    red1, green1, blue1 = rgb

    def distance(index: int) -> float:
        red2, green2, blue2 = _STANDARD_RGB[index]
        red_mean = (red1 + red2) // 2
        red, green, blue = red1 - red2, green1 - green2, blue1 - blue2
        return ((((512 + red_mean) * red * red) >> 8) + 4 * green * green
                + (((767 - red_mean) * blue * blue) >> 8)) ** 0.5

    return min(range(16), key=distance)


def _eight_bit_rgb(n: int) -> tuple[int, int, int]:
    if n < 16:
        return _EIGHT_BIT_FIRST[n]
    if n < 232:
        n -= 16
        return (_LEVELS[n // 36], _LEVELS[n // 6 % 6], _LEVELS[n % 6])
    grey = 8 + 10 * (n - 232)
    return (grey, grey, grey)


def downgrade(colour: Colour, system: str) -> Colour:
    """rich.color.Color.downgrade (its Windows branch aside)."""
    kind = colour[0]
    if kind in ("default", system):
        return colour
    if system == EIGHT_BIT and kind == TRUECOLOR:
        from colorsys import rgb_to_hls

        red, green, blue = colour[1]
        _, light, saturation = rgb_to_hls(red / 255.0, green / 255.0, blue / 255.0)
        if saturation < 0.15:
            grey = round(light * 25.0)
            return (EIGHT_BIT, 16 if grey == 0 else 231 if grey == 25 else 231 + grey)
        six = [v / 95 if v < 95 else 1 + (v - 95) / 40 for v in (red, green, blue)]
        return (EIGHT_BIT, 16 + 36 * round(six[0]) + 6 * round(six[1]) + round(six[2]))
    if system == STANDARD:
        rgb = colour[1] if kind == TRUECOLOR else _eight_bit_rgb(colour[1])
        return (STANDARD, _match(rgb))
    return colour


def _colour_codes(colour: Colour, foreground: bool) -> list[str]:
    kind = colour[0]
    if kind == "default":
        return ["39" if foreground else "49"]
    if kind == STANDARD:
        n = colour[1]
        fore, back = (30, 40) if n < 8 else (82, 92)
        return [str((fore if foreground else back) + n)]
    if kind == EIGHT_BIT:
        return ["38" if foreground else "48", "5", str(colour[1])]
    return ["38" if foreground else "48", "2", *(str(v) for v in colour[1])]


_codes: dict[tuple[str, str, bool], str] = {}


def codes(style: str, system: str, no_colour: bool = False) -> str | None:
    """The SGR parameters Rich writes for `style` ("1;38;2;0;0;0"; "" for none) on a
    terminal of colour system `system`, its colours removed with NO_COLOR; None: not ours."""
    key = (style, system, no_colour)
    found = _codes.get(key)
    if found is not None:
        return found
    parsed = parse(style)
    if parsed is None:
        return None
    bits, colour, background = parsed
    sgr = [code for bit, code in enumerate(_CODES) if bits & (1 << bit)]
    if not no_colour:
        if colour is not None:
            sgr += _colour_codes(downgrade(colour, system), True)
        if background is not None:
            sgr += _colour_codes(downgrade(background, system), False)
    _codes[key] = result = ";".join(sgr)
    return result


def styled(text: str, style: str | None, system: str | None, no_colour: bool = False) -> str:
    """`text` as Rich's Style.render writes it (`codes` must have accepted the style)."""
    if not style or system is None or not text:
        return text
    sgr = codes(style, system, no_colour)
    return f"\x1b[{sgr}m{text}\x1b[0m" if sgr else text
