"""The model path: every model call of a run goes through here.

* :class:`Ledger` counts each request sent to a model (retries and repair rounds
  included, offline-engine steps excluded), its tokens, and records every
  fallback and which model wrote which section.
* :func:`attempt` sends one logical call with retries (exponential backoff with
  jitter, ``Retry-After`` honoured, the run's deadline respected) and, when the
  server reports a context overflow, one retry with a compacted prompt.
* :func:`tool_turn` is one tool-calling turn (malformed tool-call arguments go
  back to the model as tool errors, so every tool-call id gets an answer);
  :func:`grounding_message` runs the workflow's leading tools when the model made
  no tool call on its first turn.
* :func:`structured` is the degradation ladder for structured output: the
  strongest method the server supports (forced tool choice, ``json_schema``,
  JSON mode), then prompted JSON, each with one repair round, then the offline
  engine.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, ValidationError

from mlarchitect.agents.models import is_offline_model, plan_grounding_calls
from mlarchitect.deliverable import AgentUsage, FallbackRecord, SectionSource
from mlarchitect.errors import MLArchitectError, ModelError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.tools import BaseTool

    from mlarchitect.agents.agent_spec import AgentSpec
    from mlarchitect.agents.design_runtime import DesignRuntime

OFFLINE = "offline"
MAX_BACKOFF_S = 8.0
MAX_RETRY_AFTER_S = 30.0
GROUNDING_KEY = "mlarchitect_grounding"
PROMPTED_MARKER = "Reply with only one JSON object"
TEXT_JSON_KEY = "mlarchitect_json_in_text"


# --- the ledger -------------------------------------------------------------------


@dataclass
class Ledger:
    """What a run's model calls cost and where its content came from (thread-safe:
    sibling agents run inside parallel tool calls)."""

    usage: dict[tuple[str, str], AgentUsage] = field(default_factory=dict)
    fallbacks: list[FallbackRecord] = field(default_factory=list)
    sections: list[SectionSource] = field(default_factory=list)
    probe_calls: int = 0
    compactions: int = 0  # context overflows answered by compacting the prompt
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count(self, agent: str, model: str, message: Any = None, *, retry: bool = False) -> None:
        usage = _usage(message)
        with self._lock:
            row = self.usage.setdefault((agent, model), AgentUsage(agent=agent, model=model))
            row.calls += 1
            row.retries += int(retry)
            row.prompt_tokens += usage[0]
            row.completion_tokens += usage[1]

    def fallback(self, agent: str, step: str, reason: str) -> None:
        """One record per agent and cause; the steps it covered are listed in it."""
        with self._lock:
            for record in self.fallbacks:
                if record.agent == agent and record.reason == reason:
                    if step not in record.step.split(", "):
                        record.step = f"{record.step}, {step}"
                    return
            self.fallbacks.append(FallbackRecord(agent=agent, step=step, reason=reason))

    def section(self, agent: str, section: str, model: str, reason: str = "") -> None:
        with self._lock:
            self.sections = [s for s in self.sections if not (s.agent == agent and s.section == section)]
            self.sections.append(SectionSource(agent=agent, section=section, model=model, reason=reason))

    def totals(self, agent: str | None = None) -> tuple[int, int, int, int]:
        """(calls, retries, prompt tokens, completion tokens), for one agent or all."""
        with self._lock:
            rows = [u for (a, _), u in self.usage.items() if agent is None or a == agent]
        return (sum(u.calls for u in rows), sum(u.retries for u in rows),
                sum(u.prompt_tokens for u in rows), sum(u.completion_tokens for u in rows))


def _usage(message: Any) -> tuple[int, int]:
    """(prompt, completion) tokens of an answer: an AIMessage, an ``include_raw`` dict or a tuple."""
    if isinstance(message, dict):
        message = message.get("raw")
    if isinstance(message, tuple):
        message = next((m for m in message if isinstance(m, AIMessage)), None)
    meta = getattr(message, "usage_metadata", None) or {}
    prompt = int(meta.get("input_tokens", 0) or 0)
    completion = int(meta.get("output_tokens", 0) or 0)
    if not (prompt or completion) and meta.get("total_tokens"):
        completion = int(meta["total_tokens"])
    return prompt, completion


def label(model: Any, default: str = "model") -> str:
    if is_offline_model(model):
        return OFFLINE
    return str(getattr(model, "model_name", None) or getattr(model, "model", None) or default)


def one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text[:300]}"


# --- one call, with retries ---------------------------------------------------------

_RETRY_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


def status_of(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)
    if status is None:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
    return int(status) if isinstance(status, int) else None


def is_retryable(exc: BaseException) -> bool:
    try:
        import openai
    except ImportError:  # pragma: no cover - a dependency
        return False
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    return isinstance(exc, openai.APIStatusError) and status_of(exc) in _RETRY_STATUS


def is_context_overflow(exc: BaseException) -> bool:
    code = str(getattr(exc, "code", "") or "")
    text = str(exc).lower()
    return code == "context_length_exceeded" or "context_length_exceeded" in text or (
        "maximum context length" in text) or "context window" in text


def is_rejected_request(exc: BaseException) -> bool:
    """A 400/422 the server gives for a request feature it does not support."""
    return status_of(exc) in (400, 422) and not is_context_overflow(exc)


def retry_delay(exc: BaseException, attempt: int, *, rng: random.Random | None = None) -> float:
    """``Retry-After`` (seconds or ``-ms``) when the server sent one; else exponential
    backoff (0.5 s doubling, capped) with full jitter."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        if headers.get("retry-after-ms"):
            return min(float(headers["retry-after-ms"]) / 1000, MAX_RETRY_AFTER_S)
        if headers.get("retry-after"):
            return min(float(headers["retry-after"]), MAX_RETRY_AFTER_S)
    except (TypeError, ValueError):
        pass
    base = min(0.5 * 2 ** attempt, MAX_BACKOFF_S)
    return (rng or random).uniform(base / 2, base)


