"""Long-lived scorers for framework entry points that are plain functions (verl imports ``compute_score`` by name).

Such a function is called thousands of times per run, once per trajectory and many at once, and must find a warm
scorer: a loaded embedding model, open judge connections, the reward cache. :class:`ScorerRuntime` keeps them, one
per spec: the async form gets a scorer opened in the caller's running loop (one per loop, since connection pools
belong to a loop: one judge pool, one aiohttp connector and at most ``concurrency`` connections for all the calls of
that loop), so the concurrent calls of one verl reward worker share one judge pool and one cache; the sync form runs
on a private background loop thread, so sync callers (verl runs them on its executor threads) share one warm scorer
too. The local matcher is loaded once per process and put behind one
:class:`~rationalerm.integrations.microbatch.MicroBatcher`, which gathers the concurrent per-trajectory calls of
every loop into encoder batches.

:meth:`ScorerRuntime.score` is the per-trajectory call. It does not score one completion at a time: the calls of a
loop that arrive close together (until none came for ``gather_wait`` seconds, at most ``gather_max_wait`` after the
first) are scored as one :meth:`~rationalerm.reward.RewardScorer.score_batch`, so a per-trajectory run costs about
what a batch costs: for the local matcher up to ``gather_max`` calls, screened before the encoder runs rather than
beside it (on 2 cores a loop screening beside the encoder's threads slows both); for an LLM matcher the scorer's
pipeline part (:attr:`~rationalerm.reward.RewardScorer.pipeline_part`, 4 calls), sent as soon as it is full, since
a batch's callers are answered together.
Each caller gets its own result; a call cancelled while it waits is left out of its batch; an error of the batch
(the judge refused the run ...) is raised in each of its callers.

:func:`shared_runtime` is the process's runtime: ``verl.py`` uses it, whether verl imported it as
``pkg://rationalerm.integrations.verl`` or executed it again from its file path. Tests build their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

from ..aio import new_event_loop
from ..reward import RewardResult, RewardSample, RewardScorer
from . import ScorerSpec, make_local_matcher, open_scorer
from .microbatch import MicroBatcher

T = TypeVar("T")


class _Gatherer:
    """The per-trajectory calls of one loop for one scorer, gathered into ``score_batch`` calls."""

    def __init__(self, scorer: RewardScorer, wait: float, max_wait: float, max_calls: int) -> None:
        self.scorer = scorer
        self.wait = wait
        self.max_wait = max_wait
        self.max_calls = max_calls
        self.batches = 0  # score_batch calls made
        self.calls = 0  # per-trajectory calls they carried
        self._pending: list[tuple[Any, RewardSample, asyncio.Future[RewardResult]]] = []
        self._first = self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._running: set[asyncio.Task[None]] = set()  # referenced until done

    async def score(self, completion: Any, sample: RewardSample) -> RewardResult:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[RewardResult] = loop.create_future()
        now = loop.time()
        if not self._pending:
            self._first = now
        self._last = now
        self._pending.append((completion, sample, future))
        if len(self._pending) >= self.max_calls:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_at(now + self.wait, self._due)
        return await future

    def _due(self) -> None:
        """The timer: flush once no call came for ``wait`` (or ``max_wait`` has passed), else look again then."""
        self._timer = None
        if not self._pending:
            return
        loop = asyncio.get_running_loop()
        due = min(self._last + self.wait, self._first + self.max_wait)
        if due > loop.time():
            self._timer = loop.call_at(due, self._due)
        else:
            self._flush()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        jobs = [job for job in self._pending if not job[2].done()]  # a cancelled caller is left out
        self._pending = []
        if jobs:
            task = asyncio.ensure_future(self._run(jobs))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run(self, jobs: list[tuple[Any, RewardSample, asyncio.Future[RewardResult]]]) -> None:
        self.batches += 1
        self.calls += len(jobs)
        try:
            results = await self.scorer.score_batch([job[0] for job in jobs], [job[1] for job in jobs])
        except asyncio.CancelledError:
            for _, _, future in jobs:
                future.cancel()
            raise
        except Exception as exc:  # each caller raises it (the batch's callers all asked the same judge)
            for _, _, future in jobs:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, _, future), result in zip(jobs, results, strict=True):
            if not future.done():
                future.set_result(result)


class ScorerRuntime:
    """``batch_wait``: how long the local matcher's micro-batcher waits for more concurrent calls (seconds).
    ``gather_wait`` / ``gather_max_wait`` / ``gather_max``: how per-trajectory calls are gathered into batches
    (see the module docstring). ``scorers_opened`` counts the scorers opened (one per spec and event loop)."""

    def __init__(
        self,
        *,
        batch_wait: float = 0.005,
        gather_wait: float = 0.002,
        gather_max_wait: float = 0.02,
        gather_max: int = 1024,
    ) -> None:
        if min(batch_wait, gather_wait, gather_max_wait) < 0 or gather_max < 1:
            raise ValueError("waits must be >= 0 and gather_max >= 1")
        self.batch_wait = batch_wait
        self.gather_wait = gather_wait
        self.gather_max_wait = gather_max_wait
        self.gather_max = gather_max
        self.scorers_opened = 0
        self._lock = threading.Lock()
        self._local: dict[ScorerSpec, MicroBatcher] = {}
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[ScorerSpec, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stacks: list[contextlib.AsyncExitStack] = []
        self._thread: threading.Thread | None = None

    def local_matcher(self, spec: ScorerSpec) -> MicroBatcher | None:
        """The process's local matcher for ``spec`` (behind its micro-batcher), loaded on first use; None when
        ``spec`` needs no local matcher."""
        if not (spec.needs_matcher() and spec.matcher == "local"):
            return None
        key = ScorerSpec(matcher="local", threads=spec.threads, local_backend=spec.local_backend)
        with self._lock:
            batcher = self._local.get(key)
            if batcher is None:
                batcher = self._local[key] = MicroBatcher(make_local_matcher(spec), wait=self.batch_wait)
            return batcher

    async def scorer(self, spec: ScorerSpec) -> RewardScorer:
        """The scorer for ``spec`` in the running loop, opened on first use and kept for the loop's lifetime."""
        return (await self._gatherer(spec)).scorer

    async def score(self, spec: ScorerSpec, completion: Any, sample: RewardSample) -> RewardResult:
        """One completion's result, scored in a batch with the calls of this loop that arrive close to it."""
        return await (await self._gatherer(spec)).score(completion, sample)

    def gathered(self, spec: ScorerSpec) -> tuple[int, int]:
        """``(batches, calls)``: the ``score_batch`` calls made for ``spec`` in the running loop, and the
        per-trajectory calls they carried."""
        entry = self._per_loop.get(asyncio.get_running_loop(), {}).get(spec)
        if entry is None or not entry.done() or entry.cancelled() or entry.exception() is not None:
            return 0, 0
        gatherer = entry.result()
        return gatherer.batches, gatherer.calls

    async def _gatherer(self, spec: ScorerSpec) -> _Gatherer:
        loop = asyncio.get_running_loop()
        scorers = self._per_loop.get(loop)
        if scorers is None:
            scorers = self._per_loop[loop] = {}
        entry = scorers.get(spec)
        if entry is not None and entry.done() and not entry.cancelled() and entry.exception() is None:
            return entry.result()  # the common case: no shield, no new future per call
        if entry is None:
            entry = scorers[spec] = asyncio.ensure_future(self._open(spec))
        try:
            return await asyncio.shield(entry)
        except Exception:
            if (
                scorers.get(spec) is entry
            ):  # a failed opening (judge unreachable ...) is retried by the next call
                del scorers[spec]
            raise

    async def _open(self, spec: ScorerSpec) -> _Gatherer:
        # The stack must stay referenced: a collected context generator would close the judge connections.
        stack = contextlib.AsyncExitStack()
        scorer = await stack.enter_async_context(open_scorer(spec, local_matcher=self.local_matcher(spec)))
        self._stacks.append(stack)
        with self._lock:
            self.scorers_opened += 1
        # A scorer that waits on a judge gets batches of its pipeline part (a few completions, sent at once): a
        # batch's callers are answered together, and a larger batch would hold its first answers for its last.
        return _Gatherer(
            scorer, self.gather_wait, self.gather_max_wait, scorer.pipeline_part or self.gather_max
        )

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the runtime's background loop and wait for it (for synchronous entry points)."""
        with self._lock:
            if self._loop is None:
                loop = new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="rationalerm-reward", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            loop = self._loop
        return asyncio.run_coroutine_threadsafe(coro, loop).result()


_SHARED: ScorerRuntime | None = None
_SHARED_LOCK = threading.Lock()


def shared_runtime() -> ScorerRuntime:
    """The process-wide runtime, made on first use."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = ScorerRuntime()
        return _SHARED


__all__ = ["ScorerRuntime", "shared_runtime"]
