"""Long-lived scorers for framework entry points that are plain functions (verl imports ``compute_score`` by name).

Such a function is called thousands of times per run and must find a warm scorer: a loaded embedding model, open
judge connections, the reward cache. :class:`ScorerRuntime` keeps them, one per spec: the async form gets a scorer
opened in the caller's running loop (one per loop, since connection pools belong to a loop); the sync form runs on a
private background loop thread, so sync callers share one warm scorer too. The only module-level object is the
runtime that ``verl.py`` creates; tests build their own.
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

T = TypeVar("T")


class ScorerRuntime:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local: dict[ScorerSpec, Any] = {}
        self._per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[ScorerSpec, Any]] = (
            weakref.WeakKeyDictionary()
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stacks: list[contextlib.AsyncExitStack] = []
        self._thread: threading.Thread | None = None

    def _local_matcher(self, spec: ScorerSpec) -> Any:
        if not (spec.needs_matcher() and spec.matcher == "local"):
            return None
        key = ScorerSpec(matcher="local", threads=spec.threads)
        with self._lock:
            matcher = self._local.get(key)
            if matcher is None:
                matcher = self._local[key] = make_local_matcher(spec)
            return matcher

    async def scorer(self, spec: ScorerSpec) -> RewardScorer:
        """The scorer for ``spec`` in the running loop, opened on first use and kept for the loop's lifetime."""
        loop = asyncio.get_running_loop()
        scorers = self._per_loop.setdefault(loop, {})
        entry = scorers.get(spec)
        if entry is None:
            entry = scorers[spec] = asyncio.ensure_future(self._open(spec))
        return await asyncio.shield(entry)

    async def _open(self, spec: ScorerSpec) -> RewardScorer:
        # The stack must stay referenced: a collected context generator would close the judge connections.
        stack = contextlib.AsyncExitStack()
        self._stacks.append(stack)
        return await stack.enter_async_context(open_scorer(spec, local_matcher=self._local_matcher(spec)))

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


__all__ = ["ScorerRuntime"]
