"""What a request asks for by name or by technique ("change data capture", "an A/B test",
"Debezium", "vLLM") is the option a design chooses, unless a hard constraint rules it out,
and then the design says so. Requests here are written for these tests (not taken from any
evaluation set)."""

from __future__ import annotations

import pytest

from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.requirements import Fact, Requirements
from mlarchitect.skills.architecture import adapt_architecture
from mlarchitect.skills.catalogue import load_catalogue, named_in

PIPELINE = "mlarchitect.skills.data_pipeline"
EVALUATION = "mlarchitect.skills.evaluation_metrics"
SERVING = "mlarchitect.skills.model_serving"
PACKAGES = [PIPELINE, EVALUATION, SERVING, "mlarchitect.skills.experiment_tracking", "mlarchitect.skills.rag_design"]


def _option(package: str, option_id: str):  # noqa: ANN202 - an Option
    return next(o for s in load_catalogue(package).slots.values() for o in s.options if o.id == option_id)


def _chosen(package: str, request: str) -> dict[str, str]:
    arch = adapt_architecture(package, extract_requirements(request), request=request)
    return {c["slot"]: c["chosen"]["id"] for c in arch["choices"] if c.get("chosen")}


@pytest.mark.parametrize(("text", "named"), [
    ("stream the orders table with Debezium", "Debezium"),
    ("we want change data capture from MySQL", "change data capture"),
    ("CDC every five minutes", "CDC"),
    ("replace the CDC feed with nightly dumps", None),  # named to be dropped
    ("no CDC please, nightly extracts are fine", None),
    ("moving off Debezium", None),
    ("the ABCDC project", None),  # inside another word
])
def test_an_option_is_named_by_its_words_unless_they_exclude_it(text: str, named: str | None) -> None:
    assert named_in(_option(PIPELINE, "cdc"), text) == named


@pytest.mark.parametrize(("package", "request_text", "slot", "option"), [
    (PIPELINE, "CDC from our Postgres orders database into the lakehouse every few minutes", "ingestion", "cdc"),
    (PIPELINE, "nightly loads from the ERP, transformed with Polars", "processing", "polars-duckdb"),
    (EVALUATION, "an A/B testing framework for the search ranking model, 80k searches a day", "experiments", "homegrown-ab"),
    (EVALUATION, "run the new recommender in shadow mode next to the current one before any user sees it",
     "experiments", "shadow-challenger"),
    (SERVING, "serve our fraud model with Triton on Kubernetes, 300 requests per second", "inference_runtime", "triton"),
])
def test_the_named_option_is_chosen(package: str, request_text: str, slot: str, option: str) -> None:
    assert _chosen(package, request_text)[slot] == option


def test_without_the_name_the_default_stands() -> None:
    """The preference comes from the words: the same request without them keeps the usual ingestion."""
    assert _chosen(PIPELINE, "load our Postgres orders database into the lakehouse every night")["ingestion"] != "cdc"


def test_a_named_option_that_breaks_a_hard_constraint_loses_and_the_design_says_why() -> None:
    request = "air-gapped site, no internet: extract fields from scanned invoices with Textract"
    arch = adapt_architecture(PIPELINE, extract_requirements(request), request=request)
    extraction = next(c for c in arch["choices"] if c["slot"] == "extraction")
    assert extraction["chosen"]["id"] != "managed-doc-ai"
    lost = next(r for r in extraction["rejected"] if "Textract" in r["option"])
    assert lost["why"].startswith("asked for (“Textract”), but")


def test_an_assumed_mode_does_not_rule_out_a_named_option_but_a_stated_one_does() -> None:
    cdc = "we want change data capture from the orders database"
    assumed = Requirements(mode=Fact.assumed("batch", "no latency stated"))
    stated = Requirements(mode=Fact.said("batch", "nightly batch only"))
    assert _choose_ingestion(assumed, cdc) == "cdc"
    assert _choose_ingestion(stated, cdc) != "cdc"


def _choose_ingestion(req: Requirements, text: str) -> str:
    arch = adapt_architecture(PIPELINE, req, request=text)
    return next(c["chosen"]["id"] for c in arch["choices"] if c["slot"] == "ingestion")


@pytest.mark.parametrize("package", PACKAGES)
def test_every_named_by_pattern_compiles_and_names_no_common_word(package: str) -> None:
    """A pattern that matched everyday words would push its option into every design."""
    everyday = ("We need a system for our team that answers questions, scores data and runs every night "
                "on our servers with tests, dashboards, alerts, a model, users and a database.")
    for slot in load_catalogue(package).slots.values():
        for option in slot.options:
            assert named_in(option, everyday) is None, option.id


