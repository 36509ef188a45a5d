"""Typed structure of an agent definition file (the seed's / Claude Code's format)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlarchitect.workflows import WorkflowId

AGENT_NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"


def _split_list(value: object) -> object:
    """Claude Code writes ``tools: Read, Grep``; the seed may write a YAML list."""
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class FrontMatter(BaseModel):
    """The YAML header. ``name`` and ``description`` are required."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(pattern=AGENT_NAME_PATTERN, max_length=64)
    description: str = Field(min_length=1)
    model: str | None = None
    tools: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    color: str | None = None
    category: str | None = None

    _split_tools = field_validator("tools", "skills", mode="before")(_split_list)


class StepSpec(BaseModel):
    title: str
    points: list[str] = Field(default_factory=list)
    code: str | None = None


class WorkflowSpec(BaseModel):
    id: WorkflowId
    title: str
    when_to_use: str = ""
    steps: list[StepSpec] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)


class NamedItem(BaseModel):
    name: str
    description: str = ""


class Boundary(BaseModel):
    text: str
    agents: list[str] = Field(default_factory=list, description="Agents the work goes to.")


class AgentSpec(BaseModel):
    """One parsed agent file."""

    name: str
    description: str
    model: str | None = None
    tools: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    color: str | None = None
    category: str | None = None
    path: Path | None = None
    body: str = Field(default="", description="The Markdown body: the agent's system prompt.")
    role: str = ""
    triggers: list[str] = Field(default_factory=list)
    focus_areas: list[str] = Field(default_factory=list)
    workflows: list[WorkflowSpec] = Field(default_factory=list)
    outputs: list[NamedItem] = Field(default_factory=list)
    best_practices: list[str] = Field(default_factory=list)
    will: list[str] = Field(default_factory=list)
    will_not: list[Boundary] = Field(default_factory=list)
    related: list[NamedItem] = Field(default_factory=list)
    contribution: list[str] = Field(default_factory=list)
    contribution_title: str = ""
    builtin: bool = False

    def workflow(self, workflow_id: str) -> WorkflowSpec | None:
        return next((w for w in self.workflows if w.id == workflow_id), None)

    @property
    def handoff_targets(self) -> list[str]:
        """Agents named in Related Agents or in the Will Not boundaries, in order."""
        names = [r.name for r in self.related]
        for boundary in self.will_not:
            names.extend(boundary.agents)
        return list(dict.fromkeys(n for n in names if n != self.name))
