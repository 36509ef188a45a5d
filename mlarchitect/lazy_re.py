"""Regular expressions compiled on first use.

The request reader holds a few hundred patterns, and a request runs only the ones its
clauses pass the cheap gates of (a clause without a digit never runs a money pattern; the
follow-up patterns run only on a follow-up). Compiling all of them when the module is imported
took about a tenth of a second of every design process.

A design still compiled about 90 of them (~45 ms of its intake). :func:`compiled_code_cache`
keeps what the regular-expression compiler made of them (the matcher's code) in a file, and a
later process builds the same patterns from it without parsing and compiling them again. The
file is per interpreter (its version and the matcher's ``MAGIC`` are in its name and checked
inside it); the code is checked by ``_sre`` when a pattern is made from it, and anything
unreadable, stale or rejected is compiled as usual.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# (pattern, flags) -> the arguments of ``_sre.compile`` after the pattern: its code, loaded from
# the cache file or made in this process
_CODE: dict[tuple[str, int], tuple[Any, ...]] = {}
_CODE_LOCK = threading.Lock()
_added = False  # patterns compiled since the cache file was read or written


class LazyPattern:
    """``re.compile(pattern, flags)``, done the first time a method is called."""

    __slots__ = ("pattern", "flags", "_compiled")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        compiled = self._compiled
        if compiled is None:  # two threads may both compile it: the same pattern either way
            compiled = self._compiled = _compile(self.pattern, int(self.flags))
        return compiled

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.compiled.findall(string, pos, endpos)

    def sub(self, repl: str | Callable[[re.Match[str]], str], string: str, count: int = 0) -> str:
        return self.compiled.sub(repl, string, count)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return self.compiled.split(string, maxsplit)

    def __getattr__(self, name: str) -> Any:  # groups, groupindex, subn ...
        return getattr(self.compiled, name)

    def __repr__(self) -> str:
        return f"LazyPattern({self.pattern!r}, {self.flags})"


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """A pattern that compiles itself on first use (typed as the compiled pattern it stands for)."""
    return LazyPattern(pattern, flags)  # type: ignore[return-value]


def _compile(pattern: str, flags: int) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from the code cache when it has the pattern."""
    global _added
    try:
        import _sre
        from re import _compiler, _parser  # type: ignore[attr-defined]

        entry = _CODE.get((pattern, flags))
        if entry is not None:
            try:
                return _sre.compile(pattern, *entry)  # type: ignore[no-any-return]
            except (TypeError, ValueError, RuntimeError):  # rejected by _sre's check: compile it
                pass
        # what re._compiler.compile does, keeping the code
        parsed = _parser.parse(pattern, flags)
        code = [int(op) for op in _compiler._code(parsed, flags)]  # plain ints (its opcodes are named)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        entry = (flags | parsed.state.flags, code, parsed.state.groups - 1, groupindex, tuple(indexgroup))
        compiled = _sre.compile(pattern, *entry)
    except Exception:  # noqa: BLE001 - another interpreter's internals: the ordinary way
        return re.compile(pattern, flags)
    with _CODE_LOCK:
        _CODE[(pattern, flags)] = entry
        _added = True
    return compiled  # type: ignore[no-any-return]


def _cache_version() -> str:
    import _sre

    return f"{sys.version}|{_sre.MAGIC}|{_sre.CODESIZE}"


def _cache_file(folder: Path) -> Path:
    import _sre

    return folder / f"regex-{sys.implementation.cache_tag}-{_sre.MAGIC}.marshal"


@contextmanager
def compiled_code_cache(folder: Path) -> Iterator[None]:
    """Patterns compiled inside the block start from the code cache in ``folder`` (read once per
    process); the code of patterns compiled anew is written back when the block ends."""
    global _added
    try:
        path = _cache_file(folder)
    except Exception:  # noqa: BLE001 - no _sre: nothing to cache
        yield
        return
    _read(path)
    try:
        yield
    finally:
        with _CODE_LOCK:
            pending, _added = _added, False
            entries = dict(_CODE)
        if pending:
            _write(path, entries)


_read_from: set[Path] = set()


def _read(path: Path) -> None:
    global _added
    import marshal

    if path in _read_from:
        return
    _read_from.add(path)
    try:
        data = marshal.loads(path.read_bytes())
        if not isinstance(data, dict) or data.get("version") != _cache_version():
            return
        entries = data["patterns"]
        if not isinstance(entries, dict):
            return
    except (OSError, ValueError, EOFError, TypeError, KeyError):
        return
    with _CODE_LOCK:
        _added = _added or any(key not in entries for key in _CODE)  # this process has more
        for key, entry in entries.items():
            _CODE.setdefault(key, entry)


def _write(path: Path, entries: dict[tuple[str, int], tuple[Any, ...]]) -> None:
    import marshal
    import os

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(marshal.dumps({"version": _cache_version(), "patterns": entries}))
        tmp.replace(path)
    except (OSError, ValueError):  # a read-only data directory: compiled again next time
        pass
