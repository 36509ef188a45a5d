"""The architect graph: intake -> architect <-> tools -> assemble.

One graph for every model: the offline engine, OpenAI, any OpenAI-compatible
server. Model failures fall back to the offline engine when allowed.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, RemoveMessage, SystemMessage, ToolMessage
from langgraph.graph.message import REMOVE_ALL_MESSAGES
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.deliverable import ArchitectureDesign, Calculation, DesignContent, Provenance
from mlarchitect.agents.handoffs import collected_handoffs, eligible_targets
from mlarchitect.agents.intake.assume import assumption_lines, describe_value, with_assumptions
from mlarchitect.agents.intake.extract import amend_requirements, extract_requirements
from mlarchitect.requirements import Requirements
from mlarchitect.agents.routing import Route, route_request, skills_for
from mlarchitect.agents.models import agent_model_name, is_offline_model
from mlarchitect.agents.probe import Capabilities
from mlarchitect.agents.runtime import (
    GROUNDING_KEY,
    OFFLINE,
    Ledger,
    Turn,
    attempt,
    check_design,
    grounding_message,
    label,
    one_line,
    stamp,
    structured,
    tool_turn,
    workflow_section,
)
from mlarchitect.agents.siblings import SiblingHub
from mlarchitect.agents.state import DesignState, validate_request
from mlarchitect.agents.tool_results import tool_results
from mlarchitect.config import Settings
from mlarchitect.errors import MLArchitectError, ModelError
from mlarchitect.prompts.loader import Prompt, load_prompt, prompt_version, section_prompts
from mlarchitect.skills.registry import SkillCatalog

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.tools import BaseTool
    from langgraph.checkpoint.base import BaseCheckpointSaver


@dataclass
class DesignRuntime:
    """Everything a run needs, built once per run by the API.

    The model path (retries, the structured-output ladder, fallbacks, the ledger
    that provenance is written from) lives in :mod:`mlarchitect.agents.runtime`;
    these methods are its entry points.
    """

    settings: Settings
    architect: AgentSpec
    agents: AgentCatalog
    skills: SkillCatalog
    model: BaseChatModel
    model_name: str
    offline: bool
    tools: list[BaseTool]
    offline_factory: Callable[[AgentSpec], BaseChatModel] | None = None
    tier_factory: Callable[[str], BaseChatModel] | None = None  # a model of the same server, by name
    sibling_models: dict[str, BaseChatModel] = field(default_factory=dict)
    kb_version: str = "none"
    prompts: list[Prompt] = field(default_factory=list)
    fell_back: bool = False  # the architect's model failed: every agent on that model stays offline
    probe: Callable[[str], Capabilities] | None = None  # None: assume the server does everything
    source_ids: set[str] | None = None  # the knowledge base's document ids (None: unknown)
    ledger: Ledger = field(default_factory=Ledger)
    deadline: float | None = None
    failed: dict[str, str] = field(default_factory=dict)  # model -> why it failed (for every agent)
    agent_failed: dict[tuple[str, str], str] = field(default_factory=dict)  # (agent, model) -> why
    _caps: dict[str, Capabilities] = field(default_factory=dict)
    _models: dict[str, BaseChatModel] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.deadline is None and self.settings.timeout_s:
            self.deadline = time.monotonic() + self.settings.timeout_s

    def tools_for(self, skill_ids: list[str]) -> list[BaseTool]:
        wanted = set(skill_ids)
        return [t for t in self.tools if (t.metadata or {}).get("skill") in wanted]

    def capabilities(self, name: str) -> Capabilities:
        """What the server does for model ``name`` (probed once per run, cached on disk)."""
        with self._lock:
            if name not in self._caps:
                caps = self.probe(name) if self.probe is not None and name != OFFLINE else Capabilities(model=name)
                self.ledger.probe_calls += caps.calls
                self._caps[name] = caps
            return self._caps[name]

    def blocked(self, agent: str, name: str) -> str | None:
        """Why ``agent`` must not call model ``name`` now (None: it may)."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return f"the run's deadline ({self.settings.timeout_s:g} s) passed"
        if self.fell_back and self.failed:  # the architect's provider failed: the run is offline
            return next(iter(self.failed.values()))
        if name in self.failed:
            return self.failed[name]
        if (agent, name) in self.agent_failed:
            return self.agent_failed[(agent, name)]
        caps = self.capabilities(name)
        return None if caps.model_found else caps.error or f"model {name} not found"

    def mark_failed(self, agent: str, name: str, reason: str) -> None:
        """The architect's failure takes its model out of the run; a sibling's only out of its own steps."""
        if agent == self.architect.name:
            self.fell_back = True
            self.failed.setdefault(name, reason)
        else:
            self.agent_failed.setdefault((agent, name), reason)

    def sibling_model(self, agent: AgentSpec) -> BaseChatModel:
        """The sibling's model: the architect's model unless tiers are on (see
        :func:`~mlarchitect.agents.models.agent_model_name`), or the offline engine
        playing it when its model already failed in this run."""
        if agent.name in self.sibling_models:
            return self.sibling_models[agent.name]
        if self.offline or (self.tier_factory is None and self.offline_factory is not None):
            assert self.offline_factory is not None
            return self.offline_factory(agent)
        name = agent_model_name(self.settings, agent.model, self.model_name)
        reason = self.failed.get(name) or (next(iter(self.failed.values())) if self.fell_back and self.failed else None)
        if reason is not None and self.offline_factory is not None:
            self.ledger.fallback(agent.name, "all", f"its model {name} already failed in this run ({reason})")
            return self.offline_factory(agent)
        if name == self.model_name:
            return self.model
        assert self.tier_factory is not None
        with self._lock:
            if name not in self._models:
                self._models[name] = self.tier_factory(name)
            return self._models[name]

    def call_with_fallback(self, model: BaseChatModel, agent: AgentSpec, use: Callable[..., Any], *,
                           step: str = "call", messages: list[BaseMessage] | None = None,
                           compact: Callable[[list[BaseMessage]], list[BaseMessage]] | None = None,
                           ) -> tuple[Any, str | None]:
        """Call ``model`` (retries, counting); on a provider failure let the offline engine
        (playing ``agent``) answer instead, when allowed. Returns (result, note or None).
        ``use(model)``, or ``use(model, messages)`` when ``messages`` is given (then a
        context overflow is retried once with ``compact(messages)``)."""
        if _offline_type()(model):
            return (use(model) if messages is None else use(model, messages)), None
        name = _name(model, self.model_name)
        reason = self.blocked(agent.name, name)
        if reason is None:
            call = (lambda m, _msgs: use(m)) if messages is None else use
            try:
                return attempt(self, agent.name, model, call, messages or [], compact=compact), None
            except MLArchitectError:
                raise
            except Exception as exc:  # the provider's errors: network, HTTP 4xx/5xx, bad output ...
                reason = _one_line(exc)
                self.mark_failed(agent.name, name, reason)
                if self.offline_factory is None or not self.settings.fallback_to_offline:
                    raise ModelError(f"the model {name} failed: {reason}") from exc
        if self.offline_factory is None or not self.settings.fallback_to_offline:
            raise ModelError(f"the model {name} failed: {reason}")
        self.ledger.fallback(agent.name, step, reason)
        note = f"The model {name} failed ({reason}); the offline engine completed the {agent.name} step."
        offline = self.offline_factory(agent)
        return (use(offline) if messages is None else use(offline, messages)), note

    def tool_turn(self, agent: AgentSpec, model: BaseChatModel, tools: list[BaseTool], messages: list[BaseMessage],
                  *, step: str, workflow: str | None = None) -> Turn:
        return tool_turn(self, agent, model, tools, messages, step=step, workflow=workflow)

    def structured(self, agent: AgentSpec, model: BaseChatModel, schema: type[Any], messages: list[BaseMessage],
                   *, step: str, workflow: str | None = None) -> tuple[Any, list[str], str]:
        return structured(self, agent, model, schema, messages, step=step, workflow=workflow)


