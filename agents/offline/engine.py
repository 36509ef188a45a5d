"""The offline engine: a LangChain chat model that needs no network.

It plays the model's part in the same graph the real models run in: in the
architect loop it makes tool calls planned from the request (routing by the
definitions' triggers, sizing from the request's numbers); asked for structured
output it composes the deliverable from the tool results in the conversation.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.agents.handoffs import Brief, plan_handoffs, transfer_tool_name
from mlarchitect.agents.offline.sibling import compose_contribution, sibling_queries
from mlarchitect.agents.intake.assume import with_assumptions
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents.offline.composer import compose_design, workflows_for
from mlarchitect.agents.routing import Route, route_request, subject
from mlarchitect.agents.tool_results import tool_results
from mlarchitect.requirements import Requirements
from mlarchitect.skills.registry import SkillCatalog
from mlarchitect.tool_result import PlannedCall, ToolResult

OFFLINE_MODEL_NAME = "offline"

class OfflineChatModel(BaseChatModel):
    """Deterministic, rule-based stand-in for an LLM (see module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    architect: AgentSpec
    skills: SkillCatalog
    agents: AgentCatalog = Field(default_factory=AgentCatalog)
    persona: AgentSpec | None = Field(default=None, description="The sibling agent played; None = the architect.")
    bound_tools: list[str] = Field(default_factory=list, description="The names of the tools it may call.")
    tool_choice: str | None = None

    @property
    def _llm_type(self) -> str:
        return "mlarchitect-offline"

    def __repr__(self) -> str:
        # LangChain puts the repr in every call's callback payload: the fields' repr (the agent
        # definitions, the skill catalogue) took longer to build than the call itself
        who = self.persona.name if self.persona is not None else self.architect.name
        return f"OfflineChatModel(agent={who!r}, tools={self.bound_tools!r}, tool_choice={self.tool_choice!r})"

    @property
    def model_name(self) -> str:
        return OFFLINE_MODEL_NAME

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **_: Any) -> OfflineChatModel:  # type: ignore[override]
        # only the names: no model reads a JSON schema here, so none is built
        return self.model_copy(update={"bound_tools": [_tool_name(t) for t in tools], "tool_choice": tool_choice})

    def with_structured_output(  # type: ignore[override]
        self, schema: type[BaseModel], *, include_raw: bool = False, **_: Any
    ) -> Runnable[Any, Any]:
        bound = self.bind_tools([schema], tool_choice=schema.__name__)

        def parse(messages: Any) -> Any:
            raw = bound.invoke(messages)
            parsed = schema.model_validate(raw.tool_calls[0]["args"])
            return {"raw": raw, "parsed": parsed, "parsing_error": None} if include_raw else parsed

        return RunnableLambda(parse)

    # -- generation -------------------------------------------------------------

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        request = _request(messages)
        if self.tool_choice and self.tool_choice not in ("auto", "none", "any", "required"):
            message = self._structured(request, messages)
        else:
            message = self._next_calls(request, messages)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _structured(self, request: str, messages: list[BaseMessage]) -> AIMessage:
        if self.persona is not None:
            brief = _brief(messages)
            title, markdown = compose_contribution(self.persona, brief, tool_results(messages))
            return AIMessage(content="", tool_calls=[_tool_call(self.tool_choice or "", {"title": title, "markdown": markdown})])
        req, route = _context(messages, request, self)
        content = compose_design(request, route.workflow, req, self.architect, self.skills,
                                 route.skills, tool_results(messages))
        return AIMessage(content="", tool_calls=[_tool_call(self.tool_choice or "", content.model_dump())])

    def _next_calls(self, request: str, messages: list[BaseMessage]) -> AIMessage:
        available = set(self.bound_tools)
        done = {
            (call["name"], json.dumps(call["args"], sort_keys=True))
            for m in messages
            if isinstance(m, AIMessage)
            for call in m.tool_calls
        }
        if self.persona is not None:
            brief = _brief(messages)
            plan = [PlannedCall(name=n, args={"query": q, "k": 2})
                    for n, q in sibling_queries(self.persona, brief, self.skills)]
        else:
            plan = plan_tool_calls(messages, self)
        pending = [
            c for c in plan
            if c.name in available and (c.name, json.dumps(c.args, sort_keys=True)) not in done
        ]
        # handoffs go last, once the skill results they brief from are in
        first_phase = min((c.phase for c in pending), default=0)
        pending = [c for c in pending if c.phase == first_phase]
        if not pending:
            answered = sum(isinstance(m, ToolMessage) for m in messages)
            return AIMessage(content=f"The design is ready ({answered} tool results gathered).")
        return AIMessage(content="", tool_calls=[_tool_call(c.name, c.args) for c in pending])


