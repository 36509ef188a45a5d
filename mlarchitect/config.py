"""Configuration: environment variables and an optional TOML file.

Precedence (highest first): explicit arguments, environment variables
(``OPENAI_API_KEY``, ``OPENAI_BASE_URL``, ``MLARCHITECT_*``; nested fields use
``__``, e.g. ``MLARCHITECT_TIERS__SONNET``), the TOML file
(``$MLARCHITECT_CONFIG`` or ``<user config dir>/mlarchitect/config.toml``),
defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

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
    def wants_offline(self) -> bool:
        if self.offline or (self.model or "").lower() == "offline":
            return True
        return self.openai_api_key is None and self.openai_base_url is None
