"""Moved (issue 18): ``rationalerm.workflows.judge_side`` was split into :mod:`rationalerm.prompts.chat` (prompt
rendering), :mod:`rationalerm.runs.rows` (row layouts, keys) and :mod:`rationalerm.runs.runner` (pools, provenance,
the resumable runner). This shim re-exports the old names; it is removed at the end of issue 18."""

from ..io import RunSummary
from ..prompts.chat import format_transcript, message_text, render_messages, sanitize_block, split_dialogue
from ..runs.rows import PairInput, conversation_of, pair_of, row_key
from ..runs.runner import (
    BAD_ROW,
    ERROR,
    OK,
    PARSE_FAILED,
    OutputLayout,
    RowOutcome,
    bad_row_outcome,
    check_distinct_paths,
    open_pool,
    provenance,
    run_rows,
)

__all__ = [
    "BAD_ROW",
    "ERROR",
    "OK",
    "PARSE_FAILED",
    "OutputLayout",
    "PairInput",
    "RowOutcome",
    "RunSummary",
    "bad_row_outcome",
    "check_distinct_paths",
    "conversation_of",
    "format_transcript",
    "message_text",
    "open_pool",
    "pair_of",
    "provenance",
    "render_messages",
    "row_key",
    "run_rows",
    "sanitize_block",
    "split_dialogue",
]
