"""The explorer's title line, as Textual's Header draws it (the command palette's icon on the
left, the title and sub-title centred between it and an empty clock space), in one widget.

Header is four widgets (itself, its icon, title and clock space), each with its own message
pump, events, styles and layout: ~23M instructions of the explorer's first frame at 200x60,
about 2% of it (issue 23). Drawn here from one render, it looks the same and does what the
explorer used of it: the icon opens the command palette (with Header's tooltip, and its hover
shade), and the line follows the app's and the screen's title and sub-title."""

from __future__ import annotations

from textual import events
from textual.content import Content
from textual.style import Style
from textual.widget import Widget

ICON = "⭘"
ICON_WIDTH = 8  # Header's icon: `padding: 0 1; width: 8`, the icon to the left
CLOCK_WIDTH = 10  # Header's clock space, empty: the title is centred as Header centres it


class TitleBar(Widget):
    """One line: icon, then the title centred (cut with an ellipsis when it does not fit)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"titlebar--icon-hover"}
    DEFAULT_CSS = """
    TitleBar {
        dock: top;
        width: 100%;
        height: 1;
        background: $panel;
        color: $foreground;
        & > .titlebar--icon-hover {
            background: $foreground 10%;
        }
    }
    """

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self._over_icon = False

    def on_mount(self) -> None:
        for node in (self.app, self.screen):
            self.watch(node, "title", self.refresh, init=False)
            self.watch(node, "sub_title", self.refresh, init=False)

    def render(self) -> Content:
        screen, app = self.screen, self.app
        title = screen.title if screen.title is not None else app.title
        sub_title = screen.sub_title if screen.sub_title is not None else app.sub_title
        icon = Content(f" {ICON}").pad_right(ICON_WIDTH - 2)
        if self._over_icon:
            icon = icon.stylize(Style.from_rich_style(self.get_component_rich_style("titlebar--icon-hover")))
        room = max(0, self.size.width - ICON_WIDTH - CLOCK_WIDTH)
        text = app.format_title(title, sub_title).truncate(room, ellipsis=True)
        left = (room - text.cell_length) // 2
        return Content.assemble(icon, text.pad(left, room - left - text.cell_length))

    def _hover(self, over: bool) -> None:
        if over != self._over_icon:
            self._over_icon = over
            self.tooltip = "Open the command palette" if over else None
            self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        self._hover(0 <= event.x < ICON_WIDTH)

    def on_leave(self, event: events.Leave) -> None:
        self._hover(False)

    async def on_click(self, event: events.Click) -> None:
        if 0 <= event.x < ICON_WIDTH:
            event.stop()
            await self.run_action("app.command_palette")
