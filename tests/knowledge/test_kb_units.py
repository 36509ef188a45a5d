"""Pure units: reciprocal rank fusion, chunking, filters, stemming, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from mlarchitect.knowledge.chunking import chunk_markdown, chunker_version
from mlarchitect.knowledge.filters import Filters
from mlarchitect.knowledge.fusion import reciprocal_rank_fusion
from mlarchitect.knowledge.lexical import stem


# ---------------------------------------------------------------- fusion
def test_rrf_sums_reciprocal_ranks_with_k60() -> None:
    fused = dict(reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]]))
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 62)
    assert fused["d"] == pytest.approx(1 / 63)


def test_rrf_order_rewards_agreement_between_lists() -> None:
    order = [key for key, _ in reciprocal_rank_fusion([["a", "b", "c"], ["b", "c", "d"]])]
    assert order == ["b", "c", "a", "d"]


def test_rrf_ties_keep_first_seen_order_and_duplicates_count_once() -> None:
    order = [key for key, _ in reciprocal_rank_fusion([["x", "y"], ["y", "x"]])]
    assert order == ["x", "y"]  # equal scores: first seen wins
    fused = dict(reciprocal_rank_fusion([["a", "a", "b"]]))
    assert fused["a"] == pytest.approx(1 / 61)
    assert fused["b"] == pytest.approx(1 / 63)


def test_rrf_k_and_weights() -> None:
    fused = dict(reciprocal_rank_fusion([["a"], ["b"]], k=1, weights=[1.0, 3.0]))
    assert fused == {"a": pytest.approx(0.5), "b": pytest.approx(1.5)}
    assert reciprocal_rank_fusion([[], []]) == []


# ---------------------------------------------------------------- chunking
DOC = (
    """# Guide

Intro paragraph about the guide.

## Section A

"""
    + "\n\n".join(f"Sentence number {i} of section A is here to fill space." for i in range(40))
    + """

## Section B

Short section B text.

