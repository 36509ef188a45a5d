"""Hard constraints decide the components; soft ones rank what is left.

These tests build ``Requirements`` directly, so they test the catalogues and the
choosing code, not the text extractor (tests/test_requirements_extract.py)."""

from __future__ import annotations

import re

import pytest

from mlarchitect.agents.api import design
from mlarchitect.agents.intake.assume import assumption_lines, with_assumptions
from mlarchitect.config import Settings
from mlarchitect.requirements import Fact, Hardware, Latency, Quantity, Requirements
from mlarchitect.skills.architecture import adapt_architecture
from mlarchitect.skills.catalogue import Option, Slot, choose, hard_violations, load_catalogue
from mlarchitect.skills.conditions import known_conditions
from mlarchitect.skills.cost_analysis.design_cost import DesignCostArgs, price_design
from mlarchitect.skills.cost_analysis.pricing import load_pricing

RAG = "mlarchitect.skills.rag_design"
SERVING = "mlarchitect.skills.model_serving"
EVAL = "mlarchitect.skills.evaluation_metrics"
PACKAGES = [RAG, SERVING, EVAL, "mlarchitect.skills.experiment_tracking", "mlarchitect.skills.data_pipeline"]
HOSTED = re.compile(r"openai|gpt-|text-embedding|cohere|pinecone|langsmith|textract|datadog|statsig|scale|w&b", re.I)


def said(value, quote):  # noqa: ANN001, ANN201
    return Fact.said(value, quote)


def chosen_text(arch: dict) -> str:
    return "\n".join(f"{c['name']} {c['technology']}" for c in arch["components"])


AIR_GAPPED = Requirements(
    deployment=said("air_gapped", "fully air-gapped"),
    no_external_apis=said(True, "no external APIs"),
    hardware=said(Hardware(gpus=2, gpu_model="A100", gpu_memory_gb=80), "2 A100s"),
    corpus=said(Quantity(amount=85_000, unit="documents"), "85,000 scanned PDFs"),
    document_types=["pdf", "scanned"],
)
POSTGRES_ONLY = Requirements(
    existing_stack=[said("postgres", "existing Postgres")],
    stack_only=said(True, "existing Postgres only"),
    monthly_budget_usd=said(150.0, "$150/month"),
)
LAPTOP = Requirements(
    deployment=said("single_machine", "runs on my laptop"),
    hardware=said(Hardware(ram_gb=16, cpu_only=True), "16 GB RAM"),
    corpus=said(Quantity(amount=3_000, unit="notes"), "~3,000 notes"),
)


def test_air_gapped_design_has_no_hosted_component_and_uses_the_gpus() -> None:
    arch = adapt_architecture(RAG, AIR_GAPPED, {"chunks": 400_000})
    text = chosen_text(arch)
    assert not HOSTED.search(text), text
    assert "OCR" in text  # scanned PDFs need OCR
    generator = next(c for c in arch["components"] if c["name"] == "Generation")
    assert "70B" in generator["technology"]  # 160 GB of GPU memory holds the largest model
    lost = {r["option"]: r["why"] for c in arch["choices"] for r in c["rejected"]}
    assert re.search("air-gapped|no external APIs", lost["gpt-5-mini via the OpenAI API"])


def test_postgres_only_reuses_postgres_and_adds_no_datastore() -> None:
    arch = adapt_architecture(RAG, POSTGRES_ONLY, {"chunks": 100_000})
    text = chosen_text(arch)
    assert "pgvector" in text
    assert not re.search(r"redis|qdrant|pinecone|opensearch|weaviate|chroma", text, re.I), text
    cache = next(c for c in arch["components"] if c["name"] == "Answer cache")
    assert "PostgreSQL" in cache["technology"]


def test_laptop_design_runs_in_one_process_with_local_models() -> None:
    arch = adapt_architecture(RAG, LAPTOP, {"chunks": 20_000})
    text = chosen_text(arch)
    assert not re.search(r"kubernetes|vllm|redis|qdrant|opensearch", text, re.I), text
    assert not HOSTED.search(text), text
    assert "llama.cpp" in text and "single Python process" in text
    assert "Answer cache" not in text  # no separate cache service on one machine


def test_batch_serving_has_no_online_endpoint() -> None:
    req = Requirements(mode=said("batch", "nightly batch scoring"), model_kind=said("classic_ml", "XGBoost"),
                       batch_volume=said(Quantity(amount=40e6, unit="rows"), "40M rows"))
    arch = adapt_architecture(SERVING, req, {"rows": 40e6})
    names = [c["name"] for c in arch["components"]]
    assert "Batch scoring job" in names and "Scheduler" in names
    assert "Inference service" not in names and "API gateway" not in names and "Cache" not in names
    assert not any("POST /v1" in line for line in arch["serving"]["api_contract"])
    assert any("40,000,000 rows" in r["risk"] for r in arch["risks"])


def test_classic_ml_evaluation_has_no_llm_judge() -> None:
    req = Requirements(model_kind=said("classic_ml", "LightGBM ranker"), prediction=said("ranking", "ranker"))
    arch = adapt_architecture(EVAL, req)
    assert not re.search(r"LLM-as-judge|promptfoo|Argilla", chosen_text(arch))
    assert not any("LLM-as-judge" in m for m in arch["evaluation"]["offline_metrics"])
    assert any("NDCG" in m for m in arch["evaluation"]["offline_metrics"])


def test_no_option_left_is_reported_not_hidden() -> None:
    slot = Slot(title="Generator", options=[Option(id="api", name="Hosted API", hosted=True)])
    choice = choose("generator", slot, AIR_GAPPED)
    assert choice.chosen is None and "No option satisfies" in choice.why
    assert re.search("“(fully air-gapped|no external APIs)”", choice.why)


