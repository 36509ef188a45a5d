"""Data-pipeline tools: throughput and storage sizing."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mlarchitect.deliverable import Calculation
from mlarchitect.requirements import MEDIA_RECORDS, RECORD_KB, Requirements
from mlarchitect.tool_result import PlannedCall
from mlarchitect.skills.architecture import architecture_tool
from mlarchitect.skills.base import SkillContext, ToolResult, search_tool, skill_tool

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

SKILL = "data-pipeline"


class PipelineArgs(BaseModel):
    events_per_day: float = Field(gt=0)
    event_kb: float = Field(default=RECORD_KB, gt=0, description="Average raw event size in KB.")
    records: str = Field(default="events", description="What one record is: events, readings, images, recordings ...")
    retention_days: int = Field(default=90, gt=0)
    peak_factor: float = Field(default=3.0, ge=1.0)
    compression_ratio: float = Field(default=0.25, gt=0, le=1, description="Columnar size / raw size.")
    gb_per_day: float | None = Field(default=None, gt=0, description="Raw GB per day, when stated directly.")
    stated_inputs: list[str] = Field(default_factory=list, description="Which arguments the request stated.")
    mode: str = ""  # "batch": a batch pipeline has no stream to size


def size_pipeline(args: PipelineArgs, ctx: SkillContext) -> ToolResult:
    avg = args.events_per_day / 86400
    peak = avg * args.peak_factor
    partitions = max(3, math.ceil(peak / 5000))
    raw_gb_day = args.gb_per_day or args.events_per_day * args.event_kb / 1e6
    stored = raw_gb_day * args.retention_days * args.compression_ratio
    said = set(args.stated_inputs)
    batch = args.mode == "batch"
    rec = args.records
    media = rec in MEDIA_RECORDS
    size = f"{args.event_kb:,g} KB per {'event' if rec == 'events' else rec[:-1]}"
    calcs = [
        Calculation(name="Average event rate" if rec == "events" else f"Average rate ({rec})", value=round(avg, 1),
                    unit=f"{rec}/s", formula=f"{args.events_per_day:,.0f} {rec}/day ÷ 86,400 s = {avg:,.1f}",
                    inputs={"events_per_day": args.events_per_day},
                    from_request=["events_per_day"] if "events_per_day" in said else []),
        *([] if batch else [
            Calculation(name="Peak event rate" if rec == "events" else f"Peak rate ({rec})", value=round(peak, 1),
                        unit=f"{rec}/s",
                        formula=f"{avg:,.1f} × peak factor {args.peak_factor} = {peak:,.1f}"),
            Calculation(name="Stream partitions", value=partitions, unit="partitions",
                        formula=f"max(3, ⌈{peak:,.1f} ÷ 5,000 events/s per partition⌉) = {partitions}")]),
        Calculation(name="Raw data per day", value=round(raw_gb_day, 2), unit="GB",
                    formula=(f"{raw_gb_day:,.2f} GB/day as stated" if args.gb_per_day else
                             f"{args.events_per_day:,.0f} × {size} = {raw_gb_day:,.2f} GB"),
                    inputs={"gb_per_day": raw_gb_day},
                    from_request=["gb_per_day"] if "gb_per_day" in said else []),
        Calculation(name="Retained (media files as they are)" if media else "Retained (columnar, compressed)",
                    value=round(stored, 1), unit="GB",
                    formula=(f"{raw_gb_day:,.2f} GB × {args.retention_days} days × "
                             f"{args.compression_ratio:g} compression = {stored:,.1f} GB"),
                    inputs={"retention_days": args.retention_days},
                    from_request=["retention_days"] if "retention_days" in said else []),
    ]
    if batch:
        advice = (f"A batch pipeline: each load (≈ {raw_gb_day:,.2f} GB a day's worth) is validated and transformed as "
                  "one unit, re-runnable from its raw copy; there is no stream to run.")
    else:
        mode = "a managed stream (Kafka/Kinesis) plus micro-batches" if peak > 50 else "scheduled batch loads"
        advice = f"At this rate, {mode} is the simplest ingestion that keeps up."
    return ToolResult(
        skill=SKILL,
        tool="data_size_pipeline",
        summary=f"{avg:,.1f} {rec}/s average, {stored:,.0f} GB retained",
        recommendations=[advice],
        calculations=calcs,
        data={"avg_eps": avg, "peak_eps": peak, "stored_gb": stored},
    )


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "data", ctx, "data pipelines, validation, feature stores and data lifecycle"),
        architecture_tool(SKILL, "data", __package__, scale_fn=scales),
        skill_tool(SKILL, "data_size_pipeline",
                   "Size ingestion throughput, stream partitions and storage from events per day and retention.",
                   PipelineArgs, lambda a: size_pipeline(a, ctx)),
    ]


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str) -> list[PlannedCall]:
    stated: list[str] = []
    if req.events_per_day is not None:
        per_day = req.events_per_day.value
        stated += ["events_per_day"] if req.events_per_day.stated else []
    elif req.batch_volume is not None:
        per_day = req.batch_volume.value.amount
        stated += ["events_per_day"] if req.batch_volume.stated else []
    else:
        per_day = 1_000_000
    args: dict[str, object] = {"events_per_day": per_day}
    if req.data_volume_gb_per_day is not None:
        args["gb_per_day"] = req.data_volume_gb_per_day.value
        stated += ["gb_per_day"] if req.data_volume_gb_per_day.stated else []
    if req.retention_days is not None:
        args["retention_days"] = max(1, int(req.retention_days.value))
        stated += ["retention_days"] if req.retention_days.stated else []
    record_kb, records = req.record()
    if records != "events":  # a photo, a recording or a sensor reading, not a 1 KB row
        args.update(event_kb=record_kb, records=records)
        # files are stored as they are (already compressed); numeric readings compress well in columnar files
        args["compression_ratio"] = 1.0 if records in MEDIA_RECORDS else 0.1
    args["stated_inputs"] = stated
    if req.mode is not None:
        args["mode"] = str(req.mode.value)
    return [PlannedCall(name="data_size_pipeline", args=args, phase=1)]


def scales(req: Requirements) -> dict[str, float]:
    out: dict[str, float] = {}
    if req.events_per_day is not None:
        out["events/s"] = req.events_per_day.value / 86_400 * 3
    if req.data_volume_gb_per_day is not None:
        out["GB/day"] = req.data_volume_gb_per_day.value
    elif req.events_per_day is not None:
        out["GB/day"] = req.events_per_day.value * req.record()[0] / 1e6
    return out