def _tool_name(tool: Any) -> str:
    """The name a tool is called by, as ``convert_to_openai_tool`` would give it."""
    if isinstance(tool, BaseTool):
        return tool.name
    if isinstance(tool, type) and issubclass(tool, BaseModel):
        return tool.__name__
    from langchain_core.utils.function_calling import convert_to_openai_tool

    return str(convert_to_openai_tool(tool)["function"]["name"])


def _brief(messages: list[BaseMessage]) -> Brief:
    for message in messages:
        if isinstance(message, HumanMessage) and "brief" in message.additional_kwargs:
            return Brief.model_validate(message.additional_kwargs["brief"])
    return Brief(request=_request(messages), from_agent="unknown", question=_request(messages), reason="")


def _request(messages: list[BaseMessage]) -> str:
    for message in messages:
        if isinstance(message, HumanMessage) and isinstance(message.content, str):
            return message.content
    return ""


def _tool_call(name: str, args: dict[str, Any]) -> ToolCall:
    return ToolCall(name=name, args=args, id=f"call_{uuid.uuid4().hex[:16]}", type="tool_call")


def plan_tool_calls(messages: list[BaseMessage], model: OfflineChatModel) -> list[PlannedCall]:
    """The tool calls the offline engine makes: each workflow's architecture and pattern
    searches, then each routed skill's own plan (sizing, cost), then the handoffs."""
    request = _request(messages)
    req, route = _context(messages, request, model)
    results = tool_results(messages)
    focus = search_focus(request)
    calls: list[PlannedCall] = []
    for spec in workflows_for(model.architect, model.skills, route.workflow, route.skills):
        lead = model.skills.leading(spec.id)
        if lead is None or not lead.tool_prefix:
            continue
        calls.append(PlannedCall(name=f"{lead.tool_prefix}_design_architecture"))
        for step in spec.steps:
            query = f"{step.title}: {focus}" if focus else step.title
            calls.append(PlannedCall(name=f"{lead.tool_prefix}_search_patterns", args={"query": query, "k": 3}))
    for skill in route.skills:
        calls.extend(skill_plan(model.skills, skill, req, results, route.workflow, request))
    for plan in plan_handoffs(request, model.architect, model.agents, named_only=route.workflow == "general"):
        question = (f"Produce the {model.agents.agents[plan.agent].contribution_title or 'section'} "
                    f"for this {route.workflow.replace('_', ' ')} design, specific to its components and figures.")
        calls.append(PlannedCall(name=transfer_tool_name(plan.agent),
                                 args={"reason": plan.reason, "question": question}, phase=3))
    return calls


def search_focus(request: str, limit: int = 14) -> str:
    """What a pattern search adds to a step title: the request's own subject words, so
    the patterns (and the user's documents) cited are the ones about this request."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z0-9+#.-]{2,}", subject(request))
             if w.lower() not in _FOCUS_STOP]
    return " ".join(dict.fromkeys(words[:limit]))


_FOCUS_STOP = frozenset("the and for with our that this from need needs want wants design build system "
                        "please can you how what should would".split())


def skill_plan(catalog: SkillCatalog, skill: str, req: Requirements, results: list[ToolResult],
               workflow: str, request: str) -> list[PlannedCall]:
    """A skill's own offline plan (``offline_plan`` in its tools module), if it has one."""
    spec = catalog.skills.get(skill)
    if spec is None or not spec.builtin or spec.path is None:
        return []
    module = importlib.import_module(f"mlarchitect.skills.{spec.path.parent.name}.tools")
    plan = getattr(module, "offline_plan", None)
    if plan is None:
        return []
    if "request" in inspect.signature(plan).parameters:
        return list(plan(req, results, workflow, request=request))
    return list(plan(req, results, workflow))


def _context(messages: list[BaseMessage], request: str, model: OfflineChatModel) -> tuple[Requirements, Route]:
    """The requirements and route intake attached to the request message (or worked out here)."""
    for message in messages:
        if isinstance(message, HumanMessage) and "requirements" in message.additional_kwargs:
            return (Requirements.model_validate(message.additional_kwargs["requirements"]),
                    Route.model_validate(message.additional_kwargs["route"]))
    stated = extract_requirements(request)
    route = route_request(request, model.architect, model.skills, stated)
    return with_assumptions(stated, route.workflow), route
