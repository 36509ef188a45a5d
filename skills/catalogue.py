"""Component catalogues: the options each skill chooses among, as data.

Each skill's ``catalogue.yaml`` lists *slots* (vector store, generator model,
cache, ...) and for each the options with the attributes hard constraints test
(hosted or self-hostable, the datastore it adds, what it needs, the modes and
model kinds it serves, scale range, residency) and the ones soft preferences
weigh (operational burden, cost class, fit). :func:`choose` filters by every
hard constraint of the request and ranks the rest; each rejected option keeps
the reason it lost, for the deliverable's "Alternatives and trade-offs".
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from mlarchitect.money import money
from mlarchitect.requirements import DataKind, Requirements, affirmed

Need = Literal["gpu", "kubernetes", "jvm", "cluster", "service", "internet", "cloud", "vm"]

# datastores that need no new service (in-process or plain files)
EMBEDDED_STORES = frozenset({"none", "in-process", "files", "sqlite", "object-storage"})
CLOSED_REGIONS = frozenset({"China"})  # where the US providers' hosted APIs and clouds are not offered
SERVER_NEEDS = frozenset({"kubernetes", "cluster", "vm"})  # what "serverless only" rules out (with self-run GPUs)


class Option(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = Field(description="What the design names: the technology.")
    summary: str = ""
    hosted: bool = Field(default=False, description="A hosted API or SaaS: data leaves the network.")
    english_only: bool = Field(default=False, description="Trained for English only: ruled out when the request "
                               "names several languages.")
    online: bool | None = Field(default=None, description="Serves live reads (an online store): only when the request "
                                "has an online consumer; False: batch reads only, ruled out when it has one.")
    edge: bool | None = Field(default=None, description="True: runs on devices in the field, only for a request whose "
                              "model runs there; False: a server-side option, ruled out for one.")
    hyperscaler: bool = Field(default=False, description="A US hyperscaler's managed service by its name (Cloud Run, "
                              "MWAA, S3): not for a request that allows European providers only.")
    licence: Literal["open", "proprietary"] | None = Field(default=None, description="Its software licence; unset: "
                                                             "open source unless hosted (a vendor's service).")
    datastore: str = Field(default="none", description="The datastore it adds or reuses (postgres, redis ...).")
    needs: list[Need] = Field(default_factory=list)
    gpu_memory_gb: float = Field(default=0, description="GPU memory it needs in total (0 = none).")
    modes: list[str] = Field(default_factory=list, description="real_time/batch/streaming it serves; empty = any.")
    kinds: list[str] = Field(default_factory=list, description="llm/classic_ml it serves; empty = any.")
    predictions: list[str] = Field(default_factory=list, description="What a classic model it scores predicts "
                                   "(regression, ranking, classification, detection); empty = any.")
    max_scale: float | None = Field(default=None, description="Largest workload it suits, in the slot's unit.")
    min_scale: float | None = Field(default=None, description="Below this it is overkill (soft).")
    residency: list[str] = Field(default_factory=list, description="Regions it can keep data in; empty = anywhere it runs.")
    deployments: list[str] = Field(default_factory=list, description="Only for these deployments; empty = any.")
    single_user: bool = Field(default=False, description="Keeps its data on one person's machine: ruled out when the "
                              "request names two or more people who share it.")
    ops: Literal["low", "medium", "high"] = "medium"
    cost: Literal["free", "low", "medium", "high"] = "medium"
    fit: float = Field(default=1.0, description="Default preference when nothing else decides.")
    task_words: list[str] = Field(default_factory=list, description="Regexes (lower case) of which the request must "
                                  "use one for the option to apply at all (translation metrics need a translation task).")
    multilingual: bool = Field(default=False, description="Made for several languages (translation, per-language "
                               "scoring): only offered when the request names more than one language.")
    stack: list[str] = Field(default_factory=list, description="Existing-stack names that make it a reuse (postgres ...).")
    clouds: list[str] = Field(default_factory=list, description="Only on these clouds (aws/gcp/azure); empty = any.")
    data: list[DataKind] = Field(default_factory=list, description="What data it is made for (time_series, images, video, "
                            "audio ...): only offered, and then preferred, when the request's data is of one of these "
                            "kinds; empty = any data.")
    sources: list[str] = Field(default_factory=list, description="Data sources it ingests (database, files, api, "
                               "events): preferred when the request names one.")
    per_cloud: dict[str, str] = Field(default_factory=dict, description="The name on a cloud the request names "
                                      "(its native service); the option is then native to that cloud.")
    per_stack: dict[str, str] = Field(default_factory=dict, description="The name when the existing stack has this "
                                      "product (\"elasticsearch\": the team's Elasticsearch cluster, not a new OpenSearch).")
    pairs_with: list[str] = Field(default_factory=list, description="Options it works best beside (chosen earlier).")
    named_by: list[str] = Field(default_factory=list, description="Regexes (lower case, whole words) that ask for it "
                                "by name or by technique (\"debezium\", \"change data capture\"): preferred when the "
                                "request uses one, unless a hard constraint rules it out.")
    strengths: str = ""
    weaknesses: str = ""

    @property
    def proprietary(self) -> bool:
        return self.licence == "proprietary" or (self.hosted and self.licence != "open")


class Slot(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    unit: str = Field(default="", description="What max_scale counts: chunks, rows/day, rps ...")
    optional: bool = Field(default=False, description="May be left out when no option fits.")
    options: list[Option]


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    slots: dict[str, Slot]


class Rejected(BaseModel):
    option: str
    why: str
    ruled_out: bool = Field(default=True, description="A limit of the request rules it out (False: it ranked lower).")


class Choice(BaseModel):
    """The option chosen for one slot, and why the others lost."""

    slot: str
    title: str
    chosen: Option | None
    why: str
    rejected: list[Rejected] = Field(default_factory=list)


class NamedProduct(BaseModel):
    """A product a request may name that no catalogue has an option for (``named_products.yaml``):
    the slots that offer it once named, and the attributes hard constraints test."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    named_by: list[str]
    names: dict[str, str] = Field(description="Slot id -> what the design names in that slot.")
    hosted: bool = False
    needs: list[Need] = Field(default_factory=list)
    clouds: list[str] = Field(default_factory=list)
    hyperscaler: bool = False
    licence: Literal["open", "proprietary"] | None = None
    ops: Literal["low", "medium", "high"] = "medium"
    cost: Literal["free", "low", "medium", "high"] = "medium"

    def option(self, slot_id: str) -> Option:
        return Option(id=f"named-{self.id}", name=self.names[slot_id], hosted=self.hosted, needs=self.needs,
                      clouds=self.clouds, hyperscaler=self.hyperscaler, licence=self.licence, ops=self.ops,
                      cost=self.cost, named_by=self.named_by, fit=0.5, strengths="the product the request names")


