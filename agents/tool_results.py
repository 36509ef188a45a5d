"""Skill tool results read back from a conversation (both modes)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from langchain_core.messages import BaseMessage, ToolMessage
from pydantic import ValidationError

from mlarchitect.tool_result import ToolResult


def tool_results(messages: Sequence[BaseMessage]) -> list[ToolResult]:
    """Every skill ``ToolResult`` in ``messages``; error messages are skipped."""
    results = []
    for message in messages:
        if not isinstance(message, ToolMessage) or message.status == "error":
            continue
        payload = message.artifact if isinstance(message.artifact, dict) else None
        if payload is None:
            try:
                payload = json.loads(message.content) if isinstance(message.content, str) else None
            except json.JSONDecodeError:
                continue
        if not isinstance(payload, dict) or "skill" not in payload:
            continue
        try:
            results.append(ToolResult.model_validate(payload))
        except ValidationError:
            continue
    return results


def failed_tool_notes(messages: Sequence[BaseMessage], tools: set[str]) -> list[str]:
    """A note per skill tool of ``tools`` that failed and never succeeded later in ``messages``:
    the design says which part is missing. A tool the model made up, or a handoff (which reports
    its own failure), is not one of ``tools``."""
    ran = [m for m in messages if isinstance(m, ToolMessage) and m.name in tools]
    succeeded = {m.name for m in ran if m.status != "error"}
    notes = []
    for m in ran:
        if m.status == "error" and m.name not in succeeded:
            reason = (str(m.content).strip().splitlines() or ["no reason given"])[-1][:200]
            notes.append(f"The {m.name} tool failed, so the part of the design it computes is missing ({reason}).")
    return list(dict.fromkeys(notes))
