"""``rationalerm serve-reward``: an HTTP reward server for OpenRLHF's remote reward (``--reward.remote_url``,
formerly ``--remote_rm_url``; method.md section 10).

``POST /`` (also ``/get_reward``) with ``{"query": [...], "prompts": [...], "labels": [...]}`` answers
``{"rewards": [...], "scores": [...], "extra_logs": {name: [...]}, "judge_failures": n}``. ``query`` is prompt +
response as OpenRLHF decodes it; the completion is ``query`` without its ``prompts`` prefix (the whole query when it
does not start with it). Each label is the JSON of the sample (``human_checklist``, ``human_label``, ``response1``,
``response2``, ``context``, ``golden``), as ``rationalerm prepare-rl --format openrlhf`` writes it. ``GET /health``
reports the settings and counters.

The server is an :mod:`aiohttp.web` application on one event loop (its own thread with :meth:`RewardServer.start`,
the calling thread with :meth:`RewardServer.serve_forever`), so an open connection costs a socket and a few objects,
never a thread. A connection that has not sent a whole request head within ``idle_timeout`` seconds (half-open
clients included), or sits idle that long between requests, is closed (aiohttp's keep-alive timer, which runs from
the moment a connection is accepted); a body must arrive within ``body_timeout``; bodies over ``MAX_BODY`` are
refused (413); beyond ``max_connections`` open connections a new one is closed at once. With ``token`` set, a
request must carry it (``Authorization: Bearer TOKEN``, or ``?token=TOKEN`` in the URL for clients that send no
headers, OpenRLHF 0.11's among them).

OpenRLHF sends one sample per request, many at once, and gives each request 180 s (5 tries). Requests are queued to
one scoring loop that gathers whatever arrived within ``batch_wait`` seconds (up to ``max_batch`` samples) into one
``score_batch`` call: one matcher call for many requests (with an LLM matcher, batches run side by side, so a slow
batch does not hold the next). ``max_pending`` bounds the samples queued or being scored; a request beyond it waits
for room (and is refused with 503 only if none frees before its deadline).

Every request is answered within ``deadline`` seconds (150 by default, below OpenRLHF's 180). A judge call that
fails for one sample (the judge's errors after its retries, an unreadable answer) does not fail the request: that
sample gets the fallback chosen with ``on_judge_failure`` (``zero``: reward 0; ``outcome``: 1[verdict correct]), is
flagged in ``extra_logs["judge_failed"]``, counted in ``judge_failures`` (the response, ``/health``) and logged.
When the deadline comes while the judge still works on a request, the samples still waiting on it (a right
verdict, whose reward the judge decides; the others' reward is known without it) get the fallback the same way if
the judge answered anything in the meantime (slow, not gone); if it answered nothing at all since the request came
in, the request fails (504) with a message naming the judge's URL, so the trainer's own retry gets a new chance. A
sample given the fallback keeps its failure status (``valid`` 0 in the logs).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hmac
import json
import logging
import signal
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from ..aio import new_event_loop
from ..errors import ConfigError, JudgeError
from ..records import RecordError
from ..reward import MATCH_FAILED, METARM_FAILED, OK, RewardConfig, RewardResult, RewardSample, RewardScorer
from . import ScorerSpec, open_scorer

logger = logging.getLogger(__name__)

MAX_BODY = 32 * 1024 * 1024
JUDGE_FAILURE_MODES = ("zero", "outcome")
JUDGE_FAILED = (MATCH_FAILED, METARM_FAILED)  # result statuses that mean "the judge failed this sample"
_ANSWER_MARGIN = 0.5  # seconds kept before the deadline to build the fallback answer and send it


# What asyncio's add_signal_handler raises where an event loop cannot take signal handlers (the Windows loops raise
# NotImplementedError; a loop outside the main thread raises RuntimeError).
_NO_SIGNAL_HANDLERS = (NotImplementedError, RuntimeError)


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
        except (ValueError, TypeError, RecordError) as exc:  # TypeError: a field of the wrong type (fuzzed)
            raise RequestError(
                400, f"labels[{index}] is not a sample (JSON with human_checklist, human_label): {exc}"
            ) from None
    return [completion_of(q, p) for q, p in zip(query, prompts, strict=True)], samples


def response_body(results: list[RewardResult], judge_failed: Sequence[bool] | None = None) -> dict[str, Any]:
    """The answer: rewards, scores, per-sample logs (the same keys in every answer, ``judge_failed`` included, so
    OpenRLHF can stack them) and the count of samples that got the judge-failure fallback."""
    failed = list(judge_failed) if judge_failed is not None else [False] * len(results)
    metrics = [r.metrics() for r in results]
    logs = {key: [m[key] for m in metrics] for key in (metrics[0] if metrics else {})}
    logs["judge_failed"] = [float(f) for f in failed]
    return {
        "rewards": [r.score for r in results],
        "scores": [r.score for r in results],
        "extra_logs": logs,
        "judge_failures": sum(failed),
    }


@dataclass(slots=True)
class _Job:
    completions: list[str]
    samples: list[RewardSample]
    future: asyncio.Future[list[RewardResult]]


class _Refused(asyncio.Protocol):
    """What a connection over the cap gets: closed as soon as it is accepted."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.close()


