"""The model path against a live scripted OpenAI-compatible server on 127.0.0.1.

Each scenario starts ``FakeOpenAI`` with a ``Behaviour`` (tests/support/scenarios.py)
that answers the way one kind of server does, runs the whole design graph over
HTTP, and checks the outcome and its provenance: which model wrote what, the
model calls and tokens, the fallbacks. ``MLARCHITECT_SCENARIO_TABLE=FILE`` appends
one Markdown table row per scenario (the README's table).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from scripted_model import ScriptedChatModel, contribution, final_structured, tool_call

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

import scenarios as sc  # noqa: E402
from fake_openai_server import FakeOpenAI  # noqa: E402

from mlarchitect.agents.agent_files import load_catalog  # noqa: E402
from mlarchitect.agents.api import design  # noqa: E402
from mlarchitect.agents.models import agent_model_name, uses_tiers  # noqa: E402
from mlarchitect.agents.probe import capabilities, read_cache  # noqa: E402
from mlarchitect.agents.repair import drop_unknown_citations, reconcile_figures, shortfalls  # noqa: E402
from mlarchitect.agents.runtime import parse_text, retry_delay, workflow_section  # noqa: E402
from mlarchitect.config import ModelTiers, Settings  # noqa: E402
from mlarchitect.deliverable import ArchitectureDesign, DesignContent  # noqa: E402
from mlarchitect.errors import ModelError  # noqa: E402
from mlarchitect.render_markdown import render_markdown  # noqa: E402
from mlarchitect.tool_result import ToolResult  # noqa: E402

ARCHITECT = "ml-system-architect"


@contextmanager
def server(name: str, behaviour: sc.Behaviour) -> Iterator[FakeOpenAI]:
    with FakeOpenAI(name, [], responder=behaviour, models=behaviour.served) as api:
        yield api
    assert not api.errors, api.errors


def settings_for(api: FakeOpenAI, tmp_path: Path, kb: Path, **extra: Any) -> Settings:
    values: dict[str, Any] = {"openai_base_url": api.base_url, "model": sc.MODEL, "data_dir": tmp_path / "data",
                              "kb_dir": kb, "max_retries": 1, "max_tokens": 1024, **extra}
    return Settings(**values)


def model_requests(api: FakeOpenAI, behaviour: sc.Behaviour) -> list[int]:
    """Indexes of the requests that were not capability probes."""
    return [i for i, kind in enumerate(behaviour.log) if kind != "probe"]


def reported_tokens(api: FakeOpenAI, indexes: list[int]) -> tuple[int, int]:
    usages = [api.usages[i] for i in indexes if i in api.usages]
    return sum(u["prompt_tokens"] for u in usages), sum(u["completion_tokens"] for u in usages)


def record(scenario: str, outcome: str, result: ArchitectureDesign | None, seconds: float) -> None:
    path = os.environ.get("MLARCHITECT_SCENARIO_TABLE")
    if path:
        calls = result.provenance.llm_calls if result is not None else "-"
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"| {scenario} | {outcome} | {calls} | {seconds:.1f} |\n")


def run(name: str, behaviour: sc.Behaviour, tmp_path: Path, kb: Path, request: str = sc.REQUEST,
        **extra: Any) -> tuple[ArchitectureDesign, FakeOpenAI]:
    with server(name, behaviour) as api:
        started = time.perf_counter()
        result = design(request, settings=settings_for(api, tmp_path, kb, **extra))
        seconds = time.perf_counter() - started
    p = result.provenance
    outcome = (f"{p.model} via {p.method}" + (f"; fallbacks: {', '.join(sorted({f.step for f in p.fallbacks}))}"
                                              if p.fallbacks else ""))
    record(name, outcome, result, seconds)
    return result, api


def sections(result: ArchitectureDesign, agent: str = ARCHITECT) -> dict[str, str]:
    return {s.section: s.model for s in result.provenance.sections if s.agent == agent}


def assert_honest_counts(result: ArchitectureDesign, api: FakeOpenAI, behaviour: sc.Behaviour) -> None:
    """Every non-probe request is one model call; the tokens are what the server reported."""
    sent = model_requests(api, behaviour)
    p = result.provenance
    assert p.llm_calls == len(sent)
    prompt, completion = reported_tokens(api, sent)
    assert (p.prompt_tokens, p.completion_tokens) == (prompt, completion)
    assert p.tokens == prompt + completion
    assert sum(a.calls for a in p.agents) == p.llm_calls


# --- scenarios ---------------------------------------------------------------------------


def test_capable_model_writes_everything_and_is_probed_once(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour()
    result, api = run("capable model", behaviour, tmp_path, shared_kb_dir)
    p = result.provenance
    assert behaviour.log == ["probe"] * 4 + ["turn", "turn", "forced"]
    assert p.model == sc.MODEL and not p.offline and p.method == "function_calling"
    assert not p.fallback_used and p.fallbacks == []
    assert_honest_counts(result, api, behaviour)
    assert p.llm_calls == 3 and p.tokens > 0
    assert set(sections(result).values()) == {sc.MODEL}
    assert result.summary == sc.DESIGN["summary"] and len(result.components) == 5
    assert result.skills_used == ["rag-design", "cost-analysis"]
    # the code owns the tools' figures: the model's $50 LLM line becomes the tool's $79.50
    cost = {i.item: i.monthly_usd for i in result.cost_analysis.items}
    assert cost["LLM cost per month"] == 79.5
    assert result.cost_analysis.monthly_total_usd == round(sum(cost.values()), 2)
    assert any("Cost line 'LLM cost per month'" in n and "$79.50" in n for n in result.notes)
    # a cited source that is not in the knowledge base is dropped, a real one kept
    notes = [n for step in result.steps for n in step.notes]
    assert any(n.startswith("[hybrid-search]") for n in notes) and not any("made-up-pattern" in n for n in notes)
    assert any("made-up-pattern" in n for n in result.notes)
    # every request carried the output cap
    assert all(body.get("max_completion_tokens") == 1024 or body.get("max_tokens") for body in api.requests)
    cache = read_cache(tmp_path / "data" / "probe-cache.json")
    [entry] = cache.values()
    assert entry["tools"] and entry["forced_tool_choice"] and entry["json_schema"] and entry["json_mode"]


def test_a_second_run_trusts_the_probe_cache(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour()
    with server("probe cache", behaviour) as api:
        design(sc.REQUEST, settings=settings_for(api, tmp_path, shared_kb_dir, cache=False))
        design(sc.REQUEST, settings=settings_for(api, tmp_path, shared_kb_dir, cache=False))  # designed again
    assert behaviour.log.count("probe") == 4 and behaviour.log.count("forced") == 2


def test_server_that_ignores_tools_gets_grounded_and_filled(tmp_path: Path, shared_kb_dir: Path) -> None:
    """The hollow-design bug: no tool calls, no structure; it must not ship as a success."""
    behaviour = sc.Behaviour(tools="ignore", forced="ignore", json_schema="ignore", json_mode="ignore",
                             design=dict(sc.HOLLOW))
    result, api = run("ignores tools, hollow JSON", behaviour, tmp_path, shared_kb_dir)
    p = result.provenance
    assert behaviour.log == ["probe"] * 4 + ["prompted"]  # no wasted tool turns, one prompted-JSON call
    assert_honest_counts(result, api, behaviour)
    assert p.llm_calls == 1 and p.method == "prompted_json"
    assert result.skills_used and result.sizing  # the code ran the workflow's tools (grounding)
    assert any(n.startswith("Grounding: the server does not call tools") for n in result.notes)
    assert len(result.components) >= 4 and result.data_flows and result.summary != "RAG chatbot"
    written = sections(result)
    assert written["components"] == written["summary"] == written["data_flows"] == "offline"
    assert written["sizing"] == "tools"
    assert p.fallback_used and {f.step for f in p.fallbacks} == {"architect (grounding)", "assemble (minimum content)"}
    # no request went out with tool messages or tool calls the server cannot read
    assert not any(m.get("role") == "tool" for body in api.requests for m in body["messages"])
    footer = render_markdown(result).split("\n---\n")[-1]
    assert "offline: summary, components" in footer and "Fallback: ml-system-architect" in footer


def test_hollow_design_without_fallback_is_a_model_error(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(tools="ignore", forced="ignore", json_schema="ignore", json_mode="ignore",
                             design=dict(sc.HOLLOW))
    started = time.perf_counter()
    with server("hollow, no fallback", behaviour) as api, pytest.raises(ModelError, match="minimum content"):
        design(sc.REQUEST, settings=settings_for(api, tmp_path, shared_kb_dir, fallback_to_offline=False))
    record("hollow, no fallback", "ModelError (exit 1)", None, time.perf_counter() - started)


def test_a_passed_deadline_sends_nothing_and_says_why(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour()
    result, api = run("deadline passed", behaviour, tmp_path, shared_kb_dir, timeout_s=0.001)
    assert behaviour.log == [] and result.provenance.llm_calls == 0
    assert result.provenance.model == "offline" and "deadline" in result.provenance.fallbacks[0].reason


def test_vllm_without_tool_parser(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(tools="reject")
    result, api = run("tool_choice=auto rejected (400)", behaviour, tmp_path, shared_kb_dir)
    p = result.provenance
    assert behaviour.log == ["probe"] * 4 + ["forced"]  # never another auto tool request
    assert "auto-400" not in behaviour.log
    assert_honest_counts(result, api, behaviour)
    assert p.model == sc.MODEL and p.method == "function_calling" and p.llm_calls == 1
    assert sections(result)["components"] == sc.MODEL
    assert result.skills_used  # grounded by the code
    forced = api.requests[-1]
    assert not any(m.get("role") == "tool" for m in forced["messages"])  # tool results went as text
    assert "Tool results" in json.dumps(forced["messages"])


def test_json_schema_rejected_uses_json_mode(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(forced="ignore", json_schema="reject")
    result, api = run("json_schema rejected", behaviour, tmp_path, shared_kb_dir)
    assert behaviour.log == ["probe"] * 4 + ["turn", "turn", "json_object"]
    assert result.provenance.method == "json_mode" and result.provenance.model == sc.MODEL
    assert_honest_counts(result, api, behaviour)
    assert result.summary == sc.DESIGN["summary"]


def test_no_tool_call_on_the_first_turn_is_grounded(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(first_turn_tools=False)
    result, api = run("no tool call on turn 1", behaviour, tmp_path, shared_kb_dir)
    p = result.provenance
    # turn 1 says text; the code runs the plan phase by phase; the model then works on from the results
    assert behaviour.log[:6] == ["probe"] * 4 + ["turn", "turn"] and behaviour.log[-1] == "forced"
    second = api.requests[model_requests(api, behaviour)[1]]
    assert sum(m.get("role") == "tool" for m in second["messages"]) >= 3  # the model saw the results
    assert any(n.startswith("Grounding: the model made no tool call") for n in result.notes)
    assert [f.step for f in p.fallbacks] == ["architect (grounding)"]
    assert p.model == sc.MODEL and set(sections(result).values()) == {sc.MODEL}
    assert_honest_counts(result, api, behaviour)


def test_malformed_tool_arguments_on_a_strict_server(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(malformed_first=True, strict_tool_ids=True)
    result, api = run("malformed tool args, strict ids", behaviour, tmp_path, shared_kb_dir)
    assert "strict-400" not in behaviour.log
    assert behaviour.log == ["probe"] * 4 + ["turn", "turn", "turn", "forced"]
    repair = api.requests[model_requests(api, behaviour)[1]]
    errors = [m for m in repair["messages"] if m.get("role") == "tool"]
    assert len(errors) == 2 and "not valid JSON" in errors[0]["content"]
    assert any("malformed tool-call arguments" in n for n in result.notes)
    assert result.provenance.llm_calls == 4 and not result.provenance.fallback_used
    assert result.skills_used == ["rag-design", "cost-analysis"]
    assert_honest_counts(result, api, behaviour)


def test_design_json_in_the_message_text(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(forced="text")
    result, api = run("design JSON in message text", behaviour, tmp_path, shared_kb_dir)
    assert result.summary == sc.DESIGN["summary"] and result.provenance.method == "function_calling"
    assert any("ignored the forced DesignContent tool choice" in n for n in result.notes)
    assert result.provenance.model == sc.MODEL and not result.provenance.fallback_used
    assert_honest_counts(result, api, behaviour)


def test_invalid_structured_output_gets_one_repair_round(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(broken_design_first=True, strict_tool_ids=True)
    result, api = run("invalid DesignContent, repaired", behaviour, tmp_path, shared_kb_dir)
    assert "strict-400" not in behaviour.log
    sent = model_requests(api, behaviour)
    repair = api.requests[sent[-1]]
    assert repair["messages"][-1]["role"] == "tool" and "did not validate" in repair["messages"][-1]["content"]
    assert result.summary == sc.DESIGN["summary"] and result.provenance.llm_calls == 4
    assert any("one repair round" in n for n in result.notes)
    assert_honest_counts(result, api, behaviour)


def test_wrong_model_name(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour()
    result, api = run("wrong model name (404)", behaviour, tmp_path, shared_kb_dir, model="gpt-5-mini")
    p = result.provenance
    assert behaviour.log == ["404"]  # the probe found out; nothing else was sent
    assert p.model == "offline" and p.offline and p.llm_calls == 0 and p.method == "offline"
    [failure] = [n for n in result.notes if "failed" in n]
    assert "gpt-5-mini" in failure and "serves: local-model" in failure
    assert [f.step for f in p.fallbacks] == ["architect"]
    assert set(sections(result).values()) == {"offline"}
    with server("wrong model, no fallback", sc.Behaviour()) as api2, pytest.raises(ModelError, match="local-model"):
        design(sc.REQUEST, settings=settings_for(api2, tmp_path / "b", shared_kb_dir, model="gpt-5-mini",
                                                 fallback_to_offline=False))


def test_small_context_window_is_met_by_compaction(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(context_limit=8192)
    result, api = run("8k context window", behaviour, tmp_path, shared_kb_dir)
    p = result.provenance
    assert behaviour.log == ["probe"] * 4 + ["context", "turn", "turn", "forced"]
    assert p.model == sc.MODEL and not p.fallback_used and p.retries == 1
    assert_honest_counts(result, api, behaviour)
    sent = [api.requests[i] for i in model_requests(api, behaviour)]
    # the first prompt already carries only the routed workflow's section; compaction cuts it to the essentials
    assert len(sent[1]["messages"][0]["content"]) < len(sent[0]["messages"][0]["content"]) * 0.8
    assert "Workflow 2:" not in sent[1]["messages"][0]["content"]  # only the routed workflow
    assert any("context window was exceeded" in n for n in result.notes)


def test_server_without_usage_reporting(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(usage=False)
    result, api = run("no usage reported", behaviour, tmp_path, shared_kb_dir)
    assert result.provenance.llm_calls == 3 and result.provenance.tokens == 0
    assert_honest_counts(result, api, behaviour)


def test_rate_limit_is_retried_after_retry_after(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(rate_limited_first=True)
    result, api = run("429 with Retry-After", behaviour, tmp_path, shared_kb_dir)
    p = result.provenance
    assert behaviour.log == ["probe"] * 4 + ["429", "turn", "turn", "forced"]
    assert p.retries == 1 and p.llm_calls == 4 and not p.fallback_used
    assert_honest_counts(result, api, behaviour)


def test_siblings_use_the_same_model_on_a_base_url(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(handoff=True)
    result, api = run("handoff, one model", behaviour, tmp_path, shared_kb_dir, request=sc.HANDOFF_REQUEST)
    assert {body["model"] for body in api.requests} == {sc.MODEL}  # no tier names sent to the local server
    [handoff] = result.handoffs
    assert handoff.agent == "mlops-ai-engineer" and handoff.status == "completed" and "Argo CD" in handoff.contribution
    assert sections(result, "mlops-ai-engineer") == {"contribution": sc.MODEL}
    usage = {a.agent: a for a in result.provenance.agents}
    assert usage["mlops-ai-engineer"].calls == 2 and usage["mlops-ai-engineer"].model == sc.MODEL
    assert_honest_counts(result, api, behaviour)


# --- with scripted chat models -------------------------------------------------------------


def test_a_failing_sibling_does_not_switch_the_run_offline(settings: Settings) -> None:
    architect = ScriptedChatModel(script=[
        AIMessage(content="", tool_calls=[tool_call("transfer_to_mlops_ai_engineer",
                                                    {"reason": "deploy", "question": "plan"}, "m")]),
        AIMessage(content="done"),
        final_structured,
    ])
    broken = ScriptedChatModel(script=[RuntimeError("sibling model exploded")])
    result = design("Design serving and deploy it on Kubernetes", settings=settings, chat_model=architect,
                    sibling_models={"mlops-ai-engineer": broken})
    p = result.provenance
    assert architect.calls == 3  # the architect stayed on its model
    assert p.model == "scripted" and not p.offline and p.method == "function_calling"
    assert [(f.agent, f.step) for f in p.fallbacks] == [("mlops-ai-engineer", "work, write"),
                                                         ("ml-system-architect", "assemble (minimum content)")]
    assert sections(result)["steps"] == "offline"  # the scripted design has none: the offline engine's
    assert sections(result, "mlops-ai-engineer") == {"contribution": "offline"}
    assert p.fallback_used and p.llm_calls == 3 + 1  # the sibling's failed request counts; offline steps do not


def test_sibling_contribution_counts(settings: Settings) -> None:
    architect = ScriptedChatModel(script=[
        AIMessage(content="", tool_calls=[tool_call("transfer_to_mlops_ai_engineer",
                                                    {"reason": "deploy", "question": "plan"}, "m")]),
        AIMessage(content="done"),
        final_structured,
    ])
    sibling = ScriptedChatModel(script=[
        AIMessage(content="ready", usage_metadata={"input_tokens": 7, "output_tokens": 3, "total_tokens": 10}),
        contribution("Deployment Plan", "Helm + Argo CD"),
    ])
    result = design("Design serving and deploy it on Kubernetes", settings=settings, chat_model=architect,
                    sibling_models={"mlops-ai-engineer": sibling})
    usage = {a.agent: a for a in result.provenance.agents}
    assert usage["mlops-ai-engineer"].calls == 2 and usage["mlops-ai-engineer"].prompt_tokens == 7
    assert result.provenance.llm_calls == 5 and result.provenance.tokens == 70 + 10
    assert sections(result, "mlops-ai-engineer") == {"contribution": "scripted"}


# --- units -----------------------------------------------------------------------------------


def test_one_model_for_every_agent_unless_told_otherwise() -> None:
    official = Settings(openai_api_key="sk-x")
    assert uses_tiers(official) and agent_model_name(official, "haiku", "gpt-5-mini") == "gpt-5-nano"
    explicit = Settings(openai_api_key="sk-x", model="gpt-4.1")
    assert not uses_tiers(explicit) and agent_model_name(explicit, "opus", "gpt-4.1") == "gpt-4.1"
    local = Settings(openai_base_url="http://127.0.0.1:9/v1")
    assert not uses_tiers(local) and agent_model_name(local, "haiku", "llama3") == "llama3"
    per_provider = Settings(openai_base_url="http://127.0.0.1:9/v1",
                            providers={"http://127.0.0.1:9/v1": ModelTiers(opus="big", sonnet="mid", haiku="small")})
    assert uses_tiers(per_provider) and agent_model_name(per_provider, "haiku", "mid") == "small"
    assert not uses_tiers(Settings(openai_api_key="sk-x", agent_tiers="off"))
    assert uses_tiers(Settings(openai_base_url="http://127.0.0.1:9/v1", agent_tiers="on"))


def test_probe_cache_has_a_ttl(tmp_path: Path) -> None:
    behaviour = sc.Behaviour(tools="reject", json_schema="reject")
    with server("probe ttl", behaviour) as api:
        settings = Settings(openai_base_url=api.base_url, data_dir=tmp_path)
        caps = capabilities(settings, sc.MODEL)
        assert (caps.tools, caps.forced_tool_choice, caps.json_schema, caps.json_mode) == (False, True, False, True)
        assert caps.probed and caps.calls == 4 and "rejected" in caps.details["tools"]
        assert capabilities(settings, sc.MODEL) == caps and behaviour.log.count("probe") == 4  # cached
        capabilities(settings.model_copy(update={"probe_ttl_s": 0}), sc.MODEL)
        assert behaviour.log.count("probe") == 8  # expired: asked again
        assert all(body.get("max_tokens") == 64 for body in api.requests)  # cheap


def test_a_probe_cut_short_by_thinking_proves_nothing(tmp_path: Path) -> None:
    with server("thinking model probe", sc.Behaviour(thinks_first=True)) as api:
        caps = capabilities(Settings(openai_base_url=api.base_url, data_dir=tmp_path), sc.MODEL)
    assert caps.tools and caps.forced_tool_choice and caps.json_schema and caps.json_mode
    assert all(detail.startswith("inconclusive") for detail in caps.details.values())


def test_official_api_and_offline_are_not_probed(tmp_path: Path) -> None:
    caps = capabilities(Settings(openai_api_key="sk-x", data_dir=tmp_path), "gpt-5-mini")
    assert not caps.probed and caps.tools and caps.forced_tool_choice
    assert not (tmp_path / "probe-cache.json").exists()


def test_parse_text_reads_fenced_and_wrapped_json() -> None:
    design_json = json.dumps({"summary": "A design.", "components": []})
    for text in (design_json, f"Sure:\n```json\n{design_json}\n```", f'{{"name": "DesignContent", "arguments": {design_json}}}'):
        parsed, error = parse_text(text, DesignContent)
        assert parsed is not None and parsed.summary == "A design.", error
    parsed, error = parse_text('{"summary": 3, "components": "x"}', DesignContent)
    assert parsed is None and "components" in error


def test_minimum_content_and_reconciliation_units() -> None:
    hollow = DesignContent(title="RAG chatbot", summary="RAG chatbot")
    assert set(shortfalls(hollow, "rag_system", soft=False)) == {"summary", "components", "data_flows", "sizing"}
    content = DesignContent(summary="A design.", cost_analysis={"monthly_total_usd": 10.0, "budget_usd": 50.0,
                                                                "items": [{"item": "GPU", "monthly_usd": 10.0}]},
                            sizing=[{"name": "Chunks", "value": 10, "unit": "chunks", "formula": "guess"}])
    tool = ToolResult(skill="rag-design", tool="rag_size_index", summary="", calculations=[
        {"name": "Chunks", "value": 44445, "unit": "chunks", "formula": "12,000,000 / 270"},
        {"name": "Vector store hosting", "value": 4.0, "unit": "USD/month", "formula": "1 GB x $4"},
        {"name": "LLM cost per month", "value": 79.5, "unit": "USD/month", "formula": "..."}])
    notes = reconcile_figures(content, [tool])
    assert content.sizing[0].value == 44445
    assert content.cost_analysis.monthly_total_usd == 93.5  # GPU 10 + the tools' 83.50 the model left out
    assert content.cost_analysis.within_budget is False
    assert len(notes) == 2
    cited = DesignContent(summary="x.", steps=[{"title": "s", "notes": ["[hybrid-search] ok", "[no-such-doc] bad"]}])
    assert drop_unknown_citations(cited, {"hybrid-search"}) and cited.steps[0].notes == ["[hybrid-search] ok", "bad"]


def test_workflow_section_keeps_only_the_routed_workflow() -> None:
    architect = load_catalog().agents[ARCHITECT]
    text = workflow_section(architect, "model_serving")
    assert "Workflow 3: Design Model Serving Architecture" in text and "Workflow 1:" not in text
    assert "## Boundaries" in text and "## Best Practices" in text
    assert len(text) < len(architect.body) / 2
    small = workflow_section(architect, "model_serving", essentials=True)
    assert "## Best Practices" not in small and "## Related Agents" in small and len(small) < 9000
    assert "Workflow 1:" in workflow_section(architect, "general")


def test_retry_delay_honours_retry_after() -> None:
    class Response:
        headers = {"retry-after": "2"}

    class Limited(Exception):
        response = Response()

    assert retry_delay(Limited(), 0) == 2.0
    assert 0.25 <= retry_delay(Exception(), 0) <= 0.5 and 2.0 <= retry_delay(Exception(), 3) <= 4.0
