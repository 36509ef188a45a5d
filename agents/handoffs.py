"""Handoffs to sibling agents: who is eligible, when the request asks for one,
and the written brief a sibling receives (never the whole chat history)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from langchain_core.messages import BaseMessage, ToolMessage
from pydantic import BaseModel, Field

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.agents.ask_model import ASK_THRESHOLD
from mlarchitect.agents.ask_model import SENTENCE_SPLIT as _SENTENCE_SPLIT
from mlarchitect.agents.ask_model import sentences as sentences_of
from mlarchitect.agents.ask_model import shipped_model
from mlarchitect.deliverable import Handoff
from mlarchitect.agents.example_bank import example_bank
from mlarchitect.agents.intake.reading import request_language
from mlarchitect.agents.routing import _CLAUSE_SPLIT, clauses, embed, match_phrases, mentioned_agents
from mlarchitect.agents.scope import gloss, in_scope
from mlarchitect.agents.tool_results import tool_results

TRANSFER_PREFIX = "transfer_to_"


def transfer_tool_name(agent: str) -> str:
    return TRANSFER_PREFIX + re.sub(r"[^a-z0-9]+", "_", agent.lower()).strip("_")


class HandoffPlan(BaseModel):
    agent: str
    reason: str


class Brief(BaseModel):
    """What a sibling is told: the request, the design so far, the question."""

    request: str
    workflow: str = "general"
    from_agent: str
    question: str
    reason: str
    components: list[str] = Field(default_factory=list)
    details: list[dict[str, str]] = Field(default_factory=list,
                                          description="Components: name, technology, responsibility, hosted ('yes' or '').")
    flows: list[str] = Field(default_factory=list, description="Data flows: 'source → target: what'.")
    constraints: list[str] = Field(default_factory=list, description="Stated requirements the section must respect.")
    figures: list[str] = Field(default_factory=list)
    chain: list[str] = Field(default_factory=list, description="Agents already in this handoff chain.")

    def to_markdown(self) -> str:
        lines = [f"# Brief from {self.from_agent}", "", f"**Request:** {self.request}", "",
                 f"**Workflow:** {self.workflow}", "", f"**Why you:** {self.reason}", "",
                 f"**What to produce:** {self.question}", ""]
        if self.components:
            lines += ["**Design so far (components):**", *[f"- {c}" for c in self.components], ""]
        if self.flows:
            lines += ["**Data flows:**", *[f"- {f}" for f in self.flows], ""]
        if self.constraints:
            lines += ["**Stated requirements:**", *[f"- {c}" for c in self.constraints], ""]
        if self.figures:
            lines += ["**Key figures:**", *[f"- {f}" for f in self.figures], ""]
        lines.append(f"Handoff chain so far: {' → '.join(self.chain)}")
        return "\n".join(lines)


class SiblingContribution(BaseModel):
    """What a sibling returns: one section of the deliverable."""

    title: str
    markdown: str = Field(description="The section body in Markdown, concrete and specific to the brief.")


def eligible_targets(agent: AgentSpec, catalog: AgentCatalog, request: str) -> list[AgentSpec]:
    """Agents ``agent`` may hand to: its Related Agents and Will-Not targets that
    exist, any loaded agent the request names outright, and any agent of the
    user's pack (not built in) whose work the request asks for."""
    names = [*agent.handoff_targets, *mentioned_agents(request, catalog)]
    if request.strip():
        names += [e.agent for e in _evidence(request, agent, catalog, _user_agents(agent, catalog, names))]
    return [catalog.agents[n] for n in dict.fromkeys(names) if n in catalog.agents and n != agent.name]


def plan_handoffs(request: str, agent: AgentSpec, catalog: AgentCatalog, *,
                  named_only: bool = False) -> list[HandoffPlan]:
    """Handoffs the request asks for (the offline engine's routing); with ``named_only``
    (a request routed to no workflow: there is no design to hand on) only the agents it names.

    A handoff needs clear evidence: the request names the agent, uses one of its
    trigger phrases, or has a part that asks for an action outside ``agent``'s own
    work (its Boundaries) and is closer to the target's description, triggers and
    examples than to any design request of the example bank."""
    named = set(mentioned_agents(request, catalog))
    if named_only or not in_scope(request, _speller(catalog).normalise(gloss(request))):  # out of scope:
        # only an agent the request names
        return [HandoffPlan(agent=n, reason=f"The request names {n}.") for n in sorted(named) if n != agent.name]
    candidates = [*agent.handoff_targets, *named]
    candidates += _user_agents(agent, catalog, candidates)
    candidates = [n for n in dict.fromkeys(candidates) if n in catalog.agents and n != agent.name]
    # named agents compete for the request's parts too: the part that names one is its evidence
    found = {e.agent: e for e in _evidence(request, agent, catalog, candidates)}
    plans = []
    for name in candidates:
        target = catalog.agents[name]
        if name in named:
            plans.append(HandoffPlan(agent=name, reason=f"The request names {name}."))
        elif name in found:
            quoted = ", ".join(f"“{h}”" for h in found[name].phrases[:3])
            plans.append(HandoffPlan(
                agent=name,
                reason=f"The request asks for work outside the architect's boundaries ({quoted}): {target.description}"))
    return plans


def replaced_builtin_agents(catalog: AgentCatalog) -> list[str]:
    """Built-in agents that a user's agent of the same name replaces in ``catalog``
    (the caller should say so, e.g. "Using your llm-app-engineer (path) instead of the built-in one")."""
    builtin = _builtin_agent_names()
    return sorted(name for name, spec in catalog.agents.items() if not spec.builtin and name in builtin)


