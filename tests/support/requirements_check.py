"""Compare extracted requirements with the expectations of a held-out row."""

from __future__ import annotations

import math
from typing import Any

from mlarchitect.money import USD_PER
from mlarchitect.requirements import Fact, Requirements

# money is expected as the request states it ("€7,000/month": 7000); it is held in US dollars
_MONEY = ("monthly_budget_usd", "current_monthly_spend_usd")


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, float | int) and not isinstance(expected, bool) and isinstance(got, float | int):
        return math.isclose(float(expected), float(got), rel_tol=1e-3)
    return expected == got


def mismatches(req: Requirements, expect: dict[str, Any]) -> list[str]:
    """Human-readable differences between ``req`` and the expected values."""
    problems: list[str] = []
    for name, want in expect.items():
        if name == "other_figures_include":
            for figure in want:
                if not any(figure in got for got in req.other_figures):
                    problems.append(f"other_figures lacks {figure!r}: {req.other_figures}")
            continue
        if name == "other_figures_exact":
            if req.other_figures != want:
                problems.append(f"other_figures {req.other_figures} != {want}")
            continue
        got = getattr(req, name)
        if want is None:
            if got is not None:
                problems.append(f"{name} should be unset, got {got.value!r} from {got.quote!r}")
            continue
        if isinstance(got, list):
            values = sorted(f.value if isinstance(f, Fact) else f for f in got)
            if values != sorted(want):
                problems.append(f"{name} {values} != {sorted(want)}")
            continue
        if got is None:
            problems.append(f"{name} missing (want {want!r})")
            continue
        value = got.value / USD_PER[req.currency] if name in _MONEY else got.value
        if isinstance(want, dict):
            for key, sub in want.items():
                if not _same(sub, getattr(value, key)):
                    problems.append(f"{name}.{key} {getattr(value, key)!r} != {sub!r}")
        elif not _same(want, value):
            problems.append(f"{name} {value!r} != {want!r} (quote {got.quote!r})")
    return problems
