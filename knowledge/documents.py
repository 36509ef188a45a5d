"""Reading documents: bundled patterns and users' files (Markdown, text, HTML, PDF).

Every loader returns a :class:`SourceDoc` whose ``body`` is Markdown-ish text
(headings as ``#`` lines) so that one structure-aware chunker serves all formats.
Files that cannot be used raise :class:`BadFile` with a one-line reason.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlarchitect.frontmatter import read_front_matter
from mlarchitect.limits import MAX_INPUT_FILE_BYTES as MAX_FILE_BYTES
from mlarchitect.limits import FileTooLarge, read_limited

MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdx"}
TEXT_SUFFIXES = {".txt", ".text", ".rst"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES

_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


class BadFile(Exception):
    """A file that cannot be ingested; ``str(exc)`` is the reason shown to the user."""


@dataclass
class SourceDoc:
    doc_id: str
    title: str
    body: str
    source: str
    kind: str  # "pattern" | "user"
    content_hash: str
    fmt: str = "markdown"  # markdown | text | html | pdf
    workflows: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)

    @property
    def workflow(self) -> str | None:
        return self.workflows[0] if self.workflows else None

    def to_record(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "body": self.body,
            "source": self.source,
            "kind": self.kind,
            "content_hash": self.content_hash,
            "fmt": self.fmt,
            "workflows": self.workflows,
            "tags": self.tags,
            "skills": self.skills,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> SourceDoc:
        return cls(**{k: record[k] for k in cls.__dataclass_fields__ if k in record})


def content_hash(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:20]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [str(value)]


def split_front_matter(text: str, path: str = "<string>") -> tuple[dict[str, Any], str]:
    """``(front matter dict, body)``; no or unreadable front matter gives ``{}``."""
    meta, body, _ = read_front_matter(text, path, strict=False)
    return meta, body


def _first_h1(body: str) -> str | None:
    match = _H1.search(body)
    return match.group(1).strip() if match else None


def decode_text(data: bytes) -> str:
    """Strict text decoding: UTF-8 (BOM allowed) or BOM-marked UTF-16; anything else is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise BadFile("undecodable: invalid UTF-16 text") from exc
    if b"\x00" in data[:8192]:
        raise BadFile("binary content (NUL bytes), not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(f"undecodable: not UTF-8 text (bad byte at offset {exc.start})") from exc
    sample = text[:8192]
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if sample and control / len(sample) > 0.05:
        raise BadFile("binary content (control characters), not text")
    return text


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        raw = read_limited(path, max_bytes)
    except FileTooLarge as exc:
        raise BadFile(str(exc)) from exc
    except OSError as exc:
        raise BadFile(f"unreadable: {exc.strerror or exc}") from exc
    if not raw:
        raise BadFile("empty file")
    return raw


def html_to_markdown(html: str) -> tuple[str | None, str]:
    """``(title, markdown-ish text)`` from HTML: headings become ``#`` lines, blocks paragraphs."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = None
    if soup.title and soup.title.get_text(strip=True):
        title = soup.title.get_text(" ", strip=True)
    for tag in soup(["script", "style", "noscript", "template", "svg", "nav", "footer", "form", "head"]):
        tag.decompose()
    for level in range(1, 7):
        for tag in soup.find_all(f"h{level}"):
            text = tag.get_text(" ", strip=True)
            tag.replace_with(f"\n\n{'#' * level} {text}\n\n" if text else "")
    for tag in soup.find_all("li"):
        tag.insert(0, "\n- ")
    for tag in soup.find_all("br"):
        tag.replace_with("\n")
    for tag in soup.find_all("pre"):
        tag.replace_with("\n\n" + tag.get_text() + "\n\n")
    block_tags = [
        "p",
        "div",
        "section",
        "article",
        "main",
        "ul",
        "ol",
        "table",
        "tr",
        "blockquote",
        "dl",
        "dt",
        "dd",
        "header",
        "aside",
        "figure",
    ]
    for tag in soup.find_all(block_tags):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    text = soup.get_text()
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    body = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if title is None:
        title = _first_h1(body)
    return title, body


def pdf_to_text(path: Path) -> tuple[str | None, str]:
    """``(title, text)`` of a PDF, pages separated by blank lines."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                reader.decrypt("")
            except Exception as exc:  # noqa: BLE001 - any failure means we cannot read it
                raise BadFile("encrypted PDF") from exc
        pages = []
        for page in reader.pages:
            pages.append((page.extract_text() or "").strip())
        title = None
        try:
            meta = reader.metadata
            if meta and meta.title and str(meta.title).strip():
                title = str(meta.title).strip()
        except Exception:  # noqa: BLE001 - metadata is optional
            title = None
    except BadFile:
        raise
    except (PdfReadError, ValueError, OSError, KeyError, TypeError, AttributeError) as exc:
        raise BadFile(f"unreadable PDF: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on broken files
        raise BadFile(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    text = "\n\n".join(p for p in pages if p)
    if not text.strip():
        raise BadFile("PDF has no extractable text (scanned images?)")
    return title, text


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "doc"


def user_doc_id(source: str, stem: str) -> str:
    return f"user:{_slug(stem)}-{hashlib.sha1(source.encode()).hexdigest()[:6]}"


def load_user_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> SourceDoc:
    """Read one user file; raises :class:`BadFile` with the reason when it is unusable."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise BadFile(f"unsupported file type {suffix or '(none)'}: use md, txt, html or pdf")
    raw = _read_bytes(path, max_bytes)
    source = str(path.resolve())
    meta: dict[str, Any] = {}
    title: str | None = None
    if suffix in PDF_SUFFIXES:
        if not raw.startswith(b"%PDF"):
            raise BadFile("not a PDF file (missing %PDF header)")
        fmt = "pdf"
        title, body = pdf_to_text(path)
    else:
        text = decode_text(raw)
        if suffix in HTML_SUFFIXES:
            fmt = "html"
            title, body = html_to_markdown(text)
        elif suffix in MARKDOWN_SUFFIXES:
            fmt = "markdown"
            meta, body = split_front_matter(text, str(path))
            title = str(meta.get("title") or "").strip() or _first_h1(body)
        else:
            fmt = "text"
            body = text
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise BadFile("empty: no text content")
    return SourceDoc(
        doc_id=user_doc_id(source, path.stem),
        title=title or path.stem.replace("_", " ").replace("-", " "),
        body=body,
        source=source,
        kind="user",
        content_hash=content_hash(raw),
        fmt=fmt,
        workflows=_as_list(meta.get("workflow") or meta.get("workflows")),
        tags=_as_list(meta.get("tags")),
        skills=_as_list(meta.get("skills")),
    )


def user_text_doc(source_id: str, text: str, metadata: dict[str, Any] | None = None) -> SourceDoc:
    """A user document given as text (e.g. a skill pack file). Front matter in ``text`` is honoured;
    ``metadata`` keys (``title``, ``workflow``, ``tags``, ``skills``, ``id``, ``format``) win over it."""
    metadata = dict(metadata or {})
    fmt = str(metadata.get("format") or "markdown")
    if fmt == "html":
        title, body = html_to_markdown(text)
        front: dict[str, Any] = {}
    else:
        front, body = split_front_matter(text) if fmt == "markdown" else ({}, text)
        title = None
    merged = {**front, **metadata}
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise BadFile("empty: no text content")
    title = str(merged.get("title") or "").strip() or title or _first_h1(body) or source_id
    doc_id = str(merged.get("doc_id") or merged.get("id") or source_id)
    hash_input = text + "\x00" + repr(sorted((k, repr(v)) for k, v in metadata.items()))
    return SourceDoc(
        doc_id=doc_id,
        title=title,
        body=body,
        source=source_id,
        kind="user",
        content_hash=content_hash(hash_input),
        fmt=fmt,
        workflows=_as_list(merged.get("workflow") or merged.get("workflows")),
        tags=_as_list(merged.get("tags")),
        skills=_as_list(merged.get("skills")),
    )


def load_pattern(path: Path, raw: bytes | None = None) -> SourceDoc:
    """A bundled pattern document (Markdown with front matter: id, title, workflow, tags, skills)."""
    raw = path.read_bytes() if raw is None else raw
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFile(f"undecodable: not UTF-8 text (bad byte at offset {exc.start})") from exc
    meta, body = split_front_matter(text, str(path))
    body = body.replace("\r\n", "\n").strip()
    if not body:
        raise BadFile("empty: no text content")
    doc_id = str(meta.get("id") or path.stem).strip()
    title = str(meta.get("title") or "").strip() or _first_h1(body) or doc_id
    return SourceDoc(
        doc_id=doc_id,
        title=title,
        body=body,
        source=f"patterns/{path.name}",
        kind="pattern",
        content_hash=content_hash(raw),
        fmt="markdown",
        workflows=_as_list(meta.get("workflow") or meta.get("workflows")),
        tags=_as_list(meta.get("tags")),
        skills=_as_list(meta.get("skills")),
    )


def iter_files(path: Path) -> list[Path]:
    """A file, or every non-hidden file under a folder (recursive, sorted)."""
    path = Path(path)
    if path.is_file():
        return [path]
    files = []
    for p in sorted(path.rglob("*")):
        rel = p.relative_to(path)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file():
            files.append(p)
    return files
