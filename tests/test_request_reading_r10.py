"""How a request is read, routed and handed on, for wordings earlier rounds got wrong: a
system asked for by name, software with no ML in it, work already done ("we threat-modelled
it in Q2"), a diagnosis asked as a question, the team's own products (OpenShift, Ceph S3), a
named cloud region, audio that can wait, prompt experiments that train nothing. Requests are
written for these tests (not taken from any evaluation set); most cases check both directions."""

from __future__ import annotations

import re

import pytest
from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.intake.assume import with_assumptions
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents.routing import concept_question, named_prior, route_request
from mlarchitect.agents.scope import in_domain
from mlarchitect.money import USD_PER
from mlarchitect.skills.architecture import adapt_architecture
from mlarchitect.skills.registry import load_skill_catalog
from support.reading import components, handoffs, route

CATALOG = load_catalog()
ARCHITECT = CATALOG.agents["ml-system-architect"]
SKILLS = load_skill_catalog()


# --- routing ------------------------------------------------------------------------------------


def test_a_system_asked_for_by_name_leads_the_route() -> None:
    leads = {w: SKILLS.leading(w) for w in ("evaluation_system", "model_serving", "data_pipeline")}
    assert named_prior("Our fraud model runs on GPUs; we need an evaluation framework before each release.", leads) \
        == {"evaluation_system": 1.5}
    # a system the team already has is no ask; the one it needs is
    assert named_prior("We already have an eval pipeline; the scoring service is what we need.", leads) \
        == {"model_serving": 1.5}
    text = ("Vision model that grades strawberries on three packing lines, served on a Jetson per line. We need an "
            "evaluation setup that tells us per line and per variety how often it is wrong.")
    assert route(text) == "evaluation_system"


def test_the_one_part_that_asks_decides_between_close_workflows() -> None:
    text = ("Solo analyst here. There's a gradient-boosted churn model in my notebook; I want a simple way to "
            "evaluate each retrained version against the current one before swapping it in.")
    assert route(text) == "evaluation_system"


@pytest.mark.parametrize(("text", "scope"), [
    ("Docker Swarm or Kubernetes for our WordPress site and two cron jobs?", False),
    ("Why does our COBOL payroll run fail at month end?", False),
    ("Dozens of cron scripts on one VM load our sales data; move them to an orchestrator with retries.", True),
    ("Our PHP monolith should call a churn model before each renewal email.", True),
])
def test_software_with_no_ml_in_it_is_out_of_scope(text: str, scope: bool) -> None:
    assert in_domain(text) is scope


def test_how_is_one_thing_different_from_another_is_a_question() -> None:
    assert concept_question("how is a vector index different from a keyword index?")
    assert not concept_question("how is our vector index going to handle 50M chunks?")


# --- handoffs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "agents"), [
    # a diagnosis asked as a question is work for the retrieval specialist
    ("Our manuals bot has 3k pages in pgvector with 512-token chunks. Why is it returning passages from the wrong "
     "product line, and what should we change?", ["rag-architect"]),
    ("Design the Q&A assistant for our 2,000 HR policies. Could someone also write the API contract for the "
     "intranet team?", ["backend-architect"]),
    ("Design the serving for our claims model, and please have the whole thing threat-modelled before the audit.",
     ["security-and-privacy-engineer-ml"]),
    # work that is done already, or owned by another team
    ("Design the batch scoring for our claims model. The API contract is already fixed by the platform team.", []),
    ("We threat-modelled the tracking platform last spring. Design the run tracking for 12 researchers.", []),
    ("Design the nightly feature pipeline for our fraud model; the privacy review was done last quarter.", []),
    ("Design an eval system for our tagging model. FYI the QA team already built the harness and the CI gates.", []),
])
def test_asks_diagnoses_and_work_done_elsewhere(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents


def test_the_whole_request_of_several_sentences_is_not_itself_evidence() -> None:
    # every sentence is read on its own; the whole text (which names cost and a migration) asks for no sibling
    text = ("We're leaving our hosted tracker because the renewal tripled. 18 engineers, mostly PyTorch. "
            "Need a self-hosted replacement with dashboards and sweeps.")
    assert handoffs(text) == []


# --- reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "cloud", "region"), [
    ("Runs on AWS in eu-west-3 like the rest of our stack.", "aws", "eu-west-3"),
    ("Our landing zone is GCP europe-west4.", "gcp", "europe-west4"),
    ("Everything lives in our Azure subscription (Sweden Central).", "azure", "Sweden Central"),
    ("Our office is in West Europe somewhere.", None, None),  # an Azure region name only counts with Azure
])
def test_a_named_cloud_region_is_read_with_its_cloud(text: str, cloud: str | None, region: str | None) -> None:
    req = extract_requirements(text)
    assert (req.cloud.value if req.cloud else None) == cloud
    assert (req.cloud_region.value if req.cloud_region else None) == region


