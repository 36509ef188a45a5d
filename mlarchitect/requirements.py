"""What a request asks for, as typed data with provenance.

Every value is a :class:`Fact`: either **stated** (with the quoted span of the
request it came from) or **assumed** (with the reason). Designs size and choose
components from these; nothing assumed is ever shown as stated. The extractor
(``mlarchitect.agents.intake.extract``) fills them from text; on the model path
the model may correct them through structured output.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from mlarchitect.money import Currency

T = TypeVar("T")

Deployment = Literal["cloud", "on_prem", "air_gapped", "single_machine"]
Mode = Literal["real_time", "batch", "streaming"]
ModelKind = Literal["llm", "classic_ml"]
RECORD_KB = 1.0  # one record's assumed size, when a request states only a record count or only a data volume
# a record's assumed size (KB) and name by what the data is, first match: a recording is not a row
RECORDS = {"video": (50_000.0, "videos"), "audio": (5_000.0, "recordings"), "images": (1_000.0, "images"),
           "time_series": (0.1, "readings")}
# products of an existing stack that run on another: the team has that one too
RUNS_ON = {"kserve": "kubernetes", "seldon": "kubernetes", "kubeflow": "kubernetes"}
AUDIO_HOURS = "hours of audio"  # the unit of a corpus of recordings ("an archive of 3,000 hours of audio")
MEDIA_RECORDS = frozenset({"images", "recordings", "videos"})  # records that are files: stored as they are
Prediction = Literal["regression", "ranking", "classification", "detection"]
DataKind = Literal["time_series", "images", "video", "audio", "geospatial", "embeddings"]


class Fact(BaseModel, Generic[T]):
    """One requirement value and where it came from."""

    model_config = ConfigDict(frozen=True)

    value: T
    stated: bool = True
    quote: str = Field(default="", description="The span of the request the value was read from (stated only).")
    reason: str = Field(default="", description="Why this value was assumed (assumed only).")

    @classmethod
    def said(cls, value: T, quote: str) -> Fact[T]:
        return cls(value=value, stated=True, quote=quote)

    @classmethod
    def assumed(cls, value: T, reason: str) -> Fact[T]:
        return cls(value=value, stated=False, reason=reason)


class Quantity(BaseModel):
    """A count or size with what was counted: 85,000 documents, 40M rows, 2 TB."""

    model_config = ConfigDict(frozen=True)

    amount: float
    unit: str = Field(description="documents, pages, rows, notes, tickets, GB, events ...")


class Latency(BaseModel):
    model_config = ConfigDict(frozen=True)

    seconds: float
    percentile: str = "p95"


class Hardware(BaseModel):
    """Hardware the request says the system has (or must run on)."""

    model_config = ConfigDict(frozen=True)

    gpus: int = 0
    gpu_model: str = ""
    gpu_memory_gb: float | None = None
    ram_gb: float | None = None
    cpu_only: bool = False


def affirmed(fact: Fact[Any] | None) -> bool:
    """Whether a yes/no requirement ("open source only", "Azure only" ...) is set and true."""
    return fact is not None and bool(fact.value)


class Requirements(BaseModel):
    """Everything the design must respect. ``None`` means not stated and not
    yet assumed; :func:`Requirements.assumptions` lists what was assumed."""

    # size of the data
    corpus: Fact[Quantity] | None = Field(default=None, description="Documents/pages/notes to search or process.")
    document_types: list[str] = Field(default_factory=list, description="pdf, html, scanned, confluence ...")
    data_kinds: list[Fact[DataKind]] = Field(default_factory=list, description="What the data is, when the request says: "
                                        "time_series (sensors, meters, telemetry), images, video, audio, geospatial, "
                                        "embeddings (a pipeline that embeds or re-indexes for search).")
    media_hours_per_day: Fact[float] | None = Field(default=None, description="Hours of audio or video a day to "
                                                    "process (\"about 400 hours of audio a week\").")
    batch_volume: Fact[Quantity] | None = Field(default=None, description="Rows/records per batch run (e.g. 40M rows nightly).")
    data_volume_gb_per_day: Fact[float] | None = None
    data_volume_gb: Fact[float] | None = Field(default=None, description="A stated total size (2 TB of logs).")
    events_per_day: Fact[float] | None = None
    labelled_examples: Fact[int] | None = Field(default=None, description="Labelled/golden examples available.")
    training_runs_per_month: Fact[float] | None = Field(default=None, description="Training/fine-tuning runs or "
                                                        "trials launched per month (\"3,000 runs a week\").")
    quality_criteria: list[Fact[str]] = Field(default_factory=list, description="What the request wants judged or "
                                              "scored (\"lore consistency\", \"character voice\", \"toxicity\").")
    metric_targets: list[Fact[str]] = Field(default_factory=list, description="Quality targets the request sets "
                                            "(\"recall@10 ≥ 0.8\", \"faithfulness ≥ 0.9\").")
    # load
    peak_rps: Fact[float] | None = Field(default=None, description="Peak requests per second.")
    concurrency: Fact[int] | None = Field(default=None, description="Requests or sessions in flight at peak "
                                          "(\"20 concurrent requests\").")
    requests_per_day: Fact[float] | None = None
    users: Fact[int] | None = None
    # targets and money
    latency: Fact[Latency] | None = None
    monthly_budget_usd: Fact[float] | None = Field(default=None, description="A budget the design must fit in.")
    current_monthly_spend_usd: Fact[float] | None = Field(default=None, description="What it costs today (a bill, not a budget).")
    currency: Currency = Field(default="USD", description="The currency the request states money in; the budget and "
                               "the bill above are in US dollars, converted at mlarchitect.money.USD_PER.")
    # people and data rules
    team_size: Fact[int] | None = None
    languages: list[str] = Field(default_factory=list)
    request_language: str | None = Field(default=None, description="The language the request is written in when it "
                                         "is not English (german, french ...): its documents and users likely share it.")
    retention_days: Fact[float] | None = None
    data_residency: Fact[str] | None = Field(default=None, description="EU, US, Germany ...")
    compliance: list[Fact[str]] = Field(default_factory=list, description="gdpr, hipaa, pii, soc2, pci ...")
    # where and how it runs
    hardware: Fact[Hardware] | None = None
    deployment: Fact[Deployment] | None = None
    cloud: Fact[str] | None = Field(default=None, description="aws, gcp, azure when named.")
    cloud_region: Fact[str] | None = Field(default=None, description="A cloud region the request names "
                                           "(eu-central-1, europe-west1, West Europe).")
    cloud_only: Fact[bool] | None = Field(default=None, description="Only the named cloud's own services: no "
                                          "third-party SaaS or API outside it (\"Azure only\").")
    no_external_apis: Fact[bool] | None = Field(default=None, description="No hosted model, embedding or SaaS APIs.")
    existing_stack: list[Fact[str]] = Field(default_factory=list, description="postgres, kubernetes, spark ... to reuse.")
    data_sources: list[Fact[str]] = Field(default_factory=list, description="Where the data comes from: database, "
                                          "files, api, events (each quoting the source named).")
    destinations: list[Fact[str]] = Field(default_factory=list, description="Systems the results must reach: a CRM, "
                                          "a marketing tool, a chat channel, an ERP (\"push the scores to HubSpot\").")
    stack_only: Fact[bool] | None = Field(default=None, description="Only the existing stack: no new datastore or service.")
    open_source_only: Fact[bool] | None = Field(default=None, description="Only open-source software: no "
                                                "proprietary product or hosted vendor API.")
    european_providers_only: Fact[bool] | None = Field(default=None, description="Only European providers: no "
                                                       "US vendor's API or hyperscaler service, even in an EU region.")
    serverless_only: Fact[bool] | None = Field(default=None, description="Only managed serverless compute: no "
                                               "servers, VMs or clusters the team runs (\"serverless only\").")
    uplink_mbps: Fact[float] | None = Field(default=None, description="The bandwidth of the link the data or the devices "
                                            "reach the servers over (\"a satellite link of a few Mbit/s\"), in Mbit/s.")
    edge_devices: Fact[bool] | None = Field(default=None, description="The model runs on devices in the field (edge "
                                          "boxes, robots, cameras, vehicles), not on servers.")
    multi_tenant: Fact[bool] | None = Field(default=None, description="Several customers or tenants share the "
                                            "system and none may see another's data.")
    tool_calling: Fact[bool] | None = Field(default=None, description="The system is an agent that calls tools or "
                                            "APIs to act (refunds, bookings, SQL), not only one that answers.")
    human_labelling: Fact[bool] | None = Field(default=None, description="People label or annotate examples "
                                               "in the loop (annotators, a labelling tool or queue).")
    online_features: Fact[bool] | None = Field(default=None, description="Features are read by a live model at "
                                               "request time (an online store), not only by batch jobs.")
    live_traffic: Fact[bool] | None = Field(default=None, description="Real users or traffic reach the system "
                                            "(in production, customers use it, A/B tests, click-through).")
    mode: Fact[Mode] | None = None
    model_kind: Fact[ModelKind] | None = None
    model_family: Fact[str] | None = Field(default=None, description="xgboost, lightgbm, llama, bert ...")
    model_count: Fact[int] | None = Field(default=None, description="How many models the system holds when it is "
                                          "many: one per store, per customer, per SKU.")
    model_params_b: Fact[float] | None = Field(default=None, description="Parameters of a self-hosted model, billions.")
    context_tokens: Fact[int] | None = Field(default=None, description="Tokens one request puts in the model's context "
                                             "(\"8k-token contracts\", \"a 32k context\").")
    prediction: Fact[Prediction] | None = Field(default=None, description="What a classic model predicts: a "
                                                "quantity (regression), an order (ranking), objects in images "
                                                "(detection) or a class.")
    slices: list[Fact[str]] = Field(default_factory=list, description="What the request wants results broken "
                                    "down by (depot, weekday, hospital ...).")
    fine_tuning: Fact[bool] | None = Field(default=None, description="The request trains or fine-tunes models (weights "
                                           "change), not only prompts and settings.")
    # experiments (A/B tests)
    baseline_rate: Fact[float] | None = Field(default=None, description="Baseline conversion/CTR as a fraction.")
    min_detectable_effect: Fact[float] | None = Field(default=None, description="Relative effect to detect (0.01 = 1%).")
    experiment_share: Fact[float] | None = Field(default=None, description="The share of traffic an online test runs "
                                                 "on (0.05 = an A/B test on 5% of traffic).")
    positive_rate: Fact[float] | None = Field(default=None, description="Share of items in the rare class a model "
                                              "must find (defects, fraud, churners) as a fraction (0.003 = 0.3%).")
    # stated figures no field above took (quoted), so a design can still show them
    other_figures: list[str] = Field(default_factory=list)

    def stated_facts(self) -> list[tuple[str, Fact]]:
        """(field name, fact) of every stated value; a list field (existing stack,
        compliance) gives one pair per item."""
        return [(name, fact) for name, fact in self._facts() if fact.stated]

    def assumed_facts(self) -> list[tuple[str, Fact]]:
        return [(name, fact) for name, fact in self._facts() if not fact.stated]

    def _facts(self) -> list[tuple[str, Fact]]:
        out: list[tuple[str, Fact]] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, Fact):
                out.append((name, value))
            elif isinstance(value, list):
                out.extend((name, v) for v in value if isinstance(v, Fact))
        return out

    def stack(self) -> set[str]:
        """The existing stack's products, with what they run on ("KServe" is on a Kubernetes cluster)."""
        named = {f.value for f in self.existing_stack}
        return named | {base for product, base in RUNS_ON.items() if product in named}

    def forecasts(self) -> bool:
        """Whether the model forecasts ("demand forecasting models"): its outputs change only when it retrains."""
        return self.prediction is not None and "forecast" in (self.prediction.quote or "").lower()

    def people(self) -> Fact[int] | None:
        """The people who use or run the system: the larger of the team and the user count
        ("3 Leute" with laptops, "a team of 4")."""
        facts = [f for f in (self.team_size, self.users) if f is not None]
        return max(facts, key=lambda f: f.value) if facts else None

    def has_live_traffic(self) -> bool:
        """Whether the request says real users or traffic reach the system: a stated load,
        user count or daily volume, or words such as "in production" or "A/B test"."""
        facts = (self.live_traffic, self.peak_rps, self.requests_per_day, self.users)
        return any(f is not None and f.stated and f.value for f in facts)

    @property
    def self_hosted_only(self) -> bool:
        """No hosted model, embedding or SaaS may appear anywhere in the design (a stated
        on-prem, air-gapped or single-machine deployment, or "no external APIs")."""
        if self.no_external_apis is not None and self.no_external_apis.value:
            return True
        # on-premises, air-gapped or one machine: every component runs there, so no hosted service
        return self.deployment is not None and self.deployment.value in ("air_gapped", "single_machine", "on_prem")

    def kinds(self) -> set[str]:
        """What the data is (``data_kinds``): time_series, images, audio ..."""
        return {f.value for f in self.data_kinds}

    def record(self) -> tuple[float, str]:
        """One record's assumed size in KB and what a record is called: (1000, "images") for photos."""
        kinds = self.kinds()
        return next((rec for kind, rec in RECORDS.items() if kind in kinds), (RECORD_KB, "events"))

    def builds_features(self) -> bool:
        """Whether a pipeline computes feature tables for a trained model: not when it prepares media files
        (images, video) or a vector index, documents for an LLM, or data for an LLM."""
        if self.model_kind is not None and self.model_kind.value == "llm":
            return False
        kinds = self.kinds()
        if kinds & {"time_series", "geospatial", "audio"}:
            return True
        if kinds and kinds <= {"images", "video", "embeddings"}:
            return False  # an image classifier trains on files and labels, not on feature tables
        documents = bool(self.document_types) or any(f.value == "documents" for f in self.data_sources)
        return (self.model_kind is not None and self.model_kind.stated) or not documents
