"""Many models behind one service (one per store, per customer): the count is read from the request,
and the serving design routes by key, sizes the models' memory and releases them as one set.
Requests written for these tests."""

from __future__ import annotations

import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.config import Settings


@pytest.mark.parametrize(("text", "count"), [
    ("We keep 240 small per-warehouse demand models and retrain them monthly.", 240),
    ("One pricing model per region; we operate in 35 regions.", 35),
    ("a dedicated propensity model for each of our 2,000 franchise partners", 2000),
    ("Two models run side by side today: a ranker and a classifier. We have 2 models.", 2),
])
def test_the_number_of_models_is_read(text: str, count: int) -> None:
    fact = extract_requirements(text).model_count
    assert fact is not None and fact.stated and fact.value == count


@pytest.mark.parametrize("text", [
    "Serve Mixtral 8x7B models on two A100 80 GB cards.",  # a size, not a count
    "serve a BERT classifier at 50 requests per second",
])
def test_no_model_count_without_one(text: str) -> None:
    assert extract_requirements(text).model_count is None


def test_many_models_are_routed_by_key_and_sized(settings: Settings) -> None:
    d = design("Serve 1,500 per-customer churn models (XGBoost) behind one API, about 40 requests per second.",
               settings=settings)
    assert d.workflow == "model_serving"
    assert any(c.name == "Model router" for c in d.components)
    calcs = {c.name: c for c in d.sizing}
    assert calcs["Memory for every model"].value == pytest.approx(36.62, abs=0.01)  # 1,500 × 25 MB
    assert calcs["Models resident per replica"].value == 81  # ⌊4 GB × 50% ÷ 25 MB⌋
    decisions = " ".join(x for step in d.steps for x in step.decisions)
    assert "Serve the 1,500 models from one service" in decisions
    assert "precompute" not in decisions  # churn scores are no forecasts
    assert any("1,500 models goes bad" in r.risk for r in d.risks)


def test_forecasting_models_are_offered_a_precomputed_table(settings: Settings) -> None:
    d = design("How do we serve 80 store-level sales forecasting models to the planning app?", settings=settings)
    decisions = " ".join(x for step in d.steps for x in step.decisions)
    assert "precompute them for every key" in decisions


def test_one_model_gets_no_router(settings: Settings) -> None:
    d = design("Serve our XGBoost fraud model at 300 requests per second, p99 under 50 ms.", settings=settings)
    assert not any(c.name == "Model router" for c in d.components)
