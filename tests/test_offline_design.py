"""The offline engine end to end through the public entry point."""

from __future__ import annotations

import json

import pytest

from conftest import checklist_coverage, load_jsonl
from mlarchitect.agents.api import design
from mlarchitect.render_markdown import render_markdown
from mlarchitect.config import Settings

DEV = load_jsonl("dev_requests.jsonl")

# Other phrasings of the five workflows (not in the dev set).
PARAPHRASES = [
    ("rag_system", "Build a question answering assistant over 12k support tickets and our help-center articles"),
    ("evaluation_system", "We need a way to measure the quality of our LLM summaries and catch regressions before release"),
    ("model_serving", "How should we deploy our fraud model as an API with 50 ms p99 latency at 3,000 rps?"),
    ("experiment_tracking", "Our researchers run hundreds of training runs with different hyperparameters; set up tracking and a model registry"),
    ("data_pipeline", "Ingest clickstream from Kafka, validate it, and build features for our churn model with a feature store"),
]


@pytest.mark.parametrize("case", DEV, ids=[c["id"] for c in DEV])
def test_dev_requests_route_and_cover_their_checklist(case: dict, settings: Settings) -> None:
    result = design(case["request"], settings=settings)
    assert result.workflow == case["workflow"]
    assert set(case["skills"]) <= set(result.skills_used)
    assert sorted(h.agent for h in result.handoffs) == sorted(case["handoffs"])
    coverage, missing = checklist_coverage(render_markdown(result), case["workflow"])
    assert coverage >= 0.85, missing
    assert result.sources, "designs cite the knowledge-base documents they drew on"
    assert result.provenance.offline and result.provenance.model == "offline"


@pytest.mark.parametrize(("workflow", "request_text"), PARAPHRASES)
def test_other_phrasings(workflow: str, request_text: str, settings: Settings) -> None:
    result = design(request_text, settings=settings)
    assert result.workflow == workflow
    coverage, missing = checklist_coverage(render_markdown(result), workflow)
    assert coverage >= 0.85, missing


def test_numbers_in_the_request_size_the_design(settings: Settings) -> None:
    small = design("A RAG assistant over 2,000 PDF pages", settings=settings)
    big = design("A RAG assistant over 2,000,000 PDF pages", settings=settings)

    def chunks(d):  # noqa: ANN001, ANN202
        return next(c for c in d.sizing if c.name == "Chunks")

    assert chunks(big).value == pytest.approx(chunks(small).value * 1000, rel=0.01)
    corpus = next(c for c in big.sizing if c.name == "Corpus tokens")
    assert "2,000,000 pages" in corpus.formula and corpus.from_request


def test_budget_is_checked_and_latency_target_carried(settings: Settings) -> None:
    result = design("A chatbot over our product manuals; 40,000 questions per day, latency under 2 seconds, "
                    "budget of $50 a month", settings=settings)
    cost = result.cost_analysis
    assert cost.budget_usd == 50 and cost.within_budget is False
    assert any("exceeds" in r.risk for r in result.risks)
    monthly = next(i for i in result.cost_analysis.items if i.item.startswith("Model calls"))
    assert "40,000 req/day" in monthly.basis
    assert "≤ 2 s" in result.summary


def test_a_big_bill_against_a_small_estimate_on_an_assumed_load_says_so(settings: Settings) -> None:
    text = "Our LLM bill went from $3k to $11k a month for the support bot over our help center; redesign it."
    assumed = design(text, settings=settings)
    notes = [*assumed.cost_analysis.assumptions, *assumed.cost_analysis.optimizations]
    assert any("assumed load" in r for r in notes), notes
    stated = design(text.replace("; redesign", ", 500,000 questions a day; redesign"), settings=settings)
    assert not any("assumed load" in r for r in [*stated.cost_analysis.assumptions, *stated.cost_analysis.optimizations])


def test_serving_replicas_follow_the_traffic(settings: Settings) -> None:
    low = design("Serving architecture for an LLM classification endpoint at 20 requests per second", settings=settings)
    high = design("Serving architecture for an LLM classification endpoint at 2,000 requests per second", settings=settings)

    def replicas(d):  # noqa: ANN001, ANN202
        return next(c.value for c in d.sizing if c.name == "Replicas")

    assert replicas(high) > replicas(low) >= 2
    assert high.serving_specification is not None
    assert any("2,000 requests per second" in s for s in high.serving_specification.slos)


def test_deliverable_json_has_the_contract_fields(settings: Settings) -> None:
    data = design("Design a data pipeline for sensor events", settings=settings).model_dump(mode="json")
    for key in ("request", "workflow", "summary", "components", "data_flows", "diagram_mermaid", "skills_used",
                "handoffs", "sources", "risks", "cost_analysis", "provenance"):
        assert key in data
    for key in ("model", "offline", "prompt_version", "kb_version", "llm_calls", "tokens", "duration_s"):
        assert key in data["provenance"]
    assert data["diagram_mermaid"].startswith("flowchart LR")
    assert data["provenance"]["kb_version"] not in ("", "none")


def test_unclassifiable_request_gets_a_general_design(settings: Settings) -> None:
    result = design("Help me plan our company's first ML system for fraud", settings=settings)
    assert result.workflow == "general"
    assert result.steps and result.components


def test_same_request_same_design(settings: Settings) -> None:
    one = design("Design experiment tracking for 3 researchers", settings=settings)
    two = design("Design experiment tracking for 3 researchers", settings=settings)
    assert one.model_dump(exclude={"provenance"}) == two.model_dump(exclude={"provenance"})


def test_a_document_you_add_is_cited_when_it_is_about_the_request(tmp_path, capsys) -> None:
    """User documents compete with a skill's own patterns on relevance (``design kb add`` → ``sources``)."""
    from mlarchitect.tui.cli import main

    runbook = tmp_path / "zebracorn-runbook.md"
    runbook.write_text(
        "# Zebracorn wiki runbook: ingestion and indexing pipeline\n\n"
        "Our Zebracorn wiki ingestion and indexing pipeline pulls pages from the Zebracorn wiki export every night. "
        "Lay out the ingestion and indexing pipeline this way: the Zebracorn exporter writes pages to a bucket, "
        "the indexing pipeline chunks Zebracorn pages on headings and re-indexes only changed pages.\n\n"
        "## Retrieval path for Zebracorn\n\n"
        "Design the retrieval path with hybrid search over the Zebracorn index; Zebracorn page titles are boosted.\n")
    kb_dir = tmp_path / "kb"
    main(["kb", "--kb-dir", str(kb_dir), "add", str(runbook), "--json"])
    assert json.loads(capsys.readouterr().out)["added"] == [str(runbook.resolve())]
    result = design("Design a RAG assistant over the Zebracorn wiki for 300 engineers",
                    kb_dir=kb_dir, data_dir=tmp_path / "data")
    assert any(source.startswith("user:zebracorn-runbook-") for source in result.sources), result.sources
