"""The public embedding API (``mlarchitect.api``): sync and async designs, the event
stream, the architect as a LangGraph subgraph and as a LangChain tool."""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode, tools_condition
from typing_extensions import TypedDict

import mlarchitect.agents.api as core
from mlarchitect import api
from mlarchitect.config import Settings
from mlarchitect.deliverable import ArchitectureDesign
from mlarchitect.errors import InputError
from mlarchitect.events import DeliverableReady, HandoffUpdate, Routed, StepStarted, ToolCalled, ToolFinished

HANDOFF_REQUEST = "Design a RAG system and write the code in Python"
REQUESTS = {
    "A RAG chatbot over 30,000 Confluence pages, p95 under 2 s": "rag_system",
    "Serve a 7B model at 200 requests per second with p95 latency under 500 ms": "model_serving",
    "Set up experiment tracking for 5 researchers fine-tuning models": "experiment_tracking",
    "Set up an evaluation framework with LLM-as-judge and A/B tests": "evaluation_system",
}


def test_the_public_names() -> None:
    assert api.design is core.design and api.stream_design is core.stream_design
    assert set(api.__all__) >= {"design", "stream_design", "adesign", "astream_design", "create_architect",
                                "architect_tool"}


def test_stream_design_events_come_in_order(settings: Settings) -> None:
    events = list(api.stream_design(HANDOFF_REQUEST, settings=settings))
    kinds = [e.kind for e in events]
    first = {kind: kinds.index(kind) for kind in reversed(kinds)}
    assert isinstance(events[0], StepStarted) or events[0].kind == "note"
    assert first["step"] < first["route"] < first["tool_call"] < first["tool_result"]
    routed = next(e for e in events if isinstance(e, Routed))
    assert routed.workflow == "rag_system" and "rag-design" in routed.skills
    # every tool result answers a call made before it
    calls = [i for i, e in enumerate(events) if isinstance(e, ToolCalled)]
    for i, event in enumerate(events):
        if isinstance(event, ToolFinished) and event.call_id:
            assert any(events[j].call_id == event.call_id for j in calls if j < i)
    handoffs = [(e.target, e.status) for e in events if isinstance(e, HandoffUpdate)]
    assert handoffs.index(("llm-app-engineer", "started")) < handoffs.index(("llm-app-engineer", "completed"))
    assert [e.step for e in events if isinstance(e, StepStarted)][-1] == "assemble"
    assert kinds.count("deliverable") == 1 and isinstance(events[-1], DeliverableReady)
    assert events[-1].design.handoffs[0].agent == "llm-app-engineer"


def test_four_concurrent_adesign_calls(settings: Settings) -> None:
    async def main() -> list[ArchitectureDesign]:
        return list(await asyncio.gather(*(api.adesign(r, settings=settings) for r in REQUESTS)))

    results = asyncio.run(main())
    assert [r.workflow for r in results] == list(REQUESTS.values())
    assert all(r.components and r.request == q for r, q in zip(results, REQUESTS, strict=True))
    assert len({r.provenance.thread_id for r in results}) == len(REQUESTS)


def test_astream_design_yields_the_sync_stream_and_adesign_calls_back(settings: Settings) -> None:
    settings = settings.model_copy(update={"cache": False})  # three runs of one request, each designed
    seen: list[Any] = []

    async def on_event(event: Any) -> None:  # a coroutine callback is awaited
        seen.append(event)

    async def main() -> tuple[list[Any], ArchitectureDesign]:
        events = [e async for e in api.astream_design(HANDOFF_REQUEST, settings=settings)]
        return events, await api.adesign(HANDOFF_REQUEST, settings=settings, on_event=on_event)

    events, result = asyncio.run(main())
    sync = list(api.stream_design(HANDOFF_REQUEST, settings=settings))
    assert [e.kind for e in events] == [e.kind for e in sync] == [e.kind for e in seen]
    assert seen[-1].design == result and result.workflow == "rag_system"


