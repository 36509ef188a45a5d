"""The chat's pure parts: session index, answer and diff, slash commands, activity lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlarchitect.events import HandoffUpdate, Note, Routed, ToolCalled, ToolFinished
from mlarchitect.tui.chat import commands
from mlarchitect.tui.chat.activity import activity_lines
from mlarchitect.tui.chat.answer import TABS, changes, concise_answer, design_markdown, markdown_diff, split_tabs
from mlarchitect.tui.chat.sessions import SessionStore

from .chat_support import fixed_design, frozen_clock


def test_session_store_round_trip(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "sessions.sqlite", clock=frozen_clock)
    info = store.create("Design   a RAG chatbot\nover wiki pages", model="offline")
    assert info.title == "Design a RAG chatbot over wiki pages"
    assert info.thread_id == info.id and info.created == "2026-01-02 03:04"
    store.add_turn(info.id, "first", "answer 1", "done", activity=["a"], design_json="{}", tokens=10, cost_usd=0.5)
    store.add_turn(info.id, "second", "partial", "cancelled")
    store.update(info.id, workflow="rag_system", dirty=1, checkpoint_id="cp1")
    store.rename(info.id, "Wiki bot")
    again = SessionStore(tmp_path / "sessions.sqlite").get(info.id)  # another connection sees it all
    assert again is not None
    assert (again.title, again.workflow, again.dirty, again.checkpoint_id, again.turns) == (
        "Wiki bot", "rag_system", True, "cp1", 2)
    turns = store.turns(info.id)
    assert [(t.seq, t.request, t.status) for t in turns] == [(1, "first", "done"), (2, "second", "cancelled")]
    assert turns[0].activity == ["a"] and turns[0].tokens == 10
    mode = store._run("PRAGMA journal_mode")[0][0]
    assert mode == "wal"
    store.delete(info.id)
    assert store.get(info.id) is None and store.turns(info.id) == [] and store.all() == []


def test_tabs_cover_the_deliverable() -> None:
    design = fixed_design()
    tabs = split_tabs(design_markdown(design))
    assert [k for k, _ in TABS] == list(tabs)
    assert "Inference API" in tabs["components"]
    assert "```mermaid" in tabs["diagram"] and "flowchart LR" in tabs["diagram"]
    assert "Replicas" in tabs["sizing"] and "Cost analysis" in tabs["sizing"]
    assert "Traffic spikes" in tabs["risks"]
    assert "No sibling agents" in tabs["handoffs"]
    assert "Online inference" in tabs["overview"]
    assert " s*" not in tabs["overview"]  # no duration in the tabs


def test_changes_and_diff_between_versions() -> None:
    before, after = fixed_design(replicas=5), fixed_design(replicas=40)
    lines = changes(before, after)
    assert "- Replicas: 5 replicas → **40 replicas**" in lines
    assert "- Monthly cost: $300.00 → **$2,400.00**" in lines
    diff = markdown_diff(design_markdown(before), design_markdown(after))
    assert diff.startswith("```diff") and "-| Replicas | 5 replicas" in diff and "+| Replicas | 40 replicas" in diff
    assert "nothing to compare" in markdown_diff(None, "x")
    assert "No change" in markdown_diff("same", "same")
    answer = concise_answer(after, before)
    assert "What changed" in answer and "Key figures" in answer and after.summary in answer
    assert "What changed" not in concise_answer(after)


def test_slash_command_parsing_and_completion() -> None:
    assert commands.parse("/export md 'my file.md'") == ("export", ["md", "my file.md"])
    with pytest.raises(commands.CommandError, match="unknown command /expo"):
        commands.parse("/expo")
    assert commands.complete("/ex") == "/export "
    assert commands.complete("/se") == "/sessions"
    assert commands.complete("/c") == "/co" and commands.complete("/co") is None  # /copy, /cost
    assert [c.name for c in commands.matches("/c")] == ["cost", "copy"]
    assert commands.matches("hello") == [] and commands.matches("/help me") == []
    assert [c.name for c in commands.matches("/kb query")] == ["kb"]  # the usage line while typing arguments
    assert commands.complete("/kb query") is None
    assert all(f"/{c.name}" in commands.help_markdown() for c in commands.COMMANDS)


def test_activity_lines_from_events() -> None:
    assert activity_lines(Routed(workflow="rag_system", skills=["rag-design"], secondary=["model_serving"])) == [
        "▸ workflow rag_system (+ model_serving)", "  skills: rag-design"]
    assert activity_lines(ToolCalled(tool="rag_size_index", args={"documents": 30000, "unit": "pages"})) == [
        "→ rag_size_index(documents=30000, unit=pages)"]
    assert activity_lines(ToolFinished(tool="kb", summary="3 patterns", sources=["a", "b"])) == [
        "  ✓ kb: 3 patterns", "    sources: a, b"]
    assert activity_lines(HandoffUpdate(agent="x", target="llm-evaluator", status="completed", message="done")) == [
        "⇄ llm-evaluator completed: done"]
    assert activity_lines(Note(message="fallback")) == ["! fallback"]


def test_the_chat_imports_no_engine_before_its_first_frame() -> None:
    import subprocess
    import sys

    code = ("import sys, mlarchitect.tui.chat.command, mlarchitect.tui.chat.app; "
            "print(sorted(m for m in ('langgraph', 'langchain_core', 'chromadb', 'model2vec', 'markdown_it', 'pydantic_settings') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_chat_command_is_registered_lazily() -> None:
    from click.testing import CliRunner

    from mlarchitect.tui.cli import cli

    result = CliRunner().invoke(cli, ["--help"])
    assert "chat" in result.output and "interactive terminal chat" in result.output
    result = CliRunner().invoke(cli, ["chat", "--help"])
    assert result.exit_code == 0 and "--session" in result.output and "--offline" in result.output


def test_questions_only_for_what_the_first_request_leaves_open() -> None:
    from mlarchitect.tui.chat.clarify import combine, open_points, questions_markdown

    assert open_points("A chatbot over our wiki") == ["scale", "budget", "deployment"]
    assert open_points("Serve a fraud model at 200 requests per second on AWS, budget $2,000 a month") == []
    assert open_points("A RAG system over 30,000 Confluence pages on-prem") == ["budget"]
    text = questions_markdown(["scale", "budget"])
    assert "1. What scale" in text and "2. Is there a monthly budget" in text and "skip" in text
    assert combine("A chatbot", "skip") == "A chatbot"
    assert combine("A chatbot", "50 rps, $500/month, GCP") == (
        "A chatbot\n\nAnswers to the architect's questions: 50 rps, $500/month, GCP")


def test_close_events_closes_the_innermost_generator_first() -> None:
    from mlarchitect.tui.chat.engine import close_events

    closed: list[str] = []

    def leaf():
        try:
            yield 1
            yield 2
        finally:
            closed.append("leaf")

    def middle():
        stream = leaf()  # held in a local, like stream_design holds LangGraph's stream
        try:
            for x in stream:
                yield x
        finally:
            closed.append("middle")

    def outer():
        try:
            yield from middle()
        finally:
            closed.append("outer")

    events = outer()
    assert next(events) == 1
    close_events(events)
    assert closed == ["leaf", "middle", "outer"]
