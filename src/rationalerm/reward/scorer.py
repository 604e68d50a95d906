"""Batched, cached reward computation: what adapters call, once per rollout batch.

Throughput matters because the reward sits inside the rollout loop. So, per batch:

* identical (completion, sample) pairs are scored once, and a bounded LRU cache remembers finished results across
  batches (GRPO samples the same prompt many times; short answers repeat);
* the rationale score is only computed where it can change the reward (hybrid kind, correct verdict, at least one
  reason that survived the guards) unless ``match_all`` asks for it for logging;
* every remaining (human list, reason list) pair, deduplicated, goes to the matcher: to a local matcher in **one**
  ``match`` call, so it embeds each new string once for the whole batch; to an LLM matcher as the batch is
  screened, four completions at a time and each request on its own (``match_one``), so requests are in flight
  while the rest is parsed, all under its pool's limit (a pair is still sent once per batch);
* each part's results are cached, and its intermediate records freed, as soon as the part is final, so the end of
  a batch is not spent on the whole batch's bookkeeping while every request slot is idle;
* R-Align MetaRM calls run concurrently, only for label-correct completions (the R-Align protocol).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import hashlib
import itertools
import logging
import math
import multiprocessing
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, fields, replace
from typing import Any

from ..errors import ConfigError
from ..llm import JudgePool
from ..matchers import Matcher, MatchOutcome, MatchRequest, RequestMatcher
from ..parse import ParseFailure
from ..records import Direction, Match, Matching
from ..stats.consistency import paper_metrics
from .core import (
    BAD_SAMPLE,
    MATCH_FAILED,
    METARM_FAILED,
    OK,
    ParsedCompletion,
    RewardConfig,
    RewardResult,
    RewardSample,
    base_result,
    completion_text,
    read_completion,
)
from .guards import Material, ScreenedReasons

logger = logging.getLogger(__name__)

POLICY_NAME = "policy"  # the model name under which a completion is handed to the MetaRM workflow
# Completions screened between two looks at the event loop when the matcher waits on a server (see _pipeline_chunk):
# about 1 ms of parsing and guards, so no answer waits long to be read. (In alternating runs of benchmarks/
# reward_throughput.py, parts of 4 with 6 loop turns between them kept the judge about 1% busier than parts of 8
# with 4 turns, and than parts of 2.)
PIPELINE_PART = 4


@dataclass(slots=True)
class ScorerStats:
    """Running totals, for benchmarks and logs: completions asked for, actually scored, served from the cache,
    matcher calls and the requests they carried, MetaRM calls."""

    completions: int = 0
    scored: int = 0
    cache_hits: int = 0
    matcher_calls: int = 0
    match_requests: int = 0
    metarm_calls: int = 0


class RewardScorer:
    """Scores GenRM completions against samples with one reward kind.

    ``matcher`` (local or LLM) is required by ``hybrid`` and by ``match_all``; ``metarm`` (a pool serving the MetaRM)
    by ``ralign``. The scorer owns its cache and nothing global: make one per training run (adapters keep one per
    process and event loop).
    """

    def __init__(
        self,
        config: RewardConfig | None = None,
        *,
        matcher: Matcher | None = None,
        metarm: JudgePool | None = None,
        metarm_settings: Any = None,
        cache_size: int = 65_536,
        screen_workers: int = 0,
    ) -> None:
        self.config = config or RewardConfig()
        if (self.config.kind == "hybrid" or self.config.match_all) and matcher is None:
            raise ConfigError(
                f"the {self.config.kind!r} reward with match_all={self.config.match_all} needs a matcher"
            )
        if self.config.kind == "ralign" and metarm is None:
            raise ConfigError("the 'ralign' reward needs a MetaRM pool (metarm=JudgePool(...))")
        self.matcher = matcher
        # Checked once: a protocol isinstance costs about 20 us, and a batch has hundreds of parts.
        self._one_at_a_time = isinstance(matcher, RequestMatcher)
        self.metarm = metarm
        self.metarm_settings = metarm_settings
        self.cache_size = cache_size
        self.stats = ScorerStats()
        # Results are kept as plain tuples of their fields: the garbage collector stops tracking a tuple of numbers
        # and strings, while tens of thousands of cached result objects would make every full collection (and its
        # pause of the event loop) longer.
        self._cache: OrderedDict[str, tuple[Any, ...]] = OrderedDict()
        self._config_key = self.config.fingerprint()
        if screen_workers < 0:
            raise ConfigError("screen_workers must be >= 0")
        self.screen_workers = screen_workers
        self._executor: ProcessPoolExecutor | None = None
        if screen_workers:
            # Spawned, not forked: trainers run threads, and a forked child of a threaded process can deadlock.
            # The workers start (and import the package, about a second) now, while the first batch is rolled out.
            self._executor = ProcessPoolExecutor(
                screen_workers, mp_context=multiprocessing.get_context("spawn")
            )
            for _ in range(screen_workers):
                self._executor.submit(_warm_worker)

    def close(self) -> None:
        """Stop the screening workers, if any (the scorer still works after, screening in-process)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> RewardScorer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public ------------------------------------------------------------------------------------------------

    async def score(self, completion: Any, sample: RewardSample) -> RewardResult:
        return (await self.score_batch([completion], [sample]))[0]

    async def score_batch(
        self, completions: Sequence[Any], samples: Sequence[RewardSample]
    ) -> list[RewardResult]:
        """One result per completion, in order."""
        if len(completions) != len(samples):
            raise ValueError(f"{len(completions)} completions but {len(samples)} samples")
        self.stats.completions += len(completions)
        keys: list[str] = []
        found: dict[str, RewardResult] = {}
        found.update(await self._score_unique(self._plan(completions, samples, keys, found)))
        # Each position gets its own object (the cache keeps its own copies): a repeat in the batch is a copy.
        handed: set[str] = set()
        out: list[RewardResult] = []
        for key in keys:
            result = found[key]
            out.append(replace(result) if key in handed else result)
            handed.add(key)
        return out

    # -- internals -----------------------------------------------------------------------------------------------

    def _plan(
        self,
        completions: Sequence[Any],
        samples: Sequence[RewardSample],
        keys: list[str],
        found: dict[str, RewardResult],
    ) -> Iterator[tuple[str, tuple[str, RewardSample]]]:
        """The completions to score, each once: ``(key, (text, sample))`` for every key not seen before in the
        batch nor in the cache. Appends every completion's key to ``keys`` and puts cache hits in ``found`` as it
        goes (lazily: a pipelined batch keys its completions part by part, not all before the first request)."""
        seen: set[str] = set()
        for completion, sample in zip(completions, samples, strict=True):
            text = completion_text(completion)
            key = self._key(text, sample)
            keys.append(key)
            if key in seen:
                continue
            seen.add(key)
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                self.stats.cache_hits += 1
                found[key] = _thaw(hit)
            else:
                yield key, (text, sample)

    def _key(self, text: str, sample: RewardSample) -> str:
        # One encode and one update: every completion of every batch is keyed.
        payload = f"{self._config_key}\x00{sample.fingerprint()}\x00{text}\x00"
        return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()

    async def _score_unique(
        self, plan: Iterator[tuple[str, tuple[str, RewardSample]]]
    ) -> dict[str, RewardResult]:
        todo: dict[str, tuple[str, RewardSample]] = {}
        materials: dict[str, Material] = {}
        parsed: dict[str, ParsedCompletion] = {}
        results: dict[str, RewardResult] = {}
        step = self._pipeline_chunk()
        matching: list[asyncio.Future[Any]] = []
        shared: dict[RequestKey, SharedRequest] = {}
        sent: set[asyncio.Future[MatchOutcome]] = set()  # requests sent one at a time, not yet answered
        # The MetaRM runs after the matcher: only without it is a part final when its matching is.
        remember = step is not None and self.config.kind != "ralign"

        def keep(done: list[ScreenedItem]) -> None:
            for key, parsed_one, result in done:
                parsed[key] = parsed_one
                results[key] = result

        try:
            if step is None:
                # A local matcher: screen everything (spread over the workers, if any), then one matcher call.
                todo.update(plan)
                keys = list(todo)
                chunk = max(
                    1, math.ceil(len(keys) / (4 * self.screen_workers)) if self.screen_workers else len(keys)
                )
                chunks = [keys[start : start + chunk] for start in range(0, len(keys), chunk)]
                screening = self._screen_in_workers(chunks, todo)
                for index, chunk_keys in enumerate(chunks):
                    keep(await self._screened(screening, index, chunk_keys, todo, materials))
                if todo:
                    matching.append(asyncio.create_task(self._rationale(todo, parsed, results, shared)))
            else:
                # An LLM matcher: parts screened and sent one after the other. Screened here, they are keyed as
                # they come (the first requests go out after a few completions, not after the whole batch is
                # keyed); screening workers get every part at once.
                parts: Iterable[dict[str, tuple[str, RewardSample]]]
                screening = None
                if self._executor is None:
                    parts = iter(lambda: dict(itertools.islice(plan, step)), {})
                else:
                    todo.update(plan)
                    keys = list(todo)
                    parts = [
                        {key: todo[key] for key in keys[at : at + step]} for at in range(0, len(keys), step)
                    ]
                    screening = self._screen_in_workers([list(part) for part in parts], todo)
                following = iter(parts)
                part = next(following, None)
                index = 0
                while part is not None:
                    todo.update(part)
                    keep(await self._screened(screening, index, list(part), todo, materials))
                    matching.append(
                        asyncio.create_task(self._part(part, parsed, results, shared, remember, sent))
                    )
                    part, index = next(following, None), index + 1
                    if screening is None and part is not None:  # the last part has nothing to make way for
                        await _let_loop_run()
            # Freed now, while requests are in flight, rather than when the batch returns: a sample's copy-guard
            # index holds thousands of word 4-grams, and freeing them all at the end keeps every slot waiting.
            materials.clear()
            self.stats.scored += len(todo)
            await asyncio.gather(*matching, self._metarm(todo, results))
        except BaseException:
            # A failed or cancelled batch leaves nothing running: no part goes on sending requests after it.
            for task in [*matching, *sent]:
                task.cancel()
            raise
        if not remember:
            self._remember_all(todo, results)
        return results

    async def _part(
        self,
        part: dict[str, tuple[str, RewardSample]],
        parsed: dict[str, ParsedCompletion],
        results: dict[str, RewardResult],
        shared: dict[RequestKey, SharedRequest],
        remember: bool,
        sent: set[asyncio.Future[MatchOutcome]],
    ) -> None:
        """One part of a pipelined batch: its matching, then (when final) its results cached, while later parts
        are still in flight rather than all at the end, where every request slot would wait on it."""
        await self._rationale(part, parsed, results, shared, sent)
        if remember:
            self._remember_all(part, results)
            for key in part:  # not needed once final (freed as the batch goes, see materials.clear())
                del parsed[key]

    def _remember_all(self, keys: Iterable[str], results: dict[str, RewardResult]) -> None:
        for key in keys:
            result = results[key]
            if result.valid:
                self._remember(key, result)

    def _screen_in_workers(
        self, parts: list[list[str]], todo: dict[str, tuple[str, RewardSample]]
    ) -> list[asyncio.Future[list[ScreenedItem]]] | None:
        """Hand every part to the screening workers at once (they work through them while this process sends the
        requests of the parts already back); None when there are no workers or a single part."""
        if self._executor is None or len(parts) < 2:
            return None
        loop = asyncio.get_running_loop()
        try:
            return [
                loop.run_in_executor(
                    self._executor, screen_part, self.config, [(key, *todo[key]) for key in part]
                )
                for part in parts
            ]
        except (BrokenProcessPool, RuntimeError) as exc:  # broken, or shut down meanwhile
            self._lose_workers(exc)
            return None

    async def _screened(
        self,
        screening: list[asyncio.Future[list[ScreenedItem]]] | None,
        index: int,
        keys: list[str],
        todo: dict[str, tuple[str, RewardSample]],
        materials: dict[str, Material],
    ) -> list[ScreenedItem]:
        """Part ``index`` screened: by the workers when they have it, else here."""
        if screening is not None:
            try:
                return await screening[index]
            except BrokenProcessPool as exc:
                # A worker died (killed, out of memory): screen here from now on rather than lose the batch.
                self._lose_workers(exc)
        return read_part(self.config, [(key, *todo[key]) for key in keys], materials)

    def _lose_workers(self, exc: BaseException) -> None:
        if self._executor is not None:
            logger.warning("reward screening workers failed (%s); screening in-process from now on", exc)
        self.close()

    @property
    def pipeline_part(self) -> int | None:
        """Completions per matcher call within a batch for a matcher that waits on a server (None: a local matcher,
        which gets the whole batch in one call). A caller that gathers per-trajectory calls into batches (the
        verl adapter) hands this many at a time: a batch's results come back together, so a larger one would
        keep its first answers waiting for its last."""
        return self._pipeline_chunk()

    def _pipeline_chunk(self) -> int | None:
        """Completions per matcher call. A matcher that waits on a server (it has a request ``pool``) gets small
        calls (``PIPELINE_PART`` completions, at most its concurrency), so requests are in flight after the first
        few completions are screened and answers are read between parts; a local matcher gets the whole batch in
        one call, where batching the encoder is what counts. Identical requests of different parts are still sent
        once (the parts share their requests in flight)."""
        pool = getattr(self.matcher, "pool", None)
        concurrency = getattr(pool, "concurrency", None)
        if not isinstance(concurrency, int) or concurrency <= 0:
            return None
        return max(1, min(concurrency, PIPELINE_PART))

    def _needs_rationale(self, result: RewardResult, screened: ScreenedReasons | None) -> bool:
        if result.status != OK or screened is None:
            return False
        if self.config.match_all:
            return True
        return self.config.kind == "hybrid" and result.outcome == 1.0

    async def _rationale(
        self,
        todo: dict[str, tuple[str, RewardSample]],
        parsed: dict[str, ParsedCompletion],
        results: dict[str, RewardResult],
        shared: dict[RequestKey, SharedRequest] | None = None,
        sent: set[asyncio.Future[MatchOutcome]] | None = None,
    ) -> None:
        """Match the reasons of ``todo`` that can change their reward.

        ``shared`` holds the requests the batch has already sent (request key -> what answers it, or its outcome
        once answered): those are awaited or reused, not sent again. With ``sent`` (the pipelined batch's requests
        not yet answered) and a matcher that takes requests one at a time (:class:`RequestMatcher`), each new
        request goes out as a task of its own; otherwise the new requests go in one ``match`` call."""
        shared = {} if shared is None else shared
        requests: dict[RequestKey, MatchRequest] = {}
        waits: dict[RequestKey, asyncio.Future[MatchOutcome]] = {}
        wanted: dict[str, RequestKey] = {}
        by_key: dict[RequestKey, MatchOutcome] = {}
        for key, (_, sample) in todo.items():
            screened = parsed[key].screened
            if not self._needs_rationale(results[key], screened):
                continue
            assert screened is not None
            if not screened.kept or not sample.human_checklist:
                self._apply(results[key], screened, Matching((), len(sample.human_checklist), 0))
                continue
            # The lists and the two verdicts key the request: exact, and the strings' hashes are already computed.
            request_key = (
                tuple(sample.human_checklist),
                screened.kept,
                sample.human_label,
                parsed[key].verdict,
            )
            wanted[key] = request_key
            if request_key in requests or request_key in waits or request_key in by_key:
                continue
            entry = shared.get(request_key)
            if entry is None:
                requests[request_key] = MatchRequest(
                    str(len(requests)),
                    request_key[0],
                    screened.kept,
                    preference=sample.human_label,
                    verdict=parsed[key].verdict,
                )
            elif isinstance(entry, asyncio.Future):
                waits[request_key] = entry
            else:
                by_key[request_key] = entry
        if not wanted:
            return
        if requests:
            assert self.matcher is not None
            self.stats.matcher_calls += 1
            self.stats.match_requests += len(requests)
            if sent is not None and self._one_at_a_time:
                # No list call per part: each request is a task of its own from the start, which spares every
                # request the bookkeeping of a bounded map and a future to pass its outcome on.
                for request_key, request in requests.items():
                    task = asyncio.ensure_future(self.matcher.match_one(request))  # type: ignore[attr-defined]
                    task.add_done_callback(
                        functools.partial(_answered, shared, sent, request_key), context=_CALLBACK_CONTEXT
                    )
                    sent.add(task)
                    shared[request_key] = waits[request_key] = task
            else:
                await self._match_all(requests, shared, by_key)
        for request_key, future in waits.items():
            by_key[request_key] = await future
        for key, request_key in wanted.items():
            outcome = by_key[request_key]
            screened = parsed[key].screened
            assert screened is not None
            if isinstance(outcome, ParseFailure):
                if self.config.kind == "hybrid" and results[key].outcome == 1.0:
                    results[key].status = MATCH_FAILED
                    results[key].reason = outcome.reason
                continue
            self._apply(results[key], screened, outcome)

    async def _match_all(
        self,
        requests: dict[RequestKey, MatchRequest],
        shared: dict[RequestKey, SharedRequest],
        by_key: dict[RequestKey, MatchOutcome],
    ) -> None:
        """``requests`` in one ``match`` call; other parts that want one of them meanwhile wait on its future."""
        assert self.matcher is not None
        loop = asyncio.get_running_loop()
        futures = {request_key: loop.create_future() for request_key in requests}
        shared.update(futures)
        try:
            outcomes = await self.matcher.match(list(requests.values()))
        except BaseException as exc:
            for future in futures.values():
                if not future.done():
                    future.set_exception(exc)
                    future.exception()  # retrieved here: the parts that wait on it re-raise it themselves
            raise
        for request_key, outcome in zip(requests, outcomes, strict=True):
            by_key[request_key] = outcome
            futures[request_key].set_result(outcome)

    def _apply(self, result: RewardResult, screened: ScreenedReasons, matching: Matching) -> None:
        """Put the matching back on the ranked list (void ranks stay unmatched) and score it in paper mode, no cap
        (the guard already cut the list)."""
        pairs = tuple(
            Match(p.human, screened.kept_ranks[p.model - 1], p.score) if p.model else Match(p.human, 0, 0.0)
            for p in matching.pairs
        )
        n_human = matching.n_human
        ranked = Matching(pairs, n_human, screened.considered)
        metrics = paper_metrics(ranked, cap=None)
        result.ap, result.recall, result.precision = (
            metrics.average_precision,
            metrics.recall,
            metrics.precision,
        )
        if self.config.kind == "hybrid":
            result.score = metrics.average_precision * result.outcome

    async def _metarm(
        self, todo: dict[str, tuple[str, RewardSample]], results: dict[str, RewardResult]
    ) -> None:
        if self.config.kind != "ralign":
            return
        jobs = [
            self._metarm_one(text, sample, results[key])
            for key, (text, sample) in todo.items()
            if results[key].status == OK and results[key].outcome == 1.0
        ]
        self.stats.metarm_calls += len(jobs)
        await asyncio.gather(*jobs)

    async def _metarm_one(self, text: str, sample: RewardSample, result: RewardResult) -> None:
        from .metarm import RAlignSettings, dialogue_values, metarm_verdict

        if not sample.golden:
            result.status, result.reason = BAD_SAMPLE, "no golden judgment for the ralign reward"
            return
        assert self.metarm is not None
        context = [dict(m) for m in sample.context] or [{"role": "user", "content": ""}]
        answer = await metarm_verdict(
            self.metarm,
            dialogue_values(context, sample.response1, sample.response2),
            sample.golden,
            text,
            self.metarm_settings or RAlignSettings(),
        )
        result.metarm = answer.verdict
        if answer.verdict in ("Correct", "Incorrect"):
            result.score = float(answer.verdict == "Correct") * result.outcome
        else:
            result.status, result.reason = METARM_FAILED, answer.reason or answer.verdict

    def _remember(self, key: str, result: RewardResult) -> None:
        if self.cache_size <= 0:
            return
        self._cache[key] = tuple([getattr(result, name) for name in _RESULT_FIELDS])
        self._cache.move_to_end(key)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


