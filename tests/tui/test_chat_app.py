"""The chat driven through Pilot: real flows on the offline engine and on scripted sources."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Markdown, RichLog, TabbedContent

from mlarchitect.config import Settings
from mlarchitect.deliverable import Provenance
from mlarchitect.errors import ModelError
from mlarchitect.tui.chat.app import ChatApp
from mlarchitect.tui.chat.messages import AnswerMessage, SystemMessage
from mlarchitect.tui.chat.widgets import ChatInput, UserMessage

from .chat_support import ScriptedSource, finish, fixed_design, frozen_clock, until

pytestmark = pytest.mark.asyncio
SIZE = (140, 40)


def make_app(settings: Settings, source: Any = None, **kwargs: Any) -> ChatApp:
    return ChatApp(settings, source=source, clock=frozen_clock, warm_up=False, kb_label="test",
                   ask_questions=kwargs.pop("ask_questions", False), **kwargs)


async def send(pilot: Any, text: str) -> None:
    chat_input = pilot.app.query_one(ChatInput)
    chat_input.load_text(text)
    chat_input.focus()
    await pilot.press("enter")


def md(app: ChatApp, key: str) -> str:
    """A deliverable tab's Markdown (or its placeholder before the first deliverable)."""
    pane = app.query_one(f"#pane-{key}")
    found = pane.query(Markdown)
    return found.first().source if found else str(pane.query_one(".placeholder").render())


def answers(app: ChatApp) -> list[AnswerMessage]:
    return list(app.query(AnswerMessage))


def activity(app: ChatApp) -> str:
    return "\n".join(line.text for line in app.query_one("#activity", RichLog).lines)


def system_text(app: ChatApp) -> str:
    return "\n\n".join(m.source for m in app.query(SystemMessage))


async def test_offline_turn_streams_and_fills_the_tabs(settings: Settings) -> None:
    app = make_app(settings)  # the real engine (offline: no key in the test environment)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Design model serving for a fraud classifier at 200 requests per second, p95 under 100 ms")
        await finish(pilot)
        assert not app.running
        [answer] = answers(app)
        assert not answer.has_class("failed"), answer.source
        assert "Key figures" in answer.source and "Replicas" in answer.source
        assert "Replicas" in md(app, "sizing") and "Cost analysis" in md(app, "sizing")
        assert md(app, "components").strip() and "```mermaid" in md(app, "diagram")
        assert "nothing to compare" in md(app, "diff")
        log = activity(app)
        assert "▸ workflow model_serving" in log and "→ " in log and "✓ " in log
        [info] = app.store.all()
        assert info.workflow == "model_serving" and info.turns == 1 and info.checkpoint_id
        [turn] = app.store.turns(info.id)
        assert turn.status == "done" and json.loads(turn.design_json)["workflow"] == "model_serving"


async def test_follow_up_turn_changes_the_design(settings: Settings) -> None:
    app = make_app(settings)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Design model serving for a fraud classifier at 200 requests per second, p95 under 100 ms")
        await finish(pilot)
        first = app.design
        await send(pilot, "We now expect 2,000 requests per second.")
        await finish(pilot)
        second = app.design
        assert first is not None and second is not None and second is not first
        assert len(answers(app)) == 2 and app.store.all()[0].turns == 2
        def replicas(d):  # noqa: ANN001, ANN202
            return next(c.value for c in d.sizing if c.name == "Replicas")

        assert replicas(second) > replicas(first)
        assert second.revision == 2 and any("2,000" in c for c in second.changes)
        assert "What changed" in answers(app)[1].source and "Replicas" in answers(app)[1].source
        assert "-| Replicas" in md(app, "diff")


async def test_follow_up_turn_diff_with_scripted_engine(settings: Settings) -> None:
    source = ScriptedSource(designs=[fixed_design(replicas=5), fixed_design(replicas=40)])
    app = make_app(settings, source)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Serve a fraud model at 200 requests per second")
        await finish(pilot)
        await send(pilot, "We now expect 2,000 requests per second")
        await finish(pilot)
        assert [c[1] for c in source.calls] == [app.session.thread_id] * 2  # same thread: a follow-up
        second = answers(app)[1].source
        assert "What changed" in second and "5 replicas → **40 replicas**" in second
        assert "-| Replicas | 5 replicas" in md(app, "diff") and "+| Replicas | 40 replicas" in md(app, "diff")
        await pilot.press("f4")
        assert app.query_one("#deliverable", TabbedContent).active == "tab-diff"


