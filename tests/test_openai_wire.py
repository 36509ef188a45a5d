"""ChatOpenAI over the wire, played back from recorded HTTP cassettes.

The cassettes in ``tests/cassettes`` hold OpenAI Chat Completions exchanges in
the official wire format (JSON completions, server-sent event streams, error
objects) under the official URL. They are regenerated with one command,
``python tests/support/record_cassettes.py``, which records real HTTP traffic
against a scripted local OpenAI-compatible server and reuses the definitions
below. Playback uses ``record_mode="none"``: a request that is not in its
cassette fails instead of reaching the network. Matching is on method and path
only (bodies differ between runs: knowledge-base excerpts, SDK headers), and
repeated requests to the same URL get the recorded responses in order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
import vcr
import yaml
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, Field

from mlarchitect.config import Settings
from mlarchitect.errors import ModelError

CASSETTES = Path(__file__).resolve().parent / "cassettes"
MODEL = "gpt-5-mini"  # the sonnet tier's default: what Settings(openai_api_key=...) picks
OPENAI_URL = "https://api.openai.com/v1/chat/completions"
MATCH_ON = ("method", "path")

# --- what the tests send (the recorder imports these, so both sides agree) ----

TOOL_PROMPT = "How large is the vector index for 30,000 support tickets? Use the sizing tool."
TOOL_ARGS = {"documents": 30000, "unit": "tickets"}

STRUCTURED_PROMPT = "Size the vector index for 30,000 support tickets of ~400 tokens, 300-token chunks."
STRUCTURED_ARGS = {"chunks": 44445, "memory_gb": 0.278, "store": "pgvector on one node", "quantized": False}

STREAM_PROMPT = "In one sentence: what does hybrid retrieval do?"
STREAM_PIECES = ["Hybrid retrieval", " runs BM25", " keyword search", " and dense vector search", " side by side",
                 " and fuses the two", " rankings with", " reciprocal rank fusion."]
STREAM_TEXT = "".join(STREAM_PIECES)

ERROR_PROMPT = "Design a feature store."

DESIGN_REQUEST = ("Design a RAG chatbot over 30,000 support tickets for our support team; "
                  "p95 latency under 2 s; budget $500/month.")
DESIGN_TOOL_CALLS: list[tuple[str, dict[str, Any]]] = [
    ("rag_reference_architecture", {}),
    ("rag_size_index", {"documents": 30000, "unit": "tickets", "chunk_tokens": 300, "overlap_tokens": 30}),
    ("cost_estimate_llm", {"requests_per_day": 2000, "input_tokens": 2500, "output_tokens": 350,
                           "monthly_budget_usd": 500}),
]
FALLBACK_REQUEST = "Design experiment tracking for our fine-tuning runs of a 7B model."
HANDOFF_FALLBACK_REQUEST = (FALLBACK_REQUEST[:-1] + "; ask the security-and-privacy-engineer-ml agent "
                            "to review PII handling.")  # the offline engine hands this part to a sibling

HANDOFF_REQUEST = ("Design model serving for our recommendation model at 300 requests per second "
                   "and plan its Kubernetes deployment and CI/CD.")
HANDOFF_ARGS = {"reason": "The request asks for a Kubernetes deployment and CI/CD, which the architect does not do.",
                "question": "Write the deployment plan (cluster, release pipeline with canary, scaling policy) "
                            "for the serving design: inference service, cache, model registry."}
HANDOFF_SECTION = {"title": "Deployment Plan",
                   "markdown": "#### Release pipeline\n\n- GitHub Actions builds the image, Argo CD syncs the "
                               "Helm chart, canary 5% -> 50% -> 100% gated on p95 and error rate."}


@tool
def size_vector_index(documents: int, unit: str = "documents") -> str:
    """Size a vector index (chunks, memory) for a corpus of `documents` counted in `unit`."""
    return f"{documents} {unit}"


class IndexSizing(BaseModel):
    """The size of a vector index and where to host it."""

    chunks: int = Field(description="Number of chunks in the index.")
    memory_gb: float = Field(description="Vector memory including HNSW links, in GB.")
    store: str = Field(description="Recommended vector store.")
    quantized: bool = Field(description="Whether vectors are int8-quantized.")


# --- helpers ---------------------------------------------------------------------


def cassette_path(name: str) -> Path:
    return CASSETTES / f"{name}.yaml"


def use_cassette(name: str) -> Any:
    """Playback only: nothing recorded, nothing sent to the network."""
    path = cassette_path(name)
    assert path.exists(), f"missing cassette {path}: run python tests/support/record_cassettes.py"
    return vcr.use_cassette(str(path), record_mode="none", match_on=MATCH_ON, filter_headers=["authorization"])


def chat(**kwargs: Any) -> ChatOpenAI:
    """The client under test: default (official) base URL, no retries."""
    return ChatOpenAI(model=MODEL, api_key="sk-test", max_retries=0, **kwargs)


def interactions(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load(cassette_path(name).read_text(encoding="utf-8"))["interactions"]


def response_json(interaction: dict[str, Any]) -> dict[str, Any]:
    return json.loads(interaction["response"]["body"]["string"])


def stream_events(interaction: dict[str, Any]) -> list[dict[str, Any]]:
    body = interaction["response"]["body"]["string"]
    return [json.loads(line[len("data: "):]) for line in body.splitlines()
            if line.startswith("data: ") and line != "data: [DONE]"]


def assert_played_all(cassette: Any, count: int) -> None:
    """The client's requests went through vcr: every recorded response, once each."""
    assert cassette.play_count == count
    assert cassette.all_played


