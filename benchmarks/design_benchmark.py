"""Speed and memory of the CLI: `design --help` and one offline design.

Usage: python benchmarks/design_benchmark.py [--runs 5]

Each figure is the median of N runs of a fresh process (so imports count), with
peak memory (max RSS of the child). Two baselines run in the same session, so a
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


def measure(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        times.append(float(out[0]))
        peaks.append(int(out[1]) / 1024)
    return statistics.median(times), max(peaks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = offline_env(data)
        design = DESIGN
        warm(env)  # the first run builds the knowledge base; that is measured by kb_benchmark.py
        rows = [
            ("python -c pass (baseline)", measure([sys.executable, "-c", "pass"], env, args.runs), None),
            ("import langgraph, chromadb", measure([sys.executable, "-c", "import langgraph.graph, chromadb"],
                                                   env, args.runs), None),
            # what any tool-calling LangGraph agent imports besides (ToolNode, a chat model class)
            ("import + prebuilt, chat models", measure(
                [sys.executable, "-c", "import langgraph.graph, langgraph.prebuilt, chromadb, "
                 "langchain_core.language_models"], env, args.runs), None),
            ("design --help", measure([*design, "--help"], env, args.runs), "< 0.15 s"),
            ("design REQUEST (offline)", measure([*design, REQUEST, "-q", "--no-cache"], env, args.runs), "< 1.2x imports, < 200 MB"),
        ]
    print(f"{'command':32} {'median s':>9} {'peak MB':>9}  target")
    for name, (seconds, peak), target in rows:
        print(f"{name:32} {seconds:9.3f} {peak:9.1f}  {target or ''}")
    design_s = rows[4][1][0]
    print(f"offline design / import baseline: {design_s / rows[1][1][0]:.2f}x")
    print(f"offline design / agent-import baseline: {design_s / rows[2][1][0]:.2f}x")


if __name__ == "__main__":
    main()