```python
# a comment that looks like a heading
x = 1
```
"""
)


def test_chunks_follow_headings_carry_title_and_section_and_respect_size() -> None:
    chunks = chunk_markdown("Guide", DOC, max_chars=400, overlap=80, min_chars=100)
    assert len(chunks) > 3
    for chunk in chunks:
        header = chunk.text.split("\n\n", 1)[0]
        assert header.startswith("Guide")
        if chunk.section:
            assert header == f"Guide — {chunk.section}"
        body = chunk.text.split("\n\n", 1)[1]
        assert len(body) <= 400 + 4
    sections = [c.section for c in chunks]
    assert "Section A" in sections and "Section B" in sections
    # A heading inside a code fence is not a heading, and the fence stays whole.
    assert not any(c.section and "a comment" in c.section for c in chunks)
    fenced = [c for c in chunks if "```python" in c.text]
    assert fenced and "x = 1" in fenced[0].text


def test_consecutive_chunks_of_a_section_overlap() -> None:
    chunks = [
        c for c in chunk_markdown("Guide", DOC, max_chars=400, overlap=80, min_chars=100) if c.section == "Section A"
    ]
    assert len(chunks) >= 2
    for prev, nxt in zip(chunks, chunks[1:]):
        first_sentence = nxt.text.split("\n\n", 1)[1].split(".")[0] + "."
        # The next chunk starts with the last sentence of the previous one (unique sentences here).
        assert prev.text.rstrip().endswith(first_sentence)


def test_overlap_does_not_cross_sections() -> None:
    chunks = chunk_markdown("Guide", DOC, max_chars=400, overlap=80, min_chars=100)
    section_b = [c for c in chunks if c.section == "Section B"]
    assert section_b and "section A" not in section_b[0].text


def test_small_sections_share_a_chunk_and_empty_text_gives_nothing() -> None:
    text = "## One\n\nAlpha.\n\n## Two\n\nBeta.\n\n## Three\n\nGamma."
    chunks = chunk_markdown("T", text, max_chars=1000, overlap=100, min_chars=300)
    assert len(chunks) == 1 and "## Two" in chunks[0].text and chunks[0].section == "One"
    assert chunk_markdown("T", "   \n") == []


def test_a_paragraph_longer_than_a_chunk_is_split() -> None:
    text = " ".join(["word"] * 2000)  # no sentence boundary at all
    chunks = chunk_markdown("T", text, max_chars=500, overlap=50, min_chars=100)
    assert len(chunks) > 5
    assert all(len(c.text) < 500 + 60 for c in chunks)


def test_chunker_version_reflects_parameters() -> None:
    assert chunker_version(1000, 100, 300) != chunker_version(1200, 100, 300)


# ---------------------------------------------------------------- filters and stemming
def test_filters_where_and_python_predicate_agree() -> None:
    meta = {
        "kind": "pattern",
        "workflows": ["rag_system"],
        "skills": ["rag-design"],
        "tags": ["bm25", "x"],
        "source": "patterns/a.md",
    }
    assert Filters(workflow="rag_system", skill="rag-design", tags=("nope", "bm25")).matches(meta)
    assert not Filters(workflow="model_serving").matches(meta)
    assert not Filters(tags=("nope",)).matches(meta)
    assert Filters(source="patterns").matches(meta) and not Filters(source="user").matches(meta)
    assert not Filters(include_user_docs=False).matches({**meta, "kind": "user"})
    where = Filters(workflow="rag_system", tags=("a", "b"), source="patterns/a.md").where()
    assert where == {
        "$and": [
            {"workflows": {"$contains": "rag_system"}},
            {"$or": [{"tags": {"$contains": "a"}}, {"tags": {"$contains": "b"}}]},
            {"source": "patterns/a.md"},
        ]
    }
    assert Filters().where() is None
    assert Filters(source="user").kinds == ("user",)


def test_stemmer_conflates_inflections() -> None:
    assert stem("chunks") == stem("chunk") == stem("chunking")
    assert stem("caches") == stem("cache")
    assert stem("retrieved") == stem("retrieve")
    assert stem("latencies") == stem("latency")


# ---------------------------------------------------------------- lazy imports
def test_importing_the_package_and_cli_stays_light(helpers) -> None:
    code = (
        "import sys, json\n"
        "import mlarchitect.knowledge as k\n"
        "from mlarchitect.knowledge.cli import kb\n"
        "from mlarchitect.knowledge import KnowledgeBase, Hit\n"
        "heavy = ['chromadb', 'bm25s', 'numpy', 'model2vec', 'pypdf', 'bs4', 'langchain_openai']\n"
        "heavy = [m for m in heavy if m in sys.modules]\n"
        "print(json.dumps(heavy))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=helpers.child_env(), check=True
    )
    assert json.loads(out.stdout) == []


# ---------------------------------------------------------------- embedders
class FakeOpenAIClient:
    """Stands in for langchain_openai.OpenAIEmbeddings: a deterministic bag-of-words hash."""

    def __init__(self) -> None:
        self.calls = 0

    def embed_documents(self, texts):
        import hashlib
        import re

        self.calls += 1
        out = []
        for text in texts:
            vec = [0.0] * 256
            for word in re.findall(r"\w+", text.lower()):
                vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % 256] += 1.0
            out.append(vec)
        return out


def test_get_embedder_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlarchitect.knowledge.embedders import Embedder, OpenAIEmbedder, StaticEmbedder, get_embedder

    monkeypatch.delenv("MLARCHITECT_EMBEDDER", raising=False)
    assert isinstance(get_embedder(), StaticEmbedder)
    openai = get_embedder("openai:text-embedding-3-large")
    assert isinstance(openai, OpenAIEmbedder) and openai.name == "openai:text-embedding-3-large"
    assert isinstance(openai, Embedder)
    monkeypatch.setenv("MLARCHITECT_EMBEDDER", "openai")
    assert get_embedder().name == "openai:text-embedding-3-small"
    with pytest.raises(ValueError):
        get_embedder("nope")


def test_static_embedder_is_local_normalised_and_named(embedder) -> None:
    vectors = embedder.embed(["hybrid search", "canary release"])
    assert len(vectors) == 2 and len(vectors[0]) == 384
    assert abs(sum(x * x for x in vectors[0]) - 1.0) < 1e-3
    assert embedder.name == "model2vec:minilm-static-384d"
    assert embedder.embed([]) == []


def test_a_kb_runs_on_a_swapped_embedder(tmp_path, helpers) -> None:
    from mlarchitect.knowledge import KnowledgeBase
    from mlarchitect.knowledge.embedders import OpenAIEmbedder

    client = FakeOpenAIClient()
    kb = KnowledgeBase(
        tmp_path / "kb", embedder=OpenAIEmbedder(client=client), patterns_dir=helpers.write_patterns(tmp_path / "p")
    )
    assert kb.search("canary share of traffic", k=1, mode="dense")[0].doc_id == "canary-release"
    assert kb.stats().embedder == "openai:text-embedding-3-small" and client.calls >= 2
    kb.close()


def test_the_bundled_embedder_reads_the_model_as_model2vec_does() -> None:
    """The embedder reads the shipped model without model2vec (whose import pulls in
    huggingface_hub); its vectors must equal model2vec's, or existing indexes would drift."""
    import numpy as np
    import pytest

    model2vec = pytest.importorskip("model2vec")
    from mlarchitect.knowledge.embedders.static import MODEL_DIR, _StaticModel

    texts = ["hybrid search with BM25 and dense vectors", "", "[UNK] zzz", "x" * 10_000,
             "Ärzte übersetzen Verträge; 30,000 pages", "rerank the top 20 with a cross-encoder " * 200]
    ours = _StaticModel(MODEL_DIR).encode(texts)
    reference = model2vec.StaticModel.from_pretrained(MODEL_DIR, force_download=False).encode(
        texts, show_progress_bar=False, use_multiprocessing=False)
    assert np.abs(ours - reference).max() < 1e-6