def _offline_type() -> Callable[[Any], bool]:
    """The offline-engine test (the graph reaches the engine only through ``agents.models``)."""
    return is_offline_model


def _name(model: Any, default: str) -> str:
    return label(model, default)


def requirements_text(req: Requirements) -> str:
    """The requirements as the model reads them: stated (quoted) and assumed (with why)."""
    lines = [f"- {name.replace('_', ' ')}: {describe_value(f.value)} (stated: “{f.quote}”)"
             for name, f in req.stated_facts().items()]
    if req.document_types:
        lines.append(f"- document types: {', '.join(req.document_types)}")
    lines += [f"- {line}" for line in assumption_lines(req)]
    if req.self_hosted_only:
        lines.append("- HARD CONSTRAINT: nothing hosted (no external model, embedding or SaaS API) anywhere")
    if req.stack_only is not None and req.stack_only.value:
        lines.append(f"- HARD CONSTRAINT: only the existing stack ({', '.join(sorted(req.stack())) or 'as stated'}); no new datastore")
    return "\n".join(lines) or "- none stated: state your assumptions"


def _grounding_in_progress(messages: list[BaseMessage]) -> bool:
    """The last assistant turn was the code's grounding (its tools have answered)."""
    last_ai = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
    return last_ai is not None and bool(last_ai.additional_kwargs.get(GROUNDING_KEY))


