"""A skill's architecture for one request: its blueprint (components, flows,
risk rules, section defaults) with each component's technology chosen from the
skill's catalogue under the request's hard constraints.

The same tool serves every model: it reads the run's requirements from the
graph state, so a model cannot forget a constraint by leaving it out of the
arguments."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any

from langgraph.prebuilt import InjectedState
from pydantic import BaseModel, Field

from mlarchitect.money import money
from mlarchitect.requirements import Requirements
from mlarchitect.skills.catalogue import Choice, Option, choose, cloud_zone, load_catalogue
from mlarchitect.skills.conditions import FORMAT_NAMES, holds
from mlarchitect.tool_result import ToolResult

if TYPE_CHECKING:
    from langchain_core.tools import BaseTool

ScaleFn = Callable[[Requirements], dict[str, float]]
SECTION_KEYS = ("evaluation", "serving", "tracking", "pipeline")


@lru_cache(maxsize=16)
def load_blueprint(package: str) -> dict[str, Any]:
    from mlarchitect.yamlio import safe_load

    return safe_load((resources.files(package) / "blueprint.yaml").read_text(encoding="utf-8"))


class _Vars(dict):  # str.format_map: an unknown name reads as harmless words; braces around no name stay text
    def __missing__(self, key: str) -> str:
        return "the stated constraint" if key.isidentifier() else f"{{{key}}}"  # "{code, message, retry_after}"


def template_vars(req: Requirements, choices: dict[str, Choice]) -> dict[str, str]:
    """Values blueprint texts may name: ``{corpus}``, ``{team}``, ``{budget}`` ..."""
    from mlarchitect.render_markdown import listed

    out: dict[str, str] = {}
    if req.corpus is not None:
        out["corpus"] = f"{req.corpus.value.amount:,.0f} {req.corpus.value.unit}"
    if req.team_size is not None:
        out["team"] = f"{req.team_size.value}"
    if req.monthly_budget_usd is not None:
        out["budget"] = money(req.monthly_budget_usd.value, req.currency)
    if req.current_monthly_spend_usd is not None:
        out["spend"] = money(req.current_monthly_spend_usd.value, req.currency)
    if req.deployment is not None:
        out["deployment"] = f"“{req.deployment.quote}”" if req.deployment.stated else req.deployment.value
    if req.data_residency is not None:
        out["residency"] = req.data_residency.value
    if req.compliance:
        out["compliance"] = ", ".join(f.value.upper() for f in req.compliance)
    if req.latency is not None:
        out["latency"] = f"{req.latency.value.percentile} ≤ {req.latency.value.seconds:g} s"
    if req.hardware is not None and req.hardware.value.gpus:
        hw = req.hardware.value
        out["gpus"] = f"{hw.gpus}× {hw.gpu_model or 'GPU'}"
    if req.retention_days is not None:
        out["retention"] = f"{req.retention_days.value:,.0f} days"
    if req.metric_targets:
        out["targets"] = "; ".join(f.value for f in req.metric_targets)
    if req.training_runs_per_month is not None:
        from mlarchitect.render_markdown import human_number

        out["runs"] = f"{human_number(req.training_runs_per_month.value)} runs a month"
    if req.quality_criteria:
        out["criteria"] = ", ".join(f.value for f in req.quality_criteria)
    if req.slices:
        out["slices"] = ", ".join(f.value for f in req.slices)
    if req.data_sources:
        out["sources"] = ", ".join(dict.fromkeys(f"“{f.quote}”" for f in req.data_sources))
        systems = list(dict.fromkeys(f.quote for f in req.data_sources if f.value == "documents"))
        if systems:
            out["doc_sources"] = listed(systems)
    formats = [FORMAT_NAMES[t] for t in req.document_types if t in FORMAT_NAMES]
    if formats:
        out["formats"] = listed(formats)
    if req.destinations:
        out["destinations"] = listed(list(dict.fromkeys(f.value for f in req.destinations)))
    if req.model_count is not None:
        out["models"] = f"{req.model_count.value:,}"
    if req.batch_volume is not None:
        out["batch"] = f"{req.batch_volume.value.amount:,.0f} {req.batch_volume.value.unit}"
    for slot, choice in choices.items():
        if choice.chosen is not None:
            out[slot] = choice.chosen.name
    if req.languages:
        out["languages"] = ", ".join(lang.capitalize() for lang in req.languages)
    # "the candidate {model} model": the family when named ("lightgbm"), else nothing ("the candidate model")
    family = req.model_family.value if req.model_family is not None else ""
    out["model"] = _FAMILY_NAMES.get(family, family)
    out.update(_volumes(req))
    return out


# how a model family is written ("the candidate LightGBM model"); others read as they are ("random forest")
_FAMILY_NAMES = {"xgboost": "XGBoost", "lightgbm": "LightGBM", "catboost": "CatBoost", "llama": "Llama",
                 "mixtral": "Mixtral", "mistral": "Mistral", "qwen": "Qwen", "gemma": "Gemma", "phi": "Phi",
                 "falcon": "Falcon", "deepseek": "DeepSeek", "distilbert": "DistilBERT", "roberta": "RoBERTa",
                 "bert": "BERT", "t5": "T5", "gpt": "GPT", "claude": "Claude", "gemini": "Gemini", "yolo": "YOLO",
                 "resnet": "ResNet", "efficientnet": "EfficientNet"}


def _volumes(req: Requirements) -> dict[str, str]:
    """This request's volumes for data-flow labels, each marked when it was assumed."""
    from mlarchitect.render_markdown import human_number

    def mark(fact: Any, text: str) -> str:
        return text if fact.stated else f"{text}, assumed"

    out: dict[str, str] = {}
    if req.corpus is not None:
        out["documents"] = mark(req.corpus, f"{human_number(req.corpus.value.amount)} {req.corpus.value.unit}")
    if req.requests_per_day is not None:
        out["requests"] = mark(req.requests_per_day, f"{human_number(req.requests_per_day.value)} requests/day")
    if req.peak_rps is not None:
        out["peak"] = mark(req.peak_rps, f"{human_number(req.peak_rps.value)} requests/s at peak")
    if req.batch_volume is not None:
        out["batch_rows"] = mark(req.batch_volume, f"{human_number(req.batch_volume.value.amount)} "
                                                   f"{req.batch_volume.value.unit} per run")
    if req.events_per_day is not None:
        out["events"] = mark(req.events_per_day, f"{human_number(req.events_per_day.value)} {req.record()[1]}/day")
    elif req.data_volume_gb_per_day is not None:
        out["events"] = mark(req.data_volume_gb_per_day, f"{human_number(req.data_volume_gb_per_day.value)} GB/day")
    if req.media_hours_per_day is not None:
        out["audio_hours"] = mark(req.media_hours_per_day, f"{human_number(round(req.media_hours_per_day.value, 1))} hours/day")
    if req.labelled_examples is not None:
        out["labelled_examples"] = mark(req.labelled_examples, f"{human_number(req.labelled_examples.value)} labelled")
    people = req.people()
    if people is not None:
        out["people"] = mark(people, f"{people.value:,} people")
    if req.retention_days is not None:
        out["kept"] = mark(req.retention_days, f"kept {human_number(req.retention_days.value)} days")
    return out


