"""What the judge-side workflows (``generate``, ``decompose``, ``golden``, ``metarm``) share.

* rendering a prompt template into chat messages (``@@system`` / ``@@user`` sections, ``{{name}}`` placeholders
  filled in one pass so inserted text is never itself read as a placeholder);
* making inserted multi-line text inert (:func:`sanitize_block`): a response that contains the prompt's own
  delimiters or a result tag must not be able to end a section early or forge an answer;
* reading a conversation and two responses from any of the row layouts users bring (HelpSteer3, HelpSteer3-Atomic,
  JudgeBench, R-Align, plain ``prompt`` rows);
* a resumable, append-only, row-in/row-out runner: each output row is the input row with fields added, written as
  one flushed line as soon as it is done; a resumed run keeps the rows that ended ``ok``, retries the others and
  refuses to mix runs made with different settings; a finished run rewrites the file atomically in input order.
  The input is read once first (keys only): an input with no row, or two rows with one key (unless the user chose
  ``--dedupe first|last``), is an error before any row is processed or written.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import aio
from ..io import (
    Dedupe,
    InputError,
    JsonlAppender,
    RowProblem,
    iter_jsonl,
    no_rows,
    repair_torn_tail,
    scan_input,
    write_jsonl,
)
from ..llm import Completion, JudgePool, PoolStats, Usage, default_cache_path
from ..prompts import Prompt
from ..prompts.render import fill_template
from ..records import RecordError, stable_id

OK = "ok"
PARSE_FAILED = "parse_failed"
ERROR = "error"
BAD_ROW = "bad_row"

Message = dict[str, str]

# --------------------------------------------------------------------------------------------------------------
# Templates

_SECTION_RE = re.compile(r"^@@(system|user)[ \t]*$", re.MULTILINE)


def render_messages(prompt: Prompt, values: Mapping[str, str]) -> list[Message]:
    """Fill ``prompt`` and split it into chat messages at its ``@@system`` / ``@@user`` lines (a template without
    them is one user message). An unknown placeholder is a KeyError naming the template: a silent blank in a
    prompt would change every answer without a trace."""

    text = fill_template(prompt.text, values, prompt.name)
    marks = list(_SECTION_RE.finditer(text))
    if not marks:
        return [{"role": "user", "content": text.strip()}]
    messages: list[Message] = []
    for index, mark in enumerate(marks):
        end = marks[index + 1].start() if index + 1 < len(marks) else len(text)
        content = text[mark.end() : end].strip("\n")
        if content.strip():
            messages.append({"role": mark.group(1), "content": content})
    return messages


# Tags and delimiters the judge-side prompts use, plus the answer formats their parsers read.
_STRUCTURE_TAG_RE = re.compile(
    r"<\s*(/?)\s*(conversation|response_[ab12]|annotator_rationales|golden_judge|genrm_output|golden_key_points|"
    r"genrm_analysis|final_verdict|think|thinking|RESULT[\s_]*START|RESULT[\s_]*END)\s*>",
    re.IGNORECASE,
)
_DELIMITER_RE = re.compile(
    r"\[\[\s*((?:end of )?(?:user prompt|answer [ab]|dialogue[^\]]*|turn \d+[^\]]*))\s*\]\]", re.I
)


def sanitize_block(text: object) -> str:
    """Multi-line material made inert: the prompts' own tags (``</response_a>``, ``<golden_judge>``, result tags,
    ``<think>``) become ``‹tag›`` and their ``[[...]]`` delimiters become ``[ ... ]``, so a response cannot close its
    section early or plant an answer. Everything else, line breaks included, is kept as written."""
    value = text if isinstance(text, str) else ("" if text is None else str(text))
    value = _STRUCTURE_TAG_RE.sub(lambda m: f"‹{m.group(1)}{m.group(2)}›", value)
    return _DELIMITER_RE.sub(lambda m: f"[ {m.group(1)} ]", value)


# --------------------------------------------------------------------------------------------------------------
# Rows: conversations, response pairs, keys


@dataclass(frozen=True, slots=True)
class PairInput:
    """A conversation (chat messages, last one from the user) and the two responses to compare (A = 1, B = 2)."""

    context: list[dict[str, Any]]
    response_a: str
    response_b: str


_RESPONSE_KEYS = (("response1", "response2"), ("response_A", "response_B"), ("response_a", "response_b"))


def conversation_of(row: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The chat messages of a row: ``context`` (a list, or a string), ``conversations`` (R-Align), ``prompt`` or
    ``question`` (JudgeBench). Raises :class:`RecordError` naming the field when there is none."""
    for key in ("context", "conversations", "messages"):
        value = row.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            return [{"role": "user", "content": value}]
        if not isinstance(value, list) or not all(isinstance(m, Mapping) for m in value):
            raise RecordError(key, f"must be a list of chat messages, got {type(value).__name__}")
        if not value:
            raise RecordError(key, "is an empty conversation")
        return [dict(m) for m in value]
    for key in ("prompt", "question", "instruction"):
        value = row.get(key)
        if isinstance(value, str) and value.strip():
            return [{"role": "user", "content": value}]
    raise RecordError("context", "missing (no context, conversations, prompt or question field)")


