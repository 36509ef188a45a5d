"""Designs are a function of the request: two very different requests of one workflow
share few content lines, a vague request gets a short design that asks, and the
overlap metric counts content lines only."""

from __future__ import annotations

import pytest

from mlarchitect.agents.api import design
from mlarchitect.config import Settings
from mlarchitect.evaluation import metrics as M
from mlarchitect.render_markdown import render_markdown

OVERLAP_BOUND = 0.6

# Pairs written for these tests (not in any evaluation set): one small, one large or
# otherwise very different request per workflow.
CONTRASTS = [
    ("data_pipeline",
     "Every Monday sales exports a CSV from the shop. Clean it and check it before the demand model reads it. "
     "A solo data scientist maintains it.",
     "Clickstream from 5 million users: 3 TB per day arriving as events in real time. Build the streaming pipeline "
     "into a lakehouse and an online feature store for our ranking model; 12 data engineers."),
    ("evaluation_system",
     "evals for our assistant",
     "We retrain a LightGBM churn model every month on 2 million customers. Design the evaluation: calibration, "
     "fairness across regions, drift over time and a gate before it replaces the current model."),
    ("evaluation_system",
     "Evaluation for our translation model EN->IT/PT/NL, 4 product domains, a release every month, $4,000 per "
     "release for human raters.",
     "We retrain a LightGBM churn model every month on 2 million customers. Design the evaluation: calibration, "
     "fairness across regions, drift over time and a gate before it replaces the current model."),
    ("rag_system",
     "Q&A bot over the 200 pages of our employee handbook",
     "Search and question answering across 3 million scanned contracts for 400 lawyers; answers must quote the "
     "clause and link the source; the data stays on-premises."),
    ("experiment_tracking",
     "experiment tracking for my side project",
     "Our 40 researchers train on a Slurm cluster with 128 GPUs and keep about 50 TB of checkpoints; set up "
     "experiment tracking and a model registry."),
]


def _markdown(request: str, settings: Settings) -> str:
    return render_markdown(design(request, settings=settings))


@pytest.mark.parametrize(("workflow", "small", "large"), CONTRASTS, ids=["data_pipeline", "evaluation-vague", "evaluation-kind", "rag", "experiment_tracking"])
def test_very_different_requests_share_few_lines(workflow: str, small: str, large: str, settings: Settings) -> None:
    a, b = design(small, settings=settings), design(large, settings=settings)
    assert a.workflow == b.workflow == workflow
    overlap = M.line_overlap(render_markdown(a), render_markdown(b))
    assert overlap <= OVERLAP_BOUND, f"{workflow}: {overlap:.3f}"


def test_a_vague_request_gets_a_short_design_that_asks(settings: Settings) -> None:
    vague = design("eval for our chatbot", settings=settings)
    full = design("We need a way to measure the quality of our LLM summaries for 30 editors, 2,000 summaries a day, "
                  "and catch regressions before release", settings=settings)
    assert vague.workflow == full.workflow == "evaluation_system"
    questions = " ".join(vague.open_questions)
    assert "labelled examples" in questions and "released" in questions  # what an evaluation design turns on
    assert "says little" in vague.summary
    assert all(not alt.rejected for alt in vague.alternatives)  # alternatives wait for the answers
    assert len(M.design_lines(render_markdown(vague))) < len(M.design_lines(render_markdown(full)))
    assert not any(q in full.open_questions for q in vague.open_questions[:3])


def test_a_small_batch_team_gets_a_small_pipeline(settings: Settings) -> None:
    small = design("Once a month accounting sends us spreadsheets; clean and check them before the budget model "
                   "uses them. Small team, keep it simple.", settings=settings)
    assert small.requirements is not None and small.requirements.team_size is not None
    assert small.requirements.team_size.value <= 3
    chosen = " ".join(c.technology for c in small.components).lower()
    assert "kafka" not in chosen and "spark" not in chosen and "monte carlo" not in chosen
    assert not any(c.name == "Stream partitions" for c in small.sizing)  # a batch pipeline has no stream


def test_pipeline_and_evaluation_monitoring_is_per_run_not_per_request(settings: Settings) -> None:
    md = _markdown("Once a week finance sends Excel files; clean and validate them for the forecasting model.",
                   settings)
    assert "One record per run" in md
    assert "error rate per endpoint" not in md


def test_overlap_counts_content_lines_only() -> None:
    frame = "# Title\n\n## Components\n\n| Figure | Value |\n|---|---|\n"
    a = frame + "| Chunks | 10 |\n\n```mermaid\nflowchart LR\n    C0[\"A\"]\n```\n\n**Datasets**\n\n- alpha\n"
    b = frame + "| Chunks | 99 |\n\n```mermaid\nflowchart LR\n    C0[\"A\"]\n```\n\n**Datasets**\n\n- beta\n"
    assert M.design_lines(a) == {"| Chunks | 10 |", "- alpha"}
    assert M.line_overlap(a, b) == 0.0
    assert M.line_overlap(a, b, content_only=False) > 0.5  # the former metric counted the frame
    assert M.line_overlap(a, a) == 1.0


def test_a_lab_on_slurm_gets_a_lab_sized_tracking_design(settings: Settings) -> None:
    d = design("Our 40 researchers train on a Slurm cluster with 128 GPUs and keep about 50 TB of checkpoints; "
               "set up experiment tracking and a model registry.", settings=settings)
    tech = {c.name: c.technology for c in d.components}
    assert "Slurm" in tech["Training launcher"] and "DVC" not in tech["Data versioning"]
    storage = next(c for c in d.sizing if c.name == "Steady-state artifact storage")
    assert storage.value >= 50_000 and "50,000 GB kept today" in storage.formula
    assert any("40 people" in r.risk for r in d.risks) and any("Slurm" in r.risk for r in d.risks)
    assert any("Slurm cluster" in a for a in d.assumptions)
