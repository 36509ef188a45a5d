"""Money as the request states it. Budgets and bills are held in US dollars, the currency of every
price the skills use, and shown in the currency the request used: a request's "€300 a month" is
compared with dollar costs at a fixed reference rate, and printed as "€300 (≈ $324)"."""

from __future__ import annotations

import re
from typing import Literal

Currency = Literal["USD", "EUR", "GBP", "CHF", "BRL", "CAD", "AUD"]

# US dollars per unit: fixed reference rates (an assumption the design states), not live quotes
USD_PER: dict[str, float] = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "CHF": 1.13, "BRL": 0.18, "CAD": 0.72, "AUD": 0.65}
_SYMBOL = {"USD": "$", "EUR": "€", "GBP": "£", "CHF": "CHF ", "BRL": "R$", "CAD": "CA$", "AUD": "A$"}


def currency_of(text: str) -> Currency:
    """The currency a money span is written in: "€300", "300 EUR", "£2k", "500 pounds"; dollars otherwise."""
    low = text.lower()
    if "€" in low or "eur" in low:
        return "EUR"
    if "£" in low or "gbp" in low or "pound" in low:
        return "GBP"
    if "chf" in low or "franc" in low:
        return "CHF"
    if "r$" in low or "brl" in low or "reais" in low:
        return "BRL"
    if re.search(r"\bca\$|\bc\$|\bcad\b|\$\s?ca\b|canadian", low):
        return "CAD"
    if re.search(r"\ba\$|\baud\b|australian", low):
        return "AUD"
    return "USD"


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value - round(value)) < 0.005 else f"{value:,.2f}"


def money(usd: float, currency: str = "USD", *, dollars: bool = True) -> str:
    """``usd`` in the request's currency: "$300", or "€300 (≈ $324)" (``dollars=False``: "€300")."""
    if currency not in _SYMBOL or currency == "USD":
        return f"${_amount(usd)}"
    stated = f"{_SYMBOL[currency]}{_amount(usd / USD_PER[currency])}"
    return f"{stated} (≈ ${_amount(usd)})" if dollars else stated


def rate_note(currency: str) -> str | None:
    """The assumption behind a converted budget: "€1 = $1.08 (a fixed reference rate)"."""
    if currency not in _SYMBOL or currency == "USD":
        return None
    return (f"The budget is compared in US dollars at {_SYMBOL[currency]}1 = ${USD_PER[currency]:.2f} "
            "(a fixed reference rate, not a live quote).")
