"""Typed requirements from a request, and their revision by follow-up turns.

:func:`extract_requirements` reads only what a request states (each value quotes
its span); :func:`amend_requirements` applies a follow-up chat turn ("make it
cheaper: $200 a month", "we now expect 10x the traffic", "drop the Redis cache")
to earlier requirements and says, line by line, what changed. Both are pure,
deterministic Python: no network and no model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from mlarchitect.agents.intake.reading import (
    Reading,
    named_compliance,
    named_stack,
    negated_stack,
    parse_number,
    read,
    to_requirements,
)
from mlarchitect.lazy_re import lazy_compile
from mlarchitect.requirements import Fact, Hardware, Latency, Quantity, Requirements

__all__ = ["extract_requirements", "amend_requirements", "parse_number"]


def extract_requirements(text: str) -> Requirements:
    """The requirements a request states, each quoting its span. Nothing is assumed."""
    return to_requirements(read(text))


# --------------------------------------------------------------------------- formatting

_LABELS = {
    "corpus": "corpus", "document_types": "document types", "data_kinds": "data", "batch_volume": "batch volume",
    "data_volume_gb_per_day": "data per day", "data_volume_gb": "data volume", "events_per_day": "events/day",
    "labelled_examples": "labelled examples", "training_runs_per_month": "training runs/month", "metric_targets": "quality targets", "quality_criteria": "quality criteria", "peak_rps": "peak load", "concurrency": "in flight at peak", "requests_per_day": "requests/day",
    "users": "users", "latency": "latency", "monthly_budget_usd": "budget",
    "current_monthly_spend_usd": "current spend", "team_size": "team size", "languages": "languages",
    "retention_days": "retention", "data_residency": "data residency", "compliance": "compliance",
    "hardware": "hardware", "deployment": "deployment", "cloud": "cloud", "cloud_region": "cloud region", "cloud_only": "that cloud only", "no_external_apis": "no external APIs",
    "existing_stack": "existing stack", "data_sources": "data sources", "destinations": "results go to", "stack_only": "existing stack only", "live_traffic": "live traffic", "open_source_only": "open source only", "european_providers_only": "European providers only", "online_features": "online features", "edge_devices": "runs on edge devices", "human_labelling": "human labelling", "multi_tenant": "multi-tenant", "serverless_only": "serverless only", "mode": "mode",
    "model_kind": "model kind", "model_family": "model family", "model_params_b": "model size", "model_count": "models", "fine_tuning": "trains models", "prediction": "predicts", "slices": "broken down by",
    "baseline_rate": "baseline rate", "min_detectable_effect": "minimum detectable effect",
    "experiment_share": "traffic in the test",
    "positive_rate": "rare-class share",
    "other_figures": "other figures",
}


def _count(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0").rstrip(".")


def _hardware_text(hw: Hardware) -> str:
    parts: list[str] = []
    if hw.gpus or hw.gpu_model:
        memory = f" ({_count(hw.gpu_memory_gb)} GB)" if hw.gpu_memory_gb else ""
        parts.append(f"{hw.gpus}× {hw.gpu_model or 'GPU'}{memory}" if hw.gpus else f"{hw.gpu_model}{memory}")
    if hw.ram_gb:
        parts.append(f"{_count(hw.ram_gb)} GB RAM")
    if hw.cpu_only:
        parts.append("CPU only")
    return ", ".join(parts) or "none"


_FORMATTERS: dict[str, Callable[[Any], str]] = {
    "monthly_budget_usd": lambda v: f"${_count(v)}/month",
    "current_monthly_spend_usd": lambda v: f"${_count(v)}/month",
    "peak_rps": lambda v: f"{_count(v)} req/s",
    "requests_per_day": lambda v: f"{_count(v)}/day",
    "events_per_day": lambda v: f"{_count(v)}/day",
    "data_volume_gb": lambda v: f"{_count(v)} GB",
    "data_volume_gb_per_day": lambda v: f"{_count(v)} GB/day",
    "retention_days": lambda v: f"{_count(v)} days",
    "model_params_b": lambda v: f"{_count(v)}B",
    "baseline_rate": lambda v: f"{_count(v * 100)}%",
    "min_detectable_effect": lambda v: f"{_count(v * 100)}%",
    "experiment_share": lambda v: f"{_count(v * 100)}%",
}


def _show(name: str, value: Any) -> str:
    if value is None:
        return "not stated"
    if name in _FORMATTERS:
        return _FORMATTERS[name](value)
    if isinstance(value, Quantity):
        return f"{_count(value.amount)} {value.unit}"
    if isinstance(value, Latency):
        seconds = value.seconds
        shown = f"{_count(seconds * 1000)} ms" if seconds < 1 else f"{_count(seconds)} s"
        return f"{shown} {value.percentile}"
    if isinstance(value, Hardware):
        return _hardware_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _count(value)
    return str(value)


def _line(name: str, old: Any, new: Any, quote: str) -> str:
    return f"{_LABELS[name]}: {_show(name, old)} → {_show(name, new)} (“{quote}”)"


# --------------------------------------------------------------------------- the revision being built


@dataclass
class _Revision:
    values: dict[str, Any]
    changes: list[str]
    touched: set[str]
    dropped: set[tuple[str, str]] = field(default_factory=set)

    def value(self, name: str) -> Any:
        fact = self.values.get(name)
        return fact.value if isinstance(fact, Fact) else None

    def stated_value(self, name: str) -> Any:
        """The value only if it was stated: an assumed figure is never scaled into a stated one."""
        fact = self.values.get(name)
        return fact.value if isinstance(fact, Fact) and fact.stated else None

    def set(self, name: str, fact: Fact) -> None:
        old = self.value(name)
        if old == fact.value:
            return
        self.values[name] = fact
        self.touched.add(name)
        self.changes.append(_line(name, old, fact.value, fact.quote))

    def clear(self, name: str, quote: str) -> None:
        old = self.value(name)
        if old is None:
            return
        self.values[name] = None
        self.touched.add(name)
        self.changes.append(f"{_LABELS[name]}: {_show(name, old)} → removed (“{quote}”)")

    def drop_item(self, name: str, value: str, quote: str) -> None:
        items: list[Any] = self.values.get(name) or []
        kept = [i for i in items if (i.value if isinstance(i, Fact) else i) != value]
        if len(kept) != len(items):
            self.dropped.add((name, value))
            self.values[name] = kept
            self.touched.add(name)
            self.changes.append(f"{_LABELS[name]}: − {value} (“{quote}”)")

    def add_item(self, name: str, item: Any) -> None:
        items: list[Any] = list(self.values.get(name) or [])
        value = item.value if isinstance(item, Fact) else item
        if (name, value) in self.dropped or any((i.value if isinstance(i, Fact) else i) == value for i in items):
            return
        items.append(item)
        self.values[name] = items
        self.touched.add(name)
        quote = f" (“{item.quote}”)" if isinstance(item, Fact) and item.quote else ""
        self.changes.append(f"{_LABELS[name]}: + {value}{quote}")


# --------------------------------------------------------------------------- removals

# Lifting a constraint ("we no longer need to be air-gapped", "cloud is fine now") ...
_LIFT = lazy_compile(
    r"\b(?:drop|dropping|remove|removing|get rid of|(?:no longer|don't|do not|doesn't|does not|won't)\s+(?:need|have|require)|"
    r"not needed|scrap|forget|ignore|isn't needed|is not needed|not required|no need|not necessary|no longer (?:applies|matters?)|"
    r"(?:doesn't|does not|don't|do not) (?:matter|apply)|(?:is|are)\s+(?:now\s+)?(?:fine|ok|okay|allowed|acceptable)|"
    r"(?:we )?can (?:now )?use|now allowed|lift|relax)\b",
    re.I,
)
# Limits (budget, latency) are lifted only by words that drop them, not by "the budget is fine".
_LIFT_LIMIT = lazy_compile(
    r"\b(?:drop|remove|get rid of|forget|ignore|scrap|no (?:\w+ )?(?:limit|cap|requirement|constraint|target)s?|unlimited|"
    r"(?:doesn't|does not|don't|do not) matter|no longer (?:matters?|applies|a concern)|not a concern|not important)\b",
    re.I,
)
# ... and dropping a named item ("drop the Redis cache", "replace Redis with Kafka").
_DROP = lazy_compile(
    r"\b(?:drop|dropping|remove|removing|get rid of|no longer|don't|do not|stop using|without|scrap|forget|"
    r"replace|swap|switch from|move from|migrate from)\b"
    r"|(?P<post>\b(?:is|are)\s+(?:not|no longer)\s+(?:needed|required|used|necessary)|\b(?:isn't|aren't)\s+(?:needed|required|used|necessary))",
    re.I,
)
_AIR_GAP_WORD = lazy_compile(r"air[- ]?gap", re.I)
_ON_PREM_WORD = lazy_compile(r"\bon[- ]?prem\w*|\bown data[- ]?cent", re.I)
_CLOUD_WORD = lazy_compile(r"\b(?:the )?(?:public )?cloud\b|\baws\b|\bgcp\b|\bazure\b", re.I)
_EXTERNAL_WORD = lazy_compile(r"\bexternal (?:apis?|services)|\bopenai\b|\bhosted (?:models?|apis?|llms?)|\bsaas\b|\bthird[- ]party\b|\bapis?\b", re.I)
_BUDGET_WORD = lazy_compile(r"\bbudget\b|\bcost (?:cap|limit)\b", re.I)
_LATENCY_WORD = lazy_compile(r"\blatency\b|\bresponse time\b", re.I)
_ADDING = lazy_compile(r"\b(?:and|but|then|plus)\s+(?:add|use|keep|include|introduce|bring in|switch to)\b", re.I)
_SWAP = lazy_compile(r"\b(?:replace|swap|switch from|move from|migrate from)\s+(?P<old>.+?)\s+(?:with|for|by|to)\b", re.I)
_NEW_INFRA_WORD = lazy_compile(r"\bnew (?:infrastructure|infra|services?|databases?|datastores?|tools)\b", re.I)


def _release(revision: _Revision, followup: Reading, stated: set[str]) -> None:
    """Constraints the follow-up lifts or items it drops (not those it restates)."""
    for item, quote in negated_stack(followup):
        revision.drop_item("existing_stack", item, quote)
    for clause in followup.clauses:
        quote = followup.original(clause).strip(" ,.;:?!")
        text = followup.original(clause)
        if _LIFT.search(text) or _LIFT_LIMIT.search(text):
            _lift(revision, text, quote, stated)
        drop = _DROP.search(text)
        if drop:
            swap = _SWAP.search(text)
            if swap:
                scope = swap.group("old")
            elif drop.group("post"):
                scope = text[: drop.start()]  # "Redis is not needed"
            else:
                scope = _ADDING.split(text[drop.start() :])[0]
                if not (named_stack(scope) or named_compliance(scope)):
                    scope = text[: drop.start()]  # "GDPR no longer applies"
            _drop_items(revision, scope, quote)


def _drop_items(revision: _Revision, text: str, quote: str) -> None:
    for item in named_stack(text):
        revision.drop_item("existing_stack", item, quote)
    for item in named_compliance(text):
        revision.drop_item("compliance", item, quote)


def _lift(revision: _Revision, text: str, quote: str, stated: set[str]) -> None:
    deployment = revision.value("deployment")
    if "deployment" in stated:
        deployment = None
    if _AIR_GAP_WORD.search(text) and deployment == "air_gapped":
        revision.clear("deployment", quote)
        _release_external_from_deployment(revision, quote)
    if _ON_PREM_WORD.search(text) and deployment == "on_prem":
        revision.clear("deployment", quote)
    if _CLOUD_WORD.search(text) and deployment in ("on_prem", "air_gapped"):
        revision.clear("deployment", quote)
        _release_external_from_deployment(revision, quote)
    if _EXTERNAL_WORD.search(text) and revision.value("no_external_apis") and "no_external_apis" not in stated:
        revision.clear("no_external_apis", quote)
    limit_lifted = bool(_LIFT_LIMIT.search(text))
    if limit_lifted and _BUDGET_WORD.search(text) and "monthly_budget_usd" not in stated:
        revision.clear("monthly_budget_usd", quote)
    if limit_lifted and _LATENCY_WORD.search(text) and "latency" not in stated:
        revision.clear("latency", quote)
    if _NEW_INFRA_WORD.search(text) and revision.value("stack_only") and "stack_only" not in stated:
        revision.clear("stack_only", quote)


def _release_external_from_deployment(revision: _Revision, quote: str) -> None:
    fact = revision.values.get("no_external_apis")
    if isinstance(fact, Fact) and _AIR_GAP_WORD.search(fact.quote):
        revision.clear("no_external_apis", quote)


# --------------------------------------------------------------------------- scaling ("10x the traffic")

_FACTOR = lazy_compile(
    r"(?:(?<![\w.])(?P<x>\d+(?:\.\d+)?)\s?(?:x|×|times)(?![a-z])|(?P<pct>\d+(?:\.\d+)?)\s?%\s+(?P<dir>more|less|fewer|bigger|smaller|larger|higher|lower)"
    r"|\b(?P<w>(?:double[sd]?|doubling)(?![- ](?:check|click))|twice(?= (?:as|the)\b)|triple[sd]?|tripling|quadruple[sd]?|"
    r"(?<=in )half|(?<=by )half|halve[sd]?|halving|ten[- ]?fold)\b)",
    re.I,
)
_WORD_FACTORS = {"doubl": 2.0, "twice": 2.0, "tripl": 3.0, "quadrupl": 4.0, "half": 0.5, "halv": 0.5, "ten": 10.0}
# (what the follow-up names, the fields it scales, whether the factor divides: "3x faster")
_SCALE_TARGETS: list[tuple[re.Pattern[str], tuple[str, ...], bool]] = [
    (lazy_compile(r"\b(?:traffic|load|requests|queries|qps|rps|calls|searches|questions|usage|throughput)\b", re.I), ("peak_rps", "requests_per_day"), False),
    (lazy_compile(r"\b(?:users|customers|employees|user base|audience)\b", re.I), ("users",), False),
    (lazy_compile(r"\b(?:corpus|documents|docs|pages|notes|tickets|files|knowledge base|collection|pdfs)\b", re.I), ("corpus",), False),
    (lazy_compile(r"\b(?:data|storage|dataset)\b", re.I), ("data_volume_gb", "data_volume_gb_per_day"), False),
    (lazy_compile(r"\b(?:events|event volume|messages)\b", re.I), ("events_per_day",), False),
    (lazy_compile(r"\b(?:rows|records|batch(?:es)?)\b", re.I), ("batch_volume",), False),
    (lazy_compile(r"\bbudget\b", re.I), ("monthly_budget_usd",), False),
    (lazy_compile(r"\b(?:spend|bill|costs?)\b", re.I), ("current_monthly_spend_usd",), False),
    (lazy_compile(r"\b(?:team|(?:ml |data |software )?engineers?|developers?|devs|data scientists?|people|headcount)\b", re.I), ("team_size",), False),
    (lazy_compile(r"\b(?:faster|quicker|snappier)\b", re.I), ("latency",), True),
    (lazy_compile(r"\bcheaper\b", re.I), ("monthly_budget_usd",), True),
]
_INT_FIELDS = {"users", "team_size", "labelled_examples"}


def _factor(match: re.Match[str]) -> float:
    if match.group("x"):
        return float(match.group("x"))
    if match.group("pct"):
        share = float(match.group("pct")) / 100
        return 1 - share if match.group("dir").lower() in ("less", "fewer", "smaller", "lower") else 1 + share
    word = match.group("w").lower()
    return next(v for k, v in _WORD_FACTORS.items() if word.startswith(k))


@dataclass(frozen=True)
class _Target:
    fields: tuple[str, ...]
    inverse: bool
    start: int
    end: int


def _scale_target(text: str, match: re.Match[str]) -> _Target | None:
    """The fields a factor applies to: the target after it ("10x the traffic"), else before ("traffic will double")."""
    after = text[match.end() : match.end() + 40]
    before = text[max(0, match.start() - 40) : match.start()]
    best: _Target | None = None
    for pattern, fields, inverse in _SCALE_TARGETS:
        hit = pattern.search(after)
        if hit and (best is None or match.end() + hit.end() < best.end):
            best = _Target(fields, inverse, match.start(), match.end() + hit.end())
    if best is not None:
        return best
    for pattern, fields, inverse in _SCALE_TARGETS:
        hits = list(pattern.finditer(before))
        if hits:
            start = match.start() - len(before) + hits[-1].start()
            if best is None or start > best.start:
                best = _Target(fields, inverse, start, match.end())
    return best


def _scaled(value: Any, factor: float, name: str) -> Any:
    if isinstance(value, Quantity):
        return Quantity(amount=value.amount * factor, unit=value.unit)
    if isinstance(value, Latency):
        return Latency(seconds=value.seconds * factor, percentile=value.percentile)
    if name in _INT_FIELDS:
        return int(round(value * factor))
    return value * factor


def _scale(revision: _Revision, followup: Reading, stated: set[str]) -> None:
    for clause in followup.clauses:
        for match in _FACTOR.finditer(clause.text):
            target = _scale_target(clause.text, match)
            if target is None:
                continue
            followup.use((clause.start + match.start(), clause.start + match.end()))
            quote = followup.original(clause)[target.start : target.end]
            factor = 1 / _factor(match) if target.inverse else _factor(match)
            _apply_factor(revision, target.fields, factor, quote, stated)


def _apply_factor(revision: _Revision, fields: tuple[str, ...], factor: float, quote: str, stated: set[str]) -> None:
    scaled = False
    for name in fields:
        old = revision.stated_value(name)
        if name in stated or old is None:
            continue
        revision.set(name, Fact.said(_scaled(old, factor, name), quote))
        scaled = True
    if not scaled and not stated.intersection(fields):
        revision.changes.append(f"{_LABELS[fields[0]]}: ×{_count(factor)} asked, but no earlier figure to scale (“{quote}”)")


# --------------------------------------------------------------------------- deltas ("two more engineers")

_DELTA = lazy_compile(
    r"(?:\b(?P<verb>hired|hiring|hire|add|added|adding|plus|lost|losing|lose|minus|remove[ds]?)\s+)?"
    r"(?:(?<![\w.])(?P<n>\d[\d,]*(?:\.\d+)?\s?(?:k|m|million|thousand)?|one|two|three|four|five|six|seven|eight|nine|ten|a dozen)\s+)"
    r"(?P<dir>more|additional|extra|new|fewer|less)?\s*",
    re.I,
)
_DELTA_FIELDS = ("team_size", "users", "corpus")
_MINUS = ("lost", "losing", "lose", "minus", "removed", "remove", "removes", "fewer", "less")


def _delta_target(text: str, end: int) -> tuple[str, int] | None:
    for pattern, fields, inverse in _SCALE_TARGETS:
        hit = pattern.match(text, end)
        if hit and not inverse and fields[0] in _DELTA_FIELDS:
            return fields[0], hit.end()
    return None


def _deltas(revision: _Revision, followup: Reading) -> None:
    """Apply "two more engineers", "lost one engineer", "50k more tickets"; drop what the reading took from them."""
    for clause in followup.clauses:
        for match in _DELTA.finditer(clause.text):
            if not (match.group("verb") or match.group("dir")):
                continue
            target = _delta_target(clause.text, match.end())
            if target is None or revision.stated_value(target[0]) is None:
                continue
            name, end = target
            quote = followup.original(clause)[match.start() : end]
            taken = followup.facts.get(name)
            if taken is not None and taken.quote not in quote:
                continue  # a new figure was stated for it elsewhere
            followup.facts.pop(name, None)
            amount = parse_number(match.group("n"))
            sign = -1 if (match.group("verb") or "").lower() in _MINUS or (match.group("dir") or "").lower() in _MINUS else 1
            old = revision.value(name)
            new = Quantity(amount=old.amount + sign * amount, unit=old.unit) if isinstance(old, Quantity) else int(old + sign * amount)
            revision.set(name, Fact.said(new, quote))
            followup.use((clause.start + match.start("n"), clause.start + match.end("n")))


# --------------------------------------------------------------------------- intents without figures

_INTENTS: list[tuple[str, re.Pattern[str], str]] = [
    ("monthly_budget_usd", lazy_compile(r"\b(?:cheaper|less expensive|cut (?:the )?costs?|reduce (?:the )?costs?|lower (?:the )?costs?|save money|cost less|more affordable)\b", re.I), "asked to cost less"),
    ("latency", lazy_compile(r"\b(?:faster|quicker|lower latency|reduce (?:the )?latency|snappier|more responsive)\b", re.I), "asked to be faster"),
]


def _intents(revision: _Revision, followup: Reading) -> None:
    for name, pattern, wish in _INTENTS:
        if name in revision.touched:
            continue
        for clause in followup.clauses:
            if pattern.search(clause.text):
                kept = _show(name, revision.value(name))
                quote = followup.original(clause).strip(" ,.;:?!")
                revision.changes.append(f"{_LABELS[name]}: {wish}, no figure given (“{quote}”); still {kept}")
                break


# --------------------------------------------------------------------------- merging newly stated facts

_LIST_OF_FACTS = ("compliance", "existing_stack", "data_kinds")
_LIST_OF_STRINGS = ("document_types", "languages", "other_figures")


def _merge_hardware(revision: _Revision, fact: Fact[Hardware]) -> Fact[Hardware]:
    old = revision.value("hardware")
    if old is None:
        return fact
    update = {key: getattr(fact.value, key) for key in fact.value.model_fields_set}
    return Fact.said(old.model_copy(update=update), fact.quote)


def _merge(revision: _Revision, new: Requirements) -> None:
    for name in type(new).model_fields:
        value = getattr(new, name)
        if name in _LIST_OF_FACTS or name in _LIST_OF_STRINGS:
            for item in value:
                revision.add_item(name, item)
        elif isinstance(value, Fact):
            if name == "hardware":
                value = _merge_hardware(revision, value)
            if name == "deployment" and value.value != "cloud" and "cloud" not in _stated(new):
                revision.clear("cloud", value.quote)
            revision.set(name, value)


def _stated(req: Requirements) -> set[str]:
    return {name for name in type(req).model_fields if isinstance(getattr(req, name), Fact)}


def amend_requirements(previous: Requirements, followup: str) -> tuple[Requirements, list[str]]:
    """Apply a follow-up turn to ``previous``: the revised requirements and one line per change.

    Newly stated values replace old ones; "10x the traffic"/"double the corpus" scale
    the earlier stated figure (quoting the follow-up); "drop the Redis cache",
    "cloud is fine now" lift what they name; "make it cheaper" without a figure is
    reported as a wish and changes nothing.
    """
    reading = read(followup)
    values = {name: getattr(previous, name) for name in type(previous).model_fields}
    values = {k: list(v) if isinstance(v, list) else v for k, v in values.items()}
    revision = _Revision(values=values, changes=[], touched=set())
    _deltas(revision, reading)
    stated_now = {name for name, fact in reading.facts.items() if isinstance(fact, Fact) and name in values}
    if reading.hardware:
        stated_now.add("hardware")
    _release(revision, reading, stated_now)
    _scale(revision, reading, stated_now)
    _merge(revision, to_requirements(reading))
    _intents(revision, reading)
    return Requirements(**revision.values), revision.changes
