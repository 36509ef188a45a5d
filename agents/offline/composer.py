"""Compose the design content deterministically from the request, the
architect's workflow steps and the skill tools' results (the offline engine's
"writing" step)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from mlarchitect.agents.agent_spec import AgentSpec, WorkflowSpec
from mlarchitect.deliverable import (
    Alternative,
    Calculation,
    Component,
    CostAnalysis,
    CostItem,
    DataFlow,
    DataPipelineArchitecture,
    DesignContent,
    DesignStep,
    EvaluationFramework,
    ExperimentTrackingSetup,
    RejectedOption,
    Risk,
    ServingSpecification,
)
from mlarchitect.mermaid import build_flowchart
from mlarchitect.money import money, rate_note
from mlarchitect.render_markdown import human_number
from mlarchitect.requirements import Requirements, affirmed
from mlarchitect.tool_result import ToolResult, find_result
from mlarchitect.skills.registry import SkillCatalog

_WORD = re.compile(r"[a-z][a-z0-9-]{3,}")
_STOP = frozenset(
    "with that this from into each when then than they their them your have will should "
    "every only also more most over under about after before which where while using used".split()
)


def _words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP}


# "no real-time serving", "without Kubernetes", "we don't want a vector database": what
# follows such a word (up to the clause's end, a few words) is refused, not asked for
_REFUSAL = re.compile(r"\b(?:no|not|without|never|avoid|don't|doesn't|do not|does not|won't|cannot|can't)\s+"
                      r"((?:[a-z][\w-]*\s+){0,3}[a-z][\w-]*)", re.IGNORECASE)
_NOT_A_THING = frozenset("more less than longer need needs want have using use allowed able access".split())


def refused_words(request: str) -> set[str]:
    """Distinctive words the request refuses ("no real-time serving" → real-time, serving):
    they make no practice relevant to it."""
    return {w for phrase in _refusals(request) for w in phrase}


def _refusals(request: str) -> list[list[str]]:
    out: list[list[str]] = []
    for clause in re.split(r"[,;.:!?\n]|\b(?:but|and|so)\b", request):
        for match in _REFUSAL.finditer(clause):
            words = [w for w in _WORD.findall(match.group(1).lower())
                     if w not in _STOP and len(w) > 3 and w not in _NOT_A_THING]
            if words:
                out.append(words)
    return out


def _refused_label(point: str, refused: set[str]) -> bool:
    """A practice whose label ("Real-time API: ...") names a refused thing."""
    label, sep, _ = point.partition(":")
    return bool(sep) and len(label) < 40 and bool(_words(label) & refused)


def workflows_for(architect: AgentSpec, catalog: SkillCatalog, workflow: str,
                  skills: list[str]) -> list[WorkflowSpec]:
    """The architect's workflow; for ``general``, every workflow whose leading skill was chosen."""
    spec = architect.workflow(workflow)
    if spec is not None:
        return [spec]
    return [w for w in architect.workflows if (lead := catalog.leading(w.id)) is not None and lead.name in skills]


