"""Fill what a request leaves open with labelled assumptions.

Each assumed value says why it was chosen, scaled to what the request did say
(a laptop gets laptop-sized traffic; 5,000 users set the traffic). Designs size
from these; the deliverable lists them under Assumptions, never as stated.
"""

from __future__ import annotations

import re

from mlarchitect.requirements import MEDIA_RECORDS, Fact, Hardware, Latency, Quantity, Requirements

PEAK_FACTOR = 3.0  # peak hour ÷ daily average when only a daily volume is known
REQUESTS_PER_USER_PER_DAY = 5
MONTHLY_USER_REQUESTS_PER_DAY = 0.2  # a monthly user ("2M monthly listeners", MAU): about 1 in 10 a day, 2 requests
_MONTHLY_USERS = re.compile(r"\b(?:monthly|mau|a month|per month|each month)\b", re.I)
SMALL_TEAM = 3  # at most this many people: sized and chosen for little to operate
SMALL_BATCH_ROWS = 50_000.0  # records a day assumed for a small team's batch pipeline
SMALL_MEDIA_FILES = 5_000.0  # photos, recordings or videos a day assumed when a pipeline of them states no volume


def _population(quote: str) -> str:
    """What a user count counts, from its quote ("40M subscribers" → "subscribers")."""
    words = [w for w in quote.split() if w.isalpha()]
    return words[-1].lower() if words else "users"


def _deployment(req: Requirements) -> str:
    return req.deployment.value if req.deployment is not None else "cloud"


