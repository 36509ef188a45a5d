"""The chat's side of the design engine: the event source a turn consumes, the
checkpoint bookkeeping that keeps a conversation usable after a cancelled or
failed turn.

Everything heavy (LangGraph, Chroma, the embedder) is imported here, inside the
functions, and only ever called from worker threads.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from mlarchitect.config import Settings

# An event source: (request, *, settings, thread_id) -> the events of one turn,
# ending with DeliverableReady. Tests inject slow or failing ones.
EventSource = Callable[..., Iterator[Any]]


def engine_events(request: str, *, settings: Settings, thread_id: str) -> Iterator[Any]:
    """The real engine: :func:`mlarchitect.agents.api.stream_design`."""
    from mlarchitect.agents.api import stream_design

    yield from stream_design(request, settings=settings, thread_id=thread_id)


def close_events(events: Any) -> None:
    """Stop a turn's event generator where it is, innermost generator first.

    ``stream_design`` keeps LangGraph's stream generator in a local and closes its
    SQLite connection when it exits; a plain ``close()`` on the outer generator
    closes that connection while the (still open) LangGraph stream can have a
    checkpoint write running in its executor, which crashes the process. Closing
    the suspended generators that the chain holds (LangGraph's stream among
    them) from the inside out lets LangGraph finish its writes first.
    """
    import inspect

    found: list[Any] = []  # every suspended generator reachable from ``events``, outermost first
    todo = [events]
    while todo:
        gen = todo.pop(0)
        if not inspect.isgenerator(gen) or gen.gi_frame is None or any(gen is g for g in found):
            continue
        found.append(gen)
        if str(gen.gi_frame.f_globals.get("__name__", "")).startswith(("langgraph", "langchain")):
            continue  # LangGraph's stream is closed as a whole
        todo.append(gen.gi_yieldfrom)
        todo.extend(v for v in gen.gi_frame.f_locals.values() if inspect.isgenerator(v))
    for gen in reversed(found):
        try:
            gen.close()
        except Exception:  # noqa: BLE001 - best effort: the turn is being abandoned
            pass
    if not inspect.isgenerator(events) and hasattr(events, "close"):
        events.close()


def _root(thread_id: str, checkpoint_id: str | None = None) -> dict[str, Any]:
    configurable: dict[str, Any] = {"thread_id": thread_id, "checkpoint_ns": ""}
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    return {"configurable": configurable}


def _has_checkpoints(settings: Settings) -> bool:
    """A checkpoint store may hold threads: a PostgreSQL URL, or the SQLite file exists."""
    return settings.checkpoint_url is not None or settings.checkpoint_path.exists()


def latest_checkpoint(settings: Settings, thread_id: str) -> str | None:
    """The id of the thread's newest checkpoint (after a finished turn: the state
    a later turn can start from), or None when the thread has none."""
    if not _has_checkpoints(settings):
        return None
    from mlarchitect.agents.api import checkpointer

    with checkpointer(settings.checkpoint_target) as saver:
        found = saver.get_tuple(_root(thread_id))
    return None if found is None else found.config["configurable"].get("checkpoint_id")


def fork_thread(settings: Settings, thread_id: str, checkpoint_id: str | None) -> str:
    """A new thread whose state is ``thread_id`` at ``checkpoint_id``.

    A cancelled or failed turn leaves its run unfinished in the checkpointer, and
    the engine refuses a new request on such a thread. The conversation goes on
    in a fork taken at the last finished turn (or in a fresh thread when no
    turn finished)."""
    new_id = f"{thread_id.split('~')[0]}~{uuid.uuid4().hex[:6]}"
    if not checkpoint_id or not _has_checkpoints(settings):
        return new_id
    from mlarchitect.agents.api import checkpointer

    with checkpointer(settings.checkpoint_target) as saver:
        found = saver.get_tuple(_root(thread_id, checkpoint_id))
        if found is not None:
            checkpoint = found.checkpoint
            saver.put(_root(new_id), checkpoint, dict(found.metadata or {}, source="fork"),
                      dict(checkpoint.get("channel_versions") or {}))
    return new_id


def delete_thread(settings: Settings, thread_id: str) -> None:
    if not _has_checkpoints(settings):
        return
    from mlarchitect.agents.api import checkpointer

    with checkpointer(settings.checkpoint_target) as saver:
        saver.delete_thread(thread_id)
