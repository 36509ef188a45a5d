"""A design request's validation: text, not empty, within the size limit (no LangGraph here,
so that the CLI and a response-cache hit can check a request without loading the graph)."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from mlarchitect.errors import InputError

MAX_REQUEST_CHARS = 20_000


class DesignRequest(BaseModel):
    """A validated request (the graph's input boundary)."""

    request: str = Field(min_length=1, max_length=MAX_REQUEST_CHARS)

    @field_validator("request", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


def validate_request(text: str) -> str:
    if not isinstance(text, str):
        raise InputError("the request must be text")
    if "\x00" in text:
        raise InputError("the request contains binary data (NUL bytes); pass plain text")
    stripped = text.strip()
    if not stripped:
        raise InputError("the request is empty: describe the system you need")
    if len(stripped) > MAX_REQUEST_CHARS:
        raise InputError(
            f"the request is {len(stripped):,} characters; the limit is {MAX_REQUEST_CHARS:,}"
        )
    return DesignRequest(request=stripped).request