def test_a_named_region_places_the_components_there_and_a_vendor_api_in_its_own_residency() -> None:
    text = "Q&A over 5,000 product sheets on AWS, region eu-west-3; nothing leaves the EU."
    req = extract_requirements(text)
    assert req.data_residency is not None and req.data_residency.value == "EU"
    techs = components("mlarchitect.skills.rag_design", "rag_system", text)
    placed = [t for t in techs.values() if "eu-west-3" in t]
    assert placed, techs
    # a vendor's hosted API is not in the team's AWS region
    assert not any("hosted API" in t and "AWS" in t for t in techs.values())


def test_the_teams_own_product_is_named_in_the_component() -> None:
    text = ("Search assistant over 300k maintenance manuals for 2,000 technicians, on our on-prem OpenShift, "
            "artifacts in our Ceph S3.")
    req = extract_requirements(text)
    assert {f.quote for f in req.existing_stack} >= {"OpenShift", "Ceph S3"}
    techs = components("mlarchitect.skills.rag_design", "rag_system", text)
    assert any("OpenShift" in t for t in techs.values()), techs
    plain = components("mlarchitect.skills.rag_design", "rag_system",
                        "Search assistant over 300k maintenance manuals for 2,000 technicians on our Kubernetes.")
    assert not any("the team's" in t for t in plain.values())


@pytest.mark.parametrize(("text", "mode"), [
    ("Transcribe 300 hours of call audio a day; it is not urgent, the next morning is fine.", "batch"),
    ("Transcribe support calls live while the agent is talking, under 500 ms per chunk.", "real_time"),
])
def test_work_nobody_waits_for_is_batch(text: str, mode: str) -> None:
    req = extract_requirements(text)
    assert req.mode is not None and req.mode.value == mode


def test_audio_that_can_wait_is_transcribed_by_speech_workers_not_an_llm_api() -> None:
    text = "We need Whisper transcripts of 300 hours of call audio a day; the next morning is fine. Cheapest setup?"
    techs = components("mlarchitect.skills.model_serving", "model_serving", text)
    assert "whisper" in techs["Batch scoring job"].lower()
    assert not any("LLM API" in t for t in techs.values())


@pytest.mark.parametrize(("text", "single"), [
    ("I have one RTX 3090 in my home lab and want to host an 8B model for my team of four.", True),
    ("We have a single A100 box in the lab for a 13B model.", True),
    ("We rent eight H100s across two nodes on AWS for a 70B model.", False),
])
def test_one_gpu_box_is_one_machine(text: str, single: bool) -> None:
    req = extract_requirements(text)
    assert (req.deployment is not None and req.deployment.value == "single_machine") is single


def test_prompt_experiments_are_tracked_as_variants_not_training_runs() -> None:
    prompts = components("mlarchitect.skills.experiment_tracking", "experiment_tracking",
                          "Track our prompt and temperature variants for the GPT-5 support bot with eval scores and cost.")
    assert "Eval runner" in prompts and "Prompt and config registry" in prompts
    assert "Training launcher" not in prompts and "Model registry" not in prompts
    training = components("mlarchitect.skills.experiment_tracking", "experiment_tracking",
                           "Track our LoRA fine-tuning runs of Llama 3 8B: 6 researchers, about 200 runs a month.")
    assert "Training launcher" in training and "Model registry" in training and "Eval runner" not in training