def compose_design(
    request: str,
    workflow: str,
    req: Requirements,
    architect: AgentSpec,
    catalog: SkillCatalog,
    skills: list[str],
    results: list[ToolResult],
) -> DesignContent:
    specs = workflows_for(architect, catalog, workflow, skills)
    archs = [r.data for r in results if r.tool.endswith("_design_architecture")]
    # the reason for each choice is written once, under Alternatives and trade-offs
    components = [Component.model_validate({**{k: v for k, v in c.items() if k != "hosted"},
                                            "decisions": [d for d in c.get("decisions", [])
                                                          if not d.startswith("Chosen because")]})
                  for b in archs for c in b.get("components", [])]
    flows = [DataFlow(source=f[0], target=f[1], description=f[2] if len(f) > 2 else "")
             for b in archs for f in b.get("data_flows", [])]
    components.extend(_teams_platform(request, req, components))
    chosen_words = {w for c in components for w in _words(c.technology)}
    vague = is_vague(request, req)
    refused = refused_words(request)
    said = _words(request) - refused
    steps = _steps(specs, results, prefix=len(specs) > 1, focus=said | chosen_words,
                   asked=said | _fact_words(req), vague=vague,
                   refused={phrase[0] for phrase in _refusals(request)},
                   classic=req.model_kind is not None and req.model_kind.value == "classic_ml",
                   on_devices=affirmed(req.edge_devices))
    calcs = _calculations(results)
    cost = _cost(results, req)
    risks = [Risk.model_validate(r) for b in archs for r in b.get("risks", [])]
    risks.extend(_fact_risks(req, cost, workflow))
    # a vague request's alternatives depend on the answers to its open questions: the
    # options it beat are not listed until the request says what rules them out
    alternatives = [Alternative(decision=c["title"], chosen=c["chosen"]["name"] if c.get("chosen") else "none",
                                why=c.get("why", ""), rejected=[] if vague else _considered(c.get("rejected", [])))
                    for b in archs for c in b.get("choices", [])]
    unsatisfied = [u for b in archs for u in b.get("unsatisfied", [])]
    content = DesignContent(
        title=" + ".join(b.get("title", "") for b in archs) or "ML system architecture",
        summary=_summary(request, specs, components, calcs, cost, req, unsatisfied)
        + (VAGUE_NOTE if vague else ""),
        components=components,
        data_flows=flows,
        diagram_mermaid=build_flowchart(components, flows),
        steps=steps,
        sizing=calcs,
        risks=risks,
        cost_analysis=cost,
        alternatives=alternatives,
        open_questions=_open_questions(req, workflow, vague=vague),
    )
    _workflow_sections(content, archs, req, results)
    if vague:
        _reduce_sections(content)
    _drop_repeated_practices(content)
    return content


REPEAT_MIN_SHARED = 0.5  # a practice sharing this share of its words with a section line says it again


# "something like W&B", "Kafka or Kinesis?": a tool compared or asked about is not the team's
_COMPARED = re.compile(r"\b(?:like|such\s+as|similar\s+to|e\.g\.|alternatives?\s+to|vs\.?|versus|or|than|either|whether)\s+"
                       r"(?:[\w&-]+\s+){0,2}$", re.I)


def _teams_platform(request: str, req: Requirements, components: list[Component]) -> list[Component]:
    """One component for what the team already runs and the request names, when no chosen component
    names it: the design runs on it and plugs into it ("our OpenShift", "secrets in Vault", "Okta SSO").
    A name the request rules out (the catalogue's test: "moving off Airflow"), compares or asks about
    is not the team's."""
    from mlarchitect.skills.catalogue import ruled_out_at

    named = " ".join(f"{c.name} {c.technology}" for c in components).lower()
    low = request.lower()
    kept: list[str] = []
    for fact in req.existing_stack:
        quote = fact.quote.strip()
        if not fact.stated or not quote or quote.lower() in named or fact.value in named or quote in kept:
            continue
        at = low.find(quote.lower())
        if at < 0 or ruled_out_at(low, at, at + len(quote)):  # "moving off Airflow", "no Kafka"
            continue
        end = min((i for i in (low.find(mark, at) for mark in ".;!?\n") if i >= 0), default=len(low))
        asked = low[end:end + 1] == "?"  # "should we use Kafka or Kinesis?"
        if not asked and not _COMPARED.search(low[max(0, at - 40):at]):
            kept.append(quote)
    if not kept:
        return []
    return [Component(
        name="The team's existing platform",
        technology=", ".join(kept),
        responsibility="Named in the request and reused, not duplicated: the components above run on it and plug into "
                       "it (hosting, identity, secrets, CI, scheduling, data stores)")]


def _drop_repeated_practices(content: DesignContent) -> None:
    """A workflow practice that repeats a line of the workflow's own section (evaluation
    framework, serving specification ...) or a component's responsibility is said once."""
    said: list[set[str]] = [_words(f"{c.name} {c.responsibility}") for c in content.components]
    for section in (content.evaluation_framework, content.serving_specification,
                    content.experiment_tracking, content.data_pipeline):
        if section is None:
            continue
        for value in section.model_dump().values():
            for line in value if isinstance(value, list) else [value]:
                if isinstance(line, str) and line.strip():
                    said.append(_words(line))
    for step in content.steps:
        kept = []
        for decision in step.decisions:
            words = _words(decision)
            repeated = bool(words) and any(len(words & other) >= max(3, REPEAT_MIN_SHARED * len(words))
                                           for other in said)
            if not repeated or decision.startswith("Schema:"):
                kept.append(decision)
        step.decisions = kept


