"""The one table of design workflows: id, title, the skill that leads it and
the deliverable section it fills. Everything else reads workflows from here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

WorkflowId = Literal[
    "rag_system",
    "evaluation_system",
    "model_serving",
    "experiment_tracking",
    "data_pipeline",
    "general",
]


class Workflow(BaseModel):
    id: WorkflowId
    title: str
    lead_skill: str | None
    section: str | None = None  # the workflow-specific field of the deliverable


WORKFLOWS: dict[str, Workflow] = {
    w.id: w
    for w in (
        Workflow(id="rag_system", title="RAG system", lead_skill="rag-design"),
        Workflow(id="evaluation_system", title="Evaluation system", lead_skill="evaluation-metrics",
                 section="evaluation_framework"),
        Workflow(id="model_serving", title="Model serving", lead_skill="model-serving",
                 section="serving_specification"),
        Workflow(id="experiment_tracking", title="Experiment tracking", lead_skill="experiment-tracking",
                 section="experiment_tracking"),
        Workflow(id="data_pipeline", title="Data pipeline", lead_skill="data-pipeline", section="data_pipeline"),
        Workflow(id="general", title="ML system", lead_skill=None),
    )
}


def workflow_title(workflow_id: str) -> str:
    found = WORKFLOWS.get(workflow_id)
    return found.title if found else "ML system"
