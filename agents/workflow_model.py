"""Which workflow a request is about, learned from examples: the third opinion of routing.

:mod:`~mlarchitect.agents.routing` scores a request by its nearest bank examples, the workflows'
own descriptions and keywords. This model reads the whole request the way its examples taught it
and gives a probability per workflow (and ``general``), which routing mixes in (``W_LEARNED``).

- Examples: ``workflow_examples.jsonl`` (requests written for the purpose by writers who saw no
  evaluation set, labelled with the workflow they ask for, preferred first) plus the example
  bank's workflow, out-of-scope and mixed requests (their primary workflow).
- Model: softmax regression (:mod:`~mlarchitect.agents.text_classifier`), trained by
  ``python -m mlarchitect.agents.workflow_model`` and shipped as ``workflow_model.npz`` with a
  digest of its examples (a test fails while the file is stale). Without the encoder or the file,
  routing works without it.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, Field

from mlarchitect.agents import text_classifier

GENERAL = "general"
MODEL_FILE = "workflow_model.npz"
EXAMPLES_FILE = "workflow_examples.jsonl"


class WorkflowExample(BaseModel):
    text: str
    workflows: list[str] = Field(min_length=1, description="the preferred workflow first; a second for a mixed request")
    lang: str = "en"
    style: str = ""


def load_examples() -> list[WorkflowExample]:
    text = (resources.files("mlarchitect.agents") / EXAMPLES_FILE).read_text(encoding="utf-8")
    return [WorkflowExample.model_validate_json(line) for line in text.splitlines() if line.strip()]


def training_set() -> tuple[list[str], list[str]]:
    """(texts, labels): each label a workflow id or :data:`GENERAL`."""
    from mlarchitect.agents.example_bank import example_bank

    pairs = [(e.text, e.workflows[0]) for e in load_examples()]
    bank = example_bank()
    pairs += [(t, workflow) for workflow, texts in bank["workflows"].items() for t in texts]
    pairs += [(t, GENERAL) for t in bank["general"]]
    pairs += [(m["request"], m["primary"]) for m in bank["mixed"]]
    unique = dict(reversed(pairs))  # one label per text: the first one given
    texts = sorted(unique)
    return texts, [unique[t] for t in texts]


def model_path() -> Path:
    return Path(str(resources.files("mlarchitect.agents") / MODEL_FILE))


@lru_cache(maxsize=1)
def shipped_model() -> text_classifier.TextClassifier | None:
    """The shipped model; ``None`` when the file is missing or damaged (routing works without it)."""
    return text_classifier.load(model_path())


def probabilities(text: str) -> dict[str, float] | None:
    """{workflow or general: probability} for ``text``; ``None`` without the model or the encoder."""
    model = shipped_model()
    probs = model.probabilities([text]) if model is not None else None
    if probs is None:
        return None
    row = [float(p) for p in probs[0]]
    total = sum(row)  # float32 rows: sum to one in float64 too
    return {label: p / total for label, p in zip(model.labels, row, strict=True)}


def write_model(path: Path | None = None) -> text_classifier.TextClassifier:
    model = text_classifier.retrain(training_set(), GENERAL, path or model_path())
    shipped_model.cache_clear()
    return model


if __name__ == "__main__":
    written = write_model()
    print(f"workflow model over {len(written.labels)} classes written to {model_path()} (examples {written.digest})")
