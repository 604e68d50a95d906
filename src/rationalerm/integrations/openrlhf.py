"""``rationalerm serve-reward``: an HTTP reward server for OpenRLHF's remote reward (``--reward.remote_url``,
formerly ``--remote_rm_url``; method.md section 10).

``POST /`` (also ``/get_reward``) with ``{"query": [...], "prompts": [...], "labels": [...]}`` answers
``{"rewards": [...], "scores": [...], "extra_logs": {name: [...]}}``. ``query`` is prompt + response as OpenRLHF
decodes it; the completion is ``query`` without its ``prompts`` prefix (the whole query when it does not start with
it). Each label is the JSON of the sample (``human_checklist``, ``human_label``, ``response1``, ``response2``,
``context``, ``golden``), as ``rationalerm prepare-rl --format openrlhf`` writes it. ``GET /health`` reports the
settings and counters.

OpenRLHF sends one sample per request, many at once. Requests are validated on the handler thread, then queued to
one scoring loop that gathers whatever arrived within ``batch_wait`` seconds (up to ``max_batch`` samples) into one
``score_batch`` call: one matcher call for many requests. ``max_pending`` bounds the samples queued or being scored;
beyond it the server answers 503 so the client backs off (OpenRLHF retries) instead of piling up memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .. import aio
from ..records import RecordError
from ..reward import RewardResult, RewardSample, RewardScorer
from . import ScorerSpec, open_scorer

MAX_BODY = 32 * 1024 * 1024


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # OpenRLHF opens one connection per sample, hundreds at once


class RequestError(ValueError):
    """A request the server refuses, with the HTTP status to answer."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def completion_of(query: str, prompt: str) -> str:
    return query[len(prompt) :] if prompt and query.startswith(prompt) else query


