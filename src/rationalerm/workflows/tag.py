"""Tag every reason of a judged model with a rationale category and flaw tags, with an LLM (method.md section 9).

The RationaleRM paper shows *how* outcome-only training degrades rationales: evidence-grounded reasons give way to
generic, style-only ones, and single-sided praise rises from 17.8% to 62.0% (Figures 4-5). This workflow measures
the same for any model: one judge call per sample tags all of that sample's reasons at once (so "contradiction"
and "non sequitur" can be judged against the other reasons and the verdict), the answer is validated by
:func:`parse_tags` and asked again when it fails, and :func:`tag_rates` turns the records into per-model rates with
cluster-bootstrap intervals.

The output is resumable like ``rationalerm judge``: records of earlier runs that did not end ``ok`` (or
``skipped``) are dropped and retried, finished samples are not asked again, each record is one flushed line
(a torn last line is cut when the file is reopened), and a finished run rewrites the file in input order.
"""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compare import Rate, label_rates
from ..io import (
    InputError,
    JsonlAppender,
    RowProblem,
    iter_jsonl,
    repair_torn_tail,
    scan_input,
    write_jsonl,
)
from ..llm import Completion, JudgePool, PoolStats, Usage
from ..parse import ParseFailure, find_result_block
from ..prompts import Prompt, load_prompt, sanitize_item
from ..prompts.render import fill_template
from ..records import (
    PreferenceSample,
    RecordError,
    model_keys,
    parse_direction,
    sample_from_row,
    sample_id_of,
)

TAG_PROMPT = "tag_v1"

CATEGORIES = ("evidence_grounded", "criterion_grounded", "generic_style")
FLAWS = (
    "style_only",
    "generic_correctness",
    "generic_relevance",
    "single_sided_praise",
    "unfalsifiable",
    "non_sequitur",
    "contradiction",
)
CATEGORY_TITLES = {
    "evidence_grounded": "Evidence-grounded",
    "criterion_grounded": "Criterion-grounded",
    "generic_style": "Generic/style",
}
FLAW_TITLES = {
    "style_only": "Style only",
    "generic_correctness": "Generic correctness",
    "generic_relevance": "Generic relevance",
    "single_sided_praise": "Single-sided praise",
    "unfalsifiable": "Unfalsifiable",
    "non_sequitur": "Non sequitur",
    "contradiction": "Contradiction",
}

# Record statuses. ``skipped`` samples have nothing to tag and are final, like ``ok`` ones.
OK = "ok"
PARSE_FAILED = "parse_failed"
ERROR = "error"
SKIPPED = "skipped"
FINAL_STATUSES = (OK, SKIPPED)

# Parse failure reasons (stable strings, counted in summaries).
NOT_TEXT = "not_text"
NO_RESULT_BLOCK = "no_result_block"
NO_TAG_LINES = "no_tag_lines"
ITEM_INDEX_OUT_OF_RANGE = "item_index_out_of_range"
DUPLICATE_ITEM = "duplicate_item"
MISSING_ITEM = "missing_item"
UNKNOWN_CATEGORY = "unknown_category"
UNKNOWN_FLAW = "unknown_flaw"
MISSING_FLAWS = "missing_flaws"
MISSING_MODEL_CHECKLIST = "missing_model_checklist"
EMPTY_MODEL_LIST = "empty_model_list"

# Provenance keys that must agree before a resumed run reuses earlier records.
_RESUME_KEYS = ("judge_model", "prompt_version", "max_model_items", "context_chars")


# --------------------------------------------------------------------------------------------------------------
# Parsing the tagger's answer


@dataclass(frozen=True, slots=True)
class ItemTags:
    """The tags of one reason: its category and its flaws (in :data:`FLAWS` order, no repeats)."""

    category: str
    flaws: tuple[str, ...] = ()

    def labels(self) -> frozenset[str]:
        """The category and every flaw, the label set :func:`rationalerm.compare.label_rates` counts."""
        return frozenset((self.category, *self.flaws))


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


