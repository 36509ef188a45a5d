"""Modal screens: the session list, renaming, confirming a delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, Label

if TYPE_CHECKING:  # pragma: no cover
    from .sessions import SessionStore


class SessionsScreen(ModalScreen[str | None]):
    """Every conversation in the index; Enter resumes, r renames, d deletes."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("enter", "resume", "Resume", priority=True),
        Binding("r", "rename", "Rename"),
        Binding("d", "delete", "Delete"),
        Binding("n", "new", "New"),
    ]

    def __init__(self, store: SessionStore, current: str | None) -> None:
        super().__init__()
        self.store = store
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="sessions-box"):
            yield Label("Conversations", id="sessions-title")
            yield DataTable(id="sessions-table", cursor_type="row", zebra_stripes=True)
            yield Label("", id="sessions-empty")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("", "Title", "Turns", "Updated", "Model", "Workflow", "Id")
        self.refresh_rows()
        table.focus()

    def refresh_rows(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        sessions = self.store.all()
        for info in sessions:
            marker = "●" if info.id == self.current else ""
            table.add_row(marker, info.title, str(info.turns), info.updated, info.model or "-",
                          info.workflow or "-", info.id, key=info.id)
        self.query_one("#sessions-empty", Label).update(
            "" if sessions else "No conversations yet: close this and type a request.")
        ids = [info.id for info in sessions]
        if self.current in ids:
            table.move_cursor(row=ids.index(self.current))

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    def action_resume(self) -> None:
        selected = self._selected()
        if selected is not None:
            self.dismiss(selected)

    def action_new(self) -> None:
        self.dismiss("")

    def action_rename(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        info = self.store.get(selected)

        def done(title: str | None) -> None:
            if title:
                self.store.rename(selected, title)
                self.app.call_later(getattr(self.app, "session_renamed"), selected)
                self.refresh_rows()

        self.app.push_screen(PromptScreen("New title", info.title if info else ""), done)

    def action_delete(self) -> None:
        selected = self._selected()
        if selected is None:
            return
        info = self.store.get(selected)

        def done(answer: str | None) -> None:
            if answer == "yes":
                getattr(self.app, "delete_session")(selected)
                self.refresh_rows()

        title = info.title if info else selected
        self.app.push_screen(ConfirmScreen(f"Delete “{title}” and its checkpoints?"), done)


class PromptScreen(ModalScreen[str | None]):
    """One line of text (Enter accepts, Esc cancels)."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, label: str, value: str = "") -> None:
        super().__init__()
        self.label = label
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.label)
            yield Input(self.value, id="prompt-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


class ConfirmScreen(ModalScreen[str | None]):
    """y confirms, n or Esc declines."""

    BINDINGS = [Binding("y", "dismiss('yes')", "Yes"), Binding("n,escape", "dismiss(None)", "No")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question)
            yield Label("[b]y[/b] yes   [b]n[/b] no")
