"""The evaluation sets, the metric functions and ``design eval``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlarchitect.deliverable import ArchitectureDesign
from mlarchitect.evaluation import metrics as M
from mlarchitect.evaluation.cases import (
    EVALSET_VERSION,
    SET_NAMES,
    Check,
    DesignCase,
    EvalSetError,
    cases_json_schema,
    known_agents,
    load_designs,
    load_set,
    sets_dir,
    validate_set,
)
from mlarchitect.evaluation.report import compare, summarize
from mlarchitect.render_markdown import render_markdown
from mlarchitect.tui.cli import main

EVALSETS = Path(__file__).resolve().parent / "evalsets"
REPO_AGENTS = Path(__file__).resolve().parents[1] / "agents" / "definitions"


def _sets() -> list:
    return [load_set(name, directory=EVALSETS) for name in SET_NAMES]


# --- the sets --------------------------------------------------------------------------


@pytest.mark.parametrize("name", SET_NAMES)
def test_every_case_of_every_set_validates(name: str) -> None:
    s = load_set(name, directory=EVALSETS)  # schema, regexes compile, workflow ids (pydantic)
    assert validate_set(s) == []  # handoff agents exist, contrast groups well formed
    assert len(s.designs) >= 32
    assert not s.queries or len(s.queries) >= 40  # the v3 sets are design cases only
    routing_only = name == "val4"  # workflows and handoffs only (tests/evalsets/README.md)
    assert routing_only or len({c.contrast for c in s.designs if c.contrast}) >= 3  # line overlap needs pairs
    prefix = {"dev": "dev-", "dev3": "dev3-", "val4": "val4-", "heldout": "ho-", "heldout2": "ho2-", "heldout3": "ho3-", "heldout5": "ho5-", "dev6": "dev6-", "heldout6": "ho6-", "heldout7": "ho7-", "dev7": "dev7-", "heldout8": "ho8-", "dev8": "dev8-", "heldout9": "ho9-", "dev9": "dev9-", "dev10": "dev10-", "dev11": "dev11-", "heldout10": "ho10-", "dev12": "dev12-", "heldout11": "ho11-", "dev13": "dev13-", "heldout12": "ho12-", "dev14": "dev14-", "heldout13": "ho13-", "dev15": "dev15-", "heldout14": "ho14-", "dev16": "dev16-", "heldout15": "ho15-", "dev17": "dev17-", "heldout16": "ho16-", "dev18": "dev18-", "heldout17": "ho17-", "dev19": "dev19-", "heldout18": "ho18-", "dev20": "dev20-", "heldout19": "ho19-"}[name]
    assert all(c.id.startswith(prefix) for c in s.designs)
    for case in s.designs:
        for check in case.checks:
            re.compile(check.pattern, re.I)
    assert any(c.workflows == ["general"] for c in s.designs), "out-of-scope cases"
    assert any(len(c.workflows) > 1 for c in s.designs), "mixed cases"
    assert any(c.handoffs for c in s.designs), "handoff cases"
    assert routing_only or sum(bool(c.checks) for c in s.designs) >= len(s.designs) // 3


def test_handoff_agents_are_sibling_definitions_in_the_repository() -> None:
    files = {p.stem for p in REPO_AGENTS.glob("*.md")} - {"ml-system-architect"}
    assert known_agents() == files
    for s in _sets():
        for case in s.designs:
            assert set(case.handoffs) <= files, case.id


def test_dev_and_heldout_do_not_share_requests_or_public_wording() -> None:
    sets = _sets()
    for i, a in enumerate(sets):
        for b in sets[i + 1:]:
            assert not {c.request for c in a.designs} & {c.request for c in b.designs}, (a.name, b.name)
            assert not {q.query for q in a.queries} & {q.query for q in b.queries}, (a.name, b.name)
            assert not {c.id for c in a.designs} & {c.id for c in b.designs}, (a.name, b.name)
    public = [json.loads(x) for x in (EVALSETS / "public" / "dev_requests.jsonl").read_text().splitlines() if x]
    public_q = [json.loads(x) for x in (EVALSETS / "public" / "dev_queries.jsonl").read_text().splitlines() if x]
    ours = [c.request.lower() for s in sets for c in s.designs] + [
        q.query.lower() for s in sets for q in s.queries]
    for p in [x["request"] for x in public] + [x["query"] for x in public_q]:
        if len(p.split()) < 5:  # a short public query ("measure retrieval quality") may occur in a longer request
            assert p.lower() not in ours, p
        else:
            assert all(p.lower() not in o for o in ours), p


def test_packaged_sets_are_identical_to_the_repository_copy() -> None:
    for name in SET_NAMES:
        for kind in ("designs", "queries"):
            f = f"{kind}-{name}.jsonl"
            if (EVALSETS / f).exists() or kind == "designs":
                assert (sets_dir() / f).read_bytes() == (EVALSETS / f).read_bytes(), f"copy {f} to {sets_dir()}"
    assert (sets_dir() / "checklists.json").read_bytes() == (EVALSETS / "public" / "checklists.json").read_bytes()
    assert load_set("dev").digest == load_set("dev", directory=EVALSETS).digest


def test_schema_file_is_current_and_lines_validate_against_it() -> None:
    schema = json.loads((EVALSETS / "schema.json").read_text())
    assert schema == cases_json_schema()
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(schema)
    for f in sorted(EVALSETS.glob("*-*.jsonl")):
        for line in f.read_text().splitlines():
            assert not list(validator.iter_errors(json.loads(line))), (f.name, line[:80])
    assert list(validator.iter_errors({"id": "x", "request": "r", "workflows": ["nope"], "style": "s"}))


def test_readme_version_matches_the_code() -> None:
    found = re.search(r"^version:\s*(\S+)", (EVALSETS / "README.md").read_text(), re.M)
    assert found and found.group(1) == EVALSET_VERSION


@pytest.mark.parametrize(("line", "message"), [
    ('{"id": "a", "request": "r", "workflows": ["rag_system"], "style": "s", '
     '"checks": [{"kind": "must", "pattern": "(", "where": "chosen", "why": "w"}]}', "does not compile"),
    ('{"id": "a", "request": "r", "workflows": ["chat"], "style": "s"}', "unknown workflow"),
    ('{"id": "a", "request": "r", "workflows": ["general"], "style": "s", "extra": 1}', "extra"),
    ('not json', "not JSON"),
])
def test_loader_rejects_bad_lines_with_their_line_number(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "designs-x.jsonl"
    path.write_text('{"id": "ok", "request": "r", "workflows": ["general"], "style": "s"}\n' + line + "\n")
    with pytest.raises(EvalSetError, match=rf":2: .*{message}|:2: {message}"):
        load_designs(path)


def test_validate_set_flags_unknown_agents_and_lonely_contrast(tmp_path: Path) -> None:
    path = tmp_path / "designs-x.jsonl"
    path.write_text('{"id": "a", "request": "r", "workflows": ["general"], "style": "s", '
                    '"handoffs": ["ghost-writer"], "contrast": "g"}\n')
    problems = validate_set(load_set(path))
    assert any("ghost-writer" in p for p in problems) and any("one case" in p for p in problems)


# --- metrics on hand-made designs ----------------------------------------------------------


def fake_design(request: str = "a request", workflow: str = "rag_system", *, components=(), risks=(),
                notes=(), items=(), monthly=100.0, budget=None, serving_mode=None, summary="s") -> ArchitectureDesign:
    data = {
        "request": request, "workflow": workflow, "summary": summary,
        "components": [{"name": n, "technology": t, "responsibility": r} for n, t, r in components],
        "risks": [{"risk": r, "mitigation": "m"} for r in risks],
        "notes": list(notes),
        "cost_analysis": {"monthly_total_usd": monthly, "budget_usd": budget,
                          "within_budget": None if budget is None else monthly <= budget,
                          "items": [{"item": i, "monthly_usd": 1.0, "basis": b} for i, b in items]},
        "provenance": {"model": "fake", "offline": True, "prompt_version": "p", "kb_version": "k"},
    }
    if serving_mode is not None:
        data["serving_specification"] = {"serving_mode": serving_mode}
    return ArchitectureDesign.model_validate(data)


def _case(set_name: str, case_id: str):  # noqa: ANN202
    s = load_set(set_name, directory=EVALSETS)
    return next(c for c in s.designs if c.id == case_id)


def _passes(case, design) -> list[bool]:  # noqa: ANN001
    md = render_markdown(design)
    return [M.run_check(c, M.chosen_text(design), M.without_request(md, case.request)) for c in case.checks]


def test_postgres_only_case_fails_on_redis_and_passes_on_pgvector() -> None:
    case = _case("dev", "dev-rag-pg-only")
    bad = fake_design(components=[("Vector store", "pgvector", "vectors"), ("Cache", "Redis", "answer cache")])
    good = fake_design(components=[("Vector store", "Postgres + pgvector", "vectors and answer cache table")],
                       risks=["Redis would add a second datastore, rejected"], notes=["Qdrant considered, lost"])
    assert not all(_passes(case, bad))
    assert all(_passes(case, good)), "alternatives, risks and notes are not the chosen parts"
    assert "Redis" in render_markdown(good)


def test_air_gapped_check_catches_hosted_embeddings_but_not_openai_compatible_servers() -> None:
    case = _case("dev", "dev-rag-offline-factory")
    hosted = fake_design(components=[("Embedding", "text-embedding-3-small", "embed chunks")])
    local = fake_design(components=[("LLM", "vLLM (OpenAI-compatible API), Llama 3.1 8B", "answers"),
                                    ("Embedding", "bge-m3 on the GPU server", "embed chunks")])
    assert _passes(case, hosted) == [False]
    assert _passes(case, local) == [True]


@pytest.mark.parametrize(("tech", "ok"), [
    ("Kubernetes Deployment", False), ("3 replicas behind a load balancer", False), ("replicas: 2", False),
    ("single process, llama.cpp, one replica", True), ("SQLite file next to the app", True),
])
def test_laptop_check(tech: str, ok: bool) -> None:
    case = _case("heldout", "ho-serve-laptop-demo")
    assert all(_passes(case, fake_design(workflow="model_serving", components=[("Server", tech, "serve")]))) is ok


def test_batch_and_classic_ml_checks() -> None:
    case = _case("dev", "dev-serve-batch-scores")
    online = fake_design(workflow="model_serving", components=[("Scorer", "FastAPI REST API", "score")],
                         serving_mode="real-time")
    batch = fake_design(workflow="model_serving", components=[("Scorer", "Spark batch job", "weekly scoring")],
                        items=[("Compute", "rate limiter with a token bucket, 4 h per week")], serving_mode="batch")
    tokens = fake_design(workflow="model_serving", components=[("Scorer", "batch job", "score")],
                         items=[("LLM", "2,000 input tokens × price")], serving_mode="batch")
    assert not all(_passes(case, online))
    assert all(_passes(case, batch))
    assert not all(_passes(case, tokens))


def test_current_bill_is_not_a_budget() -> None:
    case = _case("dev", "dev-serve-bill")
    as_budget = fake_design(workflow="model_serving", monthly=9000, budget=14000)
    as_bill = fake_design(workflow="model_serving", monthly=9000,
                          summary="Today's spend is $14,000/month; this design brings it to $9,000.")
    assert not all(_passes(case, as_budget))
    assert all(_passes(case, as_bill))


def test_numbers_are_extracted_in_their_common_forms() -> None:
    found = {n["text"]: (n["value"], n["kind"]) for n in M.extract_numbers(
        "3.5M docs, $12,000/month, 30k events, 4% churn, ca. 15.000 Seiten, Postgres 16, Python 3.11, "
        "gpt-4o on an A100, p95 under 3 s, 1.2.3, 13B model, 250 lawyers")}
    assert found == {"3.5M": (3.5e6, "number"), "$12,000": (12000, "money"), "30k": (30000, "number"),
                     "4%": (4, "percent"), "15.000": (15000, "number"), "13B": (13e9, "number"),
                     "250": (250, "number")}
    for value, text in [(30000, "30,000"), (30000, "30k"), (30000, "30000"), (30000, "30 000"),
                        (3.5e6, "3,500,000"), (3.5e6, "3.5 million"), (12000, "$12,000.00"), (4, "4 %")]:
        assert any(re.search(p, text) for p in M.number_patterns(value, "percent" if text.startswith("4") else
                                                                 "number")), text
    assert not any(re.search(p, "300,000") for p in M.number_patterns(30000))
    assert not any(re.search(p, "130k") for p in M.number_patterns(30000))


def test_numbers_used_ignores_the_echoed_request() -> None:
    request = "RAG over 30,000 pages with a budget of $700 a month"
    echo_only = fake_design(request, summary=f"This design answers “{request}”.")
    used = fake_design(request, summary="Sized for 30k pages; $700.00/month budget.")
    assert M.numbers_used(request, render_markdown(echo_only))[1] == []
    stated, got = M.numbers_used(request, render_markdown(used))
    assert len(stated) == 2 and len(got) == 2


def test_a_must_check_is_not_passed_by_the_echoed_request_alone() -> None:
    request = "Search over 1.2M case files.\n## Must cite the passage; budget $8,000/month"
    case = DesignCase(id="x", request=request, workflows=["rag_system"], style="s", checks=[
        Check(kind="must", pattern=r"8,000", where="markdown", why="the budget is used")])
    echo_only = fake_design(request, summary=f"This design answers “{' '.join(request.split())}”.")
    used = fake_design(request, summary="Running cost $5,100/month against the $8,000/month budget.")
    assert _passes(case, echo_only) == [False]
    assert _passes(case, used) == [True]
    assert "8,000" in render_markdown(echo_only)


def test_line_overlap() -> None:
    a = render_markdown(fake_design("one", components=[("A", "x", "y")]))
    b = render_markdown(fake_design("two", components=[("B", "z", "w")]))
    assert M.line_overlap(a, a) == 1.0
    assert 0 < M.line_overlap(a, b) < 1
    assert M.line_overlap("alpha\n\nbeta", "gamma\ndelta") == 0.0
    assert M.line_overlap("alpha\n---\nbeta", "alpha\nbeta\nmore\nlines") == 1.0


def test_request_specific_coverage_scores_zero_for_the_baseline_itself() -> None:
    checklist = {"reranking": ["re-?rank"], "hybrid search": ["hybrid search"], "streaming": ["stream"]}
    baseline = "# RAG\n- Rerank the candidates\n- Use hybrid search\n"
    assert M.checklist_coverage(baseline, checklist) == pytest.approx(2 / 3)
    assert M.request_specific_coverage(baseline, baseline, checklist) == 0.0
    richer = baseline + "- For 40 rps, stream tokens over SSE and rerank only the top 20\n"
    assert M.request_specific_coverage(richer, baseline, checklist) == pytest.approx(2 / 3)


def test_assumptions_shown_as_stated() -> None:
    plain = fake_design()
    assert M.assumptions_as_stated(plain, render_markdown(plain)) == 0  # no requirements field today
    fact = SimpleNamespace(value=2000.0, stated=False)
    with_reqs = SimpleNamespace(request="r", requirements={"requests_per_day": fact})
    assert M.assumptions_as_stated(with_reqs, "- Traffic not stated: assumed 2,000 requests per day") == 0
    assert M.assumptions_as_stated(with_reqs, "- 2,000 requests per day (from the request)") == 1
    from mlarchitect.requirements import Fact, Quantity, Requirements

    reqs = Requirements(corpus=Fact.assumed(Quantity(amount=5000, unit="pages"), "not given"),
                        users=Fact.said(40, "40 users"))
    holder = SimpleNamespace(requirements=reqs)
    assert M.assumptions_as_stated(holder, "Stated in the request: 5k pages") == 1
    assert M.assumptions_as_stated(holder, "Stated in the request: 40 users") == 0
    assert M.assumptions_as_stated(holder, "- corpus: 5,000 pages (assumed: no size stated)") == 0
    # an assumed value that a stated fact also has cannot be attributed on a line: not counted
    twin = Requirements(requests_per_day=Fact.assumed(2000.0, "not given"), labelled_examples=Fact.said(2000, "2,000 labelled"))
    line = "| Detectable win rate | 53.1 % | ... ÷ √2,000 = 0.531 (labelled examples from the request) |"
    assert M.assumptions_as_stated(SimpleNamespace(requirements=twin), line) == 0
    alone = Requirements(requests_per_day=Fact.assumed(2000.0, "not given"), labelled_examples=Fact.said(300, "300 labelled"))
    assert M.assumptions_as_stated(SimpleNamespace(requirements=alone), "- 2,000 requests per day (from the request)") == 1


def test_schema_validity_and_cost_presence() -> None:
    d = fake_design(monthly=None)
    assert M.schema_valid(d) and not M.cost_present(d)
    broken = d.model_dump(mode="json")
    del broken["provenance"]
    assert not M.schema_valid(broken)
    assert M.cost_present(fake_design(monthly=12.0))


def test_retrieval_metrics() -> None:
    chunks = ["about caching", "chunk overlap of 10%", "more"]
    assert M.hit_at_k(chunks, ["overlap"], 5) == 1.0 and M.hit_at_k(chunks, ["overlap"], 1) == 0.0
    assert M.reciprocal_rank(chunks, ["overlap"]) == 0.5 and M.reciprocal_rank(chunks, ["nothing"]) == 0.0


def _run_record(**summary) -> dict:  # noqa: ANN003
    case = {"set": "dev", "id": "c1", "workflow_ok": True, "handoffs_ok": True, "schema_valid": True,
            "cost_present": True, "checks_passed": 1, "checks_total": 1, "numbers_used": ["1"],
            "request_specific_coverage": 0.5}
    return {"sets": [{"digest": "d"}], "summary": summary, "cases": [case]}


def test_compare_flags_drops_beyond_the_tolerance_only() -> None:
    old = _run_record(workflow_accuracy=0.80, line_overlap_mean=0.50, tokens_mean=10.0)
    assert compare(old, _run_record(workflow_accuracy=0.79, line_overlap_mean=0.51, tokens_mean=99.0), 0.02)[1] == []
    lines, regressions = compare(old, _run_record(workflow_accuracy=0.70, line_overlap_mean=0.60), 0.02)
    assert len(regressions) == 2 and any("REGRESSION" in ln for ln in lines)


def test_runs_are_saved_and_found_by_path_id_and_latest_of_their_set(tmp_path: Path) -> None:
    from mlarchitect.errors import InputError
    from mlarchitect.evaluation.report import load_run, save_run

    dev = {**_run_record(workflow_accuracy=0.5), "set": "dev", "started_at": "2026-01-01T10:00:00+00:00"}
    held = {**_run_record(workflow_accuracy=0.7), "set": "heldout", "started_at": "2026-01-02T10:00:00+00:00"}
    p_dev, p_held = save_run(dev, tmp_path), save_run(held, tmp_path)
    assert p_dev.name == "20260101T100000-dev.json" and p_dev.parent == tmp_path / "eval-runs"
    assert load_run("latest", tmp_path, "dev")["summary"] == dev["summary"]
    assert load_run("latest", tmp_path)["summary"] == held["summary"]
    assert load_run(p_held.stem, tmp_path)["set"] == "heldout"
    assert load_run(str(p_dev), tmp_path)["set"] == "dev"
    assert save_run(dev, tmp_path).name == "20260101T100000-dev-2.json"
    with pytest.raises(InputError):
        load_run("nope", tmp_path)


# --- design eval end to end ------------------------------------------------------------------


def _eval(args: list[str], capsys: pytest.CaptureFixture[str], kb: Path) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["eval", *args, "--kb-dir", str(kb), "-q"])
        raise SystemExit(0)
    out, err = capsys.readouterr()
    return int(info.value.code or 0), out, err


def test_design_eval_json_end_to_end_and_compare(capsys: pytest.CaptureFixture[str], shared_kb_dir: Path,
                                                 tmp_path: Path) -> None:
    code, out, err = _eval(["--set", "dev", "--json", "--limit", "2"], capsys, shared_kb_dir)
    assert code == 0, err
    run = json.loads(out)
    assert run["set"] == "dev" and run["limit"] == 2 and run["model"]["offline"] is True
    assert len(run["cases"]) == 2 and len(run["queries"]) == 2
    s = run["summary"]
    for key in ("workflow_accuracy", "handoff_accuracy", "constraint_respect", "numbers_used", "schema_validity",
                "cost_present", "assumptions_as_stated", "request_specific_coverage", "retrieval_hit_at_5",
                "retrieval_mrr_at_10", "llm_calls_mean", "tokens_mean", "latency_mean_s"):
        assert key in s
    assert s["schema_validity"] == 1.0 and s["errors"] == 0
    assert "rag_system" in run["per_workflow"]
    assert run["baselines"]["rag_system"]["workflow"] == "rag_system"
    assert summarize(run) == (run["summary"], run["per_workflow"])
    stored = list((tmp_path / "data" / "eval-runs").glob("*-dev.json"))
    assert len(stored) == 1 and json.loads(stored[0].read_text())["summary"] == s

    # an earlier run that was better everywhere: the comparison must fail
    better = json.loads(stored[0].read_text())
    better["summary"]["workflow_accuracy"] = 1.5
    better["cases"][0]["workflow_ok"] = not better["cases"][0]["workflow_ok"]
    old = tmp_path / "better.json"
    old.write_text(json.dumps(better))
    code, out, _ = _eval(["--set", "dev", "--limit", "2", "--compare", str(old)], capsys, shared_kb_dir)
    assert code == 1
    assert "REGRESSION" in out and "workflow accuracy" in out and "per-case changes" in out
    code, out, _ = _eval(["--set", "dev", "--limit", "2", "--compare", "latest", "--no-save"],
                         capsys, shared_kb_dir)
    assert code == 0, out
    assert "no metric dropped" in out


def test_design_eval_rejects_unknown_sets(capsys: pytest.CaptureFixture[str], shared_kb_dir: Path) -> None:
    code, _, err = _eval(["--set", "nope"], capsys, shared_kb_dir)
    assert code == 2 and "unknown evaluation set" in err


def test_eval_is_listed_without_importing_it() -> None:
    import subprocess
    import sys

    code = ("import sys; from mlarchitect.tui.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('LOADED', 'mlarchitect.evaluation.cli' in sys.modules, 'mlarchitect.evaluation.runner' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "eval " in out and "LOADED False False" in out