def test_the_bundled_embedder_reads_only_the_rows_its_texts_use() -> None:
    """The token table (11 MB) is not held in memory: each call reads its tokens' rows, and the
    vectors equal those of the whole table as safetensors reads it, text by text and in a batch
    (one with most of the vocabulary reads the table whole, alike)."""
    import numpy as np
    from safetensors.numpy import load_file

    from mlarchitect.knowledge.embedders.static import MODEL_DIR, TABLE, _StaticModel

    model = _StaticModel(MODEL_DIR)
    assert not [name for name, value in vars(model).items() if isinstance(value, np.ndarray)]
    table = load_file(str(MODEL_DIR / "model.safetensors"))[TABLE]
    words = sorted(model.words)
    texts = ["hybrid search with BM25 and dense vectors", "", "[UNK] zzz", "canary release of a ranking model",
             *(" ".join(words[i:i + 300]) for i in range(0, 3000, 300))]
    cut = [t[:model.max_length * model.median_token_length] for t in texts]  # as encode cuts long texts
    expected = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    for i, encoding in enumerate(model.tokenizer.encode_batch_fast(cut, add_special_tokens=False)):
        ids = [t for t in encoding.ids if t != model.unk_token_id]
        if ids:
            expected[i] = table[np.asarray(ids)].mean(axis=0)
    if model.normalize:
        expected = expected / (np.linalg.norm(expected, axis=1, keepdims=True) + 1e-32)
    assert np.array_equal(model.encode(texts), expected)
    assert np.array_equal(np.stack([model.encode([t])[0] for t in texts]), expected)


def test_the_shipped_vocabulary_stats_are_those_of_the_shipped_tokenizer() -> None:
    """``vocab_stats.json`` (read instead of building the vocabulary's dict) must be current:
    run ``write_vocab_stats(MODEL_DIR)`` again when ``tokenizer.json`` changes."""
    from tokenizers import Tokenizer

    from mlarchitect.knowledge.embedders.static import MODEL_DIR, read_vocab_stats, vocab_stats

    computed = vocab_stats(Tokenizer.from_file(str(MODEL_DIR / "tokenizer.json")))
    assert read_vocab_stats(MODEL_DIR) == computed
    assert computed["median_token_length"] > 0 and "retrieval" in computed["words"]


def test_stale_or_missing_vocabulary_stats_are_computed_again(tmp_path) -> None:
    import shutil

    from mlarchitect.knowledge.embedders.static import MODEL_DIR, VOCAB_STATS, _StaticModel, read_vocab_stats

    shipped = _StaticModel(MODEL_DIR)
    folder = tmp_path / "model"
    shutil.copytree(MODEL_DIR, folder)
    stats = json.loads((folder / VOCAB_STATS).read_text())
    stats["words"] = ["stale"]
    (folder / VOCAB_STATS).write_text(json.dumps(stats))
    assert read_vocab_stats(folder) == {"median_token_length": stats["median_token_length"], "words": ["stale"]}
    tokenizer = json.loads((folder / "tokenizer.json").read_text())
    (folder / "tokenizer.json").write_text(json.dumps(tokenizer, indent=1))  # another file: the stats are stale
    assert read_vocab_stats(folder) is None
    model = _StaticModel(folder)
    assert model.words == shipped.words and model.median_token_length == shipped.median_token_length
    (folder / VOCAB_STATS).unlink()
    assert read_vocab_stats(folder) is None and _StaticModel(folder).words == shipped.words


def test_a_design_imports_no_hub_client() -> None:
    import subprocess
    import sys

    code = ("import sys; from mlarchitect.knowledge.embedders.static import StaticEmbedder; "
            "StaticEmbedder().embed(['warm']); print('huggingface_hub' in sys.modules, 'model2vec' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_embedding_imports_neither_numpy_ma_nor_safetensors() -> None:
    """Both embedders read their tensors with tensor_file.py; np.unique would import numpy.ma
    (~1 MB and ~14 ms a process) for nothing."""
    import subprocess
    import sys

    code = ("import sys; from mlarchitect.knowledge.embedders.static import StaticEmbedder; "
            "from mlarchitect.knowledge.embedders.minilm import MiniLMEncoder; "
            "StaticEmbedder().embed(['warm', 'a retrieval system']); MiniLMEncoder().embed_array(['warm']); "
            "print('numpy.ma' in sys.modules, 'safetensors' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
