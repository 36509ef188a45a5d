"""Deterministic routing: which workflow a request is about, which skills it
needs, and (``mentioned_agents``) which sibling agents it names.

A request is scored against each workflow of the architect with three terms:

(a) **description similarity**: the request against the workflow's own texts
    (the leading skill's description, the architect's workflow title, "when to
    use" line and step titles/points, read by ``agents/agent_files.py``);
(b) **example bank**: the k nearest sentences of ``routing_examples.yaml``
    (per-workflow phrasings, out-of-scope requests labelled ``general``, and
    mixed requests labelled primary + secondary), similarity-weighted votes;
(c) **keywords**: the skills' ``triggers`` (strong) and ``hints`` (weak), a
    smaller term;
(d) **a learned model** (``agents/workflow_model.py``: softmax regression over the
    contextual vector and hashed words, trained on ~1,400 requests written for it and
    the bank), whose probabilities are mixed into the whole request's (``W_LEARNED``).
    A request with none of the domain's words is still in scope when this model reads
    it as clearly about one workflow (``scope.LEARNED_IN_SCOPE``), unless it rules ML out.

(a) and (b) are computed in two embedding spaces: the bundled static embedder
(model2vec, a bag of token vectors) and, for the whole request, the contextual
encoder (all-MiniLM-L6-v2 in numpy, ``agents/context_vectors.py``), which reads
word order. Each space's scores go through a softmax with a ``general`` class and
the two are averaged (``W_CONTEXT``), so ``Route.scores`` are probabilities and
``Route.confidence`` is the chosen class's probability. Without the encoder's
files, the static space alone decides. When two parts of the
request (clauses; constraints such as "latency under 2 s" excluded) are each
clearly about a different workflow and both workflows are above noise for the
whole request, the first part that asks for something ("we need ...", "I'd like the
design of ...") decides the primary, else the part the request opens with, unless the
whole request gives that workflow less than half the best one's probability
(``LEAD_RATIO``); the other becomes ``Route.secondary`` (its leading skill joins
``Route.skills``). A question about a concept ("what is an embedding?") leans to
``general`` (``QUESTION_WEIGHT``).

If the static embedder cannot be loaded, routing falls back to keywords alone.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, Field

from mlarchitect.agents.agent_files import AgentCatalog
from mlarchitect.agents.agent_spec import AgentSpec
from mlarchitect.agents.example_bank import example_bank
from mlarchitect.agents.scope import gloss, in_scope
from mlarchitect.requirements import AUDIO_HOURS, MEDIA_RECORDS, Requirements
from mlarchitect.skills.registry import SkillCatalog, SkillSpec

STRONG = 3.0
WEAK = 1.0
ALWAYS_SKILLS = ("observability",)
COST_WORDS = re.compile(r"\$|\bbudget\b|\bcosts?\b|\bcheap|\bspend|\bbill\b|per month|a month", re.I)
GENERAL = "general"

@dataclass(frozen=True)
class Space:
    """How one embedding space's similarities enter the raw scores."""

    sharpness: float  # neighbour weight = exp(sharpness * similarity)
    w_bank: float  # weight of the k nearest examples' votes
    w_desc: float  # weight of the similarity to each workflow's own texts
    floor: float  # nearest example below this similarity: the request is about nothing we know
    general_bias: float  # general's score on top of its bank votes


# --- scorer parameters (tuned on the bank by leave-one-out and on the dev sets) ---
K_NEIGHBOURS = 13
SECONDARY_VOTE = 0.5  # a mixed example's vote for its secondary workflow
W_KEYWORDS = 1.2
KEYWORD_SCALE = 4.0  # keyword term = 1 - exp(-score / scale)
CLAUSE_MIN = 0.45  # a part of the request is clearly about a workflow at this probability
SECONDARY_MIN = 0.05  # the second workflow's probability for the whole request: above noise
LEAD_RATIO = 0.5  # the opening part's workflow leads when the whole request gives it at least this share of the best's
QUESTION_WEIGHT = 2.0  # what a question about a concept adds to general's raw score
FACT_WEIGHT = 0.6  # what a stated fact adds to a workflow's raw score (see fact_prior)
NAME_WEIGHT = 1.5  # what asking for a workflow's system by name adds to its raw score (see named_prior)
STATIC = Space(sharpness=8.0, w_bank=2.0, w_desc=6.0, floor=0.4, general_bias=0.6)
# the contextual encoder's similarities are lower and spread differently
CONTEXT = Space(sharpness=8.0, w_bank=2.0, w_desc=6.0, floor=0.25, general_bias=0.4)
W_CONTEXT = 0.5  # the contextual encoder's share of the whole request's probabilities
DELEGATED_ASK = 0.5  # the ask model's probability that a sentence handing work to someone asks for a sibling
W_LEARNED = 0.2  # the learned workflow model's share of the whole request's probabilities (agents/workflow_model.py)