def _rejected_terms(results: list[ToolResult]) -> set[str]:
    """Distinctive names of options this request ruled out (Qdrant, Redis, Cohere ...)."""
    chosen_words: set[str] = set()
    rejected: set[str] = set()
    for r in results:
        for choice in r.data.get("choices", []) if r.tool.endswith("_design_architecture") else []:
            if choice.get("chosen"):
                chosen_words |= _words(choice["chosen"]["name"])
            for x in choice.get("rejected", []):
                first = re.split(r"[\s(/,]+", x["option"].strip())[0].lower()
                # a short name counts when it has a digit ("s3"): "api" or "a" would match everywhere
                if (len(first) > 3 or (len(first) > 1 and re.search(r"\d", first))) and first not in (
                        "managed", "the", "self-hosted", "local"):
                    rejected.add(first)
    return rejected - chosen_words


PRACTICES_PER_STEP = 3
GENERAL_PRACTICES_PER_STEP = 1


VAGUE_MAX_WORDS = 12
VAGUE_MAX_STATED = 1
VAGUE_PRACTICES_PER_STEP = 2
VAGUE_SECTION_LINES = 2  # lines kept per part of a workflow section
VAGUE_NOTE = (" The request says little, so this is a short starting design built on the assumptions"
              " listed below; the open questions say what would change it.")


def is_vague(request: str, req: Requirements) -> bool:
    """A short request that states at most one fact ("eval for our chatbot"): its design
    should say what it assumed and ask, not print every default at full length."""
    return len(request.split()) <= VAGUE_MAX_WORDS and len(req.stated_facts()) <= VAGUE_MAX_STATED


def _reduce_sections(content: DesignContent) -> None:
    """A vague request's workflow section keeps the leading lines of each part: the rest
    depends on facts the request has not given yet."""
    for name in ("evaluation_framework", "serving_specification", "experiment_tracking", "data_pipeline"):
        section = getattr(content, name)
        if section is None:
            continue
        for field, value in section.model_dump().items():
            if isinstance(value, list) and len(value) > VAGUE_SECTION_LINES:
                setattr(section, field, value[:VAGUE_SECTION_LINES])


# what only an LLM system has: left out of a classic model's steps
_LLM_ONLY = re.compile(r"\b(?:llms?|prompts?|rag|retrieval|judges?|rouge(?:-l)?|bleu|tokens?|fine-?tun\w*|lora|citations?|refusals?|"
                       r"summari[sz]\w*|hallucinat\w*|faithfulness|chunk\w*|embeddings?|generat\w+ answers?)\b", re.I)


# what only a server answering requests has: left out of the steps of a model that runs on devices
_SERVER_ONLY = re.compile(r"\b(?:redis|celery|arq|sqs|task queue|job id|provider batch apis?|second-provider|replicas?|"
                          r"load balancers?|autoscal\w*|endpoints?)\b", re.I)


VOCABULARY_MIN_PRACTICES = 4  # a word in this many of a workflow's practices is the workflow's, not the request's


def _workflow_vocabulary(spec: WorkflowSpec) -> set[str]:
    """Words that appear in at least ``VOCABULARY_MIN_PRACTICES`` of the workflow's practices."""
    counts = Counter(w for step in spec.steps for p in step.points for w in _words(p))
    return {w for w, n in counts.items() if n >= VOCABULARY_MIN_PRACTICES}


