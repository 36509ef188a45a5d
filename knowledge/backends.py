"""Where an index lives: the pointer to its current generation (the manifest), the writers'
lock, its store generations and users' documents.

* :class:`LocalBackend` (the default): everything under ``kb_dir`` (see :mod:`.base`); one
  ``filelock`` serialises writers, ``manifest.json`` is replaced atomically.
* :class:`mlarchitect.knowledge.server.ServerBackend`: a Chroma server shared by several
  processes or machines (``CHROMA_HOST``/``CHROMA_PORT``).

The indexer (:mod:`.indexer`) and the reader (:mod:`.retrieval`) only talk to this interface.
"""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from .manifest import MANIFEST_NAME, Manifest, read_manifest, write_manifest
from .store import ChunkTable, Store
from .userdocs import UserDocsDir, UserDocStore

LOCK_TIMEOUT_S = 300.0


class IndexStore(Protocol):
    """One index generation (embedded: :class:`.store.Store`; server: ``ServerStore``)."""

    name: str

    def quick_check(self) -> str | None: ...

    def create_collections(self) -> None: ...

    def add(self, kind: str, ids: Any, embeddings: Any, texts: Any, metas: Any) -> None: ...

    def delete_docs(self, kind: str, doc_ids: Any) -> None: ...

    def count(self, kind: str) -> int: ...

    def query(self, kind: str, embedding: Any, n: int, where: dict | None) -> list[tuple[str, float]]: ...

    def embeddings(self, kind: str, ids: Any) -> dict[str, Any]: ...

    def load_table(self) -> ChunkTable: ...

    def save_table(self, table: ChunkTable) -> None: ...

    def close(self) -> None: ...


class Backend(Protocol):
    user_docs: UserDocStore

    def describe(self) -> str: ...

    def read_manifest(self) -> tuple[Manifest | None, str | None]: ...

    def current_manifest(self) -> Manifest | None: ...

    def write_manifest(self, manifest: Manifest) -> None: ...

    def lock(self) -> AbstractContextManager[Any]: ...

    def store(self, name: str) -> IndexStore: ...

    def new_store(self, name: str, base: str | None) -> IndexStore: ...

    def discard(self, name: str) -> None: ...

    def garbage_collect(self, keep: set[str]) -> None: ...

    def size_bytes(self) -> int: ...

    def cache_dir(self, name: str) -> Path | None: ...


class LocalBackend:
    """The embedded store: ``manifest.json``, ``stores/<generation>/``, ``user-docs/`` in ``kb_dir``."""

    def __init__(self, kb_dir: Path) -> None:
        self.kb_dir = kb_dir
        self.user_docs: UserDocStore = UserDocsDir(kb_dir)
        self._file_lock: Any = None
        self._manifest: Manifest | None = None
        self._manifest_stat: tuple[int, int, int] | None = None
        self._manifest_lock = threading.Lock()

    def describe(self) -> str:
        return str(self.kb_dir)

    def read_manifest(self) -> tuple[Manifest | None, str | None]:
        return read_manifest(self.kb_dir)

    def current_manifest(self) -> Manifest | None:
        """The manifest, re-read only when the file changed on disk."""
        path = self.kb_dir / MANIFEST_NAME
        with self._manifest_lock:
            try:
                st = path.stat()
                key = (st.st_mtime_ns, st.st_size, st.st_ino)
            except OSError:
                self._manifest, self._manifest_stat = None, None
                return None
            if key != self._manifest_stat or self._manifest is None:
                self._manifest, _problem = read_manifest(self.kb_dir)
                self._manifest_stat = key if self._manifest is not None else None
            return self._manifest

    def write_manifest(self, manifest: Manifest) -> None:
        write_manifest(self.kb_dir, manifest)

    def lock(self) -> Any:
        if self._file_lock is None:
            from filelock import FileLock

            self.kb_dir.mkdir(parents=True, exist_ok=True)
            self._file_lock = FileLock(str(self.kb_dir / ".write.lock"), timeout=LOCK_TIMEOUT_S)
        return self._file_lock

    def store(self, name: str) -> Store:
        return Store(self.kb_dir / "stores" / name)

    def new_store(self, name: str, base: str | None) -> Store:
        """A new generation: a copy of ``base`` (closed, read-only) or empty collections."""
        store = self.store(name)
        store.path.mkdir(parents=True, exist_ok=True)
        if base is None:
            store.create_collections()
        else:
            self.store(base).copy_to(store)
        return store

    def discard(self, name: str) -> None:
        shutil.rmtree(self.store(name).path, ignore_errors=True)

    def garbage_collect(self, keep: set[str]) -> None:
        """Remove store generations not in ``keep`` (the previous one stays for readers that
        have not switched yet)."""
        stores = self.kb_dir / "stores"
        if not stores.is_dir():
            return
        for child in stores.iterdir():
            if child.name in keep:
                continue
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                try:
                    child.unlink()
                except OSError:
                    pass

    def size_bytes(self) -> int:
        size = 0
        for root, _dirs, files in os.walk(self.kb_dir):
            for name in files:
                try:
                    size += os.path.getsize(os.path.join(root, name))
                except OSError:
                    pass
        return size

    def cache_dir(self, name: str) -> Path | None:
        """A folder for derived data of generation ``name`` (the persisted BM25 index)."""
        return self.store(name).path / "bm25"
