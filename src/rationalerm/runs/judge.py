"""MetaJudge a model's checklists against the human ones with an LLM judge: samples in, matchings out.

:func:`judge_samples` is the in-memory form (the reward code reuses it); :func:`judge_async` (sync: :func:`judge`;
before issue 18 ``judge_file``) streams a
HelpSteer3-Atomic JSONL into an output in the released MetaJudge inference layout (``prompt``,
``samples[0].generated_text``, ``status``, ``metadata``) plus a ``rationalerm`` block, which
``rationalerm analyze`` reads directly.

The output is resumable and crash-safe. At start, records of earlier runs that did not end ``ok`` are dropped (they
are about to be retried) and ``ok`` samples are skipped; each sample judged in this run is appended exactly once,
as one flushed line, when its verdict is known. So at every moment, a ``SIGKILL`` included, the file holds at most
one record per sample and only whole records (a torn last line is cut when the file is next opened); a kill loses
only the requests in flight. A finished run rewrites the file atomically in input order.

The output is a :class:`~rationalerm.io.resume.ResumableOutput` run by :func:`~rationalerm.runs.runner.run_resumable`.
The input is read once before anything is sent or written: an input with no row, a JSON array,
invalid UTF-8 or two rows with one sample id (unless ``dedupe`` says which to keep) stop the run there, with the
file and lines named.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

from ..aio import iter_bounded
from ..data import count_rows
from ..io import ResumableOutput, RowProblem
from ..io.resume import ERROR, OK, JudgeRunSummary, decode_line
from ..llm import Usage
from ..matchers import MatchRequest
from ..matchers.llm import LLMMatcher, MatchVerdict
from ..records import PreferenceSample, RecordError, model_keys
from ..stats.consistency import EVALUATION_CAP, considered_items
from .runner import InputOptions, RowOutcome, run_samples, sync_form

MISSING_MODEL_CHECKLIST = "missing_model_checklist"

# Provenance keys that must agree before an output's ``ok`` records are reused by a resumed run.
_RESUME_KEYS = ("judge_model", "prompt_version", "structured", "max_model_items")


@dataclass(slots=True)
class JudgedSample:
    """One sample judged for one model: the verdict (None when the sample could not be sent) and the cut."""

    sample: PreferenceSample
    model: str
    status: str
    reason: str | None
    detail: str | None
    model_items_total: int
    model_items_sent: int
    verdict: MatchVerdict | None = None

    @property
    def sample_id(self) -> str:
        return self.sample.id

    @property
    def ok(self) -> bool:
        return self.status == OK

    def to_record(self, provenance: Mapping[str, Any]) -> dict[str, Any]:
        """The released inference layout plus the ``rationalerm`` block."""
        verdict = self.verdict
        completion = verdict.completion if verdict is not None else None
        text = verdict.text if verdict is not None else None
        generated: dict[str, Any] = {"generated_text": text}
        if completion is not None and completion.finish_reason:
            generated["finish_reason"] = completion.finish_reason
        matching = verdict.matching if verdict is not None else None
        block: dict[str, Any] = {
            "sample_id": self.sample.id,
            "model": self.model,
            "status": self.status,
            "reason": self.reason,
            "detail": self.detail or None,
            "matching": matching.triples() if matching is not None else None,
            "attempts": completion.attempts if completion is not None else 0,
            "answers": completion.answers if completion is not None else 0,
            "cached": bool(completion and completion.cached),
            "usage": (completion.usage if completion is not None else Usage()).as_dict(),
            "latency_s": round(completion.latency_s, 4) if completion is not None else 0.0,
            "model_items_total": self.model_items_total,
            "model_items_sent": self.model_items_sent,
            "model_items_cut": self.model_items_sent < self.model_items_total,
            "provenance": {
                **provenance,
                "base_url": (completion.endpoint if completion and completion.endpoint else None)
                or provenance.get("base_url"),
            },
        }
        if verdict is not None and verdict.raw_text is not None:
            block["raw_text"] = verdict.raw_text
        return {
            "prompt": verdict.prompt.text if verdict is not None else None,
            "samples": [generated] if text is not None else [],
            "status": "success" if text is not None else "failed",
            "metadata": self.sample.row,
            "rationalerm": block,
        }


def provenance_of(matcher: LLMMatcher, max_model_items: int | None) -> dict[str, Any]:
    """What produced the records of a run (credentials never included: base URLs are already cleaned)."""
    from ..version import __version__

    settings = matcher.settings()
    return {
        "judge_model": settings["judge_model"],
        "base_url": ",".join(settings["base_urls"]),
        "prompt_version": settings["prompt_version"],
        "temperature": settings["temperature"],
        "max_tokens": settings["max_tokens"],
        "seed": settings["seed"],
        "structured": settings["structured"],
        "max_model_items": max_model_items or 0,
        "rationalerm_version": __version__,
    }


# --------------------------------------------------------------------------------------------------------------
# In memory


def match_request(
    sample: PreferenceSample, model: str, max_model_items: int | None
) -> tuple[MatchRequest, int]:
    """The request for ``sample``'s judgment by ``model`` with the model list cut to ``max_model_items`` (None or
    0: no cap), and the list's full length. Raises :class:`RecordError` when the sample has no such checklist."""
    judgment = sample.judgments.get(model)
    if judgment is None or judgment.checklist is None:
        raise RecordError(model_keys(sample.row, model).checklist, "missing")
    total = len(judgment.checklist)
    sent = considered_items(total, max_model_items)
    request = MatchRequest(
        key=sample.id,
        human=sample.human_checklist,
        model=judgment.checklist[:sent],
        preference=sample.human_label,
        verdict=judgment.label,
    )
    return request, total


