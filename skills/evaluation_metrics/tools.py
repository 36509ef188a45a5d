"""Evaluation tools: metrics per task type and sample sizes for comparisons."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from mlarchitect.deliverable import Calculation
from mlarchitect.requirements import Requirements
from mlarchitect.tool_result import PlannedCall
from mlarchitect.skills.architecture import architecture_tool
from mlarchitect.skills.base import SkillContext, ToolResult, search_tool, skill_tool

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

SKILL = "evaluation-metrics"
Task = Literal["rag", "summarization", "classification", "generation", "chat", "extraction", "ranking",
               "translation", "forecasting"]

_METRICS: dict[str, list[str]] = {
    "rag": [
        "retrieval: recall@k and precision@k, MRR (mean reciprocal rank), nDCG@10 on labelled query-passage pairs",
        "generation: faithfulness / groundedness to the retrieved context, answer relevance, citation accuracy",
        "LLM-as-judge with a rubric for faithfulness and relevance, calibrated against human labels",
    ],
    "summarization": [
        "reference-based: ROUGE-L and BERTScore against reference summaries (trend signal only)",
        "LLM-as-judge: faithfulness (no unsupported claims), coverage of key points, conciseness",
        "custom domain-specific metric: share of required facts present (checklist per document type)",
    ],
    "classification": [
        "accuracy, macro-F1 and per-class precision/recall; a confusion matrix per release",
        "calibration (expected calibration error) when scores drive thresholds",
        "exact match on the label set; slice metrics per customer segment and language",
    ],
    "generation": [
        "exact match / BLEU / ROUGE where a reference exists; they mislead on open-ended text",
        "LLM-as-judge pairwise preference between versions (randomised order, ties allowed)",
        "custom metrics for format validity (JSON schema pass rate) and policy violations",
    ],
    "chat": [
        "task success rate per conversation and resolution without escalation",
        "LLM-as-judge pairwise preference on helpfulness, correctness and tone",
        "implicit signals: retries, copy events, thumbs up/down, escalation to a human",
    ],
    "extraction": [
        "field-level exact match and F1 against labelled documents",
        "schema validity rate and null-rate per field",
        "custom metric: critical-field accuracy weighted by business impact",
    ],
    "ranking": ["nDCG@k, MRR, recall@k", "click-through and implicit feedback online", "A/B test on a business metric"],
    "translation": [
        "chrF++ and COMET against reference translations, per language pair and domain (BLEU as a trend signal only)",
        "human error annotation (accuracy, fluency, terminology; MQM-style severity) on a stratified sample per language pair",
        "terminology consistency: share of glossary terms translated as agreed, per domain",
    ],
    "forecasting": [
        "MASE and sMAPE against a seasonal-naive baseline on a rolling-origin backtest",
        "bias (mean error) per segment and forecast horizon",
        "prediction-interval coverage at the stated service level",
    ],
}


class MetricsArgs(BaseModel):
    task: Task = Field(description="Type of system being evaluated.")


def recommend_metrics(args: MetricsArgs) -> ToolResult:
    return ToolResult(
        skill=SKILL,
        tool="eval_recommend_metrics",
        summary=f"Metrics for a {args.task} system",
        recommendations=_METRICS[args.task],
        data={"task": args.task},
    )


class SampleSizeArgs(BaseModel):
    baseline_rate: float = Field(default=0.80, gt=0, lt=1, description="Current pass/win rate.")
    minimum_detectable_difference: float = Field(default=0.05, gt=0, lt=1, description="Absolute difference to detect.")
    alpha: float = Field(default=0.05, gt=0, lt=0.5)
    power: float = Field(default=0.80, gt=0.5, lt=1)
    units_per_day: float | None = Field(default=None, gt=0, description="Traffic available for an online test, per day.")
    live_traffic: bool = Field(default=True, description="Whether real users or traffic reach the system today, "
                               "so an online test is possible.")
    stated_inputs: list[str] = Field(default_factory=list, description="Which arguments the request stated.")


_Z = {0.10: 1.645, 0.05: 1.96, 0.01: 2.576}
_ZB = {0.80: 0.842, 0.90: 1.282, 0.95: 1.645}


def plan_sample_size(args: SampleSizeArgs) -> ToolResult:
    z_a = _Z.get(round(args.alpha, 2), 1.96)
    z_b = _ZB.get(round(args.power, 2), 0.842)
    p1 = args.baseline_rate
    p2 = min(p1 + args.minimum_detectable_difference, 0.999)
    n = math.ceil((z_a + z_b) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p2 - p1) ** 2)
    calc = Calculation(
        name="Examples per variant",
        value=n,
        unit="examples",
        formula=(
            f"(z_α/2 {z_a} + z_β {z_b})² × ({p1:.4g}×{1 - p1:.4g} + {p2:.4g}×{1 - p2:.4g}) ÷ "
            f"{p2 - p1:.4g}² = {n:,}"
        ),
        inputs={"baseline_rate": p1, "minimum_detectable_difference": args.minimum_detectable_difference},
        from_request=[n for n in ("baseline_rate", "minimum_detectable_difference") if n in args.stated_inputs],
    )
    calcs = [calc]
    if args.units_per_day:
        days = math.ceil(2 * n / args.units_per_day)
        calcs.append(Calculation(
            name="Online test duration", value=days, unit="days",
            formula=f"2 arms × {n:,} ÷ {args.units_per_day:,.0f} per day = {days:,} days (run whole weeks)",
            inputs={"units_per_day": args.units_per_day},
            from_request=["units_per_day"] if "units_per_day" in args.stated_inputs else []))
    return ToolResult(
        skill=SKILL,
        tool="eval_plan_sample_size",
        summary=f"{n:,} examples per variant to detect a {args.minimum_detectable_difference:.2%} absolute change",
        recommendations=[
            f"Offline: a golden set of at least {min(n, 500):,} stratified examples, paired across versions "
            "(paired tests need fewer examples than this unpaired bound).",
            f"Online A/B: at least {n:,} scored sessions per arm before reading the result; fix the duration in advance."
            if args.live_traffic else
            f"Online A/B once real users reach the system: at least {n:,} scored sessions per arm, "
            "with the duration fixed in advance.",
        ],
        calculations=calcs,
        data={"per_variant": n},
    )


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "eval", ctx, "evaluation of ML and LLM systems"),
        architecture_tool(SKILL, "eval", __package__),
        skill_tool(SKILL, "eval_recommend_metrics",
                   "Recommend evaluation metrics for a task type (rag, summarization, classification, "
                   "generation, chat, extraction, ranking).", MetricsArgs, recommend_metrics),
        skill_tool(SKILL, "eval_plan_sample_size",
                   "Examples needed per variant to detect a quality difference (two-proportion test).",
                   SampleSizeArgs, plan_sample_size),
    ]


ASSUMED_BASELINE = 0.05  # a click-through-like rate when the request states none

_TASK_WORDS = (("translat", "translation"), ("forecast", "forecasting"), ("summar", "summarization"), ("classif", "classification"), ("extract", "extraction"),
               ("rank", "ranking"), ("recommend", "ranking"), ("search", "ranking"), ("rag", "rag"),
               ("retriev", "rag"), ("chat", "chat"), ("assistant", "chat"), ("support", "chat"))


def infer_task(text: str) -> str:
    low = text.lower()
    return next((task for word, task in _TASK_WORDS if word in low), "generation")


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str, request: str = "") -> list[PlannedCall]:
    task = infer_task(request)
    if task in ("generation", "chat") and req.model_kind is not None and req.model_kind.value == "classic_ml":
        task = "classification"  # a tabular model (XGBoost credit scores, churn): no text to judge
    calls = [PlannedCall(name="eval_recommend_metrics", args={"task": task}, phase=1)]
    args: dict[str, object] = {"stated_inputs": [], "live_traffic": req.has_live_traffic()}
    baseline = req.baseline_rate.value if req.baseline_rate is not None else None
    if baseline is not None:
        args["baseline_rate"] = baseline
        args["stated_inputs"].append("baseline_rate")  # type: ignore[union-attr]
    if req.min_detectable_effect is not None:
        base = baseline if baseline is not None else ASSUMED_BASELINE
        args.setdefault("baseline_rate", base)
        args["minimum_detectable_difference"] = round(base * req.min_detectable_effect.value, 6)
    if req.requests_per_day is not None and req.requests_per_day.stated:
        args["units_per_day"] = req.requests_per_day.value
        args["stated_inputs"].append("units_per_day")  # type: ignore[union-attr]
    calls.append(PlannedCall(name="eval_plan_sample_size", args=args, phase=1))
    return calls
