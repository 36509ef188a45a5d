"""Remove secrets from text before the project writes or stores it (stderr, notes, events,
checkpoints): the configured API key, ``sk-...``-like tokens, ``Authorization: Bearer ...``
values and ``api_key=...`` query or JSON fields."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable

MASK = "[REDACTED]"
_KEY_ENV = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY", "ANTHROPIC_API_KEY")

_PATTERNS = [
    # Authorization: Bearer xyz / "authorization": "Bearer xyz" / Basic ...
    re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?\s*(?:bearer|basic|token)?\s*)[^\s\"',;}]+"),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    # api_key=..., "api_key": "...", api-key: ..., x-api-key, access_token, client_secret, password
    re.compile(r"(?i)(\b(?:x-)?(?:api[_-]?key|access[_-]?token|client[_-]?secret|password)[\"']?\s*[:=]\s*[\"']?)"
               r"[^\s\"'&,;}]+"),
    # provider-style keys: sk-..., sk-proj-..., sk-ant-...
    re.compile(r"()\bsk-[A-Za-z0-9_-]{8,}"),
]


def configured_secrets() -> list[str]:
    """Secret values configured in the environment or the config file (the API keys)."""
    found = [v for name in _KEY_ENV if (v := os.environ.get(name, "").strip())]
    from mlarchitect.config import config_file_path

    path = config_file_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return found
    return found + list(_file_secrets(str(path), stamp))


@functools.lru_cache(maxsize=4)
def _file_secrets(path: str, _stamp: int) -> tuple[str, ...]:
    import tomllib

    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except (OSError, ValueError):
        return ()
    value = data.get("openai_api_key") or data.get("OPENAI_API_KEY")
    return (value.strip(),) if isinstance(value, str) and value.strip() else ()


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with every secret replaced by ``[REDACTED]``.

    ``secrets`` are exact values to remove; the configured API keys (environment, config
    file) are always included."""
    if not text:
        return text
    values = {s for s in (*secrets, *configured_secrets()) if s and len(s) >= 6}
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text
