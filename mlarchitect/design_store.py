"""The response cache and the design log: one SQLite file, ``<data_dir>/designs.sqlite``.

* ``cache``: a deliverable per cache key (:func:`cache_key`: the normalised request, the
  workflow hint, model, base URL, prompt, knowledge-base and schema versions and the
  settings that shape a design). A hit answers a repeated request with no model call.
* ``designs``: one row per design any face produced (CLI, chat, MCP, Python API): when,
  the request, workflow, model, duration, model calls, tokens, cost, whether it came from
  the cache, the thread id and the deliverable JSON. ``design log`` reads it.

Every operation opens its own short connection (WAL, 30 s busy timeout), so threads and
processes may write at once. Nothing here ever deletes or moves the file: an unreadable
database is a :class:`StoreError` (one line, exit code 3); the design path turns a write
failure into a warning instead (see :mod:`mlarchitect.agents.api`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mlarchitect.errors import StoreError

BUSY_TIMEOUT_S = 30.0
CACHE_FORMAT = "1"  # bump when the key's recipe changes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS designs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    request TEXT NOT NULL,
    workflow TEXT NOT NULL,
    model TEXT NOT NULL,
    duration_s REAL NOT NULL,
    llm_calls INTEGER NOT NULL,
    tokens INTEGER NOT NULL,
    cost_usd REAL,
    cached INTEGER NOT NULL,
    thread_id TEXT,
    deliverable TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS cache (
    key TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    deliverable TEXT NOT NULL
);
"""


class LogEntry(BaseModel):
    """One row of the design log (the figures of that call: a cache hit made 0 model calls)."""

    id: int
    created_at: str
    request: str
    workflow: str
    model: str
    duration_s: float
    llm_calls: int
    tokens: int
    cost_usd: float | None
    cached: bool
    thread_id: str | None


class CachedDesign(BaseModel):
    created_at: str
    deliverable: str


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def normalise_request(request: str) -> str:
    return " ".join(request.split())


def cache_key(request: str, **parts: Any) -> str:
    """The cache key: the request with its whitespace normalised and everything else that
    decides the answer (``parts``: workflow hint, model, base URL, versions, settings)."""
    payload = {"format": CACHE_FORMAT, "request": normalise_request(request), **parts}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


@contextmanager
def _connect(path: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    if not create and not path.exists():
        raise FileNotFoundError(path)
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        uri = path.resolve().as_uri() + ("" if create else "?mode=rw")
        with closing(sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)) as conn:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            _prepare(conn, create=create)
            yield conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"design database {path} is unreadable ({exc}); it was left as it is: "
                         "move it aside to start a new one") from None
    except OSError as exc:
        raise StoreError(f"design database {path}: {exc.strerror or exc}") from None


def _prepare(conn: sqlite3.Connection, *, create: bool) -> None:
    """WAL mode (set once: it is kept in the file) and the tables. While another process
    creates the file, SQLite can answer "database is locked" at once, without waiting for
    the busy timeout, so this step is retried until the timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    delay = 0.005
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            if create:
                conn.executescript(_SCHEMA)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.2)


# --- the cache -----------------------------------------------------------------


def cache_get(path: Path, key: str) -> CachedDesign | None:
    if not path.exists():
        return None
    with _connect(path, create=True) as conn:
        row = conn.execute("SELECT created_at, deliverable FROM cache WHERE key = ?", (key,)).fetchone()
    return CachedDesign(created_at=row[0], deliverable=row[1]) if row else None


def cache_put(path: Path, key: str, deliverable_json: str, created_at: str | None = None) -> None:
    with _connect(path, create=True) as conn, conn:
        conn.execute("INSERT OR REPLACE INTO cache (key, created_at, deliverable) VALUES (?, ?, ?)",
                     (key, created_at or now_iso(), deliverable_json))


# --- the log -------------------------------------------------------------------


def log_design(path: Path, *, request: str, workflow: str, model: str, duration_s: float, llm_calls: int,
               tokens: int, cost_usd: float | None, cached: bool, thread_id: str | None,
               deliverable_json: str, created_at: str | None = None) -> int:
    """Append one design; returns its id."""
    with _connect(path, create=True) as conn, conn:
        cursor = conn.execute(
            "INSERT INTO designs (created_at, request, workflow, model, duration_s, llm_calls, tokens, cost_usd,"
            " cached, thread_id, deliverable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (created_at or now_iso(), request, workflow, model, duration_s, llm_calls, tokens, cost_usd,
             int(cached), thread_id, deliverable_json))
        return int(cursor.lastrowid or 0)


_COLUMNS = "id, created_at, request, workflow, model, duration_s, llm_calls, tokens, cost_usd, cached, thread_id"


def _entry(row: tuple[Any, ...]) -> LogEntry:
    return LogEntry(**dict(zip(_COLUMNS.split(", "), row)))


def list_designs(path: Path, limit: int | None = None) -> list[LogEntry]:
    """The newest ``limit`` designs, newest first (none when there is no log yet)."""
    try:
        with _connect(path, create=False) as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM designs ORDER BY id DESC LIMIT ?",
                                (-1 if limit is None else limit,)).fetchall()
    except FileNotFoundError:
        return []
    return [_entry(r) for r in rows]


def get_design(path: Path, design_id: int) -> tuple[LogEntry, str] | None:
    """A logged design and its deliverable JSON."""
    try:
        with _connect(path, create=False) as conn:
            row = conn.execute(f"SELECT {_COLUMNS}, deliverable FROM designs WHERE id = ?",
                               (design_id,)).fetchone()
    except FileNotFoundError:
        return None
    return (_entry(row[:-1]), row[-1]) if row else None


def iter_designs(path: Path) -> Iterator[tuple[LogEntry, str]]:
    """Every logged design, oldest first, with its deliverable JSON."""
    try:
        with _connect(path, create=False) as conn:
            for row in conn.execute(f"SELECT {_COLUMNS}, deliverable FROM designs ORDER BY id"):
                yield _entry(row[:-1]), row[-1]
    except FileNotFoundError:
        return
