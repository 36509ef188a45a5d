"""How a request is read, routed and handed on, for wordings round 11 found wrong: a work product
asked for as a question ("what would the API look like?"), asks by label ("Bonus: ...") or in
German and Spanish, review work declined or done already, a list that describes the system, app
software with no ML in it, an example set that is no corpus, and products the request names
that no catalogue option covers. Requests are written for these tests (not taken from any
evaluation set); most cases check both directions."""

from __future__ import annotations

import pytest
from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.intake.assume import with_assumptions
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.money import money
from mlarchitect.skills.catalogue import requested_model
from support.reading import components, handoffs, route

CATALOG = load_catalog()


def _technologies(package: str, workflow: str, text: str) -> str:
    return " | ".join(components(package, workflow, text).values())


# --- handoffs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "agents"), [
    # a work product asked for as a question; the design itself asked the same way is no handoff
    ("Our churn model scores nightly in BigQuery. What would the scoring API look like for the billing team?",
     ["backend-architect"]),
    ("Our churn model scores nightly in BigQuery. What would the serving architecture look like?", []),
    # an ask by its label
    ("Design a feature pipeline for our fraud model from Kafka into Snowflake. Bonus: a pytest suite for the transforms.",
     ["write-unit-tests"]),
    ("Design a feature pipeline for our fraud model from Kafka into Snowflake.", []),
    # a polite ask for a specialist's verb, about a topic design requests share
    ("Hybrid search over 3M support articles in OpenSearch. We have 800 judged queries: please tune the chunking "
     "and the reranker against them.", ["rag-architect"]),
    # integration asked as a question, whatever its subject
    ("We need a feature store for 40 models on Snowflake. How does all this fit with our existing CRM sync?",
     ["system-architect"]),
    # a sentence that asks one agent keeps its clauses with it
    ("We need an evaluation system for our booking agent. Build the harness and hook it into our CI as a merge gate.",
     ["evaluation-engineer"]),
])
def test_asks_in_other_forms(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents


@pytest.mark.parametrize(("text", "agents"), [
    ("Wir brauchen einen RAG-Assistenten für 20.000 Verträge auf eigenen GPUs. Könnt ihr das bitte auch auf "
     "DSGVO-Konformität prüfen lassen?", ["security-and-privacy-engineer-ml"]),
    ("Necesitamos un asistente RAG sobre 10 mil manuales en Azure. ¿Nos pueden decir también cómo desplegarlo en "
     "nuestro clúster AKS?", ["mlops-ai-engineer"]),
])
def test_asks_in_german_and_spanish(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents


@pytest.mark.parametrize("text", [
    # declined, done already, or written by another team: no ask
    "Our risk team signed off on MLflow and I don't need a security review. Design tracking for 20 credit models.",
    "Security review done in March, approved. Design a RAG assistant over 4,000 HR policies.",
    "Unit tests for the loaders will be written by the data platform team. Design the daily ETL into BigQuery.",
    # a list that describes the system is the design, not work for the harness builder
    "We want an evaluation system for our ticket summaries.\n\nWhat I have in mind: sample outputs daily, calibrate "
    "the judge against 200 human ratings, alert on drops.",
    # a question about what to build is the design question
    "we have kafka click events and want a daily training set for a ranking model. what pipeline should we build?",
])
def test_no_ask_in_context_declined_or_described_work(text: str) -> None:
    assert handoffs(text) == []


def test_a_declined_review_still_counts_when_asked_elsewhere() -> None:
    text = ("Design tracking for 20 credit models; I don't need a security review of MLflow itself. But please "
            "threat-model the model registry's approval flow.")
    assert handoffs(text) == ["security-and-privacy-engineer-ml"]


# --- routing and intake --------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "workflow"), [
    ("Help me design the database schema for a veterinary clinic's booking app: pets, owners, vets, rooms.", "general"),
    ("Design a microservice architecture for a ride-sharing app: trips, payments, driver tracking.", "general"),
    ("Design a microservice that serves our fraud model to the payments team at 300 rps.", "model_serving"),
])
def test_app_software_with_no_ml_is_out_of_scope(text: str, workflow: str) -> None:
    assert route(text) == workflow


