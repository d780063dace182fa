"""Making text from untrusted dumps safe to show, one function per place it goes.

Device lines, file names and quirk strings come from strangers' files. Each sink has its own
dangerous characters, and its own escaping:

- a terminal (`printable`): control characters (ANSI escapes, carriage returns, NUL) are
  shown as visible escapes, never sent;
- Rich console markup (`rich_markup`) and Textual content markup (`textual_markup`): a `[`
  would start a tag (`[@click=...]` runs an action, `[/]` with nothing open is an error,
  `[AMD]` vanishes); the two parsers treat backslashes differently, hence two functions.

Every one of them first makes the text printable: what reaches a file may reach a terminal
next (`cat`, a mail). Widgets do better than escaping: they take `rich.text.Text` or
`textual.content.Content` objects, which are never parsed as markup (tui/safe.py).
"""

from __future__ import annotations

from .lazyre import LazyPattern


def printable(text: str) -> str:
    """`text` with every non-printable character written as a \\xNN / \\uNNNN escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


# Rich reads `[` as markup where a tag could start (rich.markup RE_TAGS, `(\\*)\[[a-z#/@]...]`):
# there an odd run of backslashes escapes the tag and each pair is one backslash. Elsewhere (a
# lone `[`) it only turns `\\[` into `[`. So a tag-like `[` gets its backslashes doubled and
# one more; a lone one gets one more.
_RICH_OPEN = LazyPattern(r"(\\*)(\[(?:[a-z#/@][^[]*?\])?)")


def rich_markup(text: str) -> str:
    """`text` for Rich console markup: read back as exactly `printable(text)` (each `[`
    escaped as Rich reads it: see above)."""
    return _RICH_OPEN.sub(lambda m: m.group(1) * (2 if len(m.group(2)) > 1 else 1) + "\\"
                          + m.group(2), printable(text))


def textual_markup(text: str) -> str:
    """`text` for Textual content markup (`Content.from_markup`, `markup=True` widgets):
    read back as exactly `printable(text)`. Textual never opens a tag at a `[` that follows a
    backslash, and drops that one backslash."""
    return printable(text).replace("[", "\\[")

