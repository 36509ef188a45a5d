"""Observability tools: signals, alerts and telemetry volume per workflow."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from mlarchitect.deliverable import Calculation
from mlarchitect.money import money
from mlarchitect.requirements import Requirements, affirmed
from mlarchitect.tool_result import PlannedCall
from mlarchitect.skills.base import SkillContext, ToolResult, search_tool, skill_tool

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

SKILL = "observability"

_COMMON = [
    "Structured JSON logs per request (request id, model and prompt version, tokens, latency, cost); "
    "redact PII before anything is written",
    "OpenTelemetry traces with one span per stage so a slow request can be followed across services",
    "Latency percentiles p50/p95/p99 and error rate per endpoint on a dashboard, with SLO burn-rate alerts",
    "Cost per request and per day, alerting at 80% of the monthly budget",
]
_BY_WORKFLOW = {
    "rag_system": [
        "Retrieval signals: top-k scores, empty-result rate, share of answers without a citation",
        "Quality sampling: score a daily sample for faithfulness with an LLM judge; alert on a drop",
    ],
    "evaluation_system": [
        "Metric trends per model version over time, with regression alerts on the release gate metrics",
        "Judge drift: re-score a fixed calibration set weekly and alert when agreement with humans falls",
    ],
    "model_serving": [
        "Queue depth, batch size and saturation (CPU/GPU utilisation) per replica",
        "Prediction and input drift (PSI / KS test) against the training window; fallback activation rate",
    ],
    "experiment_tracking": [
        "Run health: failed runs, GPU utilization and GPU hours per run and per team",
        "Registry events: promotions and rollbacks with who approved them",
    ],
    "data_pipeline": [
        "Freshness, row counts, null rates and schema changes per table; distribution drift per feature",
        "Pipeline run duration and failure alerts routed to the owning team",
    ],
}


class MonitoringArgs(BaseModel):
    workflow: str = Field(default="general", description="The workflow being designed.")
    requests_per_day: float | None = Field(default=None, ge=0)
    log_kb_per_request: float = Field(default=4.0, gt=0)
    retention_days: int = Field(default=30, gt=0)
    stages: list[str] = Field(default_factory=list, description="The design's components, in request order: one trace span each.")
    latency_target: str = Field(default="", description="The latency target, e.g. 'p95 ≤ 2 s'.")
    monthly_budget_usd: float | None = Field(default=None, ge=0, description="A stated monthly budget.")
    # the currency the request states its budget in: set by the offline plan from the requirements, not
    # offered to a model (it adds nothing a model would choose, and every prompt carries the schema)
    currency: SkipJsonSchema[str] = "USD"
    # set by the offline plan (how the system runs, a stated schedule, whether an LLM judge scores)
    mode: str = ""
    schedule: str = ""
    judge: bool = True
    generates: SkipJsonSchema[bool] = True  # an LLM writes the output: tokens and prompt versions are logged
    hosted_model: SkipJsonSchema[bool] = False  # a provider's model API is called: its rate limits are watched
    traffic_stated: SkipJsonSchema[bool] = False  # requests_per_day comes from the request, not an assumption
    on_devices: SkipJsonSchema[bool] = False  # the model runs on devices in the field: telemetry is per device, uploaded late


QUALITY_SAMPLE_SHARE, QUALITY_SAMPLE_MIN = 0.01, 50  # answers judged a day: a share of the traffic, with a floor


_REQUEST_SERVING = ("rag_system", "model_serving", "general")


def _serves_requests(args: MonitoringArgs) -> bool:
    """Whether the design answers requests (per-request logs, traces and latency SLOs apply)
    rather than running jobs (a pipeline, an evaluation run, a batch scoring job, training runs)."""
    return args.workflow in _REQUEST_SERVING and args.mode != "batch"


_ON_DEVICES = [
    "Per device: model version, inference latency, input statistics and score distribution, buffered on the "
    "device and uploaded when the link allows, so an offline site is analysed when it reconnects",
    "Fleet view: devices per model version, devices silent for longer than their usual outage, and the share of "
    "each site's data that arrived",
]


def _common(args: MonitoringArgs) -> list[str]:
    """The signals every design needs, written for this design's stages, target and budget:
    per request for a system that answers requests, per run for one that runs jobs, per device for
    a model that runs on devices."""
    if args.on_devices:
        recs = list(_ON_DEVICES)
        if args.latency_target:
            recs[0] += f"; an alert when a device's latency breaks the {args.latency_target} target"
        if args.monthly_budget_usd:
            recs.append(f"Fleet cost per month (devices, uploads, storage), alerting at 80% of the "
                        f"{money(args.monthly_budget_usd, args.currency)} monthly budget "
                        f"({money(0.8 * args.monthly_budget_usd, args.currency, dollars=False)})")
        return recs
    if not _serves_requests(args):
        return _per_run(args)
    recs = list(_COMMON)
    if not args.generates:
        recs[0] = ("Structured JSON logs per request (request id, model version, the prediction and its score, "
                   "latency); redact PII before anything is written")
    if args.stages:
        recs[1] = (f"OpenTelemetry traces with one span per stage ({', '.join(args.stages[:6])}) so a slow "
                   "request can be followed across services")
    if args.latency_target:
        recs[2] = (f"Latency percentiles p50/p95/p99 and error rate per endpoint on a dashboard, with SLO "
                   f"burn-rate alerts against the {args.latency_target} target")
    if args.monthly_budget_usd:
        recs[3] = (f"Cost per request and per day, alerting at 80% of the {money(args.monthly_budget_usd, args.currency)} "
                   f"monthly budget ({money(0.8 * args.monthly_budget_usd, args.currency, dollars=False)})")
    return recs


def _per_run(args: MonitoringArgs) -> list[str]:
    """Job-level signals: one record per run, its stages' durations, a missed-run alert."""
    stages = f" ({', '.join(args.stages[:6])})" if args.stages else ""
    if args.mode == "streaming":
        recs = [f"Consumer lag, throughput and end-to-end freshness per stage{stages} on a dashboard, alerting "
                "when lag keeps growing for 10 minutes",
                "Dead-letter queue size and the share of events that fail parsing or validation"]
    else:
        recs = [f"One record per run: input version, rows or examples processed, duration of each stage{stages}, "
                "outcome and the code version, on a dashboard of runs"]
    if args.schedule:
        recs.append(f"An alert when a run ({args.schedule}) has not finished on time or processed far fewer "
                    "records than the previous one")
    if args.monthly_budget_usd:
        recs.append(f"Cost per run, alerting at 80% of the {money(args.monthly_budget_usd, args.currency)} monthly "
                    f"budget ({money(0.8 * args.monthly_budget_usd, args.currency, dollars=False)})")
    return recs