def attempt(rt: DesignRuntime, agent: str, model: BaseChatModel,
            call: Callable[[BaseChatModel, list[BaseMessage]], Any], messages: list[BaseMessage],
            *, compact: Callable[[list[BaseMessage]], list[BaseMessage]] | None = None) -> Any:
    """Send one logical call; count every request; retry what is worth retrying."""
    name = label(model, rt.model_name)
    retries = 0
    compacted = resent = False
    if compact is not None and rt.ledger.compactions:  # the server's window was too small once: stay compact
        messages, compacted = compact(messages), True
    while True:
        if rt.deadline is not None and time.monotonic() >= rt.deadline:
            raise TimeoutError(f"the run's deadline ({rt.settings.timeout_s:g} s) passed")
        try:
            result = call(model, messages)
        except MLArchitectError:
            raise
        except Exception as exc:
            rt.ledger.count(agent, name, retry=resent)
            if compact is not None and not compacted and is_context_overflow(exc):
                smaller = compact(messages)
                if _size(smaller) < _size(messages):
                    messages, compacted, resent = smaller, True, True
                    with rt.ledger._lock:
                        rt.ledger.compactions += 1
                    continue
            if not is_retryable(exc) or retries >= rt.settings.max_retries:
                raise
            delay = retry_delay(exc, retries)
            if rt.deadline is not None and time.monotonic() + delay >= rt.deadline:
                raise
            time.sleep(delay)
            retries += 1
            resent = True
            continue
        rt.ledger.count(agent, name, result, retry=resent)
        return result


def _size(messages: Sequence[BaseMessage]) -> int:
    return sum(len(str(m.content)) for m in messages)


# --- context budget -------------------------------------------------------------------


ESSENTIAL_SECTIONS = ("role", "specialized workflows", "boundaries", "related agents")


