"""Round 18: a team on laptops shares one tracking server; a small team's "no budget" and a bare
"free" are a zero budget; money in Canadian and Australian dollars and a French "500 $"; hosting
"au Canada"; a RAG that must work offline on the users' devices runs there; "we're not adding
another tool" keeps the existing stack; a Databricks shop keeps its managed MLflow and Unity
Catalog; a RAG design's evaluation follows its users, corpus, languages, sources and targets.
Requests written for these tests."""

from __future__ import annotations

import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.config import Settings
from mlarchitect.deliverable import ArchitectureDesign
from mlarchitect.render_markdown import render_markdown


def _technology(d: ArchitectureDesign, component: str) -> str:
    return next(c.technology for c in d.components if c.name == component)


# --- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "people"), [
    ("Four of us train sklearn models on our own laptops and want to compare runs.", 4),
    ("The two of us share one GPU box.", 2),
    ("We are 5 of us in the lab.", 5),
])
def test_n_of_us_is_the_team(text: str, people: int) -> None:
    team = extract_requirements(text).team_size
    assert team is not None and team.value == people


def test_one_of_us_says_nothing_of_the_team() -> None:
    assert extract_requirements("One of us is on call, the other builds features.").team_size is None


@pytest.mark.parametrize("text", [
    "Four of us train sklearn models on our laptops. No budget.",
    "Tracking for 3 people, laptops only, free.",
    "Experiment-Tracking für 3 Leute, nur Laptops, kostenlos – was nehmen?",
    "I want something free and local to log runs.",
])
def test_no_budget_and_a_bare_free_are_a_zero_budget(text: str) -> None:
    budget = extract_requirements(text).monthly_budget_usd
    assert budget is not None and budget.value == 0


@pytest.mark.parametrize("text", [
    "No budget limit, we just want the best answers.",
    "Free-text answers from a model on the free tier are fine.",
    "Logs must be PII-free.",
])
def test_free_elsewhere_and_an_unlimited_budget_are_no_zero_budget(text: str) -> None:
    assert extract_requirements(text).monthly_budget_usd is None


@pytest.mark.parametrize(("text", "currency", "usd"), [
    ("Budget : 500 $ CA par mois max.", "CAD", 360.0),
    ("Budget: 500 CAD a month.", "CAD", 360.0),
    ("Budget: CA$500 per month.", "CAD", 360.0),
    ("Budget: 1,000 AUD a month.", "AUD", 650.0),
    ("Budget : 500 $ par mois maximum.", "USD", 500.0),
])
def test_money_in_other_dollars_and_after_the_amount(text: str, currency: str, usd: float) -> None:
    req = extract_requirements(text)
    assert req.currency == currency
    assert req.monthly_budget_usd is not None and req.monthly_budget_usd.value == usd


@pytest.mark.parametrize(("text", "region"), [
    ("On préfère un hébergement au Canada.", "Canada"),
    ("Hospedagem no Brasil é obrigatória.", "Brazil"),
    ("Hosting in Italia, per favore.", "Italy"),
])
def test_hosting_in_a_country_in_other_languages(text: str, region: str) -> None:
    residency = extract_requirements(text).data_residency
    assert residency is not None and residency.value == region


@pytest.mark.parametrize(("text", "peak", "per_day"), [
    ("Semantic search: ~15 QPS on average, spikes to 200 QPS on Monday mornings.", 200, 1_296_000),
    ("10 requests per second on average and 50 at peak.", 50, 864_000),
    ("20 rps on average and 300 rps at peak, 2M requests a day.", 300, 2_000_000),  # the stated day wins
    ("We get 50 rps at peak.", 50, None),
])
def test_the_usual_load_before_a_peak_sets_the_daily_volume(text: str, peak: float, per_day: float | None) -> None:
    req = extract_requirements(text)
    assert req.peak_rps is not None and req.peak_rps.value == peak
    assert (req.requests_per_day.value if req.requests_per_day else None) == per_day


