"""The offline engine: a LangChain chat model that needs no network.

It plays the model's part in the same graph the real models run in: in the
architect loop it makes tool calls planned from the request (routing by the
definitions' triggers, sizing from the request's numbers); asked for structured
output it composes the deliverable from the tool results in the conversation.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolCall, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.runnables import Runnable, RunnableLambda
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import BaseModel, ConfigDict, Field

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.agents.handoffs import Brief, plan_handoffs, transfer_tool_name
from mlarchitect.agents.offline.sibling import compose_contribution, sibling_queries
from mlarchitect.agents.offline.composer import ASSUMED_REQUESTS_PER_DAY, compose_design, workflows_for
from mlarchitect.agents.request_facts import RequestFacts, extract_facts
from mlarchitect.agents.routing import route_request
from mlarchitect.agents.tool_results import tool_results
from mlarchitect.skills.registry import SkillCatalog

OFFLINE_MODEL_NAME = "offline"

_TASKS = (
    ("summar", "summarization"), ("classif", "classification"), ("extract", "extraction"),
    ("rank", "ranking"), ("recommend", "ranking"), ("rag", "rag"), ("retriev", "rag"),
    ("chat", "chat"), ("assistant", "chat"), ("support", "chat"),
)


class PlannedCall(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    phase: int = 0


class OfflineChatModel(BaseChatModel):
    """Deterministic, rule-based stand-in for an LLM (see module docstring)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    architect: AgentSpec
    skills: SkillCatalog
    agents: AgentCatalog = Field(default_factory=AgentCatalog)
    persona: AgentSpec | None = Field(default=None, description="The sibling agent played; None = the architect.")
    bound_tools: list[dict[str, Any]] = Field(default_factory=list)
    tool_choice: str | None = None
    planner: Callable[[str, OfflineChatModel], list[PlannedCall]] | None = None

    @property
    def _llm_type(self) -> str:
        return "mlarchitect-offline"

    @property
    def model_name(self) -> str:
        return OFFLINE_MODEL_NAME

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **_: Any) -> OfflineChatModel:  # type: ignore[override]
        specs = [convert_to_openai_tool(t) for t in tools]
        return self.model_copy(update={"bound_tools": specs, "tool_choice": tool_choice})

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
        route = route_request(request, self.architect, self.skills)
        content = compose_design(request, route.workflow, extract_facts(request), self.architect, self.skills,
                                 route.skills, tool_results(messages))
        return AIMessage(content="", tool_calls=[_tool_call(self.tool_choice or "", content.model_dump())])

    def _next_calls(self, request: str, messages: list[BaseMessage]) -> AIMessage:
        available = {t["function"]["name"] for t in self.bound_tools}
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
            plan = (self.planner or plan_tool_calls)(request, self)
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


def infer_task(request: str) -> str:
    low = request.lower()
    return next((task for word, task in _TASKS if word in low), "generation")


def plan_tool_calls(request: str, model: OfflineChatModel) -> list[PlannedCall]:
    """The skill tool calls the offline engine makes for a request."""
    route = route_request(request, model.architect, model.skills)
    facts = extract_facts(request)
    calls: list[PlannedCall] = []
    prefixes = {s.name: s.tool_prefix for s in model.skills.skills.values() if s.tool_prefix}
    for spec in workflows_for(model.architect, model.skills, route.workflow, route.skills):
        lead = model.skills.leading(spec.id)
        if lead is None or not lead.tool_prefix:
            continue
        calls.append(PlannedCall(name=f"{lead.tool_prefix}_reference_architecture"))
        for step in spec.steps:
            calls.append(PlannedCall(name=f"{lead.tool_prefix}_search_patterns", args={"query": step.title, "k": 3}))
    calls.extend(_sizing_calls(route.workflow, route.skills, facts, request))
    for plan in plan_handoffs(request, model.architect, model.agents):
        question = (f"Produce the {model.agents.agents[plan.agent].contribution_title or 'section'} "
                    f"for this {route.workflow.replace('_', ' ')} design, specific to its components and figures.")
        calls.append(PlannedCall(name=transfer_tool_name(plan.agent),
                                 args={"reason": plan.reason, "question": question}, phase=1))
    if "observability" in route.skills:
        calls.append(PlannedCall(name="obs_plan_monitoring", args={
            "workflow": route.workflow, "requests_per_day": facts.requests_per_day or ASSUMED_REQUESTS_PER_DAY}))
    return [c for c in calls if c.phase or c.name.split("_", 1)[0] in prefixes.values()]


def _sizing_calls(workflow: str, skills: list[str], facts: RequestFacts, request: str) -> list[PlannedCall]:
    calls: list[PlannedCall] = []
    per_day = facts.requests_per_day or ASSUMED_REQUESTS_PER_DAY
    llm = workflow in ("rag_system", "evaluation_system") or any(
        w in request.lower() for w in ("llm", "gpt", "generation", "chatbot", "prompt", "assistant", "text")
    )
    if "rag-design" in skills:
        calls.append(PlannedCall(name="rag_recommend_chunking", args={"document_types": facts.document_types}))
        args: dict[str, Any] = {"documents": facts.documents or 10_000, "unit": facts.document_unit or "documents"}
        calls.append(PlannedCall(name="rag_size_index", args=args))
    if "evaluation-metrics" in skills:
        calls.append(PlannedCall(name="eval_recommend_metrics", args={"task": infer_task(request)}))
        calls.append(PlannedCall(name="eval_plan_sample_size", args={}))
    if "model-serving" in skills:
        rps = facts.requests_per_second or per_day / 86400 * 3
        latency = 1.5 if llm else 0.1
        calls.append(PlannedCall(name="serving_size_replicas", args={
            "requests_per_second": round(rps, 3), "latency_s": latency,
            "concurrency_per_replica": 16 if llm else 8}))
    if "experiment-tracking" in skills:
        size = 0.2 if "lora" in request.lower() else 2.0
        calls.append(PlannedCall(name="exp_estimate_storage", args={"checkpoint_gb": size}))
    if "data-pipeline" in skills:
        calls.append(PlannedCall(name="data_size_pipeline", args={"events_per_day": facts.events_per_day or 1_000_000}))
    if llm and ("cost-analysis" in skills or workflow in ("rag_system", "model_serving")):
        tokens = {"rag_system": (2500, 350), "evaluation_system": (1200, 200)}.get(workflow, (800, 200))
        cost_args: dict[str, Any] = {"requests_per_day": round(per_day, 2), "input_tokens": tokens[0],
                                     "output_tokens": tokens[1], "cache_hit_rate": 0.2 if workflow == "rag_system" else 0.0}
        if facts.monthly_budget_usd:
            cost_args["monthly_budget_usd"] = facts.monthly_budget_usd
        calls.append(PlannedCall(name="cost_estimate_llm", args=cost_args))
    return calls