def workflow_section(agent: AgentSpec, workflow_id: str | None, *, essentials: bool = False) -> str:
    """The agent file's body with only the routed workflow's ``### Workflow`` section
    kept under "Specialized Workflows" (the others dropped): what the architect
    prompt needs for one request (the architect's 27 KB file becomes about 12 KB).
    ``essentials``: also drop every ``##`` section but role, workflow, boundaries and
    related agents (about 9 KB; for small context windows)."""
    body = agent.body
    spec = agent.workflow(workflow_id) if workflow_id else None
    lines = body.splitlines()
    out: list[str] = []
    in_workflows = False
    keep = True
    for line in lines:
        if line.startswith("## "):
            heading = line[3:].strip().lower()
            in_workflows = heading.startswith("specialized workflows")
            keep = not essentials or heading.startswith(ESSENTIAL_SECTIONS)
        elif not keep and not in_workflows:
            continue
        elif in_workflows and line.startswith("### "):
            heading = line[4:].strip().lower()
            keep = spec.title.lower() in heading if spec is not None else not essentials  # general: all of them
        if keep:
            out.append(line)
    return "\n".join(out).strip()


def compactor(agent: AgentSpec, workflow_id: str | None, *, tool_chars: int = 1200
              ) -> Callable[[list[BaseMessage]], list[BaseMessage]]:
    """A prompt shrinker for a context overflow: the agent body cut to the routed
    workflow, tool results cut to their figures and conclusions."""

    def compact(messages: list[BaseMessage]) -> list[BaseMessage]:
        out: list[BaseMessage] = []
        section = workflow_section(agent, workflow_id, essentials=True)
        longer = [t for t in (agent.body, workflow_section(agent, workflow_id)) if t and t != section]
        for m in messages:
            found = next((t for t in longer if isinstance(m, SystemMessage) and isinstance(m.content, str)
                          and t in m.content), None)
            if found is not None:
                m = m.model_copy(update={"content": m.content.replace(found, section)})
            elif isinstance(m, ToolMessage) and isinstance(m.content, str) and len(m.content) > tool_chars // 2:
                m = m.model_copy(update={"content": compact_tool_result(m.content, tool_chars)})
            out.append(m)
        return out

    return compact


LEAN_DESCRIPTION_CHARS = 100


def lean_tools(tools: Sequence[BaseTool]) -> list[dict[str, Any]]:
    """The tools' schemas for a small context window: each tool's description cut short and its
    parameters' descriptions left out (names, types, defaults and bounds stay)."""
    from langchain_core.utils.function_calling import convert_to_openai_tool

    def strip(node: Any) -> Any:
        """A JSON schema without its annotations (a property may itself be called "title")."""
        if isinstance(node, list):
            return [strip(v) for v in node]
        if not isinstance(node, dict):
            return node
        return {k: ({name: strip(sub) for name, sub in v.items()} if k in ("properties", "$defs", "definitions")
                    and isinstance(v, dict) else strip(v))
                for k, v in node.items() if k not in ("description", "title")}

    out = []
    for tool in tools:
        schema = convert_to_openai_tool(tool)
        function = schema["function"]
        description = str(function.get("description", ""))
        function["description"] = description if len(description) <= LEAN_DESCRIPTION_CHARS else (
            description[:LEAN_DESCRIPTION_CHARS].rsplit(" ", 1)[0] + " …")
        function["parameters"] = strip(function.get("parameters", {}))
        out.append(schema)
    return out


