"""The knowledge base: bundled patterns + users' documents, hybrid retrieval, incremental indexing.

A small facade over three parts:

* :mod:`.indexer`: building, seeding the bundled patterns, upserting and removing users'
  documents, publishing index generations through the manifest (writers);
* :mod:`.retrieval`: hybrid search (dense + BM25, fused by reciprocal rank) over the current
  generation (readers);
* :mod:`.backends` / :mod:`.server`: where the index lives, an embedded directory (the default) or
  a Chroma server shared by several processes (``CHROMA_HOST``/``CHROMA_PORT``).

On disk (``kb_dir``, embedded store)::

    manifest.json             the current store, embedder, chunker, one content hash per document
    stores/<generation>/      an index generation (Chroma store + chunk table + BM25 index), never
                              modified once published; writers build the next one (copying the
                              current store and applying the changes, or from scratch) and then
                              swap the manifest
    user-docs/                users' documents, the source of truth apart from the derived index:
      manifest.json           one entry per document (id, source, title, hash, file)
      <id-hash>.json          its extracted text and metadata, so a rebuild (new embedder, damaged
                              or deleted index) re-indexes it without the original file; an entry
                              whose file is gone is reported as lost (:meth:`lost_user_documents`)
    .write.lock               writers take it (``filelock``); readers never lock

One :class:`KnowledgeBase` per store and process (:func:`shared_knowledge_base`) is shared by
threads and asyncio tasks. Readers follow the manifest: when it changes (another process wrote),
they reopen the new store. A store that fails its checks (unreadable SQLite, counts that disagree
with the manifest, a dense index that cannot find its own vectors, errors from Chroma) is rebuilt.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .chunking import MAX_CHARS, MIN_CHARS, OVERLAP
from .documents import MAX_FILE_BYTES
from .filters import Filters
from .indexer import ChunkingConfig, Indexer
from .manifest import DocEntry, Manifest
from .models import BuildReport, Hit, IngestReport, KBStats
from .paths import default_patterns_dir
from .retrieval import Mode, Searcher

if TYPE_CHECKING:  # pragma: no cover
    from mlarchitect.config import Settings

    from .backends import Backend
    from .embedders import Embedder
    from .server import ChromaServer

__all__ = ["KnowledgeBase", "Mode", "knowledge_base_for", "shared_knowledge_base"]


class KnowledgeBase:
    """Pattern documents and users' documents in a persistent, hybrid-searchable index.

    Nothing happens in ``__init__``: the index is built (or brought up to date) on first use.
    ``server`` puts the index on a Chroma server (see :mod:`.server`) instead of ``kb_dir``.
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
        server: ChromaServer | None = None,
    ) -> None:
        self.kb_dir = Path(kb_dir).expanduser()
        self.server = server
        backend: Backend
        if server is None:
            from .backends import LocalBackend

            backend = LocalBackend(self.kb_dir)
        else:
            from .server import ServerBackend

            backend = ServerBackend(server, self.kb_dir)
        self.backend = backend
        self.indexer = Indexer(
            backend,
            embedder=embedder,
            patterns_dir=Path(patterns_dir) if patterns_dir is not None else default_patterns_dir(),
            chunking=ChunkingConfig(chunk_chars, chunk_overlap, chunk_min_chars),
            max_file_bytes=max_file_bytes,
            progress=progress,
        )
        self.searcher = Searcher(self.indexer)

    # ------------------------------------------------------------------ properties
    @property
    def embedder(self) -> Embedder:
        return self.indexer.embedder

    @property
    def patterns_dir(self) -> Path:
        return self.indexer.patterns_dir

    @patterns_dir.setter
    def patterns_dir(self, value: Path) -> None:
        self.indexer.patterns_dir = Path(value)

    @property
    def max_file_bytes(self) -> int:
        return self.indexer.max_file_bytes

    @max_file_bytes.setter
    def max_file_bytes(self, value: int) -> None:
        self.indexer.max_file_bytes = value

    @property
    def chunker(self) -> str:
        return self.indexer.chunking.version

    @property
    def rrf_k(self) -> int:
        return self.searcher.rrf_k

    @rrf_k.setter
    def rrf_k(self, value: int) -> None:
        self.searcher.rrf_k = value

    @property
    def rrf_weights(self) -> tuple[float, float]:
        return self.searcher.rrf_weights

    @rrf_weights.setter
    def rrf_weights(self, value: tuple[float, float]) -> None:
        self.searcher.rrf_weights = value

    @property
    def version(self) -> str:
        """Short hash of (document hashes, embedder name, chunker version)."""
        return self._checked_manifest().version()

    # ------------------------------------------------------------------ writing (see .indexer)
    def ensure_built(self) -> BuildReport | None:
        """Build on first use, bring the index up to date with the pattern files; ``None`` when
        nothing had to change (the cheap path: read the manifest, hash the pattern files)."""
        return self.indexer.ensure_built()

    def build(self, *, force: bool = False) -> BuildReport:
        """Bring the index up to date; ``force`` re-indexes everything from scratch."""
        return self.indexer.build(force=force)

    def add(self, path: Path) -> IngestReport:
        """Ingest a user file or folder (recursive): Markdown, text, HTML, PDF.

        Unusable files are skipped and reported with a reason; the rest goes in.
        """
        return self.indexer.add(path)

    def add_texts(self, docs: list[tuple[str, str, dict]]) -> IngestReport:
        """Ingest documents given as text: ``(source_id, text, metadata)`` (e.g. users' skill packs).

        ``metadata`` may carry ``title``, ``workflow``, ``tags``, ``skills``, ``id`` and ``format``
        (``markdown`` (default), ``text`` or ``html``). Re-adding the same source id replaces it.
        """
        return self.indexer.add_texts(docs)

    def remove(self, source: str) -> int:
        """Forget user documents: by exact source, by a folder (everything ingested under it),
        or by document id. Returns how many documents were removed. Bundled patterns cannot be removed."""
        return self.indexer.remove(source)

    # ------------------------------------------------------------------ reading (see .retrieval)
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
        filters = Filters(
            workflow=workflow,
            skill=skill,
            tags=tuple(tags or ()),
            source=source,
            include_user_docs=include_user_docs,
        )
        return self.searcher.search(query, k, filters=filters, mode=mode, min_score=min_score, dedupe=dedupe)

    def stats(self) -> KBStats:
        manifest = self._checked_manifest()
        kinds = [e.kind for e in manifest.docs.values()]
        return KBStats(
            documents=len(manifest.docs),
            chunks=manifest.chunk_count,
            embedder=manifest.embedder,
            index_version=manifest.version(),
            size_bytes=self.backend.size_bytes(),
            kb_dir=self.backend.describe(),
            pattern_documents=kinds.count("pattern"),
            user_documents=kinds.count("user"),
            chunker=manifest.chunker,
            built_at=manifest.built_at or None,
            patterns_dir=str(self.patterns_dir),
        )

    def lost_user_documents(self) -> list[str]:
        """Sources of user documents whose saved text is gone (recorded in the user documents'
        index but the text is missing): a rebuild of the index cannot bring them back."""
        return self.indexer.lost_user_documents()

    def documents(self) -> dict[str, DocEntry]:
        """Indexed documents by id (after bringing the index up to date)."""
        if not self.indexer.checked:
            self.ensure_built()
        manifest = self.backend.current_manifest()
        return dict(manifest.docs) if manifest else {}

    def added_at(self, doc_id: str) -> str | None:
        """When a user document was last (re)indexed (ISO 8601, UTC), if known."""
        return self.backend.user_docs.added_at(doc_id)

    def close(self) -> None:
        """Release the open store (optional: also done when the object is garbage collected)."""
        self.searcher.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"KnowledgeBase({self.backend.describe()!r})"

    def _checked_manifest(self) -> Manifest:
        manifest = self.backend.current_manifest()
        if manifest is None or not self.indexer.checked:
            self.ensure_built()
            manifest = self.backend.current_manifest()
        assert manifest is not None
        return manifest


