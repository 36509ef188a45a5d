"""Kill a design mid-run (SIGKILL, SIGINT, SIGTERM) and resume it from its checkpoint.

The run is held at a known point without any hook in the product: the model is a local
server that never answers, so the process sits in its first model call after the intake
step's checkpoint was written. The test polls the checkpoint database for the thread's rows
and the server for the request, then sends the signal."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlarchitect.agents.checkpoints import damage

REQUEST = "Design a RAG system that answers questions over 30,000 Confluence pages"
CODE = "import sys; from mlarchitect.tui.cli import main; main(sys.argv[1:])"


class _Hanging:
    """An OpenAI-compatible base URL whose requests are received and never answered."""

    def __init__(self) -> None:
        self.received = threading.Event()
        self.release = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                outer.received.set()
                outer.release.wait(120)
                try:
                    self.send_error(503)
                except OSError:
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def hanging() -> Iterator[_Hanging]:
    server = _Hanging()
    server.thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.server.shutdown()
        server.server.server_close()


def _rows(db: Path, thread: str) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (thread,)).fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _start_and_stop(tmp_path: Path, kb: Path, server: _Hanging, thread: str, sig: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "OPENAI_BASE_URL": server.url, "OPENAI_API_KEY": "sk-test-resume",
           "MLARCHITECT_DATA_DIR": str(tmp_path / "data"), "MLARCHITECT_MAX_RETRIES": "0",
           "MLARCHITECT_REQUEST_TIMEOUT_S": "60"}
    proc = subprocess.Popen([sys.executable, "-c", CODE, REQUEST, "--thread-id", thread, "--kb-dir", str(kb),
                             "--format", "json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            # a shell's background job inherits SIGINT ignored; a terminal's would not
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    db = tmp_path / "data" / "checkpoints.sqlite"
    deadline = time.monotonic() + 240
    while not (server.received.is_set() and _rows(db, thread) > 0):
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, "the run never reached its first model call"
        time.sleep(0.05)
    proc.send_signal(sig)
    proc.wait(timeout=120)
    return proc


def _resume(tmp_path: Path, kb: Path, thread: str) -> dict:
    env = {**os.environ, "MLARCHITECT_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", CODE, "resume", thread, "--offline", "--kb-dir", str(kb),
                           "--format", "json"], env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr.decode()
    assert f"resuming thread {thread}".encode() in done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGKILL, -signal.SIGKILL), (signal.SIGINT, 130),
                                           (signal.SIGTERM, 143)])
def test_kill_and_resume(sig: int, code: int, tmp_path: Path, shared_kb_dir: Path, hanging: _Hanging) -> None:
    """The checkpoint is intact after the signal; `design resume` completes."""
    thread = f"t-{sig}"
    proc = _start_and_stop(tmp_path, shared_kb_dir, hanging, thread, sig)
    err = proc.stderr.read().decode() if proc.stderr else ""
    assert proc.returncode == code, err
    assert "Traceback" not in err
    if sig != signal.SIGKILL:
        assert ("interrupted" if sig == signal.SIGINT else "terminated") in err
    db = tmp_path / "data" / "checkpoints.sqlite"
    assert damage(db) is None and _rows(db, thread) > 0
    result = _resume(tmp_path, shared_kb_dir, thread)
    assert result["request"] == REQUEST and result["workflow"] == "rag_system"
    assert result["provenance"]["thread_id"] == thread and result["components"]


def test_resume_unknown_thread(tmp_path: Path, shared_kb_dir: Path) -> None:
    env = {**os.environ, "MLARCHITECT_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", CODE, "resume", "nope", "--kb-dir", str(shared_kb_dir)],
                          env=env, capture_output=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and b"no unfinished run" in done.stderr and b"Traceback" not in done.stderr
