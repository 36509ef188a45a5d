"""Secrets never leave through error text: a provider that echoes the key in its error body."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlarchitect.redact import MASK, redact

SECRET = "sk-test-SECRET1234567890abcdef"
REQUEST = "Design a RAG system that answers questions over 2,000 PDF pages"


def test_redact_patterns() -> None:
    text = (f"key {SECRET}; Authorization: Bearer abc.def-ghi_jkl; https://x/v1?api_key=q1w2e3r4&x=1; "
            '{"api_key": "zz-top-secret"}; "authorization": "Bearer tok12345678"; configured hunter2hunter2')
    out = redact(text, secrets=["hunter2hunter2"])
    for leaked in (SECRET, "abc.def-ghi_jkl", "q1w2e3r4", "zz-top-secret", "tok12345678", "hunter2hunter2"):
        assert leaked not in out
    assert out.count(MASK) >= 6 and "x=1" in out
    assert redact("the token budget is 2,000 tokens; risk-based sampling") == (
        "the token budget is 2,000 tokens; risk-based sampling")


def test_redact_key_from_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('openai_api_key = "azure-0123456789abcdef"\n')
    monkeypatch.setenv("MLARCHITECT_CONFIG", str(config))
    assert redact("401: key azure-0123456789abcdef is invalid") == f"401: key {MASK} is invalid"


class _EchoHandler(BaseHTTPRequestHandler):
    """Every request fails (400 or 500, alternating); the body echoes the request's headers."""

    calls = 0

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        type(self).calls += 1
        status = 400 if type(self).calls % 2 else 500
        body = json.dumps({"error": {"message": f"invalid request; you sent Authorization: "
                                                f"{self.headers.get('authorization')} "
                                                f"and api_key={SECRET}", "type": "invalid_request_error"}})
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET = _answer  # noqa: N815


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    code = "import sys; from mlarchitect.tui.cli import main; main(sys.argv[1:])"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, env=env, timeout=300)


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("fallback", [True, False])
def test_secret_in_error_text(fallback: bool, echo_server: str, tmp_path: Path, shared_kb_dir: Path) -> None:
    """The key is nowhere in stderr, stdout, the deliverable or checkpoints."""
    data = tmp_path / "data"
    env = {**os.environ, "OPENAI_BASE_URL": echo_server, "OPENAI_API_KEY": SECRET, "MLARCHITECT_DATA_DIR": str(data),
           "MLARCHITECT_MAX_RETRIES": "0", "MLARCHITECT_FALLBACK_TO_OFFLINE": str(fallback).lower()}
    out = tmp_path / "design.json"
    proc = _run([REQUEST, "--format", "json", "-o", str(out), "--kb-dir", str(shared_kb_dir), "--thread-id", "s"],
                env)
    assert _EchoHandler.calls > 0  # the provider was really asked (and echoed the key)
    needle = SECRET.encode()
    assert needle not in proc.stderr and needle not in proc.stdout
    assert b"Traceback" not in proc.stderr
    if fallback:
        assert proc.returncode == 0, proc.stderr.decode()
        deliverable = out.read_bytes()
        assert needle not in deliverable
        notes = json.loads(deliverable)["notes"]
        assert any("failed" in n and MASK in n for n in notes), notes
    else:
        assert proc.returncode == 1 and b"design: error:" in proc.stderr
        assert MASK.encode() in proc.stderr
    stored = _all_bytes(data)
    assert stored and needle not in stored
    assert b"SECRET1234567890" not in stored + proc.stderr
