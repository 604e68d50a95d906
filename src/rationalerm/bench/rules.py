"""The double-game rule shared by JudgeBench and RM-Bench judging, and the row-reading helpers both loaders use.

A verdict is a :data:`~rationalerm.records.Direction`: 1 = response A better, 2 = response B better, 0 = tie.
JudgeBench judges each pair twice, the second time with the responses swapped, and writes the second decision in
the swapped frame; it is flipped back before scoring. Each decision equal to the label counts +1, each equal to the
opposite label -1, and a tie, a failed call or an unreadable decision 0; the pair is won when the sum is > 0. So
one right verdict plus one tie or failure wins, while one right and one wrong (an inconsistent judge) does not.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..io import InputError, RowProblem
from ..records import Direction, RecordError, parse_direction


def flip(decision: Direction | None) -> Direction | None:
    """The same verdict seen with the two responses swapped (a tie and a failure stay what they are)."""
    if decision == 1:
        return 2
    if decision == 2:
        return 1
    return decision


def parse_decision(value: Any) -> Direction | None:
    """A judge's decision ("A>B", "B>A", "A=B", "A>>B", "B>>A", ...) as a direction; None when it says nothing.

    Strong and weak preferences count the same: JudgeBench's own arena-hard judge writes "A>>B" as "A>B" before
    scoring, and the published runs hold only "A>B", "B>A", "A=B" and null.
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A number is not a decision in these layouts (1 could mean "A" or "true"); refuse to guess.
        return None
    return parse_direction(value)


def verdict_points(decision: Direction | None, label: Direction) -> int:
    """+1 when ``decision`` (in the label's frame) equals the label, -1 when it is the opposite, else 0."""
    if decision is None or decision == 0:
        return 0
    return 1 if decision == label else -1


def double_game_won(decisions: Iterable[Direction | None], label: Direction) -> bool:
    """The JudgeBench rule on decisions already in the label's frame: won when the summed points are > 0.

    With a single decision this is single-game scoring: won exactly when that decision equals the label.
    """
    return sum(verdict_points(decision, label) for decision in decisions) > 0


def is_consistent(first: Direction | None, second_flipped_back: Direction | None) -> bool | None:
    """Whether two verdicts on the same pair agree once in the same frame; None when either is missing."""
    if first is None or second_flipped_back is None:
        return None
    return first == second_flipped_back


def percent(numerator: int | float, denominator: int | float) -> float | None:
    """100 * numerator / denominator, or None when there is nothing to divide by."""
    return 100.0 * numerator / denominator if denominator else None


def require_str(row: Mapping[str, Any], key: str, *, allow_empty: bool = True) -> str:
    """``row[key]`` as a string; numbers (ids written as ints in some files) are accepted and turned to text."""
    if key not in row or row[key] is None:
        raise RecordError(key, "missing")
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise RecordError(key, f"must be a string, got {type(value).__name__}")
    text = str(value)
    if not allow_empty and not text.strip():
        raise RecordError(key, "must not be empty")
    return text


def require_file(path: str | os.PathLike[str]) -> None:
    """An :class:`~rationalerm.io.InputError` (not a traceback) for an input file that is not there."""
    if not Path(path).is_file():
        raise InputError(RowProblem(str(path), 0, None, "no such file"))


def row_problem(path: str, line: int, error: RecordError, *, element: int | None = None) -> RowProblem:
    """A :class:`RowProblem` for a bad row; ``element`` (1-based) locates rows of a JSON array, which have no line."""
    message = error.message if element is None else f"element {element}: {error.message}"
    return RowProblem(path, line, error.field, message)
