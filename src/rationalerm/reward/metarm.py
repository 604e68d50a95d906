"""The MetaRM call of the R-Align protocol (method.md section 5), shared by the ``metarm`` run and the ralign reward.

One judge call compares the *visible* part of a GenRM judgment (hidden reasoning stripped) with a golden judgment
and answers Correct or Incorrect. :func:`metarm_verdict` makes that call and names its outcome with R-Align's words
(``Correct``, ``Incorrect``, ``CallFail``, ``ParseFail``) and a row status; it never raises on model text. Label
checks, golden-judgment checks and output rows stay with the callers (:mod:`rationalerm.runs.metarm` and
:class:`rationalerm.reward.RewardScorer`), so this module depends only on the client, prompts and parsers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..io.resume import ERROR, OK, PARSE_FAILED
from ..llm import Completion, JudgePool, sampling_options
from ..parse import parse_metarm_verdict, strip_hidden_reasoning
from ..prompts import Prompt, load_prompt
from ..prompts.chat import render_messages, sanitize_block, split_dialogue

METARM_PROMPT = "metarm_v1"


@dataclass(frozen=True, slots=True)
class RAlignSettings:
    """Sampling and retries for the golden writer or the MetaRM (R-Align used temperature 0.4)."""

    temperature: float | None = 0.4
    max_tokens: int | None = 8192
    seed: int | None = None
    max_format_retries: int = 2
    prompt: Prompt | None = None

    def template(self, default: str) -> Prompt:
        return self.prompt or load_prompt(default)


def dialogue_values(context: Sequence[Mapping[str, Any]], response_a: str, response_b: str) -> dict[str, str]:
    """The placeholders every R-Align-style template shares: dialogue, user prompt and the two answers."""
    dialogue, user_prompt = split_dialogue(context)
    return {
        "dialogue": dialogue,
        "user_prompt": user_prompt,
        "response_a": sanitize_block(response_a),
        "response_b": sanitize_block(response_b),
    }


@dataclass(frozen=True, slots=True)
class MetaRMAnswer:
    """What the MetaRM said: ``verdict`` in R-Align's words, the row ``status`` (ok, error, parse_failed), the
    failure ``reason``/``detail`` and the completion itself."""

    verdict: str
    status: str
    reason: str | None
    detail: str | None
    completion: Completion


async def metarm_verdict(
    pool: JudgePool, values: Mapping[str, str], golden: str, judgment: str, settings: RAlignSettings
) -> MetaRMAnswer:
    """Ask the MetaRM whether ``judgment`` makes the golden judgment's key points (``values`` from
    :func:`dialogue_values`)."""
    filled = {
        **values,
        "golden": sanitize_block(strip_hidden_reasoning(golden)),
        "judgment": sanitize_block(strip_hidden_reasoning(judgment)),
    }
    completion = await pool.complete(
        render_messages(settings.template(METARM_PROMPT), filled),
        validate=parse_metarm_verdict,
        **sampling_options(settings),
    )
    if completion.ok:
        return MetaRMAnswer(completion.value, OK, None, None, completion)
    if completion.status == "error":
        return MetaRMAnswer("CallFail", ERROR, completion.reason, completion.detail, completion)
    return MetaRMAnswer("ParseFail", PARSE_FAILED, completion.reason, completion.detail, completion)