def test_scanned_invoices_get_a_document_extraction_step_and_other_pipelines_do_not() -> None:
    invoices = "Extract line items from 20k scanned supplier invoices a month into our Postgres ERP tables"
    events = "Clickstream events from the web shop into the warehouse for the churn model, hourly"
    names = {c["name"] for c in adapt_architecture(PIPELINE, extract_requirements(invoices), request=invoices)["components"]}
    assert "Document extraction" in names
    names = {c["name"] for c in adapt_architecture(PIPELINE, extract_requirements(events), request=events)["components"]}
    assert "Document extraction" not in names


@pytest.mark.parametrize(("text", "online"), [
    ("a feature store for the churn model; features from Snowflake, served online to the app", True),
    ("features are looked up at request time by the pricing service", True),
    ("features are computed nightly for training only", False),
])
def test_features_served_to_an_application_need_an_online_store(text: str, online: bool) -> None:
    req = extract_requirements(text)
    assert (req.online_features is not None and req.online_features.value) is online
    chosen = _chosen(PIPELINE, text)["feature_store"]
    assert (chosen in ("feast-redis", "feast-postgres")) is online


def test_one_box_may_run_a_server_but_not_a_cluster() -> None:
    """A single GPU box serving an endpoint runs vLLM on it; a laptop keeps the model in process."""
    box = ("Llama 3.1 70B (AWQ) with vLLM on a single box with 2x L40S for ~50 internal users, "
           "an OpenAI-compatible endpoint; on-prem, no external APIs")
    laptop = "a demo model served on my 16 GB laptop, nothing else to run"
    assert _chosen(SERVING, box)["inference_runtime"] == "vllm"
    assert _chosen(SERVING, box)["platform"] == "local-machine"
    assert _chosen(SERVING, laptop)["inference_runtime"] == "in-process-model"


# --- models that run on devices in the field ------------------------------------------------


@pytest.mark.parametrize(("text", "edge"), [
    ("Our crop-disease classifier must run on Raspberry Pis in the greenhouses", True),
    ("ship the detector to the fleet of 80 inspection drones", True),
    ("the speech model runs on-device in the car", True),
    ("serve the detector from our data centre to the mobile app", False),
    ("400 buses stream GPS positions to our servers for an arrival-time model", False),
])
def test_a_model_that_runs_on_devices_is_read_as_edge(text: str, edge: bool) -> None:
    req = extract_requirements(text)
    assert (req.edge_devices is not None and req.edge_devices.value) is edge


def test_an_edge_design_runs_on_the_devices_and_rolls_out_over_the_air() -> None:
    text = "a defect detector on 120 Jetson boxes along the packing lines, connectivity is poor"
    arch = adapt_architecture(SERVING, extract_requirements(text), request=text)
    chosen = {c["slot"]: c["chosen"]["id"] for c in arch["choices"] if c.get("chosen")}
    assert chosen["inference_runtime"] == "on-device" and chosen["platform"] == "edge-fleet"
    assert chosen["monitoring"] == "fleet-telemetry"
    assert "API gateway" not in {c["name"] for c in arch["components"]}
    assert any("roll" in r["risk"].lower() or "rollback" in r["mitigation"].lower() for r in arch["risks"])
    server = "serve the defect detector behind an API for the packing-line PCs"
    chosen = _chosen(SERVING, server)
    assert chosen["inference_runtime"] != "on-device" and chosen["platform"] != "edge-fleet"


# --- where the data stays -------------------------------------------------------------------


def test_a_stated_residency_places_the_components_that_hold_or_process_data() -> None:
    text = "Serve the churn model on AWS; customer data must stay in France"
    arch = adapt_architecture(SERVING, extract_requirements(text), request=text)
    placed = [c["technology"] for c in arch["components"] if "France" in c["technology"]]
    assert placed and all("eu-west-3" in t for t in placed)
    assert not any("France" in c["technology"] for c in arch["components"] if "in-process" in c["technology"])
    plain = "Serve the churn model on AWS"
    assert not any(" — in " in c["technology"]
                   for c in adapt_architecture(SERVING, extract_requirements(plain), request=plain)["components"])


def test_a_vendor_service_is_not_placed_in_our_region_and_loses_to_one_that_can_be() -> None:
    text = "RAG over our contracts on AWS; the data must stay in Germany"
    arch = adapt_architecture("mlarchitect.skills.rag_design", extract_requirements(text), request=text)
    chosen = {c["slot"]: c["chosen"] for c in arch["choices"] if c.get("chosen")}
    assert not chosen["reranker"]["hosted"] and not chosen["tracing"]["hosted"]


def test_an_edge_design_is_written_for_devices_not_replicas() -> None:
    from mlarchitect.skills.model_serving.tools import offline_plan

    text = "a pest detector on 150 Raspberry Pi boxes in greenhouses, 2 images a second each at peak"
    req = extract_requirements(text)
    components = {c["name"]: c["responsibility"] for c in adapt_architecture(SERVING, req, request=text)["components"]}
    assert "device" in components["Inference service"] and "device" in components["Compute platform"]
    assert "serving_size_replicas" not in [c.name for c in offline_plan(req, [], "model_serving")]