_CATEGORY_ALIASES: dict[str, str] = {
    **{name: name for name in CATEGORIES},
    "eg": "evidence_grounded",
    "evidence": "evidence_grounded",
    "evidencegrounded": "evidence_grounded",
    "cg": "criterion_grounded",
    "criterion": "criterion_grounded",
    "criteria_grounded": "criterion_grounded",
    "criterion_based": "criterion_grounded",
    "gs": "generic_style",
    "generic": "generic_style",
    "style": "generic_style",
    "generic_or_style": "generic_style",
}
_FLAW_ALIASES: dict[str, str] = {
    **{name: name for name in FLAWS},
    **{f"f{i}": name for i, name in enumerate(FLAWS, start=1)},
    "single_sided": "single_sided_praise",
    "one_sided_praise": "single_sided_praise",
    "nonsequitur": "non_sequitur",
    "contradictory": "contradiction",
}
_NO_FLAW = {"", "none", "no", "no_flaws", "no_flaw", "n_a", "na", "nil"}

_TAG_LINE_RE = re.compile(
    r"""^[ \t>]*(?:[-*+•·]|\d+[.)])?[ \t]*[*_`]*[ \t]*
        S[ \t]*(?P<index>\d+)[ \t]*[*_`]*[ \t]*[:=.)][ \t]*(?P<rest>.*?)[ \t]*$""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)
_FIELD_LABEL_RE = re.compile(r"\b(?:category|flaws?|tags?)\s*[:=]", re.IGNORECASE)


def _parse_line(rest: str) -> ItemTags | ParseFailure:
    text = _FIELD_LABEL_RE.sub(" ", rest.replace("*", "").replace("`", ""))
    parts = re.split(r"[|;]", text, maxsplit=1)
    if len(parts) < 2:
        return ParseFailure(MISSING_FLAWS, f"{rest.strip()!r}: expected '<category> | <flaws or none>'")
    category = _CATEGORY_ALIASES.get(_key(parts[0]))
    if category is None:
        return ParseFailure(UNKNOWN_CATEGORY, f"{parts[0].strip()!r} is not one of {', '.join(CATEGORIES)}")
    found: set[str] = set()
    for raw in re.split(r"[,/]", parts[1]):
        key = _key(raw)
        if key in _NO_FLAW:
            continue
        flaw = _FLAW_ALIASES.get(key)
        if flaw is None:
            return ParseFailure(UNKNOWN_FLAW, f"{raw.strip()!r} is not one of {', '.join(FLAWS)}")
        found.add(flaw)
    return ItemTags(category, tuple(f for f in FLAWS if f in found))


def parse_tags(text: object, n_items: int) -> list[ItemTags] | ParseFailure:
    """Parse and validate a tagging answer for ``n_items`` reasons. Never raises on text.

    Valid means exactly one ``S<j>: <category> | <flaws>`` line per reason (S1..Sn each once) inside the last
    result block, every category and flaw known (common spellings accepted: hyphens, spaces, EG/CG/GS, F1-F7),
    and the flaw part present (``none`` when there is no flaw).
    """
    if not isinstance(text, str):
        return ParseFailure(NOT_TEXT, f"expected text, got {type(text).__name__}")
    block = find_result_block(text)
    if block is None:
        return ParseFailure(NO_RESULT_BLOCK, "no <RESULT_START> ... <RESULT_END> block")
    lines = [(int(m.group("index")), m.group("rest")) for m in _TAG_LINE_RE.finditer(block)]
    if not lines:
        return ParseFailure(NO_TAG_LINES, "the result block has no 'S<j>: <category> | <flaws>' line")
    seen: dict[int, ItemTags] = {}
    for index, rest in lines:
        if not 1 <= index <= n_items:
            return ParseFailure(ITEM_INDEX_OUT_OF_RANGE, f"S{index}: the list has {n_items} reasons")
        parsed = _parse_line(rest)
        if isinstance(parsed, ParseFailure):
            return ParseFailure(parsed.reason, f"S{index}: {parsed.detail}")
        if index in seen and seen[index] != parsed:
            return ParseFailure(DUPLICATE_ITEM, f"S{index} has more than one line")
        seen[index] = parsed
    missing = [i for i in range(1, n_items + 1) if i not in seen]
    if missing:
        listed = ", ".join(f"S{i}" for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
        return ParseFailure(MISSING_ITEM, f"no line for {listed}")
    return [seen[i] for i in range(1, n_items + 1)]


# --------------------------------------------------------------------------------------------------------------
# Rendering the prompt

_RESULT_TAG_RE = re.compile(r"[<\[]\s*/?\s*RESULT[\s_]*(?:START|END)\s*[>\]]", re.IGNORECASE)
NOT_SHOWN = "(not shown)"


def _inert(text: str) -> str:
    """Free text (conversation, responses) with result tags removed, so data can never pose as the answer block.
    Line breaks are kept: code and lists in responses must stay readable to the tagger."""
    return _RESULT_TAG_RE.sub(" ", text)


def _shorten(text: str, limit: int, *, keep_end: bool = False) -> str:
    if limit <= 0:
        return NOT_SHOWN
    text = text.strip()
    if len(text) <= limit:
        return text or "(empty)"
    cut = len(text) - limit
    if keep_end:
        return f"[... {cut} characters cut]\n{text[-limit:]}"
    return f"{text[:limit]}\n[... {cut} characters cut]"


def _conversation(sample: PreferenceSample) -> str:
    parts = []
    for message in sample.context:
        if isinstance(message, Mapping):
            role = str(message.get("role", "user"))
            content = message.get("content", "")
            parts.append(f"{role}: {content}" if isinstance(content, str) else f"{role}: {content!r}")
        else:
            parts.append(str(message))
    return "\n".join(parts)


def _verdict_text(raw_label: Any) -> str:
    direction = parse_direction(raw_label)
    if direction == 1:
        return "Response A is better"
    if direction == 2:
        return "Response B is better"
    if direction == 0:
        return "a tie"
    return "(not given)" if raw_label is None else f"unreadable ({sanitize_item(raw_label)[:80]})"


def render_tag_prompt(
    prompt: Prompt, sample: PreferenceSample, model: str, items: Sequence[str], *, context_chars: int
) -> str:
    """Fill the tagging template in one pass (text inside a value is never read as a placeholder). Reasons are
    sanitized to one inert line each; the conversation keeps its end and the responses their start, each cut to
    ``context_chars`` characters (0: not shown)."""
    judgment = sample.judgments.get(model)
    values = {
        "context": _inert(_shorten(_conversation(sample), context_chars, keep_end=True)),
        "response_a": _inert(_shorten(sample.response1, context_chars)),
        "response_b": _inert(_shorten(sample.response2, context_chars)),
        "verdict": _verdict_text(judgment.raw_label if judgment is not None else None),
        "n_items": str(len(items)),
        "items": "\n".join(f"S{i}. {sanitize_item(item)}" for i, item in enumerate(items, start=1))
        or "(none)",
    }
    return fill_template(prompt.text, values, prompt.name)


# --------------------------------------------------------------------------------------------------------------
# Tagging


@dataclass(slots=True)
class Tagger:
    """A judge pool and the settings of one tagging run. Enter the pool (``async with``) in the loop that uses it."""

    pool: JudgePool
    prompt: Prompt = field(default_factory=lambda: load_prompt(TAG_PROMPT))
    temperature: float | None = 0.6
    max_tokens: int | None = 4096
    seed: int | None = None
    max_format_retries: int = 2
    max_model_items: int | None = None
    context_chars: int = 4000
    use_cache: bool = True

    def provenance(self) -> dict[str, Any]:
        """What produced a record (base URLs are already free of credentials)."""
        from .. import __version__

        return {
            "judge_model": self.pool.model,
            "base_url": ",".join(self.pool.base_urls),
            "prompt_version": self.prompt.version,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "max_model_items": self.max_model_items or 0,
            "context_chars": self.context_chars,
            "rationalerm_version": __version__,
        }

    async def tag(self, sample: PreferenceSample, model: str) -> dict[str, Any]:
        """The output record of one sample's reasons; never raises for a bad sample or a failing judge."""
        judgment = sample.judgments.get(model)
        base: dict[str, Any] = {"id": sample.id, "model": model, "domain": sample.domain}
        if judgment is None or judgment.checklist is None:
            return {**base, "status": SKIPPED, "reason": MISSING_MODEL_CHECKLIST, "items": []}
        items = list(
            judgment.checklist[: self.max_model_items] if self.max_model_items else judgment.checklist
        )
        base["label"] = judgment.raw_label
        base["outcome_correct"] = (
            judgment.label == sample.human_label
            if sample.human_label is not None and judgment.raw_label is not None
            else None
        )
        if not items:
            return {**base, "status": SKIPPED, "reason": EMPTY_MODEL_LIST, "items": []}
        text = render_tag_prompt(self.prompt, sample, model, items, context_chars=self.context_chars)
        completion = await self.pool.complete(
            [{"role": "user", "content": text}],
            validate=lambda answer: parse_tags(answer, len(items)),
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            seed=self.seed,
            max_format_retries=self.max_format_retries,
            use_cache=self.use_cache,
        )
        return {**base, **_completion_fields(completion, items)}


def _completion_fields(completion: Completion, items: Sequence[str]) -> dict[str, Any]:
    tags: list[ItemTags] | None = completion.value if completion.ok else None
    status = OK if completion.ok else (PARSE_FAILED if completion.status == "invalid" else ERROR)
    return {
        "status": status,
        "reason": None if completion.ok else completion.reason,
        "detail": None if completion.ok else completion.detail,
        "items": [
            {
                "index": i,
                "text": item,
                "category": tags[i - 1].category if tags else None,
                "flaws": list(tags[i - 1].flaws) if tags else None,
            }
            for i, item in enumerate(items, start=1)
        ],
        "answer": completion.text,
        "attempts": completion.attempts,
        "cached": completion.cached,
        "usage": completion.usage.as_dict(),
    }


async def iter_tagged(
    samples: Iterable[PreferenceSample], *, model: str, tagger: Tagger, max_pending: int | None = None
) -> AsyncIterator[dict[str, Any]]:
    """Tag samples concurrently, yielding each record as soon as it is done (completion order). At most
    ``max_pending`` samples (default 4 x the pool's concurrency) are in progress, so memory stays bounded."""
    limit = max_pending or 4 * tagger.pool.concurrency
    pending: set[asyncio.Task[dict[str, Any]]] = set()
    try:
        for sample in samples:
            if len(pending) >= limit:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
            pending.add(asyncio.ensure_future(tagger.tag(sample, model)))
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                yield task.result()
    finally:
        for task in pending:
            task.cancel()


# --------------------------------------------------------------------------------------------------------------
# Files


@dataclass(slots=True)
class TagRunSummary:
    """What a :func:`tag_file` run did. ``already_done`` samples were finished by an earlier run."""

    input: str
    output: str
    model: str
    total: int = 0
    already_done: int = 0
    tagged: int = 0
    ok: int = 0
    skipped: int = 0
    failed: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    problems: list[RowProblem] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    wall_s: float = 0.0
    pool: PoolStats | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "output": self.output,
            "model": self.model,
            "total": self.total,
            "already_done": self.already_done,
            "tagged": self.tagged,
            "ok": self.ok,
            "skipped": self.skipped,
            "failed": self.failed,
            "reasons": dict(self.reasons),
            "problems": [str(p) for p in self.problems],
            "usage": self.usage.as_dict(),
            "wall_s": self.wall_s,
            "pool": self.pool.as_dict() if self.pool is not None else None,
        }


