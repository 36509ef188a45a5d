"""Routing and handoffs on typos, short, vague, mixed and out-of-scope requests
(tests/data/routing_dev2.jsonl and cases written here), the spelling normaliser, and
designs of one workflow that follow their request (bounded line overlap)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.handoffs import plan_handoffs
from mlarchitect.agents.routing import normalise, route_request
from mlarchitect.agents.spelling import Speller, _delete_index, _deletes, edit_distance
from mlarchitect.skills.registry import load_skill_catalog

CATALOG = load_catalog()
ARCHITECT = CATALOG.agents["ml-system-architect"]
SKILLS = load_skill_catalog()
DEV2 = [json.loads(line) for line in
        (Path(__file__).parent / "data" / "routing_dev2.jsonl").read_text().splitlines() if line.strip()]


def _handoffs(text: str) -> list[str]:
    return sorted(p.agent for p in plan_handoffs(text, ARCHITECT, CATALOG))


# --- the spelling normaliser ---------------------------------------------------------------------

def test_edit_distance_counts_a_transposition_as_one_edit() -> None:
    assert edit_distance("desing", "design", 2) == 1
    assert edit_distance("pipline", "pipeline", 2) == 1
    assert edit_distance("kitten", "sitting", 2) == 3  # above the limit: limit + 1
    assert edit_distance("abc", "abcdefg", 2) == 3


def test_speller_corrects_domain_words_and_keeps_english_and_inflections() -> None:
    speller = Speller(["retrieval pipeline kubernetes evaluation", "plus", "files"], known_words=["plug", "the", "into", "fix"])
    assert speller.normalise("retreival pipline on kubernets") == "retrieval pipeline on kubernetes"
    assert speller.normalise("Evalution") == "evaluation"
    assert speller.normalise("it plugs into") == "it plugs into"  # an inflection of a known word
    assert speller.normalise("ranked fixes") == "ranked fixes"  # "fix" + "es", not a typo of "files"
    assert speller.normalise("abcdefgh qwerty") == "abcdefgh qwerty"  # nothing close: unchanged
    assert speller.normalise("3rd v2 k8s") == "3rd v2 k8s"


def test_rare_misspellings_in_the_domain_texts_are_not_domain_words() -> None:
    speller = Speller(["pipeline pipeline pipeline pipline", "retrieval retrieval retreival", "kubernetes"],
                      known_words=["the"])
    assert {"pipeline", "retrieval", "kubernetes"} <= speller.domain
    assert not {"pipline", "retreival"} & speller.domain
    assert speller.normalise("the pipline") == "the pipeline"


def test_the_delete_index_holds_the_suspects_keys_and_every_word_that_shares_one() -> None:
    index = _delete_index(["pipeline", "pipline", "piper", "retrieval"], ["pipline"])
    assert set(index) <= _deletes("pipline")
    assert index["pipline"] == ["pipeline", "pipline"]
    assert {w for words in index.values() for w in words} == {"pipeline", "pipline"}


def test_the_domain_vocabulary_is_what_a_full_delete_index_gives() -> None:
    """Typos among the bank's words are found with an index of the suspects' keys only: the
    same as indexing every word's keys."""
    from mlarchitect.agents.example_bank import example_bank
    from mlarchitect.agents.spelling import MIN_LENGTH, tokenizer_words

    bank = example_bank()
    texts = [s for ts in bank["workflows"].values() for s in ts] + bank["general"] + bank["vocabulary"] * 3
    speller = Speller(texts, tokenizer_words())
    full: dict[str, list[str]] = {}
    for word in speller.frequency:
        for key in _deletes(word):
            full.setdefault(key, []).append(word)
    typos = {w for w in speller.frequency if w not in speller.english and len(w) >= MIN_LENGTH
             and speller._commoner(w, full) != w}
    assert typos and speller.domain == frozenset(speller.frequency) - typos


@pytest.mark.parametrize(("typed", "meant"), [
    ("pls desing a retreival system over our databse", "design a retrieval system over our database"),
    ("infernce on kubernets with autoscalling", "inference on kubernetes with autoscaling"),
    ("evalution of the new promt", "evaluation of the new prompt"),
    ("data pipline into the feture store", "data pipeline into the feature store"),
])
def test_requests_are_normalised_against_the_definitions(typed: str, meant: str) -> None:
    assert meant in normalise(typed, ARCHITECT, SKILLS)


# --- routing ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "workflow"), [
    ("retreival augmentd generation over our HR polcies", "rag_system"),
    ("evalution harnes for the summarizer with regresion checks", "evaluation_system"),
    ("servng a fraud modle behind an endpont, 5k rps", "model_serving"),
    ("experiement trackng and a modle registery for 6 researchers", "experiment_tracking"),
    ("ingestoin pipline from kafka into a feture store", "data_pipeline"),
])
def test_typo_laden_requests_route_to_their_workflow(text: str, workflow: str) -> None:
    assert route_request(text, ARCHITECT, SKILLS).workflow == workflow