_OPTIONAL_GROUP = re.compile(r"\s*\(([^(){}]*)\{(\w+)\}([^(){}]*)\)")


def _flow_label(text: str, values: dict[str, str]) -> str:
    """A blueprint text (a data-flow label, a section line) with this request's figures: a
    "(…{name}…)" group whose value is unknown is left out."""
    def group(m: re.Match[str]) -> str:
        return f" ({m.group(1)}{values[m.group(2)]}{m.group(3)})" if m.group(2) in values else ""

    return re.sub(r"(?<=\S)  +(?=\S)", " ", _OPTIONAL_GROUP.sub(group, text).format_map(_Vars(values)))


def _text(item: Any, req: Requirements, chosen: set[str], values: dict[str, str]) -> str | None:
    """A blueprint line (a string, ``{text, when}``, or a list of those: the first that holds)
    for this request, or None."""
    if isinstance(item, list):
        return next((t for t in (_text(x, req, chosen, values) for x in item) if t is not None), None)
    if isinstance(item, dict):
        if not holds(item.get("when"), req, chosen):
            return None
        item = item["text"]
    return _flow_label(str(item), values)


_PLACELESS = frozenset({"in-process", "none"})
_CLOUD_NAMES = {"aws": "AWS", "gcp": "GCP", "azure": "Azure"}


