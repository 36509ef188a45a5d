"""The one entry point every interface calls: ``design(request, ...)``."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from mlarchitect.deliverable import ArchitectureDesign
from mlarchitect.agents.state import validate_request
from mlarchitect.config import Settings
from mlarchitect.errors import InputError


class ProgressEvent(BaseModel):
    stage: str  # loading | routing | skill | handoff | assembling | done | warning
    message: str


ProgressCallback = Callable[[ProgressEvent], None]


def design(
    request: str | None = None,
    *,
    settings: Settings | None = None,
    thread_id: str | None = None,
    on_progress: ProgressCallback | None = None,
    chat_model: Any = None,
    sibling_models: dict[str, Any] | None = None,
) -> ArchitectureDesign:
    """Design a system for ``request`` and return the validated deliverable.

    ``thread_id`` names the checkpointed run: an unfinished run with that id is
    resumed (pass ``request=None``), a finished one returns its design.
    ``chat_model`` replaces the configured model (tests, embedding hosts) and
    ``sibling_models`` the models of named sibling agents.
    """
    settings = settings or Settings()
    emit = on_progress or (lambda _event: None)
    if request is not None:
        request = validate_request(request)
    started = time.perf_counter()
    runtime = build_runtime(settings, emit, chat_model=chat_model, sibling_models=sibling_models)
    from mlarchitect.agents.graph import build_graph

    thread = thread_id or uuid.uuid4().hex
    config = {"configurable": {"thread_id": thread}, "recursion_limit": 4 * settings.max_steps + 20}
    with checkpointer(settings.checkpoint_path) as saver:
        graph = build_graph(runtime, saver)
        snapshot = graph.get_state(config)
        existing = snapshot.values if snapshot else {}
        if existing.get("design"):
            return ArchitectureDesign.model_validate(existing["design"])
        if existing and snapshot.next:
            emit(ProgressEvent(stage="loading", message=f"resuming thread {thread}"))
            payload: Any = None
        elif request is None:
            raise InputError(f"no unfinished run with thread id {thread!r} to resume")
        else:
            payload = {"request": request}
        for namespace, update in graph.stream(payload, config, stream_mode="updates", subgraphs=True):
            for node, values in update.items():
                _report(namespace, node, values or {}, emit)
        values = graph.get_state(config).values
    result = ArchitectureDesign.model_validate(values["design"])
    result.provenance.duration_s = round(time.perf_counter() - started, 3)
    result.provenance.thread_id = thread
    emit(ProgressEvent(stage="done", message=f"{result.workflow} design ready"))
    return result


def build_runtime(settings: Settings, emit: ProgressCallback, *, chat_model: Any = None,
                  sibling_models: dict[str, Any] | None = None) -> Any:
    from mlarchitect.agents.agent_files import load_catalog
    from mlarchitect.agents.graph import DesignRuntime
    from mlarchitect.agents.models import ModelChoice, choose_model, make_chat_model, make_offline_model
    from mlarchitect.skills.base import SkillContext
    from mlarchitect.skills.registry import load_skill_catalog

    agents = load_catalog(settings.agents_dir)
    for problem in agents.problems:
        emit(ProgressEvent(stage="warning", message=f"skipped agent file {problem}"))
    architect = agents.get("ml-system-architect")
    if architect is None:  # pragma: no cover - the built-in file ships with the package
        raise InputError("no ml-system-architect agent definition found")
    skills = load_skill_catalog(settings.skills_dir)
    for problem in skills.problems:
        emit(ProgressEvent(stage="warning", message=f"skipped skill {problem}"))
    choice = choose_model(settings, architect.model)
    if choice.reason:
        emit(ProgressEvent(stage="warning", message=choice.reason))
    kb = open_knowledge_base(settings, skills, emit)
    ctx = SkillContext(retriever=kb, default_model=choice.name if not choice.offline else settings.tiers.sonnet)
    model = chat_model or make_chat_model(choice, settings, architect, skills, agents)
    offline = chat_model is None and choice.offline
    name = choice.name if chat_model is None else (
        getattr(chat_model, "model_name", None) or getattr(chat_model, "model", None) or chat_model._llm_type)
    return DesignRuntime(
        settings=settings,
        architect=architect,
        agents=agents,
        skills=skills,
        model=model,
        model_name=str(name),
        offline=offline,
        tools=skills.tools(list(skills.skills), ctx),
        offline_factory=lambda persona: make_offline_model(architect, skills, agents, persona=persona),
        tier_factory=None if choice.offline else (
            lambda tier: make_chat_model(ModelChoice(name=settings.tiers.resolve(tier, choice.name), offline=False),
                                         settings, architect, skills, agents)),
        sibling_models=dict(sibling_models or {}),
        kb_version=kb.version if kb is not None else "none",
    )


def open_knowledge_base(settings: Settings, skills: Any, emit: ProgressCallback) -> Any:
    """The knowledge base, built on first use; user skill packs become searchable text."""
    from mlarchitect.knowledge import KnowledgeBase

    kb = KnowledgeBase(settings.resolved_kb_dir)
    report = kb.ensure_built()
    kb.search("warm up", k=1)  # load the embedder and open the store before the parallel tool threads race for it
    if report is not None and (report.added or report.updated or report.removed):
        emit(ProgressEvent(stage="loading", message=f"knowledge base indexed ({report.chunks} chunks)"))
    user_skills = [s for s in skills.skills.values() if not s.builtin]
    if user_skills:
        kb.add_texts([(f"skill:{s.name}", f"# {s.name}\n\n{s.description}\n\n{s.body}",
                       {"title": s.name, "skills": s.name}) for s in user_skills])
    return kb


@contextmanager
def checkpointer(path: Path) -> Iterator[Any]:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    try:
        yield SqliteSaver(conn)
    finally:
        conn.close()


def _report(namespace: tuple[str, ...], node: str, values: dict[str, Any], emit: ProgressCallback) -> None:
    if namespace:  # a sibling's subgraph, streamed as it works
        agent = (values.get("chain") or [""])[-1] if node == "start" else ""
        if agent:
            emit(ProgressEvent(stage="handoff", message=f"{agent} is working on its section"))
        elif node == "write":
            emit(ProgressEvent(stage="handoff", message=f"a sibling wrote {values.get('title') or 'its section'}"))
        return
    if node == "intake" and "route" in values:
        route = values["route"]
        emit(ProgressEvent(stage="routing", message=f"workflow {route['workflow']}; skills {', '.join(route['skills'])}"))
    elif node == "architect":
        messages = values.get("messages") or []
        calls = [c for m in messages for c in getattr(m, "tool_calls", [])]
        if calls:
            names = ", ".join(dict.fromkeys(c["name"] for c in calls))
            emit(ProgressEvent(stage="skill", message=f"calling {names}"))
        else:
            emit(ProgressEvent(stage="assembling", message="assembling the deliverable"))
    for note in values.get("notes") or []:
        emit(ProgressEvent(stage="warning", message=note))