_SHARED: OrderedDict[tuple[str, str, str], KnowledgeBase] = OrderedDict()
_SHARED_LOCK = threading.Lock()
MAX_SHARED = 16


def shared_knowledge_base(kb_dir: Path, *, server: ChromaServer | None = None) -> KnowledgeBase:
    """The one :class:`KnowledgeBase` of this process for ``kb_dir`` or ``server`` (and the
    configured embedder), shared by every design, thread and asyncio task: opening one Chroma
    client per call on the same path races in Chroma's shared-client cache. The least recently
    used instances beyond :data:`MAX_SHARED` are dropped (not closed: a design may still use one)."""
    where = os.path.abspath(Path(kb_dir).expanduser())
    key = (where, os.environ.get("MLARCHITECT_EMBEDDER", ""), server.key if server is not None else "")
    with _SHARED_LOCK:
        kb = _SHARED.get(key)
        if kb is None:
            kb = _SHARED[key] = KnowledgeBase(Path(where), server=server)
            while len(_SHARED) > MAX_SHARED:
                _SHARED.popitem(last=False)
        else:
            _SHARED.move_to_end(key)
        return kb


def knowledge_base_for(settings: Settings) -> KnowledgeBase:
    """The process's shared knowledge base that ``settings`` name: on the Chroma server of
    ``chroma_host``/``chroma_port`` when set, else in ``resolved_kb_dir``."""
    if not getattr(settings, "chroma_host", None):  # the embedded store: the server module is not needed
        return shared_knowledge_base(settings.resolved_kb_dir)
    from .server import server_from_settings

    return shared_knowledge_base(settings.resolved_kb_dir, server=server_from_settings(settings))
