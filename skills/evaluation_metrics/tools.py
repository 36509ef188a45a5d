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
               "translation", "forecasting", "detection", "regression"]

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
        "slice metrics for the segments where an error costs most, each with its confidence interval",
    ],
    "detection": [
        "false alarms per 1,000 images at the operating threshold: the figure the people who clear alarms feel",
        "recall per defect or object type and per capture condition (camera, lighting, line), not only overall",
        "localisation quality: the IoU distribution of true positives, so boxes that are found but misplaced show",
    ],
    "regression": [
        "the same error metrics for a naive baseline (last value, or the seasonal value), so a gain is visible",
        "residuals per slice and over time, to find where the model is biased",
        "prediction-interval coverage at the stated level when intervals are served",
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
    traffic_share: float = Field(default=1.0, gt=0, le=1, description="The share of that traffic the test runs on "
                                 "(0.05 = 5%), when the request states one.")
    labelled_examples: int | None = Field(default=None, ge=10, description="Labelled examples the team has, for a "
                                          "paired offline comparison of two versions.")
    live_traffic: bool = Field(default=True, description="Whether real users or traffic reach the system today, "
                               "so an online test is possible.")
    stated_inputs: list[str] = Field(default_factory=list, description="Which arguments the request stated.")


_Z = {0.10: 1.645, 0.05: 1.96, 0.01: 2.576}
_ZB = {0.80: 0.842, 0.90: 1.282, 0.95: 1.645}


def _assumed_inputs(args: SampleSizeArgs) -> str:
    """" (baseline 80% and a 5-point difference assumed)" for the inputs the request did not state."""
    said = set(args.stated_inputs)
    parts = ([] if "baseline_rate" in said else [f"baseline {args.baseline_rate:.0%}"]) + (
        [] if "minimum_detectable_difference" in said else
        [f"a {args.minimum_detectable_difference * 100:.3g}-point difference"])
    return f" ({' and '.join(parts)} assumed)" if parts else ""


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
            f"{p2 - p1:.4g}² = {n:,}" + _assumed_inputs(args)
        ),
        inputs={"baseline_rate": p1, "minimum_detectable_difference": args.minimum_detectable_difference},
        from_request=[n for n in ("baseline_rate", "minimum_detectable_difference") if n in args.stated_inputs],
    )
    calcs = [calc]
    share = args.traffic_share
    if args.units_per_day:
        needed = math.ceil(2 * n / (args.units_per_day * share))
        days = 7 * math.ceil(needed / 7)  # whole weeks, so every weekday is in both arms alike
        on = f" × {_percent(share)} in the test" if share < 1 else ""
        calcs.append(Calculation(
            name="Online test duration", value=days, unit="days",
            formula=(f"2 arms × {n:,} ÷ ({args.units_per_day:,.0f} per day{on}) = {needed:,} "
                     f"day{'s' if needed != 1 else ''}, run in whole weeks: {days:,} days"),
            inputs={"units_per_day": args.units_per_day, "traffic_share": share},
            from_request=[name for name in ("units_per_day", "traffic_share") if name in args.stated_inputs]))
    offline = (f"Offline: a golden set of at least {min(n, 500):,} stratified examples, paired across versions "
               "(paired tests need fewer examples than this unpaired bound).")
    if args.labelled_examples:
        # a paired comparison on the labelled set: each example judged for both versions (win, loss, tie);
        # the smallest win rate above 50% it can tell from chance, ties dropped
        m = args.labelled_examples
        edge = (z_a + z_b) * 0.5 / math.sqrt(m)
        needed = math.ceil(((z_a + z_b) * 0.5 / 0.05) ** 2)
        calcs.append(Calculation(
            name="Detectable win rate on the labelled examples", value=round((0.5 + edge) * 100, 1), unit="% wins",
            formula=f"0.5 + (z_α/2 {z_a} + z_β {z_b}) × 0.5 ÷ √{m:,} = {0.5 + edge:.3f} of decided pairs (ties dropped)",
            inputs={"labelled_examples": m},
            from_request=["labelled_examples"] if "labelled_examples" in args.stated_inputs else []))
        offline = (f"Offline: the {m:,} labelled examples, each judged for both versions side by side (randomised "
                   f"order): the new version must win at least {0.5 + edge:.0%} of the decided pairs to be told from "
                   f"chance at 80% power; a 55% win rate needs about {needed:,} examples.")
    return ToolResult(
        skill=SKILL,
        tool="eval_plan_sample_size",
        summary=f"{n:,} examples per variant to detect a {args.minimum_detectable_difference:.2%} absolute change",
        recommendations=[
            offline,
            (f"Online A/B on {_percent(share)} of traffic, as the request says" if share < 1 else "Online A/B")
            + f": at least {n:,} scored sessions per arm before reading the result; fix the duration in advance."
            if args.live_traffic else
            f"Online A/B once real users reach the system: at least {n:,} scored sessions per arm, "
            "with the duration fixed in advance.",
        ],
        calculations=calcs,
        data={"per_variant": n},
    )


