from __future__ import annotations

from pathlib import Path

import pytest

from mlarchitect.agents.agent_files import (
    builtin_definitions_dir,
    load_agents_dir,
    load_catalog,
    parse_agent_file,
    parse_agent_text,
)
from mlarchitect.errors import DefinitionError, InputError

# the seed document in the format users bring (a copy, used only as parser input)
SEED = Path(__file__).resolve().parent / "data" / "seed" / "ml-system-architect.md"

GOOD = """---
name: my-agent
description: Reviews things
tools: Read, Grep
model: haiku
---

# My agent

## Triggers
- "review this" or "second opinion"

## Boundaries
**Will:**
- Review designs

**Will Not:**
- Deploy anything (see `mlops-ai-engineer`)

## Related Agents
- **`ml-system-architect`** - the lead
"""


def test_seed_file_parses_into_workflows_skills_and_boundaries() -> None:
    spec = parse_agent_file(SEED)
    assert spec.name == "ml-system-architect"
    assert [w.id for w in spec.workflows] == [
        "rag_system", "evaluation_system", "model_serving", "experiment_tracking", "data_pipeline"]
    assert all(len(w.steps) == 5 for w in spec.workflows)
    assert "rag-design-patterns" in spec.workflows[0].skills
    assert spec.workflows[0].steps[0].code  # the fenced diagram stays with its step
    assert "mlops-ai-engineer" in spec.handoff_targets
    assert any("Evaluation framework" == t for t in spec.triggers)


def test_builtin_architect_covers_five_workflows_and_names_its_siblings() -> None:
    catalog = load_agents_dir(builtin_definitions_dir(), builtin=True)
    architect = catalog.agents["ml-system-architect"]
    assert len(architect.workflows) == 5
    assert all(w.skills and len(w.steps) >= 5 for w in architect.workflows)
    for sibling in architect.handoff_targets:
        assert sibling in catalog.agents, sibling
    assert catalog.problems == []


def test_claude_code_style_file_with_comma_separated_tools() -> None:
    spec = parse_agent_text(GOOD, "good.md")
    assert spec.tools == ["Read", "Grep"]
    assert spec.triggers == ["review this", "second opinion"]
    assert spec.will_not[0].agents == ["mlops-ai-engineer"]
    assert spec.related[0].name == "ml-system-architect"


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("# no front matter\n", 1, "missing YAML front matter"),
        ("---\nname: x\ndescription: [unclosed\n---\n", 3, "invalid YAML"),
        ("---\ndescription: no name\n---\n", 1, "'name'"),
        ("---\nname: Bad Name!\ndescription: d\n---\n", 2, "'name'"),
        ("---\nname: ok\ndescription: d\n", 1, "not closed"),
    ],
)
def test_malformed_headers_name_file_line_and_reason(text: str, line: int, reason: str) -> None:
    with pytest.raises(DefinitionError) as info:
        parse_agent_text(text, "agents/bad.md")
    assert info.value.line == line
    assert reason in info.value.reason
    assert str(info.value).startswith(f"agents/bad.md:{line}:")


def test_folder_with_bad_files_loads_the_good_ones(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(GOOD)
    (tmp_path / "broken.md").write_text("---\nname: [\n---\n")
    (tmp_path / "binary.md").write_bytes(b"\x00\x01\x02")
    catalog = load_catalog(tmp_path)
    assert "my-agent" in catalog.agents and "ml-system-architect" in catalog.agents
    assert len(catalog.problems) == 2
    assert any("broken.md:2" in p for p in catalog.problems)
    assert any("binary" in p for p in catalog.problems)


def test_claude_agents_layout_works_as_is(tmp_path: Path) -> None:
    agents = tmp_path / ".claude" / "agents"
    agents.mkdir(parents=True)
    (agents / "good.md").write_text(GOOD)
    assert "my-agent" in load_agents_dir(tmp_path).agents


def test_folder_where_nothing_parses_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "broken.md").write_text("no header")
    with pytest.raises(InputError, match="broken.md:1"):
        load_catalog(tmp_path)
    with pytest.raises(InputError, match="not found"):
        load_catalog(tmp_path / "missing")


def test_a_file_is_parsed_once_per_version_and_callers_get_their_own_copy(tmp_path: Path) -> None:
    import os

    path = tmp_path / "good.md"
    path.write_text(GOOD)
    first, second = parse_agent_file(path), parse_agent_file(path)
    assert first == second and first is not second
    first.triggers.append("changed by a caller")
    assert "changed by a caller" not in parse_agent_file(path).triggers
    path.write_text(GOOD.replace("Reviews things", "Reviews other things"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # a new version, even on coarse clocks
    assert parse_agent_file(path).description == "Reviews other things"
