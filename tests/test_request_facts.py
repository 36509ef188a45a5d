from __future__ import annotations

import pytest

from mlarchitect.agents.request_facts import extract_facts


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("answers from 30,000 internal Confluence pages and PDFs", {"documents": 30000, "document_unit": "pages"}),
        ("an endpoint handling 200 requests per second", {"requests_per_second": 200.0}),
        ("1.5k qps with p95 under 800 ms", {"requests_per_second": 1500.0, "latency_target_s": 0.8}),
        ("latency under 2 seconds and a budget of $500 a month", {"latency_target_s": 2.0, "monthly_budget_usd": 500.0}),
        ("1M requests/day, 300ms p99", {"requests_per_day": 1_000_000.0, "latency_target_s": 0.3, "latency_percentile": "p99"}),
        ("a team of 4 and $12k per year", {"team_size": 4, "monthly_budget_usd": 1000.0}),
        ("5,000 users ask 20 questions per day", {"users": 5000, "requests_per_day": 100_000.0}),
        ("50k events per second, 10 TB of history", {"events_per_day": 4_320_000_000.0, "data_volume_gb": 10240.0}),
    ],
)
def test_numbers_are_read_with_their_units(request_text: str, expected: dict) -> None:
    facts = extract_facts(request_text)
    for key, value in expected.items():
        got = getattr(facts, key)
        assert got == pytest.approx(value), key
        assert key in facts.evidence or key in ("document_unit", "requests_per_day", "latency_percentile")


def test_no_numbers_means_no_facts() -> None:
    facts = extract_facts("Design experiment tracking so results can be reproduced.")
    assert facts.evidence == {}
    assert facts.requests_per_second is None and facts.documents is None


def test_durations_are_not_mistaken_for_traffic() -> None:
    facts = extract_facts("a chatbot; latency under 2 seconds and a budget of $500 a month")
    assert facts.requests_per_second is None
