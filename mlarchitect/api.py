"""The public API for embedding the architect in other systems.

Five ways in, all on the same core (:mod:`mlarchitect.agents.api`):

* :func:`design` / :func:`stream_design`: synchronous; a deliverable, or its events.
* :func:`adesign` / :func:`astream_design`: the same from ``asyncio`` code; the sync
  core runs in a worker thread, so the event loop never blocks.
* :func:`create_architect`: a compiled LangGraph graph to use as a node or subgraph
  of your own graph (input ``request``, output ``design`` and run details).
* :func:`architect_tool`: a LangChain tool (``design_ml_system``) for another agent.

Every call is independent: many threads or tasks may design at once.

    from mlarchitect.api import adesign
    result = await adesign("A RAG chatbot over 30,000 Confluence pages")
    print(result.workflow, [c.name for c in result.components])
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from typing_extensions import NotRequired, TypedDict  # pydantic (JSON schemas of the graph) needs it on 3.11

from langchain_core.runnables import RunnableConfig

from mlarchitect.agents.api import design, stream_design
from mlarchitect.config import Settings
from mlarchitect.deliverable import ArchitectureDesign
from mlarchitect.errors import InputError
from mlarchitect.events import DeliverableReady, DesignEvent
from mlarchitect.workflows import WORKFLOWS, WorkflowId

if TYPE_CHECKING:  # pragma: no cover
    from langchain_core.tools import BaseTool
    from langgraph.graph.state import CompiledStateGraph

__all__ = [
    "ArchitectInput",
    "ArchitectOutput",
    "ArchitectureDesign",
    "DesignEvent",
    "Settings",
    "adesign",
    "architect_tool",
    "astream_design",
    "create_architect",
    "design",
    "stream_design",
]

TOOL_NAME = "design_ml_system"


# ---------------------------------------------------------------------------- async


async def astream_design(request: str | None = None, **kwargs: Any) -> AsyncIterator[DesignEvent]:
    """:func:`stream_design` for ``asyncio``: the same events, ending with
    :class:`~mlarchitect.events.DeliverableReady`.

    Takes the same arguments as :func:`stream_design`. The synchronous run goes on in a
    worker thread (``asyncio.to_thread``) and hands its events over through an
    ``asyncio.Queue``. Errors (:class:`~mlarchitect.errors.InputError` for a bad request,
    ...) are raised here. Leaving the loop early, or cancelling the task that iterates,
    returns at once; the run itself completes in its worker thread without handing
    events over (a LangGraph run closed half-way can crash its SQLite checkpointer), so
    its checkpoint is whole and ``thread_id`` finds the design later.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
    stop = threading.Event()

    def hand_over(kind: str, item: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, (kind, item))
        except RuntimeError:  # the event loop is gone: nobody is listening any more
            stop.set()

    def pump() -> None:
        events = stream_design(request, **kwargs)
        try:
            for event in events:
                # once nobody listens the run is finished, not closed half-way: closing
                # LangGraph's sync stream mid-run can crash its SQLite checkpointer
                if not stop.is_set():
                    hand_over("event", event)
            if not stop.is_set():
                hand_over("done", None)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the consumer's task
            if not stop.is_set():
                hand_over("error", exc)
        finally:
            events.close()

    worker = asyncio.ensure_future(asyncio.to_thread(pump))
    try:
        while True:
            kind, item = await queue.get()
            if kind == "event":
                yield item
            elif kind == "error":
                raise item
            else:
                break
    finally:
        stop.set()  # the worker stops handing events over; it is never waited for here
        worker.add_done_callback(_consume_exception)


