"""How a request is read, for wordings round 12 found wrong: people who label data in the loop
(a human labelling stage, in the tool the request names), a product named next to a word that
names another option of the same slot ("a single VM with docker-compose"), and a product the
request refuses to be offered ("don't propose Kubernetes"). Requests are written for these tests
(not taken from any evaluation set); most cases check both directions."""

from __future__ import annotations

import pytest
from mlarchitect.agents.intake.extract import extract_requirements
from support.reading import components, handoffs, route

PIPELINE = ("mlarchitect.skills.data_pipeline", "data_pipeline")
SERVING = ("mlarchitect.skills.model_serving", "model_serving")


@pytest.mark.parametrize(("text", "labelling"), [
    ("Each week we sample 2,000 chats and send them to three annotators; their labels feed the next training run.", True),
    ("Pull 5k product photos a day, have them hand-labelled for defects, and build versioned datasets.", True),
    ("Our vendors label insurance letters in Label Studio; we need the pipeline around it.", True),
    ("Nightly ETL of 40M rows from Postgres into BigQuery with dbt tests.", False),
    ("We have 300 labelled examples from last year.", False),  # labels exist; nobody labels in the loop
    ("No human labelling: the labels come from chargebacks 60 days later.", False),
])
def test_people_labelling_in_the_loop_is_read(text: str, labelling: bool) -> None:
    fact = extract_requirements(text).human_labelling
    assert (fact is not None and fact.value is True) is labelling


def test_a_labelling_stage_uses_the_named_tool_and_only_when_people_label() -> None:
    text = ("Pipeline for our ticket classifier: sample 3,000 tickets a week from BigQuery, have our four "
            "annotators label them in Argilla, and load the labels back for training.")
    chosen = components(*PIPELINE, text)
    assert "Argilla" in chosen.get("Human labelling", "")
    unnamed = components(*PIPELINE, "Sample 3,000 tickets a week from BigQuery for our annotators to label, "
                                    "and load the labels back for training. Everything stays on-premises, no SaaS.")
    assert "Human labelling" in unnamed and "managed" not in unnamed["Human labelling"].lower()
    assert "Human labelling" not in components(*PIPELINE, "Nightly ETL of 40M rows from Postgres into BigQuery.")


def test_a_product_named_beside_another_options_word_is_still_offered() -> None:
    text = ("I run everything on a single Hetzner VM with docker-compose, 32 GB RAM, no GPU. "
            "Serve our XGBoost scoring model at about 10 requests per second.")
    assert "docker-compose" in components(*SERVING, text)["Compute platform"]


@pytest.mark.parametrize("refusal", ["Don't propose Kubernetes.", "Please do not suggest Kubernetes."])
def test_a_product_the_request_refuses_is_not_chosen(refusal: str) -> None:
    text = f"Serve a PyTorch image model at 200 requests per second on AWS. {refusal}"
    platform = components(*SERVING, text)["Compute platform"]
    assert "Kubernetes" not in platform and "EKS" not in platform
    assert "EKS" in components(*SERVING, "Serve a PyTorch image model at 200 requests per second on AWS EKS.")[
        "Compute platform"]


# --- limits and places read from new wordings ------------------------------------------------------


def test_only_approved_stores_is_a_stack_limit() -> None:
    text = ("Only Postgres (RDS) and S3 are approved for storage here. Build a RAG assistant over 40,000 "
            "support articles for 300 agents.")
    assert extract_requirements(text).stack_only is not None
    chosen = components("mlarchitect.skills.rag_design", "rag_system", text)
    assert "pgvector" in chosen["Vector store"]
    open_text = "Build a RAG assistant over 40,000 support articles for 300 agents; Postgres is what we know."
    assert extract_requirements(open_text).stack_only is None


