from __future__ import annotations

from pathlib import Path

import pytest

from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.models import choose_model, make_chat_model
from mlarchitect.config import Settings
from mlarchitect.skills.registry import load_skill_catalog


def test_toml_file_then_environment_then_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('model = "opus"\nmax_steps = 7\n[tiers]\nopus = "gpt-4.1"\n')
    monkeypatch.setenv("MLARCHITECT_CONFIG", str(config))
    assert Settings().max_steps == 7 and Settings().tiers.opus == "gpt-4.1"
    monkeypatch.setenv("MLARCHITECT_MAX_STEPS", "9")
    monkeypatch.setenv("MLARCHITECT_TIERS__HAIKU", "tiny-model")
    settings = Settings()
    assert settings.max_steps == 9 and settings.tiers.haiku == "tiny-model" and settings.tiers.opus == "gpt-4.1"
    assert Settings(max_steps=3).max_steps == 3


def test_no_key_means_offline_with_a_reason() -> None:
    choice = choose_model(Settings())
    assert choice.offline and "OPENAI_API_KEY" in choice.reason
    assert choose_model(Settings(offline=True, openai_api_key="sk-x")).offline
    assert choose_model(Settings(model="offline", openai_api_key="sk-x")).reason == ""


def test_key_or_base_url_selects_an_openai_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert choose_model(Settings(), "haiku").name == "gpt-5-nano"
    assert choose_model(Settings(model="opus")).name == "gpt-5"
    assert choose_model(Settings(model="my-local-llama")).name == "my-local-llama"
    monkeypatch.delenv("OPENAI_API_KEY")
    local = Settings(openai_base_url="http://127.0.0.1:9/v1", model="llama3")
    choice = choose_model(local)
    assert not choice.offline and choice.name == "llama3"
    catalog = load_catalog()
    model = make_chat_model(choice, local, catalog.agents["ml-system-architect"], load_skill_catalog(), catalog)
    assert type(model).__name__ == "ChatOpenAI"
    assert model.model_name == "llama3" and "127.0.0.1:9" in str(model.openai_api_base)
