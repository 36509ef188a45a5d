"""The MCP server's latency against the CLI's, in the same run.

Usage: python benchmarks/mcp_benchmark.py [--runs 3]

Figures (each the median of N runs, offline engine, warm knowledge base):

* ``python -c pass``: the baseline, so a slow machine shows as a slow baseline;
* ``design REQUEST``: the CLI's wall time for one design in a fresh process;
* MCP spawn -> ``initialize`` answer: ``python -m mlarchitect.mcp_server`` started over
  stdio by the SDK's client (``mode="legacy"``: the ``initialize`` handshake MCP clients use);
* MCP ``design`` call, first and later: one ``tools/call design`` over that connection (the
  first call of a server opens its knowledge base; later calls find it open);
* MCP ``search_patterns`` call (warm).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time

from common import DESIGN, REQUEST, offline_env, wall, warm


async def mcp_session(env: dict[str, str], calls: int) -> tuple[float, list[float], float]:
    """(spawn -> initialize answer, [design call latencies], search call latency)."""
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "mlarchitect.mcp_server"], env=env)
    started = time.perf_counter()
    async with Client(params, mode="legacy", read_timeout_seconds=300) as client:
        initialized = time.perf_counter() - started
        designs = []
        for _ in range(calls):
            t = time.perf_counter()
            result = await client.call_tool("design", {"request": REQUEST})
            designs.append(time.perf_counter() - t)
            assert not result.is_error, result.content
        t = time.perf_counter()
        result = await client.call_tool("search_patterns", {"query": "hybrid search reranking"})
        search = time.perf_counter() - t
        assert not result.is_error, result.content
    return initialized, designs, search


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        env = offline_env(data, cache=False)  # every CLI run and MCP call is a full design, never a cache hit
        design = DESIGN
        warm(env)
        baseline = [wall([sys.executable, "-c", "pass"], env) for _ in range(args.runs)]
        cli = [wall([*design, REQUEST, "-q"], env) for _ in range(args.runs)]
        sessions = [asyncio.run(mcp_session(env, calls=3)) for _ in range(args.runs)]
    rows = [
        ("python -c pass (baseline)", baseline),
        ("design REQUEST (CLI, fresh process)", cli),
        ("MCP spawn -> initialize answer", [s[0] for s in sessions]),
        ("MCP design call, first of a server", [s[1][0] for s in sessions]),
        ("MCP design call, later calls", [d for s in sessions for d in s[1][1:]]),
        ("MCP search_patterns call (warm)", [s[2] for s in sessions]),
    ]
    print(f"{'measure':40} {'median s':>9} {'n':>3}")
    for name, values in rows:
        print(f"{name:40} {statistics.median(values):9.3f} {len(values):3d}")


if __name__ == "__main__":
    main()
