"""The contextual encoder (all-MiniLM-L6-v2 in numpy) and its part in routing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from mlarchitect.agents import context_vectors, routing
from mlarchitect.agents.agent_files import load_catalog
from mlarchitect.agents.context_vectors import builtin_texts, context_embed, shipped_table, text_key
from mlarchitect.knowledge.embedders.minilm import EncoderUnavailable, MiniLMEncoder
from mlarchitect.skills.registry import load_skill_catalog

REFERENCE = Path(__file__).parent / "data" / "minilm_reference.json"


@pytest.fixture(scope="module")
def catalogs():
    agents = load_catalog()
    return agents.agents["ml-system-architect"], load_skill_catalog()


def test_encoder_matches_the_original_model() -> None:
    """Vectors of the original fp32 model in sentence-transformers on torch (tests/data/minilm_reference.json), one of them
    longer than the model's 256 tokens (truncated alike)."""
    reference = json.loads(REFERENCE.read_text())
    ours = MiniLMEncoder().embed_array(reference["texts"])
    expected = np.asarray(reference["vectors"], dtype=np.float32)
    assert ours.shape == expected.shape == (len(reference["texts"]), 384)
    cosines = (ours * expected).sum(axis=1) / np.linalg.norm(expected, axis=1)
    assert cosines.min() > 0.999, cosines  # int8 weights
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)


