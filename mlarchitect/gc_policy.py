"""The cyclic garbage collector's policy for one ``design`` command.

A design first sets up: it imports LangGraph, LangChain, Chroma and pydantic, builds their
schemas and its own definitions, tools and model: about a million objects, nearly all of
which live until the process exits, and very little cyclic garbage. Tracing them is wasted
work: CPython's young collections took 0.14-0.17 s of a 3 s offline design, and each full
(oldest-generation) collection another 0.05-0.07 s, without changing its peak memory by more
than a few megabytes. So while the design sets up, the collector is off; when the run starts
(the design's first event) the set-up's objects are frozen (``gc.freeze``: never traced again)
and young collections resume, without full collections, for the run itself.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from types import TracebackType
from typing import Any

NO_FULL_COLLECTION = 1 << 30  # the oldest generation's threshold: never reached in one command


class OneDesignCollector:
    """The collector's policy inside the ``with`` block (see the module docstring); the
    collector's previous state is restored after it (in-process callers keep theirs)."""

    def __init__(self) -> None:
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._setting_up = False

    def __enter__(self) -> OneDesignCollector:
        self._thresholds = gc.get_threshold()
        self._was_enabled = gc.isenabled()
        self._setting_up = True
        gc.disable()
        return self

    def run_started(self) -> None:
        """The set-up is over: freeze what it made; young collections from here on."""
        if not self._setting_up:
            return
        self._setting_up = False
        gc.freeze()
        gc.set_threshold(self._thresholds[0], self._thresholds[1], NO_FULL_COLLECTION)
        if self._was_enabled:
            gc.enable()

    def watching(self, on_event: Callable[[Any], None]) -> Callable[[Any], None]:
        """``on_event``, after :meth:`run_started` on the first event (every event of a design
        comes after its set-up: the definitions, the model, the knowledge base, the tools)."""

        def handle(event: Any) -> None:
            self.run_started()
            on_event(event)

        return handle

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._setting_up = False
        gc.unfreeze()  # the console script freezes everything once more at exit (tui/cli.py:entry)
        gc.set_threshold(*self._thresholds)
        if self._was_enabled:
            gc.enable()
