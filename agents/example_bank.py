"""The example bank (``routing_examples.yaml``): per-workflow, out-of-scope, mixed and
handoff examples (and parts that are no handoff), the domain words, the glossary and the spelling vocabulary.

The glossary has two sources: the bank's own ``glossary`` (entries written against misreadings,
which win) and ``glossary_words.jsonl``, ~2,300 everyday words and short phrases of German,
French, Spanish, Italian, Portuguese and Dutch that people use when they ask for an ML system
("Urteile" → "judgments", "mise en production" → "deployment"), written for the purpose
without sight of any evaluation set; terms that are also English words were left out."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

from mlarchitect.yamlio import safe_load


@lru_cache(maxsize=1)
def example_bank() -> dict[str, Any]:
    """``routing_examples.yaml``: workflows, general, mixed and handoff examples."""
    text = (resources.files("mlarchitect.agents") / "routing_examples.yaml").read_text(encoding="utf-8")
    data = safe_load(text) or {}
    return {
        "workflows": {k: [str(s) for s in v] for k, v in (data.get("workflows") or {}).items()},
        "general": [str(s) for s in data.get("general") or []],
        "mixed": [
            {"request": str(m["request"]), "primary": m["primary"], "secondary": list(m.get("secondary") or [])}
            for m in data.get("mixed") or []
        ],
        "handoffs": {k: [str(s) for s in v] for k, v in (data.get("handoffs") or {}).items()},
        "not_handoffs": [str(s) for s in data.get("not_handoffs") or []],
        "vocabulary": [str(s) for s in data.get("vocabulary") or []],
        "domain_terms": [t for line in data.get("domain_terms") or [] for t in str(line).split()],
        "system_terms": [t for line in data.get("system_terms") or [] for t in str(line).split()],
        "non_ml_subjects": [t for line in data.get("non_ml_subjects") or [] for t in str(line).split()],
        "glossary": {**_glossary_words(), **{str(k).lower(): str(v) for k, v in (data.get("glossary") or {}).items()}},
    }


def _glossary_words() -> dict[str, str]:
    text = (resources.files("mlarchitect.agents") / "glossary_words.jsonl").read_text(encoding="utf-8")
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    return {str(e["term"]).lower(): str(e["en"]) for e in entries}
