"""Round 20: what devices send and what their link carries; the stack a team already runs (KServe,
"our whole stack is on GCP"); rates stated per camera or per store; forecasts judged by backtests;
translation judged without an LLM judge when the request rules one out; and asks for sibling work that
the rules and the learned model each see only half of. Requests written for these tests."""

from __future__ import annotations

import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.config import Settings
from mlarchitect.deliverable import ArchitectureDesign
from mlarchitect.render_markdown import render_markdown

from support.reading import components, handoffs, route

SERVING = "mlarchitect.skills.model_serving"
EVALUATION = "mlarchitect.skills.evaluation_metrics"


def _names(d: ArchitectureDesign) -> set[str]:
    return {c.name for c in d.components}


def _risks(d: ArchitectureDesign) -> str:
    return " | ".join(r.risk for r in d.risks).lower()


# --- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "rps"), [
    ("A weld-seam model on the line: 8 cameras at 25 images per second each, 80 ms budget per image.", 200.0),
    ("6 Kameras mit je 10 Bildern pro Sekunde prüfen die Flaschen.", 60.0),
    ("We have 40 stores, each sending 5 requests a second to the pricing model.", 200.0),
])
def test_a_rate_stated_per_source_is_multiplied_by_the_sources(text: str, rps: float) -> None:
    peak = extract_requirements(text).peak_rps
    assert peak is not None and peak.value == rps


def test_a_sampled_fleet_is_read_as_readings_a_day_and_the_link_as_bandwidth() -> None:
    req = extract_requirements("Bearing monitoring for 150 pumps (500 Hz sampling); the plant's only uplink "
                               "is a 4G link of 2 Mbps.")
    assert req.events_per_day is not None and req.events_per_day.value == 150 * 500 * 86400
    assert req.uplink_mbps is not None and req.uplink_mbps.value == 2.0
    assert extract_requirements("Our build servers run at 3.2 GHz.").events_per_day is None


@pytest.mark.parametrize("text", [
    "Our entire stack is on AWS, so design the serving there.",
    "We're all-in on Azure; the assistant should be too.",
    "Todo nuestro stack está en Google Cloud y queremos un asistente para los clientes.",
])
def test_a_whole_stack_on_one_cloud_keeps_the_design_on_that_cloud(text: str) -> None:
    assert extract_requirements(text).cloud_only is not None
    assert extract_requirements("We use AWS for our website hosting.").cloud_only is None


def test_a_ruled_out_judge_does_not_make_the_model_a_classic_one() -> None:
    req = extract_requirements("Evaluate our English-Welsh translation model with chrF and COMET; no LLM as a judge.")
    assert req.model_kind is None or req.model_kind.value != "classic_ml"
    assert set(req.languages) == {"english", "welsh"}
    assert extract_requirements("A churn model, no LLM anywhere.").model_kind.value == "classic_ml"  # type: ignore[union-attr]


def test_no_cloud_access_said_in_german_is_on_premises() -> None:
    req = extract_requirements("Das Modell läuft in der Gießerei; dort gibt es keinen Cloud-Zugang und kein Internet.")
    assert req.deployment is not None and req.deployment.value in ("on_prem", "air_gapped")


# --- what the design holds ------------------------------------------------------------------------


def test_an_existing_kserve_is_the_serving_platform() -> None:
    chosen = components(SERVING, "model_serving", "The platform team runs KServe for every model. Serve our new "
                                                  "fraud classifier there at 300 req/s, p99 under 40 ms.")
    assert "KServe" in chosen["Compute platform"]


def test_devices_whose_raw_data_exceeds_the_link_run_the_model_themselves(settings: Settings) -> None:
    text = ("Vibration anomaly detection for 120 compressors on remote gas wells (2 kHz sampling). Each site talks to "
            "us over a radio link of about 1 Mbit/s. Should the model run on the well-site edge boxes or centrally?")
    assert route(text) == "model_serving"
    d = design(text, settings=settings)
    md = render_markdown(d)
    assert "Raw data the devices produce" in md and "7.68 Mbit/s" in md  # 120 × 2,000 × 4 bytes × 8
    assert "Run inference on the devices" in md
    assert "Cache" not in _names(d) and "POST /v1/predict" not in md


def test_raw_data_that_fits_the_link_leaves_central_inference_open(settings: Settings) -> None:
    md = render_markdown(design("Temperature anomaly model for 30 cold-room sensors (1 Hz sampling) running on "
                                "the store's edge gateway; the store's fibre line is 100 Mbit/s.", settings=settings))
    assert "fit the 100 Mbit/s link" in md


def test_a_forecast_is_judged_by_rolling_backtests_against_a_naive_baseline(settings: Settings) -> None:
    text = ("How should we evaluate our weekly sales forecasting models for 900 stores? We compare a LightGBM "
            "model with the current exponential smoothing and need quantile forecasts for safety stock.")
    chosen = components(EVALUATION, "evaluation_system", text)
    assert "forecast metrics on rolling-origin backtests" in chosen["Metric library"]
    d = design(text, settings=settings)
    assert "backtest leaks the future" in _risks(d)
    assert "pinball loss" in render_markdown(d)


@pytest.mark.parametrize("text", [
    "Evaluate our English-Welsh subtitle translation system: 4,000 reference sentences, chrF and COMET, "
    "and no LLM as a judge.",
    "¿Cómo evaluamos la traducción automática catalán-español de nuestras noticias? Tenemos 3.000 frases de "
    "referencia; nada de usar un LLM como juez.",
])
def test_translation_without_an_llm_judge_is_scored_against_references(text: str) -> None:
    chosen = components(EVALUATION, "evaluation_system", text)
    assert "COMET" in chosen["Metric library"] and "judge" not in chosen["Metric library"].lower()


# --- handoffs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "agents"), [
    # "once the design ..." says the ask comes on top of the design
    ("A recipe assistant over our 2,000 tested recipes. Once the design is done, please also spell out the API "
     "our mobile app will call: endpoints, payloads, errors.", ["backend-architect"]),
    # "get X done" asks for X
    ("Build a RAG assistant over our HR policies, and get a threat model done for it before launch.",
     ["security-and-privacy-engineer-ml"]),
    # the rules see an action, the model sees whose work it is
    ("Design the experiment tracking for our six researchers. After that, write the Python client wrapper "
     "everyone should use to log runs, with unit tests for it.", ["llm-app-engineer", "write-unit-tests"]),
])
def test_asks_for_sibling_work_are_handed_on(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents


def test_the_code_that_produced_a_model_is_no_ask_for_code() -> None:
    assert handoffs("Auditors want every credit decision traced to the model version, the data extract and the "
                    "code that produced it. How should we track experiments and models from now on?") == []
