"""One run's runtime: the seam every model call of the run goes through.

:class:`DesignRuntime` owns which model each agent runs and the sticky fallback:
once the architect's model failed (or was blocked: the deadline passed, the model
is not served), :attr:`DesignRuntime.fell_back` is set and every later step of
the architect runs on the offline engine. That flag is the one source of truth;
the graph state's ``fallback_used`` is only its persisted mirror, read back by
:meth:`DesignRuntime.restore` when a run resumes from a checkpoint.

The model path itself (retries, the structured-output ladder, the ledger that
provenance is written from) lives in :mod:`mlarchitect.agents.runtime`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from mlarchitect.agents.models import agent_model_name, is_offline_model
from mlarchitect.agents.probe import Capabilities
from mlarchitect.agents.runtime import OFFLINE, Ledger, Turn, attempt, label, one_line, structured, tool_turn
from mlarchitect.errors import MLArchitectError, ModelError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage
    from langchain_core.tools import BaseTool

    from mlarchitect.agents.agent_files import AgentCatalog
    from mlarchitect.agents.agent_spec import AgentSpec
    from mlarchitect.config import Settings
    from mlarchitect.prompts.loader import Prompt
    from mlarchitect.skills.registry import SkillCatalog

FALLBACK_KEY = "fallback_used"  # the state's mirror of DesignRuntime.fell_back

# What every run over the same set-up shares (models, tools, catalogs, knowledge base);
# the other fields (ledger, deadline, failures, caches) are one run's and start afresh.
_SHARED = frozenset({
    "settings", "architect", "agents", "skills", "model", "model_name", "offline", "tools",
    "offline_factory", "tier_factory", "sibling_models", "kb_version", "probe", "source_ids",
})


@dataclass
class DesignRuntime:
    """Everything a run needs, built once per run by the API."""

    settings: Settings
    architect: AgentSpec
    agents: AgentCatalog
    skills: SkillCatalog
    model: BaseChatModel
    model_name: str
    offline: bool
    tools: list[BaseTool]
    offline_factory: Callable[[AgentSpec], BaseChatModel] | None = None
    tier_factory: Callable[[str], BaseChatModel] | None = None  # a model of the same server, by name
    sibling_models: dict[str, BaseChatModel] = field(default_factory=dict)
    kb_version: str = "none"
    prompts: list[Prompt] = field(default_factory=list)
    fell_back: bool = False  # the architect fell back: the rest of its run is offline
    probe: Callable[[str], Capabilities] | None = None  # None: assume the server does everything
    source_ids: set[str] | None = None  # the knowledge base's document ids (None: unknown)
    ledger: Ledger = field(default_factory=Ledger)
    deadline: float | None = None
    failed: dict[str, str] = field(default_factory=dict)  # model -> why it failed (for every agent)
    agent_failed: dict[tuple[str, str], str] = field(default_factory=dict)  # (agent, model) -> why
    _caps: dict[str, Capabilities] = field(default_factory=dict)
    _models: dict[str, BaseChatModel] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        if self.deadline is None and self.settings.timeout_s:
            self.deadline = time.monotonic() + self.settings.timeout_s

    @property
    def calls_no_model(self) -> bool:
        """Every agent of this run is played by the offline engine: no step costs a model call."""
        return self.offline and not self.sibling_models

    def for_new_run(self) -> DesignRuntime:
        """A runtime over the same models, tools and knowledge base with fresh bookkeeping."""
        return type(self)(**{f.name: getattr(self, f.name) for f in fields(self) if f.init and f.name in _SHARED})

    # -- the sticky fallback ---------------------------------------------------------

    def is_lead(self, agent: AgentSpec) -> bool:
        return agent.name == self.architect.name

    def fall_back(self, agent: AgentSpec, step: str, reason: str) -> None:
        """Record that the offline engine did ``agent``'s ``step``; for the architect the
        rest of the run stays offline."""
        self.ledger.fallback(agent.name, step, reason)
        if self.is_lead(agent):
            self.fell_back = True

    def restore(self, state: Mapping[str, Any]) -> None:
        """Take the fallback back from a checkpointed state (a resumed run)."""
        if state.get(FALLBACK_KEY):
            self.fell_back = True

    def mirror(self) -> dict[str, Any]:
        """The state update that persists the fallback."""
        return {FALLBACK_KEY: self.fell_back}

    # -- model choice ----------------------------------------------------------------

    def model_for(self, agent: AgentSpec) -> BaseChatModel:
        """The model ``agent`` runs now: the architect's model (the offline engine once it
        fell back), or the sibling's (see :meth:`sibling_model`)."""
        if not self.is_lead(agent):
            return self.sibling_model(agent)
        if self.fell_back and self.offline_factory is not None:
            return self.offline_factory(agent)
        return self.model

    def sibling_model(self, agent: AgentSpec) -> BaseChatModel:
        """The sibling's model: the architect's model unless tiers are on (see
        :func:`~mlarchitect.agents.models.agent_model_name`), or the offline engine
        playing it when its model already failed in this run."""
        if agent.name in self.sibling_models:
            return self.sibling_models[agent.name]
        if self.offline or (self.tier_factory is None and self.offline_factory is not None):
            assert self.offline_factory is not None
            return self.offline_factory(agent)
        name = agent_model_name(self.settings, agent.model, self.model_name)
        reason = self.failed.get(name) or (next(iter(self.failed.values())) if self.fell_back and self.failed else None)
        if reason is not None and self.offline_factory is not None:
            self.ledger.fallback(agent.name, "all", f"its model {name} already failed in this run ({reason})")
            return self.offline_factory(agent)
        if name == self.model_name:
            return self.model
        assert self.tier_factory is not None
        with self._lock:
            if name not in self._models:
                self._models[name] = self.tier_factory(name)
            return self._models[name]

    def tools_for(self, skill_ids: list[str]) -> list[BaseTool]:
        wanted = set(skill_ids)
        return [t for t in self.tools if (t.metadata or {}).get("skill") in wanted]

    def capabilities(self, name: str) -> Capabilities:
        """What the server does for model ``name`` (probed once per run, cached on disk)."""
        with self._lock:
            if name not in self._caps:
                caps = self.probe(name) if self.probe is not None and name != OFFLINE else Capabilities(model=name)
                self.ledger.probe_calls += caps.calls
                self._caps[name] = caps
            return self._caps[name]

    def blocked(self, agent: str, name: str) -> str | None:
        """Why ``agent`` must not call model ``name`` now (None: it may)."""
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return f"the run's deadline ({self.settings.timeout_s:g} s) passed"
        if self.fell_back and self.failed:  # the architect's provider failed: the run is offline
            return next(iter(self.failed.values()))
        if name in self.failed:
            return self.failed[name]
        if (agent, name) in self.agent_failed:
            return self.agent_failed[(agent, name)]
        caps = self.capabilities(name)
        return None if caps.model_found else caps.error or f"model {name} not found"

    def mark_failed(self, agent: str, name: str, reason: str) -> None:
        """The architect's failure takes its model out of the run; a sibling's only out of its own steps."""
        if agent == self.architect.name:
            self.fell_back = True
            self.failed.setdefault(name, reason)
        else:
            self.agent_failed.setdefault((agent, name), reason)

    def can_fall_back(self) -> bool:
        return self.offline_factory is not None and self.settings.fallback_to_offline

    # -- calls -----------------------------------------------------------------------

    def call_with_fallback(self, model: BaseChatModel, agent: AgentSpec, use: Callable[..., Any], *,
                           step: str = "call", messages: list[BaseMessage] | None = None,
                           compact: Callable[[list[BaseMessage]], list[BaseMessage]] | None = None,
                           ) -> tuple[Any, str | None]:
        """Call ``model`` (retries, counting); on a provider failure let the offline engine
        (playing ``agent``) answer instead, when allowed. Returns (result, note or None).
        ``use(model)``, or ``use(model, messages)`` when ``messages`` is given (then a
        context overflow is retried once with ``compact(messages)``)."""
        if is_offline_model(model):
            return (use(model) if messages is None else use(model, messages)), None
        name = label(model, self.model_name)
        reason = self.blocked(agent.name, name)
        failure: BaseException | None = None
        if reason is None:
            call = (lambda m, _msgs: use(m)) if messages is None else use
            try:
                return attempt(self, agent.name, model, call, messages or [], compact=compact), None
            except MLArchitectError:
                raise
            except Exception as exc:  # the provider's errors: network, HTTP 4xx/5xx, bad output ...
                reason, failure = _one_line(exc), exc
                self.mark_failed(agent.name, name, reason)
        offline, note = self.stand_in(agent, name, step, reason, failure)
        return (use(offline) if messages is None else use(offline, messages)), note

    def stand_in(self, agent: AgentSpec, name: str, step: str, reason: str,
                 failure: BaseException | None = None) -> tuple[BaseChatModel, str]:
        """The offline engine playing ``agent`` for ``step`` after its model ``name`` failed,
        and the note that says so; :class:`ModelError` when fallback is off."""
        if not self.can_fall_back():
            raise ModelError(f"the model {name} failed: {reason}") from failure
        assert self.offline_factory is not None
        self.fall_back(agent, step, reason)
        return (self.offline_factory(agent),
                f"The model {name} failed ({reason}); the offline engine completed the {agent.name} step.")

    def tool_turn(self, agent: AgentSpec, model: BaseChatModel, tools: list[BaseTool], messages: list[BaseMessage],
                  *, step: str, workflow: str | None = None) -> Turn:
        return tool_turn(self, agent, model, tools, messages, step=step, workflow=workflow)

    def structured(self, agent: AgentSpec, model: BaseChatModel, schema: type[Any], messages: list[BaseMessage],
                   *, step: str, workflow: str | None = None) -> tuple[Any, list[str], str]:
        return structured(self, agent, model, schema, messages, step=step, workflow=workflow)


def _one_line(exc: BaseException) -> str:
    from mlarchitect.redact import redact

    return redact(one_line(exc))
