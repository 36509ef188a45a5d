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
    (r"registry|tracking server|experiment", ["a promoted model links back to its run, data version and commit"]),
    (r"monitor|trac|observab", ["a request produces one trace with a span per stage and its cost"]),
    (r"eval|feedback|judge|metric", ["the golden-set run fails the build when a gate metric drops beyond its noise band",
                                     "a thumbs-down with a reason lands in the review queue with its trace id"]),
    (r"gateway|api", ["a request without a valid key gets 401 and never reaches the model",
                      "a tenant over its quota gets 429 with Retry-After"]),
    (r"stream|kafka|event|transform|spark|dbt", ["a late or duplicate event changes no aggregate twice (idempotent keys)",
                                                "a schema change upstream fails the job loudly instead of writing nulls"]),
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


def _cases_for(d: dict[str, str]) -> list[str]:
    """The concrete test cases of one component: by its name first, then by its technology."""
    for text in (d["name"].lower(), d["technology"].lower()):
        cases = next((c for p, c in _TESTS if re.search(rf"\b(?:{p})", text)), None)
        if cases:
            return cases
    return []


def _load_figures(brief: Brief) -> list[str]:
    """The figures that are a load to hold (requests or events per second or per day)."""
    return [f.split(" (")[0] for f in brief.figures if re.search(r"requests?|/s\b|qps|rps|events", f, re.I)]


def _test_cases(brief: Brief) -> list[str]:
    lines = []
    for d in _details(brief):
        lines += [f"- `tests/test_{_slug(d['name'])}.py`: {case}" for case in _cases_for(d)]
    for figure in _load_figures(brief)[:1]:
        lines.append(f"- load test (not in the unit suite): hold {figure} for 10 minutes with the error rate below 0.5%")
    return lines


def _failure_scenarios(brief: Brief) -> list[str]:
    """Per external dependency: a timeout, an error and a malformed answer, and what the code does."""
    lines = []
    for d in _details(brief):
        if d.get("hosted") or re.search(r"API|vLLM|server|database|PostgreSQL|Redis|Qdrant|OpenSearch|Kafka|S3|bucket",
                                        d["technology"]):
            lines.append(f"- {d['name']} ({d['technology']}): a timeout → one retry with backoff, then the degraded "
                         "path; a 5xx → the same; a malformed answer → a typed error, logged with the request id")
    return lines or ["- no external dependency: every unit runs in process"]


def _test_layout(brief: Brief) -> list[str]:
    names = [_slug(d["name"]) for d in _details(brief)]
    return (["- `tests/conftest.py`: the shared fixtures (fakes for every model and network call, temp stores)"]
            + [f"- `tests/unit/test_{n}.py` ↔ `src/app/{n}.py`" for n in names]
            + ["- `tests/integration/`: the real local stores, marked `integration` and run in CI, never against "
               "a live provider"])


def _coverage(brief: Brief) -> list[str]:
    details = _details(brief)
    hosted = [d["name"] for d in details if d.get("hosted")]
    lines = ["- 85% line coverage on `src/app`, 100% on the parsing and validation of inputs"]
    if hosted:
        lines.append(f"- excluded: the thin clients of {', '.join(hosted)} (exercised through their fakes; "
                     "their real calls belong to the integration run)")
    lines.append("- excluded: the CLI entry point and settings loading (covered by one smoke test)")
    return lines


def _sample_test(brief: Brief) -> list[str]:
    details = _details(brief)
    risky = next((d for d in details if re.search(r"generat|query|inference|scor|transform", d["name"], re.I)),
                 details[0] if details else None)
    if risky is None:
        return []
    name, cases = _slug(risky["name"]), _cases_for(risky) or ["returns a typed result for a valid input"]
    test = _slug(cases[0])[:60]
    return ["```python",
            f"def test_{test}(fake_model, tmp_store) -> None:",
            f"    component = {_camel(risky['name'])}(model=fake_model, store=tmp_store)",
            f"    result = component.run({_camel(risky['name'])}Request.example())",
            f"    assert result.ok  # {cases[0]}",
            "```"]


