"""The knowledge base of design patterns: offline embeddings, hybrid retrieval, ingestion.

    from mlarchitect.knowledge import KnowledgeBase
    kb = KnowledgeBase(default_kb_dir())
    hits = kb.search("combine keyword and vector search", k=5, workflow="rag_system")

Importing this package is cheap: chromadb, bm25s, numpy and model2vec are imported
only when an index is built or searched.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .base import KnowledgeBase
    from .embedders import Embedder, OpenAIEmbedder, StaticEmbedder, get_embedder
    from .models import BuildReport, Hit, IngestReport, KBStats, SkippedFile
    from .paths import default_kb_dir, default_patterns_dir

_EXPORTS = {
    "KnowledgeBase": ".base",
    "Hit": ".models",
    "BuildReport": ".models",
    "IngestReport": ".models",
    "KBStats": ".models",
    "SkippedFile": ".models",
    "default_kb_dir": ".paths",
    "default_patterns_dir": ".paths",
    "Embedder": ".embedders",
    "StaticEmbedder": ".embedders",
    "OpenAIEmbedder": ".embedders",
    "get_embedder": ".embedders",
}

__all__ = [
    "BuildReport",
    "Embedder",
    "Hit",
    "IngestReport",
    "KBStats",
    "KnowledgeBase",
    "OpenAIEmbedder",
    "SkippedFile",
    "StaticEmbedder",
    "default_kb_dir",
    "default_patterns_dir",
    "get_embedder",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
