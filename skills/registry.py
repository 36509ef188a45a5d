"""Skill registry: the bundled skills (a folder each with ``SKILL.md`` and a
``tools`` module) and users' Agent Skills packs (``<name>/SKILL.md``, text only)."""

from __future__ import annotations

import importlib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, ValidationError, field_validator

from mlarchitect.errors import DefinitionError, InputError
from mlarchitect.frontmatter import key_line, parsed_once_per_version, read_front_matter

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

    from mlarchitect.skills.base import SkillContext


class SkillSpec(BaseModel):
    """The front matter of a ``SKILL.md`` plus its body."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)
    description: str = Field(min_length=1)
    workflow: str | None = Field(default=None, description="The workflow this skill leads.")
    triggers: list[str] = Field(default_factory=list, description="Strong routing phrases.")
    hints: list[str] = Field(default_factory=list, description="Weak routing words.")
    names: list[str] = Field(default_factory=list, description="What people call the system the skill's workflow "
                                                              "designs: a request that asks for one by name.")
    asks: list[str] = Field(default_factory=list, description="What people ask to have done when they want the "
                                                             "skill's workflow, with {model} for the model it is done "
                                                             "to (\"deploy {model}\") or {system} for a model or an "
                                                             "application on one (\"evaluate {system}\"): it counts like a name.")
    aliases: list[str] = Field(default_factory=list, description="Other names (e.g. the seed's).")
    tool_prefix: str | None = None
    body: str = ""
    path: Path | None = None
    builtin: bool = False

    @field_validator("triggers", "hints", "names", "asks", "aliases", mode="before")
    @classmethod
    def _listify(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value or []


class SkillCatalog(BaseModel):
    skills: dict[str, SkillSpec] = Field(default_factory=dict)
    problems: list[str] = Field(default_factory=list)

    def resolve(self, name: str) -> str | None:
        """A skill id from its id or one of its aliases."""
        if name in self.skills:
            return name
        return next((s.name for s in self.skills.values() if name in s.aliases), None)

    def leading(self, workflow: str) -> SkillSpec | None:
        return next((s for s in self.skills.values() if s.workflow == workflow and s.builtin), None)

    def tools(self, skill_ids: list[str], ctx: SkillContext) -> list[BaseTool]:
        """LangChain tools of the given skills (user skills have none)."""
        found: list[BaseTool] = []
        for skill_id in dict.fromkeys(skill_ids):
            spec = self.skills.get(skill_id)
            if spec is None or not spec.builtin:
                continue
            module = importlib.import_module(f"mlarchitect.skills.{_package(spec)}.tools")
            found.extend(module.tools(ctx))
        return found


def _package(spec: SkillSpec) -> str:
    assert spec.path is not None
    return spec.path.parent.name


def builtin_skills_dir() -> Path:
    return Path(str(resources.files("mlarchitect.skills")))


@parsed_once_per_version
def parse_skill_file(path: Path) -> SkillSpec:
    """The skill defined in ``path`` (each version of the file parsed once per process)."""
    from mlarchitect.limits import FileTooLarge, read_limited

    try:
        text = read_limited(path).decode("utf-8")
    except FileTooLarge as exc:
        raise DefinitionError(str(path), None, str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DefinitionError(str(path), None, f"cannot read: {exc}") from None
    data, body, _ = read_front_matter(text, str(path))
    try:
        return SkillSpec.model_validate({**data, "body": body.strip(), "path": path})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        line = key_line(text, str(err["loc"][0])) if err["loc"] else 1
        raise DefinitionError(str(path), line, f"field '{key}': {err['msg']}") from None


def load_skills_dir(directory: Path, *, builtin: bool = False) -> SkillCatalog:
    if not directory.is_dir():
        raise InputError(f"skills directory not found: {directory}")
    catalog = SkillCatalog()
    claude = directory / ".claude" / "skills"
    base = claude if claude.is_dir() else directory
    for file in sorted(base.glob("*/SKILL.md")):
        try:
            spec = parse_skill_file(file)
        except DefinitionError as exc:
            catalog.problems.append(str(exc))
            continue
        spec.builtin = builtin
        catalog.skills[spec.name] = spec
    return catalog


def load_skill_catalog(user_dir: Path | None = None) -> SkillCatalog:
    catalog = load_skills_dir(builtin_skills_dir(), builtin=True)
    if user_dir is None:
        return catalog
    user = load_skills_dir(user_dir)
    if not user.skills:
        detail = "; ".join(user.problems) or "no <name>/SKILL.md found"
        raise InputError(f"no skill loaded from {user_dir}: {detail}")
    for name, spec in user.skills.items():
        catalog.skills.setdefault(name, spec)  # bundled skills keep their tools
    catalog.problems.extend(user.problems)
    return catalog
