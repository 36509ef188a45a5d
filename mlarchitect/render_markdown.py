"""Render a deliverable as Markdown (with its Mermaid diagram).

Everything a model or a user wrote is made safe for its place in the document:
the request stays inside its quote block, table cells stay in their cell, raw
HTML is shown as text, code fences are closed, headings inside a section nest
under it, and the Mermaid diagram is validated (rebuilt from the components and
flows when the written one would not render).
"""

from __future__ import annotations

import logging
import math
import re

from mlarchitect.deliverable import ArchitectureDesign, Calculation
from mlarchitect.mermaid import build_flowchart, validate_flowchart
from mlarchitect.money import money
from mlarchitect.workflows import workflow_title

log = logging.getLogger(__name__)

_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_ATX = re.compile(r"^(\s{0,3})(#{1,6})(?=\s|$)")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")


# --- numbers ---------------------------------------------------------------------


def listed(names: list[str]) -> str:
    """["Confluence", "SharePoint", "Jira"] -> "Confluence, SharePoint and Jira"."""
    return " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)


def human_number(value: float | int) -> str:
    """A figure for people: ``20,000,000``, ``1,234``, ``1.2``, ``0.35``, ``0.00133``.

    Never scientific notation: whole numbers from 100 up, at most two decimals
    from 1 to 100, three significant digits below 1.
    """
    if isinstance(value, bool) or value is None:
        return str(value)
    x = float(value)
    if not math.isfinite(x):
        return str(x)
    if x.is_integer() or abs(x) >= 100:
        return f"{x:,.0f}"
    decimals = 2 if abs(x) >= 1 else 2 - math.floor(math.log10(abs(x)))
    text = f"{x:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _usd(value: float) -> str:
    """Money: cents for ordinary amounts, significant digits for fractions of a cent."""
    return f"${value:,.2f}" if abs(value) >= 0.1 or value == 0 else f"${human_number(value)}"


# --- text from models and users --------------------------------------------------


def _escape_html(text: str) -> str:
    """Raw HTML (``<script>``, ``<details>``…) shown as text; inline code is left alone."""
    out, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_TAG_START.sub("&lt;", text[last:span.start()]))
        out.append(span.group(0))
        last = span.end()
    out.append(_TAG_START.sub("&lt;", text[last:]))
    return "".join(out)


def _inline(text: str) -> str:
    """One line of prose: newlines folded, HTML escaped."""
    return _escape_html(" ".join(str(text).split()))


def _cell(text: object) -> str:
    """A table cell: pipes escaped, line breaks kept as ``<br>``, HTML escaped."""
    lines = [_escape_html(" ".join(line.split())) for line in str(text).strip().splitlines()]
    return "<br>".join(line for line in lines if line).replace("|", "\\|")


def _code(text: str) -> str:
    """Inline code that survives backticks inside ``text``."""
    text = " ".join(str(text).split())
    ticks = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _classify(lines: list[str]) -> tuple[list[tuple[str, int]], str | None]:
    """Each line as ``(kind, heading level)``: ``code`` (a fence or inside one), ``atx``
    or ``setext`` heading (the underline of a setext heading), or ``text``; and the fence
    still open at the end, if any."""
    kinds: list[tuple[str, int]] = []
    fence: str | None = None
    for index, line in enumerate(lines):
        marker = _FENCE.match(line)
        if fence is not None:
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence):
                fence = None
            kinds.append(("code", 0))
        elif marker:
            fence = marker.group(1)
            kinds.append(("code", 0))
        elif atx := _ATX.match(line):
            kinds.append(("atx", len(atx.group(2))))
        elif _SETEXT.match(line) and index and kinds[-1][0] == "text" and lines[index - 1].strip():
            kinds.append(("setext", 1 if line.strip()[0] == "=" else 2))
        else:
            kinds.append(("text", 0))
    return kinds, fence


def _block(text: str, *, top: int) -> list[str]:
    """Model-written Markdown as lines: headings renumbered from level ``top`` down
    (``##`` then ``####`` become ``top`` then ``top + 1``: relative order kept, no gaps,
    at most 6), raw HTML escaped, open fences closed."""
    lines = str(text).strip("\n").splitlines()
    kinds, open_fence = _classify(lines)
    used = sorted({level for kind, level in kinds if kind in ("atx", "setext")})
    renumber = {level: min(6, top + rank) for rank, level in enumerate(used)}
    out: list[str] = []
    for line, (kind, level) in zip(lines, kinds):
        if kind == "code":
            out.append(line)
        elif kind == "atx":
            marker = _ATX.match(line)
            assert marker is not None
            out.append("#" * renumber[level] + _escape_html(line[marker.end():]))
        elif kind == "setext":
            out[-1] = f"{'#' * renumber[level]} {out[-1].strip()}"
        else:
            out.append(_escape_html(line))
    if open_fence is not None:
        out.append(open_fence)
    return out


