"""What the chat shows of a deliverable: the concise answer of a turn (summary,
changes since the previous turn, key figures), the deliverable's tabs and a line
diff between two versions. Pure functions of :class:`ArchitectureDesign`."""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from mlarchitect.deliverable import ArchitectureDesign, Calculation

TABS: list[tuple[str, str]] = [
    ("overview", "Overview"),
    ("components", "Components"),
    ("diagram", "Diagram"),
    ("sizing", "Sizing and cost"),
    ("evaluation", "Evaluation"),
    ("serving", "Serving"),
    ("risks", "Risks"),
    ("handoffs", "Handoffs"),
]

# Level-2 headings of render_markdown -> tab; anything unknown goes to the overview.
_SECTION_TAB = {
    "summary": "overview",
    "design decisions": "overview",
    "assumptions": "overview",
    "open questions": "overview",
    "notes": "overview",
    "sources": "overview",
    "components": "components",
    "data flows": "components",
    "experiment tracking setup": "components",
    "data pipeline architecture": "components",
    "system diagram": "diagram",
    "sizing": "sizing",
    "cost analysis": "sizing",
    "evaluation framework": "evaluation",
    "serving specification": "serving",
    "risks": "risks",
    "contributions from sibling agents": "handoffs",
}

_EMPTY = {
    "components": "_No components in this design._",
    "diagram": "_No diagram in this design._",
    "sizing": "_No sizing in this design._",
    "evaluation": "_This design has no evaluation framework section._",
    "serving": "_This design has no serving specification section._",
    "risks": "_No risks listed._",
    "handoffs": "_No sibling agents contributed to this design._",
}

KEY_FIGURES = 5


def design_markdown(design: ArchitectureDesign) -> str:
    from mlarchitect.render_markdown import render_markdown

    return render_markdown(design)


def split_tabs(markdown: str) -> dict[str, str]:
    """The rendered deliverable cut at its ``## `` headings and grouped into the tabs.

    The provenance footer (after the last ``---``) stays in the overview; its
    duration is left out so that the tabs only change when the design does."""
    parts: dict[str, list[str]] = {key: [] for key, _ in TABS}
    current = "overview"
    in_code = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            current = _SECTION_TAB.get(line[3:].strip().lower(), "overview")
        elif not in_code and line.strip() == "---":
            current = "overview"
        if current == "overview" and line.startswith("*Model:"):
            line = re.sub(r" · [0-9.]+ s\*$", "*", line)
        parts[current].append(line)
    tabs = {}
    for key, _title in TABS:
        text = "\n".join(parts[key]).strip()
        tabs[key] = text or _EMPTY.get(key, "")
    return tabs


def markdown_diff(previous: str | None, current: str) -> str:
    """A unified line diff of two rendered deliverables, as a Markdown ``diff`` block."""
    if previous is None:
        return "_This is the first version of the design: nothing to compare yet._"
    lines = list(difflib.unified_diff(_stable(previous).splitlines(), _stable(current).splitlines(),
                                      fromfile="previous", tofile="current", lineterm="", n=1))
    if not lines:
        return "_No change since the previous version._"
    return "```diff\n" + "\n".join(lines) + "\n```"


def _stable(markdown: str) -> str:
    return re.sub(r" · [0-9.]+ s\*$", "*", markdown, flags=re.M)


def _value(c: Calculation) -> str:
    v = c.value
    text = f"{v:,.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:,.4g}"
    return f"{text} {c.unit}".strip()


def key_figures(design: ArchitectureDesign, limit: int = KEY_FIGURES) -> list[str]:
    lines = [f"- {c.name}: **{_value(c)}**" for c in design.sizing[:limit]]
    cost = design.cost_analysis
    if cost.monthly_total_usd is not None:
        budget = ""
        if cost.budget_usd is not None:
            budget = f" (budget ${cost.budget_usd:,.0f}: {'within' if cost.within_budget else 'over'})"
        lines.append(f"- Estimated monthly cost: **${cost.monthly_total_usd:,.2f}**{budget}")
    return lines


def changes(previous: ArchitectureDesign | None, current: ArchitectureDesign) -> list[str]:
    """What changed between two versions: workflow, components, figures, cost."""
    if previous is None:
        return []
    out: list[str] = []
    if previous.workflow != current.workflow:
        out.append(f"- Workflow: `{previous.workflow}` → `{current.workflow}`")
    before = {c.name: c for c in previous.components}
    after = {c.name: c for c in current.components}
    out += [f"- Added component **{name}**" for name in after if name not in before]
    out += [f"- Removed component **{name}**" for name in before if name not in after]
    for name, comp in after.items():
        old = before.get(name)
        if old is not None and old.technology != comp.technology:
            out.append(f"- **{name}**: {old.technology or '—'} → {comp.technology or '—'}")
    old_figures = {c.name: c for c in previous.sizing}
    for calc in current.sizing:
        old_calc = old_figures.get(calc.name)
        if old_calc is None:
            out.append(f"- New figure {calc.name}: {_value(calc)}")
        elif (old_calc.value, old_calc.unit) != (calc.value, calc.unit):
            out.append(f"- {calc.name}: {_value(old_calc)} → **{_value(calc)}**")
    new_names = {c.name for c in current.sizing}
    out += [f"- Dropped figure {name}" for name in old_figures if name not in new_names]
    a, b = previous.cost_analysis.monthly_total_usd, current.cost_analysis.monthly_total_usd
    if a != b and a is not None and b is not None:
        out.append(f"- Monthly cost: ${a:,.2f} → **${b:,.2f}**")
    return out


def concise_answer(design: ArchitectureDesign, previous: ArchitectureDesign | None = None, *,
                   with_summary: bool = True) -> str:
    """The chat answer of a turn that produced a deliverable."""
    parts: list[str] = []
    if with_summary:
        title = design.title or design.workflow.replace("_", " ")
        parts += [f"**{title}**", "", design.summary.strip(), ""]
    if previous is not None:
        diff = changes(previous, design)
        parts += ["**What changed**", "", *(diff or ["- No change in components, figures or cost."]), ""]
    figures = key_figures(design)
    if figures:
        parts += ["**Key figures**", "", *figures, ""]
    parts.append("_The full deliverable is in the tabs on the right._")
    return "\n".join(parts).strip() + "\n"


def chunks(text: str, size: int = 48) -> list[str]:
    """Cut text into stream-sized pieces on word boundaries (the offline engine
    writes whole messages, the chat streams them)."""
    pieces = re.findall(r"\S+\s*|\s+", text)
    out: list[str] = []
    buf = ""
    for piece in pieces:
        buf += piece
        if len(buf) >= size:
            out.append(buf)
            buf = ""
    if buf:
        out.append(buf)
    return out
