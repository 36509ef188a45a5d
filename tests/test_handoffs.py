"""Handoffs to sibling agents: routing, the brief, the known failure modes of
multi-agent graphs, and users' own agent and skill packs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage
from scripted_model import ScriptedChatModel, contribution, final_structured, tool_call

from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.api import build_runtime, checkpointer, design
from mlarchitect.agents.graph import build_graph
from mlarchitect.agents.handoffs import plan_handoffs
from mlarchitect.config import Settings

CATALOG = load_catalog()
ARCHITECT = CATALOG.agents["ml-system-architect"]

ROUTING = [
    ("Design a RAG system over our wiki, then write the code for it", ["llm-app-engineer"]),
    ("Design serving for our ranking model and deploy it on Kubernetes with Terraform", ["mlops-ai-engineer"]),
    ("Design a RAG assistant over HR files and get a security review for GDPR", ["security-and-privacy-engineer-ml"]),
    ("Our LLM serving layer is too expensive: redesign it and cut its cost", ["performance-and-cost-engineer-llm"]),
    ("Design an evaluation framework for our classifier and write unit tests for the scorers", ["write-unit-tests"]),
    ("Design the evaluation system, then build the eval pipeline for it", ["evaluation-engineer"]),
    ("Design a RAG system for support tickets and tune retrieval to improve recall", ["rag-architect"]),
    ("Design a RAG system, implement it in Python and deploy it to production on Kubernetes",
     ["llm-app-engineer", "mlops-ai-engineer"]),
    # no handoff: design work within the architect's boundaries
    ("Design a RAG chatbot with a budget of $500 a month and p95 under 2 s", []),
    ("Design model serving with canary deployment and rollback", []),
    ("Design a data pipeline with audit logs, PII handling and retention", []),
    ("Set up an evaluation framework with LLM-as-judge and A/B tests", []),
]


@pytest.mark.parametrize(("request_text", "expected"), ROUTING)
def test_offline_routing_hands_off_exactly_when_asked(request_text: str, expected: list[str]) -> None:
    assert sorted(p.agent for p in plan_handoffs(request_text, ARCHITECT, CATALOG)) == sorted(expected)


def test_handoff_contribution_lands_in_the_deliverable(settings: Settings) -> None:
    result = design("Design model serving for our fraud model at 300 requests per second and plan its "
                    "Kubernetes deployment and CI/CD", settings=settings)
    [handoff] = result.handoffs
    assert handoff.agent == "mlops-ai-engineer" and handoff.status == "completed"
    assert "Kubernetes" in handoff.reason
    assert "## Deployment Plan" in handoff.contribution
    assert "Inference service" in handoff.contribution  # the brief carried the design so far
    assert "Replicas" in handoff.contribution  # ... and its figures


def test_parallel_tool_calls_with_a_handoff_leave_no_orphan_call(settings: Settings) -> None:
    architect = ScriptedChatModel(script=[
        AIMessage(content="", tool_calls=[
            tool_call("rag_size_index", {"documents": 500, "unit": "pages"}, "t1"),
            tool_call("transfer_to_llm_app_engineer", {"reason": "code it", "question": "implementation plan"}, "t2"),
            tool_call("obs_plan_monitoring", {"workflow": "rag_system"}, "t3"),
        ]),
        AIMessage(content="done"),
        final_structured,
    ])
    result = design("Design a RAG system over 500 pages and write the code", settings=settings, chat_model=architect)
    seen = architect.seen[1]
    calls = {c["id"] for m in seen if isinstance(m, AIMessage) for c in m.tool_calls}
    answered = {m.tool_call_id for m in seen if isinstance(m, ToolMessage)}
    assert calls == answered == {"t1", "t2", "t3"}
    assert [h.agent for h in result.handoffs] == ["llm-app-engineer"]
    assert any(c.name == "Chunks" for c in result.sizing)


def test_handoff_loop_is_stopped_with_a_note(settings: Settings) -> None:
    def loop_to(target: str) -> ScriptedChatModel:
        return ScriptedChatModel(script=[
            AIMessage(content="", tool_calls=[tool_call(f"transfer_to_{target}", {"reason": "r", "question": "q"}, f"to-{target}")]),
            AIMessage(content="done"),
            contribution("Section", f"handed to {target}"),
        ])

    architect = ScriptedChatModel(script=[
        AIMessage(content="", tool_calls=[tool_call("transfer_to_llm_app_engineer", {"reason": "r", "question": "q"}, "a")]),
        AIMessage(content="done"),
        final_structured,
    ])
    siblings = {"llm-app-engineer": loop_to("write_unit_tests"), "write-unit-tests": loop_to("llm_app_engineer")}
    result = design("Design a RAG system and write the code", settings=settings, chat_model=architect,
                    sibling_models=siblings)
    assert any("Handoff loop stopped" in n and "llm-app-engineer → write-unit-tests → llm-app-engineer" in n
               for n in result.notes)
    statuses = {(h.agent, h.status) for h in result.handoffs}
    assert ("llm-app-engineer", "completed") in statuses and ("write-unit-tests", "completed") in statuses
    assert ("llm-app-engineer", "skipped") in statuses


def test_handoff_to_an_unknown_agent_is_noted(settings: Settings) -> None:
    architect = ScriptedChatModel(script=[
        AIMessage(content="", tool_calls=[tool_call("transfer_to_nobody", {"reason": "r", "question": "q"}, "x")]),
        AIMessage(content="done"),
        final_structured,
    ])
    result = design("Design model serving", settings=settings, chat_model=architect)
    assert result.handoffs == []
    assert any("transfer_to_nobody is not an available agent" in n for n in result.notes)


def test_a_failing_sibling_is_reported_and_the_design_completes(tmp_path: Path, shared_kb_dir: Path) -> None:
    settings = Settings(data_dir=tmp_path, kb_dir=shared_kb_dir, fallback_to_offline=False)
    architect = ScriptedChatModel(script=[
        AIMessage(content="", tool_calls=[tool_call("transfer_to_mlops_ai_engineer", {"reason": "deploy", "question": "plan"}, "m")]),
        AIMessage(content="done"),
        final_structured,
    ])
    broken = ScriptedChatModel(script=[RuntimeError("sibling model exploded")])
    result = design("Design serving and deploy it on Kubernetes", settings=settings, chat_model=architect,
                    sibling_models={"mlops-ai-engineer": broken})
    [handoff] = result.handoffs
    assert handoff.status == "failed" and "sibling model exploded" in handoff.contribution
    assert result.summary == "A scripted design."
    assert any("failed" in n for n in result.notes)


def test_sibling_steps_stream_to_the_caller(settings: Settings) -> None:
    runtime = build_runtime(settings, lambda e: None)
    with checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(runtime, saver)
        events = list(graph.stream({"request": "Design a RAG system and write the code in Python"},
                                   {"configurable": {"thread_id": "s"}}, stream_mode="updates", subgraphs=True))
    sibling_nodes = [node for ns, update in events if ns for node in update]
    assert {"start", "work", "write"} <= set(sibling_nodes)


def test_progress_reports_the_sibling(settings: Settings) -> None:
    events: list[Any] = []
    design("Design a RAG system and write the code in Python", settings=settings, on_event=events.append)
    kinds = [(e.kind, getattr(e, "target", None), getattr(e, "status", None)) for e in events]
    assert ("handoff", "llm-app-engineer", "started") in kinds
    assert ("handoff", "llm-app-engineer", "working") in kinds
    assert ("handoff", "llm-app-engineer", "completed") in kinds
    assert kinds.index(("handoff", "llm-app-engineer", "started")) < kinds.index(("handoff", "llm-app-engineer", "completed"))
    assert events[-1].kind == "deliverable"


REVIEWER = """---
name: data-governance-reviewer
description: Reviews data designs for governance and lineage obligations.
model: haiku
---