@lru_cache(maxsize=1)
def named_products() -> tuple[NamedProduct, ...]:
    from mlarchitect.yamlio import safe_load

    text = (resources.files("mlarchitect.skills") / "named_products.yaml").read_text(encoding="utf-8")
    return tuple(NamedProduct.model_validate(p) for p in safe_load(text)["products"])


def _named_options(slot_id: str, slot: Slot, text: str) -> list[Option]:
    """Options for the products ``text`` names that ``slot`` has no option of its own for."""
    if not text:
        return []
    own = [words.lower() for o in slot.options if (words := named_in(o, text))]
    offered = [p.option(slot_id) for p in named_products() if slot_id in p.names]
    # a name one of the slot's own options answers to is that option's ("a single VM with docker-compose":
    # the VM names the VM option, docker-compose the product)
    return [option for option in offered if (words := named_in(option, text))
            and not any(words.lower() in w or w in words.lower() for w in own)]


@lru_cache(maxsize=16)
def load_catalogue(package: str) -> Catalogue:
    from mlarchitect.yamlio import safe_load

    text = (resources.files(package) / "catalogue.yaml").read_text(encoding="utf-8")
    return Catalogue.model_validate(safe_load(text))


# a name the request refuses to be offered: "don't propose Kubernetes", "please do not suggest Pinecone"
_REFUSED = r"(?:don'?t|do not|never)\s+(?:\w+\s+)?(?:propose|suggest|recommend|want|need|include|bring in|introduce)"
# words just before a name that ask for something else ("no Kafka", "moving off Airflow")
_NOT_WANTED = re.compile(rf"\b(?:no|not|without|instead of|rather than|avoid(?:ing)?|except|replac(?:e|ing)|{_REFUSED}|"
                         r"drop(?:ping)?|ditch(?:ing)?|(?:mov|migrat|get|switch|com)\w*\s+off|away from|migrat(?:e|ing) from|mov(?:e|ing) from|"
                         r"other than|nor|kein(?:e|en)?|ohne|sin)\b[^.;,:()]*$")
REQUESTED_MODEL_PENALTY = 3.0  # a hosted API cannot serve the open-weight model the request names
NAMED_BONUS = 4.0  # above reusing the existing stack (3): what the request asks for by name wins


@lru_cache(maxsize=512)
def _name_rx(pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w-])(?:{pattern})(?![\w-])")


def named_in(option: Option, text: str) -> str | None:
    """The words of ``text`` that ask for ``option`` (see :attr:`Option.named_by`), or None
    when it is not named, or named only to be excluded ("no Kafka", "instead of Airflow")."""
    low = text.lower()
    for pattern in option.named_by:
        for match in _name_rx(pattern).finditer(low):
            if not _NOT_WANTED.search(low[max(0, match.start() - 30):match.start()]):
                return text[match.start():match.end()]
    return None


