"""Textual's command palette (ctrl+p), closing once.

Its own paths out (Escape, Enter on a command, a click beside it) each dismiss it, and two of
them in one burst of input (a double click beside it) popped the explorer's own screen:
ScreenStackError, the explorer gone. Typing just before it closes started a search after its
list was removed: NoMatches in a worker, the explorer gone. Page up or down before its list is
laid out raised KeyError in OptionList. A click queued behind a resize that shrank the
window past it reached the palette after the resize: Textual's handler looks up the widget
under it and raised NoWidget (seed 7024, and in tmux). All found by tests/tui_fuzz.py
(Textual 8.2.8).
"""

from __future__ import annotations

import contextlib
from typing import Any

from textual.command import CommandPalette
from textual.errors import NoWidget
from textual.events import Click


class CommandsOnce(CommandPalette):
    """The command palette, dismissed once; no search starts once it is going."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.gone = False

    def dismiss(self, result: Any = None):  # type: ignore[override]
        if self.gone or self.app.screen is not self:
            return None  # nobody awaits a palette's dismiss
        self.gone = True
        self._cancel_gather_commands()
        return super().dismiss(result)

    def _gather_commands(self, search_value: str):  # type: ignore[override]
        if self.gone or not self.is_attached:
            return None
        return super()._gather_commands(search_value)

    def _on_click(self, event: Click) -> None:  # type: ignore[override]
        """A click beside the palette closes it (Textual's handler, which Textual calls after
        this one); a click on a cell the window no longer has (it shrank after the click was
        sent) is on nothing: it does nothing, and Textual's handler is not called."""
        try:
            self.get_widget_at(event.screen_x, event.screen_y)
        except NoWidget:
            event.prevent_default()

    def _action_command_list(self, action: str) -> None:
        with contextlib.suppress(KeyError):  # a page move on a list not laid out yet
            super()._action_command_list(action)
