"""The write side of the knowledge base: seeding the bundled patterns, upserting and removing
users' documents, building index generations and publishing them through the manifest.

Every write runs under the backend's writers' lock (a file lock on the embedded store, a lock
collection on a Chroma server) and ends by replacing the manifest, the one pointer readers
follow: a generation is never modified once published; the next one is a copy of it with the
changes applied (or a build from scratch when the embedder, the chunker or the store changed).
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from .filters import PATTERN_ALIASES
from .manifest import DocEntry, Manifest
from .models import BuildReport, IngestReport, SkippedFile
from .store import ChunkTable, StoreDamaged, is_chroma_error

if TYPE_CHECKING:  # pragma: no cover
    from .backends import Backend
    from .embedders import Embedder

EMBED_BATCH = 256
KINDS = ("pattern", "user")


@dataclass
class Outcome:
    report: BuildReport
    ingest_added: list[str] = field(default_factory=list)
    ingest_updated: list[str] = field(default_factory=list)
    ingest_unchanged: list[str] = field(default_factory=list)
    removed_docs: list[str] = field(default_factory=list)
    manifest: Manifest | None = None


@dataclass(frozen=True)
class ChunkingConfig:
    max_chars: int = MAX_CHARS
    overlap: int = OVERLAP
    min_chars: int = MIN_CHARS

    @property
    def version(self) -> str:
        return chunker_version(self.max_chars, self.overlap, self.min_chars)


class Indexer:
    """Builds and updates the index of one backend; shared by the reader for repairs."""

    def __init__(
        self,
        backend: Backend,
        *,
        embedder: Embedder | None,
        patterns_dir: Path,
        chunking: ChunkingConfig,
        max_file_bytes: int = MAX_FILE_BYTES,
        progress: Callable[[str], None] | None = None,
    ) -> None:
        self.backend = backend
        self.patterns_dir = patterns_dir
        self.chunking = chunking
        self.max_file_bytes = max_file_bytes
        self._embedder = embedder
        self._progress = progress
        self.checked = False  # the index was verified (or built) in this process
        self.lock = threading.RLock()  # one instance may be used from several threads

    # ------------------------------------------------------------------ shared helpers
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self.lock:
                if self._embedder is None:
                    from .embedders import get_embedder

                    self._embedder = get_embedder()
        return self._embedder

    def say(self, message: str) -> None:
        if self._progress is not None:
            self._progress(message)

    def embed(self, texts: Sequence[str]) -> Any:
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

    def quick_problem(self, manifest: Manifest) -> str | None:
        """Why the published index cannot serve this configuration (cheap checks), or None."""
        if manifest.embedder != self.embedder.name:
            return f"embedder changed ({manifest.embedder} -> {self.embedder.name})"
        if manifest.chunker != self.chunking.version:
            return f"chunker changed ({manifest.chunker} -> {self.chunking.version})"
        return self.backend.store(manifest.store).quick_check()

    # ------------------------------------------------------------------ building
    def ensure_built(self) -> BuildReport | None:
        """Build on first use, bring the index up to date with the pattern files; ``None`` when
        nothing had to change (the cheap path: read the manifest, hash the pattern files)."""
        with self.lock:
            manifest, problem = self.backend.read_manifest()
            if manifest is not None:
                problem = self.quick_problem(manifest)
            if problem is None and manifest is not None and self._patterns_unchanged(manifest):
                self.checked = True
                return None
            outcome = self.write()
        self.checked = True
        report = outcome.report
        changed = report.rebuilt or report.added or report.updated or report.removed
        return report if changed else None

    def build(self, *, force: bool = False) -> BuildReport:
        outcome = self.write(force=force)
        self.checked = True
        return outcome.report

    def recover(self, damaged_store: str, reason: str) -> None:
        self.say(f"knowledge base needs repair ({reason}); rebuilding")
        self.write(damaged_store=damaged_store, damage_reason=reason)

    # ------------------------------------------------------------------ ingestion
    def add(self, path: Path) -> IngestReport:
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
        self.say(f"ingesting {len(docs)} file(s), skipping {len(skipped)}")
        outcome = self.write(add_docs=docs) if docs else None
        return self._ingest_report(outcome, skipped, started)

    def add_texts(self, docs: list[tuple[str, str, dict]]) -> IngestReport:
        started = time.perf_counter()
        loaded: list[SourceDoc] = []
        skipped: list[SkippedFile] = []
        for source_id, text, metadata in docs:
            try:
                loaded.append(user_text_doc(source_id, text, metadata))
            except BadFile as exc:
                skipped.append(SkippedFile(path=source_id, reason=str(exc)))
        outcome = self.write(add_docs=loaded) if loaded else None
        return self._ingest_report(outcome, skipped, started)

    def remove(self, source: str) -> int:
        candidates = {source}
        try:
            candidates.add(str(Path(source).expanduser().resolve()))
        except (OSError, RuntimeError):
            pass
        prefixes = tuple(c.rstrip(os.sep) + os.sep for c in candidates if c.strip(os.sep))

        def select(doc_id: str, entry: DocEntry) -> bool:
            return doc_id in candidates or entry.source in candidates or entry.source.startswith(prefixes)

        manifest, _ = self.backend.read_manifest()
        if manifest is not None:
            hits = [d for d, e in manifest.docs.items() if select(d, e)]
            only_patterns = bool(hits) and all(manifest.docs[d].kind == "pattern" for d in hits)
            if only_patterns or source in PATTERN_ALIASES:
                raise ValueError(f"{source!r} is a bundled pattern: bundled patterns cannot be removed")
        outcome = self.write(remove_select=select)
        return len(outcome.removed_docs)

    def lost_user_documents(self) -> list[str]:
        docs = self.backend.user_docs
        return sorted(str(e.get("source") or d) for d, e in docs.read_index().items() if not docs.exists(d))

    @staticmethod
    def _ingest_report(outcome: Outcome | None, skipped: list[SkippedFile], started: float) -> IngestReport:
        report = IngestReport(skipped=list(skipped), seconds=round(time.perf_counter() - started, 4))
        if outcome is not None:
            report.added = outcome.ingest_added
            report.updated = outcome.ingest_updated
            report.unchanged = outcome.ingest_unchanged
            report.skipped.extend(s for s in outcome.report.skipped if s not in report.skipped)
            report.chunks = outcome.report.chunks
        return report

    # ------------------------------------------------------------------ pattern files
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

    def _chunk(self, doc: SourceDoc) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        c = self.chunking
        chunks = chunk_markdown(doc.title, doc.body, max_chars=c.max_chars, overlap=c.overlap, min_chars=c.min_chars)
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
    def write(
        self,
        *,
        force: bool = False,
        add_docs: Sequence[SourceDoc] = (),
        remove_select: Callable[[str, DocEntry], bool] | None = None,
        damaged_store: str | None = None,
        damage_reason: str | None = None,
    ) -> Outcome:
        started = time.perf_counter()
        with self.lock, self.backend.lock():
            self.backend.user_docs.migrate_legacy()
            manifest, problem = self.backend.read_manifest()
            if manifest is not None:
                problem = self.quick_problem(manifest)
                if problem is None and damaged_store is not None and manifest.store == damaged_store:
                    problem = damage_reason or "store damaged"
            if force:
                problem = "forced"
            try:
                outcome = self._apply(manifest, problem, add_docs, remove_select)
            except Exception as exc:
                if problem is not None or not (isinstance(exc, (StoreDamaged, OSError)) or is_chroma_error(exc)):
                    raise
                # The incremental path could not read the current store: rebuild from scratch.
                self.say(f"incremental update failed ({type(exc).__name__}: {exc}); rebuilding")
                outcome = self._apply(manifest, f"store damaged: {type(exc).__name__}", add_docs, remove_select)
        outcome.report.seconds = round(time.perf_counter() - started, 4)
        return outcome

    def _apply(
        self,
        manifest: Manifest | None,
        problem: str | None,
        add_docs: Sequence[SourceDoc],
        remove_select: Callable[[str, DocEntry], bool] | None,
    ) -> Outcome:
        user_docs = self.backend.user_docs
        rebuild = problem is not None
        old_docs: dict[str, DocEntry] = dict(manifest.docs) if manifest is not None else {}
        report = BuildReport(rebuilt=rebuild, reason=problem)
        outcome = Outcome(report=report)
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
        recovered = user_docs.load_all()
        lost = {d: e for d, e in user_docs.read_index().items() if d not in recovered}
        if manifest is not None:
            user_old: dict[str, DocEntry | SourceDoc] = {d: e for d, e in old_docs.items() if e.kind == "user"}
            lost = {d: e for d, e in lost.items() if d not in user_old}
        else:
            user_old = dict(recovered)
            if recovered or lost:
                report.reason = (f"index missing ({problem}): re-indexed {len(recovered)} of your document(s) "
                                 f"from {user_docs.label}")
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
                loaded = user_docs.load(doc_id)
                if loaded is None:
                    report.skipped.append(SkippedFile(path=source, reason="saved text lost; add the file again"))
                    report.lost.append(source)
                    lost[doc_id] = {"source": source, "title": entry.title, "hash": entry.hash}
                    continue
                to_index.append(loaded)
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

        new_manifest = self._publish(manifest, rebuild, problem, old_docs, final, to_index, lost, skips)
        report.chunks = new_manifest.chunk_count
        report.version = new_manifest.version()
        outcome.manifest = new_manifest
        self.say(f"index ready: {len(new_manifest.docs)} documents, {report.chunks} chunks")
        return outcome

    def _publish(
        self,
        manifest: Manifest | None,
        rebuild: bool,
        problem: str | None,
        old_docs: dict[str, DocEntry],
        final: dict[str, DocEntry],
        to_index: list[SourceDoc],
        lost: dict[str, dict[str, Any]],
        skips: list[str],
    ) -> Manifest:
        """Write the next generation (a copy of the current one plus the changes, or from scratch),
        then the manifest that makes it current."""
        backend = self.backend
        generation = (manifest.generation + 1) if manifest is not None else 1
        name = f"g{generation:06d}-{uuid.uuid4().hex[:8]}"
        action = "rebuilding" if rebuild else "updating"
        self.say(f"{action} index ({problem or 'changes'}): {len(to_index)} document(s) to index")
        base = None if rebuild or manifest is None else manifest.store
        new_store = None
        try:
            new_store = backend.new_store(name, base)
            if base is None:
                table = ChunkTable()
            else:
                table = new_store.load_table()
                stale_ids = {d for d in old_docs if d not in final}
                for kind in KINDS:
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
                for kind in KINDS:
                    ids = [i for doc, c in zip(batch, chunked) if doc.kind == kind for i in c[0]]
                    if not ids:
                        continue
                    texts = [t for doc, c in zip(batch, chunked) if doc.kind == kind for t in c[1]]
                    metas = [m for doc, c in zip(batch, chunked) if doc.kind == kind for m in c[2]]
                    vectors = self.embed(texts)
                    if dim and vectors.shape[1] != dim:
                        raise ValueError(f"embedder returned {vectors.shape[1]}-d vectors, index has {dim}-d")
                    dim = int(vectors.shape[1])
                    new_store.add(kind, ids, vectors, texts, metas)
                    table.extend(ids, texts, metas)
            new_store.save_table(table)
            new_store.close()
            # User documents' texts first, then the manifest that makes the generation current.
            for doc in to_index:
                if doc.kind == "user":
                    backend.user_docs.save(doc)
            backend.user_docs.write_index(final, lost)
            new_manifest = Manifest(
                store=name,
                embedder=self.embedder.name,
                dim=dim,
                chunker=self.chunking.version,
                generation=generation,
                built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                docs=dict(sorted(final.items())),
                skipped=skips,
            )
            backend.write_manifest(new_manifest)
        except BaseException:
            if new_store is not None:
                new_store.close()
            backend.discard(name)
            raise
        keep = {name, manifest.store if manifest is not None else name}
        backend.garbage_collect(keep)
        backend.user_docs.prune({d for d, e in new_manifest.docs.items() if e.kind == "user"})
        return new_manifest
