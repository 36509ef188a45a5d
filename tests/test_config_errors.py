"""Configuration errors are one line naming the file or variable and the key, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlarchitect.config import load_settings
from mlarchitect.errors import ConfigError
from support.cli import run_cli as _run



@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('max_steps = "lots"\n', ["config.toml", "max_steps", "'lots'"]),
        ("max_steps = = 3\n", ["config.toml", "invalid TOML", "line 1"]),
        ('[tiers]\nopus = 3\n', ["config.toml", "tiers.opus"]),
    ],
)
def test_bad_config_file_is_one_line_naming_file_and_key(
    toml: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(toml)
    monkeypatch.setenv("MLARCHITECT_CONFIG", str(config))
    code, out, err = _run(["Design a RAG chatbot over 1,000 pages", "-q"], capsys)
    assert code == 2 and out == ""
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert str(config) in err
    for word in expected:
        assert word in err


def test_bad_environment_value_names_the_variable(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MLARCHITECT_MAX_STEPS", "lots")
    code, _, err = _run(["Design a RAG chatbot over 1,000 pages", "-q"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "MLARCHITECT_MAX_STEPS" in err and "max_steps" in err and "Traceback" not in err


def test_kb_commands_report_config_errors_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text("kb_dir = [1, 2]\n")
    monkeypatch.setenv("MLARCHITECT_CONFIG", str(config))
    code, _, err = _run(["kb", "stats"], capsys)
    assert code == 2 and "kb_dir" in err and str(config) in err and len(err.strip().splitlines()) == 1


def test_load_settings_raises_config_error_for_bad_arguments() -> None:
    with pytest.raises(ConfigError, match="argument: max_steps"):
        load_settings(max_steps=0)
    assert load_settings(max_steps=3).max_steps == 3


def test_the_python_api_reports_config_errors_the_same_way(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlarchitect import Settings, design

    monkeypatch.setenv("MLARCHITECT_MAX_STEPS", "lots")
    with pytest.raises(ConfigError, match="environment variable MLARCHITECT_MAX_STEPS: max_steps"):
        Settings()
    with pytest.raises(ConfigError, match="MLARCHITECT_MAX_STEPS"):
        design("Design a RAG chatbot over 1,000 pages", offline=True)


def test_agents_and_skills_lists_use_the_configured_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    import json

    agents = tmp_path / "agents"
    agents.mkdir()
    (agents / "reviewer.md").write_text("---\nname: reviewer\ndescription: reviews\n---\nbody")
    monkeypatch.setenv("MLARCHITECT_AGENTS_DIR", str(agents))
    code, out, _ = _run(["agents", "list", "--json"], capsys)
    assert code == 0 and "reviewer" in [a["name"] for a in json.loads(out)["agents"]]
    monkeypatch.setenv("MLARCHITECT_SKILLS_DIR", str(tmp_path / "missing"))
    code, _, err = _run(["skills", "list"], capsys)
    assert code == 2 and "missing" in err