class Route(BaseModel):
    workflow: str
    scores: dict[str, float] = Field(default_factory=dict)
    skills: list[str] = Field(default_factory=list)
    secondary: list[str] = Field(default_factory=list)
    confidence: float = 0.0
    in_scope: bool = Field(default=True, description="False: nothing to design (no ML, AI or data system, or a "
                           "question about a concept: see question).")
    question: bool = Field(default=False, description="True: a question about a concept, not a system to design.")


# --- keyword matching ------------------------------------------------------------


@lru_cache(maxsize=1024)
def _phrase(phrase: str) -> re.Pattern[str]:
    escaped = re.escape(phrase.lower()).replace(r"\ ", r"[\s-]").replace(r"\-", r"[\s-]")  # "threat model" = "threat-model"
    tail = r"" if phrase.endswith(("-", "ing", "ib")) or not phrase[-1].isalnum() else r"(?:s|es|d|ed)?\b"
    lead = r"(?<![a-z0-9])" if phrase[0].isalnum() else ""
    return re.compile(lead + escaped + tail)


def match_phrases(text: str, phrases: list[str]) -> list[tuple[int, str]]:
    """(position, phrase) for each phrase found in ``text`` (case-insensitive)."""
    low = text.lower()
    flat = low.replace("-", " ")
    found = []
    for phrase in phrases:
        phrase_text = phrase.strip()
        if not phrase_text or phrase_text.lower().replace("-", " ") not in flat:  # cannot match: no pattern compiled
            continue
        m = _phrase(phrase_text).search(low)
        if m:
            found.append((m.start(), phrase))
    return found


def score_skill(request: str, skill: SkillSpec) -> tuple[float, int]:
    """(keyword score, position of the first strong trigger) of a skill for a request."""
    strong = match_phrases(request, skill.triggers)
    weak = match_phrases(request, [h for h in skill.hints if h not in skill.triggers])
    score = STRONG * len(strong) + WEAK * len(weak)
    first = min((pos for pos, _ in strong), default=10**6)
    return score, first


# --- the embedder (one per process, loaded lazily) --------------------------------

_lock = threading.Lock()
_embedder: Any = None
_embedder_failed = False
_vectors: dict[str, Any] = {}


def _get_embedder() -> Any:
    global _embedder, _embedder_failed
    if _embedder is None and not _embedder_failed:
        with _lock:
            if _embedder is None and not _embedder_failed:
                try:
                    from mlarchitect.knowledge.embedders.static import StaticEmbedder

                    embedder = StaticEmbedder()
                    embedder.embed_array(["warm-up"])  # loads the model now, under the lock
                    _embedder = embedder
                except Exception:  # noqa: BLE001 - no model, no numpy: keywords only
                    _embedder_failed = True
    return _embedder


def embed(texts: Sequence[str]) -> Any | None:
    """Unit-length vectors (numpy array, one row per text), cached per text;
    ``None`` when the embedder is unavailable."""
    embedder = _get_embedder()
    if embedder is None:
        return None
    import numpy as np

    with _lock:
        found = {t: _vectors[t] for t in dict.fromkeys(texts) if t in _vectors}
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        from mlarchitect.agents.context_vectors import shipped_static

        shipped = shipped_static(missing, embedder.name)  # the bank's and definitions' vectors
        found.update(shipped)
        todo = [t for t in missing if t not in shipped]
        fresh = embedder.embed_array(todo) if todo else []
        for text, vector in zip(todo, fresh, strict=True):
            norm = float(np.linalg.norm(vector)) or 1.0
            found[text] = vector / norm
        with _lock:
            if len(_vectors) > 20_000:  # requests are cached too; keep memory bounded
                for key in list(_vectors)[:5_000]:
                    del _vectors[key]
            _vectors.update((t, found[t]) for t in missing)
    if not texts:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([found[t] for t in texts])


# --- the example bank ---------------------------------------------------------------


@dataclass(frozen=True)
class _Example:
    text: str
    primary: str
    secondary: tuple[str, ...] = ()


