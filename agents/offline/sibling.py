"""How the offline engine plays a sibling agent: search its skills' patterns for
each part of its contribution, then write the section from the brief and them."""

from __future__ import annotations

import re

from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.agents.handoffs import Brief
from mlarchitect.tool_result import ToolResult
from mlarchitect.skills.registry import SkillCatalog

_FIGURES = re.compile(r"cost|scal|replica|sizing|capacity|budget|latency|slo", re.I)


def _camel(text: str) -> str:
    return "".join(w.capitalize() for w in re.findall(r"[a-z0-9]+", text.lower()))


# Per kind of contribution part: how each component of the design is listed in it.
_PER_COMPONENT: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"module|package|layout|file", re.I), "- `src/app/{slug}.py`: {responsibility}"),
    (re.compile(r"interface|signature|class", re.I),
     "- `class {camel}`: `def run(self, request: {camel}Request) -> {camel}Result` ({name})"),
    (re.compile(r"contract|schema|data model|pydantic", re.I),
     "- `{camel}Request` / `{camel}Result`: pydantic models at the {name} boundary, versioned with the API"),
    (re.compile(r"test", re.I), "- `tests/test_{slug}.py`: {name}: happy path, empty input, timeout, and a malformed upstream response"),
    (re.compile(r"image|packag|container", re.I), "- image `{slug}`: {name}, built from a lock file, tagged with the git commit"),
    (re.compile(r"threat|attack|risk", re.I), "- {name}: what enters it, what it can reach, and who may call it"),
]


def part_heading(bullet: str) -> str:
    head = re.split(r"[:;]", bullet, maxsplit=1)[0].strip()
    return head[:80] or bullet[:80]


def sibling_queries(persona: AgentSpec, brief: Brief, skills: SkillCatalog) -> list[tuple[str, str]]:
    """(tool name, query) per contribution part, on the persona's first skill with tools."""
    prefix = next((skills.skills[s].tool_prefix for s in (skills.resolve(n) for n in persona.skills)
                   if s and skills.skills[s].tool_prefix), None)
    if prefix is None:
        return []
    topic = brief.workflow.replace("_", " ")
    return [(f"{prefix}_search_patterns", f"{part_heading(b)} {topic}") for b in persona.contribution]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _components(brief: Brief) -> list[tuple[str, str]]:
    pairs = []
    for entry in brief.components:
        name, _, responsibility = entry.partition(":")
        pairs.append((name.strip(), responsibility.strip() or name.strip()))
    return pairs


def compose_contribution(persona: AgentSpec, brief: Brief, results: list[ToolResult]) -> tuple[str, str]:
    """(title, markdown) of the persona's section for ``brief``."""
    searches = [r for r in results if r.tool.endswith("_search_patterns")]
    components = _components(brief)
    lines = [f"*Brief:* {brief.question}", ""]
    used_templates: set[str] = set()
    for bullet in persona.contribution or ["Recommendations"]:
        heading = part_heading(bullet)
        lines += [f"#### {heading}", "", bullet, ""]
        for pattern, template in _PER_COMPONENT:
            if pattern.search(heading) and template not in used_templates and components:
                used_templates.add(template)
                lines += [template.format(slug=_slug(n), camel=_camel(n), name=n, responsibility=r)
                          for n, r in components]
                break
        if _FIGURES.search(bullet) and brief.figures:
            lines += [f"- Sized from the design: {f}" for f in brief.figures[:4]]
        hit = next((r for r in searches if heading.lower()[:30] in r.summary.lower()), None)
        for found in (hit.patterns[:2] if hit else []):
            sentence = re.split(r"(?<=[.!?])\s+", found.excerpt.strip())[0][:240]
            lines.append(f"- Pattern [{found.doc_id}] {found.title}: {sentence}")
        lines.append("")
    title = persona.contribution_title or f"{persona.name} contribution"
    return title, "\n".join(lines).strip()