def _quote(label: str, text: str) -> list[str]:
    """A block quote that every line of ``text`` stays inside (no line becomes a heading)."""
    lines = str(text).strip().splitlines() or [""]
    quoted = []
    for line in lines:
        line = _escape_html(line.rstrip())
        if re.match(r"^\s*(#|=+\s*$|-{3,}\s*$|`{3,}|~{3,})", line):
            line = "\\" + line.lstrip()
        quoted.append(f"> {line}".rstrip())
    quoted[0] = f"> {label} {quoted[0][2:]}".rstrip()
    return quoted


def _bullets(items: list[str]) -> list[str]:
    out = []
    for item in items:
        head, *rest = _block(item, top=4) or [""]
        out.append(f"- {head}")
        out.extend(f"  {line}" if line else "" for line in rest)
    return out


# --- sections ----------------------------------------------------------------------


def _figure(c: Calculation) -> str:
    origin = f" ({', '.join(n.replace('_', ' ') for n in c.from_request)} from the request)" if c.from_request else ""
    return f"| {_cell(c.name)} | {human_number(c.value)} {_cell(c.unit)} | {_cell(c.formula)}{origin} |"


def checked_diagram(d: ArchitectureDesign) -> tuple[str, str | None]:
    """The diagram to emit and, when the written one was replaced or dropped, why."""
    written = d.diagram_mermaid.strip()
    if written:
        problems = validate_flowchart(written)
        if not problems:
            return written, None
        log.info("model-written diagram does not validate: %s", "; ".join(problems))
        reason = f"The written diagram would not render ({problems[0]})"
    else:
        reason = None
    if not d.components:
        return "", f"{reason}; it was left out." if reason else None
    rebuilt = build_flowchart(d.components, d.data_flows)
    problems = validate_flowchart(rebuilt)
    if problems:  # pragma: no cover - build_flowchart escapes everything validate checks
        log.error("rebuilt diagram does not validate: %s", "; ".join(problems))
        return "", f"{reason or 'The diagram'} could not be rebuilt; it was left out."
    return rebuilt, f"{reason}; it was rebuilt from the components and data flows." if reason else None


def render_markdown(d: ArchitectureDesign) -> str:
    title = _inline(d.title) or f"{workflow_title(d.workflow)} architecture"
    revision = f" (revision {d.revision})" if d.revision > 1 else ""
    lines = [f"# {title}{revision}", "", *_quote("**Request:**", d.request), "",
             f"**Workflow:** `{d.workflow}` · **Skills:** {', '.join(_code(s) for s in d.skills_used) or 'none'}",
             "", "## Summary", "", *_block(d.summary, top=3), ""]
    lines += _requirements_section(d)
    if d.components:
        lines += ["## Components", ""]
        for c in d.components:
            tech = f" — *{_inline(c.technology)}*" if c.technology else ""
            lines.append(f"- **{_inline(c.name)}**{tech}: {_inline(c.responsibility)}")
            lines.extend(f"  {line}" for line in _bullets(c.decisions))
        lines.append("")
    diagram, diagram_note = checked_diagram(d)
    if diagram or diagram_note:
        lines += ["## System diagram", ""]
        if diagram:
            lines += ["```mermaid", diagram, "```", ""]
        if diagram_note:
            lines += [f"*Note: {diagram_note}*", ""]
    if d.data_flows:
        lines += ["## Data flows", ""]
        lines += [f"- {_inline(f.source)} → {_inline(f.target)}"
                  + (f": {_inline(f.description)}" if f.description else "") for f in d.data_flows]
        lines.append("")
    if d.steps:
        lines += ["## Design decisions", ""]
        for number, step in enumerate(d.steps, start=1):
            lines += [f"### {number}. {_inline(step.title)}", ""]
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
                lines += [f"**{label}:** {_inline(value)}", ""]
    cost = d.cost_analysis
    lines += ["## Cost analysis", ""]
    if cost.monthly_total_usd is not None:
        lines.append(f"- Estimated monthly total: **{_usd(cost.monthly_total_usd)}**")
    if cost.per_request_usd is not None:
        lines.append(f"- Cost per request: {_usd(cost.per_request_usd)}")
    if cost.budget_usd is not None:
        verdict = "within budget" if cost.within_budget else "over budget"
        currency = d.requirements.currency if d.requirements is not None else "USD"
        stated = _usd(cost.budget_usd) if currency == "USD" else money(cost.budget_usd, currency)
        lines.append(f"- Budget: {stated}/month ({verdict})")
    lines += [f"- {_inline(i.item)}: {_usd(i.monthly_usd)}/month" + (f" ({_inline(i.basis)})" if i.basis else "")
              for i in cost.items]
    if cost.optimizations:
        lines += ["", "Optimizations:", *_bullets(cost.optimizations)]
    if cost.assumptions:
        lines += ["", "Cost assumptions:", *_bullets(cost.assumptions)]
    lines.append("")
    lines += _alternatives_section(d)
    if d.risks:
        lines += ["## Risks", "", "| Risk | Severity | Mitigation |", "|---|---|---|"]
        lines += [f"| {_cell(r.risk)} | {r.severity} | {_cell(r.mitigation)} |" for r in d.risks]
        lines.append("")
    if d.handoffs:
        lines += ["## Contributions from sibling agents", ""]
        for h in d.handoffs:
            status = "" if h.status == "completed" else f" ({h.status})"
            lines += [f"### {_code(h.agent)}{status}", "", f"*Why:* {_inline(h.reason)}", "",
                      *_block(h.contribution, top=4), ""]
    for heading, items in (("Assumptions", d.assumptions), ("Open questions", d.open_questions), ("Notes", d.notes)):
        if items:
            lines += [f"## {heading}", "", *_bullets(items), ""]
    if d.sources:
        lines += ["## Sources", "", *[f"- {_code(s)}" for s in d.sources], ""]
    p = d.provenance
    retries = f" ({p.retries} retries)" if p.retries else ""
    lines += ["---", f"*Model: {_inline(p.model)}{' (offline)' if p.offline else ''} · prompts {p.prompt_version} · "
              f"knowledge base {p.kb_version} · {human_number(p.llm_calls)} model calls{retries} · "
              f"{human_number(p.tokens)} tokens · {format_cost(p.cost_usd)} · "
              f"{human_number(p.duration_s)} s*"]
    if p.cached:
        lines.append(f"*Served from the response cache with no model call; designed {_inline(p.cached_at or '?')}, "
                     "the figures above are that run's.*")
    if p.cost_usd is None and p.cost_note:
        lines.append(f"*Cost unknown: {_inline(p.cost_note)}*")
    by_model: dict[str, list[str]] = {}
    for s in p.sections:
        by_model.setdefault(s.model, []).append(s.section if s.agent == "ml-system-architect" else s.agent)
    if len(by_model) > 1 or p.fallbacks:
        lines.append("*Written by: " + "; ".join(f"{_inline(m)}: {', '.join(x.replace('_', ' ') for x in secs)}"
                                                   for m, secs in by_model.items()) + "*")
    for f in p.fallbacks:
        lines.append(f"*Fallback: {_inline(f.agent)} {_inline(f.step)}: {_inline(f.reason[:160])}*")
    lines.append("")
    return "\n".join(lines)


