"""What an OpenAI-compatible server can do, found out once per base URL + model.

Four tiny requests (a few tokens each, ``max_tokens`` small): tool calling with
``tool_choice="auto"``, a forced (named) tool choice, ``json_schema`` structured
output, JSON mode. The answers are cached in ``<data_dir>/probe-cache.json``
for ``probe_ttl_s``. The official API (no base URL) is not probed: it does all
four. The offline engine is never probed.

``design models`` lists the configured models and what the probe found.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel, Field

from mlarchitect.config import Settings

PROBE_MARKER = "mlarchitect capability probe"
PROBE_MAX_TOKENS = 64  # enough for a tool call or {"ok": true}; a thinking model may be cut (see judge)
_TOOL = {"type": "function", "function": {
    "name": "probe_echo", "description": "Echo a number.",
    "parameters": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}}}
_SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"], "additionalProperties": False}


class Capabilities(BaseModel):
    """What a server does for one model. Defaults: everything (the official API)."""

    base_url: str | None = None
    model: str = ""
    tools: bool = True
    forced_tool_choice: bool = True
    json_schema: bool = True
    json_mode: bool = True
    model_found: bool = True
    probed: bool = False
    probed_at: float = 0.0
    error: str = ""
    details: dict[str, str] = Field(default_factory=dict)
    served_models: list[str] = Field(default_factory=list)
    calls: int = 0

    def summary(self) -> str:
        if not self.model_found:
            return f"model not found ({self.error})"
        if not self.probed:
            return "not probed (official API: all methods)" if not self.base_url else f"not probed ({self.error or 'off'})"
        flags = [("tools", self.tools), ("forced tool choice", self.forced_tool_choice),
                 ("json_schema", self.json_schema), ("JSON mode", self.json_mode)]
        return ", ".join(f"{name} {'yes' if ok else 'no'}" for name, ok in flags)


def cache_key(base_url: str | None, model: str) -> str:
    return f"{(base_url or 'https://api.openai.com/v1').rstrip('/')}|{model}"


def read_cache(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_cache(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".probe-cache.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def capabilities(settings: Settings, model: str, *, refresh: bool = False, run: bool = True) -> Capabilities:
    """The server's capabilities for ``model``: from the cache when fresh, else probed
    (``run=False``: only what the cache knows)."""
    base = settings.openai_base_url
    if not base:
        return Capabilities(base_url=None, model=model)
    if not settings.probe:
        return Capabilities(base_url=base, model=model, error="probing is off (probe = false)")
    key = cache_key(base, model)
    cached = read_cache(settings.probe_cache_path).get(key)
    if cached and not refresh:
        caps = Capabilities.model_validate(cached)
        if time.time() - caps.probed_at <= settings.probe_ttl_s:
            return caps
    if not run:
        return Capabilities(base_url=base, model=model, error="not probed yet")
    caps = probe(settings, model)
    if caps.probed:  # only complete answers are cached; a server that was down is asked again next run
        data = read_cache(settings.probe_cache_path)
        data[key] = caps.model_dump(mode="json")
        write_cache(settings.probe_cache_path, data)
    return caps


def probe(settings: Settings, model: str) -> Capabilities:
    import openai

    base = settings.openai_base_url
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "not-needed"
    client = openai.OpenAI(base_url=base, api_key=key, max_retries=0,
                           timeout=min(settings.request_timeout_s, 30.0))
    caps = Capabilities(base_url=base, model=model)
    ask = [{"role": "system", "content": f"{PROBE_MARKER}. Answer as briefly as possible."}]

    def send(name: str, **extra: Any) -> Any:
        caps.calls += 1
        try:
            return client.chat.completions.create(model=model, max_tokens=PROBE_MAX_TOKENS, **extra)
        except openai.NotFoundError as exc:
            raise _ModelMissing(_short(exc)) from exc
        except (openai.BadRequestError, openai.UnprocessableEntityError) as exc:
            caps.details[name] = f"rejected: {_short(exc)}"
            return None

    def judge(name: str, answer: Any, ok: bool, ignored: str) -> bool:
        """A rejected feature is False; an answer cut at ``max_tokens`` (a model that thinks
        first) proves nothing, so the feature is assumed to work."""
        if answer is None:
            return False
        if ok:
            return True
        if answer.choices and answer.choices[0].finish_reason == "length":
            caps.details[name] = f"inconclusive (answer cut at {PROBE_MAX_TOKENS} tokens): assumed to work"
            return True
        caps.details[name] = ignored
        return False

    try:
        answer = send("tools", messages=[*ask, {"role": "user", "content": "Call probe_echo with n=1."}],
                      tools=[_TOOL], tool_choice="auto")
        caps.tools = judge("tools", answer, _called(answer), "accepted but ignored (no tool call)")
        answer = send("forced_tool_choice", messages=[*ask, {"role": "user", "content": "Echo n=1."}],
                      tools=[_TOOL], tool_choice={"type": "function", "function": {"name": "probe_echo"}})
        caps.forced_tool_choice = judge("forced_tool_choice", answer, _called(answer),
                                        "accepted but ignored (no tool call)")
        answer = send("json_schema", messages=[*ask, {"role": "user", "content": 'Reply {"ok": true} as JSON.'}],
                      response_format={"type": "json_schema",
                                       "json_schema": {"name": "probe", "schema": _SCHEMA, "strict": True}})
        caps.json_schema = judge("json_schema", answer, _json_ok(answer, "ok"),
                                 "accepted but the answer was not the schema's JSON")
        answer = send("json_mode", messages=[*ask, {"role": "user", "content": 'Reply {"ok": true} as JSON.'}],
                      response_format={"type": "json_object"})
        caps.json_mode = judge("json_mode", answer, _json_ok(answer, None), "accepted but the answer was not JSON")
    except _ModelMissing as exc:
        caps.model_found = False
        caps.tools = caps.forced_tool_choice = caps.json_schema = caps.json_mode = False
        caps.served_models = served_models(client)
        served = f" (the server serves: {', '.join(caps.served_models)})" if caps.served_models else ""
        caps.error = f"model {model!r} is not served at {base}{served}: {exc}"
        return caps
    except openai.OpenAIError as exc:  # down, timing out, 5xx: unknown, assume the defaults
        caps = Capabilities(base_url=base, model=model, error=_short(exc), calls=caps.calls)
        return caps
    caps.probed = True
    caps.probed_at = time.time()
    return caps


def served_models(client: Any) -> list[str]:
    try:
        return sorted(m.id for m in client.models.list())[:20]
    except Exception:  # noqa: BLE001 - a listing is a courtesy
        return []


class _ModelMissing(Exception):
    pass


def _called(answer: Any) -> bool:
    return bool(answer is not None and answer.choices and answer.choices[0].message.tool_calls)


def _json_ok(answer: Any, key: str | None) -> bool:
    if answer is None or not answer.choices:
        return False
    text = answer.choices[0].message.content or ""
    try:
        data = json.loads(text.strip().removeprefix("```json").removesuffix("```"))
    except ValueError:
        return False
    return isinstance(data, dict) and (key is None or key in data)


def _short(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:200]


# --- the CLI command -----------------------------------------------------------------


@click.command("models")
@click.option("--probe/--no-probe", "run_probe", default=False,
              help="Probe the server now (otherwise only cached results are shown).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("-m", "--model", help="Model name or tier (as for a design run).")
def models(run_probe: bool, as_json: bool, model: str | None) -> None:
    """The models each agent runs, and what the server's probe found."""
    from mlarchitect.agents.agent_files import load_catalog
    from mlarchitect.agents.models import agent_model_name, choose_model, uses_tiers

    settings = Settings(**({"model": model} if model else {}))
    catalog = load_catalog(settings.agents_dir)
    architect = catalog.get("ml-system-architect")
    choice = choose_model(settings, architect.model if architect else None)
    rows = []
    for agent in catalog.agents.values():
        name = "offline" if choice.offline else (
            choice.name if architect is not None and agent.name == architect.name
            else agent_model_name(settings, agent.model, choice.name))
        rows.append({"agent": agent.name, "tier": agent.model or "inherit", "model": name})
    found: dict[str, Capabilities] = {}
    if not choice.offline:
        for name in dict.fromkeys(r["model"] for r in rows):
            found[name] = capabilities(settings, name, refresh=run_probe, run=run_probe)
    info = {"base_url": settings.openai_base_url or "https://api.openai.com/v1 (official)",
            "offline": choice.offline, "reason": choice.reason, "tiers": uses_tiers(settings),
            "agents": rows, "capabilities": {k: v.model_dump(mode="json") for k, v in found.items()},
            "cache": str(settings.probe_cache_path)}
    if as_json:
        click.echo(json.dumps(info, indent=2))
        return
    click.echo(f"server:  {info['base_url']}")
    if choice.offline:
        click.echo(f"engine:  offline{' (' + choice.reason + ')' if choice.reason else ''}")
    if not choice.offline:
        click.echo(f"tiers:   {'per agent (opus/sonnet/haiku)' if info['tiers'] else 'one model for every agent'}")
    for row in rows:
        click.echo(f"  {row['agent']:36} {row['tier']:8} {row['model']}")
    for name, caps in found.items():
        click.echo(f"{name}: {caps.summary()}")
        for what, detail in caps.details.items():
            click.echo(f"    {what}: {detail}")
        if caps.served_models:
            click.echo(f"    served: {', '.join(caps.served_models)}")
    if found and not run_probe:
        click.echo("(cached results only; --probe asks the server now)")


def probe_for(settings: Settings) -> Any:
    """The run's probe: capabilities of ``model`` on the configured server."""
    return lambda model: capabilities(settings, model)