def test_a_vague_ask_does_not_lead_the_route() -> None:
    text = ("one-person team. I have a prompt that drafts replies to support emails and I change it weekly without "
            "knowing if it got better. 200 example emails. want something simple I can run on my laptop, under "
            "$10/month in API calls.")
    assert route(text) == "evaluation_system"


@pytest.mark.parametrize(("text", "labelled", "corpus"), [
    ("I have 200 example emails to judge the prompt on.", 200, None),
    ("We keep 5,000 test prompts across 9 areas.", 5000, None),
    ("A chatbot over 12,000 contracts.", None, 12000.0),
])
def test_an_example_set_is_labelled_examples_not_a_corpus(text: str, labelled: int | None, corpus: float | None) -> None:
    req = extract_requirements(text)
    assert (req.labelled_examples.value if req.labelled_examples else None) == labelled
    assert (req.corpus.value.amount if req.corpus else None) == corpus


# --- named products and models -------------------------------------------------------------------


def test_a_product_the_request_names_is_used_where_no_catalogue_option_covers_it() -> None:
    text = ("Experiment tracking and a model registry for 25 models; Vertex AI is mandated by our cloud team "
            "(GCP, europe-west4).")
    chosen = _technologies("mlarchitect.skills.experiment_tracking", "experiment_tracking", text)
    assert "Vertex AI Experiments" in chosen and "Vertex AI Model Registry" in chosen
    plain = _technologies("mlarchitect.skills.experiment_tracking", "experiment_tracking",
                          "Experiment tracking and a model registry for 25 models on GCP (europe-west4).")
    assert "Vertex AI Experiments" not in plain


def test_a_named_hosted_product_still_meets_the_hard_constraints() -> None:
    text = ("Fully air-gapped RAG over 50,000 manuals on our own GPUs; the business side likes LangSmith for traces.")
    chosen = _technologies("mlarchitect.skills.rag_design", "rag_system", text)
    assert "LangSmith" not in chosen


@pytest.mark.parametrize(("text", "model"), [
    ("Model: Llama 3.1 70B Instruct, nothing else.", "Llama 3.1 70B Instruct"),
    ("We are replacing GPT-4o with self-hosted Qwen2.5-72B-Instruct.", "Qwen2.5-72B-Instruct"),
    ("ein LLM (Mistral Small, ist gesetzt)", "Mistral Small"),
    ("instead of Llama 2 we want something hosted", None),
    ("a llama-style model", None),
])
def test_the_open_weight_model_a_request_names(text: str, model: str | None) -> None:
    assert requested_model(text) == model


def test_a_self_hosted_runtime_serves_the_requested_model() -> None:
    text = ("Chat product with token streaming on 4x H100 on-prem, no cloud APIs. Model: Llama 3.1 70B Instruct, "
            "legal approved it. ~150 concurrent sessions.")
    chosen = _technologies("mlarchitect.skills.model_serving", "model_serving", text)
    assert "serving Llama 3.1 70B Instruct" in chosen


def test_a_fine_tuned_open_model_is_served_by_a_runtime_for_it_not_a_hosted_api_or_speech_server() -> None:
    text = "want to serve my fine-tuned mistral 7b for a hobby chat bot, ~300 messages a day, one rtx 3090 at home."
    chosen = _technologies("mlarchitect.skills.model_serving", "model_serving", text)
    assert "serving mistral 7b" in chosen
    assert "hosted LLM API" not in chosen and "whisper" not in chosen
    speech = _technologies("mlarchitect.skills.model_serving", "model_serving",
                           "a live speech-to-text service for our call-centre app, 50 concurrent calls, on our own GPUs")
    assert "whisper" in speech


# --- money and other languages -------------------------------------------------------------------


def test_a_euro_budget_is_compared_in_dollars_and_shown_in_euros() -> None:
    req = extract_requirements("RAG assistant over 3,000 handbooks, budget €500 a month.")
    assert req.currency == "EUR" and req.monthly_budget_usd is not None
    assert req.monthly_budget_usd.value == 540.0 and req.monthly_budget_usd.quote == "€500 a month"
    assert money(req.monthly_budget_usd.value, req.currency) == "€500 (≈ $540)"
    assert money(540.0) == "$540"
    dollars = extract_requirements("RAG assistant over 3,000 handbooks, budget $500 a month.")
    assert dollars.currency == "USD" and dollars.monthly_budget_usd is not None
    assert dollars.monthly_budget_usd.value == 500.0