def pair_of(row: Mapping[str, Any]) -> PairInput:
    """The conversation and the two responses of a row (``response1``/``response2``, ``response_A``/``response_B``)."""
    context = conversation_of(row)
    for first, second in _RESPONSE_KEYS:
        if first in row or second in row:
            for key in (first, second):
                value = row.get(key)
                if not isinstance(value, str):
                    reason = "missing" if value is None else f"must be a string, got {type(value).__name__}"
                    raise RecordError(key, reason)
            return PairInput(context, row[first], row[second])
    raise RecordError("response1", "missing (no response1/response2 or response_A/response_B fields)")


def message_text(message: Mapping[str, Any]) -> str:
    """A message's text; multimodal content lists keep their text parts."""
    content = message.get("content")
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, Mapping))
    return "" if content is None else str(content)


def _speaker(message: Mapping[str, Any]) -> str:
    role = str(message.get("role") or "user").lower()
    return {"assistant": "Assistant", "system": "System", "user": "User"}.get(role, role.capitalize())


def format_transcript(messages: Sequence[Mapping[str, Any]]) -> str:
    """Every turn as ``[User]`` / ``[Assistant]`` followed by its sanitized text."""
    return "\n\n".join(f"[{_speaker(m)}]\n{sanitize_block(message_text(m))}" for m in messages)


