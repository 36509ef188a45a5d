"""Whether a request is about ML, AI or data systems at all, and its common words of
other languages read as English (for scoring only; the request itself is never changed)."""

from __future__ import annotations

import re
from functools import lru_cache

from mlarchitect.agents.example_bank import example_bank


@lru_cache(maxsize=1)
def _domain_pattern() -> re.Pattern[str]:
    terms = sorted(example_bank()["domain_terms"], key=len, reverse=True)
    alts = [re.escape(t[:-1]) + r"\w*" if t.endswith("*") else re.escape(t) + r"s?" for t in terms]
    return re.compile(r"(?<![\w])(?:" + "|".join(alts) + r")(?![\w])", re.I)


_DENIED = re.compile(r"\b(?:no|without|not|zero|never)\s+(?:\w+\s+)?$", re.I)


def in_domain(request: str) -> bool:
    """Whether the request is about ML, AI or data systems at all (a ``domain_terms`` word
    of the bank that is not denied: "no AI whatsoever"); one that is not ("my printer
    jams") is out of scope."""
    return any(not _DENIED.search(request[max(0, m.start() - 30):m.start()])
               for m in _domain_pattern().finditer(request))


@lru_cache(maxsize=1)
def _glossary_pattern() -> tuple[re.Pattern[str], dict[str, str]] | None:
    glossary = example_bank()["glossary"]
    if not glossary:
        return None
    words = sorted(glossary, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w])", re.I), glossary


def gloss(request: str) -> str:
    """The request with the common words of other languages read as English (the bank's
    ``glossary``: "servir un modelo" → "serve un model"), for scoring only."""
    found = _glossary_pattern()
    if found is None:
        return request
    pattern, glossary = found
    return pattern.sub(lambda m: glossary[m.group(0).lower()], request)
