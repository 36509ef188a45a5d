"""Metadata filters, one definition for both retrieval legs.

``workflow`` and ``skill`` must be among the document's workflows/skills; ``tags``
matches a document carrying ANY of the given tags; ``source`` is an exact source
(``patterns/<file>.md``, a user file's absolute path, a ``add_texts`` source id) or
one of the aliases ``patterns``/``bundled`` and ``user``, which select a collection.
The dense leg gets them as a Chroma ``where`` clause, the BM25 leg as a mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PATTERN_ALIASES = {"pattern", "patterns", "bundled"}
USER_ALIASES = {"user", "users", "user_docs", "user-docs"}


@dataclass(frozen=True)
class Filters:
    workflow: str | None = None
    skill: str | None = None
    tags: tuple[str, ...] = ()
    source: str | None = None
    include_user_docs: bool = True

    @property
    def kinds(self) -> tuple[str, ...]:
        if self.source in PATTERN_ALIASES:
            return ("pattern",)
        if self.source in USER_ALIASES:
            return ("user",) if self.include_user_docs else ()
        return ("pattern", "user") if self.include_user_docs else ("pattern",)

    @property
    def exact_source(self) -> str | None:
        if self.source is None or self.source in PATTERN_ALIASES or self.source in USER_ALIASES:
            return None
        return self.source

    def where(self) -> dict[str, Any] | None:
        """The Chroma ``where`` clause (collection choice is handled by :attr:`kinds`)."""
        clauses: list[dict[str, Any]] = []
        if self.workflow:
            clauses.append({"workflows": {"$contains": self.workflow}})
        if self.skill:
            clauses.append({"skills": {"$contains": self.skill}})
        if self.tags:
            tag_clauses = [{"tags": {"$contains": t}} for t in self.tags]
            clauses.append(tag_clauses[0] if len(tag_clauses) == 1 else {"$or": tag_clauses})
        if self.exact_source:
            clauses.append({"source": self.exact_source})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def matches(self, meta: dict[str, Any]) -> bool:
        """The same test in Python, for the BM25 leg."""
        if meta.get("kind", "pattern") not in self.kinds:
            return False
        if self.workflow and self.workflow not in (meta.get("workflows") or ()):
            return False
        if self.skill and self.skill not in (meta.get("skills") or ()):
            return False
        if self.tags and not set(self.tags) & set(meta.get("tags") or ()):
            return False
        if self.exact_source and meta.get("source") != self.exact_source:
            return False
        return True
