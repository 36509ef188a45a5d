"""Round 16: a serving request that names no LLM serves the team's own model (not a hosted LLM API);
a daily data volume sets the pipeline's record count; a stated peak is not asked for again;
on-device and one-machine options are not listed as alternatives to a server design; features
kept fresh to the second need an online store; an assistant is an LLM. Requests written for these tests."""

from __future__ import annotations

import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.config import Settings
from mlarchitect.render_markdown import render_markdown

from support.reading import route


@pytest.mark.parametrize("text", [
    "We need to serve a transformer NER model that tags parties and amounts in shipping documents, 80 requests/s.",
    "Serve our sentence-transformer embedding endpoint at about 200 QPS, we have $3,000 a month.",
    "how do we put our pytorch model behind an api, ~40 rps",
])
def test_a_serving_request_naming_no_llm_serves_the_teams_own_model(settings: Settings, text: str) -> None:
    deliverable = design(text, settings=settings)
    assert deliverable.workflow == "model_serving"
    runtime = next(c for c in deliverable.components if c.name == "Inference service")
    assert "hosted LLM" not in runtime.technology and "OpenAI" not in runtime.technology
    markdown = render_markdown(deliverable)
    assert "Model calls" not in markdown  # no per-token line in the cost analysis
    assert any(line.startswith("model kind: classic ml (assumed") for line in deliverable.assumptions)
    assert "What kind of model is served" in markdown  # and the design asks


def test_a_serving_request_naming_an_llm_still_gets_an_llm_runtime(settings: Settings) -> None:
    deliverable = design("Deploy our customer-support assistant, which drafts replies, behind an API for the web app, "
                        "30 requests/s.", settings=settings)
    runtime = next(c for c in deliverable.components if c.name == "Inference service")
    assert "LLM" in runtime.technology or "vLLM" in runtime.technology


def test_a_daily_data_volume_sets_the_record_count(settings: Settings) -> None:
    deliverable = design("Build the pipeline that lands 2 TB/day of clickstream from Kafka into features for our "
                         "recommender; Spark on EMR in eu-west-1.", settings=settings)
    line = next(a for a in deliverable.assumptions if a.startswith("events per day"))
    assert "2,000 GB/day" in line and "2,000,000,000" in line
    assert not any("data volume not stated" in a for a in deliverable.assumptions)


def test_a_stated_peak_is_not_asked_for_again(settings: Settings) -> None:
    deliverable = design("Serve our XGBoost fraud model at 900 requests per second, p99 under 50 ms.", settings=settings)
    assert not any("peak traffic" in q for q in deliverable.open_questions)
    daily = design("Serve our XGBoost fraud model; about 2 million requests a day.", settings=settings)
    assert any("peak traffic" in q for q in daily.open_questions)


def test_options_for_another_setting_are_not_alternatives(settings: Settings) -> None:
    markdown = render_markdown(design("Serve our LightGBM pricing model to the checkout service, 400 requests/s.",
                                      settings=settings))
    alternatives = markdown.split("## Alternatives and trade-offs", 1)[1].split("\n## ", 1)[0]
    assert "devices in the field" not in alternatives
    assert "only suits single machine" not in alternatives
    # a request that runs on devices still hears why the server options lost
    edge = render_markdown(design("Serve our defect-detection CNN on the cameras of our 300 assembly lines; it must "
                                  "answer in 20 ms.", settings=settings))
    assert "server-side option" in edge.split("## Alternatives and trade-offs", 1)[1]


def test_features_fresh_to_the_second_need_an_online_store() -> None:
    req = extract_requirements("Pipeline for our fraud model: 3,000 card transactions per second from Kafka; "
                               "features must be fresh within 5 seconds.")
    assert req.online_features is not None and req.online_features.value is True
    hourly = extract_requirements("Features must be refreshed every night for the churn model.")
    assert hourly.online_features is None


@pytest.mark.parametrize(("text", "kind"), [
    ("Our support assistant answers slowly and costs too much.", "llm"),
    ("A text-to-SQL feature for our BI tool.", "llm"),
    ("I'm a research assistant training CNN classifiers and need to track runs.", "classic_ml"),
])
def test_an_assistant_that_answers_is_an_llm(text: str, kind: str) -> None:
    req = extract_requirements(text)
    assert req.model_kind is not None and req.model_kind.value == kind


def test_an_evaluation_of_a_model_of_unknown_kind_asks_what_it_is(settings: Settings) -> None:
    unknown = design("We need a proper way to evaluate new versions of our model before they ship; 12 people on "
                     "the team.", settings=settings)
    assert any(q.startswith("What kind of model is it") for q in unknown.open_questions)
    known = design("We need a proper way to evaluate new versions of our XGBoost churn model before they ship; "
                   "12 people on the team.", settings=settings)
    assert not any(q.startswith("What kind of model is it") for q in known.open_questions)


def test_forecasts_with_no_schedule_are_computed_ahead_in_batch(settings: Settings) -> None:
    deliverable = design("How do we serve our 250 per-warehouse demand forecasting models without one endpoint "
                         "each?", settings=settings)
    assert any(a.startswith("mode: batch (assumed") for a in deliverable.assumptions)
    assert not any(a.startswith(("requests per day", "latency")) for a in deliverable.assumptions)
    assert "Batch scoring job" in {c.name for c in deliverable.components}
    # a forecast asked for per request stays an endpoint
    live = design("Serve our demand forecasting model to the planning app: 40 requests/s, p95 under 200 ms.",
                  settings=settings)
    assert "Inference service" in {c.name for c in live.components}


