"""Routing by what a request is about (workflow, secondary workflow, confidence)
and sibling handoffs decided from the agents' definitions, not their names."""

from __future__ import annotations

import re

import json
from pathlib import Path

import pytest

from conftest import load_jsonl
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents import routing
from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.handoffs import eligible_targets, plan_handoffs, replaced_builtin_agents
from mlarchitect.agents.example_bank import example_bank
from mlarchitect.agents.routing import Route, match_phrases, route_request
from mlarchitect.skills.registry import load_skill_catalog

CATALOG = load_catalog()
ARCHITECT = CATALOG.agents["ml-system-architect"]
SKILLS = load_skill_catalog()
PUBLIC = load_jsonl("dev_requests.jsonl")
DEV = [json.loads(line) for line in
       (Path(__file__).parent / "data" / "routing_dev.jsonl").read_text().splitlines() if line.strip()]


def route(text: str) -> Route:
    return route_request(text, ARCHITECT, SKILLS, extract_requirements(text))


def handoffs(text: str, catalog=CATALOG) -> list[str]:  # noqa: ANN001
    return sorted(p.agent for p in plan_handoffs(text, ARCHITECT, catalog))


@pytest.mark.parametrize("case", PUBLIC, ids=[c["id"] for c in PUBLIC])
def test_public_dev_requests_route_correctly(case: dict) -> None:
    result = route(case["request"])
    assert result.workflow == case["workflow"]
    assert result.secondary == []
    assert handoffs(case["request"]) == sorted(case["handoffs"])


MIXED = [case for case in DEV if case["secondary"]] + [
    {"request": "A retrieval assistant over 9,000 insurance policy PDFs, plus LLM-judge evals with a golden set "
                "that gate every prompt change", "workflow": "rag_system", "secondary": ["evaluation_system"]},
]


@pytest.mark.parametrize("case", MIXED, ids=[c["request"][:40] for c in MIXED])
def test_a_request_about_two_workflows_gets_a_secondary(case: dict) -> None:
    result = route(case["request"])
    assert (result.workflow, result.secondary) == (case["workflow"], case["secondary"])
    lead = SKILLS.leading(case["secondary"][0])
    assert lead is not None and lead.name in result.skills


@pytest.mark.parametrize("text", [
    "Design a RAG chatbot over 20k support tickets with hybrid search and citations",
    "Design the serving layer for our LLM endpoint at 300 rps with caching",
    "Set up an evaluation framework with LLM-as-judge and A/B tests",
])
def test_single_workflow_requests_get_no_secondary(text: str) -> None:
    assert route(text).secondary == []


@pytest.mark.parametrize("text", [
    "what is the capital of France",
    "fix my CSS",
    "Recommend a good sci-fi novel",
    "Convert 3 cups of flour to grams",
    "Help me plan our company's first ML system for fraud",
])
def test_out_of_scope_requests_are_general(text: str) -> None:
    result = route(text)
    assert result.workflow == "general"
    assert result.secondary == []


def test_route_scores_are_probabilities_with_a_confidence() -> None:
    result = route("Design experiment tracking for 3 researchers fine-tuning Llama models")
    assert result.workflow == "experiment_tracking"
    assert set(result.scores) == {w.id for w in ARCHITECT.workflows} | {"general"}
    assert sum(result.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert result.confidence == result.scores["experiment_tracking"] == max(result.scores.values())
    assert 0 < result.confidence <= 1


def test_routing_is_deterministic() -> None:
    texts = [c["request"] for c in DEV[:12]]
    first = [route(t).model_dump() for t in texts]
    again = [route(t).model_dump() for t in reversed(texts)][::-1]
    assert first == again
    assert [handoffs(t) for t in texts] == [handoffs(t) for t in texts]


def test_keywords_still_route_without_the_embedder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routing, "_get_embedder", lambda: None)
    assert route("Design a pipeline with a feature store, Kafka ingestion and data validation").workflow == "data_pipeline"
    assert route("Tell me a joke").workflow == "general"


# --- handoffs -------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Design a RAG system over our wiki and add a chat UI in Python on top of it", ["llm-app-engineer"]),
    ("Design serving for our ranking model, then containerise it and ship it to our cluster", ["mlops-ai-engineer"]),
    ("Design a feature pipeline for card payments and check it against GDPR", ["security-and-privacy-engineer-ml"]),
    ("Design evaluation for our summariser and write the tests for the scoring code", ["write-unit-tests"]),
    ("Our existing chatbot's OpenAI bill is too high; find where the money goes and cut it", ["performance-and-cost-engineer-llm"]),
    ("Design a RAG system for manuals, then benchmark Milvus against OpenSearch for recall on our own queries",
     ["rag-architect"]),
])
def test_handoffs_without_naming_the_agent(text: str, expected: list[str]) -> None:
    assert handoffs(text) == expected
    for name in expected:
        assert name not in text and name.replace("-", " ") not in text.lower()