def _fixtures(brief: Brief) -> list[str]:
    lines = []
    for d in _details(brief):
        name, tech = d["name"], d["technology"]
        if re.search(r"connector|ingest|source", name, re.I):
            lines.append(f"- {name}: a temp folder of sample files and a fake export API on 127.0.0.1 with recorded responses")
        elif re.search(r"embed", name, re.I):
            lines.append(f"- {name}: a deterministic fake embedder (a hash of the text → a fixed-size vector)")
        elif re.search(r"PostgreSQL|pgvector", tech):
            lines.append(f"- {name}: a real PostgreSQL with pgvector in a throwaway container or temp cluster")
        elif re.search(r"Redis|Qdrant|Chroma|OpenSearch|DuckDB|SQLite", tech):
            lines.append(f"- {name}: the real {tech.split(' ')[0]} on a temp directory, started by the test session")
        elif d.get("hosted") or re.search(r"\b(?:vLLM|llama|gpt|claude|gemini|OpenAI|Bedrock|Vertex|LLM)", tech, re.I):
            lines.append(f"- {name}: a scripted fake model server on 127.0.0.1 returning recorded answers")
        elif re.search(r"FastAPI|Flask|service", tech, re.I):
            lines.append(f"- {name}: the app under FastAPI's TestClient, with the fakes above injected")
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


def _streaming(brief: Brief) -> list[str]:
    names = " ".join(d["name"].lower() for d in _details(brief))
    lines = []
    if re.search(r"generat|query|inference", names):
        lines.append("- answers stream as server-sent events (`stream=true`): the first event carries the request id, "
                     "the last one the citations, token counts and cost")
    lines.append("- long-running work (ingestion, batch runs, evaluations) is a job resource: `POST /v1/jobs` → `202` "
                 "with `Location`, `GET /v1/jobs/{id}` for status, a webhook on completion; no request waits on it")
    return lines


_ENTITIES: list[tuple[str, str]] = [
    (r"connector|ingest|pars|chunk", "`documents(id, source_id, uri, acl, content_hash, updated_at)` and "
                                     "`chunks(id, document_id, ordinal, text, embedding_version)`, indexed on `source_id`"),
    (r"generat|query", "`answers(id, request_id, question, answer, citations jsonb, model_version, cost_usd, created_at)`"),
    (r"feedback|eval", "`feedback(answer_id, rating, reason, reviewer, created_at)`"),
    (r"inference|scor|batch", "`predictions(request_id, entity_id, score, model_version, created_at)` partitioned by day"),
    (r"registry|tracking", "`runs(id, experiment, git_commit, data_version, params jsonb, metrics jsonb, created_at)`"),
]


def _entities(brief: Brief) -> list[str]:
    names = " ".join(d["name"].lower() for d in _details(brief))
    retention = next((c for c in brief.constraints if c.startswith("retention")), "")
    keep = f"kept as stated ({retention})" if retention else "kept 13 months unless a deletion request removes them sooner"
    lines = [f"- {table}" for pattern, table in _ENTITIES if re.search(pattern, names)]
    return lines + [f"- retention: request and answer rows {keep}; every table has `created_at` for the retention job"]


def _auth(brief: Brief) -> list[str]:
    tenants = any(re.search(r"tenant|customer|client", c, re.I) for c in brief.constraints)
    return ["- people sign in through the company's SSO (OIDC); services call with per-client API keys held in the "
            "secret store and rotated every 90 days",
            "- authorisation: every read filters by the caller's groups (the ACLs carried from the sources)",
            f"- quotas per {'tenant' if tenants else 'client'}: requests per minute and tokens per day, enforced at the "
            "gateway; `429` with `Retry-After` when exceeded",
            "- metering: tokens, model calls and cost per request written with the caller's id, summed daily"]


def _load(brief: Brief) -> list[str]:
    loads = _load_figures(brief)
    storage = [f.split(" (")[0] for f in brief.figures if re.search(r"\bGB\b|TB|storage|memory", f)]
    return ([f"- {f}" for f in loads[:3]] or ["- the load is not stated: size for the assumed peak and measure"]) + \
        [f"- {f}" for f in storage[:3]]


def _datasets(brief: Brief) -> list[str]:
    return ["- a golden set in git or object storage with a version, a content hash and a changelog; a change is a new version",
            "- a monthly stratified sample of production traffic added for review before it joins the set",
            f"- every run records the dataset version next to the {brief.workflow.replace('_', ' ')} version it scored"]