def _one_line(exc: BaseException) -> str:
    from mlarchitect.redact import redact

    return redact(one_line(exc))


def _tokens(totals: tuple[int, int, int, int]) -> int:
    """Prompt + completion tokens of a ledger total."""
    return totals[2] + totals[3]


def build_graph(
    runtime: DesignRuntime,
    checkpointer: BaseCheckpointSaver | None = None,
    *,
    interrupt_before: list[str] | None = None,
) -> Any:
    settings = runtime.settings
    architect_prompt = load_prompt("architect")
    assemble_prompt = load_prompt("assemble")
    sections = section_prompts()
    runtime.prompts = [architect_prompt, assemble_prompt, load_prompt("sibling"), *sections]
    hub = SiblingHub(runtime)
    # a transfer tool per agent the architect could reach (ToolNode knows them all);
    # each turn the model is offered only the ones eligible for this request
    transfer_tools = {agent.name: hub.transfer_tool(agent, runtime.architect)
                      for agent in runtime.agents.agents.values() if agent.name != runtime.architect.name}

    def intake(state: DesignState) -> dict[str, Any]:
        followup = state.get("followup")
        if followup and state.get("design"):  # a follow-up turn amends the current design's requirements
            stated = Requirements.model_validate(state.get("stated") or {})
            stated, changes = amend_requirements(stated, followup)
            request = state["request"]
            routed_text = f"{request}\n{followup}"
            revision = int(state.get("revision") or 1) + 1
        else:
            request = validate_request(state.get("request", ""))
            stated, changes, routed_text, revision = extract_requirements(request), [], request, 1
        hint = state.get("workflow_hint")
        if hint:  # the caller chose the workflow
            route = Route(workflow=hint, skills=skills_for(hint, routed_text, runtime.architect, runtime.skills),
                          confidence=1.0)
        else:
            route = route_request(routed_text, runtime.architect, runtime.skills)
        if "cost-analysis" in runtime.skills.skills and "cost-analysis" not in route.skills:
            route.skills.append("cost-analysis")  # every design carries a cost analysis
        req = with_assumptions(stated, route.workflow)
        workflow = runtime.architect.workflow(route.workflow)
        system = architect_prompt.render(
            agent_body=workflow_section(runtime.architect, route.workflow),
            workflow=route.workflow,
            workflow_title=workflow.title if workflow else "General ML system design",
            facts=requirements_text(req),
            max_steps=settings.max_steps,
        )
        human = routed_text if not followup else f"{request}\n\nFollow-up: {followup}"
        return {
            "request": request,
            "route": route.model_dump(),
            "stated": stated.model_dump(mode="json"),
            "requirements": req.model_dump(mode="json"),
            "changes": changes,
            "revision": revision,
            "followup": None,
            "workflow_hint": None,
            "messages": [RemoveMessage(id=REMOVE_ALL_MESSAGES), SystemMessage(content=system),
                         HumanMessage(content=human, additional_kwargs={"requirements": req.model_dump(mode="json"),
                                                                       "route": route.model_dump()})],
            "steps": 0,
        }

    def architect(state: DesignState) -> dict[str, Any]:
        steps = state.get("steps", 0)
        if steps >= settings.max_steps:
            return {"notes": [f"The architect stopped at the step limit ({settings.max_steps} tool rounds); "
                              "the design uses the results gathered so far."]}
        route = Route.model_validate(state["route"])
        eligible = eligible_targets(runtime.architect, runtime.agents, state["request"])
        tools = [*runtime.tools_for(route.skills), *(transfer_tools[a.name] for a in eligible)]
        before = runtime.ledger.totals(runtime.architect.name)
        if _grounding_in_progress(state["messages"]):
            # the code is running the workflow's plan for a model that skipped it: next phase, no model call
            more = grounding_message(runtime, tools, state["messages"], None)
            if more is not None:
                return {"messages": [more], "steps": steps + 1}
        if (state.get("fallback_used") or runtime.fell_back) and runtime.offline_factory is not None:
            turn = Turn([runtime.offline_factory(runtime.architect).bind_tools(tools).invoke(state["messages"])])
        else:
            turn = runtime.tool_turn(runtime.architect, runtime.model, tools, state["messages"], step="architect",
                                     workflow=route.workflow)
        last = turn.messages[-1] if turn.messages else None
        if (steps == 0 and not turn.fallback and not runtime.fell_back and not _offline_type()(runtime.model)
                and not (isinstance(last, AIMessage) and last.tool_calls)
                and not isinstance(last, ToolMessage)):
            # no tool call on the first turn: the code runs the workflow's leading tools itself
            said = last if isinstance(last, AIMessage) else None
            grounded = grounding_message(runtime, tools, state["messages"], said)
            if grounded is not None:
                turn.messages = [*(m for m in turn.messages if m is not said), grounded]
                why = ("the server does not call tools" if said is None
                       else "the model made no tool call on its first turn")
                runtime.ledger.fallback(runtime.architect.name, "architect (grounding)", why)
                names = Counter(c["name"] for c in grounded.tool_calls)
                turn.notes.append(f"Grounding: {why}; the code ran the workflow's leading tools ("
                                  + ", ".join(f"{n} ×{k}" if k > 1 else n for n, k in names.items())
                                  + ") and gave the model their results.")
        after = runtime.ledger.totals(runtime.architect.name)
        update: dict[str, Any] = {"messages": turn.messages, "steps": steps + 1, "llm_calls": after[0] - before[0],
                                  "tokens": _tokens(after) - _tokens(before)}
        if turn.notes:
            update["notes"] = turn.notes
        if turn.fallback:
            update["fallback_used"] = True
        return update

    def after_architect(state: DesignState) -> Literal["tools", "assemble"]:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else "assemble"

    def assemble(state: DesignState) -> dict[str, Any]:
        route = Route.model_validate(state["route"])
        workflow = runtime.architect.workflow(route.workflow)
        instruction = assemble_prompt.render(
            request=state["request"],
            workflow=route.workflow,
            workflow_title=workflow.title if workflow else "General ML system design",
            sections="\n".join(f"- {p.text.strip()}" for p in sections),
        )
        messages = [*state["messages"], HumanMessage(content=instruction)]

        before = runtime.ledger.totals(runtime.architect.name)
        model = runtime.model
        if (state.get("fallback_used") or runtime.fell_back) and runtime.offline_factory is not None:
            model = runtime.offline_factory(runtime.architect)
        content, notes, method = runtime.structured(runtime.architect, model, DesignContent, messages,
                                                    step="assemble", workflow=route.workflow)
        notes += check_design(runtime, content, messages, route.workflow, method)
        after = runtime.ledger.totals(runtime.architect.name)
        calls, tokens = after[0] - before[0], _tokens(after) - _tokens(before)
        design = finalize(content, state, runtime, notes, tokens=tokens)
        stamp(runtime, design, state, method=method, calls=calls, tokens=tokens)
        extra: dict[str, Any] = {"fallback_used": True} if method == OFFLINE else {}
        return {"design": design.model_dump(mode="json"), "llm_calls": calls, "tokens": tokens, **extra}

    graph = StateGraph(DesignState)
    graph.add_node("intake", intake)
    graph.add_node("architect", architect)
    graph.add_node("tools", ToolNode([*runtime.tools, *transfer_tools.values()], handle_tool_errors=True))
    graph.add_node("assemble", assemble)
    graph.add_edge(START, "intake")
    graph.add_edge("intake", "architect")
    graph.add_conditional_edges("architect", after_architect, ["tools", "assemble"])
    graph.add_edge("tools", "architect")
    graph.add_edge("assemble", END)
    return graph.compile(checkpointer=checkpointer, interrupt_before=interrupt_before, name="ml-system-architect")