@lru_cache(maxsize=1)
def _builtin_agent_names() -> frozenset[str]:
    from mlarchitect.agents.agent_files import builtin_definitions_dir, load_agents_dir

    return frozenset(load_agents_dir(builtin_definitions_dir(), builtin=True).agents)


# --- evidence for a handoff ------------------------------------------------------------------

HANDOFF_MIN_SIMILARITY = 0.6  # a request part must be at least this close to the target's texts ...
HANDOFF_MARGIN = 0.1  # ... and closer by this much than to any design request of the bank
BEYOND_MIN_SIMILARITY = 0.5  # a part that says it asks for more than the design needs only this
# an ask by its label ("Bonus: a pytest suite for the cleaning steps") and a work product asked for as a
# question ("what would the streaming API look like for our clients?")
_ASK_LABEL = r"(?:bonus|nice\s+to\s+have|stretch\s+goal)"
# labels that ask only as labels: "Also needed: the API contract", "Afterwards: a pytest suite" (read with a comma)
_LABEL_ONLY = r"(?:also\s+needed|afterwards|next\s+steps?|on\s+top)"
# work asked for in the passive: "the release process on our GKE cluster also needs to be planned"
_PASSIVE_ASK_TEXT = (r"(?:needs?|has|have)\s+to\s+be\s+(?:\w+\s+)?(?:planned|defined|specified|designed|built|written|automated|"
                     r"documented|worked\s+out)|"
                     # "the regression gate in GitHub Actions needs building"
                     r"needs?\s+(?:building|writing|wiring\s+up|setting\s+up|automating|defining|implementing|coding|planning)")
# someone else's work asked for as a question: "who would handle the rollout on our EKS cluster?"
_WHO_ASK_TEXT = (r"(?:^|[,;:(]\s*|(?:and|but|so|also|then)\s+)who\s+(?:would|could|can|will|should)\s+"
                 r"(?:handle|own|do|build|take\s+care\s+of|set\s+up|write|run)")
_LOOK_LIKE_TEXT = r"what\s+(?:would|will|does|do|should|might|could)\s+(?P<x>(?:[\w/-]+\s+){0,6}?)look\s+like"
# a part that says outright it asks for work beyond the design: "beyond the architecture, we need
# ...", "after the design, ...", "have somebody write ...", "built, not just designed"
_BEYOND_DESIGN = re.compile(
    r"\b(?:(?:beyond|besides|apart\s+from|on\s+top\s+of|in\s+addition\s+to|after|once(?:\s+we\s+have)?)\s+(?:the|your|this)\s+"
    r"(?:design|architecture|blueprint)|not\s+just\s+(?:the\s+)?design(?:ed)?|"
    r"(?:have|get)\s+(?:someone|somebody|a\s+specialist|an?\s+engineer|your\s+\w+\s+(?:team|agent))\b|"
    r"(?:could|can|would|will|should)\s+(?:someone|somebody)\b|(?:someone|somebody)\s+(?:pls|please|should|must|needs?\s+to|has\s+to|have\s+to|would\s+(?:need|have)\s+to|ought\s+to)\b|"
    rf"{_ASK_LABEL}\b|{_LABEL_ONLY}(?=,)|"
    # someone else's work asked for outright: "who could build the harness?", "we need someone to define the contract"
    rf"{_WHO_ASK_TEXT}\b|"
    r"(?:we\s+)?need\s+(?:someone|somebody)\b|"
    # a polite ask for a specialist's verb: "please tune the chunking against them"
    r"^(?:and\s+|also\s+|then\s+)?(?:please|pls|kindly|can\s+you|could\s+you|would\s+you)\s+(?:also\s+)?(?:tune|optimi[sz]e|profile|"
    r"benchmark|threat-?model|audit|pen-?test|implement|code|deploy|containeri[sz]e|diagnose|debug|fix|measure|load-?test|harden|red-?team)\b|"
    r"why\s+(?:is|are|does|do|did)\s+(?:our|the|my)?\s*[\w-]+\s+(?:\w+\s+)?\w+ing\b(?=[^?]*\?)|"  # a diagnosis: "why is retrieval missing ...?"
    r"(?:need|want|have|get)\s+(?:\w+\s+){0,4}?(?:implemented|coded|built|written|deployed)\b)", re.I)
_DESIGN_LEAD = re.compile(
    r"^(?:please\s+|we\s+(?:need|want)\s+(?:to\s+)?|i\s+(?:need|want)\s+(?:to\s+)?|help\s+(?:me|us)\s+)?"
    r"(?:re)?(?:design|architect|plan|propose|outline|sketch)\b", re.I)
# "build a ..." opening the request asks for the system itself (design wording); a later
# clause "... and build a React front-end" asks for a piece of work on top of it
_BUILD_LEAD = re.compile(r"^(?:please\s+|we\s+(?:need|want)\s+(?:to\s+)?|i\s+(?:need|want)\s+(?:to\s+)?)?"
                         r"(?:set up|build|create)\s+(?:an?|the|our|a new)\b", re.I)