def test_adesign_raises_input_errors_in_the_caller(settings: Settings) -> None:
    with pytest.raises(InputError, match="empty"):
        asyncio.run(api.adesign("   ", settings=settings))
    with pytest.raises(InputError, match="20,000"):
        asyncio.run(api.adesign("x" * 20_001, settings=settings))


def test_cancelling_adesign_returns_and_the_run_completes_safely(settings: Settings) -> None:
    async def main() -> ArchitectureDesign:
        routed = asyncio.Event()

        def on_event(event: Any) -> None:
            if isinstance(event, Routed):
                routed.set()

        task = asyncio.create_task(api.adesign(HANDOFF_REQUEST, settings=settings, thread_id="cancelled",
                                               on_event=on_event))
        await routed.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await api.adesign(HANDOFF_REQUEST, settings=settings)

    assert asyncio.run(main()).components  # asyncio.run waits for the cancelled run's worker
    # the cancelled run was finished, not torn: its thread holds the whole design
    # (with no request, design() returns a finished thread's design and never starts a run)
    stored = api.design(None, settings=settings, thread_id="cancelled")
    assert stored.request == HANDOFF_REQUEST and stored.handoffs


def test_leaving_astream_design_early_closes_it(settings: Settings) -> None:
    async def main() -> list[str]:
        kinds = []
        stream = api.astream_design(HANDOFF_REQUEST, settings=settings)
        async for event in stream:
            kinds.append(event.kind)
            if event.kind == "route":
                break
        await stream.aclose()
        return kinds

    kinds = asyncio.run(main())
    assert kinds[-1] == "route" and "deliverable" not in kinds


# ---------------------------------------------------------------------------- LangGraph


class UserState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    request: str
    design: dict[str, Any]
    summary: str


def test_create_architect_states_its_input_and_output_keys(settings: Settings) -> None:
    graph = api.create_architect(settings)
    assert list(graph.get_input_jsonschema()["properties"]) == ["request", "workflow"]
    assert set(graph.get_output_jsonschema()["properties"]) == {
        "request", "design", "route", "stated", "requirements", "notes", "llm_calls", "tokens",
        "fallback_used"}
    assert graph.checkpointer is None
    out = graph.invoke({"request": "Design model serving with canary deployment and rollback"})
    design = ArchitectureDesign.model_validate(out["design"])
    assert design.workflow == "model_serving" and out["route"]["workflow"] == "model_serving"
    assert out["request"] == design.request and isinstance(out["notes"], list)
    assert isinstance(out["llm_calls"], int) and isinstance(out["fallback_used"], bool)
    assert out["requirements"] and set(out["stated"]) <= set(out["requirements"])
    chosen = graph.invoke({"request": "A system for 5 researchers who fine-tune models",
                           "workflow": "experiment_tracking"})
    assert chosen["design"]["workflow"] == chosen["route"]["workflow"] == "experiment_tracking"
    with pytest.raises(InputError, match="unknown workflow"):
        graph.invoke({"request": "Build it", "workflow": "astrology"})


