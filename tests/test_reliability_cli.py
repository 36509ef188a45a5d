"""The `design` command at its edges: where -o writes, closed stdout, undecodable
arguments, unusable data directories, `kb add` with nothing usable."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

REQUEST = "Design the serving architecture for an LLM endpoint handling 200 requests per second"


def design_cmd(*args: str, kb: Path | None = None, env: dict[str, str] | None = None,
               **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    """Run the real console script in a subprocess (stdout/stderr as bytes)."""
    extra = ["--kb-dir", str(kb)] if kb is not None else []
    code = "import sys; from mlarchitect.tui.cli import main; main(sys.argv[1:])"
    streams = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, **kwargs}
    return subprocess.run([sys.executable, "-c", code, *args, *extra], env={**os.environ, **(env or {})},
                          timeout=300, **streams)  # type: ignore[call-overload]


def one_line_error(proc: subprocess.CompletedProcess[bytes], code: int, fragment: str) -> None:
    err = proc.stderr.decode()
    assert proc.returncode == code, err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("design: error:")]
    assert len(errors) == 1 and fragment in errors[0], err


@pytest.mark.parametrize("kind", ["fifo", "symlink", "device", "readonly", "directory", "missing_dir"])
def test_output_special_files(kind: str, tmp_path: Path, shared_kb_dir: Path) -> None:
    """Nothing at the path is replaced, exit 2, before the design runs."""
    victim = tmp_path / "victim.md"
    victim.write_text("precious")
    if kind == "fifo":
        target = tmp_path / "pipe"
        os.mkfifo(target)
    elif kind == "symlink":
        target = tmp_path / "link.md"
        target.symlink_to(victim)
    elif kind == "device":
        target = Path("/dev/null")
    elif kind == "readonly":
        target = victim
        victim.chmod(0o444)
    elif kind == "directory":
        target = tmp_path
    else:
        target = tmp_path / "no" / "such" / "dir" / "d.md"
    before = os.lstat(target) if kind != "missing_dir" else None
    proc = design_cmd(REQUEST, "-o", str(target), kb=shared_kb_dir)
    one_line_error(proc, 2, "")
    assert b"routed" not in proc.stderr  # refused while parsing the options: no design ran
    assert victim.read_text() == "precious"
    if before is not None:
        after = os.lstat(target)
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_unwritable_dir(tmp_path: Path, shared_kb_dir: Path) -> None:
    """A parent that is a file cannot hold the output."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    proc = design_cmd(REQUEST, "-o", str(blocker / "d.md"), kb=shared_kb_dir)
    one_line_error(proc, 2, "output")
    assert b"routed" not in proc.stderr


def test_output_keeps_mode(tmp_path: Path, shared_kb_dir: Path) -> None:
    target = tmp_path / "design.json"
    target.write_text("old")
    target.chmod(0o640)
    proc = design_cmd(REQUEST, "--format", "json", "-q", "-o", str(target), kb=shared_kb_dir)
    assert proc.returncode == 0, proc.stderr.decode()
    assert json.loads(target.read_text())["workflow"] == "model_serving"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    new = tmp_path / "new.md"
    assert design_cmd(REQUEST, "-q", "-o", str(new), kb=shared_kb_dir).returncode == 0
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(new.stat().st_mode) == 0o666 & ~umask


def test_output_dash_is_stdout(shared_kb_dir: Path) -> None:
    proc = design_cmd(REQUEST, "--format", "json", "-q", "-o", "-", kb=shared_kb_dir)
    assert proc.returncode == 0 and json.loads(proc.stdout)["workflow"] == "model_serving"


def test_closed_stdout(tmp_path: Path, shared_kb_dir: Path) -> None:
    """Exit 1 and one line; with -o the file is still written."""
    proc = design_cmd(REQUEST, "-q", kb=shared_kb_dir, stdout=None, preexec_fn=lambda: os.close(1))
    one_line_error(proc, 1, "standard output is closed")
    target = tmp_path / "d.md"
    proc = design_cmd(REQUEST, "-q", "-o", str(target), kb=shared_kb_dir, stdout=None,
                      preexec_fn=lambda: os.close(1))
    assert proc.returncode == 0, proc.stderr
    assert target.read_text().startswith("# ")


def test_invalid_utf8_argument(shared_kb_dir: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", "import sys; from mlarchitect.tui.cli import main; main()",
                           b"\xff\xfe", "--kb-dir", str(shared_kb_dir)], capture_output=True, timeout=120)
    one_line_error(proc, 2, "not UTF-8")


@pytest.mark.parametrize("kind", ["file", "under_a_file", "readonly_mount"])
def test_unwritable_data_dir(kind: str, tmp_path: Path, shared_kb_dir: Path) -> None:
    """One line, exit 2, no traceback."""
    blocker = tmp_path / "data-file"
    blocker.write_text("not a directory")
    if kind == "file":
        data = blocker
    elif kind == "under_a_file":
        data = blocker / "sub"
    else:
        data = tmp_path / "ro"
        data.mkdir()
        mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(data), str(data)], capture_output=True)
        if mounted.returncode != 0:
            pytest.skip(f"cannot make a read-only bind mount here: {mounted.stderr.decode().strip()}")
        subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], capture_output=True)
    try:
        proc = design_cmd(REQUEST, "-q", kb=shared_kb_dir, env={"MLARCHITECT_DATA_DIR": str(data)})
        one_line_error(proc, 2, "data directory")
    finally:
        if kind == "readonly_mount":
            subprocess.run(["umount", str(data)], capture_output=True)


def test_kb_add_all_skipped(tmp_path: Path) -> None:
    """Exit 2 with the reasons."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_text("")
    (docs / "image.png").write_bytes(b"\x89PNG\x00\x00")
    proc = design_cmd("kb", "--kb-dir", str(tmp_path / "kb"), "add", str(docs))
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "empty.txt: empty file" in err and "image.png: unsupported file type" in err
    assert "Traceback" not in err
    assert "nothing was added" in err
