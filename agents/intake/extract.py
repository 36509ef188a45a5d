"""Interim bridge: Requirements from the old fact extractor (replaced by the full extractor)."""

from __future__ import annotations

from mlarchitect.agents.request_facts import extract_facts
from mlarchitect.requirements import Fact, Latency, Quantity, Requirements


def extract_requirements(text: str) -> Requirements:
    f = extract_facts(text)
    ev = f.evidence
    req = Requirements(document_types=f.document_types)
    upd: dict = {}
    if f.documents is not None:
        upd["corpus"] = Fact.said(Quantity(amount=f.documents, unit=f.document_unit or "documents"), ev["documents"])
    if f.requests_per_second is not None:
        upd["requests_per_day"] = Fact.said(f.requests_per_second * 86400, ev["requests_per_second"])
        upd["peak_rps"] = Fact.said(f.requests_per_second, ev["requests_per_second"])
    if f.latency_target_s is not None:
        upd["latency"] = Fact.said(Latency(seconds=f.latency_target_s, percentile=f.latency_percentile or "p95"),
                                   ev["latency_target_s"])
    if f.monthly_budget_usd is not None:
        upd["monthly_budget_usd"] = Fact.said(f.monthly_budget_usd, ev["monthly_budget_usd"])
    if f.team_size is not None:
        upd["team_size"] = Fact.said(f.team_size, ev["team_size"])
    if f.users is not None:
        upd["users"] = Fact.said(f.users, ev["users"])
    if f.events_per_day is not None:
        upd["events_per_day"] = Fact.said(f.events_per_day, ev["events_per_day"])
    return req.model_copy(update=upd)


def amend_requirements(previous: Requirements, followup: str) -> tuple[Requirements, list[str]]:
    new = extract_requirements(followup)
    update = {k: v for k, v in new.stated_facts().items()}
    return previous.model_copy(update=update), [f"{k}: {v.quote}" for k, v in update.items()]