def test_create_architect_as_a_subgraph_of_a_users_graph(settings: Settings) -> None:
    def prepare(state: UserState) -> dict[str, Any]:
        return {"request": f"{state['messages'][-1].content}, p95 under 2 s"}

    def summarize(state: UserState) -> dict[str, Any]:
        design = state["design"]
        return {"summary": f"{design['workflow']}: {len(design['components'])} components",
                "messages": [AIMessage(content=design["summary"])]}

    builder = StateGraph(UserState)
    builder.add_node("prepare", prepare)
    builder.add_node("architect", api.create_architect(settings))
    builder.add_node("summarize", summarize)
    builder.add_edge(START, "prepare")
    builder.add_edge("prepare", "architect")
    builder.add_edge("architect", "summarize")
    builder.add_edge("summarize", END)
    graph = builder.compile(checkpointer=InMemorySaver())

    config = {"configurable": {"thread_id": "user-thread"}}
    out = graph.invoke({"messages": [HumanMessage(content="A RAG chatbot over 30,000 Confluence pages")]}, config)
    assert out["summary"].startswith("rag_system: ")
    assert out["design"]["provenance"]["thread_id"] == "user-thread"
    # the architect's own transcript stayed inside: the user's chat has its two messages
    assert [type(m).__name__ for m in out["messages"]] == ["HumanMessage", "AIMessage"]
    streamed = list(graph.stream({"messages": [HumanMessage(content="Serving for 200 requests per second")]},
                                 {"configurable": {"thread_id": "t2"}}, stream_mode="updates", subgraphs=True))
    assert [node for ns, update in streamed if not ns for node in update] == ["prepare", "architect", "summarize"]
    assert any(ns and "intake" in update for ns, update in streamed)  # the architect's steps stream through


def test_one_architect_graph_serves_concurrent_runs(settings: Settings) -> None:
    graph = api.create_architect(settings)
    requests = [HANDOFF_REQUEST, HANDOFF_REQUEST, *list(REQUESTS)[:2]]
    outs = graph.batch([{"request": r} for r in requests])
    # each run keeps its own handoff budget: none is skipped for an earlier run's handoffs
    for out in outs[:2]:
        [handoff] = out["design"]["handoffs"]
        assert handoff["agent"] == "llm-app-engineer" and handoff["status"] == "completed"
    assert [o["design"]["workflow"] for o in outs[2:]] == list(REQUESTS.values())[:2]


# ---------------------------------------------------------------------------- LangChain tool


def test_architect_tool_describes_itself(settings: Settings) -> None:
    tool = api.architect_tool(settings)
    assert tool.name == "design_ml_system"
    assert set(tool.args) == {"request", "workflow"}
    schema = tool.tool_call_schema.model_json_schema()
    assert schema["required"] == ["request"]


def test_architect_tool_called_by_a_scripted_agent(settings: Settings) -> None:
    tool = api.architect_tool(settings)
    call = {"name": "design_ml_system", "id": "call-1", "type": "tool_call",
            "args": {"request": "A system for 5 researchers who fine-tune models", "workflow": "experiment_tracking"}}
    model = GenericFakeChatModel(messages=iter([AIMessage(content="", tool_calls=[call]),
                                                AIMessage(content="Here is your design.")]))

    class AgentState(TypedDict):
        messages: Annotated[list[AnyMessage], add_messages]

    builder = StateGraph(AgentState)
    builder.add_node("agent", lambda state: {"messages": [model.invoke(state["messages"])]})
    builder.add_node("tools", ToolNode([tool]))
    builder.add_edge(START, "agent")
    builder.add_conditional_edges("agent", tools_condition)
    builder.add_edge("tools", "agent")
    out = builder.compile().invoke({"messages": [HumanMessage(content="We need experiment tracking.")]})

    [answer] = [m for m in out["messages"] if isinstance(m, ToolMessage)]
    assert answer.tool_call_id == "call-1" and answer.status == "success"
    design = json.loads(answer.content)
    assert design["workflow"] == "experiment_tracking" and design["components"]
    assert answer.artifact == design
    assert out["messages"][-1].content == "Here is your design."


def test_architect_tool_async_and_bad_input(settings: Settings) -> None:
    tool = api.architect_tool(settings)

    async def main() -> list[Any]:
        return list(await asyncio.gather(
            tool.ainvoke({"request": "Design a data pipeline with audit logs, PII handling and retention"}),
            tool.ainvoke({"request": "Design model serving with canary deployment and rollback"})))

    pipeline, serving = (json.loads(text) for text in asyncio.run(main()))
    assert pipeline["workflow"] == "data_pipeline" and serving["workflow"] == "model_serving"
    with pytest.raises(Exception, match="request"):
        tool.invoke({"request": ""})