def test_titles_are_a_corpus() -> None:
    corpus = extract_requirements("Questions sur notre catalogue (4 000 titres, contrats d'auteurs).").corpus
    assert corpus is not None and corpus.value.amount == 4000


@pytest.mark.parametrize("text", [
    "Use Unity Catalog, we're not adding another tool.",
    "We don't want to add any new services to the platform.",
])
def test_not_adding_a_tool_keeps_the_existing_stack(text: str) -> None:
    only = extract_requirements(text).stack_only
    assert only is not None and only.value


def test_enterprise_systems_are_the_existing_stack() -> None:
    req = extract_requirements("How does serving fit with SAP S/4HANA, the Kafka event bus and the MuleSoft layer?")
    assert {"sap", "kafka", "mulesoft"} <= req.stack()
    assert "sap" not in extract_requirements("The sap of these trees is collected weekly.").stack()


def test_a_training_script_mentioned_is_no_implementation_ask() -> None:
    from support.reading import handoffs

    text = ("A thin wrapper around our experiment tracking so every training script logs params and the git SHA "
            "the same way. Design it, and write the unit tests for the wrapper.")
    assert handoffs(text) == ["write-unit-tests"]
    assert "llm-app-engineer" in handoffs("Design the fine-tuning setup and write the training script for it.")


# --- designs ----------------------------------------------------------------------------------------


def test_a_team_on_laptops_shares_one_tracking_server(settings: Settings) -> None:
    team = design("Experiment-Tracking für 3 Leute, nur Laptops, kostenlos – was nehmen?", settings=settings)
    assert _technology(team, "Tracking server") == "MLflow tracking server (self-hosted)"
    assert _technology(team, "Model registry") == "MLflow Model Registry"  # part of that server, not one more service
    alone = design("I'm alone, training small CNNs on my MacBook. Want to log runs locally, nothing fancy.",
                   settings=settings)
    assert _technology(alone, "Tracking server") == "MLflow with a local file store and SQLite"
    markdown = render_markdown(alone)
    assert "container image per run" not in markdown  # one machine: a lock file, not a container per run
    assert "prompt templates" not in markdown  # no LLM named


def test_a_databricks_shop_keeps_managed_mlflow_and_unity_catalog(settings: Settings) -> None:
    d = design("Databricks shop, 40 data scientists. MLflow is on but chaotic; propose a tracking and registry "
               "setup with lineage. Use Unity Catalog, we're not adding another tool.", settings=settings)
    assert _technology(d, "Tracking server") == "Databricks managed MLflow (the workspace's experiments)"
    assert "Unity Catalog" in _technology(d, "Model registry")


def test_a_rag_that_must_work_offline_on_tablets_runs_on_them(settings: Settings) -> None:
    d = design("Health workers in rural areas need answers from our 300 field guides. The connection is poor, so "
               "it must work offline on their Android tablets.", settings=settings)
    for component in ("Vector store", "Generation", "Query service"):
        assert "each device" in _technology(d, component) or "on the device" in _technology(d, component)
    markdown = render_markdown(d)
    assert "gpt-" not in markdown.split("## Alternatives")[0]
    assert "Devices answer from an old index or model" in markdown
    server = design("Answers from our 300 field guides for the health team, served from our cloud.", settings=settings)
    assert "each device" not in _technology(server, "Vector store")


def test_a_rag_evaluation_follows_the_request(settings: Settings) -> None:
    laptop = render_markdown(design("Chat with my 200 saved PDFs, only my laptop, 16 GB RAM, no GPU.",
                                    settings=settings))
    assert "A golden set of 30-50 of your own real questions" in laptop
    assert "Flag wrong answers as you use it" in laptop
    assert "Thumbs up/down" not in laptop
    assert "The folder watcher re-indexes a changed file" in laptop
    big = render_markdown(design("Assistant over 85,000 scanned PDFs for an air-gapped defence contractor with "
                                 "2 A100s; answers in under 2 seconds p95.", settings=settings))
    assert "judged by the self-hosted model" in big
    assert "End-to-end latency within p95 ≤ 2 s on a replay of the golden set" in big
    assert "A slice of questions answered only by scanned (OCR) pages" in big
    helpdesk = render_markdown(design("Internal helpdesk bot over Confluence and SharePoint, German and English, "
                                      "300 employees, budget $800/month.", settings=settings))
    assert "Slices per language (German, English)" in helpdesk
    assert "within the $800/month budget" in helpdesk
    assert "Change feeds of Confluence and SharePoint" in helpdesk
    for markdown in (laptop, big, helpdesk):
        assert "the stated constraint" not in markdown