# Actions the architect does not do itself (its Boundaries: code, deploy, audit, tune,
# optimise, test, integrate); a part of the request without one is design wording.
_ACTION = re.compile(
    r"\b(?:write|written|implement\w*|coding|scaffold|add|build|give\s+me|turn|"
    r"deploy|ship|containeri[sz]e|provision|automate|wire|roll\s+(?:it\s+)?out|"
    r"tune|optimi[sz]e|improve|fix|diagnose|speed\s+up|cut|reduce|lower|shrink|raise|make\s+(?:it|them|the\s+\w+(?:\s+\w+)?)\s+(?:faster|cheaper|quicker)|"
    r"profile|find|review|audit|assess|check|verify|certify|threat-model|red-team|pen-?test|"
    r"benchmark|compare|calibrate|integrate|connect|fit|migrate|mock|unit-test|define|specify|"
    r"give|(?:get|send|hand)\s+(?:us|me)\b|set\s+up|work\s+out|figure\s+out|show\s+(?:us\s+)?how|tell\s+(?:us|me)|identify|analy[sz]e|locate|"
    r"load-?test|stress-?test|threat-?model|plugs?\s+into|cover|explain|describe|outline|sketch|"
    r"map\s+out|lay\s+out|spell\s+out|walk\s+(?:me|us)\s+through|make\s+sure|ensure|hook\s+(?:it\s+|this\s+)?up|"
    r"stand\s+up|dockeri[sz]e|configure|instrument|harden|encrypt|redact|anonymi[sz]e|pseudonymi[sz]e|draft|refactor|debug|"
    r"produce|deliver|prepare|put\s+together|come\s+up\s+with|dig\s+into|break\s+down|rank|"
    rf"{_ASK_LABEL}|{_LABEL_ONLY}(?=,)|measure\s+(?:where|how\s+much|what)|"
    # "we'd love it to be cheaper and faster"
    r"(?:want|like|love|need)\s+(?:it|this|them|that)\s+(?:to\s+(?:be|get|run)\s+)?(?:much\s+|a\s+lot\s+)?(?:cheaper|faster|quicker|leaner)|"
    # work someone else does: "have the harness built", "get the consumer job coded"
    r"(?:have|get)\s+(?:\w+\s+){1,5}?(?:built|coded|written|implemented|set\s+up|deployed|automated|reviewed|tested|"
    r"threat-?modell?ed|audited|pen-?tested|red-?teamed|hardened|load-?tested|containeri[sz]ed|optimi[sz]ed|"
    r"checked|assessed|verified|validated|scanned|measured|profiled|benchmarked|tuned)|"
    # a work product asked for by name: "we need the concrete deployment plan", "I want a threat model"
    r"(?:need|want|like|get|see|expect|require)\s+(?:\w+\s+){0,4}?(?:plan|contract|specification|test\s+suite|"
    r"harness|threat\s+model|implementation|manifests|helm\s+charts?|runbook|(?:api\s+)?spec|(?:quality\s+)?gate)|"
    # words that are nouns as often as verbs count only with an object: "test it", not "test data"
    # (after an article it is the noun: "the code that produced it")
    r"(?<!the\s)(?<!our\s)(?<!this\s)(?<!that\s)(?<!their\s)(?<!its\s)(?<!my\s)(?<!a\s)(?<!any\s)(?<!unit\s)"
    r"(?:test|package|document|secure|prototype|scale|code)\s+(?:it|this|that|them|the|our|whether|if|on|against|up)|"
    r"how\s+(?:does|do|will|would|should|can)\s+(?:it|this|that|they|all\s+(?:of\s+)?(?:this|that|it)|everything|the\s+whole\s+thing|the\s+\w+)\s+(?:fit|integrate|connect|plug|sit|talk)|"
    + _LOOK_LIKE_TEXT.replace("?P<x>", "?:") + "|"
    # a diagnosis asked as a question: "why is retrieval missing the right clause and what do we change?"
    r"why\s+(?:is|are|does|do|did)\b(?=[^?]*\?)|"
    r"what\s+(?:do|should|must)\s+we\s+(?:change|fix|tune)|"
    # a later sentence that plans more work: "Then plan the Kubernetes rollout"
    r"(?:then|also|afterwards|next|after\s+that)\s*,?\s+(?:plan|design|work\s+out)|"
    # "who would handle the rollout on our EKS cluster?", "who could build the harness?"
    + _WHO_ASK_TEXT + "|"
    # "the release process also needs to be planned", "the API ... properly defined", "the best way to roll this out"
    + _PASSIVE_ASK_TEXT + "|"
    r"(?:properly|clearly)\s+(?:defined|specified|documented)|best\s+way\s+to\s+(?:roll|deploy|ship|release|update|package)|"
    r"(?:is\s+)?something\s+we\s+(?:need|want)\s+(?:as\s+well|too)|plan\s+how)\b",
    re.I)
# "we are not allowed to add another database", "without building a parallel platform": a
# prohibition, not an ask
_NEGATION = re.compile(r"\b(?:not|never|no|without|cannot|mustn't|don't|won't|can't|isn't|aren't|skip|leave\s+out|omit|exclude)"
                       r"\s+(?:\w+\s+){0,3}$", re.I)
