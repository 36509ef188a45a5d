"""Knowledge-base benchmark: retrieval quality and speed.

Quality, on a JSONL query set (``{"id", "query", "topics": [...]}``): a result is a hit
when its text contains one of the query's topics (case-insensitive); hit@5 and MRR@10
for BM25 only, dense only and hybrid, side by side.

Speed (medians of ``--runs`` runs, each in a fresh process so that imports and model
loading count): building the bundled index from scratch, bringing it up to date when
nothing changed (``ensure_built`` in a new process, and an explicit ``build()``), the
first query of a process (opens the store, builds BM25), warm query latency p50/p95, and
peak memory (``ru_maxrss``).

    python benchmarks/kb_benchmark.py [--queries FILE] [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_QUERIES = ROOT / "tests" / "evalsets" / "public" / "dev_queries.jsonl"
MODES = ("bm25", "dense", "hybrid")


def _import_kb():
    try:
        import mlarchitect.knowledge as knowledge  # installed (pip install -e .)
    except ImportError:  # running from a checkout without installing: map the folder by hand
        import importlib.util
        import types

        pkg = types.ModuleType("mlarchitect")
        pkg.__path__ = []  # type: ignore[attr-defined]
        sys.modules.setdefault("mlarchitect", pkg)
        spec = importlib.util.spec_from_file_location(
            "mlarchitect.knowledge",
            ROOT / "knowledge" / "__init__.py",
            submodule_search_locations=[str(ROOT / "knowledge")],
        )
        assert spec and spec.loader
        knowledge = importlib.util.module_from_spec(spec)
        sys.modules["mlarchitect.knowledge"] = knowledge
        spec.loader.exec_module(knowledge)
    return knowledge


def _kb_kwargs(args: argparse.Namespace) -> dict:
    kwargs: dict = {}
    if args.patterns_dir:
        kwargs["patterns_dir"] = Path(args.patterns_dir)
    if args.chunk_chars:
        kwargs["chunk_chars"] = args.chunk_chars
    if args.chunk_overlap is not None:
        kwargs["chunk_overlap"] = args.chunk_overlap
    if args.embedder:
        from importlib import import_module

        kwargs["embedder"] = import_module("mlarchitect.knowledge.embedders").get_embedder(args.embedder)
    return kwargs


def load_queries(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def is_hit(text: str, topics: list[str]) -> bool:
    low = text.lower()
    return any(t.lower() in low for t in topics)


def quality(kb, queries: list[dict], *, dedupe: bool) -> dict:
    out = {}
    for mode in MODES:
        hits5, rr10, misses = [], [], []
        for q in queries:
            results = kb.search(q["query"], k=10, mode=mode, dedupe=dedupe)
            flags = [is_hit(h.chunk, q["topics"]) for h in results]
            hits5.append(1.0 if any(flags[:5]) else 0.0)
            first = next((i for i, f in enumerate(flags[:10]) if f), None)
            rr10.append(0.0 if first is None else 1.0 / (first + 1))
            if not any(flags[:5]):
                misses.append(q.get("id", q["query"]))
        out[mode] = {"hit@5": statistics.fmean(hits5), "mrr@10": statistics.fmean(rr10), "misses@5": misses}
    return out


def _percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    idx = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[idx]


def child(args: argparse.Namespace) -> None:
    """One fresh process: build from scratch, re-check, query. Prints JSON timings."""
    import resource

    t0 = time.perf_counter()
    knowledge = _import_kb()
    kb_dir = Path(args.child)
    kb = knowledge.KnowledgeBase(kb_dir, **_kb_kwargs(args))
    t1 = time.perf_counter()
    report = kb.build(force=True)
    t2 = time.perf_counter()
    result = {
        "import_s": t1 - t0,
        "build_s": t2 - t1,
        "process_build_s": t2 - t0,
        "chunks": report.chunks,
        "documents": report.added,
    }
    kb.close()
    # Nothing changed: what a new process pays before its first search.
    kb2 = knowledge.KnowledgeBase(kb_dir, **_kb_kwargs(args))
    t3 = time.perf_counter()
    assert kb2.ensure_built() is None
    result["unchanged_ensure_s"] = time.perf_counter() - t3
    t4 = time.perf_counter()
    rep = kb2.build()
    result["unchanged_build_s"] = time.perf_counter() - t4
    assert not rep.rebuilt and rep.added == rep.updated == rep.removed == 0, rep
    queries = load_queries(Path(args.queries))
    t5 = time.perf_counter()
    kb2.search(queries[0]["query"], k=5)
    result["first_query_s"] = time.perf_counter() - t5
    latencies: dict[str, list[float]] = {m: [] for m in MODES}
    for _ in range(args.rounds):
        for mode in MODES:
            for q in queries:
                s = time.perf_counter()
                kb2.search(q["query"], k=5, mode=mode)
                latencies[mode].append((time.perf_counter() - s) * 1000)
    for mode in MODES:
        result[f"{mode}_p50_ms"] = statistics.median(latencies[mode])
        result[f"{mode}_p95_ms"] = _percentile(latencies[mode], 95)
    if args.with_quality:
        result["quality"] = quality(kb2, queries, dedupe=args.dedupe)
    kb2.close()
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", default=str(DEFAULT_QUERIES))
    parser.add_argument("--runs", type=int, default=5, help="fresh-process runs for the speed figures")
    parser.add_argument("--rounds", type=int, default=10, help="passes over the queries per mode for latency")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--dedupe", action="store_true", help="one chunk per document in the results")
    parser.add_argument("--patterns-dir")
    parser.add_argument("--chunk-chars", type=int)
    parser.add_argument("--chunk-overlap", type=int)
    parser.add_argument("--embedder", help="static (default), openai, openai:<model>")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--with-quality", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    passthrough = []
    for flag in ("patterns_dir", "chunk_chars", "chunk_overlap", "embedder"):
        value = getattr(args, flag)
        if value is not None:
            passthrough += [f"--{flag.replace('_', '-')}", str(value)]
    if args.dedupe:
        passthrough.append("--dedupe")

    runs = []
    n_runs = 1 if args.quality_only else max(1, args.runs)
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        for i in range(n_runs):
            kb_dir = Path(tmp) / f"run{i}"
            cmd = [
                sys.executable,
                __file__,
                "--child",
                str(kb_dir),
                "--queries",
                args.queries,
                "--rounds",
                str(args.rounds if not args.quality_only else 1),
                *passthrough,
            ]
            if i == 0:
                cmd.append("--with-quality")
            env = dict(os.environ, HF_HUB_OFFLINE="1")
            out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    quality_figures = runs[0]["quality"]
    speed = {key: statistics.median(r[key] for r in runs) for key in runs[0] if key != "quality"}
    result = {
        "queries": args.queries,
        "n_queries": len(load_queries(Path(args.queries))),
        "runs": n_runs,
        "dedupe": args.dedupe,
        "quality": quality_figures,
        "speed": speed,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"Retrieval quality on {Path(args.queries).name} ({result['n_queries']} queries, dedupe={args.dedupe})")
    print(f"{'mode':<8} {'hit@5':>6} {'MRR@10':>7}  misses@5")
    for mode in MODES:
        q = quality_figures[mode]
        print(f"{mode:<8} {q['hit@5']:>6.3f} {q['mrr@10']:>7.3f}  {', '.join(q['misses@5']) or '-'}")
    print()
    corpus = f"{speed['documents']:.0f} documents, {speed['chunks']:.0f} chunks"
    print(f"Speed (median of {n_runs} fresh-process runs; {corpus})")
    rows = [
        ("build from scratch (build call)", f"{speed['build_s']:.2f} s"),
        ("build from scratch (process incl. imports)", f"{speed['process_build_s']:.2f} s"),
        ("nothing changed: ensure_built", f"{speed['unchanged_ensure_s'] * 1000:.1f} ms"),
        ("nothing changed: build()", f"{speed['unchanged_build_s'] * 1000:.1f} ms"),
        ("first query in a process", f"{speed['first_query_s'] * 1000:.0f} ms"),
    ]
    for mode in MODES:
        rows.append(
            (f"warm query {mode} p50 / p95", f"{speed[mode + '_p50_ms']:.2f} / {speed[mode + '_p95_ms']:.2f} ms")
        )
    rows.append(("peak memory (maxrss)", f"{speed['peak_rss_mb']:.0f} MB"))
    for name, value in rows:
        print(f"  {name:<44} {value}")


if __name__ == "__main__":
    main()
