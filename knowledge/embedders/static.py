"""The default embedder: a static model2vec model shipped with the package.

The model is read with ``tokenizers`` and numpy directly: the ``model2vec`` package
imports ``huggingface_hub`` at start-up, which a design does not need. The arithmetic
is model2vec's (mean of token vectors, L2 normalised), and a test checks that both
give the same vectors. The token table (11 MB) is not loaded: each call reads the rows
of the tokens its texts use (``tensor_file.py``), so a design holds the few hundred
rows of its queries, not the table.
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
TABLE = "embeddings"  # the token vectors' tensor in model.safetensors


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
        from tokenizers import Tokenizer

        from mlarchitect.knowledge.embedders.tensor_file import TensorFile

        config = json.loads((folder / "config.json").read_text())
        self.vectors = TensorFile(folder / "model.safetensors")
        self.dims: int = self.vectors.info(TABLE).shape[1]
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
        stats = read_vocab_stats(folder) or vocab_stats(self.tokenizer)
        self.median_token_length: int = stats["median_token_length"]
        # its whole lower-case English words (the spelling corrector's dictionary)
        self.words: frozenset[str] = frozenset(stats["words"])

    def encode(self, sentences: list[str], **_: Any) -> Any:
        import numpy as np

        if self.max_length is not None:  # long texts: cut the characters before tokenising
            limit = self.max_length * self.median_token_length
            sentences = [s[:limit] for s in sentences]
        encodings = self.tokenizer.encode_batch_fast(sentences, add_special_tokens=False)
        ids = [[t for t in encoding.ids if t != self.unk_token_id] for encoding in encodings]
        used = np.array(sorted({t for row in ids for t in row}), dtype=np.int64)
        with self.vectors.reader() as reader:
            rows = reader.rows(TABLE, used)  # the rows of the tokens used, in the order of `used`
        out = np.zeros((len(sentences), self.dims), dtype=np.float32)
        for i, row in enumerate(ids):
            if row:
                out[i] = rows[np.searchsorted(used, np.asarray(row, dtype=np.int64))].mean(axis=0)
        if self.normalize:
            out = out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-32)
        return out


VOCAB_STATS = "vocab_stats.json"


def vocab_stats(tokenizer: Any) -> dict[str, Any]:
    """What the embedder derives from the tokenizer's vocabulary: the median token length (where
    long texts are cut) and the whole lower-case words (the spelling corrector's dictionary)."""
    import numpy as np

    vocab = tokenizer.get_vocab()  # 30k entries: read once, for both
    return {"median_token_length": int(np.median([len(t) for t in vocab])),
            "words": sorted(w for w in vocab if w.isalpha() and w.islower())}


def _tokenizer_digest(folder: Path) -> str:
    import hashlib

    return hashlib.sha256((folder / "tokenizer.json").read_bytes()).hexdigest()


def read_vocab_stats(folder: Path) -> dict[str, Any] | None:
    """:func:`vocab_stats`, from the folder's ``vocab_stats.json`` when it was made from this very
    ``tokenizer.json`` (its SHA-256); ``None`` otherwise (missing, stale or unreadable). Reading
    it takes a few milliseconds; building the vocabulary's dict took ~20 ms of every design."""
    try:
        data = json.loads((folder / VOCAB_STATS).read_text(encoding="utf-8"))
        if data.get("tokenizer_sha256") != _tokenizer_digest(folder):
            return None
        return {"median_token_length": int(data["median_token_length"]), "words": list(data["words"])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def write_vocab_stats(folder: Path) -> None:
    """Write the folder's ``vocab_stats.json`` (run again when ``tokenizer.json`` changes)."""
    from tokenizers import Tokenizer

    stats = vocab_stats(Tokenizer.from_file(str(folder / "tokenizer.json")))
    data = {"tokenizer_sha256": _tokenizer_digest(folder), **stats}
    (folder / VOCAB_STATS).write_text(json.dumps(data, ensure_ascii=False) + "\n", encoding="utf-8")