def compact_tool_result(content: str, limit: int = 1200) -> str:
    """A skill tool's JSON result cut to what the design needs: its summary,
    recommendations, figures (name = value unit), blueprint component names, sources."""
    try:
        data = json.loads(content)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "skill" not in data:
        return content if len(content) <= limit else content[:limit] + " …(cut to fit the context)"
    small: dict[str, Any] = {"tool": data.get("tool"), "summary": data.get("summary")}
    if data.get("recommendations"):
        small["recommendations"] = [str(r)[:160] for r in data["recommendations"][:4]]
    if data.get("calculations"):
        small["figures"] = [f"{c.get('name')} = {c.get('value')} {c.get('unit')}" for c in data["calculations"]]
    blueprint = data.get("data") or {}
    if isinstance(blueprint, dict) and blueprint.get("components"):
        small["components"] = [c.get("name") for c in blueprint["components"] if isinstance(c, dict)]
    if data.get("patterns"):
        small["sources"] = [f"[{p.get('doc_id')}] {p.get('title')}" for p in data["patterns"] if isinstance(p, dict)]
    text = json.dumps(small, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + " …"


def flatten_tools(messages: Sequence[BaseMessage]) -> list[BaseMessage]:
    """The conversation for a server without tool calling: tool calls and their
    results become plain text."""
    out: list[BaseMessage] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            out.append(HumanMessage(content="Tool results:\n\n" + "\n\n".join(pending)))
            pending.clear()

    for m in messages:
        if isinstance(m, ToolMessage):
            pending.append(f"### {m.name or 'tool'}\n{m.content}")
            continue
        flush()
        if isinstance(m, AIMessage) and (m.tool_calls or m.invalid_tool_calls):
            calls = ", ".join(f"{c['name']}({json.dumps(c['args'], ensure_ascii=False)})" for c in m.tool_calls)
            text = f"{m.content}\n" if isinstance(m.content, str) and m.content else ""
            out.append(AIMessage(content=f"{text}[tool calls: {calls}]"))
        else:
            out.append(m)
    flush()
    return out


# --- tool turns -------------------------------------------------------------------------


@dataclass
class Turn:
    """What one tool-calling turn adds to the conversation."""

    messages: list[BaseMessage] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def tool_turn(rt: DesignRuntime, agent: AgentSpec, model: BaseChatModel, tools: Sequence[BaseTool],
              messages: list[BaseMessage], *, step: str, workflow: str | None = None) -> Turn:
    """One tool-calling turn. Malformed tool-call arguments are answered with tool
    errors (every id gets an answer) and the model gets one more try."""
    if is_offline_model(model):
        return Turn([model.bind_tools(tools).invoke(messages)])
    name = label(model, rt.model_name)
    if rt.blocked(agent.name, name) is None and not rt.capabilities(name).tools:
        return Turn()  # the server cannot call tools: no turn (the architect's tools are run by the code)
    compact = compactor(agent, workflow) if agent.name == rt.architect.name else None

    def ask(m: BaseChatModel, msgs: list[BaseMessage]) -> AIMessage:
        # once the server's window was too small, the tool schemas are sent lean too (names and types)
        return m.bind_tools(lean_tools(tools) if compact is not None and rt.ledger.compactions else tools).invoke(msgs)

    message, note = rt.call_with_fallback(model, agent, ask, step=step, messages=messages, compact=compact)
    if note or not isinstance(message, AIMessage) or not message.invalid_tool_calls:
        return Turn([message], [note] if note else [])
    added: list[BaseMessage] = [message, *_answer_all(message, retry=True)]
    notes = [f"The {agent.name} model sent malformed tool-call arguments "
             f"({', '.join(c.get('name') or '?' for c in message.invalid_tool_calls)}); they went back to it "
             "as tool errors for one correction."]
    again, note = rt.call_with_fallback(model, agent, ask, step=f"{step} (repair)", messages=[*messages, *added],
                                        compact=compact)
    added.append(again)
    if note:
        notes.append(note)
    elif isinstance(again, AIMessage) and again.invalid_tool_calls:
        added.extend(_answer_all(again, retry=False))
        notes.append(f"The {agent.name} model's corrected tool calls were malformed again; they were dropped.")
    return Turn(added, notes)


def _answer_all(message: AIMessage, *, retry: bool) -> list[ToolMessage]:
    """A tool message for every tool-call id of ``message`` (strict servers reject a
    request with an unanswered id): errors for the malformed calls, and "not run" for
    the valid ones of the same turn so the model sends them again together."""
    out = []
    again = " Send the call again with valid JSON arguments." if retry else " The call was dropped."
    for bad in message.invalid_tool_calls:
        out.append(ToolMessage(
            content=f"Error: the arguments of {bad.get('name') or 'this call'} are not valid JSON "
                    f"({bad.get('error') or 'could not parse'}): {str(bad.get('args'))[:300]}.{again}",
            tool_call_id=bad.get("id") or "", name=bad.get("name") or "", status="error"))
    for call in message.tool_calls:
        out.append(ToolMessage(
            content="Not run: another call of this turn had malformed arguments." + (
                " Send it again with the corrected ones." if retry else ""),
            tool_call_id=call["id"] or "", name=call["name"], status="error"))
    return out


def grounding_message(rt: DesignRuntime, tools: Sequence[BaseTool], messages: list[BaseMessage],
                      said: AIMessage | None) -> AIMessage | None:
    """The workflow's leading tool calls (the offline engine's plan for this request) as
    an assistant turn, for the tool node to run: the grounding the model skipped."""
    if rt.offline_factory is None:
        return None
    calls = plan_grounding_calls(rt.offline_factory(rt.architect), tools, messages)
    if not calls:
        return None
    text = said.content if said is not None and isinstance(said.content, str) else ""
    return AIMessage(content=text, tool_calls=calls, additional_kwargs={GROUNDING_KEY: True},
                     id=said.id if said is not None else None)


# --- structured output: the ladder ----------------------------------------------------------

METHODS = ("function_calling", "json_schema", "json_mode", "prompted_json")


def methods_for(caps: Any) -> list[str]:
    """The strongest structured-output method the server supports, then prompted JSON."""
    first = ("function_calling" if caps.forced_tool_choice else "json_schema" if caps.json_schema
             else "json_mode" if caps.json_mode else "prompted_json")
    return list(dict.fromkeys([first, "prompted_json"]))


def structured(rt: DesignRuntime, agent: AgentSpec, model: BaseChatModel, schema: type[BaseModel],
               messages: list[BaseMessage], *, step: str, workflow: str | None = None
               ) -> tuple[Any, list[str], str]:
    """``schema`` from the model: (parsed, notes, method). Falls back to the offline
    engine (method ``"offline"``) when every rung failed and fallback is allowed."""
    if is_offline_model(model):
        if agent.name != rt.architect.name:
            rt.ledger.section(agent.name, "contribution", OFFLINE, "the offline engine played this agent")
        return _offline_structured(model, schema, messages), [], OFFLINE
    name = label(model, rt.model_name)
    caps = rt.capabilities(name)
    notes: list[str] = []
    reason = rt.blocked(agent.name, name)
    compact = compactor(agent, workflow) if agent.name == rt.architect.name else None
    sendable = messages if caps.tools else flatten_tools(messages)
    failure: BaseException | None = None
    if reason is None:
        for method in methods_for(caps):
            try:
                parsed, raw, error = attempt(rt, agent.name, model, _runner(method, schema), sendable, compact=compact)
                if parsed is None:
                    repair = [*sendable, *_repair_turn(raw, error, schema, method)]
                    parsed, raw, error2 = attempt(rt, agent.name, model, _runner(method, schema), repair,
                                                  compact=compact)
                    if parsed is not None:
                        notes.append(f"The {agent.name} model's {schema.__name__} did not validate ({error[:200]}); "
                                     f"one repair round with the error fixed it ({method}).")
                    else:
                        error = error2 or error
                if parsed is not None:
                    if isinstance(raw, AIMessage) and raw.additional_kwargs.get(TEXT_JSON_KEY):
                        notes.append(f"The server ignored the forced {schema.__name__} tool choice; the JSON in the "
                                     "message text was parsed and validated instead.")
                    if agent.name != rt.architect.name:
                        rt.ledger.section(agent.name, "contribution", name, method)
                    return parsed, notes, method
                reason = f"{method}: output did not validate after one repair ({error[:300]})"
                notes.append(f"The {agent.name} model's {schema.__name__} via {method} did not validate after one "
                             f"repair round ({error[:200]}).")
            except MLArchitectError:
                raise
            except Exception as exc:
                reason, failure = one_line(exc), exc
                if is_rejected_request(exc):
                    notes.append(f"The server rejected {method} for {name} ({reason}); trying the next method.")
                    continue
                rt.mark_failed(agent.name, name, reason)
                break
    reason = reason or "no method produced valid output"
    offline, note = rt.stand_in(agent, name, step, reason, failure)
    notes.append(note)
    if agent.name != rt.architect.name:
        rt.ledger.section(agent.name, "contribution", OFFLINE, reason)
    return _offline_structured(offline, schema, messages), notes, OFFLINE


def _offline_structured(model: BaseChatModel, schema: type[BaseModel], messages: list[BaseMessage]) -> Any:
    out = model.with_structured_output(schema, include_raw=True).invoke(messages)
    return out["parsed"] if isinstance(out, dict) else out


def _runner(method: str, schema: type[BaseModel]) -> Callable[[BaseChatModel, list[BaseMessage]], tuple[Any, Any, str]]:
    def run(model: BaseChatModel, messages: list[BaseMessage]) -> tuple[Any, Any, str]:
        if method == "function_calling":
            out = model.with_structured_output(schema, method="function_calling", include_raw=True).invoke(messages)
            raw = out.get("raw")
            if out.get("parsed") is not None:
                return out["parsed"], raw, ""
            text = raw.content if isinstance(raw, AIMessage) and isinstance(raw.content, str) else ""
            if text.strip() and not (raw.tool_calls or raw.invalid_tool_calls):
                parsed, error = parse_text(text, schema)  # the server ignored the forced tool choice
                if parsed is not None:
                    raw.additional_kwargs[TEXT_JSON_KEY] = True
                return parsed, raw, error
            return None, raw, str(out.get("parsing_error") or f"no {schema.__name__} tool call in the answer")
        if method == "json_schema":
            bound = model.bind(response_format={"type": "json_schema", "json_schema": {
                "name": schema.__name__, "schema": schema.model_json_schema()}})
            raw = bound.invoke(messages)
        elif method == "json_mode":
            raw = model.bind(response_format={"type": "json_object"}).invoke([*messages, prompted_instruction(schema)])
        else:
            raw = model.invoke([*messages, prompted_instruction(schema)])
        parsed, error = parse_text(raw.content if isinstance(raw.content, str) else "", schema)
        return parsed, raw, error

    return run


def _repair_turn(raw: Any, error: str, schema: type[BaseModel], method: str) -> list[BaseMessage]:
    """The failed answer and the validation error, for one repair round (every tool-call
    id answered)."""
    if not isinstance(raw, AIMessage):
        return [HumanMessage(content=f"Your answer did not validate: {error[:1500]}\nAnswer again.")]
    ids = [(c.get("id"), c.get("name")) for c in [*raw.tool_calls, *raw.invalid_tool_calls]]
    fix = (f"Your {schema.__name__} did not validate: {error[:1500]}\n"
           f"Send the complete {schema.__name__} again, corrected.")
    if ids:
        return [raw, *[ToolMessage(content=f"Error: {fix}", tool_call_id=i or "", name=n or "", status="error")
                       for i, n in ids]]
    answer = raw if isinstance(raw.content, str) and raw.content.strip() else AIMessage(content="(no answer)")
    extra = "" if method == "function_calling" else f" {PROMPTED_MARKER}, no prose."
    return [answer, HumanMessage(content=fix + extra)]


def prompted_instruction(schema: type[BaseModel]) -> HumanMessage:
    return HumanMessage(content=(
        f"{PROMPTED_MARKER} (JSON, no prose, no code fence needed) for {schema.__name__}, "
        f"with these fields:\n{json.dumps(skeleton(schema), ensure_ascii=False)}"))


def skeleton(schema: type[BaseModel]) -> Any:
    """A compact picture of the schema: field names with their types (much smaller than
    the JSON Schema, for small-context servers)."""
    full = schema.model_json_schema()
    defs = full.get("$defs", {})

    def walk(node: dict[str, Any], depth: int = 0) -> Any:
        if "$ref" in node:
            return walk(defs[node["$ref"].rsplit("/", 1)[-1]], depth)
        if "anyOf" in node:
            options = [o for o in node["anyOf"] if o.get("type") != "null"]
            return walk(options[0], depth) if options else None
        kind = node.get("type")
        if kind == "object" and "properties" in node and depth < 4:
            return {k: walk(v, depth + 1) for k, v in node["properties"].items()}
        if kind == "array":
            return [walk(node.get("items", {}), depth + 1)]
        if "enum" in node:
            return "|".join(map(str, node["enum"]))
        return {"string": "text", "number": 0.0, "integer": 0, "boolean": False}.get(kind, "any")

    return walk(full)


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)


