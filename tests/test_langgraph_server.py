"""``langgraph dev`` serves the architect graph of ``langgraph.json`` over HTTP.

Starts the real server from the repository root on a free loopback port (no browser,
no reload, no analytics, no version check, no tracing), runs one design through the
official ``langgraph_sdk`` client, and shuts the server down.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from support.servers import free_port, stop, wait_until

ROOT = Path(__file__).resolve().parents[1]
LANGGRAPH = Path(sys.executable).with_name("langgraph")
READY_TIMEOUT_S = 180
REQUEST = "Design a RAG chatbot over 30,000 Confluence pages with answers in under 2 seconds"


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/ok", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_langgraph_json_points_at_a_graph_without_checkpointer() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    assert config["dependencies"] == ["."]
    path, _, name = config["graphs"]["architect"].partition(":")
    assert (ROOT / path).is_file() and name == "graph"


@pytest.fixture
def langgraph_server(tmp_path: Path, shared_kb_dir: Path):
    if not LANGGRAPH.exists():
        pytest.skip(f"the langgraph CLI is not installed next to {sys.executable} (pip install -e '.[test]')")
    pytest.importorskip("langgraph_api", reason="langgraph dev needs langgraph-cli[inmem]")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "MLARCHITECT_DATA_DIR": str(tmp_path / "data"),
        "MLARCHITECT_KB_DIR": str(shared_kb_dir),
        "LANGGRAPH_CLI_NO_ANALYTICS": "1",
        "LANGGRAPH_NO_VERSION_CHECK": "true",
        "LANGSMITH_TRACING": "false",
        "LANGCHAIN_TRACING_V2": "false",
        "NO_COLOR": "1",
    }
    for name in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "LANGGRAPH_CLOUD_LICENSE_KEY"):
        env.pop(name, None)
    state_dir = ROOT / ".langgraph_api"  # the in-memory server's files, relative to its working directory
    existed = state_dir.exists()
    log_path = tmp_path / "langgraph-dev.log"
    log = log_path.open("wb")
    proc = subprocess.Popen(
        [str(LANGGRAPH), "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until(lambda: _ready(url), proc, log_path, READY_TIMEOUT_S, "langgraph dev")
        yield url
    finally:
        stop(proc)
        log.close()
        if not existed:
            shutil.rmtree(state_dir, ignore_errors=True)


def test_langgraph_dev_runs_a_design_over_http(langgraph_server: str) -> None:
    from langgraph_sdk import get_client

    async def run() -> tuple[list, dict, dict]:
        client = get_client(url=langgraph_server)
        assistants = await client.assistants.search(graph_id="architect")
        thread = await client.threads.create()
        output = await client.runs.wait(thread["thread_id"], "architect", input={"request": REQUEST})
        state = await client.threads.get_state(thread["thread_id"])
        return assistants, output, state

    assistants, output, state = asyncio.run(run())
    assert [a["graph_id"] for a in assistants] == ["architect"]
    design = output["design"]
    assert design["workflow"] == "rag_system"
    assert design["components"] and all(c["name"] for c in design["components"])
    assert design["request"] == REQUEST
    assert design["provenance"]["offline"] is True
    assert set(output) <= {"request", "design", "route", "stated", "requirements", "notes", "llm_calls",
                           "tokens", "fallback_used"}
    assert "messages" not in output
    assert state["values"]["design"]["title"] == design["title"]  # the server's checkpointer kept the run
