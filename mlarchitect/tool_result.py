"""What every skill tool returns: its summary, recommendations, figures and
the knowledge-base patterns it drew on (read by the model and the composer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from mlarchitect.deliverable import Calculation


class PatternHit(BaseModel):
    doc_id: str
    title: str
    excerpt: str
    score: float = 0.0


class ToolResult(BaseModel):
    """The artifact every skill tool returns; its JSON is what the model reads."""

    skill: str
    tool: str
    summary: str
    recommendations: list[str] = Field(default_factory=list)
    calculations: list[Calculation] = Field(default_factory=list)
    patterns: list[PatternHit] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)


class PlannedCall(BaseModel):
    """A tool call the offline engine plans; ``phase`` orders calls that need
    earlier results (architecture → sizing → cost → handoffs)."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    phase: int = 0


def find_result(results: list[ToolResult], tool: str) -> ToolResult | None:
    """The latest result of ``tool`` (by name) in ``results``."""
    return next((r for r in reversed(results) if r.tool == tool), None)
