"""Limits a request puts on the design that earlier rounds ignored: serverless-only compute,
one cloud's own hosted model, names the request rules out ("no Kafka", "can't pay for W&B"),
a Kubernetes cluster of one node, an LLM on one GPU box; and how such requests are read:
questions about a concept, software that is "nothing ML", an opening clause that only sets
the scene, work asked for beyond the design. Requests are written for these tests (not
taken from any evaluation set)."""

from __future__ import annotations

import pytest
from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.api import design
from mlarchitect.agents.handoffs import plan_handoffs
from mlarchitect.agents.intake.assume import with_assumptions
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents.routing import concept_question, route_request
from mlarchitect.agents.scope import in_domain
from mlarchitect.skills.architecture import adapt_architecture
from mlarchitect.skills.catalogue import load_catalogue, ruled_out_in
from mlarchitect.skills.registry import load_skill_catalog

from mlarchitect.config import Settings
from mlarchitect.render_markdown import render_markdown

RAG = "mlarchitect.skills.rag_design"
SERVING = "mlarchitect.skills.model_serving"
TRACKING = "mlarchitect.skills.experiment_tracking"
CATALOG = load_catalog()
ARCHITECT = CATALOG.agents["ml-system-architect"]
SKILLS = load_skill_catalog()
OFFLINE = Settings(offline=True, cache=False, design_log=False)


def _chosen(package: str, request: str) -> dict[str, str]:
    workflow = {RAG: "rag_system", SERVING: "model_serving", TRACKING: "experiment_tracking",
                "mlarchitect.skills.data_pipeline": "data_pipeline",
                "mlarchitect.skills.evaluation_metrics": "evaluation_system"}[package]
    arch = adapt_architecture(package, with_assumptions(extract_requirements(request), workflow), request=request)
    return {c["slot"]: c["chosen"]["id"] for c in arch["choices"] if c.get("chosen")}


def _option(package: str, option_id: str):  # an Option
    return next(o for s in load_catalogue(package).slots.values() for o in s.options if o.id == option_id)


# --- serverless only, one cloud's own model ---------------------------------------------------


@pytest.mark.parametrize("text", [
    "Answer bot over 800 onboarding pages on Azure; serverless only, nobody here patches VMs.",
    "A search assistant for our 4,000 product sheets on AWS. We can't run servers or clusters ourselves.",
])
def test_serverless_only_runs_no_vm_cluster_or_self_run_gpu(text: str) -> None:
    req = extract_requirements(text)
    assert req.serverless_only is not None and req.serverless_only.value is True
    chosen = _chosen(RAG, text)
    assert chosen["app"] == "serverless-app"
    assert chosen["app"] not in ("fastapi-vm", "fastapi-k8s")
    assert not any(_option(RAG, o).gpu_memory_gb and not _option(RAG, o).hosted for o in chosen.values())
    plain = "A search assistant for our 4,000 product sheets on AWS."
    assert extract_requirements(plain).serverless_only is None
    assert _chosen(RAG, plain)["app"] != "serverless-app"


@pytest.mark.parametrize(("cloud", "generator"), [("GCP", "vertex-gemini"), ("AWS", "bedrock-llm")])
def test_one_cloud_only_gets_that_clouds_hosted_model_not_a_gpu_server(cloud: str, generator: str) -> None:
    text = f"Q&A over 2,500 grant rules; we are a {cloud}-only shop and want to keep it cheap."
    assert _chosen(RAG, text)["generator"] == generator
    other = "vertex-gemini" if generator == "bedrock-llm" else "bedrock-llm"
    arch = adapt_architecture(RAG, extract_requirements(text), request=text)
    rejected = {r["option"]: r["why"] for c in arch["choices"] if c["slot"] == "generator" for r in c["rejected"]}
    assert cloud.upper() in rejected[_option(RAG, other).name]


# --- names the request rules out -----------------------------------------------------------------


