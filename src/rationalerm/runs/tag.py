"""Tag every reason of a judged model with a rationale category and flaw tags, with an LLM (method.md section 9).

The RationaleRM paper shows *how* outcome-only training degrades rationales: evidence-grounded reasons give way to
generic, style-only ones, and single-sided praise rises from 17.8% to 62.0% (Figures 4-5). This workflow measures
the same for any model: one judge call per sample tags all of that sample's reasons at once (so "contradiction"
and "non sequitur" can be judged against the other reasons and the verdict), the answer is validated by
:func:`parse_tags` and asked again when it fails, and :func:`tag_rates` turns the records into per-model rates with
cluster-bootstrap intervals.

The parser and the tag vocabulary are in :mod:`rationalerm.parse.tags`; the template is ``prompts/tag_v1.txt``.
:func:`tag_async` (sync: :func:`tag`; before issue 18 ``tag_file``) writes the records. The output is resumable
like ``rationalerm judge`` (one :class:`~rationalerm.io.resume.ResumableOutput`): records of earlier runs that did not end ``ok`` (or
``skipped``) are dropped and retried, finished samples are not asked again, each record is one flushed line
(a torn last line is cut when the file is reopened), and a finished run rewrites the file in input order.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Unpack

from ..aio import iter_bounded
from ..io import ResumableOutput
from ..io.resume import ERROR, OK, PARSE_FAILED, SKIPPED, TagRunSummary
from ..llm import Completion, JudgePool
from ..parse.tags import CATEGORIES, FLAWS, ItemTags, parse_tags
from ..prompts import Prompt, load_prompt, sanitize_item
from ..prompts.render import fill_template
from ..records import (
    PreferenceSample,
    RecordError,
    model_keys,
    parse_direction,
)
from ..stats.tags import (  # moved there (report/ needs them without the client); re-exported here
    CATEGORY_TITLES,
    FLAW_TITLES,
    ModelTagRates,
    is_tag_record,
    tag_rates,
)
from .runner import InputOptions, RowOutcome, run_samples, sync_form

TAG_PROMPT = "tag_v1"


# Record statuses: ``skipped`` samples have nothing to tag and are final, like ``ok`` ones.
FINAL_STATUSES = (OK, SKIPPED)

MISSING_MODEL_CHECKLIST = "missing_model_checklist"
EMPTY_MODEL_LIST = "empty_model_list"

# Provenance keys that must agree before a resumed run reuses earlier records.
_RESUME_KEYS = ("judge_model", "prompt_version", "max_model_items", "context_chars")


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
        from ..version import __version__

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
        return (await self.tag_with_call(sample, model))[0]

    async def tag_with_call(
        self, sample: PreferenceSample, model: str
    ) -> tuple[dict[str, Any], Completion | None]:
        """:meth:`tag`, and the judge call it made (None when there was nothing to tag)."""
        judgment = sample.judgments.get(model)
        base: dict[str, Any] = {"id": sample.id, "model": model, "domain": sample.domain}
        if judgment is None or judgment.checklist is None:
            return {**base, "status": SKIPPED, "reason": MISSING_MODEL_CHECKLIST, "items": []}, None
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
            return {**base, "status": SKIPPED, "reason": EMPTY_MODEL_LIST, "items": []}, None
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
        return {**base, **_completion_fields(completion, items)}, completion


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
    results = iter_bounded(samples, lambda sample: tagger.tag(sample, model), limit=limit)
    async with contextlib.aclosing(results):
        async for _, record in results:
            yield record


# --------------------------------------------------------------------------------------------------------------
# Files


def default_output(input_path: Path, model: str) -> Path:
    """``<input stem>.<model>.tags.jsonl`` beside the input."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in model)
    return input_path.with_name(f"{input_path.stem}.{safe}.tags.jsonl")


def tag_output(path: str | os.PathLike[str], model: str) -> ResumableOutput:
    """A tag run's output: ``model``'s records keyed by sample id (other models' are kept as they are), final when
    ``ok`` or ``skipped``, resumed only with the same judge, prompt, cap and context size."""
    return ResumableOutput(
        path,
        key=lambda row: str(row["id"]) if row.get("model") == model and "id" in row else None,
        status_at=("status",),
        provenance_at=("provenance",),
        resume_keys=_RESUME_KEYS,
        final=FINAL_STATUSES,
    )


def _require_checklist(sample: PreferenceSample, model: str) -> None:
    if sample.judgments[model].checklist is None:
        raise RecordError(model_keys(sample.row, model).checklist, "missing")


async def tag_async(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    model: str,
    tagger: Tagger,
    on_record: Callable[[dict[str, Any]], None] | None = None,
    **options: Unpack[InputOptions],
) -> TagRunSummary:
    """Tag every row's ``model`` reasons from ``input_path`` into ``output_path`` (resumable, crash-safe).

    Bad rows are reported (file, line, field) through ``on_problem`` and the rest still run; with ``strict`` the
    first one raises :class:`InputError`. The input is read once first: no row, a JSON array, invalid UTF-8 or two
    rows with one sample id (unless ``dedupe`` is ``first`` or ``last``) raise :class:`InputError` before anything
    is sent or written. Every record carries the run's provenance.
    """
    prov = tagger.provenance()

    async def process(sample: PreferenceSample) -> RowOutcome:
        record, completion = await tagger.tag_with_call(sample, model)
        record["provenance"] = prov
        return RowOutcome(record, record["status"], record.get("reason"), [completion] if completion else [])

    return await run_samples(  # type: ignore[return-value]
        input_path,
        lambda target: tag_output(target, model),
        TagRunSummary,
        output_path=output_path,
        model=model,
        pool=tagger.pool,
        require_human=False,
        provenance=prov,
        process=process,
        check=lambda sample: _require_checklist(sample, model),
        on_result=None if on_record is None else lambda outcome: on_record(outcome.row),
        **options,
    )


tag = sync_form(tag_async, pool_of=lambda options: options["tagger"].pool)


# --------------------------------------------------------------------------------------------------------------
# Rates


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
    "tag",
    "tag_async",
    "tag_output",
    "tag_rates",
]
