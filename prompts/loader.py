"""Prompt templates, loaded by name from ``prompts/templates``.

Templates use ``$name`` placeholders (``string.Template``). The version of a
set of templates is a short hash of their names and texts, recorded in every
deliverable's ``provenance.prompt_version``.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from string import Template

from pydantic import BaseModel


class Prompt(BaseModel):
    name: str
    text: str

    @property
    def sha(self) -> str:
        return hashlib.sha256(f"{self.name}\n{self.text}".encode()).hexdigest()[:12]

    def render(self, **values: object) -> str:
        return Template(self.text).safe_substitute({k: str(v) for k, v in values.items()})


def load_prompt(name: str) -> Prompt:
    """``name`` is a path below templates/ without ``.md``, e.g. ``sections/risks``."""
    root = resources.files("mlarchitect.prompts") / "templates"
    path = root.joinpath(*f"{name}.md".split("/"))
    if not path.is_file():
        raise KeyError(f"no prompt template named {name!r}")
    return Prompt(name=name, text=path.read_text(encoding="utf-8"))


def section_prompts() -> list[Prompt]:
    root = resources.files("mlarchitect.prompts") / "templates" / "sections"
    names = sorted(p.name[:-3] for p in root.iterdir() if p.name.endswith(".md"))
    return [load_prompt(f"sections/{n}") for n in names]


def prompt_version(prompts: list[Prompt]) -> str:
    digest = hashlib.sha256()
    for prompt in sorted(prompts, key=lambda p: p.name):
        digest.update(prompt.sha.encode())
    return digest.hexdigest()[:12]
