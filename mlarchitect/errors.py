"""Errors that reach the user as one line and a documented exit code.

Exit codes: 0 success; 1 the design could not be produced (model/API failure);
2 bad input (request, files, options); 3 the design log / response cache database
(``<data_dir>/designs.sqlite``) cannot be read; 130 interrupted.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_STORE = 3
EXIT_INTERRUPTED = 130


class MLArchitectError(Exception):
    """Base class: a problem the user can act on; shown without a traceback."""

    exit_code = EXIT_FAILURE


class InputError(MLArchitectError):
    """The request or an input file/option is unusable."""

    exit_code = EXIT_USAGE


class ConfigError(InputError):
    """A setting (config file, environment variable or argument) is unusable."""


class DefinitionError(InputError):
    """An agent or skill file does not parse; carries the file and line."""

    def __init__(self, path: str, line: int | None, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")


class ModelError(MLArchitectError):
    """The chat model failed and no fallback was allowed or possible."""


class StoreError(MLArchitectError):
    """The design log / response cache database cannot be opened or read (never deleted)."""

    exit_code = EXIT_STORE