ScreenedItem = tuple[str, ParsedCompletion, RewardResult]
# (human list, reasons kept, human label, verdict): one matcher request
RequestKey = tuple[tuple[str, ...], tuple[str, ...], Direction, Direction | None]
# A request of the batch as later identical requests find it: what answers it, or its outcome once answered.
SharedRequest = asyncio.Future[MatchOutcome] | MatchOutcome


# What _answered runs in (it reads no context variable): passed explicitly, so a done-callback does not copy the
# caller's context for every request in flight.
_CALLBACK_CONTEXT = contextvars.Context()


def _answered(
    shared: dict[RequestKey, SharedRequest],
    sent: set[asyncio.Future[MatchOutcome]],
    request_key: RequestKey,
    task: asyncio.Future[MatchOutcome],
) -> None:
    """A request sent on its own is answered: no longer in flight, and kept as its outcome only (the task, its
    coroutine and context are freed as the batch goes, not at its end)."""
    sent.discard(task)
    if not task.cancelled() and task.exception() is None and shared.get(request_key) is task:
        shared[request_key] = task.result()


_RESULT_FIELDS = tuple(field.name for field in fields(RewardResult))


def _thaw(values: tuple[Any, ...]) -> RewardResult:
    """A cached result (its field values) as a new result marked ``cached``."""
    result = RewardResult(*values)
    result.cached = True
    return result


