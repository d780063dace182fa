"""Styled text without Rich: what the pieces of `show` are made of, and the lines Rich would
print of them.

`Styled` holds what a rich.text.Text holds for capslot (the characters, a base style, spans
of style strings) and becomes that Text for Rich (`__rich__`), so a Rich console prints it as
it printed the Text. `lines` lays it out as Text.__rich_console__ does (Text.wrap: Rich's
divide_line, divide, rstrip_end, justify, truncate; then Text.render of the joined lines):
each line a list of segments (text, style) where style is None (Rich's Segment without a
style), "" (Rich's null Style) or a style string, split where Rich splits them, since Rich
writes one escape sequence per segment. It models text whose every character is one cell
wide by Rich's own table (rich/cells.py) and printable; for any other it returns None and
the caller leaves the output to Rich."""

from __future__ import annotations

# Rich's theme entries the tables and the rule use (rich/default_styles.py), as their styles
THEME = {"none": "", "table.header": "bold", "table.title": "italic", "table.caption": "italic dim",
         "rule.line": "bright_green"}

# Rich's single-cell characters (rich/cells.py _SINGLE_CELL_UNICODE_RANGES) and two more
# capslot prints that Rich measures one cell wide (tests/test_writer.py checks them)
_RANGES = ((0xA0, 0xAC), (0xAE, 0x2FF), (0x370, 0x482), (0x2500, 0x25FC), (0x2800, 0x28FF))
EXTRA = frozenset("≥…")
_CONTROL = {7: None, 8: None, 11: None, 12: None, 13: None}  # what Rich's Text strips


def modelled(text: str) -> bool:
    """Every character one cell wide and printable (no tab, no newline)."""
    if text.isascii():
        return text.isprintable()
    for ch in text:
        code = ord(ch)
        if not (0x20 <= code <= 0x7E or ch in EXTRA or any(lo <= code <= hi for lo, hi in _RANGES)):
            return False
    return True


def one_cell_characters() -> frozenset[str]:
    """Every character `modelled` takes as one cell (for the tests)."""
    return frozenset(chr(c) for lo, hi in ((0x20, 0x7E), *_RANGES) for c in range(lo, hi + 1)) | EXTRA


class Styled:
    """Characters, a base style and spans (start, end, style): a rich.text.Text's content."""

    __slots__ = ("plain", "style", "spans", "end")

    def __init__(self, text: str = "", style: str = "", spans: list | None = None, end: str = "\n"):
        self.plain = text if text.isprintable() else text.translate(_CONTROL)
        self.style = style
        self.spans: list[tuple[int, int, str]] = spans if spans is not None else []
        self.end = end

    @classmethod
    def assemble(cls, *parts) -> Styled:
        out = cls()
        for part in parts:
            if isinstance(part, str):
                out.append(part)
            else:
                out.append(*part)
        return out

    def append(self, text: str, style: str | None = None) -> Styled:
        if text:
            if not text.isprintable():
                text = text.translate(_CONTROL)
            if style:
                self.spans.append((len(self.plain), len(self.plain) + len(text), style))
            self.plain += text
        return self

    def copy(self) -> Styled:
        return Styled(self.plain, self.style, self.spans[:], self.end)

    def __str__(self) -> str:
        return self.plain

    def __len__(self) -> int:
        return len(self.plain)

    def __rich__(self):
        """The same content as a Rich Text."""
        from rich.text import Span, Text

        return Text(self.plain, style=self.style, end=self.end,
                    spans=[Span(start, end, style) for start, end, style in self.spans])

    # ---- Rich's Text operations on one line (the plain text one line, one cell a character)

    def _set_plain(self, text: str) -> None:
        """Text.plain's setter: shorter text trims the spans."""
        self.plain = text
        n = len(text)
        self.spans = [(s, min(e, n), st) for s, e, st in self.spans if s < n]

    def pad_left(self, count: int) -> None:
        if count > 0:
            self.spans = [(s + count, e + count, st) for s, e, st in self.spans]
            self.plain = " " * count + self.plain

    def pad_right(self, count: int) -> None:
        if count > 0:
            self.plain += " " * count

    def rstrip(self) -> None:
        self._set_plain(self.plain.rstrip())

    def truncate(self, width: int, overflow: str, pad: bool = False) -> None:
        length = len(self.plain)
        if overflow != "ignore" and length > width:
            self._set_plain(self.plain[:width - 1] + "…" if overflow == "ellipsis"
                            else self.plain[:width])
        if pad and length < width:
            self.plain += " " * (width - length)

    def divide(self, offsets: list[int]) -> list[Styled]:
        bounds = [0, *offsets, len(self.plain)]
        lines = []
        for start, end in zip(bounds, bounds[1:], strict=False):
            spans = [(max(0, s - start), min(e, end) - start, st) for s, e, st in self.spans
                     if min(e, end) - start > max(0, s - start)]
            lines.append(Styled(self.plain[start:end], self.style, spans))
        return lines


def _words(text: str):
    """rich._wrap.words: (start, word) of each match of `\\s*\\S+\\s*`."""
    n, at = len(text), 0
    while at < n:
        end = at
        while end < n and text[end].isspace():
            end += 1
        if end == n:
            return
        while end < n and not text[end].isspace():
            end += 1
        while end < n and text[end].isspace():
            end += 1
        yield at, text[at:end]
        at = end