async def test_cost_comes_from_each_turns_priced_usage(settings: Settings) -> None:
    priced, unpriced = fixed_design(replicas=5), fixed_design(replicas=40)
    priced.provenance = Provenance(model="gpt-5-mini", offline=False, prompt_version="t", kb_version="t",
                                   tokens=3000, cost_usd=0.0125)
    unpriced.provenance = Provenance(model="my-local", offline=False, prompt_version="t", kb_version="t",
                                     tokens=5000, cost_usd=None, cost_note="no price for model my-local")
    app = make_app(settings, ScriptedSource(designs=[priced, unpriced]))
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Serve a fraud model at 200 requests per second")
        await finish(pilot)
        await send(pilot, "We now expect 2,000 requests per second")
        await finish(pilot)
        assert app.session_cost == pytest.approx(0.0125)  # the unpriced turn adds nothing, no guess
        await send(pilot, "/cost")
        text = system_text(app)
        assert "$0.0125" in text and "Not priced: no price for model my-local" in text


async def test_resume_rebuilds_the_conversation(settings: Settings) -> None:
    source = ScriptedSource(designs=[fixed_design(replicas=5), fixed_design(replicas=40)])
    app = make_app(settings, source)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Serve a fraud model at 200 requests per second")
        await finish(pilot)
        await send(pilot, "We now expect 2,000 requests per second")
        await finish(pilot)
        session_id = app.session.id
        before = [a.source.strip() for a in answers(app)]
    resumed = make_app(settings, ScriptedSource(), session_id=session_id)  # a new app, the same data dir
    async with resumed.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert [m.render().plain for m in resumed.query(UserMessage)] == [
            "Serve a fraud model at 200 requests per second", "We now expect 2,000 requests per second"]
        assert [a.source.strip() for a in answers(resumed)] == before
        assert "40 replicas" in md(resumed, "sizing")
        assert "+| Replicas | 40 replicas" in md(resumed, "diff")
        assert "serving_size_replicas" in activity(resumed)
        assert resumed.session is not None and resumed.session.id == session_id


async def test_unknown_session_id_starts_a_new_conversation(settings: Settings) -> None:
    app = make_app(settings, ScriptedSource(), session_id="nope")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.session is None
        assert any("nope" in n.message for n in app._notifications)


async def test_escape_cancels_a_running_turn(settings: Settings) -> None:
    gate = threading.Event()
    source = ScriptedSource(gate=gate)
    app = make_app(settings, source)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Serve a fraud model at 200 requests per second")
        await until(pilot, lambda: app.turn is not None and app.turn.text)  # the source now waits on the gate
        assert app.running
        await pilot.press("escape")
        assert not app.running
        [answer] = answers(app)
        assert answer.has_class("cancelled") and "Sizing the replicas." in answer.source
        assert "cancelled" in answer.source
        gate.set()  # the source wakes up; its remaining events are not consumed
        await finish(pilot)
        assert source.closed == 1
        assert app.design is None and "first turn" in md(app, "overview")
        [turn] = app.store.turns(app.session.id)
        assert turn.status == "cancelled"
        assert app.store.get(app.session.id).dirty
        # the next turn runs on a fork of the thread (the cancelled run is left behind)
        old_thread = app.session.thread_id
        source.gate = None
        await send(pilot, "Serve a fraud model at 200 requests per second")
        await finish(pilot)
        assert source.calls[-1][1] != old_thread and app.design is not None
        assert not app.store.get(app.session.id).dirty


@pytest.mark.parametrize("error, shown", [
    (ModelError("the model gpt-x failed: HTTP 500"), "the model gpt-x failed: HTTP 500"),
    (RuntimeError("boom"), "RuntimeError: boom"),
])
async def test_engine_errors_become_a_line_and_a_notification(settings: Settings, error: Exception,
                                                              shown: str) -> None:
    app = make_app(settings, ScriptedSource(error=error))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await send(pilot, "Serve a fraud model at 200 requests per second")
        await finish(pilot)
        [answer] = answers(app)
        assert answer.has_class("failed") and shown in answer.source
        assert any(shown in n.message for n in app._notifications)
        assert not app.running and app.store.turns(app.session.id)[0].status == "failed"
        assert app.return_code is None  # still running, no traceback


