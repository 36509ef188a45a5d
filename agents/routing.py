"""Deterministic routing: which workflow a request is, which skills it needs,
and which sibling agents its wording asks for.

Routing reads only the definitions: skills' ``triggers``/``hints`` (SKILL.md),
the architect's workflows and "Skills Invoked", and sibling agents' triggers.
"""

from __future__ import annotations

import re
from functools import lru_cache

from pydantic import BaseModel, Field

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.skills.registry import SkillCatalog, SkillSpec

STRONG = 3.0
WEAK = 1.0
ALWAYS_SKILLS = ("observability",)
COST_WORDS = re.compile(r"\$|\bbudget\b|\bcosts?\b|\bcheap|\bspend|\bbill\b|per month|a month", re.I)


class Route(BaseModel):
    workflow: str
    scores: dict[str, float] = Field(default_factory=dict)
    skills: list[str] = Field(default_factory=list)


@lru_cache(maxsize=512)
def _phrase(phrase: str) -> re.Pattern[str]:
    escaped = re.escape(phrase.lower())
    tail = r"" if phrase.endswith(("-", "ing", "ib")) or not phrase[-1].isalnum() else r"(?:s|es|d|ed)?\b"
    lead = r"(?<![a-z0-9])" if phrase[0].isalnum() else ""
    return re.compile(lead + escaped + tail)


def match_phrases(text: str, phrases: list[str]) -> list[tuple[int, str]]:
    """(position, phrase) for each phrase found in ``text`` (case-insensitive)."""
    low = text.lower()
    found = []
    for phrase in phrases:
        if not phrase.strip():
            continue
        m = _phrase(phrase.strip()).search(low)
        if m:
            found.append((m.start(), phrase))
    return found


def score_skill(request: str, skill: SkillSpec) -> tuple[float, int]:
    """(score, position of the first strong trigger) of a skill for a request."""
    strong = match_phrases(request, skill.triggers)
    weak = match_phrases(request, [h for h in skill.hints if h not in skill.triggers])
    score = STRONG * len(strong) + WEAK * len(weak)
    first = min((pos for pos, _ in strong), default=10**6)
    return score, first


def route_request(request: str, architect: AgentSpec, skills: SkillCatalog) -> Route:
    scores: dict[str, float] = {}
    firsts: dict[str, int] = {}
    for workflow in architect.workflows:
        lead = skills.leading(workflow.id)
        if lead is None:
            continue
        scores[workflow.id], firsts[workflow.id] = score_skill(request, lead)
    if not scores or max(scores.values()) < STRONG:
        chosen = "general"
    else:
        # the highest score wins; on a tie, the workflow named first in the request
        chosen = max(scores, key=lambda w: (scores[w], -firsts[w]))
    return Route(
        workflow=chosen,
        scores=scores,
        skills=skills_for(chosen, request, architect, skills),
    )


def skills_for(workflow: str, request: str, architect: AgentSpec, skills: SkillCatalog) -> list[str]:
    spec = architect.workflow(workflow)
    if spec is not None:
        names = [skills.resolve(name) for name in spec.skills]
        chosen = [n for n in names if n]
    else:  # general: the leading skills of the workflows the request touches
        chosen = [s.name for s in skills.skills.values() if s.workflow and s.builtin]
        hits = [n for n in chosen if match_phrases(request, skills.skills[n].triggers)]
        chosen = hits or ["model-serving", "data-pipeline"]
    lead = skills.leading(workflow)
    if lead is not None and lead.name not in chosen:
        chosen.insert(0, lead.name)
    chosen.extend(ALWAYS_SKILLS)
    if COST_WORDS.search(request) and "cost-analysis" in skills.skills:
        chosen.append("cost-analysis")
    return [s for s in dict.fromkeys(chosen) if s in skills.skills]


def mentioned_agents(request: str, catalog: AgentCatalog) -> list[str]:
    """Agents the request names outright (``rag-architect``, "the rag architect")."""
    low = request.lower()
    return [
        name
        for name in catalog.agents
        if name in low or name.replace("-", " ") in low
    ]
