"""An async pool of OpenAI-compatible chat-completions endpoints, built to keep a judge server saturated.

One :class:`JudgePool` talks to one judge model behind one or several base URLs (vLLM, SGLang, hosted APIs). It posts
the chat-completions JSON with aiohttp's public client, as vLLM's own serving benchmark does, and validates each
answer with pydantic: measured side by side on one scripted judge, that costs about a third of the client CPU a
request of the OpenAI SDK, and keeps a busy server busier (``benchmarks/judge_throughput.py``). The pool makes every
decision itself:

* a concurrency limit on requests *in flight*: a request waiting out a back-off does not hold a slot, so the
  other requests keep the server busy, and a request back from a back-off goes first;
* transport retries with exponential back-off and jitter on 429 (``retry-after-ms`` / ``Retry-After`` honoured),
  408/409/425, 5xx, timeouts, dropped connections and malformed bodies; every delay is capped (``backoff_max``,
  ``retry_after_max``) however long the outage;
* answers that retrying cannot change end at once: a prompt over the model's context length fails its call with
  reason ``context_length``, other 4xx with ``http_<status>``; a prompt over ``max_prompt_tokens`` (estimated) fails
  with ``prompt_too_large`` and is never sent;
* a judge that refuses the whole run stops it: 401/403 (a rejected API key) and 404 (a model the server does not
  serve; the error lists the models it does, from ``GET /models``) raise :class:`~rationalerm.errors.JudgeRefusedError`
  from every call, now and after;
* endpoint back-off: a failing base URL is avoided until its back-off ends while healthy ones take the load;
* format retries: an answer that fails the caller's ``validate`` is asked for again, up to a limit;
* optional structured output (``response_format`` json_schema), validated the same way;
* answers served from and stored in the content-addressed sqlite cache (:mod:`.cache`), so an identical request is
  never paid for twice;
* token usage accounting per call and per pool.

The API key goes into one request header and nowhere else: error details are redacted before they are stored,
raised or logged, and base URLs are shown without credentials or query strings. Proxies come from the usual
environment variables (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``); loopback hosts are never proxied.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import json
import logging
import math
import os
import random
import time
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from pydantic import BaseModel, ValidationError

from ..errors import ConfigError, JudgeRefusedError
from ..jsonfast import dumps_bytes
from ..parse import ParseFailure
from .cache import CompletionCache, request_key
from .types import (
    BAD_RESPONSE,
    CONNECTION_ERROR,
    CONTEXT_LENGTH,
    EMPTY_ANSWER,
    PROMPT_TOO_LARGE,
    RATE_LIMITED,
    SERVER_ERROR,
    TIMEOUT,
    Completion,
    JsonSchema,
    Message,
    PoolEvent,
    PoolStats,
    TransportError,
    Usage,
    Validator,
)

logger = logging.getLogger(__name__)

_RETRYABLE_STATUS = {408, 409, 425, 429}
NO_KEY = "EMPTY"  # what local vLLM / SGLang servers accept when they were started without --api-key
BYTES_PER_TOKEN = 4  # the prompt-size estimate: about four UTF-8 bytes a token (English text)
# What servers say when a prompt does not fit (OpenAI's code, vLLM's and SGLang's messages, lower case).
_CONTEXT_LENGTH_SIGNS = (
    "context_length_exceeded",
    "context length",
    "context window",
    "maximum context",
    "prompt is too long",
    "input is too long",
    "too many tokens",
)


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
# The wire format: what is read from an answer, validated by pydantic (unknown fields are ignored)


class _Message(BaseModel):
    content: str | None = None


class _Choice(BaseModel):
    message: _Message | None = None
    finish_reason: str | None = None


class _PromptTokensDetails(BaseModel):
    cached_tokens: int | None = None


class _Usage(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    prompt_tokens_details: _PromptTokensDetails | None = None


class ChatCompletion(BaseModel):
    """The fields of an OpenAI-compatible ``chat.completion`` answer the pool reads."""

    choices: list[_Choice]
    usage: _Usage | None = None

    def text(self) -> tuple[str | None, str | None]:
        """The first choice's message content (None when it has no text) and finish reason."""
        if not self.choices:
            return None, None
        choice = self.choices[0]
        content = choice.message.content if choice.message is not None else None
        return (content if content and content.strip() else None), choice.finish_reason

    def billed(self) -> Usage:
        usage = self.usage
        if usage is None:
            return Usage()
        details = usage.prompt_tokens_details
        return Usage(
            prompt_tokens=usage.prompt_tokens or 0,
            completion_tokens=usage.completion_tokens or 0,
            cached_prompt_tokens=(details.cached_tokens or 0) if details is not None else 0,
        )


