"""The checkpoint database: opened safely, repaired, bounded.

Two backends behind :func:`checkpointer`:

* SQLite (the default, ``<data dir>/checkpoints.sqlite``), one machine;
* PostgreSQL (``checkpoint_url = "postgresql://..."``, ``$MLARCHITECT_CHECKPOINT_URL``), shared by
  every process and machine that names it (``langgraph-checkpoint-postgres``, the ``postgres``
  extra): a thread started by one process is resumed or followed up by another. Its tables are
  created on first use (under an advisory lock, so that processes starting together do not race).

For SQLite:

* WAL journal and a busy timeout, so that several threads and processes can share it;
* a database that fails ``PRAGMA quick_check`` or cannot be opened is moved aside to
  ``checkpoints.sqlite.corrupt-<timestamp>`` (with its ``-wal``/``-shm`` files) with one
  warning on the ``mlarchitect`` logger, and a fresh one is started;
* after a run, only the newest ``keep_threads`` threads are kept (both backends; see
  :func:`list_threads`, :func:`prune`).

A PostgreSQL URL that is malformed or names a server that cannot be reached is one
:class:`~mlarchitect.errors.ConfigError` line naming the setting (exit code 2), password hidden.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from mlarchitect.errors import ConfigError
from mlarchitect.files import ensure_writable_dir

log = logging.getLogger("mlarchitect")
SETTING = "checkpoint_url ($MLARCHITECT_CHECKPOINT_URL)"
POSTGRES_SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT_S = 10
_SETUP_LOCK_KEY = 0x6D6C6172  # pg_advisory_lock key of the one-time table setup
_THREADS_SQL = "SELECT thread_id FROM checkpoints GROUP BY thread_id ORDER BY MAX(checkpoint_id) DESC"
_set_up: set[str] = set()  # URLs whose tables this process has already set up
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
    from mlarchitect.file_lock import exclusive

    return exclusive(path.with_name(path.name + ".lock"), timeout=BUSY_TIMEOUT_S * 4)


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


def is_postgres_url(target: Path | str) -> bool:
    return isinstance(target, str) and target.split(":", 1)[0].lower() in POSTGRES_SCHEMES


def redact_url(url: str) -> str:
    """``url`` with its password (if any) replaced by ``***``."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        if parts.password is None:
            return url
        netloc = parts.netloc.rsplit("@", 1)
        user = (parts.username or "") + ":***"
        return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))
    except ValueError:
        return "<unparseable URL>"


def list_threads(saver: Any) -> list[str]:
    """The ids of the threads with checkpoints, newest first (checkpoint ids are time-ordered);
    for the SQLite and the PostgreSQL saver alike."""
    if _is_postgres_saver(saver):
        with saver.lock, saver.conn.cursor() as cur:
            cur.execute(_THREADS_SQL)
            rows = cur.fetchall()
        return [str(r["thread_id"] if isinstance(r, dict) else r[0]) for r in rows]
    try:
        rows = saver.conn.execute(_THREADS_SQL).fetchall()
    except sqlite3.OperationalError:  # no table yet
        return []
    return [str(r[0]) for r in rows]


def prune(saver: Any, keep_threads: int) -> int:
    """Delete the checkpoints of all but the newest ``keep_threads`` threads; how many threads went."""
    old = list_threads(saver)[keep_threads:]
    for thread_id in old:
        saver.delete_thread(thread_id)
    return len(old)


def _is_postgres_saver(saver: Any) -> bool:
    return type(saver).__module__.startswith("langgraph.checkpoint.postgres")


class DatabaseOpening:
    """:func:`open_database` of a SQLite checkpoint path, started in a background thread: its
    integrity check reads the whole file in SQLite's C code, outside the GIL (0.2 s for a 190 MB
    database, which 200 kept threads reach); :func:`checkpointer` takes the connection, and
    :meth:`close` closes it if nothing took it."""

    def __init__(self, path: Path) -> None:
        from mlarchitect.background import Background

        self.path = path
        self._opening = Background(lambda: open_database(path), name="design-checkpoints-open")
        self._taken = False

    def take(self) -> sqlite3.Connection:
        self._taken = True
        return self._opening.result()

    def close(self) -> None:
        if self._taken:
            return
        self._taken = True
        try:
            self._opening.result().close()
        except Exception:  # noqa: BLE001 - nobody used it: its failure is nobody's error
            pass


def open_later(target: Path | str) -> DatabaseOpening | None:
    """The SQLite checkpoint database of ``target`` being opened in the background (``None``
    for a PostgreSQL URL: :func:`checkpointer` connects then)."""
    return None if isinstance(target, str) else DatabaseOpening(Path(target))


@contextmanager
def checkpointer(target: Path | str, *, keep_threads: int | None = None,
                 opening: DatabaseOpening | None = None) -> Iterator[Any]:
    """A LangGraph checkpoint saver: ``SqliteSaver`` on a path, ``PostgresSaver`` on a
    ``postgresql://`` URL (see :attr:`mlarchitect.config.Settings.checkpoint_target`); on exit
    the oldest threads beyond ``keep_threads`` are pruned. ``opening`` (:func:`open_later` of the
    same path) supplies the SQLite connection."""
    if isinstance(target, str) and not is_postgres_url(target):
        raise ConfigError(f"{SETTING}: {redact_url(target)!r} is not a postgresql:// URL")
    with (_postgres_saver(target) if isinstance(target, str) else _sqlite_saver(Path(target), opening)) as saver:
        yield saver
        if keep_threads is not None:
            try:
                prune(saver, keep_threads)
            except Exception as exc:  # noqa: BLE001 - pruning is housekeeping: never fail a finished run
                log.warning("could not prune old checkpoints: %s", exc)


@contextmanager
def _sqlite_saver(path: Path, opening: DatabaseOpening | None = None) -> Iterator[Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    conn = opening.take() if opening is not None and opening.path == path else open_database(path)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()


@contextmanager
def _postgres_saver(url: str) -> Iterator[Any]:
    try:
        import psycopg
        from langgraph.checkpoint.postgres import PostgresSaver
        from psycopg.rows import dict_row
    except ImportError as exc:
        raise ConfigError(f"{SETTING}: PostgreSQL checkpoints need the postgres extra "
                          f"(pip install 'mlarchitect[postgres]'): {exc}") from None
    try:
        conn = psycopg.Connection.connect(url, autocommit=True, prepare_threshold=0, row_factory=dict_row,
                                          connect_timeout=CONNECT_TIMEOUT_S)
    except (psycopg.Error, ValueError) as exc:
        reason = " ".join(str(exc).split())[:240] or type(exc).__name__
        raise ConfigError(f"{SETTING}: cannot connect to {redact_url(url)}: {reason}") from None
    try:
        saver = PostgresSaver(conn)  # type: ignore[arg-type]
        if url not in _set_up:
            conn.execute("SELECT pg_advisory_lock(%s)", (_SETUP_LOCK_KEY,))
            try:
                saver.setup()
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK_KEY,))
            _set_up.add(url)
        yield saver
    finally:
        conn.close()
