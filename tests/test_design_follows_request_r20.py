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
    assert "time_series" in req.kinds()  # a signal sampled at a rate is a time series, whatever it measures
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
    assert "run inference on the devices" in md
    assert "Cache" not in _names(d) and "POST /v1/predict" not in md


def test_raw_data_that_fits_the_link_leaves_central_inference_open(settings: Settings) -> None:
    md = render_markdown(design("Temperature anomaly model for 30 cold-room sensors (1 Hz sampling) running on "
                                "the store's edge gateway; the store's fibre line is 100 Mbit/s.", settings=settings))
    assert "fit the 100 Mbit/s link" in md
    # an assumed load says nothing about a link: no check drawn from it
    assert "Raw data the devices produce" not in render_markdown(design(
        "An image classifier on our kiosks' edge boxes; each store has a 20 Mbit/s line.", settings=settings))


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
    # work asked for in the passive with a gerund
    ("How should we evaluate our claims-letter generator? Then the scoring harness needs building.",
     ["evaluation-engineer"]),
    # "monter" is to set up
    ("Nous voulons évaluer notre chatbot RH sur 500 questions. Pourriez-vous aussi monter le harnais d'évaluation "
     "dans notre CI ?", ["evaluation-engineer"]),
    # the rules see an action, the model sees whose work it is
    ("Design the experiment tracking for our six researchers. After that, write the Python client wrapper "
     "everyone should use to log runs, with unit tests for it.", ["llm-app-engineer", "write-unit-tests"]),
])
def test_asks_for_sibling_work_are_handed_on(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents


def test_the_code_that_produced_a_model_is_no_ask_for_code() -> None:
    assert handoffs("Auditors want every credit decision traced to the model version, the data extract and the "
                    "code that produced it. How should we track experiments and models from now on?") == []


@pytest.mark.parametrize(("text", "agentic"), [
    ("An LLM agent that calls our booking API to move appointments.", True),
    ("A support chatbot which uses tools to issue refunds and cancel orders.", True),
    ("Function calling with GPT picks the shipping option.", True),
    ("Our call-centre agents use three tools every day and answer 3k tickets.", False),
])
def test_an_agent_acting_through_tools_is_read(text: str, agentic: bool) -> None:
    assert (extract_requirements(text).tool_calling is not None) == agentic


def test_an_agent_is_evaluated_on_its_trajectories_in_a_sandbox(settings: Settings) -> None:
    d = design("How do we evaluate our travel-booking assistant? It is an LLM agent that calls our booking and "
               "payment APIs; we have 250 recorded conversations with the outcome each customer wanted.",
               settings=settings)
    md = render_markdown(d)
    assert d.workflow == "evaluation_system"
    assert "Trajectory scoring per scenario" in md and "sandboxed copies of the tools" in md
    assert "an action it must not" in _risks(d)


@pytest.mark.parametrize(("text", "per_day"), [
    ("An internal assistant for 3,000 employees asking about 6,000 questions a day.", 6_000),  # everyone together
    ("2,000 users each ask 10 questions a day.", 20_000),
    ("300 analysts running 20 searches per day.", 6_000),
])
def test_a_daily_rate_is_per_person_only_when_one_person_could_make_it(text: str, per_day: float) -> None:
    rate = extract_requirements(text).requests_per_day
    assert rate is not None and rate.value == per_day


def test_the_index_is_quantized_only_when_its_memory_matters() -> None:
    from mlarchitect.skills.rag_design.tools import IndexSizeArgs, size_index
    from mlarchitect.skills.base import SkillContext

    small = size_index(IndexSizeArgs(documents=5_000, unit="pages", dimensions=1024), SkillContext())
    large = size_index(IndexSizeArgs(documents=20_000_000, unit="pages", dimensions=1024), SkillContext())
    assert "Keep float32 vectors" in small.recommendations[1]
    assert "Quantize the vectors to int8" in large.recommendations[1]


@pytest.mark.parametrize(("text", "tokens"), [
    ("A 70B model reviews 8k-token contracts for 30 lawyers.", 8_000),
    ("Prompts of about 6,000 tokens, 50 requests a minute.", 6_000),
    ("We need a 32k context window for the transcripts.", 32_000),
])
def test_the_context_a_request_holds_is_read(text: str, tokens: int) -> None:
    context = extract_requirements(text).context_tokens
    assert context is not None and context.value == tokens


def test_the_kv_cache_is_sized_for_the_stated_context(settings: Settings) -> None:
    md = render_markdown(design("Self-host a 70B model on our 4 H100s for contract review: 24k-token contracts, "
                                "200 reviews a day, fully on-prem.", settings=settings))
    assert "25,000 tokens" in md  # 24,000 stated + room for the answer
    assert "0.0 req/s" not in md


def test_a_logistic_regression_scorecard_predicts_a_class_not_a_quantity() -> None:
    req = extract_requirements("Track experiments for our credit-risk scorecards (logistic regression and XGBoost).")
    assert req.prediction is None or req.prediction.value != "regression"
    assert extract_requirements("A linear regression prices our used cars.").prediction.value == "regression"  # type: ignore[union-attr]


def test_hours_of_recordings_are_read_as_a_daily_volume_or_an_archive() -> None:
    daily = extract_requirements("We record about 70 hours of council meetings a week.").media_hours_per_day
    assert daily is not None and daily.value == 10.0
    archive = extract_requirements("Search our archive of 3,000 hours of audio interviews.").corpus
    assert archive is not None and archive.value.amount == 3_000 and archive.value.unit == "hours of audio"
    assert extract_requirements("Each training run takes 200 hours of GPU time.").media_hours_per_day is None


def test_a_search_over_recordings_transcribes_them_and_prices_the_transcription(settings: Settings) -> None:
    d = design("A radio network wants listeners to search its archive of 6,000 hours of shows by meaning, plus about "
               "140 hours of new audio a week; answers should jump to the moment in the show. Everything stays "
               "self-hosted on our GPU server.", settings=settings)
    assert d.workflow == "rag_system"
    names = _names(d)
    assert "Transcription" in names
    md = render_markdown(d)
    assert "faster-whisper" in md and "start and end time" in md
    assert "GPU time to transcribe a day's audio" in md and "20 h of audio/day" in md
    assert "Transcription errors on names" in " | ".join(r.risk for r in d.risks)
    assert "Parse PDF, HTML and Markdown" not in md


def test_monthly_users_are_not_all_daily_users() -> None:
    from mlarchitect.agents.intake.assume import with_assumptions

    req = with_assumptions(extract_requirements("A search assistant in our app for 2M monthly listeners."), "rag_system")
    assert req.requests_per_day is not None and req.requests_per_day.value == 400_000


def test_lean_tool_schemas_keep_every_parameter_and_drop_only_annotations() -> None:
    from langchain_core.tools import StructuredTool
    from mlarchitect.agents.runtime import lean_tools
    from pydantic import BaseModel, Field

    class Section(BaseModel):
        title: str = Field(description="The section's heading.")
        description: str = Field(description="What the section holds.")
        figures: int = Field(default=3, ge=1, description="How many figures.")

    tool = StructuredTool.from_function(lambda title, description, figures=3: "", name="write_section",
                                        description="Write one section of the design. " * 10, args_schema=Section)
    [lean] = lean_tools([tool])
    params = lean["function"]["parameters"]
    assert set(params["properties"]) == {"title", "description", "figures"}
    assert params["properties"]["figures"] == {"default": 3, "minimum": 1, "type": "integer"}
    assert "description" not in params["properties"]["title"]
    assert len(lean["function"]["description"]) <= 102


def test_defect_detection_on_edge_boxes_is_a_system_to_design(settings: Settings) -> None:
    text = "Defect detection on 30 Jetson boxes at our bottling line: must answer in under 40 ms, budget 500 EUR a month."
    assert route(text) == "model_serving"
    md = render_markdown(design(text, settings=settings))
    assert "Per device:" in md and "p95 ≤ 0.04 s target" in md  # the device telemetry keeps the stated target
    assert "alerting at 80% of the €500 (≈ $540) monthly budget" in md
