"""The read side of the knowledge base: hybrid search (dense + BM25, fused by reciprocal rank).

A :class:`Searcher` follows the manifest: when it points at a new generation (another process or
thread wrote), the next search opens it. A generation is verified when opened (chunk counts, a
dense index that finds its own vectors); a damaged one is handed to the indexer to rebuild.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Literal

from .filters import Filters
from .fusion import RRF_K, reciprocal_rank_fusion
from .manifest import Manifest
from .models import Hit
from .store import ChunkTable, StoreDamaged, is_chroma_error

if TYPE_CHECKING:  # pragma: no cover
    from .backends import IndexStore
    from .indexer import Indexer
    from .lexical import LexicalIndex

Mode = Literal["hybrid", "dense", "bm25"]
KINDS = ("pattern", "user")


class OpenGeneration:
    """An opened, verified store generation plus its BM25 index (loaded or built on first use)."""

    def __init__(self, store: IndexStore, table: ChunkTable, manifest: Manifest, cache: Any = None) -> None:
        self.name = manifest.store
        self.manifest = manifest
        self.store = store
        self.table = table
        self.id_index = {cid: i for i, cid in enumerate(table.ids)}
        self._cache = cache  # a folder for the persisted BM25 index, or None
        self._lexical: LexicalIndex | None = None
        self._masks: dict[Filters, Any] = {}
        self._lock = threading.Lock()

    @property
    def lexical(self) -> LexicalIndex:
        if self._lexical is None:
            with self._lock:
                if self._lexical is None:
                    from .lexical import LexicalIndex

                    self._lexical = LexicalIndex.cached(self.table.texts, self._cache, key=self.manifest.version())
        return self._lexical

    def mask(self, filters: Filters) -> Any:
        found = self._masks.get(filters)
        if found is None:
            import numpy as np

            found = np.fromiter((filters.matches(m) for m in self.table.metas), dtype=bool, count=len(self.table))
            with self._lock:
                if len(self._masks) > 64:
                    self._masks.clear()
                self._masks[filters] = found
        return found

    def close(self) -> None:
        self.store.close()


class Searcher:
    """Searches the current generation of ``indexer.backend``."""

    def __init__(self, indexer: Indexer) -> None:
        self.indexer = indexer
        self.backend = indexer.backend
        self._open: OpenGeneration | None = None
        self._retired: list[OpenGeneration] = []  # replaced generations, closed one switch later
        # Fusion parameters: k of reciprocal rank fusion, and the weights of the (dense, BM25) legs.
        self.rrf_k = RRF_K
        self.rrf_weights: tuple[float, float] = (1.0, 1.0)

    # ------------------------------------------------------------------ search
    def search(
        self,
        query: str,
        k: int,
        *,
        filters: Filters,
        mode: Mode = "hybrid",
        min_score: float | None = None,
        dedupe: bool = False,
    ) -> list[Hit]:
        if mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"unknown search mode {mode!r}: use hybrid, dense or bm25")
        if k <= 0 or not query or not query.strip():
            return []
        for attempt in range(2):
            opened = self.ready()
            try:
                return self._search(opened, query, k, filters, mode, min_score, dedupe)
            except Exception as exc:
                if attempt or not (isinstance(exc, StoreDamaged) or is_chroma_error(exc)):
                    raise
                current = self.backend.current_manifest()
                if current is not None and current.store != opened.name:
                    continue  # a newer generation replaced this one meanwhile: just retry on it
                self._recover(opened.name, f"store damaged: {type(exc).__name__}: {exc}")
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self.indexer.lock:
            for opened in [*self._retired, self._open]:
                if opened is not None:
                    opened.close()
            self._retired.clear()
            self._open = None

    # ------------------------------------------------------------------ opening generations
    def ready(self) -> OpenGeneration:
        opened = self._open
        if opened is not None and self.indexer.checked:
            manifest = self.backend.current_manifest()
            if manifest is not None and manifest.store == opened.name:
                return opened  # the hot path: no lock
        with self.indexer.lock:
            return self._ready_locked()

    def _retire(self, opened: OpenGeneration) -> None:
        """Stop using ``opened``; close it later, so that a search still running on it can finish."""
        for old in self._retired:
            old.close()
        self._retired = [opened]

    def _ready_locked(self) -> OpenGeneration:
        indexer = self.indexer
        if not indexer.checked:
            indexer.ensure_built()
        for attempt in range(2):
            manifest = self.backend.current_manifest()
            if manifest is None or indexer.quick_problem(manifest) is not None:
                indexer.ensure_built()
                manifest = self.backend.current_manifest()
                if manifest is None:
                    raise RuntimeError(f"knowledge base at {self.backend.describe()} could not be built")
            if self._open is not None and self._open.name == manifest.store:
                return self._open
            if self._open is not None:
                self._retire(self._open)
                self._open = None
            try:
                self._open = self._open_generation(manifest)
                return self._open
            except StoreDamaged as exc:
                if attempt:
                    raise
                self._recover(manifest.store, str(exc))
        raise AssertionError("unreachable")  # pragma: no cover

    def _open_generation(self, manifest: Manifest) -> OpenGeneration:
        store = self.backend.store(manifest.store)
        problem = store.quick_check()
        if problem:
            raise StoreDamaged(problem)
        try:
            table = store.load_table()
            if len(table) != manifest.chunk_count:
                raise StoreDamaged(f"chunk table has {len(table)} chunks, manifest {manifest.chunk_count}")
            for kind in KINDS:
                expected = manifest.count(kind)
                actual = store.count(kind)
                if actual != expected:
                    raise StoreDamaged(f"{kind} collection has {actual} chunks, manifest {expected}")
            _canary(store, table)
        except StoreDamaged:
            store.close()
            raise
        except Exception as exc:
            store.close()
            if is_chroma_error(exc):
                raise StoreDamaged(f"store damaged: {type(exc).__name__}: {exc}") from exc
            raise
        return OpenGeneration(store, table, manifest, cache=self.backend.cache_dir(manifest.store))

    def _recover(self, damaged_store: str, reason: str) -> None:
        with self.indexer.lock:
            if self._open is not None and self._open.name == damaged_store:
                self._retire(self._open)
                self._open = None
            self.indexer.recover(damaged_store, reason)

    # ------------------------------------------------------------------ the search itself
    def _search(
        self,
        opened: OpenGeneration,
        query: str,
        k: int,
        filters: Filters,
        mode: Mode,
        min_score: float | None,
        dedupe: bool,
    ) -> list[Hit]:
        import numpy as np

        manifest = opened.manifest
        depth = max(50, 5 * k)
        kinds = [kind for kind in filters.kinds if manifest.count(kind) > 0]
        table = opened.table

        dense: list[tuple[int, float]] = []
        qvec: list[float] | None = None
        if mode in ("dense", "hybrid") and kinds:
            qvec = [float(x) for x in self.indexer.embed([query])[0]]
            where = filters.where()
            found: list[tuple[str, float]] = []
            for kind in kinds:
                n = min(depth, manifest.count(kind))
                found.extend(opened.store.query(kind, qvec, n, where))
            found.sort(key=lambda item: -item[1])
            dense = [(opened.id_index[cid], sim) for cid, sim in found[:depth] if cid in opened.id_index]

        lexical: list[tuple[int, float]] = []
        if mode in ("bm25", "hybrid") and kinds and len(table):
            scores = opened.lexical.scores(query)
            scores = np.where(opened.mask(filters), scores, 0.0)
            positive = int(np.count_nonzero(scores > 0))
            if positive:
                top = np.argsort(-scores, kind="stable")[: min(depth, positive)]
                lexical = [(int(i), float(scores[i])) for i in top]

        similarity: dict[int, float] = dict(dense)
        if mode == "dense":
            ranked = [(i, s) for i, s in dense]
        elif mode == "bm25":
            ranked = lexical
        else:
            ranked = reciprocal_rank_fusion(
                [[i for i, _ in dense], [i for i, _ in lexical]], k=self.rrf_k, weights=self.rrf_weights
            )
            # Similarity of BM25-only candidates: all of them when a floor must be applied, else
            # only those that can make it into the results.
            window = ranked if min_score is not None else ranked[: 3 * k]
            missing = [i for i, _ in window if i not in similarity]
            if missing and qvec is not None:
                _fill_similarity(opened, qvec, missing, similarity)

        hits: list[Hit] = []
        seen_docs: set[str] = set()
        for index, score in ranked:
            sim = similarity.get(index)
            if min_score is not None:
                floor_value = score if mode == "bm25" else sim
                if floor_value is None or floor_value < min_score:
                    continue
            meta = table.metas[index]
            doc_id = meta["doc_id"]
            if dedupe and doc_id in seen_docs:
                continue
            seen_docs.add(doc_id)
            hits.append(
                Hit(
                    doc_id=doc_id,
                    title=meta.get("title") or doc_id,
                    chunk=table.texts[index],
                    score=round(float(score), 6),
                    source=meta.get("source") or "",
                    workflow=meta.get("workflow"),
                    tags=list(meta.get("tags") or []),
                    skills=list(meta.get("skills") or []),
                    section=meta.get("section"),
                    kind=meta.get("kind") or "pattern",
                    similarity=None if sim is None else round(float(sim), 6),
                    chunk_id=table.ids[index],
                )
            )
            if len(hits) >= k:
                break
        return hits


def _canary(store: IndexStore, table: ChunkTable) -> None:
    """The dense index must find a stored vector as its own nearest neighbour."""
    for kind in KINDS:
        ids = [cid for cid, m in zip(table.ids, table.metas) if m.get("kind") == kind][:1]
        if not ids:
            continue
        vectors = store.embeddings(kind, ids)
        if ids[0] not in vectors:
            raise StoreDamaged(f"{kind} collection lost chunk {ids[0]}")
        found = store.query(kind, vectors[ids[0]], 1, None)
        if not found or (found[0][0] != ids[0] and found[0][1] < 0.999):
            raise StoreDamaged(f"{kind} dense index inconsistent")


def _fill_similarity(opened: OpenGeneration, qvec: list[float], indexes: list[int], out: dict[int, float]) -> None:
    import numpy as np

    q = np.asarray(qvec, dtype=np.float32)
    qn = float(np.linalg.norm(q)) or 1.0
    by_kind: dict[str, list[str]] = {}
    for i in indexes:
        by_kind.setdefault(opened.table.metas[i].get("kind", "pattern"), []).append(opened.table.ids[i])
    for kind, ids in by_kind.items():
        for cid, vec in opened.store.embeddings(kind, ids).items():
            v = np.asarray(vec, dtype=np.float32)
            out[opened.id_index[cid]] = float(v @ q) / ((float(np.linalg.norm(v)) or 1.0) * qn)