def _scorers(brief: Brief) -> list[str]:
    details = _details(brief)
    metric = next((d for d in details if re.search(r"metric|scor|judge", d["name"], re.I)), None)
    lines = [f"- {metric['technology']}: {metric['responsibility']}"] if metric else []
    lines += [f"- stated target: {c}" for c in brief.constraints if re.search(r"target|criteria|quality", c)]
    return lines + ["- each scorer returns a score and a reason per example; confidence intervals by bootstrap over examples"]


def _ci(brief: Brief) -> list[str]:
    return ["- on every pull request: the smoke subset (50-200 examples) in under 10 minutes, as a required check",
            "- nightly and before a release: the full golden set; results posted to the pull request and the dashboard",
            "- the job runs with the fakes' recorded answers for unit tests and the real model only in the eval run"]


def _gates(brief: Brief) -> list[str]:
    targets = [c for c in brief.constraints if re.search(r"target", c)]
    return ([f"- {t}: a release below it does not ship" for t in targets]
            or ["- no gate metric may drop beyond its bootstrap confidence interval against the current release"]) + \
        ["- a gate failure blocks the merge; an override needs a named approver and is recorded"]


def _reporting(brief: Brief) -> list[str]:
    return ["- one report per run: scores per metric and slice with intervals, the diff against the baseline, the "
            "ten worst examples with their inputs and outputs",
            "- a trend dashboard per metric across versions, linked from the pull request check"]


def _topology(brief: Brief) -> list[str]:
    lines = [f"- {d['name']}: {d['technology'] or 'as designed'}" + (" (outside provider: egress allowed only to it)"
                                                                    if d.get("hosted") else "") for d in _details(brief)]
    where = [c for c in brief.constraints if re.search(r"deployment|cloud|residency|region", c)]
    return lines + [f"- placement: {w}" for w in where]


def _packaging(brief: Brief) -> list[str]:
    return [line for line in _deployment(brief) if line.startswith("- image")] or \
        ["- one image per service, built from a lock file, tagged with the commit, scanned before push"]


def _operations(brief: Brief) -> list[str]:
    return ["- SLOs: availability and p95 latency per endpoint, alerting on burn rate, not single spikes",
            "- runbooks for the provider outage, the stuck job and the full disk, each with its rollback",
            "- backups of every store nightly, with a restore tested every quarter",
            "- upgrades: dependencies monthly through the same pipeline, model versions through the registry"]


def _cost_by_component(brief: Brief) -> list[str]:
    money = [f for f in brief.figures if "$" in f or "USD" in f]
    return [f"- {f}" for f in money[:6]] or [f"- {d['name']}: priced in the design's cost analysis" for d in _details(brief)]


def _iac(brief: Brief) -> list[str]:
    names = [_slug(d["name"]) for d in _details(brief)]
    return ["- `modules/network`, `modules/identity` first (shared by every service)"] + \
        [f"- `modules/{n}`" for n in names] + ["- rollout order: staging end to end, then production one module at a time"]


def _baseline(brief: Brief) -> list[str]:
    return [f"- {f}" for f in brief.figures[:4]] + \
        ["- measure first: per-stage latency and tokens per request from the traces, a week of production traffic"]


def _opportunities(brief: Brief) -> list[str]:
    names = " ".join(f"{d['name']} {d['technology']}" for d in _details(brief)).lower()
    ranked = []
    if re.search(r"generat|llm|gpt|claude|gemini|vllm", names):
        ranked += ["1. provider prompt caching for the fixed system prompt and few-shot block (largest, no quality risk)",
                   "2. route easy questions to a smaller model, measured against the golden set",
                   "3. trim the context: fewer, better chunks after reranking"]
    if "cache" in names:
        ranked.append(f"{len(ranked) + 1}. a semantic answer cache keyed by the index version")
    if re.search(r"gpu|vllm|inference", names):
        ranked.append(f"{len(ranked) + 1}. batch and quantize on the GPUs: higher throughput per GPU before adding GPUs")
    return ranked or ["1. the largest line of the cost analysis first, then the next, each measured"]


def _quality_guard(brief: Brief) -> list[str]:
    return ["- every change runs the golden set; it ships only if no gate metric drops beyond its noise band",
            "- a share of traffic on the cheaper path is compared with the full path for a week before the switch"]


