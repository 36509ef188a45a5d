"""The checkpoint database's inter-process lock (``mlarchitect.file_lock``)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlarchitect.file_lock import exclusive


def _holder(path: Path, seconds: float, *, use_filelock: bool = False) -> subprocess.Popen[str]:
    """Another process that holds the lock on ``path`` for ``seconds`` (says "held" once it does),
    and writes ``<path>.done`` just before it lets go."""
    take = (f"from filelock import FileLock\nwith FileLock({str(path)!r}):\n" if use_filelock else
            f"from mlarchitect.file_lock import exclusive\nwith exclusive(__import__('pathlib').Path({str(path)!r}), 5):\n")
    body = (f"print('held', flush=True)\nimport time; time.sleep({seconds})\n"
            f"open({str(path) + '.done'!r}, 'w').close()\n")
    code = take + textwrap.indent(body, "    ")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


@pytest.mark.parametrize("use_filelock", [False, True])
def test_a_lock_another_process_holds_times_out(tmp_path: Path, use_filelock: bool) -> None:
    path = tmp_path / "db.lock"
    proc = _holder(path, 30, use_filelock=use_filelock)
    try:
        with pytest.raises(TimeoutError), exclusive(path, timeout=0.2):
            pass
    finally:
        proc.kill()
        proc.wait()
    with exclusive(path, timeout=1):  # released with its process
        pass


def test_the_lock_is_taken_once_the_holder_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "db.lock"
    proc = _holder(path, 0.5)
    try:
        with exclusive(path, timeout=30):
            assert Path(f"{path}.done").exists()  # taken only after the holder's block ended
    finally:
        proc.wait()
    assert proc.returncode == 0
    with exclusive(path, timeout=0.1), pytest.raises(TimeoutError):  # and it excludes filelock's holders
        from filelock import FileLock

        with FileLock(str(path), timeout=0.1):
            pass
