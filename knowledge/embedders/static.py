"""The default embedder: a static model2vec model shipped with the package.

The model is read with ``tokenizers`` and ``safetensors`` directly (numpy only):
the ``model2vec`` package imports ``huggingface_hub`` at start-up, which a design
does not need. The arithmetic is model2vec's (mean of token vectors, L2
normalised), and a test checks that both give the same vectors.
"""

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
                    _MODELS[key] = _StaticModel(self.model_dir)
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


class _StaticModel:
    """A model2vec static model read from its folder: tokenizer, int8 token vectors, config."""

    def __init__(self, folder: Path) -> None:
        import numpy as np
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        self.embedding = load_file(str(folder / "model.safetensors"))["embeddings"]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        padding = self.tokenizer.padding
        if padding is not None:  # never pad: every token counts in the mean
            self.tokenizer.enable_padding(pad_id=padding["pad_id"], pad_token=padding["pad_token"],
                                          pad_type_id=padding["pad_type_id"], length=0)
        self.max_length: int | None = config.get("max_length", 512)
        if self.max_length is None:
            self.tokenizer.no_truncation()
        else:
            self.tokenizer.enable_truncation(self.max_length)
        self.normalize = bool(config.get("normalize", False))
        unk = getattr(self.tokenizer.model, "unk_token", None)
        self.unk_token_id = self.tokenizer.token_to_id(unk) if unk else None
        vocab = self.tokenizer.get_vocab()  # 30k entries: read once, for both of these
        self.median_token_length = int(np.median([len(t) for t in vocab]))
        # its whole lower-case English words (the spelling corrector's dictionary)
        self.words: frozenset[str] = frozenset(w for w in vocab if w.isalpha() and w.islower())

    def encode(self, sentences: list[str], **_: Any) -> Any:
        import numpy as np

        if self.max_length is not None:  # long texts: cut the characters before tokenising
            limit = self.max_length * self.median_token_length
            sentences = [s[:limit] for s in sentences]
        encodings = self.tokenizer.encode_batch_fast(sentences, add_special_tokens=False)
        out = np.zeros((len(sentences), self.embedding.shape[1]), dtype=np.float32)
        for i, encoding in enumerate(encodings):
            ids = [t for t in encoding.ids if t != self.unk_token_id]
            if ids:
                out[i] = self.embedding[np.asarray(ids, dtype=np.int64)].mean(axis=0)
        if self.normalize:
            out = out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-32)
        return out
