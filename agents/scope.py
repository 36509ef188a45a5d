"""Whether a request is about ML, AI or data systems at all, and its common words of
other languages read as English (for scoring only; the request itself is never changed)."""

from __future__ import annotations

import re
from functools import lru_cache

from mlarchitect.agents.example_bank import example_bank


@lru_cache(maxsize=4)
def _terms_pattern(key: str) -> re.Pattern[str]:
    """One of the bank's word lists ("word*" = any ending, else an optional plural "s") as a pattern."""
    terms = sorted(example_bank()[key], key=len, reverse=True)
    alts = [re.escape(t[:-1]) + r"\w*" if t.endswith("*") else re.escape(t).replace(r"\-", r"[\s-]") + r"s?" for t in terms]
    return re.compile(r"(?<![\w])(?:" + "|".join(alts) + r")(?![\w])", re.I)


def _domain_pattern() -> re.Pattern[str]:
    return _terms_pattern("domain_terms")


_DENIED = re.compile(r"\b(?:no|without|not|zero|never)\s+(?:\w+\s+)?$", re.I)


# the request says outright that no ML or AI is involved: "nothing ML", "no AI at all"
_NO_ML = re.compile(r"\b(?:nothing|no|not|zero|without(?: any)?)\s+(?:an?\s+)?(?:ml|ai|machine[- ]learning|artificial intelligence)"
                    r"(?=\s*(?:$|[.,;:)!?]|at all|whatsoever|involved|needed|required|here|stuff|please|project|in it))", re.I)


LEARNED_IN_SCOPE = 0.7  # the learned workflow model's probability for one workflow that puts a request in scope


def in_scope(request: str, normalised: str) -> bool:
    """Whether there is an ML system to design: the request (or its spelling- and glossary-normalised
    form) uses the domain's words, or, without them, the learned workflow model reads it as clearly
    about one workflow ("residents should ask the council's website about permits and get the answer
    from our bylaws"), unless it rules ML out."""
    if in_domain(request) or in_domain(normalised):
        return True
    if _NO_ML.search(request):  # "no AI whatsoever"
        return False
    from mlarchitect.agents.workflow_model import GENERAL, probabilities

    probs = probabilities(normalised)
    return probs is not None and max(p for label, p in probs.items() if label != GENERAL) >= LEARNED_IN_SCOPE


def in_domain(request: str) -> bool:
    """Whether the request is about ML, AI or data systems at all (a ``domain_terms`` word
    of the bank that is not denied: "no AI whatsoever"); one that is not ("my printer
    jams"), that says it involves no ML or AI ("nothing ML"), or that is about software with no ML
    ("cron jobs of our PHP monolith") and uses no ML word is out of scope."""
    if _NO_ML.search(request):
        return False
    if _terms_pattern("non_ml_subjects").search(request) and not _terms_pattern("system_terms").search(request):
        return False  # "Kubernetes vs Nomad for our PHP monolith?": infrastructure words about software with no ML
    return any(not _DENIED.search(request[max(0, m.start() - 30):m.start()])
               for m in _domain_pattern().finditer(request))


@lru_cache(maxsize=1)
def _glossary_pattern() -> tuple[re.Pattern[str], dict[str, str]] | None:
    glossary = example_bank()["glossary"]
    if not glossary:
        return None
    words = sorted(glossary, key=len, reverse=True)
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(w) for w in words) + r")(?![\w])", re.I), glossary


@lru_cache(maxsize=256)
def gloss(request: str) -> str:
    """The request with the common words of other languages read as English (the bank's
    ``glossary``: "servir un modelo" → "serve un model"; compounds of them too:
    "Datenpipeline" → "data pipeline"), for scoring only. Cached: routing and the handoffs
    gloss the same request several times."""
    found = _glossary_pattern()
    if found is None:
        return request
    pattern, glossary = found
    request = _COMPOUND_WORD.sub(lambda m: _split_compound(m.group(0), glossary) or m.group(0), request)
    return pattern.sub(lambda m: glossary[m.group(0).lower()], request)


_COMPOUND_WORD = re.compile(r"(?<![\w-])[^\W\d_]{8,}(?![\w-])")
_LINKS = ("", "s", "es", "n", "en")  # German linking letters: "Sicherheit-s-prüfung", "Kunde-n-daten"
MIN_PART = 4


def _split_compound(word: str, glossary: dict[str, str]) -> str | None:
    """A compound of two known words, at least one of them a glossary word ("Modellbereitstellung"
    → "model deployment"), read as its two parts; ``None`` when it is not one."""
    low = word.lower()
    if low in glossary:
        return None
    domain = _domain_pattern()
    for i in range(MIN_PART, len(low) - MIN_PART + 1):
        head, tail = low[:i], low[i:]
        if not (tail in glossary or domain.fullmatch(tail)):
            continue
        for link in (x for x in _LINKS if head.endswith(x)):
            left = head[: len(head) - len(link)]
            if len(left) >= MIN_PART and (left in glossary or domain.fullmatch(left)) and (left in glossary or tail in glossary):
                return f"{glossary.get(left, left)} {glossary.get(tail, tail)}"
    return None
