"""The learned workflow model (agents/workflow_model.py) and how routing uses it: shipped current
with its examples, reads requests it was not trained on, and puts in scope a request that describes
an ML system without the domain's words. Requests are written for these tests (not taken from the
examples file or any evaluation set)."""

from __future__ import annotations

import pytest
from mlarchitect.agents import routing, workflow_model
from mlarchitect.agents.text_classifier import training_digest
from mlarchitect.agents.workflow_model import GENERAL, load_examples, shipped_model, training_set
from mlarchitect.workflows import WORKFLOWS
from support.reading import route

WORKFLOW_IDS = set(WORKFLOWS) - {"general"}


def test_the_shipped_model_matches_its_examples() -> None:
    model = shipped_model()
    assert model is not None, "agents/workflow_model.npz is missing: run python -m mlarchitect.agents.workflow_model"
    texts, labels = training_set()
    assert model.digest == training_digest(texts, labels), (
        "the examples changed since the model was trained: run python -m mlarchitect.agents.workflow_model")
    assert set(model.labels) == {GENERAL, *WORKFLOW_IDS}


def test_examples_are_labelled_with_known_workflows() -> None:
    examples = load_examples()
    assert len(examples) >= 1000
    assert all(set(e.workflows) <= {GENERAL, *WORKFLOW_IDS} for e in examples)
    assert all(e.workflows == [GENERAL] for e in examples if GENERAL in e.workflows)
    assert {e.workflows[0] for e in examples} == {GENERAL, *WORKFLOW_IDS}
    assert len({e.text for e in examples}) == len(examples)


UNSEEN = [
    ("Our winery's sales team wants to ask questions about 2,000 distributor contracts and see the clause it came from.",
     "rag_system"),
    ("Nobody can say whether the new product-description prompt is better than last month's; we ship on gut feeling.",
     "evaluation_system"),
    ("The demand forecaster must answer the shop app in under 80 ms at 1,500 calls per second during sales.",
     "model_serving"),
    ("We retrain the churn model weekly and can never rebuild the one that went live in March.",
     "experiment_tracking"),
    ("Meter readings arrive as CSV from 40 utilities every night and must become clean training tables by 6 am.",
     "data_pipeline"),
    ("Can you recommend a good ergonomic office chair for long coding sessions?", GENERAL),
]


def test_reads_requests_it_was_not_trained_on() -> None:
    texts = [t for t, _ in UNSEEN]
    assert not set(texts) & set(training_set()[0])
    probs = [workflow_model.probabilities(t) for t in texts]
    read_as = [max(p, key=p.get) for p in probs if p is not None]
    right = sum(label == want for label, (_, want) in zip(read_as, UNSEEN))
    assert right >= len(UNSEEN) - 1, read_as


def test_routing_mixes_in_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    from support.reading import _loaded

    _, architect, skills = _loaded()
    scorer = routing._scorer(architect, skills)
    request = "We retrain the churn model weekly and can never rebuild the one that went live in March."
    mixed, _ = scorer.scores(request, context=True)
    assert abs(sum(mixed.values()) - 1.0) < 1e-9
    monkeypatch.setattr(workflow_model, "shipped_model", lambda: None)
    without, _ = scorer.scores(request, context=True)
    assert any(abs(mixed[k] - without[k]) > 1e-3 for k in mixed)


# a retrieval system described without the words the domain check knows: the model puts it in scope
NO_DOMAIN_WORDS = ("Residents should ask the council's website about permits and bin collection and get the answer "
                   "from our bylaws, with the paragraph quoted.")


def test_a_request_without_domain_words_the_model_reads_clearly_is_in_scope(monkeypatch: pytest.MonkeyPatch) -> None:
    assert route(NO_DOMAIN_WORDS) == "rag_system"
    monkeypatch.setattr(workflow_model, "shipped_model", lambda: None)
    assert route(NO_DOMAIN_WORDS) == GENERAL  # the word lists alone leave it out of scope


def test_a_request_that_rules_ml_out_stays_out_of_scope() -> None:
    assert route("Plain reporting, no AI whatsoever: we want to search our old support tickets by keyword.") == GENERAL
