"""The design fits what the request is: the cloud it names, the device it runs on, the kind
of model it serves, whether it is about ML at all, and the language it is written in.

Requests here are written for these tests (not taken from any evaluation set)."""

from __future__ import annotations

import re

import pytest

from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.api import design
from mlarchitect.agents.handoffs import plan_handoffs
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents.routing import fact_prior, route_request
from mlarchitect.agents.scope import in_domain
from mlarchitect.config import Settings
from mlarchitect.evaluation.metrics import chosen_text
from mlarchitect.requirements import Fact, Quantity, Requirements
from mlarchitect.skills.architecture import adapt_architecture
from mlarchitect.skills.catalogue import hard_violations, load_catalogue
from mlarchitect.skills.registry import load_skill_catalog

CATALOG = load_catalog()
ARCHITECT = CATALOG.agents["ml-system-architect"]
SKILLS = load_skill_catalog()
CLOUD_WORDS = {
    "aws": r"\baws\b|amazon|\bs3\b|\becs\b|\beks\b|sagemaker|\bmwaa\b|redshift|kinesis|\bec2\b",
    "gcp": r"\bgcp\b|google|\bgcs\b|cloud run|\bgke\b|vertex|bigquery|pub/sub|composer",
    "azure": r"azure|\baks\b|synapse|event hubs|\bfabric\b",
}


def _route(text: str) -> str:
    return route_request(text, ARCHITECT, SKILLS, extract_requirements(text)).workflow


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("fit"), offline=True)


# --- the named cloud ----------------------------------------------------------------------


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
@pytest.mark.parametrize("package", ["mlarchitect.skills.model_serving", "mlarchitect.skills.data_pipeline",
                                     "mlarchitect.skills.experiment_tracking", "mlarchitect.skills.rag_design"])
def test_a_named_cloud_is_the_one_the_chosen_components_use(cloud: str, package: str) -> None:
    req = Requirements(deployment=Fact.said("cloud", cloud), cloud=Fact.said(cloud, cloud),
                       model_kind=Fact.said("classic_ml" if "rag" not in package else "llm", "model"))
    arch = adapt_architecture(package, req)
    text = "\n".join(f"{c['name']} {c['technology']}" for c in arch["components"])
    assert re.search(CLOUD_WORDS[cloud], text, re.I), (cloud, text)
    for other, words in CLOUD_WORDS.items():
        if other != cloud:
            assert not re.search(words, text, re.I), (cloud, other, text)


def test_an_option_of_another_cloud_is_rejected_with_the_reason() -> None:
    slot = load_catalogue("mlarchitect.skills.data_pipeline").slots["orchestration"]
    managed = next(o for o in slot.options if o.id == "managed-airflow")
    assert managed.clouds and "azure" in managed.per_cloud
    req = Requirements(deployment=Fact.said("cloud", "on Oracle"), cloud=Fact.said("oracle", "Oracle Cloud"))
    assert any("names ORACLE" in v for v in hard_violations(managed, req))


def test_cost_items_are_named_as_the_design_names_the_component(settings: Settings) -> None:
    d = design("Nightly feature pipeline on GCP for our demand forecast, 30 GB a day from the shop database",
               settings=settings)
    items = " ".join(i.item for i in d.cost_analysis.items)
    assert "Cloud Composer" in items or "BigQuery" in items or "GCS" in items, items
    assert not re.search(CLOUD_WORDS["aws"], chosen_text(d), re.I), chosen_text(d)


# --- the kind of model and the device ----------------------------------------------------


@pytest.mark.parametrize("text", [
    "Our click-through model (a two-tower network in PyTorch) must answer 50k requests per second",
    "How do we serve 120 small demand-forecasting models, one per warehouse?",
    "Put our image classifier for damaged parcels behind an endpoint",
])
def test_a_model_that_is_not_an_llm_gets_no_llm_serving(text: str, settings: Settings) -> None:
    assert extract_requirements(text).model_kind.value == "classic_ml"
    d = design(text, settings=settings)
    assert d.workflow == "model_serving"
    assert not re.search(r"\bLLM\b|prompt|tokens|gpt-", chosen_text(d)), chosen_text(d)


def test_an_edge_fleet_is_not_one_machine_and_gets_no_load_balancer(settings: Settings) -> None:
    text = "Detect weeds in camera frames on a Jetson Orin mounted on each tractor; the fields have no network."
    req = extract_requirements(text)
    assert req.edge_devices.value is True and req.no_external_apis.value is True
    assert req.deployment.value != "single_machine"  # a Jetson on each tractor: a fleet
    assert extract_requirements("run the wake-word model on a Raspberry Pi 4 at home").deployment.value == "single_machine"
    d = design(text, settings=settings)
    assert d.workflow == "model_serving"  # a model to run on the devices (it was once read as out of scope)
    assert not re.search(r"load balancer|kubernetes|autoscal|two VMs|(?<!self-)hosted", chosen_text(d), re.I), chosen_text(d)


# --- in scope or not ------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "the dishwasher shows error E24 after every cycle",
    "Write a VBA macro that highlights late payments in column D",
    "Make our slow invoice report query faster, it joins 7 tables",
    "A booking site for a hair salon with email reminders, no AI at all",
])
def test_requests_about_no_ml_or_data_system_are_general_with_no_handoffs(text: str) -> None:
    assert not in_domain(text)
    assert _route(text) == "general"
    assert plan_handoffs(text, ARCHITECT, CATALOG) == []


