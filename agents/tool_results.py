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
