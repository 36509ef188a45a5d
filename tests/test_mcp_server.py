"""The MCP server, through the official SDK's client over real transports.

Each test spawns the server as a subprocess (``python -m mlarchitect.mcp_server`` or
the ``design mcp`` console script) with its data in a temporary directory and the
session's prebuilt knowledge base; everything runs offline.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, StdioServerParameters
from support.servers import free_port, stop, wait_until

from mlarchitect.deliverable import ArchitectureDesign, design_json_schema

DESIGN_CLI = Path(sys.executable).with_name("design")
RAG = "A RAG chatbot over 30,000 Confluence pages, p95 under 2 s"
SERVING = "Serve a 7B model at 200 requests per second with p95 latency under 500 ms"
TIMEOUT_S = 240


@pytest.fixture
def server_env(tmp_path: Path, shared_kb_dir: Path) -> dict[str, str]:
    return {
        "MLARCHITECT_DATA_DIR": str(tmp_path / "data"),
        "MLARCHITECT_KB_DIR": str(shared_kb_dir),
        "MLARCHITECT_CONFIG": str(tmp_path / "no-config.toml"),
        "ANONYMIZED_TELEMETRY": "False",
    }


def run_with_client(env: dict[str, str], body: Callable[[Client], Awaitable[Any]]) -> Any:
    """Spawn ``python -m mlarchitect.mcp_server`` over stdio and run ``body`` with a connected client."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "mlarchitect.mcp_server"], env=env)

    async def main() -> Any:
        async with Client(params, read_timeout_seconds=TIMEOUT_S) as client:
            return await body(client)

    return asyncio.run(asyncio.wait_for(main(), TIMEOUT_S))


def test_lists_tools_resources_and_prompt(server_env: dict[str, str]) -> None:
    async def body(client: Client) -> None:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"design", "search_patterns"}
        design = tools["design"]
        assert design.input_schema["required"] == ["request"]
        assert set(design.input_schema["properties"]) == {"request", "workflow", "model", "format"}
        assert design.output_schema is not None and "components" in design.output_schema["properties"]
        assert tools["search_patterns"].output_schema["properties"]["hits"]["type"] == "array"

        resources = {str(r.uri): r for r in (await client.list_resources()).resources}
        patterns = sorted(Path(__file__).resolve().parents[1].joinpath("knowledge", "patterns").glob("*.md"))
        assert len([u for u in resources if u.startswith("pattern://")]) == len(patterns)
        assert resources["pattern://hybrid-search"].mime_type == "text/markdown"
        text = (await client.read_resource("pattern://hybrid-search")).contents[0].text
        assert text.startswith("---\nid: hybrid-search\n")
        schema = (await client.read_resource("schema://deliverable")).contents[0]
        assert schema.mime_type == "application/json"
        assert json.loads(schema.text) == design_json_schema()

        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        assert [a.name for a in prompts["design_review"].arguments] == ["request", "focus"]
        prompt = await client.get_prompt("design_review", {"request": RAG, "focus": "cost"})
        message = prompt.messages[0].content.text
        assert RAG in message and "`design` tool" in message and "cost" in message

    run_with_client(server_env, body)


def test_design_returns_the_deliverable_with_progress(server_env: dict[str, str]) -> None:
    progress: list[tuple[float, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, message))

    async def body(client: Client) -> tuple[Any, Any, Any]:
        md = await client.call_tool("design", {"request": RAG}, progress_callback=on_progress)
        as_json = await client.call_tool("design", {"request": SERVING, "format": "json"})
        hinted = await client.call_tool("design", {"request": "A system for 5 researchers who fine-tune models",
                                                   "workflow": "experiment_tracking"})
        return md, as_json, hinted

    md, as_json, hinted = run_with_client(server_env, body)
    assert not md.is_error
    design = ArchitectureDesign.model_validate(md.structured_content)
    assert design.workflow == "rag_system" and design.components
    assert md.content[0].text.startswith("# ") and design.components[0].name in md.content[0].text
    values = [v for v, _ in progress]
    assert values == sorted(values) and len(values) >= 5
    messages = [m or "" for _, m in progress]
    assert any(m.startswith("routed to rag_system") for m in messages)
    assert any("→" in m for m in messages)  # a tool call

    assert not as_json.is_error
    assert json.loads(as_json.content[0].text) == as_json.structured_content
    assert as_json.structured_content["workflow"] == "model_serving"
    assert hinted.structured_content["workflow"] == "experiment_tracking"


