"""The R-Align protocol (method.md section 5): golden judgments, then MetaRM verdicts on label-correct items.

``golden`` (:func:`golden_async`, sync :func:`golden`): a strong model, told the gold label, writes a reference judgment (``gt_judgment`` by default) that must
end in the gold letter's box; an answer boxing the other letter is asked again, then recorded as failed.

``metarm`` (:func:`metarm_async`, sync :func:`metarm`): for each row of a ``rationalerm generate`` output, the GenRM's label (``{NAME}-label``) is compared
with the gold label. Label-wrong rows get ``SkippedLabelMismatch`` without a call. On label-correct rows the MetaRM
compares the *visible* part of the GenRM's judgment (hidden reasoning stripped) with the golden one, extracts the
key points and answers Correct or Incorrect. Each row gains ``{NAME}-label_correct``, ``{NAME}-metarm_verdict``
(``Correct``, ``Incorrect``, ``SkippedLabelMismatch``, ``CallFail``, ``ParseFail``: R-Align's names),
``{NAME}-metarm_text`` and ``{NAME}-metarm-status`` / ``-reason`` / ``-detail`` / ``-provenance``. The metrics are
in :mod:`rationalerm.stats.ralign`.

Gold labels come from ``gt_label``, ``label`` or HelpSteer3's ``overall_preference``; rows whose gold is a tie or
missing cannot be scored by R-Align's two-way protocol and are reported as bad rows.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from typing import Any, Unpack

from ..io.resume import ERROR, OK, PARSE_FAILED, RunSummary
from ..llm import JudgePool, sampling_options
from ..parse import ParseFailure, parse_verdict, strip_hidden_reasoning
from ..prompts.chat import render_messages
from ..records import Direction, RecordError, find_key, human_label_of, parse_direction
from ..reward.metarm import METARM_PROMPT, RAlignSettings, dialogue_values, metarm_verdict
from ..stats.ralign import label_correct_key, verdict_key
from .rows import pair_of
from .runner import OutputLayout, RowOutcome, RunOptions, provenance, run_file_rows, sync_form

GOLDEN_PROMPT = "golden_v1"
DEFAULT_GOLDEN_FIELD = "gt_judgment"
GOLDEN_DISAGREES = "golden_disagrees"
MISSING_GOLDEN = "missing_golden"
LETTERS = {1: "A", 2: "B"}


def gold_label(row: Mapping[str, Any]) -> Direction:
    """The gold direction (1 or 2) of a row; :class:`RecordError` for a missing, unreadable or tied one."""
    raw_key = "gt_label" if row.get("gt_label") is not None else None
    label = parse_direction(row["gt_label"]) if raw_key else human_label_of(row)
    field = raw_key or ("label" if row.get("label") is not None else "overall_preference")
    if label is None:
        raise RecordError(field, "no gold label (gt_label, label or overall_preference)")
    if label == 0:
        raise RecordError(field, "the gold label is a tie; R-Align's protocol needs A or B")
    return label


def pair_values(row: Mapping[str, Any]) -> dict[str, str]:
    """The placeholders every R-Align-style template shares: dialogue, user prompt and the two answers."""
    pair = pair_of(row)
    return dialogue_values(pair.context, pair.response_a, pair.response_b)


def settings_provenance(
    settings: RAlignSettings, pool: JudgePool, default: str, **extra: Any
) -> dict[str, Any]:
    """What produced a golden or MetaRM run: the judge, the template's version and the sampling."""
    return provenance(
        pool,
        settings.template(default),
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        seed=settings.seed,
        **extra,
    )


# --------------------------------------------------------------------------------------------------------------
# Golden judgments


def golden_layout(golden_field: str) -> OutputLayout:
    return OutputLayout(f"{golden_field}-")


async def golden_row(
    row: Mapping[str, Any],
    *,
    pool: JudgePool,
    settings: RAlignSettings,
    golden_field: str,
    prov: Mapping[str, Any],
) -> RowOutcome:
    """Write the golden judgment of one row; the answer must box the gold letter."""
    gold = gold_label(row)
    letter = LETTERS[gold]
    messages = render_messages(settings.template(GOLDEN_PROMPT), {**pair_values(row), "gold": letter})

    def validate(text: str) -> Any:
        verdict = parse_verdict(text, "ralign")
        if isinstance(verdict, ParseFailure):
            return verdict
        if verdict != gold:
            return ParseFailure(
                GOLDEN_DISAGREES, f"the answer boxes {LETTERS[verdict]}, the gold label is {letter}"
            )
        return verdict

    completion = await pool.complete(
        messages,
        validate=validate,
        **sampling_options(settings),
    )
    out = dict(row)
    out.setdefault("gt_label", letter)
    layout = golden_layout(golden_field)
    if completion.ok:
        out[golden_field] = strip_hidden_reasoning(completion.text)
        return layout.outcome(out, OK, None, None, prov, [completion])
    out[golden_field] = None
    out[f"{golden_field}-generated_text"] = completion.text
    status = ERROR if completion.status == "error" else PARSE_FAILED
    return layout.outcome(out, status, completion.reason, completion.detail, prov, [completion])


