"""Round 19: a data pipeline follows what its data is. Sensor readings get signal preparation (gaps,
flat lines, clock skew) and time-series storage; photos and video get media checks, near-duplicate
detection and splits by site, with no feature store; call recordings are transcribed and redacted
before anything is stored; a pipeline that embeds records refreshes its index incrementally. A
record is sized and named as what it is (a 1 MB image, not a 1 KB row). Requests written for these
tests."""

from __future__ import annotations

import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.intake.assume import with_assumptions
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.config import Settings
from mlarchitect.deliverable import ArchitectureDesign
from mlarchitect.render_markdown import render_markdown
from mlarchitect.skills.architecture import adapt_architecture

PIPELINE = "mlarchitect.skills.data_pipeline"


def _names(d: ArchitectureDesign) -> set[str]:
    return {c.name for c in d.components}


def _technology(d: ArchitectureDesign, component: str) -> str:
    return next(c.technology for c in d.components if c.name == component)


def _risks(d: ArchitectureDesign) -> str:
    return " | ".join(r.risk for r in d.risks).lower()


# --- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "kind"), [
    ("Our 800 pumps have vibration sensors; we want anomaly features every hour.", "time_series"),
    ("Die Zähler schicken Messwerte alle 15 Minuten an unseren Broker.", "time_series"),
    ("Telemetry from the fleet lands in BigQuery.", "time_series"),
    ("Field agents upload photos of damaged crops from their phones.", "images"),
    ("On a des radiographies et des images IRM de trois hôpitaux.", "images"),
    ("Forty CCTV cameras in the depot; we sample the footage for a safety model.", "video"),
    ("Each support call is recorded; transcribe the recordings overnight.", "audio"),
    ("Chunk and embed the new wiki pages every night.", "embeddings"),
    ("We need to re-index changed tickets within the hour.", "embeddings"),
    ("Delivery vans send GPS positions every 5 seconds.", "geospatial"),
])
def test_what_the_data_is_is_read(text: str, kind: str) -> None:
    assert kind in extract_requirements(text).kinds()


@pytest.mark.parametrize("text", [
    "Build the Docker image for the scoring API and push it to the registry.",
    "We run a video platform: 40k play events a second into Kafka, for churn features.",
    "The firmware runs on embedded devices, but this pipeline only joins CRM tables.",
    "No images, just the order tables from Postgres.",
    "Our sensor team owns the hardware; we only get monthly invoices as CSV.",
])
def test_words_that_only_look_like_a_data_kind_are_not_one(text: str) -> None:
    assert not extract_requirements(text).kinds()


# --- what the design holds ------------------------------------------------------------------------


def test_labelled_satellite_images_get_media_checks_and_no_feature_store(settings: Settings) -> None:
    d = design("Two annotators label satellite images of flooded villages. We need the labels ingested, "
               "agreement checked, and dataset versions a training run can point to.", settings=settings)
    assert d.workflow == "data_pipeline"
    names = _names(d)
    assert "Media processing" in names and "Feature store" not in names
    assert "uploads straight to object storage" in _technology(d, "Ingestion")
    risks = _risks(d)
    assert "near-duplicate images" in risks and "label leakage" not in risks
    md = render_markdown(d)
    assert "5,000 images/day, assumed" in md  # a media volume, not a million 1 KB events
    assert "KB per image" in md and "1,000,000 events" not in md


def test_sensor_readings_get_signal_preparation_and_timescale_in_the_teams_postgres(settings: Settings) -> None:
    d = design("Greenhouse climate: 600 sensors report temperature and humidity every minute. Build daily "
               "features for a yield model; we already run Postgres and want nothing new.", settings=settings)
    assert d.workflow == "data_pipeline"
    assert {"Signal preparation", "Feature store"} <= _names(d)
    assert "TimescaleDB" in _technology(d, "Versioned storage")
    assert "stuck sensors" in _risks(d) or "flat-lined" in _risks(d)
    md = render_markdown(d)
    assert "864,000 readings/day" in md  # 600 sensors × 1,440 readings a day, named as readings


def test_call_recordings_are_transcribed_then_redacted_before_validation() -> None:
    req = with_assumptions(extract_requirements(
        "Pipeline from call-centre recordings to features for a churn model. Customers say card numbers "
        "on the calls; GDPR applies."), "data_pipeline")
    arch = adapt_architecture(PIPELINE, req)
    flows = {(f[0], f[1]) for f in arch["data_flows"]}
    assert {("Ingestion", "Transcription"), ("Transcription", "PII redaction"), ("PII redaction", "Validation")} <= flows
    assert ("Ingestion", "PII redaction") not in flows and ("Transcription", "Validation") not in flows
    assert any("card numbers" in r["risk"] for r in arch["risks"])


