"""Experiment-tracking tools: artifact storage sizing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mlarchitect.deliverable import Calculation
from mlarchitect.requirements import Requirements
from mlarchitect.tool_result import PlannedCall
from mlarchitect.skills.architecture import architecture_tool
from mlarchitect.skills.base import SkillContext, ToolResult, search_tool, skill_tool
from mlarchitect.skills.conditions import holds

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

SKILL = "experiment-tracking"


class StorageArgs(BaseModel):
    runs_per_month: int = Field(default=40, gt=0)
    checkpoint_gb: float = Field(default=2.0, gt=0, description="Size of one checkpoint (LoRA adapters are MBs).")
    checkpoints_kept_per_run: int = Field(default=3, gt=0)
    retention_months: int = Field(default=6, gt=0)
    stored_gb: float = Field(default=0, ge=0, description="Artifacts already kept today (a stated total).")
    artifact: str = Field(default="checkpoint", description="What a run keeps: 'checkpoint' (a trained model) or "
                                                          "'eval outputs' (a prompt or settings experiment: nothing trained).")


def estimate_storage(args: StorageArgs, ctx: SkillContext) -> ToolResult:
    per_month = args.runs_per_month * args.checkpoint_gb * args.checkpoints_kept_per_run
    steady = per_month * args.retention_months + args.stored_gb
    kept = f" + {args.stored_gb:,.0f} GB kept today" if args.stored_gb else ""
    calcs = [
        Calculation(name=f"{args.artifact.capitalize()} storage added per month", value=round(per_month, 1), unit="GB",
                    formula=(f"{args.runs_per_month:,} runs × {args.checkpoint_gb} GB of {args.artifact} × "
                             f"{args.checkpoints_kept_per_run} kept = {per_month:,.1f} GB"),
                    inputs=args.model_dump()),
        Calculation(name="Steady-state artifact storage", value=round(steady, 1), unit="GB",
                    formula=f"{per_month:,.1f} GB × {args.retention_months} months retention{kept} = {steady:,.1f} GB"),
    ]
    return ToolResult(
        skill=SKILL,
        tool="exp_estimate_storage",
        summary=f"≈{steady:,.0f} GB of artifacts at steady state",
        recommendations=[
            "Keep the best and the last checkpoint per run; expire the rest after the retention window.",
            "Registered (promoted) models are exempt from expiry.",
        ] if args.artifact == "checkpoint" else [
            "Keep every run's per-example outputs for the retention window: re-scoring them with a new judge costs no model calls.",
            "Outputs of promoted variants are exempt from expiry.",
        ],
        calculations=calcs,
    )


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "exp", ctx, "experiment tracking, reproducibility and model registries"),
        architecture_tool(SKILL, "exp", __package__, scale_fn=scales),
        skill_tool(SKILL, "exp_estimate_storage",
                   "Estimate artifact storage (checkpoints) from runs per month, checkpoint size and retention.",
                   StorageArgs, lambda a: estimate_storage(a, ctx)),
    ]


RUNS_PER_PERSON_PER_MONTH = 8  # tracked training runs one practitioner launches in a month
CLASSIC_MODEL_GB = 0.05  # a gradient-boosted or scikit-learn model file: kilobytes to tens of MB
EVAL_OUTPUTS_GB = 0.01  # one variant's per-example outputs, scores and judge verdicts over an eval set


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str) -> list[PlannedCall]:
    small = req.model_family is not None and "lora" in req.model_family.value.lower()
    args: dict[str, object] = {"checkpoint_gb": 0.2 if small else 2.0}
    if req.model_kind is not None and req.model_kind.value == "classic_ml":
        args["checkpoint_gb"] = CLASSIC_MODEL_GB
    elif holds({"prompt_only": True}, req, set()):  # prompt and settings variants: outputs, no weights
        args.update(checkpoint_gb=EVAL_OUTPUTS_GB, artifact="eval outputs", checkpoints_kept_per_run=1)
    if req.model_params_b is not None:  # bf16 weights + optimizer state are not kept: weights only
        args["checkpoint_gb"] = round(req.model_params_b.value * 2, 1)
    if req.retention_days is not None:
        args["retention_months"] = max(1, round(req.retention_days.value / 30))
    if req.data_volume_gb is not None and req.data_volume_gb.stated:  # "we keep 50 TB of checkpoints"
        args["stored_gb"] = req.data_volume_gb.value
    if req.training_runs_per_month is not None:  # "3,000 training runs a week"
        args["runs_per_month"] = max(1, round(req.training_runs_per_month.value))
    elif req.team_size is not None and req.team_size.stated:  # runs scale with the people launching them
        args["runs_per_month"] = max(1, req.team_size.value * RUNS_PER_PERSON_PER_MONTH)
    return [PlannedCall(name="exp_estimate_storage", args=args, phase=1)]


def scales(req: Requirements) -> dict[str, float]:
    """Catalogue scale for tracking: concurrent users (the team)."""
    return {"people": float(req.team_size.value)} if req.team_size is not None else {}
