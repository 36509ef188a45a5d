"""Concurrency and recovery: two readers at once, a reader while another process writes,
and a damaged or half-written store rebuilt instead of crashing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlarchitect.knowledge import KnowledgeBase

READER = r"""
import json, sys, time
from pathlib import Path
from mlarchitect.knowledge import KnowledgeBase
kb = KnowledgeBase(Path(sys.argv[1]), patterns_dir=Path(sys.argv[2]))
mode = sys.argv[3]
queries = ["canary rollout", "hybrid search with bm25", "data drift psi", "vector database down runbook"]
if mode == "fixed":
    results = []
    for i in range(15):
        results = [[h.chunk_id for h in kb.search(q, k=3)] for q in queries]
    print(json.dumps(results))
else:  # loop until the stop file appears, counting searches and what they returned
    stop = Path(sys.argv[4])
    kb.search("warm up", k=1)
    print("ready", flush=True)
    n, seen = 0, set()
    deadline = time.time() + 60
    while not stop.exists() and time.time() < deadline:
        for h in kb.search("axolotl notes", k=3):
            seen.add(h.doc_id)
        n += 1
    print(json.dumps({"searches": n, "seen": sorted(seen)}))
"""


def _reader(helpers, kb: KnowledgeBase, mode: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", READER, str(kb.kb_dir), str(kb.patterns_dir), mode, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=helpers.child_env(),
    )


def test_two_processes_read_at_once(shared_kb, helpers) -> None:
    manifest_before = (shared_kb.kb_dir / "manifest.json").read_bytes()
    procs = [_reader(helpers, shared_kb, "fixed") for _ in range(2)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    assert outputs[0] == outputs[1]
    expected = [
        [h.chunk_id for h in shared_kb.search(q, k=3)]
        for q in ["canary rollout", "hybrid search with bm25", "data drift psi", "vector database down runbook"]
    ]
    assert outputs[0] == expected
    assert (shared_kb.kb_dir / "manifest.json").read_bytes() == manifest_before  # readers wrote nothing


def test_a_reader_keeps_working_while_another_process_writes(new_kb, helpers, tmp_path: Path) -> None:
    new_kb.build()
    stop = tmp_path / "stop"
    proc = _reader(helpers, new_kb, "loop", str(stop))
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        for i in range(3):
            new_kb.add_texts([(f"notes/{i}.md", f"# Axolotl notes {i}\n\nAxolotl retrieval notes number {i}.", {})])
        new_kb.remove("notes/0.md")
    finally:
        stop.touch()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["searches"] > 0
    # The reader followed the manifest to the new generations and saw the new documents.
    assert set(result["seen"]) & {"notes/1.md", "notes/2.md"}


def _segment_dirs(store: Path) -> list[Path]:
    return [p for p in (store / "chroma").iterdir() if p.is_dir()]


def _damage(kb_dir: Path, how: str) -> None:
    manifest_path = kb_dir / "manifest.json"
    store = kb_dir / "stores" / json.loads(manifest_path.read_text())["store"]
    sqlite = store / "chroma" / "chroma.sqlite3"
    if how == "truncated sqlite":
        with open(sqlite, "r+b") as f:
            f.truncate(os.path.getsize(sqlite) // 2)
    elif how == "garbage sqlite":
        sqlite.write_bytes(os.urandom(8192))
    elif how == "deleted sqlite":
        sqlite.unlink()
    elif how == "deleted hnsw segments":
        for seg in _segment_dirs(store):
            shutil.rmtree(seg)
    elif how == "garbage hnsw segments":
        for seg in _segment_dirs(store):
            for f in seg.iterdir():
                f.write_bytes(os.urandom(1024))
    elif how == "deleted chunk table":
        (store / "chunks.json").unlink()
    elif how == "garbage chunk table":
        (store / "chunks.json").write_text('{"ids": [1, 2')
    elif how == "deleted manifest":
        manifest_path.unlink()
    elif how == "garbage manifest":
        manifest_path.write_bytes(b"\x00garbage{")
    elif how == "half-written manifest":
        manifest_path.write_text(manifest_path.read_text()[:40])
    elif how == "manifest points nowhere":
        data = json.loads(manifest_path.read_text())
        data["store"] = "g999999-missing"
        manifest_path.write_text(json.dumps(data))
    elif how == "deleted store":
        shutil.rmtree(store)
    else:  # pragma: no cover
        raise ValueError(how)


DAMAGES = [
    "truncated sqlite",
    "garbage sqlite",
    "deleted sqlite",
    "deleted hnsw segments",
    "garbage hnsw segments",
    "deleted chunk table",
    "garbage chunk table",
    "deleted manifest",
    "garbage manifest",
    "half-written manifest",
    "manifest points nowhere",
    "deleted store",
]


@pytest.mark.parametrize("how", DAMAGES)
def test_damaged_store_is_rebuilt(new_kb, embedder, how: str) -> None:
    new_kb.build()
    docs = [("notes/axolotl.md", "# Axolotl notes\n\nThe axolotl retrieval trick.", {})]
    if "hnsw" in how:
        # Chroma only persists HNSW files past 1000 vectors (smaller collections live in its
        # SQLite log), so damage them where they matter.
        words = "latency cache shard replica queue tensor batch token vector index prompt judge drift".split()
        docs += [
            (f"bulk/{i}.md", f"# Bulk note {i}\n\n" + " ".join(words[(i * k) % len(words)] for k in (1, 3, 5, 7)), {})
            for i in range(1100)
        ]
    new_kb.add_texts(docs)
    assert new_kb.search("axolotl", k=1)[0].doc_id == "notes/axolotl.md"
    new_kb.close()
    _damage(new_kb.kb_dir, how)

    messages: list[str] = []
    kb = KnowledgeBase(new_kb.kb_dir, embedder=embedder, patterns_dir=new_kb.patterns_dir, progress=messages.append)
    assert kb.search("canary share of traffic", k=1)[0].doc_id == "canary-release"
    assert any("rebuilding" in m for m in messages), messages
    # Users' documents survive the rebuild (re-indexed from their saved text).
    assert kb.search("axolotl retrieval trick", k=1)[0].doc_id == "notes/axolotl.md"
    stats = kb.stats()
    assert stats.user_documents == len(docs) and stats.documents == 6 + len(docs)
    kb.close()
    # And the repaired index is a normal one: a new process finds nothing to do.
    again = KnowledgeBase(new_kb.kb_dir, embedder=embedder, patterns_dir=new_kb.patterns_dir)
    assert again.ensure_built() is None
    again.close()


def test_garbage_files_in_the_directory_are_ignored(new_kb, embedder) -> None:
    new_kb.build()
    new_kb.close()
    (new_kb.kb_dir / "random.bin").write_bytes(os.urandom(256))
    (new_kb.kb_dir / "stores" / "not-a-store").mkdir()
    (new_kb.kb_dir / "stores" / "not-a-store" / "x").write_text("junk")
    (new_kb.kb_dir / "stores" / "stray-file").write_text("junk")
    kb = KnowledgeBase(new_kb.kb_dir, embedder=embedder, patterns_dir=new_kb.patterns_dir)
    assert kb.ensure_built() is None
    assert kb.search("canary", k=1)[0].doc_id == "canary-release"
    # The next write sweeps the leftovers (e.g. a half-built generation of a crashed writer).
    kb.add_texts([("notes/x.md", "# X\n\nsomething", {})])
    assert not (new_kb.kb_dir / "stores" / "not-a-store").exists()
    assert not (new_kb.kb_dir / "stores" / "stray-file").exists()
    kb.close()


def test_a_chroma_error_during_search_triggers_repair(new_kb, monkeypatch: pytest.MonkeyPatch) -> None:
    from chromadb.errors import InternalError
    from mlarchitect.knowledge import store as store_module

    new_kb.build()
    generation = json.loads((new_kb.kb_dir / "manifest.json").read_text())["generation"]
    original = store_module.Store.query
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise InternalError("Error executing plan: simulated damage")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(store_module.Store, "query", flaky)
    assert new_kb.search("canary rollout", k=1)[0].doc_id == "canary-release"
    assert json.loads((new_kb.kb_dir / "manifest.json").read_text())["generation"] == generation + 1


def test_a_crashed_write_leaves_the_previous_index_in_place(new_kb, monkeypatch: pytest.MonkeyPatch) -> None:
    new_kb.build()
    manifest = (new_kb.kb_dir / "manifest.json").read_bytes()

    def boom(*args, **kwargs):
        raise RuntimeError("simulated crash while embedding")

    monkeypatch.setattr(new_kb.indexer, "embed", boom)
    with pytest.raises(RuntimeError):
        new_kb.add_texts([("notes/y.md", "# Y\n\nnew text", {})])
    monkeypatch.undo()
    assert (new_kb.kb_dir / "manifest.json").read_bytes() == manifest
    assert len(list((new_kb.kb_dir / "stores").iterdir())) == 1  # the half-built generation is gone
    assert new_kb.search("canary", k=1)[0].doc_id == "canary-release"


def test_one_instance_searched_from_many_threads_while_it_writes(new_kb, embedder) -> None:
    import threading

    new_kb.build()
    messages: list[str] = []
    kb = KnowledgeBase(new_kb.kb_dir, embedder=embedder, patterns_dir=new_kb.patterns_dir, progress=messages.append)
    start = threading.Barrier(7)
    errors: list[BaseException] = []

    def searcher() -> None:
        try:
            start.wait()
            for _ in range(15):
                assert kb.search("canary share of traffic", k=3)[0].doc_id == "canary-release"
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(6)]
    for t in threads:
        t.start()
    start.wait()
    for i in range(3):
        kb.add_texts([(f"notes/{i}.md", f"# Note {i}\n\nPangolin note {i}.", {})])
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not any("repair" in m for m in messages), messages
    found = {h.doc_id for h in kb.search("pangolin note", k=3, source="user")}
    assert found == {"notes/0.md", "notes/1.md", "notes/2.md"}
    kb.close()