def _steps(specs: list[WorkflowSpec], results: list[ToolResult], *, prefix: bool,
           focus: set[str] | None = None, asked: set[str] | None = None, vague: bool = False,
           refused: set[str] = frozenset(), classic: bool = False, on_devices: bool = False) -> list[DesignStep]:
    """Each workflow step: this request's decisions first, then the practices that
    matter most for it (those closest to the request and the chosen components; a
    practice naming an option the constraints ruled out is dropped). A practice sharing
    no word with the request (``asked``) but the workflow's own vocabulary is general
    advice: at most ``GENERAL_PRACTICES_PER_STEP`` of those per step. For a ``classic`` model (no LLM), practices
    and patterns about prompts, judges, retrieval or fine-tuning are left out; for a model that runs ``on_devices``,
    practices about server replicas, queues and caches."""
    steps: list[DesignStep] = []
    vocab: list[set[str]] = []
    ruled_out = _rejected_terms(results)
    focus = focus or set()
    asked = focus if asked is None else asked
    for spec in specs:
        # the workflow's own vocabulary ("runs", "training" for tracking) says nothing about this request
        said = asked - _workflow_vocabulary(spec)
        for step in spec.steps:
            title = f"{spec.title}: {step.title}" if prefix else step.title
            allowed = [p for p in step.points if not any(t in p.lower() for t in ruled_out)
                       and not _refused_label(p, refused) and not (classic and _LLM_ONLY.search(p))
                       and not (on_devices and _SERVER_ONLY.search(p))]
            ranked = sorted(allowed, key=lambda p: (-len(_words(p) & said), -len(_words(p) & focus)))
            specific = [p for p in ranked if _words(p) & said]
            general = [p for p in ranked if not _words(p) & said][:GENERAL_PRACTICES_PER_STEP]
            keep = set([*specific, *general][:VAGUE_PRACTICES_PER_STEP if vague else PRACTICES_PER_STEP])
            decisions = [p for p in allowed if p in keep]
            if step.code:
                decisions.append(f"Schema:\n```python\n{step.code}\n```")
            steps.append(DesignStep(title=title, decisions=decisions))
            vocab.append(_words(step.title + " " + " ".join(step.points)))
    if not steps:
        return steps
    # a vague request gets no pattern excerpts in its steps (they stay under Sources)
    searches = [] if vague else [r for r in results if r.tool.endswith("_search_patterns")]
    seen_docs: set[str] = set()
    for result in searches:
        index = _best_step(vocab, result.summary + " " + result.data.get("query", ""))
        for hit in result.patterns:
            sentence = _first_sentences(hit.excerpt)
            if hit.doc_id in seen_docs or (classic and _LLM_ONLY.search(f"{hit.doc_id} {hit.title} {sentence}")):
                continue
            seen_docs.add(hit.doc_id)
            target = _best_step(vocab, hit.title + " " + hit.excerpt) if index is None else index
            steps[target if target is not None else 0].notes.append(f"[{hit.doc_id}] {hit.title}: {sentence}")
    specific: list[list[str]] = [[] for _ in steps]
    for result in results:
        if result.tool.endswith("_search_patterns"):
            continue
        if result.skill == "cost-analysis":  # its assumptions and optimizations are listed under Cost analysis
            continue
        for rec in result.recommendations:
            if result.tool.endswith("_design_architecture") and not rec.startswith("Unresolved:"):
                continue  # a component choice: stated under Components and Alternatives and trade-offs
            target = _best_step(vocab, rec)
            specific[target if target is not None else len(steps) - 1].append(rec)
    for step, first in zip(steps, specific):
        step.decisions = [*first, *step.decisions]
    return steps


def _fact_words(req: Requirements) -> set[str]:
    """Words of the request's stated facts (their quotes and values): what it is about."""
    words: set[str] = set()
    for _, fact in req.stated_facts():
        words |= _words(f"{fact.quote} {fact.value if isinstance(fact.value, str) else ''}")
    words |= {w for lang in req.languages for w in _words(lang)}
    return words


def _best_step(vocab: list[set[str]], text: str) -> int | None:
    words = _words(text)
    scores = [len(words & v) for v in vocab]
    best = max(scores, default=0)
    return scores.index(best) if best > 0 else None


_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\b\d\.)(?<!\b\d\d\.)(?<!\be\.g\.)(?<!\bi\.e\.)\s+")


