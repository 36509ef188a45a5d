"""Compose the design content deterministically from the request, the
architect's workflow steps and the skill tools' results (the offline engine's
"writing" step)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlarchitect.agents.agent_spec import AgentSpec, WorkflowSpec
from mlarchitect.deliverable import (
    Calculation,
    Component,
    CostAnalysis,
    CostItem,
    DataFlow,
    DataPipelineArchitecture,
    DesignContent,
    DesignStep,
    EvaluationFramework,
    ExperimentTrackingSetup,
    Risk,
    ServingSpecification,
)
from mlarchitect.agents.request_facts import RequestFacts
from mlarchitect.tool_result import ToolResult
from mlarchitect.skills.registry import SkillCatalog

_WORD = re.compile(r"[a-z][a-z0-9-]{3,}")
_STOP = frozenset(
    "with that this from into each when then than they their them your have will should "
    "every only also more most over under about after before which where while using used".split()
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


def mermaid(components: list[Component], flows: list[DataFlow]) -> str:
    ids = {c.name: f"C{i}" for i, c in enumerate(components)}
    lines = ["flowchart LR"]
    for c in components:
        lines.append(f'    {ids[c.name]}["{c.name}"]')
    for f in flows:
        if f.source in ids and f.target in ids:
            label = f.description.replace('"', "'")
            lines.append(f'    {ids[f.source]} -->|"{label}"| {ids[f.target]}' if label else
                         f"    {ids[f.source]} --> {ids[f.target]}")
    return "\n".join(lines)


def workflows_for(architect: AgentSpec, catalog: SkillCatalog, workflow: str,
                  skills: list[str]) -> list[WorkflowSpec]:
    """The architect's workflow; for ``general``, every workflow whose leading skill was chosen."""
    spec = architect.workflow(workflow)
    if spec is not None:
        return [spec]
    return [w for w in architect.workflows if (lead := catalog.leading(w.id)) is not None and lead.name in skills]


def compose_design(
    request: str,
    workflow: str,
    facts: RequestFacts,
    architect: AgentSpec,
    catalog: SkillCatalog,
    skills: list[str],
    results: list[ToolResult],
) -> DesignContent:
    specs = workflows_for(architect, catalog, workflow, skills)
    blueprints = [r.data for r in results if r.tool.endswith("_reference_architecture")]
    components = [Component.model_validate(c) for b in blueprints for c in b.get("components", [])]
    flows = [
        DataFlow(source=f[0], target=f[1], description=f[2] if len(f) > 2 else "")
        for b in blueprints
        for f in b.get("data_flows", [])
    ]
    steps = _steps(specs, results, prefix=len(specs) > 1)
    calcs = _calculations(results)
    cost = _cost(results, facts, calcs)
    risks = [Risk.model_validate(r) for b in blueprints for r in b.get("risks", [])]
    risks.extend(_fact_risks(facts, cost, workflow))
    assumptions = _assumptions(facts)
    content = DesignContent(
        title=" + ".join(b.get("title", "") for b in blueprints) or "ML system architecture",
        summary=_summary(request, specs, components, calcs, cost, facts),
        components=components,
        data_flows=flows,
        diagram_mermaid=mermaid(components, flows),
        steps=steps,
        sizing=calcs,
        risks=risks,
        cost_analysis=cost,
        assumptions=assumptions,
        open_questions=_open_questions(facts, workflow),
    )
    _workflow_sections(content, blueprints, facts, results)
    return content