def parse_request(body: bytes) -> tuple[list[str], list[RewardSample]]:
    """Validate an OpenRLHF request: completions and samples, or :class:`RequestError` (400) saying what is wrong."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise RequestError(400, f"the body is not JSON ({exc})") from None
    if not isinstance(data, Mapping):
        raise RequestError(400, "the body must be a JSON object with query, prompts and labels")
    query, prompts, labels = data.get("query"), data.get("prompts"), data.get("labels")
    for name, value in (("query", query), ("labels", labels)):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise RequestError(400, f"{name!r} must be a list of strings")
    assert isinstance(query, list) and isinstance(labels, list)
    if prompts is None:
        prompts = [""] * len(query)
    if not isinstance(prompts, list) or not all(isinstance(v, str) for v in prompts):
        raise RequestError(400, "'prompts' must be a list of strings")
    if not (len(query) == len(prompts) == len(labels)):
        raise RequestError(
            400, f"query, prompts and labels differ in length ({len(query)}, {len(prompts)}, {len(labels)})"
        )
    samples = []
    for index, label in enumerate(labels):
        try:
            row = json.loads(label)
            if not isinstance(row, Mapping):
                raise ValueError("not an object")
            samples.append(RewardSample.from_row(row))
        except (ValueError, RecordError) as exc:
            raise RequestError(
                400, f"labels[{index}] is not a sample (JSON with human_checklist, human_label): {exc}"
            ) from None
    return [completion_of(q, p) for q, p in zip(query, prompts, strict=True)], samples


def response_body(results: list[RewardResult]) -> dict[str, Any]:
    metrics = [r.metrics() for r in results]
    logs = {key: [m[key] for m in metrics] for key in (metrics[0] if metrics else {})}
    return {
        "rewards": [r.score for r in results],
        "scores": [r.score for r in results],
        "extra_logs": logs,
    }


@dataclass(slots=True)
class _Job:
    completions: list[str]
    samples: list[RewardSample]
    future: asyncio.Future[list[RewardResult]]


class RewardServer:
    """The server: ``with RewardServer(spec, port=0) as server: server.url``. ``serve_forever`` for the CLI."""

    def __init__(
        self,
        spec: ScorerSpec,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_batch: int = 256,
        batch_wait: float = 0.005,
        max_pending: int = 4096,
        scorer: RewardScorer | None = None,
    ) -> None:
        self.spec = spec
        self.max_batch = max_batch
        self.batch_wait = batch_wait
        self.max_pending = max_pending
        self.requests = 0
        self.rejected = 0
        self.batches = 0
        self._pending = 0
        self._lock = threading.Lock()
        self._given_scorer = scorer
        self._scorer: RewardScorer | None = None
        self._loop = aio.new_event_loop()
        self._queue: asyncio.Queue[_Job] | None = None
        self._loop_thread = threading.Thread(
            target=self._loop.run_forever, name="reward-scoring", daemon=True
        )
        self._stack = contextlib.AsyncExitStack()
        self._worker: asyncio.Future[None] | None = None
        self.httpd = _HTTPServer((host, port), self._handler())
        self._http_thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> RewardServer:
        """Open the scorer (loads the matcher) and start answering in a background thread."""
        self._start_scoring()
        self._http_thread = threading.Thread(target=self.httpd.serve_forever, name="reward-http", daemon=True)
        self._http_thread.start()
        return self

    def _start_scoring(self) -> None:
        self._loop_thread.start()

        async def setup() -> None:
            self._queue = asyncio.Queue()
            self._scorer = self._given_scorer or await self._stack.enter_async_context(open_scorer(self.spec))
            self._worker = asyncio.ensure_future(self._work())

        asyncio.run_coroutine_threadsafe(setup(), self._loop).result()

    def serve_forever(self, *, freeze_startup_objects: bool = True) -> None:
        """Serve until :meth:`stop` (from another thread) or KeyboardInterrupt; what ``rationalerm serve-reward``
        runs, a process of its own.

        With ``freeze_startup_objects``, once the scorer is open (the matcher loaded) everything made so far is
        moved out of the garbage collector's reach (``gc.freeze()``, as vLLM's servers do after start-up): the
        modules, the client's types and the model are never garbage, and walking them on every full collection
        pauses the batch in flight (in ``benchmarks/reward_throughput.py`` the imports alone make about 50,000
        objects). Frozen objects are never collected, so leave it off
        when serving from a process whose objects of the moment may become garbage later."""
        self._start_scoring()
        if freeze_startup_objects:
            gc.collect()
            gc.freeze()
        try:
            self.httpd.serve_forever()
        finally:
            self._stop_scoring()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._http_thread is not None:
            self._http_thread.join(timeout=10)
        self._stop_scoring()

    def _stop_scoring(self) -> None:
        async def teardown() -> None:
            if self._worker is not None:
                self._worker.cancel()
            await self._stack.aclose()

        if self._loop.is_running():
            asyncio.run_coroutine_threadsafe(teardown(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop_thread.join(timeout=10)

    def __enter__(self) -> RewardServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def health(self) -> dict[str, Any]:
        stats = self._scorer.stats if self._scorer is not None else None
        return {
            "status": "ok" if self._scorer is not None else "starting",
            "kind": self.spec.kind,
            "matcher": self.spec.matcher if self.spec.needs_matcher() else None,
            "requests": self.requests,
            "rejected": self.rejected,
            "batches": self.batches,
            "pending": self._pending,
            "max_pending": self.max_pending,
            "scored": stats.scored if stats else 0,
            "cache_hits": stats.cache_hits if stats else 0,
        }

    # -- scoring -----------------------------------------------------------------------------------------------

    def score(self, completions: list[str], samples: list[RewardSample]) -> list[RewardResult]:
        """Queue a request's samples for the scoring loop and wait (handler threads); 503 when the server is full."""
        with self._lock:
            if self._pending + len(samples) > self.max_pending:
                self.rejected += 1
                raise RequestError(503, f"the server is full ({self._pending} samples pending); retry later")
            self._pending += len(samples)
        try:

            async def submit() -> list[RewardResult]:
                assert self._queue is not None
                future: asyncio.Future[list[RewardResult]] = self._loop.create_future()
                await self._queue.put(_Job(completions, samples, future))
                return await future

            return asyncio.run_coroutine_threadsafe(submit(), self._loop).result()
        finally:
            with self._lock:
                self._pending -= len(samples)

    async def _work(self) -> None:
        assert self._queue is not None and self._scorer is not None
        while True:
            jobs = [await self._queue.get()]
            size = len(jobs[0].samples)
            deadline = self._loop.time() + self.batch_wait
            while size < self.max_batch:
                timeout = deadline - self._loop.time()
                if timeout <= 0:
                    break
                try:
                    job = await asyncio.wait_for(self._queue.get(), timeout)
                except TimeoutError:
                    break
                jobs.append(job)
                size += len(job.samples)
            self.batches += 1
            completions = [c for job in jobs for c in job.completions]
            samples = [s for job in jobs for s in job.samples]
            try:
                results = await self._scorer.score_batch(completions, samples)
            except Exception as exc:  # a scorer bug must fail the requests, not kill the loop
                for job in jobs:
                    job.future.set_exception(exc)
                continue
            start = 0
            for job in jobs:
                job.future.set_result(results[start : start + len(job.samples)])
                start += len(job.samples)

    # -- HTTP --------------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per sample is noise
                return

            def _send(self, status: int, body: Mapping[str, Any]) -> None:
                data = json.dumps(body).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if status == 503:
                    self.send_header("Retry-After", "1")
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/") in ("/health", ""):
                    self._send(200, server.health())
                else:
                    self._send(404, {"error": f"no such path {self.path!r}; POST / or GET /health"})

            def do_POST(self) -> None:
                if self.path.rstrip("/") not in ("", "/get_reward"):
                    self._send(404, {"error": f"no such path {self.path!r}; POST / or /get_reward"})
                    return
                server.requests += 1
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    if length <= 0:
                        raise RequestError(400, "empty body (Content-Length is required)")
                    if length > MAX_BODY:
                        raise RequestError(413, f"body over {MAX_BODY} bytes")
                    completions, samples = parse_request(self.rfile.read(length))
                    results = server.score(completions, samples) if samples else []
                except RequestError as exc:
                    self._send(exc.status, {"error": str(exc)})
                    return
                except Exception as exc:
                    self._send(500, {"error": f"{type(exc).__name__}: {exc}"})
                    return
                self._send(200, response_body(results))

        return Handler


__all__ = ["MAX_BODY", "RequestError", "RewardServer", "completion_of", "parse_request", "response_body"]
