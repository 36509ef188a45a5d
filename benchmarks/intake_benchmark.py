"""Speed of reading a request (intake: ``extract_requirements``), per request.

Usage: python benchmarks/intake_benchmark.py [--runs 7]

Each round times every request of ``tests/data/requirements_heldout.jsonl`` once; the
figure is the median over rounds of the mean time per request (CPU time of this process).
Two baselines run in the same rounds, so a slow or busy machine shows in them too: a
one-word request (the fixed cost of a reading) and splitting the same texts into words
with one regex (the floor for touching every character). Target (2 cores): under 5 ms
per request. This was a timed assert in the test suite until round 10; speed belongs here.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import time
from pathlib import Path

from mlarchitect.agents.intake.extract import extract_requirements

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "requirements_heldout.jsonl"
TARGET_MS = 5.0


def _per_request_ms(fn, texts: list[str]) -> float:  # noqa: ANN001
    start = time.process_time()
    for text in texts:
        fn(text)
    return (time.process_time() - start) / len(texts) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    texts = [json.loads(line)["request"] for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    words = re.compile(r"\w+")
    for text in texts[:3]:
        extract_requirements(text)  # compile the lazy patterns outside the timing
    rows: dict[str, list[float]] = {"intake": [], "baseline: one-word request": [], "baseline: regex word split": []}
    for _ in range(runs):  # interleaved, so load from other work falls on all of them alike
        rows["intake"].append(_per_request_ms(extract_requirements, texts))
        rows["baseline: one-word request"].append(_per_request_ms(extract_requirements, ["rag"] * len(texts)))
        rows["baseline: regex word split"].append(_per_request_ms(words.findall, texts))
    print(f"{len(texts)} requests, median of {runs} rounds (ms per request, CPU time)")
    for name, values in rows.items():
        print(f"  {name:<28} {statistics.median(values):7.3f}")
    intake = statistics.median(rows["intake"])
    print(f"target: intake < {TARGET_MS} ms per request -> {'met' if intake < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