def _diagnosis(brief: Brief) -> list[str]:
    details = _details(brief)
    chunking = next((d["technology"] for d in details if re.search(r"chunk|pars", d["name"], re.I)), "the chunker")
    embed = next((d["technology"] for d in details if re.search(r"embed", d["name"], re.I)), "the embedder")
    return [f"- recall@k per query type on the evaluation set: is the right passage retrieved at all ({embed})?",
            f"- chunk boundaries ({chunking}): is the answer split across chunks or buried in a long one?",
            "- filters and versions: does a metadata or version filter exclude the right document?",
            "- ranking: is the right passage retrieved but ranked below the cut-off (a reranker's job)?"]


def _experiments(brief: Brief) -> list[str]:
    return ["- chunk size 256 / 512 / 1,024 tokens × overlap 0 / 64",
            "- embedder: the current one against a stronger and a multilingual one, on the same evaluation set",
            "- hybrid weight of BM25 0 / 0.3 / 0.5; reranker off / on with top-20 / top-50 candidates",
            "- each cell scored on recall@5 and nDCG@10 with intervals; the cheapest cell within the best interval wins"]


def _configuration(brief: Brief) -> list[str]:
    return [f"- {d['name']}: {d['technology']}" for d in _details(brief)
            if re.search(r"chunk|embed|vector|keyword|rerank|query", d["name"], re.I)]


def _reindex(brief: Brief) -> list[str]:
    return ["- build the new index next to the old one under a new version; switch the alias after the evaluation set "
            "passes; keep the old one a week for rollback",
            "- re-embed only chunks whose text or embedder version changed (content hashes)"]


def _residual(brief: Brief) -> list[str]:
    hosted = [d["name"] for d in _details(brief) if d.get("hosted")]
    lines = [f"- {h}: data still leaves the network under contract; watch the provider's retention and region settings"
             for h in hosted]
    return lines + ["- prompt injection cannot be ruled out: alert on answers that quote instructions or leak system "
                    "text, and review a sample weekly"]


def _versioning(brief: Brief) -> list[str]:
    return ["- the API version is in the path (`/v1`); a breaking change ships as `/v2` with `/v1` kept six months "
            "and its callers listed before it is removed",
            "- schema changes expand, backfill, switch, then contract: no release needs old and new code to stop at once",
            "- every response carries the model and index versions, so a client can tell which answered"]


def _controls(brief: Brief) -> list[str]:
    lines = []
    for d in _details(brief):
        text = f"{d['name']} {d['technology']}".lower()
        control = next((c for p, _, c in _THREATS if re.search(p, text)), None)
        if control:
            lines.append(f"- {d['name']}: {control}")
    return lines


def _privacy(brief: Brief) -> list[str]:
    personal = [c for c in brief.constraints if re.search(r"gdpr|hipaa|pii|personal|compliance", c, re.I)]
    return ([f"- applies: {c}" for c in personal] or ["- no regulation is stated: confirm which data classes flow "
                                                       "before launch"]) + \
        ["- purpose and minimisation: each flow carries only the fields its step needs; identifiers are pseudonymised "
         "in logs and traces",
         "- a data protection impact assessment before launch when personal data reaches a model or a provider"]


def _projection(brief: Brief) -> list[str]:
    money = [f.split(" (")[0] for f in brief.figures if "$" in f or "USD" in f]
    budget = [c for c in brief.constraints if "budget" in c]
    return [f"- now: {m}" for m in money[:3]] + [f"- against {b}" for b in budget] + \
        ["- after each change: the same lines re-estimated from a week of measured traffic, not from list prices"]


def _scaling(brief: Brief) -> list[str]:
    loads = _load_figures(brief)
    at = f" at {loads[0]}" if loads else ""
    sized = [f"- sized: {f.split(' (')[0]}" for f in brief.figures if re.search(r"replica|gpu|instance|node|worker", f, re.I)]
    return sized[:4] + [f"- scale on in-flight requests (or queue depth for workers), not CPU: a target per replica measured in "
            f"the load test{at}",
            "- a minimum of two replicas for anything user-facing; scale to zero only for batch workers",
            "- GPU capacity is added only after batching and quantization are exhausted"]


def _corpus_risks(brief: Brief) -> list[str]:
    return ["- document types the parser handles poorly (scans, tables, diagrams): measured as their own slice",
            "- topics with few documents: questions there are answered with 'no source found' and logged for authors",
            "- stale versions: answers citing a superseded document are flagged by the version filter's tests"]


