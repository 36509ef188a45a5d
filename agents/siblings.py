"""Sibling agents as subgraphs, reached through ``transfer_to_<agent>`` tools.

A transfer tool builds a brief from the caller's state, runs the sibling's own
small graph (its prompt, its skills, its model tier) and returns the sibling's
section as the tool result, so parallel tool calls that include a handoff all
get their tool message. Loops (A -> B -> A), chains deeper than the limit and a
run's handoff budget are stopped with a note, never a recursion error; a sibling
that fails returns a section saying so.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Annotated, Any, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import InjectedState
from pydantic import BaseModel, Field

from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.deliverable import Handoff
from mlarchitect.agents.loop import AgentLoop, add_agent_loop
from mlarchitect.agents.state import LoopState
from mlarchitect.agents.handoffs import (
    Brief,
    SiblingContribution,
    build_brief,
    collected_handoffs,
    eligible_targets,
    transfer_tool_name,
)
from mlarchitect.prompts.loader import load_prompt

if TYPE_CHECKING:
    from mlarchitect.agents.design_runtime import DesignRuntime

MAX_CHAIN_DEPTH = 3  # architect -> sibling -> sibling


class SiblingState(LoopState, total=False):
    brief: dict[str, Any]
    request: str
    chain: list[str]
    contribution: str
    title: str
    handoffs: list[dict[str, Any]]


Reason = Annotated[str, Field(description="Why this part goes to that agent (one sentence).")]
Question = Annotated[str, Field(description="What the agent should produce for this design, with constraints.")]


class TransferArgs(BaseModel):
    """The arguments of every ``transfer_to_<agent>`` tool (one schema for all of them)."""

    reason: Reason
    question: Question
    state: Annotated[dict, InjectedState]


class TransferTool(BaseTool):
    """Hands a part of the work to ``target``: runs its subgraph, returns its section."""

    args_schema: type[BaseModel] = TransferArgs
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    hub: Any = Field(exclude=True)
    target: AgentSpec = Field(exclude=True)
    caller: AgentSpec = Field(exclude=True)

    def _run(self, reason: str, question: str, state: dict[str, Any], config: RunnableConfig,
             run_manager: Any = None) -> tuple[str, dict[str, Any]]:
        return self.hub.run_handoff(self.target, self.caller, reason, question, state, config)


class SiblingHub:
    """Builds transfer tools and sibling subgraphs for one run."""

    def __init__(self, runtime: DesignRuntime) -> None:
        self.runtime = runtime
        self._graphs: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._count = 0

    # -- tools ----------------------------------------------------------------

    def transfer_tool(self, target: AgentSpec, caller: AgentSpec) -> BaseTool:
        triggers = "; ".join(target.triggers[:8])
        return TransferTool(
            name=transfer_tool_name(target.name),
            description=(f"Hand a part of the work to the {target.name} agent: {target.description} "
                         f"Use it when the request asks for: {triggers}. It returns "
                         f"{target.contribution_title or 'a section'} for the deliverable."),
            metadata={"handoff": target.name},
            hub=self, target=target, caller=caller,
        )

    def run_handoff(self, target: AgentSpec, caller: AgentSpec, reason: str, question: str,
                    state: dict[str, Any], config: RunnableConfig) -> tuple[str, dict[str, Any]]:
        self.runtime.restore(state)
        chain = list(state.get("chain") or [caller.name])
        limit = self.runtime.settings.max_handoffs
        with self._lock:
            self._count += 1
            count = self._count
        stop = None
        if target.name in chain:
            stop = f"Handoff loop stopped: {' → '.join([*chain, target.name])} would revisit {target.name}."
        elif len(chain) >= MAX_CHAIN_DEPTH:
            stop = f"Handoff chain stopped at depth {MAX_CHAIN_DEPTH}: {' → '.join([*chain, target.name])}."
        elif count > limit:
            stop = f"Handoff to {target.name} skipped: the run's limit of {limit} handoffs was reached."
        if stop is not None:
            handoff = Handoff(agent=target.name, reason=reason, contribution=stop, status="skipped")
            return stop, {"handoff": handoff.model_dump(), "notes": [stop]}
        request = state.get("request") or state.get("brief", {}).get("request", "")
        workflow = (state.get("route") or {}).get("workflow") or state.get("brief", {}).get("workflow", "general")
        brief = build_brief(request, workflow, caller.name, question, reason, state.get("messages", []),
                            [*chain, target.name])
        try:
            out = self.graph(target.name).invoke({"brief": brief.model_dump(), "request": request,
                                                  "chain": brief.chain}, config)
        except Exception as exc:  # a failing sibling never sinks the design
            text = (f"The {target.name} agent could not complete its section "
                    f"({exc.__class__.__name__}: {' '.join(str(exc).split())[:200]}). "
                    "Treat this part as open and hand it over again once the cause is fixed.")
            handoff = Handoff(agent=target.name, reason=reason, contribution=text, status="failed")
            return text, {"handoff": handoff.model_dump(), "notes": [f"Handoff to {target.name} failed."]}
        body = f"## {out.get('title') or target.contribution_title}\n\n{out.get('contribution', '').strip()}"
        handoff = Handoff(agent=target.name, reason=reason, contribution=body)
        return body, {"handoff": handoff.model_dump(), "nested": out.get("handoffs", []),
                      "notes": list(dict.fromkeys(out.get("notes", [])))}

    # -- subgraphs ------------------------------------------------------------

    def graph(self, name: str) -> Any:
        with self._lock:
            if name not in self._graphs:
                self._graphs[name] = self._build(self.runtime.agents.agents[name])
            return self._graphs[name]

    def _build(self, agent: AgentSpec) -> Any:
        runtime = self.runtime
        skill_tools = runtime.tools_for([s for s in (runtime.skills.resolve(n) for n in agent.skills) if s])
        transfer = [self.transfer_tool(t, agent) for t in eligible_targets(agent, runtime.agents, "")]
        tools = [*skill_tools, *transfer]
        prompt = load_prompt("sibling")
        max_steps = max(1, runtime.settings.max_steps // 2)

        def start(state: SiblingState) -> dict[str, Any]:
            brief = Brief.model_validate(state["brief"])
            system = prompt.render(agent_body=agent.body, contribution_title=agent.contribution_title or "a section",
                                   max_steps=max_steps)
            return {"messages": [SystemMessage(content=system),
                                 HumanMessage(content=brief.to_markdown(), additional_kwargs={"brief": brief.model_dump()})],
                    "steps": 0, "chain": brief.chain}

        def write(state: SiblingState) -> dict[str, Any]:
            ask = HumanMessage(content=f"Write your {agent.contribution_title or 'section'} for the brief now.")
            runtime.restore(state)
            out, model_notes, _method = runtime.structured(agent, runtime.model_for(agent), SiblingContribution,
                                                           [*state["messages"], ask], step="write")
            nested, notes = collected_handoffs(state["messages"])
            return {"contribution": out.markdown, "title": out.title,
                    "handoffs": [h.model_dump() for h in nested], "notes": [*notes, *model_notes]}

        graph = StateGraph(SiblingState)
        graph.add_node("start", start)
        graph.add_node("write", write)
        add_agent_loop(graph, runtime, AgentLoop(agent=agent, known_tools=tools, max_steps=max_steps, step="work"),
                       node="work", then="write")
        graph.add_edge(START, "start")
        graph.add_edge("start", "work")
        graph.add_edge("write", END)
        return graph.compile(name=agent.name)
