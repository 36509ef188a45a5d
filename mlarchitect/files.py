"""Writing files the user names: checks made before any work, and atomic replacement that
only ever replaces a regular file (never a FIFO, a device, a symbolic link or a directory)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from mlarchitect.errors import InputError


def _probe(folder: Path) -> None:
    """Create and remove a file in ``folder``: root ignores file modes, so only trying tells
    a read-only mount or a full disk."""
    fd, probe = tempfile.mkstemp(dir=folder, prefix=".write-test.", suffix=".tmp")
    os.close(fd)
    os.unlink(probe)


def ensure_writable_dir(path: Path, what: str) -> Path:
    """Create ``path`` if needed and prove a file can be created in it; :class:`InputError`
    (one line) otherwise."""
    path = Path(path).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        _probe(path)
    except OSError as exc:
        raise InputError(f"{what} is not writable: {path} ({exc.strerror or type(exc).__name__})") from None
    return path


def check_output_path(path: Path) -> Path:
    """``path`` as an output target: a new file in a writable folder, or an existing, writable
    regular file. Anything else is an :class:`InputError` (one line)."""
    target = Path(path).expanduser()
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise InputError(f"output path is not usable: {target} ({exc.strerror})") from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise InputError(f"output path is a symbolic link; not replacing it: {target}")
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"output path is a directory: {target}")
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"output path is not a regular file (FIFO, device or socket); not replacing it: {target}")
        if not st.st_mode & 0o222 or not os.access(target, os.W_OK):
            raise InputError(f"output file is read-only: {target}")
    parent = target.parent
    if not parent.is_dir():
        raise InputError(f"output directory does not exist: {parent}")
    try:
        _probe(parent)
    except OSError as exc:
        raise InputError(f"output directory is not writable: {parent} ({exc.strerror})") from None
    return target


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` (checked with :func:`check_output_path`) with ``text`` in one step,
    keeping an existing file's permissions (a new file gets the umask's)."""
    target = check_output_path(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