def plan_monitoring(args: MonitoringArgs, ctx: SkillContext) -> ToolResult:
    by_workflow = [r for r in _BY_WORKFLOW.get(args.workflow, []) if args.judge or not r.startswith("Judge drift")]
    if args.hosted_model and args.workflow == "model_serving":
        by_workflow[0] = "Queue depth, replica saturation and rate-limit (429) counts from the model provider"
    if args.workflow == "rag_system" and args.requests_per_day and args.traffic_stated:
        sample = max(QUALITY_SAMPLE_MIN, round(args.requests_per_day * QUALITY_SAMPLE_SHARE))
        by_workflow[1] = (f"Quality sampling: score {sample:,} answers a day ({QUALITY_SAMPLE_SHARE:.0%} of the "
                          f"{args.requests_per_day:,.0f} requests/day, at least {QUALITY_SAMPLE_MIN}) for faithfulness "
                          "with an LLM judge; alert on a drop")
    if args.on_devices:
        by_workflow[0] = ("Inference time, memory and temperature per device type, so a device type that cannot keep up "
                          "is found before the fleet gets a heavier model")
    if args.generates and args.workflow == "model_serving":  # an LLM's output drifts in what it writes, not in a score
        by_workflow[1] = ("Output drift: answer length, refusal rate and judge scores on a daily sample, against the "
                          "previous model version; fallback activation rate")
    recs = [*_common(args), *by_workflow]
    calcs = []
    # a device fleet keeps its logs on the devices unless the request states the traffic its uploads carry
    if args.requests_per_day and _serves_requests(args) and (args.traffic_stated or not args.on_devices):
        gb = args.requests_per_day * args.log_kb_per_request * args.retention_days / 1e6
        calcs.append(
            Calculation(
                name="Log volume retained",
                value=round(gb, 2),
                unit="GB",
                formula=(
                    f"{args.requests_per_day:,.0f} req/day × {args.log_kb_per_request} KB × "
                    f"{args.retention_days} days = {gb:,.2f} GB"
                ),
                inputs={"requests_per_day": args.requests_per_day},
            )
        )
    return ToolResult(
        skill=SKILL,
        tool="obs_plan_monitoring",
        summary=f"Monitoring plan for {args.workflow}",
        recommendations=recs,
        calculations=calcs,
    )


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "obs", ctx, "monitoring, logging, tracing and alerting"),
        skill_tool(SKILL, "obs_plan_monitoring",
                   "Plan logs, traces, metrics and alerts for a workflow, and size the log volume.",
                   MonitoringArgs, lambda a: plan_monitoring(a, ctx)),
    ]


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str) -> list[PlannedCall]:
    args: dict[str, object] = {"workflow": workflow}
    if req.requests_per_day is not None:
        args["requests_per_day"] = round(req.requests_per_day.value, 2)
        args["traffic_stated"] = req.requests_per_day.stated
    if req.retention_days is not None:
        args["retention_days"] = max(1, int(req.retention_days.value))
    stages = [str(c.get("name", "")) for r in results if r.tool.endswith("_design_architecture")
              for c in r.data.get("components", []) if c.get("name")]
    if stages:
        args["stages"] = list(dict.fromkeys(stages))
    if req.latency is not None and req.latency.stated:
        args["latency_target"] = f"{req.latency.value.percentile} ≤ {req.latency.value.seconds:g} s"
    if req.monthly_budget_usd is not None and req.monthly_budget_usd.stated:
        args["monthly_budget_usd"] = req.monthly_budget_usd.value
        args["currency"] = req.currency
    if req.mode is not None:
        args["mode"] = str(req.mode.value)
    if req.mode is not None and req.mode.stated and req.mode.quote:
        args["schedule"] = req.mode.quote.lower()
    chosen = {x for r in results if r.tool.endswith("_design_architecture") for x in r.data.get("chosen", [])}
    if req.model_kind is not None and req.model_kind.value == "classic_ml":
        args["generates"] = False
    if "hosted-llm" in chosen:
        args["hosted_model"] = True
    if workflow == "model_serving" and affirmed(req.edge_devices):
        args["on_devices"] = True
    if workflow == "evaluation_system" and results:
        args["judge"] = bool(chosen & {"judge-hosted", "judge-azure-eu", "judge-local"})
    return [PlannedCall(name="obs_plan_monitoring", args=args, phase=1)]
