"""Parsers of model text. They never raise on text: each returns a value or a :class:`ParseFailure` with a reason.

The MetaJudge answer is free reasoning followed by a result block::

    <RESULT_START>
    - R1@S2: 0.75
    - R2@S0: 0
    <RESULT_END>

Real judges decorate it (bullets or none, ``**bold**``, ``=`` for ``:``, ``.5``, ``0.750``, prose around the block),
so :func:`parse_metajudge` tolerates all of that, then validates the lines against the list sizes.
:func:`extract_reference_scores` instead reproduces the released analysis script's extraction rule exactly, for the
``reference`` metric mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .records import Match, Matching


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """Why a model answer could not be used. ``reason`` is a short stable code, ``detail`` says more."""

    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


# Reasons a MetaJudge answer fails; stable strings, used in outputs and counts.
NOT_TEXT = "not_text"
NO_RESULT_BLOCK = "no_result_block"
NO_SCORE_LINES = "no_score_lines"
HUMAN_INDEX_OUT_OF_RANGE = "human_index_out_of_range"
MODEL_INDEX_OUT_OF_RANGE = "model_index_out_of_range"
SCORE_OUT_OF_RANGE = "score_out_of_range"
DUPLICATE_HUMAN_ITEM = "duplicate_human_item"
MISSING_HUMAN_ITEM = "missing_human_item"

_TAG_START = r"<\s*RESULT[\s_]*START\s*>|\[\s*RESULT[\s_]*START\s*\]"
_TAG_END = r"<\s*/?\s*RESULT[\s_]*END\s*>|\[\s*RESULT[\s_]*END\s*\]|<\s*/\s*RESULT[\s_]*START\s*>"
_START_RE = re.compile(_TAG_START, re.IGNORECASE)
_END_RE = re.compile(_TAG_END, re.IGNORECASE)

# One score line: optional bullet or numbering, optional bold/backticks, R<i>@S<j>, ':' or '=', a number.
_SCORE_LINE_RE = re.compile(
    r"""^[ \t>]*(?:[-*+•·]|\d+[.)])?[ \t]*[*_`]*[ \t]*
        R[ \t]*(?P<r>\d+)[ \t]*@[ \t]*S[ \t]*(?P<s>\d+)
        [ \t]*[*_`]*[ \t]*[:=][ \t]*[*_`]*[ \t]*
        (?P<score>[-+]?(?:\d+(?:\.\d*)?|\.\d+))""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)


def find_result_block(text: str) -> str | None:
    """The content of the last result block, or None.

    The last block wins because judges often quote the format while reasoning before writing the real answer.
    A final block with a start tag and no end tag (a truncated or sloppy answer) runs to the end of the text.
    """
    starts = list(_START_RE.finditer(text))
    if not starts:
        return None
    start = starts[-1]
    end = _END_RE.search(text, start.end())
    return text[start.end() : end.start()] if end else text[start.end() :]


def parse_score_lines(block: str) -> list[tuple[int, int, float]]:
    """Every ``R<i>@S<j>: <score>`` line of a block, in order, without validation."""
    return [(int(r), int(s), float(score)) for r, s, score in _SCORE_LINE_RE.findall(block)]


def parse_metajudge(text: object, n_human: int, n_model: int) -> Matching | ParseFailure:
    """Parse and validate a MetaJudge answer for a human list of ``n_human`` and a model list of ``n_model``.

    Valid means exactly one line per human item (R1..Rn each once), model indices in 0..n_model and scores in
    [0, 1]. ``S0`` is "no match" and always scores 0. Duplicate model indices are kept here; the metrics resolve
    them to a one-to-one matching.
    """
    if not isinstance(text, str):
        return ParseFailure(NOT_TEXT, f"expected text, got {type(text).__name__}")
    block = find_result_block(text)
    if block is None:
        return ParseFailure(NO_RESULT_BLOCK, "no <RESULT_START> ... <RESULT_END> block")
    lines = parse_score_lines(block)
    if not lines:
        return ParseFailure(NO_SCORE_LINES, "the result block has no 'R<i>@S<j>: <score>' line")
    seen: dict[int, Match] = {}
    for r, s, score in lines:
        if not 1 <= r <= n_human:
            return ParseFailure(HUMAN_INDEX_OUT_OF_RANGE, f"R{r}@S{s}: the human list has {n_human} items")
        if not 0 <= s <= n_model:
            return ParseFailure(MODEL_INDEX_OUT_OF_RANGE, f"R{r}@S{s}: the model list has {n_model} items")
        if not 0.0 <= score <= 1.0:
            return ParseFailure(SCORE_OUT_OF_RANGE, f"R{r}@S{s}: score {score:g} is outside [0, 1]")
        if r in seen:
            previous = seen[r]
            if previous.model == s and previous.score == score:
                continue  # the same line written twice says nothing new
            return ParseFailure(DUPLICATE_HUMAN_ITEM, f"R{r} has more than one line")
        seen[r] = Match(r, s, score if s != 0 else 0.0)
    missing = [r for r in range(1, n_human + 1) if r not in seen]
    if missing:
        listed = ", ".join(f"R{r}" for r in missing[:5]) + (" ..." if len(missing) > 5 else "")
        return ParseFailure(MISSING_HUMAN_ITEM, f"no line for {listed}")
    pairs = tuple(seen[r] for r in range(1, n_human + 1))
    return Matching(pairs=pairs, n_human=n_human, n_model=n_model)


# --------------------------------------------------------------------------------------------------------------
# The released analysis script's extraction, for the `reference` metric mode.

_REFERENCE_BLOCK_RE = re.compile(r"<RESULT_START>(.*?)<RESULT_END>", re.DOTALL)
_REFERENCE_LINE_RE = re.compile(r"- R(\d+)@S(\d+): (\d+(?:\.\d+)?)")


def extract_reference_scores(text: object) -> list[tuple[int, int, float]] | ParseFailure:
    """The released script's rule: the first tagged block, every ``- R<i>@S<j>: <score>`` match inside it, and an
    error when there is none or any score is outside [0, 1]. No other validation (that happens in the metrics)."""
    if not isinstance(text, str):
        return ParseFailure(NOT_TEXT, f"expected text, got {type(text).__name__}")
    block = _REFERENCE_BLOCK_RE.search(text)
    if block is None:
        return ParseFailure(NO_RESULT_BLOCK, "RESULT_START and RESULT_END tags not found")
    found = _REFERENCE_LINE_RE.findall(block.group(1))
    if not found:
        return ParseFailure(NO_SCORE_LINES, "no score lines matching '- R<i>@S<j>: <score>'")
    scores = [(int(r), int(s), float(score)) for r, s, score in found]
    for r, s, score in scores:
        if not 0 <= score <= 1:
            return ParseFailure(SCORE_OUT_OF_RANGE, f"score {score} for R{r}@S{s} is not in range 0-1")
    return scores
