"""Softmax regression over sentence vectors and hashed words: the small learned models of routing.

Two models read requests with it: :mod:`~mlarchitect.agents.ask_model` (which sibling's work a
clause asks for) and :mod:`~mlarchitect.agents.workflow_model` (which workflow a request is about).

- Features: the contextual encoder's sentence vector (``agents/context_vectors.py``) and hashed
  word uni- and bigrams, which carry the cues a sentence vector blurs ("already", "we have"),
  plus a constant for the bias.
- Training: full-batch Adam from zeros, so the same examples give the same weights.
- A model ships as an ``.npz`` (labels, weights, a digest of its examples); a test per model
  fails while the file is stale. Without the encoder or the file, callers work without it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

BUCKETS = 4096  # hashed word uni- and bigrams
_WORD = re.compile(r"[\w']+")


def training_digest(texts: Sequence[str], labels: Sequence[str]) -> str:
    return hashlib.sha1(json.dumps([list(texts), list(labels), BUCKETS]).encode("utf-8")).hexdigest()[:16]


def hashed_words(texts: Sequence[str]) -> Any:
    """One unit-length row per text over :data:`BUCKETS` hashed word uni- and bigrams."""
    import numpy as np

    rows = np.zeros((len(texts), BUCKETS), dtype=np.float32)
    for i, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        for gram in [*words, *(f"{a} {b}" for a, b in zip(words, words[1:]))]:
            rows[i, zlib.crc32(gram.encode("utf-8")) % BUCKETS] = 1.0
        rows[i] /= float(np.linalg.norm(rows[i])) or 1.0
    return rows


def features(texts: Sequence[str]) -> Any | None:
    """The models' input rows (with a constant for the bias); ``None`` without the encoder."""
    import numpy as np

    from mlarchitect.agents.context_vectors import context_embed

    vectors = context_embed(list(texts))
    if vectors is None:
        return None
    return np.hstack([vectors, hashed_words(texts), np.ones((len(texts), 1), dtype=np.float32)])


def softmax_rows(z: Any) -> Any:
    import numpy as np

    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit(x: Any, y: Any, classes: int, *, l2: float = 1e-4, steps: int = 600, rate: float = 0.5) -> Any:
    """Weights of a softmax regression (full-batch Adam from zeros: the same data gives the same model)."""
    import numpy as np

    weights = np.zeros((x.shape[1], classes), dtype=np.float32)
    target = np.eye(classes, dtype=np.float32)[y]
    m, v = np.zeros_like(weights), np.zeros_like(weights)
    for step in range(1, steps + 1):
        grad = x.T @ (softmax_rows(x @ weights) - target) / len(x) + l2 * weights
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        weights -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return weights


@dataclass(frozen=True)
class TextClassifier:
    labels: tuple[str, ...]
    weights: Any
    digest: str

    def probabilities(self, texts: Sequence[str]) -> Any | None:
        """One row of class probabilities per text (columns as :attr:`labels`); ``None`` without the encoder."""
        x = features(texts)
        if x is None or x.shape[1] != self.weights.shape[0]:
            return None
        return softmax_rows(x @ self.weights)


def train(texts: Sequence[str], labels: Sequence[str], first: str) -> TextClassifier:
    """A classifier over ``first`` and the other labels (sorted) of the examples."""
    import numpy as np

    classes = (first, *sorted(set(labels) - {first}))
    x = features(texts)
    if x is None:
        raise RuntimeError("the contextual encoder is unavailable: cannot train")
    y = np.array([classes.index(label) for label in labels])
    return TextClassifier(labels=classes, weights=fit(x, y, len(classes)), digest=training_digest(texts, labels))


def retrain(examples: tuple[list[str], list[str]], first: str, path: Path) -> TextClassifier:
    """Train on ``examples`` (texts, labels) and write the model to ``path``."""
    model = train(*examples, first=first)
    save(model, path)
    return model


def save(model: TextClassifier, path: Path) -> None:
    import numpy as np

    with path.open("wb") as f:
        np.savez_compressed(f, labels=np.array(model.labels), weights=model.weights.astype(np.float32),
                            digest=np.array(model.digest))


def load(path: Path) -> TextClassifier | None:
    """The model stored at ``path``; ``None`` (logged) when the file is missing or damaged."""
    import numpy as np

    try:
        with np.load(path) as data:
            return TextClassifier(labels=tuple(data["labels"].tolist()), weights=data["weights"],
                                  digest=str(data["digest"]))
    except Exception as exc:  # noqa: BLE001 - callers work without the model
        log.info("no model read from %s (%s)", path, exc)
        return None
