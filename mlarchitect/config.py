"""Configuration: environment variables and an optional TOML file.

Precedence (highest first): explicit arguments, environment variables
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``MLARCHITECT_*``; nested fields use
``__``, e.g. ``MLARCHITECT_TIERS__SONNET``), the TOML file
(``$MLARCHITECT_CONFIG`` or ``<user config dir>/mlarchitect/config.toml``),
defaults.

Commands build settings with :func:`load_settings`. A bad value or a broken file
is one :class:`~mlarchitect.errors.ConfigError` line naming the file or variable
and the key (also for ``Settings(...)`` and the Python API), not a traceback.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from mlarchitect.errors import ConfigError
from mlarchitect.pricing import ModelPrice

log = logging.getLogger(__name__)

Tier = Literal["sonnet", "opus", "haiku"]


def user_data_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("mlarchitect", appauthor=False))


def config_file_path() -> Path:
    explicit = os.environ.get("MLARCHITECT_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("mlarchitect", appauthor=False)) / "config.toml"


class ModelTiers(BaseModel):
    """Concrete model names behind the agent files' ``model:`` tiers."""

    opus: str = "gpt-5"
    sonnet: str = "gpt-5-mini"
    haiku: str = "gpt-5-nano"

    def resolve(self, tier: str | None, default: str) -> str:
        if tier in (None, "", "inherit"):
            return default
        return getattr(self, tier, tier)  # an unknown tier is taken as a model name


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MLARCHITECT_",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
    )

    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "openai_api_key")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "openai_base_url")
    )
    model: str | None = Field(
        default=None, description="Model name, a tier (sonnet|opus|haiku) or 'offline'."
    )
    offline: bool = False
    tiers: ModelTiers = Field(default_factory=ModelTiers)
    data_dir: Path = Field(default_factory=user_data_dir)
    kb_dir: Path | None = None
    agents_dir: Path | None = None
    skills_dir: Path | None = None
    max_steps: int = Field(default=12, ge=1, le=100, description="Architect tool-loop limit.")
    max_handoffs: int = Field(default=4, ge=0, le=20)
    request_timeout_s: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    fallback_to_offline: bool = True
    max_checkpoint_threads: int = Field(
        default=200, ge=1, description="Checkpointed threads kept; older ones are pruned after a run."
    )
    temperature: float | None = None
    max_tokens: int | None = Field(
        default=6000, ge=16, description="Output-token cap sent with every model call (None: the server's default)."
    )
    timeout_s: float | None = Field(
        default=None, gt=0, description="Overall deadline of one design run; retries stop when it is near."
    )
    agent_tiers: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="Sibling agents' model tiers (opus/sonnet/haiku): 'auto' uses them only on the official "
        "API with no explicit model; 'on' always; 'off' never (every agent runs the architect's model).",
    )
    providers: dict[str, ModelTiers] = Field(
        default_factory=dict,
        description="Per base URL (exactly as OPENAI_BASE_URL), the model names behind the tiers on that server; "
        "a base URL listed here turns tiers on for it.",
    )
    chroma_host: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CHROMA_HOST", "MLARCHITECT_CHROMA_HOST", "chroma_host"),
        description="A Chroma server that holds the knowledge base (shared by every process that names it); "
        "unset: the embedded store in kb_dir.",
    )
    chroma_port: int = Field(
        default=8000, ge=1, le=65535,
        validation_alias=AliasChoices("CHROMA_PORT", "MLARCHITECT_CHROMA_PORT", "chroma_port"),
    )
    chroma_prefix: str = Field(
        default="mlarchitect", pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$",
        description="Prefix of this knowledge base's collection names on the Chroma server.",
    )
    checkpoint_url: str | None = Field(
        default=None,
        description="postgresql://... : LangGraph checkpoints in PostgreSQL (shared by every process that names "
        "it); unset: <data_dir>/checkpoints.sqlite.",
    )
    probe: bool = Field(default=True, description="Probe an OpenAI-compatible server's capabilities once per model.")
    probe_ttl_s: float = Field(default=7 * 24 * 3600, ge=0, description="How long a probe result is trusted.")
    pricing: dict[str, ModelPrice] = Field(
        default_factory=dict,
        description="USD per 1M input/output tokens per model name ([pricing.\"my-model\"] input = .. output = ..); "
        "added to (and overriding) the built-in prices of the official API (mlarchitect.pricing).",
    )
    cache: bool = Field(default=True, description="Answer a repeated request from the response cache "
                                                  "(<data_dir>/designs.sqlite) with no model call.")
    design_log: bool = Field(default=True, description="Record every design in the design log "
                                                       "(<data_dir>/designs.sqlite; `design log list`).")

    def __init__(self, **values: Any) -> None:
        """Read the sources; a bad value or file is one :class:`ConfigError` line naming
        where it came from (argument, environment variable, config file) and the key."""
        config = config_file_path()
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise ConfigError(_describe_validation(exc, values, config)) from None
        except ValueError as exc:  # tomllib.TOMLDecodeError, pydantic_settings.SettingsError
            raise ConfigError(_describe_source_error(exc, config)) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=config_file_path())
        return (init_settings, env_settings, toml)

    @property
    def resolved_kb_dir(self) -> Path:
        return self.kb_dir if self.kb_dir is not None else self.data_dir / "kb"

    @property
    def checkpoint_path(self) -> Path:
        return self.data_dir / "checkpoints.sqlite"

    @property
    def checkpoint_target(self) -> Path | str:
        """Where checkpoints live: the PostgreSQL URL when set, else the SQLite file."""
        return self.checkpoint_url or self.checkpoint_path

    @property
    def design_db_path(self) -> Path:
        """The response cache and the design log (one SQLite file)."""
        return self.data_dir / "designs.sqlite"

    @property
    def probe_cache_path(self) -> Path:
        return self.data_dir / "probe-cache.json"

    @property
    def wants_offline(self) -> bool:
        if self.offline or (self.model or "").lower() == "offline":
            return True
        return self.openai_api_key is None and self.openai_base_url is None


