"""The double-game rule shared by JudgeBench and RM-Bench judging.

A verdict is a :data:`~rationalerm.records.Direction`: 1 = response A better, 2 = response B better, 0 = tie.
JudgeBench judges each pair twice, the second time with the responses swapped, and writes the second decision in
the swapped frame; it is flipped back before scoring. Each decision equal to the label counts +1, each equal to the
opposite label -1, and a tie, a failed call or an unreadable decision 0; the pair is won when the sum is > 0. So
one right verdict plus one tie or failure wins, while one right and one wrong (an inconsistent judge) does not.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..data.rows import require_file, require_str, row_problem  # noqa: F401  # moved: shim removed at the end
from ..records import Direction, parse_direction


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
