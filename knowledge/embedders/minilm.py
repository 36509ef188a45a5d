"""A contextual sentence encoder: all-MiniLM-L6-v2 run in numpy (no torch).

The static embedder (``static.py``) averages one vector per token, so "the model
in production is slow" and "compare the model in production" look alike. This
encoder runs the six transformer layers, so word order and context count: the
router uses it next to the static embedder (``agents/routing.py``).

The weights ship in ``minilm-l6/`` (Apache-2.0; made by
``benchmarks/quantize_minilm.py``): every matrix as int8 with a float32 scale per
row, 23 MB instead of 90, and no torch. They are mapped from the safetensors file,
not read into memory, and a matrix is widened to float32 only for its product, in one
reused buffer. Text is tokenised by the static embedder's tokenizer (the same WordPiece
vocabulary less the unused and special tokens), its ids mapped through `vocab.txt`. The
arithmetic is BERT's, with mean pooling and L2 normalisation as sentence-transformers
does; GELU uses the tanh form (numpy has no ``erf``). A test compares the vectors
with the original model's (cosine > 0.999).
"""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MODEL_DIR = Path(__file__).resolve().parent / "minilm-l6"
DIMS = 384
BATCH = 32

_MODEL: dict[Path, Any] = {}
_LOCK = threading.Lock()


class EncoderUnavailable(RuntimeError):
    """The model's files are missing or unreadable."""


def model_dir() -> Path:
    """The folder of the shipped weights."""
    if not (MODEL_DIR / "model.safetensors").is_file():
        raise EncoderUnavailable(f"no model.safetensors in {MODEL_DIR}")
    return MODEL_DIR


def _map_safetensors(path: Path) -> dict[str, Any]:
    """Every tensor of a safetensors file as a read-only numpy view of one memory map."""
    import numpy as np

    dtypes = {"F32": np.float32, "F16": np.float16, "I8": np.int8, "I64": np.int64}
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + size)
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in dtypes:
            continue
        start, end = info["data_offsets"]
        out[name] = data[start:end].view(dtypes[info["dtype"]]).reshape(info["shape"])
    return out


ID_MAP = "static_ids.npz"


def _vocab(folder: Path) -> dict[str, int]:
    return {t: i for i, t in enumerate((folder / "vocab.txt").read_text(encoding="utf-8").splitlines())}


def build_id_map(folder: Path, tokenizer: Any) -> tuple[Any, int, int]:
    """(this model's id for each static-tokenizer id, [CLS] id, [SEP] id), from the two vocabularies."""
    import numpy as np

    vocab = _vocab(folder)
    static_vocab = tokenizer.get_vocab()
    ids = np.full(max(static_vocab.values()) + 1, vocab["[UNK]"], dtype=np.int64)
    for token, static_id in static_vocab.items():
        ids[static_id] = vocab.get(token, vocab["[UNK]"])
    return ids, vocab["[CLS]"], vocab["[SEP]"]


def id_map(folder: Path, static_dir: Path, tokenizer: Any) -> tuple[Any, int, int]:
    """:func:`build_id_map`, read from ``static_ids.npz`` when it was made for this very static
    tokenizer (its SHA-256): building the two 30k-entry dicts leaves ~5 MB behind in a process."""
    import numpy as np

    from mlarchitect.knowledge.embedders.static import _tokenizer_digest

    try:
        with np.load(folder / ID_MAP) as data:
            if str(data["static_tokenizer_sha256"]) == _tokenizer_digest(static_dir):
                return data["ids"].astype(np.int64), int(data["cls"]), int(data["sep"])
    except (OSError, KeyError, ValueError):
        pass
    return build_id_map(folder, tokenizer)


def write_id_map(folder: Path = MODEL_DIR) -> None:
    """Write ``static_ids.npz`` (run again when the static model's tokenizer changes)."""
    import numpy as np

    from mlarchitect.knowledge.embedders.static import StaticEmbedder, _tokenizer_digest

    static = StaticEmbedder()
    ids, cls, sep = build_id_map(folder, static.model.tokenizer)
    with (folder / ID_MAP).open("wb") as f:
        np.savez_compressed(f, ids=ids.astype(np.int32), cls=cls, sep=sep,
                            static_tokenizer_sha256=np.array(_tokenizer_digest(static.model_dir)))


