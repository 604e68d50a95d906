"""Bounded concurrent mapping: order, the limit, the first burst, errors and early stops; the event loop choice."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import pytest

from rationalerm import aio
from rationalerm.aio import GROWTH, iter_bounded, map_bounded


def test_results_in_input_order_with_at_most_limit_running() -> None:
    running = peak = 0

    async def work(x: int) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.001 * (x % 5))
        running -= 1
        return x * x

    assert asyncio.run(map_bounded(range(200), work, limit=7)) == [x * x for x in range(200)]
    assert peak == 7


def test_first_turn_starts_only_start_items_then_grows() -> None:
    started: list[int] = []
    gates: dict[int, asyncio.Event] = {}

    async def work(x: int) -> int:
        started.append(x)
        gates[x] = asyncio.Event()
        await gates[x].wait()
        return x

    async def go() -> list[int]:
        results = iter_bounded(range(100), work, limit=40, start=8)
        async with contextlib.aclosing(results):
            first = asyncio.ensure_future(results.__anext__())
            for _ in range(5):
                await asyncio.sleep(0)
            assert len(started) == 8  # one per request slot, not the whole window
            gates[0].set()
            assert (await first)[0] == 0
            # asking for the next result starts a few more, not the rest of the window
            second = asyncio.ensure_future(results.__anext__())
            for _ in range(5):
                await asyncio.sleep(0)
            seen = list(started)
            gates[1].set()
            assert (await second)[0] == 1
            return seen

    seen = asyncio.run(go())
    assert len(seen) == 8 + GROWTH and seen == list(range(8 + GROWTH))


def test_an_error_propagates_and_the_rest_is_cancelled() -> None:
    cancelled = 0

    async def work(x: int) -> int:
        nonlocal cancelled
        if x == 3:
            raise ValueError("item 3 is bad")
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            cancelled += 1
            raise
        return x

    with pytest.raises(ValueError, match="item 3"):
        asyncio.run(map_bounded(range(10), work, limit=5))
    assert cancelled == 4  # the other items in progress when 3 failed


def test_stopping_early_cancels_what_is_in_progress_and_reads_items_lazily() -> None:
    consumed = 0

    def items():
        nonlocal consumed
        for x in range(10_000):
            consumed += 1
            yield x

    async def work(x: int) -> int:
        await asyncio.sleep(0.001 if x < 3 else 10)
        return x

    async def go() -> list[int]:
        got = []
        results = iter_bounded(items(), work, limit=16, start=4)
        async with contextlib.aclosing(results):
            async for _, value in results:
                got.append(value)
                if len(got) == 2:
                    break
        return got

    got = asyncio.run(go())
    assert len(got) == 2 and consumed <= 16
    with pytest.raises(ValueError):
        asyncio.run(map_bounded([1], work, limit=0))


def _running_loop_module() -> str:
    async def which() -> str:
        return type(asyncio.get_running_loop()).__module__

    return aio.run(which())


def test_the_event_loop_is_uvloop_where_installed_unless_asked_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("uvloop")
    monkeypatch.delenv(aio.EVENT_LOOP_ENV, raising=False)
    assert aio.event_loop_name() == "uvloop" and _running_loop_module().startswith("uvloop")
    loop = aio.new_event_loop()
    try:
        assert type(loop).__module__.startswith("uvloop")
    finally:
        loop.close()
    monkeypatch.setenv(aio.EVENT_LOOP_ENV, "asyncio")
    assert aio.event_loop_name() == "asyncio" and _running_loop_module().startswith("asyncio")


def test_without_uvloop_auto_falls_back_and_uvloop_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # import uvloop now raises ImportError
    monkeypatch.setenv(aio.EVENT_LOOP_ENV, "auto")
    assert aio.event_loop_name() == "asyncio" and _running_loop_module().startswith("asyncio")
    monkeypatch.setenv(aio.EVENT_LOOP_ENV, "uvloop")
    with pytest.raises(RuntimeError, match="uvloop is not installed"):
        aio.new_event_loop()
    monkeypatch.setenv(aio.EVENT_LOOP_ENV, "trio")
    with pytest.raises(ValueError, match="RATIONALERM_EVENT_LOOP must be one of auto, uvloop, asyncio"):
        aio.event_loop_name()


def test_sync_form_binds_the_async_runs_arguments_and_runs_it_on_its_own_loop() -> None:
    import inspect

    from rationalerm.runs.runner import sync_form

    async def double_async(x: int, *, times: int = 2, **extra: object) -> tuple[int, dict[str, object]]:
        """Doubles."""
        await asyncio.sleep(0)
        return x * times, extra

    double = sync_form(double_async, pool_of=None)
    assert double.__name__ == "double" and "Doubles." in (double.__doc__ or "")
    assert double(3) == (6, {}) and double(x=3, times=3, note="n") == (9, {"note": "n"})
    with pytest.raises(TypeError):
        double(1, 2)  # times is keyword-only, as in the async run

    async def job_async(path: str, *, pool: object) -> str:
        return path

    job = sync_form(job_async)
    names = list(inspect.signature(job).parameters)
    assert names == ["path", "judge_model", "base_urls", "api_key", "concurrency", "cache", "use_cache"]
