"""The chat's session index: ``<data_dir>/sessions.sqlite`` (WAL).

A session is one conversation. Its design runs are checkpointed by LangGraph under
``thread_id`` in the same checkpointer as ``design --thread-id``; this index keeps
what the chat needs to list and rebuild a conversation: a title, timestamps, the
model and workflow, and the transcript of every finished turn (request, answer,
activity lines, the deliverable as JSON). A turn is written when it ends, so a
crash or Ctrl+C loses nothing already answered.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    workflow TEXT NOT NULL DEFAULT '',
    dirty INTEGER NOT NULL DEFAULT 0,
    checkpoint_id TEXT
);
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    request TEXT NOT NULL,
    answer TEXT NOT NULL,
    status TEXT NOT NULL,
    activity TEXT NOT NULL DEFAULT '[]',
    design TEXT,
    tokens INTEGER NOT NULL DEFAULT 0,
    cost_usd REAL NOT NULL DEFAULT 0,
    created TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
"""

TurnStatus = str  # "done" | "cancelled" | "failed"


@dataclass
class SessionInfo:
    id: str
    title: str
    thread_id: str
    created: str
    updated: str
    model: str = ""
    workflow: str = ""
    dirty: bool = False
    checkpoint_id: str | None = None
    turns: int = 0


@dataclass
class StoredTurn:
    seq: int
    request: str
    answer: str
    status: TurnStatus
    activity: list[str] = field(default_factory=list)
    design_json: str | None = None
    tokens: int = 0
    cost_usd: float = 0.0
    created: str = ""


def _now() -> datetime:
    return datetime.now(UTC)


class SessionStore:
    """A small SQLite index of chat sessions; safe to use from several threads."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = _now,
                 ids: Callable[[], str] | None = None) -> None:
        self.path = path
        self._clock = clock
        self._ids = ids or (lambda: uuid.uuid4().hex[:12])
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    # --------------------------------------------------------------- plumbing
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=10, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(_SCHEMA)
            self._conn = conn
        return self._conn

    def _stamp(self) -> str:
        return self._clock().strftime("%Y-%m-%d %H:%M")

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        with self._lock:
            db = self._db()
            db.row_factory = sqlite3.Row
            return db.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    # --------------------------------------------------------------- sessions
    def create(self, title: str, model: str = "", session_id: str | None = None) -> SessionInfo:
        sid = session_id or self._ids()
        stamp = self._stamp()
        self._run("INSERT INTO sessions (id, title, thread_id, created, updated, model) VALUES (?, ?, ?, ?, ?, ?)",
                  (sid, _title(title), sid, stamp, stamp, model))
        info = self.get(sid)
        assert info is not None
        return info

    def get(self, session_id: str) -> SessionInfo | None:
        rows = self._run(
            "SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS n FROM sessions s WHERE id = ?",
            (session_id,))
        return _info(rows[0]) if rows else None

    def all(self) -> list[SessionInfo]:
        rows = self._run("SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS n "
                         "FROM sessions s ORDER BY updated DESC, rowid DESC")
        return [_info(r) for r in rows]

    def rename(self, session_id: str, title: str) -> None:
        self._run("UPDATE sessions SET title = ? WHERE id = ?", (_title(title), session_id))

    def delete(self, session_id: str) -> None:
        self._run("DELETE FROM turns WHERE session_id = ?", (session_id,))
        self._run("DELETE FROM sessions WHERE id = ?", (session_id,))

    def update(self, session_id: str, **values: Any) -> None:
        allowed = {"thread_id", "model", "workflow", "dirty", "checkpoint_id"}
        values = {k: v for k, v in values.items() if k in allowed}
        values["updated"] = self._stamp()
        columns = ", ".join(f"{k} = ?" for k in values)
        self._run(f"UPDATE sessions SET {columns} WHERE id = ?", (*values.values(), session_id))

    # ------------------------------------------------------------------ turns
    def add_turn(self, session_id: str, request: str, answer: str, status: TurnStatus, *,
                 activity: list[str] | None = None, design_json: str | None = None,
                 tokens: int = 0, cost_usd: float = 0.0) -> int:
        with self._lock:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                seq = db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM turns WHERE session_id = ?",
                                 (session_id,)).fetchone()[0]
                stamp = self._stamp()
                db.execute("INSERT INTO turns (session_id, seq, request, answer, status, activity, design, tokens, "
                           "cost_usd, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           (session_id, seq, request, answer, status, json.dumps(activity or []), design_json,
                            tokens, cost_usd, stamp))
                db.execute("UPDATE sessions SET updated = ? WHERE id = ?", (stamp, session_id))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return int(seq)

    def turns(self, session_id: str) -> list[StoredTurn]:
        rows = self._run("SELECT * FROM turns WHERE session_id = ? ORDER BY seq", (session_id,))
        return [StoredTurn(seq=r["seq"], request=r["request"], answer=r["answer"], status=r["status"],
                           activity=json.loads(r["activity"] or "[]"), design_json=r["design"],
                           tokens=r["tokens"], cost_usd=r["cost_usd"], created=r["created"]) for r in rows]


def _title(text: str, limit: int = 60) -> str:
    line = " ".join(text.split()) or "untitled"
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _info(row: sqlite3.Row) -> SessionInfo:
    return SessionInfo(id=row["id"], title=row["title"], thread_id=row["thread_id"], created=row["created"],
                       updated=row["updated"], model=row["model"], workflow=row["workflow"],
                       dirty=bool(row["dirty"]), checkpoint_id=row["checkpoint_id"], turns=int(row["n"]))
