"""The cyclic garbage collector's policy for a one-shot command.

A ``design`` command imports LangGraph, LangChain, Chroma and pydantic and builds their
schemas: about a million objects, nearly all of which live until the process exits. CPython's
full (oldest-generation) collections traverse all of them each time and find almost nothing
to free: three of them took 0.17-0.22 s of a 3 s offline design, and skipping them did not
change its peak memory. Young collections, which free the short-lived cycles, keep running.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

NO_FULL_COLLECTION = 1 << 30  # the oldest generation's threshold: never reached in one command


@contextmanager
def young_collections_only() -> Iterator[None]:
    """Inside the block the collector runs its young (generation 0 and 1) collections only;
    the thresholds are restored after it (in-process callers keep their policy)."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], NO_FULL_COLLECTION)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