@pytest.mark.parametrize("text", [
    "What's the best way to learn the guitar as an adult?",
    "Draft a wedding speech for my brother",
    "Is it going to rain in Hamburg on Saturday?",
    "Write a SQL query that lists customers by revenue",
    "good morning!",
])
def test_out_of_scope_requests_still_go_to_general(text: str) -> None:
    assert route_request(text, ARCHITECT, SKILLS).workflow == "general"


def test_the_second_dev_set_is_varied_and_routes_well() -> None:
    """A floor, not the figure: the dev set is tuned on, so the floor is well above chance
    and below what the code scores today (a regression shows, tuning noise does not)."""
    styles = {re.sub(r"-\d+$", "", c["id"].removeprefix("d2-")) for c in DEV2}
    assert len(DEV2) >= 60 and {"rag-typo", "oos", "mix", "ho-ui", "ho-sec", "ho-perf"} <= styles
    routed = sum(route_request(c["request"], ARCHITECT, SKILLS, extract_requirements(c["request"])).workflow
                 == c["workflow"] for c in DEV2)
    handed = sum(_handoffs(c["request"]) == sorted(c["handoffs"]) for c in DEV2)
    assert routed / len(DEV2) >= 0.85
    assert handed / len(DEV2) >= 0.9


# --- handoffs asked for without naming the agent -------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("Design a RAG bot over the handbook and build a simple web front-end for employees to chat with it",
     ["llm-app-engineer"]),
    ("Design the data pipeline for loan applications and tell us where applicants' personal data could leak",
     ["security-and-privacy-engineer-ml"]),
    ("Our running chatbot became slow at peak and the model bill tripled; find the bottleneck and rank the fixes",
     ["performance-and-cost-engineer-llm"]),
    ("Design serving for the ranker and set up its kubernets deployment", ["mlops-ai-engineer"]),
])
def test_handoffs_asked_for_in_other_words(text: str, expected: list[str]) -> None:
    assert _handoffs(text) == expected


@pytest.mark.parametrize("text", [
    "RAG over 20k spec sheets; Postgres is our only database and we may not add another one",
    "Patient data feed for a risk model; HIPAA, data must stay in our AWS account",
    "Design model serving for our scorer on Kubernetes with p99 under 40 ms",
    "Labels arrive a month after the loan is granted; build training sets without leaking the future",
])
def test_constraints_and_prohibitions_are_no_handoff(text: str) -> None:
    assert _handoffs(text) == []


# --- designs follow their request ----------------------------------------------------------------

def _lines(markdown: str) -> set[str]:
    return {line.strip() for line in markdown.splitlines() if line.strip() and re.search(r"[A-Za-z0-9]", line)}


def test_two_very_different_designs_of_one_workflow_share_a_bounded_part(settings) -> None:  # noqa: ANN001
    from mlarchitect.api import design

    small = design("Q&A over my 2,000 personal notes on my laptop, local models only", settings=settings,
                   offline=True)
    large = design("Answer engine for 400 support agents over 3 million tickets, 50 questions per second at "
                   "peak, p95 under 1.5 s, budget $20,000 a month", settings=settings, offline=True)
    assert small.workflow == large.workflow == "rag_system"
    a, b = _lines(small.to_markdown()), _lines(large.to_markdown())
    assert len(a & b) / min(len(a), len(b)) <= 0.6
    flows = [f"{f.source} → {f.target}: {f.description}" for f in large.data_flows]
    assert any("3,000,000" in f for f in flows)  # the flows carry this request's volumes


@pytest.mark.parametrize(("typed", "read"), [
    ("Wir brauchen eine Datenpipeline", "data pipeline"),
    ("Modellbereitstellung auf Kubernetes", "model deployment"),
    ("ein Vorhersagemodell für die Filialen", "prediction model"),
])
def test_compounds_of_glossary_words_are_read_as_their_parts(typed: str, read: str) -> None:
    from mlarchitect.agents.scope import gloss

    assert read in gloss(typed)


@pytest.mark.parametrize("word", ["databases", "internationalization", "understanding"])
def test_other_long_words_are_not_split(word: str) -> None:
    from mlarchitect.agents.scope import gloss

    assert gloss(word) == word


def test_a_glossary_word_is_read_whole_not_as_a_compound() -> None:
    from mlarchitect.agents.scope import gloss

    assert gloss("Datenbank") == "database"  # not "data bank"