@pytest.mark.parametrize(("text", "ruled_out"), [
    ("we'd like a tool like wandb, but we can't pay for it", "wandb"),
    ("a tracker like wandb but we cant afford seats", "wandb"),
    ("we love wandb and keep it", None),
    ("we are moving off W&B", "W&B"),
])
def test_a_name_the_request_rules_out_is_not_chosen(text: str, ruled_out: str | None) -> None:
    assert ruled_out_in(_option(TRACKING, "wandb-saas"), text) == ruled_out
    if ruled_out:
        chosen = _chosen(TRACKING, text)
        assert not chosen["tracking_server"].startswith("wandb") and not chosen["registry"].startswith("wandb")


def test_no_kubernetes_rules_out_the_kubernetes_platform() -> None:
    text = "Serve our LightGBM fraud model at 200 rps on AWS; we don't run Kubernetes and won't start."
    assert _chosen(SERVING, text)["platform"] != "kubernetes"
    assert _chosen(SERVING, "Serve our LightGBM fraud model at 200 rps on our EKS cluster")["platform"] == "kubernetes"


# --- one machine ---------------------------------------------------------------------------------


def test_a_kubernetes_cluster_of_one_node_is_still_kubernetes() -> None:
    text = "Self-host a 13B chat model for 40 staff on our Kubernetes cluster, which is a single node with 2x A100."
    req = extract_requirements(text)
    assert req.deployment.value == "single_machine" and "kubernetes" in req.stack()
    chosen = _chosen(SERVING, text)
    assert chosen["platform"] == "kubernetes" and chosen["inference_runtime"] == "vllm"


def test_an_llm_on_one_gpu_box_gets_a_serving_runtime_not_the_app_process() -> None:
    llm = "A coding chat model for our 6 developers on one workstation with an RTX 4090, nothing leaves the office."
    assert extract_requirements(llm).model_kind.value == "llm"
    chosen = _chosen(SERVING, llm)
    assert chosen["inference_runtime"] in ("vllm", "llama-cpp-server")
    assert chosen["monitoring"] == "request-logs"  # a live service on one box: request logs, not batch job logs
    tabular = "Score loan applications with our scikit-learn model on one workstation, a few calls a minute."
    assert _chosen(SERVING, tabular)["inference_runtime"] == "in-process-model"


# --- how a request is read -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "question"), [
    ("Could you explain how attention differs from a convolution?", True),
    ("what's the difference between DPO and RLHF, in plain words?", True),
    ("Honest question: will vector databases still matter in five years?", True),
    ("What's the best way to serve our churn model at 300 rps?", False),  # a system of ours
    ("what is the right architecture for a RAG bot over 10k manuals?", False),  # asks for a design
    ("Design a feature pipeline for our fraud model.", False),
])
def test_a_question_about_a_concept_is_told_apart_from_a_design_request(text: str, question: bool) -> None:
    assert concept_question(text) is question
    if question:
        assert route_request(text, ARCHITECT, SKILLS, extract_requirements(text)).workflow == "general"


@pytest.mark.parametrize(("text", "scope"), [
    ("An Airflow job that copies invoices into the accounting database, nothing ML involved.", False),
    ("A booking calendar for our gym, no AI please.", False),
    ("A stock app for our warehouse: pallets, bin locations and pick lists.", False),  # a building, not data
    ("Load the clickstream into our data warehouse every hour for the churn model.", True),
    ("Our ML team is two people; design experiment tracking for them.", True),
])
def test_a_request_that_says_it_involves_no_ml_is_out_of_scope(text: str, scope: bool) -> None:
    assert in_domain(text) is scope


def test_the_scene_setting_opening_does_not_lead_when_the_request_is_about_something_else() -> None:
    text = ("Our contract-search assistant has been live for a year. Every week we want recall, groundedness "
            "and refusal scores on a fixed golden set, with an alert when any of them drops.")
    assert route_request(text, ARCHITECT, SKILLS, extract_requirements(text)).workflow == "evaluation_system"


