"""The architect graph: intake -> architect <-> tools -> assemble.

One graph for every model: the offline engine, OpenAI, any OpenAI-compatible
server. Model failures fall back to the offline engine when allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.prebuilt import ToolNode

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.deliverable import ArchitectureDesign, DesignContent, Provenance
from mlarchitect.agents.handoffs import collected_handoffs, eligible_targets
from mlarchitect.agents.request_facts import RequestFacts, extract_facts
from mlarchitect.agents.routing import Route, route_request
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
    """Everything a run needs, built once per run by the API."""

    settings: Settings
    architect: AgentSpec
    agents: AgentCatalog
    skills: SkillCatalog
    model: BaseChatModel
    model_name: str
    offline: bool
    tools: list[BaseTool]
    offline_factory: Callable[[AgentSpec], BaseChatModel] | None = None
    tier_factory: Callable[[str | None], BaseChatModel] | None = None
    sibling_models: dict[str, BaseChatModel] = field(default_factory=dict)
    kb_version: str = "none"
    prompts: list[Prompt] = field(default_factory=list)
    fell_back: bool = False  # after one provider failure, every agent of the run stays offline

    def tools_for(self, skill_ids: list[str]) -> list[BaseTool]:
        wanted = set(skill_ids)
        return [t for t in self.tools if (t.metadata or {}).get("skill") in wanted]

    def sibling_model(self, agent: AgentSpec) -> BaseChatModel:
        """The sibling's own model: its tier's model, or the offline engine playing it."""
        if agent.name in self.sibling_models:
            return self.sibling_models[agent.name]
        if self.fell_back and self.offline_factory is not None:
            return self.offline_factory(agent)
        if self.tier_factory is not None and not self.offline:
            return self.tier_factory(agent.model)
        assert self.offline_factory is not None
        return self.offline_factory(agent)

    def call_with_fallback(self, model: BaseChatModel, agent: AgentSpec,
                           use: Callable[[BaseChatModel], Any]) -> tuple[Any, str | None]:
        """Call ``model``; on a provider failure let the offline engine (playing
        ``agent``) answer instead, when allowed. Returns (result, note or None)."""
        try:
            return use(model), None
        except MLArchitectError:
            raise
        except Exception as exc:  # the provider's errors: network, HTTP 5xx, bad output ...
            offline = isinstance(model, _offline_type())
            if offline or self.offline_factory is None or not self.settings.fallback_to_offline:
                raise ModelError(f"the model {_name(model, self.model_name)} failed: {_one_line(exc)}") from exc
            self.fell_back = True
            note = (f"The model {_name(model, self.model_name)} failed ({_one_line(exc)}); "
                    f"the offline engine completed the {agent.name} step.")
            return use(self.offline_factory(agent)), note


def _offline_type() -> type:
    from mlarchitect.agents.offline.engine import OfflineChatModel

    return OfflineChatModel


def _name(model: Any, default: str) -> str:
    return str(getattr(model, "model_name", None) or getattr(model, "model", None) or default)


def facts_text(facts: RequestFacts) -> str:
    lines = [f"- {name.replace('_', ' ')}: {getattr(facts, name)} (from “{quote}”)"
             for name, quote in facts.evidence.items()]
    if facts.document_types:
        lines.append(f"- document types: {', '.join(facts.document_types)}")
    return "\n".join(lines) or "- none: state your assumptions"


def _one_line(exc: BaseException) -> str:
    from mlarchitect.redact import redact

    text = redact(" ".join(str(exc).split())) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text[:300]}"


def _tokens(message: BaseMessage | None) -> int:
    usage = getattr(message, "usage_metadata", None) or {}
    return int(usage.get("total_tokens", 0) or 0)


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

    def call_model(state: DesignState, use: Callable[[BaseChatModel], Any]) -> tuple[Any, dict[str, Any]]:
        """The architect's model call; after one failure the run stays on the offline engine."""
        if (state.get("fallback_used") or runtime.fell_back) and runtime.offline_factory is not None:
            return use(runtime.offline_factory(runtime.architect)), {}
        result, note = runtime.call_with_fallback(runtime.model, runtime.architect, use)
        return result, ({"fallback_used": True, "notes": [note]} if note else {})

    def intake(state: DesignState) -> dict[str, Any]:
        request = validate_request(state.get("request", ""))
        route = route_request(request, runtime.architect, runtime.skills)
        facts = extract_facts(request)
        workflow = runtime.architect.workflow(route.workflow)
        system = architect_prompt.render(
            agent_body=runtime.architect.body,
            workflow=route.workflow,
            workflow_title=workflow.title if workflow else "General ML system design",
            facts=facts_text(facts),
            max_steps=settings.max_steps,
        )
        return {
            "request": request,
            "route": route.model_dump(),
            "facts": facts.model_dump(),
            "messages": [SystemMessage(content=system), HumanMessage(content=request)],
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
        message, extra = call_model(state, lambda m: m.bind_tools(tools).invoke(state["messages"]))
        return {"messages": [message], "steps": steps + 1, "llm_calls": 1, "tokens": _tokens(message), **extra}

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

        def structured(model: BaseChatModel) -> dict[str, Any]:
            out = model.with_structured_output(DesignContent, method="function_calling", include_raw=True).invoke(messages)
            if out.get("parsed") is None:
                raise ValueError(f"structured output did not validate: {out.get('parsing_error')}")
            return out

        out, extra = call_model(state, structured)
        tokens = _tokens(out.get("raw"))
        design = finalize(out["parsed"], state, runtime, extra.get("notes", []), tokens=tokens)
        return {"design": design.model_dump(mode="json"), "llm_calls": 1, "tokens": tokens, **extra}

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
    sizing.extend(c for r in results for c in r.calculations if c.name not in names and not names.add(c.name))
    skills_used = list(dict.fromkeys(r.skill for r in results))
    handoffs, handoff_notes = collected_handoffs(state.get("messages", []))
    sources = list(dict.fromkeys(h.doc_id for r in results for h in r.patterns))
    fallback = bool(state.get("fallback_used")) or bool(extra_notes)
    data = content.model_dump()
    data.update(
        sizing=sizing,
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