def _first_sentences(text: str, limit: int = 260) -> str:
    """Whole sentences up to ``limit`` characters; a cut sentence ends with "…"."""
    text = re.sub(r"(?m)^#+\s*", "", text).strip()
    out = ""
    for part in _SENTENCE_END.split(text):
        if len(out) + len(part) + 1 > limit and out:
            break
        out = f"{out} {part}".strip()
    out = re.sub(r"\s+\d{1,2}\.$", "", out)  # a list number is not a sentence end
    if len(out) > limit:
        out = out[: limit - 1].rsplit(" ", 1)[0]
    if not out.endswith((".", "!", "?", "…")):
        out = out.rstrip(" ,;:-–—") + "…"
    return out


RUNNERS_UP = 2  # options that only ranked lower, listed per key choice (the ones the request rules out are all listed)


def _considered(rejected: list[dict[str, Any]]) -> list[RejectedOption]:
    """The options a choice beat that matter for this request: every one a limit of the request
    rules out, and the best ``RUNNERS_UP`` of those that only ranked lower (in rank order)."""
    lower = [r for r in rejected if not r.get("ruled_out", True)][:RUNNERS_UP]
    return [RejectedOption(option=r["option"], why=r["why"]) for r in rejected if r.get("ruled_out", True) or r in lower]


def _calculations(results: Iterable[ToolResult]) -> list[Calculation]:
    """Sizing figures (money goes to the cost analysis, not the sizing table)."""
    seen: dict[str, Calculation] = {}
    for result in results:
        for calc in result.calculations:
            if calc.unit != "USD/month":
                seen.setdefault(calc.name, calc)
    return list(seen.values())


def _cost(results: list[ToolResult], req: Requirements) -> CostAnalysis:
    priced = find_result(results, "cost_estimate_design")
    llm = find_result(results, "cost_estimate_llm")
    items = [CostItem(item=c.name, monthly_usd=c.value, basis=c.formula)
             for r in (priced, llm) if r is not None for c in r.calculations if c.unit == "USD/month"]
    total = round(sum(i.monthly_usd for i in items), 2) if (priced or llm) else None
    budget = req.monthly_budget_usd.value if req.monthly_budget_usd is not None and req.monthly_budget_usd.stated else None
    assumptions = [r for x in (priced, llm) if x is not None for r in x.recommendations if r.startswith("Prices are")]
    if budget is not None and rate_note(req.currency):
        assumptions.append(str(rate_note(req.currency)))
    optimizations = [r for x in results if x.skill == "cost-analysis" and not x.tool.endswith("_search_patterns")
                     for r in x.recommendations if not r.startswith("Prices are")]
    return CostAnalysis(
        monthly_total_usd=total,
        budget_usd=budget,
        within_budget=(total <= budget) if (total is not None and budget is not None) else None,
        items=items,
        assumptions=assumptions,
        optimizations=list(dict.fromkeys(optimizations)),
    )


def _fact_risks(req: Requirements, cost: CostAnalysis, workflow: str) -> list[Risk]:
    risks = []
    if cost.within_budget is False:
        risks.append(Risk(
            risk=f"Projected ${cost.monthly_total_usd:,.0f}/month exceeds the {money(cost.budget_usd or 0.0, req.currency)} budget",
            mitigation="Apply the cost optimizations in order (cache, smaller model for easy queries, shorter context) and re-estimate",
            severity="high"))
    if req.latency is not None and req.latency.stated and req.latency.value.seconds < 1.5 and workflow == "rag_system":
        lat = req.latency.value
        risks.append(Risk(
            risk=f"A {lat.percentile} target of {lat.seconds:g} s leaves little room for rewriting, reranking and generation",
            mitigation="Stream the first tokens, rerank only the top 20, cache frequent questions and measure each stage's p95",
            severity="high"))
    if affirmed(req.european_providers_only):
        risks.append(Risk(
            risk="European providers (OVHcloud, Scaleway, Hetzner, IONOS, STACKIT) offer fewer managed ML services "
                 "than the US clouds, so more of the stack is run by the team",
            mitigation="Prefer components with low operations (managed Kubernetes and Postgres of the provider, "
                       "self-hosted open models); check each provider's GPU availability and region before committing",
            severity="medium"))
    return risks