def test_a_pipeline_that_embeds_refreshes_its_index_incrementally() -> None:
    req = with_assumptions(extract_requirements(
        "Every night, pull the changed product descriptions from the shop database, chunk and embed them, "
        "and drop the vectors of products we delisted."), "data_pipeline")
    arch = adapt_architecture(PIPELINE, req)
    names = {c["name"] for c in arch["components"]}
    assert "Embedding refresh" in names and "Feature store" not in names
    assert any("stay searchable" in r["risk"] for r in arch["risks"])


def test_a_tabular_feature_pipeline_keeps_its_feature_store_and_leakage_guard() -> None:
    req = with_assumptions(extract_requirements(
        "Nightly churn features for an XGBoost model from our Postgres orders and CRM tables. GDPR applies."),
        "data_pipeline")
    arch = adapt_architecture(PIPELINE, req)
    names = {c["name"] for c in arch["components"]}
    assert "Feature store" in names
    assert not names & {"Media processing", "Signal preparation", "Transcription", "Embedding refresh"}
    assert any("leakage" in r["risk"].lower() for r in arch["risks"])
    flows = {(f[0], f[1]) for f in arch["data_flows"]}
    assert ("Ingestion", "PII redaction") in flows and ("Ingestion", "Validation") not in flows  # redaction first


# --- serving and RAG: media inputs, awaited scores, tables ----------------------------------------


def test_an_image_model_served_online_takes_files_by_reference(settings: Settings) -> None:
    d = design("Serve our defect-detection CNN for 6 production lines: about 30 images per second at peak from "
               "the line cameras, p95 under 200 ms, one T4 GPU on-prem.", settings=settings)
    assert d.workflow == "model_serving"
    assert d.requirements is not None and d.requirements.peak_rps is not None
    assert d.requirements.peak_rps.stated and d.requirements.peak_rps.value == 30
    md = render_markdown(d)
    assert "object-storage URL" in md and "content hash" in md
    assert "Training/serving skew" not in md  # an image model computes no features online


@pytest.mark.parametrize(("text", "seconds"), [
    ("A skill-rating GBDT scores lobbies in matchmaking, with a budget of 10 ms per call.", 0.01),
    ("Each lookup has 40 ms per request end to end.", 0.04),
])
def test_a_time_budget_per_call_is_a_latency_target(text: str, seconds: float) -> None:
    latency = extract_requirements(text).latency
    assert latency is not None and latency.value.seconds == pytest.approx(seconds)


def test_a_money_budget_is_no_latency() -> None:
    req = extract_requirements("We have a budget of 400 EUR per month for the whole thing.")
    assert req.latency is None and req.monthly_budget_usd is not None


def test_concurrent_requests_with_a_noun_between_are_in_flight() -> None:
    concurrency = extract_requirements("Up to 20k concurrent match requests at peak.").concurrency
    assert concurrency is not None and concurrency.value == 20_000


def test_a_classic_model_with_a_latency_target_is_served_not_piped() -> None:
    from mlarchitect.agents.routing import fact_prior

    req = extract_requirements("Card fraud scoring with LightGBM: 5,000 transactions per second at peak, "
                               "p99 under 30 ms.")
    prior = fact_prior(req)
    assert prior.get("model_serving", 0) > prior.get("data_pipeline", 0)
    feed = fact_prior(extract_requirements("Card transactions arrive on Kafka at 5,000 events per second; "
                                           "build LightGBM features for training."))
    assert feed.get("data_pipeline", 0) > 0  # a rate with no awaited answer is still a feed


def test_answers_in_tables_get_a_table_aware_parser(settings: Settings) -> None:
    d = design("Build an assistant over our 3,000 Word and PDF product manuals; most answers sit in spec tables "
               "and figures. 40 support agents will use it.", settings=settings)
    assert d.workflow == "rag_system"
    parsing = next(c for c in d.components if c.name == "Parsing and chunking")
    assert "table whole" in parsing.technology and "PDF and Word documents" in parsing.responsibility
    assert "tables come out wrong" in _risks(d)
    plain = design("Build an assistant over our 3,000 product manuals for 40 support agents.", settings=settings)
    assert "tables come out wrong" not in _risks(plain)


# --- tracking and evaluation follow the data; assumed inputs of a formula say so -------------------


def test_tracking_logs_what_the_data_needs() -> None:
    from mlarchitect.skills.architecture import adapt_architecture as adapt

    def tracking(text: str) -> dict:
        req = with_assumptions(extract_requirements(text), "experiment_tracking")
        return adapt("mlarchitect.skills.experiment_tracking", req)["tracking"]

    vision = tracking("Our vision team trains defect detectors on 60 TB of labelled images and wants to track runs.")
    assert any("image grids" in a for a in vision["artifacts"])
    assert any("per class" in r for r in vision["run_record"])
    forecasts = tracking("Track the experiments of our weekly demand forecasting models for 900 stores.")
    assert any("forecast-versus-actual" in a for a in forecasts["artifacts"])
    assert any("per horizon" in r for r in forecasts["run_record"])
    plain = tracking("Track the experiments of our churn classifier.")
    assert "plots" in plain["artifacts"]


