"""The one entry point every interface calls: ``design(request, ...)``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlarchitect.deliverable import ArchitectureDesign
from mlarchitect.agents.state import validate_request
from mlarchitect.config import Settings
from mlarchitect.errors import InputError
from mlarchitect.events import DeliverableReady, Note, StepStarted
from mlarchitect.workflows import WORKFLOWS


EventCallback = Callable[[Any], None]


def design(
    request: str | None = None,
    *,
    settings: Settings | None = None,
    thread_id: str | None = None,
    workflow: str | None = None,
    on_event: EventCallback | None = None,
    chat_model: Any = None,
    sibling_models: dict[str, Any] | None = None,
    **overrides: Any,
) -> ArchitectureDesign:
    """Design a system for ``request`` and return the validated deliverable.

    ``thread_id`` names the checkpointed conversation: with ``request=None`` an
    unfinished run is resumed; the same request returns the stored design; a new
    request on a finished thread is a follow-up turn that revises it.
    ``workflow`` skips routing (one of :data:`mlarchitect.workflows.WORKFLOWS`).
    ``on_event`` receives every :mod:`mlarchitect.events` event as it happens.
    Keyword ``overrides`` (``model="gpt-5"``, ``offline=True``, ``data_dir=...``)
    are settings fields, so callers need not import :class:`Settings`.
    """
    result: ArchitectureDesign | None = None
    for event in stream_design(request, settings=settings, thread_id=thread_id, workflow=workflow, chat_model=chat_model,
                               sibling_models=sibling_models, **overrides):
        if on_event is not None:
            on_event(event)
        if isinstance(event, DeliverableReady):
            result = event.design
    assert result is not None  # stream_design always ends with the deliverable or raises
    return result


def stream_design(
    request: str | None = None,
    *,
    settings: Settings | None = None,
    thread_id: str | None = None,
    workflow: str | None = None,
    chat_model: Any = None,
    sibling_models: dict[str, Any] | None = None,
    **overrides: Any,
) -> Iterator[Any]:
    """Run a design and yield its events (:data:`mlarchitect.events.DesignEvent`),
    ending with :class:`~mlarchitect.events.DeliverableReady`."""
    settings = _settings(settings, overrides)
    if request is not None:
        request = validate_request(request)
    if workflow is not None and workflow not in WORKFLOWS:
        raise InputError(f"unknown workflow {workflow!r}; one of: {', '.join(WORKFLOWS)}")
    started = time.perf_counter()
    notes: list[Any] = []
    runtime = build_runtime(settings, notes.append, chat_model=chat_model, sibling_models=sibling_models)
    yield from notes
    from mlarchitect.agents.graph import build_graph
    from mlarchitect.agents.stream import translate

    thread = thread_id or uuid.uuid4().hex
    config = {"configurable": {"thread_id": thread}, "recursion_limit": 4 * settings.max_steps + 20}
    with checkpointer(settings.checkpoint_path, keep_threads=settings.max_checkpoint_threads) as saver:
        graph = build_graph(runtime, saver)
        snapshot = graph.get_state(config)
        existing = snapshot.values if snapshot else {}
        payload: Any
        if existing.get("design") and (request is None or request == existing.get("request")):
            yield DeliverableReady(design=ArchitectureDesign.model_validate(existing["design"]))
            return
        if existing and (snapshot.next or snapshot.tasks):  # tasks: a step ended, no new checkpoint yet
            if request is not None and request != existing.get("request"):
                raise InputError(f"thread {thread!r} has an unfinished run for another request; "
                                 "resume it without a request first")
            yield StepStarted(step="resume", message=f"resuming thread {thread}")
            payload = None
        elif request is None:
            raise InputError(f"no unfinished run with thread id {thread!r} to resume")
        elif existing.get("design"):
            payload = {"followup": request}
        else:
            payload = {"request": request}
        if workflow is not None and payload is not None:
            payload["workflow_hint"] = workflow
        stream = graph.stream(payload, config, stream_mode=["updates", "messages"], subgraphs=True)
        try:
            yield from translate(stream)
        finally:
            # stop the graph (its workers finish their writes) before the checkpoint connection
            # closes; a caller that stops listening leaves a resumable checkpoint, not a crash
            stream.close()
        values = graph.get_state(config).values
    result = ArchitectureDesign.model_validate(values["design"])
    result.provenance.duration_s = round(time.perf_counter() - started, 3)
    result.provenance.thread_id = thread
    yield DeliverableReady(design=result)


def _settings(settings: Settings | None, overrides: dict[str, Any]) -> Settings:
    if settings is None:
        return Settings(**overrides)
    return settings.model_copy(update=overrides) if overrides else settings


def build_runtime(settings: Settings, emit: EventCallback, *, chat_model: Any = None,
                  sibling_models: dict[str, Any] | None = None) -> Any:
    from mlarchitect.agents.agent_files import load_catalog
    from mlarchitect.agents.design_runtime import DesignRuntime
    from mlarchitect.agents.models import choose_model, run_models
    from mlarchitect.skills.base import SkillContext
    from mlarchitect.skills.registry import load_skill_catalog

    agents = load_catalog(settings.agents_dir)
    for problem in agents.problems:
        emit(Note(level="warning", message=f"skipped agent file {problem}"))
    from mlarchitect.agents.handoffs import replaced_builtin_agents

    for name in replaced_builtin_agents(agents):
        emit(Note(level="warning", message=f"using your agent {name!r} ({agents.agents[name].path}) "
                                            "instead of the built-in one"))
    architect = agents.get("ml-system-architect")
    if architect is None:  # pragma: no cover - the built-in file ships with the package
        raise InputError("no ml-system-architect agent definition found")
    skills = load_skill_catalog(settings.skills_dir)
    for problem in skills.problems:
        emit(Note(level="warning", message=f"skipped skill {problem}"))
    choice = choose_model(settings, architect.model)
    if choice.reason:
        emit(Note(level="warning", message=choice.reason))
    kb = open_knowledge_base(settings, skills, emit)
    ctx = SkillContext(retriever=kb, default_model=choice.name if not choice.offline else settings.tiers.sonnet)
    models = run_models(choice, settings, architect, skills, agents, chat_model=chat_model)
    return DesignRuntime(
        settings=settings,
        architect=architect,
        agents=agents,
        skills=skills,
        tools=skills.tools(list(skills.skills), ctx),
        sibling_models=dict(sibling_models or {}),
        kb_version=kb.version if kb is not None else "none",
        source_ids=set(kb.documents()) if kb is not None else None,
        **vars(models),
    )


def open_knowledge_base(settings: Settings, skills: Any, emit: EventCallback) -> Any:
    """The knowledge base, built on first use and shared by every design of this process
    (see :func:`mlarchitect.knowledge.base.shared_knowledge_base`); user skill packs become
    searchable text."""
    from mlarchitect.knowledge.base import shared_knowledge_base

    kb = shared_knowledge_base(settings.resolved_kb_dir)
    report = kb.ensure_built()
    kb.search("warm up", k=1)  # load the embedder and open the store before the parallel tool threads race for it
    if report is not None and (report.added or report.updated or report.removed):
        emit(StepStarted(step="loading", message=f"knowledge base indexed ({report.chunks} chunks)"))
    if report is not None and report.rebuilt and report.reason not in (None, "no index yet", "forced"):
        emit(Note(level="warning", message=f"knowledge base rebuilt: {report.reason}"))
    for lost in kb.lost_user_documents():
        emit(Note(level="warning", message=f"user document lost (its saved text is gone; add it again): {lost}"))
    user_skills = [s for s in skills.skills.values() if not s.builtin]
    if user_skills:
        kb.add_texts([(f"skill:{s.name}", f"# {s.name}\n\n{s.description}\n\n{s.body}",
                       {"title": s.name, "skills": s.name}) for s in user_skills])
    return kb


@contextmanager
def checkpointer(path: Path, *, keep_threads: int | None = None) -> Iterator[Any]:
    """The checkpoint saver (WAL, busy timeout, a damaged database moved aside, old threads
    pruned on exit): see :mod:`mlarchitect.agents.checkpoints`."""
    from mlarchitect.agents.checkpoints import checkpointer as open_checkpointer

    with open_checkpointer(path, keep_threads=keep_threads) as saver:
        yield saver
