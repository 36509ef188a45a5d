"""The graph with scripted fake chat models: tool calling, structured output,
step limits, unknown tools, fallback, checkpoint resume."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from scripted_model import ScriptedChatModel, final_structured, tool_call

from mlarchitect.agents.api import build_runtime, checkpointer, design
from mlarchitect.agents.graph import build_graph
from mlarchitect.config import Settings
from mlarchitect.errors import ModelError

def test_tool_calls_then_structured_output(settings: Settings) -> None:
    model = ScriptedChatModel(script=[
        AIMessage(content="", tool_calls=[tool_call("rag_size_index", {"documents": 1000, "unit": "pages"}, "a"),
                                          tool_call("rag_search_patterns", {"query": "hybrid search"}, "b")],
                  usage_metadata={"input_tokens": 100, "output_tokens": 10, "total_tokens": 110}),
        AIMessage(content="ready", usage_metadata={"input_tokens": 10, "output_tokens": 1, "total_tokens": 11}),
        final_structured,
    ])
    result = design("Design a RAG system over 1,000 pages", settings=settings, chat_model=model)
    assert result.summary == "A scripted design."
    assert result.skills_used == ["rag-design"]
    assert any(c.name == "Chunks" for c in result.sizing)  # tool figures are kept even if the model drops them
    assert result.sources  # the search returned real knowledge-base documents
    assert result.provenance.tokens == 110 + 11 + 70
    assert result.provenance.llm_calls == 3 and not result.provenance.offline
    # the second architect turn saw both tool results, answered in order
    tool_messages = [m for m in model.seen[1] if isinstance(m, ToolMessage)]
    assert [m.tool_call_id for m in tool_messages] == ["a", "b"]


def test_step_limit_stops_a_tool_loop_with_a_note(tmp_path: Any, shared_kb_dir: Any) -> None:
    counter = itertools.count()

    def forever(_: list[BaseMessage]) -> AIMessage:
        return AIMessage(content="", tool_calls=[tool_call("obs_plan_monitoring", {"workflow": "general"}, f"c{next(counter)}")])

    model = ScriptedChatModel(script=[forever] * 3 + [final_structured])
    settings = Settings(data_dir=tmp_path, kb_dir=shared_kb_dir, max_steps=3)
    result = design("Design model serving for our API", settings=settings, chat_model=model)
    assert any("step limit (3" in n for n in result.notes)
    assert result.summary == "A scripted design."


def test_unknown_tool_gets_an_error_result_and_the_run_completes(settings: Settings) -> None:
    model = ScriptedChatModel(script=[
        AIMessage(content="", tool_calls=[tool_call("no_such_tool", {}, "x")]),
        AIMessage(content="ok"),
        final_structured,
    ])
    result = design("Design model serving", settings=settings, chat_model=model)
    errors = [m for m in model.seen[1] if isinstance(m, ToolMessage) and m.status == "error"]
    assert errors and "no_such_tool" in str(errors[0].content)
    assert result.summary == "A scripted design."


def test_model_failure_falls_back_to_the_offline_engine(settings: Settings) -> None:
    model = ScriptedChatModel(script=[RuntimeError("HTTP 500 from provider")])
    result = design("Design experiment tracking for fine-tuning runs", settings=settings, chat_model=model)
    assert result.provenance.fallback_used and result.provenance.offline
    assert any("HTTP 500" in n for n in result.notes)
    assert result.workflow == "experiment_tracking" and result.steps


def test_model_failure_without_fallback_is_a_one_line_model_error(tmp_path: Any, shared_kb_dir: Any) -> None:
    settings = Settings(data_dir=tmp_path, kb_dir=shared_kb_dir, fallback_to_offline=False)
    model = ScriptedChatModel(script=[RuntimeError("connection refused")])
    with pytest.raises(ModelError, match="connection refused"):
        design("Design experiment tracking", settings=settings, chat_model=model)


def test_interrupted_run_resumes_by_thread_id(settings: Settings) -> None:
    runtime = build_runtime(settings, lambda e: None)
    config = {"configurable": {"thread_id": "t-1"}}
    with checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(runtime, saver, interrupt_before=["assemble"])
        graph.invoke({"request": "Design a data pipeline for customer events"}, config)
        assert graph.get_state(config).next == ("assemble",)
    resumed = design(None, settings=settings, thread_id="t-1")  # a new process would do the same
    assert resumed.workflow == "data_pipeline"
    again = design(None, settings=settings, thread_id="t-1")  # finished: returned as stored
    assert again.summary == resumed.summary
