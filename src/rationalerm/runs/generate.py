"""Run a GenRM (or any LLM judge) over preference pairs: its verdict and its ordered reasons, per pair.

:func:`judge_pair` is one GenRM call on one pair, reusable by the benchmarks (JudgeBench calls it for both orders);
:func:`generate_async` (sync: :func:`generate`; before issue 18 ``generate_judgments`` / ``generate_file``) streams a file of rows into a resumable output where each row gains
``{NAME}-checklist`` (the reasons, cut to ``max_reasons``), ``{NAME}-label`` (1, 2, or 0 for a tie; null when
unparseable) and ``{NAME}-generated_text`` (the answer as received), plus ``{NAME}-status`` / ``-reason`` /
``-detail`` / ``-provenance``. With ``swap`` the pair is judged again with the responses exchanged:
``{NAME}-swap-label`` (flipped back to the original frame), ``{NAME}-swap-generated_text`` and
``{NAME}-position_consistent``.

Hidden reasoning (``<think>`` blocks) is stripped before parsing; the pool reads only ``message.content``, so a
``reasoning_content`` field never reaches the parser. An answer whose verdict (or, in the ``rationalerm`` style,
reasons) cannot be read is asked again, then recorded as ``parse_failed`` with its text, never guessed.
"""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Unpack

from ..bench.rules import flip, is_consistent
from ..errors import ConfigError
from ..io.resume import ERROR, OK, PARSE_FAILED, RunSummary
from ..llm import Completion, JudgePool, sampling_options
from ..parse import (
    GENRM_STYLES,
    GenRMStyle,
    ParseFailure,
    parse_reasons,
    parse_verdict,
    strip_hidden_reasoning,
)
from ..prompts import Prompt, load_prompt
from ..prompts.chat import format_transcript, render_messages, sanitize_block, split_dialogue
from ..records import Direction
from .rows import pair_of
from .runner import OutputLayout, RowOutcome, RunOptions, provenance, run_file_rows, sync_form

PROMPTS: dict[GenRMStyle, str] = {"rationalerm": "genrm_rationalerm_v1", "ralign": "genrm_ralign_v1"}
JudgmentStatus = Literal["ok", "parse_failed", "error"]
DEFAULT_MAX_REASONS = 5


@dataclass(slots=True)
class GenRMJudgment:
    """One GenRM answer on one pair, in the frame it was asked in (A = the first response given).

    ``verdict`` is 1, 2 or 0 (tie), None when unreadable; ``reasons`` the parsed list (cut to ``max_reasons``);
    ``text`` the answer as received (hidden reasoning included), ``visible_text`` without it. ``status`` is ``ok``,
    ``parse_failed`` (answers came but could not be read; ``reason`` says why) or ``error`` (no answer).
    """

    verdict: Direction | None
    reasons: list[str] | None
    text: str | None
    status: JudgmentStatus
    reason: str | None = None
    detail: str | None = None
    completion: Completion | None = None
    reasons_total: int = 0

    @property
    def visible_text(self) -> str | None:
        return strip_hidden_reasoning(self.text) if self.text is not None else None

    @property
    def ok(self) -> bool:
        return self.status == OK


@dataclass(frozen=True, slots=True)
class GenRMSettings:
    """How the GenRM is asked: prompt style, reason cap (None: no cap), sampling and format retries."""

    style: GenRMStyle = "rationalerm"
    max_reasons: int | None = DEFAULT_MAX_REASONS
    temperature: float | None = 0.6
    max_tokens: int | None = 8192
    seed: int | None = None
    max_format_retries: int = 2
    prompt: Prompt | None = None

    def __post_init__(self) -> None:
        if self.style not in GENRM_STYLES:
            raise ConfigError(f"style must be one of {', '.join(GENRM_STYLES)}, not {self.style!r}")
        if self.max_reasons is not None and self.max_reasons < 1:
            raise ConfigError("max_reasons must be at least 1 (or None for no cap)")

    def template(self) -> Prompt:
        return self.prompt or load_prompt(PROMPTS[self.style])