def test_batches_give_the_same_vectors_as_single_texts() -> None:
    texts = ["short one", "a much longer sentence about serving a ranking model at 2k requests per second", "x"]
    together = MiniLMEncoder().embed_array(texts)
    alone = np.stack([MiniLMEncoder().embed_array([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_shipped_table_covers_every_builtin_text() -> None:
    """Fails after an edit of the bank or the definitions until the table is regenerated
    (python -m mlarchitect.agents.context_vectors)."""
    table = shipped_table()
    missing = [t for t in builtin_texts() if text_key(t) not in table]
    assert not missing, f"{len(missing)} texts not in routing_vectors.npz, e.g. {missing[:3]}"


def test_shipped_vectors_are_the_encoders() -> None:
    texts = builtin_texts()
    sample = [texts[0], texts[len(texts) // 2], texts[-1]]
    fresh = MiniLMEncoder().embed_array(sample)
    shipped = np.stack([shipped_table()[text_key(t)] for t in sample])
    assert ((fresh * shipped).sum(axis=1) > 0.999).all()


def test_a_new_text_is_encoded_once(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "an unseen sentence about feature backfills for a churn model"
    first = context_embed([text])
    assert first is not None and first.shape == (1, 384)
    assert abs(float(np.linalg.norm(first[0])) - 1.0) < 1e-5

    class Refuses:
        def embed_array(self, texts):  # noqa: ANN001, ANN202
            raise AssertionError(f"encoded again: {texts}")

    monkeypatch.setitem(context_vectors._state, "encoder", Refuses())
    again = context_embed([text, builtin_texts()[0]])  # kept for the process; built-in: from the table
    assert again is not None and np.allclose(again[0], first[0])


def test_routing_mixes_in_the_encoder(catalogs, monkeypatch: pytest.MonkeyPatch) -> None:
    architect, skills = catalogs
    request = "we can't tell which of last quarter's training runs produced the model in production"
    scorer = routing._scorer(architect, skills)
    assert scorer.context is not None
    static, _ = scorer.scores(request)
    mixed, _ = scorer.scores(request, context=True)
    assert abs(sum(mixed.values()) - 1.0) < 1e-9
    assert any(abs(static[k] - mixed[k]) > 1e-3 for k in static)
    monkeypatch.setattr(routing, "W_CONTEXT", 0.0)
    monkeypatch.setattr(routing, "W_LEARNED", 0.0)  # the learned workflow model reads the encoder's vectors too
    assert scorer.scores(request, context=True)[0] == pytest.approx(static)


def test_without_the_model_files_routing_uses_the_static_embedder(catalogs, monkeypatch: pytest.MonkeyPatch) -> None:
    architect, skills = catalogs
    monkeypatch.setattr(context_vectors, "_state", {"encoder": None, "failed": False})

    def missing() -> Path:
        raise EncoderUnavailable("no model.safetensors")

    monkeypatch.setattr("mlarchitect.knowledge.embedders.minilm.model_dir", missing)
    monkeypatch.setattr(routing, "_scorers", {})
    assert context_embed(["anything"]) is None
    route = routing.route_request("serve our xgboost fraud model behind an API at 300 rps", architect, skills)
    assert route.workflow == "model_serving"
    assert routing._scorer(architect, skills).context is None


def test_shipped_static_vectors_are_the_static_embedders() -> None:
    from mlarchitect.agents.context_vectors import shipped_static
    from mlarchitect.knowledge.embedders.static import StaticEmbedder

    static = StaticEmbedder()
    texts = builtin_texts()
    sample = [texts[1], texts[len(texts) // 3], texts[-2]]
    shipped = shipped_static(sample, static.name)
    assert list(shipped) == sample
    fresh = static.embed_array(sample)
    fresh = fresh / np.linalg.norm(fresh, axis=1, keepdims=True)
    assert np.allclose(np.stack([shipped[t] for t in sample]), fresh, atol=1e-6)
    assert shipped_static(sample, "another-embedder") == {}  # made by another model: not used


def test_the_shipped_id_map_is_current_and_a_stale_one_is_rebuilt(tmp_path: Path) -> None:
    import shutil

    from mlarchitect.knowledge.embedders.minilm import ID_MAP, MODEL_DIR, build_id_map, id_map
    from mlarchitect.knowledge.embedders.static import StaticEmbedder

    static = StaticEmbedder()
    built = build_id_map(MODEL_DIR, static.model.tokenizer)
    shipped = id_map(MODEL_DIR, static.model_dir, static.model.tokenizer)
    assert np.array_equal(shipped[0], built[0]) and shipped[1:] == built[1:] == (101, 102)
    folder = tmp_path / "model"
    folder.mkdir()
    shutil.copy(MODEL_DIR / "vocab.txt", folder)
    shutil.copy(MODEL_DIR / ID_MAP, folder)
    other_static = tmp_path / "static"
    other_static.mkdir()
    (other_static / "tokenizer.json").write_text("{}")  # another tokenizer: the shipped map is not used
    rebuilt = id_map(folder, other_static, static.model.tokenizer)
    assert np.array_equal(rebuilt[0], built[0])


def test_a_damaged_table_means_encoding_not_a_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = tmp_path / "routing_vectors.npz"
    damaged.write_bytes(b"not a zip file")
    monkeypatch.setattr(context_vectors, "table_path", lambda: damaged)
    context_vectors._tables.cache_clear()
    try:
        assert shipped_table() == {}
        vectors = context_embed(["a request about serving", builtin_texts()[0]])
        assert vectors is not None and vectors.shape == (2, 384)
    finally:
        context_vectors._tables.cache_clear()


def _mapped(path: Path) -> bool:
    """Whether this process maps ``path`` (Linux: /proc/self/maps)."""
    return str(path.resolve()) in Path("/proc/self/maps").read_text()


def test_the_encoder_holds_no_weights_between_calls() -> None:
    """Each call reads the int8 matrices into buffers of its own: afterwards the model keeps only
    its biases, norms, scales and id map (under 1 MB), and maps no model file."""
    from mlarchitect.knowledge.embedders.minilm import MODEL_DIR

    encoder = MiniLMEncoder()
    text = "serve a ranking model at 2k requests per second with p99 under 50 ms"
    first = encoder.embed_array([text])
    model = encoder.model
    arrays = [v for v in vars(model).values() if isinstance(v, np.ndarray)]
    arrays += [v for v in model.kept.values()]
    assert sum(a.nbytes for a in arrays) < 1_000_000
    assert not [v for v in vars(model).values() if isinstance(v, np.memmap)]
    if Path("/proc/self/maps").exists():
        assert not _mapped(MODEL_DIR / "model.safetensors")
    assert np.array_equal(encoder.embed_array([text]), first)


def test_the_encoder_computes_in_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every product takes float32 activations (a float64 one would cast the widened matrix to a
    float64 copy, 4.7 MB for the feed-forward layers)."""
    from mlarchitect.knowledge.embedders import minilm

    seen: set[str] = set()
    linear = minilm._Model._linear

    def recording(self, x, name, call):  # noqa: ANN001, ANN202
        seen.add(str(x.dtype))
        return linear(self, x, name, call)

    monkeypatch.setattr(minilm._Model, "_linear", recording)
    vectors = MiniLMEncoder().embed_array(["a retrieval system over 30,000 support tickets", "x"])
    assert seen == {"float32"} and vectors.dtype == np.float32


def test_after_routing_no_model_file_stays_mapped_and_a_second_route_is_the_same(catalogs) -> None:
    from mlarchitect.knowledge.embedders.minilm import MODEL_DIR
    from mlarchitect.knowledge.embedders.static import MODEL_DIR as STATIC_DIR

    architect, skills = catalogs
    request = "we can't tell which of last quarter's training runs produced the model in production, and it drifts"
    first = routing.route_request(request, architect, skills)
    if Path("/proc/self/maps").exists():
        assert not _mapped(MODEL_DIR / "model.safetensors")
        assert not _mapped(STATIC_DIR / "model.safetensors")
    context_vectors._encoded.clear()  # encoded afresh, not taken from the process's cache
    assert routing.route_request(request, architect, skills) == first


def test_the_table_is_held_as_shipped_and_read_as_float32() -> None:
    """The contextual vectors stay one float16 matrix (no float32 copy, no array per row);
    a row reads as the float32 of its shipped value."""
    table = shipped_table()
    key = text_key(builtin_texts()[0])
    with np.load(context_vectors.table_path()) as data:
        shipped = data["vectors"][data["keys"].tolist().index(key)]
    assert table[key].dtype == np.float32 and np.array_equal(table[key], shipped.astype(np.float32))
    assert [m.dtype for m in vars(table).values() if isinstance(m, np.ndarray)] == [np.float16]


def test_a_table_whose_keys_and_vectors_disagree_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with np.load(context_vectors.table_path()) as data:
        parts = {name: data[name] for name in data.files}
    parts["keys"] = parts["keys"][:-1]
    short = tmp_path / "routing_vectors.npz"
    np.savez(short, **parts)
    monkeypatch.setattr(context_vectors, "table_path", lambda: short)
    context_vectors._tables.cache_clear()
    try:
        assert shipped_table() == {} and context_vectors.shipped_static(builtin_texts()[:1], "any") == {}
    finally:
        context_vectors._tables.cache_clear()