def _steps(specs: list[WorkflowSpec], results: list[ToolResult], *, prefix: bool) -> list[DesignStep]:
    steps: list[DesignStep] = []
    vocab: list[set[str]] = []
    for spec in specs:
        for step in spec.steps:
            title = f"{spec.title}: {step.title}" if prefix else step.title
            decisions = list(step.points)
            if step.code:
                decisions.append(f"Schema:\n```python\n{step.code}\n```")
            steps.append(DesignStep(title=title, decisions=decisions))
            vocab.append(_words(step.title + " " + " ".join(step.points)))
    if not steps:
        return steps
    searches = [r for r in results if r.tool.endswith("_search_patterns")]
    seen_docs: set[str] = set()
    for result in searches:
        index = _best_step(vocab, result.summary + " " + result.data.get("query", ""))
        for hit in result.patterns:
            if hit.doc_id in seen_docs:
                continue
            seen_docs.add(hit.doc_id)
            target = _best_step(vocab, hit.title + " " + hit.excerpt) if index is None else index
            sentence = _first_sentences(hit.excerpt)
            steps[target if target is not None else 0].notes.append(f"[{hit.doc_id}] {hit.title}: {sentence}")
    for result in results:
        if result.tool.endswith(("_search_patterns", "_reference_architecture")):
            continue
        for rec in result.recommendations:
            if rec.startswith("Prices are"):  # a cost assumption, reported under cost analysis
                continue
            target = _best_step(vocab, rec)
            steps[target if target is not None else len(steps) - 1].decisions.append(rec)
    return steps


def _best_step(vocab: list[set[str]], text: str) -> int | None:
    words = _words(text)
    scores = [len(words & v) for v in vocab]
    best = max(scores, default=0)
    return scores.index(best) if best > 0 else None


_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)(?<!\be\.g\.)(?<!\bi\.e\.)\s+")


def _first_sentences(text: str, limit: int = 260) -> str:
    """Whole sentences up to ``limit`` characters; a cut sentence ends with "…"."""
    text = re.sub(r"(?m)^#+\s*", "", text).strip()
    out = ""
    for part in _SENTENCE_END.split(text):
        if len(out) + len(part) + 1 > limit and out:
            break
        out = f"{out} {part}".strip()
    out = re.sub(r"\s+\d{1,2}\.$", "", out)  # a list number is not a sentence end
    if len(out) > limit:
        out = out[: limit - 1].rsplit(" ", 1)[0]
    if not out.endswith((".", "!", "?", "…")):
        out = out.rstrip(" ,;:-–—") + "…"
    return out


def _calculations(results: Iterable[ToolResult]) -> list[Calculation]:
    seen: dict[str, Calculation] = {}
    for result in results:
        for calc in result.calculations:
            seen.setdefault(calc.name, calc)
    return list(seen.values())


def _cost(results: list[ToolResult], facts: RequestFacts, calcs: list[Calculation]) -> CostAnalysis:
    items = [
        CostItem(item=c.name, monthly_usd=c.value, basis=c.formula)
        for c in calcs
        if c.unit == "USD/month" and c.name != "Requests per day the budget allows"
    ]
    total = round(sum(i.monthly_usd for i in items), 2) if items else None
    per_request = next((c.value for c in calcs if c.name == "LLM cost per request"), None)
    budget = facts.monthly_budget_usd
    optimizations: list[str] = []
    assumptions: list[str] = []
    for result in results:
        if result.skill == "cost-analysis" and not result.tool.endswith("_search_patterns"):
            optimizations.extend(r for r in result.recommendations if not r.startswith("Prices are"))
            assumptions.extend(r for r in result.recommendations if r.startswith("Prices are"))
    return CostAnalysis(
        monthly_total_usd=total,
        per_request_usd=per_request,
        budget_usd=budget,
        within_budget=(total <= budget) if (total is not None and budget is not None) else None,
        items=items,
        assumptions=assumptions,
        optimizations=optimizations,
    )


def _fact_risks(facts: RequestFacts, cost: CostAnalysis, workflow: str) -> list[Risk]:
    risks = []
    if cost.within_budget is False:
        risks.append(Risk(
            risk=f"Projected ${cost.monthly_total_usd:,.0f}/month exceeds the ${cost.budget_usd:,.0f} budget",
            mitigation="Apply the cost optimizations in order (cache, smaller model for easy queries, shorter context) and re-estimate",
            severity="high"))
    if facts.latency_target_s is not None and facts.latency_target_s < 1.5 and workflow == "rag_system":
        risks.append(Risk(
            risk=f"A {facts.latency_percentile} target of {facts.latency_target_s:g} s leaves little room for rewriting, reranking and generation",
            mitigation="Stream the first tokens, rerank only the top 20, cache frequent questions and measure each stage's p95",
            severity="high"))
    return risks