def wire_settings(tmp_path: Path, kb_dir: Path, **extra: Any) -> Settings:
    return Settings(openai_api_key="sk-test", max_retries=0, data_dir=tmp_path / "data", kb_dir=kb_dir, **extra)


# --- the cassettes themselves ----------------------------------------------------

ALL_CASSETTES = ["design_handoff_over_the_wire", "chat_tool_calls", "chat_structured_output", "chat_stream", "chat_http_500",
                 "design_rag_over_the_wire", "design_fallback_http_500"]


@pytest.mark.parametrize("name", ALL_CASSETTES)
def test_cassette_looks_like_the_official_api_and_holds_no_secret(name: str) -> None:
    text = cassette_path(name).read_text(encoding="utf-8")
    assert "127.0.0.1" not in text and "sk-test" not in text
    for item in interactions(name):
        request, response = item["request"], item["response"]
        assert request["method"] == "POST" and request["uri"] == OPENAI_URL
        assert "authorization" not in {h.lower() for h in request["headers"]}
        assert request["headers"]["host"] == ["api.openai.com"]
        assert json.loads(request["body"])["model"] == MODEL
        headers = {k.lower(): v for k, v in response["headers"].items()}
        assert headers["x-request-id"][0].startswith("req_") and headers["openai-version"] == ["2020-10-01"]


# --- 1-4: ChatOpenAI features over the wire ---------------------------------------


def test_bind_tools_parses_tool_calls_and_usage() -> None:
    recorded = response_json(interactions("chat_tool_calls")[0])
    wire_call = recorded["choices"][0]["message"]["tool_calls"][0]
    with use_cassette("chat_tool_calls") as cassette:
        message = chat().bind_tools([size_vector_index]).invoke(TOOL_PROMPT)
    assert_played_all(cassette, 1)
    assert isinstance(message, AIMessage)
    assert message.tool_calls == [
        {"name": "size_vector_index", "args": TOOL_ARGS, "id": wire_call["id"], "type": "tool_call"}
    ]
    assert message.tool_calls[0]["id"].startswith("call_")
    usage = recorded["usage"]
    assert message.usage_metadata is not None
    assert message.usage_metadata["input_tokens"] == usage["prompt_tokens"] > 0
    assert message.usage_metadata["output_tokens"] == usage["completion_tokens"] > 0
    assert message.usage_metadata["total_tokens"] == usage["total_tokens"]
    assert message.response_metadata["finish_reason"] == "tool_calls"
    assert message.response_metadata["model_name"] == recorded["model"]


