"""Speed and memory of `design chat` (not a test: prints figures).

Usage: python benchmarks/chat_benchmark.py [--runs 5] [--turns 20] [--skip-memory]

1. Startup: from spawning `design chat --offline` (a fresh process on a real
   pseudo-terminal) to its first frame with the input focused. Median of N runs,
   beside a bare `python -c pass` baseline. Target (2 cores): < 1.0 s.
2. Key-press latency while a design runs: during real offline design turns and
   during a synthetic stream of 3,000 tokens, a key is posted every 20 ms and
   timed until the input box holds the character. Target: p95 < 100 ms.
3. Memory: resident set size after a 20-turn session on the offline engine
   (one request, 19 follow-ups), with the deliverable tabs and the transcript on
   screen.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any

REQUEST = "Design model serving for a fraud classifier at 200 requests per second, p95 under 100 ms"
FOLLOW_UPS = ["We now expect {n:,} requests per second.", "Keep the p95 under {m} ms.",
              "The budget is ${b:,} a month."]

_STARTUP_CHILD = r"""
import os, resource, sys, time
from mlarchitect.tui.chat import app as chat_app
original = chat_app.ChatApp.on_mount
async def on_mount(self):
    def ready():
        with open(os.environ["CHAT_BENCH_OUT"], "w") as fh:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            fh.write(f"{time.time()!r} {usage.ru_utime + usage.ru_stime!r}")
        self.exit()
    self.call_after_refresh(ready)  # before the app's own after-first-frame work (settings, warm-up)
    await original(self)
chat_app.ChatApp.on_mount = on_mount
from mlarchitect.tui.cli import main
main(["chat", "--offline"])
"""


def startup(runs: int, env: dict[str, str]) -> tuple[float, float, float, float]:
    """Median wall seconds to the first frame, the best, the median CPU seconds of
    the process up to it (less sensitive to a busy machine), and a bare-python baseline."""
    times, cpu = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "ready"
            child_env = dict(env, CHAT_BENCH_OUT=str(out), TERM="xterm-256color", COLUMNS="160", LINES="48")
            master, slave = pty.openpty()
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
            start = time.time()
            proc = subprocess.Popen([sys.executable, "-c", _STARTUP_CHILD], stdin=slave, stdout=slave, stderr=slave,
                                    env=child_env, close_fds=True)
            os.close(slave)
            reader = threading.Thread(target=_drain, args=(master,), daemon=True)
            reader.start()
            proc.wait(timeout=120)
            os.close(master)
            if not out.exists():
                raise SystemExit("the chat did not report its first frame")
            ready, cpu_s = out.read_text().split()
            times.append(float(ready) - start)
            cpu.append(float(cpu_s))
    baseline = statistics.median(_bare_python() for _ in range(runs))
    return statistics.median(times), min(times), statistics.median(cpu), baseline


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass


def _bare_python() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


async def _key_latencies(app: Any, pilot: Any, busy: Any) -> list[float]:
    """Post a key every 20 ms while ``busy()``; seconds until the input shows it."""
    from textual import events

    from mlarchitect.tui.chat.widgets import ChatInput

    chat_input = app.query_one(ChatInput)
    chat_input.focus()
    samples = []
    while busy():
        before = len(chat_input.text)
        start = time.perf_counter()
        app.post_message(events.Key("x", "x"))
        while len(chat_input.text) == before:
            await asyncio.sleep(0.001)
        samples.append(time.perf_counter() - start)
        await asyncio.sleep(0.02)
    chat_input.clear()
    return samples


def _token_source(count: int) -> Any:
    from mlarchitect.events import DeliverableReady, Token

    def run(request: str, *, settings: Any, thread_id: str) -> Any:
        design = _offline_design(settings)
        for i in range(count):
            yield Token(text=f"word{i} " + ("\n\n" if i % 40 == 39 else ""))
        yield DeliverableReady(design=design)

    return run


_DESIGN: Any = None


def _offline_design(settings: Any) -> Any:
    global _DESIGN
    if _DESIGN is None:
        from mlarchitect.agents.api import design

        _DESIGN = design(REQUEST, settings=settings)
    return _DESIGN


async def latency_and_memory(data_dir: Path, turns: int, measure_memory: bool) -> dict[str, Any]:
    from mlarchitect.config import Settings
    from mlarchitect.tui.chat.app import ChatApp
    from mlarchitect.tui.chat.widgets import ChatInput

    settings = Settings(data_dir=data_dir, offline=True)
    results: dict[str, Any] = {}

    async def send(app: Any, pilot: Any, text: str) -> list[float]:
        app.query_one(ChatInput).load_text(text)
        await pilot.press("enter")
        samples = await _key_latencies(app, pilot, lambda: app.running)
        await app.workers.wait_for_complete()
        return samples

    # Key presses during real offline design turns.
    app = ChatApp(settings, warm_up=False)
    async with app.run_test(size=(160, 48)) as pilot:
        samples: list[float] = []
        for text in (REQUEST, "We now expect 2,000 requests per second.", "Keep the p95 under 50 ms."):
            samples += await send(app, pilot, text)
        results["engine"] = samples

    # Key presses during a fast synthetic stream of tokens into the Markdown answer.
    app = ChatApp(settings, source=_token_source(3000), warm_up=False)
    async with app.run_test(size=(160, 48)) as pilot:
        results["stream"] = await send(app, pilot, "stream")

    if measure_memory:
        import gc

        gc.collect()
        before = _rss_mb()
        app = ChatApp(settings, warm_up=False)
        async with app.run_test(size=(160, 48)) as pilot:
            start = time.perf_counter()
            for n in range(turns):
                text = REQUEST if n == 0 else FOLLOW_UPS[n % 3].format(n=200 * (n + 1), m=100 - 2 * n, b=500 * n)
                app.query_one(ChatInput).load_text(text)
                await pilot.press("enter")
                await app.workers.wait_for_complete()
                await pilot.pause()
            results["turn_s"] = (time.perf_counter() - start) / turns
            gc.collect()
            results["rss_after"] = _rss_mb()
            results["rss_before"] = before
            results["turns_done"] = len(app.store.turns(app.session.id))
    return results


def _summary(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, int(0.95 * len(ms)))]
    return f"n={len(ms)}  median {statistics.median(ms):.1f} ms  p95 {p95:.1f} ms  max {ms[-1]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        env = dict(os.environ, MLARCHITECT_DATA_DIR=str(data_dir), ANONYMIZED_TELEMETRY="False")
        env.pop("OPENAI_API_KEY", None)
        os.environ.update(MLARCHITECT_DATA_DIR=str(data_dir), ANONYMIZED_TELEMETRY="False")
        from mlarchitect.config import Settings
        from mlarchitect.knowledge import KnowledgeBase

        KnowledgeBase(Settings(data_dir=data_dir).resolved_kb_dir).ensure_built()  # not part of any figure
        median, best, cpu, baseline = startup(args.runs, env)
        print(f"startup to first frame: median {median:.3f} s, best {best:.3f} s, CPU {cpu:.3f} s "
              f"(bare python {baseline:.3f} s; target < 1.0 s)")
        results = asyncio.run(latency_and_memory(data_dir, args.turns, not args.skip_memory))
        print(f"key press during offline design turns: {_summary(results['engine'])} (target p95 < 100 ms)")
        print(f"key press during a 3,000-token stream:  {_summary(results['stream'])}")
        if "rss_after" in results:
            print(f"memory: {results['rss_after']:.0f} MB RSS after a {results['turns_done']}-turn session "
                  f"({results['rss_before']:.0f} MB before it; {results['turn_s']:.2f} s per turn)")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
