"""Shared stores for scale-out: the knowledge base on a Chroma server, checkpoints in PostgreSQL.

Real servers on the loopback interface, started by the fixtures: ``chroma run`` (ships with
chromadb) and a throw-away PostgreSQL cluster (``initdb`` + ``postgres`` from the distribution's
packages; ``.ci/run`` installs them when missing), or ``$MLARCHITECT_TEST_POSTGRES_URL``. Two real
``design`` processes with different data directories share both servers.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from support.servers import free_port, stop, wait_until

from mlarchitect.config import Settings

DESIGN = str(Path(sys.executable).with_name("design"))
RUNBOOK = (
    "# Zebracorn wiki runbook: ingestion and indexing pipeline\n\n"
    "Our Zebracorn wiki ingestion and indexing pipeline pulls pages from the Zebracorn wiki export every night. "
    "Lay out the ingestion and indexing pipeline this way: the Zebracorn exporter writes pages to a bucket, "
    "the indexing pipeline chunks Zebracorn pages on headings and re-indexes only changed pages.\n\n"
    "## Retrieval path for Zebracorn\n\n"
    "Design the retrieval path with hybrid search over the Zebracorn index; Zebracorn page titles are boosted.\n"
)
REQUEST = "Design a RAG assistant over the Zebracorn wiki for 300 engineers"


# ---------------------------------------------------------------------------------- servers
@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """``chroma run`` on a free loopback port, ready when its heartbeat answers."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:  # pragma: no cover - chromadb installs it
        pytest.skip("the `chroma` command (from chromadb) is not installed")
    root = tmp_path_factory.mktemp("chroma")
    port = free_port()
    log = root / "chroma.log"
    env = dict(os.environ, ANONYMIZED_TELEMETRY="False")
    with open(log, "wb") as out:
        proc = subprocess.Popen([chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path",
                                 str(root / "data")], stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)

    def ready() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    try:
        wait_until(ready, proc, log, 60, "chroma run")
        yield "127.0.0.1", port
    finally:
        stop(proc)


def _postgres_bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return candidates[-1].parent if candidates else None


