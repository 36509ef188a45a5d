"""One agent loop for every agent: the architect and a sibling get the same repair of
malformed tool calls and the same step limit; the fallback survives a resume."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from scripted_model import ScriptedChatModel, contribution, final_structured, tool_call

from mlarchitect.agents.api import build_runtime, checkpointer, design
from mlarchitect.agents.graph import build_graph
from mlarchitect.config import Settings

SIBLING = "llm-app-engineer"


def _malformed(_: list[BaseMessage]) -> AIMessage:
    return AIMessage(content="", invalid_tool_calls=[{"name": "rag_size_index", "args": '{"documents": 10',
                                                      "id": "bad-1", "error": "truncated JSON",
                                                      "type": "invalid_tool_call"}])


def _forever() -> Any:
    counter = itertools.count()

    def call(_: list[BaseMessage]) -> AIMessage:
        return AIMessage(content="", tool_calls=[tool_call("rag_size_index", {"documents": 1000, "unit": "pages"},
                                                           f"c{next(counter)}")])

    return call


def _run(agent: str, tmp_path: Path, kb_dir: Path) -> tuple[Any, ScriptedChatModel, int]:
    """A design in which ``agent`` first sends malformed tool-call arguments, then calls a
    tool on every turn; returns (design, that agent's model, its step limit)."""
    settings = Settings(data_dir=tmp_path, kb_dir=kb_dir, max_steps=4)
    forever = _forever()
    if agent == "architect":
        model = ScriptedChatModel(script=[_malformed, forever, forever, forever, forever, final_structured])
        result = design("Design a RAG system over 1,000 pages", settings=settings, chat_model=model)
        return result, model, settings.max_steps
    sibling = ScriptedChatModel(script=[_malformed, forever, forever, contribution("Implementation Plan", "Code it.")])
    architect = ScriptedChatModel(script=[
        AIMessage(content="", tool_calls=[tool_call(f"transfer_to_{SIBLING.replace('-', '_')}",
                                                    {"reason": "code it", "question": "implementation plan"}, "h")]),
        AIMessage(content="done"),
        final_structured,
    ])
    result = design("Design a RAG system over 1,000 pages and write the code", settings=settings,
                    chat_model=architect, sibling_models={SIBLING: sibling})
    return result, sibling, max(1, settings.max_steps // 2)


@pytest.mark.parametrize("agent", ["architect", SIBLING])
def test_every_agent_gets_the_same_repair_and_step_limit(agent: str, tmp_path: Path, shared_kb_dir: Path) -> None:
    result, model, limit = _run(agent, tmp_path, shared_kb_dir)
    # the malformed call went back as a tool error (every id answered) for one correction
    repair = model.seen[1]
    errors = [m for m in repair if isinstance(m, ToolMessage) and m.tool_call_id == "bad-1"]
    assert errors and errors[0].status == "error" and "not valid JSON" in str(errors[0].content)
    assert any("sent malformed tool-call arguments" in n and agent in n for n in result.notes)
    # the tool loop stopped at the agent's step limit, with a note, and the run completed
    assert any(f"stopped at the step limit ({limit} tool rounds)" in n for n in result.notes)
    assert result.summary == "A scripted design."
    if agent == SIBLING:
        [handoff] = result.handoffs
        assert handoff.status == "completed" and "Code it." in handoff.contribution


def test_a_resumed_run_stays_on_the_offline_engine_after_a_fallback(settings: Settings) -> None:
    failing = ScriptedChatModel(script=[RuntimeError("HTTP 500 from provider")])
    runtime = build_runtime(settings, lambda e: None, chat_model=failing)
    config = {"configurable": {"thread_id": "fb-1"}}
    with checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(runtime, saver, interrupt_before=["assemble"])
        graph.invoke({"request": "Design experiment tracking for fine-tuning runs"}, config)
        assert runtime.fell_back and graph.get_state(config).values["fallback_used"] is True
    healthy = ScriptedChatModel(script=[final_structured])
    resumed = design(None, settings=settings, thread_id="fb-1", chat_model=healthy)  # a new process: a new runtime
    assert healthy.calls == 0  # the restored fallback keeps the architect offline
    assert resumed.provenance.model == "offline" and resumed.provenance.fallback_used
    assert any(f.agent == "ml-system-architect" for f in resumed.provenance.fallbacks)
