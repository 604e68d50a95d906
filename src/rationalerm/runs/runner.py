"""The one runner every run that writes rows goes through, and the one way an async run gets its sync form.

:func:`run_resumable` reads an input, processes its rows concurrently and appends each outcome to a
:class:`~rationalerm.io.resume.ResumableOutput` as soon as it is done: the input is read once first (keys only), so
an input with no row, or two rows with one key (unless the user chose ``--dedupe first|last``), is an error before
any row is processed or written; rows an earlier run finished are kept without new calls; a finished run rewrites
the output atomically in input order. Bad rows are reported (file, line, field) and the others still run; with
``strict`` the first one raises :class:`InputError`. :func:`run_rows` is the row-in/row-out form the judge-side runs
(``generate``, ``decompose``, ``golden``, ``metarm``, ``bench``) use: each output row is the input row with fields
added and its bookkeeping under an :class:`OutputLayout` prefix.

:func:`sync_form` turns an async run (``x_async``) into its synchronous form ``x``: the same arguments, run on a
new event loop (:func:`rationalerm.aio.run`), with the judge pool opened from command-line style options (or the
given matcher's or tagger's pool entered) inside that loop.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict, TypeVar

from ..aio import iter_bounded
from ..aio import run as aio_run
from ..data import count_rows, iter_rows
from ..errors import ConfigError, InputError, RecordError
from ..io import Dedupe, ResumableOutput, RowProblem, RunSummary, iter_jsonl, no_rows, scan_input
from ..io.resume import ERROR, OK, PARSE_FAILED, SKIPPED
from ..llm import Completion, JudgePool, Usage, default_cache_path
from ..prompts import Prompt
from ..records import sample_from_row, sample_id_of
from .rows import row_key

BAD_ROW = "bad_row"

T = TypeVar("T")
Row = dict[str, Any]
Provenance = Mapping[str, Any]
RowSource = Iterator[tuple[int, dict[str, Any] | RowProblem]]

# --------------------------------------------------------------------------------------------------------------
# Pools and provenance


def open_pool(
    *,
    judge_model: str,
    base_urls: Sequence[str],
    api_key: str | None = None,
    concurrency: int = 64,
    timeout: float = 300.0,
    max_retries: int = 5,
    cache: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> JudgePool:
    """A :class:`JudgePool` from command-line options (``$OPENAI_BASE_URL`` when no URL is given); enter it with
    ``async with`` inside the event loop that uses it. :class:`ConfigError` for options that cannot work."""
    urls = list(base_urls) or ([os.environ["OPENAI_BASE_URL"]] if os.environ.get("OPENAI_BASE_URL") else [])
    if not urls:
        raise ConfigError("no judge server: pass --base-url or set OPENAI_BASE_URL")
    return JudgePool(
        judge_model,
        urls,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        cache=(cache or default_cache_path()) if use_cache else None,
    )


def provenance(pool: JudgePool, prompt: Prompt, **settings: Any) -> dict[str, Any]:
    """What produced a record: judge model, base URLs without credentials, prompt version, sampling settings and the
    package version."""
    from ..version import __version__

    return {
        "judge_model": pool.model,
        "base_url": ",".join(pool.base_urls),
        "prompt_version": prompt.version,
        **settings,
        "rationalerm_version": __version__,
    }


# --------------------------------------------------------------------------------------------------------------
# Sync forms

_POOL_OPTIONS = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
    for name, default, annotation in (
        ("judge_model", inspect.Parameter.empty, "str"),
        ("base_urls", inspect.Parameter.empty, "Sequence[str]"),
        ("api_key", None, "str | None"),
        ("concurrency", 64, "int"),
        ("cache", None, "str | os.PathLike[str] | None"),
        ("use_cache", True, "bool"),
    )
]


def sync_form(
    job: Callable[..., Awaitable[T]], *, pool_of: Callable[[dict[str, Any]], Any] | str | None = "open"
) -> Callable[..., T]:
    """The synchronous form of the async run ``job``, on a new event loop of its own.

    ``pool_of="open"`` (the default): ``job`` takes ``pool=``; the sync form takes the pool's options instead
    (``judge_model``, ``base_urls``, ``api_key``, ``concurrency``, ``cache``, ``use_cache``) and opens the pool
    inside its loop. A function: the sync form takes ``job``'s own arguments and enters ``pool_of(keyword
    arguments)`` (e.g. the matcher's pool) inside its loop. None: ``job``'s own arguments, nothing entered."""
    signature = inspect.signature(job)
    if pool_of == "open":
        kept = [p for p in signature.parameters.values() if p.name != "pool"]
        at = next((i for i, p in enumerate(kept) if p.kind is inspect.Parameter.VAR_KEYWORD), len(kept))
        signature = signature.replace(parameters=[*kept[:at], *_POOL_OPTIONS, *kept[at:]])

    @functools.wraps(job)
    def sync(*args: Any, **kwargs: Any) -> T:
        arguments = _keywords(signature, args, kwargs)

        async def run() -> T:
            if callable(pool_of) or pool_of is None:
                async with pool_of(arguments) if pool_of is not None else contextlib.nullcontext():
                    return await job(**arguments)
            options = {p.name: arguments.pop(p.name) for p in _POOL_OPTIONS if p.name in arguments}
            async with open_pool(**options) as pool:
                return await job(pool=pool, **arguments)

        return aio_run(run())

    del sync.__wrapped__  # the signature below is the sync form's, not the job's
    name = job.__name__.removesuffix("_async")
    sync.__name__, sync.__qualname__ = name, name
    sync.__signature__ = signature  # type: ignore[attr-defined]
    opens = (
        "opens its own judge pool and event loop" if pool_of is None else "runs on an event loop of its own"
    )
    sync.__doc__ = (
        f"The synchronous form of :func:`{job.__name__}` (it {opens}).\n\n{inspect.getdoc(job) or ''}"
    )
    return sync


def _keywords(signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Every argument of a call as a keyword (a TypeError for a call the signature does not take)."""
    arguments = dict(signature.bind(*args, **kwargs).arguments)
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_KEYWORD:
            arguments.update(arguments.pop(parameter.name, {}))
    return arguments


# --------------------------------------------------------------------------------------------------------------
# The resumable runner


@dataclass(slots=True)
class RowOutcome:
    """One processed row: the output row (input fields kept), its status, why it is not ``ok``, and the calls made
    (for token accounting). ``tags`` are extra counts for the summary (e.g. ``too_few``); ``result`` the run's own
    object for the row (a judge run's :class:`~rationalerm.runs.judge.JudgedSample`), for its callbacks."""

    row: dict[str, Any]
    status: str
    reason: str | None = None
    completions: list[Completion] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == OK


class InputOptions(TypedDict, total=False):
    """What every resumable run also takes: ``resume`` (default True; False starts the output afresh), ``strict``
    (the first bad row raises :class:`InputError`), ``dedupe`` (``error``, ``first`` or ``last``: what two rows
    with one key do), and the callbacks ``on_start(rows, already done)`` and ``on_problem(problem)`` for each bad
    row."""

    resume: bool
    strict: bool
    dedupe: str
    on_start: Callable[[int, int], None] | None
    on_problem: Callable[[RowProblem], None] | None


class RunOptions(InputOptions, total=False):
    """:class:`InputOptions`, and ``on_result(outcome)`` called after each row is written."""

    on_result: Callable[[RowOutcome], None] | None


def check_paths(source: Path, target: Path) -> None:
    """An :class:`InputError` when the input is missing or the output would overwrite it."""
    if not source.is_file():
        raise InputError(RowProblem(str(source), 0, None, "no such file"))
    check_distinct_paths(source, target)


def check_distinct_paths(source: Path, target: Path) -> None:
    """An :class:`InputError` when the output would overwrite the input."""
    if source.exists() and target.exists() and source.resolve() == target.resolve():
        raise InputError(RowProblem(str(target), 0, None, "the output must not be the input file"))


async def run_resumable(
    rows: RowSource | Callable[[], RowSource],
    output: ResumableOutput,
    summary: RunSummary,
    *,
    provenance: Mapping[str, Any],
    process: Callable[[Any], Awaitable[RowOutcome]],
    key: Callable[[dict[str, Any]], str] = row_key,
    read: Callable[[dict[str, Any]], Any] | None = None,
    check: Callable[[Any], object] | None = None,
    bad: Callable[[Any, RecordError], RowOutcome] | None = None,
    concurrency: int = 16,
    resume: bool = True,
    strict: bool = False,
    dedupe: str = "error",
    total: int | Callable[[], int] | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[RowOutcome], None] | None = None,
    on_problem: Callable[[RowProblem], None] | None = None,
) -> RunSummary:
    """Process ``rows`` (``(line, row or problem)``, or a function that reads them afresh) into ``output``,
    resumably (see the module docstring), and count what happened in ``summary``.

    Each row is turned into the item ``process`` takes by ``read`` (default: the row; a :class:`RecordError` is
    reported and the row left out), keyed by ``key(row)`` and checked by ``check`` (a :class:`RecordError` is
    reported, and the row is written as ``bad(item, error)`` or, without ``bad``, processed all the same).
    Given a function, the rows are read once first, keys only: no row at all, or two rows with one key (``dedupe``
    ``error``, the default), raise :class:`InputError` before anything is processed or written; ``first`` or
    ``last`` uses that row and reports the others. Given an iterator, a duplicate raises when it is reached (or the
    first row is kept) and ``last`` is not available. ``process`` must not raise for judge or server faults: they
    are outcomes. At most ``4 * concurrency`` rows are in progress, ``concurrency`` of them started at once.
    """
    started = time.perf_counter()
    source = summary.input
    if callable(rows):
        duplicates = scan_input(source, rows, key, dedupe)
        rows = rows()
    elif dedupe == "last":
        raise ConfigError("dedupe 'last' needs the rows as a function that reads them afresh")
    else:
        duplicates = Dedupe(source, dedupe)
    done = output.prepare(provenance, resume=resume)

    def report(problem: RowProblem) -> None:
        if strict and not problem.is_note:
            raise InputError(problem)
        summary.problems.append(problem)
        if on_problem is not None:
            on_problem(problem)

    order: list[str] = []
    bad_rows: list[RowOutcome] = []
    seen = 0

    def todo() -> Iterator[Any]:
        nonlocal seen
        for line, row in rows:
            seen += 1
            if isinstance(row, RowProblem):
                report(row)
                continue
            try:
                item = read(row) if read is not None else row
            except RecordError as exc:
                report(RowProblem(source, line, exc.field, exc.message))
                continue
            row_id = key(row)
            left_out = duplicates.check(row_id, line)
            if left_out is not None:
                report(left_out)
                continue
            order.append(row_id)
            summary.total += 1
            if row_id in done:
                summary.already_done += 1
                continue
            if check is not None:
                try:
                    check(item)
                except RecordError as exc:
                    report(RowProblem(source, line, exc.field, exc.message))
                    if bad is not None:
                        bad_rows.append(bad(item, exc))
                        continue
            yield item

    if on_start is not None:
        on_start(total() if callable(total) else total or 0, len(done))

    def emit(outcome: RowOutcome) -> None:
        output.write(outcome.row)
        summary.add(outcome.status, outcome.reason, calls=outcome.completions, tags=outcome.tags)
        if on_result is not None:
            on_result(outcome)

    with output:
        # One row per request slot first, then a few more per answer (see rationalerm.aio). Closed explicitly so
        # that a caller who stops early cancels the rows still in progress at once.
        results = iter_bounded(todo(), process, limit=4 * concurrency, start=concurrency)
        async with contextlib.aclosing(results):
            async for _, outcome in results:
                while bad_rows:
                    emit(bad_rows.pop(0))
                emit(outcome)
        while bad_rows:
            emit(bad_rows.pop(0))
    if not seen:
        if output.path.exists() and output.path.stat().st_size == 0:
            output.path.unlink()
        raise no_rows(source)
    output.compact(order)
    summary.wall_s = time.perf_counter() - started
    return summary