class RareClassArgs(BaseModel):
    positive_rate: float = Field(gt=0, lt=0.5, description="Share of items in the rare class (0.003 = 0.3%).")
    expected_recall: float = Field(default=0.90, gt=0, lt=1, description="Recall the model is expected to reach.")
    margin: float = Field(default=0.05, gt=0, lt=0.5, description="Half-width of the recall estimate's 95% interval.")
    false_positive_rate: float = Field(default=0.01, gt=0, lt=1, description="False-positive rate at the threshold.")
    stated_inputs: list[str] = Field(default_factory=list, description="Which arguments the request stated.")


def plan_rare_class_test_set(args: RareClassArgs) -> ToolResult:
    """Test-set size and precision when the class to find is rare: the positives needed to read
    recall to a margin, the items that takes at the stated rate, and what a small false-positive
    rate does to precision."""
    p, r, fpr = args.positive_rate, args.expected_recall, args.false_positive_rate
    positives = math.ceil(1.96 ** 2 * r * (1 - r) / args.margin ** 2)
    items = math.ceil(positives / p)
    precision = r * p / (r * p + fpr * (1 - p))
    rate = _percent(p)
    stated = ["positive_rate"] if "positive_rate" in args.stated_inputs else []
    calcs = [
        Calculation(name="Positives to read recall", value=positives, unit="positives",
                    formula=f"1.96² × {r:g} × {1 - r:.2g} ÷ {args.margin:g}² = {positives:,} (recall ± {args.margin * 100:g} points, 95%)",
                    inputs={"expected_recall": r, "margin": args.margin}),
        Calculation(name="Test items at the rare-class share", value=items, unit="items",
                    formula=f"{positives:,} positives ÷ {rate} = {items:,} items sampled at random",
                    inputs={"positive_rate": p}, from_request=stated),
        Calculation(name="Precision at the threshold", value=round(precision * 100, 1), unit="%",
                    formula=f"{r:g} × {rate} ÷ ({r:g} × {rate} + {_percent(fpr)} false positives × {_percent(1 - p)}) = {precision:.0%}",
                    inputs={"positive_rate": p, "false_positive_rate": fpr}, from_request=stated),
    ]
    return ToolResult(
        skill=SKILL,
        tool="eval_plan_rare_class_test_set",
        summary=f"{positives:,} positives, {items:,} items at {rate} positives",
        recommendations=[
            f"Accuracy says nothing at {rate} positives: a model that flags nothing scores {_percent(1 - p)}. Report recall "
            "and precision at the operating threshold and the area under the precision-recall curve",
            f"Test set: {positives:,} positives read recall to ± {args.margin * 100:g} points; at {rate} that is {items:,} items "
            "drawn at random. Enrich it with items flagged by the current model or by people, and weight back "
            f"to the true {rate} when computing precision",
            f"At {rate} positives a {_percent(fpr)} false-positive rate brings precision to {precision:.0%}: "
            "set the threshold on the alert volume the reviewers can clear, and report alerts per day with it",
        ],
        calculations=calcs,
        data={"positives": positives, "items": items, "precision": round(precision, 4)},
    )


def _percent(share: float) -> str:
    """0.003 -> "0.3%", 0.05 -> "5%", 0.0005 -> "0.05%"."""
    text = f"{share * 100:.4f}".rstrip("0").rstrip(".")
    return f"{text}%"


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "eval", ctx, "evaluation of ML and LLM systems"),
        architecture_tool(SKILL, "eval", __package__),
        skill_tool(SKILL, "eval_recommend_metrics",
                   "Recommend evaluation metrics for a task type (rag, summarization, classification, "
                   "generation, chat, extraction, ranking, translation, forecasting, detection, regression).", MetricsArgs, recommend_metrics),
        skill_tool(SKILL, "eval_plan_sample_size",
                   "Examples needed per variant to detect a quality difference (two-proportion test).",
                   SampleSizeArgs, plan_sample_size),
        skill_tool(SKILL, "eval_plan_rare_class_test_set",
                   "Test-set size and precision when the class a model must find is rare (defects, fraud).",
                   RareClassArgs, plan_rare_class_test_set),
    ]


