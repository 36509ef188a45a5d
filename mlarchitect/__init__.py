"""mlarchitect: a multi-agent design assistant for ML and LLM systems.

The public entry point is :func:`mlarchitect.design` (re-exported lazily from
``mlarchitect.agents.api`` so that importing the package stays cheap).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # pragma: no cover
    from mlarchitect.agents.api import design as design

__all__ = ["__version__", "design"]


def __getattr__(name: str) -> Any:
    if name == "design":
        from mlarchitect.agents.api import design

        return design
    raise AttributeError(name)