def _context(brief: Brief) -> list[str]:
    return [f"- {f}" for f in brief.flows] or [f"- {d['name']}" for d in _details(brief)]


def _nonfunctional(brief: Brief) -> list[str]:
    stated = [c for c in brief.constraints if re.search(r"latency|budget|residency|compliance|deployment|users|load", c)]
    return [f"- {c}" for c in stated] + ["- availability 99.5% in working hours for an internal tool, "
                                         "99.9% for a customer-facing one; recovery point one day"]


def _decisions(brief: Brief) -> list[str]:
    return [f"- ADR-{i}: {d['name']} on {d['technology']} — {d['responsibility']}"
            for i, d in enumerate(_details(brief), start=1) if d["technology"]][:6]


def _platform_risks(brief: Brief) -> list[str]:
    hosted = [d["name"] for d in _details(brief) if d.get("hosted")]
    return [f"- {h} depends on an outside provider: its outages and price changes are platform risks" for h in hosted] + \
        ["- ownership: each component has one owning team; shared stores get a named owner before go-live"]


def _build_order(brief: Brief) -> list[str]:
    names = [d["name"] for d in _details(brief)]
    if not names:
        return []
    thin = ", ".join(names[: min(4, len(names))])
    return [f"1. A thin end-to-end slice: {thin} (one week)",
            f"2. The remaining components: {', '.join(names[4:]) or 'hardening'} (two weeks)",
            "3. Evaluation gates, monitoring and the load test at the stated figures (one week)"]


# the first pattern a part's heading matches (at a word start) picks its writer: specific ones first
_WRITERS: list[tuple[re.Pattern[str], Writer]] = [(re.compile(rf"\b(?:{p})", re.I), w) for p, w in [
    (r"residual", _residual),
    (r"migration and versioning|versioning strategy", _versioning),
    (r"required controls|controls mapped", _controls),
    (r"privacy assessment", _privacy),
    (r"projected cost", _projection),
    (r"scaling policy", _scaling),
    (r"corpus areas|poorly served", _corpus_risks),
    (r"threat|attack|finding", _threats),
    (r"boundar|scope|data class|data flow", _boundaries),
    (r"complian|regulat|privacy|gdpr|controls?\b", _compliance),
    (r"fixture|fake|mock", _fixtures),
    (r"failure scenario", _failure_scenarios),
    (r"test file layout|layout mirroring", _test_layout),
    (r"coverage", _coverage),
    (r"sample test|code sample", _sample_test),
    (r"units? under test|test plan|behaviours", _test_cases),
    (r"streaming|long-running", _streaming),
    (r"entity|entities|tables?\b", _entities),
    (r"authenticat|authoris|authoriz|quota|metering", _auth),
    (r"expected load|storage growth", _load),
    (r"dataset handling|evaluation set", _datasets),
    (r"scorer", _scorers),
    (r"ci integration", _ci),
    (r"gate", _gates),
    (r"reporting", _reporting),
    (r"target platform|topology", _topology),
    (r"packaging", _packaging),
    (r"operations", _operations),
    (r"cost per month by component|infrastructure cost", _cost_by_component),
    (r"infrastructure-as-code|iac", _iac),
    (r"baseline", _baseline),
    (r"ranked opportunit|opportunit", _opportunities),
    (r"quality guard", _quality_guard),
    (r"diagnos", _diagnosis),
    (r"experiment matrix", _experiments),
    (r"recommended configuration", _configuration),
    (r"re-?index", _reindex),
    (r"open risks|platform-level risks", _platform_risks),
    (r"context diagram", _context),
    (r"non-functional", _nonfunctional),
    (r"decision records?", _decisions),
    (r"integration points?", _failure_scenarios),
    (r"module|package|layout|files?\b", _modules),
    (r"interface|signature", _interfaces),
    (r"contract|schema|data model|pydantic|endpoint|api", _contracts),
    (r"librar|dependenc", _libraries),
    (r"error|timeout|retr|fallback", _errors),
    (r"deploy|image|container|ci/cd|pipeline|environment|rollout|infra", _deployment),
    (r"milestone|build order|phase|roadmap|effort", _build_order),
    (r"cost|latenc|budget|figure|sizing|capacity|scal", _figures),
]]


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