def test_structured_output_with_function_calling_parses_into_the_model() -> None:
    with use_cassette("chat_structured_output") as cassette:
        result = chat().with_structured_output(IndexSizing, method="function_calling").invoke(STRUCTURED_PROMPT)
    assert_played_all(cassette, 1)
    assert isinstance(result, IndexSizing)
    assert result == IndexSizing(**STRUCTURED_ARGS)


def test_stream_yields_chunks_that_concatenate_to_the_text() -> None:
    events = stream_events(interactions("chat_stream")[0])
    with use_cassette("chat_stream") as cassette:
        chunks = list(chat().stream(STREAM_PROMPT))
    assert_played_all(cassette, 1)
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    texts = [c.content for c in chunks if c.content]
    assert len(texts) == len(STREAM_PIECES) >= 3
    assert "".join(texts) == STREAM_TEXT
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert whole.content == STREAM_TEXT
    usage = next(e["usage"] for e in events if e.get("usage"))  # the final include_usage event
    assert whole.usage_metadata is not None and whole.usage_metadata["total_tokens"] == usage["total_tokens"] > 0
    assert whole.response_metadata["finish_reason"] == "stop"


def test_http_500_raises_internal_server_error() -> None:
    recorded = interactions("chat_http_500")[0]["response"]
    with use_cassette("chat_http_500") as cassette, pytest.raises(openai.InternalServerError) as info:
        chat().invoke(ERROR_PROMPT)
    assert_played_all(cassette, 1)  # max_retries=0: exactly one request
    assert info.value.status_code == 500
    assert "server had an error" in str(info.value)
    assert info.value.request_id == recorded["headers"]["x-request-id"][0]


# --- 5-6: the whole design graph over the wire -------------------------------------


