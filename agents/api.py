"""The one entry point every interface calls: ``design(request, ...)``."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from mlarchitect.deliverable import ArchitectureDesign, Provenance
from mlarchitect.agents.request import validate_request
from mlarchitect.config import Settings
from mlarchitect.errors import InputError, MLArchitectError
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

    With no ``thread_id``, a request made before (same text up to whitespace, workflow
    hint, model and server, prompt, knowledge-base and schema versions, agent and skill
    files) is answered from the response cache with no model call
    (``provenance.cached``); ``cache=False`` designs anew. A run with a ``thread_id`` is
    never answered from the cache (its checkpoint is what a follow-up revises), and a
    follow-up's design is never stored in it. Every design is recorded in the design log
    unless ``design_log=False``; cost is in ``provenance.cost_usd``.
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
    # the response cache: only for a model the settings name (an injected model object has no
    # stable identity); looked up before the heavy work, only without a thread id (a thread's
    # checkpoint is what a follow-up revises); stored only for a fresh request's design
    key: str | None = None
    if settings.cache and request is not None and chat_model is None and not sibling_models:
        key, kb_events, choice_notes = design_cache_key(request, workflow, settings)
        yield from kb_events
        if thread_id is None:
            hit = yield from _cached(settings, key, request, started, choice_notes)
            if hit is not None:
                return
    from mlarchitect.agents.checkpoints import open_later
    from mlarchitect.lazy_re import compiled_code_cache

    opening = open_later(settings.checkpoint_target)  # checked and opened while the runtime is built
    try:
        with compiled_code_cache(settings.data_dir / "cache"):  # the request reader's patterns
            yield from _run(request, settings, thread_id, workflow, chat_model, sibling_models, key, started,
                            opening)
    finally:
        if opening is not None:
            opening.close()  # when the run never took it


def _run(request: str | None, settings: Settings, thread_id: str | None, workflow: str | None, chat_model: Any,
         sibling_models: dict[str, Any] | None, key: str | None, started: float, opening: Any) -> Iterator[Any]:
    """The run itself (see :func:`stream_design`), on the checkpoint database ``opening`` opens."""
    notes: list[Any] = []
    runtime = build_runtime(settings, notes.append, chat_model=chat_model, sibling_models=sibling_models)
    yield from notes
    from mlarchitect.agents.graph import build_graph
    from mlarchitect.agents.stream import translate

    thread = thread_id or uuid.uuid4().hex
    config = {"configurable": {"thread_id": thread}, "recursion_limit": 4 * settings.max_steps + 20}
    with checkpointer(settings.checkpoint_target, keep_threads=settings.max_checkpoint_threads,
                      opening=opening) as saver:
        graph = build_graph(runtime, saver)
        snapshot = graph.get_state(config)
        existing = snapshot.values if snapshot else {}
        payload: Any
        if existing.get("design") and (request is None or request == existing.get("request")):
            stored = ArchitectureDesign.model_validate(existing["design"])
            price(stored.provenance, settings)
            yield DeliverableReady(design=stored)
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
        if payload is None or "followup" in payload:
            key = None  # a resumed run or a follow-up turn is never stored as the answer to its text
        if workflow is not None and payload is not None:
            payload["workflow_hint"] = workflow
        # a step that cost model calls is checkpointed as it ends, so a crash never pays for it twice;
        # an offline run (about a second, nothing to pay for) is checkpointed once, when it exits
        # (also on an error or an interrupt): 11 state serialisations fewer, ~60 ms of a one-shot design
        durability = "exit" if runtime.calls_no_model else "async"
        stream = graph.stream(payload, config, stream_mode=["updates", "messages"], subgraphs=True,
                              durability=durability)
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
    price(result.provenance, settings)
    if key is not None and not result.provenance.fallback_used:  # a degraded design is tried again next time
        yield from _store_in_cache(settings, key, result)
    log_id = yield from _log(settings, result, cached=False)
    yield DeliverableReady(design=result, log_id=log_id)


def price(provenance: Provenance, settings: Settings) -> None:
    """Dollars per agent and in total for this run's model calls (``provenance.agents``: a
    follow-up turn's own calls), from the reported token usage (see :mod:`mlarchitect.pricing`)."""
    from mlarchitect.pricing import price_usage

    total: float | None = 0.0
    why: list[str] = []
    for usage in provenance.agents:
        priced = price_usage(usage.model, usage.calls, usage.prompt_tokens, usage.completion_tokens,
                             settings.pricing, base_url=settings.openai_base_url)
        usage.cost_usd = priced.cost_usd
        if priced.cost_usd is None:
            total = None
            why.append(priced.note)
        elif total is not None:
            total += priced.cost_usd
    provenance.cost_usd = None if total is None else round(total, 6)
    provenance.cost_note = "; ".join(dict.fromkeys(why))