def divide_line(text: str, width: int, fold: bool) -> list[int]:
    """rich._wrap.divide_line for one-cell characters."""
    breaks: list[int] = []
    offset = 0
    for start, word in _words(text):
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if fold:
                chunks = [word[i:i + width] for i in range(0, len(word), width)]
                for n, chunk in enumerate(chunks):
                    if start:
                        breaks.append(start)
                    if n == len(chunks) - 1:
                        offset = len(chunk)
                    else:
                        start += len(chunk)
            else:
                if start:
                    breaks.append(start)
                offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def justify_line(line: Styled, width: int, justify: str, overflow: str) -> None:
    """Lines.justify for one line ("default" and "full" aside)."""
    if justify == "left":
        line.truncate(width, overflow, pad=True)
    elif justify == "center":
        line.rstrip()
        line.truncate(width, overflow)
        line.pad_left((width - len(line.plain)) // 2)
        line.pad_right(width - len(line.plain))
    elif justify == "right":
        line.rstrip()
        line.truncate(width, overflow)
        line.pad_left(width - len(line.plain))


def wrap(text: Styled, width: int, justify: str = "default", overflow: str = "fold",
         no_wrap: bool = False) -> list[Styled] | None:
    """Text.wrap; None where a character is not modelled or the justification is "full"."""
    if justify == "full" or not modelled(text.plain.replace("\n", "")):
        return None
    out: list[Styled] = []
    for line in _split(text):
        if no_wrap or len(line.plain) <= width:  # (divide_line breaks no line that fits)
            new = [line]
        else:
            new = line.divide(divide_line(line.plain, width, overflow == "fold"))
            for part in new:  # Text.rstrip_end
                if len(part.plain) > width:
                    spaces = len(part.plain) - len(part.plain.rstrip())
                    if spaces:
                        part._set_plain(part.plain[:len(part.plain) - min(spaces, len(part.plain) - width)])
        for part in new:
            justify_line(part, width, justify, overflow)
            part.truncate(width, overflow)
        out += new
    return out


def _split(text: Styled) -> list[Styled]:
    """Text.split("\\n", allow_blank=True)."""
    if "\n" not in text.plain:
        return [text.copy()]
    offsets = []
    at = text.plain.find("\n")
    while at >= 0:
        offsets += [at, at + 1]
        at = text.plain.find("\n", at + 1)
    return [line for line in text.divide(offsets) if line.plain != "\n"]


def combine(*styles: str | None) -> str:
    """The style of Rich's sum of the styles (theme names such as "table.title" resolved)."""
    return " ".join(THEME.get(s, s) for s in styles if s)


def segments(lines: list[Styled]) -> list[list[tuple[str, str | None]]]:
    """Text("\\n").join(lines).render(): each line's segments (Rich's, split at the newlines)."""
    styled = any(line.style or line.spans for line in lines)
    out = []
    for line in lines:
        text = line.plain
        if not styled:
            out.append([(text, None)] if text else [])
            continue
        if not line.spans:  # (most lines: one segment in the line's own style)
            out.append([(text, combine(line.style) if line.style else "")] if text else [])
            continue
        if not line.style:
            row = segments_in_order(text, line.spans)
            if row is not None:
                out.append(row)
                continue
        spans = ([(0, len(text), line.style)] if line.style and text else []) + line.spans
        # Text.render: a segment between consecutive span edges, styled by the spans open
        # there in their order
        events = sorted([(s, False, i) for i, (s, _, _) in enumerate(spans)]
                        + [(e, True, i) for i, (_, e, _) in enumerate(spans)] + [(len(text), True, -1)])
        row = []
        open_: list[int] = []
        at = 0
        cache: dict[tuple, str] = {}
        for offset, leaving, index in events:
            if offset > at:
                key = tuple(sorted(open_))
                style = cache.get(key)
                if style is None:
                    style = cache[key] = combine(*(spans[i][2] for i in key))
                row.append((text[at:offset], style))
                at = offset
            if index >= 0:
                if leaving:
                    open_.remove(index)
                else:
                    open_.append(index)
        out.append(row)
    return out


def segments_in_order(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[str, str]] | None:
    """The segments `segments` makes of a line of no style of its own whose spans follow one
    another (none empty, none overlapping, none past the end: most styled text, as it is
    assembled): a segment per span, one per gap between them (unstyled: Rich's null style).
    None for any other line."""
    row: list[tuple[str, str]] = []
    at = 0
    for start, end, style in spans:
        if start < at or end <= start:
            return None
        if start > at:
            row.append((text[at:start], ""))
        row.append((text[start:end], THEME.get(style, style) if style else ""))
        at = end
    if at > len(text):
        return None
    if at < len(text):
        row.append((text[at:], ""))
    return row


def lines(text: Styled, width: int, justify: str | None = None) -> list[list[tuple[str, str | None]]] | None:
    """What Rich prints of `text` in `width` cells (Text.__rich_console__ with justify and
    overflow left to Rich's defaults), line by line; None where it is not modelled."""
    wrapped = wrap(text, width, justify or "default")
    return None if wrapped is None else segments(wrapped)
