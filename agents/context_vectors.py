"""Shipped vectors for routing: the contextual encoder's (``knowledge/embedders/minilm.py``)
and the static embedder's.

Encoding a sentence with the transformer takes tens of milliseconds, and the bank
has hundreds, so the vectors of the built-in texts the router compares against (the
example bank and the workflows' descriptions) are shipped in ``routing_vectors.npz``
in both spaces, keyed by a hash of each text; a design encodes only its request. Texts missing from the
table (a user's own architect definition) are encoded on first use and kept for
the process. After editing the bank or the definitions, regenerate the table::

    python -m mlarchitect.agents.context_vectors

(a test fails while the table misses a built-in text). Without the model files,
``context_embed`` returns ``None`` and routing uses the static embedder alone.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

TABLE_FILE = "routing_vectors.npz"
_lock = threading.Lock()
_encoded: dict[str, Any] = {}
_state: dict[str, Any] = {"encoder": None, "failed": False}


def text_key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def table_path() -> Path:
    return Path(str(resources.files("mlarchitect.agents") / TABLE_FILE))


class _Rows(Mapping[str, Any]):
    """{text key: float32 vector} over one shipped matrix, kept as shipped (the contextual
    vectors in float16: half the memory of a float32 copy); a row is widened when read, and
    no object per row is kept."""

    def __init__(self, rows: dict[str, int], matrix: Any) -> None:
        if len(matrix) != len(rows):
            raise ValueError(f"{len(rows)} keys for {len(matrix)} vectors")
        self._rows = rows
        self._matrix = matrix

    def __getitem__(self, key: str) -> Any:
        import numpy as np

        return self._matrix[self._rows[key]].astype(np.float32, copy=False)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


@lru_cache(maxsize=1)
def _tables() -> tuple[Mapping[str, Any], Mapping[str, Any], str]:
    """({key: contextual vector}, {key: static vector}, the static embedder's name)."""
    import numpy as np

    path = table_path()
    try:
        with np.load(path) as data:
            rows = {key: i for i, key in enumerate(data["keys"].tolist())}
            context = _Rows(rows, data["vectors"])
            static = _Rows(rows, data["static"]) if "static" in data else {}
            name = str(data["static_name"]) if "static_name" in data else ""
    except Exception as exc:  # noqa: BLE001 - missing or damaged: every text is encoded instead
        log.info("routing vectors not read from %s (%s): encoding the texts", path, exc)
        return {}, {}, ""
    return context, static, name


def shipped_table() -> Mapping[str, Any]:
    """{text key: contextual unit vector} of the built-in texts; empty when the file is missing."""
    return _tables()[0]


def shipped_static(texts: Sequence[str], embedder_name: str) -> dict[str, Any]:
    """{text: static vector} for the texts the table holds, if it was made by ``embedder_name``."""
    _, static, name = _tables()
    if not static or name != embedder_name:
        return {}
    return {t: v for t in texts if (v := static.get(text_key(t))) is not None}


def _encoder() -> Any:
    with _lock:
        if _state["encoder"] is None and not _state["failed"]:
            try:
                from mlarchitect.knowledge.embedders.minilm import MiniLMEncoder, model_dir

                model_dir()  # raises when the model files are missing
                _state["encoder"] = MiniLMEncoder()
            except Exception as exc:  # noqa: BLE001 - no model: the static embedder alone
                log.info("contextual encoder unavailable (%s): routing uses the static embedder", exc)
                _state["failed"] = True
        return _state["encoder"]


def context_embed(texts: Sequence[str]) -> Any | None:
    """Unit vectors (one row per text) from the contextual encoder; ``None`` when it is unavailable."""
    encoder = _encoder()
    if encoder is None:
        return None
    import numpy as np

    from mlarchitect.knowledge.embedders.minilm import DIMS

    table = shipped_table()
    found: dict[str, Any] = {}
    for text in dict.fromkeys(texts):
        key = text_key(text)
        vector = table.get(key)
        if vector is None:
            with _lock:
                vector = _encoded.get(key)
        if vector is not None:
            found[text] = vector
    missing = [t for t in dict.fromkeys(texts) if t not in found]
    if missing:
        fresh = encoder.embed_array(missing)
        with _lock:
            if len(_encoded) > 5_000:  # requests are kept too; keep memory bounded
                _encoded.clear()
            for text, vector in zip(missing, fresh, strict=True):
                _encoded[text_key(text)] = found[text] = vector
    if not texts:
        return np.zeros((0, DIMS), dtype=np.float32)
    return np.stack([found[t] for t in texts])


def builtin_texts() -> list[str]:
    """Every text of the built-in definitions and bank that the router compares against."""
    from mlarchitect.agents.agent_files import load_catalog
    from mlarchitect.agents.routing import bank_examples, workflow_texts
    from mlarchitect.skills.registry import load_skill_catalog

    agents, skills = load_catalog(), load_skill_catalog()
    architect = agents.agents["ml-system-architect"]
    texts = [t for ts in workflow_texts(architect, skills).values() for t in ts]
    texts += [e.text for e in bank_examples()]
    return list(dict.fromkeys(texts))


def write_table(path: Path | None = None) -> int:
    """Encode the built-in texts and write the table; the number of texts written."""
    import numpy as np

    from mlarchitect.knowledge.embedders.minilm import MiniLMEncoder
    from mlarchitect.knowledge.embedders.static import StaticEmbedder

    texts = builtin_texts()
    vectors = MiniLMEncoder().embed_array(texts)
    static = StaticEmbedder()
    static_vectors = np.stack([v / (float(np.linalg.norm(v)) or 1.0) for v in static.embed_array(texts)])  # as routing.embed
    target = path or table_path()
    with target.open("wb") as f:
        np.savez_compressed(f, keys=np.array([text_key(t) for t in texts]), vectors=vectors.astype(np.float16),
                            static=static_vectors.astype(np.float32), static_name=np.array(static.name))
    _tables.cache_clear()
    return len(texts)


if __name__ == "__main__":
    print(f"{write_table()} texts written to {table_path()}")
