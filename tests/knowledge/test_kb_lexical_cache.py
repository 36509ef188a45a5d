"""The BM25 index: scores as bm25s computes them, kept per generation and loaded by later processes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from mlarchitect.knowledge.lexical import LexicalIndex, query_tokens, tokenize

QUERIES = [
    "combine keyword and vector search",
    "Caching the caches: retrieved chunks, overlapping windows!",
    "GPU p95 latency at 200 rps",
    "the of and",  # stop words only
    "chunk chunk chunk",  # a repeated term counts again
    "zzzz unknown",
]


def test_scores_are_bm25s_scores(shared_kb) -> None:
    import bm25s

    texts = shared_kb.searcher.ready().table.texts
    index = LexicalIndex(texts)
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index([t or ["\x00empty"] for t in tokenize(texts)], show_progress=False)
    for query in QUERIES:
        assert query_tokens(query, index._stopwords) == tokenize([query])[0], query
        tokens = [t for t in tokenize([query])[0] if t in reference.vocab_dict]
        expected = reference.get_scores(tokens) if tokens else np.zeros(len(texts))
        assert np.allclose(index.scores(query), expected), query


def test_saved_index_is_loaded_not_rebuilt(new_kb, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    new_kb.build()
    before = new_kb.search("keyword search fused with vectors", k=3, mode="bm25")
    store = new_kb.kb_dir / "stores" / json.loads((new_kb.kb_dir / "manifest.json").read_text())["store"]
    meta = json.loads((store / "bm25" / "meta.json").read_text())
    assert meta["key"] == new_kb.version and meta["size"] == sum(1 for _ in new_kb.searcher.ready().table.ids)

    def refuse(self, texts):  # a later instance must load the saved index
        raise AssertionError("BM25 index rebuilt")

    monkeypatch.setattr(LexicalIndex, "_build", refuse)
    from mlarchitect.knowledge import KnowledgeBase

    again = KnowledgeBase(new_kb.kb_dir, embedder=new_kb.embedder, patterns_dir=new_kb.patterns_dir)
    assert again.search("keyword search fused with vectors", k=3, mode="bm25") == before

    # a saved index for another version (or a damaged one) is rebuilt, not trusted
    meta["key"] = "something-else"
    (store / "bm25" / "meta.json").write_text(json.dumps(meta))
    monkeypatch.undo()
    third = KnowledgeBase(new_kb.kb_dir, embedder=new_kb.embedder, patterns_dir=new_kb.patterns_dir)
    assert third.search("keyword search fused with vectors", k=3, mode="bm25") == before
    assert json.loads((store / "bm25" / "meta.json").read_text())["key"] == new_kb.version


def test_a_new_generation_gets_its_own_index(new_kb, tmp_path) -> None:
    new_kb.build()
    new_kb.search("hybrid", k=1)
    doc = tmp_path / "quokka.md"
    doc.write_text("# Quokka ledger\n\nThe quokka ledger reconciles tenant credits nightly.\n")
    new_kb.add(doc)
    hits = new_kb.search("quokka ledger", k=1, mode="bm25")
    assert hits and hits[0].kind == "user"


def test_a_query_in_a_process_with_a_saved_index_does_not_import_bm25s(new_kb, helpers) -> None:
    new_kb.build()
    new_kb.search("hybrid", k=1)  # builds and saves the index
    code = (
        "import sys; from pathlib import Path\n"
        "from mlarchitect.knowledge import KnowledgeBase\n"
        f"kb = KnowledgeBase(Path({str(new_kb.kb_dir)!r}), patterns_dir=Path({str(new_kb.patterns_dir)!r}))\n"
        "assert kb.search('keyword search', k=2, mode='bm25')\n"
        "print('bm25s' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False,
                         env=helpers.child_env())
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