# --------------------------------------------------------------------------------------------------------------
# The pool


@dataclass(slots=True)
class _Endpoint:
    """One base URL: where its requests go, through which proxy, and its health."""

    url: str  # without credentials: shown and recorded
    chat_url: str
    models_url: str
    proxy: str | None
    in_flight: int = 0
    failures: int = 0
    available_at: float = 0.0


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
    ``max_prompt_tokens`` caps a request's estimated prompt size (:func:`estimate_prompt_tokens`; None: no cap).
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
        retry_after_max: float = 60.0,
        max_prompt_tokens: int | None = None,
        cache: CompletionCache | str | os.PathLike[str] | None = None,
        on_event: Callable[[PoolEvent], None] | None = None,
        rng: random.Random | None = None,
    ):
        if concurrency < 1:
            raise ConfigError("concurrency must be at least 1")
        if max_retries < 0:
            raise ConfigError("max_retries must be >= 0")
        if max_prompt_tokens is not None and max_prompt_tokens < 1:
            raise ConfigError("max_prompt_tokens must be at least 1 (or None for no cap)")
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls or [])
        if not urls and os.environ.get("OPENAI_BASE_URL"):
            urls = [os.environ["OPENAI_BASE_URL"]]
        if not urls:
            raise ConfigError("no base URL: pass base_urls or set OPENAI_BASE_URL")
        key = api_key or os.environ.get("OPENAI_API_KEY") or NO_KEY
        self.model = model
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.max_prompt_tokens = max_prompt_tokens
        self.stats = PoolStats()
        self._on_event = on_event
        self._rng = rng or random.Random()
        self._redact = _Redactor([key] + [s for url in urls for s in _url_secrets(url)])
        self._headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        self._slots = _Slots(concurrency)
        self._turn = 0
        self._endpoints = [_endpoint(url) for url in urls]
        self._http: aiohttp.ClientSession | None = None
        self._refused: JudgeRefusedError | None = None
        if cache is None or isinstance(cache, CompletionCache):
            self.cache = cache
            self._owns_cache = False
        else:
            self.cache = CompletionCache(cache)
            self._owns_cache = True

    def __repr__(self) -> str:
        return (
            f"JudgePool(model={self.model!r}, base_urls={self.base_urls!r}, concurrency={self.concurrency})"
        )

    @property
    def base_urls(self) -> list[str]:
        """The endpoints, without credentials."""
        return [e.url for e in self._endpoints]

    async def __aenter__(self) -> JudgePool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._owns_cache and self.cache is not None:
            self.cache.close()

    def _session(self) -> aiohttp.ClientSession:
        """The HTTP client, made in the running loop on first use. Request slots bound the connections, so the
        connector sets no limit of its own."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=60),
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
        return self._http

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

        Never raises for a fault of one request: it becomes the completion's status and reason. Raises
        :class:`~rationalerm.errors.JudgeRefusedError` when the judge refuses the run (rejected key, unknown model).
        """
        if self._refused is not None:
            raise self._refused
        started = time.perf_counter()
        first = self.build_request(
            messages,
            temperature=temperature,
            max_tokens=max_tokens,
            seed=seed,
            structured=structured,
            extra_body=extra_body,
        )
        if self.max_prompt_tokens is not None:
            estimate = estimate_prompt_tokens(first["messages"])
            if estimate > self.max_prompt_tokens:
                detail = (
                    f"the prompt is about {estimate:,} tokens (estimated), over the cap of "
                    f"{self.max_prompt_tokens:,}: not sent"
                )
                return self._failed(Completion("error", reason=PROMPT_TOO_LARGE, detail=detail))
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
        attempts = answers = 0
        request = first
        last_text: str | None = None
        last_failure: ParseFailure | None = None
        finish_reason: str | None = None
        endpoint: str | None = None
        for round_ in range(max_format_retries + 1):
            if round_:
                assert last_failure is not None
                request = self._format_retry_request(first, round_, last_text, last_failure)
                self.stats.format_retries += 1
                self._emit(PoolEvent("format_retry", reason=last_failure.reason, attempt=round_))
            try:
                answer, endpoint, sent = await self._send(request)
            except TransportError as exc:
                attempts += exc.attempts
                failed = Completion("error", text=last_text, reason=exc.reason, detail=exc.detail)
                failed.attempts, failed.answers, failed.usage = attempts, answers, usage
                failed.latency_s = time.perf_counter() - started
                return self._failed(failed)
            attempts += sent
            answers += 1
            answer_usage = answer.billed()
            usage.add(answer_usage)
            self.stats.usage.add(answer_usage)
            self.stats.answers += 1
            text, finish_reason = answer.text()
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
        invalid = Completion(
            "invalid", text=last_text, reason=last_failure.reason, detail=last_failure.detail
        )
        invalid.attempts, invalid.answers, invalid.usage, invalid.endpoint = (
            attempts,
            answers,
            usage,
            endpoint,
        )
        invalid.finish_reason, invalid.latency_s = finish_reason, time.perf_counter() - started
        return self._failed(invalid)

    def _failed(self, completion: Completion) -> Completion:
        self.stats.failures[completion.reason or "error"] += 1
        self._emit(PoolEvent("failed", reason=completion.reason, attempt=completion.attempts))
        return completion

    def _format_retry_request(
        self, first: dict[str, Any], round_: int, last_text: str | None, failure: ParseFailure
    ) -> dict[str, Any]:
        request = dict(first)
        if request.get("seed") is not None:
            request["seed"] = request["seed"] + round_
        if request.get("temperature") == 0 and last_text is not None:
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

    async def _send(self, request: dict[str, Any]) -> tuple[ChatCompletion, str, int]:
        """POST one request, retrying what a retry can fix. Returns (answer, endpoint URL, requests sent)."""
        content = dumps_bytes(_with_extra_body(request))  # encoded once for all attempts
        attempt = 0
        while True:
            attempt += 1
            retry_after: float | None = None
            answer: ChatCompletion | None = None
            # A request back from a back-off goes ahead of fresh ones: its sample has waited already, and chains
            # of retries are what stretch the tail of a run.
            await self._slots.acquire(retry=attempt > 1)
            if self._refused is not None:  # the judge refused the run while this request waited
                self._slots.release()
                raise self._refused
            endpoint = self._pick_endpoint()  # chosen when a slot frees, with current health and load
            endpoint.in_flight += 1
            self.stats.in_flight += 1
            self.stats.requests += 1
            try:
                async with self._session().post(
                    endpoint.chat_url, data=content, proxy=endpoint.proxy
                ) as response:
                    status, raw = response.status, await response.read()
                    headers = response.headers
            except TimeoutError:
                reason, detail, retryable = TIMEOUT, f"no answer within {self.timeout:g} s", True
            except aiohttp.ClientError as exc:
                reason, detail, retryable = CONNECTION_ERROR, _describe(exc), True
            else:
                if status < 400:
                    try:
                        answer = ChatCompletion.model_validate_json(raw)
                        reason, detail, retryable = None, "", False
                    except ValidationError as exc:
                        detail = f"the response body is not a chat completion ({_first_error(exc)})"
                        reason, retryable = BAD_RESPONSE, True
                else:
                    retry_after = _retry_after(headers)
                    message = _error_message(raw)
                    reason, retryable = _classify(status, message)
                    detail = f"HTTP {status}: {message}"
            finally:
                endpoint.in_flight -= 1
                self.stats.in_flight -= 1
                self._slots.release()
            if answer is not None:
                endpoint.failures = 0
                endpoint.available_at = 0.0
                return answer, endpoint.url, attempt
            detail = self._redact(detail)[:500]
            if reason == "refused":
                raise await self._refuse(endpoint, status, detail)
            if not retryable or attempt > self.max_retries:
                if retryable:
                    detail = f"gave up after {attempt} attempts; last: {detail}"
                logger.debug("request failed for good on %s: %s (%s)", endpoint.url, reason, detail)
                raise TransportError(reason, detail, attempt)
            delay = self._backoff(attempt, retry_after)
            endpoint.failures += 1
            pause = retry_after if retry_after is not None else self._backoff(endpoint.failures, None)
            endpoint.available_at = time.monotonic() + min(pause, self.retry_after_max)
            self.stats.retries[reason] += 1
            logger.debug("retry %d on %s in %.2f s: %s (%s)", attempt, endpoint.url, delay, reason, detail)
            self._emit(PoolEvent("retry", reason=reason, endpoint=endpoint.url, delay=delay, attempt=attempt))
            await asyncio.sleep(delay)

    async def _refuse(self, endpoint: _Endpoint, status: int, detail: str) -> JudgeRefusedError:
        """The error that stops the run: what the server said, and for a 404 the models it does serve."""
        if self._refused is not None:
            return self._refused
        if status in (401, 403):
            message = f"the judge at {endpoint.url} rejected the API key ({detail}); check --api-key / OPENAI_API_KEY"
        else:
            served = await self._served_models(endpoint)
            if served is None:
                message = (
                    f"the judge at {endpoint.url} answered {detail} for model {self.model!r}, and GET /models "
                    "did not list its models: check the base URL (it usually ends in /v1) and --judge-model"
                )
            elif self.model not in served:
                listed = ", ".join(repr(m) for m in served[:20]) or "none"
                message = (
                    f"the judge at {endpoint.url} does not serve model {self.model!r}; it serves: {listed}"
                )
            else:
                message = (
                    f"the judge at {endpoint.url} serves model {self.model!r} but answered {detail} for "
                    f"/chat/completions: check the base URL (it usually ends in /v1)"
                )
        self._refused = JudgeRefusedError(self._redact(message), endpoint=endpoint.url, status=status)
        logger.error("%s", self._refused)
        return self._refused

    async def served_models(self) -> list[str] | None:
        """The model ids ``GET /models`` lists at the first endpoint (what a server started by someone else, e.g.
        a trainer, serves); None when it does not answer with a list."""
        return await self._served_models(self._endpoints[0])

    async def _served_models(self, endpoint: _Endpoint) -> list[str] | None:
        """The model ids ``GET /models`` lists at ``endpoint``; None when it does not answer with a list."""
        try:
            async with self._session().get(endpoint.models_url, proxy=endpoint.proxy) as response:
                if response.status != 200:
                    return None
                body = _ModelList.model_validate_json(await response.read())
        except (TimeoutError, aiohttp.ClientError, ValidationError):
            return None
        return [m.id for m in body.data]

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Retry-After when the server gave one (capped, plus up to 10% jitter so waiting clients do not return
        together); else exponential back-off with equal jitter: half fixed, half random, capped at
        ``backoff_max`` however many attempts failed."""
        if retry_after is not None:
            wait = min(max(retry_after, 0.0), self.retry_after_max)
            return wait * (1 + 0.1 * self._rng.random())
        ceiling = min(self.backoff_max, self.backoff_base * 2.0 ** min(attempt - 1, 60))
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


class _ModelId(BaseModel):
    id: str


class _ModelList(BaseModel):
    data: list[_ModelId]


# --------------------------------------------------------------------------------------------------------------
# Helpers


def sampling_options(settings: Any) -> dict[str, Any]:
    """The keywords of :meth:`JudgePool.complete` that a run's settings fix (``temperature``, ``max_tokens``,
    ``seed`` and ``max_format_retries``), read off any settings object that has those four fields."""
    return {
        name: getattr(settings, name) for name in ("temperature", "max_tokens", "seed", "max_format_retries")
    }


def estimate_prompt_tokens(messages: Sequence[Message]) -> int:
    """A prompt's size in tokens, estimated as UTF-8 bytes / :data:`BYTES_PER_TOKEN` over every message's text
    (about right for English; it undercounts scripts with many tokens a character, such as Chinese)."""
    size = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            size += len(content.encode("utf-8", "surrogatepass"))
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, Mapping) and isinstance(part.get("text"), str):
                    size += len(part["text"].encode("utf-8", "surrogatepass"))
    return math.ceil(size / BYTES_PER_TOKEN)


def _endpoint(url: str) -> _Endpoint:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"a judge base URL must be http:// or https:// with a host, not {clean_base_url(url)!r}"
        )
    base = urlunsplit((parts.scheme, _netloc(parts), parts.path.rstrip("/"), "", ""))
    query = f"?{parts.query}" if parts.query else ""  # e.g. Azure's api-version: kept on every request
    return _Endpoint(
        url=clean_base_url(url),
        chat_url=f"{base}/chat/completions{query}",
        models_url=f"{base}/models{query}",
        proxy=_environment_proxy(parts.scheme, parts.hostname),
    )


def _netloc(parts: Any) -> str:
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port else host


def _environment_proxy(scheme: str, host: str) -> str | None:
    """The proxy the environment names for ``scheme`` (``HTTPS_PROXY``...), unless ``NO_PROXY`` exempts ``host``
    or the host is loopback."""
    if host == "localhost":
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    proxy = urllib.request.getproxies().get(scheme)
    if not proxy or urllib.request.proxy_bypass(host):
        return None
    return proxy


def _with_extra_body(request: Mapping[str, Any]) -> Mapping[str, Any]:
    """The body as sent: ``extra_body``'s fields merged in (a copy only when there are some)."""
    if "extra_body" not in request:
        return request
    payload = {k: v for k, v in request.items() if k != "extra_body"}
    payload.update(request["extra_body"] or {})
    return payload