def format_cost(cost_usd: float | None) -> str:
    """``$0.0123`` (4 decimals under a cent), ``$0`` for no model cost, ``cost unknown``."""
    if cost_usd is None:
        return "cost unknown"
    if cost_usd == 0:
        return "$0"
    return f"${cost_usd:.4f}" if cost_usd < 0.01 else f"${cost_usd:,.2f}"


_SHARES = frozenset({"baseline_rate", "min_detectable_effect", "experiment_share", "positive_rate"})  # fractions shown as %


def _requirements_section(d: ArchitectureDesign) -> list[str]:
    """What the request states (quoted) and what the design assumed (with why), apart."""
    if d.requirements is None:
        return []
    from mlarchitect.agents.intake.assume import describe_value

    lines: list[str] = []
    if d.changes:
        lines += ["## What changed in this revision", "", *_bullets(d.changes), ""]
    stated = d.requirements.stated_facts()
    languages = [lang for lang in d.requirements.languages if lang != "multilingual"]
    if stated or d.requirements.other_figures or languages or d.requirements.request_language:
        lines += ["## Requirements", "", "| Requirement | Value | Stated as |", "|---|---|---|"]
        for name, fact in stated:
            value = (money(fact.value, d.requirements.currency) if name in ("monthly_budget_usd", "current_monthly_spend_usd")
                     else f"{fact.value * 100:g}%" if name in _SHARES else describe_value(fact.value))
            lines.append(f"| {name.replace('_', ' ')} | {_cell(value)} | “{_cell(fact.quote)}” |")
        if languages:
            lines.append(f"| languages | {_cell(', '.join(lang.capitalize() for lang in languages))} | named in the request |")
        elif d.requirements.request_language:
            lines.append(f"| language | {_cell(d.requirements.request_language.capitalize())} | the language the request is written in |")
        lines += [f"| other figure | | “{_cell(q)}” |" for q in d.requirements.other_figures]
        lines.append("")
    return lines


def _alternatives_section(d: ArchitectureDesign) -> list[str]:
    if not d.alternatives:
        return []
    lines = ["## Alternatives and trade-offs", ""]
    for alt in d.alternatives:
        lines.append(f"- **{_inline(alt.decision)}:** {_inline(alt.chosen)}" + (f" — {_inline(alt.why)}" if alt.why else ""))
        lines += [f"  - not {_inline(r.option)}: {_inline(r.why)}" for r in alt.rejected]
    lines.append("")
    return lines