# "our CISO team runs its own security review separately", "we already have unit tests":
# the work is done elsewhere, not asked for
_ELSEWHERE = re.compile(
    # (not "what we already have": the existing systems an integration ask names)
    r"\b(?:separately(?=\s*(?:[.;,)]|$))|(?<!what we )(?<!what i )(?<!which we )(?<!that we )already\s+(?:have|has|had|exists?|done|did|does|cover(?:s|ed)?|in\s+place|written|wrote|got|ran|"
    r"reviewed|tested|approved|signed|mock(?:s|ed)?|at|built|set\s+up|(?:been\s+)?[\w-]+ed)|"
    r"(?:was|were|has\s+been|have\s+been)\s+(?:done|completed|finished|carried\s+out)|owned\s+by|"
    # (not "covered by a pytest suite": that asks for the tests)
    r"(?:handled|done|covered|owned|run|reviewed|tested)\s+(?:by(?!\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,2}?(?:suite|tests?)\b)|elsewhere)|"
    r"(?:runs?|does|do|handles?|owns?|has|have)\s+(?:its|their|his|her)\s+own|"
    r"(?:team|group|squad|people|folks)\s+(?:already\s+)?(?:owns?|handles?|covers?)\s+(?:those|these|that|this|it|them)\b|"
    r"out\s+of\s+scope|not\s+(?:needed|required|part\s+of|in\s+scope)|no\s+need|ourselves|"
    # "our officers have written 2,300 bulletins": work done, described
    r"(?:have|has|had)\s+(?:already\s+)?(?:written|built|implemented|coded|deployed|created|developed|produced)\b|"
    # "security review done in May, approved", "pen test passed"
    # "the security review of the labelling data is done"
    r"(?:review|audit|assessment|threat\s+model(?:ling)?|pen[\s-]?test(?:ing)?|testing|tests)(?:\s+(?:of|for|on)(?:\s+[\w-]+){1,4}?)?"
    r"\s+(?:was\s+|were\s+|is\s+|are\s+|has\s+been\s+)?(?:already\s+)?(?:done|completed|finished|approved|passed|signed\s+off)|"
    # "the unit tests are written", "the threat model is in place"
    r"(?:review|audit|threat\s+model|tests?|suite|contract|api)\s+(?:is|are|was|were|has\s+been|have\s+been)\s+(?:already\s+)?"
    r"(?:written|in\s+place|covered|defined)|"
    # "our infra people deploy it", "the platform team will run the rollout": another team's work
    r"(?:our|the|their)\s+(?:infra(?:structure)?|platform|ops|devops|sre|security|qa|backend|integration|it)\s+"
    r"(?:people|team|folks|guys|group|engineers|colleagues)\s+(?:will\s+|would\s+|already\s+)?"
    r"(?:deploy|run|operate|handle|own|build|write|test|review|do)s?\b|"
    # "unit tests ... will be written by the analytics-eng team"
    r"(?:will\s+be|is\s+being|are\s+being|gets?|get)\s+[\w-]+(?:ed|en)\s+by\s+(?:the|our|their|an?)?\s*[\w-]+(?:\s+[\w-]+)?\s+"
    r"(?:team|group|squad|department|vendor|contractor|agency|folks|people)|"
    r"(?:costs?|spend|bill|latency|speed|performance|security|tests?|coverage|retrieval|deployment|rollout)\s+(?:is|are)\s+"
    r"(?:already\s+)?(?:fine|ok|okay|under\s+control)|already\s+optimi[sz]ed|optimi[sz]ed\s+\w+\s+last\s+(?:week|month|quarter|year)|"
    r"(?:has|have)\s+(?:good\s+|decent\s+|its\s+own\s+)?(?:unit\s+)?tests)\b", re.I)

# "get a threat model done", "have the load test done by Friday": work asked for, not work done
_GET_DONE = re.compile(r"\b(?:get|have|getting|having)\s+(?:(?:a|an|the|our|this|its|their|some)\s+)?(?:[\w-]+\s+){0,3}?"
                       r"(?:done|completed|finished|carried\s+out)\b", re.I)


def _elsewhere(text: str) -> bool:
    """Whether ``text`` says the work is done elsewhere or already (not "get the review done")."""
    asked = [m.span() for m in _GET_DONE.finditer(text)]
    return any(not any(a <= m.start() < b for a, b in asked) for m in _ELSEWHERE.finditer(text))


def _action_parts(request: str) -> list[str]:
    """Sentences, clauses and clause-to-sentence-end spans of the request that ask
    for an action (not design wording)."""
    sentences = [p.strip(" ,.;:") for p in _SENTENCE_SPLIT.split(request)]
    spans = [sentence[m.end():].strip(" ,.;:") for sentence in sentences for m in _CLAUSE_SPLIT.finditer(sentence)]
    whole = request.strip(" ,.;:")
    # the whole request is a part only when it is one sentence: several hold every topic it names,
    # and each of them is a part of its own
    parts = [p for p in dict.fromkeys([*([whole] if len(sentences) < 2 else []), *sentences, *clauses(request), *spans])
             if len(p.split()) >= 3]
    parts = _not_described(parts, request)
    return [p for p in parts if _asks(p) and not _DESIGN_LEAD.match(p) and not _DESIGN_QUESTION.match(p) and not _elsewhere(p)
            and not _builds_the_system(p, request) and not any(_describes(sentence, p) for sentence in sentences)]


def _builds_the_system(part: str, request: str) -> bool:
    """Whether ``part`` is the request's opening "set up / build a ...": the system itself (design wording)."""
    return bool(_BUILD_LEAD.match(part)) and request.strip(" ,.;:")[:40].lower().startswith(part[:40].lower())


# a question about the design itself: "what pipeline we should build?", "which stack would you use?"
_DESIGN_QUESTION = re.compile(r"^(?:so\s+|and\s+)?(?:what|which)\s+(?:[\w-]+\s+){0,3}?(?:should|would|do|could|can|shall)\s+"
                              r"(?:we|i|you)\s+(?:build|use|pick|choose|need|go\s+with|set\s+up|run)\b", re.I)
# a list that describes the system or the situation: "What I have in mind: sample a slice daily, score ..."
_DESCRIPTION_LABEL = re.compile(r"\b(?:what\s+(?:i|we)\s+(?:have|had)\s+in\s+mind|(?:my|our|the)\s+idea|context|background|"
                                r"current\s+(?:setup|state|situation)|as[\s-]is)\s*:", re.I)
_NEXT_LABEL = re.compile(r"\n\s*\n|\n\s*[-*•]?\s*[A-Z][\w /-]{0,30}:")


