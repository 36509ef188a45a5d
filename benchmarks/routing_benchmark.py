"""Routing benchmark: workflow, secondary-workflow and handoff accuracy of the
baseline (trigger-phrase) router against the current one.

    python benchmarks/routing_benchmark.py              # public dev + routing dev sets
    python benchmarks/routing_benchmark.py --heldout    # also the held-out set (report, never tune)
    python benchmarks/routing_benchmark.py --errors     # list the current router's misses

Data sets:
  public   tests/evalsets/public/dev_requests.jsonl (workflow, handoffs)
  dev      tests/data/routing_dev.jsonl            (workflow, secondary, handoffs; tuned on)
  heldout  tests/data/routing_heldout.jsonl        (same fields; written before the scorer, never tuned on)

The BASELINE is the router of commit ``BASELINE_COMMIT``: its scoring code is copied
below (``baseline_route`` / ``baseline_handoffs``) and its SKILL.md and agent
definitions are read from that commit with ``git show``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlarchitect.agents.intake.extract import extract_requirements
from mlarchitect.agents.agent_files import AgentCatalog, load_catalog, parse_agent_text
from mlarchitect.agents.handoffs import plan_handoffs
from mlarchitect.agents.routing import match_phrases, mentioned_agents, route_request
from mlarchitect.skills.registry import SkillCatalog, load_skill_catalog, load_skills_dir

ROOT = Path(__file__).resolve().parents[1]
BASELINE_COMMIT = "b5b4a08"
SETS = {
    "public": ROOT / "tests" / "evalsets" / "public" / "dev_requests.jsonl",
    "dev": ROOT / "tests" / "data" / "routing_dev.jsonl",
    "heldout": ROOT / "tests" / "data" / "routing_heldout.jsonl",
}


# --- BASELINE (copy of agents/routing.py and agents/handoffs.py at BASELINE_COMMIT) ----------

def baseline_route(request: str, architect, skills: SkillCatalog) -> str:  # noqa: ANN001
    scores: dict[str, float] = {}
    firsts: dict[str, int] = {}
    for workflow in architect.workflows:
        lead = skills.leading(workflow.id)
        if lead is None:
            continue
        strong = match_phrases(request, lead.triggers)
        weak = match_phrases(request, [h for h in lead.hints if h not in lead.triggers])
        scores[workflow.id] = 3.0 * len(strong) + 1.0 * len(weak)
        firsts[workflow.id] = min((pos for pos, _ in strong), default=10**6)
    if not scores or max(scores.values()) < 3.0:
        return "general"
    return max(scores, key=lambda w: (scores[w], -firsts[w]))


def baseline_handoffs(request: str, architect, catalog: AgentCatalog) -> list[str]:  # noqa: ANN001
    named = set(mentioned_agents(request, catalog))
    names = [*architect.handoff_targets, *named]
    found = []
    for name in dict.fromkeys(names):
        target = catalog.agents.get(name)
        if target is None or name == architect.name:
            continue
        if name in named or match_phrases(request, target.triggers):
            found.append(name)
    return found


def _git_show(path: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), "show", f"{BASELINE_COMMIT}:{path}"],
                          capture_output=True, text=True, check=True).stdout


def baseline_definitions() -> tuple[AgentCatalog, SkillCatalog] | None:
    """The agent and skill definitions of the baseline commit (None without git)."""
    try:
        listing = subprocess.run(["git", "-C", str(ROOT), "ls-tree", "-r", "--name-only", BASELINE_COMMIT],
                                 capture_output=True, text=True, check=True).stdout.split()
        agents = AgentCatalog()
        for path in listing:
            if path.startswith("agents/definitions/") and path.endswith(".md"):
                spec = parse_agent_text(_git_show(path), path)
                spec.builtin = True
                agents.agents[spec.name] = spec
        tmp = Path(tempfile.mkdtemp(prefix="routing-baseline-"))
        for path in listing:
            if path.startswith("skills/") and path.endswith("/SKILL.md"):
                target = tmp / Path(path).parent.name / "SKILL.md"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(_git_show(path), encoding="utf-8")
        return agents, load_skills_dir(tmp, builtin=True)
    except (OSError, subprocess.CalledProcessError):
        return None


# --- measuring ----------------------------------------------------------------------------------

def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def measure(cases: list[dict], route, handoffs) -> dict:  # noqa: ANN001
    wf = sec = ho = 0
    misses = []
    for case in cases:
        workflow, secondary = route(case["request"])
        agents = sorted(handoffs(case["request"]))
        ok_wf = workflow == case["workflow"]
        ok_sec = secondary is not None and sorted(secondary) == sorted(case.get("secondary", []))
        ok_ho = agents == sorted(case.get("handoffs", []))
        wf += ok_wf
        sec += ok_sec
        ho += ok_ho
        if not (ok_wf and ok_ho and (ok_sec or "secondary" not in case)):
            misses.append((case["id"], case["request"], (case["workflow"], case.get("secondary"), case.get("handoffs")),
                           (workflow, secondary, agents)))
    n = len(cases)
    has_secondary = True  # a request without a "secondary" field expects none
    return {"n": n, "workflow": wf / n, "secondary": (sec / n) if has_secondary else None,
            "handoffs": ho / n, "misses": misses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--heldout", action="store_true", help="also score the held-out set")
    parser.add_argument("--errors", action="store_true", help="list the current router's misses")
    args = parser.parse_args()

    agents, skills = load_catalog(), load_skill_catalog()
    architect = agents.agents["ml-system-architect"]
    baseline = baseline_definitions()

    def new_route(text: str) -> tuple[str, list[str]]:
        r = route_request(text, architect, skills, extract_requirements(text))
        return r.workflow, r.secondary

    def new_handoffs(text: str) -> list[str]:
        return [p.agent for p in plan_handoffs(text, architect, agents)]

    names = ["public", "dev", *(["heldout"] if args.heldout else [])]
    rows = []
    for name in names:
        cases = load(SETS[name])
        if baseline is not None:
            b_agents, b_skills = baseline
            b_arch = b_agents.agents["ml-system-architect"]
            old = measure(cases, lambda t: (baseline_route(t, b_arch, b_skills), []),
                          lambda t: baseline_handoffs(t, b_arch, b_agents))
            rows.append((name, "baseline", old))
        rows.append((name, "new", new := measure(cases, new_route, new_handoffs)))
        if args.errors:
            for cid, text, want, got in new["misses"]:
                print(f"  MISS {name}/{cid}: {text}\n       want {want}\n       got  {got}", file=sys.stderr)

    def pct(x: float | None) -> str:
        return "   n/a" if x is None else f"{100 * x:5.1f}%"

    print(f"{'set':8} {'router':9} {'n':>3}  {'workflow':>8} {'secondary':>9} {'handoffs':>8}")
    for name, router, m in rows:
        print(f"{name:8} {router:9} {m['n']:3}  {pct(m['workflow']):>8} {pct(m['secondary']):>9} {pct(m['handoffs']):>8}")

    # speed of the current router after warm-up
    texts = [c["request"] for c in load(SETS["dev"])]
    route_request("warm-up request for the router", architect, skills)
    timings = []
    for text in texts:
        start = time.perf_counter()
        route_request(text + " ", architect, skills)  # a fresh string: no cached request vector
        plan_handoffs(text + " ", architect, agents)
        timings.append((time.perf_counter() - start) * 1000)
    print(f"\nroute_request + plan_handoffs: median {statistics.median(timings):.2f} ms, "
          f"max {max(timings):.2f} ms per request (after warm-up)")

    # what each learned model adds, against the same code without it in the same run; a fresh
    # suffix per round keeps vectors uncached
    from mlarchitect.agents import handoffs as handoff_rules, workflow_model

    with_and_without(texts, "plan_handoffs", "ask model", handoff_rules,
                     lambda text: plan_handoffs(text, architect, agents))
    with_and_without(texts, "route_request", "workflow model", workflow_model,
                     lambda text: route_request(text, architect, skills))
    return 0


def with_and_without(texts: list[str], call: str, model_name: str, module: Any, run: Callable[[str], object]) -> None:
    """Median time of ``run`` per text with ``module.shipped_model`` and with it returning ``None``
    (three interleaved rounds), printed with both figures."""
    shipped = module.shipped_model
    labels = (f"without {model_name}", f"with {model_name}")
    medians: dict[str, list[float]] = {label: [] for label in labels}
    try:
        for round_no in range(3):
            for label, model in zip(labels, (lambda: None, shipped)):
                module.shipped_model = model
                times = []
                for i, text in enumerate(texts):
                    start = time.perf_counter()
                    run(f"{text} (round {round_no} {label} {i})")
                    times.append((time.perf_counter() - start) * 1000)
                medians[label].append(statistics.median(times))
    finally:
        module.shipped_model = shipped
    for label, values in medians.items():
        print(f"{call}, {label}: median of 3 rounds {statistics.median(values):.1f} ms per request "
              f"(rounds: {', '.join(f'{v:.1f}' for v in values)})")


if __name__ == "__main__":
    raise SystemExit(main())