@pytest.mark.parametrize(("text", "field", "value", "quote"), [
    ("Wir brauchen einen Chatbot über ca. 2.000 interne Handbücher für 800 Nutzer.", "corpus", 2000.0,
     "2.000 interne Handbücher"),
    ("Wir brauchen einen Chatbot über ca. 2.000 interne Handbücher für 800 Nutzer.", "users", 800, "800 Nutzer"),
    ("Necesitamos un asistente sobre unas 30 mil pólizas, con 5.000 consultas por día.", "requests_per_day", 5000.0,
     "5.000 consultas por día"),
    ("Necesitamos un asistente sobre unas 30 mil pólizas, con 5.000 consultas por día.", "corpus", 30000.0,
     "30 mil pólizas"),
])
def test_figures_written_the_local_way_in_another_language(text: str, field: str, value: float, quote: str) -> None:
    fact = getattr(extract_requirements(text), field)
    assert fact is not None and quote == fact.quote
    assert (fact.value.amount if field == "corpus" else fact.value) == value


def test_an_english_request_keeps_its_dots_as_decimals() -> None:
    req = extract_requirements("We serve 2.5 requests per second to 300 users.")
    assert req.peak_rps is not None and req.peak_rps.value == 2.5 and req.request_language is None


def test_a_request_written_in_german_gets_multilingual_retrieval() -> None:
    text = "Wir brauchen einen RAG-Chatbot über 2.000 interne Handbücher, die Daten bleiben in der EU."
    assert extract_requirements(text).request_language == "german"
    chosen = _technologies("mlarchitect.skills.rag_design", "rag_system", text)
    assert "multilingual" in chosen and "bge-small-en" not in chosen
    english = _technologies("mlarchitect.skills.rag_design", "rag_system",
                            "We need a RAG chatbot over 2,000 internal handbooks; data stays in the EU.")
    assert "multilingual" not in english