class RewardServer:
    """The server: ``with RewardServer(spec, port=0) as server: server.url``. ``serve_forever`` for the CLI.

    The listening socket is bound when the object is made (``url`` is known, and a port in use fails here); the
    scorer is opened (the matcher loaded) by :meth:`start` / :meth:`serve_forever`. See the module docstring for
    the timeouts, limits, deadline and judge-failure fallback."""

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
        token: str | None = None,
        deadline: float = 150.0,
        on_judge_failure: str = "zero",
        max_connections: int = 4096,
        idle_timeout: float = 20.0,
        body_timeout: float = 30.0,
        backlog: int = 1024,
    ) -> None:
        if on_judge_failure not in JUDGE_FAILURE_MODES:
            raise ConfigError(
                f"on_judge_failure must be one of {', '.join(JUDGE_FAILURE_MODES)}, not {on_judge_failure!r}"
            )
        if deadline <= 2 * _ANSWER_MARGIN:
            raise ConfigError(f"the deadline must be over {2 * _ANSWER_MARGIN:g} s")
        for name, value in (
            ("max_batch", max_batch),
            ("max_pending", max_pending),
            ("max_connections", max_connections),
        ):
            if value < 1:
                raise ConfigError(f"{name} must be at least 1")
        if idle_timeout <= 0 or body_timeout <= 0:
            raise ConfigError("idle_timeout and body_timeout must be positive")
        self.spec = spec
        self.max_batch = max_batch
        self.batch_wait = batch_wait
        self.max_pending = max_pending
        self.token = token or None
        self.deadline = deadline
        self.on_judge_failure = on_judge_failure
        self.max_connections = max_connections
        self.idle_timeout = idle_timeout
        self.body_timeout = body_timeout
        self.requests = 0
        self.rejected = 0  # 503: no room before the deadline
        self.unauthorized = 0
        self.batches = 0
        self.judge_failures = 0  # samples that got the fallback
        self.degraded_requests = 0  # requests answered with at least one fallback
        self.judge_timeouts = 0  # requests failed (504): the judge answered nothing before the deadline
        self.refused_connections = 0  # closed at once: over max_connections
        self._pending = 0
        self._given_scorer = scorer
        self._scorer: RewardScorer | None = None
        self._fallback: RewardScorer | None = None
        self._queue: asyncio.Queue[_Job] | None = None
        self._room: asyncio.Condition | None = None
        self._batches: set[asyncio.Task[None]] = set()
        self._stack = contextlib.AsyncExitStack()
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._done = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._last_log = 0.0
        self._unlogged = 0
        self._sock = socket.create_server((host, port), backlog=backlog)
        self._sock.setblocking(False)
        self._backlog = backlog

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> RewardServer:
        """Open the scorer (loads the matcher) and start answering on an event loop in a background thread."""
        loop = new_event_loop()

        def run() -> None:
            try:
                loop.run_until_complete(self._serve())
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="reward-server", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            self._thread.join(timeout=30)
            raise self._error
        return self

    def serve_forever(self, *, freeze_startup_objects: bool = True) -> None:
        """Serve in this thread until :meth:`stop` (from another thread), SIGINT or SIGTERM (in the main thread);
        what ``rationalerm serve-reward`` runs, a process of its own.

        With ``freeze_startup_objects``, once the scorer is open (the matcher loaded) everything made so far is
        moved out of the garbage collector's reach (``gc.freeze()``, as vLLM's servers do after start-up): the
        modules, the client's types and the model are never garbage, and walking them on every full collection
        pauses the batch in flight (in ``benchmarks/reward_throughput.py`` the imports alone make about 50,000
        objects). Frozen objects are never collected, so leave it off
        when serving from a process whose objects of the moment may become garbage later."""
        loop = new_event_loop()
        self._stopping = asyncio.Event()
        if threading.current_thread() is threading.main_thread():
            # SIGINT and SIGTERM stop the server between two callbacks (closing connections and the scorer), not
            # as an exception in whatever request handler runs at that moment. Where the loop cannot take signal
            # handlers (Windows' event loops), Ctrl-C still stops it through the KeyboardInterrupt below.
            for number in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(*_NO_SIGNAL_HANDLERS):
                    loop.add_signal_handler(number, self._stopping.set)
        serving = loop.create_task(self._serve(freeze_startup_objects=freeze_startup_objects))
        try:
            loop.run_until_complete(serving)
        except KeyboardInterrupt:  # close the connections and the scorer, then stop
            if self._stopping is not None:
                self._stopping.set()
                loop.run_until_complete(serving)
            raise
        finally:
            loop.close()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Stop serving (from any thread but the server's): open connections are closed, the scorer too."""
        if self._loop is not None and self._stopping is not None and not self._done.is_set():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._stopping.set)
        self._done.wait(timeout=60)
        if self._thread is not None:
            self._thread.join(timeout=30)

    def __enter__(self) -> RewardServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def _serve(self, *, freeze_startup_objects: bool = False) -> None:
        try:
            try:
                await self._open()
            except BaseException as exc:
                self._error = exc
                return
            finally:
                self._ready.set()
            if freeze_startup_objects:
                gc.collect()
                gc.freeze()
            assert self._stopping is not None
            await self._stopping.wait()
        finally:
            await self._close()
            self._done.set()

    async def _open(self) -> None:
        loop = self._loop = asyncio.get_running_loop()
        if self._stopping is None:
            self._stopping = asyncio.Event()
        self._queue = asyncio.Queue()
        self._room = asyncio.Condition()
        self._scorer = self._given_scorer or await self._stack.enter_async_context(open_scorer(self.spec))
        config = self._scorer.config
        # The fallback's outcome (1[verdict correct]) needs no judge: the same parsing and guards, kind outcome.
        self._fallback = RewardScorer(
            RewardConfig(
                kind="outcome", style=config.style, guards=config.guards, golden_field=config.golden_field
            )
        )
        self._worker = asyncio.ensure_future(self._work())
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/health", self._health)
        app.router.add_get("/", self._health)
        app.router.add_post("/", self._get_reward)
        app.router.add_post("/get_reward", self._get_reward)
        app.router.add_route("*", "/{path:.*}", self._not_found)
        # keepalive_timeout: aiohttp arms it when a connection is accepted and again after each answer, and closes
        # the connection when it fires with no request in progress: a client that never finishes its request head
        # (half-open, slowloris) is dropped after idle_timeout like an idle keep-alive connection.
        runner = self._runner = web.AppRunner(
            app,
            access_log=None,
            keepalive_timeout=self.idle_timeout,
            shutdown_timeout=1.0,
            handle_signals=False,
        )
        await runner.setup()
        protocols = runner.server
        assert protocols is not None

        def accept() -> asyncio.BaseProtocol:  # called once per accepted connection
            if len(protocols.connections) >= self.max_connections:
                self.refused_connections += 1
                return _Refused()
            return protocols()

        # aiohttp's own protocol factory served on the bound socket, as its low-level server docs show (TCPSite
        # would do the same with no hook to cap connections).
        self._server = await loop.create_server(accept, sock=self._sock, backlog=self._backlog)

    async def _close(self) -> None:
        server = getattr(self, "_server", None)
        if server is not None:
            server.close()
        if self._runner is not None:
            await self._runner.cleanup()
        worker = getattr(self, "_worker", None)
        for task in [*([worker] if worker is not None else []), *self._batches]:
            task.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.gather(*self._batches, return_exceptions=True)
        if self._fallback is not None:
            self._fallback.close()
        await self._stack.aclose()
        self._sock.close()

    @property
    def url(self) -> str:
        host, port = self._sock.getsockname()[:2]
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{port}"

    def health(self) -> dict[str, Any]:
        stats = self._scorer.stats if self._scorer is not None else None
        protocols = self._runner.server if self._runner is not None else None
        return {
            "status": "ok" if self._scorer is not None else "starting",
            "kind": self.spec.kind,
            "matcher": self.spec.matcher if self.spec.needs_matcher() else None,
            "judge": self.judge_urls(),
            "requests": self.requests,
            "rejected": self.rejected,
            "unauthorized": self.unauthorized,
            "batches": self.batches,
            "pending": self._pending,
            "max_pending": self.max_pending,
            "deadline": self.deadline,
            "on_judge_failure": self.on_judge_failure,
            "judge_failures": self.judge_failures,
            "degraded_requests": self.degraded_requests,
            "judge_timeouts": self.judge_timeouts,
            "connections": len(protocols.connections) if protocols is not None else 0,
            "max_connections": self.max_connections,
            "refused_connections": self.refused_connections,
            "scored": stats.scored if stats else 0,
            "cache_hits": stats.cache_hits if stats else 0,
        }

    # -- the judge ---------------------------------------------------------------------------------------------

    def _judge_pools(self) -> list[Any]:
        scorer = self._scorer
        if scorer is None:
            return []
        pools = [getattr(scorer.matcher, "pool", None), scorer.metarm]
        return [pool for pool in pools if pool is not None]

    def judge_urls(self) -> list[str]:
        """The judge endpoints the scorer calls (without credentials); empty without an LLM judge."""
        return [url for pool in self._judge_pools() for url in pool.base_urls]

    def _judge_answers(self) -> int:
        return sum(pool.stats.answers for pool in self._judge_pools())

    # -- scoring -----------------------------------------------------------------------------------------------

    async def _admit(self, n: int, until: float) -> None:
        """Wait for room for ``n`` samples (a request larger than ``max_pending`` waits for an empty server)."""
        assert self._room is not None and self._loop is not None
        async with self._room:
            try:
                await asyncio.wait_for(
                    self._room.wait_for(lambda: self._pending == 0 or self._pending + n <= self.max_pending),
                    max(0.0, until - self._loop.time()),
                )
            except TimeoutError:
                self.rejected += 1
                raise RequestError(
                    503,
                    f"the server is full ({self._pending} samples pending) until the deadline; retry later",
                ) from None
            self._pending += n

    async def _release(self, n: int) -> None:
        assert self._room is not None
        async with self._room:
            self._pending -= n
            self._room.notify_all()

    async def score(
        self, completions: list[str], samples: list[RewardSample], *, until: float
    ) -> dict[str, Any]:
        """Score one request by the loop time ``until``: the response body, judge failures given the fallback."""
        assert self._queue is not None and self._loop is not None
        loop = self._loop
        await self._admit(len(samples), until - _ANSWER_MARGIN)
        answers_before = self._judge_answers()
        future: asyncio.Future[list[RewardResult]] = loop.create_future()
        self._queue.put_nowait(_Job(completions, samples, future))
        try:
            results = await asyncio.wait_for(
                asyncio.shield(future), max(0.0, until - _ANSWER_MARGIN - loop.time())
            )
        except TimeoutError:
            # The judge-free part (parsing, guards, outcome) settles every sample whose reward needs no judge
            # (a wrong verdict or none: 0); only the others are waiting on the judge.
            judge_free = await self._judge_free(completions, samples)
            waiting = [self._needs_judge(r) for r in judge_free]
            if not any(waiting):
                return response_body(judge_free)
            urls = ", ".join(self.judge_urls()) or "(no judge)"
            if self._judge_answers() == answers_before:
                self.judge_timeouts += 1
                message = (
                    f"the judge at {urls} answered nothing within the {self.deadline:g} s deadline "
                    f"({sum(waiting)} samples not scored); is it up and reachable from this host?"
                )
                logger.error("%s", message)
                raise RequestError(504, message) from None
            reason = f"no answer within the {self.deadline:g} s deadline"
            results = [
                self._fall_back(replace(r, status=MATCH_FAILED, reason=reason)) if w else r
                for r, w in zip(judge_free, waiting, strict=True)
            ]
            return self._answer(results, waiting, reason)
        failed = [r.status in JUDGE_FAILED for r in results]
        if any(failed):
            reasons = {r.reason or r.status for r, f in zip(results, failed, strict=True) if f}
            results = [self._fall_back(r) if f else r for r, f in zip(results, failed, strict=True)]
            return self._answer(results, failed, "; ".join(sorted(reasons)))
        return response_body(results)

    async def _judge_free(self, completions: list[str], samples: list[RewardSample]) -> list[RewardResult]:
        """Each sample's result as far as it goes without the judge: parsing, guards and the outcome, scored as the
        served kind scores a sample whose outcome is wrong (0) and 0 for now where the judge would decide."""
        assert self._fallback is not None
        outcomes = await self._fallback.score_batch(completions, samples)
        if self.spec.kind == "outcome":
            return outcomes
        return [replace(r, score=0.0, kind=self.spec.kind) for r in outcomes]  # type: ignore[arg-type]

    def _needs_judge(self, result: RewardResult) -> bool:
        """Whether the reward of this judge-free result still waits on the judge (hybrid: AP, ralign: the MetaRM;
        only for a right verdict, the gate)."""
        return self.spec.kind != "outcome" and result.status == OK and result.outcome == 1.0

    def _fall_back(self, result: RewardResult) -> RewardResult:
        """A sample the judge failed: the chosen fallback reward; its status keeps the failure (valid 0)."""
        return replace(result, score=result.outcome if self.on_judge_failure == "outcome" else 0.0)

    def _answer(self, results: list[RewardResult], failed: list[bool], reason: str) -> dict[str, Any]:
        n = sum(failed)
        self.judge_failures += n
        self.degraded_requests += 1
        self._unlogged += n
        now = time.monotonic()
        if now - self._last_log >= 10.0:  # the first failure at once, then a summary at most every 10 s
            logger.warning(
                "judge at %s failed %d sample(s) since the last report (%d in all); they got the %r fallback. "
                "Last: %s",
                ", ".join(self.judge_urls()) or "(no judge)",
                self._unlogged,
                self.judge_failures,
                self.on_judge_failure,
                reason,
            )
            self._last_log, self._unlogged = now, 0
        return response_body(results, failed)

    async def _work(self) -> None:
        assert self._queue is not None and self._scorer is not None
        # An LLM matcher waits on the judge: batches run side by side, so a slow one does not hold the next
        # (max_pending bounds them all). A local matcher computes: one batch at a time.
        side_by_side = bool(self._judge_pools())
        loop = asyncio.get_running_loop()
        while True:
            jobs = [await self._queue.get()]
            size = len(jobs[0].samples)
            deadline = loop.time() + self.batch_wait
            while size < self.max_batch:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    job = await asyncio.wait_for(self._queue.get(), timeout)
                except TimeoutError:
                    break
                jobs.append(job)
                size += len(job.samples)
            self.batches += 1
            if side_by_side:
                task = asyncio.ensure_future(self._run_batch(jobs))
                self._batches.add(task)
                task.add_done_callback(self._batches.discard)
            else:
                await self._run_batch(jobs)

    async def _run_batch(self, jobs: list[_Job]) -> None:
        assert self._scorer is not None
        completions = [c for job in jobs for c in job.completions]
        samples = [s for job in jobs for s in job.samples]
        try:
            results = await self._scorer.score_batch(completions, samples)
        except Exception as exc:  # a refused judge or a scorer bug fails these requests, not the loop
            for job in jobs:
                if not job.future.done():
                    job.future.set_exception(exc)
                    job.future.exception()  # retrieved: a request past its deadline no longer awaits it
            return
        finally:
            await self._release(len(samples))
        start = 0
        for job in jobs:
            if not job.future.done():
                job.future.set_result(results[start : start + len(job.samples)])
            start += len(job.samples)

    # -- HTTP --------------------------------------------------------------------------------------------------

    def _authorized(self, request: web.Request) -> bool:
        if self.token is None:
            return True
        given = request.query.get("token", "")
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            given = header[7:].strip()
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _refuse(self) -> web.Response:
        self.unauthorized += 1
        return web.json_response(
            {"error": "a token is required: Authorization: Bearer TOKEN, or ?token=TOKEN in the URL"},
            status=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    async def _health(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._refuse()
        return web.json_response(self.health())

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"error": f"no such path {request.path!r}; POST / or /get_reward, GET /health"}, status=404
        )

    async def _get_reward(self, request: web.Request) -> web.Response:
        assert self._loop is not None
        until = self._loop.time() + self.deadline
        self.requests += 1
        if not self._authorized(request):
            return self._refuse()
        try:
            try:
                body = await asyncio.wait_for(request.read(), self.body_timeout)
            except TimeoutError:
                raise RequestError(408, f"the body did not arrive within {self.body_timeout:g} s") from None
            except web.HTTPRequestEntityTooLarge:
                raise RequestError(413, f"body over {MAX_BODY} bytes") from None
            if not body:
                raise RequestError(400, "empty body")
            completions, samples = parse_request(body)
            answer = await self.score(completions, samples, until=until) if samples else response_body([])
        except RequestError as exc:
            headers = {"Retry-After": "1"} if exc.status == 503 else None
            return web.json_response({"error": str(exc)}, status=exc.status, headers=headers)
        except JudgeError as exc:  # the judge refuses the run (key, model): its message says what to change
            return web.json_response({"error": str(exc)}, status=502)
        except Exception as exc:
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"}, status=500)
        return web.json_response(answer)


__all__ = [
    "JUDGE_FAILURE_MODES",
    "MAX_BODY",
    "RequestError",
    "RewardServer",
    "completion_of",
    "parse_request",
    "response_body",
]
