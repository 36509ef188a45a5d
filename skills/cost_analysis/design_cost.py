"""The monthly bill of a design: one line item per chosen component that costs
money, priced from the bundled table (``pricing.toml`` ``[options.*]``)."""

from __future__ import annotations

import math

from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from mlarchitect.deliverable import Calculation
from mlarchitect.skills.cost_analysis.pricing import PricingTable

HOURS_PER_MONTH = 730
DAYS_PER_MONTH = 30
GPU_MEMORY_PER_CARD_GB = 24  # the L4/A10-class GPU the table's gpu_hour prices


class DesignCostArgs(BaseModel):
    chosen: list[str] = Field(description="Option ids of the chosen components (from *_design_architecture).")
    # the name the design gives each option id, for the line items; filled by the offline plan
    # from the architecture results and left out of the schema a model sees (ids label the items then)
    names: SkipJsonSchema[dict[str, str]] = Field(default_factory=dict)
    gpu_memory_gb: dict[str, float] = Field(default_factory=dict, description="GPU memory each GPU option needs.")
    requests_per_day: float = Field(default=0, ge=0)
    input_tokens: int = Field(default=2500, ge=0, description="Prompt tokens per request.")
    output_tokens: int = Field(default=350, ge=0)
    cache_hit_rate: float = Field(default=0.0, ge=0, le=0.95)
    corpus_tokens: float = Field(default=0, ge=0, description="Tokens to embed once.")
    pages: float = Field(default=0, ge=0, description="Pages to OCR once.")
    vector_gb: float = Field(default=0, ge=0, description="Vector index size in RAM, GB.")
    replicas: int = Field(default=2, ge=0, description="CPU replicas of the serving components.")
    owned_gpus: int = Field(default=0, ge=0, description="GPUs the request says it already has.")
    owned_machine: SkipJsonSchema[bool] = False  # the request runs on one machine it already has (offline plan)
    owned_cluster: SkipJsonSchema[bool] = False  # the services run on on-prem machines the team already has
    existing: SkipJsonSchema[list[str]] = Field(default_factory=list)  # chosen options the team already runs: no new bill
    batch_hours_per_day: float = Field(default=0, ge=0, description="Hours a batch job runs each day.")
    audio_hours_per_day: float = Field(default=0, ge=0, description="Hours of recordings transcribed each day.")
    gpu_hours_per_day: float = Field(default=0, ge=0, description="GPU hours a day of batch GPU jobs (transcription).")
    seats: int = Field(default=5, ge=0, description="People using per-seat services.")
    storage_gb: float = Field(default=0, ge=0, description="Data kept in object storage, GB.")
    judged_per_month: float = Field(default=11_500, ge=0, description="Examples an LLM judge scores a month.")
    stated_inputs: list[str] = Field(default_factory=list, description="Which of these inputs the request stated.")


def price_design(args: DesignCostArgs, table: PricingTable) -> list[Calculation]:
    items: list[Calculation] = []
    stated = [s for s in args.stated_inputs]
    gpu_options = [o for o in args.chosen if table.options.get(o) and table.options[o].kind == "gpu"]
    for option in args.chosen:
        price = table.options.get(option)
        if price is None or option in args.existing:
            continue
        item = _item(args.names.get(option, option), price.kind, price, args, table, stated)
        if item is not None:
            items.append(item)
    if gpu_options:
        items.append(_gpus(gpu_options, args, table, stated))
    return items


