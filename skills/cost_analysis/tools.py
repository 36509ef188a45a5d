"""Cost-analysis tools: the monthly LLM bill from traffic and prices."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mlarchitect.deliverable import Calculation
from mlarchitect.skills.base import SkillContext, ToolResult, search_tool, skill_tool
from mlarchitect.skills.catalogue import EMBEDDED_STORES, Option, adds_datastore
from mlarchitect.requirements import Requirements
from mlarchitect.skills.cost_analysis.design_cost import DesignCostArgs, price_design
from mlarchitect.tool_result import PlannedCall, find_result

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

SKILL = "cost-analysis"
DAYS_PER_MONTH = 30


class LLMCostArgs(BaseModel):
    requests_per_day: float = Field(gt=0, description="LLM requests per day.")
    input_tokens: int = Field(default=1500, ge=0, description="Prompt tokens per request.")
    output_tokens: int = Field(default=300, ge=0, description="Completion tokens per request.")
    model: str = Field(default="", description="Model name for the price lookup.")
    cache_hit_rate: float = Field(default=0.0, ge=0, le=0.95, description="Share answered from cache.")
    monthly_budget_usd: float | None = Field(default=None, ge=0)


def estimate_llm_cost(args: LLMCostArgs, ctx: SkillContext) -> ToolResult:
    table = ctx.pricing_table()
    name, price = table.model(args.model or ctx.default_model)
    per_request = (
        args.input_tokens * price.input_per_mtok + args.output_tokens * price.output_per_mtok
    ) / 1e6
    billed_per_day = args.requests_per_day * (1 - args.cache_hit_rate)
    monthly = billed_per_day * DAYS_PER_MONTH * per_request
    calcs = [
        Calculation(
            name="LLM cost per request",
            value=round(per_request, 6),
            unit="USD",
            formula=(
                f"({args.input_tokens} input tok × ${price.input_per_mtok}/M + "
                f"{args.output_tokens} output tok × ${price.output_per_mtok}/M) = ${per_request:.5f}"
            ),
            inputs={"model": name, "input_tokens": args.input_tokens, "output_tokens": args.output_tokens},
        ),
        Calculation(
            name="LLM cost per month",
            value=round(monthly, 2),
            unit="USD/month",
            formula=(
                f"{args.requests_per_day:,.0f} req/day × (1 − {args.cache_hit_rate:.0%} cache hits) × "
                f"{DAYS_PER_MONTH} days × ${per_request:.5f} = ${monthly:,.2f}"
            ),
            inputs={"requests_per_day": args.requests_per_day, "cache_hit_rate": args.cache_hit_rate},
        ),
    ]
    recs = [
        f"Prices are the bundled table as of {table.as_of} for {name}; replace them with your contract prices.",
        "Cache identical and near-identical requests first: every hit removes a full LLM call.",
        "Route easy requests to a smaller model and keep the large one for the hard tail.",
        "Trim prompts (retrieved context, instructions) before buying a bigger budget; input tokens dominate most RAG bills.",
    ]
    data: dict[str, object] = {"model": name, "monthly_usd": round(monthly, 2), "per_request_usd": per_request}
    if args.monthly_budget_usd:
        affordable = args.monthly_budget_usd / (DAYS_PER_MONTH * per_request * (1 - args.cache_hit_rate))
        data["budget_usd"] = args.monthly_budget_usd
        data["within_budget"] = monthly <= args.monthly_budget_usd
        calcs.append(
            Calculation(
                name="Requests per day the budget allows",
                value=round(affordable),
                unit="requests/day",
                formula=(
                    f"${args.monthly_budget_usd:,.0f} ÷ ({DAYS_PER_MONTH} days × ${per_request:.5f} × "
                    f"(1 − {args.cache_hit_rate:.0%})) = {affordable:,.0f}"
                ),
                inputs={"monthly_budget_usd": args.monthly_budget_usd},
            )
        )
    return ToolResult(
        skill=SKILL,
        tool="cost_estimate_llm",
        summary=f"≈ ${monthly:,.2f}/month on {name} (${per_request:.5f} per request)",
        recommendations=recs,
        calculations=calcs,
        data=data,
    )


BILL_GAP = 0.2  # an estimate below this share of today's bill, on an assumed load, says so


class DesignBudgetArgs(DesignCostArgs):
    monthly_budget_usd: float | None = Field(default=None, ge=0, description="Only a budget the request states.")
    current_monthly_spend_usd: float | None = Field(default=None, ge=0, description="Today's bill, if stated.")


def estimate_design_cost(args: DesignBudgetArgs, ctx: SkillContext) -> ToolResult:
    table = ctx.pricing_table()
    items = price_design(args, table)
    total = round(sum(i.value for i in items), 2)
    data: dict[str, object] = {"monthly_total_usd": total, "as_of": table.as_of}
    recs = [f"Prices are the bundled table as of {table.as_of}; replace them with your contract prices."]
    if items and total > 0:
        top = max(items, key=lambda i: i.value)
        recs.append(f"The largest line is {top.name} (${top.value:,.0f}/month, {top.value / total:.0%} of the total): "
                    f"{_TIPS.get(top.name.split(' (')[0], 'optimise it first')}.")
    if args.monthly_budget_usd is not None:
        data["budget_usd"] = args.monthly_budget_usd
        data["within_budget"] = total <= args.monthly_budget_usd
    if args.current_monthly_spend_usd is not None:
        saving = args.current_monthly_spend_usd - total
        data["current_spend_usd"] = args.current_monthly_spend_usd
        recs.append(f"Against today's bill of ${args.current_monthly_spend_usd:,.0f}/month this design costs "
                    f"${total:,.0f}/month ({'saves' if saving >= 0 else 'adds'} ${abs(saving):,.0f}/month).")
        unexplained = total < BILL_GAP * args.current_monthly_spend_usd
        if unexplained and "requests_per_day" not in args.stated_inputs:
            recs.append(f"The estimate rests on an assumed load of {args.requests_per_day:,.0f} requests/day; a bill of "
                        f"${args.current_monthly_spend_usd:,.0f}/month points to more traffic than that, so state the "
                        "real volume before reading the saving as real.")
        elif unexplained and args.requests_per_day > 0:
            # the stated load does not explain the bill: something per request is larger than assumed
            requests = args.requests_per_day * DAYS_PER_MONTH
            recs.append(f"At the stated {args.requests_per_day:,.0f} requests/day today's bill comes to "
                        f"${args.current_monthly_spend_usd / requests:,.4f} per request, against "
                        f"${total / requests:,.4f} in this design: the requests carry more tokens than the assumed {args.input_tokens:,} in / "
                        f"{args.output_tokens:,} out (long context, chat history, agent loops) or reach a larger model. "
                        "Measure tokens and model per request from the provider's usage export before reading the "
                        "saving as real.")
    return ToolResult(skill=SKILL, tool="cost_estimate_design",
                      summary=f"≈ ${total:,.2f}/month for the chosen components", recommendations=recs,
                      calculations=items, data=data)


_TIPS = {
    "Model calls": "cache repeated requests, route easy ones to a smaller model and trim the prompt context",
    "Embeddings": "embed only changed chunks (content hashes) and batch the calls",
    "GPU servers": "quantize to 4-bit, share one GPU between the embedder and reranker, and scale to zero off-hours",
    "Service compute": "autoscale on in-flight requests with a lower floor off-peak",
    "Vector index memory": "quantize vectors to int8 and drop unused metadata from the index",
    "Batch compute": "use spot/preemptible machines; the job is idempotent per partition",
}


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "cost", ctx, "LLM cost estimation and optimization"),
        skill_tool(SKILL, "cost_estimate_design",
                   "The monthly bill of the chosen components (model calls, embeddings, GPUs, replicas, vector "
                   "memory, flat services), with a budget verdict only for a stated budget.",
                   DesignBudgetArgs, lambda a: estimate_design_cost(a, ctx)),
        skill_tool(
            SKILL,
            "cost_estimate_llm",
            "Estimate the monthly LLM bill and cost per request from requests per day, tokens per "
            "request, the model and the cache hit rate; checks a monthly budget when given.",
            LLMCostArgs,
            lambda a: estimate_llm_cost(a, ctx),
        ),
    ]


SERVICE_OPTIONS = ("fastapi-k8s", "fastapi-vm", "tesseract", "kubernetes", "managed-containers", "vms")
TOKENS_PER_REQUEST = {"rag_system": (2500, 350), "evaluation_system": (1200, 200)}
PAGES_PER_DOCUMENT = 10


def offline_plan(req: Requirements, results: list[ToolResult], workflow: str) -> list[PlannedCall]:
    """Price the chosen components once the architecture and sizing results are in."""
    archs = [r for r in results if r.tool.endswith("_design_architecture")]
    if not archs:
        return []
    chosen = sorted({o for r in archs for o in r.data.get("chosen", [])})
    picked = [c["chosen"] for r in archs for c in r.data.get("choices", []) if c.get("chosen")]
    gpu_memory = {c["id"]: c["gpu_memory_gb"] for c in picked if c.get("gpu_memory_gb")}
    names = {c["id"]: c["name"] for c in picked if c.get("name")}
    # a datastore the team already runs (its Elasticsearch, its SQL Server) adds no line to the bill
    existing = sorted({c["id"] for c in picked if c.get("datastore", "none") not in EMBEDDED_STORES
                       and not adds_datastore(Option.model_validate(c), req.stack())})
    sized = find_result(results, "serving_size_gpu")  # the sized model's memory, where the design sized it
    if sized is not None:
        gpu_memory.update({o: round(float(sized.data["total_gb"]), 1) for o in gpu_memory if o.startswith("vllm")})
    index = find_result(results, "rag_size_index")
    replicas = find_result(results, "serving_size_replicas")
    stated: list[str] = []
    per_day = req.requests_per_day.value if req.requests_per_day else 0.0
    if req.requests_per_day is not None and req.requests_per_day.stated:
        stated.append("requests_per_day")
    if req.corpus is not None and req.corpus.stated:
        stated += ["corpus_tokens", "pages"]
    tokens_in, tokens_out = TOKENS_PER_REQUEST.get(workflow, (800, 200))
    args: dict[str, object] = {
        "chosen": chosen, "names": names, "existing": existing, "gpu_memory_gb": gpu_memory, "requests_per_day": round(per_day, 2),
        "input_tokens": tokens_in, "output_tokens": tokens_out,
        "cache_hit_rate": 0.2 if any(o in chosen for o in ("redis", "pg-cache", "lru")) else 0.0,
        "replicas": int(replicas.data["replicas"]) if replicas else _service_replicas(req, chosen),
    }
    if index is not None:
        args["corpus_tokens"] = index.data.get("embed_tokens", 0)
        args["vector_gb"] = index.data.get("vector_gb", 0)
    if req.team_size is not None:
        args["seats"] = req.team_size.value
        if req.team_size.stated:
            stated.append("seats")
    # what the sizing tools keep in object storage: a pipeline's retained data and a tracker's artifacts, both
    stores = [r for r in (find_result(results, "exp_estimate_storage"), find_result(results, "data_size_pipeline")) if r]
    if stores:
        args["storage_gb"] = round(sum(_storage_gb(r) for r in stores), 2)
    batch = find_result(results, "serving_size_batch")
    if batch is not None:
        args["batch_hours_per_day"] = round(float(batch.data["hours"]), 3)
    speech = find_result(results, "rag_size_transcription")
    if speech is not None:
        args["audio_hours_per_day"] = round(float(speech.data["audio_hours_per_day"]), 3)
        args["gpu_hours_per_day"] = round(float(speech.data["gpu_hours_per_day"]), 3)
        if req.media_hours_per_day is not None and req.media_hours_per_day.stated:
            stated.append("audio_hours_per_day")
    if req.corpus is not None and "textract" in chosen:
        per = 1 if req.corpus.value.unit.startswith("page") else PAGES_PER_DOCUMENT
        args["pages"] = req.corpus.value.amount * per
    if req.hardware is not None and req.hardware.value.gpus:
        args["owned_gpus"] = req.hardware.value.gpus
        if req.hardware.stated:
            stated.append("owned_gpus")
    if req.deployment is not None and req.deployment.stated and req.deployment.value == "single_machine":
        args["owned_machine"] = True
    if (req.deployment is not None and req.deployment.stated and req.deployment.value in ("on_prem", "air_gapped")
            and (req.stack() & {"kubernetes", "slurm"} or (req.hardware is not None and req.hardware.stated))):
        args["owned_cluster"] = True  # "our on-prem Kubernetes cluster", "4x L40S on-prem": capacity the team has
    if req.monthly_budget_usd is not None and req.monthly_budget_usd.stated:
        args["monthly_budget_usd"] = req.monthly_budget_usd.value
    if req.current_monthly_spend_usd is not None:
        args["current_monthly_spend_usd"] = req.current_monthly_spend_usd.value
    args["stated_inputs"] = stated
    return [PlannedCall(name="cost_estimate_design", args=args, phase=2)]


def _storage_gb(result: ToolResult) -> float:
    """The stored volume a sizing tool computed (its largest GB figure)."""
    sizes = [c.value * (1024 if c.unit == "TB" else 1) for c in result.calculations if c.unit in ("GB", "TB")]
    return max(sizes, default=0.0)


def _service_replicas(req: Requirements, chosen: list[str]) -> int:
    """CPU replicas of a request-serving app: Little's law with 8 concurrent requests at 60%."""
    if req.mode is not None and req.mode.value == "batch":
        return 0
    if not any(o in chosen for o in SERVICE_OPTIONS):
        return 0
    peak = req.peak_rps.value if req.peak_rps else 0.1
    latency = req.latency.value.seconds if req.latency else 1.0
    floor = 2 if any(o in chosen for o in ("fastapi-k8s", "kubernetes", "managed-containers", "vms")) else 1
    return max(floor, math.ceil(peak * latency / (8 * 0.6)))
