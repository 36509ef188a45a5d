"""Building, searching, filtering, incremental re-indexing and embedder changes, on real Chroma."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlarchitect.knowledge import Hit, KnowledgeBase


# ---------------------------------------------------------------- search (shared, read-only KB)
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_each_mode_finds_the_obvious_document(shared_kb, mode: str) -> None:
    hits = shared_kb.search("combine BM25 keyword search with dense vector search", k=3, mode=mode)
    assert hits and isinstance(hits[0], Hit)
    assert hits[0].doc_id == "hybrid-search"
    top = hits[0]
    assert top.title == "Hybrid search" and top.source == "patterns/hybrid.md" and top.kind == "pattern"
    assert top.workflow == "rag_system" and top.skills == ["rag-design"] and "bm25" in top.tags
    assert top.chunk.startswith("Hybrid search")  # chunks carry their document title
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_hybrid_scores_are_rrf_and_carry_similarity(shared_kb) -> None:
    hits = shared_kb.search("canary rollout of a new model version", k=5)
    assert hits[0].doc_id == "canary-release"
    assert all(0 < h.score <= 2 / 61 + 1e-6 for h in hits)
    assert all(h.similarity is not None and -1 <= h.similarity <= 1 for h in hits)


def test_k_bounds_and_empty_query(shared_kb) -> None:
    assert len(shared_kb.search("model", k=2)) == 2
    assert shared_kb.search("   ") == []
    assert shared_kb.search("model", k=0) == []
    with pytest.raises(ValueError):
        shared_kb.search("model", mode="sparse")  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_filters_apply_to_both_legs(shared_kb, mode: str) -> None:
    query = "how to measure and roll out models"
    for hit in shared_kb.search(query, k=10, mode=mode, workflow="model_serving"):
        assert hit.workflow == "model_serving"
    skill_hits = shared_kb.search(query, k=10, mode=mode, skill="evaluation-metrics")
    assert {h.doc_id for h in skill_hits} <= {"llm-as-judge"}
    tag_hits = shared_kb.search("search and drift", k=10, mode=mode, tags=["drift", "bm25"])
    assert {h.doc_id for h in tag_hits} <= {"drift-detection", "hybrid-search"}
    # A document listed under several workflows matches each of them.
    multi = shared_kb.search("random seed and code commit", k=10, mode=mode, workflow="general")
    assert {h.doc_id for h in multi} == {"experiment-reproducibility"}
    src = shared_kb.search("chunk size and overlap", k=10, mode=mode, source="patterns/chunking.md")
    assert src and {h.source for h in src} == {"patterns/chunking.md"}
    assert shared_kb.search(query, k=10, mode=mode, workflow="no_such_workflow") == []


def test_user_docs_are_searched_unless_excluded(shared_kb) -> None:
    query = "vector database down runbook on-call"
    assert shared_kb.search(query, k=1)[0].doc_id == "team-notes/runbook.md"
    assert shared_kb.search(query, k=1, source="user")[0].kind == "user"
    assert all(h.kind == "pattern" for h in shared_kb.search(query, k=10, include_user_docs=False))
    assert all(h.kind == "pattern" for h in shared_kb.search(query, k=10, source="patterns"))
    assert shared_kb.search(query, k=10, source="user", include_user_docs=False) == []


def test_similarity_floor(shared_kb) -> None:
    query = "population stability index for drifting features"
    all_hits = shared_kb.search(query, k=10)
    floor = all_hits[0].similarity - 1e-6
    floored = shared_kb.search(query, k=10, min_score=floor)
    assert floored and all(h.similarity >= floor for h in floored)
    assert len(floored) < len(all_hits)
    assert shared_kb.search(query, k=10, mode="dense", min_score=1.01) == []
    bm25 = shared_kb.search(query, k=10, mode="bm25")
    assert shared_kb.search(query, k=10, mode="bm25", min_score=bm25[0].score + 1) == []


def test_dedupe_keeps_one_chunk_per_document(shared_kb) -> None:
    hits = shared_kb.search("chunk size overlap chunking", k=10, dedupe=True)
    ids = [h.doc_id for h in hits]
    assert len(ids) == len(set(ids))
    assert len(shared_kb.search("chunk size overlap chunking", k=10, source="patterns/chunking.md")) > 1


def test_stats_and_version(shared_kb) -> None:
    stats = shared_kb.stats()
    assert stats.documents == 7 and stats.pattern_documents == 6 and stats.user_documents == 1
    assert stats.chunks >= 7 and stats.size_bytes > 0
    assert stats.embedder == shared_kb.embedder.name and stats.embedder.startswith("model2vec:")
    assert stats.index_version == shared_kb.version and len(shared_kb.version) == 12
    assert shared_kb.ensure_built() is None  # nothing changed: cheap path


# ---------------------------------------------------------------- incremental re-indexing
def test_incremental_reindex(new_kb, helpers) -> None:
    first = new_kb.ensure_built()
    assert first is not None and first.rebuilt and first.added == 6
    version = new_kb.version
    assert new_kb.ensure_built() is None
    report = new_kb.build()
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, 6) and not report.rebuilt

    patterns = new_kb.patterns_dir
    (patterns / "canary.md").write_text(
        helpers.patterns["canary.md"].replace("1 to 5 percent", "an ocelot-sized 2 percent")
    )
    (patterns / "drift.md").unlink()
    (patterns / "new.md").write_text(
        "---\nid: new-doc\ntitle: Brand new\nworkflow: general\n---\n\nThe capybara pattern.\n"
    )
    (patterns / "broken.md").write_bytes(b"---\nid: broken\n---\n\xff\xfe\xfa bad bytes")
    report = new_kb.ensure_built()
    assert report is not None and not report.rebuilt
    assert (report.added, report.updated, report.removed, report.unchanged) == (1, 1, 1, 4)
    assert [Path(s.path).name for s in report.skipped] == ["broken.md"]
    assert new_kb.version != version

    # Changed content replaced (both legs), deleted document gone, new one found.
    for mode in ("bm25", "dense", "hybrid"):
        canary_chunks = [
            h.chunk for h in new_kb.search("canary share of traffic", k=10, mode=mode) if h.doc_id == "canary-release"
        ]
        assert canary_chunks and all("ocelot" in c for c in canary_chunks)
        assert all(
            h.doc_id != "drift-detection" for h in new_kb.search("population stability index drift", k=10, mode=mode)
        )
    assert new_kb.search("capybara", k=1, mode="bm25")[0].doc_id == "new-doc"
    assert new_kb.stats().documents == 6
    # A skipped file does not make every later check re-scan.
    fresh = KnowledgeBase(new_kb.kb_dir, embedder=new_kb.embedder, patterns_dir=patterns)
    assert fresh.ensure_built() is None


def test_force_rebuild_and_generations_are_swapped(new_kb) -> None:
    new_kb.build()
    before = json.loads((new_kb.kb_dir / "manifest.json").read_text())
    report = new_kb.build(force=True)
    assert report.rebuilt and report.reason == "forced" and report.added == 6
    after = json.loads((new_kb.kb_dir / "manifest.json").read_text())
    assert after["store"] != before["store"] and after["generation"] == before["generation"] + 1
    assert new_kb.search("canary", k=1)[0].doc_id == "canary-release"
    new_kb.build(force=True)
    # Older generations are garbage-collected (the previous one is kept for readers).
    assert len(list((new_kb.kb_dir / "stores").iterdir())) <= 2


class RenamedEmbedder:
    """The real embedder under another name: what a changed embedder looks like to the index."""

    def __init__(self, inner, name: str) -> None:
        self.inner = inner
        self._name = name
        self.calls = 0

    @property
    def name(self) -> str:
        return self._name

    def embed(self, texts):
        self.calls += 1
        return self.inner.embed(texts)


def test_embedder_mismatch_triggers_reindex(new_kb, embedder) -> None:
    new_kb.build()
    new_kb.add_texts([("notes/a.md", "# Axolotl notes\n\nAxolotl retrieval notes.", {})])
    other = RenamedEmbedder(embedder, "test:other-embedder")
    kb2 = KnowledgeBase(new_kb.kb_dir, embedder=other, patterns_dir=new_kb.patterns_dir)
    report = kb2.ensure_built()
    assert report is not None and report.rebuilt and "embedder changed" in (report.reason or "")
    assert report.added == 7  # the user document is re-indexed from its saved text
    assert other.calls > 0
    assert kb2.stats().embedder == "test:other-embedder"
    assert kb2.search("axolotl", k=1)[0].doc_id == "notes/a.md"
    assert kb2.version != new_kb.version or new_kb.stats().embedder == "test:other-embedder"
    kb2.close()


def test_chunker_change_triggers_reindex(new_kb, embedder) -> None:
    new_kb.build()
    kb2 = KnowledgeBase(new_kb.kb_dir, embedder=embedder, patterns_dir=new_kb.patterns_dir, chunk_chars=500)
    report = kb2.ensure_built()
    assert report is not None and report.rebuilt and "chunker changed" in (report.reason or "")
    kb2.close()


def test_bundled_patterns_are_well_formed_and_build(tmp_path: Path, embedder) -> None:
    """The real bundled corpus: every file has front matter with an id, and it indexes cleanly."""
    from mlarchitect.knowledge import default_patterns_dir
    from mlarchitect.knowledge.documents import load_pattern, split_front_matter

    files = sorted(default_patterns_dir().glob("*.md"))
    assert files, "no bundled pattern documents"
    ids = set()
    for path in files:
        meta, _ = split_front_matter(path.read_text(encoding="utf-8"))
        assert meta.get("id") and meta.get("title"), path.name
        ids.add(load_pattern(path).doc_id)
    assert len(ids) == len(files), "duplicate pattern ids"
    kb = KnowledgeBase(tmp_path / "kb", embedder=embedder)
    report = kb.build()
    assert report.added == len(files) and not report.skipped
    assert kb.search("reciprocal rank fusion of keyword and vector search", k=5)
    kb.close()


def test_a_written_store_has_its_vector_index_saved(shared_kb) -> None:
    """Every chunk is in the saved HNSW segments (``index_metadata.pickle``), so a new process
    loads the graph instead of rebuilding it from Chroma's log on its first query."""
    import pickle

    opened = shared_kb.searcher.ready()
    saved: set[str] = set()
    for meta in sorted(opened.store.chroma_dir.glob("*/index_metadata.pickle")):
        with open(meta, "rb") as f:
            saved |= set(pickle.load(f)["id_to_label"])
    assert saved == set(opened.table.ids)