def placement(option: Option, req: Requirements) -> str:
    """Where a chosen option keeps or processes data when the request names a residency
    (" — in France (AWS eu-west-3, Paris)"); empty for what runs inside another component."""
    if (req.data_residency is None and req.cloud_region is None) or (
            option.datastore in _PLACELESS and not option.needs and not option.hosted):
        return ""
    cloud = req.cloud.value.lower() if req.cloud is not None else None
    if option.hosted and not (cloud and cloud in option.per_cloud) and not option.residency:
        return ""  # a vendor's service: where it keeps data is the vendor's region, not ours to state
    zone = req.cloud_region.value if req.cloud_region is not None else None
    if req.data_residency is None:  # a region named without a residency rule: "AWS, eu-central-1"
        return f" — in {_CLOUD_NAMES.get(cloud or '', '')} {zone}" if cloud else ""
    region = req.data_residency.value
    where = "the EU" if region == "EU" else region
    if option.hosted and not (cloud and cloud in option.per_cloud):  # a vendor's API with a residency option
        return f" — in {where} (the provider's {region} data residency)"
    zone = zone or cloud_zone(region, cloud)
    return f" — in {where} ({_CLOUD_NAMES.get(cloud or '', '')} {zone})" if cloud and zone else f" — in {where}"



def on_own_gpus(option: Option, req: Requirements) -> str:
    """" — on the team's 2× L4 (24 GB each)" for an option that runs on GPUs, when the request names the
    GPUs of its own machines (GPUs it rents in a cloud may be what the design replaces)."""
    hardware = req.hardware.value if req.hardware is not None and req.hardware.stated else None
    own = req.deployment is not None and req.deployment.value != "cloud"
    if not option.gpu_memory_gb or not own or hardware is None or hardware.gpus <= 0 or not hardware.gpu_model:
        return ""
    memory = f" ({hardware.gpu_memory_gb:g} GB{' each' if hardware.gpus > 1 else ''})" if hardware.gpu_memory_gb else ""
    return f" — on the team's {hardware.gpus}× {hardware.gpu_model}{memory}"