# --- evaluation of classic models -----------------------------------------------------------------


def _evaluation(text: str) -> dict:
    req = with_assumptions(extract_requirements(text), "evaluation_system")
    return adapt_architecture("mlarchitect.skills.evaluation_metrics", req, request=text)


def test_a_model_that_predicts_a_quantity_is_judged_by_its_errors_per_named_slice() -> None:
    arch = _evaluation("Our LightGBM model predicts the repair time of each work order. We need an evaluation "
                       "setup that shows the error per workshop and per vehicle type.")
    metrics = " ".join(arch["evaluation"]["offline_metrics"])
    assert "MAE" in metrics and "NDCG" not in metrics and "AUC" not in metrics
    assert any("workshop" in d and "vehicle" in d for d in arch["evaluation"]["datasets"])
    chosen = {c["name"]: c["technology"] for c in arch["components"]}
    assert "regression" in chosen["Metric library"]


@pytest.mark.parametrize(("text", "metric", "absent"), [
    ("Evaluate our XGBoost fraud classifier before each retrain goes live.", "AUC", "NDCG"),
    ("Evaluate the LightGBM ranker that orders our search results before each release.", "NDCG", "MAE"),
])
def test_a_classifier_and_a_ranker_keep_their_own_metrics(text: str, metric: str, absent: str) -> None:
    metrics = " ".join(_evaluation(text)["evaluation"]["offline_metrics"])
    assert metric in metrics and absent not in metrics


# --- serving inside a JVM ---------------------------------------------------------------------------


def test_a_model_scored_inside_a_java_service_has_no_python_service_or_gateway() -> None:
    techs = components("mlarchitect.skills.model_serving", "model_serving",
                        "Our order service is Kotlin on the JVM; score an XGBoost risk model inside it at 2k TPS, "
                        "under 3 ms.")
    assert "JVM" in techs["Inference service"]
    assert "API gateway" not in techs and "Compute platform" not in techs
    plain = components("mlarchitect.skills.model_serving", "model_serving",
                        "Serve an XGBoost risk model to our apps at 2k TPS, under 20 ms.")
    assert "JVM" not in plain["Inference service"] and "Compute platform" in plain


# --- reading in other languages ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "kind"), [
    ("Un modèle de détection d'anomalies (isolation forest) sur nos compteurs. Pas de LLM.", "classic_ml"),
    ("Un chatbot LLM pour nos clients, pas de budget fixe.", "llm"),
])
def test_a_model_denied_in_french_is_not_read_as_wanted(text: str, kind: str) -> None:
    req = extract_requirements(text)
    assert req.model_kind is not None and req.model_kind.value == kind


@pytest.mark.parametrize(("text", "budget"), [
    ("Bürger-Chatbot für die Stadt. Budget: max. 350 € pro Monat.", 350.0),
    ("Asistente para la biblioteca; presupuesto 250 € al mes.", 250.0),
    ("Each call costs 0.4 € per query today.", None),  # a unit price
])
def test_a_euro_budget_per_month_in_other_languages(text: str, budget: float | None) -> None:
    req = extract_requirements(text)  # held in US dollars at the fixed reference rate (round 11)
    assert (req.monthly_budget_usd.value if req.monthly_budget_usd else None) == (
        None if budget is None else round(budget * USD_PER["EUR"], 2))
    assert req.currency == ("EUR" if budget is not None else "USD")


def test_hosting_in_a_country_is_a_residency() -> None:
    req = extract_requirements("Ein Assistent für unsere Satzungen; Hosting zwingend in Deutschland.")
    assert req.data_residency is not None and req.data_residency.value == "Germany"


# --- what the team already has ------------------------------------------------------------------------


def test_the_document_systems_named_get_their_own_connectors() -> None:
    techs = components("mlarchitect.skills.rag_design", "rag_system",
                        "Answer engineers' questions from our Confluence space and the Jira tickets, with links.")
    assert "Confluence" in techs["Source connectors"] and "Jira" in techs["Source connectors"]
    plain = components("mlarchitect.skills.rag_design", "rag_system", "Answer questions from 2,000 PDF manuals.")
    assert "Confluence" not in plain["Source connectors"]


