"""The exceptions rationalerm raises on purpose, under one root: ``except rationalerm.RationaleRMError``.

Hierarchy::

    RationaleRMError
     ├── InputError               input that cannot be used: a missing file, an empty input, a bad row under
     │    │                       ``strict``, a JSON array where JSONL is expected (also a ``ValueError``)
     │    └── RecordError         one row that cannot become a record; ``field`` names the offending key
     ├── ConfigError              settings that cannot work together: an unknown prompt version, a calibration file
     │                            of another version, options that contradict (also a ``ValueError``)
     └── JudgeError               the judge server cannot serve this run
          ├── JudgeRefusedError   it answered, and refuses: a rejected API key (401/403), an unknown model (404)
          └── JudgeUnavailableError  it cannot be reached or keeps failing, and the caller asked to stop on that

``InputError``, ``RecordError`` and ``ConfigError`` are also ``ValueError`` s, the standard library's contract for a
bad value, so code written against ``except ValueError`` keeps working. Messages name the file, line and field where
there is one; they never hold an API key. A run that stops on any of these leaves its output whole and resumable.

This module imports nothing beyond the standard library, so the CLI can catch these without loading a client.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InputError",
    "JudgeError",
    "JudgeRefusedError",
    "JudgeUnavailableError",
    "RationaleRMError",
    "RecordError",
]


class RationaleRMError(Exception):
    """The root of every exception rationalerm raises on purpose."""


class InputError(RationaleRMError, ValueError):
    """Input that cannot be used at all (or, with ``strict``, the first bad row).

    ``problem`` is what was found: a :class:`rationalerm.io.RowProblem` (file, line, field, message) or a message.
    """

    def __init__(self, problem: object):
        super().__init__(str(problem))
        self.problem = problem


class RecordError(InputError):
    """A row that cannot become a record; ``field`` names the offending key."""

    def __init__(self, field: str, message: str):
        super().__init__(f"field {field!r}: {message}")
        self.field = field
        self.message = message


class ConfigError(RationaleRMError, ValueError):
    """Settings that cannot work: an unknown prompt or schema version, a file written for another version, options
    that contradict each other. The message says what was given and what is accepted."""


class JudgeError(RationaleRMError):
    """The judge server cannot serve this run. ``endpoint`` is its base URL without credentials."""

    def __init__(self, message: str, *, endpoint: str | None = None, status: int | None = None):
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status


class JudgeRefusedError(JudgeError):
    """The judge answered and refuses every request of this run: the API key was rejected (HTTP 401/403) or the
    model is not served there (HTTP 404). Retrying cannot help; the message says what to change."""


class JudgeUnavailableError(JudgeError):
    """The judge could not be reached, or kept failing, and the caller asked to stop rather than record failures."""
