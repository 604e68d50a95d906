"""An async pool of OpenAI-compatible chat-completions endpoints, built to keep a judge server saturated.

One :class:`JudgePool` talks to one judge model behind one or several base URLs (vLLM, SGLang, hosted APIs) through
the official ``openai`` SDK. The SDK's own retries are turned off so the pool controls every decision:

* a concurrency limit on requests *in flight*: a request waiting out a back-off does not hold a slot, so the
  other requests keep the server busy;
* transport retries with exponential back-off and jitter on 429 (``retry-after-ms`` / ``Retry-After`` honoured),
  408/409, 5xx, timeouts, dropped connections and malformed bodies; other 4xx fail at once;
* endpoint back-off: a failing base URL is avoided until its back-off ends while healthy ones take the load;
* format retries: an answer that fails the caller's ``validate`` is asked for again, up to a limit;
* optional structured output (``response_format`` json_schema), validated the same way;
* a content-addressed sqlite cache of validated answers, so an identical request is never paid for twice;
* token usage accounting per call and per pool;
* on plain ``http://`` endpoints (vLLM and SGLang on a cluster), a lean path: the SDK builds the request head once
  and each request sends it with its own body through :class:`~rationalerm.http_transport.FastHTTPTransport`,
  failures raised as the SDK's own exceptions (about 0.1 ms of client CPU a request instead of 0.5); ``https://``
  keeps the SDK's whole stack.

The API key is handed to the SDK and nowhere else: error details are redacted before they are stored or logged,
and base URLs are shown without credentials or query strings.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import logging
import math
import os
import random
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import httpx2
import openai
from openai._models import FinalRequestOptions

from . import jsonfast
from .http_transport import FastHTTPTransport, PreparedRequest
from .parse import ParseFailure

logger = logging.getLogger(__name__)

CompletionStatus = Literal["ok", "invalid", "error"]
Message = Mapping[str, Any]
Validator = Callable[[str], Any]
"""Turns an answer's text into a value, or returns a :class:`~rationalerm.parse.ParseFailure` to ask again."""

# Stable reason codes for transport failures (``Completion.reason`` when ``status == "error"``).
RATE_LIMITED = "rate_limited"
SERVER_ERROR = "server_error"
TIMEOUT = "timeout"
CONNECTION_ERROR = "connection_error"
BAD_RESPONSE = "bad_response"
EMPTY_ANSWER = "empty_answer"

_RETRYABLE_STATUS = {408, 409, 425, 429}
_CACHE_SCHEMA_VERSION = 1
NO_KEY = "EMPTY"  # what local vLLM / SGLang servers accept when they were started without --api-key


# --------------------------------------------------------------------------------------------------------------
# Results


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

    @classmethod
    def from_response(cls, body: Mapping[str, Any]) -> Usage:
        raw = body.get("usage")
        if not isinstance(raw, Mapping):
            return cls()
        details = raw.get("prompt_tokens_details")
        cached = details.get("cached_tokens") if isinstance(details, Mapping) else None
        return cls(
            prompt_tokens=_int(raw.get("prompt_tokens")),
            completion_tokens=_int(raw.get("completion_tokens")),
            cached_prompt_tokens=_int(cached),
        )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


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


# --------------------------------------------------------------------------------------------------------------
# Cache


