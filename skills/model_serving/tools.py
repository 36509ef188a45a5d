"""Model-serving tools: replica sizing from traffic and latency."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mlarchitect.deliverable import Calculation
from mlarchitect.render_markdown import human_number
from mlarchitect.requirements import Requirements
from mlarchitect.tool_result import PlannedCall, find_result
from mlarchitect.skills.architecture import architecture_tool
from mlarchitect.skills.base import SkillContext, ToolResult, search_tool, skill_tool

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

SKILL = "model-serving"
MANY_MODELS = 10  # from this many models, one service routes by key instead of one endpoint per model


class ReplicaArgs(BaseModel):
    requests_per_second: float = Field(gt=0, description="Peak requests per second.")
    latency_s: float = Field(default=0.5, gt=0, description="Mean service time per request, seconds.")
    concurrency_per_replica: int = Field(default=8, gt=0, description="Requests one replica serves at once.")
    target_utilization: float = Field(default=0.6, gt=0.1, le=0.9)
    peak_factor: float = Field(default=1.0, ge=1.0, description="Peak-to-average multiplier if rps is an average.")
    concurrent_requests: int = Field(default=0, ge=0, description="Requests in flight at peak, when stated "
                                                                  "(\"20 concurrent requests\"); 0 = derive it.")


def size_replicas(args: ReplicaArgs, ctx: SkillContext) -> ToolResult:
    peak = args.requests_per_second * args.peak_factor
    little = peak * args.latency_s
    in_flight = max(little, float(args.concurrent_requests))
    replicas = max(2, math.ceil(in_flight / (args.concurrency_per_replica * args.target_utilization)))
    formula = f"{human_number(peak)} req/s × {args.latency_s} s = {human_number(little)}"
    if args.concurrent_requests:
        formula = f"max({formula}, {args.concurrent_requests} stated in flight) = {in_flight:,.0f}"
    calcs = [
        Calculation(name="Requests in flight (Little's law)", value=round(in_flight, 4), unit="requests",
                    formula=formula, inputs={"requests_per_second": peak, "latency_s": args.latency_s,
                                             "concurrent_requests": args.concurrent_requests},
                    from_request=["concurrent_requests"] if args.concurrent_requests else []),
        Calculation(name="Replicas", value=replicas, unit="replicas",
                    formula=(f"max(2, ⌈{human_number(in_flight)} ÷ ({args.concurrency_per_replica} concurrent × "
                             f"{args.target_utilization:.0%} target utilization)⌉) = {replicas}"),
                    inputs={"concurrency_per_replica": args.concurrency_per_replica}),
    ]
    return ToolResult(
        skill=SKILL,
        tool="serving_size_replicas",
        summary=f"{replicas} replicas for {human_number(peak)} req/s at {args.latency_s}s per request",
        recommendations=[
            f"Run at least {replicas} replicas behind the load balancer and autoscale on in-flight requests, "
            "not CPU, with a floor of 2 for availability.",
            "Load-test to the peak rate before launch and re-measure the service time: replicas scale with it.",
        ],
        calculations=calcs,
        data={"replicas": replicas, "in_flight": in_flight},
    )


class BatchArgs(BaseModel):
    rows: float = Field(gt=0, description="Rows (or records) to score per run.")
    rows_per_second_per_worker: float = Field(default=20_000, gt=0, description="Scoring throughput of one worker.")
    workers: int = Field(default=1, ge=1)
    window_hours: float = Field(default=4.0, gt=0, description="Hours the run must finish in.")
    stated_inputs: list[str] = Field(default_factory=list)


def size_batch(args: BatchArgs) -> ToolResult:
    hours = args.rows / (args.rows_per_second_per_worker * args.workers) / 3600
    needed = max(1, math.ceil(hours / args.window_hours * args.workers))
    calcs = [
        Calculation(name="Batch run time", value=round(hours, 2), unit="hours",
                    formula=(f"{args.rows:,.0f} rows ÷ ({args.rows_per_second_per_worker:,.0f} rows/s × {args.workers} "
                             f"worker) ÷ 3,600 = {hours:,.2f} h"),
                    inputs={"rows": args.rows, "rows_per_second_per_worker": args.rows_per_second_per_worker},
                    from_request=["rows"] if "rows" in args.stated_inputs else []),
        Calculation(name="Workers for the batch window", value=needed, unit="workers",
                    formula=f"⌈{hours:,.2f} h ÷ {args.window_hours:g} h window⌉ = {needed}",
                    inputs={"window_hours": args.window_hours}),
    ]
    return ToolResult(skill=SKILL, tool="serving_size_batch",
                      summary=f"{args.rows:,.0f} rows in ≈{hours:,.2f} h on {args.workers} worker(s)",
                      recommendations=[f"Score in partitions of about 1M rows so a failed partition reruns alone; "
                                       f"{needed} worker(s) finish inside the {args.window_hours:g} h window."],
                      calculations=calcs, data={"hours": hours, "workers": needed})


class GpuArgs(BaseModel):
    params_b: float = Field(gt=0, description="Model parameters in billions.")
    bytes_per_param: float = Field(default=2.0, gt=0, description="2 = fp16/bf16, 1 = int8, 0.5 = 4-bit.")
    context_tokens: int = Field(default=8192, gt=0, description="Tokens of context per sequence.")
    concurrent_sequences: int = Field(default=16, gt=0)
    gpu_memory_gb: float = Field(default=24, gt=0, description="Memory of one GPU.")
    stated_inputs: list[str] = Field(default_factory=list)


def size_gpu(args: GpuArgs) -> ToolResult:
    weights = args.params_b * args.bytes_per_param
    kv_mb_per_token = 0.13 * math.sqrt(args.params_b / 8)  # ≈0.13 MB/token at 8B (GQA), ≈0.4 MB at 70B, fp16
    kv = kv_mb_per_token * args.context_tokens * args.concurrent_sequences / 1024
    total = (weights + kv) * 1.1
    gpus = max(1, math.ceil(total / args.gpu_memory_gb))
    calcs = [
        Calculation(name="Model weights in GPU memory", value=round(weights, 1), unit="GB",
                    formula=f"{args.params_b:g}B params × {args.bytes_per_param:g} bytes = {weights:,.1f} GB",
                    inputs={"params_b": args.params_b},
                    from_request=["params_b"] if "params_b" in args.stated_inputs else []),
        Calculation(name="KV cache at full concurrency", value=round(kv, 1), unit="GB",
                    formula=(f"{kv_mb_per_token:.2f} MB/token × {args.context_tokens:,} tokens × "
                             f"{args.concurrent_sequences} sequences = {kv:,.1f} GB"),
                    inputs={"context_tokens": args.context_tokens, "concurrent_sequences": args.concurrent_sequences},
                    from_request=["context_tokens"] if "context_tokens" in args.stated_inputs else []),
        Calculation(name="GPUs needed", value=gpus, unit="GPUs",
                    formula=f"⌈({weights:,.1f} + {kv:,.1f}) GB × 1.1 overhead ÷ {args.gpu_memory_gb:g} GB⌉ = {gpus}",
                    inputs={"gpu_memory_gb": args.gpu_memory_gb},
                    from_request=["gpu_memory_gb"] if "gpu_memory_gb" in args.stated_inputs else []),
    ]
    return ToolResult(skill=SKILL, tool="serving_size_gpu",
                      summary=f"{args.params_b:g}B model needs ≈{total:,.0f} GB: {gpus} GPU(s) of {args.gpu_memory_gb:g} GB",
                      recommendations=["Quantize to 4-bit (AWQ/GPTQ) when weights dominate; cap context length and "
                                       "concurrent sequences when the KV cache does."],
                      calculations=calcs, data={"gpus": gpus, "total_gb": total})


class ModelSetArgs(BaseModel):
    models: int = Field(ge=2, description="How many models the service holds (one per store, customer ...).")
    model_mb: float = Field(default=25.0, gt=0, description="Memory of one loaded model, MB.")
    replica_memory_gb: float = Field(default=4.0, gt=0, description="Memory of one serving replica, GB.")
    forecasts: bool = Field(default=False, description="The models forecast: their outputs change only when they retrain.")
    batch: bool = Field(default=False, description="A scheduled batch job scores them, not a service per request.")
    stated_inputs: list[str] = Field(default_factory=list)


def size_model_set(args: ModelSetArgs) -> ToolResult:
    """Many models behind one service: whether they all fit in a replica's memory, or an LRU of the
    most-used ones is needed, and how the set is released and rolled back."""
    total_gb = args.models * args.model_mb / 1024
    budget_gb = args.replica_memory_gb * 0.5  # half a replica's memory for models; the rest for the process
    resident = min(args.models, max(1, math.floor(budget_gb * 1024 / args.model_mb)))
    stated = ["models"] if "models" in args.stated_inputs else []
    calcs = [
        Calculation(name="Memory for every model", value=round(total_gb, 2), unit="GB",
                    formula=f"{args.models:,} models × {args.model_mb:g} MB (assumed) ÷ 1,024 = {total_gb:,.2f} GB",
                    inputs={"models": args.models, "model_mb": args.model_mb}, from_request=stated),
        Calculation(name="Models resident per replica", value=resident, unit="models",
                    formula=(f"min({args.models:,}, ⌊{args.replica_memory_gb:g} GB replica (assumed) × 50% ÷ "
                             f"{args.model_mb:g} MB⌋) = {resident:,}"),
                    inputs={"replica_memory_gb": args.replica_memory_gb}),
    ]
    fits = resident >= args.models
    n, size = f"{args.models:,}", f"about {total_gb:,.1f} GB"
    if args.batch:  # one scheduled job scores every key
        recs = [f"Score the {n} models in one scheduled job, not one job each: it loops over the keys, loads each key's "
                "model from the registry and writes that key's predictions, partitioned by key and run date.",
                f"The {n} models take {size}: one {args.replica_memory_gb:g} GB worker holds "
                + ("them all, so the job loads each once per run." if fits else
                   f"{resident:,} at a time, so the job scores them in chunks of {resident:,} keys and frees each chunk.")]
    else:  # one service answers for every key
        recs = [f"Serve the {n} models from one service, not one endpoint each: every request names its key "
                "(store, customer) and the service routes it to that key's model.",
                f"All {n} models take {size}, inside half a replica's {args.replica_memory_gb:g} GB: load them all at "
                "start-up, so no request waits for a load." if fits else
                f"The {n} models take {size}, more than half a replica's {args.replica_memory_gb:g} GB: keep the "
                f"{resident:,} most-used in an LRU, load the rest from the registry on first use, and count cold loads."]
    recs.append(f"Release the {n} models as one versioned set in the registry (a manifest of each key's model), so "
                "one step rolls them all back; promote a retrained key only past its own quality gate.")
    if args.forecasts:
        recs.append(f"Forecasts change only when the models retrain: precompute them for every key after each "
                    f"training run and serve them from a table; the cheapest way to serve {args.models:,} models.")
    return ToolResult(skill=SKILL, tool="serving_size_model_set",
                      summary=f"{args.models:,} models ≈ {total_gb:,.1f} GB; {resident:,} resident per replica",
                      recommendations=recs, calculations=calcs,
                      data={"total_gb": total_gb, "resident": resident})


class UplinkArgs(BaseModel):
    items_per_second: float = Field(gt=0, description="Readings, frames or requests per second the devices produce in all.")
    bytes_per_item: float = Field(gt=0, description="Bytes one of them takes on the wire.")
    item: str = Field(default="readings", description="What is counted: readings, images ...")
    uplink_mbps: float | None = Field(default=None, gt=0, description="The link's bandwidth in Mbit/s, when stated.")
    stated_inputs: list[str] = Field(default_factory=list)


LINK_SHARE = 0.5  # the share of a link raw data may take: the rest carries telemetry, updates and retries


def size_uplink(args: UplinkArgs) -> ToolResult:
    """Whether the devices' raw data fits the link to the servers, or must be reduced on the device."""
    mbps = args.items_per_second * args.bytes_per_item * 8 / 1e6
    rate = human_number(mbps)
    calcs = [Calculation(name="Raw data the devices produce", value=round(mbps, 2), unit="Mbit/s",
                         formula=(f"{human_number(args.items_per_second)} {args.item}/s × {human_number(args.bytes_per_item)} bytes "
                                  f"× 8 ÷ 1,000,000 = {rate} Mbit/s"),
                         inputs={"items_per_second": args.items_per_second, "bytes_per_item": args.bytes_per_item},
                         from_request=["items_per_second"] if "items_per_second" in args.stated_inputs else [])]
    if args.uplink_mbps is None:
        verdict = (f"The devices produce about {rate} Mbit/s of raw {args.item}: measure the link "
                   "each site has before deciding what leaves the device.")
    elif mbps > args.uplink_mbps * LINK_SHARE:
        times = mbps / args.uplink_mbps
        calcs.append(Calculation(name="Raw data over the link's capacity", value=round(times, 1), unit="×",
                                 formula=f"{rate} Mbit/s ÷ {args.uplink_mbps:g} Mbit/s = {times:,.1f}×",
                                 inputs={"uplink_mbps": args.uplink_mbps}, from_request=["uplink_mbps"]))
        verdict = (f"Serving mode: run inference on the devices. The raw {args.item} need {rate} Mbit/s and the "
                   f"link's bandwidth is {args.uplink_mbps:g} Mbit/s. Send scores, alerts, features per window and a small "
                   "sample of raw data (for labelling and drift checks) instead, buffered on the device when the link drops.")
    else:
        verdict = (f"Serving mode: the raw {args.item} ({rate} Mbit/s) fit the {args.uplink_mbps:g} Mbit/s link "
                   f"with room to spare: central inference is possible; keep an on-device fallback for link outages.")
    return ToolResult(skill=SKILL, tool="serving_size_uplink", summary=verdict, recommendations=[verdict],
                      calculations=calcs, data={"raw_mbps": mbps, "uplink_mbps": args.uplink_mbps})


