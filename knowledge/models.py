"""Pydantic models at the knowledge base's boundary: hits, build/ingest reports, stats."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Hit(BaseModel):
    """One retrieved chunk.

    ``score`` depends on the search mode: the reciprocal-rank-fusion score for
    ``hybrid``, the cosine similarity for ``dense``, the BM25 score for ``bm25``.
    ``similarity`` is always the cosine similarity between query and chunk when
    known (dense and hybrid modes), which is what ``min_score`` floors in those modes.
    """

    doc_id: str
    title: str
    chunk: str
    score: float
    source: str
    workflow: str | None = None
    tags: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    section: str | None = None
    kind: str = "pattern"  # "pattern" (bundled) or "user"
    similarity: float | None = None
    chunk_id: str | None = None


class SkippedFile(BaseModel):
    path: str
    reason: str


class BuildReport(BaseModel):
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    seconds: float = 0.0
    rebuilt: bool = False  # True when the whole index was rebuilt from scratch
    reason: str | None = None  # why it was rebuilt: "new", "forced", "embedder changed", "damaged: ..."
    skipped: list[SkippedFile] = Field(default_factory=list)
    version: str | None = None
    lost: list[str] = Field(default_factory=list)  # user documents whose saved text is gone


class IngestReport(BaseModel):
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    unchanged: list[str] = Field(default_factory=list)
    skipped: list[SkippedFile] = Field(default_factory=list)
    chunks: int = 0
    seconds: float = 0.0


class KBStats(BaseModel):
    documents: int
    chunks: int
    embedder: str
    index_version: str
    size_bytes: int
    kb_dir: str
    pattern_documents: int = 0
    user_documents: int = 0
    chunker: str = ""
    built_at: str | None = None
    patterns_dir: str | None = None
