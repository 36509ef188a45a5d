"""Embedders: turn texts into vectors. Swappable; the index records which one built it.

``StaticEmbedder`` (the default) is a model2vec model distilled from
all-MiniLM-L6-v2 and shipped inside the package: numpy only, no network.
``OpenAIEmbedder`` is used only when configured (``MLARCHITECT_EMBEDDER=openai``
or ``openai:<model>``, or passed explicitly).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

EMBEDDER_ENV = "MLARCHITECT_EMBEDDER"

if TYPE_CHECKING:  # pragma: no cover
    from .openai import OpenAIEmbedder
    from .static import StaticEmbedder


@runtime_checkable
class Embedder(Protocol):
    """What the knowledge base needs from an embedder.

    ``name`` must change whenever the vectors would change (model, dimensions):
    it is stored in the index, and a different name triggers a re-index.
    Reading ``name`` must be cheap (no model load).
    """

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


def get_embedder(spec: str | None = None) -> Embedder:
    """An embedder from a short spec: ``static`` (default), ``openai`` or ``openai:<model>``.

    Without a spec, ``$MLARCHITECT_EMBEDDER`` is read; unset means ``static``.
    """
    spec = (spec if spec is not None else os.environ.get(EMBEDDER_ENV, "")).strip()
    if spec in ("", "static", "default", "minilm-static", "model2vec"):
        from .static import StaticEmbedder

        return StaticEmbedder()
    if spec == "openai" or spec.startswith("openai:"):
        from .openai import OpenAIEmbedder

        model = spec.partition(":")[2] or None
        return OpenAIEmbedder(model=model) if model else OpenAIEmbedder()
    raise ValueError(f"unknown embedder {spec!r}: use 'static', 'openai' or 'openai:<model>'")


def __getattr__(name: str):  # lazy: importing this package must not import numpy
    if name == "StaticEmbedder":
        from .static import StaticEmbedder

        return StaticEmbedder
    if name == "OpenAIEmbedder":
        from .openai import OpenAIEmbedder

        return OpenAIEmbedder
    raise AttributeError(name)


__all__ = ["EMBEDDER_ENV", "Embedder", "OpenAIEmbedder", "StaticEmbedder", "get_embedder"]
