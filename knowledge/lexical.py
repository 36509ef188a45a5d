"""The keyword (BM25) leg of retrieval, on ``bm25s``.

The index is built from the stored chunk texts when a generation is first searched and
kept next to it (``stores/<generation>/bm25/``; on a Chroma server, in a local cache keyed
by the generation and the knowledge-base version), so it can never disagree with the dense
index it sits next to, and later processes load it instead of building it again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
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
    """Lower-cased, stop-word-free, stemmed tokens of a corpus (``bm25s``'s tokenizer)."""
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", stemmer=_stem_words, return_ids=False, show_progress=False)


def query_tokens(query: str, stopwords: frozenset[str]) -> list[str]:
    """The tokens of one query, as :func:`tokenize` makes them (lower case, the same pattern, the
    same stop words, then the stemmer), without importing ``bm25s``."""
    return [stem(t) for t in _TOKEN.findall(query.lower()) if t not in stopwords]


INDEX_FORMAT = 1
_ARRAYS = ("data", "indices", "indptr")


class LexicalIndex:
    """BM25 (Lucene variant, k1=1.2, b=0.75) over a fixed list of chunk texts; ``scores`` gives one
    score per chunk.

    Built with ``bm25s``, which precomputes every (term, chunk) score into a sparse matrix (CSC:
    ``data``, ``indices``, ``indptr``); a query sums the columns of its terms. Those arrays, the
    vocabulary and the stop words are all a query needs, so :meth:`cached` keeps them on disk per
    index generation and later processes load them (a few milliseconds) instead of re-tokenising
    the corpus and importing ``bm25s``.
    """

    def __init__(self, texts: Sequence[str] | None = None) -> None:
        import numpy as np

        self.size = 0
        self._vocab: dict[str, int] = {}
        self._stopwords: frozenset[str] = frozenset()
        self._arrays: dict[str, Any] = {name: np.zeros(1 if name == "indptr" else 0) for name in _ARRAYS}
        if texts:
            self._build(texts)

    def _build(self, texts: Sequence[str]) -> None:
        import bm25s
        from bm25s.stopwords import STOPWORDS_EN

        self.size = len(texts)
        corpus_tokens = tokenize(texts)
        # An empty document would break bm25s' vocabulary; give it a placeholder token.
        corpus_tokens = [toks or ["\x00empty"] for toks in corpus_tokens]
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index(corpus_tokens, show_progress=False)
        if getattr(retriever, "nonoccurrence_array", None) is not None:  # pragma: no cover - not Lucene
            raise RuntimeError("BM25 variant with non-occurrence scores is not supported")
        self._vocab = {str(k): int(v) for k, v in retriever.vocab_dict.items()}
        self._stopwords = frozenset(STOPWORDS_EN)
        self._arrays = {name: retriever.scores[name] for name in _ARRAYS}

    def scores(self, query: str) -> Any:
        """BM25 score of every chunk for ``query`` (numpy float32 array, zeros when nothing matches)."""
        import numpy as np

        scores = np.zeros(self.size, dtype=np.float32)
        if not self.size:
            return scores
        ids = [self._vocab[t] for t in query_tokens(query, self._stopwords) if t in self._vocab]
        data, indices, indptr = (self._arrays[name] for name in _ARRAYS)
        last = len(indptr) - 1  # bm25s' vocabulary may hold one more (unscored) entry than the matrix
        for token_id in ids:  # a repeated query term counts again, as in bm25s
            if token_id >= last:
                continue
            start, end = int(indptr[token_id]), int(indptr[token_id + 1])
            np.add.at(scores, indices[start:end], data[start:end])
        return scores

    # ------------------------------------------------------------------ persistence
    def save(self, folder: Path, *, key: str) -> None:
        """Write the index to ``folder`` (atomically: a sibling temporary folder renamed into place)."""
        import numpy as np

        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
        try:
            for name in _ARRAYS:
                np.save(tmp / f"{name}.npy", np.asarray(self._arrays[name]), allow_pickle=False)
            meta = {"format": INDEX_FORMAT, "key": key, "size": self.size, "vocab": self._vocab,
                    "stopwords": sorted(self._stopwords)}
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
            os.replace(tmp, folder)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)  # another process saved it first, or a read-only store
            raise

    @classmethod
    def load(cls, folder: Path, *, key: str, size: int) -> LexicalIndex | None:
        """The index saved in ``folder`` for ``key`` and ``size`` chunks, or None."""
        import numpy as np

        folder = Path(folder)
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            if meta.get("format") != INDEX_FORMAT or meta.get("key") != key or meta.get("size") != size:
                return None
            arrays = {name: np.load(folder / f"{name}.npy", allow_pickle=False) for name in _ARRAYS}
            vocab = {str(k): int(v) for k, v in dict(meta["vocab"]).items()}
            stopwords = frozenset(str(w) for w in meta["stopwords"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if not 0 < len(arrays["indptr"]) <= len(vocab) + 1:
            return None
        index = cls()
        index.size, index._vocab, index._stopwords, index._arrays = size, vocab, stopwords, arrays
        return index

    @classmethod
    def cached(cls, texts: Sequence[str], folder: Path | None, *, key: str) -> LexicalIndex:
        """The index of ``texts``: loaded from ``folder`` when it holds the one for ``key``, else
        built and saved there for the next process (when ``folder`` is given and writable)."""
        if folder is not None:
            found = cls.load(folder, key=key, size=len(texts))
            if found is not None:
                return found
        index = cls(texts)
        if folder is not None and texts:
            try:
                if Path(folder).exists():
                    shutil.rmtree(folder, ignore_errors=True)  # a stale or damaged copy
                index.save(folder, key=key)
            except OSError:
                pass  # a cache only
        return index
