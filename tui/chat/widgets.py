"""The chat's light widgets: the message input, the user's messages, notices and
the status bar (the Markdown ones are in :mod:`.messages`, imported after the first frame)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Static, TextArea

from .commands import complete


class ChatInput(TextArea):
    """Multi-line input: Enter sends, Shift+Enter or Ctrl+J starts a new line,
    Up/Down on the first/last line walk the history, Tab completes a slash command.
    Pasted text is inserted whole (a paste never sends)."""

    BINDINGS = [
        Binding("enter", "submit", "Send", show=True, priority=False),
        Binding("shift+enter,ctrl+j", "newline", "New line", show=True),
    ]

    @dataclass
    class Submitted(Message):
        text: str

    def __init__(self, **kwargs: object) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, tab_behavior="focus", **kwargs)  # type: ignore[arg-type]
        self.sent_history: list[str] = []
        self._history_index: int | None = None
        self._draft = ""

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            self.action_submit()
            return
        if event.key in ("shift+enter", "ctrl+j"):
            event.stop()
            event.prevent_default()
            self.action_newline()
            return
        if event.key == "tab" and self.text.startswith("/") and "\n" not in self.text:
            completed = complete(self.text)
            if completed is not None:
                event.stop()
                event.prevent_default()
                self.load_text(completed)
                self.move_cursor(self.document.end)
                return
        await super()._on_key(event)

    def action_submit(self) -> None:
        text = self.text
        if not text.strip():
            return
        if not self.sent_history or self.sent_history[-1] != text:
            self.sent_history.append(text)
        self._history_index = None
        self._draft = ""
        self.clear()
        self.post_message(self.Submitted(text))

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    def action_cursor_up(self, select: bool = False) -> None:
        if not select and self.cursor_at_first_line and self.sent_history:
            self._recall(-1)
            return
        super().action_cursor_up(select)

    def action_cursor_down(self, select: bool = False) -> None:
        if not select and self.cursor_at_last_line and self._history_index is not None:
            self._recall(+1)
            return
        super().action_cursor_down(select)

    def _recall(self, step: int) -> None:
        if self._history_index is None:
            if step > 0:
                return
            self._draft = self.text
            index = len(self.sent_history) - 1
        else:
            index = self._history_index + step
        if index < 0:
            index = 0
        if index >= len(self.sent_history):
            self._history_index = None
            self.load_text(self._draft)
        else:
            self._history_index = index
            self.load_text(self.sent_history[index])
        self.move_cursor(self.document.end if step > 0 else (0, len(self.document[0])))


class UserMessage(Static):
    """What the user typed (shown verbatim, never as markup)."""

    def __init__(self, text: str) -> None:
        super().__init__(Text(text), classes="message user")
        self.border_title = "you"


class Notice(Static):
    """A line from the chat itself (the welcome), without Markdown."""

    def __init__(self, text: Text) -> None:
        super().__init__(text, classes="message system")
        self.border_title = "mlarchitect"


class StatusBar(Static):
    """Model (or offline), session tokens and cost, knowledge-base size, state."""

    def show(self, *, model: str, tokens: int, cost: float, kb: str, state: str, session: str) -> None:
        text = Text()
        text.append(f" {model} ", style="bold reverse")
        text.append(f"  tokens {tokens:,}  ·  ${cost:,.4f}  ·  KB {kb}  ·  session {session}")
        if state:
            text.append(f"  ·  {state}", style="bold")
        self.update(text)
