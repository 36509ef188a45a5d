"""Chat test support: scripted event sources (fast, slow, failing) and a fixed deliverable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from mlarchitect.deliverable import ArchitectureDesign, Calculation, Component, CostAnalysis, Provenance, Risk
from mlarchitect.events import DeliverableReady, Routed, StepStarted, Token, ToolCalled, ToolFinished

FROZEN = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)


def frozen_clock() -> datetime:
    return FROZEN


def fixed_design(request: str = "Serve a fraud model at 200 requests per second", replicas: float = 5) -> ArchitectureDesign:
    return ArchitectureDesign(
        title="Fraud model serving",
        summary="Online inference behind an autoscaled API with a feature cache.",
        request=request,
        workflow="model_serving",
        skills_used=["model-serving", "cost-analysis"],
        components=[Component(name="Inference API", responsibility="score transactions", technology="FastAPI"),
                    Component(name="Feature cache", responsibility="hot features", technology="Redis")],
        diagram_mermaid="flowchart LR\n  client --> api[Inference API] --> cache[(Feature cache)]",
        sizing=[Calculation(name="Replicas", value=replicas, unit="replicas", formula=f"{replicas:g} replicas")],
        risks=[Risk(risk="Traffic spikes", mitigation="autoscale on queue depth", severity="high")],
        cost_analysis=CostAnalysis(monthly_total_usd=60.0 * replicas),
        sources=["serving-patterns"],
        provenance=Provenance(model="offline", offline=True, prompt_version="test", kb_version="test"),
    )


class ScriptedSource:
    """An event source for the app: a short, fixed run. ``gate`` (when given) makes
    it stop after its first token until the test sets the gate: a deterministic
    slow turn. ``error`` makes it raise after its first events."""

    def __init__(self, *, gate: threading.Event | None = None, error: BaseException | None = None,
                 designs: list[ArchitectureDesign] | None = None) -> None:
        self.gate = gate
        self.error = error
        self.designs = designs or [fixed_design()]
        self.calls: list[tuple[str, str]] = []
        self.closed = 0

    def __call__(self, request: str, *, settings: Any, thread_id: str) -> Iterator[Any]:
        self.calls.append((request, thread_id))
        design = self.designs[min(len(self.calls), len(self.designs)) - 1]
        return self._run(design)

    def _run(self, design: ArchitectureDesign) -> Iterator[Any]:
        try:
            yield StepStarted(step="intake", message="reading the request")
            yield Routed(workflow="model_serving", skills=["model-serving", "cost-analysis"])
            yield ToolCalled(tool="serving_size_replicas", call_id="c1", args={"requests_per_second": 200})
            yield Token(text="Sizing the replicas. ")
            if self.gate is not None:
                self.gate.wait(timeout=60)
            if self.error is not None:
                raise self.error
            yield ToolFinished(tool="serving_size_replicas", call_id="c1", summary="5 replicas",
                               sources=["serving-patterns"])
            yield DeliverableReady(design=design)
        finally:
            self.closed += 1


async def until(pilot: Any, predicate: Any, rounds: int = 500) -> None:
    """Let the app run until ``predicate()`` holds (bounded by rounds, not by time)."""
    for _ in range(rounds):
        if predicate():
            return
        await pilot.pause(0.02)
    assert predicate()


async def finish(pilot: Any) -> None:
    """Wait for every worker (the turn's thread) and for the UI to settle."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