def _item(option: str, kind: str, price, args: DesignCostArgs, table: PricingTable,  # noqa: ANN001
          stated: list[str]) -> Calculation | None:
    if kind == "llm":
        name, model = table.model(price.model)
        per_request = (args.input_tokens * model.input_per_mtok + args.output_tokens * model.output_per_mtok) / 1e6
        billed = args.requests_per_day * (1 - args.cache_hit_rate)
        monthly = billed * DAYS_PER_MONTH * per_request
        return Calculation(
            name=f"Model calls ({name})", value=round(monthly, 2), unit="USD/month",
            formula=(f"{args.requests_per_day:,.0f} req/day × (1 − {args.cache_hit_rate:.0%} cached) × {DAYS_PER_MONTH} days × "
                     f"({args.input_tokens:,} in × ${model.input_per_mtok}/M + {args.output_tokens:,} out × "
                     f"${model.output_per_mtok}/M) = ${monthly:,.2f}"),
            inputs={"requests_per_day": args.requests_per_day}, from_request=_said(["requests_per_day"], stated))
    if kind == "judge":
        name, model = table.model(price.model)
        per_example = (1500 * model.input_per_mtok + 200 * model.output_per_mtok) / 1e6
        monthly = args.judged_per_month * per_example
        return Calculation(
            name=f"Judge calls ({name})", value=round(monthly, 2), unit="USD/month",
            formula=(f"{args.judged_per_month:,.0f} judged examples/month × (1,500 in × ${model.input_per_mtok}/M + "
                     f"200 out × ${model.output_per_mtok}/M) = ${monthly:,.2f}"),
            inputs={"judged_per_month": args.judged_per_month})
    if kind == "embedding":
        emb = table.embeddings.get(price.model)
        if emb is None:
            return None
        monthly_tokens = args.corpus_tokens * 0.05 + args.requests_per_day * DAYS_PER_MONTH * 30
        monthly = monthly_tokens / 1e6 * emb.per_mtok
        once = args.corpus_tokens / 1e6 * emb.per_mtok
        return Calculation(
            name=f"Embeddings ({price.model})", value=round(monthly, 2), unit="USD/month",
            formula=(f"(5% of {args.corpus_tokens:,.0f} corpus tokens re-embedded + {args.requests_per_day:,.0f} queries/day × "
                     f"{DAYS_PER_MONTH} × 30 tokens) × ${emb.per_mtok}/M = ${monthly:,.2f}; first full embedding ${once:,.2f} once"),
            inputs={"corpus_tokens": args.corpus_tokens}, from_request=_said(["corpus_tokens", "requests_per_day"], stated))
    if kind == "per_page":
        once = args.pages / 1000 * price.usd
        return Calculation(name="Managed OCR (one-off, spread over 12 months)", value=round(once / 12, 2), unit="USD/month",
                           formula=f"{args.pages:,.0f} pages × ${price.usd}/1,000 = ${once:,.2f} once ÷ 12",
                           inputs={"pages": args.pages}, from_request=_said(["pages"], stated))
    if kind == "replicas" and args.owned_cluster:
        return Calculation(name=f"Service compute ({option}, on the team's own hardware)", value=0.0, unit="USD/month",
                           formula=f"{args.replicas} CPU replicas on the on-prem machines the request names: capacity "
                                   "it already has; power and hardware are not priced",
                           inputs={"replicas": args.replicas})
    if kind == "replicas":
        monthly = args.replicas * table.cpu_replica_month
        return Calculation(name=f"Service compute ({option})", value=round(monthly, 2), unit="USD/month",
                           formula=f"{args.replicas} CPU replicas × ${table.cpu_replica_month}/month = ${monthly:,.2f}",
                           inputs={"replicas": args.replicas})
    if kind == "ram":
        gb = max(args.vector_gb * price.factor, 1.0)
        monthly = gb * table.ram_gb_month
        return Calculation(name=f"Vector index memory ({option})", value=round(monthly, 2), unit="USD/month",
                           formula=(f"max({args.vector_gb:,.2f} GB × {price.factor:g}, 1 GB) × "
                                    f"${table.ram_gb_month}/GB-month = ${monthly:,.2f}"),
                           inputs={"vector_gb": args.vector_gb}, from_request=_said(["corpus_tokens"], stated))
    if kind == "batch_job":
        monthly = args.batch_hours_per_day * DAYS_PER_MONTH * table.batch_vm_hour * price.factor
        return Calculation(name=f"Batch compute ({option})", value=round(monthly, 2), unit="USD/month",
                           formula=(f"{args.batch_hours_per_day:,.2f} h/day × {DAYS_PER_MONTH} days × "
                                    f"${table.batch_vm_hour}/h × {price.factor:g} machines = ${monthly:,.2f}"),
                           inputs={"batch_hours_per_day": args.batch_hours_per_day})
    if kind == "per_seat":
        monthly = args.seats * price.usd
        return Calculation(name=f"{option} seats", value=round(monthly, 2), unit="USD/month",
                           formula=f"{args.seats} seats × ${price.usd:,.0f}/month = ${monthly:,.2f}",
                           inputs={"seats": args.seats}, from_request=_said(["seats"], stated))
    if kind == "storage":
        monthly = args.storage_gb * table.storage_gb_month
        return Calculation(name=f"Object storage ({option})", value=round(monthly, 2), unit="USD/month",
                           formula=f"{args.storage_gb:,.0f} GB × ${table.storage_gb_month}/GB-month = ${monthly:,.2f}",
                           inputs={"storage_gb": args.storage_gb})
    if kind == "gpu_batch":  # GPU jobs that run for as long as the day's work needs, not a GPU kept all month
        if args.owned_gpus or args.owned_cluster:
            return Calculation(name=f"{option} (on the team's own GPUs)", value=0.0, unit="USD/month",
                               formula=f"{args.gpu_hours_per_day:,.2f} GPU h/day on hardware the request already has")
        monthly = args.gpu_hours_per_day * DAYS_PER_MONTH * table.gpu_hour
        return Calculation(name=f"GPU batch jobs ({option})", value=round(monthly, 2), unit="USD/month",
                           formula=(f"{args.gpu_hours_per_day:,.2f} GPU h/day × {DAYS_PER_MONTH} days × "
                                    f"${table.gpu_hour}/h = ${monthly:,.2f}"),
                           inputs={"gpu_hours_per_day": args.gpu_hours_per_day})
    if kind == "per_audio_hour":
        monthly = args.audio_hours_per_day * DAYS_PER_MONTH * price.usd
        return Calculation(name=f"Transcription ({option})", value=round(monthly, 2), unit="USD/month",
                           formula=(f"{args.audio_hours_per_day:,.1f} h of audio/day × {DAYS_PER_MONTH} days × "
                                    f"${price.usd}/h = ${monthly:,.2f}"),
                           inputs={"audio_hours_per_day": args.audio_hours_per_day},
                           from_request=_said(["audio_hours_per_day"], stated))
    if kind == "machine":  # a job on one machine: a VM to rent, unless the request's own machine runs it
        if args.owned_machine:
            return Calculation(name=f"{option} (on the machine the request names)", value=0.0, unit="USD/month",
                               formula="runs on a machine the request already has: no new cost")
        return Calculation(name=f"{option} (one VM)", value=price.usd, unit="USD/month",
                           formula=f"one VM ≈ ${price.usd:,.0f}/month")
    if kind == "fixed":
        return Calculation(name=f"{option} (flat)", value=price.usd, unit="USD/month",
                           formula=f"list price ≈ ${price.usd:,.0f}/month")
    return None  # included: runs on something the design already pays for


