"""The checkpoint database: damaged files are moved aside, growth is bounded, WAL is on."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from mlarchitect.agents.api import checkpointer, design
from mlarchitect.agents.checkpoints import damage, prune
from mlarchitect.config import Settings

REQUEST = "Design experiment tracking for a team of 5 researchers fine-tuning models"


def _corrupt_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    assert len(data) > 8192
    for offset in range(4096, len(data), 4096):  # every page after the first: headers and cells
        data[offset : offset + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["garbage", "damaged_pages", "truncated"])
def test_corrupt_checkpoints(how: str, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    """The run goes on with a fresh database and one warning."""
    path = settings.checkpoint_path
    path.parent.mkdir(parents=True, exist_ok=True)
    if how == "garbage":
        path.write_bytes(b"this is not a database at all\x00" * 500)
    else:
        for n in range(12):  # enough content for several pages
            design(f"{REQUEST} (team {n})", settings=settings)
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if how == "damaged_pages":
            _corrupt_pages(path)
        else:
            path.write_bytes(path.read_bytes()[: 4096 + 100])
    assert damage(path) is not None
    with caplog.at_level(logging.WARNING, logger="mlarchitect"):
        result = design(REQUEST, settings=settings, thread_id="after-corruption")
    assert result.workflow == "experiment_tracking"
    moved = list(path.parent.glob("checkpoints.sqlite.corrupt-*"))
    assert len([m for m in moved if not m.name.endswith(("-wal", "-shm"))]) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "damaged" in warnings[0] and "\n" not in warnings[0]
    assert damage(path) is None
    again = design(None, settings=settings, thread_id="after-corruption")  # the new database works
    assert again.summary == result.summary


def test_corrupt_checkpoints_cli_warns_on_stderr(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    from mlarchitect.tui.cli import main

    settings.checkpoint_path.parent.mkdir(parents=True, exist_ok=True)
    settings.checkpoint_path.write_bytes(b"garbage" * 1000)
    with pytest.raises(SystemExit) as info:
        main([REQUEST, "-q", "--kb-dir", str(settings.kb_dir)])
        raise SystemExit(0)
    err = capsys.readouterr().err
    assert info.value.code in (0, None)
    assert "design: warning: checkpoint database" in err and "Traceback" not in err


def test_checkpoint_growth(settings: Settings) -> None:
    """Only the newest max_checkpoint_threads threads stay."""
    small = settings.model_copy(update={"max_checkpoint_threads": 3})
    for n in range(6):
        design(f"{REQUEST} number {n}", settings=small, thread_id=f"t{n}")
    with sqlite3.connect(small.checkpoint_path) as conn:
        threads = {r[0] for r in conn.execute("SELECT DISTINCT thread_id FROM checkpoints")}
        writes = {r[0] for r in conn.execute("SELECT DISTINCT thread_id FROM writes")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert threads == {"t3", "t4", "t5"} and writes <= threads
    assert mode == "wal"
    assert design(None, settings=small, thread_id="t5").request.endswith("number 5")


def test_prune_without_tables_is_harmless(tmp_path: Path) -> None:
    with checkpointer(tmp_path / "c.sqlite", keep_threads=1) as saver:
        assert prune(saver, 1) == 0


def _checkpoints(path: Path, thread: str) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM checkpoints WHERE thread_id = ?", (thread,)).fetchone()[0])


def test_an_offline_run_is_checkpointed_when_it_ends_and_still_takes_a_followup(settings: Settings) -> None:
    """No step of an offline run costs a model call, so it is checkpointed once, on exit,
    not after every step; the thread still resumes and takes a follow-up turn."""
    first = design(REQUEST, settings=settings, thread_id="off")
    assert _checkpoints(settings.checkpoint_path, "off") == 1
    assert design(None, settings=settings, thread_id="off").request == first.request
    followup = design("make it run on one laptop", settings=settings, thread_id="off")
    assert followup.request == first.request and _checkpoints(settings.checkpoint_path, "off") == 2


def test_a_run_with_a_model_is_checkpointed_after_every_step(settings: Settings) -> None:
    """A sibling played by a (fake) model: its steps cost calls, so each step is saved as it ends."""
    from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
    from langchain_core.messages import AIMessage

    sibling = FakeMessagesListChatModel(responses=[AIMessage(content="A short security review.")] * 4)
    design(f"{REQUEST}, then threat-model it", settings=settings, thread_id="model",
           sibling_models={"security-and-privacy-engineer-ml": sibling})
    assert _checkpoints(settings.checkpoint_path, "model") > 3