def default_output(input_path: Path, model: str) -> Path:
    """``<input stem>.<model>.tags.jsonl`` beside the input."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    return input_path.with_name(f"{input_path.stem}.{safe}.tags.jsonl")


def _prepare_output(path: Path, model: str, provenance: Mapping[str, Any], resume: bool) -> set[str]:
    """Make ``path`` ready to append to and return the sample ids of ``model`` already final there.

    Drops this model's unfinished records (they are retried) and repeats, and refuses to mix runs made with
    another judge, prompt, cap or context size.
    """
    if not resume:
        path.unlink(missing_ok=True)
        return set()
    if not path.exists():
        return set()
    repair_torn_tail(path)
    kept: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    changed = False
    for line, row in iter_jsonl(path):
        if isinstance(row, RowProblem):
            raise InputError(RowProblem(str(path), line, None, f"existing output is damaged: {row.message}"))
        if row.get("model") != model or "id" not in row:
            kept.append(row)
            continue
        if row.get("status") not in FINAL_STATUSES:
            changed = True
            continue
        recorded = row.get("provenance") if isinstance(row.get("provenance"), Mapping) else {}
        for name in _RESUME_KEYS:
            if name in recorded and recorded[name] != provenance.get(name):
                raise InputError(
                    RowProblem(
                        str(path),
                        line,
                        f"provenance.{name}",
                        f"the existing output was written with {name}={recorded[name]!r}, this run uses "
                        f"{provenance.get(name)!r}; write to another --output or pass --restart",
                    )
                )
        sample_id = str(row["id"])
        if sample_id in index:
            kept[index[sample_id]] = row
            changed = True
        else:
            index[sample_id] = len(kept)
            kept.append(row)
    if changed:
        write_jsonl(path, kept)
    return set(index)


def _compact(path: Path, model: str, order: Sequence[str]) -> None:
    """Rewrite ``path`` atomically: this model's records in input order, then everything else as it was."""
    mine: dict[str, dict[str, Any]] = {}
    others: list[dict[str, Any]] = []
    for _, row in iter_jsonl(path):
        if isinstance(row, RowProblem):
            continue
        if row.get("model") == model and "id" in row:
            mine[str(row["id"])] = row
        else:
            others.append(row)
    rows = [mine.pop(sample_id) for sample_id in order if sample_id in mine]
    rows.extend(mine.values())
    rows.extend(others)
    write_jsonl(path, rows)