def _described_spans(request: str) -> list[tuple[int, int]]:
    """Where a description label's text runs: the rest of its line, or the list below it up to a
    blank line or the next label ("Context:\n- ...\n- ...\nAsk: ...")."""
    spans = []
    for label in _DESCRIPTION_LABEL.finditer(request):
        line_end = request.find("\n", label.end())
        line_end = len(request) if line_end < 0 else line_end
        if request[label.end():line_end].strip():
            spans.append((label.end(), line_end))
            continue
        following = _NEXT_LABEL.search(request, line_end)
        spans.append((label.end(), following.start() if following else len(request)))
    return spans


def _not_described(parts: list[str], request: str) -> list[str]:
    """``parts`` without those in a description ("What I have in mind: sample daily, ..."), unless they ask."""
    described = _described_spans(request)
    return [p for p in parts if _ASK_WORD.search(p) or not any(a <= request.find(p) < b for a, b in described)]


# a sentence that says what the team does today: "We score all open claims once a night, ..."
_WE_DO = re.compile(r"^(?:we|they|our\s+\w+(?:\s+team)?)\s+(?!need|want|would|'d|have\s+to|must|should|plan|are\s+"
                    r"looking|hope|wish|like|ask|require)[a-z]+(?:s|ed)?\b", re.I)
_ASK_WORD = re.compile(r"\b(?:need|want|please|should|could\s+you|can\s+you|have\s+to|must|would\s+like|'d\s+like)\b", re.I)


def _describes(sentence: str, part: str) -> bool:
    """Whether ``part`` continues a sentence that says what the team does ("We score all claims
    nightly and write the scores back to the warehouse"): it shares the sentence's subject
    through "and", so it states what is done, not an ask."""
    at = sentence.find(part)
    if at <= 0 or part == sentence or not _WE_DO.match(sentence) or _ASK_WORD.search(part):
        return False
    return bool(re.search(r"\band\s*$", sentence[:at]))


def _later_design_parts(request: str) -> list[str]:
    """Clauses after the first that open with a design verb ("..., and plan its Kubernetes
    deployment"): a further piece of work, unlike a bare constraint ("HIPAA, EU only")."""
    found = clauses(request)
    return [p for p in found[1:] if _DESIGN_LEAD.match(p)]


def _asks(part: str) -> bool:
    """Whether ``part`` asks for an action: an action verb that is not prohibited ("not allowed to add")."""
    return any(not _NEGATION.search(part[:m.start()]) for m in _ACTION.finditer(part))


_COORDINATION = re.compile(r"\s*(?:,|&|and\b|then\b|plus\b|as\s+well\s+as\b)", re.I)
# sentences and dash-separated asides, commas kept: "I need it implemented, and a pytest suite"
_SENTENCE_UNITS = re.compile(r"[.;:!?]\s*|\s+[-–—]\s+|,\s*but\s+", re.I)
_UNIT_SPLIT = re.compile(r"[.;:!?()]\s*|\s+[-–—]\s+|,\s*(?:and\s+|but\s+)?|\s+and\s+", re.I)


def _asked_about(phrase: str, request: str) -> bool:
    """Whether the request asks for work on ``phrase`` (a regulation or technology it names):
    a short part of it names the phrase and asks for an action or a review ("deploy it on
    Kubernetes", "audit it for HIPAA"), or a later clause plans it ("..., and plan its
    Kubernetes deployment"). "HIPAA applies" or "GDPR." states a constraint."""
    units = [u for u in _UNIT_SPLIT.split(request) if u.strip()]
    if any(match_phrases(u, [phrase]) and _asks(u) for u in units):
        return True
    # "I need the service implemented and a pytest suite": the ask runs over the coordination
    pairs = [u for u in _SENTENCE_UNITS.split(request) if u.strip()]
    for unit in pairs:
        found = match_phrases(unit, [phrase])
        if found and " and " in unit[: found[0][0]] and _asks(unit[: found[0][0]]):
            return True
    return any(match_phrases(p, [phrase]) for p in _later_design_parts(request))


def _done_elsewhere(phrase: str, request: str) -> bool:
    """Whether every part of the request that names ``phrase`` says the work is done
    elsewhere or already ("... runs its own security review separately")."""
    units = [u for u in _UNIT_SPLIT.split(request) if u.strip() and match_phrases(u, [phrase])]
    return bool(units) and all(_elsewhere(u) for u in units)


# a negation over a list: "skip the chatbot and the retrieval tuning", "no dashboards, no tests"
_NEGATED_LIST = re.compile(r"(?:\b(?:not|no|without|skip|leave\s+out|omit|exclude|no\s+need\s+for)|n't)\s+(?:[\w-]+\s+){0,4}?"
                           r"(?:and|or|nor)\s+(?:the\s+|any\s+|an?\s+)?$", re.I)


def _declined(phrase: str, request: str) -> bool:
    """Whether every part of the request that names ``phrase`` declines it ("I don't need a security
    review", "no Kubernetes"): a trigger phrase under a negation asks for nothing."""
    units = [u for u in _UNIT_SPLIT.split(request) if u.strip()]
    found = [(u, m[0]) for u in units for m in match_phrases(u, [phrase])[:1]]
    # the negation may reach over a coordination: "skip the chatbot and retrieval tuning"
    whole = [(u, m[0]) for u in _SENTENCE_SPLIT.split(request) for m in match_phrases(u, [phrase])[:1]]
    return bool(found) and (all(_NEGATION.search(u[:start]) for u, start in found)
                            or all(_NEGATION.search(u[:start]) or _NEGATED_LIST.search(u[:start]) for u, start in whole))


def _noun_trigger(phrase: str) -> bool:
    """A trigger that names a technology or regulation ("HIPAA", "Kubernetes", "SOC 2") rather
    than asking for work: stated as a constraint it is no handoff, asked about it is."""
    words = phrase.split()
    return (len(words) == 1 or all(not w.isalpha() or w.isupper() for w in words)
            or bool(_THING.search(phrase) and not _ACTION.search(phrase)) or bool(_DONE_WORK.search(phrase)))


