"""Run records: summary, text table, JSON file, and the comparison of two runs."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from mlarchitect.errors import InputError
from mlarchitect.evaluation import metrics as M

# key, label, direction ("up": higher is better, "down": lower is better, None: informational)
METRICS: list[tuple[str, str, str | None]] = [
    ("workflow_accuracy", "workflow accuracy (acceptable)", "up"),
    ("workflow_preferred", "workflow = preferred", "up"),
    ("handoff_accuracy", "handoff accuracy (exact set)", "up"),
    ("constraint_respect", "constraint respect (checks passed/checks)", "up"),
    ("cases_all_checks", "cases passing all their checks", "up"),
    ("numbers_used", "stated numbers used", "up"),
    ("schema_validity", "schema validity", "up"),
    ("cost_present", "cost analysis present", "up"),
    ("assumptions_as_stated", "assumed facts shown as stated (count)", "down"),
    ("line_overlap_mean", "line overlap in contrast groups, mean", "down"),
    ("line_overlap_max", "line overlap in contrast groups, max", "down"),
    ("line_overlap_all_lines_max", "  the same counting every line (former metric), max", None),
    ("checklist_coverage", "checklist coverage", "up"),
    ("request_specific_coverage", "request-specific checklist coverage", "up"),
    ("retrieval_hit_at_5", "retrieval hit@5", "up"),
    ("retrieval_mrr_at_10", "retrieval MRR@10", "up"),
    ("errors", "designs that failed", "down"),
    ("llm_calls_mean", "LLM calls per design, mean", None),
    ("tokens_mean", "tokens per design, mean", None),
    ("latency_mean_s", "latency per design, mean (s)", None),
    ("latency_max_s", "latency per design, max (s)", None),
    ("cases", "design cases", None),
    ("checks", "checks", None),
    ("queries", "retrieval queries", None),
]


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def summarize(run: dict) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(summary metrics, per-workflow metrics) from a run's cases, queries and contrast groups."""
    cases, queries, contrast = run["cases"], run["queries"], run.get("contrast", {})
    n = len(cases)
    checks_total = sum(c["checks_total"] for c in cases)
    with_checks = [c for c in cases if c["checks_total"]]
    stated = sum(len(c["numbers_stated"]) for c in cases)
    pairs = [p["overlap"] for g in contrast.values() for p in g["pairs"]]
    every_line = [p["overlap_all_lines"] for g in contrast.values() for p in g["pairs"] if "overlap_all_lines" in p]
    summary = {
        "workflow_accuracy": M.ratio(sum(c["workflow_ok"] for c in cases), n),
        "workflow_preferred": M.ratio(sum(c["preferred_ok"] for c in cases), n),
        "handoff_accuracy": M.ratio(sum(c["handoffs_ok"] for c in cases), n),
        "constraint_respect": M.ratio(sum(c["checks_passed"] for c in cases), checks_total),
        "cases_all_checks": M.ratio(sum(c["checks_passed"] == c["checks_total"] for c in with_checks),
                                    len(with_checks)),
        "numbers_used": M.ratio(sum(len(c["numbers_used"]) for c in cases), stated),
        "schema_validity": M.ratio(sum(c["schema_valid"] for c in cases), n),
        "cost_present": M.ratio(sum(c["cost_present"] for c in cases), n),
        "assumptions_as_stated": sum(c.get("assumptions_as_stated", 0) for c in cases),
        "line_overlap_mean": M.mean(pairs),
        "line_overlap_max": max(pairs) if pairs else None,
        "line_overlap_all_lines_max": max(every_line) if every_line else None,
        "checklist_coverage": M.mean(c.get("checklist_coverage") for c in cases),
        "request_specific_coverage": M.mean(c.get("request_specific_coverage") for c in cases),
        "retrieval_hit_at_5": M.mean(q["hit_at_5"] for q in queries),
        "retrieval_mrr_at_10": M.mean(q["rr_at_10"] for q in queries),
        "errors": sum(1 for c in cases if c.get("error")),
        "llm_calls_mean": M.mean(c["llm_calls"] for c in cases),
        "tokens_mean": M.mean(c["tokens"] for c in cases),
        "latency_mean_s": M.mean(c["latency_s"] for c in cases),
        "latency_max_s": max((c["latency_s"] for c in cases), default=None),
        "cases": n,
        "checks": checks_total,
        "queries": len(queries),
    }
    summary = {k: (_r(v) if isinstance(v, float) else v) for k, v in summary.items()}
    per_workflow: dict[str, dict[str, Any]] = {}
    for wf in sorted({c["expected_workflows"][0] for c in cases}):
        members = [c for c in cases if c["expected_workflows"][0] == wf]
        per_workflow[wf] = {
            "cases": len(members),
            "workflow_accuracy": _r(M.ratio(sum(c["workflow_ok"] for c in members), len(members))),
            "checklist_coverage": _r(M.mean(c.get("checklist_coverage") for c in members)),
            "request_specific_coverage": _r(M.mean(c.get("request_specific_coverage") for c in members)),
        }
    return summary, per_workflow


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def format_text(run: dict, *, details: bool = True) -> str:
    s = run["summary"]
    sets = ", ".join(f"{x['name']} v{x['version']} ({x['digest']})" for x in run["sets"])
    mode = "offline" if run["model"]["offline"] else (run["model"]["model"] or "configured model")
    lines = [f"Evaluation of {sets} on {mode}: {s['cases']} designs, {s['queries']} queries, "
             f"{run['duration_s']:.1f} s" + (f" (limit {run['limit']})" if run.get("limit") else ""), ""]
    width = max(len(label) for _, label, _ in METRICS)
    for key, label, direction in METRICS:
        arrow = {"up": "↑", "down": "↓"}.get(direction or "", " ")
        lines.append(f"  {label:<{width}}  {_fmt(s.get(key)):>8} {arrow}")
    lines += ["", f"  {'workflow':<20} {'cases':>5} {'accuracy':>9} {'checklist':>10} {'request-specific':>17}"]
    for wf, row in run["per_workflow"].items():
        lines.append(f"  {wf:<20} {row['cases']:>5} {_fmt(row['workflow_accuracy']):>9} "
                     f"{_fmt(row['checklist_coverage']):>10} {_fmt(row['request_specific_coverage']):>17}")
    if run.get("contrast"):
        lines += ["", "  contrast group overlap, content lines (mean / max; max counting every line):"]
        lines += [f"    {g}: {v['mean']:.3f} / {v['max']:.3f}"
                  + (f"  ({v['max_all_lines']:.3f})" if "max_all_lines" in v else "")
                  for g, v in run["contrast"].items()]
    if details:
        problems = _case_problems(run["cases"])
        if problems:
            lines += ["", "  failures:"] + [f"    {p}" for p in problems]
    return "\n".join(lines) + "\n"


