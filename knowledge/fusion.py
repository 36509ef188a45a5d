"""Reciprocal rank fusion (Cormack, Clarke & Buettcher 2009)."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Iterable[Sequence[K]], *, k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[K, float]]:
    """Fuse ranked lists of ids: ``score(id) = sum_i w_i / (k + rank_i(id))``, ranks from 1.

    Returns ``(id, score)`` best first. Ties keep the order in which ids were first
    seen (earlier lists first), so the result is deterministic. An id repeated within
    one list counts only at its best rank.
    """
    scores: dict[K, float] = {}
    first_seen: dict[K, int] = {}
    for i, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else float(weights[i])
        seen: set[K] = set()
        for rank, key in enumerate(ranking, start=1):
            if key in seen:
                continue
            seen.add(key)
            scores[key] = scores.get(key, 0.0) + weight / (k + rank)
            first_seen.setdefault(key, len(first_seen))
    return sorted(scores.items(), key=lambda item: (-item[1], first_seen[item[0]]))