class _Model:
    def __init__(self, folder: Path) -> None:
        import numpy as np

        from mlarchitect.knowledge.embedders.static import StaticEmbedder

        self.w = _map_safetensors(folder / "model.safetensors")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.layers, self.heads = int(config["num_hidden_layers"]), int(config["num_attention_heads"])
        self.eps, self.max_tokens = float(config["layer_norm_eps"]), int(config["max_seq_length"])
        # The static embedder's tokenizer has this model's WordPiece vocabulary without the
        # [unusedN] and special tokens, so it tokenises text alike: it is loaded once per
        # process anyway, and its ids are mapped to this model's (id_map).
        static = StaticEmbedder()
        self.tokenizer = static.model.tokenizer
        self.ids, self.cls, self.sep = id_map(folder, static.model_dir, self.tokenizer)
        largest = max(v.size for k, v in self.w.items() if k.startswith("encoder.") and v.ndim == 2)
        self._buffer = np.empty(largest, dtype=np.float32)  # a matrix widened, reused
        self._lock = threading.Lock()

    def _linear(self, x: Any, name: str) -> Any:
        import numpy as np

        weight = self.w[f"{name}.weight"]  # int8, one scale per output row
        wide = self._buffer[:weight.size].reshape(weight.shape)
        np.copyto(wide, weight, casting="unsafe")  # no new 2 MB array per product
        return (x @ wide.T) * self.w[f"{name}.weight.scale"] + self.w[f"{name}.bias"]

    def _norm(self, x: Any, name: str) -> Any:
        import numpy as np

        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def encode(self, texts: list[str]) -> Any:
        with self._lock:  # one widened-matrix buffer per model
            return self._encode(texts)

    def _encode(self, texts: list[str]) -> Any:
        import numpy as np

        rows = [[self.cls, *self.ids[e.ids[:self.max_tokens - 2]].tolist(), self.sep]
                for e in self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)]
        batch, length = len(rows), max(len(r) for r in rows)
        ids = np.zeros((batch, length), dtype=np.int64)  # [PAD] is 0
        mask = np.zeros((batch, length), dtype=np.float32)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = row
            mask[i, :len(row)] = 1.0
        words = self.w["embeddings.word_embeddings.weight"][ids] * self.w["embeddings.word_embeddings.weight.scale"][ids][..., None]
        x = (words
             + self.w["embeddings.position_embeddings.weight"][:length]
             + self.w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x.astype(np.float32), "embeddings.LayerNorm")
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]  # padding is never attended to
        head = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}"

            def heads(t: Any) -> Any:
                return t.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

            q = heads(self._linear(x, f"{p}.attention.self.query"))
            k = heads(self._linear(x, f"{p}.attention.self.key"))
            v = heads(self._linear(x, f"{p}.attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(head) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = self._norm(x + self._linear(context, f"{p}.attention.output.dense"), f"{p}.attention.output.LayerNorm")
            h = self._linear(x, f"{p}.intermediate.dense")
            h = 0.5 * h * (1.0 + np.tanh(0.7978845608028654 * (h + 0.044715 * h**3)))
            x = self._norm(x + self._linear(h, f"{p}.output.dense"), f"{p}.output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1.0)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)


class MiniLMEncoder:
    """Sentence vectors (384 dims, unit length) from all-MiniLM-L6-v2, numpy only."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder

    @property
    def model(self) -> _Model:
        folder = self.folder or model_dir()  # raises EncoderUnavailable
        with _LOCK:
            if folder not in _MODEL:
                _MODEL[folder] = _Model(folder)
            return _MODEL[folder]

    def embed_array(self, texts: Sequence[str]) -> Any:
        import numpy as np
        from threadpoolctl import threadpool_limits

        if not texts:
            return np.zeros((0, DIMS), dtype=np.float32)
        model = self.model
        # batches of similar length pad less
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), DIMS), dtype=np.float32)
        # one BLAS thread: these matrices are small, and threads that wait for each other
        # on a busy machine made a request 4x slower
        with threadpool_limits(limits=1, user_api="blas"):
            for start in range(0, len(order), BATCH):
                chunk = order[start:start + BATCH]
                out[chunk] = model.encode([texts[i] for i in chunk])
        return out


if __name__ == "__main__":
    write_id_map()
    print(f"{MODEL_DIR / ID_MAP} written")