# a name the request rules out: "no Kafka", "we can't run Kubernetes", "moving off Airflow",
# "something like wandb but we can't pay for it"
_RULED_OUT_BEFORE = re.compile(
    r"\b(?:no|not|without|never|avoid(?:ing)?|instead of|rather than|other than|replac(?:e|ing)|drop(?:ping)?|"
    r"ditch(?:ing)?|(?:mov|migrat)(?:e|ing) (?:off|away from|from)|(?:get|switch|com)\w* off|away from|kein(?:e|en)?|ohne|sin(?: usar)?|nada de(?: usar)?|no usar|niente|senza(?: usare)?|sans(?: utiliser)?|pas de|sem(?: usar)?|zonder|geen|"
    r"(?:can'?t|cannot|can not|won'?t|don'?t|do not|mustn'?t|must not|not allowed to|unable to) (?:\w+ )?(?:use|run|have|operate|afford|add|pay for)|"
    # "nobody here wants to run Kafka", "no one on the team can operate Spark"
    r"(?:nobody|no one|none of us)(?: \w+){0,3}? (?:wants?|knows how|is able|has time|can|will) (?:to )?(?:run|operate|maintain|use|manage|babysit|learn)|"
    rf"{_REFUSED})"
    r"\s+(?:(?:a|an|any|the|our|another|more|new|managed|self-hosted|hosted)\s+)?(?:\w+\s+)?$")
_RULED_OUT_AFTER = re.compile(r"^[^.;:]{0,12}\b(?:but|though|however),?\s+(?:we\s+|i\s+)?(?:can'?t|cannot|can not|won'?t|"
                              r"don'?t|do not)\s+(?:\w+\s+)?(?:pay|afford|use|run)\b|^\s+(?:is|are)\s+(?:too expensive|not allowed|banned|out)\b")


def ruled_out_at(low: str, start: int, end: int) -> bool:
    """Whether the name at ``low[start:end]`` (lower-case text) is ruled out by the words around it
    ("no Kafka", "moving off Airflow", "something like wandb but we can't pay for it")."""
    return bool(_RULED_OUT_BEFORE.search(low[max(0, start - 40):start]) or _RULED_OUT_AFTER.search(low[end:end + 60]))


def ruled_out_in(option: Option, text: str) -> str | None:
    """The words of ``text`` that rule ``option`` out by name ("no Kafka"), or None."""
    low = text.lower()
    for pattern in option.named_by:
        for match in _name_rx(pattern).finditer(low):
            if ruled_out_at(low, match.start(), match.end()):
                return text[match.start():match.end()]
    return None


