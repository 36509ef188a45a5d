"""Conditions on a request's requirements, written in blueprints as data.

A blueprint component, risk rule or section line carries ``when:`` (all must
hold) with keys such as ``mode: [batch]``, ``kind: [llm]``,
``document_types: [scanned]``, ``deployment: [air_gapped]``,
``self_hosted_only: true``, ``stack_only: true``, ``compliance: [gdpr, pii]``,
``team_max: 2``, ``team_min: 2`` (also when the team size is unknown), ``team_at_least: 10`` (a stated team only), ``people_min: 2`` (a stated team or user count), ``budget: true``, ``spend: true``, ``latency_max_s: 1.5``, ``latency_stated: true``, ``peak_max: 1`` (requests/s at peak),
``chosen: [option ids]``, ``not_chosen: [...]``, ``gpus: true``, ``multilingual: true``,
``live: true`` (the request says real users or traffic reach the system), ``edge: true`` (the model runs
on devices in the field), ``labelling: true`` (people label examples in the loop),
``tenants: true`` (customers share the system and must not see each other's data),
``data: [time_series, images]`` / ``data_not: [...]`` (what the data is), ``features: true`` (a pipeline
that computes feature tables for a trained model).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlarchitect.requirements import Requirements


# the document types that are file formats a parser reads (not traits such as scanned, or contents such as
# manuals), as a design lists them
FORMAT_NAMES = {"pdf": "PDF", "html": "HTML pages", "confluence": "Confluence pages", "markdown": "Markdown",
                "word": "Word documents", "slides": "slide decks", "tickets": "tickets", "email": "emails",
                "code": "source code", "spreadsheets": "spreadsheets", "transcripts": "transcripts"}


def _value(fact: Any) -> Any:
    return None if fact is None else fact.value


def _in(values: list[str], actual: Any) -> bool:
    return actual is not None and actual in values


_TESTS: dict[str, Callable[[Any, Requirements, set[str]], bool]] = {
    "mode": lambda v, r, _: _in(v, _value(r.mode)),
    "mode_not": lambda v, r, _: not _in(v, _value(r.mode)),
    "kind": lambda v, r, _: _in(v, _value(r.model_kind)),
    "kind_not": lambda v, r, _: not _in(v, _value(r.model_kind)),
    # LLM experiments that change prompts and settings only: nothing is trained
    "prompt_only": lambda v, r, _: (_value(r.model_kind) == "llm" and not _value(r.fine_tuning)) == bool(v),
    "document_types": lambda v, r, _: bool(set(v) & set(r.document_types)),
    "deployment": lambda v, r, _: _in(v, _value(r.deployment)),
    "deployment_not": lambda v, r, _: not _in(v, _value(r.deployment)),
    "self_hosted_only": lambda v, r, _: r.self_hosted_only == bool(v),
    "stack_only": lambda v, r, _: bool(_value(r.stack_only)) == bool(v),
    "stack": lambda v, r, _: bool(set(v) & r.stack()),
    "not_stack": lambda v, r, _: not (set(v) & r.stack()),
    "compliance": lambda v, r, _: bool(set(v) & {f.value for f in r.compliance}),
    "residency": lambda v, r, _: (r.data_residency is not None) == bool(v),
    "team_max": lambda v, r, _: r.team_size is not None and r.team_size.value <= v,
    "team_min": lambda v, r, _: r.team_size is None or r.team_size.value >= v,
    "team_at_least": lambda v, r, _: r.team_size is not None and r.team_size.value >= v,
    # a stated team or number of users of at least v ("tracking for 3 people", "a team of 3")
    "people_min": lambda v, r, _: (_value(r.people()) or 0) >= v,
    "budget": lambda v, r, _: (r.monthly_budget_usd is not None) == bool(v),
    "spend": lambda v, r, _: (r.current_monthly_spend_usd is not None) == bool(v),
    "latency_max_s": lambda v, r, _: r.latency is not None and r.latency.value.seconds <= v,
    "latency_stated": lambda v, r, _: (r.latency is not None and r.latency.stated) == bool(v),
    # the peak load in requests/s, stated or assumed: "peak_max: 1" for a quiet service
    "peak_max": lambda v, r, _: r.peak_rps is not None and r.peak_rps.value <= v,
    "chosen": lambda v, _r, c: bool(set(v) & c),
    "not_chosen": lambda v, _r, c: not (set(v) & c),
    "gpus": lambda v, r, _: (r.hardware is not None and r.hardware.value.gpus > 0) == bool(v),
    "multilingual": lambda v, r, _: (len(r.languages) > 1 or "multilingual" in r.languages) == bool(v),
    # a retention the request states (an assumed one-year default is no rule to enforce)
    "retention": lambda v, r, _: (r.retention_days is not None and r.retention_days.stated) == bool(v),
    "sources": lambda v, r, _: bool(r.data_sources) == bool(v),
    "destinations": lambda v, r, _: bool(r.destinations) == bool(v),
    "doc_sources": lambda v, r, _: any(f.value == "documents" for f in r.data_sources) == bool(v),
    "formats": lambda v, r, _: bool(set(r.document_types) & set(FORMAT_NAMES)) == bool(v),
    "targets": lambda v, r, _: bool(r.metric_targets) == bool(v),
    "criteria": lambda v, r, _: bool(r.quality_criteria) == bool(v),
    "slices": lambda v, r, _: bool(r.slices) == bool(v),
    # what a classic model predicts (a class unless the request says a quantity or an order)
    "prediction": lambda v, r, _: _in(v, _value(r.prediction) or "classification"),
    "forecast": lambda v, r, _: r.forecasts() == bool(v),  # the model forecasts ("demand forecasts per store")
    "runs_min": lambda v, r, _: r.training_runs_per_month is not None and r.training_runs_per_month.value >= v,
    "labelled": lambda v, r, _: (r.labelled_examples is not None) == bool(v),
    "live": lambda v, r, _: r.has_live_traffic() == bool(v),
    "tenants": lambda v, r, _: (r.multi_tenant is not None and bool(r.multi_tenant.value)) == bool(v),
    "tools": lambda v, r, _: (r.tool_calling is not None and bool(r.tool_calling.value)) == bool(v),  # an agent acting through tools
    "labelling": lambda v, r, _: (r.human_labelling is not None and bool(r.human_labelling.value)) == bool(v),
    "edge": lambda v, r, _: (r.edge_devices is not None and bool(r.edge_devices.value)) == bool(v),
    "corpus_min": lambda v, r, _: r.corpus is not None and r.corpus.value.amount >= v,
    # what the data is (sensor readings, images, recordings ...): any of these kinds / none of them
    "data": lambda v, r, _: bool(set(v) & r.kinds()),
    "data_not": lambda v, r, _: not (set(v) & r.kinds()),
    # a pipeline that computes feature tables for a trained model (not media files, a vector index or LLM data)
    "features": lambda v, r, _: r.builds_features() == bool(v),
    "models_min": lambda v, r, _: r.model_count is not None and r.model_count.value >= v,
}


def holds(when: dict[str, Any] | None, req: Requirements, chosen: set[str]) -> bool:
    """Whether every condition in ``when`` holds (an empty condition always does)."""
    for key, expected in (when or {}).items():
        test = _TESTS.get(key)
        if test is None:
            raise ValueError(f"unknown condition {key!r}")
        if not test(expected, req, chosen):
            return False
    return True


def known_conditions() -> list[str]:
    return sorted(_TESTS)
