"""What the code checks and fixes in the model's design content before it ships.

* :func:`shortfalls`: minimum content per workflow (components, a data flow, a
  sizing figure, the workflow's own section, steps, a summary that says more
  than a title). A section below the minimum is filled by the offline engine
  (:func:`fill_sections`), and provenance says so.
* :func:`reconcile_figures`: the code owns every figure a tool computed: a model
  figure or cost line with a tool's name takes the tool's value, and the monthly
  total is the sum of its lines and never below the tools' own lines.
* :func:`drop_unknown_citations`: a cited source id that is not in the
  knowledge base is removed, with a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from mlarchitect.deliverable import Calculation, CostItem, DesignContent
from mlarchitect.tool_result import ToolResult
from mlarchitect.workflows import WORKFLOWS

MIN_COMPONENTS = {"rag_system": 4, "evaluation_system": 3, "model_serving": 3, "experiment_tracking": 3,
                  "data_pipeline": 3, "general": 3}
MIN_SUMMARY_WORDS = 3
BUDGET_ONLY = "Requests per day the budget allows"  # a USD/month-free figure the cost tool adds
_TOLERANCE = 0.01


def min_components(workflow: str) -> int:
    return MIN_COMPONENTS.get(workflow, 3)


def shortfalls(content: DesignContent, workflow: str, tool_figures: int = 0, *, soft: bool = True) -> dict[str, str]:
    """Section -> why it is below the minimum (empty: the content is complete enough).
    ``tool_figures``: sizing figures the tools computed (they join the deliverable).
    The minimum is a summary that says more than a title, the workflow's number of
    components, a data flow and a sizing figure; ``soft`` adds the sections the
    offline engine supplies when it can (design steps, the workflow's own section)."""
    out: dict[str, str] = {}
    summary = " ".join(content.summary.split())
    words = summary.split()
    if (len(words) < MIN_SUMMARY_WORDS or summary.lower().rstrip(".") == content.title.strip().lower().rstrip(".")
            or (len(words) < 12 and not summary.endswith((".", "!", "?", ")")))):
        out["summary"] = f"the summary is only a title ({summary[:60]!r})" if summary else "no summary"
    need = min_components(workflow)
    if len(content.components) < need:
        out["components"] = f"{len(content.components)} component(s); the minimum for {workflow} is {need}"
    if not content.data_flows:
        out["data_flows"] = "no data flow"
    if not content.sizing and not tool_figures:
        out["sizing"] = "no sizing figure"
    if soft:
        if not content.steps:
            out["steps"] = "no design steps"
        section = (WORKFLOWS.get(workflow) or WORKFLOWS["general"]).section
        if section and _empty(getattr(content, section, None)):
            out[section] = f"no {section.replace('_', ' ')} section"
    return out


def _empty(value: object) -> bool:
    if value is None:
        return True
    dumped = value.model_dump() if hasattr(value, "model_dump") else value
    return not any(dumped.values()) if isinstance(dumped, dict) else not dumped


# sections that travel together: components and flows name each other, the diagram draws both
_GROUPS = {"components": ("components", "data_flows", "diagram_mermaid"),
           "data_flows": ("data_flows", "diagram_mermaid")}


def fill_sections(content: DesignContent, offline: DesignContent, short: dict[str, str]) -> dict[str, str]:
    """Replace each short section of ``content`` with the offline engine's (in place).
    Returns section -> reason for every section taken from ``offline``."""
    taken: dict[str, str] = {}
    for section, reason in short.items():
        fields = _GROUPS.get(section, (section,))
        if section == "components" and len(offline.components) <= len(content.components):
            continue  # the offline engine has no more to offer
        for name in fields:
            if name in taken:
                continue
            replacement = getattr(offline, name)
            if _empty(replacement):
                continue
            setattr(content, name, _copy(replacement))
            taken[name] = reason if name == section else f"goes with the {section.replace('_', ' ')} ({reason})"
    return taken


def _copy(value: object) -> object:
    if isinstance(value, list):
        return [_copy(x) for x in value]
    return value.model_copy(deep=True) if hasattr(value, "model_copy") else value


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= max(_TOLERANCE * max(abs(a), abs(b)), 0.005)


def reconcile_figures(content: DesignContent, results: Iterable[ToolResult]) -> list[str]:
    """The tools' figures win over the model's (in place). Returns notes, one per mismatch."""
    tool_calcs: dict[str, Calculation] = {}
    for result in results:
        for calc in result.calculations:
            tool_calcs.setdefault(calc.name.strip().lower(), calc)
    notes: list[str] = []
    for i, calc in enumerate(content.sizing):
        tool = tool_calcs.get(calc.name.strip().lower())
        if tool is not None and not _same(calc.value, tool.value):
            notes.append(f"Sizing figure '{calc.name}': the model wrote {calc.value:g} {calc.unit}; the tool computed "
                         f"{tool.value:g} {tool.unit} ({tool.formula}). The tool's figure is used.")
            content.sizing[i] = tool.model_copy(deep=True)
    monthly = {k: c for k, c in tool_calcs.items() if c.unit == "USD/month" and c.name != BUDGET_ONLY}
    cost = content.cost_analysis
    matched: set[str] = set()
    for item in cost.items:
        tool = monthly.get(item.item.strip().lower())
        if tool is None:
            continue
        matched.add(item.item.strip().lower())
        if not _same(item.monthly_usd, tool.value):
            notes.append(f"Cost line '{item.item}': the model wrote {_money(item.monthly_usd)}/month; the tool "
                         f"computed {_money(tool.value)} ({tool.formula}). The tool's figure is used.")
            item.monthly_usd = tool.value
            item.basis = item.basis or tool.formula
    tool_total = round(sum(c.value for c in monthly.values()), 2)
    if not cost.items and cost.monthly_total_usd is None:
        if monthly:  # the model priced nothing: the tools' lines are the cost analysis
            cost.items = [CostItem(item=c.name, monthly_usd=c.value, basis=c.formula) for c in monthly.values()]
            cost.monthly_total_usd = tool_total
    else:
        lines = round(sum(i.monthly_usd for i in cost.items), 2) if cost.items else None
        total = lines if lines is not None else cost.monthly_total_usd
        if monthly and total is not None and total + 0.005 < tool_total:
            missing = [c for k, c in monthly.items() if k not in matched]
            if not cost.items:
                cost.items = [CostItem(item=c.name, monthly_usd=c.value, basis=c.formula) for c in monthly.values()]
            else:
                cost.items.extend(CostItem(item=c.name, monthly_usd=c.value, basis=c.formula) for c in missing)
            total = round(sum(i.monthly_usd for i in cost.items), 2)
            notes.append(f"Monthly cost: the model's cost lines came to {_money(lines or cost.monthly_total_usd or 0)} "
                         f"(tool figures applied), below the tools' own lines ({_money(tool_total)}); the missing "
                         f"tool lines were added and the total is {_money(total)}.")
        elif cost.monthly_total_usd is not None and total is not None and not _same(cost.monthly_total_usd, total):
            notes.append(f"Monthly cost: the model's total {_money(cost.monthly_total_usd)} is not the sum of its "
                         f"lines; the sum {_money(total)} is used.")
        cost.monthly_total_usd = total
    if cost.monthly_total_usd is not None and cost.budget_usd is not None:
        cost.within_budget = cost.monthly_total_usd <= cost.budget_usd
    return notes


_CITATION = re.compile(r"\[([a-z0-9]+(?:[-_][a-z0-9]+)+)\]")


def drop_unknown_citations(content: DesignContent, known: set[str]) -> list[str]:
    """Remove ``[doc-id]`` citations whose id is not in ``known`` (in place)."""
    dropped: list[str] = []

    def clean(text: str) -> str:
        def sub(match: re.Match[str]) -> str:
            if match.group(1) in known:
                return match.group(0)
            dropped.append(match.group(1))
            return ""

        return " ".join(_CITATION.sub(sub, text).split()) if _CITATION.search(text) else text

    content.summary = clean(content.summary)
    for step in content.steps:
        step.decisions = [clean(x) for x in step.decisions]
        step.notes = [n for n in (clean(x) for x in step.notes) if n.strip(" :")]
    for component in content.components:
        component.decisions = [clean(x) for x in component.decisions]
    for risk in content.risks:
        risk.mitigation = clean(risk.mitigation)
    unique = list(dict.fromkeys(dropped))
    if not unique:
        return []
    return [f"Cited source(s) not in the knowledge base were removed: {', '.join(unique)}."]
