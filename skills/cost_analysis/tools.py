"""Cost-analysis tools: the monthly LLM bill from traffic and prices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from mlarchitect.deliverable import Calculation
from mlarchitect.skills.base import SkillContext, ToolResult, search_tool, skill_tool

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


def tools(ctx: SkillContext) -> list[BaseTool]:
    return [
        search_tool(SKILL, "cost", ctx, "LLM cost estimation and optimization"),
        skill_tool(
            SKILL,
            "cost_estimate_llm",
            "Estimate the monthly LLM bill and cost per request from requests per day, tokens per "
            "request, the model and the cache hit rate; checks a monthly budget when given.",
            LLMCostArgs,
            lambda a: estimate_llm_cost(a, ctx),
        ),
    ]
