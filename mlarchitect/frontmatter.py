"""The one reader of YAML front matter (agent files, skill files, knowledge documents).

A file with front matter starts with a ``---`` line; the header ends at the next
``---`` (or ``...``) line. Errors are :class:`~mlarchitect.errors.DefinitionError`
with the file and the 1-based line of the problem.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from mlarchitect.errors import DefinitionError

if TYPE_CHECKING:
    from pydantic import BaseModel

log = logging.getLogger(__name__)

_CLOSERS = ("---", "...")


def read_front_matter(text: str, path: str = "<string>", *,
                      strict: bool = True) -> tuple[dict[str, Any], str, int]:
    """``(header mapping, body, line number where the body starts)``.

    A missing or unclosed header, invalid YAML or a header that is not a mapping
    raises :class:`DefinitionError`; an empty header is ``{}``. With
    ``strict=False`` (documents whose header is optional) a missing or unclosed
    header gives ``({}, text, 1)`` and an unreadable one is logged and read as
    ``{}`` (the body still starts after it).
    """
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        if not strict:
            return {}, text, 1
        raise DefinitionError(path, 1, "missing YAML front matter (the file must start with '---')")
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in _CLOSERS), None)
    if end is None:
        if not strict:
            return {}, text, 1
        raise DefinitionError(path, 1, "front matter is not closed by a '---' line")
    body = "\n".join(lines[end + 1 :])
    try:
        data = _parse_yaml("\n".join(lines[1:end]), path)
    except DefinitionError as exc:
        if strict:
            raise
        log.warning("%s (front matter ignored)", exc)
        data = {}
    return data, body, end + 2


def _parse_yaml(header: str, path: str) -> dict[str, Any]:
    import yaml

    from mlarchitect.yamlio import safe_load

    try:
        data = safe_load(header)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise DefinitionError(path, line, f"invalid YAML front matter: {reason}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DefinitionError(path, 2, "front matter must be a mapping of keys to values")
    return data


def key_line(text: str, key: str) -> int:
    """The line of a top-level ``key:`` in the front matter of ``text`` (1 when absent)."""
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if line.strip() in _CLOSERS:
            break
        if key and re.match(rf"^{re.escape(key)}\s*:", line):
            return number
    return 1


_Spec = TypeVar("_Spec", bound="BaseModel")


def parsed_once_per_version(parse: Callable[[Path], _Spec]) -> Callable[[Path], _Spec]:
    """``parse(path)`` run once per version of the file (path, modification time, size) in this
    process (a design reads the definitions for its cache key and for its run); each caller
    gets its own deep copy. A file that cannot be stat-ed is a :class:`DefinitionError`."""
    cached = lru_cache(maxsize=256)(lambda path, _mtime_ns, _size: parse(path))

    @wraps(parse)
    def parse_file(path: Path) -> _Spec:
        try:
            stat = path.stat()
        except OSError as exc:
            raise DefinitionError(str(path), None, f"cannot read: {exc.strerror or exc}") from None
        return cached(path, stat.st_mtime_ns, stat.st_size).model_copy(deep=True)

    return parse_file