@lru_cache(maxsize=1)
def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlarchitect")
    except PackageNotFoundError:
        return "unknown"


def design_cache_key(request: str, workflow: str | None, settings: Settings) -> tuple[str, list[Any], list[Any]]:
    """The response-cache key, cheaply (no LangGraph, no Chroma client, no model): the
    request, the workflow hint, the model and server, the prompt templates, the knowledge
    base's version, the schema version, the agent and skill files and the settings that
    shape a run. Also returns the knowledge base's events (it is built here when it has
    to be) and the notes a run would start with (shown on a cache hit)."""
    import hashlib

    from mlarchitect.agents.agent_files import load_catalog
    from mlarchitect.agents.models import choose_model
    from mlarchitect.deliverable import SCHEMA_VERSION
    from mlarchitect.design_store import cache_key
    from mlarchitect.knowledge.base import knowledge_base_for
    from mlarchitect.skills.registry import load_skill_catalog

    def digest(items: Any) -> str:
        return hashlib.sha256("\0".join(f"{n}\n{b}" for n, b in sorted(items)).encode()).hexdigest()[:16]

    kb_events: list[Any] = []
    kb = knowledge_base_for(settings)
    _knowledge_base_events(kb.ensure_built(), kb_events.append)
    agents = load_catalog(settings.agents_dir)
    skills = load_skill_catalog(settings.skills_dir)
    architect = agents.get("ml-system-architect")
    choice = choose_model(settings, architect.model if architect is not None else None)
    notes = [*(Note(level="warning", message=f"skipped agent file {p}") for p in agents.problems),
             *(Note(level="warning", message=f"skipped skill {p}") for p in skills.problems)]
    if choice.reason:
        notes.append(Note(level="warning", message=choice.reason))
    key = cache_key(
        request,
        workflow=workflow,
        model=choice.name,
        offline=choice.offline,
        base_url=settings.openai_base_url,
        prompts=_templates_version(),
        kb_version=kb.version,
        schema_version=SCHEMA_VERSION,
        package=package_version(),  # an upgrade's designs are its own, not the old release's
        agents=digest((a.name, f"{a.model}\n{a.body}") for a in agents.agents.values()),
        skills=digest((sk.name, sk.body) for sk in skills.skills.values()),
        settings=settings.model_dump(mode="json", include={
            "tiers", "agent_tiers", "providers", "temperature", "max_tokens", "max_steps", "max_handoffs",
            "fallback_to_offline"}),
    )
    return key, kb_events, notes


def _templates_version() -> str:
    """A hash of every bundled prompt template (any change is a new prompt version)."""
    import hashlib
    from importlib import resources

    digest = hashlib.sha256()
    root = resources.files("mlarchitect.prompts") / "templates"
    stack = [root]
    files = []
    while stack:
        for entry in stack.pop().iterdir():
            if entry.is_dir():
                stack.append(entry)
            elif entry.name.endswith(".md"):
                files.append(entry)
    for entry in sorted(files, key=lambda e: str(e)):
        digest.update(str(entry).removeprefix(str(root)).encode() + b"\0" + entry.read_bytes())
    return digest.hexdigest()[:16]


