"""Helpers for tests that run a server as a subprocess on the loopback interface."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen, log: Path, timeout_s: float, what: str) -> None:
    """Poll ``ready`` (bounded by ``timeout_s``); fail with the server's log if it exits or never gets ready."""
    import pytest

    deadline = time.monotonic() + timeout_s
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            output = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            pytest.fail(f"{what} did not become ready (exit code {proc.poll()}):\n{output}")
        time.sleep(0.3)


def stop(proc: subprocess.Popen) -> None:
    """End a server started with ``start_new_session=True`` (its whole process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
