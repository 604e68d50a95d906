"""MetaJudge a model's checklists against the human ones with an LLM judge: samples in, matchings out.

:func:`judge_samples` is the in-memory form (the reward code reuses it); :func:`judge_file` streams a
HelpSteer3-Atomic JSONL into an output in the released MetaJudge inference layout (``prompt``,
``samples[0].generated_text``, ``status``, ``metadata``) plus a ``rationalerm`` block, which
``rationalerm analyze`` reads directly.

The output is resumable and crash-safe. At start, records of earlier runs that did not end ``ok`` are dropped (they
are about to be retried) and ``ok`` samples are skipped; each sample judged in this run is appended exactly once,
as one flushed line, when its verdict is known. So at every moment, a ``SIGKILL`` included, the file holds at most
one record per sample and only whole records (a torn last line is cut when the file is next opened); a kill loses
only the requests in flight. A finished run rewrites the file atomically in input order.

The input is read once before anything is sent or written (:func:`judge_file`): an input with no row, a JSON array,
invalid UTF-8 or two rows with one sample id (unless ``dedupe`` says which to keep) stop the run there, with the
file and lines named.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import jsonfast
from ..aio import iter_bounded
from ..io import (
    InputError,
    JsonlAppender,
    RowProblem,
    atomic_write_bytes,
    iter_jsonl,
    repair_torn_tail,
    scan_input,
    write_jsonl,
)
from ..llm import PoolStats, Usage
from ..matchers import MatchRequest
from ..matchers.llm import LLMMatcher, MatchVerdict
from ..metrics import EVALUATION_CAP, considered_items
from ..records import PreferenceSample, RecordError, model_keys, sample_from_row, sample_id_of

OK = "ok"
PARSE_FAILED = "parse_failed"
ERROR = "error"
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
    from .. import __version__

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
    return MatchRequest(key=sample.id, human=sample.human_checklist, model=judgment.checklist[:sent]), total


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


@dataclass(slots=True)
class JudgeRunSummary:
    """What a :func:`judge_file` run did. ``already_ok`` samples were skipped because an earlier run judged them."""

    input: str
    output: str
    model: str
    total: int = 0
    already_ok: int = 0
    judged: int = 0
    ok: int = 0
    parse_failed: int = 0
    error: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    problems: list[RowProblem] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cached: int = 0
    wall_s: float = 0.0
    pool: PoolStats | None = None

    @property
    def failed(self) -> int:
        return self.parse_failed + self.error

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "model": self.model,
            "total": self.total,
            "already_ok": self.already_ok,
            "judged": self.judged,
            "ok": self.ok,
            "parse_failed": self.parse_failed,
            "error": self.error,
            "reasons": dict(self.reasons),
            "problems": [str(p) for p in self.problems],
            "usage": self.usage.as_dict(),
            "cached": self.cached,
            "wall_s": self.wall_s,
            "pool": self.pool.as_dict() if self.pool is not None else None,
        }


def _record_key(row: Mapping[str, Any]) -> tuple[str, str] | None:
    block = row.get("rationalerm")
    if not isinstance(block, Mapping) or block.get("sample_id") is None or block.get("model") is None:
        return None
    return str(block["model"]), str(block["sample_id"])


def _prepare_output(path: Path, model: str, provenance: Mapping[str, Any], resume: bool) -> set[str]:
    """Make ``path`` ready to append to; return the ids of ``model`` already ``ok`` there.

    Drops this model's records that did not end ``ok`` (they will be retried) and any repeated record, so the file
    holds at most one record per sample from here on. Refuses to mix runs with a different judge, prompt or cap.
    """
    if not resume:
        if path.exists():
            path.unlink()
        return set()
    if not path.exists():
        return set()
    repair_torn_tail(path)
    kept: list[dict[str, Any]] = []
    index: dict[tuple[str, str], int] = {}
    changed = False
    for line, row in iter_jsonl(path):
        if isinstance(row, RowProblem):
            raise InputError(RowProblem(str(path), line, None, f"existing output is damaged: {row.message}"))
        key = _record_key(row)
        if key is None or key[0] != model:
            kept.append(row)
            continue
        block = row["rationalerm"]
        if block.get("status") != OK:
            changed = True
            continue
        recorded = block.get("provenance") if isinstance(block.get("provenance"), Mapping) else {}
        for name in _RESUME_KEYS:
            if name in recorded and recorded[name] != provenance.get(name):
                raise InputError(
                    RowProblem(
                        str(path),
                        line,
                        f"rationalerm.provenance.{name}",
                        f"the existing output was written with {name}={recorded[name]!r}, this run uses "
                        f"{provenance.get(name)!r}; write to another --output or pass --restart",
                    )
                )
        if key in index:
            kept[index[key]] = row
            changed = True
        else:
            index[key] = len(kept)
            kept.append(row)
    if changed:
        write_jsonl(path, kept)
    return {sample_id for (_, sample_id) in index}


# How a record's ``rationalerm`` block starts: compact (this version's writer) and spaced (earlier versions).
_BLOCK_MARKS = ('"rationalerm":{"sample_id":', '"rationalerm": {"sample_id": ')
_decoder = json.JSONDecoder()


def _line_key(line: str) -> tuple[str, str] | RowProblem | None:
    """The (model, sample id) of one output line, None for another kind of row, a RowProblem if it is no JSON object.

    Records written by :func:`judge_file` end with their ``rationalerm`` block, and the exact text
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
    try:
        row = jsonfast.loads(line)
    except ValueError:
        return RowProblem("", 0, None, "not valid JSON")
    if not isinstance(row, dict):
        return RowProblem("", 0, None, "not a JSON object")
    return _record_key(row)