def bank_examples() -> list[_Example]:
    bank = example_bank()
    examples = [_Example(s, w) for w, texts in bank["workflows"].items() for s in texts]
    examples += [_Example(s, GENERAL) for s in bank["general"]]
    examples += [_Example(m["request"], m["primary"], tuple(m["secondary"])) for m in bank["mixed"]]
    return examples


def workflow_texts(architect: AgentSpec, skills: SkillCatalog) -> dict[str, list[str]]:
    """What each workflow is about, from the definitions: the leading skill's
    description and the architect's workflow title, "when to use" and steps."""
    texts: dict[str, list[str]] = {}
    for workflow in architect.workflows:
        lead = skills.leading(workflow.id)
        if lead is None:
            continue
        own = [lead.description, f"{workflow.title}. {workflow.when_to_use}".strip()]
        for step in workflow.steps:
            own.append(step.title)
            own.extend(step.points)
        texts[workflow.id] = [t for t in own if t.strip()]
    return texts


# --- scoring -------------------------------------------------------------------------


class _Scorer:
    """Scores requests against one architect's workflows (built once per definition set)."""

    def __init__(self, architect: AgentSpec, skills: SkillCatalog) -> None:
        self.leads = {w.id: lead for w in architect.workflows if (lead := skills.leading(w.id)) is not None}
        self.workflows = list(self.leads)
        texts = workflow_texts(architect, skills)
        self.examples = [e for e in bank_examples() if e.primary == GENERAL or e.primary in self.leads]
        embed([t for w in self.workflows for t in texts[w]] + [e.text for e in self.examples])  # one batch
        self.desc_vectors = {w: embed(texts[w]) for w in self.workflows}  # cached vectors from here on
        self.bank_vectors = embed([e.text for e in self.examples])
        self.speller = _speller(architect, skills, texts)
        self.context: tuple[Any, dict[str, Any]] | None = None  # (bank, descriptions) in the encoder's space
        if self.bank_vectors is not None:
            from mlarchitect.agents.context_vectors import context_embed

            bank = context_embed([e.text for e in self.examples])
            if bank is not None:
                self.context = (bank, {w: context_embed(texts[w]) for w in self.workflows})

    def learned(self, request: str) -> dict[str, float] | None:
        """The learned workflow model's probabilities, when it knows exactly this architect's workflows."""
        from mlarchitect.agents.workflow_model import probabilities

        probs = probabilities(request)
        return probs if probs is not None and set(probs) == {*self.workflows, GENERAL} else None

    def keyword_scores(self, request: str) -> dict[str, tuple[float, int]]:
        return {w: score_skill(request, lead) for w, lead in self.leads.items()}

    def _similarity_terms(self, q: Any, bank: Any, desc_vectors: dict[str, Any], space: Space) -> dict[str, float]:
        """What the k nearest bank examples and the workflows' descriptions add to each raw score."""
        sims = bank @ q
        order = sorted(range(len(sims)), key=lambda i: (-float(sims[i]), i))[:K_NEIGHBOURS]
        weights = [math.exp(space.sharpness * float(sims[i])) for i in order]
        total = sum(weights) or 1.0
        votes = dict.fromkeys([*self.workflows, GENERAL], 0.0)
        for i, weight in zip(order, weights, strict=True):
            example = self.examples[i]
            votes[example.primary] += weight / total
            for other in example.secondary:
                if other in votes:
                    votes[other] += SECONDARY_VOTE * weight / total
        desc = {}
        for w in self.workflows:
            s = sorted((desc_vectors[w] @ q).tolist(), reverse=True)[:3]
            desc[w] = sum(s) / len(s) if s else 0.0
        mean_desc = sum(desc.values()) / len(desc)
        terms = {w: space.w_bank * votes[w] + space.w_desc * (desc[w] - mean_desc) for w in self.workflows}
        nearest = float(sims[order[0]]) if order else 0.0
        terms[GENERAL] = space.general_bias + space.w_bank * votes[GENERAL] + (space.w_bank if nearest < space.floor else 0.0)
        return terms

    def scores(self, request: str, prior: dict[str, float] | None = None,
               *, context: bool = False) -> tuple[dict[str, float], dict[str, float]]:
        """(probabilities over workflows + general, raw keyword scores); ``prior`` adds
        to the workflows' raw scores (what the request's stated facts suggest). With
        ``context``, the contextual encoder's probabilities are mixed in (``W_CONTEXT``)."""
        keywords = self.keyword_scores(request)
        base = {w: W_KEYWORDS * (1 - math.exp(-keywords[w][0] / KEYWORD_SCALE)) + (prior or {}).get(w, 0.0)
                for w in self.workflows}
        base[GENERAL] = (prior or {}).get(GENERAL, 0.0)
        vector = embed([request])
        if vector is None or self.bank_vectors is None:
            probs = _softmax({**base, GENERAL: STATIC.general_bias})
        else:
            terms = self._similarity_terms(vector[0], self.bank_vectors, self.desc_vectors, STATIC)
            probs = _softmax({k: v + terms[k] for k, v in base.items()})
            if context and self.context is not None:
                from mlarchitect.agents.context_vectors import context_embed

                q = context_embed([request])
                if q is not None:
                    terms = self._similarity_terms(q[0], *self.context, CONTEXT)
                    other = _softmax({k: v + terms[k] for k, v in base.items()})
                    probs = {k: (1 - W_CONTEXT) * probs[k] + W_CONTEXT * other[k] for k in probs}
                learned = self.learned(request)
                if learned is not None:
                    probs = {k: (1 - W_LEARNED) * probs[k] + W_LEARNED * learned[k] for k in probs}
        return probs, {w: keywords[w][0] for w in self.workflows}