def test_a_tool_nobody_wants_to_run_is_ruled_out(settings: Settings) -> None:
    deliverable = design("Feature pipeline for our churn model: nightly batch from Postgres into BigQuery, "
                         "orchestrated by Airflow. Nobody on the team wants to operate Kafka.", settings=settings)
    assert not any("Kafka" in c.technology for c in deliverable.components)


@pytest.mark.parametrize(("text", "amount"), [
    ("A search assistant over 48'000 tariff documents.", 48_000),
    ("A search assistant over 1’250’000 scanned pages.", 1_250_000),
])
def test_swiss_thousands_separators_are_read(text: str, amount: int) -> None:
    req = extract_requirements(text)
    assert req.corpus is not None and req.corpus.value.amount == amount


def test_dutch_hosting_limits_are_read() -> None:
    req = extract_requirements("Een zoekassistent voor onze provincie. De data moet in Nederland blijven, we gebruiken "
                               "geen Amerikaanse cloud en draaien alles op eigen servers.")
    assert req.data_residency is not None and req.data_residency.value == "Netherlands"
    assert req.european_providers_only is not None and req.european_providers_only.value is True
    assert req.deployment is not None and req.deployment.value == "on_prem"


def test_speech_recognition_named_in_another_language_gets_speech_metrics(settings: Settings) -> None:
    deliverable = design("Wir wollen die Qualität unseres Spracherkennungsmodells für bayerische Dialekte messen: "
                         "wie bauen wir die Evaluation auf?", settings=settings)
    metrics = next(c for c in deliverable.components if c.name == "Metric library")
    assert "WER" in metrics.technology


def test_an_ab_test_of_a_ranker_uses_the_stated_baseline_and_lists_no_llm_judges(settings: Settings) -> None:
    text = ("Our shop search uses a LightGBM ranker. We want to A/B test a new one and detect a 3% relative lift in "
            "orders per search (baseline 4%) at 90k searches a day.")
    req = extract_requirements(text)
    assert req.baseline_rate is not None and req.baseline_rate.value == pytest.approx(0.04)
    deliverable = design(text, settings=settings)
    per_arm = next(c for c in deliverable.sizing if c.name == "Examples per variant")
    assert "0.04×0.96" in per_arm.formula
    alternatives = [r.option for a in deliverable.alternatives for r in a.rejected]
    assert not any("LLM-as-judge" in option for option in alternatives)  # made for another model kind
    assert not any(option.startswith("regression error metrics") for option in alternatives)
    online = next(c for c in deliverable.components if c.name == "Online experimentation")
    assert online.responsibility.startswith("A/B tests")  # what the chosen A/B set-up does, not a shadow


def test_no_data_to_us_providers_keeps_hosted_us_services_out(settings: Settings) -> None:
    text = "Evaluate our Dutch tax-advice assistant: 300 advisor-written Q&A pairs; we cannot send data to US providers."
    req = extract_requirements(text)
    assert req.european_providers_only is not None and req.european_providers_only.value is True
    assert req.labelled_examples is not None and req.labelled_examples.value == 300
    deliverable = design(text, settings=settings)
    assert deliverable.workflow == "evaluation_system"
    chosen = " ".join(c.technology for c in deliverable.components)
    assert not any(vendor in chosen for vendor in ("OpenAI", "gpt-5", "LangSmith", "Braintrust", "Cohere"))


@pytest.mark.parametrize(("text", "workflow"), [
    ("Evaluate our claims-triage chatbot before the next release.", "evaluation_system"),
    ("benchmark the new support bot against the current one", "evaluation_system"),
    ("Evaluate options for serving our ranking model at 500 rps.", "model_serving"),
])
def test_asking_to_evaluate_a_system_routes_to_evaluation(text: str, workflow: str) -> None:
    assert route(text) == workflow


def test_a_thesis_on_one_gpu_is_one_person_on_one_machine(settings: Settings) -> None:
    text = "Track experiments for my master's thesis: fine-tuning a ViT on a single RTX 4090, maybe 150 runs."
    req = extract_requirements(text)
    assert req.team_size is not None and req.team_size.value == 1
    assert req.deployment is not None and req.deployment.value == "single_machine"
    deliverable = design(text, settings=settings)
    assert deliverable.cost_analysis.monthly_total_usd == 0  # nothing hosted to pay for


def test_a_very_high_request_rate_outgrows_managed_gateways_and_containers(settings: Settings) -> None:
    big = design("Our bidding model must score 400,000 requests per second at p99 under 15 ms on AWS.", settings=settings)
    tech = {c.name: c.technology for c in big.components}
    assert "API Gateway" not in tech["API gateway"] and "Fargate" not in tech["Compute platform"]
    assert "EKS" in tech["Compute platform"]
    small = design("Our bidding model must score 300 requests per second at p99 under 50 ms on AWS.", settings=settings)
    assert "Amazon API Gateway" in {c.technology for c in small.components}


def test_a_bill_the_stated_load_does_not_explain_is_not_read_as_a_saving(settings: Settings) -> None:
    markdown = render_markdown(design("Our LLM bill went from $3k to $11k a month; cut it. We get 9,000 requests a day.",
                                      settings=settings))
    assert "per request" in markdown and "before reading the saving as real" in markdown
    # a bill the load explains gets no such warning
    plain = render_markdown(design("Our LLM bill is $300 a month at 9,000 requests a day; cut it.", settings=settings))
    assert "before reading the saving as real" not in plain