def test_an_assumed_baseline_is_marked_in_the_sample_size_formula() -> None:
    from mlarchitect.skills.evaluation_metrics.tools import SampleSizeArgs, plan_sample_size

    assumed = plan_sample_size(SampleSizeArgs()).calculations[0].formula
    assert "baseline 80% and a 5-point difference assumed" in assumed
    stated = plan_sample_size(SampleSizeArgs(baseline_rate=0.03, minimum_detectable_difference=0.003,
                                             stated_inputs=["baseline_rate", "minimum_detectable_difference"]))
    assert "assumed" not in stated.calculations[0].formula


def test_an_image_model_is_evaluated_on_splits_by_site_and_sliced_by_source() -> None:
    req = with_assumptions(extract_requirements(
        "Evaluate our vine-disease image classifier before we use it in two new regions; photos come from "
        "different phones and light."), "evaluation_system")
    evaluation = adapt_architecture("mlarchitect.skills.evaluation_metrics", req)["evaluation"]
    assert any("never image by image" in d for d in evaluation["datasets"])
    assert any("capture conditions" in d for d in evaluation["datasets"])


# --- a nightly scoring job that nobody calls ------------------------------------------------------


def test_real_time_said_to_be_unneeded_is_no_real_time_mode() -> None:
    req = extract_requirements("Our CatBoost churn model needs to score everyone once a night. Nobody will call "
                               "it in real time, no online API needed.")
    assert req.mode is not None and req.mode.value == "batch"
    assert not req.quality_criteria  # "score everyone" names who is scored, not a quality


def test_a_batch_job_scores_the_population_and_has_no_request_traffic(settings: Settings) -> None:
    d = design("Telco, 40M subscribers. Our CatBoost churn model needs to score everyone once a night and write "
               "results into a Snowflake table by 6am. Nobody will call it in real time. Stack is Snowflake + "
               "Airflow.", settings=settings)
    assert d.workflow == "model_serving"
    names = {c.name for c in d.components}
    assert "Batch scoring job" in names and "Inference service" not in names
    req = d.requirements
    assert req is not None and req.requests_per_day is None and req.peak_rps is None
    assert req.batch_volume is not None and not req.batch_volume.stated and req.batch_volume.value.amount == 40e6
    md = render_markdown(d)
    assert "every one of the 40,000,000 subscribers scored each run" in md


# --- where the model runs ---------------------------------------------------------------------------


def test_a_model_inside_the_game_on_players_pcs_calls_no_hosted_api(settings: Settings) -> None:
    d = design("Indie studio: an NPC in our RPG answers player questions about the lore (900 pages of lore bible). "
               "It has to run locally inside the game on players' PCs, min spec 8 GB RAM, and we can't pay for "
               "servers.", settings=settings)
    chosen = " | ".join(c.technology for c in d.components).lower()
    for hosted in ("cohere", "openai", "gpt-5", "pinecone", "text-embedding-3", "langsmith"):
        assert hosted not in chosen, hosted
    assert "on each device" in chosen


def test_a_model_that_must_be_self_hosted_in_the_teams_cloud_is(settings: Settings) -> None:
    req = extract_requirements("Legal now says the model has to be self-hosted in our own AWS account "
                               "(eu-central-1). Expect 50 QPS at peak.")
    assert req.self_hosted_only and req.cloud is not None and req.cloud.value == "aws"
    d = design("We have a RAG prototype on a hosted LLM API, and legal now says the model has to be self-hosted in "
               "our own AWS account (eu-central-1). Expect 50 QPS at peak, answers streamed.", settings=settings)
    chosen = " | ".join(c.technology for c in d.components).lower()
    assert "openai" not in chosen and "bedrock" not in chosen and "eu-central-1" in chosen


def test_photos_a_month_are_the_pipelines_daily_volume_and_volunteers_label_them(settings: Settings) -> None:
    d = design("Our conservation NGO has 120 camera traps; rangers collect SD cards monthly, about 300k photos a "
               "month. We want a pipeline to dedupe, filter empty frames, get volunteers to label species, and "
               "produce training sets for a classifier. Only a single on-prem server with 2 GPUs, no cloud.",
               settings=settings)
    assert d.workflow == "data_pipeline"
    req = d.requirements
    assert req is not None and req.events_per_day is not None and req.events_per_day.stated
    assert req.events_per_day.value == pytest.approx(10_000)
    names = _names(d)
    assert {"Media processing", "Human labelling"} <= names and "Feature store" not in names
    assert "10,000 images/day" in render_markdown(d)


def test_photos_a_day_do_not_pull_a_served_model_into_a_pipeline() -> None:
    from mlarchitect.agents.routing import fact_prior

    prior = fact_prior(extract_requirements("Our moderation CNN checks the 2M photos a day users upload."))
    assert prior.get("data_pipeline", 0) <= 0