def _case_problems(cases: list[dict]) -> list[str]:
    out = []
    for c in cases:
        cid = f"{c['set']}/{c['id']}"
        if c.get("error"):
            out.append(f"{cid}: error {c['error']}")
            continue
        if not c["workflow_ok"]:
            out.append(f"{cid}: workflow {c['workflow']} (expected {'|'.join(c['expected_workflows'])})")
        if not c["handoffs_ok"]:
            out.append(f"{cid}: handoffs {c['handoffs'] or '[]'} (expected {c['expected_handoffs'] or '[]'})")
        for ch in c["checks"]:
            if not ch["passed"]:
                out.append(f"{cid}: {ch['kind']} /{ch['pattern'][:60]}/ in {ch['where']} - {ch['why']}")
    return out


# --- files -----------------------------------------------------------------------------


def runs_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "eval-runs"


def save_run(run: dict, data_dir: Path) -> Path:
    """Write ``<data_dir>/eval-runs/<timestamp>-<set>.json`` atomically; returns the path."""
    folder = runs_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = re.sub(r"[^0-9T]", "", run["started_at"].split("+")[0])
    name = re.sub(r"[^A-Za-z0-9_.+-]", "_", run["set"])
    target = folder / f"{stamp}-{name}.json"
    suffix = 1
    while target.exists():
        suffix += 1
        target = folder / f"{stamp}-{name}-{suffix}.json"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".run.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(run, handle, indent=2, ensure_ascii=False)
    os.replace(tmp, target)
    return target


