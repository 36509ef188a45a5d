"""Tensors read from a safetensors file on demand (knowledge/embedders/tensor_file.py)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from mlarchitect.knowledge.embedders import tensor_file
from mlarchitect.knowledge.embedders.tensor_file import TensorFile, read_header

CODES = {np.dtype(np.float32): "F32", np.dtype(np.int8): "I8"}


def write(path: Path, tensors: dict[str, np.ndarray]) -> Path:
    """A safetensors file: 8-byte header size, JSON header, the tensors' bytes."""
    header: dict[str, object] = {"__metadata__": {"made": "by the test"}}
    data = b""
    for name, array in tensors.items():
        header[name] = {"dtype": CODES[array.dtype], "shape": list(array.shape),
                        "data_offsets": [len(data), len(data) + array.nbytes]}
        data += np.ascontiguousarray(array).tobytes()
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + data)
    return path


@pytest.fixture
def model(tmp_path: Path) -> tuple[TensorFile, dict[str, np.ndarray]]:
    rng = np.random.default_rng(7)
    tensors = {
        "table": rng.integers(-128, 128, size=(200, 6), dtype=np.int8),
        "scale": rng.random(200, dtype=np.float32),
        "matrix": rng.integers(-128, 128, size=(4, 3), dtype=np.int8),
    }
    return TensorFile(write(tmp_path / "model.safetensors", tensors)), tensors


def test_header_names_every_tensor_but_the_metadata(model) -> None:  # noqa: ANN001
    tensors, arrays = model
    assert set(read_header(tensors.path)) == set(arrays)
    assert tensors.info("table").shape == (200, 6) and tensors.info("table").row_bytes == 6


def test_read_whole_tensors_and_into_a_buffer(model) -> None:  # noqa: ANN001
    tensors, arrays = model
    buffer = np.zeros(20, dtype=np.int8)
    with tensors.reader() as reader:
        assert np.array_equal(reader.read("scale"), arrays["scale"])
        into = reader.read("matrix", out=buffer)
        assert np.array_equal(into, arrays["matrix"]) and np.shares_memory(into, buffer)
        assert np.array_equal(reader.head("table", 5), arrays["table"][:5])
        with pytest.raises(ValueError):
            reader.read("table", out=buffer)  # 1200 bytes do not fit in 20


def test_rows_are_the_tables_rows_in_any_shape_with_repeats(model) -> None:  # noqa: ANN001
    tensors, arrays = model
    ids = np.array([[3, 199, 3], [0, 7, 7]])
    with tensors.reader() as reader:
        assert np.array_equal(reader.rows("table", ids), arrays["table"][ids])
        assert np.array_equal(reader.rows("scale", [5, 1, 5]), arrays["scale"][[5, 1, 5]])
        assert reader.rows("table", np.zeros(0, dtype=np.int64)).shape == (0, 6)
        with pytest.raises(IndexError):
            reader.rows("table", [200])


def test_many_rows_are_read_as_one_table_alike(model, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    tensors, arrays = model
    ids = np.arange(0, 200, 3)
    with tensors.reader() as reader:
        one_by_one = reader.rows("table", ids)
        monkeypatch.setattr(tensor_file, "WHOLE_TABLE_SHARE", 10**6)  # any share: the whole table
        whole = reader.rows("table", ids)
    assert np.array_equal(one_by_one, arrays["table"][ids]) and np.array_equal(whole, one_by_one)


def test_a_truncated_file_is_an_error_not_garbage(model) -> None:  # noqa: ANN001
    tensors, _ = model
    tensors.path.write_bytes(tensors.path.read_bytes()[:-100])
    with tensors.reader() as reader, pytest.raises(OSError):
        reader.read("matrix")
