"""Bounded concurrent mapping for work that waits on a judge server, and the event loop rationalerm runs it on.

Starting one task per item at once (``asyncio.gather`` over thousands of requests) makes every task build its
request before the event loop looks at the network again: with a few thousand prompts that is a few hundred ms in
which the first answers, and even the connections being opened, wait unread while the server idles.
:func:`iter_bounded` keeps at most ``limit`` items in progress, starts ``start`` of them on the first turn (one per
request slot) and a few more on each later one, and yields results as they finish.

Where rationalerm owns the event loop (the CLI commands, ``serve-reward``, the synchronous adapters), it runs on
uvloop when that is installed (it is a dependency on Linux and macOS): the client's own CPU per judge request is
what limits a judge run at high concurrency, and uvloop's C event loop and transports cut it. The environment
variable ``RATIONALERM_EVENT_LOOP`` chooses: ``auto`` (default), ``uvloop`` (required) or ``asyncio``. Code that
brings its own loop (``await scorer.score_batch(...)`` in a trainer's loop) keeps it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

from .errors import ConfigError

Item = TypeVar("Item")
Result = TypeVar("Result")
T = TypeVar("T")

__all__ = ["EVENT_LOOP_ENV", "event_loop_name", "iter_bounded", "map_bounded", "new_event_loop", "run"]

EVENT_LOOP_ENV = "RATIONALERM_EVENT_LOOP"
_EVENT_LOOPS = ("auto", "uvloop", "asyncio")


def _loop_factory() -> tuple[str, Callable[[], asyncio.AbstractEventLoop]]:
    choice = (os.environ.get(EVENT_LOOP_ENV) or "auto").strip().lower()
    if choice not in _EVENT_LOOPS:
        raise ConfigError(f"{EVENT_LOOP_ENV} must be one of {', '.join(_EVENT_LOOPS)}, not {choice!r}")
    if choice != "asyncio":
        try:
            import uvloop
        except ImportError:
            if choice == "uvloop":
                raise RuntimeError(
                    f"{EVENT_LOOP_ENV}=uvloop but uvloop is not installed (pip install uvloop)"
                ) from None
        else:
            return "uvloop", uvloop.new_event_loop
    return "asyncio", asyncio.new_event_loop


def event_loop_name() -> str:
    """The event loop :func:`run` and :func:`new_event_loop` use here: ``uvloop`` or ``asyncio``."""
    return _loop_factory()[0]


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new event loop of the chosen kind (for a loop run on a thread of its own)."""
    return _loop_factory()[1]()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(coro)`` on the chosen event loop."""
    with asyncio.Runner(loop_factory=_loop_factory()[1]) as runner:
        return runner.run(coro)


# Items started per finished item while the window fills: enough to keep ahead of the request slots, few enough
# that building them never holds the event loop for long.
GROWTH = 4


async def iter_bounded(
    items: Iterable[Item],
    run: Callable[[Item], Awaitable[Result]],
    *,
    limit: int,
    start: int | None = None,
) -> AsyncIterator[tuple[int, Result]]:
    """``(index, result)`` of ``run(item)`` for every item, in completion order, at most ``limit`` at a time.

    ``items`` is consumed lazily (a generator of a large file is never materialised). The first turn starts
    ``start`` items (default ``limit``), each later one up to :data:`GROWTH` more. An exception from ``run`` is
    raised here; the items still in progress are then cancelled, as they are when the caller stops iterating.
    """
    if limit < 1:
        raise ValueError("limit must be at least 1")
    burst = max(1, min(limit, start if start is not None else limit))
    # Finished tasks arrive through a queue fed by done-callbacks: O(1) per item. (``asyncio.wait`` on the pending
    # set would add and remove a callback on every pending task at every wake-up, O(limit) each time.)
    finished: asyncio.Queue[asyncio.Task[tuple[int, Result]]] = asyncio.Queue()
    pending: set[asyncio.Task[tuple[int, Result]]] = set()
    source = enumerate(items)
    exhausted = False

    async def indexed(index: int, item: Item) -> tuple[int, Result]:
        return index, await run(item)

    try:
        while True:
            started = 0
            while not exhausted and len(pending) < limit and started < burst:
                nxt = next(source, None)
                if nxt is None:
                    exhausted = True
                    break
                started += 1
                task = asyncio.ensure_future(indexed(*nxt))
                task.add_done_callback(finished.put_nowait)
                pending.add(task)
            burst = GROWTH
            if not pending:
                return
            task = await finished.get()
            pending.discard(task)
            yield task.result()
    finally:
        for task in pending:
            task.cancel()


async def map_bounded(
    items: Iterable[Item],
    run: Callable[[Item], Awaitable[Result]],
    *,
    limit: int,
    start: int | None = None,
) -> list[Result]:
    """:func:`iter_bounded`, results in input order."""
    results: dict[int, Result] = {}
    async for index, result in iter_bounded(items, run, limit=limit, start=start):
        results[index] = result
    return [results[index] for index in range(len(results))]
