"""The one event stream of a design run.

``stream_design`` yields these; the CLI's progress lines, the chat's activity
pane, the MCP server's progress notifications and the Python API all render
the same events. Every event names the ``agent`` it came from (the architect
or a sibling working on a handoff).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mlarchitect.deliverable import ArchitectureDesign

ARCHITECT = "ml-system-architect"


class _Event(BaseModel):
    model_config = ConfigDict(frozen=True)

    agent: str = ARCHITECT

    @field_validator("message", "summary", check_fields=False)
    @classmethod
    def _no_secrets(cls, value: str) -> str:
        from mlarchitect.redact import redact

        return redact(value)


class StepStarted(_Event):
    """A graph step began (loading, intake, architect turn, tools, assemble)."""

    kind: Literal["step"] = "step"
    step: str
    message: str = ""


class Routed(_Event):
    """The request was routed: the primary workflow and the skills it invokes."""

    kind: Literal["route"] = "route"
    workflow: str
    skills: list[str] = Field(default_factory=list)
    secondary: list[str] = Field(default_factory=list)
    in_scope: bool = Field(default=True, description="False: nothing to design (the request is about no ML, AI or "
                           "data system, or asks about a concept: see question).")
    question: bool = Field(default=False, description="True: a question about a concept, not a system to design.")


class ToolCalled(_Event):
    kind: Literal["tool_call"] = "tool_call"
    tool: str
    call_id: str = ""
    args: dict[str, Any] = Field(default_factory=dict)


class ToolFinished(_Event):
    kind: Literal["tool_result"] = "tool_result"
    tool: str
    call_id: str = ""
    summary: str = ""
    ok: bool = True
    sources: list[str] = Field(default_factory=list)


class HandoffUpdate(_Event):
    """A sibling agent's progress: started, completed, failed or skipped."""

    kind: Literal["handoff"] = "handoff"
    target: str
    status: Literal["started", "working", "completed", "failed", "skipped"]
    message: str = ""


class Token(_Event):
    """Text the model wrote, as it arrives (real models stream; the offline engine
    writes whole messages)."""

    kind: Literal["token"] = "token"
    text: str


class Note(_Event):
    """Something the user should know: a fallback, a skipped file, a limit."""

    kind: Literal["note"] = "note"
    level: Literal["info", "warning"] = "info"
    message: str


class DeliverableReady(_Event):
    """The run finished; ``design`` is the validated deliverable."""

    kind: Literal["deliverable"] = "deliverable"
    design: ArchitectureDesign
    log_id: int | None = Field(default=None, description="The design's id in the design log (None: not logged).")


DesignEvent = Annotated[
    StepStarted | Routed | ToolCalled | ToolFinished | HandoffUpdate | Token | Note | DeliverableReady,
    Field(discriminator="kind"),
]


def describe(event: BaseModel) -> str:
    """One human line for an event (the CLI's progress, the chat's activity log)."""
    if isinstance(event, StepStarted):
        return f"{event.step}: {event.message}" if event.message else event.step
    if isinstance(event, Routed) and event.question:
        return "a question about a concept, not a system to design: nothing designed"
    if isinstance(event, Routed) and not event.in_scope:
        return "out of scope: the request is about no ML, AI or data system"
    if isinstance(event, Routed):
        extra = f" (+ {', '.join(event.secondary)})" if event.secondary else ""
        return f"routed to {event.workflow}{extra}; skills {', '.join(event.skills)}"
    if isinstance(event, ToolCalled):
        return f"{event.agent} → {event.tool}"
    if isinstance(event, ToolFinished):
        return f"{event.tool}: {event.summary}" if event.ok else f"{event.tool} failed: {event.summary}"
    if isinstance(event, HandoffUpdate):
        return f"handoff to {event.target} {event.status}" + (f": {event.message}" if event.message else "")
    if isinstance(event, Token):
        return event.text
    if isinstance(event, Note):
        return event.message
    if isinstance(event, DeliverableReady):
        return f"{event.design.workflow} design ready"
    return str(event)