def _softmax(raw: dict[str, float]) -> dict[str, float]:
    top = max(raw.values())
    exp = {k: math.exp(v - top) for k, v in raw.items()}
    total = sum(exp.values())
    return {k: exp[k] / total for k in raw}


def _speller(architect: AgentSpec, skills: SkillCatalog, texts: dict[str, list[str]]) -> Any:
    """A speller over the words of the definitions and the example bank."""
    from mlarchitect.agents.dictionary_words import dictionary_words
    from mlarchitect.agents.spelling import Speller, tokenizer_words

    bank = example_bank()
    domain = [t for ts in texts.values() for t in ts]
    domain += [e.text for e in bank_examples()]
    domain += [s for ts in bank["handoffs"].values() for s in ts]
    for skill in skills.skills.values():
        domain += [skill.description, *skill.triggers, *skill.hints]
    domain.append(architect.description)
    return Speller(domain, tokenizer_words(), dictionary_words(), bank["vocabulary"])


def normalise(request: str, architect: AgentSpec, skills: SkillCatalog) -> str:
    """The request with misspelt domain words corrected ("pipline" → "pipeline"), for scoring only."""
    return _scorer(architect, skills).speller.normalise(request)


_scorers: dict[tuple[Any, ...], _Scorer] = {}


def _scorer(architect: AgentSpec, skills: SkillCatalog) -> _Scorer:
    key = (
        architect.name,
        tuple((w.id, w.title, len(w.steps)) for w in architect.workflows),
        tuple((s.name, s.workflow, s.description, tuple(s.triggers), tuple(s.hints), tuple(s.names), tuple(s.asks))
              for s in skills.skills.values() if s.workflow and s.builtin),
    )
    scorer = _scorers.get(key)
    if scorer is None:
        scorer = _Scorer(architect, skills)
        with _lock:
            _scorers[key] = scorer
    return scorer


_CLAUSE_SPLIT = re.compile(
    r"[.;:!?]\s+|,(?!\d)\s*(?:and\s+|then\s+|plus\s+)?|\s+(?:and then|then|plus|as well as|and also|and)\s+", re.I)


_CONSTRAINT = re.compile(
    r"^(?:with\s+|and\s+)?(?:an?\s+|the\s+)?(?:(?:p\d\d|end-to-end|total)\s+)?"
    r"(?:latency|p\d\d|budget|\$|costs?|under|below|within|less than|at most|up to|max(?:imum)?|sla|slo)\b"
    r"|^(?:about\s+|around\s+|roughly\s+|~\s*)?[$€£]?\d[\d,._]*\s*(?:k|m|b|million|thousand)?\b",  # "40,000 questions per day"
    re.I)


_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
# the request says it wants no design: "No design needed.", "Not looking for a design — just explain ..."
_NO_DESIGN = re.compile(r"\b(?:no\s+(?:design|architecture)\s+(?:needed|required|wanted|necessary|please)|"
                        # "quick question, not building anything", "just a short explanation please, no design"
                        r"(?:not|n't)\s+(?:building|designing|planning\s+to\s+build)\s+anything(?=\s*(?:[,:;.!?)]|$))|"
                        r"(?:just|only)\s+(?:an?\s+)?(?:short\s+|quick\s+|brief\s+)?explanation|"
                        r"(?:,\s*|\bbitte\s+|\bplease\s+)(?:no|kein|pas\s+de|sin|nessun)\s+(?:design|diseño|architecture)(?=\s*[.!]?\s*$)|"
                        r"(?:not|n't)\s+(?:looking\s+for|asking\s+for|after|need(?:ing)?)\s+(?:a\s+|an\s+)?(?:(?:full|whole|system)\s+)?"
                        r"(?:design|architecture))\b(?!\s+(?:for|of|doc)\b)", re.I)
