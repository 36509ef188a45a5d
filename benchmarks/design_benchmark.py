"""Speed and memory of the CLI: `design --help` and one offline design.

Usage: python benchmarks/design_benchmark.py [--runs 5]

Each figure is the median of N runs of a fresh process (so imports count), with
peak memory (max RSS of the child). The commands run in turn in every round (baseline,
design, baseline, design ...), so load from other work falls on all of them alike. Two baselines run in the same session, so a
slow or busy machine shows in them too: a bare `python -c pass`, and importing
what any design needs (`import langgraph.graph, chromadb`), and the same plus what any
tool-calling LangGraph agent imports (`langgraph.prebuilt`, `langchain_core.language_models`).
Targets (2 cores):
--help < 0.15 s; an offline design (warm knowledge base) within 1.2x the import
baseline and under 200 MB peak.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile

from common import DESIGN, REQUEST, offline_env, warm


# A wrapper process per run, so that RUSAGE_CHILDREN is the peak of that one child.
_WRAPPER = (
    "import resource, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def run_once(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak MB) of one fresh process running ``cmd``."""
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    return float(out[0]), int(out[1]) / 1024


def measure_interleaved(commands: list[list[str]], env: dict[str, str], runs: int) -> list[tuple[float, float]]:
    """(median seconds, max peak MB) per command, the commands run in turn in every round,
    so load from other work on the machine falls on all of them alike."""
    times: list[list[float]] = [[] for _ in commands]
    peaks: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for i, cmd in enumerate(commands):
            seconds, peak = run_once(cmd, env)
            times[i].append(seconds)
            peaks[i].append(peak)
    return [(statistics.median(t), max(p)) for t, p in zip(times, peaks, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = offline_env(data)
        design = DESIGN
        warm(env)  # the first run builds the knowledge base; that is measured by kb_benchmark.py
        rows = [
            ("python -c pass (baseline)", [sys.executable, "-c", "pass"], None),
            ("import langgraph, chromadb", [sys.executable, "-c", "import langgraph.graph, chromadb"], None),
            # what any tool-calling LangGraph agent imports besides (ToolNode, a chat model class)
            ("import + prebuilt, chat models", [sys.executable, "-c", "import langgraph.graph, langgraph.prebuilt, "
                                               "chromadb, langchain_core.language_models"], None),
            ("design --help", [*design, "--help"], "< 0.15 s"),
            ("design REQUEST (offline)", [*design, REQUEST, "-q", "--no-cache"], "< 1.2x imports, < 200 MB"),
        ]
        figures = measure_interleaved([cmd for _, cmd, _ in rows], env, args.runs)
    print(f"{'command':32} {'median s':>9} {'peak MB':>9}  target")
    for (name, _, target), (seconds, peak) in zip(rows, figures, strict=True):
        print(f"{name:32} {seconds:9.3f} {peak:9.1f}  {target or ''}")
    design_s = figures[4][0]
    print(f"offline design / import baseline: {design_s / figures[1][0]:.2f}x")
    print(f"offline design / agent-import baseline: {design_s / figures[2][0]:.2f}x")


if __name__ == "__main__":
    main()
