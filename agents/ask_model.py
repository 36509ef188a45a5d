"""Which sibling's work a clause of a request asks for, learned from examples.

The rules of :mod:`mlarchitect.agents.handoffs` find asks phrased the ways they know. This model
reads each sentence and clause the way its examples taught it and adds the asks the rules miss
("we'd also need the vendors' API properly defined", "who would handle the rollout?").

- Examples: ``ask_examples.jsonl`` (clauses written for the purpose, labelled ``ask`` for an agent,
  or ``mention`` / ``design`` / ``context``: no ask) plus the example bank's handoff examples and the
  sentences of its design requests (no ask).
- Model: softmax regression (:mod:`~mlarchitect.agents.text_classifier`) over "none" and the
  built-in agents, trained by ``python -m mlarchitect.agents.ask_model`` and shipped as
  ``ask_model.npz`` with a digest of its examples (a test fails while the file is stale). Without
  the encoder or the file, the rules work alone.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from mlarchitect.agents import text_classifier

NONE = "none"
ASK_THRESHOLD = 0.8  # a clause counts as an ask only when the model is this sure
MODEL_FILE = "ask_model.npz"
EXAMPLES_FILE = "ask_examples.jsonl"
# sentences of a request: what the model reads (with the clauses of each); a line break ends one
# too ("- F1 per clause type\nPlease build the harness")
SENTENCE_SPLIT = re.compile(r"[.;:!?]\s+|\s+[-–—]\s+|\s*\n\s*(?:[-*•]\s+)?")


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
    from mlarchitect.agents.scope import gloss

    pairs = [(e.text, e.agent if e.ask and e.agent else NONE) for e in load_examples()]
    bank = example_bank()
    pairs += [(t, agent) for agent, texts in bank["handoffs"].items() for t in texts]
    pairs += [(t, NONE) for t in bank["not_handoffs"]]
    pairs += [(s, NONE) for texts in bank["workflows"].values() for t in texts for s in sentences(t)]
    # read as the handoff planner reads a request: other languages' common words in English
    unique = dict(reversed([(gloss(t), label) for t, label in pairs]))  # one label per text: the first one given
    texts = sorted(unique)
    return texts, [unique[t] for t in texts]


@dataclass(frozen=True)
class AskModel(text_classifier.TextClassifier):
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
    """The shipped model; ``None`` when the file is missing or damaged (the handoff rules work without it)."""
    model = text_classifier.load(model_path())
    return None if model is None else AskModel(model.labels, model.weights, model.digest)


def write_model(path: Path | None = None) -> text_classifier.TextClassifier:
    model = text_classifier.retrain(training_set(), NONE, path or model_path())
    shipped_model.cache_clear()
    return model


if __name__ == "__main__":
    written = write_model()
    print(f"ask model over {len(written.labels)} classes written to {model_path()} (examples {written.digest})")
