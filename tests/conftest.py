"""Shared fixtures: an isolated environment, one real knowledge base per session."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlarchitect.config import Settings

EVAL_DIR = Path(__file__).resolve().parent / "evalsets" / "public"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real keys, no user config, data in a temp dir."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MLARCHITECT_MODEL", "MLARCHITECT_OFFLINE",
                 "MLARCHITECT_AGENTS_DIR", "MLARCHITECT_SKILLS_DIR", "CHROMA_HOST", "CHROMA_PORT",
                 "MLARCHITECT_CHROMA_HOST", "MLARCHITECT_CHROMA_PORT", "MLARCHITECT_CHECKPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLARCHITECT_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("MLARCHITECT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "False")


@pytest.fixture(scope="session")
def shared_kb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base built once from the bundled patterns (tests only read it)."""
    from mlarchitect.knowledge import KnowledgeBase

    path = tmp_path_factory.mktemp("kb")
    KnowledgeBase(path).ensure_built()
    return path


@pytest.fixture
def settings(tmp_path: Path, shared_kb_dir: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", kb_dir=shared_kb_dir)


def load_jsonl(name: str) -> list[dict]:
    path = EVAL_DIR / name
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def checklist_coverage(markdown: str, workflow: str) -> tuple[float, list[str]]:
    checklists = json.loads((EVAL_DIR / "checklists.json").read_text())
    concepts = checklists[workflow]
    missing = [name for name, patterns in concepts.items()
               if not any(re.search(p, markdown, re.I) for p in patterns)]
    return 1 - len(missing) / len(concepts), missing