# what a design of each workflow turns on, asked when the request is vague
_WORKFLOW_QUESTIONS: dict[str, tuple[str, ...]] = {
    "evaluation_system": (
        "What does the system do for its users (answer questions, write, classify, translate), and what counts as a good answer?",
        "Are there labelled examples or reference answers already, and who can label more (domain experts, raters)?",
        "How often are new versions released, and is there live traffic for an online A/B test?",
    ),
    "rag_system": (
        "Which documents are searched (formats, languages), and who may see which of them?",
        "Must every answer cite its source passage?",
    ),
    "model_serving": (
        "What kind of model is served (size, framework), and on what hardware?",
        "Is it called per request or run as a scheduled batch?",
    ),
    "experiment_tracking": (
        "How many people log runs, and where do they train (laptop, cloud, a cluster)?",
        "Which artifacts must be kept (checkpoints, datasets) and how large are they?",
    ),
    "data_pipeline": (
        "Where does the data come from (files, databases, event streams), how much arrives, and how often?",
        "Who consumes the output (a training job, a dashboard, an online model), and how fresh must it be?",
        "How many people will run the pipeline?",
    ),
}


def _open_questions(req: Requirements, workflow: str, *, vague: bool = False) -> list[str]:
    """Ask about the decisive facts that were assumed; a vague request is also asked what
    a design of its workflow turns on."""
    questions = list(_WORKFLOW_QUESTIONS.get(workflow, ())) if vague else []
    assumed = {name for name, _ in req.assumed_facts()}
    if "peak_rps" in assumed:  # a stated peak sets the daily volume well enough
        questions.append("What is the expected peak traffic (requests per second) and how does it vary over the day?")
    if "model_kind" in assumed and workflow == "model_serving" and not vague:
        questions.append(_WORKFLOW_QUESTIONS["model_serving"][0])
    if req.model_kind is None and workflow == "evaluation_system" and not vague:
        questions.append("What kind of model is it: an LLM that writes text, or a classifier, ranker or forecaster? "
                         "The metrics depend on it.")
    if "latency" in assumed:
        questions.append("What latency do users accept (p95 target)?")
    if req.monthly_budget_usd is None:
        questions.append("Is there a monthly budget the running cost must fit in?")
    if "deployment" in assumed:
        questions.append("Where must it run: a public cloud, on-premises, air-gapped, or one machine?")
    if "corpus" in assumed:
        questions.append("How many documents (or pages) will be indexed, and how fast does the corpus grow?")
    if workflow == "data_pipeline" and not vague:
        if "events_per_day" in assumed:
            questions.append(f"How much data arrives a day ({req.record()[1]}), and in what rhythm (a nightly load, "
                             "a steady stream, bursts)?")
        if "retention_days" in assumed:
            questions.append("How long must the raw and the derived data be kept, and does a legal or business rule "
                             "say so?")
    return questions


def _summary(request: str, specs: list[WorkflowSpec], components: list[Component], calcs: list[Calculation],
             cost: CostAnalysis, req: Requirements, unsatisfied: list[str]) -> str:
    what = " and ".join(_lower_first(s.title.removeprefix("Design ")) for s in specs) or "ML system architecture"
    first = " ".join(request.split())
    chosen = [f"{c.name.lower()} on {c.technology}" for c in components if c.technology][:4]
    parts = [f"This {what} answers \u201c{first[:300]}{'…' if len(first) > 300 else ''}\u201d with "
             f"{len(components)} components" + (f": {'; '.join(chosen)}." if chosen else ".")]
    constraints = _constraint_phrases(req)
    if constraints:
        parts.append("It respects " + "; ".join(constraints) + ".")
    if unsatisfied:
        parts.append("Not every part can satisfy the constraints: " + "; ".join(unsatisfied) + ".")
    key = [c for c in calcs if c.unit not in ("USD", "USD/month")][:3]
    if key:
        parts.append("Sized with: " + "; ".join(f"{c.name.lower()} \u2248 {human_number(c.value)} {c.unit}"
                                                for c in key) + ".")
    if req.latency is not None and req.latency.stated:
        parts.append(f"The latency target is {req.latency.value.percentile} \u2264 {req.latency.value.seconds:g} s.")
    if cost.monthly_total_usd is not None:
        budget = ""
        if cost.budget_usd is not None:
            stated = money(cost.budget_usd, req.currency)
            budget = (f" (within the {stated} budget)" if cost.within_budget
                      else f" (over the {stated} budget: see the cost optimizations)")
        elif req.current_monthly_spend_usd is not None:
            budget = f" (today's bill: {money(req.current_monthly_spend_usd.value, req.currency)}/month)"
        parts.append(f"Estimated running cost \u2248 ${cost.monthly_total_usd:,.2f}/month{budget}.")
    return " ".join(parts)