def with_assumptions(req: Requirements, workflow: str) -> Requirements:
    """``req`` with every value the design needs; stated values are kept as they are."""
    update: dict[str, object] = {}
    single = _deployment(req) == "single_machine"
    if req.deployment is None and "slurm" in req.stack():
        update["deployment"] = Fact.assumed("on_prem", "a Slurm cluster is named: it runs on your own hardware")
    elif req.deployment is None:
        update["deployment"] = Fact.assumed("cloud", "no deployment constraint stated: a managed cloud is assumed")
    if req.corpus is None and workflow == "rag_system":
        amount, why = (3_000, "one person's documents on one machine") if single else (10_000, "a mid-size internal corpus")
        update["corpus"] = Fact.assumed(Quantity(amount=amount, unit="documents"), f"corpus size not stated: {why}")
    if req.mode is None and req.forecasts() and workflow == "model_serving":
        update["mode"] = Fact.assumed("batch", "no schedule stated: forecasts are computed ahead on a schedule and "
                                               "read from a table, not per request")
    elif req.mode is None and workflow != "evaluation_system":  # an evaluation runs both ways: offline and on live traffic
        default = "batch" if workflow in ("data_pipeline", "experiment_tracking") else "real_time"
        update["mode"] = Fact.assumed(default, "no batch or real-time requirement stated")
    mode = update.get("mode", req.mode)
    batch = isinstance(mode, Fact) and mode.value == "batch"
    # an evaluation samples and splits live traffic only when the request says there is some
    serves_requests = workflow in ("rag_system", "model_serving", "general") or (
        workflow == "evaluation_system" and req.has_live_traffic())
    if batch and workflow == "model_serving" and req.batch_volume is None and req.users is not None:
        # "40M subscribers ... score everyone once a night": a batch run scores the population, nobody calls it
        update["batch_volume"] = Fact.assumed(Quantity(amount=float(req.users.value), unit="rows"),
                                              f"rows per run not stated: every one of the {req.users.value:,} "
                                              f"{_population(req.users.quote)} scored each run")
    # a batch job has no request traffic
    if req.requests_per_day is None and req.peak_rps is None and serves_requests and not batch:
        records = req.record()[1]
        if req.events_per_day is not None and req.events_per_day.stated and records in MEDIA_RECORDS:
            # "the 2M photos a day users upload": each file is one call to the model
            update["requests_per_day"] = Fact.assumed(req.events_per_day.value, f"one request per stated file: "
                                                      f"{req.events_per_day.value:,.0f} {records} a day")
        elif req.users is not None and _MONTHLY_USERS.search(req.users.quote or ""):
            # "2M monthly listeners": most of them do not come back every day, and fewer use this one feature
            per_day = req.users.value * MONTHLY_USER_REQUESTS_PER_DAY
            update["requests_per_day"] = Fact.assumed(
                float(per_day), f"{req.users.value:,} monthly users × {MONTHLY_USER_REQUESTS_PER_DAY} requests each a day "
                                "(about 1 in 10 active on a given day, 2 requests each)")
        elif req.users is not None:
            per_day = req.users.value * REQUESTS_PER_USER_PER_DAY
            update["requests_per_day"] = Fact.assumed(
                float(per_day), f"{req.users.value:,} users × {REQUESTS_PER_USER_PER_DAY} requests each a day")
        elif single:
            update["requests_per_day"] = Fact.assumed(50.0, "one user on one machine")
        else:
            update["requests_per_day"] = Fact.assumed(2_000.0, "traffic not stated: a team-internal tool")
    per_day = update.get("requests_per_day", req.requests_per_day)
    if req.peak_rps is None and isinstance(per_day, Fact):
        update["peak_rps"] = Fact.assumed(
            round(per_day.value / 86_400 * PEAK_FACTOR, 3),
            f"peak = {per_day.value:,.0f} requests/day ÷ 86,400 s × {PEAK_FACTOR:g} (peak-hour factor)")
    elif req.requests_per_day is None and req.peak_rps is not None:
        update["requests_per_day"] = Fact.assumed(
            round(req.peak_rps.value * 86_400 / PEAK_FACTOR),
            f"daily volume = {req.peak_rps.value:,g} req/s × 86,400 s ÷ {PEAK_FACTOR:g} (peak-hour factor)")
    if req.model_kind is None and workflow in ("rag_system",):
        update["model_kind"] = Fact.assumed("llm", "a RAG system generates answers with an LLM")
    elif req.model_kind is None and workflow == "model_serving":
        update["model_kind"] = Fact.assumed("classic_ml", "no LLM named: a model the team trained (a classifier, "
                                                          "ranker, encoder or forecaster), served on its own compute")
    if req.latency is None and workflow in ("rag_system", "model_serving") and not batch:
        kind = req.model_kind.value if req.model_kind else ("llm" if workflow == "rag_system" else None)
        seconds = 3.0 if kind == "llm" or workflow == "rag_system" else 0.3
        update["latency"] = Fact.assumed(Latency(seconds=seconds, percentile="p95"),
                                         "latency target not stated: interactive use")
    if req.retention_days is None and workflow in ("data_pipeline", "experiment_tracking"):
        update["retention_days"] = Fact.assumed(365.0, "retention not stated: one year of history")
    if req.events_per_day is None and req.batch_volume is None and workflow == "data_pipeline":
        small = (req.team_size is not None and req.team_size.value <= SMALL_TEAM
                 and req.mode is not None and req.mode.stated and req.mode.value == "batch")
        record_kb, records = req.record()
        if req.data_volume_gb_per_day is not None:  # "2 TB/day of clickstream": records from the volume
            gb = req.data_volume_gb_per_day.value
            update["events_per_day"] = Fact.assumed(gb * 1e6 / record_kb, f"record count not stated: {gb:,g} GB/day "
                                                                          f"at about {record_kb:,g} KB per {'record' if records == 'events' else records[:-1]}")
        elif req.corpus is not None and req.corpus.stated:  # "2 million customer chats": the collection the pipeline processes
            corpus = req.corpus.value
            update["events_per_day"] = Fact.assumed(corpus.amount, f"daily volume not stated: sized to process the stated "
                                                                   f"{corpus.amount:,.0f} {corpus.unit} in one daily load")
        elif records in MEDIA_RECORDS:  # photos, recordings, videos: a file is not a row
            update["events_per_day"] = Fact.assumed(SMALL_MEDIA_FILES, f"data volume not stated: {SMALL_MEDIA_FILES:,.0f} "
                                                                       f"{records} a day")
        elif single:
            update["events_per_day"] = Fact.assumed(SMALL_BATCH_ROWS, "data volume not stated: what one machine "
                                                                      "handles is assumed small")
        elif small:
            update["events_per_day"] = Fact.assumed(SMALL_BATCH_ROWS, "data volume not stated: batch loads a team of "
                                                                      f"{req.team_size.value} runs are assumed small")
        else:
            update["events_per_day"] = Fact.assumed(1_000_000.0, "data volume not stated")
    return req.model_copy(update=update)


def assumption_lines(req: Requirements) -> list[str]:
    """One line per assumed value, for the deliverable's Assumptions."""
    lines = []
    for name, fact in req.assumed_facts():
        lines.append(f"{name.replace('_', ' ')}: {describe_value(fact.value)} (assumed: {fact.reason})")
    return lines


def describe_value(value: object) -> str:
    if isinstance(value, Quantity):
        return f"{value.amount:,.0f} {value.unit}"
    if isinstance(value, Latency):
        return f"{value.percentile} ≤ {value.seconds:g} s"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        from mlarchitect.render_markdown import human_number

        return human_number(value)
    if isinstance(value, str):
        return value.replace("_", " ")
    if isinstance(value, Hardware):
        parts = [f"{value.gpus}× {value.gpu_model or 'GPU'}" if value.gpus else "", "CPU only" if value.cpu_only else "",
                 f"{value.ram_gb:g} GB RAM" if value.ram_gb else ""]
        return ", ".join(p for p in parts if p) or "unspecified hardware"
    return str(value)