# an ask with no subject of its own: "want something dead simple I can run from my laptop"
_VAGUE_ASK = re.compile(r"^\W*(?:(?:so|but|and|now|then|also|please)\s+)*(?:(?:we|i)(?:'d|\s+would)?\s+)?(?:need|want|like|are\s+looking\s+for|"
                        r"am\s+looking\s+for|looking\s+for)\s+(?:something|anything|a\s+(?:way|tool|thing|setup|solution))\b", re.I)
# a part that asks for something: "we need ...", "I'd like the design of ...", "design ..."
_ASK_CLAUSE = re.compile(
    r"^\W*(?:(?:so|but|and|now|then|also|please)\s+)*(?:(?:we|i)(?:'d|\s+would)?\s+(?:really\s+)?(?:need|want|like|"
    r"are\s+looking\s+for|am\s+looking\s+for|have\s+to)|need|want|looking\s+for|design|build|set\s+up|create|give\s+me|"
    r"help\s+(?:me|us)|(?:can|could)\s+you\s+(?:design|build|set\s+up))\b", re.I)


def subject(request: str, *, documents: bool = False) -> str:
    """The request without its constraint clauses (figures, latency, budget): what it is about.
    With ``documents``, a figure of documents stays, as what the system is about ("ca. 85.000
    Verträge als PDF"): routing reads it so; a pattern search keeps its few words for the rest."""
    parts = [p for p in (x.strip(" ,.;:") for x in _CLAUSE_SPLIT.split(request)) if p]
    kept = [p for p in parts if not _CONSTRAINT.match(p) or (documents and _DOCUMENT_UNITS.search(p))]
    text = ", ".join(kept)
    return text if len(kept) < len(parts) and len(text.split()) >= 3 else request


def clauses(request: str) -> list[str]:
    """The request's parts (sentences and coordinated clauses) of three words or more."""
    parts = [p.strip(" ,.;:") for p in _CLAUSE_SPLIT.split(request)]
    return [p for p in parts if len(p.split()) >= 3]


_DOCUMENT_UNITS = re.compile(r"doc|page|pdf|file|article|manual|note|report|paper|polic|contract|ticket|email|"
                             r"book|guide|sop|record|entr|faq|transcript|slide|wiki|spec|protocol|playbook|runbook|"
                             r"bulletin|brochure|leaflet|chapter|statute|bylaw|dossier|monograph|instruction", re.I)


_QUESTION = re.compile(
    r"^\W*(?:(?:a\s+)?(?:quick|honest|simple|dumb|stupid|general|short)\s+(?:question|opinion)\W+)?"
    r"(?:what(?:'s|s| is| are| was| does| do)\b|explain\b|(?:can|could) you (?:please )?explain\b|how (?:does|do|did|is|are) (?!we\b|i\b|you\b)|"
    r"why (?:do|does|is|are|did)\b|is it (?:true|worth|possible)\b|will\b|would\b|does\b|do (?!we\b|i\b)|"
    r"(?:is|are) (?:an?|the)?\s*\w+\s+(?:better|worse|dead|overrated|needed)\b|eli5\b)", re.I)
# a system of the asker's: "our support bot", "my training runs", "we have 3 GPUs"
_OWNED = re.compile(r"\b(?:our|my|we|we're|we've|us|i'm building|i have|i run)\b(?!\s+(?:manager|boss|team lead|cto|ceo|colleague))", re.I)
_DESIGN_ASK = re.compile(r"\b(?:design|architect\w*|build|set up|deploy|serve|host|implement|migrate|pipeline for|system for|"
                         r"platform for|for (?:a|an) \w+ (?:with|that|of)|\d[\d,.]*\s*(?:k|m)?\s+(?:docs|documents|users|requests|rows|qps|rps))\b", re.I)


# a sentence that hands a piece of work to someone else: "Have someone threat-model it before we go live",
# "Please get the PHI handling reviewed by someone who knows the regulations" (other languages glossed)
_DELEGATION = re.compile(r"\b(?:someone|somebody|anyone|(?:by|ask|have|get)\s+(?:an?|the|our)\s+(?:[\w-]+\s+)?"
                         r"(?:expert|specialist|engineer|team|reviewer|colleague)s?)\b", re.I)


