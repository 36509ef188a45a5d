"""Dollars per design (the pricing table, provenance, footer, CLI summary) and the model's
text streamed on stderr, against the scripted OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

import scenarios as sc  # noqa: E402
from fake_openai_server import FakeOpenAI  # noqa: E402

from mlarchitect.agents.api import design  # noqa: E402
from mlarchitect.config import Settings  # noqa: E402
from mlarchitect.errors import ConfigError  # noqa: E402
from mlarchitect.pricing import BUILTIN_PRICES, ModelPrice, is_official_api, price_usage  # noqa: E402
from mlarchitect.render_markdown import render_markdown  # noqa: E402
from support.cli import run_cli as _cli

SAID = "Sizing the index for 30,000 tickets first."


class Chatty(sc.Behaviour):
    """A capable model that says a sentence before its tool calls."""

    def __call__(self, body: dict[str, Any], index: int) -> Any:
        reply = super().__call__(body, index)
        if self.log[-1] == "turn" and reply.tool_calls:
            reply.content = SAID
        return reply


# --- the pricing table --------------------------------------------------------------


def test_builtin_prices_apply_to_the_official_api_only() -> None:
    official = price_usage("gpt-5-mini", 2, 1_000_000, 100_000, {}, base_url=None)
    assert official.cost_usd == pytest.approx(0.25 + 0.2)
    snapshot = price_usage("gpt-5-mini-2025-08-07", 1, 1_000_000, 0, {}, base_url="https://api.openai.com/v1")
    assert snapshot.cost_usd == pytest.approx(BUILTIN_PRICES["gpt-5-mini"][0])
    local = price_usage("gpt-5-mini", 1, 1000, 10, {}, base_url="http://127.0.0.1:8080/v1")
    assert local.cost_usd is None and "127.0.0.1:8080" in local.note and '[pricing."gpt-5-mini"]' in local.note
    assert is_official_api(None) and is_official_api("https://api.openai.com/v1") and not is_official_api("http://x/v1")


def test_unknown_price_or_usage_is_null_with_a_reason_never_a_guess() -> None:
    unknown = price_usage("my-model", 1, 500, 50, {}, base_url=None)
    assert unknown.cost_usd is None and "no price for model 'my-model'" in unknown.note
    no_usage = price_usage("gpt-5", 3, 0, 0, {}, base_url=None)
    assert no_usage.cost_usd is None and "no token usage" in no_usage.note
    assert price_usage("offline", 0, 0, 0, {}, base_url=None).cost_usd == 0.0
    configured = price_usage("my-model", 1, 2_000_000, 1_000_000, {"my-model": ModelPrice(input=1, output=3)},
                             base_url="http://127.0.0.1:1/v1")
    assert configured.cost_usd == pytest.approx(5.0)


def test_pricing_from_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[pricing."my-model"]\ninput = 0.5\noutput = 1.5\n[pricing."gpt-5"]\ninput = 1\noutput = 2\n')
    monkeypatch.setenv("MLARCHITECT_CONFIG", str(config))
    settings = Settings()
    assert settings.pricing["my-model"] == ModelPrice(input=0.5, output=1.5)
    assert price_usage("gpt-5", 1, 1_000_000, 1_000_000, settings.pricing, base_url=None).cost_usd == 3.0
    config.write_text('[pricing."my-model"]\ninput = "cheap"\noutput = 1\n')
    with pytest.raises(ConfigError, match=r"pricing\.my-model\.input"):
        Settings()


# --- cost in provenance, the footer and the CLI summary -----------------------------


def test_offline_design_costs_zero(settings: Settings) -> None:
    result = design("Design experiment tracking for 5 researchers", settings=settings)
    assert result.provenance.cost_usd == 0.0 and result.provenance.cost_note == ""
    assert "· $0 ·" in render_markdown(result)


def test_local_model_without_a_price_has_no_figure_and_says_why(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour()
    with FakeOpenAI("cost unknown", [], responder=behaviour, models=behaviour.served) as api:
        result = design(sc.REQUEST, openai_base_url=api.base_url, model=sc.MODEL, data_dir=tmp_path / "d",
                        kb_dir=shared_kb_dir, max_retries=1, max_tokens=1024)
    p = result.provenance
    assert p.llm_calls == 3 and p.tokens > 0
    assert p.cost_usd is None and "no price for model 'local-model'" in p.cost_note
    assert all(a.cost_usd is None for a in p.agents)
    markdown = render_markdown(result)
    assert "cost unknown" in markdown and "*Cost unknown: no price for model" in markdown


def test_configured_price_gives_dollars_per_agent_and_in_total(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(handoff=True)
    price = ModelPrice(input=2.0, output=8.0)
    with FakeOpenAI("cost known", [], responder=behaviour, models=behaviour.served) as api:
        result = design(sc.HANDOFF_REQUEST, openai_base_url=api.base_url, model=sc.MODEL, data_dir=tmp_path / "d",
                        kb_dir=shared_kb_dir, max_retries=1, max_tokens=1024, pricing={sc.MODEL: price})
    p = result.provenance
    assert len(p.agents) >= 2  # the architect and the sibling it handed off to
    for usage in p.agents:
        assert usage.cost_usd == pytest.approx(price.cost(usage.prompt_tokens, usage.completion_tokens), abs=1e-6)
    assert p.cost_usd == pytest.approx(price.cost(p.prompt_tokens, p.completion_tokens), abs=1e-5)
    assert p.cost_usd > 0 and p.cost_note == ""
    assert f"${p.cost_usd:.4f}" in render_markdown(result) or f"${p.cost_usd:,.2f}" in render_markdown(result)


# --- streaming on stderr ------------------------------------------------------------



@pytest.mark.parametrize("flag, streamed", [("--stream", True), ("--no-stream", False)])
def test_model_text_streams_on_stderr_only_when_asked(flag: str, streamed: bool, tmp_path: Path, shared_kb_dir: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    behaviour = Chatty()
    with FakeOpenAI("streaming", [], responder=behaviour, models=behaviour.served) as api:
        monkeypatch.setenv("OPENAI_BASE_URL", api.base_url)
        code, out, err = _cli([sc.REQUEST, "-m", sc.MODEL, "--kb-dir", str(shared_kb_dir), flag], capsys)
    assert code == 0 and out.startswith("# ")
    assert (f"[ml-system-architect] {SAID}" in err) is streamed
    assert SAID not in out
    assert "routed to" in err  # progress lines either way
    summary = err.strip().splitlines()[-1]
    assert summary.startswith("rag_system design ready · 3 model calls ·") and "cost unknown" in summary


def test_streaming_defaults_to_whether_stderr_is_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlarchitect.tui.cli import stream_wanted

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert stream_wanted(None, quiet=False) and not stream_wanted(None, quiet=True)
    assert not stream_wanted(False, quiet=False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    assert not stream_wanted(None, quiet=False) and stream_wanted(True, quiet=False)
