"""Metric functions. Pure: they take designs (objects or plain dicts), Markdown
text and cases, and return numbers; nothing here runs a model or reads files.

Designs are read defensively (``_get``) so that fields added later (such as
``requirements`` or an alternatives section) neither break nor silently count.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence
from typing import Any

# --- reading designs ----------------------------------------------------------


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if obj is None:
        return default
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def chosen_text(design: Any) -> str:
    """The chosen parts of a design, one item per line: component name,
    technology and responsibility; data flows; cost line items with their
    basis; the serving mode. Alternatives, risks, assumptions, notes, steps and
    open questions are left out, so explaining why something lost does not
    count as choosing it."""
    lines: list[str] = []
    for c in _get(design, "components", None) or []:
        lines.append(" — ".join(x for x in (_get(c, "name", ""), _get(c, "technology", ""),
                                            _get(c, "responsibility", "")) if x))
    for f in _get(design, "data_flows", None) or []:
        lines.append(f"{_get(f, 'source', '')} → {_get(f, 'target', '')}: {_get(f, 'description', '')}")
    for item in _get(_get(design, "cost_analysis"), "items", None) or []:
        lines.append(f"{_get(item, 'item', '')}: {_get(item, 'basis', '')}")
    mode = _get(_get(design, "serving_specification"), "serving_mode", "")
    if mode:
        lines.append(f"Serving mode: {mode}")
    return "\n".join(lines)


# --- workflow, handoffs, checks ------------------------------------------------


def workflow_ok(actual: str | None, acceptable: Sequence[str]) -> tuple[bool, bool]:
    """(acceptable, preferred): the design's workflow is one of the acceptable
    ids / is the preferred (first) one."""
    return actual in acceptable, bool(acceptable) and actual == acceptable[0]


def handoffs_ok(actual: Iterable[str], expected: Iterable[str]) -> bool:
    """Exact set: every expected sibling and no other."""
    return set(actual) == set(expected)


def run_check(check: Any, chosen: str, markdown: str) -> bool:
    """True when the check passes: a ``must`` pattern matches, a ``must_not`` does not.
    ``markdown`` is the design without the echoed request (:func:`without_request`)."""
    text = chosen if _get(check, "where") == "chosen" else markdown
    found = re.search(_get(check, "pattern"), text, re.I) is not None
    return found if _get(check, "kind") == "must" else not found


def constraint_respect(results: Sequence[bool]) -> float | None:
    """Checks passed / checks; None when there are none."""
    return sum(results) / len(results) if results else None


# --- stated numbers -------------------------------------------------------------

_SUFFIX = {"k": 1e3, "K": 1e3, "M": 1e6, "m": 1e6, "mm": 1e6, "bn": 1e9, "B": 1e9}
_NUMBER = re.compile(
    r"(?<![\w.\-/])(?P<cur>[$€£])?\s?"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|[1-9]\d{0,2}(?:\.\d{3})+(?![\d,]|\.\d)|\d+(?:\.\d+)?)"
    r"(?![\d]|[.,]\d)"
    r"(?:\s?(?P<suf>k|K|M|mm|m(?![a-zA-Z])|bn|B(?![a-zA-Z]))(?![a-zA-Z]))?"
    r"(?P<pct>\s?%|\s?percent\b)?"
)
# a bare number right after one of these words is a version or a model name, not a figure
_VERSIONISH = re.compile(
    r"(?:\bv|version|release|python|postgres(?:ql)?|\bpg|java|jdk|node(?:\.?js)?|ubuntu|debian|rhel|centos|spark|"
    r"cuda|llama|gpt|mistral|qwen|gemma|phi|bert|kafka|airflow|mlflow|iso|tls|http|windows|ios|android|"
    r"ipv|python|k8s|kubernetes|es|elasticsearch)[\s-]?$", re.I)


class StatedNumber(dict):
    """``{"text": "$12,000", "value": 12000.0, "kind": "money"|"percent"|"number"}``."""


def extract_numbers(text: str) -> list[StatedNumber]:
    """Numbers stated in a request: integers with separators (30,000 or the
    German 15.000), k/M/bn suffixes, money and percentages. Skipped: numbers
    glued to letters or hyphens (p95, A100, gpt-4), dotted versions (1.2.3),
    numbers after a product/version word (Postgres 16, Python 3.11), and bare
    numbers below 10, which would match almost any design by chance."""
    out: list[StatedNumber] = []
    seen: set[tuple[float, str]] = set()
    for m in _NUMBER.finditer(text):
        raw, cur, suf, pct = m.group("num"), m.group("cur"), m.group("suf"), m.group("pct")
        if re.fullmatch(r"[1-9]\d{0,2}(?:\.\d{3})+", raw):
            value = float(raw.replace(".", ""))  # 15.000 = fifteen thousand
        else:
            value = float(raw.replace(",", ""))
        if suf:
            value *= _SUFFIX[suf]
        plain = not (cur or suf or pct or "," in raw)
        if plain and _VERSIONISH.search(text[: m.start()]):
            continue
        if plain and value < 10:
            continue
        kind = "money" if cur else "percent" if pct else "number"
        key = (value, kind)
        if key in seen:
            continue
        seen.add(key)
        out.append(StatedNumber(text=m.group(0).strip(), value=value, kind=kind))
    return out


def _fmt(value: float) -> str:
    return f"{value:g}" if not float(value).is_integer() else str(int(value))


def number_patterns(value: float, kind: str = "number") -> list[str]:
    """Regexes for one value in the common formats: 30,000 / 30000 / 30 000 /
    30.000 / 30k / 1.5M / 1.5 million; percentages as 4% / 4 percent / 0.04."""
    forms: list[str] = []
    if kind == "percent":
        v = _fmt(value).replace(".", r"[.,]")
        return [rf"(?<![\d.,]){v}\s?(?:%|percent)", rf"(?<![\d.,]){re.escape(_fmt(value / 100))}(?![\d])"]
    if float(value).is_integer():
        n = int(value)
        forms.append(f"{n:,}".replace(",", r"[,.\s\u00a0\u202f]?"))
        for size, letters in ((1e3, r"\s?[kK]\b"), (1e6, r"\s?(?:M\b|mm\b|million)"), (1e9, r"\s?(?:B\b|bn\b|billion)")):
            if n >= size and n % (size / 10) == 0:
                forms.append(_fmt(n / size).replace(".", r"[.,]") + letters)
    else:
        forms.append(_fmt(value).replace(".", r"[.,]"))
        if value >= 1e3:
            forms.append(f"{value:,.2f}".rstrip("0").rstrip(".").replace(",", r"[,.\s]?").replace(".", r"\."))
    return [rf"(?<![\d.,])(?:{f})(?:\.0+)?(?![\d]|[.,]\d)" for f in forms]


def without_request(markdown: str, request: str) -> str:
    """The Markdown, line by line, without the echoed request: the ``> **Request:**``
    block quote, and any verbatim quotation of the whole request inside a line (the
    summary), so that repeating the request passes no check and uses no number."""
    req = " ".join(request.split())
    lines, in_quote = [], False
    for line in markdown.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("> **Request:**") or (in_quote and stripped.startswith(">")):
            in_quote = True
            continue
        in_quote = False
        flat = " ".join(line.split())
        lines.append(flat.replace(req, " ") if req and req in flat else line)
    return "\n".join(lines)


def strip_request(markdown: str, request: str) -> str:
    """:func:`without_request`, whitespace collapsed."""
    return " ".join(without_request(markdown, request).split())


def numbers_used(request: str, markdown: str) -> tuple[list[StatedNumber], list[StatedNumber]]:
    """(stated numbers, those that appear in the design outside the echoed request)."""
    stated = extract_numbers(request)
    body = strip_request(markdown, request)
    used = [n for n in stated if any(re.search(p, body, re.I) for p in number_patterns(n["value"], n["kind"]))]
    return stated, used


# --- line overlap ----------------------------------------------------------------


def design_lines_all(markdown: str) -> set[str]:
    """Unique non-blank lines, whitespace-trimmed; lines with no letter or digit
    (rules, fences, table separators) are dropped. The metric before content-only
    counting (kept so old figures stay comparable)."""
    return {s for s in (ln.strip() for ln in markdown.splitlines()) if s and re.search(r"\w", s)}


_TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?$")
_LABEL_ONLY = re.compile(r"^(\*\*[^*]+\*\*|[A-Z][\w ]{0,40}:)$")


def design_lines(markdown: str) -> set[str]:
    """The design's content lines, unique and whitespace-trimmed. Not counted, because
    they are the document's frame rather than what it says about this request:
    headings, a table's header row (the row above its separator), bare labels
    (``**Datasets**``, ``Optimizations:``), and the Mermaid block, which draws the
    components and data flows already listed (and counted) in their own sections."""
    raw = [ln.strip() for ln in markdown.splitlines()]
    out: set[str] = set()
    in_mermaid = False
    for i, line in enumerate(raw):
        if line.startswith("```"):
            in_mermaid = line.startswith("```mermaid")
            continue
        if in_mermaid or not line or not re.search(r"\w", line) or line.startswith("#"):
            continue
        if line.startswith("|") and i + 1 < len(raw) and _TABLE_SEPARATOR.match(raw[i + 1]):
            continue
        if _LABEL_ONLY.match(line):
            continue
        out.add(line)
    return out


def line_overlap(markdown_a: str, markdown_b: str, *, content_only: bool = True) -> float:
    """|common lines| / min(|lines of a|, |lines of b|): 1.0 for identical designs.
    ``content_only=False`` counts every line with a letter or digit (the former metric)."""
    lines = design_lines if content_only else design_lines_all
    a, b = lines(markdown_a), lines(markdown_b)
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def group_overlaps(markdowns: dict[str, str], *, content_only: bool = True) -> list[tuple[str, str, float]]:
    """Overlap of every pair of designs in one contrast group (case id → Markdown)."""
    return [(x, y, line_overlap(markdowns[x], markdowns[y], content_only=content_only))
            for x, y in itertools.combinations(sorted(markdowns), 2)]


# --- deliverable checks ------------------------------------------------------------


def schema_valid(design: Any) -> bool:
    """The deliverable validates against :class:`ArchitectureDesign` (after a JSON round trip)."""
    from pydantic import ValidationError

    from mlarchitect.deliverable import ArchitectureDesign

    try:
        data = design.model_dump(mode="json") if hasattr(design, "model_dump") else design
        ArchitectureDesign.model_validate(data)
        return True
    except (ValidationError, TypeError, ValueError):
        return False


def cost_present(design: Any) -> bool:
    return _get(_get(design, "cost_analysis"), "monthly_total_usd") is not None


_STATED_WORDING = re.compile(
    r"from the request|(?<!not )(?<!never )(?<!un)\bstated\b|\bper the request\b|\byou (?:said|asked for)\b", re.I)


def _fact_atoms(value: Any) -> list[str]:
    """Regexes locating an assumed fact's value in text (numbers in any format, words literally)."""
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, (int, float)):  # below 10 a bare number matches lines by chance
        return number_patterns(float(value)) if math.isfinite(value) and value >= 10 else []
    if isinstance(value, str):
        return [rf"\b{re.escape(value.replace('_', ' '))}\b", rf"\b{re.escape(value)}\b"] if len(value) >= 2 else []
    for name in ("amount", "seconds", "gpus", "ram_gb"):
        inner = _get(value, name)
        if isinstance(inner, (int, float)) and not isinstance(inner, bool) and inner:
            return _fact_atoms(inner)
    return []


