"""Making text from untrusted dumps safe to show.

Device lines, file names and quirk strings come from strangers' files: control
characters (ANSI escapes, carriage returns, NUL) are shown as visible escapes, never
sent to a terminal. Rich markup is the renderers' business: they only ever wrap such
text in `rich.text.Text`, which does not parse markup.
"""

from __future__ import annotations

def printable(text: str) -> str:
    """`text` with every non-printable character written as a \\xNN / \\uNNNN escape."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
