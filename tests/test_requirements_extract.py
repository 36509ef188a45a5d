"""Typed requirements read from requests, with provenance, and revised by follow-ups."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlarchitect.agents.intake.extract import amend_requirements, extract_requirements, parse_number
from mlarchitect.requirements import Fact, Requirements
from support.requirements_check import mismatches

HELDOUT = Path(__file__).resolve().parent / "data" / "requirements_heldout.jsonl"


def _flat(text: str) -> str:
    return " ".join(text.split())


def _assert_quotes_are_spans(req: Requirements, text: str) -> None:
    """Every fact is stated and quotes exact spans of the request (whitespace-normalised)."""
    flat = _flat(text)
    for name, fact in req.stated_facts():
        assert fact.quote, name
        for part in fact.quote.split(" … "):
            assert _flat(part) in flat, (name, part)
    assert req.assumed_facts() == []
    for figure in req.other_figures:
        assert _flat(figure) in flat, figure


def check(text: str, **expect: Any) -> Requirements:
    req = extract_requirements(text)
    _assert_quotes_are_spans(req, text)
    problems = mismatches(req, expect)
    assert not problems, problems
    return req


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("raw", "value"),
    [("30,000", 30000), ("30k", 30000), ("1.5M", 1.5e6), ("2 million", 2e6), ("40M", 40e6), ("two", 2),
     ("twelve", 12), ("a dozen", 12), ("7B", 7e9), ("1.2 billion", 1.2e9), ("850", 850)],
)
def test_parse_number(raw: str, value: float) -> None:
    assert parse_number(raw) == pytest.approx(value)


def test_parse_number_rejects_words() -> None:
    with pytest.raises(ValueError):
        parse_number("lots")


# --------------------------------------------------------------------------- sizes of data

CORPUS_CASES = [
    ("Answers from 30,000 internal Confluence pages and PDFs.", {"amount": 30000, "unit": "pages"}),
    ("Search over 85,000 scanned PDFs.", {"amount": 85000, "unit": "documents"}),
    ("We have about 1.2M clinical notes.", {"amount": 1.2e6, "unit": "notes"}),
    ("2 million support tickets going back to 2015", {"amount": 2e6, "unit": "tickets"}),
    ("a knowledge base of 12k docs", {"amount": 12000, "unit": "documents"}),
    ("~400 markdown files in a repo", {"amount": 400, "unit": "files"}),
    ("5M product listings", {"amount": 5e6, "unit": "listings"}),
]


@pytest.mark.parametrize(("text", "corpus"), CORPUS_CASES)
def test_corpus_keeps_its_counted_noun(text: str, corpus: dict[str, Any]) -> None:
    check(text, corpus=corpus)


def test_document_types() -> None:
    check(
        "Index Confluence, scanned PDFs, Word documents, PowerPoint slides, Zendesk tickets, emails and call transcripts.",
        document_types=["confluence", "scanned", "pdf", "word", "slides", "tickets", "email", "transcripts"],
    )


def test_ingest_rate_of_documents_is_not_the_corpus() -> None:
    req = check("We ingest 5,000 new documents a day into 300k existing documents.", corpus={"amount": 300000, "unit": "documents"})
    assert any("5,000" in f for f in req.other_figures)


def test_batch_volume_sets_batch_mode() -> None:
    check("Nightly batch scoring of 40M rows with XGBoost.",
          batch_volume={"amount": 40e6, "unit": "rows"}, mode="batch", corpus=None, requests_per_day=None)


def test_batch_of_customers_is_not_users() -> None:
    check("We score 10M customers every night for churn.",
          batch_volume={"amount": 10e6, "unit": "customers"}, users=None, mode="batch")


def test_data_volume_total_and_per_day() -> None:
    check("2 TB of logs in S3, growing by 50 GB per day.", data_volume_gb=2000, data_volume_gb_per_day=50)
    check("we ingest about 200 GB daily", data_volume_gb_per_day=200, data_volume_gb=None)
    check("we land 3 TB of clickstream per day", data_volume_gb_per_day=3000, data_volume_gb=None)
    check("we keep 4 TB of scans", data_volume_gb=4000, data_volume_gb_per_day=None)


def test_weekly_scoring_of_subscribers_is_a_batch() -> None:
    check("refresh the propensity scores once a week for about 1.8 million subscribers",
          batch_volume={"amount": 1.8e6, "unit": "subscribers"}, users=None, mode="batch")


@pytest.mark.parametrize(("text", "region"), [
    ("all records must stay in Dublin", "Ireland"), ("use the EU regions of our cloud only", "EU"),
    ("data is processed in Frankfurt only", "Germany"),
])
def test_residency_from_a_city_or_regions(text: str, region: str) -> None:
    check(text, data_residency=region)


def test_a_qualified_gpu_server_counts_its_gpu() -> None:
    check("it all runs on one on-prem GPU server", hardware={"gpus": 1}, deployment="on_prem")


def test_parameter_count_before_the_family_name() -> None:
    check("we fine-tuned a 13B Llama for claims", model_params_b=13, model_family="llama")


def test_events_per_second_are_streaming_events_per_day() -> None:
    check("Ingest 50k events per second from Kafka.", events_per_day=50_000 * 86400, mode="streaming", peak_rps=None)
    check("about 2M events a day", events_per_day=2e6)


# --------------------------------------------------------------------------- labelled data is not traffic


def test_labelled_conversations_are_not_traffic() -> None:
    check("We have 600 labelled conversations and want to evaluate the bot.",
          labelled_examples=600, requests_per_day=None, peak_rps=None, corpus=None)


def test_golden_set_is_labelled_examples() -> None:
    check("There is a golden set of 300 questions with reference answers.", labelled_examples=300, requests_per_day=None)


def test_labelled_with_k_suffix() -> None:
    check("10k labeled images of defects", labelled_examples=10000)


# --------------------------------------------------------------------------- load


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("an endpoint handling 200 requests per second", {"peak_rps": 200.0, "requests_per_day": None}),
        ("1.5k qps with p95 under 800 ms", {"peak_rps": 1500.0, "latency": {"seconds": 0.8, "percentile": "p95"}}),
        ("300 rpm", {"peak_rps": 5.0}),
        ("200k searches/day", {"requests_per_day": 200_000.0, "peak_rps": None}),
        ("1M requests a month", {"requests_per_day": 1e6 / 30}),
        ("5,000 users ask 20 questions a day", {"users": 5000, "requests_per_day": 100_000.0}),
        ("2k employees, each asking about 5 questions per day", {"users": 2000, "requests_per_day": 10_000.0}),
        ("average 50 rps, peaks of 400 rps", {"peak_rps": 400.0}),
        ("50k DAU", {"users": 50000}),
        ("used by 500 engineers across the company", {"users": 500, "team_size": None}),
    ],
)
def test_load(text: str, expect: dict[str, Any]) -> None:
    check(text, **expect)


def test_three_regions_is_not_a_team() -> None:
    req = check("Deploy to 3 regions for 10,000 users.", team_size=None, users=10000)
    assert "3 regions" in req.other_figures


# --------------------------------------------------------------------------- latency


@pytest.mark.parametrize(
    ("text", "seconds", "percentile"),
    [
        ("latency under 2 seconds", 2.0, "p95"),
        ("p99 latency of 50 ms", 0.05, "p99"),
        ("300ms p99", 0.3, "p99"),
        ("median response time below 200 ms", 0.2, "p50"),
        ("responses in under 1.5 s", 1.5, "p95"),
        ("sub-second answers", 1.0, "p95"),
    ],
)
def test_latency(text: str, seconds: float, percentile: str) -> None:
    check(text, latency={"seconds": seconds, "percentile": percentile})


def test_durations_that_are_not_latency() -> None:
    check("New documents must be searchable within 5 minutes; retrain every 2 hours.", latency=None)
    check("Calls last 30 minutes each.", latency=None)


# --------------------------------------------------------------------------- budget versus spend


@pytest.mark.parametrize(
    ("text", "budget", "spend"),
    [
        ("a budget of $500 a month", 500.0, None),
        ("$12k per year", 1000.0, None),
        ("€2k a month max", 2000.0, None),
        ("keep it under $150/month", 150.0, None),
        ("our LLM bill went from $3k to $11k", None, 11000.0),
        ("we spend $8k/month on OpenAI", None, 8000.0),
        ("We currently pay $2,400 a month and want to stay below $1,000 a month", 1000.0, 2400.0),
        ("cut our $11k monthly bill to $4k", None, 11000.0),
        ("reduce the bill from $9k to $4k a month", 4000.0, 9000.0),
        ("an annual budget of $120,000", 10000.0, None),
    ],
)
def test_budget_and_spend(text: str, budget: float | None, spend: float | None) -> None:
    check(text, monthly_budget_usd=budget, current_monthly_spend_usd=spend)


def test_budget_keeps_the_quote_with_currency() -> None:
    req = check("Budget: €2k a month.", monthly_budget_usd=2000)
    assert req.monthly_budget_usd is not None and "€2k a month" in req.monthly_budget_usd.quote


def test_unit_prices_are_figures_not_budgets() -> None:
    req = check("It may cost at most $0.01 per query.", monthly_budget_usd=None)
    assert any("$0.01" in f for f in req.other_figures)


# --------------------------------------------------------------------------- people, languages, retention


@pytest.mark.parametrize(
    ("text", "size"),
    [("a team of 3", 3), ("two ML engineers", 2), ("I'm a solo developer", 1), ("a 4-person team", 4),
     ("two data scientists and one ML engineer maintain it", 3), ("The team is four engineers.", 4)],
)
def test_team_size(text: str, size: int) -> None:
    check(text, team_size=size)


def test_languages() -> None:
    check("Answers in English, German and French.", languages=["english", "german", "french"])
    check("A multilingual assistant.", languages=["multilingual"])
    # several languages, unnamed: a multilingual request, and the figure is still shown
    req = check("Support for 5 languages.", languages=["multilingual"])
    assert "5 languages" in req.other_figures


@pytest.mark.parametrize(
    ("text", "days"),
    [("keep logs for 90 days", 90), ("retain 2 years of history", 730), ("a 30-day retention policy", 30),
     ("delete transcripts after 6 months", 180)],
)
def test_retention(text: str, days: float) -> None:
    check(text, retention_days=days)


# --------------------------------------------------------------------------- hardware


def test_two_a100s_are_gpus_not_replicas() -> None:
    req = check("We have 2 A100s.", hardware={"gpus": 2, "gpu_model": "A100", "gpu_memory_gb": None})
    assert req.other_figures == []


def test_gpu_memory_when_known_or_stated() -> None:
    check("4x H100", hardware={"gpus": 4, "gpu_model": "H100", "gpu_memory_gb": 80})
    check("one L4", hardware={"gpus": 1, "gpu_model": "L4", "gpu_memory_gb": 24})
    check("2x A100 80GB", hardware={"gpus": 2, "gpu_model": "A100", "gpu_memory_gb": 80})
    check("a single RTX 4090", hardware={"gpus": 1, "gpu_model": "RTX 4090", "gpu_memory_gb": 24})


def test_ram_and_cpu_only() -> None:
    check("a box with 16 GB RAM, CPU only", hardware={"ram_gb": 16, "cpu_only": True, "gpus": 0}, data_volume_gb=None)
    check("we have no GPUs", hardware={"cpu_only": True})


# --------------------------------------------------------------------------- where it runs


@pytest.mark.parametrize(
    ("text", "deployment"),
    [
        ("It must be fully air-gapped.", "air_gapped"),
        ("The site has no internet access.", "air_gapped"),
        ("Runs on-prem in our own data centre.", "on_prem"),
        ("Self-hosted, please.", "on_prem"),
        ("It should run on my laptop.", "single_machine"),
        ("Everything on a single server.", "single_machine"),
        ("We're on AWS.", "cloud"),
    ],
)
def test_deployment(text: str, deployment: str) -> None:
    check(text, deployment=deployment)


def test_cloud_provider_and_negation() -> None:
    check("Deployed on GCP.", cloud="gcp", deployment="cloud")
    check("We can't use AWS.", cloud=None)
    check("It does not need to be air-gapped.", deployment=None, no_external_apis=None)


@pytest.mark.parametrize(
    "text",
    ["No external APIs.", "Data cannot leave our network.", "No SaaS tools.", "We can't send data to OpenAI.",
     "Fully air-gapped environment."],
)
def test_no_external_apis(text: str) -> None:
    check(text, no_external_apis=True)


def test_data_residency() -> None:
    check("EU only.", data_residency="EU")
    check("Data must stay in Germany.", data_residency="Germany")
    check("Please help us design it.", data_residency=None)


def test_compliance_only_from_clear_words() -> None:
    check("GDPR and SOC 2 apply; there is PII in the tickets.", compliance=["gdpr", "soc2", "pii"])
    check("We process PHI under HIPAA.", compliance=["hipaa"])
    check("It contains patient data.", compliance=[])
    check("It stores personal data.", compliance=["pii"])
    check("There is no PII in the logs.", compliance=[])


def test_existing_stack_and_negation() -> None:
    check("We run Postgres, Kubernetes and Airflow, with Redis for caching.",
          existing_stack=["postgres", "kubernetes", "airflow", "redis"])
    check("We don't want Kafka; events land in BigQuery.", existing_stack=["bigquery"])


@pytest.mark.parametrize(
    "text",
    ["existing Postgres only", "we can only use Postgres", "no new infrastructure", "must reuse what we have"],
)
def test_stack_only(text: str) -> None:
    check(text, stack_only=True)


def test_reuse_wish_is_not_stack_only() -> None:
    check("We'd like to reuse Postgres if possible.", stack_only=None, existing_stack=["postgres"])


# --------------------------------------------------------------------------- mode and model


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("Daily batch scoring job for leads.", "batch"),
        ("A real-time stream of clickstream events.", "streaming"),
        ("An online API with p95 under 100 ms.", "real_time"),
        ("Retrain nightly; serve predictions through a REST API.", "real_time"),
    ],
)
def test_mode(text: str, mode: str) -> None:
    check(text, mode=mode)


@pytest.mark.parametrize(
    ("text", "kind", "family"),
    [
        ("Predict churn with XGBoost on tabular data.", "classic_ml", "xgboost"),
        ("A LightGBM ranker.", "classic_ml", "lightgbm"),
        ("Improve our ranking model for search.", "classic_ml", None),
        ("A RAG chatbot over the wiki.", "llm", None),
        ("Summarization with GPT-4o.", "llm", "gpt"),
        ("Self-host Llama 3 70B.", "llm", "llama"),
    ],
)
def test_model_kind_and_family(text: str, kind: str, family: str | None) -> None:
    check(text, model_kind=kind, model_family=family)


@pytest.mark.parametrize(("text", "params"), [("a 7B model", 7.0), ("Llama 3 70B", 70.0), ("13B", 13.0), ("Mistral 7B", 7.0)])
def test_model_params(text: str, params: float) -> None:
    check(text, model_params_b=params)


def test_billions_of_rows_are_not_model_size() -> None:
    check("Nightly batch over 2B rows.", model_params_b=None, batch_volume={"amount": 2e9, "unit": "rows"})


# --------------------------------------------------------------------------- A/B tests


def test_ab_test_inputs() -> None:
    check("A/B test: baseline CTR of 3%, detect a 1% relative CTR change.", baseline_rate=0.03, min_detectable_effect=0.01)


def test_percentage_points_relative_to_stated_baseline() -> None:
    check("Experiment on conversion; conversion rate is 4%; we must detect 2 percentage points.",
          baseline_rate=0.04, min_detectable_effect=0.5)


def test_percentage_points_without_baseline_are_kept_absolute() -> None:
    check("A/B test that can detect 2 percentage points.", baseline_rate=None, min_detectable_effect=0.02)


# --------------------------------------------------------------------------- traps: versions, names, years


def test_versions_names_and_years_are_not_figures() -> None:
    req = check("Built in 2024 with Python 3.11 and GPT-4, p95 under 400 ms.", latency={"seconds": 0.4, "percentile": "p95"})
    assert req.other_figures == []
    assert req.team_size is None and req.users is None and req.peak_rps is None


def test_iso_and_soc_numbers_are_not_figures() -> None:
    req = check("ISO 27001 and SOC 2 certified.", compliance=["iso27001", "soc2"])
    assert req.other_figures == []


# --------------------------------------------------------------------------- numbers stay in their clause


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("We have 3 data centres and care about p95 latency.", ["3 data centres"]),
        ("Latency matters a lot, we have 200 stores.", ["200 stores"]),
        ("2 A100s and 4 replicas.", ["4 replicas"]),
        ("We need 99.9% uptime with a 15-minute RPO.", ["99.9% uptime", "15-minute RPO"]),
        ("At 9am there is a spike of 10x normal traffic.", ["10x normal traffic"]),
        ("Our 2 largest customers generate 60% of the traffic.", ["2 largest customers", "customers generate 60%"]),
    ],
)
def test_untaken_figures_are_kept_with_their_words(text: str, figures: list[str]) -> None:
    req = check(text, latency=None, users=None, team_size=None, monthly_budget_usd=None)
    assert req.other_figures == figures


def test_numbers_are_not_borrowed_from_neighbouring_clauses() -> None:
    text = "Our team of 4 runs 12 services; each request should take under 300 ms. We store 3 years of data."
    req = check(text, team_size=4, latency={"seconds": 0.3, "percentile": "p95"}, retention_days=1095, peak_rps=None)
    assert "12 services" in req.other_figures


def test_bullet_list_request() -> None:
    text = """Requirements:
    - 45k PDFs (mostly scanned)
    - ~200 concurrent users
    - answers in < 4 s
    - $2,000/month
    - 3 regions, 99.9% uptime"""
    req = check(text, corpus={"amount": 45000, "unit": "documents"}, users=200,
                latency={"seconds": 4.0, "percentile": "p95"}, monthly_budget_usd=2000,
                document_types=["pdf", "scanned"])
    assert "3 regions" in req.other_figures and "99.9% uptime" in req.other_figures


def test_long_request_with_conflicting_money() -> None:
    text = ("We are a team of 5 at a fintech. Our OpenAI bill is $14k a month, which is too much; "
            "the CFO wants a hard budget of $6k a month. We get about 80k chats per day from 30k customers. "
            "All data must stay in the EU and nothing may leave our VPC.")
    check(text, team_size=5, current_monthly_spend_usd=14000, monthly_budget_usd=6000, requests_per_day=80000,
          users=30000, data_residency="EU")


def test_vague_request_states_nothing() -> None:
    req = check("Design experiment tracking so results can be reproduced.")
    assert req.stated_facts() == [] and req.other_figures == []


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("We're a 12-person startup.", {"team_size": 12}),
        ("Team: 6 DS, 2 MLEs.", {"team_size": 8}),
        ("There are three of us.", {"team_size": 3}),
        ("It is queried by ~40 SREs.", {"users": 40, "team_size": None}),
        ("Latency SLO: 95th percentile under 250ms.", {"latency": {"seconds": 0.25, "percentile": "p95"}, "other_figures_exact": []}),
        ("Target: answer in 2-3 seconds.", {"latency": {"seconds": 3.0, "percentile": "p95"}, "other_figures_exact": []}),
        ("10 requests per second on average and 50 at peak", {"peak_rps": 50.0}),
        ("A fraud model that scores 2,500 transactions per second.", {"peak_rps": 2500.0, "events_per_day": None}),
        ("Our embedding costs doubled to $6,000/month.", {"current_monthly_spend_usd": 6000, "monthly_budget_usd": None}),
        ("We added 500k more documents last month.", {"corpus": None, "other_figures_include": ["500k more documents"]}),
        ("Every night we embed about 200k new support tickets.", {"batch_volume": {"amount": 200000, "unit": "tickets"}, "corpus": None}),
        ("We have 1,500 human-rated transcripts.", {"labelled_examples": 1500, "corpus": None}),
        ("the model is a 1.3B param model", {"model_params_b": 1.3, "model_kind": "llm"}),
        ("Serve Qwen2.5 14B on 2 L40S.", {"model_params_b": 14.0, "model_family": "qwen", "hardware": {"gpus": 2, "gpu_model": "L40S"}}),
        ("We have one GPU (a 3090).", {"hardware": {"gpus": 1, "gpu_model": "RTX 3090", "gpu_memory_gb": 24}}),
        ("No PHI may be sent to OpenAI.", {"no_external_apis": True, "compliance": ["hipaa"]}),
        ("We must keep PHI in the US.", {"data_residency": "US"}),
        ("Please send it to us by Friday.", {"data_residency": None}),
        ("We have maybe 10-20k documents.", {"corpus": {"amount": 20000, "unit": "documents"}, "other_figures_exact": []}),
        ("Events from 2023-2024 matter; recall@10 must stay high.", {"other_figures_exact": []}),
        ("Our chatbot costs $0.12 per conversation; 80,000 conversations per month.",
         {"current_monthly_spend_usd": None, "monthly_budget_usd": None, "requests_per_day": 80000 / 30}),
        ("A bank. No generative AI. XGBoost is fine.", {"model_kind": "classic_ml"}),
        ("Classify ~1k incoming emails/day into 15 queues.", {"requests_per_day": 1000, "other_figures_include": ["15 queues"]}),
        ("A code assistant over our monorepo.", {"document_types": ["code"]}),
        ("English only, we don't need French. No PDFs, only HTML pages.",
         {"languages": ["english"], "document_types": ["html"]}),
        ("GDPR applies, EU hosting only.", {"data_residency": "EU", "compliance": ["gdpr"]}),
        ("Nothing can leave the building.", {"no_external_apis": True}),
        ("Nothing can wait until tomorrow.", {"no_external_apis": None}),
        ("We spend $7,000/month on GPT-4. Management wants that under $2,500.",
         {"current_monthly_spend_usd": 7000, "monthly_budget_usd": 2500}),
        ("Management wants it under $2,500.", {"monthly_budget_usd": None, "other_figures_include": ["$2,500"]}),
    ],
)
def test_more_phrasings(text: str, expect: dict[str, Any]) -> None:
    check(text, **expect)


# --------------------------------------------------------------------------- follow-ups

BASE = ("RAG over 30,000 PDFs on AWS with Postgres and a Redis cache; 200 requests per second at peak; "
        "budget of $500 a month; 50 users; 2 TB of data.")


def _amend(followup: str, base: str = BASE) -> tuple[Requirements, list[str]]:
    return amend_requirements(extract_requirements(base), followup)


def test_amend_new_budget_replaces_old() -> None:
    req, changes = _amend("make it cheaper: $200 a month")
    assert req.monthly_budget_usd is not None and req.monthly_budget_usd.value == 200
    assert changes == ["budget: $500/month → $200/month (“$200 a month”)"]


def test_amend_cheaper_without_figure_invents_nothing() -> None:
    req, changes = _amend("make it cheaper")
    assert req.monthly_budget_usd is not None and req.monthly_budget_usd.value == 500
    assert len(changes) == 1 and changes[0].startswith("budget: asked to cost less") and "make it cheaper" in changes[0]


def test_amend_on_prem() -> None:
    req, changes = _amend("what if we must stay on-prem?")
    assert req.deployment is not None and req.deployment.value == "on_prem"
    assert req.cloud is None
    assert any(line.startswith("deployment: cloud → on_prem") for line in changes)


def test_amend_scales_traffic() -> None:
    req, changes = _amend("we now expect 10x the traffic")
    assert req.peak_rps is not None and req.peak_rps.value == pytest.approx(2000)
    assert req.peak_rps.quote == "10x the traffic"
    assert req.other_figures == []
    assert changes == ["peak load: 200 req/s → 2,000 req/s (“10x the traffic”)"]


def test_amend_doubles_corpus_and_halves_budget() -> None:
    req, _ = _amend("double the corpus and cut the budget in half")
    assert req.corpus is not None and req.corpus.value.amount == 60000 and req.corpus.value.unit == "documents"
    assert req.monthly_budget_usd is not None and req.monthly_budget_usd.value == 250


def test_amend_scaling_without_earlier_figure_reports_it() -> None:
    req, changes = _amend("we expect 3x the events", base="A streaming pipeline on Kafka.")
    assert req.events_per_day is None
    assert changes and "no earlier figure" in changes[0]


def test_amend_drops_a_stack_item() -> None:
    req, changes = _amend("drop the Redis cache")
    assert req.stack() == {"postgres"}
    assert changes == ["existing stack: − redis (“drop the Redis cache”)"]


def test_amend_corrects_users() -> None:
    req, changes = _amend("actually 500 users, not 50")
    assert req.users is not None and req.users.value == 500
    assert changes == ["users: 50 → 500 (“500 users”)"]
    assert req.other_figures == []


def test_amend_lifts_air_gap_and_cloud_restrictions() -> None:
    base = "Fully air-gapped RAG over 10k manuals."
    req, changes = _amend("we no longer need to be air-gapped", base=base)
    assert req.deployment is None and req.no_external_apis is None and len(changes) == 2
    req, _ = _amend("cloud is fine now", base="On-prem only, 10k manuals.")
    assert req.deployment is None


def test_amend_keeps_unrelated_facts_and_adds_new_ones() -> None:
    req, changes = _amend("also GDPR applies and we need German")
    assert req.monthly_budget_usd is not None and req.monthly_budget_usd.value == 500
    assert [f.value for f in req.compliance] == ["gdpr"] and req.languages == ["german"]
    assert len(changes) == 2


def test_amend_replaces_stack_item() -> None:
    req, _ = _amend("replace Redis with Kafka")
    assert req.stack() == {"postgres", "kafka"}


# --------------------------------------------------------------------------- held-out requests


def _heldout() -> list[dict[str, Any]]:
    return [json.loads(line) for line in HELDOUT.read_text().splitlines() if line.strip()]


def test_heldout_file_is_big_enough() -> None:
    assert len(_heldout()) >= 15


def _heldout_params() -> list[Any]:
    """Rows marked ``known_gap`` are expected to fail (strictly: a fix must remove the mark)."""
    return [
        pytest.param(row, id=row["id"], marks=pytest.mark.xfail(reason=row["known_gap"], strict=True))
        if "known_gap" in row else pytest.param(row, id=row["id"])
        for row in _heldout()
    ]


@pytest.mark.parametrize("row", _heldout_params())
def test_heldout_request(row: dict[str, Any]) -> None:
    req = extract_requirements(row["request"])
    _assert_quotes_are_spans(req, row["request"])
    assert not mismatches(req, row["expect"]), mismatches(req, row["expect"])


def test_mismatches_catches_wrong_values() -> None:
    """The comparison used above can fail."""
    req = extract_requirements("a budget of $500 a month")
    assert mismatches(req, {"monthly_budget_usd": 600})
    assert mismatches(req, {"monthly_budget_usd": None})
    assert mismatches(req, {"team_size": 3})
    assert not mismatches(req, {"monthly_budget_usd": 500, "team_size": None})
    assert isinstance(req.monthly_budget_usd, Fact)


@pytest.mark.parametrize(
    ("followup", "field", "value"),
    [
        ("We hired two more engineers.", "team_size", 5),
        ("we lost one engineer", "team_size", 2),
        ("The team shrank to 2.", "team_size", 2),
        ("500 more users", "users", 550),
        ("make it 3x faster", "latency", None),
    ],
)
def test_amend_deltas(followup: str, field: str, value: Any) -> None:
    base = BASE + " A team of 3; p95 under 3 s."
    req, changes = _amend(followup, base=base)
    assert len(changes) == 1, changes
    if value is None:
        assert req.latency is not None and req.latency.value.seconds == pytest.approx(1.0)
    else:
        assert getattr(req, field).value == value
    assert req.other_figures == []


def test_amend_negated_stack_mention_drops_it() -> None:
    req, changes = _amend("Can we do it with no Redis?")
    assert req.stack() == {"postgres"} and len(changes) == 1


def test_amend_restated_constraint_is_not_lifted() -> None:
    base = "Postgres only, no new infrastructure."
    req, changes = _amend("and no new infrastructure, plus HIPAA", base=base)
    assert req.stack_only is not None and req.stack_only.value is True
    assert changes == ["compliance: + hipaa (“HIPAA”)"]


@pytest.mark.parametrize(
    "followup", ["please double-check the budget", "half of the users are in Germany", "we run it twice a day"]
)
def test_amend_words_that_are_not_factors(followup: str) -> None:
    req, changes = _amend(followup)
    assert changes == [] or all("budget" not in line and "users" not in line for line in changes), changes
    assert req.monthly_budget_usd is not None and req.monthly_budget_usd.value == 500
    assert req.users is not None and req.users.value == 50


RESTRICTED = "On-prem RAG, no external APIs, Postgres and Redis, GDPR, budget $500 a month, p95 under 2 s."


@pytest.mark.parametrize(
    ("followup", "expected"),
    [
        ("we don't want external APIs either", []),
        ("we don't want the cloud", []),
        ("the budget is fine", []),
        ("GDPR no longer applies", ["compliance: − gdpr (“GDPR no longer applies”)"]),
        ("there is no latency requirement", ["latency: 2 s p95 → removed (“there is no latency requirement”)"]),
        ("external APIs are fine now", ["no external APIs: yes → removed (“external APIs are fine now”)"]),
        ("Redis is not needed", ["existing stack: − redis (“Redis is not needed”)"]),
        ("drop GDPR and add HIPAA", ["compliance: − gdpr (“drop GDPR and add HIPAA”)", "compliance: + hipaa (“HIPAA”)"]),
        ("drop Redis and use Kafka", ["existing stack: − redis (“drop Redis and use Kafka”)", "existing stack: + kafka (“Kafka”)"]),
    ],
)
def test_amend_lifts_only_what_is_lifted(followup: str, expected: list[str]) -> None:
    _, changes = _amend(followup, base=RESTRICTED)
    assert changes == expected


def test_amend_never_scales_an_assumed_value() -> None:
    previous = extract_requirements("A RAG chatbot.").model_copy(
        update={"peak_rps": Fact.assumed(2.0, "traffic not stated")})
    req, changes = amend_requirements(previous, "we now expect 10x the traffic")
    assert req.peak_rps is not None and req.peak_rps.stated is False and req.peak_rps.value == 2.0
    assert changes and "no earlier figure" in changes[0]



def test_every_item_of_a_list_fact_is_a_stated_fact() -> None:
    req = check("Events arrive through our existing Kafka; we deploy on our Kubernetes cluster. GDPR and HIPAA apply.",
                existing_stack=["kafka", "kubernetes"])
    stack = [fact.value for name, fact in req.stated_facts() if name == "existing_stack"]
    assert stack == ["kafka", "kubernetes"]
    assert len([1 for name, _ in req.stated_facts() if name == "compliance"]) == 2


@pytest.mark.parametrize("text", [
    "features for the fraud model with under a minute of freshness",
    "sensor readings must reach the model within 30 seconds of lag",
    "near real-time aggregates of the clickstream",
])
def test_a_freshness_target_in_seconds_or_a_minute_is_streaming(text: str) -> None:
    check(text, mode="streaming")


@pytest.mark.parametrize(("text", "kinds"), [
    ("a nightly pipeline from our Postgres order database and the Stripe API", ["database", "api"]),
    ("every month the branches email us spreadsheets of their stock", ["files"]),
    ("readings arrive through Kafka from 9,000 sensors", ["events"]),
    ("pipeline to Postgres for the model", []),  # a target, not a source
])
def test_data_sources_are_where_the_data_comes_from(text: str, kinds: list[str]) -> None:
    req = extract_requirements(text)
    assert [f.value for f in req.data_sources] == kinds


@pytest.mark.parametrize("text", [
    "i don't want anything going to the cloud",
    "I'd really rather not send our lab data to OpenAI",
    "we prefer not to upload the recordings to a hosted service",
])
def test_an_unwillingness_to_send_data_out_is_no_external_apis(text: str) -> None:
    check(text, no_external_apis=True)


def test_more_existing_systems_are_named_in_the_stack() -> None:
    req = check("Scores go to our Teradata warehouse and Looker; we deploy on the OpenShift cluster.",
                existing_stack=["kubernetes", "teradata", "looker"])
    assert {f.value for f in req.existing_stack} == {"kubernetes", "teradata", "looker"}
    assert extract_requirements("the oracle of all truth, and a hive of bees").existing_stack == []


@pytest.mark.parametrize(("text", "targets"), [
    ("we want faithfulness of at least 0.9 and recall@10 of 0.8", ["faithfulness ≥ 0.9", "recall@10 ≥ 0.8"]),
    ("the classifier needs accuracy above 95% and F1 ≥ 0.8", ["accuracy ≥ 95%", "f1 ≥ 0.8"]),
    ("keep WER under 8% for the transcription model", ["wer ≤ 8%"]),
    ("our AUC is 0.82 today", []),
    ("p95 latency under 300 ms", []),
])
def test_quality_targets(text: str, targets: list[str]) -> None:
    assert [f.value for f in extract_requirements(text).metric_targets] == targets
