"""The knowledge base on a Chroma server shared by several processes or machines.

Set ``CHROMA_HOST`` (and ``CHROMA_PORT``, default 8000) or ``chroma_host``/``chroma_port`` in the
config file; the embedded store in ``kb_dir`` stays the default. On the server, with collection
names under ``chroma_prefix`` (default ``mlarchitect``)::

    <prefix>-manifest                  its metadata holds the manifest: the current generation,
                                       embedder, chunker, one hash per document (the KB version)
    <prefix>-<generation>-pattern      one generation's chunks of the bundled patterns ...
    <prefix>-<generation>-user         ... and of users' documents (never modified once published)
    <prefix>-userdocs                  users' documents' texts (a rebuild re-indexes them)
    <prefix>-lock                      exists while a writer works (the writers' lock)

Every process decides whether to re-index from the manifest on the server, so processes that
share a server agree on one index and never re-index each other's data. Embeddings are always
computed here with the project's own embedder and passed to Chroma (collections have no
embedding function): nothing downloads a model, on either side.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlarchitect.errors import ConfigError

from .documents import SourceDoc
from .manifest import DocEntry, Manifest, parse_manifest
from .store import HNSW_CONFIG, ChunkTable, StoreDamaged, add_in_batches, chroma_settings, delete_documents

if TYPE_CHECKING:  # pragma: no cover
    from mlarchitect.config import Settings

MANIFEST_TTL_S = 1.0  # how long a reader trusts the manifest it read before asking the server again
LOCK_WAIT_S = 300.0
LOCK_STALE_S = 120.0  # a lock older than this was left by a writer that died
COPY_BATCH = 500
KIND_SUFFIX = {"pattern": "pattern", "user": "user"}


@dataclass(frozen=True)
class ChromaServer:
    """Where the shared knowledge base lives."""

    host: str
    port: int = 8000
    prefix: str = "mlarchitect"

    @property
    def key(self) -> str:
        return f"{self.host}:{self.port}/{self.prefix}"

    def describe(self) -> str:
        return f"chroma://{self.key}"


def server_from_settings(settings: Settings) -> ChromaServer | None:
    host = getattr(settings, "chroma_host", None)
    if not host:
        return None
    return ChromaServer(host=host, port=int(settings.chroma_port), prefix=settings.chroma_prefix)


def connect(server: ChromaServer) -> Any:
    """A Chroma ``HttpClient`` for ``server``, checked with a heartbeat; an unreachable server is
    one :class:`ConfigError` line naming the settings."""
    import chromadb

    try:
        client = chromadb.HttpClient(host=server.host, port=server.port, settings=chroma_settings())
        client.heartbeat()
    except Exception as exc:  # noqa: BLE001 - httpx, chromadb and OS errors alike mean "not reachable"
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ConfigError(
            f"CHROMA_HOST={server.host} CHROMA_PORT={server.port}: cannot reach the Chroma server ({reason})"
        ) from None
    return client


class ServerStore:
    """One generation on the server: two collections (patterns, users' documents)."""

    def __init__(self, backend: ServerBackend, name: str) -> None:
        self.backend = backend
        self.name = name
        self._collections: dict[str, Any] = {}

    def collection_name(self, kind: str) -> str:
        return f"{self.backend.server.prefix}-{self.name}-{KIND_SUFFIX[kind]}"

    def collection(self, kind: str, *, create: bool = False) -> Any:
        found = self._collections.get(kind)
        if found is not None:
            return found
        client = self.backend.client
        if create:
            col = client.get_or_create_collection(
                self.collection_name(kind), embedding_function=None, configuration={"hnsw": dict(HNSW_CONFIG)}
            )
        else:
            try:
                col = client.get_collection(self.collection_name(kind), embedding_function=None)
            except Exception as exc:
                raise StoreDamaged(f"collection {self.collection_name(kind)} missing on the server") from exc
        self._collections[kind] = col
        return col

    def quick_check(self) -> str | None:
        return None  # opening a generation counts its collections against the manifest

    def create_collections(self) -> None:
        for kind in KIND_SUFFIX:
            self.collection(kind, create=True)

    def add(self, kind: str, ids: Any, embeddings: Any, texts: Any, metas: Any) -> None:
        add_in_batches(self.collection(kind, create=True), ids, embeddings, texts, metas, batch=COPY_BATCH)

    def delete_docs(self, kind: str, doc_ids: Any) -> None:
        delete_documents(lambda: self.collection(kind, create=True), doc_ids)

    def count(self, kind: str) -> int:
        return int(self.collection(kind).count())

    def query(self, kind: str, embedding: Any, n: int, where: dict | None) -> list[tuple[str, float]]:
        result = self.collection(kind).query(
            query_embeddings=[list(embedding)], n_results=n, where=where, include=["distances"]
        )
        ids = result["ids"][0] if result["ids"] else []
        distances = result["distances"][0] if result.get("distances") else []
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances)]

    def embeddings(self, kind: str, ids: Any) -> dict[str, Any]:
        if not ids:
            return {}
        result = self.collection(kind).get(ids=list(ids), include=["embeddings"])
        return dict(zip(result["ids"], result["embeddings"]))

    def load_table(self) -> ChunkTable:
        """The chunk table (feeds BM25 and the filters), read from the collections: documents in
        the order they were indexed (by kind, document id, chunk index)."""
        rows: list[tuple[tuple[int, str, int], str, str, dict[str, Any]]] = []
        for order, kind in enumerate(KIND_SUFFIX):
            got = self.collection(kind).get(include=["documents", "metadatas"])
            for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"]):
                meta = dict(meta or {})
                rows.append(((order, str(meta.get("doc_id", "")), int(meta.get("chunk_index", 0))), cid, text, meta))
        rows.sort(key=lambda r: r[0])
        return ChunkTable([r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])

    def save_table(self, table: ChunkTable) -> None:
        pass  # the collections are the table

    def copy_from(self, base: ServerStore) -> None:
        for kind in KIND_SUFFIX:
            src = base.collection(kind)
            dst = self.collection(kind, create=True)
            got = src.get(include=["embeddings", "documents", "metadatas"])
            add_in_batches(dst, list(got["ids"]), got["embeddings"], list(got["documents"]), list(got["metadatas"]),
                           batch=COPY_BATCH)

    def close(self) -> None:
        self._collections.clear()