async def test_input_keys_history_and_newlines(settings: Settings) -> None:
    app = make_app(settings, ScriptedSource())
    async with app.run_test(size=SIZE) as pilot:
        chat_input = app.query_one(ChatInput)
        chat_input.focus()
        await pilot.press("a", "ctrl+j", "b")
        assert chat_input.text == "a\nb"
        await pilot.press("shift+enter", "c")
        assert chat_input.text == "a\nb\nc"
        await pilot.press("enter")
        await finish(pilot)
        assert chat_input.text == "" and app.query(UserMessage).last().render().plain == "a\nb\nc"
        await pilot.press("up")
        assert chat_input.text == "a\nb\nc"
        assert chat_input.cursor_location == (0, 1)  # a recalled entry puts the cursor on its first line
        await pilot.press("down", "down")  # moves within the entry
        assert chat_input.text == "a\nb\nc"
        await pilot.press("down")  # on the last line: back to the (empty) draft
        assert chat_input.text == ""
        await pilot.press("/", "e", "x", "tab")
        assert chat_input.text == "/export "
        assert app.query_one("#suggestions").display


async def test_paste_is_kept_whole(settings: Settings) -> None:
    from textual import events

    app = make_app(settings, ScriptedSource())
    async with app.run_test(size=SIZE) as pilot:
        chat_input = app.query_one(ChatInput)
        chat_input.focus()
        app.post_message(events.Paste("line one\nline two\n\nline four"))  # as the terminal driver does
        await until(pilot, lambda: chat_input.text == "line one\nline two\n\nline four")
        assert not app.query(UserMessage)  # a paste never sends


async def test_slash_commands(settings: Settings, tmp_path: Path) -> None:
    app = make_app(settings, ScriptedSource())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await send(pilot, "/help")
        assert "/export md|json PATH" in system_text(app)
        await send(pilot, "/export md out.md")
        assert "no deliverable to export yet" in system_text(app)
        await send(pilot, "/bogus")
        assert "unknown command /bogus" in system_text(app)
        await send(pilot, "Serve a fraud model at 200 requests per second")
        await finish(pilot)

        await send(pilot, f"/export md {tmp_path / 'd.md'}")
        await send(pilot, f"/export json {tmp_path / 'd.json'}")
        assert (tmp_path / "d.md").read_text().startswith("# Fraud model serving")
        assert json.loads((tmp_path / "d.json").read_text())["workflow"] == "model_serving"
        await send(pilot, f"/export md {tmp_path / 'missing' / 'd.md'}")
        assert "output directory does not exist" in system_text(app)

        await send(pilot, "/model opus")
        assert "Model for the next turns" in system_text(app) and app.settings.model == "opus"
        await send(pilot, "/offline")
        assert app.settings.offline and "offline" in str(app.query_one("#status").render())
        await send(pilot, "/offline")
        assert not app.settings.offline

        await send(pilot, "/cost")
        assert "Session cost" in system_text(app) and "| 1 |" in system_text(app)
        await send(pilot, "/rename Fraud serving")
        assert app.store.get(app.session.id).title == "Fraud serving" and app.sub_title == "Fraud serving"

        await send(pilot, "/copy")
        assert app.clipboard.startswith("# Fraud model serving")

        await send(pilot, "/agents")
        await finish(pilot)
        assert "ml-system-architect" in system_text(app)
        await send(pilot, "/kb hybrid search")
        await finish(pilot)
        assert "Knowledge base:" in system_text(app) and "result(s)" in system_text(app)

        await send(pilot, "/sessions")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "SessionsScreen"
        await pilot.press("escape")
        await send(pilot, "/new")
        assert app.session is None and not answers(app)
        await send(pilot, "/quit")
        await pilot.pause()
    assert app.return_code == 0


async def test_sessions_screen_resume_rename_delete(settings: Settings) -> None:
    app = make_app(settings, ScriptedSource())
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "First conversation about serving")
        await finish(pilot)
        first = app.session.id
        await send(pilot, "/new")
        await send(pilot, "Second conversation about serving")
        await finish(pilot)
        second = app.session.id
        await pilot.press("f2")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "SessionsScreen"
        await pilot.press("down", "enter")  # newest first, the cursor on the current one: down is the first
        await pilot.pause()
        assert app.session.id == first and "First conversation" in app.query(UserMessage).first().render().plain

        await pilot.press("f2")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        for _ in range(40):
            await pilot.press("backspace")
        await pilot.press(*"Renamed", "enter")
        await pilot.pause()
        assert app.store.get(app.session.id).title == "Renamed"  # the cursor was on the current one
        await pilot.press("d")
        await pilot.pause()
        await pilot.press("y")
        await finish(pilot)
        assert [s.id for s in app.store.all()] == [second]
        assert app.session is None and not app.query(UserMessage)  # the open conversation was deleted
        await pilot.press("escape")


