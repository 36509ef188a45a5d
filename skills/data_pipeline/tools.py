"""Data-pipeline tools: throughput and storage sizing."""

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

SKILL = "data-pipeline"


class PipelineArgs(BaseModel):
    events_per_day: float = Field(gt=0)
    event_kb: float = Field(default=1.0, gt=0, description="Average raw event size in KB.")
    retention_days: int = Field(default=90, gt=0)
    peak_factor: float = Field(default=3.0, ge=1.0)
    compression_ratio: float = Field(default=0.25, gt=0, le=1, description="Columnar size / raw size.")


def size_pipeline(args: PipelineArgs, ctx: SkillContext) -> ToolResult:
    avg = args.events_per_day / 86400
    peak = avg * args.peak_factor
    partitions = max(3, math.ceil(peak / 5000))
    raw_gb_day = args.events_per_day * args.event_kb / 1e6
    stored = raw_gb_day * args.retention_days * args.compression_ratio
    cost = stored * ctx.pricing_table().storage_gb_month
    calcs = [
        Calculation(name="Average event rate", value=round(avg, 1), unit="events/s",
                    formula=f"{args.events_per_day:,.0f} events/day ÷ 86,400 s = {avg:,.1f}",
                    inputs={"events_per_day": args.events_per_day}),
        Calculation(name="Peak event rate", value=round(peak, 1), unit="events/s",
                    formula=f"{avg:,.1f} × peak factor {args.peak_factor} = {peak:,.1f}"),
        Calculation(name="Stream partitions", value=partitions, unit="partitions",
                    formula=f"max(3, ⌈{peak:,.1f} ÷ 5,000 events/s per partition⌉) = {partitions}"),
        Calculation(name="Raw data per day", value=round(raw_gb_day, 2), unit="GB",
                    formula=f"{args.events_per_day:,.0f} × {args.event_kb} KB = {raw_gb_day:,.2f} GB"),
        Calculation(name="Retained (columnar, compressed)", value=round(stored, 1), unit="GB",
                    formula=(f"{raw_gb_day:,.2f} GB × {args.retention_days} days × "
                             f"{args.compression_ratio} compression = {stored:,.1f} GB (${cost:,.2f}/month)")),
    ]
    mode = "a managed stream (Kafka/Kinesis) plus micro-batches" if peak > 50 else "scheduled batch loads"
    return ToolResult(
        skill=SKILL,
        tool="data_size_pipeline",
        summary=f"{avg:,.1f} events/s average, {stored:,.0f} GB retained",
        recommendations=[f"At this rate, {mode} is the simplest ingestion that keeps up."],
        calculations=calcs,
        data={"avg_eps": avg, "peak_eps": peak, "stored_gb": stored},
    )


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "data", ctx, "data pipelines, validation, feature stores and data lifecycle"),
        blueprint_tool(SKILL, "data", __package__),
        skill_tool(SKILL, "data_size_pipeline",
                   "Size ingestion throughput, stream partitions and storage from events per day and retention.",
                   PipelineArgs, lambda a: size_pipeline(a, ctx)),
    ]


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str) -> list[PlannedCall]:
    per_day = req.events_per_day.value if req.events_per_day is not None else (
        req.batch_volume.value.amount if req.batch_volume is not None else 1_000_000)
    return [PlannedCall(name="data_size_pipeline", args={"events_per_day": per_day}, phase=1)]