# Loop iterations granted between two screened parts. An answer needs three or four to refill its request slot: one
# reads it, one resumes its request (which releases the slot), one lets the next waiting request send; a turn with
# nothing to do costs a few microseconds.
_ANSWER_TURNS = 6


async def _let_loop_run() -> None:
    """Let the event loop read the answers that came in and send the requests waiting for their slots: screening
    holds the loop, and an answer left unread is an idle request slot. Each turn costs a few microseconds when
    there is nothing to do."""
    for _ in range(_ANSWER_TURNS):
        await asyncio.sleep(0)


def read_part(
    config: RewardConfig, items: Sequence[tuple[str, str, RewardSample]], materials: dict[str, Material]
) -> list[ScreenedItem]:
    """Parse and screen ``(key, completion text, sample)`` items: each one's parsed completion and its result before
    any judge. ``materials`` caches each sample's copy-guard index by fingerprint."""
    out: list[ScreenedItem] = []
    for key, text, sample in items:
        fingerprint = sample.fingerprint()
        material = materials.get(fingerprint)
        if material is None:
            material = materials[fingerprint] = sample.material()
        parsed = read_completion(text, sample, config, material)
        out.append((key, parsed, base_result(config, parsed, sample)))
    return out


# A screening worker's copy-guard indexes, by sample fingerprint: the rollouts of one prompt arrive in several parts.
_WORKER_MATERIALS: OrderedDict[str, Material] = OrderedDict()
_WORKER_MATERIALS_MAX = 4096


def screen_part(config: RewardConfig, items: Sequence[tuple[str, str, RewardSample]]) -> list[ScreenedItem]:
    """:func:`read_part` in a screening worker process (its material cache lives as long as the worker)."""
    out = read_part(config, items, _WORKER_MATERIALS)
    while len(_WORKER_MATERIALS) > _WORKER_MATERIALS_MAX:
        _WORKER_MATERIALS.popitem(last=False)
    return out


def _warm_worker() -> None:
    """Nothing: submitted once per worker so it starts (and imports this package) before the first batch."""


async def score_batch(
    completions: Sequence[Any],
    samples: Sequence[RewardSample],
    *,
    config: RewardConfig | None = None,
    matcher: Matcher | None = None,
    metarm: JudgePool | None = None,
) -> list[RewardResult]:
    """Score a batch with a throw-away scorer (no cache across calls; keep a :class:`RewardScorer` for that)."""
    scorer = RewardScorer(config, matcher=matcher, metarm=metarm)
    return await scorer.score_batch(completions, samples)


__all__ = ["POLICY_NAME", "RewardScorer", "ScorerStats", "read_part", "score_batch", "screen_part"]
