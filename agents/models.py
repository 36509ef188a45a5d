"""Chat-model factory: an OpenAI (or OpenAI-compatible) model, or the offline engine.

This module is the graph's only door to the offline engine (``agents/offline``):
the graph asks here whether a model is the engine, and for the engine's plan of
grounding tool calls.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.config import ModelTiers, Settings
from mlarchitect.skills.registry import SkillCatalog

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage, ToolCall
    from langchain_core.tools import BaseTool

    from mlarchitect.agents.probe import Capabilities


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
    tiers = tiers_for(settings)
    default = tiers.resolve(tier, tiers.sonnet)
    name = tiers.resolve(settings.model, default) if settings.model else default
    return ModelChoice(name=name, offline=False)


def tiers_for(settings: Settings) -> ModelTiers:
    """The tier names of the server in use: its ``providers`` entry, else the global tiers."""
    if settings.openai_base_url and settings.openai_base_url in settings.providers:
        return settings.providers[settings.openai_base_url]
    return settings.tiers


def uses_tiers(settings: Settings) -> bool:
    """Whether sibling agents get their own tier's model.

    One model for every agent unless told otherwise: with a base URL (a local or
    third-party server rarely serves ``gpt-5-nano``) or an explicit model, every
    agent runs that model. ``agent_tiers="on"`` or a ``providers`` entry for the
    base URL turn tiers on; ``"off"`` turns them off everywhere.
    """
    if settings.agent_tiers != "auto":
        return settings.agent_tiers == "on"
    if settings.openai_base_url:
        return settings.openai_base_url in settings.providers
    return not settings.model


def agent_model_name(settings: Settings, tier: str | None, architect_model: str) -> str:
    """The model an agent with ``tier`` runs, given the architect's model name."""
    if not uses_tiers(settings):
        return architect_model
    return tiers_for(settings).resolve(tier, architect_model)


def is_offline_model(model: Any) -> bool:
    from mlarchitect.agents.offline.engine import OfflineChatModel

    return isinstance(model, OfflineChatModel)


def plan_grounding_calls(offline: BaseChatModel, tools: Sequence[BaseTool],
                         messages: Sequence[BaseMessage]) -> list[ToolCall]:
    """The skill tool calls the offline engine would make next for this conversation
    (its plan for the request; handoffs excluded): the grounding a model skipped."""
    skill_tools = [t for t in tools if (t.metadata or {}).get("skill")]
    if not skill_tools:
        return []
    message = offline.bind_tools(skill_tools).invoke(list(messages))
    return list(getattr(message, "tool_calls", None) or [])


@dataclass(frozen=True)
class RunModels:
    """A run's models (the fields :class:`~mlarchitect.agents.design_runtime.DesignRuntime`
    takes): the architect's model, a sibling tier's by name, the offline engine, the probe."""

    model: BaseChatModel
    model_name: str
    offline: bool  # the offline engine is the architect's model
    offline_factory: Callable[[AgentSpec], BaseChatModel]
    tier_factory: Callable[[str], BaseChatModel] | None  # None: no server to ask for another model
    probe: Callable[[str], Capabilities] | None  # None: assume the server does everything


def run_models(choice: ModelChoice, settings: Settings, architect: AgentSpec, skills: SkillCatalog,
               agents: AgentCatalog, *, chat_model: BaseChatModel | None = None) -> RunModels:
    """The models for ``choice``, or for the caller's own ``chat_model`` (never probed)."""
    from mlarchitect.agents.probe import probe_for

    def offline(persona: AgentSpec) -> BaseChatModel:
        return make_offline_model(architect, skills, agents, persona=persona)

    def tier(name: str) -> BaseChatModel:
        return make_chat_model(ModelChoice(name=name, offline=False), settings, architect, skills, agents)

    if chat_model is None:
        model, name = make_chat_model(choice, settings, architect, skills, agents), choice.name
    else:
        model = chat_model
        name = str(getattr(chat_model, "model_name", None) or getattr(chat_model, "model", None) or chat_model._llm_type)
    return RunModels(
        model=model,
        model_name=name,
        offline=chat_model is None and choice.offline,
        offline_factory=offline,
        tier_factory=None if choice.offline else tier,
        probe=probe_for(settings) if chat_model is None and not choice.offline else None,
    )


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
        "timeout": min(settings.request_timeout_s, settings.timeout_s or settings.request_timeout_s),
        "max_retries": 0,  # the runtime retries (backoff with jitter, Retry-After) and counts every attempt
        # tool-calling turns go out unstreamed (whole tool calls, usage in every answer; streamed
        # tool-call parsing is the flakiest part of OpenAI-compatible servers); on the official API
        # plain text answers still stream, with their usage. Other servers get no streaming at all:
        # not all of them accept ``stream_options``, and without it a stream reports no usage.
        "disable_streaming": True if settings.openai_base_url else "tool_calling",
        "stream_usage": True,
    }
    if settings.max_tokens:
        kwargs["max_tokens"] = settings.max_tokens
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
