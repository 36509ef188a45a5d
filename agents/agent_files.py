"""Read agent definition files: YAML front matter + Markdown sections.

The format is the seed's and Claude Code's subagent format. Parsing is strict
about the header (a bad header is an error naming the file and line) and lenient
about the body (sections it does not know are kept in ``body`` only).
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mlarchitect.agents.agent_spec import (
    AgentSpec,
    Boundary,
    FrontMatter,
    NamedItem,
    StepSpec,
    WorkflowSpec,
)
from mlarchitect.errors import DefinitionError, InputError
from mlarchitect.frontmatter import key_line, parsed_once_per_version, read_front_matter
from mlarchitect.limits import MAX_INPUT_FILE_BYTES as MAX_AGENT_FILE_BYTES
from mlarchitect.limits import FileTooLarge, read_limited

_WORKFLOW_TITLE_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("rag_system", ("rag", "retrieval")),
    ("evaluation_system", ("evaluation", "eval")),
    ("model_serving", ("serving", "deployment", "inference")),
    ("experiment_tracking", ("experiment", "reproducib")),
    ("data_pipeline", ("data pipeline", "data", "feature")),
)
_BACKTICK = re.compile(r"`([^`]+)`")
_BOLD_LEAD = re.compile(r"^\*\*(.+?)\*\*\s*[:\-–—]?\s*(.*)$")


class AgentCatalog(BaseModel):
    """Agents that loaded, and the files that did not (with why)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    agents: dict[str, AgentSpec] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)

    def get(self, name: str) -> AgentSpec | None:
        return self.agents.get(name)

    def merged(self, other: AgentCatalog) -> AgentCatalog:
        """Agents of ``other`` override same-named ones here."""
        return AgentCatalog(
            agents={**self.agents, **other.agents}, problems=[*self.problems, *other.problems]
        )


def builtin_definitions_dir() -> Path:
    return Path(str(resources.files("mlarchitect.agents") / "definitions"))


def parse_agent_text(text: str, path: str = "<string>") -> AgentSpec:
    data, body, body_line = read_front_matter(text, path)
    try:
        header = FrontMatter.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err["loc"] else ""
        raise DefinitionError(
            path, key_line(text, key), f"front matter field '{key}': {err['msg']}"
        ) from None
    sections = _sections(body)
    spec = AgentSpec(
        name=header.name,
        description=header.description.strip(),
        model=header.model,
        tools=header.tools,
        skills=header.skills,
        color=header.color,
        category=header.category,
        path=Path(path) if path != "<string>" else None,
        body=body.strip(),
        role=_section_text(sections, "role"),
        triggers=_triggers(_section_lines(sections, "triggers")),
        focus_areas=_bullets(_section_lines(sections, "focus")),
        workflows=_workflows(sections, path, body_line),
        outputs=_named_bullets(_section_lines(sections, "outputs")),
        best_practices=_bullets(_section_lines(sections, "best practices")),
        contribution=_bullets(_section_lines(sections, "contribution")),
        contribution_title=_bold_title(_section_lines(sections, "contribution")),
        related=_related(_section_lines(sections, "related")),
    )
    will, will_not = _boundaries(_section_lines(sections, "boundaries"))
    spec.will = will
    spec.will_not = will_not
    return spec


@parsed_once_per_version
def parse_agent_file(path: Path) -> AgentSpec:
    """The agent defined in ``path`` (each version of the file parsed once per process)."""
    try:
        raw = read_limited(path, MAX_AGENT_FILE_BYTES)
    except FileTooLarge as exc:
        raise DefinitionError(str(path), None, str(exc)) from None
    except OSError as exc:
        raise DefinitionError(str(path), None, f"cannot read: {exc.strerror}") from None
    if b"\x00" in raw:
        raise DefinitionError(str(path), None, "binary file, not an agent definition")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DefinitionError(str(path), None, f"not UTF-8 text ({exc.reason})") from None
    return parse_agent_text(text, str(path))


def agent_files_in(directory: Path) -> list[Path]:
    """Agent files of a folder; a project root with ``.claude/agents`` works as is."""
    claude = directory / ".claude" / "agents"
    base = claude if claude.is_dir() else directory
    return sorted(
        p for p in base.glob("*.md") if p.is_file() and p.name.lower() != "readme.md"
    )


def load_agents_dir(directory: Path, *, builtin: bool = False) -> AgentCatalog:
    """Load every agent file of ``directory``; malformed files become ``problems``."""
    if not directory.is_dir():
        raise InputError(f"agents directory not found: {directory}")
    catalog = AgentCatalog()
    for file in agent_files_in(directory):
        try:
            spec = parse_agent_file(file)
        except DefinitionError as exc:
            catalog.problems.append(str(exc))
            continue
        spec.builtin = builtin
        catalog.agents[spec.name] = spec
    return catalog


def load_catalog(user_dir: Path | None = None) -> AgentCatalog:
    """Built-in agents, overridden by the user's folder when given.

    A user folder in which no file parses is an input error: the problems are
    reported and nothing silently falls back to the built-ins.
    """
    catalog = load_agents_dir(builtin_definitions_dir(), builtin=True)
    if user_dir is None:
        return catalog
    user = load_agents_dir(user_dir)
    if not user.agents:
        found = len(agent_files_in(user_dir))
        detail = "; ".join(user.problems) if user.problems else "no *.md agent files"
        raise InputError(
            f"no agent definition loaded from {user_dir} ({found} file(s)): {detail}"
        )
    return catalog.merged(user)


