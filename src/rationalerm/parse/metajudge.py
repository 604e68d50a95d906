"""Parser of MetaJudge answers. It never raises on text: it returns a value or a :class:`ParseFailure` with a reason.

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

from ..records import Match, Matching
from .common import ParseFailure, find_result_block, not_text

# Reasons a MetaJudge answer fails; stable strings, used in outputs and counts.
NO_RESULT_BLOCK = "no_result_block"
NO_SCORE_LINES = "no_score_lines"
HUMAN_INDEX_OUT_OF_RANGE = "human_index_out_of_range"
MODEL_INDEX_OUT_OF_RANGE = "model_index_out_of_range"
SCORE_OUT_OF_RANGE = "score_out_of_range"
DUPLICATE_HUMAN_ITEM = "duplicate_human_item"
MISSING_HUMAN_ITEM = "missing_human_item"

# One score line: optional bullet or numbering, optional bold/backticks, R<i>@S<j>, ':' or '=', a number.
_SCORE_LINE_RE = re.compile(
    r"""^[ \t>]*(?:[-*+•·]|\d+[.)])?[ \t]*[*_`]*[ \t]*
        R[ \t]*(?P<r>\d+)[ \t]*@[ \t]*S[ \t]*(?P<s>\d+)
        [ \t]*[*_`]*[ \t]*[:=][ \t]*[*_`]*[ \t]*
        (?P<score>[-+]?(?:\d+(?:\.\d*)?|\.\d+))""",
    re.IGNORECASE | re.MULTILINE | re.VERBOSE,
)


def parse_score_lines(block: str) -> list[tuple[int, int, float]]:
    """Every ``R<i>@S<j>: <score>`` line of a block, in order, without validation."""
    return [(int(r), int(s), float(score)) for r, s, score in _SCORE_LINE_RE.findall(block)]


def parse_metajudge(text: object, n_human: int, n_model: int) -> Matching | ParseFailure:
    """Parse and validate a MetaJudge answer for a human list of ``n_human`` and a model list of ``n_model``.

    Valid means exactly one line per human item (R1..Rn each once), model indices in 0..n_model and scores in
    [0, 1]. ``S0`` is "no match" and always scores 0. Duplicate model indices are kept here; the metrics resolve
    them to a one-to-one matching.
    """
    triples = parse_metajudge_triples(text, n_human, n_model)
    if isinstance(triples, ParseFailure):
        return triples
    pairs = tuple(Match(r, s, score) for r, s, score in triples)
    return Matching(pairs=pairs, n_human=n_human, n_model=n_model)


def parse_metajudge_triples(
    text: object, n_human: int, n_model: int
) -> list[tuple[int, int, float]] | ParseFailure:
    """:func:`parse_metajudge` as plain ``(human, model, score)`` triples, R1 to Rn, with no :class:`Matching`
    built (what ``analyze`` reads on runs of many samples)."""
    if not isinstance(text, str):
        return not_text(text)
    block = find_result_block(text)
    if block is None:
        return ParseFailure(NO_RESULT_BLOCK, "no <RESULT_START> ... <RESULT_END> block")
    lines = parse_score_lines(block)
    if not lines:
        return ParseFailure(NO_SCORE_LINES, "the result block has no 'R<i>@S<j>: <score>' line")
    seen: dict[int, tuple[int, int, float]] = {}
    for r, s, score in lines:
        if not 1 <= r <= n_human:
            return ParseFailure(HUMAN_INDEX_OUT_OF_RANGE, f"R{r}@S{s}: the human list has {n_human} items")
        if not 0 <= s <= n_model:
            return ParseFailure(MODEL_INDEX_OUT_OF_RANGE, f"R{r}@S{s}: the model list has {n_model} items")
        if not 0.0 <= score <= 1.0:
            return ParseFailure(SCORE_OUT_OF_RANGE, f"R{r}@S{s}: score {score:g} is outside [0, 1]")
        if r in seen:
            _, previous_model, previous_score = seen[r]
            if previous_model == s and previous_score == score:
                continue  # the same line written twice says nothing new
            return ParseFailure(DUPLICATE_HUMAN_ITEM, f"R{r} has more than one line")
        seen[r] = (r, s, score if s != 0 else 0.0)
    if len(seen) < n_human:
        missing = [r for r in range(1, n_human + 1) if r not in seen]
        listed = ", ".join(f"R{r}" for r in missing[:5]) + (" ..." if len(missing) > 5 else "")
        return ParseFailure(MISSING_HUMAN_ITEM, f"no line for {listed}")
    return [seen[r] for r in range(1, n_human + 1)]


# --------------------------------------------------------------------------------------------------------------
# The released analysis script's extraction, for the `reference` metric mode.

_REFERENCE_START = "<RESULT_START>"
_REFERENCE_END = "<RESULT_END>"
_REFERENCE_LINE_RE = re.compile(r"- R(\d+)@S(\d+): (\d+(?:\.\d+)?)")


def extract_reference_scores(text: object) -> list[tuple[int, int, float]] | ParseFailure:
    """The released script's rule: the first tagged block, every ``- R<i>@S<j>: <score>`` match inside it, and an
    error when there is none or any score is outside [0, 1]. No other validation (that happens in the metrics)."""
    if not isinstance(text, str):
        return not_text(text)
    # re.search(r"<RESULT_START>(.*?)<RESULT_END>", text, re.DOTALL) in the script: the first start tag and the
    # first end tag after it (a later start tag cannot have an end tag when the first has none).
    start = text.find(_REFERENCE_START)
    end = text.find(_REFERENCE_END, start + len(_REFERENCE_START)) if start >= 0 else -1
    if end < 0:
        return ParseFailure(NO_RESULT_BLOCK, "RESULT_START and RESULT_END tags not found")
    found = _REFERENCE_LINE_RE.findall(text, start + len(_REFERENCE_START), end)
    if not found:
        return ParseFailure(NO_SCORE_LINES, "no score lines matching '- R<i>@S<j>: <score>'")
    scores = [(int(r), int(s), float(score)) for r, s, score in found]
    for r, s, score in scores:
        if not 0 <= score <= 1:
            return ParseFailure(SCORE_OUT_OF_RANGE, f"score {score} for R{r}@S{s} is not in range 0-1")
    return scores
