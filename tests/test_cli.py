"""The `design` command: output streams, formats, errors and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlarchitect.tui.cli import main

REQUEST = "Design the serving architecture for an LLM endpoint handling 200 requests per second"


def run(args: list[str], capsys: pytest.CaptureFixture[str], kb: Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main([*args, "--kb-dir", str(kb)] if args and args[0] not in ("schema", "agents", "skills") else args)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_help_does_not_import_the_heavy_libraries() -> None:
    code = (
        "import sys; from mlarchitect.tui.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('langchain_core', 'langgraph', 'chromadb', 'langchain_openai') if m in sys.modules]\n"
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "HEAVY []" in out
    assert "default command" in out


def test_markdown_to_stdout_progress_to_stderr(capsys: pytest.CaptureFixture[str], shared_kb_dir: Path) -> None:
    code, out, err = run([REQUEST], capsys, shared_kb_dir)
    assert code == 0
    assert out.startswith("# ") and "## Sizing" in out
    assert "routed to" in err and "offline engine" in err
    assert "routed to" not in out and "offline engine" not in out


def test_json_format_to_file(capsys: pytest.CaptureFixture[str], shared_kb_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "design.json"
    code, out, _ = run([REQUEST, "--format", "json", "-o", str(target), "--quiet"], capsys, shared_kb_dir)
    assert code == 0 and out == ""
    data = json.loads(target.read_text())
    assert data["workflow"] == "model_serving"


def test_stdin_dash(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], shared_kb_dir: Path) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(REQUEST.encode())))
    code, out, _ = run(["-", "-q", "--format", "json"], capsys, shared_kb_dir)
    assert code == 0 and json.loads(out)["request"] == REQUEST


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["   "], None, "request is empty"),
        (["x" * 20_001], None, "limit is 20,000"),
        (["-"], b"\x89PNG\x00\x00binary", "binary"),
        (["-"], b"\xff\xfe\xfa", "not UTF-8"),
        (["Design a RAG system", "--agents-dir", "/does/not/exist"], None, "--agents-dir not found"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: list[str], stdin: bytes | None, message: str,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                          shared_kb_dir: Path) -> None:
    import io

    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code, out, err = run(args, capsys, shared_kb_dir)
    assert code == 2
    assert out == ""
    assert message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_agents_dir_where_nothing_parses(tmp_path: Path, capsys: pytest.CaptureFixture[str], shared_kb_dir: Path) -> None:
    (tmp_path / "a.md").write_text("---\nname: [oops\n---\n")
    (tmp_path / "b.md").write_text("no front matter")
    code, _, err = run(["Design a RAG system", "--agents-dir", str(tmp_path)], capsys, shared_kb_dir)
    assert code == 2
    assert "a.md:2" in err and "b.md:1" in err


def test_failed_run_keeps_an_existing_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  shared_kb_dir: Path) -> None:
    target = tmp_path / "design.md"
    target.write_text("precious earlier design")
    code, _, _ = run(["  ", "-o", str(target)], capsys, shared_kb_dir)
    assert code == 2
    assert target.read_text() == "precious earlier design"


def test_schema_agents_and_skills(capsys: pytest.CaptureFixture[str], shared_kb_dir: Path, tmp_path: Path) -> None:
    code, out, _ = run(["schema"], capsys, shared_kb_dir)
    schema = json.loads(out)
    assert code == 0 and {"request", "workflow", "provenance"} <= set(schema["required"])
    (tmp_path / "ok.md").write_text("---\nname: reviewer\ndescription: reviews\n---\nbody")
    (tmp_path / "bad.md").write_text("---\nname: [\n---\n")
    code, out, err = run(["agents", "list", "--agents-dir", str(tmp_path), "--json"], capsys, shared_kb_dir)
    listed = json.loads(out)
    assert code == 0 and "reviewer" in [a["name"] for a in listed["agents"]]
    assert "bad.md:2" in err and listed["problems"]
    code, out, _ = run(["skills", "list", "--json"], capsys, shared_kb_dir)
    names = [s["name"] for s in json.loads(out)["skills"]]
    assert {"rag-design", "evaluation-metrics", "observability", "model-serving", "experiment-tracking",
            "data-pipeline", "cost-analysis"} <= set(names)
    code, out, _ = run(["agents", "show", "ml-system-architect"], capsys, shared_kb_dir)
    assert code == 0 and len(json.loads(out)["workflows"]) == 5