@pytest.mark.parametrize(("text", "agents"), [
    ("Our matchmaking model must answer in 15 ms at 20k calls/s. Who would handle the rollout on our EKS cluster: "
     "canaries, autoscaling, rollback?", ["mlops-ai-engineer"]),
    ("We need a model registry tied to tracking for 5 data scientists. The release process on our GKE cluster "
     "(canaries, rollback) also needs to be planned.", ["mlops-ai-engineer"]),
    ("Ticket ML-12\nContext: 2,400 agents; knowledge base in ServiceNow.\nConstraints: Azure only.\nAlso needed: the API "
     "contract the agent desktop will call (request and response schema, auth, errors).", ["backend-architect"]),
    # a relative clause is no question: translators who can do the reviews are context
    ("We need an evaluation setup for our Welsh MT model: automatic metrics plus a panel of 6 translators who can do "
     "maybe 400 segments a week.", []),
    ("Serve an NLLB translation model for a hotline, 3,000 messages a month, $250/month at most. We'll write the code "
     "ourselves.", []),
])
def test_asks_by_question_passive_and_label(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents


@pytest.mark.parametrize(("text", "workflow"), [
    ("No design needed. We have a small Python class that caches embeddings in SQLite; just need a pytest suite.",
     "general"),
    ("Not looking for a design, just explain when you would fine-tune a model and when you would use RAG.", "general"),
    ("We need a design for caching embeddings in SQLite behind our RAG service at 50 queries/s.", "rag_system"),
    ("We don't need a design for the frontend, just the RAG backend over 20,000 contracts.", "rag_system"),
])
def test_a_request_that_wants_no_design_gets_none(text: str, workflow: str) -> None:
    assert route(text) == workflow


def test_the_speller_keeps_plurals_of_words_it_knows() -> None:
    from mlarchitect.agents.handoffs import _speller

    assert _speller(CATALOG).normalise("canaries and rollbacks, retreival") == "canaries and rollbacks, retrieval"


@pytest.mark.parametrize(("text", "field", "value"), [
    ("I dati non possono uscire dallo stabilimento: niente API esterne, niente cloud.", "no_external_apis", True),
    ("Funders require everything to be open source, and we can't pay for licences.", "open_source_only", True),
    ("Run the anomaly model directly on the controller (ARM Cortex-A53, 2 GB RAM).", "edge_devices", True),
])
def test_limits_in_other_words_and_languages(text: str, field: str, value: object) -> None:
    fact = getattr(extract_requirements(text), field)
    assert fact is not None and fact.value == value


def test_a_model_update_cadence_is_no_batch_mode() -> None:
    req = extract_requirements("Run the anomaly model on the controller. Model updates can be shipped once a month.")
    assert req.mode is None or req.mode.value != "batch"
    assert extract_requirements("Score every customer once a month.").mode.value == "batch"  # type: ignore[union-attr]


def test_a_device_side_choice_names_the_device() -> None:
    text = ("Visual inspection on NVIDIA Jetson Orin boxes at the line, 8 cameras at 15 fps, a YOLOv8 detector, "
            "decision within 200 ms, no cloud inference.")
    assert "on the NVIDIA Jetson Orin" in _technologies("mlarchitect.skills.model_serving", "model_serving", text)


@pytest.mark.parametrize(("text", "currency", "usd"), [
    ("budget CHF 2,000 per month", "CHF", 2260.0),
    ("Orçamento: R$ 15.000 por mês para tudo.", "BRL", 2700.0),
    ("budget £1,000 a month", "GBP", 1270.0),
])
def test_budgets_in_other_currencies(text: str, currency: str, usd: float) -> None:
    req = extract_requirements(text)
    assert req.currency == currency and req.monthly_budget_usd is not None and req.monthly_budget_usd.value == usd


def test_every_word_of_another_language_is_read_as_an_english_one_no_longer() -> None:
    from mlarchitect.agents.intake.reading import _FOREIGN_TERMS

    assert all(len(english) <= len(word) for word, english in _FOREIGN_TERMS.items())


@pytest.mark.parametrize(("text", "field", "value"), [
    ("An assistant for our 3.000 employees over approx 5.000 documents.", "users", 3000),
    ("~40,000 water meters spread over three provinces of the northern region report every 15 minutes.",
     "events_per_day", 3_840_000.0),
    ("Tout doit être hébergé en France (RGPD).", "data_residency", "France"),
])
def test_counts_fleets_and_hosting_read_from_the_clause_that_states_them(text: str, field: str, value: object) -> None:
    fact = getattr(extract_requirements(text), field)
    assert fact is not None and fact.value == value


def test_a_pipeline_over_a_stated_collection_is_sized_from_it_not_a_default() -> None:
    req = with_assumptions(extract_requirements(
        "We need a pipeline that pulls 2 million customer chats from Zendesk, strips PII and builds versioned "
        "train/eval splits."), "data_pipeline")
    assert req.events_per_day is not None and not req.events_per_day.stated
    assert req.events_per_day.value == 2_000_000 and "2,000,000" in req.events_per_day.reason


def test_a_residency_with_no_cloud_named_lists_each_clouds_region_for_it() -> None:
    from mlarchitect.agents.offline.composer import _constraint_phrases

    req = extract_requirements("Internal assistant over 5,000 manuals; the data must stay in Brazil.")
    assert any("sa-east-1" in p and "Brazil South" in p for p in _constraint_phrases(req))
    named = extract_requirements("Internal assistant over 5,000 manuals on AWS; the data must stay in Brazil.")
    assert not any("Brazil South" in p for p in _constraint_phrases(named))


@pytest.mark.parametrize(("text", "agents"), [
    ("Internal coding assistant on 2x H100 with Qwen2.5-Coder-32B. Design the serving. Then tell us where we'd be "
     "wasting GPU time and money and what to fix first.", ["performance-and-cost-engineer-llm"]),
    ("Our SOP assistant answers from outdated versions; redesign it. We also want a quality gate in CI so a "
     "retrieval regression blocks the release.", ["evaluation-engineer"]),
    ("Edge inspection on 30 devices. Also, plan how we package and release new model versions to them.",
     ["mlops-ai-engineer"]),
    # work already done is described, not asked for
    ("Our field officers have written ~2,300 PDF bulletins over the years. Farmers should ask questions about them "
     "over WhatsApp. Can you design it?", []),
])
def test_findings_gates_and_releases_asked_for_and_work_done(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents
