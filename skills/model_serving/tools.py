"""Model-serving tools: replica sizing from traffic and latency."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mlarchitect.deliverable import Calculation
from mlarchitect.requirements import Requirements
from mlarchitect.tool_result import PlannedCall
from mlarchitect.skills.base import SkillContext, ToolResult, blueprint_tool, search_tool, skill_tool

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

SKILL = "model-serving"


class ReplicaArgs(BaseModel):
    requests_per_second: float = Field(gt=0, description="Peak requests per second.")
    latency_s: float = Field(default=0.5, gt=0, description="Mean service time per request, seconds.")
    concurrency_per_replica: int = Field(default=8, gt=0, description="Requests one replica serves at once.")
    target_utilization: float = Field(default=0.6, gt=0.1, le=0.9)
    peak_factor: float = Field(default=1.0, ge=1.0, description="Peak-to-average multiplier if rps is an average.")


def size_replicas(args: ReplicaArgs, ctx: SkillContext) -> ToolResult:
    peak = args.requests_per_second * args.peak_factor
    in_flight = peak * args.latency_s
    replicas = max(2, math.ceil(in_flight / (args.concurrency_per_replica * args.target_utilization)))
    monthly = replicas * ctx.pricing_table().cpu_replica_month
    calcs = [
        Calculation(name="Requests in flight (Little's law)", value=round(in_flight, 1), unit="requests",
                    formula=f"{peak:,.1f} req/s × {args.latency_s} s = {in_flight:,.1f}",
                    inputs={"requests_per_second": peak, "latency_s": args.latency_s}),
        Calculation(name="Replicas", value=replicas, unit="replicas",
                    formula=(f"max(2, ⌈{in_flight:,.1f} ÷ ({args.concurrency_per_replica} concurrent × "
                             f"{args.target_utilization:.0%} target utilization)⌉) = {replicas}"),
                    inputs={"concurrency_per_replica": args.concurrency_per_replica}),
        Calculation(name="Serving compute per month (CPU replicas)", value=round(monthly, 2), unit="USD/month",
                    formula=f"{replicas} replicas × ${ctx.pricing_table().cpu_replica_month}/month = ${monthly:,.2f}"),
    ]
    return ToolResult(
        skill=SKILL,
        tool="serving_size_replicas",
        summary=f"{replicas} replicas for {peak:,.0f} req/s at {args.latency_s}s per request",
        recommendations=[
            f"Run at least {replicas} replicas behind the load balancer and autoscale on in-flight requests, "
            "not CPU, with a floor of 2 for availability.",
            "Load-test to the peak rate before launch and re-measure the service time: replicas scale with it.",
        ],
        calculations=calcs,
        data={"replicas": replicas, "in_flight": in_flight},
    )


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "serving", ctx, "model serving, rollout, caching and fallbacks"),
        blueprint_tool(SKILL, "serving", __package__),
        skill_tool(SKILL, "serving_size_replicas",
                   "Size serving replicas from requests per second and latency using Little's law.",
                   ReplicaArgs, lambda a: size_replicas(a, ctx)),
    ]


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str) -> list[PlannedCall]:
    if req.mode is not None and req.mode.value == "batch" or req.peak_rps is None:
        return []
    llm = req.model_kind is not None and req.model_kind.value == "llm"
    latency = req.latency.value.seconds if req.latency is not None else (1.5 if llm else 0.1)
    return [PlannedCall(name="serving_size_replicas", phase=1, args={
        "requests_per_second": round(req.peak_rps.value, 3), "latency_s": min(latency, 1.5 if llm else latency),
        "concurrency_per_replica": 16 if llm else 8})]