def _consume_exception(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()


async def adesign(
    request: str | None = None,
    *,
    on_event: Callable[[Any], Any] | None = None,
    **kwargs: Any,
) -> ArchitectureDesign:
    """:func:`design` for ``asyncio``: the validated deliverable.

    Same arguments as :func:`design` (``settings``, ``thread_id``, ``chat_model``,
    setting overrides such as ``model="gpt-5"``); ``on_event`` may be a plain function
    or a coroutine function and runs on the event loop. The run itself happens in a
    worker thread (see :func:`astream_design`); cancelling the awaiting task returns at
    once (the run completes in the background), and concurrent calls share no state.
    """
    result: ArchitectureDesign | None = None
    async for event in astream_design(request, **kwargs):
        if on_event is not None:
            outcome = on_event(event)
            if inspect.isawaitable(outcome):
                await outcome
        if isinstance(event, DeliverableReady):
            result = event.design
    assert result is not None  # the stream always ends with the deliverable or raises
    return result


# ---------------------------------------------------------------------------- LangGraph


class ArchitectInput(TypedDict):
    """The input state of :func:`create_architect`'s graph."""

    request: str
    """What to design, in plain words (at most 20,000 characters)."""
    workflow: NotRequired[WorkflowId | None]
    """Optional: the workflow to design for, skipping routing (``rag_system``, ...)."""


class ArchitectOutput(TypedDict, total=False):
    """The output state of :func:`create_architect`'s graph."""

    request: str
    """The request as the architect read it (stripped)."""
    design: dict[str, Any]
    """The deliverable: ``ArchitectureDesign`` as JSON (``ArchitectureDesign.model_validate``
    turns it back into the model; ``mlarchitect.deliverable.design_json_schema()`` is its schema)."""
    route: dict[str, Any]
    """How the request was routed: ``workflow``, ``skills``, ``scores``, ``confidence``."""
    stated: dict[str, Any]
    """The requirements the request states (users, QPS, latency, budget, ...; ``Requirements`` as JSON)."""
    requirements: dict[str, Any]
    """The requirements the design was made for: the stated ones plus the workflow's assumptions."""
    notes: list[str]
    """What the user should know: step limit reached, fallback to the offline engine, ..."""
    llm_calls: int
    tokens: int
    fallback_used: bool
    """True when a model failed and the offline engine completed the run."""


class _ArchitectState(ArchitectOutput, total=False):
    workflow: WorkflowId | None


_OUTPUT_KEYS = tuple(ArchitectOutput.__annotations__)
def _log_note(event: Any) -> None:
    """Setup notes (offline engine in use, a skipped agent file) go to the log."""
    message = getattr(event, "message", "")
    if message:
        logging.getLogger("mlarchitect").info("%s", message)


def create_architect(settings: Settings | None = None, *, chat_model: Any = None) -> CompiledStateGraph:
    """The architect as a compiled LangGraph graph, for use inside your own graph.

    Input state: ``{"request": str}`` and optionally ``workflow`` (one of
    :data:`mlarchitect.workflows.WORKFLOWS`: skips routing). Output state:
    :class:`ArchitectOutput` —
    ``design`` (the deliverable as JSON), ``request``, ``route``, ``stated``,
    ``requirements``, ``notes``, ``llm_calls``, ``tokens``, ``fallback_used``. The architect's own message
    transcript stays inside: a parent graph's ``messages`` are neither read nor
    extended, so the graph can be added as a node of any state that has ``request``
    and ``design`` keys (``builder.add_node("architect", create_architect())``), or be
    invoked on its own (``create_architect().invoke({"request": "..."})``).

    The graph has no checkpointer of its own: it uses its parent's, or none. The models,
    tools and knowledge base are set up once here and shared by every run of the graph;
    each run gets its own step, handoff and fallback bookkeeping, so runs may go on
    concurrently. ``settings`` defaults to ``Settings()`` (environment and config file).
    """
    from langgraph.graph import END, START, StateGraph

    from mlarchitect.agents.api import build_runtime
    from mlarchitect.agents.graph import build_graph

    settings = settings if settings is not None else Settings()
    runtime = build_runtime(settings, _log_note, chat_model=chat_model)
    limit = 4 * settings.max_steps + 20

    def architect(state: _ArchitectState, config: RunnableConfig) -> dict[str, Any]:
        started = time.perf_counter()
        workflow = state.get("workflow")
        if workflow is not None and workflow not in WORKFLOWS:
            raise InputError(f"unknown workflow {workflow!r}; one of: {', '.join(WORKFLOWS)}")
        # a fresh graph and bookkeeping per run over the shared models, tools and KB:
        # handoff counts, fallbacks, the ledger and the deadline belong to one run
        run = build_graph(runtime.for_new_run(), checkpointer=False)
        values = run.invoke({"request": state.get("request", ""), "workflow_hint": workflow},
                            {**(config or {}), "recursion_limit": limit})
        result = ArchitectureDesign.model_validate(values["design"])
        result.provenance.duration_s = round(time.perf_counter() - started, 3)
        thread = ((config or {}).get("configurable") or {}).get("thread_id")
        if thread:
            result.provenance.thread_id = str(thread)
        out = {key: values[key] for key in _OUTPUT_KEYS if key in values}
        out["design"] = result.model_dump(mode="json")
        return out

    builder = StateGraph(_ArchitectState, input_schema=ArchitectInput, output_schema=ArchitectOutput)
    builder.add_node("architect", architect)
    builder.add_edge(START, "architect")
    builder.add_edge("architect", END)
    return builder.compile(name="mlarchitect")


def architect_tool(settings: Settings | None = None, *, chat_model: Any = None) -> BaseTool:
    """The architect as a LangChain tool, ``design_ml_system``, for another agent to call.

    Arguments: ``request`` (what to design) and an optional ``workflow``
    (``rag_system``, ``evaluation_system``, ``model_serving``, ``experiment_tracking``,
    ``data_pipeline``, ``general``). The tool's content is the deliverable as JSON
    text; its artifact (``ToolMessage.artifact``, with ``response_format
    "content_and_artifact"``) is the same deliverable as a dict. The graph behind it
    (:func:`create_architect`) is built on the first call and shared by later ones;
    the tool works with ``invoke`` and ``ainvoke`` and from several threads at once.
    """
    from langchain_core.tools import StructuredTool
    from pydantic import BaseModel, Field

    from mlarchitect.agents.request import MAX_REQUEST_CHARS

    class DesignArgs(BaseModel):
        request: str = Field(description="The ML or LLM system to design, with its figures: users, "
                             "data sizes, latency, budget, constraints.",
                             min_length=1, max_length=MAX_REQUEST_CHARS)
        workflow: WorkflowId | None = Field(default=None, description="Optional: the kind of design "
                                            "(skips routing); leave it out to let the architect decide.")

    lock = threading.Lock()
    graph: list[Any] = []

    def architect() -> Any:
        with lock:
            if not graph:
                graph.append(create_architect(settings, chat_model=chat_model))
            return graph[0]

    def run(request: str, workflow: WorkflowId | None = None) -> tuple[str, dict[str, Any]]:
        out = architect().invoke({"request": request, "workflow": workflow})
        return json.dumps(out["design"], ensure_ascii=False), out["design"]

    async def arun(request: str, workflow: WorkflowId | None = None) -> tuple[str, dict[str, Any]]:
        return await asyncio.to_thread(run, request, workflow)

    return StructuredTool.from_function(
        func=run,
        coroutine=arun,
        name=TOOL_NAME,
        description=("Design an ML or LLM system (RAG, evaluation, model serving, experiment tracking, "
                     "data pipelines) from a plain-language request. Returns the architecture "
                     "deliverable as JSON: components, data flows, sizing with arithmetic, costs, "
                     "risks, implementation steps and sources."),
        args_schema=DesignArgs,
        response_format="content_and_artifact",
    )

