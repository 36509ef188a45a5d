"""OpenAI (or OpenAI-compatible) embeddings through langchain-openai, for users with a key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DEFAULT_MODEL = "text-embedding-3-small"


class OpenAIEmbedder:
    """Wraps ``langchain_openai.OpenAIEmbeddings``; imported only when used.

    ``base_url`` and ``api_key`` default to the usual ``OPENAI_*`` environment variables.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        dimensions: int | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        batch_size: int = 256,
        client: Any = None,
    ) -> None:
        self.model = model
        self.dimensions = dimensions
        self.base_url = base_url
        self.api_key = api_key
        self.batch_size = batch_size
        self._client = client

    @property
    def name(self) -> str:
        return f"openai:{self.model}" + (f"-{self.dimensions}d" if self.dimensions else "")

    @property
    def client(self) -> Any:
        if self._client is None:
            from langchain_openai import OpenAIEmbeddings

            kwargs: dict[str, Any] = {"model": self.model, "chunk_size": self.batch_size}
            if self.dimensions:
                kwargs["dimensions"] = self.dimensions
            if self.base_url:
                kwargs["base_url"] = self.base_url
            if self.api_key:
                kwargs["api_key"] = self.api_key
            self._client = OpenAIEmbeddings(**kwargs)
        return self._client

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        return [list(map(float, v)) for v in self.client.embed_documents(list(texts))]

    def __repr__(self) -> str:
        return f"OpenAIEmbedder(model={self.model!r})"