def hard_violations(option: Option, req: Requirements, scale: float | None = None, *, named: bool = False) -> list[str]:
    """Why ``option`` breaks a hard constraint of ``req`` (empty: it is allowed). An option
    the request ``named`` is not ruled out by an assumed mode or model kind (the request's
    own words say more than a default)."""
    out: list[str] = []
    if option.hosted and req.self_hosted_only:
        out.append(f"a hosted service, and {_quote(req.no_external_apis or req.deployment)} rules those out")
    if affirmed(req.open_source_only) and option.proprietary:
        out.append(f"proprietary{' (a vendor service)' if option.hosted else ''}, and "
                   f"{_quote(req.open_source_only)} allows open-source software only")
    if affirmed(req.european_providers_only) and (option.hosted or option.hyperscaler):
        out.append(f"a US provider's service, and {_quote(req.european_providers_only)} allows European providers only")
    if option.english_only and _beyond_english(req):
        out.append(f"English only; the request needs {_needed_languages(req)}")
    cloud = _cloud(req)
    live_reads = affirmed(req.online_features) or (req.mode is not None and req.mode.value in ("real_time", "streaming"))
    if option.online is True and not live_reads:
        out.append("an online store, and nothing in the request reads features at request time")
    if option.online is False and affirmed(req.online_features):
        out.append(f"no online store; {_quote(req.online_features)} needs one")
    on_devices = affirmed(req.edge_devices)
    if option.edge is True and not on_devices:
        out.append("runs on devices in the field, and the request serves from servers")
    if option.edge is False and on_devices:
        out.append(f"a server-side option; {_quote(req.edge_devices)} runs the model on the devices")
    elif option.hosted and option.edge is None and on_devices:
        out.append(f"a hosted API every device would call; {_quote(req.edge_devices)} runs the model on the devices")
    if affirmed(req.cloud_only) and option.hosted and cloud and cloud not in option.per_cloud:
        out.append(f"a third-party service outside {cloud.upper()}, and {_quote(req.cloud_only)} allows that cloud's services only")
    if "internet" in option.needs and req.deployment is not None and req.deployment.value == "air_gapped":
        out.append(f"needs internet access; {_quote(req.deployment)}")
    if "cloud" in option.needs and req.deployment is not None and req.deployment.value != "cloud":
        out.append(f"a public-cloud service; {_quote(req.deployment)}")
    if affirmed(req.serverless_only) and (SERVER_NEEDS & set(option.needs) or (option.gpu_memory_gb and not option.hosted)):
        out.append(f"runs on servers the team operates; {_quote(req.serverless_only)}")
    stack = req.stack()
    if affirmed(req.stack_only) and adds_datastore(option, stack):
        out.append(f"adds {option.datastore}, and {_quote(req.stack_only)} allows no new datastore")
    single = req.deployment is not None and req.deployment.value == "single_machine"
    on_own_cluster = "kubernetes" in option.needs and "kubernetes" in stack  # a one-node cluster the team runs
    for need in option.needs:
        if need in ("kubernetes", "cluster") and single and not on_own_cluster:
            out.append(f"needs {'a Kubernetes cluster' if need == 'kubernetes' else 'several machines'}; "
                       f"{_quote(req.deployment)}")
    if option.gpu_memory_gb:
        hw = req.hardware.value if req.hardware else None
        available = _gpu_memory(req)
        if hw is not None and hw.cpu_only:
            out.append(f"needs a GPU; {_quote(req.hardware)}")
        elif available is not None and available < option.gpu_memory_gb:
            out.append(f"needs {option.gpu_memory_gb:g} GB of GPU memory; {_quote(req.hardware)} gives {available:g} GB")
        elif available is None and req.self_hosted_only and req.hardware is not None:
            out.append(f"needs a GPU, and {_quote(req.hardware)} names none")
    people = req.people()
    if option.single_user and people is not None and people.stated and people.value >= 2:
        out.append(f"keeps everything on one machine; {_quote(people)} need to see each other's work")
    if option.deployments and (req.deployment is None or req.deployment.value not in option.deployments):
        where = req.deployment.value.replace("_", " ") if req.deployment else "a server deployment"
        out.append(f"only suits {' / '.join(d.replace('_', ' ') for d in option.deployments)}, not {where}")
    if option.modes and req.mode is not None and req.mode.value not in option.modes and not (named and not req.mode.stated):
        out.append(f"serves {'/'.join(m.replace('_', '-') for m in option.modes)} workloads; "
                   f"{_quote(req.mode)} is {req.mode.value.replace('_', '-')}")
    if (option.kinds and req.model_kind is not None and req.model_kind.value not in option.kinds
            and not (named and not req.model_kind.stated)):
        kind = "an LLM" if req.model_kind.value == "llm" else "a classic ML model"
        out.append(f"does not apply to {kind} ({_quote(req.model_kind)})")
    prediction = req.prediction.value if req.prediction is not None else "classification"
    if option.predictions and req.model_kind is not None and req.model_kind.value == "classic_ml" and (
            prediction not in option.predictions and not named):
        what = {"regression": "a quantity", "ranking": "an order", "classification": "a class",
                "detection": "objects in images"}
        out.append(f"scores {' / '.join(option.predictions)} models; " + (
            f"this one predicts {what[prediction]} ({_quote(req.prediction)})" if req.prediction
            else f"the request names no {' or '.join(what[p] for p in option.predictions)} to predict"))
    if option.max_scale is not None and scale is not None and scale > option.max_scale:
        from mlarchitect.render_markdown import human_number

        out.append(f"suits up to {human_number(option.max_scale)}; this design needs {human_number(scale)}")
    if option.clouds and cloud and cloud not in option.clouds:
        out.append(f"runs on {' / '.join(c.upper() for c in option.clouds)} only; {_quote(req.cloud)} names {cloud.upper()}")
    if (req.data_residency is not None and req.data_residency.value in CLOSED_REGIONS and (option.hosted or option.hyperscaler)
            and req.data_residency.value not in option.residency):
        out.append(f"a foreign provider's service, not offered for data that must stay in {req.data_residency.value} "
                   f"({_quote(req.data_residency)})")
    if option.residency and req.data_residency is not None and not _in_cloud_region(option, req):
        region = req.data_residency.value.lower()
        if not any(region.startswith(r.lower()) or r.lower() == "any" for r in option.residency):
            out.append(f"cannot keep data in {req.data_residency.value} ({_quote(req.data_residency)})")
    return out


SINGLE_MACHINE_SERVICE_PENALTY = 1.5
RESIDENCY_UNKNOWN_PENALTY = 1.5
SMALL_TEAM_COST_PREFERENCE = {"free": 0.3, "low": 0.2, "medium": 0.0, "high": -1.0}


def budget_unstated(req: Requirements) -> bool:
    return req.monthly_budget_usd is None


