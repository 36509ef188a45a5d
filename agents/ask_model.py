"""Which sibling's work a clause of a request asks for, learned from examples.

The rules of :mod:`mlarchitect.agents.handoffs` find asks phrased the ways they know. This model
reads each sentence and clause the way its examples taught it and adds the asks the rules miss
("we'd also need the vendors' API properly defined", "who would handle the rollout?").

- Examples: ``ask_examples.jsonl`` (clauses written for the purpose, labelled ``ask`` for an agent,
  or ``mention`` / ``design`` / ``context``: no ask) plus the example bank's handoff examples and the
  sentences of its design requests (no ask).
- Features: the contextual encoder's sentence vector, and hashed word uni- and bigrams, which
  carry the cues a sentence vector blurs ("already", "we have", "could you also").
- Model: softmax regression over "none" and the built-in agents, trained by
  ``python -m mlarchitect.agents.ask_model`` and shipped as ``ask_model.npz`` with a digest of its
  examples (a test fails while the file is stale). Without the encoder or the file, the rules work alone.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

log = logging.getLogger(__name__)

NONE = "none"
ASK_THRESHOLD = 0.8  # a clause counts as an ask only when the model is this sure
BUCKETS = 4096  # hashed word uni- and bigrams
MODEL_FILE = "ask_model.npz"
EXAMPLES_FILE = "ask_examples.jsonl"
# sentences of a request: what the model reads (with the clauses of each)
SENTENCE_SPLIT = re.compile(r"[.;:!?]\s+|\s+[-–—]\s+")
_WORD = re.compile(r"[\w']+")


class AskExample(BaseModel):
    text: str
    agent: str | None
    ask: bool
    kind: Literal["ask", "mention", "design", "context"]


def load_examples() -> list[AskExample]:
    text = (resources.files("mlarchitect.agents") / EXAMPLES_FILE).read_text(encoding="utf-8")
    return [AskExample.model_validate_json(line) for line in text.splitlines() if line.strip()]


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip(" ,.;:") for p in SENTENCE_SPLIT.split(text)) if len(s.split()) >= 3]


def training_set() -> tuple[list[str], list[str]]:
    """(texts, labels): each label an agent's name or :data:`NONE`."""
    from mlarchitect.agents.example_bank import example_bank

    pairs = [(e.text, e.agent if e.ask and e.agent else NONE) for e in load_examples()]
    bank = example_bank()
    pairs += [(t, agent) for agent, texts in bank["handoffs"].items() for t in texts]
    pairs += [(t, NONE) for t in bank["not_handoffs"]]
    pairs += [(s, NONE) for texts in bank["workflows"].values() for t in texts for s in sentences(t)]
    unique = dict(reversed(pairs))  # one label per text: the first one given
    texts = sorted(unique)
    return texts, [unique[t] for t in texts]


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
    """The model's input rows (with a constant for the bias); ``None`` without the encoder."""
    import numpy as np

    from mlarchitect.agents.context_vectors import context_embed

    vectors = context_embed(list(texts))
    if vectors is None:
        return None
    return np.hstack([vectors, hashed_words(texts), np.ones((len(texts), 1), dtype=np.float32)])


def _softmax(z: Any) -> Any:
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
        grad = x.T @ (_softmax(x @ weights) - target) / len(x) + l2 * weights
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        weights -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return weights


@dataclass(frozen=True)
class AskModel:
    labels: tuple[str, ...]
    weights: Any
    digest: str

    def probabilities(self, texts: Sequence[str]) -> Any | None:
        """One row of class probabilities per text (columns as :attr:`labels`); ``None`` without the encoder."""
        x = features(texts)
        if x is None or x.shape[1] != self.weights.shape[0]:
            return None
        return _softmax(x @ self.weights)

    def asked(self, texts: Sequence[str], threshold: float = ASK_THRESHOLD) -> list[tuple[str, str, float]]:
        """(text, agent, probability) for each text the model reads as an ask for an agent."""
        probs = self.probabilities(texts) if texts else None
        if probs is None:
            return []
        found = []
        for text, row in zip(texts, probs, strict=True):
            best = int(row.argmax())
            if self.labels[best] != NONE and row[best] >= threshold:
                found.append((text, self.labels[best], float(row[best])))
        return found


def model_path() -> Path:
    return Path(str(resources.files("mlarchitect.agents") / MODEL_FILE))


@lru_cache(maxsize=1)
def shipped_model() -> AskModel | None:
    """The shipped model; ``None`` when the file is missing or damaged."""
    import numpy as np

    try:
        with np.load(model_path()) as data:
            return AskModel(labels=tuple(data["labels"].tolist()), weights=data["weights"], digest=str(data["digest"]))
    except Exception as exc:  # noqa: BLE001 - the handoff rules work without it
        log.info("ask model not read from %s (%s): handoffs use the rules alone", model_path(), exc)
        return None


def train_model() -> AskModel:
    import numpy as np

    texts, labels = training_set()
    classes = (NONE, *sorted(set(labels) - {NONE}))
    x = features(texts)
    if x is None:
        raise RuntimeError("the contextual encoder is unavailable: cannot train the ask model")
    y = np.array([classes.index(label) for label in labels])
    return AskModel(labels=classes, weights=fit(x, y, len(classes)), digest=training_digest(texts, labels))


def write_model(path: Path | None = None) -> AskModel:
    import numpy as np

    model = train_model()
    with (path or model_path()).open("wb") as f:
        np.savez_compressed(f, labels=np.array(model.labels), weights=model.weights.astype(np.float32),
                            digest=np.array(model.digest))
    shipped_model.cache_clear()
    return model


if __name__ == "__main__":
    written = write_model()
    print(f"ask model over {len(written.labels)} classes written to {model_path()} (examples {written.digest})")