def request_key(request: Mapping[str, Any]) -> str:
    """The content address of a request: sha256 of its canonical JSON. Base URL and API key are not part of a
    request, so the same question asked of the same model on another server hits the same entry."""
    canonical = json.dumps(
        {"v": _CACHE_SCHEMA_VERSION, **request}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def default_cache_path() -> Path:
    """``$XDG_CACHE_HOME/rationalerm/completions.sqlite`` (``~/.cache`` when unset)."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "rationalerm" / "completions.sqlite"


class CompletionCache:
    """Validated answers on disk, keyed by :func:`request_key`.

    sqlite in WAL mode with ``synchronous=NORMAL``: a lookup or insert costs tens of microseconds and no fsync, so
    it runs on the event loop without stalling it; a killed process loses at most the last few entries, never the
    database. Several processes may share one file. Only answers that passed validation are stored.
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS completions ("
            " key TEXT PRIMARY KEY, text TEXT NOT NULL, usage TEXT NOT NULL, model TEXT, created REAL)"
        )

    def get(self, key: str) -> tuple[str, Usage] | None:
        row = self._db.execute("SELECT text, usage FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            usage = Usage(**json.loads(row[1]))
        except (TypeError, ValueError):
            usage = Usage()
        return row[0], usage

    def put(self, key: str, text: str, usage: Usage, model: str) -> None:
        payload = json.dumps(
            {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "cached_prompt_tokens": usage.cached_prompt_tokens,
            }
        )
        self._db.execute(
            "INSERT OR REPLACE INTO completions (key, text, usage, model, created) VALUES (?, ?, ?, ?, ?)",
            (key, text, payload, model, time.time()),
        )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    def close(self) -> None:
        self._db.close()


# --------------------------------------------------------------------------------------------------------------
# Credentials and URLs


def clean_base_url(url: str) -> str:
    """``url`` without user, password, query or fragment: safe to log and record in outputs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


class _Redactor:
    """Removes secrets (the API key, URL credentials) from any text before it is stored or logged."""

    def __init__(self, secrets: Sequence[str]):
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text


def _url_secrets(url: str) -> list[str]:
    parts = urlsplit(url)
    return [s for s in (parts.username, parts.password, parts.query) if s]


# --------------------------------------------------------------------------------------------------------------
# The pool


@dataclass(slots=True)
class _Endpoint:
    """One base URL, served by several SDK clients (connection-pool shards) used in turn."""

    url: str
    clients: list[openai.AsyncOpenAI]
    in_flight: int = 0
    failures: int = 0
    available_at: float = 0.0
    turn: int = 0

    def client(self) -> openai.AsyncOpenAI:
        self.turn = (self.turn + 1) % len(self.clients)
        return self.clients[self.turn]


# Connections per SDK client on the default (https) stack; see JudgePool._make_clients.
_CONNECTIONS_PER_SHARD = 8
_CHAT_PATH = "/chat/completions"
_JSON_HEADERS = {"Content-Type": "application/json"}
# The SDK's X-Stainless-* headers are client telemetry for hosted APIs; a self-hosted vLLM / SGLang server ignores
# them, and each header is normalised several times per request. Left out on plain-http endpoints only.
_NO_TELEMETRY_HEADERS: dict[str, Any] = {
    name: openai.Omit()
    for name in (
        "X-Stainless-Lang",
        "X-Stainless-Package-Version",
        "X-Stainless-OS",
        "X-Stainless-Arch",
        "X-Stainless-Runtime",
        "X-Stainless-Runtime-Version",
        "X-Stainless-Async",
    )
}


class _LeanAsyncOpenAI(openai.AsyncOpenAI):
    """The SDK client for plain-http endpoints, with the per-request work that never changes done once.

    The pool sends every request with the same method, path, headers and timeout; only the body differs. Through
    ``post()`` the SDK validates its options (a pydantic model), merges and checks the headers, parses the URL,
    assembles an ``httpx2.Request``, passes it down four layers of auth and redirect handling and wraps the answer
    in an ``httpx2.Response``, all anew for each request: over half of the client CPU of a judge request.
    :meth:`post_json` builds the first request of each shape with the SDK's own pipeline (``_prepare_options``,
    ``_build_request``, ``_prepare_request``) and keeps its serialized head, so every request sends exactly the
    head the SDK built, with its own body, straight through :class:`FastHTTPTransport`. Failures become the SDK's
    own exceptions, made the way ``request()`` makes them: ``APITimeoutError``, ``APIConnectionError``, and the
    ``APIStatusError`` subclasses of ``_make_status_error_from_response``. A change of API key, base URL or
    headers makes a new template.
    """

    def __init__(self, *, transport: FastHTTPTransport, **kwargs: Any):
        super().__init__(**kwargs)
        self._lean_transport = transport
        self._templates: dict[tuple[Any, ...], tuple[httpx2.Request, PreparedRequest]] = {}
        self._templates_base: Any = None

    async def _template(
        self, path: str, headers: Mapping[str, Any], timeout: float
    ) -> tuple[httpx2.Request, PreparedRequest]:
        if self._base_url is not self._templates_base:  # a new base URL (the SDK replaces the URL object)
            self._templates.clear()
            self._templates_base = self._base_url
        key = (path, tuple(headers.items()), timeout, self.api_key)
        template = self._templates.get(key)
        if template is None:
            if len(self._templates) >= 16:
                self._templates.clear()
            options = FinalRequestOptions.construct(
                method="post", url=path, content=b"", headers=dict(headers), timeout=timeout
            )
            options = await self._prepare_options(options)
            built = self._build_request(options)
            await self._prepare_request(built)
            template = self._templates[key] = (built, PreparedRequest(built))
        return template

    async def warm_up(self, count: int, timeout: float) -> int:
        """Open up to ``count`` idle connections to this client's origin (see :meth:`JudgePool.warm_up`)."""
        _, prepared = await self._template(_CHAT_PATH, _JSON_HEADERS, timeout)
        return await self._lean_transport.prewarm(prepared.origin, count, prepared.timeouts.get("connect"))

    async def post_json(
        self, path: str, content: bytes, *, headers: Mapping[str, Any], timeout: float
    ) -> bytes:
        """POST ``content`` (an encoded JSON body) to ``path``; the response body, or the SDK's exception."""
        cached = (
            self._templates.get((path, tuple(headers.items()), timeout, self.api_key))
            if self._base_url is self._templates_base
            else None
        )  # every request but the first of its shape: no coroutine for the lookup
        template, prepared = cached or await self._template(path, headers, timeout)
        try:
            status, reason, raw_headers, body = await self._lean_transport.send_prepared(prepared, content)
        except httpx2.TimeoutException as exc:
            raise openai.APITimeoutError(request=_with_body(template, content)) from exc
        except Exception as exc:
            raise openai.APIConnectionError(request=_with_body(template, content)) from exc
        if status < 400 and not _has_content_encoding(raw_headers):
            return body
        # The rare cases go through httpx2.Response: an error for the SDK to describe, or a body to decode.
        response = httpx2.Response(
            status_code=status,
            headers=raw_headers,
            content=body,
            request=_with_body(template, content),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reason},
        )
        if status >= 400:
            raise self._make_status_error_from_response(response)
        return response.content


