"""Request signals that change which components a design has: whether real users or
traffic reach the system (an online test needs them), "open source only", "European
providers only", and a model's size named beside its job ("our 7B support model")."""

from __future__ import annotations

import re

import pytest

from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.requirements import Fact, Requirements
from mlarchitect.skills.architecture import adapt_architecture
from mlarchitect.skills.catalogue import hard_violations, load_catalogue

EVAL = "mlarchitect.skills.evaluation_metrics"
def value(fact: Fact | None) -> object:
    """A requirement's value, or None when it was not read."""
    return None if fact is None else fact.value


PACKAGES = [EVAL, "mlarchitect.skills.rag_design", "mlarchitect.skills.model_serving",
            "mlarchitect.skills.experiment_tracking", "mlarchitect.skills.data_pipeline"]


@pytest.mark.parametrize("text", [
    "Our support bot has been in production since March; how do we compare prompt versions?",
    "we want to A/B test the new ranking model",
    "Customers use the assistant every day and we log thumbs-up/down",
])
def test_live_traffic_is_read_from_the_request(text: str) -> None:
    req = extract_requirements(text)
    assert req.live_traffic is not None and req.live_traffic.stated and req.live_traffic.quote
    assert req.has_live_traffic()


@pytest.mark.parametrize("text", [
    "evaluation for our translation model",
    "The summariser is not in production yet; how do we know v2 beats v1?",
])
def test_no_live_traffic_without_users_or_production(text: str) -> None:
    assert not extract_requirements(text).has_live_traffic()


def test_a_stated_load_counts_as_live_traffic() -> None:
    req = extract_requirements("evaluate our chatbot, it gets about 4,000 requests a day")
    assert req.live_traffic is None and req.has_live_traffic()


def _names(req: Requirements) -> set[str]:
    return {c["name"] for c in adapt_architecture(EVAL, req)["components"]}


def test_online_experimentation_only_with_live_traffic() -> None:
    offline = _names(extract_requirements("how do I tell if my fine-tuned story model v2 is better than v1"))
    live = _names(extract_requirements("our story-writing app is live with 30,000 users; is model v2 better than v1?"))
    assert "Online experimentation" not in offline and "Feedback collector" not in offline
    assert {"Online experimentation", "Feedback collector"} <= live
    assert {"Eval dataset registry", "Offline eval runner"} <= offline & live


def test_no_live_traffic_says_why_there_is_no_online_test() -> None:
    arch = adapt_architecture(EVAL, extract_requirements("how do I tell if my fine-tuned story model v2 is better"))
    online = " ".join(arch["evaluation"]["online_evaluation"])
    assert "No live traffic is stated" in online and "A/B test with" not in online
    assert "Once real users reach the system" in online  # the online plan for later


@pytest.mark.parametrize("text", ["RAG over our wiki, open source only", "we only use open-source tools",
                                  "it must be fully open source", "no proprietary software, please"])
def test_open_source_only_is_read(text: str) -> None:
    fact = extract_requirements(text).open_source_only
    assert fact is not None and fact.value and fact.quote


def test_liking_open_source_is_not_a_constraint() -> None:
    assert extract_requirements("we like open source and use Python").open_source_only is None


OPEN_ONLY = Requirements(open_source_only=Fact.said(True, "open source only"))


@pytest.mark.parametrize("package", PACKAGES)
def test_open_source_only_rules_out_vendor_services_and_proprietary_software(package: str) -> None:
    catalogue = load_catalogue(package)
    arch = adapt_architecture(package, OPEN_ONLY)
    by_id = {o.id: o for slot in catalogue.slots.values() for o in slot.options}
    for chosen in arch["chosen"]:
        assert not by_id[chosen].proprietary, chosen
    for choice in arch["choices"]:
        for rejected in choice["rejected"]:
            option = next(o for o in by_id.values() if o.name == rejected["option"])
            if option.proprietary:
                assert "open source only" in rejected["why"]


def test_self_hosted_proprietary_software_is_ruled_out_too() -> None:
    wandb = next(o for o in load_catalogue("mlarchitect.skills.experiment_tracking").slots["tracking_server"].options
                 if o.id == "wandb-server")
    assert not wandb.hosted and wandb.proprietary
    assert hard_violations(wandb, OPEN_ONLY)
    assert not hard_violations(wandb, Requirements())


@pytest.mark.parametrize("text", ["Contract search, and we may only use European cloud providers",
                                  "EU providers only, no US hyperscalers", "no US cloud vendors because of the CLOUD Act",
                                  "it has to run on a sovereign cloud"])
def test_european_providers_only_is_read(text: str) -> None:
    fact = extract_requirements(text).european_providers_only
    assert fact is not None and fact.value and fact.quote


