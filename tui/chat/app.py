"""The terminal chat: a conversation with the architect, its activity, the
deliverable in tabs, sessions that survive a crash.

Design turns run in a thread worker that consumes the engine's event generator
and hands each event to the UI with ``call_from_thread``; Esc stops consuming
it. LangGraph, Chroma and the embedder are imported by that worker (or by the
warm-up worker started after the first frame), never before the first frame.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from rich.text import Text
from textual.widgets import Collapsible, Footer, Header, RichLog, Static, TabbedContent, TabPane, TextArea

from . import commands as slash
from .activity import ARCHITECT, activity_lines
from .answer import TABS, chunks, concise_answer, design_markdown, markdown_diff, split_tabs
from .engine import EventSource, close_events, engine_events, fork_thread, latest_checkpoint
from .sessions import SessionInfo, SessionStore
from .widgets import ChatInput, Notice, StatusBar, UserMessage

if TYPE_CHECKING:  # pragma: no cover
    from textual.widgets.markdown import MarkdownStream

    from mlarchitect.config import Settings

    from mlarchitect.deliverable import ArchitectureDesign

    from .messages import AnswerMessage

WELCOME = Text.assemble(
    "Describe the ML or LLM system you need: scale, latency, budget, where it runs. "
    "Follow-up messages revise the design. ", ("/help", "bold"), " lists commands; ", ("Esc", "bold"),
    " cancels a running turn.")
LONG_STREAM = 400  # streamed text longer than this already said enough: the answer skips the summary


def model_label(settings: Settings) -> str:
    if settings.offline or (settings.model or "").lower() == "offline":
        return "offline"
    if settings.openai_api_key is None and settings.openai_base_url is None:
        return "offline (no API key)"
    return settings.tiers.resolve(settings.model, settings.tiers.sonnet)


@dataclass
class Turn:
    """One request being answered."""

    request: str
    settings: Settings
    session_id: str
    thread_id: str
    widget: AnswerMessage
    stream: MarkdownStream
    fork_from: str | None = None  # fork the thread first (the last turn did not finish)
    fork: bool = False
    cancel: threading.Event = field(default_factory=threading.Event)
    state: str = "running"  # running | done | cancelled | failed
    text: list[str] = field(default_factory=list)
    activity: list[str] = field(default_factory=list)
    design: ArchitectureDesign | None = None
    siblings_writing: set[str] = field(default_factory=set)


class ChatApp(App[None]):
    """``design chat``.

    ``source`` replaces the engine's event stream (tests inject slow or failing
    ones); ``clock``, ``session_ids`` and ``kb_label`` freeze what the screen shows
    for snapshots; ``warm_up=False`` skips loading the engine after the first frame.
    With ``ask_questions`` a first request that leaves scale, budget or deployment
    open gets up to three short questions before the design turn.
    """

    CSS_PATH = "chat.tcss"
    TITLE = "mlarchitect"
    COMMANDS = App.COMMANDS | {lambda: _palette_provider()}
    BINDINGS = [
        Binding("escape", "cancel_turn", "Cancel turn"),
        Binding("f2", "sessions", "Sessions"),
        Binding("f3", "toggle_activity", "Activity"),
        Binding("f4", "show_diff", "Diff"),
        Binding("f5", "copy_deliverable", "Copy"),
        Binding("ctrl+n", "new_session", "New"),
    ]

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        overrides: dict[str, Any] | None = None,
        session_id: str | None = None,
        source: EventSource | None = None,
        clock: Callable[[], datetime] | None = None,
        session_ids: Callable[[], str] | None = None,
        warm_up: bool = True,
        kb_label: str | None = None,
        ask_questions: bool = True,
    ) -> None:
        super().__init__()
        self._settings = settings
        self._overrides = dict(overrides or {})
        self._store: SessionStore | None = None
        self._clock = clock or (lambda: datetime.now(UTC))
        self._session_ids = session_ids
        self.source: EventSource = source or engine_events
        self.session: SessionInfo | None = None
        self.turn: Turn | None = None
        self.design: ArchitectureDesign | None = None
        self.versions: list[str] = []  # rendered Markdown of each version of this session's deliverable
        self.session_tokens = 0
        self.session_cost = 0.0
        self.cost_notes: dict[str, None] = {}  # why some turns have no price (unknown model price, no usage)
        self.kb_label = kb_label or "…"
        self.ask_questions = ask_questions
        self.pending_request: str | None = None  # a first request waiting for the answers to questions
        self._resume_id = session_id
        self._warm_up = warm_up
        self._kb: Any = None

    @property
    def settings(self) -> Settings:
        """The settings (built on first use: pydantic-settings is not loaded before the first frame)."""
        if self._settings is None:
            from mlarchitect.config import Settings

            self._settings = Settings(**self._overrides)
        return self._settings

    @settings.setter
    def settings(self, value: Settings) -> None:
        self._settings = value

    @property
    def store(self) -> SessionStore:
        if self._store is None:
            self._store = SessionStore(self.settings.data_dir / "sessions.sqlite", clock=self._clock,
                                       ids=self._session_ids)
        return self._store

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield VerticalScroll(id="conversation")
                with Collapsible(title="Activity", id="activity-box", collapsed=False):
                    yield RichLog(id="activity", wrap=True, markup=False, highlight=False, max_lines=5000)
                yield Static("", id="suggestions")
                yield ChatInput(id="input")
            with TabbedContent(id="deliverable"):
                for key, title in [*TABS, ("diff", "Diff")]:
                    with TabPane(title, id=f"tab-{key}"):
                        # Markdown widgets replace the placeholders with the first deliverable
                        yield VerticalScroll(Static(_placeholder(key), classes="placeholder"), id=f"pane-{key}")
        yield StatusBar(id="status")
        yield Footer()

    async def on_mount(self) -> None:
        self.query_one("#conversation", VerticalScroll).anchor()
        self.query_one("#suggestions").display = False
        self.query_one(ChatInput).focus()
        if self._settings is None and not self._resume_id:
            await self._welcome()  # the first frame; settings, status and warm-up follow it
            self.update_status()
            self.call_after_refresh(self._after_first_frame)
            return
        if self._resume_id:
            if not await self.load_session(self._resume_id):
                await self._welcome()
        else:
            await self._welcome()
        self._after_first_frame()

    def _after_first_frame(self) -> None:
        try:
            self.settings  # noqa: B018 - built now: a bad config file or variable ends the chat with one line
        except Exception as exc:  # noqa: BLE001
            self.exit(return_code=2, message=f"design chat: error: invalid settings: {' '.join(str(exc).split())}")
            return
        self.update_status()
        if self._warm_up:
            self.warm_up_engine()

    @work(thread=True, group="warmup", exit_on_error=False)
    def warm_up_engine(self) -> None:
        """After the first frame: import the engine, open the knowledge base."""
        try:
            from mlarchitect.knowledge.base import knowledge_base_for

            kb = knowledge_base_for(self.settings)  # kb_dir or the Chroma server; the designs' instance
            kb.ensure_built()
            label = f"{kb.stats().chunks:,} chunks"
            self._kb = kb
            import mlarchitect.agents.api  # noqa: F401 - so the first turn starts faster
            import mlarchitect.agents.graph  # noqa: F401
        except Exception as exc:  # noqa: BLE001 - shown in the status bar, the chat still works
            label = f"unavailable ({type(exc).__name__})"
        self._from_thread(self._set_kb_label, label)

    def _set_kb_label(self, label: str) -> None:
        self.kb_label = label
        self.update_status()

    def _from_thread(self, callback: Callable[..., Any], *args: Any) -> Any:
        try:
            return self.call_from_thread(callback, *args)
        except RuntimeError:  # the app is shutting down
            return None

    # ------------------------------------------------------------------ status
    def update_status(self) -> None:
        state = ""
        if self.turn is not None and self.turn.state == "running":
            state = "designing… (Esc cancels)"
        model = model_label(self._settings) if self._settings is not None else "…"
        self.query_one(StatusBar).show(model=model, tokens=self.session_tokens,
                                       cost=self.session_cost, kb=self.kb_label, state=state,
                                       session=self.session.id if self.session else "new")
        self.sub_title = self.session.title if self.session else "new conversation"

    @property
    def running(self) -> bool:
        return self.turn is not None and self.turn.state == "running"

    # ------------------------------------------------------------ conversation
    async def _say(self, text: str, *, error: bool = False) -> None:
        from .messages import SystemMessage

        await self.query_one("#conversation", VerticalScroll).mount(SystemMessage(text, error=error))

    async def _welcome(self) -> None:
        await self.query_one("#conversation", VerticalScroll).mount(Notice(WELCOME))

    def _activity(self, lines: list[str]) -> None:
        log = self.query_one("#activity", RichLog)
        for line in lines:
            log.write(line)

    @on(ChatInput.Submitted)
    async def _submitted(self, event: ChatInput.Submitted) -> None:
        self._hide_suggestions()
        text = event.text
        if text.lstrip().startswith("/"):
            await self.run_slash(text.strip())
        else:
            await self.start_turn(text)

    @on(TextArea.Changed, "#input")
    def _input_changed(self, event: TextArea.Changed) -> None:
        boxes = self.query("#suggestions")
        if not boxes:  # the screen is going away
            return
        found = slash.matches(event.text_area.text)
        box = boxes.first(Static)
        if not found:
            box.display = False
            return
        box.update(Text("\n".join(f"{c.usage:<22} {c.help}" for c in found[:6]) + "\nTab completes"))
        box.display = True

    def _hide_suggestions(self) -> None:
        self.query_one("#suggestions").display = False

    def prefill_input(self, text: str) -> None:
        chat_input = self.query_one(ChatInput)
        chat_input.load_text(text)
        chat_input.move_cursor(chat_input.document.end)
        chat_input.focus()

    # ------------------------------------------------------------------- turns
    async def start_turn(self, request: str) -> None:
        if self.running:
            self.notify("A design is running: wait for it, or press Esc to cancel it.", severity="warning")
            return
        request = request.strip()  # the engine validates the rest (in the worker: it imports LangChain)
        if not request:
            return
        from .messages import AnswerMessage

        conversation = self.query_one("#conversation", VerticalScroll)
        await conversation.mount(UserMessage(request))
        title = request
        if self.pending_request is not None:  # the answers to the questions below
            from .clarify import combine

            title, self.pending_request = self.pending_request, None
            request = combine(title, request)
        elif self.session is None and self.ask_questions:
            from .clarify import open_points, questions_markdown

            missing = open_points(request)
            if missing:
                self.pending_request = request
                await conversation.mount(AnswerMessage(questions_markdown(missing)))
                return
        if self.session is None:
            self.session = self.store.create(title, model=model_label(self.settings))
        from textual.widgets import Markdown

        widget = AnswerMessage("")
        widget.border_subtitle = "working…"
        await conversation.mount(widget)
        conversation.anchor()
        turn = Turn(request=request, settings=self.settings, session_id=self.session.id,
                    thread_id=self.session.thread_id, widget=widget, stream=Markdown.get_stream(widget),
                    fork=self.session.dirty, fork_from=self.session.checkpoint_id)
        # until the turn finishes the thread may hold an unfinished run: after a crash, the
        # next turn starts from a fork taken at the last finished one
        self.store.update(self.session.id, dirty=1)
        self.turn = turn
        self._activity([f"── turn: {_clip(request, 70)}"])
        self.update_status()
        self.run_turn(turn)

    @work(thread=True, group="turn", exit_on_error=False)
    def run_turn(self, turn: Turn) -> None:
        """Consume the engine's events in this thread; the UI gets each one."""
        events: Any = None
        try:
            if turn.fork:
                turn.thread_id = fork_thread(turn.settings, turn.thread_id, turn.fork_from)
                self.store.update(turn.session_id, thread_id=turn.thread_id)
            events = self.source(turn.request, settings=turn.settings, thread_id=turn.thread_id)
            for event in events:
                if turn.cancel.is_set():
                    break
                self._from_thread(self._on_event, turn, event)
                if turn.cancel.is_set():
                    break
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a line in the chat
            if not turn.cancel.is_set():
                self._from_thread(self._turn_failed, turn, exc)
            return
        finally:
            if events is not None:
                try:
                    close_events(events)  # stop where it is; LangGraph finishes its checkpoint writes
                except Exception:  # noqa: BLE001
                    pass
        if turn.cancel.is_set():
            return
        checkpoint = None
        if turn.design is not None:
            try:
                checkpoint = latest_checkpoint(turn.settings, turn.thread_id)
            except Exception:  # noqa: BLE001 - only needed to fork after a later failure
                checkpoint = None
        self._from_thread(self._turn_finished, turn, checkpoint)

    async def _on_event(self, turn: Turn, event: Any) -> None:
        if turn is not self.turn or turn.state != "running":
            return
        kind = getattr(event, "kind", "")
        if kind == "token":
            if event.agent == ARCHITECT:
                turn.text.append(event.text)
                await turn.stream.write(event.text)
            elif event.agent not in turn.siblings_writing:
                turn.siblings_writing.add(event.agent)
                self._log(turn, [f"⇄ {event.agent} writing its section…"])
            return
        if kind == "deliverable":
            turn.design = event.design
            return
        self._log(turn, activity_lines(event))

    def _log(self, turn: Turn, lines: list[str]) -> None:
        turn.activity.extend(lines)
        self._activity(lines)

    async def _turn_finished(self, turn: Turn, checkpoint: str | None) -> None:
        if turn.state != "running":
            return
        design = turn.design
        if design is None:
            await self._turn_failed(turn, RuntimeError("the engine ended without a deliverable"))
            return
        turn.state = "done"
        streamed = "".join(turn.text)
        answer = concise_answer(design, self.design, with_summary=len(streamed.strip()) < LONG_STREAM)
        addition = ("\n\n" if streamed.strip() else "") + answer
        for piece in chunks(addition):
            await turn.stream.write(piece)
        await turn.stream.stop()
        turn.widget.border_subtitle = ""
        if design.sources:
            self._log(turn, [f"◆ knowledge-base sources: {', '.join(design.sources)}"])
        previous_tokens = self.design.provenance.tokens if self.design is not None else 0
        tokens = design.provenance.tokens
        turn_tokens = tokens - previous_tokens if tokens >= previous_tokens else tokens  # the thread's count is cumulative
        cost = design.provenance.cost_usd or 0.0  # this run's calls (a follow-up's own), priced from usage
        if design.provenance.cost_usd is None and design.provenance.cost_note:
            self.cost_notes[design.provenance.cost_note] = None
        self.store.add_turn(turn.session_id, turn.request, (streamed + addition).strip(), "done",
                            activity=turn.activity, design_json=design.to_json(), tokens=turn_tokens, cost_usd=cost)
        updates: dict[str, Any] = {"workflow": design.workflow, "model": model_label(turn.settings), "dirty": 0}
        if checkpoint:
            updates["checkpoint_id"] = checkpoint
        self.store.update(turn.session_id, **updates)
        if self.session is not None and self.session.id == turn.session_id:
            self.session = self.store.get(turn.session_id)
            self.session_tokens += turn_tokens
            self.session_cost += cost
            await self.show_design(design)
        self.turn = None
        self.update_status()

    async def _turn_failed(self, turn: Turn, exc: BaseException) -> None:
        if turn.state != "running":
            return
        turn.state = "failed"
        from mlarchitect.errors import MLArchitectError

        message = str(exc) if isinstance(exc, MLArchitectError) else f"{type(exc).__name__}: {exc}"
        message = " ".join(message.split()) or type(exc).__name__
        await turn.stream.stop()
        partial = "".join(turn.text).strip()
        line = f"**The design failed:** {message}"
        await turn.widget.update((partial + "\n\n" if partial else "") + line)
        turn.widget.mark("failed")
        self._log(turn, [f"✗ failed: {message}"])
        self.notify(message, title="Design failed", severity="error", timeout=8)
        self.store.add_turn(turn.session_id, turn.request, (partial + "\n\n" + line).strip(), "failed",
                            activity=turn.activity)
        self.store.update(turn.session_id, dirty=1)
        self._refresh_session(turn.session_id)
        self.turn = None
        self.update_status()

    async def action_cancel_turn(self) -> None:
        suggestions = self.query_one("#suggestions")
        if suggestions.display:
            suggestions.display = False
            return
        turn = self.turn
        if turn is None or turn.state != "running":
            return
        turn.state = "cancelled"
        turn.cancel.set()
        await turn.stream.stop()
        partial = "".join(turn.text).strip()
        marker = "*— cancelled —*"
        await turn.widget.update((partial + "\n\n" if partial else "") + marker)
        turn.widget.mark("cancelled")
        self._log(turn, ["■ cancelled"])
        self.store.add_turn(turn.session_id, turn.request, (partial + "\n\n" + marker).strip(), "cancelled",
                            activity=turn.activity)
        self.store.update(turn.session_id, dirty=1)
        self._refresh_session(turn.session_id)
        self.turn = None
        self.update_status()
        self.notify("Turn cancelled; the conversation continues from the last answer.")

    def _refresh_session(self, session_id: str) -> None:
        if self.session is not None and self.session.id == session_id:
            self.session = self.store.get(session_id)

    # -------------------------------------------------------------- deliverable
    async def show_design(self, design: ArchitectureDesign, *, record: bool = True) -> None:
        markdown = design_markdown(design)
        previous = self.versions[-1] if self.versions else None
        if record:
            self.versions.append(markdown)
        self.design = design
        texts = {**split_tabs(markdown), "diff": markdown_diff(previous, markdown)}
        for key, text in texts.items():
            await self._set_pane(key, text)

    async def _set_pane(self, key: str, text: str | None) -> None:
        """Show Markdown ``text`` in a deliverable tab (None: its placeholder)."""
        from textual.widgets import Markdown

        pane = self.query_one(f"#pane-{key}", VerticalScroll)
        found = pane.query(Markdown)
        if text is None:
            if found:
                await found.remove()
                await pane.mount(Static(_placeholder(key), classes="placeholder"))
            return
        if found:
            await found.first().update(text)
            return
        await pane.query(".placeholder").remove()
        await pane.mount(Markdown(text, id=f"md-{key}"))

    async def _clear_deliverable(self) -> None:
        self.design = None
        self.versions = []
        for key, _title in [*TABS, ("diff", "Diff")]:
            await self._set_pane(key, None)

    # ----------------------------------------------------------------- sessions
    async def _reset(self) -> None:
        await self.query_one("#conversation", VerticalScroll).remove_children()
        self.query_one("#activity", RichLog).clear()
        await self._clear_deliverable()
        self.session = None
        self.pending_request = None
        self.session_tokens = 0
        self.session_cost = 0.0
        self.cost_notes = {}

    async def new_session(self) -> None:
        if self.running:
            self.notify("A design is running: press Esc to cancel it first.", severity="warning")
            return
        await self._reset()
        await self._welcome()
        self.update_status()

    async def load_session(self, session_id: str) -> bool:
        """Rebuild a conversation from its stored turns and last deliverable."""
        info = self.store.get(session_id)
        if info is None:
            self.notify(f"No conversation with id {session_id!r}.", severity="error")
            return False
        from mlarchitect.deliverable import ArchitectureDesign

        from .messages import AnswerMessage

        await self._reset()
        self.session = info
        conversation = self.query_one("#conversation", VerticalScroll)
        designs = []
        for turn in self.store.turns(session_id):
            await conversation.mount(UserMessage(turn.request))
            await conversation.mount(AnswerMessage(turn.answer, status="" if turn.status == "done" else turn.status))
            self._activity([f"── turn {turn.seq}: {_clip(turn.request, 70)}", *turn.activity])
            self.session_tokens += turn.tokens
            self.session_cost += turn.cost_usd
            if turn.design_json:
                designs.append(ArchitectureDesign.model_validate_json(turn.design_json))
        for design in designs[-2:]:
            await self.show_design(design)
        self.versions = [design_markdown(d) for d in designs]
        if not designs:
            await self._say("_No answered turn yet in this conversation._")
        conversation.anchor()
        self.update_status()
        return True

    def session_renamed(self, session_id: str) -> None:
        self._refresh_session(session_id)
        self.update_status()

    def delete_session(self, session_id: str) -> None:
        info = self.store.get(session_id)
        if info is None:
            return
        if self.running and self.turn is not None and self.turn.session_id == session_id:
            self.notify("That conversation is running a design: cancel it first.", severity="warning")
            return
        self.store.delete(session_id)
        self._delete_checkpoints(info.thread_id)
        if self.session is not None and self.session.id == session_id:
            self.call_later(self.new_session)
        self.notify(f"Deleted “{info.title}”.")

    @work(thread=True, group="maintenance", exit_on_error=False)
    def _delete_checkpoints(self, thread_id: str) -> None:
        from .engine import delete_thread

        try:
            delete_thread(self.settings, thread_id)
        except Exception:  # noqa: BLE001 - the index entry is gone; stale checkpoints are harmless
            pass

    # ------------------------------------------------------------------ actions
    async def action_new_session(self) -> None:
        await self.new_session()

    def action_sessions(self) -> None:
        if self.running:
            self.notify("A design is running: press Esc to cancel it first.", severity="warning")
            return
        from .screens import SessionsScreen

        async def chosen(session_id: str | None) -> None:
            if session_id == "":
                await self.new_session()
            elif session_id and (self.session is None or session_id != self.session.id):
                await self.load_session(session_id)

        self.push_screen(SessionsScreen(self.store, self.session.id if self.session else None), chosen)

    def action_toggle_activity(self) -> None:
        box = self.query_one("#activity-box", Collapsible)
        box.collapsed = not box.collapsed

    def action_show_diff(self) -> None:
        self.query_one("#deliverable", TabbedContent).active = "tab-diff"

    def action_copy_deliverable(self) -> None:
        if not self.versions:
            self.notify("No deliverable to copy yet.", severity="warning")
            return
        self.copy_to_clipboard(self.versions[-1])
        self.notify("Deliverable copied to the clipboard (Markdown).")

    # ----------------------------------------------------------- slash commands
    async def run_slash(self, text: str) -> None:
        try:
            name, args = slash.parse(text)
            await getattr(self, f"_cmd_{name}")(args)
        except slash.CommandError as exc:
            await self._say(f"**{exc}**", error=True)
        except Exception as exc:  # noqa: BLE001 - a command's failure is a line in the chat
            await self._say(f"**/{text.split()[0].lstrip('/')} failed:** {exc}", error=True)
            self.notify(str(exc), severity="error")

    async def _cmd_new(self, args: list[str]) -> None:
        await self.new_session()

    async def _cmd_sessions(self, args: list[str]) -> None:
        self.action_sessions()

    async def _cmd_help(self, args: list[str]) -> None:
        await self._say(slash.help_markdown())

    async def _cmd_quit(self, args: list[str]) -> None:
        self.exit()

    async def _cmd_copy(self, args: list[str]) -> None:
        self.action_copy_deliverable()

    async def _cmd_rename(self, args: list[str]) -> None:
        if self.session is None:
            raise slash.CommandError("nothing to rename yet: send a request first")
        if not args:
            raise slash.CommandError("usage: /rename TITLE")
        self.store.rename(self.session.id, " ".join(args))
        self.session_renamed(self.session.id)
        await self._say(f"Renamed to “{self.session.title}”.")

    async def _cmd_export(self, args: list[str]) -> None:
        if len(args) != 2 or args[0] not in ("md", "json"):
            raise slash.CommandError("usage: /export md|json PATH")
        if self.design is None:
            raise slash.CommandError("no deliverable to export yet")
        from mlarchitect.tui.cli import write_output

        fmt, path = args
        text = self.versions[-1] if fmt == "md" else self.design.to_json() + "\n"
        target = Path(path).expanduser()
        write_output(text, target)
        await self._say(f"Wrote the deliverable ({fmt}) to `{target}`.")

    async def _cmd_model(self, args: list[str]) -> None:
        if len(args) != 1:
            raise slash.CommandError("usage: /model NAME (a model name, sonnet, opus, haiku or offline)")
        name = args[0]
        offline = name.lower() == "offline"
        self.settings = self.settings.model_copy(update={"model": None if offline else name, "offline": offline})
        self.update_status()
        await self._say(f"Model for the next turns: **{model_label(self.settings)}**.")

    async def _cmd_offline(self, args: list[str]) -> None:
        self.settings = self.settings.model_copy(update={"offline": not self.settings.offline})
        self.update_status()
        state = "on" if self.settings.offline else "off"
        await self._say(f"Offline engine **{state}**: the next turns use **{model_label(self.settings)}**.")

    async def _cmd_cost(self, args: list[str]) -> None:
        rows = []
        if self.session is not None:
            for turn in self.store.turns(self.session.id):
                rows.append(f"| {turn.seq} | {_clip(turn.request, 40)} | {turn.status} | {turn.tokens:,} | "
                            f"${turn.cost_usd:,.4f} |")
        table = ("| Turn | Request | Status | Tokens | Cost |\n|---|---|---|---|---|\n" + "\n".join(rows)
                 if rows else "_No turns yet._")
        text = (f"**Session cost** on {model_label(self.settings)}: {self.session_tokens:,} tokens, "
                f"${self.session_cost:,.4f} (from each call's reported usage and the pricing table; "
                f"the offline engine costs nothing).\n\n{table}")
        if self.cost_notes:
            text += "\n\nNot priced: " + "; ".join(self.cost_notes) + "."
        if self.design is not None and self.design.cost_analysis.monthly_total_usd is not None:
            text += (f"\n\nThe designed system's own estimate: "
                     f"**${self.design.cost_analysis.monthly_total_usd:,.2f}/month** (Sizing and cost tab).")
        await self._say(text)

    async def _cmd_agents(self, args: list[str]) -> None:
        self._agents_worker()

    @work(thread=True, group="command", exit_on_error=False)
    def _agents_worker(self) -> None:
        try:
            from mlarchitect.agents.agent_files import load_catalog

            catalog = load_catalog(self.settings.agents_dir)
            rows = [f"| `{a.name}` | {a.model or 'inherit'} | {'built-in' if a.builtin else 'file'} | "
                    f"{_clip(a.description, 70)} |" for a in catalog.agents.values()]
            text = "**Agents**\n\n| Agent | Model | Origin | Description |\n|---|---|---|---|\n" + "\n".join(rows)
            if catalog.problems:
                text += "\n\nSkipped files:\n" + "\n".join(f"- {p}" for p in catalog.problems)
            self._from_thread(self._say, text)
        except Exception as exc:  # noqa: BLE001
            self._from_thread(self._say, f"**/agents failed:** {exc}", error=True)

    async def _cmd_kb(self, args: list[str]) -> None:
        if not args:
            raise slash.CommandError("usage: /kb QUERY")
        self._kb_worker(" ".join(args))

    @work(thread=True, group="command", exit_on_error=False)
    def _kb_worker(self, query: str) -> None:
        try:
            kb = self._kb
            if kb is None:
                from mlarchitect.knowledge.base import knowledge_base_for

                kb = knowledge_base_for(self.settings)
                kb.ensure_built()
                self._kb = kb
            hits = kb.search(query, k=5)
            lines = [f"**Knowledge base:** {len(hits)} result(s) for “{query}”", ""]
            for hit in hits:
                excerpt = _clip(" ".join(hit.chunk.split()), 220)
                lines += [f"- **{hit.title}** (`{hit.doc_id}`)", f"  {excerpt}"]
            self._from_thread(self._say, "\n".join(lines))
        except Exception as exc:  # noqa: BLE001
            self._from_thread(self._say, f"**/kb failed:** {exc}", error=True)

    def on_unmount(self) -> None:
        if self._store is not None:
            self._store.close()


def _palette_provider() -> type:
    from .palette import SlashCommandProvider

    return SlashCommandProvider


def _clip(text: str, limit: int) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _placeholder(key: str) -> str:
    if key == "diff":
        return "After a follow-up turn, the changes to the deliverable show here."
    if key == "overview":
        return "The deliverable shows here after the first turn."
    return ""