def without_delegated(request: str) -> str:
    """The request without the sentences that hand a piece of work to someone else, which the
    handoffs serve, not the design ("Deploy the summariser on-prem. Have someone threat-model it"
    is a serving design): a sentence with a delegation word that the learned ask model reads as
    a sibling's work (``DELEGATED_ASK``). A request that is nothing else is kept whole."""
    sentences = [s for s in _SENTENCE_SPLIT.split(request) if s.strip()]
    delegating = [s for s in sentences if _DELEGATION.search(s)]
    if not delegating or len(delegating) == len(sentences):
        return request
    from mlarchitect.agents.ask_model import shipped_model

    model = shipped_model()
    asked = {text for text, _, _ in model.asked(delegating, DELEGATED_ASK)} if model is not None else set()
    kept = " ".join(s for s in sentences if s not in asked)
    return kept if asked and len(kept.split()) >= 3 else request


def concept_question(request: str) -> bool:
    """Whether the request asks about a concept or an opinion ("can you explain what an
    embedding is?", "will GPT-5 replace data scientists?") rather than for a system: a question
    that names no system of the asker's and asks for no design."""
    text = request.strip()
    return (bool(_QUESTION.match(text)) and "?" in text and not _OWNED.search(text)
            and not _DESIGN_ASK.search(text))


# stated counts of a system's data, load or runs
_SYSTEM_COUNTS = ("corpus", "batch_volume", "data_volume_gb_per_day", "data_volume_gb", "events_per_day", "labelled_examples",
                  "training_runs_per_month", "peak_rps", "requests_per_day", "users")


def _counts_a_system(req: Requirements | None) -> bool:
    """Whether the request states a count of a system's data, load or runs."""
    if req is None:
        return False
    facts = [getattr(req, name) for name in _SYSTEM_COUNTS]
    return any(fact is not None and fact.stated for fact in facts)


# a name the request states as something it has or does without: "we already have an eval
# pipeline", "not a RAG system", "instead of a feature pipeline", "we have an existing serving layer"
_NAME_NOT_ASKED = re.compile(r"\b(?:already|existing|current|not|no|without|instead\s+of)\b|"
                             r"\b(?:have|has|had)\s+(?:an?|the|our|its|their)\s+(?:\w+\s+){0,2}$", re.I)


# what an ask's {model} stands for: "deploy a fine-tuned LLM", "serve our two XGBoost models"
_MODEL_OBJECT = (r"(?:(?:a|an|the|our|my|this|that|these|those|their|its|two|three|several|\d+)\s+)?(?:[\w.+-]+\s+){0,5}?"
                 r"(?:models?|llms?|slms?|classifiers?|ensembles?|detectors?|rankers?|rerankers?|recommenders?|embedders?|"
                 r"forecasters?|networks?|checkpoints?|mistral|llama|qwen|gemma|bert|deberta|roberta|xgboost|lightgbm|yolo\w*)\b")


# what an ask's {system} stands for: a model or the application built on one ("evaluate our legal RAG
# assistant", "benchmark the support bot"), its words joined by no preposition ("options for serving" is no system)
_SYSTEM_OBJECT = (r"(?:(?:a|an|the|our|my|this|that|these|those|their|its|two|three|several|\d+)\s+)?"
                  r"(?:(?!(?:for|of|to|with|and|or|on|in|from)\b)[\w.+-]+\s+){0,4}?"
                  r"(?:models?|llms?|slms?|classifiers?|rankers?|rerankers?|recommenders?|forecasters?|detectors?|"
                  r"assistants?|chat ?bots?|bots?|copilots?|agents?|rag(?:\s+(?:system|pipeline|app))?)\b")
_PLACEHOLDERS = {"{model}": _MODEL_OBJECT, "{system}": _SYSTEM_OBJECT}


@lru_cache(maxsize=64)
def _ask_pattern(asks: tuple[str, ...]) -> re.Pattern[str] | None:
    """A skill's ``asks`` ("deploy {model}", "evaluate {system}") as one pattern; ``None`` when it has none."""
    alternatives = [r"\s+".join(_PLACEHOLDERS.get(w) or re.escape(w) for w in a.split()) for a in asks]
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + ")", re.I) if alternatives else None