def _as_messages(context_or_prompt: str | Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    if isinstance(context_or_prompt, str):
        return [{"role": "user", "content": context_or_prompt}]
    return list(context_or_prompt)


def genrm_messages(
    prompt: Prompt,
    context_or_prompt: str | Sequence[Mapping[str, Any]],
    response_a: str,
    response_b: str,
    *,
    max_reasons: int | None = DEFAULT_MAX_REASONS,
) -> list[dict[str, str]]:
    """The chat messages for one GenRM call (any of the two templates; unused values are simply not placed)."""
    messages = _as_messages(context_or_prompt)
    dialogue, user_prompt = split_dialogue(messages)
    rule = f"List at most {max_reasons} reasons" if max_reasons else "List every reason that matters"
    values = {
        "conversation": format_transcript(messages),
        "dialogue": dialogue,
        "user_prompt": user_prompt,
        "response_a": sanitize_block(response_a),
        "response_b": sanitize_block(response_b),
        "reason_count_rule": rule,
        "max_reasons": str(max_reasons or ""),
    }
    return render_messages(prompt, values)


def genrm_validator(style: GenRMStyle) -> Callable[[str], Any]:
    """What makes an answer usable: a readable verdict, and in the ``rationalerm`` style at least one reason."""

    def validate(text: str) -> tuple[Direction, list[str]] | ParseFailure:
        verdict = parse_verdict(text, style)
        if isinstance(verdict, ParseFailure):
            return verdict
        reasons = parse_reasons(text, style)
        if isinstance(reasons, ParseFailure):
            if style == "rationalerm":
                return reasons
            reasons = []
        return verdict, reasons

    return validate


async def judge_pair(
    pool: JudgePool,
    context_or_prompt: str | Sequence[Mapping[str, Any]],
    response_a: str,
    response_b: str,
    *,
    settings: GenRMSettings | None = None,
    style: GenRMStyle | None = None,
) -> GenRMJudgment:
    """Ask the GenRM behind ``pool`` which of ``response_a`` / ``response_b`` is better, and why.

    Never raises for judge or server faults: they become the judgment's status. For the swapped order call it again
    with the responses exchanged and :func:`~rationalerm.bench.rules.flip` the verdict.
    """
    settings = settings or GenRMSettings()
    if style is not None and style != settings.style:
        settings = GenRMSettings(**{**_settings_fields(settings), "style": style})
    messages = genrm_messages(
        settings.template(), context_or_prompt, response_a, response_b, max_reasons=settings.max_reasons
    )
    completion = await pool.complete(
        messages,
        validate=genrm_validator(settings.style),
        **sampling_options(settings),
    )
    cap = settings.max_reasons
    if completion.status == "ok":
        verdict, reasons = completion.value
        return GenRMJudgment(
            verdict,
            reasons[:cap] if cap else reasons,
            completion.text,
            OK,
            None,
            None,
            completion,
            len(reasons),
        )
    if completion.status == "error":
        return GenRMJudgment(
            None, None, completion.text, ERROR, completion.reason, completion.detail, completion
        )
    # Unusable after the retries: keep what the last answer does say, and say why it is not usable.
    verdict = parse_verdict(completion.text, settings.style)
    reasons = parse_reasons(completion.text, settings.style)
    kept_reasons = None if isinstance(reasons, ParseFailure) else (reasons[:cap] if cap else reasons)
    return GenRMJudgment(
        None if isinstance(verdict, ParseFailure) else verdict,
        kept_reasons,
        completion.text,
        PARSE_FAILED,
        completion.reason,
        completion.detail,
        completion,
        0 if isinstance(reasons, ParseFailure) else len(reasons),
    )


def _settings_fields(settings: GenRMSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in GenRMSettings.__dataclass_fields__}


# --------------------------------------------------------------------------------------------------------------
# Rows and files


def output_layout(model_name: str) -> OutputLayout:
    return OutputLayout(f"{model_name}-", ("judge_model", "prompt_version", "style", "swap", "max_reasons"))


def genrm_provenance(pool: JudgePool, settings: GenRMSettings, *, swap: bool) -> dict[str, Any]:
    return provenance(
        pool,
        settings.template(),
        style=settings.style,
        temperature=settings.temperature,
        max_tokens=settings.max_tokens,
        seed=settings.seed,
        max_reasons=settings.max_reasons or 0,
        swap=swap,
    )


async def judge_row(
    row: Mapping[str, Any],
    *,
    pool: JudgePool,
    model_name: str,
    settings: GenRMSettings,
    swap: bool = False,
    prov: Mapping[str, Any] | None = None,
) -> RowOutcome:
    """One row in, the same row with the GenRM's fields added out. Raises :class:`RecordError` for a row with no
    conversation or responses (the runner reports it and writes it with status ``error``)."""
    pair = pair_of(row)
    prov = prov if prov is not None else genrm_provenance(pool, settings, swap=swap)
    calls = [judge_pair(pool, pair.context, pair.response_a, pair.response_b, settings=settings)]
    if swap:
        calls.append(judge_pair(pool, pair.context, pair.response_b, pair.response_a, settings=settings))
    results = await asyncio.gather(*calls)
    main = results[0]
    out = dict(row)
    out[f"{model_name}-checklist"] = main.reasons
    out[f"{model_name}-label"] = main.verdict
    out[f"{model_name}-generated_text"] = main.text
    status, reason, detail = main.status, main.reason, main.detail
    if swap:
        swapped = results[1]
        back = flip(swapped.verdict)
        out[f"{model_name}-swap-label"] = back
        out[f"{model_name}-swap-generated_text"] = swapped.text
        out[f"{model_name}-swap-status"] = swapped.status
        out[f"{model_name}-position_consistent"] = is_consistent(main.verdict, back)
        if main.ok and not swapped.ok:
            status, reason, detail = swapped.status, f"swap:{swapped.reason}", swapped.detail
    output_layout(model_name).mark(out, status, reason, detail, prov)
    completions = [r.completion for r in results if r.completion is not None]
    return RowOutcome(out, status, reason, completions)


async def generate_async(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    pool: JudgePool,
    model_name: str,
    settings: GenRMSettings | None = None,
    swap: bool = False,
    **options: Unpack[RunOptions],
) -> RunSummary:
    """Run the GenRM over every row of ``input_path`` (JSONL, JSON or parquet) into ``output_path``; resumable.

    Rows without a conversation or responses are reported (file, line, field) and written with status ``error``;
    the run goes on (``strict``: the first one raises :class:`InputError`). An input with no row, a JSON array in
    a JSONL file, invalid UTF-8 or two rows with one id (``dedupe``: ``error``, or ``first`` / ``last`` to keep
    one) raise :class:`InputError` before any row is sent (see :func:`~.runner.run_resumable`).
    """
    settings = settings or GenRMSettings()
    prov = genrm_provenance(pool, settings, swap=swap)

    process = functools.partial(
        judge_row, pool=pool, model_name=model_name, settings=settings, swap=swap, prov=prov
    )
    return await run_file_rows(
        input_path,
        output_path,
        task=f"generate:{model_name}",
        layout=output_layout(model_name),
        provenance=prov,
        process=process,
        pool=pool,
        check_row=pair_of,
        **options,
    )


generate = sync_form(generate_async)

__all__ = [
    "DEFAULT_MAX_REASONS",
    "PROMPTS",
    "GenRMJudgment",
    "GenRMSettings",
    "generate",
    "generate_async",
    "genrm_messages",
    "genrm_provenance",
    "genrm_validator",
    "judge_pair",
    "judge_row",
    "output_layout",
]