def _compact(
    path: Path, model: str, order: list[str], appended: tuple[int, list[tuple[str, int]]] | None = None
) -> None:
    """Rewrite ``path`` atomically: this model's records in input order, then everything else as it was.

    Lines are moved as they are (each was written whole by :class:`~rationalerm.io.JsonlAppender`), never
    re-encoded, and only their keys are decoded. ``appended`` is ``(offset, [(sample id, line length)...])`` when
    this run appended those lines, in that order, from byte ``offset`` on: they need no decoding and no splitting,
    and go to the new file as slices of the old one (no copy of a file of many MB is joined in memory). Lines that
    are not JSON objects are dropped, as before.
    """
    if not path.exists():
        return
    data = path.read_bytes()
    view = memoryview(data)
    mine: dict[str, bytes | memoryview] = {}
    others: list[bytes | memoryview] = []
    head, tail = data, None
    if appended is not None:
        offset, lines = appended
        if 0 <= offset <= len(data) and (offset == 0 or data[offset - 1 : offset] == b"\n"):
            tail, at = [], offset
            for sample_id, length in lines:
                end = at + length
                if length <= 0 or end > len(data) or data[end - 1] != 0x0A:
                    tail = None  # not what this run wrote: read every line instead
                    break
                tail.append((sample_id, view[at:end]))
                at = end
            if tail is not None and at == len(data):
                head = data[:offset]
            else:
                tail = None
    for raw in head.split(b"\n"):
        if not raw.strip():
            continue
        key = _line_key(raw.decode("utf-8", errors="replace"))
        if isinstance(key, RowProblem):
            continue
        if key is not None and key[0] == model:
            mine[key[1]] = raw + b"\n"
        else:
            others.append(raw + b"\n")
    for sample_id, line in tail or ():
        mine[sample_id] = line
    pieces = [mine.pop(sample_id) for sample_id in order if sample_id in mine]
    pieces.extend(mine.values())
    pieces.extend(others)
    atomic_write_bytes(path, pieces)


def count_rows(path: str | os.PathLike[str]) -> int:
    """Non-blank lines of a JSONL file (for a progress total, without parsing)."""
    count = 0
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                count += 1
    return count


