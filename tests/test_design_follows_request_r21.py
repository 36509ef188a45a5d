"""Round 21: asks for sibling work written in another language, where the English action rules see
nothing; questions that count the asker's own data; document corpora named in other words; models that
run in the browser; the data catalog a team already runs; metrics a request names without a target; and
a size limit on what ships read as data. Requests written for these tests."""

from __future__ import annotations

import pytest
from mlarchitect.agents.api import design
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.config import Settings
from mlarchitect.render_markdown import render_markdown

from support.reading import components, handoffs, route

SERVING = "mlarchitect.skills.model_serving"


# --- asks in other languages ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "agents"), [
    ("Nous avons un assistant RAG pour nos notices de maintenance. Proposez une méthode d'évaluation, puis "
     "mettez en place le harnais de tests et la porte qualité dans notre CI.", ["evaluation-engineer"]),
    ("Queremos un pipeline que limpie los pedidos de 300 tiendas cada noche. Cuando el diseño esté listo, "
     "conviértanlo en código Python.", ["llm-app-engineer"]),
    ("Wir betreiben ein Bildmodell an 4 Fertigungslinien ohne Cloud-Zugang. Bitte plant auch, wie wir das Modell "
     "auf die Industrie-PCs paketieren, ausrollen und Updates einspielen.", ["mlops-ai-engineer"]),
])
def test_an_ask_written_in_another_language_is_handed_on(text: str, agents: list[str]) -> None:
    assert handoffs(text) == agents


@pytest.mark.parametrize("text", [
    # a question the design answers, not work for the cost engineer
    "Abbiamo un classificatore BERT per i reclami, 40 richieste al secondo, tutto on-premise. Come lo serviamo, "
    "e che latenza possiamo aspettarci su sola CPU?",
    # a wish for the evaluation system itself, not work for the harness builder
    "Temos um assistente jurídico. Queremos combinar avaliação humana por amostragem com um juiz automático, "
    "e rodar tudo antes de cada nova versão.",
])
def test_a_question_or_wish_in_another_language_is_the_design_not_a_handoff(text: str) -> None:
    assert handoffs(text) == []


# --- routing --------------------------------------------------------------------------------------


def test_a_question_that_counts_the_askers_own_data_asks_for_a_design() -> None:
    assert route("What's a sensible offline metric suite for a yield model for greenhouse tomatoes? "
                 "Random forest, ~60k historical harvest records.") == "evaluation_system"
    assert route("What's the difference between precision and recall?") == "general"


# --- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "amount"), [
    ("A RAG assistant over ~30k locomotive maintenance task cards for the depot staff.", 30_000),
    ("Un assistente per cercare tra circa 12.000 delibere del consiglio comunale.", 12_000),
    ("Un asistente sobre 4.500 sentencias del tribunal, con citas.", 4_500),
])
def test_document_collections_named_in_other_words_are_the_corpus(text: str, amount: int) -> None:
    corpus = extract_requirements(text).corpus
    assert corpus is not None and corpus.value.amount == amount and corpus.value.unit == "documents"
    assert extract_requirements("The meeting took 90 minutes.").corpus is None


def test_a_daily_rate_stated_per_site_is_multiplied_by_the_sites() -> None:
    images = extract_requirements("We run 9 bakeries, each producing 1,500 loaf photos a day for the defect model.")
    assert images.events_per_day is not None and images.events_per_day.value == 13_500
    calls = extract_requirements("20 call centres, each handling about 3,000 calls per day, need a summariser.")
    assert calls.requests_per_day is not None and calls.requests_per_day.value == 60_000
    german = extract_requirements("Unsere Kasse hat 11 Filialen, jede bearbeitet etwa 700 Anträge pro Tag (LightGBM).")
    assert german.requests_per_day is not None and german.requests_per_day.value == 7_700
    french = extract_requirements("Notre mutuelle a 12 agences ; chaque agence traite environ 400 sinistres par jour.")
    assert french.requests_per_day is not None and french.requests_per_day.value == 4_800
    total = extract_requirements("Our 5 warehouses take 2,000 photos a day.").events_per_day
    assert total is not None and total.value == 2_000  # no "each": a total


def test_a_size_limit_on_what_ships_is_not_data() -> None:
    assert extract_requirements("a spam classifier that must stay under 8 MB").data_volume_gb is None
    assert extract_requirements("a 40 MB model on the phones").data_volume_gb is None
    volume = extract_requirements("about 300 GB of images to label").data_volume_gb
    assert volume is not None and volume.value == 300


def test_a_metric_named_without_a_target_is_a_criterion_not_a_target_of_zero() -> None:
    req = extract_requirements("Log every run of our reranker with its nDCG@10 and MRR on 3 held-out sets.")
    assert [f.value for f in req.quality_criteria] == ["nDCG@10", "MRR"]
    assert req.metric_targets == []
    targets = extract_requirements("Ship only if WER stays below 9%.").metric_targets
    assert [f.value for f in targets] == ["wer ≤ 9%"]


def test_a_named_metric_is_logged_on_every_tracked_run(settings: Settings) -> None:
    md = render_markdown(design("Track every fine-tuning run of our Welsh speech recogniser with its CER on four "
                                "test sets, and compare runs side by side.", settings=settings))
    assert "the metrics the request names (CER) per evaluation set on every run" in md


def test_a_data_catalog_the_team_runs_is_part_of_the_stack(settings: Settings) -> None:
    text = ("Our churn feature pipeline must register every dataset in the company's Alation catalog, "
            "next to the Kafka topics the other domains publish.")
    assert {f.value for f in extract_requirements(text).existing_stack} >= {"alation", "kafka"}
    assert "Alation" in render_markdown(design(text, settings=settings))


# --- what the design holds ------------------------------------------------------------------------


def test_a_model_that_runs_in_the_browser_ships_with_the_page(settings: Settings) -> None:
    text = "a small toxicity classifier inside our Chrome extension, running client-side in WebAssembly"
    assert extract_requirements(text).edge_devices is not None
    chosen = components(SERVING, "model_serving", text)
    assert "ONNX Runtime Web" in chosen["Inference service"]
    assert "browsers" in chosen["Compute platform"] and "Mender" not in chosen["Compute platform"]
    md = render_markdown(design(text, settings=settings))
    assert "TensorRT on each device" not in md.split("## Alternatives")[0]