def load_settings(**overrides: Any) -> Settings:
    """The settings every command uses: ``Settings(**overrides)``, logged.

    Raises :class:`ConfigError` (one line naming the argument, environment
    variable or config file and the key) when a value or the file is bad.
    """
    config = config_file_path()
    settings = Settings(**overrides)
    log.info("settings: config file %s (%s), data dir %s, knowledge base %s", config,
             "found" if config.is_file() else "absent", settings.data_dir, settings.resolved_kb_dir)
    return settings


def _env_name(loc: tuple[Any, ...]) -> str | None:
    """The environment variable that set the field at ``loc``, if one is set."""
    field = Settings.model_fields.get(str(loc[0])) if loc else None
    names: list[str] = []
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices):
        names += [str(a).upper() for a in alias.choices if isinstance(a, str)]
    if loc:
        names.append("MLARCHITECT_" + str(loc[0]).upper())
        if len(loc) > 1:
            names.insert(0, "MLARCHITECT_" + "__".join(str(p).upper() for p in loc))
    return next((n for n in names if n in os.environ), None)


def _describe_validation(exc: ValidationError, overrides: dict[str, Any], config: Path) -> str:
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    key = ".".join(str(p) for p in loc) or "?"
    got = f" (got {err['input']!r})" if "input" in err and not isinstance(err["input"], dict) else ""
    reason = f"{err['msg']}{got}"
    if loc and str(loc[0]) in overrides:
        where = "argument"
    elif (env := _env_name(loc)) is not None:
        where = f"environment variable {env}"
    elif config.is_file():
        where = f"config file {config}"
    else:
        where = "settings"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: {key}: {reason}{more}"


def _describe_source_error(exc: ValueError, config: Path) -> str:
    import tomllib

    if isinstance(exc, tomllib.TOMLDecodeError):
        return f"config file {config}: invalid TOML: {exc}"
    message = " ".join(str(exc).split())  # pydantic-settings: a variable that is not valid JSON
    match = re.search(r'field "([^"]+)"', message)
    env = _env_name((match.group(1),)) if match else None
    return f"environment variable {env}: {message}" if env else f"configuration: {message}"