def test_an_evaluation_without_users_assumes_no_traffic(settings: Settings) -> None:
    """A credit model evaluated for a regulator: no users or traffic are stated, so no request volume,
    peak or serving mode is assumed, and its data is a time-based holdout, not a sample of traffic."""
    d = design("SME lending: our default model is LightGBM on ~220 tabular features, retrained quarterly. The "
               "regulator wants a documented evaluation process: discrimination, calibration, stability over "
               "time. No LLMs.", settings=settings)
    assumed = {name for name, _ in d.requirements.assumed_facts()}
    assert not assumed & {"requests_per_day", "peak_rps", "mode"}
    markdown = render_markdown(d)
    assert "A fixed, versioned holdout from the most recent labelled period" in markdown
    assert "the candidate LightGBM model" in markdown
    assert "production traffic (drawn from" not in markdown
    assert "expected peak traffic" not in markdown
    live = design("Evaluation for our support chatbot: 3,000 conversations a day, A/B tests on prompts.",
                  settings=settings)
    assert "sample of production traffic (drawn from 3,000 requests/day)" in render_markdown(live)


def test_an_ab_test_on_a_share_of_traffic_runs_longer(settings: Settings) -> None:
    text = ("Customer-facing assistant, about 40,000 conversations a day. Design the evaluation: an A/B test on 5% "
            "of traffic and documented go/no-go thresholds.")
    share = extract_requirements(text).experiment_share
    assert share is not None and share.value == 0.05
    d = design(text, settings=settings)
    duration = next(c for c in d.sizing if c.name == "Online test duration")
    assert "× 5% in the test" in duration.formula and duration.value % 7 == 0  # whole weeks
    assert "traffic_share" in duration.from_request
    markdown = render_markdown(d)
    assert "| experiment share | 5% |" in markdown
    assert "Online A/B on 5% of traffic" in markdown
    assert extract_requirements("5% of our users churn every month.").experiment_share is None  # no test named



def test_a_quiet_service_is_shadowed_not_canaried_and_an_llm_watches_its_output(settings: Settings) -> None:
    quiet = render_markdown(design("Serve our XGBoost churn model to the CRM: about 500 predictions a day, p95 under "
                                   "200 ms.", settings=settings))
    assert "A 1% canary would see too few requests to judge" in quiet
    assert "Canary 1% -> 10% -> 100%" not in quiet
    busy = render_markdown(design("Serve Llama 3.1 8B for our support team on our 2 L40S GPUs, 30 requests per "
                                  "second at peak.", settings=settings))
    assert "Canary 1% -> 10% -> 100% (at 30 requests/s at peak)" in busy
    assert "Output drift: answer length, refusal rate and judge scores" in busy
    assert "Prediction and input drift (PSI / KS test)" in quiet
    many = render_markdown(design("We run 40 regional demand models; serve them behind one API at 300 rps peak.",
                                  settings=settings))
    assert "Semantic versioning per model in the registry (40 models)" in many


@pytest.mark.parametrize(("text", "per_day"), [
    ("We serve an NER model. Volume is about 2 million documents a day, arriving in bursts.", 2_000_000),
    ("Volume: 3,000 scanned invoices per day.", 3_000),
])
def test_a_stated_volume_of_anything_is_the_daily_load(text: str, per_day: float) -> None:
    req = extract_requirements(text)
    assert req.requests_per_day is not None and req.requests_per_day.value == per_day


def test_a_pipeline_volume_of_events_stays_events() -> None:
    req = extract_requirements("Our volume is 40M events per day from Kafka.")
    assert req.events_per_day is not None and req.requests_per_day is None
