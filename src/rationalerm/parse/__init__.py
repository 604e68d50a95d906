"""Parsers of model text. They never raise on text: each returns a value or a :class:`ParseFailure` with a reason.

- :mod:`.common`: :class:`ParseFailure`, the result block and the visible (non-hidden) text, shared by all parsers;
- :mod:`.metajudge`: MetaJudge answers (``R<i>@S<j>: <score>`` lines) and the released script's extraction rule;
- :mod:`.verdicts`: GenRM answers (verdicts, reasons), decompositions of a human rationale, MetaRM verdicts.

Every name is re-exported here, so ``from rationalerm.parse import parse_verdict`` keeps working.
"""

from __future__ import annotations

from .common import NOT_TEXT, ParseFailure, find_result_block, strip_hidden_reasoning
from .metajudge import (
    DUPLICATE_HUMAN_ITEM,
    HUMAN_INDEX_OUT_OF_RANGE,
    MISSING_HUMAN_ITEM,
    MODEL_INDEX_OUT_OF_RANGE,
    NO_RESULT_BLOCK,
    NO_SCORE_LINES,
    SCORE_OUT_OF_RANGE,
    extract_reference_scores,
    parse_metajudge,
    parse_metajudge_triples,
    parse_score_lines,
)
from .verdicts import (
    CLAIM_COUNT_MISMATCH,
    EMPTY_AFTER_REASONING,
    GENRM_STYLES,
    NO_CLAIMS_SECTION,
    NO_METARM_VERDICT,
    NO_REASONS,
    NO_VERDICT,
    TIE_NOT_ALLOWED,
    UNKNOWN_METARM_VERDICT,
    UNREADABLE_VERDICT,
    Decomposition,
    GenRMStyle,
    IgnoredStatement,
    MetaRMVerdict,
    extract_tag,
    parse_decomposition,
    parse_metarm_verdict,
    parse_reasons,
    parse_verdict,
)

__all__ = [
    "CLAIM_COUNT_MISMATCH",
    "DUPLICATE_HUMAN_ITEM",
    "EMPTY_AFTER_REASONING",
    "GENRM_STYLES",
    "HUMAN_INDEX_OUT_OF_RANGE",
    "MISSING_HUMAN_ITEM",
    "MODEL_INDEX_OUT_OF_RANGE",
    "NOT_TEXT",
    "NO_CLAIMS_SECTION",
    "NO_METARM_VERDICT",
    "NO_REASONS",
    "NO_RESULT_BLOCK",
    "NO_SCORE_LINES",
    "NO_VERDICT",
    "SCORE_OUT_OF_RANGE",
    "TIE_NOT_ALLOWED",
    "UNKNOWN_METARM_VERDICT",
    "UNREADABLE_VERDICT",
    "Decomposition",
    "GenRMStyle",
    "IgnoredStatement",
    "MetaRMVerdict",
    "ParseFailure",
    "extract_reference_scores",
    "extract_tag",
    "find_result_block",
    "parse_decomposition",
    "parse_metajudge",
    "parse_metajudge_triples",
    "parse_metarm_verdict",
    "parse_reasons",
    "parse_score_lines",
    "parse_verdict",
    "strip_hidden_reasoning",
]