@pytest.fixture(scope="module")
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty database on the server (dropped afterwards): the tests prune threads, and a
    server named by ``$MLARCHITECT_TEST_POSTGRES_URL`` may hold other data."""
    import psycopg
    from psycopg import sql

    name = f"mlarchitect_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(urlsplit(postgres_server)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(postgres_server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[str]:
    """``$MLARCHITECT_TEST_POSTGRES_URL`` (a ``postgresql://`` URL), else a throw-away cluster on a free loopback port (as the
    ``postgres`` user when the tests run as root: PostgreSQL refuses to run as root)."""
    pytest.importorskip("psycopg", reason="the postgres extra (psycopg) is not installed")
    pytest.importorskip("langgraph.checkpoint.postgres", reason="langgraph-checkpoint-postgres is not installed")
    explicit = os.environ.get("MLARCHITECT_TEST_POSTGRES_URL")
    if explicit:
        yield explicit
        return
    bindir = _postgres_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb) and no MLARCHITECT_TEST_POSTGRES_URL: "
                    "install them with `apt-get install postgresql` (.ci/run does)")
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run a PostgreSQL server as")
        runuser = shutil.which("runuser")
        if runuser is None:  # pragma: no cover
            pytest.skip("running as root and `runuser` is missing: cannot start PostgreSQL as a non-root user")
        prefix = [runuser, "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="mlarchitect-pg-"))  # under /tmp: the postgres user can reach it
    data = root / "data"
    log = root / "postgres.log"
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
    proc = None
    try:
        init = subprocess.run([*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                               "-E", "UTF8", "--no-sync"], capture_output=True, text=True, timeout=180,
                              check=False)
        if init.returncode != 0:
            pytest.fail(f"initdb failed: {init.stderr[-2000:]}")
        port = free_port()
        with open(log, "wb") as out:
            proc = subprocess.Popen([*prefix, str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1",
                                     "-p", str(port), "-k", str(data), "-F"],
                                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

        def ready() -> bool:
            import psycopg

            try:
                psycopg.connect(url, connect_timeout=2).close()
                return True
            except psycopg.Error:
                return False

        wait_until(ready, proc, log, 60, "postgres")
        yield url
    finally:
        if proc is not None:
            stop(proc)
        shutil.rmtree(root, ignore_errors=True)


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OPENAI_", "MLARCHITECT_", "CHROMA_"))}
    env.update(MLARCHITECT_DATA_DIR=str(data_dir), MLARCHITECT_CONFIG=str(data_dir / "no-config.toml"),
               ANONYMIZED_TELEMETRY="False", **extra)
    return env


def _run(args: list[str], env: dict[str, str], *, ok: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([DESIGN, *args], env=env, capture_output=True, text=True, timeout=300, check=False,
                          stdin=subprocess.DEVNULL)
    if ok:
        assert proc.returncode == 0, f"design {' '.join(args)} -> {proc.returncode}\n{proc.stderr[-3000:]}"
    return proc


# ---------------------------------------------------------------------------------- settings
def test_settings_name_the_shared_stores(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert Settings().chroma_host is None and Settings().checkpoint_url is None  # embedded by default
    assert Settings().checkpoint_target == Settings().checkpoint_path
    monkeypatch.setenv("CHROMA_HOST", "10.1.2.3")
    monkeypatch.setenv("CHROMA_PORT", "8123")
    monkeypatch.setenv("MLARCHITECT_CHECKPOINT_URL", "postgresql://app@db:5432/mla")
    s = Settings()
    assert (s.chroma_host, s.chroma_port, s.checkpoint_target) == ("10.1.2.3", 8123, "postgresql://app@db:5432/mla")
    for name in ("CHROMA_HOST", "CHROMA_PORT", "MLARCHITECT_CHECKPOINT_URL"):
        monkeypatch.delenv(name)
    config = tmp_path / "config.toml"
    config.write_text('chroma_host = "chroma.internal"\nchroma_port = 9000\nchroma_prefix = "team-a"\n'
                      'checkpoint_url = "postgresql://app@pg/mla"\n')
    monkeypatch.setenv("MLARCHITECT_CONFIG", str(config))
    s = Settings()
    assert (s.chroma_host, s.chroma_port, s.chroma_prefix, s.checkpoint_url) == (
        "chroma.internal", 9000, "team-a", "postgresql://app@pg/mla")


def test_unreachable_chroma_server_is_one_line(tmp_path: Path) -> None:
    env = _env(tmp_path / "d", CHROMA_HOST="127.0.0.1", CHROMA_PORT=str(free_port()))
    for args in (["kb", "stats"], ["--offline", REQUEST]):
        proc = _run(args, env, ok=False)
        assert proc.returncode == 2, proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "CHROMA_HOST" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
        assert proc.stdout == ""


@pytest.mark.parametrize("url", ["postgresql://app:hunter2@127.0.0.1:{port}/mla", "mysql://app:hunter2@db/mla"])
def test_bad_checkpoint_url_is_one_line(tmp_path: Path, url: str) -> None:
    env = _env(tmp_path / "d", MLARCHITECT_CHECKPOINT_URL=url.format(port=free_port()))
    proc = _run(["--offline", REQUEST], env, ok=False)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines and "MLARCHITECT_CHECKPOINT_URL" in lines[-1] and "Traceback" not in proc.stderr, proc.stderr
    assert "hunter2" not in proc.stderr and proc.stdout == ""


# ---------------------------------------------------------------------------------- Chroma server
def test_knowledge_base_on_a_chroma_server(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    """Built once with the project's own embedder; a second process (another data directory)
    finds the same version on the server and does not re-index."""
    import chromadb
    from mlarchitect.knowledge.embedders import get_embedder

    host, port = chroma_server
    prefix = f"t{uuid.uuid4().hex[:8]}"
    common = {"CHROMA_HOST": host, "CHROMA_PORT": str(port), "MLARCHITECT_CHROMA_PREFIX": prefix}
    first = _run(["kb", "stats", "--json"], _env(tmp_path / "one", **common))
    assert "rebuilding index (no index yet)" in first.stderr
    second = _run(["kb", "stats", "--json"], _env(tmp_path / "two", **common))
    assert "index" not in second.stderr, second.stderr  # nothing re-indexed
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert one["index_version"] == two["index_version"] and one["chunks"] == two["chunks"] > 0
    assert one["kb_dir"] == f"chroma://{host}:{port}/{prefix}"
    assert not (tmp_path / "one" / "kb" / "manifest.json").exists()  # nothing of the index is local

    # The vectors on the server are the bundled embedder's (nothing on the server embeds).
    client = chromadb.HttpClient(host=host, port=port)
    names = [c if isinstance(c, str) else c.name for c in client.list_collections()]
    pattern = client.get_collection(next(n for n in names if n.startswith(f"{prefix}-g") and n.endswith("-pattern")))
    got = pattern.get(limit=1, include=["documents", "embeddings"])
    mine = get_embedder().embed([got["documents"][0]])[0]
    import numpy as np

    assert np.allclose(np.asarray(got["embeddings"][0], dtype=np.float32), np.asarray(mine, dtype=np.float32),
                       atol=1e-5)
    manifest = json.loads(client.get_collection(f"{prefix}-manifest").metadata["manifest"])
    assert manifest["embedder"] == one["embedder"]


# ---------------------------------------------------------------------------------- PostgreSQL
def _tiny_graph(saver: Any) -> Any:
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph

    class State(TypedDict):
        n: int

    builder = StateGraph(State)
    builder.add_node("inc", lambda s: {"n": s["n"] + 1})
    builder.add_edge(START, "inc")
    builder.add_edge("inc", END)
    return builder.compile(checkpointer=saver)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_thread_listing_and_pruning(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from mlarchitect.agents.checkpoints import checkpointer, list_threads

    target: Path | str = tmp_path / "c.sqlite" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    run = uuid.uuid4().hex[:6]
    threads = [f"{run}-{i}" for i in range(3)]
    with checkpointer(target) as saver:
        graph = _tiny_graph(saver)
        for thread in threads:
            graph.invoke({"n": 0}, {"configurable": {"thread_id": thread}})
        listed = [t for t in list_threads(saver) if t.startswith(run)]
        assert listed == threads[::-1]  # newest first
    with checkpointer(target, keep_threads=1) as saver:  # pruned on exit
        pass
    with checkpointer(target) as saver:
        assert list_threads(saver) == [threads[-1]]
        assert _tiny_graph(saver).get_state({"configurable": {"thread_id": threads[-1]}}).values == {"n": 1}


# ---------------------------------------------------------------------------------- two processes
def test_two_processes_share_knowledge_base_and_threads(chroma_server: tuple[str, int], postgres_url: str,
                                                        tmp_path: Path) -> None:
    """Process one adds a document and starts a thread; process two (its own data directory) lists
    and cites the document, gets the thread's design back, and follows it up."""
    host, port = chroma_server
    common = {"CHROMA_HOST": host, "CHROMA_PORT": str(port), "MLARCHITECT_CHROMA_PREFIX": f"t{uuid.uuid4().hex[:8]}",
              "MLARCHITECT_CHECKPOINT_URL": postgres_url}
    one, two = _env(tmp_path / "one", **common), _env(tmp_path / "two", **common)
    runbook = tmp_path / "zebracorn-runbook.md"
    runbook.write_text(RUNBOOK)
    thread = f"shared-{uuid.uuid4().hex[:8]}"

    _run(["kb", "add", str(runbook)], one)
    listed = json.loads(_run(["kb", "list", "--json"], two).stdout)
    assert [row["source"] for row in listed] == [str(runbook.resolve())]

    first = json.loads(_run([REQUEST, "--offline", "--thread-id", thread, "--format", "json"], one).stdout)
    assert any(s.startswith("user:zebracorn-runbook-") for s in first["sources"]), first["sources"]
    assert first["revision"] == 1

    # the same request on the thread, from the other process: the stored design
    again = json.loads(_run([REQUEST, "--offline", "--thread-id", thread, "--format", "json"], two).stdout)
    assert again["title"] == first["title"] and again["components"] == first["components"]
    assert again["revision"] == 1

    # a follow-up from the other process revises the thread's design
    followup = json.loads(_run(["Now it must serve 5,000 engineers", "--offline", "--thread-id", thread,
                                "--format", "json"], two).stdout)
    assert followup["revision"] == 2 and followup["changes"], followup.get("changes")
    assert not (tmp_path / "one" / "checkpoints.sqlite").exists()
    assert not (tmp_path / "two" / "checkpoints.sqlite").exists()


