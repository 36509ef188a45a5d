"""Regenerate every cassette of ``tests/test_openai_wire.py``.

    python tests/support/record_cassettes.py            # all cassettes
    python tests/support/record_cassettes.py chat_stream  # only the named ones

Each cassette is recorded from real HTTP traffic: the same ChatOpenAI calls
(or the whole ``design()`` graph) as the tests make, pointed at a scripted
local OpenAI-compatible server (``fake_openai_server.py``), with vcrpy in
``record_mode="all"``. Before an interaction is stored the request is moved to
the official URL (``https://api.openai.com/v1/...``, ``host: api.openai.com``)
and the ``authorization`` header is dropped; the bodies are kept exactly as
they went over the wire. Ids, timestamps and token counts are derived from the
cassette name, so a re-recording of unchanged code is byte-for-byte identical.
Not run by the test suite; needs no network and no API key.
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(TESTS), str(TESTS / "support")]

# the same isolated environment as tests/conftest.py, set before anything reads it
for _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MLARCHITECT_MODEL", "MLARCHITECT_OFFLINE",
              "MLARCHITECT_AGENTS_DIR", "MLARCHITECT_SKILLS_DIR", "MLARCHITECT_DATA_DIR"):
    os.environ.pop(_name, None)
os.environ["MLARCHITECT_CONFIG"] = os.devnull + ".toml"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

import test_openai_wire as wire  # noqa: E402 - the definitions the tests use
import vcr  # noqa: E402
from fake_openai_server import FakeOpenAI, Reply  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402

OFFICIAL = "https://api.openai.com"

# The assemble step's answer: DesignContent arguments as a model would write them.
DESIGN_CONTENT: dict[str, Any] = {
    "title": "Support-ticket RAG assistant",
    "summary": ("A retrieval-augmented chatbot that answers support questions from 30,000 resolved tickets: "
                "hybrid BM25 + dense retrieval over ticket-sized chunks in pgvector, a cross-encoder reranker, "
                "gpt-5-mini for grounded answers with ticket citations, and a semantic cache, sized to stay "
                "under 2 s p95 and well inside the $500/month budget."),
    "components": [
        {"name": "Ticket ingestion", "responsibility": "Pull resolved tickets nightly from the helpdesk API, "
         "strip signatures and quoted replies, keep product and status as metadata.",
         "technology": "Python worker + helpdesk REST API", "decisions": ["Incremental sync on updated_at"]},
        {"name": "Chunking and embedding", "responsibility": "One chunk per ticket thread or resolution "
         "(300 tokens, 30 overlap), embedded with text-embedding-3-small.",
         "technology": "text-embedding-3-small", "decisions": ["Re-embed only changed tickets (content hash)"]},
        {"name": "Hybrid retriever", "responsibility": "BM25 and dense search fused with reciprocal rank fusion, "
         "filtered by product.", "technology": "PostgreSQL + pgvector (HNSW) + tsvector",
         "decisions": ["RRF k=60", "Top 30 candidates to the reranker"]},
        {"name": "Reranker", "responsibility": "Re-score the top 30 candidates and keep the best 5.",
         "technology": "cross-encoder (bge-reranker-base) on CPU"},
        {"name": "Answer generator", "responsibility": "Answer from the retrieved tickets only, cite ticket ids, "
         "say so when nothing relevant was found.", "technology": "gpt-5-mini"},
        {"name": "Semantic cache", "responsibility": "Serve repeated questions without an LLM call.",
         "technology": "Redis with embedding similarity >= 0.95"},
    ],
    "data_flows": [
        {"source": "Ticket ingestion", "target": "Chunking and embedding", "description": "cleaned ticket threads"},
        {"source": "Chunking and embedding", "target": "Hybrid retriever", "description": "chunks + vectors"},
        {"source": "Hybrid retriever", "target": "Reranker", "description": "30 fused candidates"},
        {"source": "Reranker", "target": "Answer generator", "description": "5 best chunks with ticket ids"},
    ],
    "diagram_mermaid": ("flowchart LR\n  T[Helpdesk tickets] --> I[Ingestion]\n  I --> E[Chunk + embed]\n"
                        "  E --> V[(pgvector + BM25)]\n  Q[User question] --> C{Semantic cache}\n"
                        "  C -- miss --> V\n  V --> R[Reranker]\n  R --> G[gpt-5-mini]\n  G --> A[Answer + citations]"),
    "steps": [
        {"title": "Ingestion and chunking", "decisions": ["One chunk per ticket thread, 300 tokens, 30 overlap"],
         "notes": ["Tickets: status and product as metadata (rag_recommend_chunking)"]},
        {"title": "Retrieval", "decisions": ["Hybrid BM25 + dense with RRF", "Rerank top 30 to 5"]},
        {"title": "Generation", "decisions": ["Grounded prompt with ticket citations", "Refuse without evidence"]},
    ],
    "sizing": [
        {"name": "Peak requests per second", "value": 0.23, "unit": "req/s",
         "formula": "2,000 requests/day × 10 (peak factor) ÷ 86,400 s = 0.23 req/s",
         "inputs": {"requests_per_day": 2000, "peak_factor": 10}, "from_request": []},
    ],
    "risks": [
        {"risk": "Answers cite outdated resolutions", "mitigation": "Filter on product version; re-sync nightly",
         "severity": "medium"},
        {"risk": "Tickets contain personal data", "mitigation": "Redact emails and phone numbers at ingestion",
         "severity": "high"},
    ],
    "cost_analysis": {
        "monthly_total_usd": 142.5, "per_request_usd": 0.0016, "budget_usd": 500, "within_budget": True,
        "items": [{"item": "gpt-5-mini answers", "monthly_usd": 58.5, "basis": "2,000 requests/day"},
                  {"item": "PostgreSQL + pgvector instance", "monthly_usd": 60.0, "basis": "2 vCPU, 8 GB"},
                  {"item": "Reranker CPU", "monthly_usd": 24.0, "basis": "1 small instance"}],
        "assumptions": ["2,000 questions per day", "2,500 prompt and 350 completion tokens per answer"],
        "optimizations": ["Semantic cache for repeated questions", "Cap retrieved context at 5 chunks"],
    },
    "evaluation_framework": {
        "datasets": ["200 real questions with the ticket that resolved them"],
        "offline_metrics": ["recall@5 of the resolving ticket", "faithfulness", "answer relevance"],
        "online_evaluation": ["thumbs up/down", "escalation rate to a human agent"],
        "release_gates": ["recall@5 >= 0.85", "faithfulness >= 0.9"],
    },
    "assumptions": ["Tickets average ~400 tokens", "English only"],
    "open_questions": ["Should agents see the bot's draft before customers do?"],
}


def _official(base_url: str) -> Callable[[Any], Any]:
    """vcr hook: store the request as sent to the official API."""
    local = base_url.removesuffix("/v1")

    def rewrite(request: Any) -> Any:
        request = copy.deepcopy(request)
        request.uri = request.uri.replace(local, OFFICIAL, 1)
        request.headers["host"] = "api.openai.com"
        return request

    return rewrite


def recording(name: str, api: FakeOpenAI) -> Any:
    path = wire.cassette_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)  # record_mode="all" would otherwise keep the old interactions
    return vcr.use_cassette(str(path), record_mode="all", match_on=wire.MATCH_ON, filter_headers=["authorization"],
                            before_record_request=_official(api.base_url))


def local_chat(api: FakeOpenAI, **kwargs: Any) -> ChatOpenAI:
    # stream_usage: what ChatOpenAI turns on by itself with the official base URL
    return ChatOpenAI(model=wire.MODEL, api_key="sk-test", max_retries=0, base_url=api.base_url,
                      stream_usage=True, **kwargs)


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


# --- the recordings ------------------------------------------------------------------


def record_chat_tool_calls() -> None:
    def check(body: dict[str, Any]) -> None:
        expect([t["function"]["name"] for t in body.get("tools", [])] == ["size_vector_index"], "tool not offered")

    script = [Reply(tool_calls=[("size_vector_index", wire.TOOL_ARGS)], reasoning_tokens=64, check=check)]
    with FakeOpenAI("chat_tool_calls", script) as api, recording("chat_tool_calls", api):
        local_chat(api).bind_tools([wire.size_vector_index]).invoke(wire.TOOL_PROMPT)
    api.assert_done()


def record_chat_structured_output() -> None:
    def check(body: dict[str, Any]) -> None:
        expect(body.get("tool_choice", {}).get("function", {}).get("name") == "IndexSizing", "schema not forced")

    script = [Reply(tool_calls=[("IndexSizing", wire.STRUCTURED_ARGS)], reasoning_tokens=128, check=check)]
    with FakeOpenAI("chat_structured_output", script) as api, recording("chat_structured_output", api):
        local_chat(api).with_structured_output(wire.IndexSizing, method="function_calling").invoke(
            wire.STRUCTURED_PROMPT)
    api.assert_done()


def record_chat_stream() -> None:
    def check(body: dict[str, Any]) -> None:
        expect(body.get("stream") is True and body.get("stream_options") == {"include_usage": True}, "not streamed")

    script = [Reply(content=wire.STREAM_TEXT, stream_pieces=wire.STREAM_PIECES, reasoning_tokens=192, check=check)]
    with FakeOpenAI("chat_stream", script) as api, recording("chat_stream", api):
        list(local_chat(api).stream(wire.STREAM_PROMPT))
    api.assert_done()


def record_chat_http_500() -> None:
    import openai

    with FakeOpenAI("chat_http_500", [Reply(status=500)]) as api, recording("chat_http_500", api):
        try:
            local_chat(api).invoke(wire.ERROR_PROMPT)
        except openai.InternalServerError:
            pass
        else:
            raise AssertionError("HTTP 500 did not raise")
    api.assert_done()


def _design_settings(api: FakeOpenAI, work: Path, **extra: Any) -> Any:
    from mlarchitect.config import Settings

    return Settings(openai_api_key="sk-test", openai_base_url=api.base_url, max_retries=0,
                    data_dir=work / "data", kb_dir=work / "kb", **extra)


def record_design_rag_over_the_wire(work: Path) -> None:
    from mlarchitect.agents.api import design

    name = "design_rag_over_the_wire"
    calls = wire.DESIGN_TOOL_CALLS
    api_ref: list[FakeOpenAI] = []

    def first(body: dict[str, Any]) -> None:
        offered = {t["function"]["name"] for t in body.get("tools", [])}
        expect({n for n, _ in calls} <= offered, f"architect tools missing: {offered}")
        expect(body["messages"][-1] == {"role": "user", "content": wire.DESIGN_REQUEST}, "request not sent")

    def second(body: dict[str, Any]) -> None:
        results = [m for m in body["messages"] if m["role"] == "tool"]
        ids = [api_ref[0].call_id(0, n) for n in range(len(calls))]
        expect([m["tool_call_id"] for m in results] == ids, "tool results missing or out of order")
        expect('"tool":"rag_size_index"' in results[1]["content"], "rag_size_index did not run")

    def third(body: dict[str, Any]) -> None:
        expect([t["function"]["name"] for t in body["tools"]] == ["DesignContent"], "assemble schema missing")
        expect(body["tool_choice"]["function"]["name"] == "DesignContent", "assemble schema not forced")

    script = [
        Reply(tool_calls=calls, reasoning_tokens=384, check=first),
        Reply(content="The design is ready: retrieval, sizing and cost are covered by the tool results.",
              reasoning_tokens=256, check=second),
        Reply(tool_calls=[("DesignContent", DESIGN_CONTENT)], reasoning_tokens=1024, check=third),
    ]
    with FakeOpenAI(name, script) as api, recording(name, api):
        api_ref.append(api)
        result = design(wire.DESIGN_REQUEST, settings=_design_settings(api, work))
    api.assert_done()
    expect(not result.provenance.fallback_used and not result.notes, f"the design fell back: {result.notes}")


def record_design_fallback_http_500(work: Path) -> None:
    from mlarchitect.agents.api import design

    name = "design_fallback_http_500"
    with FakeOpenAI(name, [Reply(status=500)]) as api, recording(name, api):
        result = design(wire.FALLBACK_REQUEST, settings=_design_settings(api, work))
    api.assert_done()  # one request: after the failure the offline engine does the rest
    expect(result.provenance.fallback_used, "no fallback")


def record_design_handoff_over_the_wire(work: Path) -> None:
    from mlarchitect.agents.api import design

    name = "design_handoff_over_the_wire"

    def architect_first(body: dict[str, Any]) -> None:
        offered = {t["function"]["name"] for t in body.get("tools", [])}
        expect("transfer_to_mlops_ai_engineer" in offered, f"no transfer tool offered: {offered}")

    def sibling_write(body: dict[str, Any]) -> None:
        expect(body["tool_choice"]["function"]["name"] == "SiblingContribution", "contribution not forced")

    script = [
        Reply(tool_calls=[("transfer_to_mlops_ai_engineer", wire.HANDOFF_ARGS)], reasoning_tokens=256,
              check=architect_first),
        Reply(content="I have what I need from the brief.", reasoning_tokens=128),
        Reply(tool_calls=[("SiblingContribution", wire.HANDOFF_SECTION)], reasoning_tokens=512, check=sibling_write),
        Reply(content="The design is ready; the deployment plan came back from mlops-ai-engineer.",
              reasoning_tokens=128),
        Reply(tool_calls=[("DesignContent", DESIGN_CONTENT)], reasoning_tokens=1024),
    ]
    with FakeOpenAI(name, script) as api, recording(name, api):
        result = design(wire.HANDOFF_REQUEST, settings=_design_settings(api, work))
    api.assert_done()
    expect([h.agent for h in result.handoffs] == ["mlops-ai-engineer"], f"handoffs: {result.handoffs}")


RECORDINGS: dict[str, Callable[..., None]] = {
    "design_handoff_over_the_wire": record_design_handoff_over_the_wire,
    "chat_tool_calls": record_chat_tool_calls,
    "chat_structured_output": record_chat_structured_output,
    "chat_stream": record_chat_stream,
    "chat_http_500": record_chat_http_500,
    "design_rag_over_the_wire": record_design_rag_over_the_wire,
    "design_fallback_http_500": record_design_fallback_http_500,
}


def main(names: list[str]) -> None:
    unknown = set(names) - set(RECORDINGS)
    if unknown:
        raise SystemExit(f"unknown cassette(s): {', '.join(sorted(unknown))}; known: {', '.join(RECORDINGS)}")
    expect(set(RECORDINGS) == set(wire.ALL_CASSETTES), "RECORDINGS and test_openai_wire.ALL_CASSETTES differ")
    with tempfile.TemporaryDirectory(prefix="mlarchitect-record-") as tmp:
        for name in names or list(RECORDINGS):
            record = RECORDINGS[name]
            if name.startswith("design_"):
                work = Path(tmp) / name
                work.mkdir()
                record(work)
            else:
                record()
            print(f"recorded {wire.cassette_path(name).relative_to(TESTS.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