def test_the_teams_warehouse_is_named_as_theirs() -> None:
    techs = components("mlarchitect.skills.data_pipeline", "data_pipeline",
                        "A weekly pipeline that cleans support feedback into datasets; everything stays in BigQuery.")
    assert "the team's" in techs["Versioned storage"] and "BigQuery" in techs["Versioned storage"]


def test_personal_data_in_logged_samples_gets_an_access_control_risk() -> None:
    text = "Tracking for our clinical NLP runs; logged samples contain patient text under GDPR."
    arch = adapt_architecture("mlarchitect.skills.experiment_tracking",
                              with_assumptions(extract_requirements(text), "experiment_tracking"), request=text)
    assert any("access control" in r["mitigation"].lower() for r in arch["risks"])


def test_a_detector_of_objects_in_images_is_judged_by_map_and_rare_class_recall() -> None:
    arch = _evaluation("Our YOLOv8 model flags cracks on wind-turbine blades from drone photos; cracks are rare. "
                       "We need an evaluation setup with results per turbine model.")
    metrics = " ".join(arch["evaluation"]["offline_metrics"])
    assert "mAP" in metrics and "AUC" not in metrics
    assert any("turbine" in d for d in arch["evaluation"]["datasets"])


def test_a_classic_models_design_steps_leave_out_llm_practices() -> None:
    from mlarchitect.agents.api import design
    from mlarchitect.config import Settings

    settings = Settings(offline=True, cache=False, design_log=False)
    text = "Evaluate our LightGBM credit-default classifier before each quarterly retrain; the regulator reads the results."
    steps = " ".join(d for s in design(text, settings=settings).steps for d in [*s.decisions, *s.notes])
    assert not re.search(r"\b(?:prompts?|LLM|RAG|retrieval|ROUGE)\b", steps), steps
    llm = "Evaluate our RAG support assistant before each release: faithfulness and answer relevance."
    llm_steps = " ".join(d for s in design(llm, settings=settings).steps for d in [*s.decisions, *s.notes])
    assert re.search(r"\b(?:prompts?|LLM|RAG|retrieval)\b", llm_steps)


def test_thousands_of_runs_a_day_are_read_as_at_least_two_thousand() -> None:
    req = extract_requirements("Our RL team launches thousands of short runs a day across seeds.")
    assert req.training_runs_per_month is not None and req.training_runs_per_month.value >= 60_000


@pytest.mark.parametrize(("text", "question"), [
    ("how does attention differ from a convolution?", True),  # no word of the domain list, still a question
    ("fix my printer, it jams every morning", False),
])
def test_a_question_outside_the_domain_words_is_still_answered_as_a_question(text: str, question: bool) -> None:
    routed = route_request(text, ARCHITECT, SKILLS, extract_requirements(text))
    assert routed.workflow == "general" and not routed.in_scope and routed.question is question


# --- what a sibling writes ------------------------------------------------------------------------


def _parts(markdown: str) -> dict[str, str]:
    parts = re.split(r"^#{4,5} (.+)$", markdown, flags=re.M)
    return {head.strip(): body.strip() for head, body in zip(parts[1::2], parts[2::2], strict=True)}