def named_prior(request: str, leads: dict[str, SkillSpec]) -> dict[str, float]:
    """``NAME_WEIGHT`` for each workflow whose system the request asks for by name ("we need an
    evaluation system", "design the serving setup") or by the action it is for ("deploy a
    fine-tuned LLM": the lead skill's ``asks``), not stated as something the request already
    has or rules out."""
    prior: dict[str, float] = {}
    for workflow, lead in leads.items():
        pattern = _ask_pattern(tuple(lead.asks))
        asked = [m.start() for m in pattern.finditer(request)] if pattern is not None else []
        for pos in [*(pos for pos, _ in match_phrases(request, lead.names)), *asked]:
            before = re.split(r"[.;:!?,(]", request[max(0, pos - 80):pos])[-1]
            if not _NAME_NOT_ASKED.search(before):
                prior[workflow] = NAME_WEIGHT
                break
    return prior


def fact_prior(req: Requirements | None) -> dict[str, float]:
    """What the request's stated facts say about its workflow, as additions to the raw
    scores: a corpus of documents points to retrieval, a load, latency target or volume to
    score on a classic model to serving, events or GB per day to a pipeline, labelled examples or an
    effect size to evaluation; a classic model is never a RAG system."""
    if req is None:
        return {}
    prior: dict[str, float] = {}

    def add(workflow: str, value: float) -> None:
        prior[workflow] = prior.get(workflow, 0.0) + value

    kind = req.model_kind.value if req.model_kind else None
    awaited = req.latency is not None and req.latency.stated  # a p99 target: a rate is of requests, not a feed
    if req.corpus is not None and (_DOCUMENT_UNITS.search(req.corpus.value.unit) or req.corpus.value.unit == AUDIO_HOURS):
        # (an archive of recordings to search is a corpus too: "6,000 hours of shows")
        add("rag_system", FACT_WEIGHT)
    if kind == "classic_ml":
        add("rag_system", -FACT_WEIGHT)
        # a load, a latency target or a volume to score ("2,000 appointments a day, scored the evening before")
        if (req.peak_rps is not None or req.latency is not None or req.requests_per_day is not None
                or req.batch_volume is not None):
            add("model_serving", FACT_WEIGHT)
        if awaited:  # "p99 under 30 ms": each prediction is awaited
            add("model_serving", FACT_WEIGHT)
    # a feed to land and transform; photos or recordings a day are as much a served model's load
    feed = req.events_per_day is not None and req.record()[1] not in MEDIA_RECORDS
    if (feed or req.data_volume_gb_per_day is not None) and not awaited:
        add("data_pipeline", FACT_WEIGHT)
    if req.edge_devices is not None and req.edge_devices.stated and req.edge_devices.value:
        add("model_serving", FACT_WEIGHT)  # "run inference on the turbines' edge boxes": a model to deploy and serve
    if req.training_runs_per_month is not None:  # "3,000 training runs a week": runs to keep track of
        add("experiment_tracking", FACT_WEIGHT)
    if req.labelled_examples is not None or req.min_detectable_effect is not None or req.baseline_rate is not None:
        add("evaluation_system", FACT_WEIGHT)
    return prior