@pytest.mark.parametrize(("text", "cloud"), [
    ("Output: versioned JSONL files in GCS, read from BigQuery.", "gcp"),
    ("Events land in S3 and Redshift every hour.", "aws"),
    ("Artifacts go to MinIO (S3-compatible) on our own servers.", None),  # no cloud's service
    ("Checkpoints land in our Ceph S3 buckets.", None),
    ("We copy from S3 into BigQuery.", None),  # two clouds: neither is assumed
])
def test_a_cloud_read_from_the_services_only_it_sells(text: str, cloud: str | None) -> None:
    fact = extract_requirements(text).cloud
    assert (fact.value if fact is not None else None) == cloud


def test_an_own_data_centre_and_no_us_providers_read_in_german() -> None:
    req = extract_requirements("Wir brauchen einen Assistenten für 20.000 Verträge. Betrieb ausschließlich in "
                               "unserem Rechenzentrum in Köln, keine US-Clouddienste. Antwortzeit p95 unter 3 Sekunden.")
    assert req.deployment is not None and req.deployment.value == "on_prem"
    assert req.european_providers_only is not None
    assert req.latency is not None and req.latency.value.seconds == 3.0


def test_a_component_on_the_teams_own_gpus_names_them() -> None:
    own = components(*SERVING, "Serve Llama 3.1 8B for 200 staff on our own rack with 2x L40S, p95 under 2 s.")
    assert "2× L40S" in own["Inference service"]
    rented = components(*SERVING, "Today every customer has a dedicated A10G on AWS; serve our 8B model for 40 rps.")
    assert "A10G" not in rented["Inference service"]  # what it rents may be what the design replaces


# --- handoffs declined or owned elsewhere, and questions that want no design -------------------------


@pytest.mark.parametrize(("text", "agents"), [
    ("Design only the ingestion pipeline for our search: 400k documents. Skip the chatbot and the retrieval "
     "tuning, the search team owns those.", []),
    ("Design the tracking setup for 9 data scientists; our platform team will deploy it.", []),
    ("Design the ingestion pipeline for our search, then tune the retrieval on our labelled queries.",
     ["rag-architect"]),
])
def test_work_skipped_or_owned_by_another_team_is_no_handoff(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents


@pytest.mark.parametrize(("text", "workflow"), [
    ("Quick question, not building anything: how does a reranker differ from a bi-encoder?", "general"),
    ("Was ist der Unterschied zwischen LoRA und vollem Fine-Tuning? Nur eine kurze Erklärung bitte, kein Design.",
     "general"),
    ("We are not building anything new: reuse our Postgres and design the RAG assistant over 5,000 manuals.",
     "rag_system"),
])
def test_a_question_that_wants_no_design_is_answered_not_designed(text: str, workflow: str) -> None:
    assert route(text) == workflow


def test_tenants_who_must_not_see_each_others_data_get_namespaces_and_a_leak_risk() -> None:
    from mlarchitect.agents.intake.assume import with_assumptions
    from mlarchitect.skills.architecture import adapt_architecture

    text = ("B2B SaaS: each of our 120 clients brings their own contracts (up to 50k each), and one client's "
            "documents must never appear in another client's answers. Design the RAG backend.")
    req = extract_requirements(text)
    assert req.multi_tenant is not None
    arch = adapt_architecture("mlarchitect.skills.rag_design", with_assumptions(req, "rag_system"), request=text)
    store = next(c for c in arch["components"] if c["name"] == "Vector store")
    assert "per tenant" in store["responsibility"]
    assert any("another tenant" in r["risk"] for r in arch["risks"])
    assert extract_requirements("Internal wiki assistant for 500 staff over 8,000 pages.").multi_tenant is None


@pytest.mark.parametrize(("text", "kind"), [
    ("Design how we evaluate our ranking models offline (NDCG@10) and in A/B tests.", "classic_ml"),
    ("Our search rankers are LightGBM; we want an evaluation system.", "classic_ml"),
])
def test_ranking_models_are_classic_ml(text: str, kind: str) -> None:
    fact = extract_requirements(text).model_kind
    assert fact is not None and fact.value == kind
