"""A chat model that answers from a script (the network-free stand-in for an LLM)."""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

# the smallest design that meets the minimum content (agents/repair.py): 4 components, a flow, a figure
CONTENT: dict[str, Any] = {
    "summary": "A scripted design.",
    "components": [{"name": "API", "responsibility": "serve"}, {"name": "Worker", "responsibility": "compute"},
                   {"name": "Store", "responsibility": "keep"}, {"name": "Monitor", "responsibility": "watch"}],
    "data_flows": [{"source": "API", "target": "Worker"}],
    "sizing": [{"name": "Scripted load", "value": 1.0, "unit": "req/s", "formula": "1 req/s (scripted)"}],
}


class ScriptedChatModel(BaseChatModel):
    """Answers from a script; records what it was sent."""

    script: list[Any]
    seen: list[list[BaseMessage]] = []
    calls: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:  # type: ignore[override]
        return self

    def _generate(self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        self.seen.append(messages)
        step = self.script[min(self.calls, len(self.script) - 1)]
        self.calls += 1
        if isinstance(step, Exception):
            raise step
        message = step(messages) if callable(step) else step
        return ChatResult(generations=[ChatGeneration(message=message)])


def tool_call(name: str, args: dict, call_id: str) -> dict:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def final_structured(_: list[BaseMessage]) -> AIMessage:
    return AIMessage(content="", tool_calls=[tool_call("DesignContent", CONTENT, "final")],
                     usage_metadata={"input_tokens": 50, "output_tokens": 20, "total_tokens": 70})


def contribution(title: str, markdown: str) -> AIMessage:
    return AIMessage(content="", tool_calls=[tool_call("SiblingContribution", {"title": title, "markdown": markdown}, f"sc-{title}")])
