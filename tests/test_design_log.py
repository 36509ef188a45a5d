"""The response cache and the design log (``<data_dir>/designs.sqlite``): real SQLite,
the scripted OpenAI-compatible server for the model path, the ``design log`` commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

import scenarios as sc  # noqa: E402
from fake_openai_server import FakeOpenAI  # noqa: E402

from mlarchitect.agents.api import design, stream_design  # noqa: E402
from mlarchitect.config import Settings  # noqa: E402
from mlarchitect.design_store import get_design, list_designs  # noqa: E402
from mlarchitect.events import DeliverableReady  # noqa: E402
from mlarchitect.tui.cli import main  # noqa: E402
from support.cli import run_cli as _cli

REQUEST = "Design experiment tracking for a team of 5 researchers fine-tuning models"



def _model_settings(api: FakeOpenAI, tmp_path: Path, kb: Path, **extra: object) -> Settings:
    return Settings(openai_base_url=api.base_url, model=sc.MODEL, data_dir=tmp_path / "data", kb_dir=kb,
                    max_retries=1, max_tokens=1024, **extra)


def _calls(behaviour: sc.Behaviour) -> int:
    return sum(kind != "probe" for kind in behaviour.log)


# --- the cache -------------------------------------------------------------------


def test_repeat_is_served_from_cache_with_zero_model_calls(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour()
    with FakeOpenAI("cache", [], responder=behaviour, models=behaviour.served) as api:
        settings = _model_settings(api, tmp_path, shared_kb_dir)
        first = design(sc.REQUEST, settings=settings)
        sent = _calls(behaviour)
        assert sent == 3 and not first.provenance.cached
        again = design("  " + sc.REQUEST.replace(" ", "  \n") + "\n", settings=settings)  # whitespace differs
        assert _calls(behaviour) == sent  # no model call
        bypass = design(sc.REQUEST, settings=settings, cache=False)
        assert _calls(behaviour) == 2 * sent
    p = again.provenance
    assert p.cached and p.cached_at and p.thread_id is None
    # the original run's figures stay visible
    assert (p.llm_calls, p.tokens, p.duration_s) == (first.provenance.llm_calls, first.provenance.tokens,
                                                     first.provenance.duration_s)
    assert again.summary == first.summary and not bypass.provenance.cached
    assert "Served from the response cache" in again.to_markdown()
    rows = list_designs(settings.design_db_path)
    assert [(r.cached, r.llm_calls) for r in rows] == [(False, 3), (True, 0), (False, 3)]


def test_cache_key_covers_workflow_and_model(tmp_path: Path, shared_kb_dir: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", kb_dir=shared_kb_dir)
    design(REQUEST, settings=settings)
    assert design(REQUEST, settings=settings).provenance.cached
    assert not design(REQUEST, settings=settings, workflow="model_serving").provenance.cached
    assert not design(REQUEST + " Keep it cheap.", settings=settings).provenance.cached
    assert not design(REQUEST, settings=settings, max_steps=5).provenance.cached


def test_an_upgraded_package_does_not_serve_the_old_releases_designs(tmp_path: Path, shared_kb_dir: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import mlarchitect.agents.api as api

    settings = Settings(data_dir=tmp_path / "data", kb_dir=shared_kb_dir)
    design(REQUEST, settings=settings)
    assert design(REQUEST, settings=settings).provenance.cached
    monkeypatch.setattr(api, "package_version", lambda: "99.0.0")
    assert not design(REQUEST, settings=settings).provenance.cached


def test_threads_and_follow_ups_never_come_from_the_cache(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour()
    with FakeOpenAI("threads", [], responder=behaviour, models=behaviour.served) as api:
        settings = _model_settings(api, tmp_path, shared_kb_dir)
        design(sc.REQUEST, settings=settings)  # cached under no thread
        sent = _calls(behaviour)
        threaded = design(sc.REQUEST, settings=settings, thread_id="T1")
        assert not threaded.provenance.cached and _calls(behaviour) == 2 * sent
        followup = design("Make the budget $200 a month.", settings=settings, thread_id="T1")
        assert followup.revision == 2 and not followup.provenance.cached
        # the follow-up's design is not stored as the answer to its text
        fresh = design("Make the budget $200 a month.", settings=settings)
        assert not fresh.provenance.cached


def test_a_degraded_design_is_not_cached(tmp_path: Path, shared_kb_dir: Path) -> None:
    behaviour = sc.Behaviour(served=["another-model"])  # 404 for ours: the run goes offline
    with FakeOpenAI("degraded", [], responder=behaviour, models=behaviour.served) as api:
        settings = _model_settings(api, tmp_path, shared_kb_dir)
        first = design(sc.REQUEST, settings=settings)
        assert first.provenance.fallback_used
        assert not design(sc.REQUEST, settings=settings).provenance.cached


# --- the log ---------------------------------------------------------------------


def test_every_face_logs_through_the_core(tmp_path: Path, shared_kb_dir: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", kb_dir=shared_kb_dir)
    events = list(stream_design(REQUEST, settings=settings, thread_id="chat-1"))
    ready = events[-1]
    assert isinstance(ready, DeliverableReady) and ready.log_id == 1
    entry, deliverable = get_design(settings.design_db_path, 1)
    assert entry.thread_id == "chat-1" and entry.workflow == "experiment_tracking" and entry.model == "offline"
    assert entry.request == REQUEST and entry.cost_usd == 0.0 and not entry.cached and entry.duration_s > 0
    assert json.loads(deliverable)["summary"] == ready.design.summary
    design(REQUEST, settings=settings, design_log=False)
    assert len(list_designs(settings.design_db_path)) == 1
    mode = settings.design_db_path.parent / "designs.sqlite-wal"
    assert mode.exists() or _journal_mode(settings.design_db_path) == "wal"


def _journal_mode(path: Path) -> str:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]


def test_log_commands(tmp_path: Path, shared_kb_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb = ["--kb-dir", str(shared_kb_dir)]
    assert _cli([REQUEST, *kb, "-q"], capsys)[0] == 0
    code, _, err = _cli([REQUEST, *kb], capsys)
    assert code == 0 and "from the response cache" in err.splitlines()[-1] and "log #2" in err
    assert _cli([REQUEST, *kb, "--no-cache", "--no-log", "-q"], capsys)[0] == 0
    code, out, _ = _cli(["log", "list"], capsys)
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["#2", "#1"]
    assert "cached" in out.splitlines()[0]
    code, out, _ = _cli(["log", "list", "-n", "1", "--json"], capsys)
    [row] = json.loads(out)
    assert row["id"] == 2 and row["cached"] and row["llm_calls"] == 0 and row["request"] == REQUEST
    code, out, _ = _cli(["log", "show", "1", "--markdown"], capsys)
    assert code == 0 and out.startswith("# ") and "· $0 ·" in out
    code, out, _ = _cli(["log", "show", "1", "--json"], capsys)
    assert json.loads(out)["workflow"] == "experiment_tracking"
    code, out, _ = _cli(["log", "show", "1"], capsys)
    assert "workflow    experiment_tracking" in out
    code, out, _ = _cli(["log", "show", "last"], capsys)
    assert out.startswith("id          2\n") and "cached      True" in out
    code, _, err = _cli(["log", "show", "two"], capsys)
    assert code == 2 and "not a design id" in err
    target = tmp_path / "log.jsonl"
    assert _cli(["log", "export", "-o", str(target)], capsys)[0] == 0
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [r["id"] for r in rows] == [1, 2] and rows[0]["deliverable"]["request"] == REQUEST
    code, out, _ = _cli(["log", "path"], capsys)
    assert out.strip() == str(tmp_path / "data" / "designs.sqlite")
    code, _, err = _cli(["log", "show", "9"], capsys)
    assert code == 2 and err.strip() == "design: error: no design #9 in the design log (see `design log list`)"


def test_log_off_by_environment(tmp_path: Path, shared_kb_dir: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLARCHITECT_DESIGN_LOG", "false")
    assert _cli([REQUEST, "--kb-dir", str(shared_kb_dir), "-q"], capsys)[0] == 0
    code, out, _ = _cli(["log", "list", "--json"], capsys)
    assert code == 0 and json.loads(out) == []


def test_empty_log_lists_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli(["log", "list"], capsys) == (0, "", "")
    assert _cli(["log", "export"], capsys) == (0, "", "")


def test_a_cache_hit_loads_neither_langgraph_nor_chroma(tmp_path: Path, shared_kb_dir: Path) -> None:
    env = {**__import__("os").environ, "MLARCHITECT_DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-c",
               "import sys; from mlarchitect.tui.cli import main\n"
               "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
               "heavy = [m for m in ('langgraph', 'chromadb', 'langchain_openai') if m in sys.modules]\n"
               "print('HEAVY', heavy, file=sys.stderr)",
               REQUEST, "--kb-dir", str(shared_kb_dir), "--format", "json"]
    import subprocess

    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert "HEAVY [" in first.stderr and "HEAVY []" not in first.stderr  # a real design loads the graph
    assert "HEAVY []" in second.stderr and "from the response cache" in second.stderr
    assert json.loads(second.stdout)["provenance"]["cached"] is True
    assert json.loads(second.stdout)["summary"] == json.loads(first.stdout)["summary"]