def test_two_processes_building_at_once_agree(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    """Two processes open an empty server at the same moment: one builds under the server-side
    lock, the other waits and finds the index built (one version, nothing indexed twice)."""
    host, port = chroma_server
    common = {"CHROMA_HOST": host, "CHROMA_PORT": str(port), "MLARCHITECT_CHROMA_PREFIX": f"t{uuid.uuid4().hex[:8]}"}
    procs = [subprocess.Popen([DESIGN, "kb", "stats", "--json"], env=_env(tmp_path / name, **common),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
             for name in ("one", "two")]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _out, err in outs]
    versions = {json.loads(out)["index_version"] for out, _err in outs}
    assert len(versions) == 1
    assert sum("rebuilding index" in err for _out, err in outs) == 1, [err for _out, err in outs]


def test_users_documents_live_on_the_server(chroma_server: tuple[str, int], tmp_path: Path) -> None:
    """The texts of users' documents are on the server: when the index there is lost, any process
    rebuilds it with them; the BM25 index is cached locally per generation."""
    import chromadb
    from mlarchitect.knowledge import KnowledgeBase
    from mlarchitect.knowledge.server import ChromaServer

    host, port = chroma_server
    server = ChromaServer(host=host, port=port, prefix=f"t{uuid.uuid4().hex[:8]}")
    doc = tmp_path / "ledger.md"
    doc.write_text("# Tenant ledger\n\nThe zebrafish tenant ledger keeps a quarterly reconciliation of GPU credits.\n")
    writer = KnowledgeBase(tmp_path / "one", server=server)
    assert writer.add(doc).added == [str(doc.resolve())]
    doc.unlink()  # the original is gone: only the server has the text

    client = chromadb.HttpClient(host=host, port=port)
    client.get_collection(f"{server.prefix}-manifest").modify(metadata={"manifest": ""})  # the index is lost

    reader = KnowledgeBase(tmp_path / "two", server=server)
    report = reader.ensure_built()
    assert report is not None and report.rebuilt and "re-indexed 1" in (report.reason or ""), report
    hits = reader.search("zebrafish tenant ledger", k=1)
    assert hits and hits[0].kind == "user" and "zebrafish" in hits[0].chunk
    assert reader.lost_user_documents() == []
    caches = list((tmp_path / "two" / "server-cache").iterdir())
    assert len(caches) == 1 and (caches[0] / "meta.json").is_file()
    assert not (tmp_path / "two" / "manifest.json").exists()
