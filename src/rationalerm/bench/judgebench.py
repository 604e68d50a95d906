"""JudgeBench (ScalerLab/JudgeBench): loading the pairs and scoring judgments with the official double-game rule.

The pairs are objective: ``label`` is "A>B" or "B>A", never a tie. A judge sees each pair twice, the second time
with the responses swapped; JudgeBench's output files keep the second decision in the swapped frame, and the
scorer flips it back (see :mod:`rationalerm.bench.rules`). Scores are percentages, as JudgeBench prints them.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..io import InputError, RowProblem, iter_jsonl
from ..records import Direction, RecordError
from .rules import (
    double_game_won,
    flip,
    is_consistent,
    parse_decision,
    percent,
    require_file,
    require_str,
    row_problem,
)

KNOWLEDGE, REASONING, MATH, CODING = "Knowledge", "Reasoning", "Math", "Coding"
CATEGORIES = (KNOWLEDGE, REASONING, MATH, CODING)

# The labels are objective, so only the two plain forms are valid (a judge's decision may take any form).
LABELS: dict[str, Direction] = {"A>B": 1, "B>A": 2}

PAIR_FIELDS = (
    "pair_id",
    "original_id",
    "source",
    "question",
    "response_model",
    "response_A",
    "response_B",
    "label",
)
# Checked on their own: the label has two valid values, and original_id is null outside mmlu-pro.
OPTIONAL_FIELDS = ("original_id", "label")


def category_of(source: str) -> str:
    """JudgeBench's category of a ``source``: mmlu-pro-* is Knowledge, livebench-reasoning Reasoning,
    livebench-math Math, livecodebench Coding. Anything else is a ValueError: a silent "other" bucket would make
    the category scores stop adding up to the overall one."""
    if source.startswith("mmlu-pro"):
        return KNOWLEDGE
    if source == "livebench-reasoning":
        return REASONING
    if source == "livebench-math":
        return MATH
    if source == "livecodebench":
        return CODING
    raise ValueError(f"unknown JudgeBench source {source!r}")


@dataclass(frozen=True, slots=True)
class JudgeBenchPair:
    """One JudgeBench pair; ``label`` is 1 when response A is the correct one, 2 when B is."""

    pair_id: str
    original_id: str | None  # the source benchmark's id: an int for mmlu-pro rows, null for the others
    source: str
    question: str
    response_model: str
    response_A: str
    response_B: str
    label: Direction

    @property
    def category(self) -> str:
        return category_of(self.source)


def pair_from_row(row: Mapping[str, Any]) -> JudgeBenchPair:
    """A :class:`JudgeBenchPair` from a row of the JudgeBench layout; :class:`RecordError` names a bad field."""
    values: dict[str, Any] = {key: require_str(row, key) for key in PAIR_FIELDS if key not in OPTIONAL_FIELDS}
    values["original_id"] = require_str(row, "original_id") if row.get("original_id") is not None else None
    try:
        category_of(values["source"])
    except ValueError as exc:
        raise RecordError("source", str(exc)) from None
    raw_label = row.get("label")
    label = LABELS.get(raw_label) if isinstance(raw_label, str) else None
    if label is None:
        raise RecordError("label", f'must be "A>B" or "B>A", got {raw_label!r}')
    return JudgeBenchPair(label=label, **values)


def _problem_sink(on_problem: Callable[[RowProblem], None] | None) -> Callable[[RowProblem], None]:
    """Bad rows stop the load unless the caller asks to hear about them and go on: a skipped row would silently
    change the denominator of a benchmark score."""

    def raise_it(problem: RowProblem) -> None:
        raise InputError(problem)

    return on_problem or raise_it


def load_judgebench_pairs(
    path: str | os.PathLike[str], *, on_problem: Callable[[RowProblem], None] | None = None
) -> list[JudgeBenchPair]:
    """The pairs of a local JudgeBench JSONL file (e.g. ``dataset=judgebench,response_model=gpt-4o-...jsonl``).

    A bad row raises :class:`~rationalerm.io.InputError` naming file, line and field, unless ``on_problem`` is
    given, in which case it is reported there and skipped.
    """
    report = _problem_sink(on_problem)
    pairs: list[JudgeBenchPair] = []
    require_file(path)
    for line, row in iter_jsonl(path):
        if isinstance(row, RowProblem):
            report(row)
            continue
        try:
            pairs.append(pair_from_row(row))
        except RecordError as exc:
            report(row_problem(str(path), line, exc))
    return pairs


# --------------------------------------------------------------------------------------------------------------
# Judgments and scoring


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
    path: str | os.PathLike[str], *, on_problem: Callable[[RowProblem], None] | None = None
) -> tuple[list[JudgedPair], str | None]:
    """The judged pairs of a file in JudgeBench's output layout, and its judge name (the first ``judge_name``)."""
    report = _problem_sink(on_problem)
    judged: list[JudgedPair] = []
    judge_name: str | None = None
    require_file(path)
    for line, row in iter_jsonl(path):
        if isinstance(row, RowProblem):
            report(row)
            continue
        try:
            judged.append(judged_pair_from_row(row))
        except RecordError as exc:
            report(row_problem(str(path), line, exc))
            continue
        if judge_name is None and isinstance(row.get("judge_name"), str):
            judge_name = row["judge_name"]
    return judged, judge_name


def score_judgments_file(
    path: str | os.PathLike[str], *, on_problem: Callable[[RowProblem], None] | None = None
) -> JudgeBenchResult:
    """Score a file of existing judgments in JudgeBench's output layout (e.g. the published runs in its
    ``outputs/`` folder). Raises :class:`~rationalerm.io.InputError` for a bad row or an empty file."""
    judged, judge_name = load_judged_pairs(path, on_problem=on_problem)
    if not judged:
        raise InputError(RowProblem(str(path), 0, None, "no judged pair to score"))
    return score_judged_pairs(judged, judge_name=judge_name)