async def run_samples(
    input_path: str | os.PathLike[str],
    output: Callable[[Path], ResumableOutput],
    summary: type[RunSummary],
    *,
    model: str,
    pool: JudgePool,
    require_human: bool = True,
    **options: Any,
) -> RunSummary:
    """:func:`run_resumable` over the samples of a HelpSteer3-Atomic JSONL input, for ``model``: each row becomes a
    :class:`~rationalerm.records.PreferenceSample` (a row that cannot is reported and left out), keyed by sample id,
    into ``output(output path)``. ``options`` are :func:`run_resumable`'s, ``output_path`` included."""
    source, target = Path(input_path), Path(options.pop("output_path"))
    check_paths(source, target)
    return await run_resumable(
        lambda: iter_jsonl(source),
        output(target),
        summary(str(source), str(target), model, usage=Usage(), pool=pool.stats),
        key=sample_id_of,
        read=lambda row: sample_from_row(row, models=[model], require_human=require_human),
        concurrency=pool.concurrency,
        **options,
    )


@dataclass(frozen=True, slots=True)
class OutputLayout:
    """Where a row-in/row-out run keeps its bookkeeping in each output row (``<prefix>status``, ``<prefix>reason``,
    ``<prefix>detail``, ``<prefix>provenance``), and which provenance settings must agree before a resumed run may
    reuse a row."""

    prefix: str
    resume_keys: tuple[str, ...] = ("judge_model", "prompt_version")

    @property
    def status_key(self) -> str:
        return f"{self.prefix}status"

    @property
    def provenance_key(self) -> str:
        return f"{self.prefix}provenance"

    def mark(self, row: Row, status: str, reason: str | None, detail: str | None, prov: Provenance) -> None:
        """Write the bookkeeping fields into ``row``."""
        row[self.status_key] = status
        row[f"{self.prefix}reason"] = reason
        row[f"{self.prefix}detail"] = detail or None
        row[self.provenance_key] = dict(prov)

    def output(self, path: str | os.PathLike[str]) -> ResumableOutput:
        """The resumable output of rows in this layout, keyed by :func:`~rationalerm.runs.rows.row_key`."""
        return ResumableOutput(
            path,
            key=row_key,
            status_at=(self.status_key,),
            provenance_at=(self.provenance_key,),
            resume_keys=self.resume_keys,
        )

    def outcome(
        self, row: Row, status: str, reason: str | None, detail: str | None, prov: Provenance,
        completions: Sequence[Completion | None] = (), tags: Sequence[str] = (),
    ) -> RowOutcome:  # fmt: skip
        """``row`` marked with its bookkeeping, as the outcome of its run."""
        self.mark(row, status, reason, detail, prov)
        return RowOutcome(row, status, reason, [c for c in completions if c is not None], list(tags))


