"""Textual's command palette (ctrl+p), closing once.

Its own paths out (Escape, Enter on a command, a click beside it) each dismiss it, and two of
them in one burst of input (a double click beside it) popped the explorer's own screen:
ScreenStackError, the explorer gone. Typing just before it closes started a search after its
list was removed: NoMatches in a worker, the explorer gone. Page up or down before its list is
laid out raised KeyError in OptionList. A click queued behind a resize that shrank the
window past it reached the palette after the resize: Textual's handler looks up the widget
under it and raised NoWidget (seed 7024, and in tmux). A click on a result row the search
had just replaced (fewer results now) raised IndexError in OptionList (seed 7016). All found
by tests/tui_fuzz.py (Textual 8.2.8).
"""

from __future__ import annotations

import contextlib
from typing import Any

from textual.app import ComposeResult
from textual.command import CommandInput, CommandList, CommandPalette, SearchIcon
from textual.containers import Horizontal, Vertical
from textual.errors import NoWidget
from textual.events import Click
from textual.widgets import Button, LoadingIndicator


class ResultsNow(CommandList):
    """The palette's results: a click on a row that is no longer there (the list was
    refilled between the drawing and the click) selects nothing."""

    def _on_click(self, event: Click) -> None:  # type: ignore[override]
        option = event.style.meta.get("option")
        if option is not None and not 0 <= option < self.option_count:
            event.prevent_default()  # OptionList's handler would index past its options


class CommandsOnce(CommandPalette):
    """The command palette, dismissed once; no search starts once it is going."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.gone = False

    def compose(self) -> ComposeResult:
        """Textual's palette (textual/command.py), with ResultsNow for its results."""
        with Vertical(id="--container"):
            with Horizontal(id="--input"):
                yield SearchIcon()
                yield CommandInput(placeholder=self._placeholder, select_on_focus=False)
                if not self.run_on_select:
                    yield Button("\u25b6")
            with Vertical(id="--results"):
                yield ResultsNow()
                yield LoadingIndicator()

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
