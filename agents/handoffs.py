"""Handoffs to sibling agents: who is eligible, when the request asks for one,
and the written brief a sibling receives (never the whole chat history)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from langchain_core.messages import BaseMessage, ToolMessage
from pydantic import BaseModel, Field

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.deliverable import Handoff
from mlarchitect.agents.routing import match_phrases, mentioned_agents
from mlarchitect.agents.tool_results import tool_results

TRANSFER_PREFIX = "transfer_to_"


def transfer_tool_name(agent: str) -> str:
    return TRANSFER_PREFIX + re.sub(r"[^a-z0-9]+", "_", agent.lower()).strip("_")


class HandoffPlan(BaseModel):
    agent: str
    reason: str


class Brief(BaseModel):
    """What a sibling is told: the request, the design so far, the question."""

    request: str
    workflow: str = "general"
    from_agent: str
    question: str
    reason: str
    components: list[str] = Field(default_factory=list)
    details: list[dict[str, str]] = Field(default_factory=list,
                                          description="Components: name, technology, responsibility, hosted ('yes' or '').")
    flows: list[str] = Field(default_factory=list, description="Data flows: 'source → target: what'.")
    constraints: list[str] = Field(default_factory=list, description="Stated requirements the section must respect.")
    figures: list[str] = Field(default_factory=list)
    chain: list[str] = Field(default_factory=list, description="Agents already in this handoff chain.")

    def to_markdown(self) -> str:
        lines = [f"# Brief from {self.from_agent}", "", f"**Request:** {self.request}", "",
                 f"**Workflow:** {self.workflow}", "", f"**Why you:** {self.reason}", "",
                 f"**What to produce:** {self.question}", ""]
        if self.components:
            lines += ["**Design so far (components):**", *[f"- {c}" for c in self.components], ""]
        if self.flows:
            lines += ["**Data flows:**", *[f"- {f}" for f in self.flows], ""]
        if self.constraints:
            lines += ["**Stated requirements:**", *[f"- {c}" for c in self.constraints], ""]
        if self.figures:
            lines += ["**Key figures:**", *[f"- {f}" for f in self.figures], ""]
        lines.append(f"Handoff chain so far: {' → '.join(self.chain)}")
        return "\n".join(lines)


class SiblingContribution(BaseModel):
    """What a sibling returns: one section of the deliverable."""

    title: str
    markdown: str = Field(description="The section body in Markdown, concrete and specific to the brief.")


def eligible_targets(agent: AgentSpec, catalog: AgentCatalog, request: str) -> list[AgentSpec]:
    """Agents ``agent`` may hand to: its Related Agents and Will-Not targets that
    exist, plus any loaded agent the request names outright."""
    names = [*agent.handoff_targets, *mentioned_agents(request, catalog)]
    found = [catalog.agents[n] for n in dict.fromkeys(names) if n in catalog.agents and n != agent.name]
    return found


def plan_handoffs(request: str, agent: AgentSpec, catalog: AgentCatalog) -> list[HandoffPlan]:
    """Handoffs the wording of the request asks for (the offline engine's routing)."""
    named = set(mentioned_agents(request, catalog))
    plans = []
    for target in eligible_targets(agent, catalog, request):
        hits = [phrase for _, phrase in sorted(match_phrases(request, target.triggers))]
        if target.name in named:
            plans.append(HandoffPlan(agent=target.name, reason=f"The request names {target.name}."))
        elif hits:
            quoted = ", ".join(f"“{h}”" for h in hits[:3])
            plans.append(HandoffPlan(
                agent=target.name,
                reason=f"The request asks for work outside the architect's boundaries ({quoted}): {target.description}"))
    return plans


def build_brief(request: str, workflow: str, from_agent: str, question: str, reason: str,
                messages: Sequence[BaseMessage], chain: list[str]) -> Brief:
    results = tool_results(messages)
    archs = [r.data for r in results if r.tool.endswith("_design_architecture")]
    details = [{"name": str(c.get("name", "")), "technology": str(c.get("technology", "")),
                "responsibility": str(c.get("responsibility", "")), "hosted": "yes" if c.get("hosted") else ""}
               for a in archs for c in a.get("components", [])]
    components = [f"{d['name']} ({d['technology']}): {d['responsibility']}" if d["technology"]
                  else f"{d['name']}: {d['responsibility']}" for d in details]
    flows = [f"{f[0]} → {f[1]}" + (f": {f[2]}" if len(f) > 2 else "") for a in archs for f in a.get("data_flows", [])]
    figures = [f"{c.name}: {c.value:,.4g} {c.unit} ({c.formula})" for r in results for c in r.calculations]
    constraints = _constraints(messages)
    return Brief(request=request, workflow=workflow, from_agent=from_agent, question=question, reason=reason,
                 components=components, details=details, flows=flows, constraints=constraints,
                 figures=list(dict.fromkeys(figures)), chain=chain)


def _constraints(messages: Sequence[BaseMessage]) -> list[str]:
    """The stated requirements intake attached to the request message."""
    from mlarchitect.requirements import Requirements

    for message in messages:
        data = getattr(message, "additional_kwargs", {}).get("requirements")
        if data:
            req = Requirements.model_validate(data)
            return [f"{name.replace('_', ' ')}: “{fact.quote}”" for name, fact in req.stated_facts().items()]
    brief = next((getattr(m, "additional_kwargs", {}).get("brief") for m in messages
                  if getattr(m, "additional_kwargs", {}).get("brief")), None)
    return list(brief.get("constraints", [])) if brief else []


def collected_handoffs(messages: Sequence[BaseMessage]) -> tuple[list[Handoff], list[str]]:
    """Handoffs (nested ones included) and notes recorded in transfer tool messages;
    calls to unknown agents become notes."""
    handoffs: list[Handoff] = []
    notes: list[str] = []
    for message in messages:
        if not isinstance(message, ToolMessage) or not (message.name or "").startswith(TRANSFER_PREFIX):
            continue
        artifact = message.artifact if isinstance(message.artifact, dict) else {}
        if "handoff" in artifact:
            handoffs.append(Handoff.model_validate(artifact["handoff"]))
            handoffs.extend(Handoff.model_validate(h) for h in artifact.get("nested", []))
            notes.extend(artifact.get("notes", []))
        elif message.status == "error":
            notes.append(f"Ignored a handoff the model asked for: {message.name} is not an available agent.")
    return handoffs, list(dict.fromkeys(notes))
