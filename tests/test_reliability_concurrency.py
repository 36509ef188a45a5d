"""Many designs at once: threads, asyncio tasks, and two processes on one data directory."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from mlarchitect.agents.api import design
from mlarchitect.config import Settings
from mlarchitect.knowledge import KnowledgeBase
from mlarchitect.knowledge.base import shared_knowledge_base

REQUESTS = [
    "Design a RAG system over 5,000 support tickets",
    "Design experiment tracking for 5 researchers fine-tuning models",
    "Design the serving architecture for an LLM endpoint handling 200 requests per second",
    "Design an evaluation pipeline for a summarization model",
]


def _warm(tmp_path: Path) -> Settings:
    """A knowledge base built by another process: warm on disk, opened by nobody in this one
    (the case in which per-call Chroma clients raced: "Could not connect to tenant", ...)."""
    kb_dir = tmp_path / "kb"
    build = f"from mlarchitect.knowledge import KnowledgeBase; KnowledgeBase({str(kb_dir)!r}).ensure_built()"
    subprocess.run([sys.executable, "-c", build], check=True, timeout=300)
    return Settings(data_dir=tmp_path / "data", kb_dir=kb_dir)


def test_concurrent_api_calls(tmp_path: Path) -> None:
    """16 threads, then 16 asyncio tasks, all succeed."""
    settings = _warm(tmp_path)

    def one(n: int) -> str:
        return design(REQUESTS[n % len(REQUESTS)], settings=settings).workflow

    with ThreadPoolExecutor(max_workers=16) as pool:
        threaded = list(pool.map(one, range(16)))

    async def tasks() -> list[str]:
        return await asyncio.gather(*(asyncio.to_thread(one, n) for n in range(16)))

    gathered = asyncio.run(tasks())
    assert len(threaded) == len(gathered) == 16
    assert threaded[:4] == gathered[:4] == ["rag_system", "experiment_tracking", "model_serving", "evaluation_system"]
    assert shared_knowledge_base(settings.resolved_kb_dir) is shared_knowledge_base(settings.resolved_kb_dir)


def test_two_processes(tmp_path: Path) -> None:
    """Two `design` processes on one cold data directory both succeed."""
    env = {**os.environ, "MLARCHITECT_DATA_DIR": str(tmp_path / "data")}
    code = "import sys; from mlarchitect.tui.cli import main; main(sys.argv[1:])"
    procs = [subprocess.Popen([sys.executable, "-c", code, REQUESTS[n], "--format", "json", "-q",
                               "--thread-id", f"p{n}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for n in range(2)]
    results = [p.communicate(timeout=600) for p in procs]
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err.decode()
        assert "Traceback" not in err.decode()
        assert json.loads(out)["provenance"]["thread_id"] in ("p0", "p1")
    kb = KnowledgeBase(tmp_path / "data" / "kb")
    assert kb.search("hybrid search", k=1) and kb.stats().documents > 50
    again = design(None, settings=Settings(data_dir=tmp_path / "data"), thread_id="p1")
    assert again.workflow == "experiment_tracking"
