"""The knowledge base: bundled patterns + users' documents, hybrid retrieval, incremental indexing.

On disk (``kb_dir``)::

    manifest.json             the current store, embedder, chunker, one content hash per document
    stores/<generation>/      an index generation (Chroma store + chunk table), never modified once
                              published; writers build the next one (copying the current store and
                              applying the changes, or from scratch) and then swap the manifest
    user-docs/                users' documents, the source of truth apart from the derived index:
      manifest.json           one entry per document (id, source, title, hash, file)
      <id-hash>.json          its extracted text and metadata, so a rebuild (new embedder, damaged
                              or deleted index) re-indexes it without the original file; an entry
                              whose file is gone is reported as lost (:meth:`lost_user_documents`)
    .write.lock               writers take it (``filelock``); readers never lock

One :class:`KnowledgeBase` per directory and process (:func:`shared_knowledge_base`) is shared
by threads and asyncio tasks. Readers follow the manifest: when it changes (another process
wrote), they reopen the new store. A store that fails its checks (unreadable SQLite, counts that
disagree with the manifest, a dense index that cannot find its own vectors, errors from Chroma)
is rebuilt.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .chunking import MAX_CHARS, MIN_CHARS, OVERLAP, chunk_markdown, chunker_version
from .documents import (
    MAX_FILE_BYTES,
    BadFile,
    SourceDoc,
    content_hash,
    iter_files,
    load_pattern,
    load_user_file,
    user_text_doc,
)
from .filters import PATTERN_ALIASES, Filters
from .fusion import RRF_K, reciprocal_rank_fusion
from .manifest import DocEntry, Manifest, read_manifest, write_json, write_manifest
from .models import BuildReport, Hit, IngestReport, KBStats, SkippedFile
from .paths import default_patterns_dir
from .store import ChunkTable, Store, StoreDamaged, is_chroma_error

if TYPE_CHECKING:  # pragma: no cover
    from .embedders import Embedder
    from .lexical import LexicalIndex

Mode = Literal["hybrid", "dense", "bm25"]
EMBED_BATCH = 256
USER_DOCS = "user-docs"
LOCK_TIMEOUT_S = 300.0


@dataclass
class _Outcome:
    report: BuildReport
    ingest_added: list[str] = field(default_factory=list)
    ingest_updated: list[str] = field(default_factory=list)
    ingest_unchanged: list[str] = field(default_factory=list)
    removed_docs: list[str] = field(default_factory=list)
    manifest: Manifest | None = None


class _Reader:
    """An opened, verified store generation plus its in-memory BM25 index."""

    def __init__(self, name: str, store: Store, table: ChunkTable, manifest: Manifest) -> None:
        self.name = name
        self.manifest = manifest
        self.store = store
        self.table = table
        self.id_index = {cid: i for i, cid in enumerate(table.ids)}
        self._lexical: LexicalIndex | None = None
        self._masks: dict[Filters, Any] = {}
        self._lock = threading.Lock()

    @property
    def lexical(self) -> LexicalIndex:
        if self._lexical is None:
            with self._lock:
                if self._lexical is None:
                    from .lexical import LexicalIndex

                    self._lexical = LexicalIndex(self.table.texts)
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


class KnowledgeBase:
    """Pattern documents and users' documents in a persistent, hybrid-searchable index.

    Nothing happens in ``__init__``: the index is built (or brought up to date) on first use.
    """

    def __init__(
        self,
        kb_dir: Path,
        *,
        embedder: Embedder | None = None,
        patterns_dir: Path | None = None,
        max_file_bytes: int = MAX_FILE_BYTES,
        chunk_chars: int = MAX_CHARS,
        chunk_overlap: int = OVERLAP,
        chunk_min_chars: int = MIN_CHARS,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.kb_dir = Path(kb_dir).expanduser()
        self.patterns_dir = Path(patterns_dir) if patterns_dir is not None else default_patterns_dir()
        self.max_file_bytes = max_file_bytes
        self.chunk_chars = chunk_chars
        self.chunk_overlap = chunk_overlap
        self.chunk_min_chars = chunk_min_chars
        self._embedder = embedder
        self._progress = progress
        self._file_lock: Any = None
        self._checked = False
        self._manifest: Manifest | None = None
        self._manifest_stat: tuple[int, int, int] | None = None
        self._reader: _Reader | None = None
        self._retired: list[_Reader] = []  # replaced readers, closed one generation later
        self._thread_lock = threading.RLock()  # one instance may be searched from several threads
        self._manifest_lock = threading.Lock()
        # Fusion parameters: k of reciprocal rank fusion, and the weights of the (dense, BM25) legs.
        self.rrf_k = RRF_K
        self.rrf_weights: tuple[float, float] = (1.0, 1.0)

    # ------------------------------------------------------------------ properties
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._thread_lock:
                if self._embedder is None:
                    from .embedders import get_embedder

                    self._embedder = get_embedder()
        return self._embedder

    @property
    def chunker(self) -> str:
        return chunker_version(self.chunk_chars, self.chunk_overlap, self.chunk_min_chars)

    @property
    def version(self) -> str:
        """Short hash of (document hashes, embedder name, chunker version)."""
        manifest = self._current_manifest()
        if manifest is None or not self._checked:
            self.ensure_built()
            manifest = self._current_manifest()
        assert manifest is not None
        return manifest.version()

    # ------------------------------------------------------------------ building
    def ensure_built(self) -> BuildReport | None:
        """Build on first use, bring the index up to date with the pattern files; ``None`` when
        nothing had to change (the cheap path: read the manifest, hash the pattern files)."""
        with self._thread_lock:
            manifest, problem = read_manifest(self.kb_dir)
            if manifest is not None:
                problem = self._quick_problem(manifest)
            if problem is None and manifest is not None and self._patterns_unchanged(manifest):
                self._checked = True
                return None
            outcome = self._write()
        self._checked = True
        report = outcome.report
        changed = report.rebuilt or report.added or report.updated or report.removed
        return report if changed else None

    def build(self, *, force: bool = False) -> BuildReport:
        """Bring the index up to date; ``force`` re-indexes everything from scratch."""
        outcome = self._write(force=force)
        self._checked = True
        return outcome.report

    # ------------------------------------------------------------------ ingestion
    def add(self, path: Path) -> IngestReport:
        """Ingest a user file or folder (recursive): Markdown, text, HTML, PDF.

        Unusable files are skipped and reported with a reason; the rest goes in.
        """
        started = time.perf_counter()
        path = Path(path).expanduser()
        if not path.exists():
            raise FileNotFoundError(f"no such file or folder: {path}")
        docs: list[SourceDoc] = []
        skipped: list[SkippedFile] = []
        for file in iter_files(path):
            try:
                docs.append(load_user_file(file, max_bytes=self.max_file_bytes))
            except BadFile as exc:
                skipped.append(SkippedFile(path=str(file), reason=str(exc)))
        self._say(f"ingesting {len(docs)} file(s), skipping {len(skipped)}")
        outcome = self._write(add_docs=docs) if docs else None
        return self._ingest_report(outcome, skipped, started)

    def add_texts(self, docs: list[tuple[str, str, dict]]) -> IngestReport:
        """Ingest documents given as text: ``(source_id, text, metadata)`` (e.g. users' skill packs).

        ``metadata`` may carry ``title``, ``workflow``, ``tags``, ``skills``, ``id`` and ``format``
        (``markdown`` (default), ``text`` or ``html``). Re-adding the same source id replaces it.
        """
        started = time.perf_counter()
        loaded: list[SourceDoc] = []
        skipped: list[SkippedFile] = []
        for source_id, text, metadata in docs:
            try:
                loaded.append(user_text_doc(source_id, text, metadata))
            except BadFile as exc:
                skipped.append(SkippedFile(path=source_id, reason=str(exc)))
        outcome = self._write(add_docs=loaded) if loaded else None
        return self._ingest_report(outcome, skipped, started)

    def remove(self, source: str) -> int:
        """Forget user documents: by exact source, by a folder (everything ingested under it),
        or by document id. Returns how many documents were removed. Bundled patterns cannot be removed."""
        candidates = {source}
        try:
            candidates.add(str(Path(source).expanduser().resolve()))
        except (OSError, RuntimeError):
            pass
        prefixes = tuple(c.rstrip(os.sep) + os.sep for c in candidates if c.strip(os.sep))

        def select(doc_id: str, entry: DocEntry) -> bool:
            return doc_id in candidates or entry.source in candidates or entry.source.startswith(prefixes)

        manifest, _ = read_manifest(self.kb_dir)
        if manifest is not None:
            hits = [d for d, e in manifest.docs.items() if select(d, e)]
            only_patterns = bool(hits) and all(manifest.docs[d].kind == "pattern" for d in hits)
            if only_patterns or source in PATTERN_ALIASES:
                raise ValueError(f"{source!r} is a bundled pattern: bundled patterns cannot be removed")
        outcome = self._write(remove_select=select)
        return len(outcome.removed_docs)

    # ------------------------------------------------------------------ search
    def search(
        self,
        query: str,
        k: int = 5,
        *,
        workflow: str | None = None,
        skill: str | None = None,
        tags: list[str] | None = None,
        source: str | None = None,
        mode: Mode = "hybrid",
        min_score: float | None = None,
        include_user_docs: bool = True,
        dedupe: bool = False,
    ) -> list[Hit]:
        """The ``k`` best chunks for ``query``.

        ``mode``: ``hybrid`` (dense + BM25 fused by reciprocal rank, k=60), ``dense`` or ``bm25``.
        Filters apply to both legs (see :mod:`.filters`). ``min_score`` is a similarity floor: on
        the cosine similarity in ``dense`` and ``hybrid`` modes, on the BM25 score in ``bm25`` mode.
        ``dedupe`` keeps only the best chunk of each document.
        """
        if mode not in ("hybrid", "dense", "bm25"):
            raise ValueError(f"unknown search mode {mode!r}: use hybrid, dense or bm25")
        if k <= 0 or not query or not query.strip():
            return []
        filters = Filters(
            workflow=workflow,
            skill=skill,
            tags=tuple(tags or ()),
            source=source,
            include_user_docs=include_user_docs,
        )
        for attempt in range(2):
            reader = self._ready()
            try:
                return self._search(reader, query, k, filters, mode, min_score, dedupe)
            except Exception as exc:  # noqa: BLE001 - decide below whether it is a damaged store
                if attempt or not (isinstance(exc, StoreDamaged) or is_chroma_error(exc)):
                    raise
                current = self._current_manifest()
                if current is not None and current.store != reader.name:
                    continue  # a newer generation replaced this one meanwhile: just retry on it
                self._recover(reader.name, f"store damaged: {type(exc).__name__}: {exc}")
        raise AssertionError("unreachable")  # pragma: no cover

    def stats(self) -> KBStats:
        manifest = self._current_manifest()
        if manifest is None or not self._checked:
            self.ensure_built()
            manifest = self._current_manifest()
        assert manifest is not None
        size = 0
        for root, _dirs, files in os.walk(self.kb_dir):
            for name in files:
                try:
                    size += os.path.getsize(os.path.join(root, name))
                except OSError:
                    pass
        kinds = [e.kind for e in manifest.docs.values()]
        return KBStats(
            documents=len(manifest.docs),
            chunks=manifest.chunk_count,
            embedder=manifest.embedder,
            index_version=manifest.version(),
            size_bytes=size,
            kb_dir=str(self.kb_dir),
            pattern_documents=kinds.count("pattern"),
            user_documents=kinds.count("user"),
            chunker=manifest.chunker,
            built_at=manifest.built_at or None,
            patterns_dir=str(self.patterns_dir),
        )

    def lost_user_documents(self) -> list[str]:
        """Sources of user documents whose saved text is gone (recorded in ``user-docs/manifest.json``
        but the file is missing): a rebuild of the index cannot bring them back."""
        folder = self._user_dir()
        return sorted(
            str(e.get("source") or d)
            for d, e in self._read_user_manifest().items()
            if not (folder / str(e.get("file") or self._blob_path(d).name)).is_file()
        )

    def documents(self) -> dict[str, DocEntry]:
        """Indexed documents by id (after bringing the index up to date)."""
        if not self._checked:
            self.ensure_built()
        manifest = self._current_manifest()
        return dict(manifest.docs) if manifest else {}

    def close(self) -> None:
        """Release the open store (optional: also done when the object is garbage collected)."""
        with self._thread_lock:
            for reader in [*self._retired, self._reader]:
                if reader is not None:
                    reader.close()
            self._retired.clear()
            self._reader = None

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KnowledgeBase({str(self.kb_dir)!r})"

    # ================================================================== internals
    def _say(self, message: str) -> None:
        if self._progress is not None:
            self._progress(message)

    def _lock(self) -> Any:
        if self._file_lock is None:
            from filelock import FileLock

            self.kb_dir.mkdir(parents=True, exist_ok=True)
            self._file_lock = FileLock(str(self.kb_dir / ".write.lock"), timeout=LOCK_TIMEOUT_S)
        return self._file_lock

    def _store(self, name: str) -> Store:
        return Store(self.kb_dir / "stores" / name)

    def _quick_problem(self, manifest: Manifest) -> str | None:
        if manifest.embedder != self.embedder.name:
            return f"embedder changed ({manifest.embedder} -> {self.embedder.name})"
        if manifest.chunker != self.chunker:
            return f"chunker changed ({manifest.chunker} -> {self.chunker})"
        return self._store(manifest.store).quick_check()

    def _pattern_files(self) -> list[tuple[Path, str, bytes, str]]:
        if not self.patterns_dir.is_dir():
            return []
        out = []
        for path in sorted(self.patterns_dir.glob("*.md")):
            if path.name.startswith(".") or path.name.lower() == "readme.md" or not path.is_file():
                continue
            raw = path.read_bytes()
            out.append((path, f"patterns/{path.name}", raw, content_hash(raw)))
        return out

    def _patterns_unchanged(self, manifest: Manifest) -> bool:
        indexed = {e.source: e.hash for e in manifest.docs.values() if e.kind == "pattern"}
        on_disk = {source: h for _p, source, _raw, h in self._pattern_files()}
        # Files that failed to parse are not in the manifest; they count as unchanged as long
        # as their hash is remembered in the skip list.
        skipped = set(manifest.skipped)
        return all(indexed.get(s) == h or f"{s}@{h}" in skipped for s, h in on_disk.items()) and set(indexed) <= set(
            on_disk
        )

    def _current_manifest(self) -> Manifest | None:
        """The manifest, re-read only when the file changed on disk."""
        path = self.kb_dir / "manifest.json"
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

    def _ready(self) -> _Reader:
        reader = self._reader
        if reader is not None and self._checked:
            manifest = self._current_manifest()
            if manifest is not None and manifest.store == reader.name:
                return reader  # the hot path: no lock
        with self._thread_lock:
            return self._ready_locked()

    def _retire(self, reader: _Reader) -> None:
        """Stop using ``reader``; close it later, so that a search still running on it can finish."""
        for old in self._retired:
            old.close()
        self._retired = [reader]

    def _ready_locked(self) -> _Reader:
        if not self._checked:
            self.ensure_built()
        for attempt in range(2):
            manifest = self._current_manifest()
            if manifest is None or self._quick_problem(manifest) is not None:
                self.ensure_built()
                manifest = self._current_manifest()
                if manifest is None:
                    raise RuntimeError(f"knowledge base at {self.kb_dir} could not be built")
            if self._reader is not None and self._reader.name == manifest.store:
                return self._reader
            if self._reader is not None:
                self._retire(self._reader)
                self._reader = None
            try:
                self._reader = self._open_reader(manifest)
                return self._reader
            except StoreDamaged as exc:
                if attempt:
                    raise
                self._recover(manifest.store, str(exc))
        raise AssertionError("unreachable")  # pragma: no cover

    def _open_reader(self, manifest: Manifest) -> _Reader:
        store = self._store(manifest.store)
        problem = store.quick_check()
        if problem:
            raise StoreDamaged(problem)
        try:
            table = ChunkTable.load(store.chunks_path)
            if len(table) != manifest.chunk_count:
                raise StoreDamaged(f"chunk table has {len(table)} chunks, manifest {manifest.chunk_count}")
            for kind in ("pattern", "user"):
                expected = manifest.count(kind)
                actual = store.count(kind)
                if actual != expected:
                    raise StoreDamaged(f"{kind} collection has {actual} chunks, manifest {expected}")
            self._canary(store, table)
        except StoreDamaged:
            store.close()
            raise
        except Exception as exc:  # noqa: BLE001
            store.close()
            if is_chroma_error(exc):
                raise StoreDamaged(f"store damaged: {type(exc).__name__}: {exc}") from exc
            raise
        return _Reader(manifest.store, store, table, manifest)

    @staticmethod
    def _canary(store: Store, table: ChunkTable) -> None:
        """The dense index must find a stored vector as its own nearest neighbour."""
        for kind in ("pattern", "user"):
            ids = [cid for cid, m in zip(table.ids, table.metas) if m.get("kind") == kind][:1]
            if not ids:
                continue
            vectors = store.embeddings(kind, ids)
            if ids[0] not in vectors:
                raise StoreDamaged(f"{kind} collection lost chunk {ids[0]}")
            found = store.query(kind, vectors[ids[0]], 1, None)
            if not found or (found[0][0] != ids[0] and found[0][1] < 0.999):
                raise StoreDamaged(f"{kind} dense index inconsistent")

    def _recover(self, damaged_store: str, reason: str) -> None:
        with self._thread_lock:
            if self._reader is not None and self._reader.name == damaged_store:
                self._retire(self._reader)
                self._reader = None
            self._say(f"knowledge base needs repair ({reason}); rebuilding")
            self._write(damaged_store=damaged_store, damage_reason=reason)

    def _embed(self, texts: Sequence[str]) -> Any:
        import numpy as np

        fast = getattr(self.embedder, "embed_array", None)
        parts = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = list(texts[start : start + EMBED_BATCH])
            vectors = fast(batch) if fast is not None else self.embedder.embed(batch)
            parts.append(np.asarray(vectors, dtype=np.float32))
        if not parts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack(parts)

    def _chunk(self, doc: SourceDoc) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        chunks = chunk_markdown(
            doc.title, doc.body, max_chars=self.chunk_chars, overlap=self.chunk_overlap, min_chars=self.chunk_min_chars
        )
        ids, texts, metas = [], [], []
        for chunk in chunks:
            ids.append(f"{doc.doc_id}::{chunk.index}")
            texts.append(chunk.text)
            metas.append(
                {
                    "doc_id": doc.doc_id,
                    "title": doc.title,
                    "source": doc.source,
                    "kind": doc.kind,
                    "section": chunk.section,
                    "workflow": doc.workflow,
                    "workflows": list(doc.workflows),
                    "tags": list(doc.tags),
                    "skills": list(doc.skills),
                    "chunk_index": chunk.index,
                    "fmt": doc.fmt,
                }
            )
        return ids, texts, metas

    # ------------------------------------------------------------------ the write path
    def _user_dir(self) -> Path:
        return self.kb_dir / USER_DOCS

    def _blob_path(self, doc_id: str) -> Path:
        return self._user_dir() / (hashlib.sha1(doc_id.encode()).hexdigest()[:20] + ".json")

    def _read_user_manifest(self) -> dict[str, dict[str, Any]]:
        import json

        try:
            data = json.loads((self._user_dir() / "manifest.json").read_text(encoding="utf-8"))
            docs = data["docs"]
            return {str(k): dict(v) for k, v in docs.items()} if isinstance(docs, dict) else {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}

    def _write_user_manifest(self, docs: dict[str, DocEntry], lost: dict[str, dict[str, Any]]) -> None:
        entries = {
            d: {"source": e.source, "title": e.title, "hash": e.hash, "file": self._blob_path(d).name}
            for d, e in docs.items()
            if e.kind == "user"
        }
        for doc_id, entry in lost.items():
            entries.setdefault(doc_id, entry)
        write_json(self._user_dir() / "manifest.json", {"format": 1, "docs": dict(sorted(entries.items()))})

    def _migrate_legacy_user_docs(self) -> None:
        """Earlier versions kept the texts in ``userdocs/`` without a manifest: move them over."""
        legacy = self.kb_dir / "userdocs"
        if not legacy.is_dir() or self._user_dir().exists():
            return
        legacy.rename(self._user_dir())
        docs = {d: DocEntry(hash=doc.content_hash, kind="user", source=doc.source, title=doc.title)
                for d, doc in self._blob_docs()[0].items()}
        self._write_user_manifest(docs, {})

    def _load_blob(self, doc_id: str) -> SourceDoc | None:
        import json

        try:
            return SourceDoc.from_record(json.loads(self._blob_path(doc_id).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def _blob_docs(self) -> tuple[dict[str, SourceDoc], dict[str, dict[str, Any]]]:
        """User documents recoverable from their saved texts (used when the index manifest is lost),
        and the ``user-docs`` manifest entries whose text is gone."""
        import json

        out: dict[str, SourceDoc] = {}
        folder = self._user_dir()
        if folder.is_dir():
            for path in sorted(folder.glob("*.json")):
                if path.name == "manifest.json":
                    continue
                try:
                    doc = SourceDoc.from_record(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError, TypeError, KeyError):
                    continue
                out[doc.doc_id] = doc
        lost = {d: e for d, e in self._read_user_manifest().items() if d not in out}
        return out, lost

    def _write(
        self,
        *,
        force: bool = False,
        add_docs: Sequence[SourceDoc] = (),
        remove_select: Callable[[str, DocEntry], bool] | None = None,
        damaged_store: str | None = None,
        damage_reason: str | None = None,
    ) -> _Outcome:
        started = time.perf_counter()
        with self._thread_lock, self._lock():
            self._migrate_legacy_user_docs()
            manifest, problem = read_manifest(self.kb_dir)
            if manifest is not None:
                problem = self._quick_problem(manifest)
                if problem is None and damaged_store is not None and manifest.store == damaged_store:
                    problem = damage_reason or "store damaged"
            if force:
                problem = "forced"
            try:
                outcome = self._apply(manifest, problem, add_docs, remove_select)
            except Exception as exc:  # noqa: BLE001
                if problem is not None or not (isinstance(exc, (StoreDamaged, OSError)) or is_chroma_error(exc)):
                    raise
                # The incremental path could not read the current store: rebuild from scratch.
                self._say(f"incremental update failed ({type(exc).__name__}: {exc}); rebuilding")
                outcome = self._apply(manifest, f"store damaged: {type(exc).__name__}", add_docs, remove_select)
        outcome.report.seconds = round(time.perf_counter() - started, 4)
        return outcome

    def _apply(
        self,
        manifest: Manifest | None,
        problem: str | None,
        add_docs: Sequence[SourceDoc],
        remove_select: Callable[[str, DocEntry], bool] | None,
    ) -> _Outcome:
        rebuild = problem is not None
        old_docs: dict[str, DocEntry] = dict(manifest.docs) if manifest is not None else {}
        report = BuildReport(rebuilt=rebuild, reason=problem)
        outcome = _Outcome(report=report)
        final: dict[str, DocEntry] = {}
        to_index: list[SourceDoc] = []
        skips: list[str] = []

        # Bundled patterns: unchanged files are not even parsed.
        old_by_source = {e.source: (d, e) for d, e in old_docs.items() if e.kind == "pattern"}
        claimed: set[str] = set()
        for path, source, raw, digest in self._pattern_files():
            old = old_by_source.get(source)
            if not rebuild and old is not None and old[1].hash == digest and old[0] not in claimed:
                final[old[0]] = old[1]
                claimed.add(old[0])
                report.unchanged += 1
                continue
            try:
                doc = load_pattern(path, raw)
            except BadFile as exc:
                report.skipped.append(SkippedFile(path=str(path), reason=str(exc)))
                skips.append(f"{source}@{digest}")
                continue
            if doc.doc_id in claimed:
                report.skipped.append(SkippedFile(path=str(path), reason=f"duplicate document id {doc.doc_id!r}"))
                skips.append(f"{source}@{digest}")
                continue
            claimed.add(doc.doc_id)
            to_index.append(doc)
            if not rebuild and doc.doc_id in old_docs:
                report.updated += 1
            else:
                report.added += 1

        # Users' documents: kept from the manifest (or recovered from their saved texts).
        recovered, lost = self._blob_docs()
        if manifest is not None:
            user_old: dict[str, DocEntry | SourceDoc] = {d: e for d, e in old_docs.items() if e.kind == "user"}
            lost = {d: e for d, e in lost.items() if d not in user_old}
        else:
            user_old = dict(recovered)
            if recovered or lost:
                report.reason = (f"index missing ({problem}): re-indexed {len(recovered)} of your document(s) "
                                 f"from {USER_DOCS}/")
        lost = {d: e for d, e in lost.items() if not any(doc.doc_id == d for doc in add_docs)}
        for doc_id, entry in list(lost.items()):
            source = str(entry.get("source") or doc_id)
            if remove_select is not None and remove_select(doc_id, DocEntry(hash="", kind="user", source=source)):
                outcome.removed_docs.append(doc_id)
                del lost[doc_id]
            else:
                report.lost.append(source)
        # A user document whose id is taken by a bundled pattern is namespaced, not dropped.
        pattern_ids = set(claimed)
        new_user = {}
        for doc in add_docs:
            if doc.doc_id in pattern_ids:
                doc = dataclasses.replace(doc, doc_id=f"user:{doc.doc_id}")
            new_user[doc.doc_id] = doc
        for doc_id, entry in user_old.items():
            source = entry.source
            if remove_select is not None and isinstance(entry, DocEntry) and remove_select(doc_id, entry):
                outcome.removed_docs.append(doc_id)
                continue
            if (
                remove_select is not None
                and isinstance(entry, SourceDoc)
                and remove_select(doc_id, DocEntry(hash=entry.content_hash, kind="user", source=source))
            ):
                outcome.removed_docs.append(doc_id)
                continue
            if doc_id in new_user or doc_id in claimed:
                continue
            if isinstance(entry, SourceDoc):
                to_index.append(entry)
            elif rebuild:
                doc = self._load_blob(doc_id)
                if doc is None:
                    report.skipped.append(SkippedFile(path=source, reason="saved text lost; add the file again"))
                    report.lost.append(source)
                    lost[doc_id] = {"source": source, "title": entry.title, "hash": entry.hash,
                                    "file": self._blob_path(doc_id).name}
                    continue
                to_index.append(doc)
            else:
                final[doc_id] = entry
            claimed.add(doc_id)
        for doc in new_user.values():
            old_entry = old_docs.get(doc.doc_id)
            if doc.doc_id in claimed:
                report.skipped.append(SkippedFile(path=doc.source, reason=f"duplicate document id {doc.doc_id!r}"))
                continue
            claimed.add(doc.doc_id)
            if not rebuild and old_entry is not None and old_entry.hash == doc.content_hash:
                final[doc.doc_id] = old_entry
                outcome.ingest_unchanged.append(doc.source)
                continue
            to_index.append(doc)
            (outcome.ingest_updated if old_entry is not None else outcome.ingest_added).append(doc.source)

        indexed_ids = {doc.doc_id for doc in to_index}
        gone = [d for d in old_docs if d not in final and d not in indexed_ids]
        report.removed = len(gone)
        if rebuild:
            report.added, report.updated, report.unchanged = len(to_index), 0, 0

        if not rebuild and not to_index and not gone and not outcome.removed_docs:
            report.chunks = manifest.chunk_count if manifest else 0
            report.version = manifest.version() if manifest else None
            outcome.manifest = manifest
            return outcome

        # ---- write the next generation
        generation = (manifest.generation + 1) if manifest is not None else 1
        name = f"g{generation:06d}-{uuid.uuid4().hex[:8]}"
        new_store = self._store(name)
        new_store.path.mkdir(parents=True, exist_ok=True)
        action = "rebuilding" if rebuild else "updating"
        self._say(f"{action} index ({problem or 'changes'}): {len(to_index)} document(s) to index")
        try:
            if rebuild:
                new_store.create_collections()
                table = ChunkTable()
            else:
                assert manifest is not None
                self._store(manifest.store).copy_to(new_store)
                table = ChunkTable.load(new_store.chunks_path)
                stale_ids = {d for d in old_docs if d not in final}
                for kind in ("pattern", "user"):
                    new_store.delete_docs(kind, [d for d in stale_ids if old_docs[d].kind == kind])
                table = table.without_docs(stale_ids)
            dim = manifest.dim if (manifest is not None and not rebuild) else 0
            for start in range(0, len(to_index), 64):
                batch = to_index[start : start + 64]
                chunked = [self._chunk(doc) for doc in batch]
                for doc, (ids, _texts, _metas) in zip(batch, chunked):
                    final[doc.doc_id] = DocEntry(
                        hash=doc.content_hash, kind=doc.kind, source=doc.source, title=doc.title, chunks=len(ids)
                    )
                for kind in ("pattern", "user"):
                    ids = [i for doc, c in zip(batch, chunked) if doc.kind == kind for i in c[0]]
                    if not ids:
                        continue
                    texts = [t for doc, c in zip(batch, chunked) if doc.kind == kind for t in c[1]]
                    metas = [m for doc, c in zip(batch, chunked) if doc.kind == kind for m in c[2]]
                    vectors = self._embed(texts)
                    if dim and vectors.shape[1] != dim:
                        raise ValueError(f"embedder returned {vectors.shape[1]}-d vectors, index has {dim}-d")
                    dim = int(vectors.shape[1])
                    new_store.add(kind, ids, vectors, texts, metas)
                    table.extend(ids, texts, metas)
            new_store.close()
            table.save(new_store.chunks_path)
            # User documents' texts first, then the manifest that makes the generation current.
            for doc in to_index:
                if doc.kind == "user":
                    write_json(self._blob_path(doc.doc_id), doc.to_record())
            self._write_user_manifest(final, lost)
            new_manifest = Manifest(
                store=name,
                embedder=self.embedder.name,
                dim=dim,
                chunker=self.chunker,
                generation=generation,
                built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                docs=dict(sorted(final.items())),
                skipped=skips,
            )
            write_manifest(self.kb_dir, new_manifest)
        except BaseException:
            new_store.close()
            shutil.rmtree(new_store.path, ignore_errors=True)
            raise
        self._garbage_collect(keep={name, manifest.store if manifest is not None else name}, docs=new_manifest.docs)
        report.chunks = new_manifest.chunk_count
        report.version = new_manifest.version()
        outcome.manifest = new_manifest
        self._say(f"index ready: {len(new_manifest.docs)} documents, {report.chunks} chunks")
        return outcome

    def _garbage_collect(self, *, keep: set[str], docs: dict[str, DocEntry]) -> None:
        """Remove store generations older than the previous one, and texts of removed user docs.
        (The previous generation stays for readers that have not switched yet.)"""
        stores = self.kb_dir / "stores"
        if stores.is_dir():
            for child in stores.iterdir():
                if child.name not in keep:
                    if child.is_dir():
                        shutil.rmtree(child, ignore_errors=True)
                    else:
                        try:
                            child.unlink()
                        except OSError:
                            pass
        folder = self._user_dir()
        if folder.is_dir():
            wanted = {self._blob_path(d).name for d, e in docs.items() if e.kind == "user"} | {"manifest.json"}
            for path in folder.iterdir():
                if path.name not in wanted:
                    try:
                        path.unlink()
                    except OSError:
                        pass

    def _ingest_report(self, outcome: _Outcome | None, skipped: list[SkippedFile], started: float) -> IngestReport:
        report = IngestReport(skipped=list(skipped), seconds=round(time.perf_counter() - started, 4))
        if outcome is not None:
            report.added = outcome.ingest_added
            report.updated = outcome.ingest_updated
            report.unchanged = outcome.ingest_unchanged
            report.skipped.extend(s for s in outcome.report.skipped if s not in report.skipped)
            report.chunks = outcome.report.chunks
        return report

    # ------------------------------------------------------------------ the read path
    def _embed_query(self, query: str) -> list[float]:
        return [float(x) for x in self._embed([query])[0]]

    def _search(
        self,
        reader: _Reader,
        query: str,
        k: int,
        filters: Filters,
        mode: Mode,
        min_score: float | None,
        dedupe: bool,
    ) -> list[Hit]:
        import numpy as np

        manifest = reader.manifest
        depth = max(50, 5 * k)
        kinds = [kind for kind in filters.kinds if manifest.count(kind) > 0]
        table = reader.table

        dense: list[tuple[int, float]] = []
        qvec: list[float] | None = None
        if mode in ("dense", "hybrid") and kinds:
            qvec = self._embed_query(query)
            where = filters.where()
            found: list[tuple[str, float]] = []
            for kind in kinds:
                n = min(depth, manifest.count(kind))
                found.extend(reader.store.query(kind, qvec, n, where))
            found.sort(key=lambda item: -item[1])
            dense = [(reader.id_index[cid], sim) for cid, sim in found[:depth] if cid in reader.id_index]

        lexical: list[tuple[int, float]] = []
        if mode in ("bm25", "hybrid") and kinds and len(table):
            scores = reader.lexical.scores(query)
            scores = np.where(reader.mask(filters), scores, 0.0)
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
                self._fill_similarity(reader, qvec, missing, similarity)

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

    @staticmethod
    def _fill_similarity(reader: _Reader, qvec: list[float], indexes: list[int], out: dict[int, float]) -> None:
        import numpy as np

        q = np.asarray(qvec, dtype=np.float32)
        qn = float(np.linalg.norm(q)) or 1.0
        by_kind: dict[str, list[str]] = {}
        for i in indexes:
            by_kind.setdefault(reader.table.metas[i].get("kind", "pattern"), []).append(reader.table.ids[i])
        for kind, ids in by_kind.items():
            for cid, vec in reader.store.embeddings(kind, ids).items():
                v = np.asarray(vec, dtype=np.float32)
                out[reader.id_index[cid]] = float(v @ q) / ((float(np.linalg.norm(v)) or 1.0) * qn)


_SHARED: OrderedDict[tuple[str, str], KnowledgeBase] = OrderedDict()
_SHARED_LOCK = threading.Lock()
MAX_SHARED = 16


def shared_knowledge_base(kb_dir: Path) -> KnowledgeBase:
    """The one :class:`KnowledgeBase` of this process for ``kb_dir`` (and the configured
    embedder), shared by every design, thread and asyncio task: opening one Chroma client per
    call on the same path races in Chroma's shared-client cache. The least recently used
    instances beyond :data:`MAX_SHARED` are dropped (not closed: a design may still use one)."""
    key = (os.path.abspath(Path(kb_dir).expanduser()), os.environ.get("MLARCHITECT_EMBEDDER", ""))
    with _SHARED_LOCK:
        kb = _SHARED.get(key)
        if kb is None:
            kb = _SHARED[key] = KnowledgeBase(Path(key[0]))
            while len(_SHARED) > MAX_SHARED:
                _SHARED.popitem(last=False)
        else:
            _SHARED.move_to_end(key)
        return kb
