"""Long-lived scorers for framework entry points that are plain functions (verl imports ``compute_score`` by name).

Such a function is called thousands of times per run, once per trajectory and many at once, and must find a warm
scorer: a loaded embedding model, open judge connections, the reward cache. :class:`ScorerRuntime` keeps them, one
per spec: the async form gets a scorer opened in the caller's running loop (one per loop, since connection pools
belong to a loop), so the concurrent calls of one verl reward worker share one judge pool and one cache; the sync
form runs on a private background loop thread, so sync callers (verl runs them on its executor threads) share one
warm scorer too. The local matcher is loaded once per process and put behind one
:class:`~rationalerm.integrations.microbatch.MicroBatcher`, which gathers the concurrent per-trajectory calls of
every loop into encoder batches.

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

from .. import aio
from ..reward import RewardScorer
from . import ScorerSpec, make_local_matcher, open_scorer
from .microbatch import MicroBatcher

T = TypeVar("T")


class ScorerRuntime:
    """``batch_wait``: how long the local matcher's micro-batcher waits for more concurrent calls (seconds)."""

    def __init__(self, *, batch_wait: float = 0.005) -> None:
        self.batch_wait = batch_wait
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
        loop = asyncio.get_running_loop()
        scorers = self._per_loop.setdefault(loop, {})
        entry = scorers.get(spec)
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

    async def _open(self, spec: ScorerSpec) -> RewardScorer:
        # The stack must stay referenced: a collected context generator would close the judge connections.
        stack = contextlib.AsyncExitStack()
        scorer = await stack.enter_async_context(open_scorer(spec, local_matcher=self.local_matcher(spec)))
        self._stacks.append(stack)
        return scorer

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the runtime's background loop and wait for it (for synchronous entry points)."""
        with self._lock:
            if self._loop is None:
                loop = aio.new_event_loop()
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