def _assumptions(facts: RequestFacts) -> list[str]:
    out = [f"Stated in the request: {field.replace('_', ' ')} from \u201c{text}\u201d" for field, text in facts.evidence.items()]
    if facts.requests_per_day is None:
        out.append(f"Traffic not stated: assumed {ASSUMED_REQUESTS_PER_DAY:,} requests per day")
    if not facts.monthly_budget_usd:
        out.append("No budget stated: costs are reported without a budget check")
    return out


ASSUMED_REQUESTS_PER_DAY = 2000


def _open_questions(facts: RequestFacts, workflow: str) -> list[str]:
    questions = []
    if facts.requests_per_day is None:
        questions.append("What is the expected peak traffic (requests per second) and how does it vary over the day?")
    if facts.latency_target_s is None and workflow in ("rag_system", "model_serving"):
        questions.append("What latency do users accept (p95 target)?")
    if facts.monthly_budget_usd is None:
        questions.append("Is there a monthly budget the running cost must fit in?")
    return questions


def _summary(request: str, specs: list[WorkflowSpec], components: list[Component],
             calcs: list[Calculation], cost: CostAnalysis, facts: RequestFacts) -> str:
    what = " and ".join(_lower_first(s.title.removeprefix("Design ")) for s in specs) or "ML system architecture"
    parts = [f"This {what} answers \u201c{request.strip()[:300]}\u201d with {len(components)} components "
             f"({', '.join(c.name for c in components[:6])}{', ...' if len(components) > 6 else ''})."]
    key = [c for c in calcs if c.unit not in ("USD", "USD/month")][:3]
    if key:
        parts.append("Sized from the request: " + "; ".join(f"{c.name.lower()} \u2248 {c.value:,.{_digits(c.value)}f} {c.unit}" for c in key) + ".")
    if facts.latency_target_s is not None:
        parts.append(f"The latency target is {facts.latency_percentile} \u2264 {facts.latency_target_s:g} s.")
    if cost.monthly_total_usd is not None:
        budget = ""
        if cost.budget_usd is not None:
            budget = " (within the budget)" if cost.within_budget else f" (over the ${cost.budget_usd:,.0f} budget: see the cost optimizations)"
        parts.append(f"Estimated running cost \u2248 ${cost.monthly_total_usd:,.2f}/month{budget}.")
    return " ".join(parts)


def _lower_first(title: str) -> str:
    """"Model Serving Architecture" -> "model serving architecture"; keeps acronyms (RAG)."""
    return " ".join(w if w.isupper() else w.lower() for w in title.split())


def _digits(value: float) -> int:
    return 0 if value >= 100 or float(value).is_integer() else 2


def _workflow_sections(content: DesignContent, blueprints: list[dict], facts: RequestFacts,
                       results: list[ToolResult]) -> None:
    for bp in blueprints:
        if "evaluation" in bp:
            ev = EvaluationFramework.model_validate(bp["evaluation"])
            for r in results:
                if r.tool in ("eval_recommend_metrics", "eval_plan_sample_size"):
                    ev.offline_metrics.extend(x for x in r.recommendations if x not in ev.offline_metrics)
            content.evaluation_framework = ev
        if "serving" in bp:
            sv = ServingSpecification.model_validate(bp["serving"])
            sv.serving_mode = "real-time REST API with streaming, plus a task queue for long jobs"
            if facts.latency_target_s is not None:
                sv.slos.append(f"{facts.latency_percentile} latency \u2264 {facts.latency_target_s:g} s")
            if facts.requests_per_second is not None:
                sv.slos.append(f"sustain {facts.requests_per_second:,.0f} requests per second with an error rate below 0.5%")
            sv.slos.append("availability 99.9% per month")
            content.serving_specification = sv
        if "tracking" in bp:
            content.experiment_tracking = ExperimentTrackingSetup.model_validate(bp["tracking"])
        if "pipeline" in bp:
            content.data_pipeline = DataPipelineArchitecture.model_validate(bp["pipeline"])
