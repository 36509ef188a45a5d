"""The Python API: ``from mlarchitect import design`` with keyword settings, from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHECK = (
    "import mlarchitect\n"
    "from mlarchitect import design, stream_design, Settings, ArchitectureDesign\n"
    "import mlarchitect.agents.api as api\n"
    "assert api.design is design and callable(stream_design) and Settings().max_steps >= 1\n"
    "assert hasattr(ArchitectureDesign, 'to_markdown')\n"
    "print('OK', mlarchitect.__file__)\n"
)
# as after `pip install .` (not editable): no import hook maps the sub-package folders
NOT_EDITABLE = "import sys\nsys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f)]\n"


def _python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


def test_readme_snippet_works_from_the_repository_root() -> None:
    for code in (CHECK, NOT_EDITABLE + CHECK):
        done = _python(code)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.startswith("OK")


def test_importing_the_package_stays_cheap() -> None:
    done = _python("import sys, mlarchitect\nprint(sorted(m for m in ('langgraph', 'chromadb', 'pydantic_settings')"
                   " if m in sys.modules))")
    assert done.stdout.strip() == "[]", done.stderr


def test_design_with_keyword_settings_and_to_markdown(tmp_path: Path, shared_kb_dir: Path) -> None:
    from mlarchitect import ArchitectureDesign, design

    result = design("Design experiment tracking for 5 researchers fine-tuning models", offline=True,
                    model="gpt-5", kb_dir=shared_kb_dir, data_dir=tmp_path / "data")
    assert isinstance(result, ArchitectureDesign) and result.provenance.offline
    markdown = result.to_markdown()
    assert markdown.startswith("# ") and "## Summary" in markdown


def test_the_package_is_typed() -> None:
    assert (ROOT / "mlarchitect" / "py.typed").is_file()
    assert '"mlarchitect" = ["py.typed"]' in (ROOT / "pyproject.toml").read_text()