def _gpus(options: list[str], args: DesignCostArgs, table: PricingTable, stated: list[str]) -> Calculation:
    memory = sum(args.gpu_memory_gb.get(o, GPU_MEMORY_PER_CARD_GB) for o in options)
    cards = max(1, math.ceil(memory / GPU_MEMORY_PER_CARD_GB))
    if args.owned_gpus:
        return Calculation(name="GPU servers (owned)", value=0.0, unit="USD/month",
                           formula=(f"{args.owned_gpus} GPU{'s' if args.owned_gpus != 1 else ''} the request already has run {', '.join(options)} "
                                    f"(≈ {memory:g} GB of GPU memory); power and depreciation are not priced"),
                           inputs={"owned_gpus": args.owned_gpus}, from_request=_said(["owned_gpus"], stated))
    monthly = cards * table.gpu_hour * HOURS_PER_MONTH
    return Calculation(name="GPU servers (rented)", value=round(monthly, 2), unit="USD/month",
                       formula=(f"⌈{memory:g} GB ÷ {GPU_MEMORY_PER_CARD_GB} GB per GPU⌉ = {cards} GPUs × "
                                f"${table.gpu_hour}/h × {HOURS_PER_MONTH} h = ${monthly:,.2f}"),
                       inputs={"gpu_memory_gb": memory})


def _said(names: list[str], stated: list[str]) -> list[str]:
    return [n for n in names if n in stated]