def test_eu_residency_alone_is_not_a_provider_rule() -> None:
    req = extract_requirements("all data must stay in the EU")
    assert req.data_residency is not None and req.european_providers_only is None


EU_ONLY = Requirements(european_providers_only=Fact.said(True, "European providers only"))


@pytest.mark.parametrize("package", PACKAGES)
def test_european_providers_only_rules_out_us_vendor_and_hyperscaler_services(package: str) -> None:
    catalogue = load_catalogue(package)
    by_id = {o.id: o for slot in catalogue.slots.values() for o in slot.options}
    arch = adapt_architecture(package, EU_ONLY)
    for chosen in arch["chosen"]:
        assert not by_id[chosen].hosted and not by_id[chosen].hyperscaler, chosen
    assert not re.search(r"Cloud Run|Fargate|MWAA|Composer|SageMaker|Vertex|OpenAI|Pinecone|Datadog|Snowflake",
                         " ".join(c["technology"] for c in arch["components"]))


def test_a_model_size_beside_its_job_makes_it_an_llm_to_self_host() -> None:
    req = extract_requirements("Serve our 7B support model for 30 requests per second; European providers only")
    assert value(req.model_params_b) == 7
    assert value(req.model_kind) == "llm"
    arch = adapt_architecture("mlarchitect.skills.model_serving", req)
    assert {"vllm", "llama-cpp-server"} & set(arch["chosen"])  # a self-hosted LLM runtime
    assert not {"hosted-llm", "fastapi-onnx"} & set(arch["chosen"])
    rows = extract_requirements("we score 2B rows with the churn model every night")
    assert rows.model_params_b is None  # "2B rows" counts rows, not parameters


@pytest.mark.parametrize("text", [
    "Our fraud team scores 1.5M card transactions a day; each needs a decision in under 100 ms at 400 TPS peak",
    "We score 300k loan applications a day and need each decision in under 200 ms",
])
def test_a_daily_volume_with_a_request_latency_is_served_in_real_time(text: str) -> None:
    req = extract_requirements(text)
    assert value(req.mode) == "real_time"


def test_a_daily_volume_with_batch_words_stays_batch() -> None:
    req = extract_requirements("We score 40M rows nightly; the job must finish within 2 hours")
    assert value(req.mode) == "batch"


@pytest.mark.parametrize(("text", "kind"), [
    ("Our fraud team scores card transactions as they arrive", "classic_ml"),
    ("predict churn for 2M subscribers every month", "classic_ml"),
    ("a RAG assistant for our fraud analysts over the case notes", "llm"),
])
def test_the_task_alone_names_the_model_kind(text: str, kind: str) -> None:
    req = extract_requirements(text)
    assert value(req.model_kind) == kind


def test_an_online_lookup_gets_an_online_feature_store_and_keeps_batch_ingestion() -> None:
    text = ("Our ranking model retrains weekly on a year of clickstream in S3. We need the feature pipeline, "
            "point-in-time correct, feeding training and a 20 ms online lookup at scoring time.")
    req = extract_requirements(text)
    assert req.online_features is not None and req.online_features.value
    assert req.mode is None or req.mode.value == "batch"  # the lookup's latency is not the pipeline's
    arch = adapt_architecture("mlarchitect.skills.data_pipeline", req)
    assert {"feast-redis", "feast-postgres"} & set(arch["chosen"])


def test_batch_features_only_get_no_online_store() -> None:
    arch = adapt_architecture("mlarchitect.skills.data_pipeline",
                              extract_requirements("nightly feature pipeline for the churn model, batch scoring only"))
    assert not {"feast-redis", "feast-postgres"} & set(arch["chosen"])


@pytest.mark.parametrize(("text", "cloud"), [("Microsoft shop, Azure only.", "azure"), ("we are AWS-only", "aws"),
                                             ("only GCP services are allowed", "gcp")])
def test_a_cloud_named_as_the_only_one_is_read(text: str, cloud: str) -> None:
    req = extract_requirements(text)
    assert value(req.cloud) == cloud
    assert req.cloud_only is not None and req.cloud_only.value


def test_naming_a_cloud_is_not_yet_only_that_cloud() -> None:
    assert extract_requirements("we host most things on Azure").cloud_only is None


def test_only_that_clouds_services_are_chosen() -> None:
    req = extract_requirements("Assistant over our SharePoint price lists for 200 sales reps; Azure only")
    arch = adapt_architecture("mlarchitect.skills.rag_design", req)
    tech = " ".join(c["technology"] for c in arch["components"])
    assert not re.search(r"Cohere|LangSmith|Pinecone|via the OpenAI API|\(hosted API\)", tech)
    assert "Azure OpenAI" in tech  # the cloud's own model service stays allowed