ASSUMED_BASELINE = 0.05  # a click-through-like rate when the request states none

# (stems of English and of German, French, Spanish, Italian, Portuguese and Dutch words)
_TASK_WORDS = (("translat", "translation"), ("traduc", "translation"), ("traduz", "translation"), ("tradução", "translation"),
               ("übersetz", "translation"), ("vertal", "translation"),
               ("forecast", "forecasting"), ("previsi", "forecasting"), ("prévision", "forecasting"), ("previsã", "forecasting"),
               ("prognos", "forecasting"), ("vorhersag", "forecasting"), ("voorspel", "forecasting"),
               ("summar", "summarization"), ("résum", "summarization"), ("riassun", "summarization"),
               ("zusammenfass", "summarization"), ("samenvat", "summarization"),
               ("classif", "classification"), ("klassifi", "classification"), ("clasifi", "classification"), ("extract", "extraction"),
               ("rank", "ranking"), ("recommend", "ranking"), ("search", "ranking"), ("rag", "rag"),
               ("retriev", "rag"), ("chat", "chat"), ("assistant", "chat"), ("support", "chat"))


def infer_task(text: str) -> str:
    low = text.lower()
    return next((task for word, task in _TASK_WORDS if word in low), "generation")


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str, request: str = "") -> list[PlannedCall]:
    task = infer_task(request)
    if req.model_kind is not None and req.model_kind.value == "classic_ml":
        # a classic model is judged by what it predicts; a tabular one (credit scores, churn) has no text to judge
        predicted = req.prediction.value if req.prediction is not None else None
        if predicted in ("detection", "regression", "ranking", "classification") and task != "forecasting":
            task = predicted  # a forecast is a regression with its own metrics (MASE against seasonal naive)
        elif task in ("generation", "chat"):
            task = "classification"
    calls = [PlannedCall(name="eval_recommend_metrics", args={"task": task}, phase=1)]
    if req.positive_rate is not None:
        calls.append(PlannedCall(name="eval_plan_rare_class_test_set", phase=1, args={
            "positive_rate": req.positive_rate.value,
            "stated_inputs": ["positive_rate"] if req.positive_rate.stated else []}))
    args: dict[str, object] = {"stated_inputs": [], "live_traffic": req.has_live_traffic()}
    baseline = req.baseline_rate.value if req.baseline_rate is not None else None
    if baseline is not None:
        args["baseline_rate"] = baseline
        args["stated_inputs"].append("baseline_rate")  # type: ignore[union-attr]
    if req.min_detectable_effect is not None:
        base = baseline if baseline is not None else ASSUMED_BASELINE
        args.setdefault("baseline_rate", base)
        args["minimum_detectable_difference"] = round(base * req.min_detectable_effect.value, 6)
    if req.labelled_examples is not None and req.labelled_examples.value >= 10:
        args["labelled_examples"] = req.labelled_examples.value
        if req.labelled_examples.stated:
            args["stated_inputs"].append("labelled_examples")  # type: ignore[union-attr]
    if req.experiment_share is not None:
        args["traffic_share"] = req.experiment_share.value
        args["stated_inputs"].append("traffic_share")  # type: ignore[union-attr]
    if req.requests_per_day is not None and req.requests_per_day.stated:
        args["units_per_day"] = req.requests_per_day.value
        args["stated_inputs"].append("units_per_day")  # type: ignore[union-attr]
    classic = req.model_kind is not None and req.model_kind.value == "classic_ml"
    stated_experiment = req.baseline_rate is not None or req.min_detectable_effect is not None
    if classic and not req.has_live_traffic() and not stated_experiment and "labelled_examples" not in args:
        return calls  # no users to split and no figures of a test: a classic model is compared on its runs' outcomes
    calls.append(PlannedCall(name="eval_plan_sample_size", args=args, phase=1))
    return calls
