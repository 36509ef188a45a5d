"""The architect graph's state and its input."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel, Field, field_validator

from mlarchitect.errors import InputError

MAX_REQUEST_CHARS = 20_000


class DesignRequest(BaseModel):
    """A validated request (the graph's input boundary)."""

    request: str = Field(min_length=1, max_length=MAX_REQUEST_CHARS)

    @field_validator("request", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


def validate_request(text: str) -> str:
    if not isinstance(text, str):
        raise InputError("the request must be text")
    if "\x00" in text:
        raise InputError("the request contains binary data (NUL bytes); pass plain text")
    stripped = text.strip()
    if not stripped:
        raise InputError("the request is empty: describe the system you need")
    if len(stripped) > MAX_REQUEST_CHARS:
        raise InputError(
            f"the request is {len(stripped):,} characters; the limit is {MAX_REQUEST_CHARS:,}"
        )
    return DesignRequest(request=stripped).request


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
