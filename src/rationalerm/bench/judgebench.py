"""JudgeBench (ScalerLab/JudgeBench): scoring judgments with the official double-game rule.

The pairs (loaded by :mod:`rationalerm.data.judgebench`) are objective: ``label`` is "A>B" or "B>A", never a tie.
A judge sees each pair twice, the second time with the responses swapped; JudgeBench's output files keep the second
decision in the swapped frame, and the scorer flips it back (see :mod:`rationalerm.bench.rules`). Scores are percentages, as JudgeBench prints them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..data.judgebench import (  # noqa: F401  # PAIR_FIELDS..load_judgebench_pairs moved: shim removed at the end
    CATEGORIES,
    PAIR_FIELDS,
    JudgeBenchPair,
    category_of,
    load_judgebench_pairs,
    pair_from_row,
)
from ..data.rows import ProblemSink, build_jsonl
from ..errors import InputError, RecordError
from ..io import RowProblem
from ..records import Direction
from .rules import double_game_won, flip, is_consistent, parse_decision, percent


@dataclass(frozen=True, slots=True)
class JudgedPair:
    """A pair's label and its one or two decisions, all in the original frame (the swapped game flipped back).

    ``failed`` counts the judgments whose decision is null or unreadable.
    """

    pair_id: str
    category: str
    label: Direction
    decisions: tuple[Direction | None, ...]
    failed: int = 0

    @property
    def correct(self) -> bool:
        return double_game_won(self.decisions, self.label)

    @property
    def consistent(self) -> bool | None:
        """Whether the two games agree; None for a single game or when either decision is null."""
        if len(self.decisions) != 2:
            return None
        return is_consistent(self.decisions[0], self.decisions[1])


def judged_pair_from_row(row: Mapping[str, Any]) -> JudgedPair:
    """A row of JudgeBench's output layout (a pair plus ``judgments``: one or two ``{judgment, decision}``
    objects, possibly null, the second judged with the responses swapped) as a :class:`JudgedPair`."""
    pair = pair_from_row(row)
    judgments = row.get("judgments")
    if not isinstance(judgments, list) or len(judgments) not in (1, 2):
        raise RecordError("judgments", "must be a list of one or two judgment objects")
    raw: list[Any] = []
    for index, judgment in enumerate(judgments, start=1):
        if judgment is None:
            raw.append(None)
        elif isinstance(judgment, Mapping):
            raw.append(judgment.get("decision"))
        else:
            raise RecordError(
                "judgments", f"item {index} must be an object or null, got {type(judgment).__name__}"
            )
    parsed = [parse_decision(value) for value in raw]
    if len(parsed) == 2:
        parsed[1] = flip(parsed[1])
    return JudgedPair(
        pair_id=pair.pair_id,
        category=pair.category,
        label=pair.label,
        decisions=tuple(parsed),
        failed=sum(decision is None for decision in parsed),
    )


@dataclass(frozen=True, slots=True)
class JudgeBenchResult:
    """JudgeBench scores in percent. ``categories`` holds None for a category with no pair;
    ``position_consistency`` is over the pairs with two non-null decisions (None when there is none)."""

    overall: float
    categories: dict[str, float | None]
    category_counts: dict[str, int]
    position_consistency: float | None
    n_pairs: int
    n_correct: int
    n_failed: int
    n_consistency_pairs: int
    judge_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "judge_name": self.judge_name,
            "overall": self.overall,
            "categories": dict(self.categories),
            "category_counts": dict(self.category_counts),
            "position_consistency": self.position_consistency,
            "n_pairs": self.n_pairs,
            "n_correct": self.n_correct,
            "n_failed": self.n_failed,
            "n_consistency_pairs": self.n_consistency_pairs,
        }


def score_judged_pairs(pairs: Iterable[JudgedPair], *, judge_name: str | None = None) -> JudgeBenchResult:
    """Score judged pairs with the official rule: 100 * correct / pairs, overall and per category."""
    pairs = list(pairs)
    if not pairs:
        raise ValueError("no judged pair to score")
    totals: Counter[str] = Counter()
    correct: Counter[str] = Counter()
    agreements: list[bool] = []
    for pair in pairs:
        totals[pair.category] += 1
        correct[pair.category] += pair.correct
        if pair.consistent is not None:
            agreements.append(pair.consistent)
    n_correct = sum(correct.values())
    return JudgeBenchResult(
        overall=100.0 * n_correct / len(pairs),
        categories={name: percent(correct[name], totals[name]) for name in CATEGORIES},
        category_counts={name: totals[name] for name in CATEGORIES},
        position_consistency=percent(sum(agreements), len(agreements)),
        n_pairs=len(pairs),
        n_correct=n_correct,
        n_failed=sum(pair.failed for pair in pairs),
        n_consistency_pairs=len(agreements),
        judge_name=judge_name,
    )


def load_judged_pairs(
    path: str | os.PathLike[str], *, on_problem: ProblemSink | None = None
) -> tuple[list[JudgedPair], str | None]:
    """The judged pairs of a file in JudgeBench's output layout, and its judge name (the first ``judge_name``)."""
    names: list[str] = []

    def build(row: Mapping[str, Any]) -> JudgedPair:
        judged = judged_pair_from_row(row)
        if isinstance(row.get("judge_name"), str):
            names.append(row["judge_name"])
        return judged

    judged = build_jsonl(path, build, on_problem)
    return judged, names[0] if names else None


def score_judgments_file(
    path: str | os.PathLike[str], *, on_problem: ProblemSink | None = None
) -> JudgeBenchResult:
    """Score a file of existing judgments in JudgeBench's output layout (e.g. the published runs in its
    ``outputs/`` folder). Raises :class:`~rationalerm.errors.InputError` for a bad row or an empty file."""
    judged, judge_name = load_judged_pairs(path, on_problem=on_problem)
    if not judged:
        raise InputError(RowProblem(str(path), 0, None, "no judged pair to score"))
    return score_judged_pairs(judged, judge_name=judge_name)