def split_dialogue(messages: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """(the earlier turns framed as a dialogue block, or "" for a single turn; the last user message), for the
    R-Align style prompts, which show the final prompt apart from the dialogue that led to it."""
    last_user = max((i for i, m in enumerate(messages) if str(m.get("role", "user")) == "user"), default=-1)
    if last_user < 0:
        return "", sanitize_block(message_text(messages[-1])) if messages else ""
    earlier = messages[:last_user]
    prompt = sanitize_block(message_text(messages[last_user]))
    if not earlier:
        return "", prompt
    return f"[[Dialogue so far]]\n{format_transcript(earlier)}\n[[End of dialogue so far]]\n\n", prompt


def row_key(row: Mapping[str, Any]) -> str:
    """The key a run resumes by: ``id``, ``sample_id`` or ``pair_id``; else the content hash downstream readers
    use (:func:`rationalerm.records.stable_id`) when the row has a conversation or responses; else a hash of the
    whole row."""
    for name in ("id", "sample_id", "pair_id"):
        value = row.get(name)
        if value is not None and not isinstance(value, dict | list):
            return str(value)
    if any(row.get(k) is not None for k in ("context", "prompt", "response1", "response2")):
        return stable_id(row)
    payload = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


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
    ``async with`` inside the event loop that uses it. ValueError for options that cannot work."""
    urls = list(base_urls) or ([os.environ["OPENAI_BASE_URL"]] if os.environ.get("OPENAI_BASE_URL") else [])
    if not urls:
        raise ValueError("no judge server: pass --base-url or set OPENAI_BASE_URL")
    return JudgePool(
        judge_model,
        urls,
        api_key=api_key,
        concurrency=concurrency,
        timeout=timeout,
        max_retries=max_retries,
        cache=(cache or default_cache_path()) if use_cache else None,
    )


def run_with_pool(
    work: Callable[[JudgePool], Awaitable[Any]],
    *,
    judge_model: str,
    base_urls: Sequence[str],
    api_key: str | None = None,
    concurrency: int = 64,
    cache: str | os.PathLike[str] | None = None,
    use_cache: bool = True,
) -> Any:
    """Run ``work(pool)`` in a new event loop with a pool opened from these options: the shared body of the
    synchronous ``*_file`` forms of the judge-side workflows."""

    async def run() -> Any:
        async with open_pool(
            judge_model=judge_model,
            base_urls=base_urls,
            api_key=api_key,
            concurrency=concurrency,
            cache=cache,
            use_cache=use_cache,
        ) as pool:
            return await work(pool)

    return aio.run(run())


def provenance(pool: JudgePool, prompt: Prompt, **settings: Any) -> dict[str, Any]:
    """What produced a record: judge model, base URLs without credentials, prompt version, sampling settings and the
    package version."""
    from .. import __version__

    return {
        "judge_model": pool.model,
        "base_url": ",".join(pool.base_urls),
        "prompt_version": prompt.version,
        **settings,
        "rationalerm_version": __version__,
    }


# --------------------------------------------------------------------------------------------------------------
# The resumable row runner


@dataclass(slots=True)
class RowOutcome:
    """One processed row: the output row (input fields kept), its status, why it is not ``ok``, and the calls made
    (for token accounting). ``tags`` are extra counts for the summary (e.g. ``too_few``)."""

    row: dict[str, Any]
    status: str
    reason: str | None = None
    completions: list[Completion] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(slots=True)
class RunSummary:
    """What a file run did. ``already_ok`` rows were kept from an earlier run without new calls."""

    input: str
    output: str
    task: str
    total: int = 0
    already_ok: int = 0
    processed: int = 0
    ok: int = 0
    parse_failed: int = 0
    error: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    tags: Counter[str] = field(default_factory=Counter)
    problems: list[RowProblem] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cached: int = 0
    wall_s: float = 0.0
    pool: PoolStats | None = None

    @property
    def failed(self) -> int:
        return self.parse_failed + self.error

    def add(self, outcome: RowOutcome) -> None:
        self.processed += 1
        if outcome.status == OK:
            self.ok += 1
        elif outcome.status == PARSE_FAILED:
            self.parse_failed += 1
        else:
            self.error += 1
        if outcome.reason and outcome.status != OK:
            self.reasons[outcome.reason] += 1
        self.tags.update(outcome.tags)
        for completion in outcome.completions:
            self.usage.add(completion.usage)
            self.cached += int(completion.cached)

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "task": self.task,
            "total": self.total,
            "already_ok": self.already_ok,
            "processed": self.processed,
            "ok": self.ok,
            "parse_failed": self.parse_failed,
            "error": self.error,
            "reasons": dict(self.reasons),
            "tags": dict(self.tags),
            "problems": [str(p) for p in self.problems],
            "usage": self.usage.as_dict(),
            "cached": self.cached,
            "wall_s": self.wall_s,
            "pool": self.pool.as_dict() if self.pool is not None else None,
        }


@dataclass(frozen=True, slots=True)
class OutputLayout:
    """Where a task keeps its bookkeeping in each output row (``<prefix>status``, ``<prefix>reason``,
    ``<prefix>detail``, ``<prefix>provenance``), and which provenance settings must agree before a resumed run may
    reuse a row."""

    prefix: str
    resume_keys: tuple[str, ...] = ("judge_model", "prompt_version")

    @property
    def status_key(self) -> str:
        return f"{self.prefix}status"

    @property
    def reason_key(self) -> str:
        return f"{self.prefix}reason"

    @property
    def detail_key(self) -> str:
        return f"{self.prefix}detail"

    @property
    def provenance_key(self) -> str:
        return f"{self.prefix}provenance"

    def mark(
        self,
        row: dict[str, Any],
        status: str,
        reason: str | None,
        detail: str | None,
        prov: Mapping[str, Any],
    ) -> None:
        """Write the bookkeeping fields into ``row``."""
        row[self.status_key] = status
        row[self.reason_key] = reason
        row[self.detail_key] = detail or None
        row[self.provenance_key] = dict(prov)


def prepare_output(
    path: Path, layout: OutputLayout, provenance: Mapping[str, Any], *, resume: bool
) -> dict[str, dict[str, Any]]:
    """Make ``path`` ready to append to and return its ``ok`` rows by key.

    Rows that did not end ``ok`` are dropped (they are about to be retried) and a repeated key keeps its last row,
    so from here on the file holds at most one row per key. A row written with other settings is an
    :class:`InputError`: mixing two judges in one file would make its numbers meaningless.
    """
    if not resume:
        if path.exists():
            path.unlink()
        return {}
    if not path.exists():
        return {}
    repair_torn_tail(path)
    kept: dict[str, dict[str, Any]] = {}
    changed = False
    for line, row in iter_jsonl(path):
        if isinstance(row, RowProblem):
            raise InputError(RowProblem(str(path), line, None, f"existing output is damaged: {row.message}"))
        if row.get(layout.status_key) != OK:
            changed = True
            continue
        recorded = row.get(layout.provenance_key)
        recorded = recorded if isinstance(recorded, Mapping) else {}
        for name in layout.resume_keys:
            if name in recorded and recorded[name] != provenance.get(name):
                raise InputError(
                    RowProblem(
                        str(path),
                        line,
                        f"{layout.provenance_key}.{name}",
                        f"the existing output was written with {name}={recorded[name]!r}, this run uses "
                        f"{provenance.get(name)!r}; write to another --output or pass --restart",
                    )
                )
        key = row_key(row)
        changed = changed or key in kept
        kept[key] = row
    if changed:
        write_jsonl(path, kept.values())
    return kept


def compact_output(path: Path, order: Sequence[str]) -> None:
    """Rewrite ``path`` atomically with its rows in input order (rows of keys no longer in the input last)."""
    if not path.exists():
        return
    rows: dict[str, dict[str, Any]] = {}
    for _, row in iter_jsonl(path):
        if isinstance(row, dict):
            rows[row_key(row)] = row
    ordered = [rows.pop(key) for key in order if key in rows]
    ordered.extend(rows.values())
    write_jsonl(path, ordered)


async def _bounded(
    rows: Iterable[dict[str, Any]], process: Callable[[dict[str, Any]], Awaitable[RowOutcome]], limit: int
) -> AsyncIterator[RowOutcome]:
    """``process`` each row concurrently with at most ``limit`` rows in progress; outcomes in completion order."""
    pending: set[asyncio.Task[RowOutcome]] = set()
    try:
        for row in rows:
            if len(pending) >= limit:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
            pending.add(asyncio.ensure_future(process(row)))
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield task.result()
    finally:
        for task in pending:
            task.cancel()


def bad_row_outcome(
    row: Mapping[str, Any], layout: OutputLayout, error: RecordError, prov: Mapping[str, Any]
) -> RowOutcome:
    """The output row for an input row that cannot be processed: kept, with status ``error`` and the field named."""
    out = dict(row)
    layout.mark(out, ERROR, BAD_ROW, str(error), prov)
    return RowOutcome(out, ERROR, BAD_ROW)


RowSource = Iterator[tuple[int, dict[str, Any] | RowProblem]]


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
    resume: bool = True,
    strict: bool = False,
    dedupe: str = "error",
    total_hint: int | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[RowOutcome], None] | None = None,
    on_problem: Callable[[RowProblem], None] | None = None,
) -> RunSummary:
    """Process ``rows`` (``(line, row or problem)``, or a function that reads them afresh) into ``output_path``,
    resumably (see the module docstring).

    Given a function, the rows are read once first, keys only: no row at all, or two rows with one key (``dedupe``
    ``error``, the default), raise :class:`InputError` before anything is processed or written; ``first`` or
    ``last`` uses that row and reports the others. Given an iterator, a duplicate raises when it is reached (or the
    first row is kept) and ``last`` is not available. ``check_row`` raises :class:`RecordError` for a row that cannot be processed; such a row is reported through
    ``on_problem`` (file, line, field), written with status ``error`` and the run goes on (``strict``: the first one
    raises :class:`InputError`). ``process`` must not raise for judge or server faults: they are outcomes.
    """
    started = time.perf_counter()
    target = Path(output_path)
    summary = RunSummary(input=source_name, output=str(target), task=task, pool=pool.stats if pool else None)
    if callable(rows):
        duplicates = scan_input(source_name, rows, row_key, dedupe)
        rows = rows()
    elif dedupe == "last":
        raise ValueError("dedupe 'last' needs the rows as a function that reads them afresh")
    else:
        duplicates = Dedupe(source_name, dedupe)
    done = prepare_output(target, layout, provenance, resume=resume)

    def report(problem: RowProblem) -> None:
        if strict and not problem.is_note:
            raise InputError(problem)
        summary.problems.append(problem)
        if on_problem is not None:
            on_problem(problem)

    order: list[str] = []
    failed_rows: list[RowOutcome] = []

    seen = [0]

    def todo() -> Iterator[dict[str, Any]]:
        for line, row in rows:
            seen[0] += 1
            if isinstance(row, RowProblem):
                report(row)
                continue
            key = row_key(row)
            left_out = duplicates.check(key, line)
            if left_out is not None:
                report(left_out)
                continue
            order.append(key)
            summary.total += 1
            if key in done:
                summary.already_ok += 1
                continue
            if check_row is not None:
                try:
                    check_row(row)
                except RecordError as exc:
                    report(RowProblem(source_name, line, exc.field, exc.message))
                    failed_rows.append(bad_row_outcome(row, layout, exc, provenance))
                    continue
            yield row

    if on_start is not None:
        on_start(total_hint if total_hint is not None else 0, len(done))
    limit = 4 * (pool.concurrency if pool is not None else 16)
    with JsonlAppender(target) as out:

        def emit(outcome: RowOutcome) -> None:
            out.write(outcome.row)
            summary.add(outcome)
            if on_result is not None:
                on_result(outcome)

        async for outcome in _bounded(todo(), process, limit):
            while failed_rows:
                emit(failed_rows.pop(0))
            emit(outcome)
        while failed_rows:
            emit(failed_rows.pop(0))
    if not seen[0]:
        if target.exists() and target.stat().st_size == 0:
            target.unlink()
        raise no_rows(source_name)
    compact_output(target, order)
    summary.wall_s = time.perf_counter() - started
    return summary


def check_distinct_paths(source: Path, target: Path) -> None:
    """An :class:`InputError` when the output would overwrite the input."""
    if source.exists() and target.exists() and source.resolve() == target.resolve():
        raise InputError(RowProblem(str(target), 0, None, "the output must not be the input file"))


__all__ = [
    "ERROR",
    "OK",
    "PARSE_FAILED",
    "OutputLayout",
    "PairInput",
    "RowOutcome",
    "RunSummary",
    "bad_row_outcome",
    "check_distinct_paths",
    "compact_output",
    "conversation_of",
    "format_transcript",
    "open_pool",
    "pair_of",
    "prepare_output",
    "provenance",
    "render_messages",
    "row_key",
    "run_rows",
    "sanitize_block",
    "split_dialogue",
]