async def test_command_palette_lists_the_slash_commands(settings: Settings) -> None:
    app = make_app(settings, ScriptedSource())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"export")
        await until(pilot, lambda: "/export" in _palette_text(app))
        await pilot.press("enter")
        await pilot.pause()
        assert app.query_one(ChatInput).text == "/export "


def _palette_text(app: ChatApp) -> str:
    from textual.command import CommandList

    try:
        options = app.screen.query_one(CommandList)
    except Exception:  # noqa: BLE001
        return ""
    return "\n".join(str(options.get_option_at_index(i).prompt) for i in range(options.option_count))


async def test_questions_before_an_open_first_request(settings: Settings) -> None:
    source = ScriptedSource()
    app = make_app(settings, source, ask_questions=True)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "A chatbot over our wiki")
        await pilot.pause()
        [questions] = answers(app)
        assert "What scale" in questions.source and "monthly budget" in questions.source
        assert source.calls == [] and app.session is None  # nothing designed yet
        await send(pilot, "50 requests per second, $500 a month, on AWS")
        await finish(pilot)
        assert source.calls[0][0] == ("A chatbot over our wiki\n\nAnswers to the architect's questions: "
                                      "50 requests per second, $500 a month, on AWS")
        assert app.design is not None and app.session.title == "A chatbot over our wiki"
        await send(pilot, "Now 100 requests per second")  # later turns are never questioned
        await finish(pilot)
        assert len(source.calls) == 2


async def test_a_turn_interrupted_by_a_crash_is_forked_on_resume(settings: Settings) -> None:
    gate = threading.Event()
    source = ScriptedSource(gate=gate)
    app = make_app(settings, source)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Serve a fraud model at 200 requests per second")
        await until(pilot, lambda: app.turn is not None and app.turn.text)
        session_id, thread_id = app.session.id, app.session.thread_id
        assert app.store.get(session_id).dirty  # what a crash at this point would leave behind
        app.turn.cancel.set()  # stand-in for the crash: the turn never finishes
        gate.set()
        await finish(pilot)
    assert app.store.turns(session_id) == []
    source = ScriptedSource()
    resumed = make_app(settings, source, session_id=session_id)
    async with resumed.run_test(size=SIZE) as pilot:
        await send(pilot, "Serve a fraud model at 200 requests per second")
        await finish(pilot)
        assert source.calls[0][1] != thread_id and resumed.design is not None
        assert not resumed.store.get(session_id).dirty


class GatedEngine:
    """The real engine; on call number ``gated`` it stops after routing until the gate opens."""

    def __init__(self, gated: int) -> None:
        from mlarchitect.tui.chat.engine import engine_events

        self.events = engine_events
        self.gated = gated
        self.gate = threading.Event()
        self.threads: list[str] = []

    def __call__(self, request: str, *, settings: Settings, thread_id: str) -> Any:
        self.threads.append(thread_id)
        number = len(self.threads)
        events = self.events(request, settings=settings, thread_id=thread_id)
        for event in events:
            yield event
            if number == self.gated and getattr(event, "kind", "") == "route":
                self.gate.wait(timeout=60)


async def test_after_a_cancelled_follow_up_the_conversation_goes_on(settings: Settings) -> None:
    engine = GatedEngine(gated=2)
    app = make_app(settings, engine)
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "Design model serving for a fraud classifier at 200 requests per second, p95 under 100 ms")
        await finish(pilot)
        await send(pilot, "We now expect 2,000 requests per second.")
        await until(pilot, lambda: app.turn is not None and any("▸ workflow" in x for x in app.turn.activity))
        await pilot.press("escape")  # the checkpointer now holds an unfinished run on this thread
        engine.gate.set()
        await finish(pilot)
        await send(pilot, "Keep the p95 under 50 ms.")
        await finish(pilot)
        third = answers(app)[2]
        assert not third.has_class("failed"), third.source
        assert engine.threads[2] != engine.threads[0] and app.design is not None
        assert [t.status for t in app.store.turns(app.session.id)] == ["done", "cancelled", "done"]