def _cached(settings: Settings, key: str, request: str, started: float, notes: list[Any]) -> Iterator[Any]:
    """Yield the cached design's events (returns it, or ``None`` on a miss)."""
    from mlarchitect.design_store import cache_get

    try:
        entry = cache_get(settings.design_db_path, key)
    except MLArchitectError as exc:
        yield Note(level="warning", message=f"response cache not read: {exc}")
        return None
    if entry is None:
        return None
    try:
        result = ArchitectureDesign.model_validate_json(entry.deliverable)
    except ValueError:
        yield Note(level="warning", message="response cache entry unreadable; designing again")
        return None
    result.provenance.cached = True
    result.provenance.cached_at = entry.created_at
    result.provenance.thread_id = None  # nothing was checkpointed: a follow-up needs --thread-id
    yield from notes
    yield StepStarted(step="cache", message=f"served from the response cache (designed {entry.created_at})")
    log_id = yield from _log(settings, result, cached=True, request=request,
                             duration_s=round(time.perf_counter() - started, 3))
    yield DeliverableReady(design=result, log_id=log_id)
    return result


def _store_in_cache(settings: Settings, key: str, result: ArchitectureDesign) -> Iterator[Any]:
    from mlarchitect.design_store import cache_put

    try:
        cache_put(settings.design_db_path, key, result.model_dump_json())
    except MLArchitectError as exc:
        yield Note(level="warning", message=f"response cache not written: {exc}")


def _log(settings: Settings, result: ArchitectureDesign, *, cached: bool, request: str | None = None,
         duration_s: float | None = None) -> Iterator[Any]:
    """Record the design in the design log (returns its id); a failure is a warning, never an error."""
    if not settings.design_log:
        return None
    from mlarchitect.design_store import log_design

    p = result.provenance
    try:
        return log_design(
            settings.design_db_path, request=request or result.request, workflow=result.workflow, model=p.model,
            duration_s=p.duration_s if duration_s is None else duration_s,
            llm_calls=0 if cached else p.llm_calls, tokens=0 if cached else p.tokens,
            cost_usd=0.0 if cached else p.cost_usd, cached=cached, thread_id=p.thread_id,
            deliverable_json=result.model_dump_json())
    except MLArchitectError as exc:
        yield Note(level="warning", message=f"design log not written: {exc}")
        return None


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
    (see :func:`mlarchitect.knowledge.base.knowledge_base_for`: ``kb_dir``, or the Chroma server
    of ``chroma_host``/``chroma_port``); user skill packs become searchable text."""
    from mlarchitect.knowledge.base import knowledge_base_for

    kb = knowledge_base_for(settings)
    report = kb.ensure_built()
    # load the embedder and open the store before the parallel tool threads race for it. Here, in this
    # thread: opening it in a background thread while the model and tools load made an offline design
    # slower on two cores (median 3.50 s against 3.18 s, 12 processes each): the opening mostly holds
    # the GIL, and each file the main thread's imports stat or read waited for the GIL to come back
    kb.search("warm up", k=1)
    _knowledge_base_events(report, emit)
    for lost in kb.lost_user_documents():
        emit(Note(level="warning", message=f"user document lost (its saved text is gone; add it again): {lost}"))
    user_skills = [s for s in skills.skills.values() if not s.builtin]
    if user_skills:
        kb.add_texts([(f"skill:{s.name}", f"# {s.name}\n\n{s.description}\n\n{s.body}",
                       {"title": s.name, "skills": s.name}) for s in user_skills])
    return kb


def _knowledge_base_events(report: Any, emit: EventCallback) -> None:
    """What building or updating the knowledge base is worth telling."""
    if report is not None and (report.added or report.updated or report.removed):
        emit(StepStarted(step="loading", message=f"knowledge base indexed ({report.chunks} chunks)"))
    if report is not None and report.rebuilt and report.reason not in (None, "no index yet", "forced"):
        emit(Note(level="warning", message=f"knowledge base rebuilt: {report.reason}"))


@contextmanager
def checkpointer(path: Path | str, *, keep_threads: int | None = None, opening: Any = None) -> Iterator[Any]:
    """The checkpoint saver on a SQLite path (WAL, busy timeout, a damaged database moved aside)
    or a ``postgresql://`` URL (``settings.checkpoint_target``); old threads pruned on exit: see
    :mod:`mlarchitect.agents.checkpoints`. ``opening``: :func:`~mlarchitect.agents.checkpoints.open_later`
    of the same path."""
    from mlarchitect.agents.checkpoints import checkpointer as open_checkpointer

    with open_checkpointer(path, keep_threads=keep_threads, opening=opening) as saver:
        yield saver
