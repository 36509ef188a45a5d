"""Round 17: the speller keeps real words of English and the six other languages ("keine",
"nicht", "openapi", "por fases") instead of "correcting" them to domain words; a glossary of
everyday words of those languages reads foreign requests; a stated "no LLM" or "laptops only"
in another language is read; a check on what the output must do ("stays in character") is a
quality criterion; a work product the request says is done is not asked for. Requests written
for these tests."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents.scope import gloss
from mlarchitect.agents.spelling import Speller
from mlarchitect.config import Settings
from mlarchitect.render_markdown import render_markdown

from support.reading import _loaded, handoffs, route

# --- the speller -------------------------------------------------------------------------------


def _routing_speller() -> Speller:
    from mlarchitect.agents.routing import _scorer

    _, architect, skills = _loaded()
    return _scorer(architect, skills).speller


@pytest.mark.parametrize("word", [
    "keine", "nicht", "brauchen", "fases", "eigen", "lectura",  # German, Spanish, Dutch words
    "logistic", "negotiable", "linkage", "parity",  # English words outside the tokenizer
    "openapi", "faiss", "async", "resnet",  # technical names
])
def test_the_speller_keeps_real_words(word: str) -> None:
    assert _routing_speller().normalise(word) == word


@pytest.mark.parametrize(("typed", "meant"), [
    ("retreival", "retrieval"), ("pipline", "pipeline"), ("evalute", "evaluate"), ("latancy", "latency"),
])
def test_the_speller_still_corrects_misspelt_domain_words(typed: str, meant: str) -> None:
    assert _routing_speller().normalise(typed) == meant


def test_a_word_with_an_accent_is_one_word_and_an_elided_article_is_kept() -> None:
    speller = Speller(["retrieval architecture metrics"], known_words=["the"])
    assert speller.normalise("métricas") == "metrics"  # one word, not "m" + "tricas" → "m" + "metrics"
    assert speller.normalise("l'architecure") == "l'architecture"  # the word after the article is corrected
    assert speller.normalise("we're") == "we're"  # was "were"


def test_the_dictionary_answers_membership_and_holds_the_seven_languages() -> None:
    from mlarchitect.agents.dictionary_words import WordSet, dictionary_words, hashes_of, word_hash

    words = dictionary_words()
    assert len(words) > 100_000
    assert all(w in words for w in ["keine", "nicht", "logistic", "fases", "données"])
    assert "retreival" not in words and "pipline" not in words
    small = WordSet(hashes_of(["alpha", "gamma"]))
    assert "alpha" in small and "gamma" in small and "beta" not in small and 3 not in small
    # the file is written by one process and read by others: the hash must not vary per process (as hash() does)
    other = subprocess.run([sys.executable, "-c", "from mlarchitect.agents.dictionary_words import word_hash; "
                            "print(word_hash('alpha'))"], capture_output=True, text=True, check=True)
    assert int(other.stdout) == word_hash("alpha") != word_hash("gamma")


def test_the_shipped_dictionary_is_what_the_word_lists_give() -> None:
    pytest.importorskip("spellchecker")
    from mlarchitect.agents.dictionary_words import file_path, hashes_of, source_words

    shipped = np.load(file_path(), allow_pickle=False)
    assert np.array_equal(shipped, hashes_of(source_words())), (
        "agents/dictionary_words.npy is stale: run python -m mlarchitect.agents.dictionary_words")


# --- foreign requests --------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "read"), [
    ("la mise en production du modèle", "deployment"),
    ("die Urteile und Gutachten", "judgments"),
    ("la puesta en marcha del sistema", "launch"),
])
def test_everyday_words_of_other_languages_are_glossed(typed: str, read: str) -> None:
    assert read in gloss(typed)


@pytest.mark.parametrize("text", [
    "Abbiamo un modello di visione che trova difetti sulle piastrelle. Vogliamo metriche per tipo di difetto. "
    "Solo ML classico, nessun LLM.",
    "Wir bewerten ein Modell für Kreditausfälle, kein LLM, nur Gradient Boosting.",
])
def test_no_llm_said_in_another_language_is_classic_ml(text: str) -> None:
    kind = extract_requirements(text).model_kind
    assert kind is not None and kind.value == "classic_ml"


def test_images_counted_in_italian_are_the_corpus() -> None:
    corpus = extract_requirements("Un test set fisso di 3.000 immagini di piastrelle, metriche per tipo di difetto.").corpus
    assert corpus is not None and corpus.value.amount == 3000 and corpus.value.unit == "images"


@pytest.mark.parametrize("text", [
    "Experiment-Tracking für 3 Leute, nur Laptops, kostenlos – was nehmen?",
    "Experiment tracking for our two students, laptops only.",
])
def test_laptops_only_is_one_machine(text: str) -> None:
    deployment = extract_requirements(text).deployment
    assert deployment is not None and deployment.value == "single_machine"


def test_a_corpus_clause_keeps_a_foreign_request_on_its_documents() -> None:
    assert route("Wir möchten einen internen Assistenten für unsere Rechtsabteilung bauen: ca. 85.000 Verträge als PDF "
                 "(teilweise eingescannt), 120 Nutzer, Betrieb ausschließlich in unserem Rechenzentrum.") == "rag_system"


# --- what the output must do ---------------------------------------------------------------------


def test_what_the_output_must_do_is_a_quality_criterion(settings: Settings) -> None:
    text = ("Small game studio. Our NPCs talk through a small LLM; how do we check the dialogue stays in character "
            "and never spoils quests?")
    criteria = [f.value for f in extract_requirements(text).quality_criteria]
    assert criteria == ["stays in character", "never spoils quests"]
    markdown = render_markdown(design(text, settings=settings))
    assert "One scorer per criterion the request names (stays in character, never spoils quests)" in markdown


def test_a_latency_check_is_no_quality_criterion() -> None:
    assert extract_requirements("Check that the model stays under 200 ms at peak.").quality_criteria == []


# --- work the request says is done -------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "We don't need tests or a security review (that was done last quarter). Just the retrieval design for our "
    "patent office: prior-art search over 1.1M patents.",
    "We've already defined the REST API and the unit tests are written. Missing piece: offline evaluation of our "
    "search ranking, NDCG@10 on 5k judged queries.",
    "Our unit tests already cover the transform functions, so skip that. Design the CDC pipeline from MySQL to "
    "BigQuery, about 200 tables.",
])
def test_work_the_request_says_is_done_is_not_handed_off(text: str) -> None:
    assert handoffs(text) == []


def test_tests_asked_for_are_still_handed_off() -> None:
    assert handoffs("We don't have a test suite yet: design the CDC pipeline and write the unit tests for the "
                    "transforms.") == ["write-unit-tests"]


def test_several_people_on_laptops_get_one_shared_tracking_store(settings: Settings) -> None:
    """Three people with laptops only: one machine each, so the design says how their runs are shared;
    one person on one box gets no such risk."""
    team = render_markdown(design("Experiment-Tracking für 3 Leute, nur Laptops, kostenlos – was nehmen?", settings=settings))
    assert "One tracking store for everyone" in team
    alone = render_markdown(design("Grad student, one GPU box under my desk, 20 experiments a week. Free and local, "
                                   "no cloud accounts.", settings=settings))
    assert "One tracking store for everyone" not in alone