def _with_extra_body(request: Mapping[str, Any]) -> Mapping[str, Any]:
    """The body as sent: ``extra_body``'s fields merged in (a copy only when there are some)."""
    if "extra_body" not in request:
        return request
    payload = {k: v for k, v in request.items() if k != "extra_body"}
    payload.update(request["extra_body"] or {})
    return payload


def _with_body(template: httpx2.Request, content: bytes) -> httpx2.Request:
    """The request as sent (for an SDK exception, which keeps it): the template's head with this body."""
    headers = template.headers.copy()
    headers.pop("content-length", None)
    return httpx2.Request(
        template.method, template.url, headers=headers, content=content, extensions=template.extensions
    )


def _has_content_encoding(headers: Sequence[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name.lower() == b"content-encoding" and value.strip().lower() not in (b"", b"identity"):
            return True
    return False


class _Slots:
    """A limit on requests in flight whose waiters are served retries first, then in arrival order.

    A released slot is handed straight to the next waiter (no barging), like :class:`asyncio.Semaphore`."""

    def __init__(self, size: int):
        self._free = size
        self._retries: deque[asyncio.Future[None]] = deque()
        self._fresh: deque[asyncio.Future[None]] = deque()

    async def acquire(self, retry: bool = False) -> None:
        if self._free > 0 and not self._retries and not self._fresh:
            self._free -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        (self._retries if retry else self._fresh).append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self.release()  # the slot was handed over just as the waiter was cancelled: pass it on
            raise

    def release(self) -> None:
        for queue in (self._retries, self._fresh):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():  # a cancelled waiter is skipped
                    waiter.set_result(None)
                    return
        self._free += 1


class JudgePool:
    """Chat completions for one ``model`` spread over one or several OpenAI-compatible ``base_urls``.

    Use as ``async with JudgePool(...) as pool`` inside one event loop (its connections belong to that loop).
    ``api_key`` falls back to ``OPENAI_API_KEY``, then to ``"EMPTY"`` (what keyless vLLM/SGLang servers accept);
    ``base_urls`` fall back to ``OPENAI_BASE_URL``. ``cache`` is a :class:`CompletionCache`, a path, or None.
    ``rng`` makes back-off jitter reproducible in tests.
    """

    def __init__(
        self,
        model: str,
        base_urls: str | Sequence[str] | None = None,
        *,
        api_key: str | None = None,
        concurrency: int = 64,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        retry_after_max: float = 120.0,
        cache: CompletionCache | str | os.PathLike[str] | None = None,
        on_event: Callable[[PoolEvent], None] | None = None,
        rng: random.Random | None = None,
    ):
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls or [])
        if not urls and os.environ.get("OPENAI_BASE_URL"):
            urls = [os.environ["OPENAI_BASE_URL"]]
        if not urls:
            raise ValueError("no base URL: pass base_urls or set OPENAI_BASE_URL")
        key = api_key or os.environ.get("OPENAI_API_KEY") or NO_KEY
        self.model = model
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.stats = PoolStats()
        self._on_event = on_event
        self._rng = rng or random.Random()
        self._redact = _Redactor([key] + [s for url in urls for s in _url_secrets(url)])
        self._slots = _Slots(concurrency)
        self._turn = 0
        self._tls: Any = None
        self._endpoints = [
            _Endpoint(url=clean_base_url(url), clients=self._make_clients(url, key, concurrency, timeout))
            for url in urls
        ]
        if cache is None or isinstance(cache, CompletionCache):
            self.cache = cache
            self._owns_cache = False
        else:
            self.cache = CompletionCache(cache)
            self._owns_cache = True

    def _make_clients(self, url: str, key: str, concurrency: int, timeout: float) -> list[openai.AsyncOpenAI]:
        """The SDK clients of one base URL.

        Plain ``http://`` (vLLM / SGLang on a cluster) goes through :class:`FastHTTPTransport`, a lean asyncio
        HTTP/1.1 keep-alive transport under the SDK: about half the client CPU per request of httpcore. Anything
        else keeps the SDK's default httpx2 stack, sharded: httpcore scans every connection of its pool on each
        request and response, so several small pools per endpoint keep the CPU per request flat.
        """
        if urlsplit(url).scheme == "http":
            transport = FastHTTPTransport(max_keepalive=concurrency + 8)
            http_client = openai.DefaultAsyncHttpxClient(transport=transport, timeout=timeout)
            return [
                _LeanAsyncOpenAI(
                    transport=transport,
                    api_key=key,
                    base_url=url,
                    max_retries=0,
                    timeout=timeout,
                    http_client=http_client,
                    default_headers=_NO_TELEMETRY_HEADERS,
                )
            ]
        shards = max(1, math.ceil(concurrency / _CONNECTIONS_PER_SHARD))
        per_shard = math.ceil(concurrency / shards) + 2
        limits = httpx2.Limits(max_connections=per_shard, max_keepalive_connections=per_shard)
        if self._tls is None:
            self._tls = httpx2.create_ssl_context()  # loading CA certificates takes ~20 ms: once per pool
        return [
            openai.AsyncOpenAI(
                api_key=key,
                base_url=url,
                max_retries=0,
                timeout=timeout,
                http_client=openai.DefaultAsyncHttpxClient(limits=limits, timeout=timeout, verify=self._tls),
            )
            for _ in range(shards)
        ]

    @property
    def base_urls(self) -> list[str]:
        """The endpoints, without credentials."""
        return [e.url for e in self._endpoints]

    async def __aenter__(self) -> JudgePool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for endpoint in self._endpoints:
            for client in endpoint.clients:
                await client.close()
        if self._owns_cache and self.cache is not None:
            self.cache.close()

    async def warm_up(self, requests: int, *, timeout: float = 1.0) -> int:
        """Open the connections a burst of ``requests`` will use (at most the concurrency, spread over the
        endpoints) before it starts; return how many were opened. Plain-http endpoints only (elsewhere the SDK's
        pool opens its own). Worth calling before a batch: a judge server drops idle keep-alive connections after
        a few seconds (uvicorn: 5 s), so each training step would otherwise open them one request at a time.

        Never raises and waits at most ``timeout`` seconds: a server that is slow or down is reported by the
        requests themselves."""
        lean = [
            client for e in self._endpoints for client in e.clients if isinstance(client, _LeanAsyncOpenAI)
        ]
        if not lean or requests <= 0:
            return 0
        share = math.ceil(min(requests, self.concurrency) / len(lean))
        try:
            opened = await asyncio.wait_for(
                asyncio.gather(*(client.warm_up(share, self.timeout) for client in lean)), timeout
            )
        except Exception as exc:
            logger.debug("judge connection warm-up did not finish: %r", exc)
            return 0
        return sum(opened)

    # ----------------------------------------------------------------------------------------------------------

    def build_request(
        self,
        messages: Sequence[Message],
        *,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        structured: JsonSchema | None = None,
        extra_body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The request body (without transport settings) that is sent and that keys the cache."""
        request: dict[str, Any] = {"model": self.model, "messages": [dict(m) for m in messages]}
        if temperature is not None:
            request["temperature"] = temperature
        if max_tokens is not None:
            request["max_tokens"] = max_tokens
        if seed is not None:
            request["seed"] = seed
        if structured is not None:
            request["response_format"] = structured.response_format()
        if extra_body:
            request["extra_body"] = dict(extra_body)
        return request

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        validate: Validator | None = None,
        structured: JsonSchema | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        max_format_retries: int = 2,
        extra_body: Mapping[str, Any] | None = None,
        use_cache: bool = True,
    ) -> Completion:
        """Ask until an answer passes ``validate`` (at most ``1 + max_format_retries`` answers).

        A format retry re-samples the same request (with ``seed + k`` when a seed is set), which costs no extra
        prompt tokens beyond what the server's prefix cache already holds; with ``temperature == 0`` re-sampling
        would return the same answer, so the retry adds the rejected answer and the reason instead. A valid
        answer is cached under the *first* request, so the next run gets it without a request.
        """
        started = time.perf_counter()
        first = self.build_request(
            messages,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
            structured=structured,
            extra_body=extra_body,
        )
        # The content address (sha256 of canonical JSON) costs a second encoding: computed only for a cache.
        key = request_key(first) if self.cache is not None else ""
        if use_cache and self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                text, _ = hit
                value = validate(text) if validate is not None else text
                if not isinstance(value, ParseFailure):
                    self.stats.cache_hits += 1
                    self._emit(PoolEvent("cache_hit"))
                    return Completion(status="ok", text=text, value=value, cached=True)

        usage = Usage()
        attempts = 0
        answers = 0
        request = first
        last_text: str | None = None
        last_failure: ParseFailure | None = None
        finish_reason: str | None = None
        endpoint: str | None = None
        for round_ in range(max_format_retries + 1):
            if round_:
                request = self._format_retry_request(first, round_, last_text, last_failure)
                self.stats.format_retries += 1
                assert last_failure is not None
                self._emit(PoolEvent("format_retry", reason=last_failure.reason, attempt=round_))
            try:
                body, endpoint, sent = await self._send(request)
            except TransportError as exc:
                attempts += exc.attempts
                self.stats.failures[exc.reason] += 1
                self._emit(PoolEvent("failed", reason=exc.reason, attempt=attempts))
                return Completion(
                    status="error",
                    text=last_text,
                    reason=exc.reason,
                    detail=exc.detail,
                    attempts=attempts,
                    answers=answers,
                    usage=usage,
                    latency_s=time.perf_counter() - started,
                )
            attempts += sent
            answers += 1
            answer_usage = Usage.from_response(body)
            usage.add(answer_usage)
            self.stats.usage.add(answer_usage)
            self.stats.answers += 1
            text, finish_reason = _answer_text(body)
            if text is None:
                last_text, last_failure = None, ParseFailure(EMPTY_ANSWER, "the answer has no text content")
                continue
            value = validate(text) if validate is not None else text
            if isinstance(value, ParseFailure):
                detail = value.detail
                if finish_reason == "length":
                    detail = (
                        f"{detail} (the answer hit max_tokens)" if detail else "the answer hit max_tokens"
                    )
                last_text, last_failure = text, ParseFailure(value.reason, detail)
                continue
            if self.cache is not None:
                self.cache.put(key, text, answer_usage, self.model)
            return Completion(
                status="ok",
                text=text,
                value=value,
                attempts=attempts,
                answers=answers,
                usage=usage,
                endpoint=endpoint,
                finish_reason=finish_reason,
                latency_s=time.perf_counter() - started,
            )
        assert last_failure is not None
        self.stats.failures[last_failure.reason] += 1
        self._emit(PoolEvent("failed", reason=last_failure.reason, attempt=attempts))
        return Completion(
            status="invalid",
            text=last_text,
            reason=last_failure.reason,
            detail=last_failure.detail,
            attempts=attempts,
            answers=answers,
            usage=usage,
            endpoint=endpoint,
            finish_reason=finish_reason,
            latency_s=time.perf_counter() - started,
        )

    def _format_retry_request(
        self, first: dict[str, Any], round_: int, last_text: str | None, failure: ParseFailure | None
    ) -> dict[str, Any]:
        request = dict(first)
        if request.get("seed") is not None:
            request["seed"] = request["seed"] + round_
        if request.get("temperature") == 0 and last_text is not None and failure is not None:
            request["messages"] = [
                *first["messages"],
                {"role": "assistant", "content": last_text},
                {
                    "role": "user",
                    "content": f"That answer could not be used ({failure}). Answer again in the required format.",
                },
            ]
        return request

    # ----------------------------------------------------------------------------------------------------------
    # Transport

    async def _send(self, request: dict[str, Any]) -> tuple[dict[str, Any], str, int]:
        """POST one request, retrying transport failures. Returns (body, endpoint URL, requests sent)."""
        attempt = 0
        # Serialized once for all attempts. The SDK's typed `chat.completions.create` would re-validate and
        # re-encode the body on every call, the largest client CPU cost per request after the HTTP stack.
        content = jsonfast.dumps_bytes(_with_extra_body(request))
        while True:
            attempt += 1
            retry_after: float | None = None
            reason: str | None
            # A request back from a back-off goes ahead of fresh ones: its sample has waited already, and chains
            # of retries are what stretch the tail of a run.
            await self._slots.acquire(retry=attempt > 1)
            try:
                endpoint = self._pick_endpoint()  # chosen when a slot frees, with current health and load
                endpoint.in_flight += 1
                self.stats.in_flight += 1
                self.stats.requests += 1
                try:
                    client = endpoint.client()
                    if isinstance(client, _LeanAsyncOpenAI):
                        raw = await client.post_json(
                            _CHAT_PATH, content, headers=_JSON_HEADERS, timeout=self.timeout
                        )
                    else:
                        response = await client.post(
                            _CHAT_PATH,
                            cast_to=httpx2.Response,
                            content=content,
                            options={"timeout": self.timeout, "headers": _JSON_HEADERS},
                        )
                        raw = response.content
                    body = _json_body(raw)
                    if body is None:
                        reason, detail, retryable = (
                            BAD_RESPONSE,
                            "the response body is not a JSON object",
                            True,
                        )
                    else:
                        endpoint.failures = 0
                        endpoint.available_at = 0.0
                        reason = None
                except openai.APITimeoutError:
                    reason, detail, retryable = TIMEOUT, f"no answer within {self.timeout:g} s", True
                except openai.APIConnectionError as exc:
                    reason, detail, retryable = CONNECTION_ERROR, _describe(exc), True
                except openai.APIStatusError as exc:
                    status = exc.status_code
                    retry_after = _retry_after(exc.response.headers)
                    if status == 429:
                        reason, retryable = RATE_LIMITED, True
                    elif status >= 500:
                        reason, retryable = SERVER_ERROR, True
                    else:
                        reason, retryable = f"http_{status}", status in _RETRYABLE_STATUS
                    detail = f"HTTP {status}: {_describe(exc)}"
                except openai.APIResponseValidationError as exc:
                    reason, detail, retryable = BAD_RESPONSE, _describe(exc), True
                finally:
                    endpoint.in_flight -= 1
                    self.stats.in_flight -= 1
            finally:
                self._slots.release()
            if reason is None:
                # The slot is free and a waiting request was woken: let it go out before this answer is validated
                # and written, so the server's slot does not idle behind our post-processing.
                await asyncio.sleep(0)
                assert body is not None
                return body, endpoint.url, attempt
            detail = self._redact(detail)[:500]
            if not retryable or attempt > self.max_retries:
                if retryable:
                    detail = f"gave up after {attempt} attempts; last: {detail}"
                logger.debug("request failed for good on %s: %s (%s)", endpoint.url, reason, detail)
                raise TransportError(reason, detail, attempt)
            delay = self._backoff(attempt, retry_after)
            endpoint.failures += 1
            endpoint_pause = (
                retry_after if retry_after is not None else self._backoff(endpoint.failures, None)
            )
            endpoint.available_at = time.monotonic() + min(endpoint_pause, self.retry_after_max)
            self.stats.retries[reason] += 1
            logger.debug("retry %d on %s in %.2f s: %s (%s)", attempt, endpoint.url, delay, reason, detail)
            self._emit(PoolEvent("retry", reason=reason, endpoint=endpoint.url, delay=delay, attempt=attempt))
            await asyncio.sleep(delay)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when the server gave one (capped, plus up to 10% jitter so waiting clients do not return
        together); else exponential back-off with equal jitter: half fixed, half random."""
        if retry_after is not None:
            wait = min(max(retry_after, 0.0), self.retry_after_max)
            return wait * (1 + 0.1 * self._rng.random())
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (attempt - 1)))
        return ceiling * (0.5 + 0.5 * self._rng.random())

    def _pick_endpoint(self) -> _Endpoint:
        """The least busy endpoint that is not backed off (ties rotate); when all are backed off, the one whose
        back-off ends first.

        Endpoint back-off steers load, it does not block: every failed request already waits its own back-off,
        so stalling the others too would only idle a server that fails a fraction of requests.
        """
        if len(self._endpoints) == 1:
            return self._endpoints[0]
        now = time.monotonic()
        ready = [e for e in self._endpoints if e.available_at <= now]
        if not ready:
            return min(self._endpoints, key=lambda e: e.available_at)
        self._turn = (self._turn + 1) % len(ready)
        rotated = ready[self._turn :] + ready[: self._turn]
        return min(rotated, key=lambda e: e.in_flight)

    def _emit(self, event: PoolEvent) -> None:
        if self._on_event is not None:
            self._on_event(event)


