"""Run the ``design`` CLI in-process, the way a shell would see it."""

from __future__ import annotations

import pytest

from mlarchitect.tui.cli import main


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``design ARGS``: (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as info:
        main(args)
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err
