"""The manifest: which store is current, which embedder and chunker built it, one hash per document.

It is the single pointer readers follow. Writers build a new store directory and
then replace ``manifest.json`` atomically (write to a temporary file, fsync,
``os.replace``), so a reader sees either the old index or the new one, never half.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

MANIFEST_NAME = "manifest.json"
FORMAT = 1


class DocEntry(BaseModel):
    hash: str
    kind: str  # "pattern" | "user"
    source: str
    title: str = ""
    chunks: int = 0


class Manifest(BaseModel):
    format: int = FORMAT
    store: str  # directory name under stores/
    embedder: str
    dim: int = 0
    chunker: str
    generation: int = 0
    built_at: str = ""
    docs: dict[str, DocEntry] = Field(default_factory=dict)
    skipped: list[str] = Field(default_factory=list)  # pattern files that failed to load: "source@hash"

    @property
    def chunk_count(self) -> int:
        return sum(d.chunks for d in self.docs.values())

    def count(self, kind: str) -> int:
        return sum(d.chunks for d in self.docs.values() if d.kind == kind)

    def version(self) -> str:
        """Short hash of (document hashes, embedder, chunker): the ``kb_version`` of deliverables."""
        h = hashlib.sha256()
        h.update(f"{self.embedder}\n{self.chunker}\n".encode())
        for doc_id in sorted(self.docs):
            h.update(f"{doc_id}={self.docs[doc_id].hash}\n".encode())
        return h.hexdigest()[:12]


def read_manifest(kb_dir: Path) -> tuple[Manifest | None, str | None]:
    """``(manifest, None)``, or ``(None, problem)`` when it is missing or unreadable."""
    path = Path(kb_dir) / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None, "no index yet"
    except OSError as exc:
        return None, f"manifest unreadable: {exc}"
    return parse_manifest(data)


def parse_manifest(data: bytes | str) -> tuple[Manifest | None, str | None]:
    """A stored manifest (a file's bytes, a server's metadata): ``(manifest, None)``, or
    ``(None, problem)`` when it is damaged or of another index format."""
    try:
        manifest = Manifest.model_validate_json(data)
    except (ValidationError, ValueError) as exc:
        return None, f"manifest damaged: {type(exc).__name__}"
    if manifest.format != FORMAT:
        return None, f"index format {manifest.format} != {FORMAT}"
    return manifest, None


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass


def write_manifest(kb_dir: Path, manifest: Manifest) -> None:
    atomic_write_bytes(Path(kb_dir) / MANIFEST_NAME, manifest.model_dump_json(indent=1).encode())


def write_json(path: Path, data: object) -> None:
    atomic_write_bytes(path, json.dumps(data, ensure_ascii=False).encode())
