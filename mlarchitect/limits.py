"""Size limits for every file the project reads from users (``kb add`` documents, skill
files, agent files): one constant and one reader, so the limits cannot drift apart."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_INPUT_FILE_BYTES = 5 * 1024 * 1024  # the limit of `design kb add`


class FileTooLarge(OSError):
    """``str(exc)`` is the one-line reason shown to the user."""


def too_large(size: int, limit: int) -> str:
    return f"too large: {size / 1e6:.1f} MB > limit {limit / 1e6:.1f} MB"


def read_limited(path: Path, limit: int = MAX_INPUT_FILE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    The size is checked before reading and the read itself stops at ``limit + 1`` bytes,
    so a file that grows meanwhile, a FIFO or a device can never make us read without end.
    Raises :class:`FileTooLarge` (an ``OSError``) or the ``OSError`` of opening the file.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FileTooLarge(f"not a regular file: {path}")
        if st.st_size > limit:
            raise FileTooLarge(too_large(st.st_size, limit))
        chunks, remaining = [], limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > limit:
        raise FileTooLarge(too_large(len(data), limit))
    return data
