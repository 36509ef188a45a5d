"""One function run in a background thread, its result collected later.

For work that runs outside the GIL (SQLite's C code, file reads): started early in a
:class:`Background`, it overlaps the main thread's imports on another core. Work that holds
the GIL gains nothing this way, and it slows the main thread's imports (each file they stat or
read waits for the GIL to come back). The thread is a daemon: an interrupted design does not
wait for it at exit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Background(Generic[T]):
    """``function()`` running in a daemon thread from construction on."""

    def __init__(self, function: Callable[[], T], *, name: str) -> None:
        self._function = function
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._function()
        except BaseException as exc:  # noqa: BLE001 - re-raised by result(), in the caller's thread
            self._error = exc

    def result(self) -> T:
        """Wait for the function; its return value, or its exception raised here."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]