async def tag_file(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    model: str,
    tagger: Tagger,
    resume: bool = True,
    strict: bool = False,
    dedupe: str = "error",
    on_problem: Callable[[RowProblem], None] | None = None,
    on_record: Callable[[dict[str, Any]], None] | None = None,
) -> TagRunSummary:
    """Tag every row's ``model`` reasons from ``input_path`` into ``output_path`` (resumable, crash-safe).

    Bad rows are reported (file, line, field) through ``on_problem`` and the rest still run; with ``strict`` the
    first one raises :class:`InputError`. The input is read once first: no row, a JSON array, invalid UTF-8 or two
    rows with one sample id (unless ``dedupe`` is ``first`` or ``last``) raise :class:`InputError` before anything
    is sent or written. Every record carries the run's provenance.
    """
    started = time.perf_counter()
    source = Path(input_path)
    target = Path(output_path)
    if not source.is_file():
        raise InputError(RowProblem(str(source), 0, None, "no such file"))
    if target.exists() and source.resolve() == target.resolve():
        raise InputError(RowProblem(str(target), 0, None, "the output must not be the input file"))
    provenance = tagger.provenance()
    summary = TagRunSummary(input=str(source), output=str(target), model=model, pool=tagger.pool.stats)
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
        for line, row in iter_jsonl(source):
            if isinstance(row, RowProblem):
                report(row)
                continue
            try:
                sample = sample_from_row(row, models=[model], require_human=False)
            except RecordError as exc:
                report(RowProblem(str(source), line, exc.field, exc.message))
                continue
            left_out = duplicates.check(sample.id, line)
            if left_out is not None:
                report(left_out)
                continue
            order.append(sample.id)
            summary.total += 1
            if sample.id in done_ids:
                summary.already_done += 1
                continue
            if sample.judgments[model].checklist is None:
                report(RowProblem(str(source), line, model_keys(row, model).checklist, "missing"))
            yield sample

    with JsonlAppender(target) as out:
        async for record in iter_tagged(samples(), model=model, tagger=tagger):
            record["provenance"] = provenance
            out.write(record)
            summary.tagged += 1
            status = record["status"]
            summary.ok += status == OK
            summary.skipped += status == SKIPPED
            summary.failed += status in (PARSE_FAILED, ERROR)
            if status != OK and record.get("reason"):
                summary.reasons[str(record["reason"])] += 1
            usage = record.get("usage")
            if isinstance(usage, Mapping):
                summary.usage.add(
                    Usage(
                        prompt_tokens=int(usage.get("prompt_tokens", 0)),
                        completion_tokens=int(usage.get("completion_tokens", 0)),
                        cached_prompt_tokens=int(usage.get("cached_prompt_tokens", 0)),
                    )
                )
            if on_record is not None:
                on_record(record)
    _compact(target, model, order)
    summary.wall_s = time.perf_counter() - started
    return summary


