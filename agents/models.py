"""Chat-model factory: an OpenAI (or OpenAI-compatible) model, or the offline engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.config import Settings
from mlarchitect.skills.registry import SkillCatalog

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


class ModelChoice(BaseModel):
    name: str
    offline: bool
    reason: str = ""


def choose_model(settings: Settings, tier: str | None = None) -> ModelChoice:
    if settings.wants_offline:
        why = "" if settings.offline or (settings.model or "").lower() == "offline" else (
            "no OPENAI_API_KEY or OPENAI_BASE_URL set: using the built-in offline engine"
        )
        return ModelChoice(name="offline", offline=True, reason=why)
    default = settings.tiers.resolve(tier, settings.tiers.sonnet)
    name = settings.tiers.resolve(settings.model, default) if settings.model else default
    return ModelChoice(name=name, offline=False)


def make_chat_model(
    choice: ModelChoice,
    settings: Settings,
    architect: AgentSpec,
    skills: SkillCatalog,
    agents: AgentCatalog,
) -> BaseChatModel:
    if choice.offline:
        return make_offline_model(architect, skills, agents)
    from langchain_openai import ChatOpenAI  # imported only when a real model is used

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    kwargs: dict[str, object] = {
        "model": choice.name,
        "api_key": key,
        "timeout": settings.request_timeout_s,
        "max_retries": settings.max_retries,
    }
    if settings.openai_base_url:
        kwargs["base_url"] = settings.openai_base_url
    if settings.temperature is not None:
        kwargs["temperature"] = settings.temperature
    return ChatOpenAI(**kwargs)  # type: ignore[arg-type]


def make_offline_model(architect: AgentSpec, skills: SkillCatalog, agents: AgentCatalog,
                       *, persona: AgentSpec | None = None) -> BaseChatModel:
    """The offline engine, playing the architect or (``persona``) a sibling agent."""
    from mlarchitect.agents.offline.engine import OfflineChatModel

    if persona is not None and persona.name == architect.name:
        persona = None
    return OfflineChatModel(architect=architect, skills=skills, agents=agents, persona=persona)
