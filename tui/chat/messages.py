"""The Markdown messages of the conversation (the architect's answers, command
output, errors). Importing Markdown loads markdown-it: done after the first frame."""

from __future__ import annotations

from textual.widgets import Markdown


class AnswerMessage(Markdown):
    """The architect's answer of a turn (streamed while the turn runs)."""

    def __init__(self, text: str = "", *, status: str = "") -> None:
        super().__init__(text, classes="message answer")
        self.border_title = "architect"
        if status:
            self.mark(status)

    def mark(self, status: str) -> None:
        """``cancelled`` or ``failed``: shown in the border and by the style."""
        self.add_class(status)
        self.border_subtitle = status


class SystemMessage(Markdown):
    """Output of a slash command, or an error line."""

    def __init__(self, text: str, *, error: bool = False) -> None:
        super().__init__(text, classes="message system error" if error else "message system")
        self.border_title = "error" if error else "mlarchitect"
