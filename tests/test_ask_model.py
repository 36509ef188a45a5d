"""The learned ask model (agents/ask_model.py): shipped current with its examples, reads asks and
non-asks it was not trained on, and adds to the handoff rules what they miss without adding
work the request mentions but does not ask for. Clauses and requests are written for these tests
(not taken from the examples file or any evaluation set)."""

from __future__ import annotations

import pytest
from mlarchitect.agents import handoffs as handoff_rules, text_classifier
from mlarchitect.agents.ask_model import NONE, AskModel, load_examples, shipped_model, training_set
from mlarchitect.agents.text_classifier import training_digest
from support.reading import handoffs

BUILTIN_SIBLINGS = {
    "backend-architect", "evaluation-engineer", "llm-app-engineer", "mlops-ai-engineer",
    "performance-and-cost-engineer-llm", "rag-architect", "security-and-privacy-engineer-ml",
    "system-architect", "write-unit-tests",
}


def test_the_shipped_model_matches_its_examples() -> None:
    model = shipped_model()
    assert model is not None, "agents/ask_model.npz is missing: run python -m mlarchitect.agents.ask_model"
    texts, labels = training_set()
    assert model.digest == training_digest(texts, labels), (
        "the examples changed since the model was trained: run python -m mlarchitect.agents.ask_model")
    assert set(model.labels) == {NONE, *BUILTIN_SIBLINGS}


def test_examples_cover_every_sibling_both_ways() -> None:
    examples = load_examples()
    asks = {e.agent for e in examples if e.ask}
    mentions = {e.agent for e in examples if e.kind == "mention"}
    assert asks == mentions == BUILTIN_SIBLINGS
    assert all(e.agent is None for e in examples if e.kind in ("design", "context"))
    assert len({e.text for e in examples}) == len(examples)


ASKS = [
    ("Could somebody sketch the REST endpoints the warehouse app will call, with error codes?", "backend-architect"),
    ("We'd also like a pytest suite for the chunker and the loader, with the embedding API faked.", "write-unit-tests"),
    ("And who could plan the blue/green release of the scorer on our AKS cluster?", "mlops-ai-engineer"),
    ("Please threat-model the upload path and tell us which controls GDPR needs here.", "security-and-privacy-engineer-ml"),
    ("Our token spend doubled last month: find where it goes and rank the fixes.", "performance-and-cost-engineer-llm"),
    ("Recall@5 is stuck at 0.5 on our labelled queries, so the chunking and reranker need a tuning pass.", "rag-architect"),
]
NOT_ASKS = [
    "The API is already specified in our OpenAPI repo and owned by the gateway team.",
    "Our QA group wrote 600 unit tests last quarter.",
    "Releases go through Argo CD, which the platform team runs.",
    "We are a 40-person logistics company in Rotterdam.",
    "Design the retrieval pipeline over our 12,000 maintenance manuals.",
    "How should we serve the model at 300 requests per second?",
]


def test_reads_asks_and_non_asks_it_was_not_trained_on() -> None:
    model = shipped_model()
    assert model is not None
    probs = model.probabilities([t for t, _ in ASKS])
    read_as = [model.labels[int(row.argmax())] for row in probs]
    right = sum(label == agent for label, (_, agent) in zip(read_as, ASKS))
    assert right >= len(ASKS) - 1, read_as
    # an ask adds a handoff only above the threshold; nothing that asks for nothing gets there
    assert model.asked(NOT_ASKS) == []
    assert model.asked(NOT_ASKS, threshold=0.5) == []


def test_fit_learns_a_separable_toy_problem() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(-2, 1, (50, 3)), rng.normal(2, 1, (50, 3))]).astype(np.float32)
    x = np.hstack([x, np.ones((100, 1), dtype=np.float32)])
    y = np.array([0] * 50 + [1] * 50)
    weights = text_classifier.fit(x, y, 2, steps=300)
    assert ((x @ weights).argmax(axis=1) == y).mean() >= 0.95


# --- with the handoff rules ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "agent"), [
    ("Design a RAG assistant over our 30,000 contracts on Azure. The contract for the endpoints the CRM "
     "calls still needs to be pinned down.", "backend-architect"),
    ("Design the ingestion pipeline for 2M claims a year. A privacy assessment under GDPR of what we store "
     "is also on our list.", "security-and-privacy-engineer-ml"),
])
def test_the_model_adds_asks_the_rules_miss(text: str, agent: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert handoffs(text) == [agent]
    monkeypatch.setattr(handoff_rules, "shipped_model", lambda: None)
    assert handoffs(text) == []


@pytest.mark.parametrize("text", [
    "Design the experiment tracking for our 6-person team. Our infra people deploy it and security "
    "has signed it off already.",
    "Design a RAG assistant over 9,000 SOPs. The REST API is owned by the portal team and exists already.",
    "Design the serving of our ranking model at 2,000 rps. Zero-downtime rollouts and autoscaling are musts.",
])
def test_work_mentioned_or_part_of_the_design_is_no_handoff(text: str) -> None:
    assert handoffs(text) == []


def test_the_rules_work_alone_without_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handoff_rules, "shipped_model", lambda: None)
    assert handoffs("Design a RAG assistant over our wiki, then write the unit tests for the loaders.") == [
        "write-unit-tests"]


def test_a_model_without_the_encoder_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    model = shipped_model()
    assert isinstance(model, AskModel)
    monkeypatch.setattr(text_classifier, "features", lambda texts: None)
    assert model.asked(["Please write the pytest suite for the loaders."]) == []


def test_the_model_vetoes_a_part_the_similarities_alone_give_to_an_agent_it_rules_out() -> None:
    """A merge gate in CI for an evaluation harness is the harness builder's work, not the platform's."""
    text = ("Design an evaluation system for our recipe chatbot, 3,000 chats a day. Then have the harness built and "
            "hook a gate into GitLab CI so a prompt change that lowers answer quality cannot be merged.")
    assert handoffs(text) == ["evaluation-engineer"]