def parse_text(text: str, schema: type[BaseModel]) -> tuple[Any, str]:
    """``schema`` from a text answer: bare JSON, JSON in a ```json fence, or JSON after
    some prose; a ``{"name": ..., "arguments": {...}}`` wrapper is unwrapped."""
    if not text or not text.strip():
        return None, "the answer was empty"
    candidates = [m.group(1) for m in _FENCE.finditer(text)]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start:end + 1])
    candidates.append(text)
    error = "no JSON object in the answer"
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = f"invalid JSON: {exc}"
            continue
        if isinstance(data, dict):
            for key in ("arguments", "parameters", schema.__name__):
                if isinstance(data.get(key), dict) and len(data) <= 2:
                    data = data[key]
                    break
        try:
            return schema.model_validate(data), ""
        except ValidationError as exc:
            error = " ".join(str(exc).split())[:1500]
    return None, error


# --- the architect's content: checked, filled, reconciled ---------------------------------

_SECTIONS = ("summary", "components", "data_flows", "diagram_mermaid", "steps", "sizing", "risks", "cost_analysis",
             "alternatives", "evaluation_framework", "serving_specification", "experiment_tracking", "data_pipeline")


def check_design(rt: DesignRuntime, content: Any, messages: list[BaseMessage], workflow: str,
                 method: str) -> list[str]:
    """Fill sections below the minimum from the offline engine, reconcile the figures
    with the tools', drop citations of unknown sources (``content`` in place); record
    who wrote which section. Returns notes. Raises :class:`ModelError` for a hollow
    design when fallback is off."""
    from mlarchitect.agents.repair import drop_unknown_citations, fill_sections, reconcile_figures, shortfalls
    from mlarchitect.agents.tool_results import tool_results
    from mlarchitect.deliverable import DesignContent

    architect = rt.architect.name
    writer = OFFLINE if method == OFFLINE else rt.model_name
    results = tool_results(messages)
    notes: list[str] = []
    figures = sum(len(r.calculations) for r in results)
    short = {} if method == OFFLINE else shortfalls(content, workflow, figures)
    hard = {} if method == OFFLINE else shortfalls(content, workflow, figures, soft=False)
    taken: dict[str, str] = {}
    can_fill = rt.can_fall_back()
    if hard and not can_fill:
        what = "; ".join(f"{k}: {v}" for k, v in hard.items())
        raise ModelError(f"the model {rt.model_name} wrote a design below the minimum content ({what})")
    if short and can_fill:
        assert rt.offline_factory is not None
        offline = _offline_structured(rt.offline_factory(rt.architect), DesignContent, messages)
        taken = fill_sections(content, offline, short)
        if taken:
            what = "; ".join(f"{k}: {v}" for k, v in short.items() if k in taken or k in hard)
            rt.ledger.fallback(architect, "assemble (minimum content)", what)
            notes.append(f"The {rt.model_name} design was below the minimum content ({what}); the offline engine "
                         f"wrote these sections: {', '.join(taken)}.")
        left = shortfalls(content, workflow, figures, soft=False)
        if left:
            notes.append("Still below the minimum after the offline engine: "
                         + "; ".join(f"{k}: {v}" for k, v in left.items()) + ".")
    model_cost = content.cost_analysis.monthly_total_usd is not None or bool(content.cost_analysis.items)
    model_sizing = bool(content.sizing)
    reconciled = reconcile_figures(content, results)
    notes += reconciled
    if rt.ledger.compactions:
        notes.append(f"The server's context window was exceeded ({rt.ledger.compactions}×); the architect's prompts "
                     "were compacted (the agent file cut to the routed workflow's essentials, tool results to their "
                     "figures and conclusions).")
    if rt.source_ids is not None:
        known = rt.source_ids | {h.doc_id for r in results for h in r.patterns}
        notes += drop_unknown_citations(content, known)
    for section in (s for s in _SECTIONS if s in type(content).model_fields):
        value = getattr(content, section)
        if section in taken:
            rt.ledger.section(architect, section, OFFLINE, taken[section])
        elif section == "sizing" and not model_sizing and figures:
            rt.ledger.section(architect, section, "tools", "the skill tools' figures (the model gave none)")
        elif section == "cost_analysis" and not model_cost and (value.items or value.monthly_total_usd is not None):
            rt.ledger.section(architect, section, "tools", "the skill tools' cost lines (the model gave none)")
        elif value not in (None, "", []) and not (hasattr(value, "model_dump") and not any(value.model_dump().values())):
            reason = ""
            if section == "sizing" and figures:
                reason = "with the figures the tools computed (added by the code)"
            elif section == "cost_analysis" and results:
                reason = "reconciled with the tools' figures" + (" (corrected)" if reconciled else "")
            rt.ledger.section(architect, section, writer, reason or method)
    return notes