def bad_row_outcome(
    row: Mapping[str, Any], layout: OutputLayout, error: RecordError, prov: Mapping[str, Any]
) -> RowOutcome:
    """The output row for an input row that cannot be processed: kept, with status ``error`` and the field named."""
    return layout.outcome(dict(row), ERROR, BAD_ROW, str(error), prov)


async def run_rows(
    rows: RowSource | Callable[[], RowSource],
    output_path: str | os.PathLike[str],
    *,
    source_name: str,
    task: str,
    layout: OutputLayout,
    provenance: Mapping[str, Any],
    process: Callable[[dict[str, Any]], Awaitable[RowOutcome]],
    pool: JudgePool | None = None,
    check_row: Callable[[dict[str, Any]], object] | None = None,
    total_hint: int | Callable[[], int] | None = None,
    **options: Any,
) -> RunSummary:
    """:func:`run_resumable` for rows in, rows out: each output row is the input row with the run's fields and
    its bookkeeping (``layout``) added, keyed by :func:`~rationalerm.runs.rows.row_key`. A row ``check_row``
    refuses is written with status ``error`` (reason ``bad_row``) and the field named. ``options``: ``resume``,
    ``strict``, ``dedupe``, ``on_start``, ``on_result``, ``on_problem`` of :func:`run_resumable`."""
    target = Path(output_path)
    summary = RunSummary(source_name, str(target), task, usage=Usage(), pool=pool.stats if pool else None)
    return await run_resumable(
        rows,
        layout.output(target),
        summary,
        provenance=provenance,
        process=process,
        check=check_row,
        bad=lambda row, exc: bad_row_outcome(row, layout, exc, provenance),
        concurrency=pool.concurrency if pool is not None else 16,
        total=total_hint,
        **options,
    )


async def run_file_rows(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    on_start: Callable[[int, int], None] | None = None,
    **options: Any,
) -> RunSummary:
    """:func:`run_rows` over a data file (JSONL, JSON or parquet; :func:`rationalerm.data.iter_rows`), after
    checking it exists and is not the output; ``on_start`` gets the file's row count."""
    source, target = Path(input_path), Path(output_path)
    check_paths(source, target)
    return await run_rows(
        lambda: iter_rows(source),
        target,
        source_name=str(source),
        total_hint=lambda: count_rows(source),
        on_start=on_start,
        **options,
    )


__all__ = [
    "ERROR",
    "OK",
    "PARSE_FAILED",
    "SKIPPED",
    "InputOptions",
    "OutputLayout",
    "RowOutcome",
    "RunOptions",
    "RunSummary",
    "bad_row_outcome",
    "check_distinct_paths",
    "check_paths",
    "open_pool",
    "provenance",
    "run_file_rows",
    "run_resumable",
    "run_rows",
    "run_samples",
    "sync_form",
]
