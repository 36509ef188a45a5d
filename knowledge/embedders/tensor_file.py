"""Tensors of a safetensors file, read on demand: never mapped, never read whole unless asked.

The embedders need a few rows of a token table per text, and the contextual encoder one
matrix at a time. A memory map puts every page it touches in the process's resident memory
(and the kernel maps up to 64 KB around each page a row lies in), so after one request a
mapped model was mostly resident. Read with ``readinto``, the file stays in the page cache,
shared and reclaimable, and the process holds only what it read, in a buffer of its choosing.
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

DTYPES = {"F32": "float32", "F16": "float16", "I8": "int8", "I32": "int32", "I64": "int64"}
WHOLE_TABLE_SHARE = 16  # more than 1/16 of a table's rows wanted: one read of the whole table


@dataclass(frozen=True)
class TensorInfo:
    """Where a tensor lies in the file and what it holds."""

    dtype: str
    shape: tuple[int, ...]
    offset: int  # from the start of the file
    nbytes: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def row_bytes(self) -> int:
        return self.nbytes // self.shape[0] if self.shape and self.shape[0] else 0


def read_header(path: Path) -> dict[str, TensorInfo]:
    """Every tensor of a safetensors file (of the dtypes above) by name."""
    with path.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    start = 8 + size
    out = {}
    for name, info in header.items():
        if name == "__metadata__" or info["dtype"] not in DTYPES:
            continue
        begin, end = info["data_offsets"]
        out[name] = TensorInfo(DTYPES[info["dtype"]], tuple(info["shape"]), start + begin, end - begin)
    return out


class TensorFile:
    """A safetensors file whose tensors are read when needed (:meth:`reader`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tensors = read_header(path)

    def info(self, name: str) -> TensorInfo:
        return self.tensors[name]

    @contextmanager
    def reader(self) -> Iterator[TensorReader]:
        """The file open for reading; closed (nothing of it kept) on leaving."""
        with self.path.open("rb", buffering=0) as f:
            yield TensorReader(self, f)


class TensorReader:
    """Reads tensors of one open :class:`TensorFile`."""

    def __init__(self, tensors: TensorFile, file: IO[bytes]) -> None:
        self._tensors = tensors
        self._file = file

    def _fill(self, target: Any, offset: int) -> None:
        view = memoryview(target).cast("B")
        self._file.seek(offset)
        done = 0
        while done < len(view):
            got = self._file.readinto(view[done:])
            if not got:
                raise OSError(f"{self._tensors.path} ends before byte {offset + len(view)}")
            done += got

    def read(self, name: str, out: Any | None = None) -> Any:
        """The whole tensor: a new array, or a view of the start of ``out`` (a flat array of
        the tensor's dtype and at least its size) filled with it."""
        import numpy as np

        info = self._tensors.info(name)
        if out is None:
            target = np.empty(info.size, dtype=info.dtype)
        else:
            if out.dtype != np.dtype(info.dtype) or out.size < info.size:
                raise ValueError(f"buffer of {out.size} {out.dtype} cannot hold {name} ({info.size} {info.dtype})")
            target = out.reshape(-1)[:info.size]
        self._fill(target, info.offset)
        return target.reshape(info.shape)

    def head(self, name: str, count: int) -> Any:
        """The first ``count`` rows of a tensor."""
        import numpy as np

        info = self._tensors.info(name)
        count = min(count, info.shape[0])
        target = np.empty((count, *info.shape[1:]), dtype=info.dtype)
        self._fill(target, info.offset)
        return target

    def rows(self, name: str, ids: Any) -> Any:
        """``tensor[ids]`` for an integer array ``ids`` of any shape: only the rows wanted are
        read (the whole tensor once, when many of its rows are)."""
        import numpy as np

        info = self._tensors.info(name)
        ids = np.asarray(ids, dtype=np.int64)
        unique = sorted(set(ids.ravel().tolist()))  # not np.unique: it imports numpy.ma (1 MB, 14 ms)
        if unique and (unique[0] < 0 or unique[-1] >= info.shape[0]):
            raise IndexError(f"row ids outside 0..{info.shape[0] - 1} of {name}")
        if len(unique) * WHOLE_TABLE_SHARE > info.shape[0]:
            return self.read(name)[ids]
        table = np.empty((len(unique), *info.shape[1:]), dtype=info.dtype)
        for i, row in enumerate(unique):
            self._fill(table[i:i + 1], info.offset + row * info.row_bytes)
        return table[np.searchsorted(np.asarray(unique, dtype=np.int64), ids)]

