"""The architect graph: intake -> architect <-> tools -> assemble.

One graph for every model: the offline engine, OpenAI, any OpenAI-compatible
server. Model failures fall back to the offline engine when allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.messages import HumanMessage, RemoveMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import REMOVE_ALL_MESSAGES

from mlarchitect.agents.handoffs import collected_handoffs, eligible_targets
from mlarchitect.agents.intake.assume import assumption_lines, describe_value, with_assumptions
from mlarchitect.agents.intake.extract import amend_requirements, extract_requirements
from mlarchitect.agents.loop import AgentLoop, add_agent_loop, tokens
from mlarchitect.agents.routing import Route, route_request, skills_for
from mlarchitect.agents.runtime import check_design, stamp, workflow_section
from mlarchitect.agents.siblings import SiblingHub
from mlarchitect.agents.request import validate_request
from mlarchitect.agents.state import DesignState
from mlarchitect.agents.tool_results import failed_tool_notes, tool_results
from mlarchitect.deliverable import ArchitectureDesign, Calculation, CostAnalysis, DesignContent, Provenance
from mlarchitect.workflows import WORKFLOWS
from mlarchitect.prompts.loader import load_prompt, prompt_version, section_prompts
from mlarchitect.requirements import Requirements

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool
    from langgraph.checkpoint.base import BaseCheckpointSaver

    from mlarchitect.agents.design_runtime import DesignRuntime


def requirements_text(req: Requirements) -> str:
    """The requirements as the model reads them: stated (quoted) and assumed (with why)."""
    lines = [f"- {name.replace('_', ' ')}: {describe_value(f.value)} (stated: “{f.quote}”)"
             for name, f in req.stated_facts()]
    if req.document_types:
        lines.append(f"- document types: {', '.join(req.document_types)}")
    lines += [f"- {line}" for line in assumption_lines(req)]
    if req.self_hosted_only:
        lines.append("- HARD CONSTRAINT: nothing hosted (no external model, embedding or SaaS API) anywhere")
    if req.stack_only is not None and req.stack_only.value:
        lines.append(f"- HARD CONSTRAINT: only the existing stack ({', '.join(sorted(req.stack())) or 'as stated'}); no new datastore")
    return "\n".join(lines) or "- none stated: state your assumptions"


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
            route = route_request(routed_text, runtime.architect, runtime.skills, stated)
        if route.in_scope and "cost-analysis" in runtime.skills.skills and "cost-analysis" not in route.skills:
            route.skills.append("cost-analysis")  # every design carries a cost analysis
        req = with_assumptions(stated, route.workflow) if route.in_scope else stated
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

        runtime.restore(state)
        before = runtime.ledger.totals(runtime.architect.name)
        content, notes, method = runtime.structured(runtime.architect, runtime.model_for(runtime.architect),
                                                    DesignContent, messages, step="assemble", workflow=route.workflow)
        notes += check_design(runtime, content, messages, route.workflow, method)
        after = runtime.ledger.totals(runtime.architect.name)
        calls, used = after[0] - before[0], tokens(after) - tokens(before)
        design = finalize(content, state, runtime, notes)
        stamp(runtime, design, state, method=method, calls=calls, tokens=used)
        return {"design": design.model_dump(mode="json"), "llm_calls": calls, "tokens": used, **runtime.mirror()}

    def decline(state: DesignState) -> dict[str, Any]:
        """A request about no ML, AI or data system, or a question about a concept: say so,
        design nothing, call no model."""
        question = Route.model_validate(state["route"]).question
        design = finalize(declined_content(runtime, question=question), state, runtime, [])
        stamp(runtime, design, state, method="none", calls=0, tokens=0)
        return {"design": design.model_dump(mode="json"), "llm_calls": 0, "tokens": 0, **runtime.mirror()}

    def offered(state: Mapping[str, Any]) -> list[BaseTool]:
        route = Route.model_validate(state["route"])
        eligible = eligible_targets(runtime.architect, runtime.agents, state["request"])
        return [*runtime.tools_for(route.skills), *(transfer_tools[a.name] for a in eligible)]

    loop = AgentLoop(agent=runtime.architect, known_tools=[*runtime.tools, *transfer_tools.values()],
                     max_steps=settings.max_steps, step="architect", offered=offered,
                     workflow=lambda state: Route.model_validate(state["route"]).workflow, who="the architect")
    graph = StateGraph(DesignState)
    graph.add_node("intake", intake)
    graph.add_node("assemble", assemble)
    graph.add_node("decline", decline)
    add_agent_loop(graph, runtime, loop, node="architect", then="assemble")
    graph.add_edge(START, "intake")
    graph.add_conditional_edges(
        "intake", lambda state: "architect" if Route.model_validate(state["route"]).in_scope else "decline",
        ["architect", "decline"])
    graph.add_edge("decline", END)
    graph.add_edge("assemble", END)
    return graph.compile(checkpointer=checkpointer, interrupt_before=interrupt_before, name="ml-system-architect")


# what a declined request is told: (title, why nothing was designed, the question back)
_DECLINED = {
    False: ("Outside what this architect designs",
            "This request is not about an ML, LLM or data system, so there is nothing to design and no model was asked.",
            "Which ML, LLM or data system do you need, and what should it do for its users?"),
    True: ("A question, not a system to design",
           "This reads as a question about a concept rather than a system to design, so nothing was designed and "
           "no model was asked.",
           "Is there a system behind the question (its data, users and limits) that you want designed?"),
}


def declined_content(runtime: DesignRuntime, *, question: bool = False) -> DesignContent:
    """The deliverable's content for a request outside the architect's work, or a question
    about a concept ("what is an embedding?")."""
    title, why, ask = _DECLINED[question]
    titles = [WORKFLOWS[w.id].title for w in runtime.architect.workflows if w.id in WORKFLOWS]
    kinds = ", ".join(t if t[:2].isupper() else t[0].lower() + t[1:] for t in titles)
    return DesignContent(
        title=title,
        summary=f"{why} The architect designs these kinds of system: {kinds}. Describe the system you need in those terms.",
        cost_analysis=CostAnalysis(monthly_total_usd=0.0, assumptions=["Nothing was designed, so nothing runs."]),
        open_questions=[ask],
    )


def finalize(content: DesignContent, state: DesignState, runtime: DesignRuntime,
             extra_notes: list[str]) -> ArchitectureDesign:
    """Add the bookkeeping the code owns (never the model): skills used, sources,
    every tool calculation; provenance is the ledger's (:func:`~mlarchitect.agents.runtime.stamp`)."""
    results = tool_results(state.get("messages", []))
    route = Route.model_validate(state["route"])
    sizing = list(content.sizing)
    names = {c.name for c in sizing}
    sizing.extend(c for r in results for c in r.calculations
                  if c.unit != "USD/month" and c.name not in names and not names.add(c.name))
    skills_used = list(dict.fromkeys(r.skill for r in results))
    handoffs, handoff_notes = collected_handoffs(state.get("messages", []))
    sources = list(dict.fromkeys(h.doc_id for r in results for h in r.patterns))
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
        notes=list(dict.fromkeys([*state.get("notes", []), *handoff_notes, *failed_tool_notes(state.get("messages", []), {t.name for t in runtime.tools}),
                                  *extra_notes])),
        provenance=Provenance(model=runtime.model_name, offline=runtime.offline,
                              prompt_version=prompt_version(runtime.prompts), kb_version=runtime.kb_version),
    )
    return ArchitectureDesign.model_validate(data)


def _honest_provenance(sizing: list[Calculation], req: Requirements) -> None:
    """A figure says "from the request" only for inputs whose value the request stated."""
    stated_values: set[float] = set()
    for _, fact in req.stated_facts():
        value = fact.value
        for number in (value, getattr(value, "amount", None), getattr(value, "seconds", None),
                       getattr(value, "gpus", None), getattr(value, "gpu_memory_gb", None), getattr(value, "ram_gb", None)):
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
