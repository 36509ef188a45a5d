"""Where things live: the bundled patterns and the user's knowledge-base directory."""

from __future__ import annotations

from pathlib import Path


def default_patterns_dir() -> Path:
    """The pattern documents bundled with the package (``knowledge/patterns``)."""
    return Path(__file__).resolve().parent / "patterns"


def default_kb_dir() -> Path:
    """The knowledge-base directory the settings name (the same one ``design`` uses):
    ``kb_dir`` (``$MLARCHITECT_KB_DIR`` or the config file) if set, else ``<data_dir>/kb``
    (``$MLARCHITECT_DATA_DIR``, default ``<user data dir>/mlarchitect``)."""
    from mlarchitect.config import load_settings

    return load_settings().resolved_kb_dir