async def judge_one(
    sample: PreferenceSample, *, model: str, matcher: LLMMatcher, max_model_items: int | None = EVALUATION_CAP
) -> JudgedSample:
    """Judge one sample; never raises for a bad sample or a failing judge (the status says what happened)."""
    try:
        request, total = match_request(sample, model, max_model_items)
    except RecordError as exc:
        return JudgedSample(sample, model, ERROR, MISSING_MODEL_CHECKLIST, str(exc), 0, 0)
    verdict = await matcher.judge(request)
    return JudgedSample(
        sample,
        model,
        verdict.status,
        verdict.reason,
        verdict.detail,
        model_items_total=total,
        model_items_sent=len(request.model),
        verdict=verdict,
    )


async def iter_judged(
    samples: Iterable[PreferenceSample],
    *,
    model: str,
    matcher: LLMMatcher,
    max_model_items: int | None = EVALUATION_CAP,
    max_pending: int | None = None,
) -> AsyncIterator[JudgedSample]:
    """Judge samples concurrently and yield each as soon as it is done (completion order).

    At most ``max_pending`` samples (default: 4 x the pool's concurrency) are in progress, so memory stays bounded
    for any input size while samples waiting out a back-off leave enough others to keep every request slot busy.
    """
    concurrency = matcher.pool.concurrency

    async def run(sample: PreferenceSample) -> JudgedSample:
        return await judge_one(sample, model=model, matcher=matcher, max_model_items=max_model_items)

    # One sample per request slot first, then a few more per answer (see rationalerm.aio). Closed explicitly so
    # that a caller who stops early cancels the samples still in progress at once.
    results = iter_bounded(samples, run, limit=max_pending or 4 * concurrency, start=concurrency)
    async with contextlib.aclosing(results):
        async for _, judged in results:
            yield judged


async def judge_samples(
    samples: Iterable[PreferenceSample],
    *,
    model: str,
    matcher: LLMMatcher,
    max_model_items: int | None = EVALUATION_CAP,
) -> list[JudgedSample]:
    """Judge every sample's ``model`` checklist against its human checklist; results in input order."""
    ordered = list(samples)
    position = {id(s): i for i, s in enumerate(ordered)}
    results: list[JudgedSample | None] = [None] * len(ordered)
    async for judged in iter_judged(ordered, model=model, matcher=matcher, max_model_items=max_model_items):
        results[position[id(judged.sample)]] = judged
    return [r for r in results if r is not None]


# --------------------------------------------------------------------------------------------------------------
# Files


def _record_key(row: Mapping[str, Any]) -> tuple[str, str] | None:
    block = row.get("rationalerm")
    if not isinstance(block, Mapping) or block.get("sample_id") is None or block.get("model") is None:
        return None
    return str(block["model"]), str(block["sample_id"])