def adds_datastore(option: Option, stack: set[str]) -> bool:
    """Whether ``option`` brings a datastore the team does not run yet (its own, or the
    product it reuses: the team's Elasticsearch cluster is no new store)."""
    return option.datastore not in EMBEDDED_STORES and option.datastore not in stack and not stack & set(option.stack)


def _multilingual(req: Requirements) -> bool:
    return len(req.languages) > 1 or "multilingual" in req.languages


# the region of each cloud that keeps data in a country or area the request names
REGION_ZONES: dict[str, dict[str, str]] = {
    "EU": {"aws": "eu-central-1, Frankfurt", "gcp": "europe-west3, Frankfurt", "azure": "West Europe"},
    "France": {"aws": "eu-west-3, Paris", "gcp": "europe-west9, Paris", "azure": "France Central"},
    "Germany": {"aws": "eu-central-1, Frankfurt", "gcp": "europe-west3, Frankfurt", "azure": "Germany West Central"},
    "UK": {"aws": "eu-west-2, London", "gcp": "europe-west2, London", "azure": "UK South"},
    "Switzerland": {"aws": "eu-central-2, Zurich", "gcp": "europe-west6, Zurich", "azure": "Switzerland North"},
    "Spain": {"aws": "eu-south-2, Spain", "gcp": "europe-southwest1, Madrid", "azure": "Spain Central"},
    "Italy": {"aws": "eu-south-1, Milan", "gcp": "europe-west8, Milan", "azure": "Italy North"},
    "Sweden": {"aws": "eu-north-1, Stockholm", "gcp": "europe-north2, Stockholm", "azure": "Sweden Central"},
    "Netherlands": {"gcp": "europe-west4, Netherlands", "azure": "West Europe, Netherlands"},
    "Ireland": {"aws": "eu-west-1, Ireland", "azure": "North Europe, Ireland"},
    "Poland": {"gcp": "europe-central2, Warsaw", "azure": "Poland Central"},
    "US": {"aws": "us-east-1", "gcp": "us-central1", "azure": "East US"},
    "Canada": {"aws": "ca-central-1", "gcp": "northamerica-northeast1", "azure": "Canada Central"},
    "Australia": {"aws": "ap-southeast-2, Sydney", "gcp": "australia-southeast1, Sydney", "azure": "Australia East"},
    "India": {"aws": "ap-south-1, Mumbai", "gcp": "asia-south1, Mumbai", "azure": "Central India"},
    "Japan": {"aws": "ap-northeast-1, Tokyo", "gcp": "asia-northeast1, Tokyo", "azure": "Japan East"},
    "Singapore": {"aws": "ap-southeast-1", "gcp": "asia-southeast1", "azure": "Southeast Asia"},
    "Brazil": {"aws": "sa-east-1, São Paulo", "gcp": "southamerica-east1, São Paulo", "azure": "Brazil South"},
    "South Korea": {"aws": "ap-northeast-2, Seoul", "gcp": "asia-northeast3, Seoul", "azure": "Korea Central"},
    "UAE": {"aws": "me-central-1, UAE", "azure": "UAE North"},
    "Saudi Arabia": {"gcp": "me-central2, Dammam"},
    "Mexico": {"aws": "mx-central-1, Mexico", "gcp": "northamerica-south1, Querétaro", "azure": "Mexico Central"},
    "South Africa": {"aws": "af-south-1, Cape Town", "gcp": "africa-south1, Johannesburg", "azure": "South Africa North"},
}


def cloud_zone(region: str, cloud: str | None) -> str | None:
    """The zone of ``cloud`` that keeps data in ``region`` ("eu-west-3, Paris"), if it has one."""
    return REGION_ZONES.get(region, {}).get(cloud or "")


def _in_cloud_region(option: Option, req: Requirements) -> bool:
    """Whether ``option`` runs as the named cloud's own service in a region of that cloud where
    the data must stay (gpt-5-mini on Azure OpenAI in Canada Central)."""
    cloud = _cloud(req)
    region = req.data_residency.value if req.data_residency is not None else ""
    return bool(cloud and cloud in option.per_cloud and cloud_zone(region, cloud))


def _beyond_english(req: Requirements) -> bool:
    """Whether the request names a language other than English, or names none and is written in
    another (an English-only model will not do)."""
    return any(lang != "english" for lang in req.languages) or (not req.languages and req.request_language is not None)


def _needed_languages(req: Requirements) -> str:
    if req.languages:
        return ", ".join(lang.capitalize() for lang in req.languages)
    return f"{str(req.request_language).capitalize()} (the request is written in it)"


def _gpu_memory(req: Requirements) -> float | None:
    if req.hardware is None or req.hardware.value.gpus <= 0:
        return None
    hw = req.hardware.value
    per_gpu = hw.gpu_memory_gb or 24.0
    return hw.gpus * per_gpu


