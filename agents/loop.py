"""The agent loop, one for every agent: the architect and each sibling.

An agent is its instructions (the graph's entry node writes them into
``messages``), its tools and its model (chosen by the runtime). :func:`add_agent_loop`
wires one into a :class:`~langgraph.graph.StateGraph` whose state has the keys of
:class:`~mlarchitect.agents.state.LoopState`::

    <turn node> --tool calls--> tools --> <turn node>
    <turn node> --answer or step limit--> <then node>

Every turn goes through :meth:`DesignRuntime.tool_turn`, so each agent gets the
same retries, repair of malformed tool calls, step limit and fallback; only the
lead agent (the architect) also gets *grounding* (the code runs the workflow's
leading tools when the model made no tool call on its first turn).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from mlarchitect.agents.models import is_offline_model
from mlarchitect.agents.runtime import GROUNDING_KEY, Turn, grounding_message

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool
    from langgraph.graph import StateGraph

    from mlarchitect.agents.agent_spec import AgentSpec
    from mlarchitect.agents.design_runtime import DesignRuntime

TOOLS_NODE = "tools"


@dataclass(frozen=True)
class AgentLoop:
    """One agent's loop: who it is, what it may call, how many rounds."""

    agent: AgentSpec
    known_tools: list[BaseTool]  # every tool the tool node can run
    max_steps: int
    step: str  # the ledger's name for a turn ("architect", "work")
    offered: Callable[[Mapping[str, Any]], list[BaseTool]] | None = None  # this turn's tools (default: all)
    workflow: Callable[[Mapping[str, Any]], str | None] | None = None  # the routed workflow (prompt compaction)
    who: str = ""  # how notes name the agent (default: "the <name> agent")

    def tools(self, state: Mapping[str, Any]) -> list[BaseTool]:
        return self.offered(state) if self.offered is not None else list(self.known_tools)

    def label(self) -> str:
        return self.who or f"the {self.agent.name} agent"


def add_agent_loop(graph: StateGraph, runtime: DesignRuntime, loop: AgentLoop, *, node: str, then: str) -> None:
    """Add ``node`` (one model turn), the tool node and their edges to ``graph``;
    the loop leaves to ``then``. The caller adds the edge into ``node``."""
    from langgraph.prebuilt import ToolNode

    def route(state: Mapping[str, Any]) -> str:
        last = state["messages"][-1]
        return TOOLS_NODE if isinstance(last, AIMessage) and last.tool_calls else then

    graph.add_node(node, agent_turn(runtime, loop))
    graph.add_node(TOOLS_NODE, ToolNode(loop.known_tools, handle_tool_errors=True))
    graph.add_conditional_edges(node, route, [TOOLS_NODE, then])
    graph.add_edge(TOOLS_NODE, node)


def agent_turn(runtime: DesignRuntime, loop: AgentLoop) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    """The loop's model node: one tool-calling turn of ``loop.agent``."""
    agent = loop.agent
    lead = runtime.is_lead(agent)

    def turn(state: Mapping[str, Any]) -> dict[str, Any]:
        runtime.restore(state)
        steps = state.get("steps", 0)
        if steps >= loop.max_steps:
            what = "design" if lead else "section"
            who = loop.label()
            return {"notes": [f"{who[:1].upper()}{who[1:]} stopped at the step limit ({loop.max_steps} tool rounds); "
                              f"the {what} uses the results gathered so far."]}
        tools = loop.tools(state)
        messages = list(state["messages"])
        if lead and _grounding_in_progress(messages):
            # the code is running the workflow's plan for a model that skipped it: next phase, no model call
            more = grounding_message(runtime, tools, messages, None)
            if more is not None:
                return {"messages": [more], "steps": steps + 1}
        before = runtime.ledger.totals(agent.name)
        done = runtime.tool_turn(agent, runtime.model_for(agent), tools, messages, step=loop.step,
                                 workflow=loop.workflow(state) if loop.workflow is not None else None)
        if lead and steps == 0:
            _ground_first_turn(runtime, agent, tools, messages, done)
        after = runtime.ledger.totals(agent.name)
        update: dict[str, Any] = {"messages": done.messages, "steps": steps + 1, "llm_calls": after[0] - before[0],
                                  "tokens": tokens(after) - tokens(before), **runtime.mirror()}
        if done.notes:
            update["notes"] = done.notes
        return update

    return turn


def _ground_first_turn(runtime: DesignRuntime, agent: AgentSpec, tools: list[BaseTool],
                       messages: list[BaseMessage], turn: Turn) -> None:
    """No tool call on the lead's first turn: the code runs the workflow's leading tools
    itself (``turn`` in place)."""
    last = turn.messages[-1] if turn.messages else None
    if (runtime.fell_back or is_offline_model(runtime.model)
            or (isinstance(last, AIMessage) and last.tool_calls) or isinstance(last, ToolMessage)):
        return
    said = last if isinstance(last, AIMessage) else None
    grounded = grounding_message(runtime, tools, messages, said)
    if grounded is None:
        return
    turn.messages = [*(m for m in turn.messages if m is not said), grounded]
    why = "the server does not call tools" if said is None else "the model made no tool call on its first turn"
    runtime.ledger.fallback(agent.name, "architect (grounding)", why)
    names = Counter(c["name"] for c in grounded.tool_calls)
    turn.notes.append(f"Grounding: {why}; the code ran the workflow's leading tools ("
                      + ", ".join(f"{n} ×{k}" if k > 1 else n for n, k in names.items())
                      + ") and gave the model their results.")


def _grounding_in_progress(messages: list[BaseMessage]) -> bool:
    """The last assistant turn was the code's grounding (its tools have answered)."""
    last_ai = next((m for m in reversed(messages) if isinstance(m, AIMessage)), None)
    return last_ai is not None and bool(last_ai.additional_kwargs.get(GROUNDING_KEY))


def tokens(totals: tuple[int, int, int, int]) -> int:
    """Prompt + completion tokens of a ledger total."""
    return totals[2] + totals[3]
