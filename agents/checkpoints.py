"""The checkpoint database (``<data dir>/checkpoints.sqlite``): opened safely, repaired, bounded.

* WAL journal and a busy timeout, so that several threads and processes can share it;
* a database that fails ``PRAGMA quick_check`` or cannot be opened is moved aside to
  ``checkpoints.sqlite.corrupt-<timestamp>`` (with its ``-wal``/``-shm`` files) with one
  warning on the ``mlarchitect`` logger, and a fresh one is started;
* after a run, only the newest ``keep_threads`` threads are kept.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from mlarchitect.files import ensure_writable_dir

log = logging.getLogger("mlarchitect")
BUSY_TIMEOUT_S = 30.0
SIDE_FILES = ("-wal", "-shm", "-journal")


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_S)
    try:
        conn.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def damage(path: Path) -> str | None:
    """Why the database at ``path`` cannot be used, or ``None`` (also for a missing file)."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)) as conn:
            rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return None  # another process is writing: it is not damaged for that
        return f"{type(exc).__name__}: {exc}"
    except sqlite3.DatabaseError as exc:
        return f"{type(exc).__name__}: {exc}"
    if rows != [("ok",)]:
        detail = " ".join("; ".join(str(r[0]) for r in rows[:3]).split())
        return f"quick_check: {detail[:160]}"
    return None


def move_aside(path: Path, reason: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    path.replace(target)
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            side.replace(target.with_name(target.name + suffix))
    log.warning("checkpoint database %s was damaged (%s); moved it to %s and started a new one",
                path, reason, target.name)
    return target


def _lock(path: Path) -> Any:
    from filelock import FileLock

    return FileLock(str(path.with_name(path.name + ".lock")), timeout=BUSY_TIMEOUT_S * 4)


def open_database(path: Path) -> sqlite3.Connection:
    """A connection to a usable checkpoint database at ``path`` (a damaged one is moved aside)."""
    ensure_writable_dir(path.parent, "data directory")
    with _lock(path):
        reason = damage(path)
        if reason is not None:
            move_aside(path, reason)
        try:
            return connect(path)
        except sqlite3.DatabaseError as exc:  # unreadable header, not a database, ...
            move_aside(path, f"{type(exc).__name__}: {exc}")
            return connect(path)


def prune(saver: Any, keep_threads: int) -> int:
    """Delete the checkpoints of all but the newest ``keep_threads`` threads (checkpoint ids
    are time-ordered); how many threads went."""
    try:
        rows = saver.conn.execute(
            "SELECT thread_id FROM checkpoints GROUP BY thread_id ORDER BY MAX(checkpoint_id) DESC"
        ).fetchall()
    except sqlite3.OperationalError:  # no table yet
        return 0
    old = [r[0] for r in rows[keep_threads:]]
    for thread_id in old:
        saver.delete_thread(thread_id)
    return len(old)


@contextmanager
def checkpointer(path: Path, *, keep_threads: int | None = None) -> Iterator[Any]:
    """A LangGraph ``SqliteSaver`` on ``path``; on exit the oldest threads beyond
    ``keep_threads`` are pruned."""
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = open_database(path)
    try:
        saver = SqliteSaver(conn)
        yield saver
        if keep_threads is not None:
            try:
                prune(saver, keep_threads)
            except sqlite3.Error as exc:  # pruning is housekeeping: never fail a finished run
                log.warning("could not prune old checkpoints: %s", exc)
    finally:
        conn.close()