@pytest.mark.parametrize("agent", sorted(n for n in CATALOG.agents if n != "ml-system-architect"))
def test_each_part_of_a_siblings_section_says_something_of_its_own(agent: str) -> None:
    from mlarchitect.agents.handoffs import Brief
    from mlarchitect.agents.offline.sibling import compose_contribution

    brief = Brief(request="Q&A over 3,000 manuals with citations", workflow="rag_system", from_agent="ml-system-architect",
                  question="your part", reason="asked",
                  details=[{"name": "Source connectors", "technology": "connectors per source (export API)",
                            "responsibility": "pull documents", "hosted": ""},
                           {"name": "Vector store", "technology": "Chroma (embedded, on local disk)",
                            "responsibility": "store vectors", "hosted": ""},
                           {"name": "Generation", "technology": "gpt-5-mini via the OpenAI API",
                            "responsibility": "answer with citations", "hosted": "yes"}],
                  flows=["Source connectors → Vector store: chunks", "Vector store → Generation: context"],
                  figures=["Corpus tokens: 6,000,000 tokens (3,000 documents × 2,000 tokens)",
                           "Peak load: 2.5 requests/s (from the request)"])
    _, markdown = compose_contribution(CATALOG.agents[agent], brief, [])
    bodies = [b for b in _parts(markdown).values() if b]
    assert len(bodies) == len(set(bodies)), markdown  # no part repeats another's body
    assert "e+0" not in markdown
    if agent == "write-unit-tests":
        assert "tests/unit/test_vector_store.py" in markdown and "ACL filter" in markdown
        assert "embedded" not in _parts(markdown)["Units under test, each with the behaviours to check"].split(
            "test_vector_store.py")[1].split("\n")[0]  # Chroma "embedded" is no embedder
        assert "load test" in markdown and "2.5 requests/s" in markdown and "Corpus tokens" not in markdown


def test_a_population_scored_on_a_clock_is_a_batch_job_on_the_teams_own_cluster_unbilled() -> None:
    from mlarchitect.agents.api import design
    from mlarchitect.config import Settings

    text = ("Serve our XGBoost deterioration model: it re-scores every ward patient every 15 minutes. On-prem only, "
            "we run our own Kubernetes cluster.")
    req = extract_requirements(text)
    assert req.mode is not None and req.mode.value == "batch"
    result = design(text, settings=Settings(offline=True, cache=False, design_log=False))
    assert "Batch scoring job" in {c.name for c in result.components}
    live = "Serve our XGBoost risk model to the claims app at 40 requests/s, on-prem on our own Kubernetes cluster."
    items = design(live, settings=Settings(offline=True, cache=False, design_log=False)).cost_analysis.items
    assert any("on the team's own hardware" in i.item and i.monthly_usd == 0 for i in items), items
    cloud = "Serve our XGBoost risk model to the claims app at 40 requests/s on AWS."
    items = design(cloud, settings=Settings(offline=True, cache=False, design_log=False)).cost_analysis.items
    assert any(i.item.startswith("Service compute") and i.monthly_usd > 0 for i in items), items


def test_a_fleet_reporting_on_an_interval_is_a_stream_with_its_rate_and_a_stream_processor() -> None:
    text = ("GPS pings from 600 trams every 10 seconds land in Kinesis; build delay features for an arrival model, "
            "fresh within 1 minute, plus daily training tables. 2 engineers.")
    req = extract_requirements(text)
    assert req.events_per_day is not None and req.events_per_day.value == 600 * 8_640
    assert req.mode is not None and req.mode.value == "streaming"
    assert req.fine_tuning is None  # "training tables" are data, not a fine-tuning run
    techs = components("mlarchitect.skills.data_pipeline", "data_pipeline", text)
    assert "Polars" not in techs["Transformation"] and "one machine" not in techs["Transformation"]
    nightly = components("mlarchitect.skills.data_pipeline", "data_pipeline",
                          "Nightly loads of 3 GB from our ERP into features for a churn model; 2 engineers.")
    assert "stream" not in nightly["Transformation"].lower()


def test_option_ids_are_unique_across_skills_and_the_price_table_loads() -> None:
    from collections import Counter

    from mlarchitect.skills.catalogue import load_catalogue
    from mlarchitect.skills.cost_analysis.pricing import load_pricing

    packages = ["rag_design", "evaluation_metrics", "model_serving", "experiment_tracking", "data_pipeline"]
    ids = Counter(o.id for p in packages for s in load_catalogue(f"mlarchitect.skills.{p}").slots.values()
                  for o in s.options)
    assert [i for i, n in ids.items() if n > 1] == []  # the price table is keyed by option id
    assert load_pricing().options


