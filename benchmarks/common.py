"""What the CLI benchmarks share: the request, the command, an offline environment and
a wall-clock timer for a fresh process."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REQUEST = "Design a RAG system that answers employee questions from 30,000 Confluence pages and PDFs"
DESIGN = [sys.executable, "-m", "mlarchitect.tui.cli"]


def offline_env(data_dir: str, *, cache: bool = True) -> dict[str, str]:
    """This environment without model credentials, with its own data directory; ``cache=False``
    turns the response cache off, so every design is a full design."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env.update(MLARCHITECT_DATA_DIR=data_dir, ANONYMIZED_TELEMETRY="False")
    if not cache:
        env["MLARCHITECT_CACHE"] = "false"
    return env


PACKAGE_DIRS = ("mlarchitect", "agents", "skills", "knowledge", "prompts", "tui")


def warm(env: dict[str, str]) -> None:
    """Byte-compile the project as ``pip install`` does (with PYTHONDONTWRITEBYTECODE set, a
    checkout would otherwise compile every module from source on every run), then one design,
    so the knowledge base is built before anything is timed."""
    root = Path(__file__).resolve().parent.parent
    dirs = [str(root / d) for d in PACKAGE_DIRS if (root / d).is_dir()]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *dirs], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*DESIGN, REQUEST, "-q"], env=env, check=True, stdout=subprocess.DEVNULL)


def wall(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds for ``cmd`` in a fresh process, output discarded."""
    started = time.perf_counter()
    subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def median_wall(cmd: list[str], env: dict[str, str], runs: int) -> float:
    return statistics.median(wall(cmd, env) for _ in range(runs))