def _classify(status: int, message: str) -> tuple[str, bool]:
    """(reason, retryable) of an HTTP error answer; reason ``refused`` stops the whole run."""
    if status == 429:
        return RATE_LIMITED, True
    if status >= 500:
        return SERVER_ERROR, True
    if status in (401, 403, 404):
        return "refused", False
    lowered = message.lower()
    if status in (400, 413, 422) and any(sign in lowered for sign in _CONTEXT_LENGTH_SIGNS):
        return CONTEXT_LENGTH, False
    return f"http_{status}", status in _RETRYABLE_STATUS


def _error_message(raw: bytes) -> str:
    """The message of an error answer: ``error.message`` (OpenAI), ``message`` (vLLM), else the body's text."""
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            message = error.get("message") or error.get("code")
            if message:
                return " ".join(str(message).split())
        elif isinstance(error, str) and error:
            return " ".join(error.split())
        if body.get("message"):
            return " ".join(str(body["message"]).split())
    text = raw.decode("utf-8", "replace")
    return " ".join(text.split())[:300] or "(empty body)"


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error.get("loc", ())) or "body"
    return f"{where}: {error.get('msg', 'invalid')}"


def _describe(exc: BaseException) -> str:
    """A one-line description of a client error: its type and message."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


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
    "BYTES_PER_TOKEN",
    "NO_KEY",
    "ChatCompletion",
    "JudgePool",
    "clean_base_url",
    "estimate_prompt_tokens",
    "sampling_options",
]
