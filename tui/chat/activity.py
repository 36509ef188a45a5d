"""Activity lines: the routed workflow, tool calls and results, handoffs and
knowledge-base sources, rendered from the engine's events."""

from __future__ import annotations

from typing import Any

ARCHITECT = "ml-system-architect"  # mlarchitect.events.ARCHITECT, without importing pydantic models here


def _short(value: Any, limit: int = 40) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def format_args(args: dict[str, Any], limit: int = 110) -> str:
    text = ", ".join(f"{k}={_short(v)}" for k, v in args.items())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def activity_lines(event: Any) -> list[str]:
    """Lines for the activity pane; Token and DeliverableReady events have none
    (the answer and the deliverable panes show them)."""
    kind = getattr(event, "kind", "")
    agent = getattr(event, "agent", ARCHITECT)
    who = "" if agent == ARCHITECT else f"[{agent}] "
    if kind == "step":
        return [f"• {who}{event.step}" + (f": {event.message}" if event.message else "")]
    if kind == "route":
        lines = [f"▸ workflow {event.workflow}" + (f" (+ {', '.join(event.secondary)})" if event.secondary else "")]
        if event.skills:
            lines.append(f"  skills: {', '.join(event.skills)}")
        return lines
    if kind == "tool_call":
        return [f"→ {who}{event.tool}({format_args(event.args)})"]
    if kind == "tool_result":
        mark = "✓" if event.ok else "✗"
        lines = [f"  {mark} {who}{event.tool}: {_short(event.summary, 120)}"]
        if event.sources:
            lines.append(f"    sources: {', '.join(event.sources)}")
        return lines
    if kind == "handoff":
        tail = f": {_short(event.message, 100)}" if event.message else ""
        return [f"⇄ {event.target} {event.status}{tail}"]
    if kind == "note":
        return [f"! {event.message}"]
    return []
