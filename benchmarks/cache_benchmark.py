"""The response cache and the design log: a cache hit against a full offline design.

Usage: python benchmarks/cache_benchmark.py [--runs 5]

Fresh processes (imports count): `design REQUEST --no-cache` (a full offline design,
warm knowledge base) against `design REQUEST` answered from the cache, and
`design log list`; a bare `python -c pass` is the baseline of the same session. In one
process: `design(..., cache=False)` against a cache hit, once the knowledge base is open.
Each figure is the median of N runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import DESIGN, REQUEST, median_wall, offline_env, warm


def in_process(data: str, runs: int) -> tuple[float, float]:
    from mlarchitect.agents.api import design

    design(REQUEST, offline=True, data_dir=Path(data))  # open the knowledge base, fill the cache
    full, hit = [], []
    for _ in range(runs):
        started = time.perf_counter()
        design(REQUEST, offline=True, data_dir=Path(data), cache=False)
        full.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert design(REQUEST, offline=True, data_dir=Path(data)).provenance.cached
        hit.append(time.perf_counter() - started)
    return statistics.median(full), statistics.median(hit)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = offline_env(data)
        os.environ.update(MLARCHITECT_DATA_DIR=data)
        design = DESIGN
        warm(env)  # the knowledge base, and the cache entry the hits read
        rows = [
            ("python -c pass (baseline)", median_wall([sys.executable, "-c", "pass"], env, args.runs)),
            ("design REQUEST --no-cache (full offline design)", median_wall([*design, REQUEST, "-q", "--no-cache"], env,
                                                                       args.runs)),
            ("design REQUEST (cache hit)", median_wall([*design, REQUEST, "-q"], env, args.runs)),
            ("design log list", median_wall([*design, "log", "list"], env, args.runs)),
        ]
        full, hit = in_process(data, args.runs)
        rows += [("in process: design(cache=False)", full), ("in process: design() cache hit", hit)]
    print(f"median of {args.runs} runs")
    print("| command | median |\n|---|---|")
    for name, seconds in rows:
        print(f"| `{name}` | {seconds:.3f} s |")


if __name__ == "__main__":
    main()