def test_bad_requests_are_error_results_and_the_server_keeps_serving(server_env: dict[str, str]) -> None:
    async def body(client: Client) -> list[Any]:
        return [
            await client.call_tool("design", {"request": "   "}),
            await client.call_tool("design", {"request": "word " * 5_000}),
            await client.call_tool("design", {"request": RAG, "workflow": "astrology"}),
            await client.call_tool("search_patterns", {"query": "hybrid search", "k": 0}),
            await client.call_tool("search_patterns", {"query": "hybrid search", "k": 3}),
            await client.call_tool("design", {"request": SERVING}),
        ]

    empty, oversize, workflow, bad_k, search, design = run_with_client(server_env, body)
    assert empty.is_error and "the request is empty" in empty.content[0].text
    assert oversize.is_error and "the limit is 20,000" in oversize.content[0].text
    assert workflow.is_error and "workflow" in workflow.content[0].text
    assert bad_k.is_error
    assert not search.is_error
    hits = search.structured_content["hits"]
    assert 1 <= len(hits) <= 3 and hits[0]["doc_id"] == "hybrid-search"
    assert hits[0]["uri"] == "pattern://hybrid-search" and hits[0]["title"] and hits[0]["excerpt"]
    assert not design.is_error and design.structured_content["components"]


def test_two_concurrent_designs_both_complete(server_env: dict[str, str]) -> None:
    async def body(client: Client) -> list[Any]:
        return list(await asyncio.gather(client.call_tool("design", {"request": RAG}),
                                         client.call_tool("design", {"request": SERVING})))

    rag, serving = run_with_client(server_env, body)
    assert not rag.is_error and not serving.is_error
    assert rag.structured_content["workflow"] == "rag_system"
    assert serving.structured_content["workflow"] == "model_serving"
    assert rag.structured_content["provenance"]["thread_id"] != serving.structured_content["provenance"]["thread_id"]


def test_stdout_carries_only_the_protocol(server_env: dict[str, str]) -> None:
    """The ``design mcp`` console script, driven by hand: every stdout line is JSON-RPC."""
    if not DESIGN_CLI.exists():
        pytest.skip(f"the design console script is not installed next to {sys.executable}")

    def message(id_: int | None, method: str, params: dict[str, Any]) -> bytes:
        body: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
        if id_ is not None:
            body["id"] = id_
        return (json.dumps(body) + "\n").encode()

    async def main() -> tuple[list[bytes], bytes]:
        proc = await asyncio.create_subprocess_exec(
            str(DESIGN_CLI), "mcp", stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, **server_env})
        assert proc.stdin and proc.stdout and proc.stderr
        stderr_task = asyncio.ensure_future(proc.stderr.read())
        proc.stdin.write(message(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                                   "clientInfo": {"name": "raw", "version": "0"}}))
        proc.stdin.write(message(None, "notifications/initialized", {}))
        proc.stdin.write(message(2, "tools/call", {"name": "search_patterns", "arguments": {"query": "caching"}}))
        proc.stdin.write(message(3, "tools/call", {"name": "design", "arguments": {"request": RAG}}))
        proc.stdin.write(message(4, "tools/call", {"name": "design", "arguments": {"request": ""}}))
        await proc.stdin.drain()
        lines: list[bytes] = []
        answered: set[int] = set()
        while answered != {1, 2, 3, 4}:
            line = await proc.stdout.readline()
            assert line, "the server closed stdout early"
            lines.append(line)
            data = json.loads(line)
            if "id" in data and "method" not in data:
                answered.add(data["id"])
        proc.stdin.close()
        lines.extend(line for line in (await proc.stdout.read()).splitlines() if line.strip())
        await proc.wait()
        return lines, await stderr_task

    lines, _stderr = asyncio.run(asyncio.wait_for(main(), TIMEOUT_S))
    parsed = [json.loads(line) for line in lines]  # a stray print would fail here
    assert all(p["jsonrpc"] == "2.0" for p in parsed)
    results = {p["id"]: p for p in parsed if "id" in p and "method" not in p}
    assert results[1]["result"]["serverInfo"]["name"] == "mlarchitect"
    assert results[2]["result"]["structuredContent"]["hits"]
    assert results[3]["result"]["structuredContent"]["components"]
    assert results[4]["result"]["isError"] is True


def test_streamable_http_on_loopback(server_env: dict[str, str], tmp_path: Path) -> None:
    if not DESIGN_CLI.exists():
        pytest.skip(f"the design console script is not installed next to {sys.executable}")
    port = free_port()
    log_path = tmp_path / "mcp-http.log"
    log = log_path.open("wb")
    proc = subprocess.Popen([str(DESIGN_CLI), "mcp", "--http", str(port)], env={**os.environ, **server_env},
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            return False
        return True

    try:
        wait_until(listening, proc, log_path, TIMEOUT_S, "design mcp --http")

        async def main() -> Any:
            async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=TIMEOUT_S) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                return names, await client.call_tool("design", {"request": SERVING})

        names, result = asyncio.run(asyncio.wait_for(main(), TIMEOUT_S))
        assert names == {"design", "search_patterns"}
        assert not result.is_error and result.structured_content["workflow"] == "model_serving"
    finally:
        stop(proc)
        log.close()