# --- work asked for beyond the design --------------------------------------------------------------


@pytest.mark.parametrize(("text", "agents"), [
    ("Design serving for our 8B support model on two L4 GPUs. Beyond the design, we need the concrete rollout "
     "plan for our OpenShift cluster.", ["mlops-ai-engineer"]),
    ("Plan a nightly feature pipeline from Postgres into Feast, and have somebody implement the Spark job in Python "
     "afterwards.", ["llm-app-engineer"]),
    # "Flask is fine" says which framework is acceptable; it does not say the work is done
    ("Design the scoring service for our pricing model, then I need it implemented in Python (Flask is fine) and "
     "a pytest suite with the model faked.", ["llm-app-engineer", "write-unit-tests"]),
    ("Design the tracking for our LoRA runs. Token costs are fine already, we tuned inference last month.", []),
])
def test_work_asked_for_beyond_the_design_is_handed_off(text: str, agents: list[str]) -> None:
    assert sorted(p.agent for p in plan_handoffs(text, ARCHITECT, CATALOG)) == agents


def test_a_request_routed_to_no_workflow_hands_off_only_to_agents_it_names() -> None:
    text = "write me a cover letter for a data analyst job, I know SQL and some Python"
    assert plan_handoffs(text, ARCHITECT, CATALOG, named_only=True) == []
    named = plan_handoffs("ask the rag-architect what chunk size suits legal text", ARCHITECT, CATALOG, named_only=True)
    assert [p.agent for p in named] == ["rag-architect"]


# --- what the team already runs, where the data stays, what is judged ------------------------------


def test_an_existing_search_cluster_is_reused_named_as_such_and_not_billed_again() -> None:
    text = "Our support RAG already runs on Elasticsearch 8 with 300k articles; keep Elasticsearch, add no other store."
    arch = adapt_architecture(RAG, with_assumptions(extract_requirements(text), "rag_system"), request=text)
    chosen = {c["slot"]: c["chosen"] for c in arch["choices"] if c.get("chosen")}
    assert "Elasticsearch" in chosen["vector_store"]["name"] and "OpenSearch" not in chosen["vector_store"]["name"]
    assert "Elasticsearch" in chosen["keyword_index"]["name"]
    d = design(text, settings=OFFLINE)
    assert not any("Elasticsearch" in i.item for i in d.cost_analysis.items), [i.item for i in d.cost_analysis.items]


def test_sql_server_as_the_only_database_stores_the_pipeline_data() -> None:
    text = "Nightly pipeline for our churn features; SQL Server is the only database we may use, no new datastore."
    chosen = _chosen("mlarchitect.skills.data_pipeline", text)
    assert chosen["storage"] == "sqlserver-storage"


@pytest.mark.parametrize("text", [
    "Q&A over 30,000 circulars; everything stays in mainland China.",
    "A document assistant hosted in China only, on local servers.",
])
def test_data_that_stays_in_china_uses_no_us_hosted_api(text: str) -> None:
    req = extract_requirements(text)
    assert req.data_residency is not None and req.data_residency.value == "China"
    chosen = _chosen(RAG, text)
    for option_id in chosen.values():
        option = _option(RAG, option_id)
        assert not (option.hosted or option.hyperscaler), option.name


def test_a_single_language_other_than_english_rules_out_english_only_models() -> None:
    text = "Search assistant over 8,000 Japanese maintenance manuals, self-hosted on CPU."
    assert extract_requirements(text).languages == ["japanese"]
    chosen = _chosen(RAG, text)
    assert not _option(RAG, chosen["embedder"]).english_only and not _option(RAG, chosen["reranker"]).english_only


