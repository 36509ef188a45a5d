"""CLI conventions (after simonw/llm): -h everywhere, stdin joined with the argument,
-v logging, a one-line note when -m is ignored, ``design render``, shell completion."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.cli import run_cli as _run

REQUEST = "Design the serving architecture for an LLM endpoint handling 200 requests per second"



def _pipe(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


@pytest.mark.parametrize(
    "command",
    [[], ["run"], ["render"], ["schema"], ["agents"], ["agents", "list"], ["agents", "show"], ["skills"],
     ["skills", "list"], ["kb"], ["kb", "build"], ["kb", "search"], ["kb", "add"], ["kb", "stats"],
     ["kb", "remove"], ["kb", "list"]],
)
def test_dash_h_is_help_on_every_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run([*command, "-h"], capsys)
    assert code == 0 and out.startswith("Usage:") and "-h, --help" in out


def test_piped_text_is_joined_with_the_argument(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                shared_kb_dir: Path) -> None:
    notes = "We serve 200 requests per second.\nLatency p95 under 300 ms.\n"
    _pipe(monkeypatch, notes)
    code, out, _ = _run(["Summarise and design", "-q", "--format", "json", "--kb-dir", str(shared_kb_dir)], capsys)
    assert code == 0
    assert json.loads(out)["request"] == "Summarise and design\n\n" + notes.strip()


def test_argument_alone_when_stdin_is_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlarchitect.tui.cli import _read_request

    _pipe(monkeypatch, "")
    assert _read_request(("Design", "a RAG system")) == "Design a RAG system"
    _pipe(monkeypatch, "only stdin")
    assert _read_request(()) == "only stdin"


def test_verbose_logs_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    root, root_level, root_handlers = logging.getLogger(), logging.getLogger().level, logging.getLogger().handlers[:]
    try:
        code, out, err = _run(["-v", "kb", "--kb-dir", str(tmp_path / "kb"), "stats", "--json"], capsys)
        assert code == 0 and "INFO mlarchitect.knowledge.cli: knowledge base" in err
        assert "INFO" not in out
        code, _, err = _run(["-vv", "render", "-h"], capsys)
        assert logging.getLogger("mlarchitect").level == logging.DEBUG
    finally:
        logging.getLogger("mlarchitect").handlers.clear()
        logging.getLogger("mlarchitect").setLevel(logging.NOTSET)
        logging.getLogger("mlarchitect").propagate = True
        root.handlers[:] = root_handlers
        root.setLevel(root_level)
    code, _, err = _run(["kb", "--kb-dir", str(tmp_path / "kb"), "stats", "--json"], capsys)
    assert "INFO" not in err


def test_model_without_a_key_is_ignored_with_one_line(capsys: pytest.CaptureFixture[str],
                                                      shared_kb_dir: Path) -> None:
    code, out, err = _run([REQUEST, "-m", "gpt-5", "-q", "--kb-dir", str(shared_kb_dir)], capsys)
    assert code == 0 and out.startswith("# ")
    lines = [line for line in err.splitlines() if "offline engine" in line]
    assert len(lines) == 1 and "-m gpt-5 ignored" in lines[0]


def test_render_a_saved_design(tmp_path: Path, capsys: pytest.CaptureFixture[str], shared_kb_dir: Path) -> None:
    saved = tmp_path / "d.json"
    code, _, _ = _run([REQUEST, "-q", "--format", "json", "-o", str(saved), "--kb-dir", str(shared_kb_dir)], capsys)
    assert code == 0
    code, out, _ = _run(["render", str(saved)], capsys)
    assert code == 0 and out.startswith("# ") and "```mermaid" in out
    target = tmp_path / "d.md"
    code, out, _ = _run(["render", str(saved), "-o", str(target)], capsys)
    assert code == 0 and out == "" and target.read_text().startswith("# ")


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not JSON"), ('{"request": "x"}', "is not a saved design"), ("[1, 2]", "is not a saved design")],
)
def test_render_bad_input_is_one_line_exit_2(content: str, message: str, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = _run(["render", str(bad)], capsys)
    assert code == 2 and out == "" and message in err and len(err.strip().splitlines()) == 1
    code, _, err = _run(["render", str(tmp_path / "missing.json")], capsys)
    assert code == 2 and "cannot read" in err


def test_shell_completion_script_is_produced() -> None:
    env = dict(os.environ, _DESIGN_COMPLETE="bash_source")
    code = "import sys; from mlarchitect.tui.cli import main; main()"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "_design_completion" in done.stdout and "complete " in done.stdout
    env["_DESIGN_COMPLETE"] = "bash_complete"
    env.update(COMP_WORDS="design ag", COMP_CWORD="1")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert "agents" in done.stdout


def test_the_console_script_freezes_the_heap_before_shutdown() -> None:
    """`design` (the console script) ends with gc.freeze(): shutdown skips a final collection."""
    code = ("import atexit, gc, sys\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0, file=sys.stderr))\n"
            "from mlarchitect.tui.cli import entry\n"
            "sys.argv = ['design', '--help']\n"
            "entry()\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "frozen True" in proc.stderr, proc.stderr