def load_run(ref: str | Path, data_dir: Path, set_name: str | None = None) -> dict:
    """A run by file path, by id (file name with or without ``.json`` in the
    runs folder), or ``latest`` (the newest run of ``set_name`` when given)."""
    path = Path(str(ref)).expanduser()
    if not path.is_file():
        folder = runs_dir(data_dir)
        if str(ref) == "latest":
            pattern = f"*-{re.sub(r'[^A-Za-z0-9_.+-]', '_', set_name)}.json" if set_name else "*.json"
            found = sorted(folder.glob(pattern)) if folder.is_dir() else []
            if not found:
                raise InputError(f"no evaluation runs{' of ' + set_name if set_name else ''} in {folder}")
            path = found[-1]
        else:
            stem = str(ref).removesuffix(".json")
            path = folder / f"{stem}.json"
            if not path.is_file():
                raise InputError(f"evaluation run not found: {ref} (looked in {folder})")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read evaluation run {path}: {exc}") from None
    if not isinstance(data, dict) or "summary" not in data or "cases" not in data:
        raise InputError(f"{path} is not an evaluation run record")
    data.setdefault("_path", str(path))
    return data


# --- comparison -----------------------------------------------------------------------------


def compare(old: dict, new: dict, tolerance: float = 0.02) -> tuple[list[str], list[str]]:
    """(report lines, regressions). A regression is a summary metric that got
    worse by more than ``tolerance`` (absolute) in its direction; informational
    metrics (calls, tokens, latency, counts) never regress. Per-case changes are
    listed for reading but do not decide the exit code."""
    lines: list[str] = []
    regressions: list[str] = []
    if [s.get("digest") for s in old.get("sets", [])] != [s.get("digest") for s in new.get("sets", [])]:
        lines.append("note: the case sets differ between the two runs (edited or different sets)")
    lines.append(f"  {'metric':<44} {'before':>8} {'after':>8} {'change':>8}")
    for key, label, direction in METRICS:
        a, b = old.get("summary", {}).get(key), new.get("summary", {}).get(key)
        if a is None and b is None:
            continue
        change = "" if a is None or b is None else f"{b - a:+.3f}"
        flag = ""
        if direction and a is not None and b is not None:
            worse = (a - b) if direction == "up" else (b - a)
            if worse > tolerance + 1e-12:
                flag = "  REGRESSION"
                regressions.append(f"{label}: {_fmt(a)} -> {_fmt(b)}")
        lines.append(f"  {label:<44} {_fmt(a):>8} {_fmt(b):>8} {change:>8}{flag}")
    before = {(c.get("set"), c["id"]): c for c in old.get("cases", [])}
    changed: list[str] = []
    for c in new.get("cases", []):
        o = before.get((c.get("set"), c["id"]))
        if o is None:
            changed.append(f"{c.get('set')}/{c['id']}: new case")
            continue
        diffs = []
        for key in ("workflow_ok", "handoffs_ok", "schema_valid", "cost_present"):
            if o.get(key) != c.get(key):
                diffs.append(f"{key} {o.get(key)} -> {c.get(key)}")
        if (o.get("checks_passed"), o.get("checks_total")) != (c.get("checks_passed"), c.get("checks_total")):
            diffs.append(f"checks {o.get('checks_passed')}/{o.get('checks_total')} -> "
                         f"{c.get('checks_passed')}/{c.get('checks_total')}")
        if len(o.get("numbers_used", [])) != len(c.get("numbers_used", [])):
            diffs.append(f"numbers used {len(o.get('numbers_used', []))} -> {len(c.get('numbers_used', []))}")
        if o.get("request_specific_coverage") != c.get("request_specific_coverage"):
            diffs.append(f"request-specific {_fmt(o.get('request_specific_coverage'))} -> "
                         f"{_fmt(c.get('request_specific_coverage'))}")
        if diffs:
            changed.append(f"{c.get('set')}/{c['id']}: " + "; ".join(diffs))
    if changed:
        lines += ["", "  per-case changes:"] + [f"    {x}" for x in changed]
    return lines, regressions
