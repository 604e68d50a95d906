"""A micro-batcher for a CPU matcher called once per trajectory (verl's reward loop calls the reward that way).

:class:`MicroBatcher` is a :class:`~rationalerm.matchers.Matcher` in front of a matcher with a synchronous
``match_many`` (:class:`~rationalerm.matchers.local.LocalMatcher`). Concurrent ``match`` calls, from any event loop
or thread of the process, are queued to one worker thread, which takes the first, waits ``wait`` seconds (a few ms)
for more, and runs the wrapped matcher once on all of them (up to ``max_requests`` requests): the encoder embeds a
batch rather than one completion's reasons at a time, and the wrapped matcher (not thread-safe) is only ever called
from that thread.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Sequence
from typing import Any, Protocol

from ..matchers import MatchOutcome, MatchRequest


class BatchMatcher(Protocol):
    name: str

    def settings(self) -> dict[str, Any]: ...

    def match_many(self, requests: Sequence[MatchRequest]) -> list[MatchOutcome]: ...


_Job = tuple[list[MatchRequest], asyncio.AbstractEventLoop, "asyncio.Future[list[MatchOutcome]]"]


class MicroBatcher:
    """Gathers concurrent ``match`` calls into batches for ``matcher.match_many``. ``batches`` and ``requests``
    count what the wrapped matcher was given (``requests / batches`` is the mean batch size)."""

    def __init__(self, matcher: BatchMatcher, *, wait: float = 0.005, max_requests: int = 512) -> None:
        if wait < 0 or max_requests < 1:
            raise ValueError("wait must be >= 0 and max_requests >= 1")
        self.matcher = matcher
        self.name = matcher.name
        self.wait = wait
        self.max_requests = max_requests
        self.batches = 0
        self.requests = 0
        self._queue: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def settings(self) -> dict[str, Any]:
        return self.matcher.settings()

    async def match(self, requests: Sequence[MatchRequest]) -> list[MatchOutcome]:
        if not requests:
            return []
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[MatchOutcome]] = loop.create_future()
        self._start()
        self._queue.put((list(requests), loop, future))
        return await future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="rationalerm-microbatch", daemon=True
                )
                self._thread.start()

    def _serve(self) -> None:
        while True:
            jobs = [self._queue.get()]
            size = len(jobs[0][0])
            deadline = time.monotonic() + self.wait
            while size < self.max_requests:
                remaining = deadline - time.monotonic()
                try:
                    job = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
                except queue.Empty:
                    break
                jobs.append(job)
                size += len(job[0])
            self._run(jobs)

    def _run(self, jobs: list[_Job]) -> None:
        flat = [request for requests, _, _ in jobs for request in requests]
        outcomes: list[MatchOutcome] = []
        error: BaseException | None = None
        try:
            outcomes = self.matcher.match_many(flat)
        except BaseException as exc:  # handed to every caller of the batch, the thread goes on
            error = exc
        self.batches += 1
        self.requests += len(flat)
        start = 0
        for requests, loop, future in jobs:
            part = outcomes[start : start + len(requests)]
            start += len(requests)
            try:
                loop.call_soon_threadsafe(_settle, future, part, error)
            except RuntimeError:  # the caller's loop is closed: nobody waits for this answer
                pass


def _settle(
    future: asyncio.Future[list[MatchOutcome]], outcomes: list[MatchOutcome], error: BaseException | None
) -> None:
    if future.done():  # cancelled by its caller
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(outcomes)


__all__ = ["BatchMatcher", "MicroBatcher"]
