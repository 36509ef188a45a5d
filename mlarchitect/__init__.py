"""mlarchitect: a multi-agent design assistant for ML and LLM systems.

The public API, imported lazily so that ``import mlarchitect`` stays cheap::

    from mlarchitect import design
    result = design("Design a RAG system over 30,000 pages", offline=True)
    print(result.to_markdown())

``design`` and ``stream_design`` come from :mod:`mlarchitect.agents.api`,
``Settings`` and ``load_settings`` from :mod:`mlarchitect.config`,
``ArchitectureDesign`` from :mod:`mlarchitect.deliverable`.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from mlarchitect.agents.api import design as design
    from mlarchitect.agents.api import stream_design as stream_design
    from mlarchitect.config import Settings as Settings
    from mlarchitect.config import load_settings as load_settings
    from mlarchitect.deliverable import ArchitectureDesign as ArchitectureDesign

_EXPORTS = {
    "design": "mlarchitect.agents.api",
    "stream_design": "mlarchitect.agents.api",
    "Settings": "mlarchitect.config",
    "load_settings": "mlarchitect.config",
    "ArchitectureDesign": "mlarchitect.deliverable",
}

__all__ = ["__version__", *_EXPORTS]


def _add_checkout_siblings() -> None:
    """In a source checkout the sub-packages (``agents``, ``skills``, ``knowledge``…) are
    folders next to this one, mapped by ``package-dir`` only when installed. When Python
    imports this folder straight from a checkout (e.g. ``python -c`` run from the
    repository root, which puts the root first on ``sys.path``), look for them there too."""
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    if not os.path.isdir(os.path.join(here, "agents")) and all(
        os.path.isfile(os.path.join(root, *parts))
        for parts in (("pyproject.toml",), ("agents", "agent_files.py"), ("skills", "registry.py"))
    ):
        __path__.append(root)


_add_checkout_siblings()


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mlarchitect' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
