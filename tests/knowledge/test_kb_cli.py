"""The ``kb`` click group, through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlarchitect.knowledge.cli import kb


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, helpers, embedder):
    """Invoke ``kb --kb-dir <tmp> ...`` over the small corpus, sharing the loaded embedder."""
    patterns = helpers.write_patterns(tmp_path / "patterns")
    monkeypatch.setattr("mlarchitect.knowledge.base.default_patterns_dir", lambda: patterns)
    monkeypatch.setattr("mlarchitect.knowledge.embedders.get_embedder", lambda spec=None: embedder)
    kb_dir = tmp_path / "kb"

    def invoke(*args: str):
        return CliRunner().invoke(kb, ["--kb-dir", str(kb_dir), *args], catch_exceptions=False)

    invoke.kb_dir = kb_dir  # type: ignore[attr-defined]
    return invoke


def _one_line_error(result, code: int = 2) -> str:
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_build_then_nothing_to_do(run) -> None:
    first = run("build")
    assert first.exit_code == 0
    assert first.stdout.startswith("rebuilt: 6 added")
    assert "index ready" in first.stderr  # progress goes to stderr
    second = run("build", "--json")
    report = json.loads(second.stdout)
    assert report["unchanged"] == 6 and report["added"] == 0 and not report["rebuilt"]
    forced = json.loads(run("build", "--force", "--json").stdout)
    assert forced["rebuilt"] and forced["reason"] == "forced"


def test_search_text_and_json_with_filters(run) -> None:
    text = run("search", "canary share of traffic", "-k", "2")
    assert text.exit_code == 0
    assert text.stdout.startswith("1. Canary releases for models  [canary-release]")
    assert "source: patterns/canary.md" in text.stdout
    hits = json.loads(
        run("search", "how do I roll out and monitor", "--json", "-k", "5", "--workflow", "model_serving").stdout
    )
    assert hits and {h["workflow"] for h in hits} == {"model_serving"}
    assert set(hits[0]) >= {"doc_id", "title", "chunk", "score", "source", "section", "tags", "skills"}
    bm25 = json.loads(run("search", "PSI drift", "--json", "--mode", "bm25", "--skill", "observability").stdout)
    assert [h["doc_id"] for h in bm25][:1] == ["drift-detection"]
    tagged = json.loads(run("search", "search", "--json", "--tag", "canary", "--tag", "drift", "--dedupe").stdout)
    assert {h["doc_id"] for h in tagged} <= {"canary-release", "drift-detection"}
    nothing = run("search", "canary", "--workflow", "nope")
    assert nothing.exit_code == 0 and nothing.stdout == "" and "no results" in nothing.stderr


def test_search_user_errors(run) -> None:
    assert "empty query" in _one_line_error(run("search", "  "))
    bad_mode = run("search", "x", "--mode", "fuzzy")
    assert bad_mode.exit_code == 2
    assert run("search", "x", "-k", "0").exit_code == 2


def test_add_stats_remove(run, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text("# Team wiki\n\nOur quetzal cluster serves the ranking model.")
    (docs / "empty.txt").write_text("")
    result = run("add", str(docs))
    assert result.exit_code == 0
    assert f"added: {(docs / 'good.md').resolve()}" in result.stdout
    assert f"skipped: {docs / 'empty.txt'}: empty file" in result.stdout
    assert "1 added" in result.stderr
    as_json = json.loads(run("add", str(docs), "--json").stdout)
    assert as_json["unchanged"] == [str((docs / "good.md").resolve())] and len(as_json["skipped"]) == 1

    hits = json.loads(run("search", "quetzal cluster", "--json", "-k", "1").stdout)
    assert hits[0]["kind"] == "user"
    assert run("search", "quetzal cluster", "--json", "--no-user-docs").stdout.count('"kind": "user"') == 0

    stats = json.loads(run("stats", "--json").stdout)
    assert stats["documents"] == 7 and stats["user_documents"] == 1 and stats["embedder"].startswith("model2vec:")
    assert stats["kb_dir"] == str(run.kb_dir)
    text = run("stats")
    assert "documents      7 (6 patterns, 1 yours)" in text.stdout and "index version" in text.stdout

    removed = run("remove", str(docs / "good.md"))
    assert removed.exit_code == 0 and removed.stdout.strip() == "removed 1 document(s)"
    assert "no ingested document matches" in _one_line_error(run("remove", str(docs / "good.md")))
    assert "bundled" in _one_line_error(run("remove", "canary-release"))


def test_list_shows_only_your_documents(run, tmp_path: Path) -> None:
    assert run("list", "--json").stdout.strip() == "[]"
    doc = tmp_path / "wiki.md"
    doc.write_text("---\ntitle: Quetzal wiki\n---\n# Team wiki\n\nOur quetzal cluster serves the ranking model.")
    assert run("add", str(doc)).exit_code == 0
    rows = json.loads(run("list", "--json").stdout)
    assert len(rows) == 1
    row = rows[0]
    assert row["id"].startswith("user:wiki-") and row["title"] == "Quetzal wiki"
    assert row["source"] == str(doc.resolve()) and row["chunks"] >= 1 and row["added"][:4].isdigit()
    text = run("list")
    assert text.exit_code == 0 and row["id"] in text.stdout and f"source: {doc.resolve()}" in text.stdout


def test_add_missing_path_is_a_usage_error(run, tmp_path: Path) -> None:
    result = run("add", str(tmp_path / "missing"))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_bad_embedder_spec(tmp_path: Path) -> None:
    result = CliRunner().invoke(kb, ["--kb-dir", str(tmp_path), "--embedder", "word2vec", "stats"])
    assert "unknown embedder" in _one_line_error(result)


def test_default_kb_dir_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mlarchitect.config import Settings
    from mlarchitect.knowledge import default_kb_dir

    monkeypatch.setenv("MLARCHITECT_KB_DIR", str(tmp_path / "elsewhere"))
    assert default_kb_dir() == tmp_path / "elsewhere"
    monkeypatch.delenv("MLARCHITECT_KB_DIR")
    monkeypatch.setenv("MLARCHITECT_DATA_DIR", str(tmp_path / "data"))
    assert default_kb_dir() == tmp_path / "data" / "kb" == Settings().resolved_kb_dir


def test_kb_commands_use_the_same_directory_as_design(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      helpers, embedder) -> None:
    """``MLARCHITECT_DATA_DIR`` (or the config file's ``data_dir``) moves ``kb`` as it moves ``design``."""
    patterns = helpers.write_patterns(tmp_path / "patterns")
    monkeypatch.setattr("mlarchitect.knowledge.base.default_patterns_dir", lambda: patterns)
    monkeypatch.setattr("mlarchitect.knowledge.embedders.get_embedder", lambda spec=None: embedder)
    monkeypatch.delenv("MLARCHITECT_KB_DIR", raising=False)
    monkeypatch.setenv("MLARCHITECT_DATA_DIR", str(tmp_path / "env-data"))
    result = CliRunner().invoke(kb, ["stats", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["kb_dir"] == str(tmp_path / "env-data" / "kb")
    config = tmp_path / "config.toml"
    config.write_text(f'data_dir = "{tmp_path / "toml-data"}"\n')
    monkeypatch.setenv("MLARCHITECT_CONFIG", str(config))
    monkeypatch.delenv("MLARCHITECT_DATA_DIR")
    result = CliRunner().invoke(kb, ["stats", "--json"], catch_exceptions=False)
    assert json.loads(result.stdout)["kb_dir"] == str(tmp_path / "toml-data" / "kb")
    result = CliRunner().invoke(kb, ["--kb-dir", str(tmp_path / "explicit"), "stats", "--json"],
                                catch_exceptions=False)
    assert json.loads(result.stdout)["kb_dir"] == str(tmp_path / "explicit")


def test_help_lists_commands() -> None:
    result = CliRunner().invoke(kb, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "search", "add", "stats", "remove"):
        assert command in result.stdout
