"""What a judge call returns and the words it uses: :class:`Completion`, :class:`Usage`, :class:`JsonSchema`, the
pool's :class:`PoolEvent` / :class:`PoolStats`, :class:`TransportError`, and the stable failure reason codes.

Plain dataclasses and constants only (no I/O): the pool (:mod:`.pool`) and the answer cache (:mod:`.cache`) both
build on them, and neither imports the other's module for them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

CompletionStatus = Literal["ok", "invalid", "error"]
Message = Mapping[str, Any]
Validator = Callable[[str], Any]
"""Turns an answer's text into a value, or returns a :class:`~rationalerm.parse.ParseFailure` to ask again."""

# Stable reason codes for failures (``Completion.reason`` when ``status == "error"``).
RATE_LIMITED = "rate_limited"
SERVER_ERROR = "server_error"
TIMEOUT = "timeout"
CONNECTION_ERROR = "connection_error"
BAD_RESPONSE = "bad_response"
EMPTY_ANSWER = "empty_answer"
CONTEXT_LENGTH = "context_length"
PROMPT_TOO_LARGE = "prompt_too_large"


@dataclass(slots=True)
class Usage:
    """Tokens billed by the server. ``cached_prompt_tokens`` is the part of the prompt the server served from its
    prefix cache (reported by vLLM, SGLang and OpenAI as ``prompt_tokens_details.cached_tokens``)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached_prompt_tokens += other.cached_prompt_tokens

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_prompt_tokens": self.cached_prompt_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass(slots=True)
class Completion:
    """The outcome of :meth:`JudgePool.complete`.

    ``status`` is ``ok`` (``value`` holds the validated answer), ``invalid`` (every answer failed validation;
    ``reason`` is the last :class:`ParseFailure` reason) or ``error`` (the server could not be reached or kept
    failing; ``reason`` is a transport code such as ``rate_limited`` or ``http_400``). ``attempts`` counts HTTP
    requests sent, ``answers`` the answers received and validated; ``usage`` the tokens this call was billed
    (zero for a cache hit).
    """

    status: CompletionStatus
    text: str | None = None
    value: Any = None
    reason: str | None = None
    detail: str | None = None
    attempts: int = 0
    answers: int = 0
    usage: Usage = field(default_factory=Usage)
    cached: bool = False
    endpoint: str | None = None
    finish_reason: str | None = None
    latency_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True, slots=True)
class JsonSchema:
    """A structured-output schema, sent as ``response_format={"type": "json_schema", ...}``."""

    name: str
    schema: Mapping[str, Any]
    strict: bool = True

    def response_format(self) -> dict[str, Any]:
        return {
            "type": "json_schema",
            "json_schema": {"name": self.name, "schema": dict(self.schema), "strict": self.strict},
        }


@dataclass(frozen=True, slots=True)
class PoolEvent:
    """What the pool reports to ``on_event``: ``kind`` is ``retry`` (a transport retry is scheduled after
    ``delay`` seconds), ``format_retry`` (an answer failed validation and is asked again), ``cache_hit`` or
    ``failed`` (a call ends without a valid answer)."""

    kind: Literal["retry", "format_retry", "cache_hit", "failed"]
    reason: str | None = None
    endpoint: str | None = None
    delay: float = 0.0
    attempt: int = 0


@dataclass(slots=True)
class PoolStats:
    """Running totals of a pool, for progress displays and summaries."""

    requests: int = 0
    answers: int = 0
    retries: Counter[str] = field(default_factory=Counter)
    format_retries: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    cache_hits: int = 0
    in_flight: int = 0
    usage: Usage = field(default_factory=Usage)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "answers": self.answers,
            "retries": dict(self.retries),
            "format_retries": self.format_retries,
            "failures": dict(self.failures),
            "cache_hits": self.cache_hits,
            "usage": self.usage.as_dict(),
        }


class TransportError(Exception):
    """A request that failed for good (retries exhausted, or an error that retrying cannot fix)."""

    def __init__(self, reason: str, detail: str, attempts: int):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.attempts = attempts


__all__ = [
    "BAD_RESPONSE",
    "CONNECTION_ERROR",
    "CONTEXT_LENGTH",
    "EMPTY_ANSWER",
    "PROMPT_TOO_LARGE",
    "RATE_LIMITED",
    "SERVER_ERROR",
    "TIMEOUT",
    "Completion",
    "CompletionStatus",
    "JsonSchema",
    "Message",
    "PoolEvent",
    "PoolStats",
    "TransportError",
    "Usage",
    "Validator",
]
