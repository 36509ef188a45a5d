"""Evaluation cases: pydantic models, loading by name or path, validation.

The sets live in ``tests/evalsets/`` (the copy people edit and review) and are
shipped as package data in ``mlarchitect/evaluation/sets/`` (the copy an
installed ``design eval`` reads). ``tests/test_evaluation.py`` fails when the
two copies differ, so a change is made in ``tests/evalsets/`` and copied over.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from mlarchitect.errors import InputError
from mlarchitect.workflows import WORKFLOWS

EVALSET_VERSION = "21"  # keep equal to the ``version:`` line of tests/evalsets/README.md
SET_NAMES = ("dev", "dev3", "dev6", "dev7", "val4", "heldout", "heldout2", "heldout3", "heldout5", "heldout6", "heldout7", "dev8", "heldout8", "dev9", "heldout9", "dev10", "dev11", "heldout10", "dev12", "heldout11", "dev13", "heldout12", "dev14", "heldout13", "dev15", "heldout14", "dev16", "heldout15", "dev17", "heldout16", "dev18", "heldout17", "dev19", "heldout18", "dev20", "heldout19")
_NAMES_HELP = "|".join(SET_NAMES)
CHECKLISTS_FILE = "checklists.json"


class EvalSetError(InputError):
    """An evaluation set file is missing or malformed (exit code 2)."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Check(_Model):
    """A regular expression that must (or must not) match a part of the design."""

    kind: Literal["must", "must_not"]
    pattern: str = Field(min_length=1, description="Python regex, matched case-insensitively.")
    where: Literal["chosen", "markdown"] = Field(
        description="chosen: the chosen parts only (components, data flows, cost items, serving mode); "
                    "markdown: the whole rendering.")
    why: str = Field(min_length=1)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value, re.I)
        except re.error as exc:
            raise ValueError(f"pattern does not compile: {exc}") from None
        return value

    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.I)


class DesignCase(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    request: str = Field(min_length=1)
    workflows: list[str] = Field(min_length=1, description="Acceptable workflow ids, the preferred one first.")
    handoffs: list[str] = Field(default_factory=list, description="The exact set of sibling agents expected.")
    style: str = Field(min_length=1)
    checks: list[Check] = Field(default_factory=list)
    contrast: str | None = Field(default=None, description="Group of very different requests of one workflow.")

    @field_validator("workflows")
    @classmethod
    def _known_workflows(cls, value: list[str]) -> list[str]:
        unknown = [w for w in value if w not in WORKFLOWS]
        if unknown:
            raise ValueError(f"unknown workflow id(s) {unknown}; known: {sorted(WORKFLOWS)}")
        if len(set(value)) != len(value):
            raise ValueError("workflow ids repeat")
        return value

    @property
    def preferred(self) -> str:
        return self.workflows[0]


class QueryCase(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    query: str = Field(min_length=1)
    topics: list[str] = Field(min_length=1, description="Lowercase substrings; a chunk containing any is a hit.")

    @field_validator("topics")
    @classmethod
    def _lowercase(cls, value: list[str]) -> list[str]:
        bad = [t for t in value if not t.strip() or t != t.lower()]
        if bad:
            raise ValueError(f"topics must be non-empty lowercase substrings: {bad}")
        return value


class EvalSet(BaseModel):
    name: str
    version: str = EVALSET_VERSION
    digest: str = Field(description="sha256 (12 hex) of the set's files, to tell edited sets apart.")
    designs: list[DesignCase]
    queries: list[QueryCase] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)


def sets_dir() -> Path:
    """The packaged copy of the sets."""
    return Path(str(resources.files("mlarchitect.evaluation") / "sets"))


def _read_jsonl(path: Path, model: type[BaseModel]) -> list:
    if not path.is_file():
        raise EvalSetError(f"evaluation file not found: {path}")
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(model.model_validate(json.loads(line)))
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}:{number}: not JSON: {exc.msg}") from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise EvalSetError(f"{path}:{number}: {where}: {first['msg']}") from None
    ids = [c.id for c in out]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise EvalSetError(f"{path}: duplicate ids {dupes}")
    return out


def load_designs(path: Path) -> list[DesignCase]:
    return _read_jsonl(path, DesignCase)


def load_queries(path: Path) -> list[QueryCase]:
    return _read_jsonl(path, QueryCase)


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(p.read_bytes())
    return h.hexdigest()[:12]


