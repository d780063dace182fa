"""capslot's core: bytes in, facts out (never imports Textual or Rich)."""

__version__ = "0.2.0"