@pytest.mark.parametrize(("text", "criteria"), [
    ("We want to evaluate plot coherence (the story bible is long), pacing, and profanity for our story generator.",
     ["plot coherence", "pacing", "profanity"]),
    ("Score every reply for politeness and factual accuracy before release.", ["politeness", "factual accuracy"]),
    ("How do we evaluate our summarizer?", []),
    ("We want to score our support bot's replies automatically.", []),
])
def test_the_qualities_a_request_wants_judged_are_read_and_get_a_scorer_each(text: str, criteria: list[str]) -> None:
    req = extract_requirements(text)
    assert [f.value for f in req.quality_criteria] == criteria
    if criteria:
        markdown = render_markdown(design(text, settings=OFFLINE))
        assert all(c in markdown for c in criteria)
        assert "One scorer per criterion" in markdown


def test_named_event_and_clinical_feeds_are_read_as_sources() -> None:
    text = "Sensors publish over MQTT and the clinic's FHIR API sends patient records; build the training-data pipeline."
    assert {(f.value, f.quote) for f in extract_requirements(text).data_sources} == {("events", "MQTT"), ("api", "FHIR")}


def test_many_lora_adapters_are_served_from_one_base_model() -> None:
    text = "Serve 30 per-customer LoRA adapters of one 8B model on our two L40S GPUs, about 5 requests a second."
    assert _chosen(SERVING, text)["inference_runtime"] == "vllm-multi-lora"
    assert _chosen(SERVING, "Serve our 8B model on our two L40S GPUs, about 5 requests a second.")["inference_runtime"] == "vllm"


def test_health_data_is_de_identified_not_just_redacted() -> None:
    text = "Pipeline from the hospital's HL7 feeds into a training set for a readmission model; HIPAA applies."
    arch = adapt_architecture("mlarchitect.skills.data_pipeline",
                              with_assumptions(extract_requirements(text), "data_pipeline"), request=text)
    pii = next(c for c in arch["components"] if c["name"] == "PII redaction")
    assert "Safe Harbor" in pii["responsibility"]


def test_evaluation_runs_on_the_teams_cluster_when_it_has_one() -> None:
    text = "Nightly LLM eval suite of 3,000 cases; we run everything on our EKS cluster with Argo Workflows."
    assert _chosen("mlarchitect.skills.evaluation_metrics", text)["harness"] == "k8s-eval-jobs"


def test_the_part_that_asks_decides_the_workflow_over_the_opening_scene() -> None:
    text = ("We launched a claims-triage chatbot over 5,000 policy documents last spring. Customers like it. "
            "Now we need one place to log and compare our fine-tuning runs, their configs and checkpoints.")
    route = route_request(text, ARCHITECT, SKILLS, extract_requirements(text))
    assert route.workflow == "experiment_tracking"


def test_thousands_of_small_models_a_week_are_tracked_as_batches_not_one_chart_each() -> None:
    text = "We refit about 2,000 demand models every week, one per store, with scikit-learn; how should we track them?"
    req = extract_requirements(text)
    assert req.training_runs_per_month is not None and req.training_runs_per_month.value > 8000
    arch = adapt_architecture(TRACKING, with_assumptions(req, "experiment_tracking"), request=text)
    components = {c["name"]: c for c in arch["components"]}
    assert "parent run per retrain batch" in components["Tracking server"]["responsibility"]
    assert "fell behind their previous version" in components["Comparison and reporting"]["responsibility"]
    assert "GPU" not in " ".join(arch["tracking"]["run_record"])  # a CPU model: no GPU hours in its run record


def test_classic_models_are_sized_as_small_files_not_llm_checkpoints() -> None:
    from mlarchitect.skills.experiment_tracking.tools import offline_plan

    def checkpoint_gb(text: str, workflow: str = "experiment_tracking") -> float:
        req = with_assumptions(extract_requirements(text), workflow)
        return offline_plan(req, [], workflow)[0].args["checkpoint_gb"]

    small = checkpoint_gb("Track our weekly LightGBM churn retrains: about 300 runs a month, 4 data scientists.")
    large = checkpoint_gb("Track fine-tuning runs of our 7B model: about 300 runs a month, 4 researchers.")
    assert small <= 0.1 < 2.0 <= large


