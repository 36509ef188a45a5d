"""A thread is a conversation: the same request returns its design, a new message
revises it (defect: a new request on an existing thread used to return the old design)."""

from __future__ import annotations

from mlarchitect.agents.api import design
from mlarchitect.config import Settings


def _replicas(d) -> float:  # noqa: ANN001
    return next(c.value for c in d.sizing if c.name == "Replicas")


def test_a_follow_up_revises_the_design_on_the_same_thread(settings: Settings) -> None:
    first = design("Serving architecture for an LLM classification endpoint at 20 requests per second",
                   settings=settings, thread_id="t")
    again = design("Serving architecture for an LLM classification endpoint at 20 requests per second",
                   settings=settings, thread_id="t")
    assert again.model_dump(exclude={"provenance"}) == first.model_dump(exclude={"provenance"})
    revised = design("we now expect 2,000 requests per second", settings=settings, thread_id="t")
    assert (first.revision, revised.revision) == (1, 2)
    assert _replicas(revised) > _replicas(first) * 10
    assert any("2,000 requests per second" in change for change in revised.changes)
    assert revised.request == first.request  # the conversation keeps its original request
    assert revised.requirements is not None and revised.requirements.peak_rps.value == 2_000


def test_other_threads_are_untouched(settings: Settings) -> None:
    a = design("Serving for a fraud model at 50 requests per second", settings=settings, thread_id="a")
    design("we now expect 5,000 requests per second", settings=settings, thread_id="b")  # a new thread: a new design
    again = design("Serving for a fraud model at 50 requests per second", settings=settings, thread_id="a")
    assert _replicas(again) == _replicas(a) and again.revision == 1


def test_a_caller_that_stops_listening_leaves_a_resumable_run(settings: Settings) -> None:
    """Closing the event stream halfway stops the graph before the checkpoint connection
    closes (closing it under a writing worker used to crash the process)."""
    from mlarchitect.agents.api import stream_design

    for n, stop in enumerate(("route", "tool_call", "handoff", "tool_result")):
        thread = f"closed-{n}"
        events = stream_design("Design a RAG system and write the code in Python", settings=settings,
                               thread_id=thread)
        for event in events:
            if event.kind == stop:
                break
        events.close()
        finished = design(None, settings=settings, thread_id=thread)
        assert finished.workflow == "rag_system" and finished.components