# --------------------------------------------------------------------------------------------------------------
# Response helpers


def _json_body(content: bytes) -> dict[str, Any] | None:
    try:
        body = jsonfast.loads(content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _answer_text(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The first choice's message content and finish reason (None when the body has no usable text)."""
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        return None, None
    choice = choices[0]
    message = choice.get("message")
    finish = choice.get("finish_reason")
    content = message.get("content") if isinstance(message, Mapping) else None
    if not isinstance(content, str) or not content.strip():
        return None, finish if isinstance(finish, str) else None
    return content, finish if isinstance(finish, str) else None


def _describe(exc: BaseException) -> str:
    """A one-line description of an SDK error (the SDK message plus the underlying cause's type)."""
    message = " ".join(str(exc).split())
    cause = exc.__cause__
    if cause is not None and type(cause).__name__ not in message:
        message = f"{message} ({type(cause).__name__})"
    return message


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date); None if absent."""
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            value = float(raw_ms) / 1000
            if math.isfinite(value):
                return max(value, 0.0)
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        value = float(raw)
        return max(value, 0.0) if math.isfinite(value) else None
    except ValueError:
        pass
    parsed = email.utils.parsedate_tz(raw)
    if parsed is None:
        return None
    return max(email.utils.mktime_tz(parsed) - time.time(), 0.0)


__all__ = [
    "Completion",
    "CompletionCache",
    "JsonSchema",
    "JudgePool",
    "PoolEvent",
    "PoolStats",
    "TransportError",
    "Usage",
    "clean_base_url",
    "default_cache_path",
    "request_key",
]
