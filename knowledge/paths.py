"""Where things live: the bundled patterns and the user's knowledge-base directory."""

from __future__ import annotations

import os
from pathlib import Path

KB_DIR_ENV = "MLARCHITECT_KB_DIR"


def default_patterns_dir() -> Path:
    """The pattern documents bundled with the package (``knowledge/patterns``)."""
    return Path(__file__).resolve().parent / "patterns"


def default_kb_dir() -> Path:
    """``$MLARCHITECT_KB_DIR`` if set, else ``<user data dir>/mlarchitect/kb``."""
    env = os.environ.get(KB_DIR_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("mlarchitect", appauthor=False)) / "kb"
