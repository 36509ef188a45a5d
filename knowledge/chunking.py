"""Structure-aware chunking of Markdown-ish text, with overlap.

Headings split the text into sections; sections are packed into chunks of at
most ``max_chars`` characters (body), a section longer than that is split on
paragraph, then sentence, boundaries with ``overlap`` characters carried over
from the previous chunk; small neighbouring sections share a chunk. Every chunk's
text starts with a header line ``<doc title> — <section path>`` so that both
retrieval legs see the context the chunk lives in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CHARS = 1200
OVERLAP = 180
MIN_CHARS = 400

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)|\n+")


def chunker_version(max_chars: int = MAX_CHARS, overlap: int = OVERLAP, min_chars: int = MIN_CHARS) -> str:
    """Changes whenever chunk boundaries or chunk texts would change: stored in the index."""
    return f"md2-{max_chars}-{overlap}-{min_chars}"


@dataclass
class Chunk:
    index: int
    text: str  # header line + body: what is embedded, BM25-indexed and returned
    section: str | None


@dataclass
class _Block:
    text: str
    heading_level: int = 0  # 0 = text block


def _blocks(markdown: str) -> list[_Block]:
    """Headings and paragraphs (fenced code kept whole), in order."""
    blocks: list[_Block] = []
    para: list[str] = []
    in_fence = False

    def flush() -> None:
        if para:
            text = "\n".join(para).strip()
            if text:
                blocks.append(_Block(text))
            para.clear()

    for line in markdown.splitlines():
        if _FENCE.match(line):
            if not in_fence:
                flush()
            para.append(line)
            in_fence = not in_fence
            if not in_fence:
                flush()
            continue
        if in_fence:
            para.append(line)
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            blocks.append(_Block(heading.group(2).strip(), heading_level=len(heading.group(1))))
        elif not line.strip():
            flush()
        else:
            para.append(line.rstrip())
    flush()
    return blocks


def _split_long(text: str, max_chars: int) -> list[str]:
    """Split one over-long block on line, then sentence, boundaries (hard cut as a last resort)."""
    if len(text) <= max_chars:
        return [text]
    units: list[tuple[str, str]] = []  # (text, separator to use before it)
    for line in text.split("\n"):
        if not line.strip():
            continue
        if len(line) <= max_chars:
            units.append((line.rstrip(), "\n"))
            continue
        for i, sentence in enumerate(_sentences(line)):
            sep = "\n" if i == 0 else " "
            while len(sentence) > max_chars:  # no boundary at all: cut on whitespace
                cut = sentence.rfind(" ", 0, max_chars)
                cut = cut if cut > max_chars // 2 else max_chars
                units.append((sentence[:cut].strip(), sep))
                sentence, sep = sentence[cut:].strip(), " "
            if sentence:
                units.append((sentence, sep))
    pieces: list[str] = []
    current = ""
    for unit, sep in units:
        if current and len(current) + 1 + len(unit) > max_chars:
            pieces.append(current)
            current = unit
        else:
            current = f"{current}{sep}{unit}" if current else unit
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def _tail(texts: list[str], overlap: int) -> str:
    """The last ``overlap``-ish characters of a chunk body, on sentence boundaries."""
    if overlap <= 0 or not texts:
        return ""
    picked: list[str] = []
    size = 0
    for sentence in reversed(_sentences(" ".join(texts))):
        if picked and size + len(sentence) > overlap:
            break
        if not picked and len(sentence) > overlap * 2:
            # One huge sentence: keep its last words only.
            cut = sentence.find(" ", len(sentence) - overlap)
            sentence = sentence[cut + 1 :] if cut > 0 else sentence[-overlap:]
        picked.append(sentence)
        size += len(sentence) + 1
    return " ".join(reversed(picked))


def _header(title: str, section: str | None) -> str:
    return f"{title} — {section}" if section else title


def chunk_markdown(
    title: str,
    markdown: str,
    *,
    max_chars: int = MAX_CHARS,
    overlap: int = OVERLAP,
    min_chars: int = MIN_CHARS,
) -> list[Chunk]:
    """Chunks of ``markdown`` (front matter already removed) for a document titled ``title``."""
    chunks: list[Chunk] = []
    path: list[tuple[int, str]] = []  # heading stack: (level, text)
    body: list[tuple[str, bool]] = []  # (text, is_heading) of the chunk being built
    body_len = 0
    own_content = False  # the chunk holds more than carried-over overlap
    chunk_section: str | None = None
    tail_section: str | None = None  # section of the last text piece added

    def section_label() -> str | None:
        parts = [text for level, text in path if not (level == 1 and text.strip().lower() == title.strip().lower())]
        return " > ".join(parts) if parts else None

    def flush(carry: bool) -> None:
        nonlocal body, body_len, own_content, chunk_section
        while body and body[-1][1]:
            body.pop()  # trailing headings belong to the next chunk
        tail = ""
        if body and own_content:
            text = _header(title, chunk_section) + "\n\n" + "\n\n".join(t for t, _ in body)
            chunks.append(Chunk(index=len(chunks), text=text, section=chunk_section))
            if carry and tail_section == section_label():
                tail = _tail([body[-1][0]], overlap)
        body = [(tail, False)] if tail else []
        body_len = len(tail)
        own_content = False
        chunk_section = section_label()

    for block in _blocks(markdown):
        if block.heading_level:
            # A heading is a good place to cut, unless the current chunk is still small.
            if body_len >= min_chars or not own_content:
                flush(carry=False)
            while path and path[-1][0] >= block.heading_level:
                path.pop()
            path.append((block.heading_level, block.text))
            if not body:
                chunk_section = section_label()
            else:
                body.append(("#" * block.heading_level + " " + block.text, True))
                body_len += len(block.text) + block.heading_level + 3
            continue
        for piece in _split_long(block.text, max_chars):
            if own_content and body_len + len(piece) + 2 > max_chars:
                flush(carry=True)
            body.append((piece, False))
            body_len += len(piece) + 2
            own_content = True
            tail_section = section_label()
    flush(carry=False)
    if not chunks and markdown.strip():  # only headings: index them anyway
        chunks.append(Chunk(index=0, text=_header(title, None) + "\n\n" + markdown.strip()[:max_chars], section=None))
    return chunks