def finalize(content: DesignContent, state: DesignState, runtime: DesignRuntime,
             extra_notes: list[str], *, tokens: int = 0) -> ArchitectureDesign:
    """Add the bookkeeping the code owns (never the model): skills used, sources,
    every tool calculation, provenance."""
    results = tool_results(state.get("messages", []))
    route = Route.model_validate(state["route"])
    sizing = list(content.sizing)
    names = {c.name for c in sizing}
    sizing.extend(c for r in results for c in r.calculations
                  if c.unit != "USD/month" and c.name not in names and not names.add(c.name))
    skills_used = list(dict.fromkeys(r.skill for r in results))
    handoffs, handoff_notes = collected_handoffs(state.get("messages", []))
    sources = list(dict.fromkeys(h.doc_id for r in results for h in r.patterns))
    fallback = bool(state.get("fallback_used")) or bool(extra_notes)
    req = Requirements.model_validate(state.get("requirements") or {})
    _honest_provenance(sizing, req)
    data = content.model_dump()
    data.update(
        sizing=sizing,
        requirements=req,
        assumptions=list(dict.fromkeys([*assumption_lines(req), *content.assumptions])),
        revision=int(state.get("revision") or 1),
        changes=list(state.get("changes") or []),
        request=state["request"],
        workflow=route.workflow,
        skills_used=skills_used,
        handoffs=[h.model_dump() for h in handoffs],
        sources=sources,
        notes=list(dict.fromkeys([*state.get("notes", []), *handoff_notes, *extra_notes])),
        provenance=Provenance(
            model="offline" if fallback else runtime.model_name,
            offline=runtime.offline or fallback,
            prompt_version=prompt_version(runtime.prompts),
            kb_version=runtime.kb_version,
            llm_calls=state.get("llm_calls", 0) + 1,
            tokens=state.get("tokens", 0) + tokens,
            fallback_used=fallback,
        ),
    )
    return ArchitectureDesign.model_validate(data)


def _honest_provenance(sizing: list[Calculation], req: Requirements) -> None:
    """A figure says "from the request" only for inputs whose value the request stated."""
    stated_values: set[float] = set()
    for fact in req.stated_facts().values():
        value = fact.value
        for number in (value, getattr(value, "amount", None), getattr(value, "seconds", None),
                       getattr(value, "gpus", None)):
            if isinstance(number, (int, float)) and not isinstance(number, bool):
                stated_values.add(round(float(number), 6))
    for calc in sizing:
        kept = []
        for name in calc.from_request:
            value = calc.inputs.get(name)
            if isinstance(value, (int, float)) and round(float(value), 6) not in stated_values:
                continue  # derived or assumed: not the request's own number
            kept.append(name)
        calc.from_request = kept