@pytest.mark.parametrize(("text", "residency", "gdpr", "language"), [
    ("Ein Assistent für unsere deutschen Wartungsberichte; die Daten bleiben in der EU, DSGVO.", "EU", True, "german"),
    ("Un assistant pour nos contrats en français ; les données restent en France.", "France", False, "french"),
    ("Un buscador para nuestros manuales en español; los datos deben permanecer en la UE.", "EU", False, "spanish"),
])
def test_residency_gdpr_and_language_written_in_german_french_or_spanish(text: str, residency: str, gdpr: bool,
                                                                         language: str) -> None:
    req = extract_requirements(text)
    assert req.data_residency is not None and req.data_residency.value == residency
    assert ("gdpr" in [c.value for c in req.compliance]) is gdpr
    assert language in req.languages


def test_a_request_in_another_language_self_hosted_gets_a_multilingual_reranker_on_cpu() -> None:
    text = "Self-hosted search over 12,000 Italian tax circulars, CPU only, no external APIs."
    chosen = _chosen(RAG, text)
    assert chosen["reranker"] == "mmarco-reranker-cpu" and chosen["embedder"] == "e5-multi-cpu"


def test_running_on_a_cloud_does_not_swap_the_default_model_for_that_clouds_dearer_one() -> None:
    assert _chosen(RAG, "Q&A over 5,000 support articles, hosted on AWS.")["generator"] == "gpt-5-mini"
    assert _chosen(RAG, "Q&A over 5,000 support articles, AWS services only.")["generator"] == "bedrock-llm"


def test_translation_metrics_only_for_a_translation_task() -> None:
    summary = "Evaluate our support-ticket summarizer in Dutch and German against 1,500 reviewed summaries."
    assert _chosen("mlarchitect.skills.evaluation_metrics", summary)["scorer"] != "mt-metrics"
    translation = "Evaluate our Dutch-German translation model against 1,500 reference translations."
    assert _chosen("mlarchitect.skills.evaluation_metrics", translation)["scorer"] == "mt-metrics"


def test_a_cloud_model_can_stay_in_the_stated_region_of_that_cloud() -> None:
    text = "Policy Q&A for our staff over 6,000 PDFs, inside our Azure tenant only; data stays in Canada."
    chosen = _chosen(RAG, text)
    assert chosen["generator"] == "gpt-5-mini"  # served by Azure OpenAI in Canada, not a self-hosted GPU model
    arch = adapt_architecture(RAG, with_assumptions(extract_requirements(text), "rag_system"), request=text)
    generator = next(c for c in arch["components"] if c["name"] == "Generation")
    assert "Azure OpenAI" in generator["technology"] and "Canada" in generator["technology"]


def test_a_text_classifier_on_an_encoder_is_no_llm() -> None:
    text = "Ticket routing: support tickets are classified by a fine-tuned DeBERTa model into 40 queues, 6 languages."
    assert extract_requirements(text).model_kind.value == "classic_ml"
    assert _chosen("mlarchitect.skills.evaluation_metrics", text)["scorer"] not in ("judge-hosted", "judge-local")


def test_a_concept_question_gets_no_design_and_says_why() -> None:
    events: list[str] = []
    d = design("Could you explain how a reranker differs from an embedding model?", settings=OFFLINE,
               on_event=lambda e: events.append(type(e).__name__ + ":" + str(getattr(e, "question", ""))))
    assert d.workflow == "general" and not d.components and d.cost_analysis.monthly_total_usd == 0
    assert "question" in d.title.lower() and "Routed:True" in events


def test_a_region_a_cloud_does_not_have_is_not_placed_in_a_neighbouring_country() -> None:
    from mlarchitect.skills.catalogue import cloud_zone

    assert cloud_zone("UAE", "aws") and cloud_zone("UAE", "gcp") is None  # GCP's nearest region is in Qatar
    assert cloud_zone("France", "gcp") == "europe-west9, Paris"
