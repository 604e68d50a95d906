"""The exceptions rationalerm raises on purpose, under one root: ``except rationalerm.RationaleRMError``.

Hierarchy::

    RationaleRMError
     └── JudgeError               the judge server cannot serve this run
          ├── JudgeRefusedError   it answered, and refuses: a rejected API key (401/403), an unknown model (404)
          └── JudgeUnavailableError  it cannot be reached or keeps failing, and the caller asked to stop on that

A run that stops on a :class:`JudgeError` leaves its output whole and resumable: what was written stays written.
Messages name the endpoint without credentials and never hold the API key.

This module imports nothing beyond the standard library, so the CLI can catch these without loading a client.
"""

from __future__ import annotations

__all__ = ["JudgeError", "JudgeRefusedError", "JudgeUnavailableError", "RationaleRMError"]


class RationaleRMError(Exception):
    """The root of every exception rationalerm raises on purpose."""


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