@pytest.mark.parametrize("text", ["canary", "mlflow", "etl", "rag", "our pdfs, searchable", "retreival over the wiki"])
def test_short_domain_requests_stay_in_scope(text: str) -> None:
    assert in_domain(text) or _route(text) != "general"


def test_a_named_agent_is_reached_even_out_of_scope() -> None:
    plans = plan_handoffs("ask the backend-architect about my hair salon booking site", ARCHITECT, CATALOG)
    assert [p.agent for p in plans] == ["backend-architect"]


# --- other languages and stated facts ---------------------------------------------------------


@pytest.mark.parametrize(("text", "workflow"), [
    ("Queremos servir nuestro modelo de riesgo crediticio (LightGBM): 300 transacciones por segundo, latencia de 25 ms.",
     "model_serving"),
    ("Wir brauchen eine tägliche Pipeline für die Daten unserer 40 Filialen, mit Validierung.",
     "data_pipeline"),
    ("Nous voulons un assistant qui répond aux questions des agents à partir de nos 9 000 documents internes.",
     "rag_system"),
])
def test_mixed_language_requests_route_by_their_meaning(text: str, workflow: str) -> None:
    assert _route(text) == workflow


def test_stated_facts_point_to_a_workflow() -> None:
    docs = Requirements(corpus=Fact.said(Quantity(amount=5000, unit="manuals"), "5,000 manuals"))
    assert fact_prior(docs).get("rag_system", 0) > 0
    classic = Requirements(model_kind=Fact.said("classic_ml", "XGBoost"), peak_rps=Fact.said(200.0, "200 rps"))
    prior = fact_prior(classic)
    assert prior["model_serving"] > 0 > prior["rag_system"]
    assert fact_prior(Requirements()) == {}


def test_eu_residency_gets_an_eu_judge_and_the_retention_is_kept() -> None:
    req = Requirements(data_residency=Fact.said("EU", "stays in the EU"), model_kind=Fact.said("llm", "LLM"),
                       retention_days=Fact.said(3650.0, "kept for ten years"))
    arch = adapt_architecture("mlarchitect.skills.evaluation_metrics", req)
    text = "\n".join(f"{c['name']} {c['technology']}" for c in arch["components"])
    assert "EU data zone" in text and "hosted model (gpt-5)" not in text, text
    gates = " ".join(arch["evaluation"]["release_gates"])
    assert "3,650 days" in gates and "stays in EU" in gates


@pytest.mark.parametrize("package", ["mlarchitect.skills.evaluation_metrics", "mlarchitect.skills.model_serving",
                                     "mlarchitect.skills.rag_design", "mlarchitect.skills.data_pipeline",
                                     "mlarchitect.skills.experiment_tracking"])
def test_a_regulator_or_audit_trail_gets_an_audit_risk(package: str) -> None:
    req = extract_requirements("Our regulator will ask us to reconstruct decisions, so keep an audit trail.")
    assert [c.value for c in req.compliance] == ["audit"]
    risks = adapt_architecture(package, req)["risks"]
    assert any("audit" in r["risk"].lower() for r in risks), risks
    plain = adapt_architecture(package, Requirements())["risks"]
    assert not any("audit" in r["risk"].lower() for r in plain)


@pytest.mark.parametrize(("text", "ingestion"), [
    ("Every week our 25 branches email spreadsheets of sales; build the pipeline that feeds the stock model.", "file drops"),
    ("Fraud features must be fresh within 30 seconds of lag, straight from our MySQL transactions database.",
     "change data capture"),
])
def test_the_stated_source_decides_the_ingestion(text: str, ingestion: str, settings: Settings) -> None:
    d = design(text, settings=settings)
    component = next(c for c in d.components if c.name == "Ingestion")
    assert ingestion in component.technology, component
    assert "from “" in component.responsibility


def test_a_job_on_the_requests_own_machine_costs_nothing_and_a_vm_costs_its_price() -> None:
    from mlarchitect.skills.cost_analysis.design_cost import DesignCostArgs, price_design
    from mlarchitect.skills.cost_analysis.pricing import load_pricing

    table = load_pricing()
    own = price_design(DesignCostArgs(chosen=["polars-duckdb"], owned_machine=True), table)
    rented = price_design(DesignCostArgs(chosen=["polars-duckdb"]), table)
    assert [i.value for i in own] == [0.0] and rented[0].value > 0
    assert "owned_machine" not in DesignCostArgs.model_json_schema()["properties"]


def test_an_out_of_scope_request_gets_no_design_and_no_model_call(settings: Settings) -> None:
    d = design("Fix the wobbly leg of my kitchen table", settings=settings)
    assert d.workflow == "general" and d.components == [] and d.handoffs == []
    assert "not about an ML, LLM or data system" in d.summary and "RAG system" in d.summary
    assert d.cost_analysis.monthly_total_usd == 0.0 and d.assumptions == []
    assert d.provenance.llm_calls == 0 and d.skills_used == []
    assert d.open_questions


def test_the_event_stream_says_a_request_is_out_of_scope() -> None:
    from mlarchitect.events import Routed, describe

    assert "out of scope" in describe(Routed(workflow="general", in_scope=False))
    assert describe(Routed(workflow="rag_system", skills=["rag-design"])).startswith("routed to rag_system")


def test_stated_quality_targets_become_release_gates(settings: Settings) -> None:
    d = design("Design the evaluation for our support bot: faithfulness of at least 0.9 and recall@10 of 0.8 "
               "on every release.", settings=settings)
    gates = " ".join(d.evaluation_framework.release_gates)
    assert "faithfulness ≥ 0.9" in gates and "recall@10 ≥ 0.8" in gates
