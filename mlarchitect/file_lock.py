"""An exclusive lock on a file between processes, held for a ``with`` block.

On POSIX it is ``fcntl.flock`` on the lock file, as ``filelock`` takes it there (the two
exclude each other), without importing ``filelock``: its import took ~15 ms of CPU of every
design, for the one lock the checkpoint database's opening takes. Elsewhere (Windows), or on a
file system without ``flock``, it is ``filelock.FileLock``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

POLL_S = 0.05


@contextmanager
def exclusive(path: Path, timeout: float) -> Iterator[None]:
    """Hold the lock on ``path`` (created if missing); :class:`TimeoutError` when another
    process holds it for more than ``timeout`` seconds."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        fcntl = None  # type: ignore[assignment]
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644) if fcntl is not None else -1
    try:
        if fd < 0 or not _flock(fd, path, timeout):
            from filelock import FileLock

            with FileLock(str(path), timeout=timeout):
                yield
            return
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        if fd >= 0:
            os.close(fd)


def _flock(fd: int, path: Path, timeout: float) -> bool:
    """Take the lock on ``fd``: True once held, False when the file system has no ``flock``."""
    import errno
    import fcntl

    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the lock {path} is still held by another process after {timeout:g} s") from None
            time.sleep(POLL_S)
        except OSError as exc:
            if exc.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                return False
            raise