def _cloud(req: Requirements) -> str | None:
    """The cloud the request names (aws, gcp, azure ...), lower case."""
    return req.cloud.value.lower() if req.cloud else None


def _quote(fact: object) -> str:
    quote = getattr(fact, "quote", "") or ""
    return f"“{quote}”" if quote else "the request"


OVER_BUDGET_PENALTY = 2.0


@lru_cache(maxsize=1)
def _gpu_card() -> tuple[float, float]:
    """(GPU memory of one rented card in GB, its price a month), as the cost analysis prices them."""
    from mlarchitect.skills.cost_analysis.design_cost import GPU_MEMORY_PER_CARD_GB, HOURS_PER_MONTH
    from mlarchitect.skills.cost_analysis.pricing import load_pricing

    return GPU_MEMORY_PER_CARD_GB, load_pricing().gpu_hour * HOURS_PER_MONTH


def _gpus_over_budget(option: Option, req: Requirements) -> float | None:
    """What renting ``option``'s GPUs costs a month when that alone exceeds the stated budget (the
    request has no GPUs of its own); ``None`` otherwise."""
    import math

    budget = req.monthly_budget_usd.value if req.monthly_budget_usd else None
    if budget is None or not option.gpu_memory_gb or _gpu_memory(req):
        return None
    card_gb, card_usd = _gpu_card()
    monthly = math.ceil(option.gpu_memory_gb / card_gb) * card_usd
    return monthly if monthly > budget else None


def soft_score(option: Option, req: Requirements, scale: float | None = None,
               chosen: frozenset[str] = frozenset(), stores: frozenset[str] = frozenset(), named: str | None = None
               ) -> tuple[float, list[str]]:
    """Preference among allowed options, with the reasons that moved it. ``stores`` are
    the datastores the design already has (an option that reuses one adds nothing to run);
    ``named``: the request's words that ask for this option."""
    score = option.fit
    why: list[str] = []
    if named:
        score += NAMED_BONUS
        why.append(f"the request asks for it (“{named}”)")
    if adds_datastore(option, req.stack()):
        if option.datastore in stores:
            score += 0.5
            why.append(f"reuses the design's {option.datastore}")
        else:
            score -= 0.5  # one more datastore to run
    if chosen & set(option.pairs_with):
        score += 1.5
        why.append("fits the components already chosen")
    stack = req.stack()
    reused = stack & ({option.datastore} | set(option.stack))
    if reused:
        score += 3 + (len(reused) - 1)  # more of the stack reused ("MLflow" in a "Databricks shop"): more so
        why.append("reuses the existing stack")
    if "kubernetes" in option.needs and "kubernetes" not in stack:
        score -= 1.0  # a cluster the request never mentioned: someone has to build and run it first
    team = req.team_size.value if req.team_size else None
    if team is not None and team <= 3:
        score += {"low": 1.0, "medium": 0.0, "high": -1.5}[option.ops]
        if option.ops == "low":
            why.append(f"little to operate for a team of {team}")
        if budget_unstated(req):  # a small team without a stated budget: prefer what costs little
            score += SMALL_TEAM_COST_PREFERENCE[option.cost]
    budget = req.monthly_budget_usd.value if req.monthly_budget_usd else None
    if budget is not None and budget < 1000:
        score += {"free": 1.0, "low": 0.5, "medium": 0.0, "high": -1.0}[option.cost]
        if option.cost in ("free", "low"):
            why.append(f"cheap enough for {money(budget, req.currency, dollars=False)}/month")
    if option.gpu_memory_gb and _gpu_memory(req):
        score += 2 + option.gpu_memory_gb / 1000  # prefer the largest model the stated GPUs hold
        why.append("uses the GPUs the request provides")
    elif option.gpu_memory_gb:
        score -= 1.0 + (1.0 if budget is not None and budget < 2000 else 0.0)  # GPUs would have to be bought
        if _gpus_over_budget(option, req) is not None:
            score -= OVER_BUDGET_PENALTY  # its GPUs alone cost more than the stated budget: a smaller model first

    cloud = _cloud(req)
    if cloud and cloud in option.per_cloud:
        score += 1.0
        why.append(f"native to {cloud.upper()}, the cloud the request names")
    kinds = [f for f in req.data_kinds if f.value in option.data]
    if kinds:
        score += 2.0
        why.append(f"made for this data ({_quote(kinds[0])})")
    named = [f for f in req.data_sources if f.value in option.sources]
    if named:
        score += 1.5
        why.append("takes the data from " + ", ".join(dict.fromkeys(f"“{f.quote}”" for f in named)))
    single = req.deployment is not None and req.deployment.value == "single_machine"
    if single and not option.needs and option.datastore in EMBEDDED_STORES | stack:
        score += 1
        why.append("runs inside one process")
    elif single and "service" in option.needs and option.datastore not in stack and not chosen & set(option.pairs_with):
        # allowed (a server on the same box), but one more process to run, unless it is part of one already chosen
        score -= SINGLE_MACHINE_SERVICE_PENALTY
    if option.edge is True and affirmed(req.edge_devices):
        score += 3  # made to run on the devices, where the request runs its model
        why.append(f"runs on the devices ({_quote(req.edge_devices)})")
    if option.hosted and req.compliance:
        score -= 0.7  # regulated data: keep it inside when a self-hosted option is allowed
    if option.hosted and req.data_residency is not None and not option.residency and not (cloud and cloud in option.per_cloud):
        score -= RESIDENCY_UNKNOWN_PENALTY  # a vendor's service with no stated region for data that must stay put
    if option.multilingual and _multilingual(req):
        score += 1.0
        why.append(f"scores each language ({', '.join(lang.capitalize() for lang in req.languages)}) against its own references")
    if option.kinds and req.model_kind is None:
        score -= 0.3  # made for one model kind, and the request does not say which
    if option.min_scale is not None and scale is not None and scale < option.min_scale:
        score -= 1.5
        why.append("more than this scale needs")
    return score, why


