"""One front-matter reader for agent files, skill files and knowledge documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlarchitect.agents.agent_files import parse_agent_file
from mlarchitect.errors import DefinitionError
from mlarchitect.frontmatter import key_line, read_front_matter
from mlarchitect.knowledge.documents import load_user_file, split_front_matter
from mlarchitect.skills.registry import parse_skill_file


def test_header_body_and_body_line() -> None:
    data, body, line = read_front_matter("\ufeff---\nname: x\ntags: [a, b]\n...\n# Body\ntext\n", "f.md")
    assert data == {"name": "x", "tags": ["a", "b"]}
    assert body == "# Body\ntext" and line == 5
    assert read_front_matter("---\n---\nbody", "f.md") == ({}, "body", 3)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("# no header\n", 1, "missing YAML front matter"),
        ("---\nname: x\n", 1, "not closed"),
        ("---\nname: x\ndescription: [unclosed\n---\n", 3, "invalid YAML front matter"),
        ("---\n- a list\n---\n", 2, "must be a mapping"),
    ],
)
def test_errors_name_file_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(DefinitionError) as info:
        read_front_matter(text, "x/f.md")
    assert (info.value.path, info.value.line) == ("x/f.md", line) and reason in info.value.reason


def test_lenient_mode_for_documents() -> None:
    assert read_front_matter("plain text\n---\n", "d.md", strict=False) == ({}, "plain text\n---\n", 1)
    assert read_front_matter("---\nno closer", "d.md", strict=False)[0] == {}
    data, body, _ = read_front_matter("---\ntitle: [broken\n---\nThe body.", "d.md", strict=False)
    assert data == {} and body == "The body."


def test_agent_and_skill_files_report_the_same_error(tmp_path: Path) -> None:
    broken = "---\nname: x\ndescription: [unclosed\n---\nbody\n"
    agent = tmp_path / "agent.md"
    agent.write_text(broken)
    skill = tmp_path / "s" / "SKILL.md"
    skill.parent.mkdir()
    skill.write_text(broken)
    errors = []
    for parse, path in ((parse_agent_file, agent), (parse_skill_file, skill)):
        with pytest.raises(DefinitionError) as info:
            parse(path)
        errors.append((info.value.line, info.value.reason))
    assert errors[0] == errors[1] == (3, errors[0][1]) and "invalid YAML front matter" in errors[0][1]


def test_skill_field_errors_point_at_the_key_line(tmp_path: Path) -> None:
    skill = tmp_path / "s" / "SKILL.md"
    skill.parent.mkdir()
    skill.write_text("---\ndescription: d\nname: Not Valid!\n---\nbody\n")
    with pytest.raises(DefinitionError) as info:
        parse_skill_file(skill)
    assert info.value.line == 3 and "'name'" in info.value.reason
    assert key_line(skill.read_text(), "name") == 3 and key_line(skill.read_text(), "absent") == 1


def test_knowledge_documents_use_the_same_reader(tmp_path: Path) -> None:
    doc = tmp_path / "runbook.md"
    doc.write_text("---\ntitle: Zebra runbook\ntags: [ops]\n...\n# Heading\n\nBody text.\n")
    loaded = load_user_file(doc)
    assert loaded.title == "Zebra runbook" and loaded.tags == ["ops"] and "title:" not in loaded.body
    assert split_front_matter("---\ntitle: [broken\n---\nBody.") == ({}, "Body.")


def test_a_file_is_parsed_once_per_version_and_each_caller_gets_a_copy(tmp_path) -> None:  # noqa: ANN001
    import os

    from pydantic import BaseModel

    from mlarchitect.errors import DefinitionError
    from mlarchitect.frontmatter import parsed_once_per_version

    class Spec(BaseModel):
        text: str
        tags: list[str] = []

    reads: list[str] = []

    @parsed_once_per_version
    def parse(path):  # noqa: ANN001, ANN202
        reads.append(path.name)
        return Spec(text=path.read_text())

    path = tmp_path / "a.md"
    path.write_text("one")
    first, second = parse(path), parse(path)
    assert first == second and first is not second and reads == ["a.md"]
    first.tags.append("changed by a caller")
    assert parse(path).tags == []
    path.write_text("two!")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert parse(path).text == "two!" and reads == ["a.md", "a.md"]
    with pytest.raises(DefinitionError, match="cannot read"):
        parse(tmp_path / "missing.md")