# How a record's ``rationalerm`` block starts: compact (this version's writer) and spaced (earlier versions).
_BLOCK_MARKS = ('"rationalerm":{"sample_id":', '"rationalerm": {"sample_id": ')
_decoder = json.JSONDecoder()


def _line_key(line: str) -> tuple[str, str] | RowProblem | None:
    """The (model, sample id) of one output line, None for another kind of row, a RowProblem if it is no JSON object.

    Records written by :func:`judge_async` end with their ``rationalerm`` block, and the exact text
    ``"rationalerm":{"sample_id":`` can only be structure (a quote inside a JSON string is escaped), so the last
    occurrence is the top-level block when the line ends right after it: only that block (about a fifth of the
    line) is decoded. Other lines are decoded whole.
    """
    if line.startswith("{"):
        for mark in _BLOCK_MARKS:
            at = line.rfind(mark)
            if at <= 0:
                continue
            try:
                block, end = _decoder.raw_decode(line, at + mark.index("{"))
            except ValueError:
                break
            if isinstance(block, dict) and line[end:].strip() == "}":
                return _record_key({"rationalerm": block})
            break
    row = decode_line(line)
    return row if isinstance(row, RowProblem) else _record_key(row)


def _of_model(key: tuple[str, str] | RowProblem | None, model: str) -> str | RowProblem | None:
    return (
        key[1] if isinstance(key, tuple) and key[0] == model else key if isinstance(key, RowProblem) else None
    )


def judge_output(path: str | os.PathLike[str], model: str) -> ResumableOutput:
    """A judge run's output: ``model``'s records keyed by sample id (other models' records are kept as they are),
    final when ``ok``, resumed only with the same judge, prompt, structure and cap."""
    return ResumableOutput(
        path,
        key=lambda row: _of_model(_record_key(row), model),
        status_at=("rationalerm", "status"),
        provenance_at=("rationalerm", "provenance"),
        resume_keys=_RESUME_KEYS,
        line_key=lambda line: _of_model(_line_key(line), model),
    )


def _compact(path: Path, model: str, order: list[str], appended: tuple[int, list[tuple[str, int]]]) -> None:
    """Rewrite a judge output in input order (see :meth:`ResumableOutput.compact`)."""
    judge_output(path, model).compact(order, appended)


async def judge_async(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    model: str,
    matcher: LLMMatcher,
    max_model_items: int | None = EVALUATION_CAP,
    on_result: Callable[[JudgedSample], None] | None = None,
    **options: Unpack[InputOptions],
) -> JudgeRunSummary:
    """Judge every row of ``input_path`` for ``model`` into ``output_path`` (resumable; see the module docstring).

    Bad rows are reported (file, line, field) through ``on_problem`` and the others still run; with ``strict``
    the first one raises :class:`InputError`. The input is read once before anything is sent or written: an input
    with no row, a JSON array, invalid UTF-8 (see :func:`rationalerm.io.encoding_policy`) or two rows with one
    sample id (unless ``dedupe`` is ``first`` or ``last``; see :class:`rationalerm.io.Dedupe`) raise
    :class:`InputError` there. ``on_start(total rows, already ok)`` is called once before judging, ``on_result``
    after each sample's record is written.
    """
    prov = provenance_of(matcher, max_model_items)

    async def process(sample: PreferenceSample) -> RowOutcome:
        judged = await judge_one(sample, model=model, matcher=matcher, max_model_items=max_model_items)
        completion = judged.verdict.completion if judged.verdict is not None else None
        return RowOutcome(judged.to_record(prov), judged.status, judged.reason, [completion] if completion else [], result=judged)  # fmt: skip

    return await run_samples(  # type: ignore[return-value]
        input_path,
        lambda target: judge_output(target, model),
        JudgeRunSummary,
        output_path=output_path,
        model=model,
        pool=matcher.pool,
        provenance=prov,
        process=process,
        check=lambda sample: match_request(sample, model, max_model_items),
        total=lambda: count_rows(input_path),
        on_result=None if on_result is None else lambda outcome: on_result(outcome.result),
        **options,
    )


judge = sync_form(judge_async, pool_of=lambda options: options["matcher"].pool)

__all__ = [
    "JudgeRunSummary",
    "JudgedSample",
    "iter_judged",
    "judge",
    "judge_async",
    "judge_one",
    "judge_output",
    "judge_samples",
    "match_request",
    "provenance_of",
]
