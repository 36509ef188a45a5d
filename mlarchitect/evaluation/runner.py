"""Run evaluation sets through the public ``design()`` entry point.

One knowledge base serves every design and the retrieval queries. Designs are
produced with the configured model (offline unless a model is given); their
checkpoints go to a throw-away directory so an evaluation run leaves nothing in
the user's conversation store. Each case yields a plain dict (JSON-ready).
"""

from __future__ import annotations

import platform
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlarchitect.config import Settings
from mlarchitect.evaluation import metrics as M
from mlarchitect.evaluation.cases import DesignCase, EvalSet, QueryCase, load_checklists
from mlarchitect.workflows import WORKFLOWS

RUN_FORMAT = 1
Progress = Callable[[str], None]


def baseline_request(workflow: str) -> str:
    """The bare workflow name, e.g. "RAG system", designed with that workflow forced:
    what the templates print for a request that says nothing."""
    return WORKFLOWS[workflow].title


def eval_kb_dir(settings: Settings) -> Path:
    """An explicitly configured knowledge base, else one built from the bundled
    patterns only (``<data_dir>/eval-kb``), so user documents do not move the
    retrieval figures between machines."""
    return settings.kb_dir if settings.kb_dir is not None else settings.data_dir / "eval-kb"


def _design_case(case: DesignCase, design_fn: Callable[[str], Any], render: Callable[[Any], str]) -> tuple[dict, str]:
    started = time.perf_counter()
    result: dict[str, Any] = {"id": case.id, "style": case.style, "request": case.request,
                              "expected_workflows": case.workflows, "expected_handoffs": sorted(case.handoffs),
                              "contrast": case.contrast}
    try:
        design = design_fn(case.request)
        markdown = render(design)
    except Exception as exc:  # noqa: BLE001 - one failing case must not end the run
        result.update(error=f"{type(exc).__name__}: {exc}", workflow=None, workflow_ok=False, preferred_ok=False,
                      handoffs=[], handoffs_ok=False, schema_valid=False, cost_present=False,
                      checks=[{**c.model_dump(), "passed": False} for c in case.checks],
                      checks_passed=0, checks_total=len(case.checks), numbers_stated=[], numbers_used=[],
                      assumptions_as_stated=0, llm_calls=0, tokens=0,
                      latency_s=round(time.perf_counter() - started, 3))
        return result, ""
    chosen = M.chosen_text(design)
    ok, preferred = M.workflow_ok(design.workflow, case.workflows)
    agents = sorted(h.agent for h in (getattr(design, "handoffs", None) or []))
    own_words = M.without_request(markdown, case.request)
    checks = [{**c.model_dump(), "passed": M.run_check(c, chosen, own_words)} for c in case.checks]
    stated, used = M.numbers_used(case.request, markdown)
    prov = getattr(design, "provenance", None)
    result.update(
        error=None,
        workflow=design.workflow,
        workflow_ok=ok,
        preferred_ok=preferred,
        handoffs=agents,
        handoffs_ok=M.handoffs_ok(agents, case.handoffs),
        schema_valid=M.schema_valid(design),
        cost_present=M.cost_present(design),
        checks=checks,
        checks_passed=sum(c["passed"] for c in checks),
        checks_total=len(checks),
        numbers_stated=[n["text"] for n in stated],
        numbers_used=[n["text"] for n in used],
        assumptions_as_stated=M.assumptions_as_stated(design, markdown),
        has_requirements=getattr(design, "requirements", None) is not None,
        llm_calls=int(getattr(prov, "llm_calls", 0) or 0),
        tokens=int(getattr(prov, "tokens", 0) or 0),
        latency_s=float(getattr(prov, "duration_s", 0.0) or round(time.perf_counter() - started, 3)),
        offline=bool(getattr(prov, "offline", False)),
    )
    return result, markdown


def _query_case(q: QueryCase, kb: Any) -> dict:
    hits = kb.search(q.query, k=10)
    chunks = [h.chunk for h in hits]
    return {"id": q.id, "query": q.query, "hit_at_5": M.hit_at_k(chunks, q.topics, 5),
            "rr_at_10": M.reciprocal_rank(chunks, q.topics, 10), "top_docs": [h.doc_id for h in hits[:5]]}


