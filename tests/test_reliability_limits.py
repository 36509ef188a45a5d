"""One size limit for every file read from users: kb add documents, skills, agents."""

from __future__ import annotations

from pathlib import Path

from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.config import Settings
from mlarchitect.events import Note
from mlarchitect.knowledge.documents import MAX_FILE_BYTES
from mlarchitect.limits import MAX_INPUT_FILE_BYTES, FileTooLarge, read_limited
from mlarchitect.skills.registry import load_skill_catalog

import pytest


def _huge(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:  # sparse: 54 MB on paper, nothing on disk
        f.write(b"---\nname: huge\ndescription: big\n---\n")
        f.truncate(54 * 1024 * 1024)
    return path


def test_one_limit_shared() -> None:
    assert MAX_FILE_BYTES == MAX_INPUT_FILE_BYTES


def test_read_limited_refuses_big_and_special_files(tmp_path: Path) -> None:
    with pytest.raises(FileTooLarge, match="too large"):
        read_limited(_huge(tmp_path / "big.md"))
    with pytest.raises(FileTooLarge, match="not a regular file"):
        read_limited(Path("/dev/zero"))
    (tmp_path / "ok.md").write_text("fine")
    assert read_limited(tmp_path / "ok.md") == b"fine"


def test_oversized_skill_file(tmp_path: Path, settings: Settings) -> None:
    """Skipped with a one-line problem naming it, the run goes on."""
    _huge(tmp_path / "skills" / "huge" / "SKILL.md")
    good = tmp_path / "skills" / "tiny" / "SKILL.md"
    good.parent.mkdir(parents=True)
    good.write_text("---\nname: tiny\ndescription: a tiny skill\n---\nUse tiny things.\n")
    catalog = load_skill_catalog(tmp_path / "skills")
    assert "tiny" in catalog.skills and "huge" not in catalog.skills
    assert len(catalog.problems) == 1 and "huge/SKILL.md" in catalog.problems[0]
    assert "too large" in catalog.problems[0] and "\n" not in catalog.problems[0]
    from mlarchitect.agents.api import design

    notes: list[Note] = []
    design("Design a RAG system over 1,000 pages", settings=settings, skills_dir=tmp_path / "skills",
           on_event=lambda e: notes.append(e) if isinstance(e, Note) else None)
    assert any("huge/SKILL.md" in n.message and "too large" in n.message for n in notes)


def test_oversized_agent_file(tmp_path: Path) -> None:
    _huge(tmp_path / "agents" / "huge.md")
    (tmp_path / "agents" / "ok.md").write_text("---\nname: reviewer\ndescription: reviews\n---\nbody")
    catalog = load_catalog(tmp_path / "agents")
    assert "reviewer" in catalog.agents
    assert len(catalog.problems) == 1 and "huge.md" in catalog.problems[0] and "too large" in catalog.problems[0]
