"""The default embedder: a static model2vec model shipped with the package."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MODEL_DIR = Path(__file__).resolve().parent / "minilm-static"

# one loaded model per folder and process, shared by every embedder (knowledge base, routing)
_MODELS: dict[Path, Any] = {}
_MODELS_LOCK = threading.Lock()


class StaticEmbedder:
    """model2vec static embeddings (distilled from all-MiniLM-L6-v2), numpy only.

    The model is loaded from a local folder on first use; nothing is downloaded.
    """

    def __init__(self, model_dir: Path | str | None = None) -> None:
        self.model_dir = Path(model_dir) if model_dir is not None else MODEL_DIR
        self._model: Any = None
        self._name: str | None = None

    @property
    def name(self) -> str:
        if self._name is None:
            dims = "?"
            try:
                config = json.loads((self.model_dir / "config.json").read_text())
                dims = str(config.get("hidden_dim") or config.get("apply_pca") or "?")
            except (OSError, ValueError):
                pass
            self._name = f"model2vec:{self.model_dir.name}-{dims}d"
        return self._name

    @property
    def model(self) -> Any:
        if self._model is None:
            with _MODELS_LOCK:
                key = self.model_dir.resolve()
                if key not in _MODELS:
                    if not (self.model_dir / "model.safetensors").is_file():
                        raise FileNotFoundError(f"static embedding model not found in {self.model_dir}")
                    from model2vec import StaticModel

                    # A local folder: model2vec reads it directly and never calls the hub.
                    _MODELS[key] = StaticModel.from_pretrained(self.model_dir, force_download=False)
                self._model = _MODELS[key]
        return self._model

    def embed_array(self, texts: Sequence[str]) -> Any:
        """Embeddings as a float32 numpy array (unit length), one row per text."""
        import numpy as np

        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        vectors = self.model.encode(list(texts), show_progress_bar=False, use_multiprocessing=False)
        return np.asarray(vectors, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return self.embed_array(texts).tolist()

    def __repr__(self) -> str:
        return f"StaticEmbedder({str(self.model_dir)!r})"
