"""The widget's own style, kept between repaints: for the line-drawn widgets (the chain,
the panel tabs), which read it for every line they draw."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from rich.style import Style


class BaseStyleCache:
    """Mixed in before a Textual widget class: `_base` is `rich_style`, computed once per
    repaint (`rich_style` walks every ancestor) and forgotten on a refresh or a style change."""

    _base_style: Style | None = None

    @property
    def _base(self) -> Style:
        if self._base_style is None:
            self._base_style = self.rich_style  # type: ignore[attr-defined]
        return self._base_style

    def refresh(self, *regions, **kw):
        self._base_style = None
        return super().refresh(*regions, **kw)  # type: ignore[misc]

    def notify_style_update(self) -> None:
        self._base_style = None
        super().notify_style_update()  # type: ignore[misc]
        self.refresh()