class ServerUserDocs:
    """Users' documents' texts in the ``<prefix>-userdocs`` collection (one record per document;
    the records are their own index, so a text cannot be lost apart from its entry)."""

    def __init__(self, backend: ServerBackend) -> None:
        self.backend = backend
        self.label = f"the server's {backend.server.prefix}-userdocs collection"

    def _collection(self) -> Any:
        return self.backend.client.get_or_create_collection(
            f"{self.backend.server.prefix}-userdocs", embedding_function=None
        )

    def _records(self) -> dict[str, tuple[str, dict[str, Any]]]:
        got = self._collection().get(include=["documents", "metadatas"])
        return {i: (d, dict(m or {})) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    def read_index(self) -> dict[str, dict[str, Any]]:
        return {i: {"source": m.get("source", i), "title": m.get("title", ""), "hash": m.get("hash", "")}
                for i, (_d, m) in self._records().items()}

    def write_index(self, docs: dict[str, DocEntry], lost: dict[str, dict[str, Any]]) -> None:
        pass  # each record is its own index entry

    def save(self, doc: SourceDoc) -> None:
        meta = {"source": doc.source, "title": doc.title, "hash": doc.content_hash,
                "added_at": datetime.now(UTC).isoformat(timespec="seconds")}
        self._collection().upsert(ids=[doc.doc_id], documents=[json.dumps(doc.to_record(), ensure_ascii=False)],
                                  metadatas=[meta], embeddings=[[1.0]])

    def load(self, doc_id: str) -> SourceDoc | None:
        got = self._collection().get(ids=[doc_id], include=["documents"])
        if not got["ids"]:
            return None
        try:
            return SourceDoc.from_record(json.loads(got["documents"][0]))
        except (ValueError, TypeError, KeyError):
            return None

    def load_all(self) -> dict[str, SourceDoc]:
        out: dict[str, SourceDoc] = {}
        for _i, (text, _m) in sorted(self._records().items()):
            try:
                doc = SourceDoc.from_record(json.loads(text))
            except (ValueError, TypeError, KeyError):
                continue
            out[doc.doc_id] = doc
        return out

    def exists(self, doc_id: str) -> bool:
        return bool(self._collection().get(ids=[doc_id], include=[])["ids"])

    def added_at(self, doc_id: str) -> str | None:
        got = self._collection().get(ids=[doc_id], include=["metadatas"])
        return str((got["metadatas"][0] or {}).get("added_at")) if got["ids"] else None

    def prune(self, keep: set[str]) -> None:
        col = self._collection()
        stale = [i for i in col.get(include=[])["ids"] if i not in keep]
        if stale:
            col.delete(ids=stale)

    def migrate_legacy(self) -> None:
        pass


class ServerBackend:
    """The index on a Chroma server (see the module's docstring)."""

    def __init__(self, server: ChromaServer, kb_dir: Path) -> None:
        self.server = server
        self.kb_dir = kb_dir  # only for local caches of derived data (the BM25 index)
        self.user_docs = ServerUserDocs(self)
        self._client: Any = None
        self._lock = threading.Lock()
        self._manifest: Manifest | None = None
        self._manifest_read = 0.0

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = connect(self.server)
        return self._client

    def describe(self) -> str:
        return self.server.describe()

    def _meta_collection(self) -> Any:
        return self.client.get_or_create_collection(f"{self.server.prefix}-manifest", embedding_function=None)

    # -- the manifest ------------------------------------------------------------------------
    def read_manifest(self) -> tuple[Manifest | None, str | None]:
        raw = (self._meta_collection().metadata or {}).get("manifest")
        if not raw:
            return None, "no index yet"
        manifest, problem = parse_manifest(raw)
        if manifest is None:
            return None, problem
        with self._lock:
            self._manifest, self._manifest_read = manifest, time.monotonic()
        return manifest, None

    def current_manifest(self) -> Manifest | None:
        """The manifest, asked of the server again after :data:`MANIFEST_TTL_S`."""
        with self._lock:
            if self._manifest is not None and time.monotonic() - self._manifest_read < MANIFEST_TTL_S:
                return self._manifest
        manifest, _problem = self.read_manifest()
        return manifest

    def write_manifest(self, manifest: Manifest) -> None:
        self._meta_collection().modify(metadata={"manifest": manifest.model_dump_json()})
        with self._lock:
            self._manifest, self._manifest_read = manifest, time.monotonic()

    # -- the writers' lock -------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        name = f"{self.server.prefix}-lock"
        owner = uuid.uuid4().hex
        deadline = time.monotonic() + LOCK_WAIT_S
        while True:
            try:
                self.client.create_collection(name, metadata={"owner": owner, "at": time.time()},
                                              embedding_function=None)
                break
            except Exception:  # noqa: BLE001 - it exists: another writer holds it
                try:
                    held = self.client.get_collection(name, embedding_function=None).metadata or {}
                    if time.time() - float(held.get("at", 0)) > LOCK_STALE_S:
                        self.client.delete_collection(name)  # left by a writer that died
                        continue
                except Exception:  # noqa: BLE001 - released meanwhile: try again
                    continue
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the knowledge base on {self.describe()} stayed locked by another writer")
                time.sleep(0.2)
        try:
            yield
        finally:
            try:
                held = self.client.get_collection(name, embedding_function=None).metadata or {}
                if held.get("owner") == owner:
                    self.client.delete_collection(name)
            except Exception:  # noqa: BLE001 - gone already
                pass

    # -- generations -------------------------------------------------------------------------
    def store(self, name: str) -> ServerStore:
        return ServerStore(self, name)

    def new_store(self, name: str, base: str | None) -> ServerStore:
        store = self.store(name)
        store.create_collections()
        if base is not None:
            store.copy_from(self.store(base))
        return store

    def _generation_collections(self) -> list[str]:
        prefix = f"{self.server.prefix}-g"
        names = [c if isinstance(c, str) else c.name for c in self.client.list_collections()]
        return [n for n in names if n.startswith(prefix)]

    def discard(self, name: str) -> None:
        for kind in KIND_SUFFIX:
            try:
                self.client.delete_collection(self.store(name).collection_name(kind))
            except Exception:  # noqa: BLE001 - never created
                pass

    def garbage_collect(self, keep: set[str]) -> None:
        wanted = {self.store(n).collection_name(k) for n in keep for k in KIND_SUFFIX}
        for name in self._generation_collections():
            if name not in wanted:
                try:
                    self.client.delete_collection(name)
                except Exception:  # noqa: BLE001 - another writer removed it
                    pass

    def size_bytes(self) -> int:
        return 0  # not known from a client

    def cache_dir(self, name: str) -> Path | None:
        """A local folder for derived data of generation ``name`` (the BM25 index); the folders of
        this server's older generations go (their indexes, if in use, are in memory)."""
        import shutil

        root = self.kb_dir / "server-cache"
        stem = f"{self.server.prefix}-{self.server.host}-{self.server.port}-"
        if root.is_dir():
            for child in root.iterdir():
                if child.name.startswith(stem) and child.name != stem + name:
                    shutil.rmtree(child, ignore_errors=True)
        return root / (stem + name)
