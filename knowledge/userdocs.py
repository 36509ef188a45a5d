"""Users' documents kept apart from the derived index: the source of truth a rebuild reads.

Two homes with one interface (:class:`UserDocStore`):

* :class:`UserDocsDir`, ``<kb_dir>/user-docs/`` on the embedded store: ``manifest.json`` (one entry
  per document: id, source, title, hash, file) and ``<id-hash>.json`` per document (its extracted
  text and metadata), so a rebuild (new embedder, damaged or deleted index) re-indexes it without
  the original file; an entry whose file is gone is reported as lost;
* the Chroma server's user-document collection (:mod:`.server`), so that every process sharing the
  server can rebuild from the same texts.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from .documents import SourceDoc
from .manifest import DocEntry, write_json

USER_DOCS = "user-docs"


def blob_name(doc_id: str) -> str:
    return hashlib.sha1(doc_id.encode()).hexdigest()[:20] + ".json"


class UserDocStore(Protocol):
    """Where users' documents' texts and their index live."""

    label: str  # for messages: where the texts are kept

    def read_index(self) -> dict[str, dict[str, Any]]: ...

    def write_index(self, docs: dict[str, DocEntry], lost: dict[str, dict[str, Any]]) -> None: ...

    def save(self, doc: SourceDoc) -> None: ...

    def load(self, doc_id: str) -> SourceDoc | None: ...

    def load_all(self) -> dict[str, SourceDoc]: ...

    def exists(self, doc_id: str) -> bool: ...

    def added_at(self, doc_id: str) -> str | None: ...

    def prune(self, keep: set[str]) -> None: ...

    def migrate_legacy(self) -> None: ...


def lost_entries(store: UserDocStore) -> dict[str, dict[str, Any]]:
    """Index entries whose saved text is gone."""
    return {d: e for d, e in store.read_index().items() if not store.exists(d)}


def index_entries(docs: dict[str, DocEntry], lost: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    entries = {
        d: {"source": e.source, "title": e.title, "hash": e.hash, "file": blob_name(d)}
        for d, e in docs.items()
        if e.kind == "user"
    }
    for doc_id, entry in lost.items():
        entries.setdefault(doc_id, entry)
    return dict(sorted(entries.items()))


class UserDocsDir:
    """``<kb_dir>/user-docs/``: one JSON file per document plus ``manifest.json``."""

    def __init__(self, kb_dir: Path) -> None:
        self.kb_dir = kb_dir
        self.folder = kb_dir / USER_DOCS
        self.label = f"{USER_DOCS}/"

    def path(self, doc_id: str) -> Path:
        return self.folder / blob_name(doc_id)

    def read_index(self) -> dict[str, dict[str, Any]]:
        try:
            data = json.loads((self.folder / "manifest.json").read_text(encoding="utf-8"))
            docs = data["docs"]
            return {str(k): dict(v) for k, v in docs.items()} if isinstance(docs, dict) else {}
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            return {}

    def write_index(self, docs: dict[str, DocEntry], lost: dict[str, dict[str, Any]]) -> None:
        write_json(self.folder / "manifest.json", {"format": 1, "docs": index_entries(docs, lost)})

    def save(self, doc: SourceDoc) -> None:
        write_json(self.path(doc.doc_id), doc.to_record())

    def load(self, doc_id: str) -> SourceDoc | None:
        try:
            return SourceDoc.from_record(json.loads(self.path(doc_id).read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def load_all(self) -> dict[str, SourceDoc]:
        out: dict[str, SourceDoc] = {}
        if self.folder.is_dir():
            for path in sorted(self.folder.glob("*.json")):
                if path.name == "manifest.json":
                    continue
                try:
                    doc = SourceDoc.from_record(json.loads(path.read_text(encoding="utf-8")))
                except (OSError, ValueError, TypeError, KeyError):
                    continue
                out[doc.doc_id] = doc
        return out

    def exists(self, doc_id: str) -> bool:
        entry = self.read_index().get(doc_id) or {}
        return (self.folder / str(entry.get("file") or blob_name(doc_id))).is_file()

    def added_at(self, doc_id: str) -> str | None:
        """When the document was (re)indexed: its saved text's modification time."""
        try:
            mtime = self.path(doc_id).stat().st_mtime
        except OSError:
            return None
        return datetime.fromtimestamp(mtime, tz=UTC).isoformat(timespec="seconds")

    def prune(self, keep: set[str]) -> None:
        """Remove the texts of documents no longer in the index."""
        if not self.folder.is_dir():
            return
        wanted = {blob_name(d) for d in keep} | {"manifest.json"}
        for path in self.folder.iterdir():
            if path.name not in wanted:
                try:
                    path.unlink()
                except OSError:
                    pass

    def migrate_legacy(self) -> None:
        """Earlier versions kept the texts in ``userdocs/`` without a manifest: move them over."""
        legacy = self.kb_dir / "userdocs"
        if not legacy.is_dir() or self.folder.exists():
            return
        legacy.rename(self.folder)
        docs = {d: DocEntry(hash=doc.content_hash, kind="user", source=doc.source, title=doc.title)
                for d, doc in self.load_all().items()}
        self.write_index(docs, {})