def scales(req: Requirements) -> dict[str, float]:
    out: dict[str, float] = {}
    if req.peak_rps is not None:
        out["rps"] = req.peak_rps.value
    if req.batch_volume is not None:
        out["rows"] = req.batch_volume.value.amount
    return out


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "serving", ctx, "model serving, rollout, caching and fallbacks"),
        architecture_tool(SKILL, "serving", __package__, scale_fn=scales),
        skill_tool(SKILL, "serving_size_batch", "Run time and workers of a batch scoring job from rows per run.",
                   BatchArgs, size_batch),
        skill_tool(SKILL, "serving_size_model_set",
                   "Many models behind one service (one per store or customer): memory, an LRU of resident "
                   "models, and release as one versioned set.", ModelSetArgs, size_model_set),
        skill_tool(SKILL, "serving_size_gpu",
                   "GPU memory and GPUs for a self-hosted LLM: weights (params × bytes) plus the KV cache.",
                   GpuArgs, size_gpu),
        skill_tool(SKILL, "serving_size_uplink",
                   "Whether devices' raw data fits the link to the servers (edge inference or central).",
                   UplinkArgs, size_uplink),
        skill_tool(SKILL, "serving_size_replicas",
                   "Size serving replicas from requests per second and latency using Little's law.",
                   ReplicaArgs, lambda a: size_replicas(a, ctx)),
    ]


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str) -> list[PlannedCall]:
    calls: list[PlannedCall] = []
    arch = find_result(results, "serving_design_architecture")
    chosen = set(arch.data.get("chosen", [])) if arch else set()
    batch = req.mode is not None and req.mode.value == "batch"
    if req.model_count is not None and req.model_count.value >= MANY_MODELS:
        calls.append(PlannedCall(name="serving_size_model_set", phase=1, args={
            "models": req.model_count.value, "batch": batch,
            "forecasts": req.forecasts(),
            "stated_inputs": ["models"] if req.model_count.stated else []}))
    if batch:
        if req.batch_volume is not None:
            calls.append(PlannedCall(name="serving_size_batch", phase=1, args={
                "rows": req.batch_volume.value.amount,
                "stated_inputs": ["rows"] if req.batch_volume.stated else []}))
        return calls
    llm = req.model_kind is not None and req.model_kind.value == "llm"
    on_devices = req.edge_devices is not None and bool(req.edge_devices.value)
    uplink = _uplink_call(req) if on_devices or req.uplink_mbps is not None else None
    if uplink is not None:
        calls.append(uplink)
    if req.peak_rps is not None and not on_devices:  # each device serves itself: no replicas to size
        latency = req.latency.value.seconds if req.latency is not None else (1.5 if llm else 0.1)
        calls.append(PlannedCall(name="serving_size_replicas", phase=1, args={
            "requests_per_second": round(req.peak_rps.value, 3), "latency_s": min(latency, 1.5) if llm else latency,
            "concurrency_per_replica": 16 if llm else 8,
            "concurrent_requests": req.concurrency.value if req.concurrency is not None else 0}))
    if chosen & {"vllm", "vllm-multi-lora"} or (llm and req.model_params_b is not None):
        params = req.model_params_b.value if req.model_params_b is not None else 8.0
        args: dict[str, object] = {"params_b": params, "stated_inputs": []}
        if req.model_params_b is not None and req.model_params_b.stated:
            args["stated_inputs"].append("params_b")  # type: ignore[union-attr]
        if req.context_tokens is not None:  # each sequence's context: the stated input plus room for the answer
            args["context_tokens"] = req.context_tokens.value + ANSWER_TOKENS
            if req.context_tokens.stated:
                args["stated_inputs"].append("context_tokens")  # type: ignore[union-attr]
        if req.concurrency is not None:  # the KV cache holds every sequence in flight
            args["concurrent_sequences"] = max(1, req.concurrency.value)
            args["stated_inputs"].append("concurrent_sequences")  # type: ignore[union-attr]
        hw = req.hardware.value if req.hardware is not None else None
        if hw is not None and hw.gpu_memory_gb:
            args["gpu_memory_gb"] = hw.gpu_memory_gb
            args["stated_inputs"].append("gpu_memory_gb")  # type: ignore[union-attr]
        calls.append(PlannedCall(name="serving_size_gpu", args=args, phase=1))
    return calls


ANSWER_TOKENS = 1_000  # room for the answer in a sequence's context, on top of the stated input
SAMPLE_BYTES = 4.0  # one raw sensor sample (a 32-bit value) on the wire


def _uplink_call(req: Requirements) -> PlannedCall | None:
    """The link check for data the devices produce: readings a second of a sampled fleet, or the
    model's inputs (frames, requests) a second."""
    if req.events_per_day is not None and req.events_per_day.stated and "time_series" in req.kinds():
        rate, item, size = req.events_per_day.value / 86400, "readings", SAMPLE_BYTES
    elif req.peak_rps is not None and req.peak_rps.stated:  # (an assumed load says nothing about a link)
        kb, item = req.record()
        rate, size, item = req.peak_rps.value, kb * 1000, item if item != "events" else "requests"
    else:
        return None
    args: dict[str, object] = {"items_per_second": round(rate, 3), "bytes_per_item": size, "item": item,
                               "stated_inputs": ["items_per_second"]}
    if req.uplink_mbps is not None:
        args["uplink_mbps"] = req.uplink_mbps.value
    return PlannedCall(name="serving_size_uplink", phase=1, args=args)