@pytest.mark.parametrize("text", [
    "Design a RAG chatbot with a budget of $500 a month and p95 under 2 s",
    "Design model serving with canary deployment and rollback",
    "Design a data pipeline with audit logs, PII handling and retention",
    "Design the deployment strategy for our fraud model with blue/green releases",
    "Evals for our agent",
    "Design a RAG assistant for HR questions; latency under 2 seconds",
    "Write me a cover letter for a nursing job",
])
def test_no_handoff_for_plain_design_wording(text: str) -> None:
    assert handoffs(text) == []


STREAMLIT = """---
name: streamlit-builder
description: Builds Streamlit front-ends for data and LLM applications.
---

## Triggers
- "streamlit app"
"""

REVIEWER = """---
name: data-governance-reviewer
description: Reviews data designs for governance and lineage obligations.
---
"""


def _pack(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "agents"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_a_user_pack_agent_is_reached_by_its_work_not_its_name(tmp_path: Path) -> None:
    catalog = load_catalog(_pack(tmp_path, {"streamlit.md": STREAMLIT, "reviewer.md": REVIEWER}))
    text = "Design a RAG system over our wiki and add a Streamlit chat UI for it"
    assert handoffs(text, catalog) == ["streamlit-builder"]
    assert "streamlit-builder" in [a.name for a in eligible_targets(ARCHITECT, catalog, text)]
    plain = "Design a data pipeline for clickstream events"
    assert handoffs(plain, catalog) == []
    assert "streamlit-builder" not in [a.name for a in eligible_targets(ARCHITECT, catalog, plain)]


def test_a_user_agent_replacing_a_builtin_one_is_reported(tmp_path: Path) -> None:
    mine = "---\nname: llm-app-engineer\ndescription: Our own implementation engineer for Go services.\n---\n"
    catalog = load_catalog(_pack(tmp_path, {"app.md": mine, "streamlit.md": STREAMLIT}))
    assert replaced_builtin_agents(catalog) == ["llm-app-engineer"]
    assert replaced_builtin_agents(CATALOG) == []


# --- the definitions and the example bank ------------------------------------------------------

def test_no_trigger_copies_wording_of_the_public_requests() -> None:
    phrases = [p for s in SKILLS.skills.values() for p in [*s.triggers, *s.hints]]
    phrases += [p for a in CATALOG.agents.values() for p in a.triggers]
    # copied = the phrase's exact words (matching itself also reads "threat-model" as "threat model")
    copied = {p for p in phrases if len(p.split()) > 1 for case in PUBLIC
              if re.search(rf"(?<![a-z0-9]){re.escape(p.lower())}", case["request"].lower())}
    assert copied == set()


def test_the_example_bank_is_big_enough_and_not_copied_from_the_dev_sets() -> None:
    bank = example_bank()
    assert set(bank["workflows"]) == {w.id for w in ARCHITECT.workflows}
    assert all(len(v) >= 25 for v in bank["workflows"].values())
    assert len(bank["general"]) >= 20 and len(bank["mixed"]) >= 15
    assert all(len(bank["handoffs"].get(a, [])) >= 6 for a in ARCHITECT.handoff_targets)
    sentences = {s.lower().strip(" .") for v in bank["workflows"].values() for s in v}
    sentences |= {s.lower().strip(" .") for s in bank["general"]} | {m["request"].lower().strip(" .") for m in bank["mixed"]}
    evals = {c["request"].lower().strip(" .") for c in [*PUBLIC, *DEV]}
    assert not sentences & evals


def test_concurrent_routing_gives_the_same_routes() -> None:
    from concurrent.futures import ThreadPoolExecutor

    texts = [c["request"] for c in DEV[:16]]
    expected = [route(t).model_dump() for t in texts]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lambda t: route(t).model_dump(), texts)) == expected


def test_figures_and_targets_do_not_decide_what_a_request_is_about() -> None:
    """Traffic, latency and budget clauses describe the whole system, not its kind."""
    from mlarchitect.agents.routing import subject

    text = "A chatbot over our product manuals; 40,000 questions per day, latency under 2 seconds, budget of $50 a month"
    assert subject(text) == "A chatbot over our product manuals"
    assert subject("Serve our fraud model at 3,000 rps with 50 ms p99") == "Serve our fraud model at 3,000 rps with 50 ms p99"
    architect, skills = load_catalog(None).get("ml-system-architect"), load_skill_catalog(None)
    assert route_request(text, architect, skills).workflow == "rag_system"