# --------------------------------------------------------------------------------------------------------------
# Rates


@dataclass(frozen=True, slots=True)
class ModelTagRates:
    """One model's tag rates over its ``ok`` records: category shares and flaw rates (share of reasons)."""

    model: str
    samples: int
    items: int
    failed: int
    categories: dict[str, Rate]
    flaws: dict[str, Rate]

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "samples": self.samples,
            "items": self.items,
            "failed": self.failed,
            "categories": {k: v.as_dict() for k, v in self.categories.items()},
            "flaws": {k: v.as_dict() for k, v in self.flaws.items()},
        }


def is_tag_record(row: Mapping[str, Any]) -> bool:
    """Whether a JSONL row looks like a record written by :func:`tag_file`."""
    items = row.get("items")
    return (
        "model" in row
        and "id" in row
        and "status" in row
        and isinstance(items, list)
        and all(isinstance(i, Mapping) and "category" in i and "flaws" in i for i in items)
    )


def tag_rates(
    records: Iterable[Mapping[str, Any]], *, n_resamples: int = 2000, seed: int = 0
) -> list[ModelTagRates]:
    """Per-model category shares and flaw rates with 95% cluster-bootstrap intervals (samples resampled), in
    first-seen model order. Records that did not end ``ok`` are counted as failed, never as untagged reasons."""
    by_model: dict[str, list[list[frozenset[str]]]] = {}
    failed: Counter[str] = Counter()
    for row in records:
        model = str(row.get("model"))
        by_model.setdefault(model, [])
        if row.get("status") == OK:
            by_model[model].append(
                [ItemTags(str(i["category"]), tuple(i.get("flaws") or ())).labels() for i in row["items"]]
            )
        elif row.get("status") in (PARSE_FAILED, ERROR):
            failed[model] += 1
    results = []
    for model, samples in by_model.items():
        rates = label_rates(samples, [*CATEGORIES, *FLAWS], n_resamples=n_resamples, seed=seed)
        results.append(
            ModelTagRates(
                model=model,
                samples=len(samples),
                items=sum(len(s) for s in samples),
                failed=failed[model],
                categories={name: rates[name] for name in CATEGORIES},
                flaws={name: rates[name] for name in FLAWS},
            )
        )
    return results


__all__ = [
    "CATEGORIES",
    "CATEGORY_TITLES",
    "FLAWS",
    "FLAW_TITLES",
    "TAG_PROMPT",
    "ItemTags",
    "ModelTagRates",
    "TagRunSummary",
    "Tagger",
    "default_output",
    "is_tag_record",
    "iter_tagged",
    "parse_tags",
    "render_tag_prompt",
    "tag_file",
    "tag_rates",
]
