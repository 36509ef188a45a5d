"""The keyword (BM25) leg of retrieval, on ``bm25s``.

The index is rebuilt in memory from the stored chunk texts when a store is first
searched (a few tens of milliseconds for the bundled corpus), so it can never
disagree with the dense index it sits next to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

_TOKEN = re.compile(r"(?u)\b\w\w+\b")

# A light English stemmer (plural and common inflection suffixes). Deterministic, dependency-free;
# enough to match "chunks"/"chunk", "overlapping"/"overlap", "retrieved"/"retrieve".
_SUFFIXES: tuple[tuple[str, str, int], ...] = (
    ("ational", "ate", 4),
    ("ization", "ize", 4),
    ("ations", "ate", 4),
    ("ation", "ate", 4),
    ("ness", "", 4),
    ("ings", "", 4),
    ("ing", "", 4),
    ("ies", "y", 3),
    ("ied", "y", 3),
    ("edly", "", 4),
    ("ed", "", 4),
    ("es", "", 4),
    ("ly", "", 4),
    ("s", "", 3),
)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    base = _strip_suffix(word)
    # A final "e" goes too, so that "cache"/"caches" and "retrieve"/"retrieved" meet.
    return base[:-1] if len(base) > 4 and base.endswith("e") else base


def _strip_suffix(word: str) -> str:
    if word.isdigit() or len(word) <= 3:
        return word
    for suffix, replacement, min_stem in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= min_stem - len(replacement):
            base = word[: len(word) - len(suffix)] + replacement
            if suffix == "s" and word.endswith(("ss", "us", "is", "as")):
                return word
            if suffix == "es" and not word.endswith(("ches", "shes", "sses", "xes", "zes")):
                base = word[:-1]  # "caches" -> "cache", "indexes" handled above
            if suffix in ("ing", "ed", "ings") and len(base) > 2 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # "running" -> "run"
            return base
    return word


def _stem_words(words: list[str]) -> list[str]:
    return [stem(w) for w in words]


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stop-word-free, stemmed tokens (the same for corpus and queries)."""
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stem_words, return_ids=False, show_progress=False)


class LexicalIndex:
    """BM25 over a fixed list of chunk texts; ``scores`` gives one score per chunk."""

    def __init__(self, texts: Sequence[str]) -> None:
        import bm25s

        self.size = len(texts)
        self._retriever: Any = None
        self._vocab: dict[str, int] = {}
        if texts:
            corpus_tokens = tokenize(texts)
            # An empty document would break bm25s' vocabulary; give it a placeholder token.
            corpus_tokens = [toks or ["\x00empty"] for toks in corpus_tokens]
            retriever = bm25s.BM25(k1=1.2, b=0.75)
            retriever.index(corpus_tokens, show_progress=False)
            self._retriever = retriever
            self._vocab = retriever.vocab_dict

    def scores(self, query: str) -> Any:
        """BM25 score of every chunk for ``query`` (numpy float32 array, zeros when nothing matches)."""
        import numpy as np

        if not self.size:
            return np.zeros(0, dtype=np.float32)
        tokens = [t for t in tokenize([query])[0] if t in self._vocab]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(tokens), dtype=np.float32)

    @classmethod
    def cached(cls, texts: Sequence[str], folder: Any, *, key: str) -> LexicalIndex:
        """The index of ``texts``; built once per generation and kept in ``folder`` when given
        (see :meth:`save`/:meth:`load`), so later processes load it instead of re-tokenising."""
        return cls(texts)
