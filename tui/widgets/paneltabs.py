"""The tabs over the panels in the medium and narrow layouts: "1 chain  2 inspector  3 verdict
4 legend", the shown one underlined.

One widget drawing both lines (labels and underline bar), with the looks, keys and clicks of
Textual's Tabs, which it replaced: Tabs composes a container, a row, a Tab per label and an
underline, eight widgets styled and laid out before the explorer's first frame (issue 23).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region
from textual.message import Message
from textual.reactive import reactive
from textual.renderables.bar import Bar
from textual.strip import Strip
from textual.widget import Widget

from capslot.tui.widgets.basestyle import BaseStyleCache

TAB_PADDING = 1  # a space each side of a label, as Tab's `padding: 0 1`


class PanelTabs(BaseStyleCache, Widget, can_focus=True):
    """Tabs named `tab-<panel>`; `active` is the shown one's name. A user's choice (a click,
    left or right while focused) is posted as `Activated`; setting `active` posts nothing."""

    BINDINGS = [
        Binding("left", "move(-1)", "previous tab", show=False),
        Binding("right", "move(1)", "next tab", show=False),
    ]
    COMPONENT_CLASSES = {"panel-tabs--tab", "panel-tabs--active", "panel-tabs--hover", "panel-tabs--bar"}
    # Tabs', Tab's and Underline's looks
    DEFAULT_CSS = """
    PanelTabs {
        width: 100%;
        height: 2;
        pointer: pointer;
        & > .panel-tabs--tab { color: $foreground 50%; }
        & > .panel-tabs--hover { color: $foreground; }
        & > .panel-tabs--active { color: $foreground; }
        & > .panel-tabs--bar {
            color: $block-cursor-background;
            background: $foreground 10%;
        }
        &:ansi {
            & > .panel-tabs--tab { text-style: dim; }
            & > .panel-tabs--active { text-style: not dim bold; }
            & > .panel-tabs--bar { background: $border-blurred; }
        }
        &:focus {
            & > .panel-tabs--bar { background: $foreground 30%; }
            & > .panel-tabs--active {
                text-style: $block-cursor-text-style;
                color: $block-cursor-foreground;
                background: $block-cursor-background;
            }
        }
    }
    """

    active: reactive[str] = reactive("", init=False)
    hovered: reactive[int | None] = reactive(None, init=False)
    # the underline's highlight: under the active tab's label, sliding to the next one
    highlight_start: reactive[float] = reactive(0.0, init=False)
    highlight_end: reactive[float] = reactive(0.0, init=False)

    class Activated(Message):
        """The user chose the tab `tab_id` ("tab-<panel>")."""

        def __init__(self, tabs: PanelTabs, tab_id: str) -> None:
            super().__init__()
            self.tabs = tabs
            self.tab_id = tab_id

        @property
        def control(self) -> PanelTabs:
            return self.tabs

    def __init__(self, tabs: list[tuple[str, str]], active: str = "", **kw) -> None:
        """`tabs`: (id, label) pairs; `active`: the id of the one active (else the first)."""
        super().__init__(**kw)
        self.tabs = tabs
        spans, x = [], 0
        for _, label in tabs:
            width = len(label) + 2 * TAB_PADDING
            spans.append((x, x + width))
            x += width
        self._spans: list[tuple[int, int]] = spans
        self.set_reactive(PanelTabs.active, active or tabs[0][0])
        start, end = self._label_span(self._index)
        self.set_reactive(PanelTabs.highlight_start, start)
        self.set_reactive(PanelTabs.highlight_end, end)

    def _label_span(self, index: int) -> tuple[int, int]:
        start, end = self._spans[index]
        return start + TAB_PADDING, end - TAB_PADDING

    @property
    def _index(self) -> int:
        return next(i for i, (tab_id, _) in enumerate(self.tabs) if tab_id == self.active)

    def watch_active(self) -> None:
        start, end = self._label_span(self._index)
        self.animate("highlight_start", start, duration=0.3, level="basic")
        self.animate("highlight_end", end, duration=0.3, level="basic")
        self.refresh()

    def watch_hovered(self) -> None:
        self.refresh()

    def watch_highlight_start(self) -> None:
        self.refresh(Region(0, 1, self.size.width, 1))

    def watch_highlight_end(self) -> None:
        self.refresh(Region(0, 1, self.size.width, 1))

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self._base
        active = self._index
        if y == 1:
            bar_style = self.get_component_rich_style("panel-tabs--bar")
            bar = Bar((self.highlight_start, self.highlight_end), Style.from_color(bar_style.color), Style.from_color(bar_style.bgcolor))
            console = self.app.console
            segments = console.render(bar, console.options.update_width(width))
            return Strip(Segment.apply_style(segments, base)).crop_extend(0, width, base)
        segments = []
        for i, (_, label) in enumerate(self.tabs):
            name = ("panel-tabs--active" if i == active else
                    "panel-tabs--hover" if i == self.hovered else "panel-tabs--tab")
            style = base + self.get_component_rich_style(name)
            pad = Segment(" " * TAB_PADDING, style)
            # the label a run of its own, between its padding, as a Tab draws it
            segments += [pad, Segment(label, style + Style.from_meta({"tab": i})), pad]
        return Strip(segments).crop_extend(0, width, base)

    def _tab_at(self, x: int) -> int | None:
        return next((i for i, (start, end) in enumerate(self._spans) if start <= x < end), None)

    def _choose(self, index: int) -> None:
        self.active = self.tabs[index][0]
        self.post_message(self.Activated(self, self.active))

    def action_move(self, step: int) -> None:
        self._choose((self._index + step) % len(self.tabs))

    def on_click(self, event: events.Click) -> None:
        at = event.get_content_offset(self)
        index = self._tab_at(at.x) if at is not None else None
        if index is not None:
            self._choose(index)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        at = event.get_content_offset(self)
        self.hovered = self._tab_at(at.x) if at is not None and at.y == 0 else None

    def on_leave(self, event: events.Leave) -> None:
        self.hovered = None

