"""How a request is read, routed, handed on and designed, as one-line helpers for the request-reading tests."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.handoffs import plan_handoffs
from mlarchitect.agents.intake.assume import with_assumptions
from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents.routing import route_request
from mlarchitect.skills.architecture import adapt_architecture
from mlarchitect.skills.registry import load_skill_catalog


@lru_cache(maxsize=1)
def _loaded() -> tuple[Any, Any, Any]:
    catalog = load_catalog()
    return catalog, catalog.agents["ml-system-architect"], load_skill_catalog()


def route(text: str) -> str:
    """The workflow ``text`` is routed to."""
    _, architect, skills = _loaded()
    return route_request(text, architect, skills, extract_requirements(text)).workflow


def handoffs(text: str) -> list[str]:
    """The sibling agents ``text`` asks for, sorted."""
    catalog, architect, _ = _loaded()
    return sorted(p.agent for p in plan_handoffs(text, architect, catalog))


def components(package: str, workflow: str, text: str) -> dict[str, str]:
    """Component name -> technology of the design ``package`` adapts for ``text``."""
    arch = adapt_architecture(package, with_assumptions(extract_requirements(text), workflow), request=text)
    return {c["name"]: c["technology"] for c in arch["components"]}
