"""The one YAML reader: ``yaml.safe_load`` through libyaml's parser when PyYAML was built
with it (the bundled catalogues, blueprints and routing examples parse several times faster),
else the pure-Python one. Text that libyaml rejects is read again by the pure-Python parser,
so a valid document never depends on the parser and an error reads the same either way."""

from __future__ import annotations

from typing import Any


def safe_load(text: str) -> Any:
    """``yaml.safe_load(text)``, faster."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return yaml.load(text, Loader=loader)  # noqa: S506 - the safe loader, in C
        except yaml.YAMLError:
            pass  # the pure-Python parser decides, and words the error
    return yaml.safe_load(text)