def run_sets(sets: list[EvalSet], settings: Settings, *, limit: int | None = None,
             progress: Progress | None = None, design_fn: Callable[..., Any] | None = None) -> dict:
    """Evaluate ``sets`` and return the run record (see :mod:`.report`).

    ``limit`` keeps the first N design cases and N queries of each set.
    ``design_fn(request, settings=...)`` defaults to :func:`mlarchitect.agents.api.design`.
    """
    from mlarchitect.knowledge import KnowledgeBase
    from mlarchitect.render_markdown import render_markdown

    if design_fn is None:
        from mlarchitect.agents.api import design as design_fn
    say = progress or (lambda _m: None)
    kb_dir = eval_kb_dir(settings)
    kb = KnowledgeBase(kb_dir)
    say(f"knowledge base: {kb_dir}")
    kb.ensure_built()
    checklists = load_checklists()
    started_at = datetime.now(timezone.utc)
    wall = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mlarchitect-eval-") as scratch:
        run_settings = settings.model_copy(update={"data_dir": Path(scratch), "kb_dir": kb_dir,
                                                   "cache": False, "design_log": False})  # every case designed

        def one(request: str, **kwargs: Any) -> Any:
            return design_fn(request, settings=run_settings, **kwargs)

        cases: list[dict] = []
        queries: list[dict] = []
        markdowns: dict[str, str] = {}
        for s in sets:
            designs = s.designs[:limit] if limit is not None else s.designs
            for number, case in enumerate(designs, start=1):
                say(f"[{s.name} {number}/{len(designs)}] {case.id}")
                result, markdown = _design_case(case, one, render_markdown)
                result["set"] = s.name
                if result.get("contrast"):
                    result["contrast"] = f"{s.name}:{result['contrast']}"
                cases.append(result)
                markdowns[f"{s.name}:{case.id}"] = markdown
            for q in (s.queries[:limit] if limit is not None else s.queries):
                queries.append({"set": s.name, **_query_case(q, kb)})
        # baselines: the design of the bare workflow name, once per workflow evaluated
        baselines: dict[str, dict] = {}
        for wf in sorted({c["expected_workflows"][0] for c in cases} & set(checklists)):
            say(f"[baseline] {baseline_request(wf)!r}")
            try:
                d = one(baseline_request(wf), workflow=wf)
                baselines[wf] = {"request": baseline_request(wf), "workflow": d.workflow,
                                 "markdown": render_markdown(d)}
            except Exception as exc:  # noqa: BLE001
                baselines[wf] = {"request": baseline_request(wf), "workflow": None, "markdown": "",
                                 "error": f"{type(exc).__name__}: {exc}"}
    for c in cases:
        wf = c["expected_workflows"][0]
        md = markdowns.get(f"{c['set']}:{c['id']}", "")
        if wf in checklists and md:
            c["checklist_coverage"] = round(M.checklist_coverage(md, checklists[wf]), 4)
            concepts = M.request_specific_concepts(md, baselines[wf]["markdown"], checklists[wf])
            c["request_specific_coverage"] = round(len(concepts) / len(checklists[wf]), 4)
            c["request_specific_concepts"] = concepts
        else:
            c["checklist_coverage"] = c["request_specific_coverage"] = None
    contrast = _contrast(cases, markdowns)
    run = {
        "format": RUN_FORMAT,
        "set": "+".join(s.name for s in sets),
        "sets": [{"name": s.name, "version": s.version, "digest": s.digest, "sources": s.sources} for s in sets],
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round(time.perf_counter() - wall, 2),
        "limit": limit,
        "model": {"offline": settings.wants_offline, "model": settings.model},
        "python": platform.python_version(),
        "kb_dir": str(kb_dir),
        "baselines": {wf: {k: v for k, v in b.items() if k != "markdown"} for wf, b in baselines.items()},
        "cases": cases,
        "queries": queries,
        "contrast": contrast,
    }
    from mlarchitect.evaluation.report import summarize

    run["summary"], run["per_workflow"] = summarize(run)
    return run


def _contrast(cases: list[dict], markdowns: dict[str, str]) -> dict[str, dict]:
    groups: dict[str, dict[str, str]] = {}
    for c in cases:
        md = markdowns.get(f"{c['set']}:{c['id']}", "")
        if c.get("contrast") and md:
            groups.setdefault(c["contrast"], {})[c["id"]] = md
    out = {}
    for group, members in sorted(groups.items()):
        pairs = M.group_overlaps(members)
        every_line = M.group_overlaps(members, content_only=False)
        if pairs:
            out[group] = {"pairs": [{"a": a, "b": b, "overlap": round(v, 4), "overlap_all_lines": round(w, 4)}
                                    for (a, b, v), (*_, w) in zip(pairs, every_line)],
                          "mean": round(sum(v for *_, v in pairs) / len(pairs), 4),
                          "max": round(max(v for *_, v in pairs), 4),
                          "max_all_lines": round(max(w for *_, w in every_line), 4)}
    return out