async def golden_async(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    pool: JudgePool,
    settings: RAlignSettings | None = None,
    golden_field: str = DEFAULT_GOLDEN_FIELD,
    **options: Unpack[RunOptions],
) -> RunSummary:
    """Golden judgments for every row of ``input_path`` into ``output_path``; resumable."""
    settings = settings or RAlignSettings()
    prov = settings_provenance(settings, pool, GOLDEN_PROMPT, golden_field=golden_field)

    def check(row: dict[str, Any]) -> None:
        pair_of(row)
        gold_label(row)

    process = functools.partial(
        golden_row, pool=pool, settings=settings, golden_field=golden_field, prov=prov
    )
    return await run_file_rows(
        input_path,
        output_path,
        task="golden",
        layout=golden_layout(golden_field),
        provenance=prov,
        process=process,
        pool=pool,
        check_row=check,
        **options,
    )


# --------------------------------------------------------------------------------------------------------------
# MetaRM


def metarm_layout(model_name: str) -> OutputLayout:
    return OutputLayout(f"{model_name}-metarm-", ("judge_model", "prompt_version", "golden_field"))


def genrm_fields(row: Mapping[str, Any], model_name: str) -> tuple[Direction | None, str | None]:
    """The GenRM's label (None when it was unparseable) and its judgment text; :class:`RecordError` when the row has
    no ``{NAME}-label`` key at all (it is not a ``generate`` output for this model)."""
    label_key = find_key(row, f"{model_name}-label")
    if label_key is None:
        raise RecordError(f"{model_name}-label", "missing (run rationalerm generate for this model first)")
    text_key = find_key(row, f"{model_name}-generated_text")
    text = row.get(text_key) if text_key else None
    return parse_direction(row[label_key]), text if isinstance(text, str) else None


async def metarm_row(
    row: Mapping[str, Any],
    *,
    pool: JudgePool,
    model_name: str,
    settings: RAlignSettings,
    golden_field: str,
    prov: Mapping[str, Any],
) -> RowOutcome:
    """One row's R-Align outcome: skipped when the label is wrong, else the MetaRM's verdict or its failure."""
    gold = gold_label(row)
    label, judgment = genrm_fields(row, model_name)
    layout = metarm_layout(model_name)
    out = dict(row)
    correct = label == gold
    out[label_correct_key(model_name)] = correct
    if not correct:
        out[verdict_key(model_name)] = "SkippedLabelMismatch"
        out[f"{model_name}-metarm_text"] = None
        return layout.outcome(out, OK, None, None, prov, tags=["SkippedLabelMismatch"])
    golden = row.get(golden_field)
    if not isinstance(golden, str) or not strip_hidden_reasoning(golden):
        out[verdict_key(model_name)] = "CallFail"
        out[f"{model_name}-metarm_text"] = None
        detail = f"no golden judgment in {golden_field!r} (run rationalerm golden first)"
        return layout.outcome(out, ERROR, MISSING_GOLDEN, detail, prov, tags=["CallFail"])
    answer = await metarm_verdict(pool, pair_values(row), golden, judgment or "", settings)
    out[f"{model_name}-metarm_text"] = answer.completion.text
    out[verdict_key(model_name)] = answer.verdict
    return layout.outcome(
        out, answer.status, answer.reason, answer.detail, prov, [answer.completion], [answer.verdict]
    )


async def metarm_async(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    pool: JudgePool,
    model_name: str,
    settings: RAlignSettings | None = None,
    golden_field: str = DEFAULT_GOLDEN_FIELD,
    **options: Unpack[RunOptions],
) -> RunSummary:
    """MetaRM verdicts for ``model_name`` on every row of ``input_path`` into ``output_path``; resumable. The
    summary's ``tags`` count the outcomes (Correct, Incorrect, SkippedLabelMismatch, CallFail, ParseFail)."""
    settings = settings or RAlignSettings()
    prov = settings_provenance(
        settings, pool, METARM_PROMPT, golden_field=golden_field, model_name=model_name
    )

    def check(row: dict[str, Any]) -> None:
        pair_of(row)
        gold_label(row)
        genrm_fields(row, model_name)

    process = functools.partial(
        metarm_row, pool=pool, model_name=model_name, settings=settings, golden_field=golden_field, prov=prov
    )
    return await run_file_rows(
        input_path,
        output_path,
        task=f"metarm:{model_name}",
        layout=metarm_layout(model_name),
        provenance=prov,
        process=process,
        pool=pool,
        check_row=check,
        **options,
    )


metarm, golden = sync_form(metarm_async), sync_form(golden_async)

__all__ = [
    "DEFAULT_GOLDEN_FIELD",
    "RAlignSettings",
    "genrm_fields",
    "gold_label",
    "golden",
    "golden_async",
    "golden_row",
    "metarm",
    "metarm_async",
    "metarm_row",
]