def test_a_tool_that_failed_and_never_succeeded_is_named_in_the_notes() -> None:
    from langchain_core.messages import ToolMessage
    from mlarchitect.agents.tool_results import failed_tool_notes

    messages = [
        ToolMessage(content="Error: bad price table", tool_call_id="1", name="cost_estimate_design", status="error"),
        ToolMessage(content="Error: timeout", tool_call_id="2", name="rag_size_index", status="error"),
        ToolMessage(content="{}", tool_call_id="3", name="rag_size_index"),  # retried and succeeded
        ToolMessage(content="Error: no such agent", tool_call_id="4", name="transfer_to_nobody", status="error"),
        # a tool the model made up is the model's mistake, not a missing part of the design
        ToolMessage(content="Error: rag_magic is not a valid tool, try one of [rag_size_index].", tool_call_id="5",
                    name="rag_magic", status="error"),
    ]
    notes = failed_tool_notes(messages, {"cost_estimate_design", "rag_size_index"})
    assert len(notes) == 1 and "cost_estimate_design" in notes[0] and "bad price table" in notes[0]


@pytest.mark.parametrize(("text", "agents"), [
    # what the team does today, continued with "and": no ask
    ("Our churn model runs nightly. We score all 3M customers at 2am and write the scores back to the CRM for the "
     "sales team. Design the serving for it.", []),
    # an imperative after a comma is an ask
    ("We run a FAQ bot over 500 pages, write the pytest suite for its retriever with the model faked.",
     ["write-unit-tests"]),
])
def test_what_the_team_does_is_told_apart_from_what_it_asks(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents


def test_stated_concurrency_sizes_the_kv_cache_and_a_gpus_memory_is_no_data_volume() -> None:
    from mlarchitect.agents.api import design
    from mlarchitect.config import Settings

    text = ("Serve Llama 3.1 8B for 90 support agents, peak 24 concurrent requests, p95 time-to-first-token under "
            "1 s. We have 2x L4 (24 GB) on-prem.")
    req = extract_requirements(text)
    assert req.concurrency is not None and req.concurrency.value == 24
    assert req.data_volume_gb is None  # "24 GB" is the GPUs' memory
    sizing = {c.name: c for c in design(text, settings=Settings(offline=True, cache=False, design_log=False)).sizing}
    assert "24 sequences" in sizing["KV cache at full concurrency"].formula
    assert sizing["Requests in flight (Little's law)"].value >= 24
    assert "gpu_memory_gb" in sizing["GPUs needed"].from_request  # 24 GB per L4 is the request's own figure


@pytest.mark.parametrize(("text", "per_day", "volume"), [
    ("We ingest 40 GB of logs a day into the lake for anomaly features.", None, 40.0),
    ("We ingest 2 million events a day into the lake for anomaly features.", 2_000_000.0, None),
])
def test_a_volume_of_logs_is_no_count_of_events(text: str, per_day: float | None, volume: float | None) -> None:
    req = extract_requirements(text)
    assert (req.events_per_day.value if req.events_per_day else None) == per_day
    assert (req.data_volume_gb_per_day.value if req.data_volume_gb_per_day else None) == volume


def test_a_laptop_corpus_is_a_watched_folder_with_page_citations_and_its_memory_is_read() -> None:
    text = "About 1,800 reports as PDFs on my MacBook (M3, 24 GB); ask them questions offline and cite the page."
    req = extract_requirements(text)
    assert req.hardware is not None and req.hardware.value.ram_gb == 24
    arch = adapt_architecture("mlarchitect.skills.rag_design", with_assumptions(req, "rag_system"), request=text)
    parts = {c["name"]: c for c in arch["components"]}
    assert "local folder" in parts["Source connectors"]["technology"]
    assert "page" in parts["Parsing and chunking"]["responsibility"]
    assert "ACL" not in parts["Query service"]["responsibility"]
    team = adapt_architecture("mlarchitect.skills.rag_design", with_assumptions(
        extract_requirements("Q&A over 40k policies in SharePoint for 3,000 staff"), "rag_system"))
    assert "ACL" in {c["name"]: c for c in team["components"]}["Query service"]["responsibility"]