# a trigger that names a thing the team may simply have ("GPU cluster", "CI pipeline", "Helm chart",
# "API contract") ...
_THING = re.compile(r"\b(?:cluster|chart|pipeline|contract|spec|harness|suite|gate|review|audit)s?$", re.I)
# ... or work that may be done already ("threat modelled")
_DONE_WORK = re.compile(r"\wed$", re.I)
USER_AGENT_PREFERENCE = 0.1  # a user's agent wins a part unless a built-in one is this much closer
TRIGGER_TIE = 0.05  # a triggered agent this close to a part's best similarity keeps the part
SENTENCE_TIE = 0.1  # an agent a sentence already asks for, this close to a clause's best, keeps the clause
LEXICAL_BONUS = 0.1  # per word of the request found only in this candidate's own definition
LEXICAL_CAP = 0.2
# what the design itself answers, in any of the languages read (glossed): a question ("e che latenza possiamo
# aspettarci su sola CPU?") or a wish for the system ("queremos combinar avaliação humana com um juiz automático")
_DESIGN_UNIT = re.compile(r"^(?:(?:and|or|e|y|et|und|en|o|ou)\s+)?(?:(?:what|how|which|why|where|when|che|come|cosa|quale|quali|"
                          r"quanto|qué|que|cómo|cuál|cuáles|cuánto|quel|quelle|quels|quelles|comment|combien|wie|was|welche[rsn]?|"
                          r"warum|hoe|wat|welke|waarom|como|qual|quais|quantos?)\b.*\?$|(?:we|i)\s+(?:want|need|would\s+like)\b)",
                         re.I)