def _constraint_phrases(req: Requirements) -> list[str]:
    out = []
    for name in ("deployment", "no_external_apis", "stack_only", "data_residency", "hardware", "mode"):
        fact = getattr(req, name)
        if fact is not None and fact.stated and fact.quote:
            out.append(f"\u201c{fact.quote}\u201d" + (_zones(fact.value) if name == "data_residency" and req.cloud is None else ""))
    out += [f"\u201c{f.quote}\u201d" for f in req.compliance if f.stated and f.quote]
    return list(dict.fromkeys(out))


def _zones(region: str) -> str:
    """Where each cloud keeps data in ``region``, for a residency with no cloud named:
    " (a Brazil region: AWS sa-east-1, São Paulo; GCP southamerica-east1, São Paulo; Azure Brazil South)"."""
    from mlarchitect.skills.catalogue import REGION_ZONES

    zones = REGION_ZONES.get(region, {})
    names = {"aws": "AWS", "gcp": "GCP", "azure": "Azure"}
    listed = "; ".join(f"{names[cloud]} {zone}" for cloud, zone in zones.items())
    return f" (a {region} region: {listed})" if listed and region != "EU" else ""


def _lower_first(title: str) -> str:
    """"Model Serving Architecture" -> "model serving architecture"; keeps acronyms (RAG)."""
    return " ".join(w if w.isupper() else w.lower() for w in title.split())


def _workflow_sections(content: DesignContent, archs: list[dict], req: Requirements,
                       results: list[ToolResult]) -> None:
    for bp in archs:
        if "evaluation" in bp:
            ev = EvaluationFramework.model_validate(bp["evaluation"])
            for r in results:
                if r.tool in ("eval_recommend_metrics", "eval_plan_sample_size", "eval_plan_rare_class_test_set"):
                    ev.offline_metrics.extend(x for x in r.recommendations if x not in ev.offline_metrics)
            content.evaluation_framework = ev
        if "serving" in bp:
            sv = ServingSpecification.model_validate(bp["serving"])
            mode = req.mode.value if req.mode is not None else "real_time"
            if affirmed(req.edge_devices):
                sv.serving_mode = sv.serving_mode or "on each device, in the process that captures the input (no network on the hot path)"
            sv.serving_mode = sv.serving_mode or {
                "batch": "a scheduled batch scoring job writing results to a table that consumers read",
                "streaming": "a stream consumer scoring events as they arrive",
            }.get(mode, "real-time API")
            if req.latency is not None and mode != "batch":
                sv.slos.append(f"{req.latency.value.percentile} latency \u2264 {req.latency.value.seconds:g} s"
                               + ("" if req.latency.stated else " (assumed)"))
            if req.peak_rps is not None and req.peak_rps.stated and mode != "batch":
                sv.slos.append(f"sustain {human_number(req.peak_rps.value)} requests per second with an error rate below 0.5%")
            content.serving_specification = sv
        if "tracking" in bp:
            content.experiment_tracking = ExperimentTrackingSetup.model_validate(bp["tracking"])
        if "pipeline" in bp:
            content.data_pipeline = DataPipelineArchitecture.model_validate(bp["pipeline"])