# Data governance reviewer

## Triggers
- "governance review"

## Contribution
Returns a **Governance Review** containing:
- Lineage: which datasets feed which models
- Retention: how long each store keeps data

## Related Agents
- **`ml-system-architect`** - the lead
"""


def test_users_agent_becomes_a_handoff_target_when_named(tmp_path: Path, shared_kb_dir: Path) -> None:
    agents = tmp_path / "proj" / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "reviewer.md").write_text(REVIEWER)
    (agents / "broken.md").write_text("---\nname: [\n---\n")
    settings = Settings(data_dir=tmp_path / "d", kb_dir=shared_kb_dir, agents_dir=tmp_path / "proj")
    result = design("Design a data pipeline for clickstream events; ask the data-governance-reviewer to check it",
                    settings=settings)
    [handoff] = result.handoffs
    assert handoff.agent == "data-governance-reviewer"
    assert "## Governance Review" in handoff.contribution and "#### Lineage" in handoff.contribution
    plain = design("Design a data pipeline for clickstream events", settings=settings)
    assert plain.handoffs == []


def test_users_skill_text_becomes_searchable_knowledge(tmp_path: Path) -> None:
    skill = tmp_path / "skills" / "house-style"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text("---\nname: house-style\ndescription: Our in-house conventions\n---\n"
                                    "Every service exposes a zorblax health endpoint on port 8081.\n")
    settings = Settings(data_dir=tmp_path / "d", kb_dir=tmp_path / "kb", skills_dir=tmp_path / "skills")
    design("Design model serving for our API", settings=settings)
    from mlarchitect.knowledge import KnowledgeBase

    hits = KnowledgeBase(tmp_path / "kb").search("zorblax health endpoint", k=3)
    assert hits and "zorblax" in hits[0].chunk


# --- a regulation stated is a constraint; asked about, it is work ---------------------------

@pytest.mark.parametrize(("text", "agents"), [
    ("Assistant over our clinic's care guidelines; HIPAA applies to the notes it reads.", []),
    ("Set up the nightly feature pipeline for the claims model. GDPR. Data stays in the EU.", []),
    ("Assistant over our clinic's care guidelines. Audit it for HIPAA before it goes live.",
     ["security-and-privacy-engineer-ml"]),
    ("A pipeline that lands chat logs for a classifier. Threat-model it: the logs hold phone numbers.",
     ["security-and-privacy-engineer-ml"]),
    ("Design the feature pipeline for the pricing model and show where it sits among our other services.",
     ["system-architect"]),
    ("Build the ingestion pipeline for our sensor data, 2 GB a day.", []),
])
def test_what_a_request_asks_for_decides_the_handoff(text: str, agents: list[str]) -> None:
    assert sorted(p.agent for p in plan_handoffs(text, ARCHITECT, CATALOG)) == agents


@pytest.mark.parametrize(("text", "agents"), [
    ("Chat assistant over our loan policies for branch staff. Our risk office does its own security review.", []),
    ("Serve the churn model behind an API; the pytest suite is already written.", []),
    ("Serve the churn model behind an API; we already have unit tests, but write tests for the new scoring client.",
     ["write-unit-tests"]),
    ("Chat assistant over our loan policies for branch staff, and do a security review of the design.",
     ["security-and-privacy-engineer-ml"]),
    # what is fine as it is, or was optimised already, asks for no specialist
    ("Track the runs of our twelve vision models; the GPU spend is fine, we optimised serving last year.", []),
    ("Keep our forecasting runs comparable; the feature code has decent unit tests.", []),
])
def test_work_done_elsewhere_is_no_handoff(text: str, agents: list[str]) -> None:
    assert sorted(p.agent for p in plan_handoffs(text, ARCHITECT, CATALOG)) == agents


@pytest.mark.parametrize("text", [
    "Serve the fraud model at 500 rps and explain how it fits with our ERP, the CRM and the other services we run.",
    "Churn model batch scoring for 2M customers. How will it fit into our landscape of Salesforce, the billing system "
    "and Snowflake?",
    "Set up experiment tracking for 12 data scientists and describe where it sits next to our existing data platform, "
    "IAM and CI services.",
])
def test_asking_how_it_fits_the_landscape_reaches_the_system_architect(text: str) -> None:
    assert [p.agent for p in plan_handoffs(text, ARCHITECT, CATALOG)] == ["system-architect"]


# --- one ask, one agent ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "agents"), [
    # the part "write the REST contract" is about as close to the implementation engineer as to the
    # backend architect the request asks for ("error codes"): one handoff, not two
    ("Plan the inference service for our fraud model and write the REST contract: endpoints, payloads and error codes.",
     ["backend-architect"]),
    # the whole request is close to the implementation engineer only through what it already has
    # (a FastAPI service); its one ask is the tests
    ("We have a FastAPI service wrapping our ranking model. Design the serving and write the unit tests for it.",
     ["write-unit-tests"]),
    # both asks are there: two handoffs
    ("Wrap our intent classifier in a FastAPI service: implement it in Python and write pytest tests that mock the model.",
     ["llm-app-engineer", "write-unit-tests"]),
])
def test_a_part_asks_for_one_agent(text: str, agents: list[str]) -> None:
    assert sorted(p.agent for p in plan_handoffs(text, ARCHITECT, CATALOG)) == agents


def test_the_bank_has_counter_examples_for_handoffs() -> None:
    from mlarchitect.agents.example_bank import example_bank

    bank = example_bank()
    assert len(bank["not_handoffs"]) >= 50
    # none of them is itself a handoff
    asked = [t for t in bank["not_handoffs"] if plan_handoffs(t, ARCHITECT, CATALOG)]
    assert len(asked) <= len(bank["not_handoffs"]) // 10, asked


@pytest.mark.parametrize(("text", "agents"), [
    ("Design a churn scoring service and map out how it consumes events from the Kafka bus the billing team owns.",
     ["system-architect"]),
    ("Plan the document QA assistant, then walk us through how it hooks into our Okta SSO and the ServiceNow "
     "ticketing we already run.", ["system-architect"]),
    # a verb that is as often a noun counts only with an object: "test data" asks for nothing
    ("Design the evaluation for our self-hosted model; test data may not leave the building.", []),
    ("Design the RAG system over our policies and make sure it answers only from approved documents.", []),
    # a later sentence that plans more work on the design
    ("Design the scoring service for our pricing model. Afterwards, plan the rollout on our AKS cluster with "
     "staged traffic.", ["mlops-ai-engineer"]),
])
def test_more_ways_of_asking_for_work(text: str, agents: list[str]) -> None:
    assert sorted(p.agent for p in plan_handoffs(text, ARCHITECT, CATALOG)) == agents


def test_an_agent_is_named_only_by_its_whole_name() -> None:
    """"The RAG architecture itself" names no rag-architect; "the RAG architect" does."""
    from mlarchitect.agents.agent_files import load_catalog
    from mlarchitect.agents.routing import mentioned_agents

    catalog = load_catalog()
    assert mentioned_agents("What we need from you is the RAG architecture itself.", catalog) == []
    assert mentioned_agents("Please loop in the RAG architect.", catalog) == ["rag-architect"]
    assert mentioned_agents("then the write-unit-tests agent", catalog) == ["write-unit-tests"]


@pytest.mark.parametrize(("text", "expected"), [
    # a review stated as done, with words between the review and "is done"
    ("Our QA group built the harness already and the privacy review of the call recordings is done. Design the "
     "evaluation of our call-summary model: which metrics and slices.", []),
    # "covered by a pytest suite" asks for the tests; "covered by the QA team" says another team does them
    ("Design tracking for our prompt experiments, then get the logging helper implemented as typed Python and "
     "covered by a pytest suite with the API calls faked.", ["llm-app-engineer", "write-unit-tests"]),
])
def test_done_reviews_and_passive_test_asks(text: str, expected: list[str]) -> None:
    from support.reading import handoffs as planned

    assert planned(text) == expected
