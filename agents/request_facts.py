"""Numbers and document types stated in a request, with the text they came from.

Designs size the system from these (index size, throughput, replicas, cost);
anything not stated is an assumption and is labelled as one.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

_NUM = r"(\d{1,3}(?:[,_ ]\d{3})+(?!\d)|\d+(?:\.\d+)?)(?:\s*(k|m|b|thousand|million|billion)\b)?"
_MULT = {"k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9}
_PER = {
    "second": 1.0, "sec": 1.0, "s": 1.0,
    "minute": 60.0, "min": 60.0,
    "hour": 3600.0, "hr": 3600.0, "h": 3600.0,
    "day": 86400.0, "d": 86400.0,
    "week": 604800.0,
    "month": 2_592_000.0, "mo": 2_592_000.0,
}
_DOC_NOUNS = (
    r"pages|documents|docs|pdfs|files|articles|tickets|manuals|contracts|records|emails|"
    r"reports|papers|web ?pages|wiki pages|transcripts|faqs|policies|slides"
)
_DOC_TYPES = {
    "pdf": r"\bpdfs?\b",
    "html": r"\bhtml\b|web ?pages|websites?\b",
    "markdown": r"\bmarkdown\b|\.md\b",
    "confluence": r"\bconfluence\b|\bwiki",
    "word": r"\bdocx?\b|\bword documents?\b",
    "slides": r"\bslides?\b|\bpptx?\b|powerpoint",
    "tickets": r"\btickets?\b|\bzendesk\b|\bjira\b",
    "email": r"\bemails?\b",
    "code": r"\bsource code\b|\brepositor(y|ies)\b|\bcodebase\b",
    "spreadsheets": r"\bspreadsheets?\b|\bcsv\b|\bexcel\b",
    "scanned": r"\bscann?ed\b|\bocr\b|\bimages?\b",
    "manuals": r"\bmanuals?\b",
    "contracts": r"\bcontracts?\b|\blegal\b",
    "transcripts": r"\btranscripts?\b|\bcall recordings?\b",
}


def parse_number(text: str, suffix: str | None = None) -> float:
    value = float(re.sub(r"[,_ ]", "", text))
    return value * _MULT.get((suffix or "").lower(), 1.0)


class RequestFacts(BaseModel):
    """Quantities a request states. ``evidence`` maps a field to the quoted text."""

    documents: int | None = None
    document_unit: str | None = None
    document_types: list[str] = Field(default_factory=list)
    requests_per_second: float | None = None
    requests_per_day: float | None = None
    latency_target_s: float | None = None
    latency_percentile: str | None = None
    monthly_budget_usd: float | None = None
    team_size: int | None = None
    users: int | None = None
    events_per_day: float | None = None
    data_volume_gb: float | None = None
    evidence: dict[str, str] = Field(default_factory=dict)

    def stated(self, field: str) -> bool:
        return field in self.evidence


def extract_facts(request: str) -> RequestFacts:
    text = " ".join(request.split())
    facts = RequestFacts()
    low = text.lower()
    facts.document_types = [name for name, pattern in _DOC_TYPES.items() if re.search(pattern, low)]

    for match in re.finditer(
        rf"{_NUM}\s+(?:[\w/&'-]+\s+){{0,3}}?({_DOC_NOUNS})\b", low
    ):
        facts.documents = int(parse_number(match.group(1), match.group(2)))
        facts.document_unit = match.group(3)
        facts.evidence["documents"] = text[match.start() : match.end()]
        break

    rate = re.search(
        rf"{_NUM}\s*(?:[\w-]+\s+){{0,2}}?(?:requests?|queries|query|calls|req|predictions|inferences|"
        rf"questions|conversations|chats|sessions|visits)\s*"
        rf"(?:per|a|an|each|every|/)\s*(second|sec|s|minute|min|hour|hr|h|day|d|week|month|mo)\b",
        low,
    )
    short = re.search(rf"{_NUM}\s*(rps|qps|rpm|req/s)\b", low)
    if short:
        value = parse_number(short.group(1), short.group(2))
        facts.requests_per_second = value / 60 if short.group(3) == "rpm" else value
        facts.evidence["requests_per_second"] = text[short.start() : short.end()]
    elif rate:
        value = parse_number(rate.group(1), rate.group(2))
        facts.requests_per_second = value / _PER[rate.group(3)]
        facts.evidence["requests_per_second"] = text[rate.start() : rate.end()]

    latency = re.search(
        rf"(p\d{{2}}|latency|respon\w*|answers?|within|under|below|less than)[^.;]{{0,40}}?"
        rf"(?:under|below|within|less than|<|at most|of|in)\s*{_NUM}\s*(ms|milliseconds?|s|secs?|seconds?)\b",
        low,
    )
    trailing = re.search(rf"{_NUM}\s*(ms|milliseconds?|s|secs?|seconds?)\s+(p\d{{2}}|latency)", low)
    if latency:
        value = parse_number(latency.group(2))
        facts.latency_target_s = value / 1000 if latency.group(4).startswith("m") else value
        pct = re.search(r"\bp(\d{2})\b", latency.group(0))
        facts.latency_percentile = f"p{pct.group(1)}" if pct else "p95"
        facts.evidence["latency_target_s"] = text[latency.start() : latency.end()]
    elif trailing:
        value = parse_number(trailing.group(1))
        facts.latency_target_s = value / 1000 if trailing.group(3).startswith("m") else value
        facts.latency_percentile = trailing.group(4) if trailing.group(4).startswith("p") else "p95"
        facts.evidence["latency_target_s"] = text[trailing.start() : trailing.end()]

    budget = re.search(
        rf"\$\s*{_NUM}\s*(?:(?:usd|dollars)\s*)?(?:(?:per|a|an|/)\s*(month|mo|year|yr|week|day))?", low
    ) or re.search(rf"{_NUM}\s*(?:usd|dollars)\s*(?:(?:per|a|/)\s*(month|mo|year|yr|week|day))?", low)
    if budget:
        value = parse_number(budget.group(1), budget.group(2))
        period = budget.group(3) or "month"
        per_month = {"year": 1 / 12, "yr": 1 / 12, "week": 4.33, "day": 30.0}.get(period, 1.0)
        facts.monthly_budget_usd = round(value * per_month, 2)
        facts.evidence["monthly_budget_usd"] = text[budget.start() : budget.end()]

    team = re.search(
        rf"team of {_NUM}|{_NUM}\s+(?:ml |data |software |platform )?(?:engineers|scientists|developers|people|researchers)",
        low,
    )
    if team:
        number = team.group(1) or team.group(3)
        suffix = team.group(2) or team.group(4)
        facts.team_size = int(parse_number(number, suffix))
        facts.evidence["team_size"] = text[team.start() : team.end()]

    users = re.search(rf"{_NUM}\s+(?:[\w-]+\s+)?(users|employees|customers|agents|members|students|clients)\b", low)
    if users and not re.search(r"per|a day|/", low[users.end() : users.end() + 6]):
        facts.users = int(parse_number(users.group(1), users.group(2)))
        facts.evidence["users"] = text[users.start() : users.end()]
        # "5,000 users ask 20 questions a day": the rate is per user.
        if rate and not short and 0 <= rate.start() - users.end() <= 30:
            facts.requests_per_second = (facts.requests_per_second or 0) * facts.users
            facts.evidence["requests_per_second"] = text[users.start() : rate.end()]
    if facts.requests_per_second is not None:
        facts.requests_per_day = facts.requests_per_second * 86400

    events = re.search(
        rf"{_NUM}\s*(?:[\w-]+\s+){{0,2}}?(events|records|rows|messages|transactions)\s*(?:per|a|an|/)\s*"
        rf"(second|sec|s|minute|min|hour|hr|h|day|d|week|month|mo)\b",
        low,
    )
    if events:
        value = parse_number(events.group(1), events.group(2))
        facts.events_per_day = value * 86400 / _PER[events.group(4)]
        facts.evidence["events_per_day"] = text[events.start() : events.end()]

    volume = re.search(rf"{_NUM}\s*(gb|tb|pb|gigabytes?|terabytes?|petabytes?)\b", low)
    if volume:
        scale = {"g": 1.0, "t": 1024.0, "p": 1024.0**2}[volume.group(3)[0]]
        facts.data_volume_gb = parse_number(volume.group(1), volume.group(2)) * scale
        facts.evidence["data_volume_gb"] = text[volume.start() : volume.end()]
    return facts
