"""Fixtures for the knowledge-base tests: a small pattern corpus, a shared read-only KB,
a PDF maker, and no network (any connection attempt fails the test)."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PATTERNS: dict[str, str] = {
    "hybrid.md": """---
id: hybrid-search
title: Hybrid search
workflow: rag_system
tags: [hybrid-search, bm25, retrieval]
skills: [rag-design]
---

# Hybrid search

Run BM25 keyword search and dense vector search for the same query, then fuse the two
ranked lists with reciprocal rank fusion (RRF, k=60). Exact identifiers such as error codes
are found by BM25, paraphrases by the dense retriever.

## When not to use

Tiny corpora where a reranker over every document already gives full recall.
""",
    "chunking.md": """---
id: chunking-strategies
title: Chunking strategies
workflow: rag_system
tags: [chunking, ingestion]
skills: [rag-design]
---

# Chunking strategies

Split documents on their structure: headings first, then paragraphs, then sentences.

## Chunk size

Chunks of 800 to 1200 characters (about 200 to 300 tokens) work well for question answering.
Smaller chunks raise precision but lose context; larger chunks dilute the embedding.

## Overlap

Overlap consecutive chunks by 10 to 20 percent so that a sentence cut at a boundary still
appears whole in one chunk. More overlap inflates the index without improving recall.

## Tables and code

Keep a table together with its header row, and never split a fenced code block: a chunk
that starts in the middle of a function is useless to the reader and confuses the embedder.
Long tables can be split by rows as long as every piece repeats the header row. Code blocks
longer than a chunk are split on blank lines between functions, never inside a function.

## Tools

LangChain's RecursiveCharacterTextSplitter and MarkdownHeaderTextSplitter, LlamaIndex's
SentenceSplitter and semantic splitters, Unstructured's chunk_by_title. Measure the chunk
size on your own questions: the best size depends on how long your answers are and on the
context window of the generator. Re-chunking means re-embedding everything, so version the
chunker configuration together with the index and re-index when it changes.
""",
    "canary.md": """---
id: canary-release
title: Canary releases for models
workflow: model_serving
tags: [deployment, canary, rollout]
skills: [model-serving]
---

# Canary releases for models

Send a small share of traffic (1 to 5 percent) to the new model version first, compare error
rate and latency percentiles against the stable version, then widen the rollout in steps.
Roll back automatically when the canary's p95 latency or error rate exceeds the guardrail.
""",
    "drift.md": """---
id: drift-detection
title: Data drift detection
workflow: model_serving
tags: [monitoring, drift]
skills: [observability]
---

# Data drift detection

Compare the distribution of production inputs against the training data with the population
stability index (PSI) or a Kolmogorov-Smirnov test, per feature, on daily windows.
Alert when PSI exceeds 0.2 for an important feature.
""",
    "judge.md": """---
id: llm-as-judge
title: LLM as a judge
workflow: evaluation_system
tags: [llm-as-judge, evaluation]
skills: [evaluation-metrics]
---

# LLM as a judge

A strong model grades the answers of the system under test against a rubric: faithfulness to
the retrieved context, relevance, completeness. Calibrate the judge against human labels and
measure agreement with Cohen's kappa before trusting it.
""",
    "tracking.md": """---
id: experiment-reproducibility
title: Reproducible training runs
workflow: [experiment_tracking, general]
tags: [reproducibility, experiment-tracking]
skills: [experiment-tracking]
---

# Reproducible training runs

Pin the random seed, the library versions, the data snapshot and the code commit for every
run, and log them with the run in the experiment tracker (MLflow, Weights & Biases).
""",
}


def write_patterns(folder: Path, patterns: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (patterns or PATTERNS).items():
        (folder / name).write_text(text)
    return folder


def make_pdf(path: Path, lines: list[str]) -> Path:
    """A minimal, valid one-page PDF showing ``lines`` in Helvetica (no extra dependency)."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({esc(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def make_blank_pdf(path: Path) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=612, height=792)
    with open(path, "wb") as f:
        writer.write(f)
    return path


def child_env() -> dict[str, str]:
    """Environment for subprocesses: they import whatever this process can."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    env["HF_HUB_OFFLINE"] = "1"
    return env


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """The knowledge base must never touch the network (no model downloads, no telemetry)."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access attempted in a knowledge-base test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="session")
def embedder():
    from mlarchitect.knowledge.embedders import StaticEmbedder

    return StaticEmbedder()


@pytest.fixture(scope="session")
def patterns_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_patterns(tmp_path_factory.mktemp("patterns"))


@pytest.fixture(scope="session")
def shared_kb(tmp_path_factory: pytest.TempPathFactory, patterns_dir: Path, embedder):
    """A built knowledge base with the small corpus and one user document; tests only read it."""
    from mlarchitect.knowledge import KnowledgeBase

    kb = KnowledgeBase(tmp_path_factory.mktemp("kb") / "kb", embedder=embedder, patterns_dir=patterns_dir)
    kb.build()
    kb.add_texts(
        [
            (
                "team-notes/runbook.md",
                "# Incident runbook\n\nWhen the vector database is down, serve cached answers and page the on-call.",
                {"tags": ["runbook"], "workflow": "rag_system"},
            )
        ]
    )
    yield kb
    kb.close()


@pytest.fixture
def new_kb(tmp_path: Path, embedder):
    """A fresh knowledge base with its own copy of the small corpus (for tests that write)."""
    from mlarchitect.knowledge import KnowledgeBase

    patterns = write_patterns(tmp_path / "patterns")
    kb = KnowledgeBase(tmp_path / "kb", embedder=embedder, patterns_dir=patterns)
    yield kb
    kb.close()


@pytest.fixture(scope="session")
def helpers():
    """The helper functions above, for tests (importing from conftest is fragile)."""

    class Helpers:
        patterns = PATTERNS

    Helpers.write_patterns = staticmethod(write_patterns)
    Helpers.make_pdf = staticmethod(make_pdf)
    Helpers.make_blank_pdf = staticmethod(make_blank_pdf)
    Helpers.child_env = staticmethod(child_env)
    return Helpers
