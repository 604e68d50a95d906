"""Turn free-text human rationales into an atomic checklist (``human-checklist``) with an LLM.

The rules (method.md section 7): keep only specific, evidenced problem/error points; drop vague ones; make a point
concrete from the conversation and responses but never add one; merge duplicates; report ignored statements with
a reason; an empty list when nothing qualifies. Each output row gains ``human-checklist`` (the claims),
``human-checklist-ignored`` (``[{statement, reason}]``), ``human-checklist-count``, ``human-checklist-in_range``
and ``human-checklist-range`` (``ok``, ``too_few`` or ``too_many`` against ``min_items``..``max_items``), the
answer text and the usual status / reason / detail / provenance. Rows outside the range are kept and marked, never
dropped: the filter is the reader's choice.

HelpSteer3 preference rows are read directly: the rationale is ``individual_preference[].reasoning``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Unpack

from ..errors import ConfigError
from ..io.resume import ERROR, OK, PARSE_FAILED, RunSummary
from ..llm import JudgePool, sampling_options
from ..parse import Decomposition, ParseFailure, parse_decomposition
from ..prompts import Prompt, load_prompt, sanitize_item
from ..prompts.chat import format_transcript, render_messages, sanitize_block
from ..records import HUMAN_CHECKLIST_KEY, RecordError
from .rows import pair_of
from .runner import OutputLayout, RowOutcome, RunOptions, provenance, run_file_rows, sync_form

DECOMPOSE_PROMPT = "decompose_v1"
DEFAULT_TEXT_FIELDS = ("individual_preference[].reasoning",)
LAYOUT = OutputLayout(f"{HUMAN_CHECKLIST_KEY}-", ("judge_model", "prompt_version", "text_fields"))
IN_RANGE, TOO_FEW, TOO_MANY = "ok", "too_few", "too_many"
NO_RATIONALE = "no_rationale"


def field_texts(row: Mapping[str, Any], spec: str) -> list[str]:
    """The non-empty texts at a field path: ``reasoning``, ``a.b``, ``individual_preference[].reasoning`` (``[]``
    walks every element of a list, ``[0]`` one of them). Missing parts give no text; a non-text leaf is an error
    naming the path."""
    values: list[Any] = [row]
    for part in spec.split("."):
        name, _, index = part.partition("[")
        step: list[Any] = []
        for value in values:
            item = value.get(name) if isinstance(value, Mapping) else None
            if item is None:
                continue
            if index:
                if not isinstance(item, list):
                    raise RecordError(spec, f"{name!r} must be a list, got {type(item).__name__}")
                wanted = index.rstrip("]")
                step.extend(item if wanted == "" else item[int(wanted) : int(wanted) + 1])
            else:
                step.append(item)
        values = step
    texts = []
    for value in values:
        if value is None:
            continue
        if not isinstance(value, str):
            raise RecordError(spec, f"must hold text, got {type(value).__name__}")
        if value.strip():
            texts.append(value.strip())
    return texts


def rationale_texts(row: Mapping[str, Any], text_fields: Sequence[str]) -> list[str]:
    """Every rationale text of a row, field by field; :class:`RecordError` when there is none at all."""
    texts = [text for spec in text_fields for text in field_texts(row, spec)]
    if not texts:
        raise RecordError(text_fields[0] if text_fields else "text", "no rationale text in the row")
    return texts


def range_flag(count: int, min_items: int, max_items: int) -> str:
    if count < min_items:
        return TOO_FEW
    if count > max_items:
        return TOO_MANY
    return IN_RANGE


@dataclass(frozen=True, slots=True)
class DecomposeSettings:
    """Which fields hold the rationale, the kept item range, sampling and format retries."""

    text_fields: tuple[str, ...] = DEFAULT_TEXT_FIELDS
    min_items: int = 3
    max_items: int = 7
    temperature: float | None = 0.2
    max_tokens: int | None = 4096
    seed: int | None = None
    max_format_retries: int = 2
    prompt: Prompt | None = None

    def __post_init__(self) -> None:
        if not self.text_fields:
            raise ConfigError("at least one text field is needed")
        if self.min_items < 0 or self.max_items < self.min_items:
            raise ConfigError("need 0 <= min_items <= max_items")

    def template(self) -> Prompt:
        return self.prompt or load_prompt(DECOMPOSE_PROMPT)


def decompose_messages(prompt: Prompt, row: Mapping[str, Any], texts: Sequence[str]) -> list[dict[str, str]]:
    """The prompt for one row. Each rationale is one inert line (``sanitize_item``: no line breaks, tags or list
    markers that could pose as the answer format); conversation and responses are sanitized blocks."""
    pair = pair_of(row)
    rationales = "\n".join(f"[{index}] {sanitize_item(text)}" for index, text in enumerate(texts, start=1))
    values = {
        "conversation": format_transcript(pair.context),
        "response_1": sanitize_block(pair.response_a),
        "response_2": sanitize_block(pair.response_b),
        "rationales": rationales,
    }
    return render_messages(prompt, values)


async def decompose_texts(
    pool: JudgePool, row: Mapping[str, Any], texts: Sequence[str], settings: DecomposeSettings
) -> tuple[Decomposition | ParseFailure, Any]:
    """One decomposition call: the parsed answer (or why it failed) and the pool's completion."""
    completion = await pool.complete(
        decompose_messages(settings.template(), row, texts),
        validate=parse_decomposition,
        **sampling_options(settings),
    )
    if completion.ok:
        return completion.value, completion
    return ParseFailure(completion.reason or "error", completion.detail or ""), completion