def test_soft_constraints_rank_what_is_allowed() -> None:
    small_team = Requirements(team_size=said(2, "two engineers"), monthly_budget_usd=said(300.0, "$300 a month"))
    arch = adapt_architecture(RAG, small_team, {"chunks": 50_000})
    app = next(c for c in arch["components"] if c["name"] == "Query service")
    assert "Kubernetes" not in app["technology"]  # a team of two should not run a cluster


def test_every_catalogue_loads_and_every_condition_is_known() -> None:
    import yaml
    from importlib import resources

    known = set(known_conditions())
    for package in PACKAGES:
        catalogue = load_catalogue(package)
        assert catalogue.slots
        blueprint = yaml.safe_load((resources.files(package) / "blueprint.yaml").read_text())
        for comp in blueprint["components"]:
            assert set(comp.get("when", {})) <= known, comp
            assert comp.get("slot") is None or comp["slot"] in catalogue.slots, comp
        for rule in blueprint.get("risk_rules", []):
            assert set(rule.get("when", {})) <= known, rule
        names = {comp["name"] for comp in blueprint["components"]}
        for flow in blueprint.get("data_flows", []):  # a conditional flow: known conditions, real components
            if isinstance(flow, dict):
                assert set(flow.get("when", {})) <= known and flow.get("unless", next(iter(names))) in names, flow
                flow = flow["flow"]
            assert flow[0] in names and flow[1] in names, flow


def test_every_priced_option_exists_in_a_catalogue() -> None:
    ids = {o.id for p in PACKAGES for s in load_catalogue(p).slots.values() for o in s.options}
    assert set(load_pricing().options) <= ids


def test_owned_gpus_cost_nothing_and_rented_ones_are_priced() -> None:
    table = load_pricing()
    owned = price_design(DesignCostArgs(chosen=["llama-70b-vllm"], gpu_memory_gb={"llama-70b-vllm": 48}, owned_gpus=2,
                                        stated_inputs=["owned_gpus"]), table)
    rented = price_design(DesignCostArgs(chosen=["llama-70b-vllm"], gpu_memory_gb={"llama-70b-vllm": 48}), table)
    assert owned[0].value == 0 and owned[0].from_request == ["owned_gpus"]
    assert rented[0].value == pytest.approx(2 * table.gpu_hour * 730)


def test_hosted_model_calls_scale_with_traffic() -> None:
    table = load_pricing()
    low = price_design(DesignCostArgs(chosen=["gpt-5-mini"], requests_per_day=1_000), table)[0].value
    high = price_design(DesignCostArgs(chosen=["gpt-5-mini"], requests_per_day=10_000), table)[0].value
    assert high == pytest.approx(low * 10)


def test_assumptions_are_labelled_and_scaled_to_what_was_said() -> None:
    laptop = with_assumptions(LAPTOP, "rag_system")
    assert laptop.requests_per_day is not None and not laptop.requests_per_day.stated
    assert laptop.requests_per_day.value <= 100  # one user on a laptop, not a team tool
    assert laptop.corpus == LAPTOP.corpus  # stated values are kept as they are
    lines = assumption_lines(laptop)
    assert lines and all("assumed" in line for line in lines)
    assert not any("corpus" in line for line in lines)
    users = with_assumptions(Requirements(users=said(5_000, "5,000 employees")), "rag_system")
    assert users.requests_per_day.value == 25_000 and "5,000 users" in users.requests_per_day.reason


def test_a_stated_peak_is_not_copied_into_a_daily_volume() -> None:
    req = with_assumptions(Requirements(peak_rps=said(200.0, "200 requests per second"),
                                        latency=said(Latency(seconds=0.05, percentile="p99"), "50 ms p99")),
                           "model_serving")
    assert req.peak_rps.stated and not req.requests_per_day.stated
    assert req.requests_per_day.value == pytest.approx(200 * 86_400 / 3)


def test_hard_violation_reasons_quote_the_request() -> None:
    pinecone = next(o for o in load_catalogue(RAG).slots["vector_store"].options if o.id == "pinecone")
    reasons = hard_violations(pinecone, AIR_GAPPED)
    assert reasons and re.search("“(fully air-gapped|no external APIs)”", reasons[0])


def test_what_the_request_refuses_is_not_designed_in(settings: Settings) -> None:
    """A refusal ("no real-time serving") is not an ask: no practice labelled with it, and a
    batch design runs where its batch job says, with no cluster the request never mentioned."""
    from mlarchitect.agents.offline.composer import refused_words

    assert {"real-time"} <= refused_words("weekly scoring of 5M rows, no real-time endpoint, please")
    assert refused_words("p95 no more than 2 s") == set()
    d = design("A two-person team scores 8M loan applications every night from Snowflake, no real-time serving, "
               "$500/month at most", settings=settings)
    practices = [p for step in d.steps for p in step.decisions]
    assert not [p for p in practices if p.lower().startswith("real-time")], practices
    names = {c.name for c in d.components}
    assert "Compute platform" not in names and "Batch scoring job" in names
    assert not [c for c in d.components if "kubernetes" in c.technology.lower()], [c.technology for c in d.components]


def test_the_summary_names_constraints_not_the_kind_of_system(settings: Settings) -> None:
    """"It respects ..." quotes what constrains the design (air-gapped, nightly, Postgres only),
    never the words that say what kind of system it is ("RAG")."""
    plain = design("Design a RAG system that answers employee questions from 30,000 Confluence pages", settings=settings)
    assert "It respects" not in plain.summary, plain.summary
    bound = design("A RAG assistant over 5,000 manuals, fully air-gapped", settings=settings)
    assert "It respects" in bound.summary and "air-gapped" in bound.summary, bound.summary
