"""One immutable-once-published index generation: a persistent Chroma store plus its chunk table.

Layout of ``<kb_dir>/stores/<name>/``::

    chroma/        chromadb.PersistentClient directory (two collections: patterns, user docs)
    chunks.json    ids, texts and metadata of every chunk (feeds the BM25 leg and the filters)

Chroma is always given our own embeddings (``embeddings=`` / ``query_embeddings=``) and
its collections are created with ``embedding_function=None``: its default embedding
function, which downloads a model, is never involved.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COLLECTIONS = {"pattern": "kb_patterns", "user": "kb_user_docs"}
SQLITE_MAGIC = b"SQLite format 3\x00"
ADD_BATCH = 1000
# Cosine space; a better-connected graph than Chroma's defaults (16 / 100 / 100): the collections
# here are small (hundreds to tens of thousands of chunks), so exactness matters more than speed.
# ``sync_threshold`` 1: the HNSW segment is saved after every add call (``ADD_BATCH`` rows), not once
# 1000 rows have come in (Chroma's default). With the default, the bundled 528 chunks were never
# saved, and every process that opened the store rebuilt the graph from Chroma's log (~0.1 s CPU).
# Chroma keeps one shared system per path in a class-level cache; opening and closing clients
# from several threads at once races in it, so every open and close goes through this lock.
_CHROMA_LOCK = threading.RLock()
HNSW_CONFIG = {"space": "cosine", "max_neighbors": 32, "ef_construction": 200, "ef_search": 200, "sync_threshold": 1}


class StoreDamaged(Exception):
    """The store on disk cannot be trusted; the caller rebuilds it."""


def chroma_settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False)


def is_chroma_error(exc: BaseException) -> bool:
    """Errors from chromadb (or its Rust bindings' panics) that mean a damaged store."""
    module = type(exc).__module__ or ""
    return module.startswith("chromadb") or type(exc).__name__ == "PanicException"


@dataclass
class ChunkTable:
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    metas: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def without_docs(self, doc_ids: set[str]) -> ChunkTable:
        keep = [i for i, m in enumerate(self.metas) if m.get("doc_id") not in doc_ids]
        return ChunkTable([self.ids[i] for i in keep], [self.texts[i] for i in keep], [self.metas[i] for i in keep])

    def extend(self, ids: Sequence[str], texts: Sequence[str], metas: Sequence[dict[str, Any]]) -> None:
        self.ids.extend(ids)
        self.texts.extend(texts)
        self.metas.extend(metas)

    def save(self, path: Path) -> None:
        data = {"ids": self.ids, "texts": self.texts, "metas": self.metas}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False))
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> ChunkTable:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            table = cls(list(data["ids"]), list(data["texts"]), list(data["metas"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreDamaged(f"chunk table unreadable: {type(exc).__name__}") from exc
        if not (len(table.ids) == len(table.texts) == len(table.metas)):
            raise StoreDamaged("chunk table inconsistent")
        return table


class Store:
    """A store directory; the Chroma client is opened on first use and closed by :meth:`close`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = self.path.name
        self.chroma_dir = self.path / "chroma"
        self.chunks_path = self.path / "chunks.json"
        self._client: Any = None
        self._collections: dict[str, Any] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def quick_check(self) -> str | None:
        """Cheap structural checks (no Chroma import); a problem description or None."""
        sqlite_path = self.chroma_dir / "chroma.sqlite3"
        try:
            with open(sqlite_path, "rb") as f:
                if f.read(16) != SQLITE_MAGIC:
                    return "store damaged: not an SQLite database"
        except FileNotFoundError:
            return "store missing"
        except OSError as exc:
            return f"store unreadable: {exc}"
        if not self.chunks_path.is_file():
            return "store damaged: chunk table missing"
        return None

    @property
    def client(self) -> Any:
        if self._client is None:
            with _CHROMA_LOCK:
                if self._client is None:
                    import chromadb

                    self.chroma_dir.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(self.chroma_dir), settings=chroma_settings())
        return self._client

    def collection(self, kind: str, *, create: bool = False) -> Any:
        found = self._collections.get(kind)
        if found is not None:
            return found
        with _CHROMA_LOCK:
            name = COLLECTIONS[kind]
            if create:
                col = self.client.get_or_create_collection(
                    name, embedding_function=None, configuration={"hnsw": dict(HNSW_CONFIG)}
                )
            else:
                col = self.client.get_collection(name, embedding_function=None)
            self._collections[kind] = col
        return col

    def create_collections(self) -> None:
        for kind in COLLECTIONS:
            self.collection(kind, create=True)

    def close(self) -> None:
        with _CHROMA_LOCK:
            self._collections.clear()
            if self._client is not None:
                client, self._client = self._client, None
                try:
                    client.close()
                except Exception:  # noqa: BLE001 - closing a broken store must not raise
                    pass

    def copy_to(self, target: Store) -> None:
        """Copy this (closed or read-only) store into ``target``: SQLite through its backup API
        (a consistent snapshot), the HNSW segment folders as files."""
        target.chroma_dir.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{self.chroma_dir / 'chroma.sqlite3'}?mode=ro", uri=True)
        try:
            dst = sqlite3.connect(str(target.chroma_dir / "chroma.sqlite3"))
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        for child in self.chroma_dir.iterdir():
            if child.is_dir():
                shutil.copytree(child, target.chroma_dir / child.name)
        shutil.copy2(self.chunks_path, target.chunks_path)

    def load_table(self) -> ChunkTable:
        return ChunkTable.load(self.chunks_path)

    def save_table(self, table: ChunkTable) -> None:
        table.save(self.chunks_path)

    # -- writes ----------------------------------------------------------------------------
    def add(self, kind: str, ids: Sequence[str], embeddings: Any, texts: Sequence[str], metas: Sequence[dict]) -> None:
        add_in_batches(self.collection(kind, create=True), ids, embeddings, texts, metas, batch=ADD_BATCH)

    def delete_docs(self, kind: str, doc_ids: Iterable[str]) -> None:
        delete_documents(lambda: self.collection(kind, create=True), doc_ids)

    # -- reads -----------------------------------------------------------------------------
    def count(self, kind: str) -> int:
        return int(self.collection(kind).count())

    def query(self, kind: str, embedding: Sequence[float], n: int, where: dict | None) -> list[tuple[str, float]]:
        """``(chunk id, cosine similarity)`` best first."""
        col = self.collection(kind)
        result = col.query(query_embeddings=[list(embedding)], n_results=n, where=where, include=["distances"])
        ids = result["ids"][0] if result["ids"] else []
        distances = result["distances"][0] if result.get("distances") else []
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances)]

    def embeddings(self, kind: str, ids: Sequence[str]) -> dict[str, Any]:
        if not ids:
            return {}
        result = self.collection(kind).get(ids=list(ids), include=["embeddings"])
        return dict(zip(result["ids"], result["embeddings"]))


def add_in_batches(col: Any, ids: Sequence[str], embeddings: Any, texts: Sequence[str], metas: Sequence[dict],
                   *, batch: int) -> None:
    """Add rows to a Chroma collection (embedded or on a server) ``batch`` at a time."""
    for start in range(0, len(ids), batch):
        end = start + batch
        col.add(
            ids=list(ids[start:end]),
            embeddings=embeddings[start:end],
            documents=list(texts[start:end]),
            metadatas=[_chroma_meta(m) for m in metas[start:end]],
        )


def delete_documents(collection: Callable[[], Any], doc_ids: Iterable[str], *, batch: int = 500) -> None:
    """Delete every chunk of ``doc_ids`` from a Chroma collection (embedded or on a server),
    opened only when there is something to delete."""
    ids = sorted(set(doc_ids))
    if not ids:
        return
    col = collection()
    for start in range(0, len(ids), batch):
        col.delete(where={"doc_id": {"$in": ids[start : start + batch]}})


def _chroma_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata: scalars and non-empty lists of strings only (None and [] dropped)."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            if value:
                out[key] = [str(v) for v in value]
        else:
            out[key] = value
    return out