def _other_setting(option: Option, req: Requirements) -> bool:
    """An option made for another setting than the request's: an on-device runtime when nothing runs
    on devices, one for another model kind or prediction than the stated one, a one-machine option when
    the request names no machine (its deployment is assumed)."""
    if option.edge is True and not affirmed(req.edge_devices):
        return True
    kind, prediction = req.model_kind, req.prediction
    if option.kinds and kind is not None and kind.stated and kind.value not in option.kinds:
        return True  # an LLM judge for a stated LightGBM ranker
    if option.predictions and prediction is not None and prediction.stated and prediction.value not in option.predictions:
        return True  # regression metrics for a ranker
    return bool(option.deployments) and (req.deployment is None or not req.deployment.stated)


def choose(slot_id: str, slot: Slot, req: Requirements, scale: float | None = None,
           chosen: frozenset[str] = frozenset(), stores: frozenset[str] = frozenset(), text: str = "") -> Choice:
    """The best option for ``slot`` under ``req``; every other option with why it lost.
    ``text``: the request, for the options it asks for by name."""
    allowed: list[tuple[float, Option, list[str]]] = []
    rejected: list[Rejected] = []
    # a slot with English-only options offers its multilingual one for a single other language too
    has_english_only = any(o.english_only for o in slot.options)
    for option in [*slot.options, *_named_options(slot_id, slot, text)]:
        if option.multilingual and not (_multilingual(req) or (_beyond_english(req) and has_english_only)):
            continue  # an option for another task than this request's, not an alternative to it
        if option.task_words and not any(_name_rx(w).search(text.lower()) for w in option.task_words):
            continue  # made for a task the request does not name (translation metrics for a summarizer)
        if option.data and not set(option.data) & req.kinds() and not (text and named_in(option, text)):
            continue  # made for other data than the request's (image checks for sensor readings)
        ruled_out = ruled_out_in(option, text) if text else None
        named = named_in(option, text) if text and not ruled_out else None
        problems = hard_violations(option, req, scale, named=named is not None)
        if ruled_out:
            problems = [f"the request rules out “{ruled_out}”", *problems]
        if problems and named is None and not ruled_out and _other_setting(option, req):
            continue  # not an alternative for this request: listing it would only repeat the catalogue
        if problems:
            why = problems[0] if named is None else f"asked for (“{named}”), but {problems[0]}"
            rejected.append(Rejected(option=option.name, why=why))
            continue
        score, why = soft_score(option, req, scale, chosen, stores, named)
        if slot_id in _MODEL_SLOTS and option.hosted and "llm" in option.kinds and not named and requested_model(text):
            score -= REQUESTED_MODEL_PENALTY  # the request names open weights to run (its fine-tune, a mandated model)
        allowed.append((score, option, why))
    if not allowed:
        reasons = "; ".join(f"{r.option}: {r.why}" for r in rejected)
        return Choice(slot=slot_id, title=slot.title, chosen=None, rejected=rejected,
                      why=f"No option satisfies the constraints ({reasons}).")
    allowed.sort(key=lambda t: -t[0])
    best_score, best, why = allowed[0]
    chosen = _on_named_device(_requested_model(on_cloud(best, req), slot_id, text), text)
    winner = chosen.name
    for score, option, _ in allowed[1:]:
        reason = option.weaknesses or f"ranked below {winner} for this request"
        # a limit of the request it lost to, though allowed: its rented GPUs alone break the stated budget
        gpus_usd = _gpus_over_budget(option, req)
        if gpus_usd is not None and req.monthly_budget_usd is not None:
            reason = (f"its rented GPUs alone (≈ {money(gpus_usd)}/month) exceed the "
                      f"{money(req.monthly_budget_usd.value, req.currency, dollars=False)}/month budget")
        if score < best_score and why:
            reason = f"{reason}; lost to {winner} ({why[0]})"
        rejected.append(Rejected(option=option.name, why=reason, ruled_out=gpus_usd is not None))
    because = "; ".join(why) or best.strengths or "the default for this kind of system"
    return Choice(slot=slot_id, title=slot.title, chosen=chosen, why=because, rejected=rejected)