def test_design_graph_over_the_wire(tmp_path: Path, shared_kb_dir: Path) -> None:
    from mlarchitect.agents.api import design

    recorded = interactions("design_rag_over_the_wire")
    answers = [response_json(i) for i in recorded]
    content = json.loads(answers[-1]["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    with use_cassette("design_rag_over_the_wire") as cassette:
        result = design(DESIGN_REQUEST, settings=wire_settings(tmp_path, shared_kb_dir))
    assert_played_all(cassette, 3)  # architect (tool calls), architect ("ready"), assemble
    assert result.workflow == "rag_system"
    assert result.summary == content["summary"]
    assert [c.name for c in result.components] == [c["name"] for c in content["components"]]
    assert result.provenance.model == MODEL and result.provenance.offline is False
    assert result.provenance.fallback_used is False and not result.notes
    assert result.provenance.llm_calls == 3
    assert result.provenance.tokens == sum(a["usage"]["total_tokens"] for a in answers) > 0
    assert result.skills_used == ["rag-design", "cost-analysis"]  # in the order the tools were called
    sizing = {c.name: c for c in result.sizing}
    chunks = sizing["Chunks"]  # rag_size_index's figure, kept although the model did not copy it
    assert chunks.value == 44445  # 30,000 tickets x 400 tokens / (300 - 30)
    assert "12,000,000 tokens ÷ (300 − 30 overlap)" in chunks.formula
    assert "30,000 tickets" in sizing["Corpus tokens"].formula
    assert {c["name"] for c in content["sizing"]} <= set(sizing)  # the model's own figures stay too
    # the requests really carried the graph's conversation: the architect's tool definitions and the
    # tool results went out, the assemble call forced the DesignContent function
    sent = [json.loads(i["request"]["body"]) for i in recorded]
    offered = {t["function"]["name"] for t in sent[0]["tools"]}
    assert {name for name, _ in DESIGN_TOOL_CALLS} <= offered
    tool_messages = [m for m in sent[1]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in tool_messages] == [
        c["id"] for c in answers[0]["choices"][0]["message"]["tool_calls"]]
    assert sent[2]["tool_choice"]["function"]["name"] == "DesignContent"


def test_design_falls_back_to_the_offline_engine_on_http_500(tmp_path: Path, shared_kb_dir: Path) -> None:
    from mlarchitect.agents.api import design

    with use_cassette("design_fallback_http_500") as cassette:
        result = design(FALLBACK_REQUEST, settings=wire_settings(tmp_path, shared_kb_dir))
    assert_played_all(cassette, 1)  # after the failure the run stays offline: no further request
    assert result.provenance.fallback_used is True and result.provenance.offline is True
    assert result.provenance.model == "offline"
    failure = [n for n in result.notes if "failed" in n]
    assert len(failure) == 1 and MODEL in failure[0] and "offline engine" in failure[0]
    assert "Error code: 500" in failure[0] and "server had an error" in failure[0]
    assert not any("CannotOverwriteExistingCassette" in n for n in result.notes)  # nothing else hit the wire
    assert result.workflow == "experiment_tracking" and result.components


def test_design_without_fallback_raises_model_error_on_http_500(tmp_path: Path, shared_kb_dir: Path) -> None:
    from mlarchitect.agents.api import design

    settings = wire_settings(tmp_path, shared_kb_dir, fallback_to_offline=False)
    with use_cassette("design_fallback_http_500") as cassette, pytest.raises(ModelError) as info:
        design(FALLBACK_REQUEST, settings=settings)
    assert_played_all(cassette, 1)
    assert MODEL in str(info.value) and "Error code: 500" in str(info.value)
    assert isinstance(info.value.__cause__, openai.InternalServerError)


def test_design_fallback_keeps_sibling_agents_off_the_failing_provider(tmp_path: Path, shared_kb_dir: Path) -> None:
    from mlarchitect.agents.api import design

    with use_cassette("design_fallback_http_500") as cassette:
        result = design(HANDOFF_FALLBACK_REQUEST, settings=wire_settings(tmp_path, shared_kb_dir))
    assert [h.agent for h in result.handoffs] == ["security-and-privacy-engineer-ml"]
    assert_played_all(cassette, 1)
    # a sibling request after the fallback is not in the cassette: vcr refuses it, the sibling falls back too
    assert [n for n in result.notes if "failed" in n] == [n for n in result.notes if "ml-system-architect step" in n]


def test_handoff_exchange_over_the_wire(tmp_path: Path, shared_kb_dir: Path) -> None:
    """The architect hands off with a real-format tool call; the sibling runs on its own model
    over the wire and its section lands in the deliverable."""
    from mlarchitect.agents.api import design

    recorded = interactions("design_handoff_over_the_wire")
    with use_cassette("design_handoff_over_the_wire") as cassette:
        result = design(HANDOFF_REQUEST, settings=wire_settings(tmp_path, shared_kb_dir))
    # architect (handoff call), sibling work, sibling write, architect ("ready"), assemble
    assert_played_all(cassette, 5)
    [handoff] = result.handoffs
    assert handoff.agent == "mlops-ai-engineer" and handoff.status == "completed"
    assert handoff.reason == HANDOFF_ARGS["reason"]
    assert "Argo CD" in handoff.contribution and handoff.contribution.startswith("## Deployment Plan")
    sent = [json.loads(i["request"]["body"]) for i in recorded]
    assert "transfer_to_mlops_ai_engineer" in {t["function"]["name"] for t in sent[0]["tools"]}
    brief = sent[1]["messages"][-1]["content"]  # the sibling gets a written brief, not the chat history
    assert HANDOFF_ARGS["question"] in brief and HANDOFF_REQUEST in brief
    assert not any(m["role"] == "tool" for m in sent[1]["messages"])
    assert sent[2]["tool_choice"]["function"]["name"] == "SiblingContribution"
    tool_messages = [m for m in sent[3]["messages"] if m["role"] == "tool"]
    assert len(tool_messages) == 1 and "Argo CD" in tool_messages[0]["content"]
    assert result.provenance.fallback_used is False and not result.notes