def _assumed_facts(requirements: Any) -> list[Any]:
    if requirements is None:
        return []
    if hasattr(requirements, "assumed_facts"):
        try:
            return [fact for _, fact in requirements.assumed_facts()]
        except Exception:  # noqa: BLE001 - a changed API must not break the harness
            pass
    facts: list[Any] = []
    values = requirements.values() if isinstance(requirements, dict) else (
        getattr(requirements, "__dict__", {}).values())
    for v in values:
        for f in (v if isinstance(v, list) else [v]):
            if _get(f, "stated") is False and (isinstance(f, dict) or hasattr(f, "value")):
                facts.append(f)
    return facts


def assumptions_as_stated(design: Any, markdown: str) -> int:
    """How many assumed requirement facts (``stated=False``) the Markdown
    presents as stated: a line holding the fact's value together with "from the
    request" / "stated" wording ("not stated" excluded). 0 for designs without a
    ``requirements`` field."""
    requirements = _get(design, "requirements")
    facts = _assumed_facts(requirements)
    if not facts:
        return 0
    # a value a stated fact also has ("2,000 labelled examples" beside an assumed 2,000 requests a day) cannot be
    # told apart on a line: the line may be presenting the stated one
    def key(value: Any) -> str:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        return repr(float(value)) if number else repr(value)

    stated = requirements.stated_facts() if hasattr(requirements, "stated_facts") else []
    stated_values = {key(_get(f, "value")) for _, f in stated}
    facts = [f for f in facts if key(_get(f, "value")) not in stated_values]
    lines = [ln for ln in markdown.splitlines()  # a line that says "assumed" does not present a value as stated
             if _STATED_WORDING.search(ln) and not re.search(r"\bassum", ln, re.I)
             and not ln.lstrip().startswith("> **Request")]
    count = 0
    for fact in facts:
        atoms = _fact_atoms(_get(fact, "value"))
        if atoms and any(re.search(a, ln, re.I) for ln in lines for a in atoms):
            count += 1
    return count


