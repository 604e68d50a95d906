"""JudgeBench (``ScalerLab/JudgeBench``) pairs, read as the benchmark publishes them.

A pair is objective: ``label`` is "A>B" or "B>A", never a tie. Sources: the Hub id with a split (``gpt``: 350 pairs
by GPT-4o, ``claude``: 270 by Claude 3.5 Sonnet; ``gpt``, ``ScalerLab/JudgeBench:gpt`` and ``FOLDER:gpt`` say the
same), a snapshot folder, or a local JSONL file in the GitHub layout. A bad row is an
:class:`~rationalerm.errors.InputError` naming file, line and field unless the caller asks to hear about it: a
skipped pair would change the score's denominator. Scoring lives in :mod:`rationalerm.bench.judgebench`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError, RecordError
from ..records import Direction
from .hub import JUDGEBENCH, JUDGEBENCH_HUB, build_split, resolve_split, split_suffix
from .rows import ProblemSink, build_jsonl, id_as_text, require_str

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

# ``original_id`` as text: the Hub's files write it as a string, the GitHub files as a number.
_normalise = id_as_text("original_id")


def category_of(source: str) -> str:
    """JudgeBench's category of a ``source``: mmlu-pro-* is Knowledge, livebench-reasoning Reasoning,
    livebench-math Math, livecodebench Coding. Anything else is an :class:`InputError` (a ValueError): a silent
    "other" bucket would make the category scores stop adding up to the overall one."""
    if source.startswith("mmlu-pro"):
        return KNOWLEDGE
    if source == "livebench-reasoning":
        return REASONING
    if source == "livebench-math":
        return MATH
    if source == "livecodebench":
        return CODING
    raise InputError(f"unknown JudgeBench source {source!r}")


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
    except InputError as exc:
        raise RecordError("source", str(exc)) from None
    raw_label = row.get("label")
    label = LABELS.get(raw_label) if isinstance(raw_label, str) else None
    if label is None:
        raise RecordError("label", f'must be "A>B" or "B>A", got {raw_label!r}')
    return JudgeBenchPair(label=label, **values)


def load_judgebench_pairs(
    path: str | os.PathLike[str], *, on_problem: ProblemSink | None = None
) -> list[JudgeBenchPair]:
    """The pairs of a local JudgeBench JSONL file (e.g. ``dataset=judgebench,response_model=gpt-4o-...jsonl``).

    A bad row raises :class:`~rationalerm.errors.InputError` naming file, line and field, unless ``on_problem`` is
    given, in which case it is reported there and skipped.
    """
    return build_jsonl(path, pair_from_row, on_problem)


def load_judgebench(
    name_or_path: str | os.PathLike[str] = JUDGEBENCH_HUB,
    *,
    split: str | None = None,
    hub_cache: str | None = None,
    on_problem: ProblemSink | None = None,
) -> list[JudgeBenchPair]:
    """JudgeBench pairs from ``ScalerLab/JudgeBench`` (split ``gpt`` or ``claude``; ``gpt``,
    ``ScalerLab/JudgeBench:gpt`` and ``FOLDER:gpt`` say the same), a snapshot folder of it, or a local JSONL file
    (the GitHub layout, ``dataset=judgebench,response_model=...jsonl``)."""
    text, suffix = split_suffix(str(name_or_path), JUDGEBENCH)
    if Path(text).is_file():
        return load_judgebench_pairs(text, on_problem=on_problem)
    source = resolve_split(text, JUDGEBENCH, split=split or suffix, hub_cache=hub_cache, normalise=_normalise)
    if source.origin == "file":
        return load_judgebench_pairs(text, on_problem=on_problem)
    return build_split(source, pair_from_row, on_problem)
