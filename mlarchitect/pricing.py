"""Dollars per design: a price table per model and the cost of a run's token usage.

Prices are US dollars per 1 million tokens, input (prompt) and output (completion).
The built-in table holds the official OpenAI API's list prices on :data:`PRICES_AS_OF`
(standard tier, no cached-input or batch discounts); it applies only to the official
API. ``[pricing."<model>"]`` in the config file adds or overrides a model, on any
server. A model with no known price gets no figure (``cost_usd`` is null) and a note
says why: the code never guesses a price.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

PRICES_AS_OF = "2025-09-01"
OFFICIAL_HOSTS = ("api.openai.com",)

# model -> (input, output) USD per 1M tokens, the official API's list prices on PRICES_AS_OF
BUILTIN_PRICES: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "o3": (2.00, 8.00),
    "o4-mini": (1.10, 4.40),
}

_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")  # gpt-5-mini-2025-08-07 -> gpt-5-mini


class ModelPrice(BaseModel):
    """A model's price in US dollars per 1 million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float = Field(ge=0, description="USD per 1M input (prompt) tokens.")
    output: float = Field(ge=0, description="USD per 1M output (completion) tokens.")

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input + completion_tokens * self.output) / 1_000_000


class Priced(BaseModel):
    """The cost of one model's usage, or why there is none."""

    cost_usd: float | None
    note: str = ""


def is_official_api(base_url: str | None) -> bool:
    if not base_url:
        return True
    host = re.sub(r"^[a-z]+://", "", base_url.strip().lower()).split("/")[0].split(":")[0]
    return host in OFFICIAL_HOSTS


def price_for(model: str, overrides: Mapping[str, ModelPrice], *, official: bool) -> ModelPrice | None:
    """The configured price of ``model``, else (official API only) the built-in one; a dated
    snapshot name (``gpt-5-mini-2025-08-07``) takes its family's price."""
    names = [model, model.lower(), _SNAPSHOT.sub("", model.lower())]
    for name in names:
        if name in overrides:
            return overrides[name]
    if official:
        for name in names:
            if name in BUILTIN_PRICES:
                return ModelPrice(input=BUILTIN_PRICES[name][0], output=BUILTIN_PRICES[name][1])
    return None


def price_usage(model: str, calls: int, prompt_tokens: int, completion_tokens: int,
                overrides: Mapping[str, ModelPrice], *, base_url: str | None) -> Priced:
    """Dollars for one model's calls: 0 for the offline engine or no calls; ``None`` with a
    reason when the price or the token counts are unknown."""
    if model == "offline" or calls == 0:
        return Priced(cost_usd=0.0)
    if prompt_tokens == 0 and completion_tokens == 0:
        return Priced(cost_usd=None, note=f"{model}: the server reported no token usage")
    official = is_official_api(base_url)
    price = price_for(model, overrides, official=official)
    if price is None:
        where = "" if official else f" on {base_url} (built-in prices are the official OpenAI API's)"
        return Priced(cost_usd=None, note=f'no price for model {model!r}{where}; set [pricing."{model}"] '
                                          "input and output (USD per 1M tokens) in the config file")
    return Priced(cost_usd=round(price.cost(prompt_tokens, completion_tokens), 6))