@pytest.mark.parametrize(("text", "peak"), [
    ("about 20 rps on average and 300 rps at peak", 300),
    ("5 requests per second on average, spikes to 200 during campaigns", 200),
    ("we get 40 QPS, with bursts to 400", 400),
    ("30 rps. Peaks of 300 users in the morning", 30),  # 300 users is not a rate
])
def test_the_peak_rate_comes_from_the_words_around_it(text: str, peak: float) -> None:
    req = extract_requirements(text)
    assert value(req.peak_rps) == peak


@pytest.mark.parametrize("text", ["A translation quality check for 9 language pairs", "support answers in 14 languages"])
def test_several_unnamed_languages_make_a_multilingual_request(text: str) -> None:
    assert "multilingual" in extract_requirements(text).languages


def test_a_multilingual_translation_check_is_scored_with_translation_metrics() -> None:
    text = "A translation quality check for 9 language pairs with reference translations"
    assert "mt-metrics" in adapt_architecture(EVAL, extract_requirements(text), request=text)["chosen"]
    # the metrics of a task are offered only when the request names the task
    assert "mt-metrics" not in adapt_architecture(EVAL, extract_requirements(text))["chosen"]


def test_a_german_classification_request_is_in_scope() -> None:
    from mlarchitect.agents.scope import gloss, in_domain

    text = "Schadensmeldungen sollen automatisch vorklassifiziert werden. On-Premises, keine Cloud."
    assert in_domain(gloss(text)) or in_domain(text)


def test_a_team_on_databricks_keeps_its_managed_mlflow() -> None:
    req = extract_requirements("Our 12 data scientists work on Databricks and need a model registry and promotion flow")
    arch = adapt_architecture("mlarchitect.skills.experiment_tracking", req)
    assert {"databricks-mlflow", "uc-registry"} <= set(arch["chosen"])
    assert "Artifact store" not in {c["name"] for c in arch["components"]}  # the workspace stores them
    other = adapt_architecture("mlarchitect.skills.experiment_tracking",
                               extract_requirements("experiment tracking for 6 data scientists on AWS"))
    assert not {"databricks-mlflow", "uc-registry"} & set(other["chosen"])


@pytest.mark.parametrize(("text", "amount"), [("120k technical drawings and specs, many scanned", 120_000),
                                              ("our 2,000 SOPs and 300 work instructions", 2_000)])
def test_more_kinds_of_documents_are_a_corpus(text: str, amount: float) -> None:
    corpus = extract_requirements(text).corpus
    assert corpus is not None and corpus.value.amount == amount


def test_a_meeting_length_is_not_a_corpus() -> None:
    assert extract_requirements("the weekly review meeting lasts 30 minutes").corpus is None


@pytest.mark.parametrize("text", ["We run everything on one Mac Studio (128 GB)", "it all runs on my gaming PC"])
def test_desktop_machines_are_one_machine(text: str) -> None:
    req = extract_requirements(text)
    assert value(req.deployment) == "single_machine"


def test_a_horizon_forecast_is_a_classic_batch_model() -> None:
    req = extract_requirements("forecast water demand per district for the next 7 days, retrained daily, on Azure only")
    assert value(req.model_kind) == "classic_ml"
    assert value(req.mode) == "batch"
    arch = adapt_architecture("mlarchitect.skills.model_serving", req)
    assert "hosted-llm" not in arch["chosen"]


@pytest.mark.parametrize(("text", "deployment"), [("We have 4 A10 GPUs and want to serve an 8B model", "on_prem"),
                                                  ("our 8 H100s sit idle at night", "on_prem"),
                                                  ("we have 2 A100s on AWS", "cloud")])
def test_gpus_the_team_has_mean_its_own_servers_unless_a_cloud_is_named(text: str, deployment: str) -> None:
    req = extract_requirements(text)
    assert value(req.deployment) == deployment


def test_ndas_are_a_corpus() -> None:
    corpus = extract_requirements("our lawyers want to search 25k NDAs").corpus
    assert corpus is not None and corpus.value.amount == 25_000


def test_a_multilingual_corpus_gets_a_multilingual_embedder() -> None:
    req = extract_requirements("Answer questions from our German and English service manuals, on-prem, no GPU")
    arch = adapt_architecture("mlarchitect.skills.rag_design", req)
    assert "e5-multi-cpu" in arch["chosen"]
    assert not {"bge-small-cpu", "static-local", "minilm-reranker-cpu"} & set(arch["chosen"])
    english = adapt_architecture("mlarchitect.skills.rag_design", extract_requirements("RAG over our policies on a laptop"))
    assert "e5-multi-cpu" not in english["chosen"]