def route_request(request: str, architect: AgentSpec, skills: SkillCatalog,
                  requirements: Requirements | None = None) -> Route:
    """The workflow of ``request`` (and a secondary one for a request about two), with the
    skills to invoke; ``requirements`` (the stated facts) weigh in when given."""
    scorer = _scorer(architect, skills)
    normalised = scorer.speller.normalise(gloss(request))  # "retreival" → "retrieval", "modelo" → "model"
    # out of the domain, or no design wanted ("No design needed, just a pytest suite"): a question still gets its answer
    if _NO_DESIGN.search(request) or not in_scope(request, normalised):
        return Route(workflow=GENERAL, skills=[], confidence=1.0, in_scope=False, question=concept_question(request))
    if not scorer.workflows:
        return Route(workflow=GENERAL, skills=skills_for(GENERAL, request, architect, skills), confidence=1.0)
    request = without_delegated(normalised)
    parts = [p for p in clauses(request) if p != request.strip(" ,.;:")]
    about = subject(request, documents=True)
    embed([request, about, *parts])  # one batch; scores() reads the cached vectors
    prior = fact_prior(requirements)
    for workflow, weight in named_prior(request, scorer.leads).items():
        prior[workflow] = prior.get(workflow, 0.0) + weight
    # "what's the difference between LoRA and QLoRA?": not a system (unless the request counts the asker's own
    # things: "What's a sane offline metric suite for our price model? ~80k historical listings")
    question = concept_question(request) and not _counts_a_system(requirements)
    if question:
        prior[GENERAL] = QUESTION_WEIGHT
    probs, _ = scorer.scores(about, prior, context=True)
    ranked = sorted(scorer.workflows, key=lambda w: (-probs[w], scorer.workflows.index(w)))
    best = ranked[0]
    chosen = best if probs[best] >= probs[GENERAL] else GENERAL
    if question and chosen == GENERAL:  # nothing to design: the graph says so instead of drawing a system
        return Route(workflow=GENERAL, scores={w: round(probs[w], 4) for w in [*scorer.workflows, GENERAL]},
                     confidence=round(probs[GENERAL], 4), in_scope=False, question=True)
    secondary: list[str] = []
    if chosen != GENERAL:
        # a request about two workflows: two of its parts are each clearly about one
        decisive: list[str] = []
        asked: list[str] = []  # workflows of the parts that ask for something ("I'd like the design of the eval system")
        asking = [x for x in _SENTENCE_SPLIT.split(request) if _ASK_CLAUSE.match(x.strip()) and not _VAGUE_ASK.match(x.strip())]  # a clause asks with its sentence
        for part in parts:
            if _CONSTRAINT.match(part):  # "latency under 2 s", "a budget of $500": about the whole system
                continue
            part_probs, _ = scorer.scores(part, named_prior(part, scorer.leads))
            top = max(scorer.workflows, key=lambda w: (part_probs[w], -scorer.workflows.index(w)))
            if part_probs[top] >= CLAUSE_MIN and part_probs[top] > part_probs[GENERAL]:
                if top not in decisive:
                    decisive.append(top)
                if ((_ASK_CLAUSE.match(part) or any(part in x for x in asking)) and not _VAGUE_ASK.match(part)
                        and top not in asked):
                    asked.append(top)
        lead = asked[0] if asked else (decisive[0] if decisive else None)
        if len(decisive) >= 2 and lead is not None and probs[lead] >= SECONDARY_MIN:
            if probs[lead] >= LEAD_RATIO * probs[best]:
                chosen = lead  # the workflow the request asks for (else opens with) leads, unless the
                # whole request is clearly about another ("RAG bot in prod; want nightly faithfulness scores")
            candidates = [w for w in decisive if w != chosen and probs[w] >= SECONDARY_MIN]
            if candidates:
                secondary = [max(candidates, key=lambda w: probs[w])]
        elif asked and probs[asked[0]] >= LEAD_RATIO * probs[best]:
            chosen = asked[0]  # the one clear part is the ask ("I want a sane way to evaluate new versions")
    route_skills = skills_for(chosen, request, architect, skills)
    for workflow in secondary:
        lead = skills.leading(workflow)
        if lead is not None and lead.name not in route_skills:
            route_skills.insert(1, lead.name)
    return Route(
        workflow=chosen,
        scores={w: round(probs[w], 4) for w in [*scorer.workflows, GENERAL]},
        skills=route_skills,
        secondary=secondary,
        confidence=round(probs[chosen], 4),
    )


def skills_for(workflow: str, request: str, architect: AgentSpec, skills: SkillCatalog) -> list[str]:
    spec = architect.workflow(workflow)
    if spec is not None:
        names = [skills.resolve(name) for name in spec.skills]
        chosen = [n for n in names if n]
    else:  # general: the leading skills of the workflows the request touches
        chosen = [s.name for s in skills.skills.values() if s.workflow and s.builtin]
        hits = [n for n in chosen if match_phrases(request, skills.skills[n].triggers)]
        chosen = hits or ["model-serving", "data-pipeline"]
    lead = skills.leading(workflow)
    if lead is not None and lead.name not in chosen:
        chosen.insert(0, lead.name)
    chosen.extend(ALWAYS_SKILLS)
    if COST_WORDS.search(request) and "cost-analysis" in skills.skills:
        chosen.append("cost-analysis")
    return [s for s in dict.fromkeys(chosen) if s in skills.skills]


def mentioned_agents(request: str, catalog: AgentCatalog) -> list[str]:
    """Agents the request names outright (``rag-architect``, "the rag architect")."""
    low = request.lower()
    return [name for name in catalog.agents if _name_pattern(name).search(low)]


@lru_cache(maxsize=256)
def _name_pattern(name: str) -> re.Pattern[str]:
    """An agent's whole name, hyphens or spaces: "the RAG architecture" does not name the rag-architect."""
    words = r"[-\s]".join(re.escape(w) for w in name.lower().split("-"))
    return re.compile(rf"(?<![\w-]){words}s?(?![\w-])")
