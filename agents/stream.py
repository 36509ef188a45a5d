"""Turn LangGraph's stream (``updates`` + ``messages``, with subgraphs) into the
typed events of :mod:`mlarchitect.events`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage

from mlarchitect.agents.handoffs import TRANSFER_PREFIX
from mlarchitect.events import (
    ARCHITECT,
    HandoffUpdate,
    Note,
    Routed,
    StepStarted,
    Token,
    ToolCalled,
    ToolFinished,
)

_STEP_TEXT = {"intake": "reading the request", "assemble": "assembling the deliverable"}


def translate(chunks: Iterable[tuple[tuple[str, ...], str, Any]]) -> Iterator[Any]:
    """Events for each ``(namespace, mode, data)`` chunk of ``graph.stream``."""
    agents: dict[tuple[str, ...], str] = {}  # a sibling's namespace -> its name (from its start step)
    for namespace, mode, data in chunks:
        if mode == "updates" and namespace and "start" in (data or {}):
            chain = (data["start"] or {}).get("chain") or []
            if chain:
                agents[namespace] = chain[-1]
        agent = agents.get(namespace, ARCHITECT)
        if mode == "messages":
            message, _meta = data
            if isinstance(message, (AIMessage, AIMessageChunk)) and isinstance(message.content, str) and message.content:
                yield Token(agent=agent, text=message.content)
            continue
        for node, values in (data or {}).items():
            yield from _update(agent, node, values or {}, bool(namespace))


def _update(agent: str, node: str, values: dict[str, Any], nested: bool) -> Iterator[Any]:
    if nested and node == "start":
        yield HandoffUpdate(agent=agent, target=agent, status="working", message="working on its section")
    if node in _STEP_TEXT and not nested:
        yield StepStarted(agent=agent, step=node, message=_STEP_TEXT[node])
    if node == "intake" and "route" in values:
        route = values["route"]
        yield Routed(workflow=route["workflow"], skills=list(route.get("skills", [])),
                     secondary=list(route.get("secondary", [])), in_scope=bool(route.get("in_scope", True)),
                     question=bool(route.get("question", False)))
    for message in values.get("messages") or []:
        if isinstance(message, AIMessage):
            for call in message.tool_calls:
                if call["name"].startswith(TRANSFER_PREFIX):
                    target = call["name"].removeprefix(TRANSFER_PREFIX).replace("_", "-")
                    yield HandoffUpdate(agent=agent, target=target, status="started",
                                        message=str(call["args"].get("reason", "")))
                else:
                    yield ToolCalled(agent=agent, tool=call["name"], call_id=call.get("id") or "",
                                     args=dict(call["args"]))
        elif isinstance(message, ToolMessage):
            yield from _tool_message(agent, message)
    for note in values.get("notes") or []:
        if not nested:
            yield Note(agent=agent, level="warning", message=note)


def _tool_message(agent: str, message: ToolMessage) -> Iterator[Any]:
    artifact = message.artifact if isinstance(message.artifact, dict) else {}
    name = message.name or ""
    if "handoff" in artifact:
        handoff = artifact["handoff"]
        yield HandoffUpdate(agent=agent, target=handoff["agent"], status=handoff.get("status", "completed"),
                            message=_first_line(handoff.get("contribution", "")))
        return
    ok = message.status != "error"
    summary = artifact.get("summary") if ok else _first_line(str(message.content))
    sources = [p["doc_id"] for p in artifact.get("patterns", []) if isinstance(p, dict) and "doc_id" in p]
    yield ToolFinished(agent=agent, tool=name, call_id=message.tool_call_id, summary=str(summary or ""), ok=ok,
                       sources=sources)


def _first_line(text: str, limit: int = 160) -> str:
    line = next((x.strip("# ").strip() for x in text.splitlines() if x.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"
