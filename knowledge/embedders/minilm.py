"""A contextual sentence encoder: all-MiniLM-L6-v2 run in numpy (no torch).

The static embedder (``static.py``) averages one vector per token, so "the model
in production is slow" and "compare the model in production" look alike. This
encoder runs the six transformer layers, so word order and context count: the
router uses it next to the static embedder (``agents/routing.py``).

The weights ship in ``minilm-l6/`` (Apache-2.0; made by
``benchmarks/quantize_minilm.py``): every matrix as int8 with a float32 scale per
row, 23 MB instead of 90, and no torch. Each call reads them from the safetensors file
(``tensor_file.py``): the token rows its texts use, and one matrix at a time into a
buffer of the call, widened to float32 for its product. Between calls the encoder holds
only its biases, norms and scales (under 1 MB); the file is left to the page cache, so a
design's memory does not carry the weights after its request is encoded. Text is
tokenised by the static embedder's tokenizer (the same WordPiece vocabulary less the
unused and special tokens), its ids mapped through `vocab.txt`. The
arithmetic is BERT's, with mean pooling and L2 normalisation as sentence-transformers
does; GELU uses the tanh form (numpy has no ``erf``). A test compares the vectors
with the original model's (cosine > 0.999).
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlarchitect.knowledge.embedders.tensor_file import TensorFile, TensorReader

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


KEEP_BYTES = 256 * 1024  # float32 tensors up to this size stay in memory between calls


@dataclass
class _Call:
    """What one call reads the weights with: the open file and its two buffers."""

    reader: TensorReader
    narrow: Any  # int8, one matrix as stored
    wide: Any  # float32, the same matrix widened


class _Model:
    def __init__(self, folder: Path) -> None:
        from mlarchitect.knowledge.embedders.static import StaticEmbedder

        self.file = TensorFile(folder / "model.safetensors")
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        self.layers, self.heads = int(config["num_hidden_layers"]), int(config["num_attention_heads"])
        self.eps, self.max_tokens = float(config["layer_norm_eps"]), int(config["max_seq_length"])
        # The static embedder's tokenizer has this model's WordPiece vocabulary without the
        # [unusedN] and special tokens, so it tokenises text alike: it is loaded once per
        # process anyway, and its ids are mapped to this model's (id_map).
        static = StaticEmbedder()
        self.tokenizer = static.model.tokenizer
        self.ids, self.cls, self.sep = id_map(folder, static.model_dir, self.tokenizer)
        tensors = self.file.tensors
        with self.file.reader() as reader:  # biases, norms, scales: read once
            self.kept = {name: reader.read(name) for name, info in tensors.items()
                         if info.dtype == "float32" and info.nbytes <= KEEP_BYTES
                         and name.startswith(("embeddings.", "encoder."))}
        self.largest = max(info.size for name, info in tensors.items()
                           if name.startswith("encoder.") and info.dtype == "int8")

    def _linear(self, x: Any, name: str, call: _Call) -> Any:
        import numpy as np

        weight = call.reader.read(f"{name}.weight", out=call.narrow)  # int8, one scale per output row
        wide = call.wide[:weight.size].reshape(weight.shape)
        np.copyto(wide, weight, casting="unsafe")
        return (x @ wide.T) * self.kept[f"{name}.weight.scale"] + self.kept[f"{name}.bias"]

    def _norm(self, x: Any, name: str) -> Any:
        import numpy as np

        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.kept[f"{name}.weight"] + self.kept[f"{name}.bias"]

    def encode(self, texts: list[str]) -> Any:
        """Unit vectors of ``texts``; the file is open and the buffers exist for this call only."""
        import numpy as np

        with self.file.reader() as reader:
            call = _Call(reader, np.empty(self.largest, dtype=np.int8), np.empty(self.largest, dtype=np.float32))
            return self._encode(texts, call)

    def _encode(self, texts: list[str], call: _Call) -> Any:
        import numpy as np

        rows = [[self.cls, *self.ids[e.ids[:self.max_tokens - 2]].tolist(), self.sep]
                for e in self.tokenizer.encode_batch_fast(texts, add_special_tokens=False)]
        batch, length = len(rows), max(len(r) for r in rows)
        ids = np.zeros((batch, length), dtype=np.int64)  # [PAD] is 0
        mask = np.zeros((batch, length), dtype=np.float32)
        for i, row in enumerate(rows):
            ids[i, :len(row)] = row
            mask[i, :len(row)] = 1.0
        words = (call.reader.rows("embeddings.word_embeddings.weight", ids)
                 * self.kept["embeddings.word_embeddings.weight.scale"][ids][..., None])
        x = (words
             + call.reader.head("embeddings.position_embeddings.weight", length)
             + self.kept["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x.astype(np.float32), "embeddings.LayerNorm")
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]  # padding is never attended to
        head = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}"

            def heads(t: Any) -> Any:
                return t.reshape(batch, length, self.heads, head).transpose(0, 2, 1, 3)

            q = heads(self._linear(x, f"{p}.attention.self.query", call))
            k = heads(self._linear(x, f"{p}.attention.self.key", call))
            v = heads(self._linear(x, f"{p}.attention.self.value", call))
            # math.sqrt: a Python float keeps float32 (np.sqrt gives a float64 scalar, which NumPy 2
            # promotes the scores to, and every later product with them)
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, -1)
            x = self._norm(x + self._linear(context, f"{p}.attention.output.dense", call),
                           f"{p}.attention.output.LayerNorm")
            h = self._linear(x, f"{p}.intermediate.dense", call)
            h = 0.5 * h * (1.0 + np.tanh(0.7978845608028654 * (h + 0.044715 * h**3)))
            x = self._norm(x + self._linear(h, f"{p}.output.dense", call), f"{p}.output.LayerNorm")
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
