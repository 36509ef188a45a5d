"""How the offline engine plays a sibling agent: search its skills' patterns for
each part of its contribution, then write each part from the brief (this design's
components, data flows, stated requirements and figures) and those patterns.

Each part of a contribution ("Threat list", "Units under test", "Data
contracts" ...) is written by the writer whose keywords its heading matches;
an agent from a user's pack gets the same writers through its own headings.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.agents.handoffs import Brief
from mlarchitect.skills.registry import SkillCatalog
from mlarchitect.tool_result import ToolResult

Writer = Callable[[Brief], list[str]]

# (keywords in a component's name or technology, threat, control)
_THREATS: list[tuple[str, str, str]] = [
    (r"embed", "text sent for embedding is retained by a provider; vectors can be partly inverted to text",
     "self-hosted embedder for sensitive corpora, or a provider with zero retention; vectors protected like the text"),
    (r"connector|ingest|source|upload", "poisoned or instruction-bearing documents enter the corpus",
     "allow-list sources, keep provenance per document, treat document text as data in every prompt"),
    (r"generat|llm|model|inference|judge", "prompt injection through retrieved text or user input; sensitive data in answers",
     "system prompt that marks context as data, output filtering for secrets and PII, no tools with side effects"),
    (r"vector|index|store|database|postgres|warehouse|lake", "over-broad reads: a query returns chunks or rows the user may not see",
     "ACL metadata filtered inside the query, least-privilege service accounts, encryption at rest"),
    (r"cache", "one user's cached answer served to another with different permissions",
     "cache keys include the user's permission set and the index version"),
    (r"trac|log|monitor|observab", "user text and personal data copied into traces and logs",
     "redact before writing, restrict access, retention matching the data's purpose"),
    (r"gateway|query service|inference service|endpoint|\bapp\b", "unauthenticated or abusive calls; cost exhaustion",
     "authentication, per-user quotas and rate limits, request size limits"),
    (r"label|review|feedback", "reviewers see more data than their task needs",
     "role-based access to review queues, masked fields"),
]
# (keywords, concrete test cases)
_TESTS: list[tuple[str, list[str]]] = [
    (r"connector|ingest", ["re-running ingestion on an unchanged source changes nothing (content hashes)",
                           "a document deleted at the source disappears from every index"]),
    (r"pars|chunk|ocr", ["a heading never ends a chunk; overlap is the configured size",
                         "an unreadable file lands in the dead-letter list, not silently dropped"]),
    (r"embed", ["batch embedding retries a failed batch once and keeps the order of vectors",
                "the same chunk text gives the same vector id (no duplicates)"]),
    (r"vector|keyword|index", ["a query with an ACL filter never returns another group's chunk",
                               "hybrid fusion ranks an exact keyword match in the top 3"]),
    (r"query|retriev|rerank", ["below the similarity threshold the answer is 'no source found'",
                               "the reranker keeps the configured top-k and is skipped on timeout"]),
    (r"generat|inference|model", ["every claim in an answer cites a chunk id present in the context",
                                  "a provider timeout returns the fallback answer within the latency budget"]),
    (r"cache", ["a cache hit is keyed by model and index version: a release invalidates it"]),
    (r"batch|schedul|scoring", ["re-running a partition replaces its rows (idempotent)",
                                "a failed run leaves the previous partition readable"]),
    (r"valid|quality", ["a record breaking the schema goes to quarantine with its reason"]),
    (r"registry|tracking", ["a promoted model links back to its run, data version and commit"]),
    (r"monitor|trac", ["a request produces one trace with a span per stage and its cost"]),
]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _camel(text: str) -> str:
    return "".join(w.capitalize() for w in re.findall(r"[a-z0-9]+", text.lower()))


def _details(brief: Brief) -> list[dict[str, str]]:
    if brief.details:
        return brief.details
    out = []
    for entry in brief.components:
        name, _, responsibility = entry.partition(":")
        out.append({"name": name.strip(), "technology": "", "responsibility": responsibility.strip()})
    return out


def _hosted_names(brief: Brief) -> set[str]:
    return {d["name"] for d in _details(brief) if d.get("hosted")}


def _threats(brief: Brief) -> list[str]:
    lines = []
    for d in _details(brief):
        text = f"{d['name']} {d['technology']}".lower()
        for pattern, threat, control in _THREATS:
            if re.search(pattern, text):
                lines.append(f"- **{d['name']}** ({d['technology'] or 'as designed'}): {threat}. *Control:* {control}.")
                break
        if d.get("hosted"):
            lines.append(f"- **{d['name']}** sends data to an outside provider ({d['technology']}). *Control:* a data "
                         "processing agreement, the provider's retention switched off, and only the fields the call needs.")
    return lines


def _boundaries(brief: Brief) -> list[str]:
    hosted = _hosted_names(brief)
    lines = []
    for flow in brief.flows:
        source, _, rest = flow.partition(" → ")
        target = rest.split(":", 1)[0].strip()
        crossing = "leaves the network" if {source.strip(), target} & hosted else "stays inside the network"
        lines.append(f"- {flow} ({crossing})")
    return lines


def _compliance(brief: Brief) -> list[str]:
    lines = [f"- The design must hold to {c}." for c in brief.constraints]
    lines.append("- Deletion: a person's data is removed from source copies, indexes, caches, traces and backups by "
                 "one job keyed by document and user ids, tested monthly.")
    return lines


def _test_cases(brief: Brief) -> list[str]:
    lines = []
    for d in _details(brief):
        text = f"{d['name']} {d['technology']}".lower()
        cases = next((c for p, c in _TESTS if re.search(p, text)), None)
        if cases:
            lines += [f"- `tests/test_{_slug(d['name'])}.py`: {case}" for case in cases]
    for figure in brief.figures[:2]:
        lines.append(f"- load test: hold {figure.split(' (')[0]} for 10 minutes with the error rate below 0.5%")
    return lines


def _fixtures(brief: Brief) -> list[str]:
    lines = []
    for d in _details(brief):
        tech = d["technology"]
        if re.search(r"PostgreSQL|pgvector", tech):
            lines.append(f"- {d['name']}: a real PostgreSQL with pgvector in a throwaway container or temp cluster")
        elif re.search(r"vLLM|llama|API|model", tech, re.I):
            lines.append(f"- {d['name']}: a scripted fake model server on 127.0.0.1 returning recorded answers")
        elif re.search(r"Redis|Qdrant|Chroma|OpenSearch", tech):
            lines.append(f"- {d['name']}: the real {tech.split(' ')[0]} started by the test session")
    return lines or ["- fakes only where the real component needs the network"]


def _modules(brief: Brief) -> list[str]:
    return [f"- `src/app/{_slug(d['name'])}.py`: {d['responsibility']}" for d in _details(brief)]


def _interfaces(brief: Brief) -> list[str]:
    return [f"- `class {_camel(d['name'])}`: `def run(self, request: {_camel(d['name'])}Request) -> "
            f"{_camel(d['name'])}Result` — {d['technology'] or d['responsibility']}" for d in _details(brief)]


def _contracts(brief: Brief) -> list[str]:
    names = " ".join(d["name"].lower() for d in _details(brief))
    lines = []
    if re.search(r"query|generation|retriev", names):
        lines += ["- `POST /v1/ask` — `AskRequest{question: str, filters: dict, session_id: str | None}` → "
                  "`Answer{text: str, citations: list[Citation], latency_ms: int, cost_usd: float}`; streams with `stream=true` (SSE)",
                  "- `POST /v1/documents` — `DocumentIn{source_id, uri, acl: list[str]}` → `IngestJob{id, status}`; "
                  "`DELETE /v1/documents/{source_id}` removes it from every index"]
    if re.search(r"inference", names):
        lines.append("- `POST /v1/predict` — `PredictRequest{features: dict, request_id}` → "
                     "`Prediction{score: float, model_version: str}`; `503` with `Retry-After` under load")
    if re.search(r"batch", names):
        lines.append("- output table `scores(entity_id, score, model_version, run_date)` partitioned by `run_date`; "
                     "a `runs(run_date, status, rows, started_at, finished_at)` status table")
    if re.search(r"eval|metric", names):
        lines.append("- `EvalResult{example_id, metric, score, model_version, prompt_version, dataset_version}` per example")
    lines.append("- `GET /v1/health` (liveness) and `GET /v1/ready` (dependencies reachable)")
    return lines


def _libraries(brief: Brief) -> list[str]:
    return [f"- {d['technology']} — for {d['name'].lower()}" for d in _details(brief) if d["technology"]]


def _errors(brief: Brief) -> list[str]:
    lines = []
    for d in _details(brief):
        if re.search(r"API|vLLM|service|server|database|PostgreSQL|Redis|Qdrant", d["technology"]):
            lines.append(f"- {d['name']}: timeout, one retry with jittered backoff, then a degraded result the caller can see")
    return lines


def _deployment(brief: Brief) -> list[str]:
    lines = [f"- image `{_slug(d['name'])}` for {d['name']} ({d['technology']}), built from a lock file, tagged with the commit"
             for d in _details(brief) if re.search(r"service|job|worker|server|vLLM|FastAPI", d["technology"] + d["name"], re.I)]
    lines += ["- CI: lint, unit tests, the golden-set evaluation, image build, deploy to staging, smoke test, promote",
              "- rollout: canary with automatic rollback on error rate or latency regressions"]
    return lines


def _figures(brief: Brief) -> list[str]:
    return [f"- {f}" for f in brief.figures[:6]]


def _build_order(brief: Brief) -> list[str]:
    names = [d["name"] for d in _details(brief)]
    if not names:
        return []
    thin = ", ".join(names[: min(4, len(names))])
    return [f"1. A thin end-to-end slice: {thin} (one week)",
            f"2. The remaining components: {', '.join(names[4:]) or 'hardening'} (two weeks)",
            "3. Evaluation gates, monitoring and the load test at the stated figures (one week)"]


_WRITERS: list[tuple[re.Pattern[str], Writer]] = [
    (re.compile(r"threat|attack|finding", re.I), _threats),
    (re.compile(r"boundar|scope|data class|data flow", re.I), _boundaries),
    (re.compile(r"complian|regulat|privacy|gdpr|control", re.I), _compliance),
    (re.compile(r"fixture|fake|mock", re.I), _fixtures),
    (re.compile(r"unit|test|behaviour|failure scenario|coverage", re.I), _test_cases),
    (re.compile(r"module|package|layout|file", re.I), _modules),
    (re.compile(r"interface|signature", re.I), _interfaces),
    (re.compile(r"contract|schema|data model|pydantic|endpoint|api", re.I), _contracts),
    (re.compile(r"librar|dependenc", re.I), _libraries),
    (re.compile(r"error|timeout|retr|fallback", re.I), _errors),
    (re.compile(r"deploy|image|container|ci/cd|pipeline|environment|rollout|infra", re.I), _deployment),
    (re.compile(r"milestone|build order|phase|roadmap", re.I), _build_order),
    (re.compile(r"cost|latenc|budget|figure|sizing|capacity|scal", re.I), _figures),
]


def part_heading(bullet: str) -> str:
    head = re.split(r"[:;]", bullet, maxsplit=1)[0].strip()
    return head[:80] or bullet[:80]


def sibling_queries(persona: AgentSpec, brief: Brief, skills: SkillCatalog) -> list[tuple[str, str]]:
    """(tool name, query) per contribution part, on the persona's first skill with tools."""
    prefix = next((skills.skills[s].tool_prefix for s in (skills.resolve(n) for n in persona.skills)
                   if s and skills.skills[s].tool_prefix), None)
    if prefix is None:
        return []
    topic = brief.workflow.replace("_", " ")
    return [(f"{prefix}_search_patterns", f"{part_heading(b)} {topic}") for b in persona.contribution]


def compose_contribution(persona: AgentSpec, brief: Brief, results: list[ToolResult]) -> tuple[str, str]:
    """(title, markdown) of the persona's section for ``brief``."""
    searches = [r for r in results if r.tool.endswith("_search_patterns")]
    lines = [f"*Brief:* {brief.question}", ""]
    for bullet in persona.contribution or ["Recommendations"]:
        heading = part_heading(bullet)
        lines += [f"#### {heading}", ""]
        writer = next((w for pattern, w in _WRITERS if pattern.search(heading)), None)
        body = writer(brief) if writer is not None else []
        lines += body or [bullet]
        hit = next((r for r in searches if heading.lower()[:30] in r.summary.lower()), None)
        for found in (hit.patterns[:1] if hit else []):
            sentence = re.split(r"(?<=[.!?])\s+", found.excerpt.strip())[0][:240]
            lines.append(f"- Pattern [{found.doc_id}] {found.title}: {sentence}")
        lines.append("")
    title = persona.contribution_title or f"{persona.name} contribution"
    return title, "\n".join(lines).strip()
