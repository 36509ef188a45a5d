"""The architecture deliverable: the JSON contract of ARCHITECTURE.md plus
workflow-specific sections (the seed's outputs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlarchitect.requirements import Requirements
from mlarchitect.workflows import WorkflowId

SCHEMA_VERSION = "1.0"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Calculation(_Model):
    """A figure and how it was computed, so a reader can check it."""

    name: str
    value: float
    unit: str
    formula: str = Field(description="The arithmetic with the numbers filled in.")
    inputs: dict[str, float | str] = Field(default_factory=dict)
    from_request: list[str] = Field(
        default_factory=list, description="Inputs taken from the request (the rest are assumptions)."
    )


class Component(_Model):
    name: str
    responsibility: str
    technology: str = ""
    decisions: list[str] = Field(default_factory=list)


class DataFlow(_Model):
    source: str
    target: str
    description: str = ""


class DesignStep(_Model):
    """One step of the workflow, with the decisions taken for this request."""

    title: str
    decisions: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list, description="Pattern notes with their sources.")


class Risk(_Model):
    risk: str
    mitigation: str
    severity: Literal["low", "medium", "high"] = "medium"


class CostItem(_Model):
    item: str
    monthly_usd: float
    basis: str = ""


class CostAnalysis(_Model):
    monthly_total_usd: float | None = None
    per_request_usd: float | None = None
    budget_usd: float | None = None
    within_budget: bool | None = None
    items: list[CostItem] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    optimizations: list[str] = Field(default_factory=list)


class RejectedOption(_Model):
    option: str
    why: str


class Alternative(_Model):
    """One key choice: what was chosen, why, and the options it beat for this request."""

    decision: str
    chosen: str
    why: str = ""
    rejected: list[RejectedOption] = Field(default_factory=list)


class Handoff(_Model):
    agent: str
    reason: str
    contribution: str = Field(description="The section the sibling returned (Markdown).")
    status: Literal["completed", "failed", "skipped"] = "completed"


class EvaluationFramework(_Model):
    datasets: list[str] = Field(default_factory=list)
    offline_metrics: list[str] = Field(default_factory=list)
    online_evaluation: list[str] = Field(default_factory=list)
    human_evaluation: list[str] = Field(default_factory=list)
    release_gates: list[str] = Field(default_factory=list)


class ServingSpecification(_Model):
    api_contract: list[str] = Field(default_factory=list)
    serving_mode: str = ""
    caching: list[str] = Field(default_factory=list)
    fallbacks: list[str] = Field(default_factory=list)
    rollout: list[str] = Field(default_factory=list)
    slos: list[str] = Field(default_factory=list)


class ExperimentTrackingSetup(_Model):
    tracking_server: str = ""
    run_record: list[str] = Field(default_factory=list)
    artifacts: list[str] = Field(default_factory=list)
    reproducibility: list[str] = Field(default_factory=list)


class DataPipelineArchitecture(_Model):
    ingestion: list[str] = Field(default_factory=list)
    processing: list[str] = Field(default_factory=list)
    quality_monitoring: list[str] = Field(default_factory=list)
    lifecycle: list[str] = Field(default_factory=list)


class SectionSource(_Model):
    """Which agent's which model wrote a section of the deliverable, and why that one."""

    agent: str
    section: str
    model: str
    reason: str = ""


class FallbackRecord(_Model):
    """A step that did not run on its configured model (or was supplemented by code)."""

    agent: str
    step: str
    reason: str


class AgentUsage(_Model):
    agent: str
    model: str
    calls: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = Field(default=None, description="US dollars for this agent's calls (null: price or "
                                                             "usage unknown; 0 for the offline engine).")


class Provenance(_Model):
    model: str
    offline: bool
    prompt_version: str
    kb_version: str
    llm_calls: int = Field(default=0, description="Requests sent to a model (retries and repairs included; "
                                                  "offline-engine steps are not model calls).")
    tokens: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    duration_s: float = 0.0
    thread_id: str | None = None
    fallback_used: bool = False
    method: str = Field(default="", description="How the architect's content was obtained: function_calling, "
                                                "json_schema, json_mode, prompted_json or offline.")
    agents: list[AgentUsage] = Field(default_factory=list)
    sections: list[SectionSource] = Field(default_factory=list)
    fallbacks: list[FallbackRecord] = Field(default_factory=list)
    cost_usd: float | None = Field(default=None, description="US dollars for the run's model calls, from the "
                                   "reported token usage and the pricing table; 0 for the offline engine; null "
                                   "when a price or the usage is unknown (cost_note says why).")
    cost_note: str = Field(default="", description="Why cost_usd is null, or which prices it used.")
    cached: bool = Field(default=False, description="Served from the response cache with no model call; the "
                                                    "figures above (calls, tokens, cost, duration) are the "
                                                    "original run's.")
    cached_at: str | None = Field(default=None, description="When the cached design was made (ISO 8601, UTC).")
    schema_version: str = SCHEMA_VERSION


class DesignContent(_Model):
    """What the model writes. The code adds request, workflow, provenance and
    the bookkeeping fields (skills, sources, handoffs) to make the deliverable."""

    title: str = ""
    summary: str
    components: list[Component] = Field(default_factory=list)
    data_flows: list[DataFlow] = Field(default_factory=list)
    diagram_mermaid: str = ""
    steps: list[DesignStep] = Field(default_factory=list)
    sizing: list[Calculation] = Field(default_factory=list)
    risks: list[Risk] = Field(default_factory=list)
    cost_analysis: CostAnalysis = Field(default_factory=CostAnalysis)
    evaluation_framework: EvaluationFramework | None = None
    serving_specification: ServingSpecification | None = None
    experiment_tracking: ExperimentTrackingSetup | None = None
    data_pipeline: DataPipelineArchitecture | None = None
    alternatives: list[Alternative] = Field(default_factory=list, description="Alternatives and trade-offs per key choice.")
    assumptions: list[str] = Field(default_factory=list, description="Every assumed value, with why.")
    open_questions: list[str] = Field(default_factory=list)


class ArchitectureDesign(DesignContent):
    """The deliverable."""

    request: str
    workflow: WorkflowId
    skills_used: list[str] = Field(default_factory=list)
    handoffs: list[Handoff] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    requirements: Requirements | None = Field(default=None, description="What the request states and what was assumed.")
    revision: int = Field(default=1, description="1 for the first design of a thread; +1 per follow-up turn.")
    changes: list[str] = Field(default_factory=list, description="What the follow-up turn changed, and why.")
    provenance: Provenance

    def to_json(self) -> str:
        return self.model_dump_json(indent=2)

    def to_markdown(self) -> str:
        """The deliverable as Markdown (what ``design`` prints)."""
        from mlarchitect.render_markdown import render_markdown  # lazy: the renderer imports this module

        return render_markdown(self)


def design_json_schema() -> dict[str, Any]:
    schema = ArchitectureDesign.model_json_schema()
    schema["$id"] = f"urn:mlarchitect:architecture-design:{SCHEMA_VERSION}"
    return schema