async def judge_file(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    model: str,
    matcher: LLMMatcher,
    max_model_items: int | None = EVALUATION_CAP,
    resume: bool = True,
    strict: bool = False,
    dedupe: str = "error",
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[JudgedSample], None] | None = None,
    on_problem: Callable[[RowProblem], None] | None = None,
) -> JudgeRunSummary:
    """Judge every row of ``input_path`` for ``model`` into ``output_path`` (resumable; see the module docstring).

    Bad rows are reported (file, line, field) through ``on_problem`` and the others still run; with ``strict``
    the first one raises :class:`InputError`. The input is read once before anything is sent or written: an input
    with no row, a JSON array, invalid UTF-8 (see :func:`rationalerm.io.encoding_policy`) or two rows with one
    sample id (unless ``dedupe`` is ``first`` or ``last``; see :class:`rationalerm.io.Dedupe`) raise
    :class:`InputError` there. ``on_start(total rows, already ok)`` is called once before judging, ``on_result``
    after each sample's record is written.
    """
    started = time.perf_counter()
    source = Path(input_path)
    target = Path(output_path)
    if not source.is_file():
        raise InputError(RowProblem(str(source), 0, None, "no such file"))
    if source.resolve() == target.resolve():
        raise InputError(RowProblem(str(target), 0, None, "the output must not be the input file"))
    provenance = provenance_of(matcher, max_model_items)
    summary = JudgeRunSummary(input=str(source), output=str(target), model=model, pool=matcher.pool.stats)
    duplicates = scan_input(str(source), lambda: iter_jsonl(source), sample_id_of, dedupe)
    done_ids = _prepare_output(target, model, provenance, resume)

    def report(problem: RowProblem) -> None:
        if strict and not problem.is_note:
            raise InputError(problem)
        summary.problems.append(problem)
        if on_problem is not None:
            on_problem(problem)

    order: list[str] = []

    def samples() -> Iterable[PreferenceSample]:
        name = str(source)
        for line, row in iter_jsonl(source):
            if isinstance(row, RowProblem):
                report(row)
                continue
            try:
                sample = sample_from_row(row, models=[model])
            except RecordError as exc:
                report(RowProblem(name, line, exc.field, exc.message))
                continue
            left_out = duplicates.check(sample.id, line)
            if left_out is not None:
                report(left_out)
                continue
            order.append(sample.id)
            summary.total += 1
            if sample.id in done_ids:
                summary.already_ok += 1
                continue
            judgment = sample.judgments.get(model)
            if judgment is None or judgment.checklist is None:
                report(RowProblem(name, line, model_keys(row, model).checklist, "missing"))
            yield sample

    rows = count_rows(source)
    if on_start is not None:
        on_start(rows, len(done_ids))
    written: list[tuple[str, int]] = []
    with JsonlAppender(target) as out:
        offset = target.stat().st_size  # after the appender cut any torn tail: this run's lines start here
        async for judged in iter_judged(
            samples(), model=model, matcher=matcher, max_model_items=max_model_items
        ):
            written.append((judged.sample.id, out.write(judged.to_record(provenance))))
            summary.judged += 1
            if judged.status == OK:
                summary.ok += 1
            elif judged.status == PARSE_FAILED:
                summary.parse_failed += 1
            else:
                summary.error += 1
            if judged.reason and judged.status != OK:
                summary.reasons[judged.reason] += 1
            completion = judged.verdict.completion if judged.verdict is not None else None
            if completion is not None:
                summary.usage.add(completion.usage)
                summary.cached += int(completion.cached)
            if on_result is not None:
                on_result(judged)
    _compact(target, model, order, (offset, written))
    summary.wall_s = time.perf_counter() - started
    return summary


__all__ = [
    "JudgeRunSummary",
    "JudgedSample",
    "iter_judged",
    "judge_file",
    "judge_one",
    "judge_samples",
    "match_request",
    "provenance_of",
]
