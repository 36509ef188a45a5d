"""Behaviours of OpenAI-compatible servers, played by ``FakeOpenAI(responder=...)``.

A :class:`Behaviour` answers each request from what it asks for (tools and
``tool_choice``, ``response_format``, a prompted-JSON instruction, the capability
probe) the way a given kind of server does: a capable model, a server that
ignores ``tools``, vLLM without a tool parser (``tool_choice="auto"`` -> 400), no
``json_schema``, a model that skips tools on its first turn, malformed tool
arguments on a server that is strict about unanswered tool-call ids, design JSON
in the message text, a wrong model name (404), an 8k context window, no usage
reporting, a 429 with ``Retry-After``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from fake_openai_server import Reply, estimate_tokens

PROBE_MARKER = "mlarchitect capability probe"
PROMPTED_MARKER = "Reply with only one JSON object"
MODEL = "local-model"

REQUEST = ("Design a RAG chatbot over 30,000 support tickets for our support team; "
           "p95 latency under 2 s; budget $500/month.")
HANDOFF_REQUEST = ("Design a RAG chatbot over 30,000 support tickets for our support team "
                   "and plan its Kubernetes deployment and CI/CD.")

ARCHITECT_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("rag_reference_architecture", {}),
    ("rag_size_index", {"documents": 30000, "unit": "tickets", "chunk_tokens": 300, "overlap_tokens": 30}),
    ("cost_estimate_llm", {"requests_per_day": 2000, "input_tokens": 2500, "output_tokens": 350,
                           "monthly_budget_usd": 500}),
]

DESIGN: dict[str, Any] = {
    "title": "Support-ticket RAG assistant",
    "summary": ("A retrieval-augmented chatbot over 30,000 resolved tickets: hybrid retrieval in pgvector, "
                "a reranker and a small model for grounded answers with ticket citations."),
    "components": [
        {"name": "Ticket ingestion", "responsibility": "Pull resolved tickets nightly", "technology": "Python worker"},
        {"name": "Chunking and embedding", "responsibility": "300-token chunks, embedded in batches"},
        {"name": "Hybrid retriever", "responsibility": "BM25 + dense search fused with RRF",
         "technology": "PostgreSQL + pgvector"},
        {"name": "Reranker", "responsibility": "Keep the best 5 of 30 candidates"},
        {"name": "Answer generator", "responsibility": "Grounded answers with citations"},
    ],
    "data_flows": [
        {"source": "Ticket ingestion", "target": "Chunking and embedding", "description": "cleaned threads"},
        {"source": "Chunking and embedding", "target": "Hybrid retriever", "description": "chunks + vectors"},
        {"source": "Hybrid retriever", "target": "Reranker", "description": "30 candidates"},
        {"source": "Reranker", "target": "Answer generator", "description": "5 chunks"},
    ],
    "steps": [{"title": "Retrieval", "decisions": ["Hybrid BM25 + dense with RRF"],
               "notes": ["[hybrid-search] Hybrid search: fuse BM25 and dense results",
                         "[made-up-pattern] A pattern that does not exist"]}],
    "sizing": [{"name": "Peak requests per second", "value": 0.23, "unit": "req/s",
                "formula": "2,000 requests/day x 10 / 86,400 s = 0.23 req/s"}],
    "cost_analysis": {"monthly_total_usd": 50.0, "budget_usd": 500,
                      "items": [{"item": "LLM cost per month", "monthly_usd": 50.0, "basis": "a guess"}]},
}
HOLLOW: dict[str, Any] = {"title": "RAG chatbot", "summary": "RAG chatbot"}
SECTION: dict[str, Any] = {"title": "Deployment Plan",
                           "markdown": "#### Release\n\n- Argo CD syncs the Helm chart; canary 5% -> 100%."}

Mode = Literal["call", "ignore", "reject", "text"]


@dataclass
class Behaviour:
    served: list[str] = field(default_factory=lambda: [MODEL])
    tools: Mode = "call"  # tool_choice auto: call tools / ignore them (text) / 400
    forced: Mode = "call"  # a named tool_choice: call it / ignore it (prose) / "text": design JSON in the text
    json_schema: Mode = "call"  # "call": answers the schema's JSON; "ignore": prose; "reject": 400
    json_mode: Mode = "call"
    first_turn_tools: bool = True
    malformed_first: bool = False
    strict_tool_ids: bool = False
    context_limit: int | None = None
    design: dict[str, Any] = field(default_factory=lambda: dict(DESIGN))
    usage: bool = True
    rate_limited_first: bool = False  # the first non-probe request gets a 429 with Retry-After
    handoff: bool = False  # the architect hands the deployment to mlops-ai-engineer when it may
    broken_design_first: bool = False  # the first DesignContent does not validate (a repair round fixes it)
    thinks_first: bool = False  # a reasoning model: tiny probe answers are cut at max_tokens while it thinks
    log: list[str] = field(default_factory=list)  # what each request was, in order
    _broken: bool = False

    # -- the responder ------------------------------------------------------------

    def __call__(self, body: dict[str, Any], index: int) -> Reply:
        kind, reply = self._answer(body)
        self.log.append(kind)
        reply.usage = self.usage
        return reply

    def _answer(self, body: dict[str, Any]) -> tuple[str, Reply]:
        messages = body.get("messages", [])
        if body.get("model") not in self.served:
            return "404", Reply(status=404, error={
                "message": f"The model `{body.get('model')}` does not exist or you do not have access to it.",
                "code": "model_not_found"})
        if any(PROBE_MARKER in str(m.get("content")) for m in messages):
            return "probe", self._probe(body)
        if self.rate_limited_first and "429" not in self.log:
            return "429", Reply(status=429, headers={"retry-after": "0.05"})
        if self.context_limit is not None:
            asked = estimate_tokens(json.dumps(messages) + json.dumps(body.get("tools", [])))
            asked += int(body.get("max_completion_tokens") or body.get("max_tokens") or 0)
            if asked > self.context_limit:
                return "context", Reply(status=400, error={
                    "message": (f"This model's maximum context length is {self.context_limit} tokens. However, "
                                f"you requested {asked} tokens. Please reduce the length of the messages."),
                    "code": "context_length_exceeded", "param": "messages"})
        if self.strict_tool_ids:
            missing = _unanswered(messages)
            if missing:
                return "strict-400", Reply(status=400, error={
                    "message": ("An assistant message with 'tool_calls' must be followed by tool messages "
                                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                                f"response messages: {', '.join(missing)}"), "param": "messages"})
        choice = body.get("tool_choice")
        fmt = (body.get("response_format") or {}).get("type")
        if isinstance(choice, dict):
            return "forced", self._forced(choice["function"]["name"])
        if fmt in ("json_schema", "json_object"):
            mode = self.json_schema if fmt == "json_schema" else self.json_mode
            name = ((body.get("response_format") or {}).get("json_schema") or {}).get("name") or _schema_from(messages)
            if mode == "reject":
                return fmt, Reply(status=400, error={"message": f"response_format {fmt} is not supported"})
            if mode == "ignore":
                return fmt, Reply(content="Here is the design you asked for.")
            return fmt, Reply(content=json.dumps(self._payload(name)))
        if body.get("tools"):
            if self.tools == "reject":
                return "auto-400", Reply(status=400, error={
                    "message": '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'})
            if self.tools == "ignore":
                return "turn", Reply(content="I would design a retrieval pipeline with a vector store.")
            return "turn", self._turn(body, messages)
        last = str(messages[-1].get("content")) if messages else ""
        if PROMPTED_MARKER in last:
            name = "SiblingContribution" if "SiblingContribution" in last else "DesignContent"
            return "prompted", Reply(content="```json\n" + json.dumps(self._payload(name)) + "\n```")
        return "text", Reply(content="The design is ready.")

    def _probe(self, body: dict[str, Any]) -> Reply:
        if self.thinks_first:
            return Reply(content="<think>The user wants me to", finish_reason="length")
        choice = body.get("tool_choice")
        fmt = (body.get("response_format") or {}).get("type")
        if body.get("tools"):
            mode = self.forced if isinstance(choice, dict) else self.tools
            if mode == "reject":
                return Reply(status=400, error={"message": "tool choice is not supported"})
            if mode == "call" or (mode == "text" and isinstance(choice, dict)):
                return Reply(tool_calls=[("probe_echo", {"n": 1})])
            return Reply(content="1")
        if fmt:
            mode = self.json_schema if fmt == "json_schema" else self.json_mode
            if mode == "reject":
                return Reply(status=400, error={"message": f"response_format {fmt} is not supported"})
            return Reply(content='{"ok": true}' if mode == "call" else "ok")
        return Reply(content="ok")

    def _payload(self, name: str) -> dict[str, Any]:
        return SECTION if name == "SiblingContribution" else self.design

    def _forced(self, name: str) -> Reply:
        if name == "DesignContent" and self.broken_design_first and not self._broken:
            self._broken = True
            return Reply(tool_calls=[(name, {"title": "x", "components": "several"})])
        if self.forced == "call" or (self.forced == "text" and name != "DesignContent"):
            return Reply(tool_calls=[(name, self._payload(name))])
        if self.forced == "text":
            return Reply(content="Here is the design:\n\n```json\n" + json.dumps(self._payload(name), indent=1) + "\n```")
        return Reply(content="Here is the design you asked for.")

    def _turn(self, body: dict[str, Any], messages: list[dict[str, Any]]) -> Reply:
        offered = {t["function"]["name"] for t in body.get("tools", [])}
        turns = sum(m.get("role") == "assistant" for m in messages)
        system = str(messages[0].get("content")) if messages else ""
        if not system.startswith("You are the lead ML system architect"):  # a sibling: straight to writing
            return Reply(content="Ready to write my section.")
        if turns == 0:
            if not self.first_turn_tools:
                return Reply(content="Here is a plan: ingestion, hybrid retrieval, reranking, generation.")
            if self.malformed_first:
                return Reply(tool_calls=[("rag_size_index", '{"documents": 30000, "unit": "tickets"'),
                                         ("rag_reference_architecture", {})])
        wanted = [(n, a) for n, a in ARCHITECT_CALLS if n in offered]
        done = {c["function"]["name"] for m in messages if m.get("role") == "assistant"
                for c in m.get("tool_calls") or []
                if any(t.get("role") == "tool" and t.get("tool_call_id") == c["id"] and
                       not str(t.get("content", "")).startswith(("Error", "Not run")) for t in messages)}
        handoffs = [n for n in offered if n == "transfer_to_mlops_ai_engineer" and self.handoff]
        pending = [(n, a) for n, a in wanted if n not in done]
        if pending:
            return Reply(tool_calls=pending)
        if handoffs and handoffs[0] not in done:
            return Reply(tool_calls=[(handoffs[0], {"reason": "The request asks for a Kubernetes deployment.",
                                                    "question": "Write the deployment plan for this design."})])
        return Reply(content="The design is ready.")


def _unanswered(messages: list[dict[str, Any]]) -> list[str]:
    answered = {m.get("tool_call_id") for m in messages if m.get("role") == "tool"}
    return [c["id"] for m in messages if m.get("role") == "assistant" for c in m.get("tool_calls") or []
            if c["id"] not in answered]


def _schema_from(messages: list[dict[str, Any]]) -> str:
    last = str(messages[-1].get("content")) if messages else ""
    return "SiblingContribution" if "SiblingContribution" in last else "DesignContent"