# --- checklists -------------------------------------------------------------------


def checklist_coverage(markdown: str, checklist: dict[str, list[str]]) -> float:
    """Share of the checklist's concepts any of whose patterns match the Markdown."""
    if not checklist:
        return 0.0
    hit = sum(any(re.search(p, markdown, re.I) for p in pats) for pats in checklist.values())
    return hit / len(checklist)


def request_specific_concepts(markdown: str, baseline_markdown: str, checklist: dict[str, list[str]]) -> list[str]:
    """Concepts that match in lines of the design that the baseline design
    (the design of the bare workflow name) does not have."""
    baseline = design_lines(baseline_markdown)
    fresh = [s for s in (ln.strip() for ln in markdown.splitlines()) if s and s not in baseline]
    text = "\n".join(fresh)
    return [name for name, pats in checklist.items() if any(re.search(p, text, re.I) for p in pats)]


def request_specific_coverage(markdown: str, baseline_markdown: str, checklist: dict[str, list[str]]) -> float:
    """Checklist coverage counted only in lines not in the baseline design: a
    request that adds nothing to the bare-workflow design scores 0."""
    if not checklist:
        return 0.0
    return len(request_specific_concepts(markdown, baseline_markdown, checklist)) / len(checklist)


# --- retrieval ----------------------------------------------------------------------


def _is_hit(chunk: str, topics: Sequence[str]) -> bool:
    low = chunk.lower()
    return any(t in low for t in topics)


def hit_at_k(chunks: Sequence[str], topics: Sequence[str], k: int = 5) -> float:
    """1.0 when any of the top ``k`` chunks contains any topic substring."""
    return 1.0 if any(_is_hit(c, topics) for c in chunks[:k]) else 0.0


def reciprocal_rank(chunks: Sequence[str], topics: Sequence[str], k: int = 10) -> float:
    """1 / rank of the first chunk (within ``k``) containing a topic; 0 when none does."""
    for rank, c in enumerate(chunks[:k], start=1):
        if _is_hit(c, topics):
            return 1.0 / rank
    return 0.0


# --- aggregation ----------------------------------------------------------------------


def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None
