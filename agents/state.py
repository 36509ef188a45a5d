"""The architect graph's state and its input."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages

# re-exported: the request's validation lives in a light module (no LangGraph)


class LoopState(TypedDict, total=False):
    """What the agent loop (:mod:`mlarchitect.agents.loop`) reads and writes: every agent's state has it."""

    messages: Annotated[list[AnyMessage], add_messages]
    steps: int
    notes: Annotated[list[str], operator.add]
    llm_calls: Annotated[int, operator.add]
    tokens: Annotated[int, operator.add]
    fallback_used: bool  # the persisted mirror of DesignRuntime.fell_back (read back on resume)


class DesignState(LoopState, total=False):
    request: str
    route: dict[str, Any]
    followup: str | None
    workflow_hint: str | None
    stated: dict[str, Any]
    requirements: dict[str, Any]
    changes: list[str]
    revision: int
    design: dict[str, Any]
