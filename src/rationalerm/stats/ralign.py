"""R-Align's rationale-aware metrics (method.md section 5): pure functions, no I/O.

For N items with a gold label, a GenRM label and, on label-correct items only, a MetaRM verdict:

* L-Acc = label-correct / N (an unparseable GenRM label counts as wrong);
* S-Corr (spurious correctness) = label-correct with verdict Incorrect / label-correct with a valid verdict;
* F-Score = label-correct with verdict Correct / (N - MetaRM failures).

A MetaRM failure (no answer, or no readable verdict) is excluded from S-Corr and F-Score, never read as Incorrect.
With no failure, F = L-Acc x (1 - S-Corr) exactly. Values are fractions in [0, 1]; :meth:`RAlignScores.as_dict`
also gives the percentages R-Align prints.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

MetaRMOutcome = Literal["Correct", "Incorrect", "SkippedLabelMismatch", "CallFail", "ParseFail"]
VALID_VERDICTS = ("Correct", "Incorrect")
FAILURES = ("CallFail", "ParseFail")
SKIPPED = "SkippedLabelMismatch"


@dataclass(frozen=True, slots=True)
class RAlignItem:
    """One judged item: whether the GenRM's label was right, and the MetaRM outcome (only meaningful when it was)."""

    label_correct: bool
    metarm: MetaRMOutcome | None = None
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class RAlignScores:
    """L-Acc, S-Corr and F-Score with every count behind them. A metric with nothing to divide by is None."""

    n: int
    label_correct: int
    correct: int
    incorrect: int
    call_failures: int
    parse_failures: int

    @property
    def failures(self) -> int:
        return self.call_failures + self.parse_failures

    @property
    def l_acc(self) -> float | None:
        return self.label_correct / self.n if self.n else None

    @property
    def s_corr(self) -> float | None:
        valid = self.correct + self.incorrect
        return self.incorrect / valid if valid else None

    @property
    def f_score(self) -> float | None:
        denominator = self.n - self.failures
        return self.correct / denominator if denominator > 0 else None

    def as_dict(self) -> dict[str, Any]:
        def pct(value: float | None) -> float | None:
            return None if value is None else 100.0 * value

        return {
            "n": self.n,
            "label_correct": self.label_correct,
            "metarm_correct": self.correct,
            "metarm_incorrect": self.incorrect,
            "metarm_call_failures": self.call_failures,
            "metarm_parse_failures": self.parse_failures,
            "l_acc": self.l_acc,
            "s_corr": self.s_corr,
            "f_score": self.f_score,
            "l_acc_pct": pct(self.l_acc),
            "s_corr_pct": pct(self.s_corr),
            "f_score_pct": pct(self.f_score),
        }


def ralign_scores(items: Iterable[RAlignItem]) -> RAlignScores:
    """The three metrics over ``items``. A label-correct item without a MetaRM outcome counts as a call failure
    (the MetaRM was owed a verdict and gave none); verdicts on label-wrong items are ignored."""
    n = label_correct = correct = incorrect = call_failures = parse_failures = 0
    for item in items:
        n += 1
        if not item.label_correct:
            continue
        label_correct += 1
        if item.metarm == "Correct":
            correct += 1
        elif item.metarm == "Incorrect":
            incorrect += 1
        elif item.metarm == "ParseFail":
            parse_failures += 1
        else:
            call_failures += 1
    return RAlignScores(n, label_correct, correct, incorrect, call_failures, parse_failures)


def ralign_by_domain(items: Iterable[RAlignItem]) -> dict[str, RAlignScores]:
    """One :class:`RAlignScores` per domain (``unknown`` for items without one), sorted by domain."""
    groups: dict[str, list[RAlignItem]] = defaultdict(list)
    for item in items:
        groups[item.domain or "unknown"].append(item)
    return {domain: ralign_scores(groups[domain]) for domain in sorted(groups)}


@dataclass(frozen=True, slots=True)
class RAlignReport:
    """One model's scores overall and per domain."""

    model: str
    overall: RAlignScores
    by_domain: dict[str, RAlignScores]

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            **self.overall.as_dict(),
            "by_domain": {domain: scores.as_dict() for domain, scores in self.by_domain.items()},
        }


def domain_of_row(row: Mapping[str, Any]) -> str | None:
    """``domain``, else R-Align's ``source`` (a string, or an object with ``subset``)."""
    domain = row.get("domain")
    if isinstance(domain, str) and domain:
        return domain
    source = row.get("source")
    if isinstance(source, str) and source:
        return source
    if isinstance(source, Mapping) and isinstance(source.get("subset"), str):
        return str(source["subset"])
    return None


def verdict_key(model: str) -> str:
    return f"{model}-metarm_verdict"


def label_correct_key(model: str) -> str:
    return f"{model}-label_correct"


def items_from_rows(rows: Iterable[Mapping[str, Any]], model: str) -> list[RAlignItem]:
    """The items of ``model`` in ``rationalerm metarm`` output rows (rows without its verdict are not items)."""
    items = []
    for row in rows:
        outcome = row.get(verdict_key(model))
        if outcome is None:
            continue
        correct = bool(row.get(label_correct_key(model)))
        items.append(
            RAlignItem(
                correct,
                outcome if outcome in (*VALID_VERDICTS, *FAILURES, SKIPPED) else None,
                domain_of_row(row),
            )
        )
    return items


def models_in_rows(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Model names with a ``{model}-metarm_verdict`` key, in first-seen order."""
    suffix = "-metarm_verdict"
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key.endswith(suffix):
                seen.setdefault(key[: -len(suffix)], None)
    return list(seen)


def ralign_report(rows: Iterable[Mapping[str, Any]], model: str) -> RAlignReport:
    items = items_from_rows(rows, model)
    return RAlignReport(model, ralign_scores(items), ralign_by_domain(items))


__all__ = [
    "FAILURES",
    "SKIPPED",
    "VALID_VERDICTS",
    "MetaRMOutcome",
    "RAlignItem",
    "RAlignReport",
    "RAlignScores",
    "domain_of_row",
    "items_from_rows",
    "label_correct_key",
    "models_in_rows",
    "ralign_by_domain",
    "ralign_report",
    "ralign_scores",
    "verdict_key",
]