ASK_WITH_ACTION_THRESHOLD = 0.65  # the ask model's bar for a unit the rules already read as asking for an action
VETO = 0.15  # the ask model's probability below which it vetoes an agent the similarities alone found
_STOP = frozenset("""a an the and or of for to in on with from by at as is are be it its this that their our your
your into over under than then when which who what how why all any each every other more most some such only
own same so too very can will just should now ml llm llms model models system systems design designs data agent
agents build builds make makes work works request requests without where there here also about after before
while then them they we us you not no yes""".split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9][a-z0-9+#.-]*[a-z0-9+#]|[a-z0-9]", text.lower()) if w not in _STOP and len(w) > 2}


def _distinctive_words(names: list[str], catalog: AgentCatalog) -> dict[str, set[str]]:
    """Per candidate, the words of its description, triggers and (built-in agents) handoff
    examples that no other candidate's have and that design requests seldom use."""
    bank = example_bank()["handoffs"]
    own = {n: _words(" ".join([catalog.agents[n].description, *catalog.agents[n].triggers,
                               *(bank.get(n, []) if catalog.agents[n].builtin else [])])) for n in names}
    common = _design_words()
    return {n: {w for w in own[n] - set().union(*(own[m] for m in names if m != n)) - common
                if not _ACTION.fullmatch(w)} for n in names}


@lru_cache(maxsize=1)
def _design_words() -> frozenset[str]:
    """Words of three or more design requests of the bank (plain design vocabulary)."""
    from collections import Counter

    counts = Counter(w for text in _design_texts() for w in _words(text))
    return frozenset(w for w, n in counts.items() if n >= 3)


class _Evidence(BaseModel):
    agent: str
    phrases: list[str]


def _user_agents(agent: AgentSpec, catalog: AgentCatalog, already: list[str]) -> list[str]:
    return [n for n, spec in catalog.agents.items() if not spec.builtin and n != agent.name and n not in already]


def _agent_texts(target: AgentSpec, owner: AgentSpec) -> list[str]:
    """What ``target`` does: its description, triggers, the owner's boundaries that
    send work to it and, for built-in agents, the handoff examples of the bank."""
    texts = [target.description, *target.triggers]
    texts += [b.text for b in owner.will_not if target.name in b.agents]
    if target.builtin:
        texts += example_bank()["handoffs"].get(target.name, [])
    return [t for t in dict.fromkeys(texts) if t.strip()]


_spellers: dict[tuple[tuple[str, str, tuple[str, ...]], ...], Any] = {}


def _speller(catalog: AgentCatalog) -> Any:
    """A speller over the agents' definitions and the example bank (one per catalog content)."""
    from mlarchitect.agents.dictionary_words import dictionary_words
    from mlarchitect.agents.spelling import Speller, tokenizer_words

    key = tuple((n, a.description, tuple(a.triggers)) for n, a in sorted(catalog.agents.items()))
    speller = _spellers.get(key)
    if speller is None:
        bank = example_bank()
        texts = [*_design_texts(), *bank["general"]]
        texts += [t for ts in bank["handoffs"].values() for t in ts]
        for spec in catalog.agents.values():
            texts += [spec.description, *spec.triggers, *(b.text for b in spec.will_not)]
        speller = Speller(texts, tokenizer_words(), dictionary_words(), bank["vocabulary"])
        if len(_spellers) > 32:
            _spellers.clear()
        _spellers[key] = speller
    return speller


def _design_texts() -> list[str]:
    bank = example_bank()
    return [s for texts in bank["workflows"].values() for s in texts] + [m["request"] for m in bank["mixed"]]


def _counter_texts() -> list[str]:
    """What a part of a request is compared with before it counts as a handoff: the design
    requests of the bank and the parts that name a sibling's topic without asking for its work."""
    return [*_design_texts(), *example_bank()["not_handoffs"]]


def _evidence(request: str, owner: AgentSpec, catalog: AgentCatalog, names: list[str]) -> list[_Evidence]:
    """Agents among ``names`` the request asks for, with the phrases that show it."""
    found: dict[str, list[str]] = {}
    # the action rules read English only: in another language the ask model alone tells an ask
    foreign = request_language(request.lower()) is not None
    request = _speller(catalog).normalise(gloss(request))  # "kubernets" → "kubernetes"
    request = _LABELLED_ASK.sub(r"\1, ", request)  # "Bonus: a pytest suite" stays one sentence
    request = request.replace("¿", "").replace("¡", "")
    parts = _action_parts(request)
    whole = request.strip(" ,.;:")
    for name in names:
        target = catalog.agents.get(name)
        if target is None:
            continue
        hits = [phrase for _, phrase in sorted(match_phrases(request, target.triggers))
                if (not _noun_trigger(phrase) or _asked_about(phrase, request)) and not _done_elsewhere(phrase, request)
                and not _declined(phrase, request)]
        if hits:
            found[name] = hits
    triggered = set(found)
    remaining = [n for n in names if n in catalog.agents]  # every candidate competes for each part
    if parts and remaining:
        # "what would the scoring API look like for the checkout team?" asks for the thing it names:
        # that names the agent better than the whole question
        objects = [_asked_object(part) for part in parts]
        vectors = embed([obj or part for obj, part in zip(objects, parts)])
        design = embed(_counter_texts())
        if vectors is not None and design is not None:
            design_best = (design @ vectors.T).max(axis=0)
            best: dict[int, tuple[float, str]] = {}
            sentences = [p for p in _SENTENCE_SPLIT.split(request) if p.strip()]
            scores: dict[str, list[float]] = {}
            distinctive = _distinctive_words(remaining, catalog)
            # a part that says it asks for more than the design (not the whole request, which holds every part)
            beyond = [part != whole and (bool(_BEYOND_DESIGN.search(part)) or obj is not None or _passive_ask(part)
                                         or (bool(_DIRECT_ASK.match(part)) and not _DESIGN_SUBJECT.search(part)))
                      for obj, part in zip(objects, parts)]
            for name in remaining:
                texts = _agent_texts(catalog.agents[name], owner)
                sims = embed(texts) @ vectors.T  # texts x parts
                for i, part in enumerate(parts):
                    shared = distinctive[name] & _words(part)
                    top = float(sims[:, i].max()) + min(LEXICAL_CAP, LEXICAL_BONUS * len(shared))
                    scores.setdefault(name, []).append(top)
                    if (top >= HANDOFF_MIN_SIMILARITY and top - float(design_best[i]) >= HANDOFF_MARGIN) or (
                            beyond[i] and top >= BEYOND_MIN_SIMILARITY):
                        # an agent of the user's pack is a specialist: it takes the part from a
                        # built-in generalist that is only a little closer ("add a Streamlit chat UI")
                        bonus = 0.0 if catalog.agents[name].builtin else USER_AGENT_PREFERENCE
                        if i not in best or top + bonus > best[i][0]:
                            best[i] = (top + bonus, name)
            for i, (top, name) in sorted(best.items()):
                # a part about as close to an agent the request already asks for by a trigger phrase
                # ("... write the REST contract: endpoints, error codes") is more evidence for that
                # agent, not a second handoff
                if any(other != name and scores[other][i] >= top - TRIGGER_TIE for other in triggered):
                    continue
                # one sentence asks one agent unless a clause is clearly another's: "build the harness and
                # wire it into CI as a merge gate" is the harness builder's work throughout
                if any(j != i and a != name and t > top and scores[a][i] >= top - SENTENCE_TIE
                       and _same_sentence(parts[i], parts[j], sentences) for j, (t, a) in best.items()):
                    continue
                if not _asks_beyond(parts[i], [parts[j] for j, (_, a) in best.items() if a != name and j != i]):
                    continue
                # a clipped span of a clause that is clearly about another agent ("write up the REST contract
                # the integration team should code" inside "... code against: schemas, error codes")
                if any(j != i and parts[j].startswith(parts[i]) and parts[j] != whole and a != name and t > top
                       and not _COORDINATION.match(parts[j][len(parts[i]):]) for j, (t, a) in best.items()):
                    continue
                if name not in found or parts[i] not in found[name]:
                    found.setdefault(name, []).append(parts[i])
    model = shipped_model()
    by_similarity = {n: ps for n, ps in found.items() if n not in triggered}
    if model is not None and by_similarity:
        # the model vetoes a part the similarities alone gave to an agent it all but rules out
        # ("wire a gate into GitHub Actions so a prompt PR can't merge" is the harness builder's, not the platform's)
        units = sorted({p for ps in by_similarity.values() for p in ps})
        probs = model.probabilities(units)
        if probs is not None:
            row = {u: dict(zip(model.labels, r, strict=True)) for u, r in zip(units, probs, strict=True)}
            for n, ps in by_similarity.items():
                if n in model.labels and all(row[p][n] < VETO for p in ps):
                    del found[n]
    if model is not None and remaining:
        # the asks the rules miss: a sentence or clause the learned model reads as one agent's work
        units = _not_described(list(dict.fromkeys([*sentences_of(request), *(c for c in clauses(request)
                                                                              if len(c.split()) >= 3)])), request)
        units = [u for u in units if not _builds_the_system(u, request)]  # "set up an evaluation framework ..."
        # two weaker signals agree: the rules read the unit as asking for an action (in another language, any unit
        # but one the design answers), the model names whose work it is (not a unit that names an agent or
        # is already another's evidence: "ask the data-governance-reviewer to check it")
        claimed = [p for ps in found.values() for p in ps]
        asking = set(parts)
        actions = {u for u in units if (u in asking or (foreign and not _DESIGN_UNIT.match(u)))
                   and not mentioned_agents(u, catalog)
                   and not any(c in u or u in c for c in claimed)}
        for unit, name, probability in model.asked(units, threshold=ASK_WITH_ACTION_THRESHOLD):
            if probability < ASK_THRESHOLD and unit not in actions:
                continue
            if name in remaining and name not in found and not (
                    _done_elsewhere(unit, request) or _declined(unit, request) or _elsewhere(unit)):
                found[name] = [unit]
    return [_Evidence(agent=n, phrases=found[n]) for n in names if n in found]


_PASSIVE_ASK = re.compile(rf"\b{_PASSIVE_ASK_TEXT}\b", re.I)


# a direct ask for a finding: "then tell us where we'd be wasting GPU time and what to fix first"
_DIRECT_ASK = re.compile(r"^(?:then\s+|also\s+|and\s+|please\s+)*(?:tell|show)\s+(?:us|me)\s+(?:where|what|which|why|whether)\b", re.I)


def _passive_ask(part: str) -> bool:
    """Whether ``part`` asks for a piece of work in the passive, about something other than the design itself."""
    match = _PASSIVE_ASK.search(part)
    return match is not None and not _DESIGN_SUBJECT.search(part[: match.start()])


_LOOK_LIKE = re.compile(rf"\b{_LOOK_LIKE_TEXT}\b", re.I)
# what the design itself is: "what would the serving architecture look like" asks for the design
_DESIGN_SUBJECT = re.compile(r"\b(?:architecture|system|design|setup|solution|stack|overall|whole|it|this|that|everything|"
                             r"end\s+state|target\s+state)\b", re.I)


def _asked_object(part: str) -> str | None:
    """The work product a "what would X look like" question asks for ("the scoring API"), unless
    X is the design itself."""
    match = _LOOK_LIKE.search(part)
    if match is None or not match.group("x").strip() or _DESIGN_SUBJECT.search(match.group("x")):
        return None
    return match.group("x").strip()


_LABELLED_ASK = re.compile(rf"\b({_ASK_LABEL}|{_LABEL_ONLY})\s*[:!]\s*", re.I)


def _same_sentence(a: str, b: str, sentences: list[str]) -> bool:
    return any(a in sentence and b in sentence for sentence in sentences)


def _asks_beyond(part: str, others: list[str]) -> bool:
    """Whether ``part`` still asks for an action once the smaller parts it holds that are
    evidence for other agents are taken out ("We have a FastAPI service. Design the serving
    and write the unit tests" asks only for the tests)."""
    rest = part
    for other in sorted(others, key=len, reverse=True):
        if other != part and len(other) < len(part):
            rest = rest.replace(other, " ")
    return rest == part or _asks(rest)


def build_brief(request: str, workflow: str, from_agent: str, question: str, reason: str,
                messages: Sequence[BaseMessage], chain: list[str]) -> Brief:
    results = tool_results(messages)
    archs = [r.data for r in results if r.tool.endswith("_design_architecture")]
    details = [{"name": str(c.get("name", "")), "technology": str(c.get("technology", "")),
                "responsibility": str(c.get("responsibility", "")), "hosted": "yes" if c.get("hosted") else ""}
               for a in archs for c in a.get("components", [])]
    components = [f"{d['name']} ({d['technology']}): {d['responsibility']}" if d["technology"]
                  else f"{d['name']}: {d['responsibility']}" for d in details]
    flows = [f"{f[0]} → {f[1]}" + (f": {f[2]}" if len(f) > 2 else "") for a in archs for f in a.get("data_flows", [])]
    from mlarchitect.render_markdown import human_number

    figures = [f"{c.name}: {human_number(c.value)} {c.unit} ({c.formula})" for r in results for c in r.calculations]
    constraints = _constraints(messages)
    return Brief(request=request, workflow=workflow, from_agent=from_agent, question=question, reason=reason,
                 components=components, details=details, flows=flows, constraints=constraints,
                 figures=list(dict.fromkeys(figures)), chain=chain)


def _constraints(messages: Sequence[BaseMessage]) -> list[str]:
    """The stated requirements intake attached to the request message."""
    from mlarchitect.requirements import Requirements

    for message in messages:
        data = getattr(message, "additional_kwargs", {}).get("requirements")
        if data:
            req = Requirements.model_validate(data)
            return [f"{name.replace('_', ' ')}: “{fact.quote}”" for name, fact in req.stated_facts()]
    brief = next((getattr(m, "additional_kwargs", {}).get("brief") for m in messages
                  if getattr(m, "additional_kwargs", {}).get("brief")), None)
    return list(brief.get("constraints", [])) if brief else []


def collected_handoffs(messages: Sequence[BaseMessage]) -> tuple[list[Handoff], list[str]]:
    """Handoffs (nested ones included) and notes recorded in transfer tool messages;
    calls to unknown agents become notes."""
    handoffs: list[Handoff] = []
    notes: list[str] = []
    for message in messages:
        if not isinstance(message, ToolMessage) or not (message.name or "").startswith(TRANSFER_PREFIX):
            continue
        artifact = message.artifact if isinstance(message.artifact, dict) else {}
        if "handoff" in artifact:
            handoffs.append(Handoff.model_validate(artifact["handoff"]))
            handoffs.extend(Handoff.model_validate(h) for h in artifact.get("nested", []))
            notes.extend(artifact.get("notes", []))
        elif message.status == "error":
            notes.append(f"Ignored a handoff the model asked for: {message.name} is not an available agent.")
    return handoffs, list(dict.fromkeys(notes))