def on_cloud(option: Option, req: Requirements) -> Option:
    """``option`` named as what the team already runs (its existing stack), else as the
    service of the cloud the request names, when it has one there."""
    reused = next((name for product, name in option.per_stack.items() if product in req.stack()), None)
    if reused:
        return option.model_copy(update={"name": reused})
    cloud = _cloud(req)
    if cloud and cloud in option.per_cloud:
        option = option.model_copy(update={"name": option.per_cloud[cloud]})
    return _the_teams(option, req)


# an open-weight model named with its version and size: "Llama 3.1 70B Instruct", "Qwen2.5-72B-Instruct", "Mistral Small"
_OPEN_MODEL = re.compile(r"(?<![\w-])(?:llama|mistral|mixtral|qwen|gemma|phi|deepseek|falcon|granite|olmo|command[- ]r)"
                         r"(?:[\s-]?(?:\d+(?:\.\d+)*[bm]?|small|mini|medium|large|nemo|instruct|chat|coder|it|v\d+(?:\.\d+)?|r1|"
                         r"\d+x\d+b)\b)*", re.I)
_MODEL_SLOTS = frozenset({"generator", "inference_runtime"})


def requested_model(text: str) -> str | None:
    """The open-weight model ``text`` asks for by name ("Llama 3.1 70B Instruct"), not one it rules out
    ("instead of Llama 2") or one with no version or size ("a Llama-style model")."""
    for match in _OPEN_MODEL.finditer(text):
        name = match.group(0).strip(" -")
        before = text[max(0, match.start() - 40):match.start()].lower()
        if " " in name or "-" in name or any(c.isdigit() for c in name):
            if not _RULED_OUT_BEFORE.search(before):
                return name
    return None


def _requested_model(option: Option, slot_id: str, text: str) -> Option:
    """A self-hosted model slot's choice named with the model the request asks for: "Mistral Small on
    vLLM" instead of the catalogue's default model; a runtime says which model it serves."""
    model = requested_model(text) if slot_id in _MODEL_SLOTS and text else None
    if model is None or option.hosted or "llm" not in option.kinds or model.lower() in option.name.lower():
        return option
    if slot_id == "inference_runtime":
        return option.model_copy(update={"name": f"{option.name}, serving {model}"})
    runtime = re.search(r"\s(?:on|with)\s", option.name)
    tail = option.name[runtime.start():] if runtime else f" ({option.name})"
    return option.model_copy(update={"name": f"{model}{tail}"})


# the devices a model runs on in the field, by name: "NVIDIA Jetson Orin boxes", "a Raspberry Pi 5", "ARM Cortex-A53"
_DEVICE = re.compile(r"(?<![\w-])(?:(?:nvidia\s+)?jetson(?:\s+(?:agx\s+)?(?:orin|xavier|nano)(?:\s+nano)?)?|raspberry\s+pi(?:\s+\d)?|"
                     r"coral(?:\s+(?:edge\s+)?tpu)?|(?:arm\s+)?cortex-[am]\d+|hailo-?\d*|snapdragon\s+\w+)(?![\w-])", re.I)


def _on_named_device(option: Option, text: str) -> Option:
    """A device-side choice named with the device the request names ("... on the Jetson Orin")."""
    device = _DEVICE.search(text) if option.edge and text else None
    if device is None or device.group(0).lower() in option.name.lower():
        return option
    return option.model_copy(update={"name": f"{option.name} — on the {device.group(0)}"})


_GENERIC_NAMES = frozenset({"k8s", "kubernetes", "postgres", "postgresql", "s3"})


def _the_teams(option: Option, req: Requirements) -> Option:
    """``option`` named with the product the team runs when the request names one more
    specifically than the option does ("on Kubernetes (HPA)" on "our OpenShift", a bucket
    on "our Ceph S3")."""
    for fact in req.existing_stack:
        quote = fact.quote.strip()
        if not quote or quote.lower() in _GENERIC_NAMES or quote.lower() in option.name.lower():
            continue
        if fact.value in option.stack or fact.value in option.needs or any(
                re.fullmatch(p, fact.value, re.I) for p in option.named_by):
            return option.model_copy(update={"name": f"{option.name} (the team's {quote})"})
    return option
