"""Reliability of the design log / response cache database (``<data_dir>/designs.sqlite``):
a damaged file, a path that cannot be written, many writers at once. Real SQLite, real
processes; see the README's "What was tried and what held"."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from mlarchitect.agents.api import stream_design
from mlarchitect.config import Settings
from mlarchitect.design_store import list_designs, log_design
from mlarchitect.events import DeliverableReady, Note
from support.cli import run_cli as _cli

REQUEST = "Design experiment tracking for a team of 5 researchers fine-tuning models"



def _journal_mode(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_design_log(damage: str, tmp_path: Path, shared_kb_dir: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "data" / "designs.sqlite"
    if damage == "garbage":
        db.parent.mkdir(parents=True)
        db.write_bytes(b"this is not a database\x00" * 300)
    else:
        log_design(db, request="r", workflow="rag_system", model="offline", duration_s=1, llm_calls=0, tokens=0,
                   cost_usd=0.0, cached=False, thread_id=None, deliverable_json="{}")
        db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 2000)
    before = db.read_bytes()
    for args in (["log", "list"], ["log", "show", "1"], ["log", "export"]):
        code, out, err = _cli(args, capsys)
        assert code == 3 and out == ""
        assert len(err.strip().splitlines()) == 1 and err.startswith("design: error: design database")
        assert "Traceback" not in err
    # a design still succeeds, with a warning, and the file is left as it was
    code, out, err = _cli([REQUEST, "--kb-dir", str(shared_kb_dir)], capsys)
    assert code == 0 and out.startswith("# ") and "note: design log not written" in err
    assert db.read_bytes() == before


def test_design_log_unwritable(tmp_path: Path, shared_kb_dir: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", kb_dir=shared_kb_dir)
    settings.design_db_path.mkdir(parents=True)  # a directory where the database should be
    events = list(stream_design(REQUEST, settings=settings))
    warnings = [e.message for e in events if isinstance(e, Note) and e.level == "warning"]
    assert any(w.startswith("design log not written") for w in warnings)
    assert isinstance(events[-1], DeliverableReady) and events[-1].log_id is None


def test_design_log_concurrent_writers(tmp_path: Path) -> None:
    db = tmp_path / "designs.sqlite"

    def write(n: int, who: str) -> None:
        for i in range(n):
            log_design(db, request=f"{who}-{i}", workflow="rag_system", model="offline", duration_s=0.1,
                       llm_calls=0, tokens=0, cost_usd=0.0, cached=False, thread_id=who, deliverable_json="{}")

    code = ("import sys; from pathlib import Path; from mlarchitect.design_store import log_design\n"
            "for i in range(25): log_design(Path(sys.argv[1]), request=f'{sys.argv[2]}-{i}', workflow='rag_system', "
            "model='offline', duration_s=0.1, llm_calls=0, tokens=0, cost_usd=0.0, cached=False, "
            "thread_id=sys.argv[2], deliverable_json='{}')")
    processes = [subprocess.Popen([sys.executable, "-c", code, str(db), f"p{n}"]) for n in range(2)]
    threads = [threading.Thread(target=write, args=(25, f"t{n}")) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(p.wait(timeout=120) == 0 for p in processes)
    rows = list_designs(db)
    assert len(rows) == 8 * 25 and len({r.id for r in rows}) == 8 * 25
    assert {r.request for r in rows} == {f"{w}-{i}" for w in [*(f"t{n}" for n in range(6)), "p0", "p1"]
                                        for i in range(25)}
    assert _journal_mode(db) == "wal"