def check_row(row: Mapping[str, Any], settings: DecomposeSettings) -> None:
    pair_of(row)
    rationale_texts(row, settings.text_fields)


async def decompose_row(
    row: Mapping[str, Any], *, pool: JudgePool, settings: DecomposeSettings, prov: Mapping[str, Any]
) -> RowOutcome:
    """One row in, the row with its ``human-checklist`` fields out."""
    texts = rationale_texts(row, settings.text_fields)
    parsed, completion = await decompose_texts(pool, row, texts, settings)
    out = dict(row)
    out[f"{HUMAN_CHECKLIST_KEY}-generated_text"] = completion.text
    if isinstance(parsed, Decomposition):
        flag = range_flag(len(parsed.claims), settings.min_items, settings.max_items)
        out[HUMAN_CHECKLIST_KEY] = list(parsed.claims)
        out[f"{HUMAN_CHECKLIST_KEY}-ignored"] = [i._asdict() for i in parsed.ignored]
        out[f"{HUMAN_CHECKLIST_KEY}-count"] = len(parsed.claims)
        out[f"{HUMAN_CHECKLIST_KEY}-in_range"] = flag == IN_RANGE
        out[f"{HUMAN_CHECKLIST_KEY}-range"] = flag
        return LAYOUT.outcome(out, OK, None, None, prov, [completion], [flag])
    out[HUMAN_CHECKLIST_KEY] = None
    out[f"{HUMAN_CHECKLIST_KEY}-in_range"] = False
    status = ERROR if completion.status == "error" else PARSE_FAILED
    return LAYOUT.outcome(out, status, parsed.reason, parsed.detail, prov, [completion])


def decompose_provenance(pool: JudgePool, settings: DecomposeSettings) -> dict[str, Any]:
    return provenance(
        pool,
        settings.template(),
        text_fields=list(settings.text_fields),
        min_items=settings.min_items,
        max_items=settings.max_items,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        seed=settings.seed,
    )


async def decompose_async(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    pool: JudgePool,
    settings: DecomposeSettings | None = None,
    **options: Unpack[RunOptions],
) -> RunSummary:
    """Decompose the rationale of every row of ``input_path`` into ``output_path``; resumable. The summary's
    ``tags`` count rows ``ok`` / ``too_few`` / ``too_many`` against the item range."""
    settings = settings or DecomposeSettings()
    prov = decompose_provenance(pool, settings)

    process = functools.partial(decompose_row, pool=pool, settings=settings, prov=prov)
    return await run_file_rows(
        input_path,
        output_path,
        task="decompose",
        layout=LAYOUT,
        provenance=prov,
        process=process,
        pool=pool,
        check_row=lambda row: check_row(row, settings),
        **options,
    )


decompose = sync_form(decompose_async)

__all__ = [
    "DEFAULT_TEXT_FIELDS",
    "DecomposeSettings",
    "decompose",
    "decompose_async",
    "decompose_messages",
    "decompose_row",
    "field_texts",
    "range_flag",
    "rationale_texts",
]