def test_one_named_gpu_is_one_gpu_and_a_zero_budget_is_a_budget() -> None:
    req = extract_requirements("solo project: I train CNNs on my RTX 4090 and track 200 runs without paying for anything")
    assert req.hardware is not None and req.hardware.value.gpus == 1
    assert value(req.deployment) == "single_machine"
    assert value(req.team_size) == 1
    assert value(req.monthly_budget_usd) == 0
    arch = adapt_architecture("mlarchitect.skills.experiment_tracking", req)
    assert not {"wandb-saas", "wandb-registry"} & set(arch["chosen"])


def test_technicians_are_users() -> None:
    req = extract_requirements("a manuals assistant for 40 technicians")
    assert value(req.users) == 40


# --- numbers and names read from the right words --------------------------------------------


@pytest.mark.parametrize(("text", "gpus"), [
    ("about 2,500 GPU training runs a month across the lab", None),  # runs that use GPUs, not GPUs
    ("we spent 800 GPU hours on the last sweep", None),
    ("fine-tuning on 4 GPUs in our own rack", 4),
    ("8x H100 for the big jobs", 8),
])
def test_a_count_of_what_gpus_do_is_not_a_count_of_gpus(text: str, gpus: int | None) -> None:
    hardware = extract_requirements(text).hardware
    assert (hardware.value.gpus if hardware is not None else None) == gpus


@pytest.mark.parametrize(("text", "team"), [
    ("a model registry and run tracking for 18 data scientists", 18),  # the users of an ML tool are its team
    ("a tracking server for 6 researchers and their fine-tuning jobs", 6),
    ("a coding assistant for 300 developers", None),  # users of a product, not the team
])
def test_practitioners_an_ml_tool_is_for_are_its_team(text: str, team: int | None) -> None:
    assert value(extract_requirements(text).team_size) == team


def test_a_negation_does_not_reach_past_a_colon() -> None:
    """"no SaaS: Postgres as the store" excludes SaaS and names Postgres."""
    req = extract_requirements("Self-hosted tracking, no SaaS: Postgres as the backend store, MinIO for files.")
    assert {"postgres", "minio"} <= req.stack()


@pytest.mark.parametrize(("text", "per_month"), [
    ("about 2,500 GPU training runs a month across the lab", 2500),
    ("we launch ~300 fine-tuning jobs per week", 1300),
    ("Optuna: 40 trials a day on the pricing model", 1200),
    ("we serve 300 requests per second", None),
])
def test_training_runs_a_period_are_read_per_month(text: str, per_month: float | None) -> None:
    assert value(extract_requirements(text).training_runs_per_month) == per_month


def test_the_stated_run_rate_sizes_the_checkpoint_storage() -> None:
    from mlarchitect.skills.experiment_tracking.tools import offline_plan

    many = offline_plan(extract_requirements("tracking for 1,000 training runs a month"), [], "experiment_tracking")
    few = offline_plan(extract_requirements("tracking for our training runs"), [], "experiment_tracking")
    assert many[0].args["runs_per_month"] == 1000 and few[0].args.get("runs_per_month") is None


@pytest.mark.parametrize(("text", "only"), [
    ("constraint: the only database we may use is our existing Postgres", True),
    ("MySQL is our only approved datastore", True),
    ("Postgres is our main database", False),
])
def test_the_only_database_allowed_is_a_stack_only_constraint(text: str, only: bool) -> None:
    assert bool(value(extract_requirements(text).stack_only)) is only


@pytest.mark.parametrize(("text", "kind"), [
    ("classify 20k complaints a month with a classical model, no LLM", "classic_ml"),
    ("clasificar reclamaciones con un modelo clásico", "classic_ml"),
    ("our recommender costs too much to serve", "classic_ml"),
    ("we want an LLM for this, no classic models", "llm"),
])
def test_the_model_kind_said_outright(text: str, kind: str) -> None:
    assert value(extract_requirements(text).model_kind) == kind


def test_one_workstation_is_a_single_machine() -> None:
    req = extract_requirements("nightly scoring on one workstation with 128 GB RAM")
    assert value(req.deployment) == "single_machine"


def test_a_mysql_only_pipeline_keeps_its_tables_in_mysql() -> None:
    text = "Our only database is MySQL and nothing else may be added; build the churn feature pipeline."
    arch = adapt_architecture("mlarchitect.skills.data_pipeline", extract_requirements(text), request=text)
    storage = next(c for c in arch["choices"] if c["slot"] == "storage")
    assert storage["chosen"]["datastore"] == "mysql"