def load_set(ref: str | Path, *, directory: Path | None = None) -> EvalSet:
    """A set by name (one of ``SET_NAMES``: the packaged files, or those in
    ``directory``) or by the path of a ``designs-*.jsonl`` file; its queries come
    from the ``queries-*.jsonl`` file next to it when there is one."""
    ref_s = str(ref)
    if ref_s in SET_NAMES:
        base = directory or sets_dir()
        designs_path, queries_path, name = base / f"designs-{ref_s}.jsonl", base / f"queries-{ref_s}.jsonl", ref_s
    else:
        designs_path = Path(ref_s).expanduser()
        if designs_path.is_dir():
            raise EvalSetError(f"{designs_path} is a directory: give a designs-*.jsonl file or {_NAMES_HELP}|all")
        if not designs_path.is_file():
            raise EvalSetError(f"unknown evaluation set {ref_s!r}: use {_NAMES_HELP}, all or a designs-*.jsonl path")
        stem = designs_path.stem
        name = stem.removeprefix("designs-") or stem
        queries_path = designs_path.with_name(f"queries-{name}.jsonl") if stem.startswith("designs-") else None
    designs = load_designs(designs_path)
    queries = load_queries(queries_path) if queries_path is not None and queries_path.is_file() else []
    files = [designs_path] + ([queries_path] if queries and queries_path else [])
    return EvalSet(name=name, digest=_digest(files), designs=designs, queries=queries,
                   sources=[str(p) for p in files])


def resolve_sets(ref: str) -> list[EvalSet]:
    """``all`` → every named set; otherwise the one set."""
    if ref == "all":
        return [load_set(name) for name in SET_NAMES]
    return [load_set(ref)]


def load_checklists(directory: Path | None = None) -> dict[str, dict[str, list[str]]]:
    """Per-workflow concept checklists (a copy of the public checklists)."""
    path = (directory or sets_dir()) / CHECKLISTS_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: v for k, v in data.items() if not k.startswith("_")}


def known_agents() -> set[str]:
    """Names of the built-in sibling agents (the lead architect excluded)."""
    from mlarchitect.agents.agent_files import load_catalog

    return {name for name in load_catalog(None).agents if name != "ml-system-architect"}


def validate_set(s: EvalSet, agents: set[str] | None = None) -> list[str]:
    """Problems beyond the per-line schema: unknown handoff agents, contrast
    groups of one case or of mixed preferred workflows."""
    agents = known_agents() if agents is None else agents
    problems = []
    for case in s.designs:
        unknown = sorted(set(case.handoffs) - agents)
        if unknown:
            problems.append(f"{s.name}/{case.id}: unknown handoff agent(s) {unknown}")
    groups: dict[str, list[DesignCase]] = {}
    for case in s.designs:
        if case.contrast:
            groups.setdefault(case.contrast, []).append(case)
    for group, members in groups.items():
        if len(members) < 2:
            problems.append(f"{s.name}: contrast group {group!r} has one case")
        if len({m.preferred for m in members}) > 1:
            problems.append(f"{s.name}: contrast group {group!r} mixes workflows")
    return problems


def cases_json_schema() -> dict:
    """JSON Schema of one line of a designs-*.jsonl or queries-*.jsonl file
    (``tests/evalsets/schema.json`` is this, written out)."""
    design = DesignCase.model_json_schema(ref_template="#/$defs/{model}")
    query = QueryCase.model_json_schema(ref_template="#/$defs/{model}")
    defs = {**design.pop("$defs", {}), **query.pop("$defs", {})}
    design["properties"]["workflows"]["items"]["enum"] = sorted(WORKFLOWS)
    design["properties"]["workflows"]["uniqueItems"] = True
    defs["Check"]["properties"]["pattern"]["format"] = "regex"
    query["properties"]["topics"]["items"]["pattern"] = r"^[^A-Z]*\S[^A-Z]*$"
    defs["DesignCase"], defs["QueryCase"] = design, query
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:mlarchitect:evalset-case:{EVALSET_VERSION}",
        "title": "mlarchitect evaluation case",
        "description": "One line of designs-<set>.jsonl (DesignCase) or queries-<set>.jsonl (QueryCase).",
        "oneOf": [{"$ref": "#/$defs/DesignCase"}, {"$ref": "#/$defs/QueryCase"}],
        "$defs": defs,
    }