def stamp(rt: DesignRuntime, design: Any, state: dict[str, Any], *, method: str, calls: int, tokens: int) -> None:
    """Provenance from the ledger: every model call (architect, repairs, retries,
    siblings), tokens, fallbacks, and which model wrote which section."""
    p = design.provenance
    architect = rt.architect.name
    sibling_calls = sibling_tokens = 0
    for (agent, _model), row in rt.ledger.usage.items():
        if agent != architect:
            sibling_calls += row.calls
            sibling_tokens += row.prompt_tokens + row.completion_tokens
    _, retries, prompt, completion = rt.ledger.totals()
    p.llm_calls = int(state.get("llm_calls", 0) or 0) + calls + sibling_calls
    p.tokens = int(state.get("tokens", 0) or 0) + tokens + sibling_tokens
    p.prompt_tokens, p.completion_tokens, p.retries = prompt, completion, retries
    p.method = method
    p.model = OFFLINE if method == OFFLINE else rt.model_name
    p.offline = rt.offline or method == OFFLINE
    p.agents = sorted(rt.ledger.usage.values(), key=lambda u: (u.agent != architect, u.agent, u.model))
    p.fallbacks = list(rt.ledger.fallbacks)
    if rt.fell_back and not any(f.agent == architect for f in p.fallbacks):
        p.fallbacks.insert(0, FallbackRecord(agent=architect, step="architect", reason="an earlier step fell back"))
    handoff_agents = {h.agent for h in design.handoffs}
    p.sections = [s for s in rt.ledger.sections if s.agent == architect or s.agent in handoff_agents]
    p.fallback_used = bool(p.fallbacks)