# --- body sections ------------------------------------------------------------


def _sections(body: str) -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_code = False
    for line in body.splitlines():
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("## "):
            current = sections.setdefault(line[3:].strip().lower(), [])
            continue
        if current is not None:
            current.append(line)
    return sections


def _section_lines(sections: dict[str, list[str]], prefix: str) -> list[str]:
    for heading, lines in sections.items():
        if heading.startswith(prefix):
            return lines
    return []


def _section_text(sections: dict[str, list[str]], prefix: str) -> str:
    return "\n".join(_section_lines(sections, prefix)).strip()


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "")).strip()


def _bullets(lines: list[str]) -> list[str]:
    items: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(("- ", "* ")):
            items.append(_clean(stripped[2:].lstrip("✅❌ ").strip()))
        elif items and stripped and line.startswith("  "):
            items[-1] = f"{items[-1]} {_clean(stripped)}"
    return [item for item in items if item]


def _triggers(lines: list[str]) -> list[str]:
    phrases: list[str] = []
    for item in _bullets(lines):
        quoted = re.findall(r"[\"“]([^\"”]+)[\"”]", item)
        for phrase in quoted or [item]:
            phrase = phrase.strip().rstrip(".").replace("...", "").strip()
            if phrase:
                phrases.append(phrase)
    return phrases


def _bold_title(lines: list[str]) -> str:
    for line in lines:
        if line.strip() and not line.strip().startswith(("- ", "* ")):
            match = re.search(r"\*\*(.+?)\*\*", line)
            if match:
                return _clean(match.group(1))
    return ""


def _named_bullets(lines: list[str]) -> list[NamedItem]:
    items: list[NamedItem] = []
    for line in lines:
        stripped = line.strip()
        if not stripped.startswith(("- ", "* ")):
            continue
        match = _BOLD_LEAD.match(stripped[2:].strip())
        if match:
            items.append(NamedItem(name=_clean(match.group(1)), description=_clean(match.group(2))))
        else:
            items.append(NamedItem(name=_clean(stripped[2:])))
    return items


def _related(lines: list[str]) -> list[NamedItem]:
    related: list[NamedItem] = []
    for item in _named_bullets(lines):
        names = _BACKTICK.findall(item.name) or [item.name]
        related.append(NamedItem(name=names[0].strip(), description=item.description))
    return related


def _boundaries(lines: list[str]) -> tuple[list[str], list[Boundary]]:
    will: list[str] = []
    will_not: list[Boundary] = []
    mode: str | None = None
    for line in lines:
        low = line.strip().lower().strip("*: ")
        if low in ("will not", "won't", "will not do"):
            mode = "not"
            continue
        if low in ("will", "will do"):
            mode = "will"
            continue
        stripped = line.strip()
        if not stripped.startswith(("- ", "* ")) or mode is None:
            continue
        text = _clean(stripped[2:])
        if mode == "will":
            will.append(text)
        else:
            see = re.search(r"\(see ([^)]*)\)", stripped)
            agents = _BACKTICK.findall(see.group(1)) if see else []
            will_not.append(Boundary(text=text, agents=agents))
    return will, will_not


def _workflow_id(title: str) -> str:
    low = title.lower()
    for workflow_id, words in _WORKFLOW_TITLE_KEYWORDS:
        if any(re.search(rf"\b{re.escape(w)}", low) for w in words):
            return workflow_id
    return "general"


def _workflows(sections: dict[str, list[str]], path: str, body_line: int) -> list[WorkflowSpec]:
    lines = _section_lines(sections, "specialized workflows") or _section_lines(
        sections, "workflows"
    )
    blocks: list[tuple[str, list[str]]] = []
    in_code = False
    for line in lines:
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if not in_code and line.startswith("### "):
            title = re.sub(r"^workflow\s*\d*\s*[:.\-–]\s*", "", line[4:].strip(), flags=re.I)
            blocks.append((title, []))
        elif blocks:
            blocks[-1][1].append(line)
    workflows = []
    for title, block in blocks:
        workflows.append(_workflow(title, block))
    return workflows


def _workflow(title: str, lines: list[str]) -> WorkflowSpec:
    when = ""
    skills: list[str] = []
    steps: list[StepSpec] = []
    code: list[str] | None = None
    for line in lines:
        stripped = line.strip()
        if code is not None:
            if stripped.startswith("```"):
                if steps:
                    steps[-1].code = "\n".join(code).strip()
                code = None
            else:
                code.append(line.strip("\n")[3:] if line.startswith("   ") else line)
            continue
        if stripped.startswith("```"):
            code = []
            continue
        lead = _BOLD_LEAD.match(stripped)
        if lead and lead.group(1).lower().rstrip(":").startswith("when to use"):
            when = _clean(lead.group(2))
        elif lead and lead.group(1).lower().rstrip(":").startswith("skills invoked"):
            skills = [s.strip() for s in _BACKTICK.findall(lead.group(2))]
        elif re.match(r"^\d+\.\s", stripped):
            item = re.sub(r"^\d+\.\s*", "", stripped)
            match = _BOLD_LEAD.match(item)
            step_title = match.group(1) if match else item
            rest = match.group(2) if match else ""
            steps.append(StepSpec(title=_clean(step_title).rstrip(":"), points=[_clean(rest)] if rest else []))
        elif stripped.startswith(("- ", "* ")) and steps:
            steps[-1].points.append(_clean(stripped[2:]))
    return WorkflowSpec(
        id=_workflow_id(title), title=_clean(title), when_to_use=when, steps=steps, skills=skills
    )
