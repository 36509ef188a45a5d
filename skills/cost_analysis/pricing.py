"""The pricing table cost estimates read (bundled TOML, replaceable)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field


class ModelPrice(BaseModel):
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(default=None, ge=0)


class EmbeddingPrice(BaseModel):
    per_mtok: float = Field(ge=0)
    dimensions: int = Field(gt=0)


class OptionPrice(BaseModel):
    kind: str
    model: str = ""
    usd: float = 0.0
    factor: float = 1.0


class PricingTable(BaseModel):
    as_of: str
    storage_gb_month: float
    ram_gb_month: float
    gpu_hour: float
    cpu_replica_month: float
    batch_vm_hour: float = 0.8
    models: dict[str, ModelPrice]
    embeddings: dict[str, EmbeddingPrice]
    options: dict[str, OptionPrice] = Field(default_factory=dict)

    def model(self, name: str) -> tuple[str, ModelPrice]:
        """Exact name, else the longest known prefix (``gpt-5-mini-2026..``), else the default."""
        if name in self.models:
            return name, self.models[name]
        for known in sorted(self.models, key=len, reverse=True):
            if name.startswith(known):
                return known, self.models[known]
        return "gpt-5-mini", self.models["gpt-5-mini"]


def load_pricing(path: Path | None = None) -> PricingTable:
    if path is None:
        text = (resources.files("mlarchitect.skills.cost_analysis") / "pricing.toml").read_text()
    else:
        text = path.read_text(encoding="utf-8")
    return PricingTable.model_validate(tomllib.loads(text))
