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


def failed_tool_notes(messages: Sequence[BaseMessage]) -> list[str]:
    """A note per skill tool that failed and never succeeded later in ``messages`` (a handoff
    that failed is reported by the handoff itself): the design says which part is missing."""
    tools = [m for m in messages if isinstance(m, ToolMessage) and not (m.name or "").startswith("transfer_to_")]
    succeeded = {m.name for m in tools if m.status != "error"}
    notes = []
    for m in tools:
        # a tool the model made up ("... is not a valid tool") computes no part of the design
        if m.status == "error" and m.name and m.name not in succeeded and "is not a valid tool" not in str(m.content):
            reason = (str(m.content).strip().splitlines() or ["no reason given"])[-1][:200]
            notes.append(f"The {m.name} tool failed, so the part of the design it computes is missing ({reason}).")
    return list(dict.fromkeys(notes))
