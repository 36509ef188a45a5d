"""Render a deliverable as Markdown (with its Mermaid diagram)."""

from __future__ import annotations

from mlarchitect.deliverable import ArchitectureDesign, Calculation
from mlarchitect.workflows import workflow_title



def _bullets(items: list[str]) -> list[str]:
    out = []
    for item in items:
        if "\n" in item:  # a block (e.g. a code sample): indent under the bullet
            head, _, rest = item.partition("\n")
            out.append(f"- {head}")
            out.extend(f"  {line}" if line else "" for line in rest.splitlines())
        else:
            out.append(f"- {item}")
    return out


def _figure(c: Calculation) -> str:
    origin = " (from the request)" if c.from_request else ""
    value = f"{c.value:,.0f}" if abs(c.value) >= 100 or float(c.value).is_integer() else f"{c.value:,.4g}"
    return f"| {c.name} | {value} {c.unit} | {c.formula}{origin} |"


def render_markdown(d: ArchitectureDesign) -> str:
    title = d.title or f"{workflow_title(d.workflow)} architecture"
    lines = [f"# {title}", "", f"> **Request:** {d.request}", "",
             f"**Workflow:** `{d.workflow}` · **Skills:** {', '.join(f'`{s}`' for s in d.skills_used) or 'none'}", "",
             "## Summary", "", d.summary, ""]
    if d.components:
        lines += ["## Components", ""]
        for c in d.components:
            tech = f" — *{c.technology}*" if c.technology else ""
            lines.append(f"- **{c.name}**{tech}: {c.responsibility}")
            lines.extend(f"  - {x}" for x in c.decisions)
        lines.append("")
    if d.diagram_mermaid:
        lines += ["## System diagram", "", "```mermaid", d.diagram_mermaid, "```", ""]
    if d.data_flows:
        lines += ["## Data flows", ""]
        lines += [f"- {f.source} → {f.target}" + (f": {f.description}" if f.description else "") for f in d.data_flows]
        lines.append("")
    if d.steps:
        lines += ["## Design decisions", ""]
        for number, step in enumerate(d.steps, start=1):
            lines += [f"### {number}. {step.title}", ""]
            lines += _bullets(step.decisions)
            if step.notes:
                lines += ["", "Patterns consulted:"]
                lines += _bullets(step.notes)
            lines.append("")
    if d.sizing:
        lines += ["## Sizing", "", "| Figure | Value | How it was computed |", "|---|---|---|"]
        lines += [_figure(c) for c in d.sizing]
        lines.append("")
    sections = [
        ("Evaluation framework", d.evaluation_framework),
        ("Serving specification", d.serving_specification),
        ("Experiment tracking setup", d.experiment_tracking),
        ("Data pipeline architecture", d.data_pipeline),
    ]
    for heading, section in sections:
        if section is None:
            continue
        lines += [f"## {heading}", ""]
        for field, value in section.model_dump().items():
            label = field.replace("_", " ").capitalize()
            if isinstance(value, list) and value:
                lines += [f"**{label}**", "", *_bullets(value), ""]
            elif isinstance(value, str) and value:
                lines += [f"**{label}:** {value}", ""]
    cost = d.cost_analysis
    lines += ["## Cost analysis", ""]
    if cost.monthly_total_usd is not None:
        lines.append(f"- Estimated monthly total: **${cost.monthly_total_usd:,.2f}**")
    if cost.per_request_usd is not None:
        lines.append(f"- Cost per request: ${cost.per_request_usd:.5f}")
    if cost.budget_usd is not None:
        verdict = "within budget" if cost.within_budget else "over budget"
        lines.append(f"- Budget: ${cost.budget_usd:,.2f}/month ({verdict})")
    lines += [f"- {i.item}: ${i.monthly_usd:,.2f}/month ({i.basis})" for i in cost.items]
    if cost.optimizations:
        lines += ["", "Optimizations:", *_bullets(cost.optimizations)]
    if cost.assumptions:
        lines += ["", "Cost assumptions:", *_bullets(cost.assumptions)]
    lines.append("")
    if d.risks:
        lines += ["## Risks", "", "| Risk | Severity | Mitigation |", "|---|---|---|"]
        lines += [f"| {r.risk} | {r.severity} | {r.mitigation} |" for r in d.risks]
        lines.append("")
    if d.handoffs:
        lines += ["## Contributions from sibling agents", ""]
        for h in d.handoffs:
            status = "" if h.status == "completed" else f" ({h.status})"
            lines += [f"### `{h.agent}`{status}", "", f"*Why:* {h.reason}", "", h.contribution.strip(), ""]
    for heading, items in (("Assumptions", d.assumptions), ("Open questions", d.open_questions), ("Notes", d.notes)):
        if items:
            lines += [f"## {heading}", "", *_bullets(items), ""]
    if d.sources:
        lines += ["## Sources", "", *[f"- `{s}`" for s in d.sources], ""]
    p = d.provenance
    retries = f" ({p.retries} retries)" if p.retries else ""
    lines += ["---", f"*Model: {p.model}{' (offline)' if p.offline else ''} · prompts {p.prompt_version} · "
              f"knowledge base {p.kb_version} · {p.llm_calls} model calls{retries} · {p.tokens} tokens · "
              f"{p.duration_s:.2f} s*"]
    by_model: dict[str, list[str]] = {}
    for s in p.sections:
        by_model.setdefault(s.model, []).append(s.section if s.agent == "ml-system-architect" else s.agent)
    if len(by_model) > 1 or p.fallbacks:
        lines.append("*Written by: " + "; ".join(f"{m}: {', '.join(x.replace('_', ' ') for x in secs)}"
                                                   for m, secs in by_model.items()) + "*")
    for f in p.fallbacks:
        lines.append(f"*Fallback: {f.agent} {f.step}: {f.reason[:160]}*")
    lines.append("")
    return "\n".join(lines)