def adapt_architecture(package: str, req: Requirements, scales: dict[str, float] | None = None,
                       request: str = "") -> dict[str, Any]:
    """The blueprint of ``package`` adapted to ``req`` (pure: no I/O beyond the package data);
    ``request``: its text, so that what it asks for by name is preferred."""
    blueprint = load_blueprint(package)
    catalogue = load_catalogue(package)
    scales = scales or {}
    choices: dict[str, Choice] = {}
    for slot_id, slot in catalogue.slots.items():  # in file order: later slots may pair with earlier choices
        picked = [c.chosen for c in choices.values() if c.chosen is not None]
        choices[slot_id] = choose(slot_id, slot, req, scales.get(slot.unit), frozenset(o.id for o in picked),
                                  frozenset(o.datastore for o in picked), request)
    chosen_ids = {c.chosen.id for c in choices.values() if c.chosen is not None}
    values = template_vars(req, choices)
    components: list[dict[str, Any]] = []
    used: dict[str, Choice] = {}
    unsatisfied: list[str] = []
    for comp in blueprint.get("components", []):
        if not holds(comp.get("when"), req, chosen_ids):
            continue
        slot = comp.get("slot")
        entry = {"name": comp["name"], "responsibility": _text(comp["responsibility"], req, chosen_ids, values) or "",
                 "technology": _text(comp.get("technology", ""), req, chosen_ids, values) or "", "decisions": []}
        if slot:
            choice = choices[slot]
            if choice.chosen is None:
                if catalogue.slots[slot].optional:
                    continue
                unsatisfied.append(f"{comp['name']}: {choice.why}")
                entry["technology"] = "no option satisfies the constraints"
                entry["decisions"].append(choice.why)
            else:
                entry["technology"] = choice.chosen.name + placement(choice.chosen, req) + on_own_gpus(choice.chosen, req)
                entry["hosted"] = choice.chosen.hosted
                entry["decisions"].append(f"Chosen because {choice.why}.")
            used[slot] = choice
        components.append(entry)
    names = {c["name"] for c in components}
    flows = []
    for flow in blueprint.get("data_flows", []):  # [from, to, label] or {flow: [...], when: {...}, unless: component}
        if isinstance(flow, dict):
            if not holds(flow.get("when"), req, chosen_ids) or flow.get("unless") in names:
                continue
            flow = flow["flow"]
        if flow[0] in names and flow[1] in names:
            flows.append([flow[0], flow[1], *(_flow_label(str(x), values) for x in flow[2:])])
    risks = []
    for rule in blueprint.get("risk_rules", []):
        if holds(rule.get("when"), req, chosen_ids):
            risks.append({"risk": _text(rule["risk"], req, chosen_ids, values),
                          "mitigation": _text(rule["mitigation"], req, chosen_ids, values),
                          "severity": rule.get("severity", "medium")})
    data: dict[str, Any] = {
        "title": blueprint.get("title", ""),
        "components": components,
        "data_flows": flows,
        "risks": risks,
        # the option as chosen for this request: its name on the stated cloud is already in ``name``
        "choices": [c.model_dump(mode="json", exclude={"chosen": {"per_cloud", "clouds"}}) for c in used.values()],
        "chosen": sorted(c.chosen.id for c in used.values() if c.chosen is not None),
        "unsatisfied": unsatisfied,
        "scales": scales,
    }
    for key in SECTION_KEYS:
        section = blueprint.get(key)
        if section is None:
            continue
        adapted: dict[str, Any] = {}
        for field, value in section.items():
            if isinstance(value, list):
                adapted[field] = [t for t in (_text(v, req, chosen_ids, values) for v in value) if t]
            else:
                adapted[field] = _text(value, req, chosen_ids, values) or ""
        data[key] = adapted
    return data


class ArchitectureArgs(BaseModel):
    focus: str = Field(default="", description="Optional: a part of the system to emphasise.")
    state: Annotated[dict, InjectedState] = Field(default_factory=dict)


def run_architecture(skill_id: str, prefix: str, package: str, state: dict[str, Any],
                     scale_fn: ScaleFn | None = None) -> ToolResult:
    req = Requirements.model_validate(state.get("requirements") or {})
    data = adapt_architecture(package, req, scale_fn(req) if scale_fn else None, str(state.get("request") or ""))
    chosen = ", ".join(f"{c['title'].lower()}: {c['chosen']['name']}" for c in data["choices"] if c.get("chosen"))
    recs = [f"{c['title']}: {c['chosen']['name']} ({c['why']})" for c in data["choices"] if c.get("chosen")]
    recs += [f"Unresolved: {u}" for u in data["unsatisfied"]]
    return ToolResult(skill=skill_id, tool=f"{prefix}_design_architecture",
                      summary=f"{data['title']} for this request; {chosen}" if chosen else data["title"],
                      recommendations=recs, data=data)


def architecture_tool(skill_id: str, prefix: str, package: str, scale_fn: ScaleFn | None = None) -> BaseTool:
    from langchain_core.tools import StructuredTool

    def call(focus: str = "", state: dict | None = None) -> tuple[str, dict[str, Any]]:
        result = run_architecture(skill_id, prefix, package, state or {}, scale_fn)
        return result.model_dump_json(exclude_defaults=True), result.model_dump()

    return StructuredTool.from_function(
        func=call,
        name=f"{prefix}_design_architecture",
        description=("Design this kind of system for the current request: components with technologies chosen "
                     "under the request's hard constraints (air-gapped, existing stack only, one machine, batch, "
                     "classic ML ...), the alternatives each choice beat and why, data flows, and risks derived "
                     "from the constraints. Call it first; build on its choices."),
        args_schema=ArchitectureArgs,
        response_format="content_and_artifact",
        metadata={"skill": skill_id},
    )
