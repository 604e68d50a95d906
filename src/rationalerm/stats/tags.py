"""Rationale category shares and flaw rates of tagged reasons (``rationalerm tag`` outputs): pure, no I/O.

A tag record is one sample tagged for one model: ``items`` holds one ``{category, flaws}`` object per reason.
Rates are shares of reasons with 95% intervals that resample samples (:func:`~rationalerm.stats.paired.label_rates`),
over the records that ended ``ok``; records that failed are counted as failed, never as untagged reasons.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..parse.tags import CATEGORIES, FLAWS, ItemTags
from ..records import ERROR, OK, PARSE_FAILED
from .paired import Rate, label_rates

CATEGORY_TITLES = {
    "evidence_grounded": "Evidence-grounded",
    "criterion_grounded": "Criterion-grounded",
    "generic_style": "Generic/style",
}
FLAW_TITLES = {
    "style_only": "Style only",
    "generic_correctness": "Generic correctness",
    "generic_relevance": "Generic relevance",
    "single_sided_praise": "Single-sided praise",
    "unfalsifiable": "Unfalsifiable",
    "non_sequitur": "Non sequitur",
    "contradiction": "Contradiction",
}


@dataclass(frozen=True, slots=True)
class ModelTagRates:
    """One model's tag rates over its ``ok`` records: category shares and flaw rates (share of reasons)."""

    model: str
    samples: int
    items: int
    failed: int
    categories: dict[str, Rate]
    flaws: dict[str, Rate]

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "samples": self.samples,
            "items": self.items,
            "failed": self.failed,
            "categories": {k: v.as_dict() for k, v in self.categories.items()},
            "flaws": {k: v.as_dict() for k, v in self.flaws.items()},
        }


def is_tag_record(row: Mapping[str, Any]) -> bool:
    """Whether a JSONL row looks like a record written by ``rationalerm tag``."""
    items = row.get("items")
    return (
        "model" in row
        and "id" in row
        and "status" in row
        and isinstance(items, list)
        and all(isinstance(i, Mapping) and "category" in i and "flaws" in i for i in items)
    )


def tag_rates(
    records: Iterable[Mapping[str, Any]], *, n_resamples: int = 2000, seed: int = 0
) -> list[ModelTagRates]:
    """Per-model category shares and flaw rates with 95% cluster-bootstrap intervals (samples resampled), in
    first-seen model order. Records that did not end ``ok`` are counted as failed, never as untagged reasons."""
    by_model: dict[str, list[list[frozenset[str]]]] = {}
    failed: Counter[str] = Counter()
    for row in records:
        model = str(row.get("model"))
        by_model.setdefault(model, [])
        if row.get("status") == OK:
            by_model[model].append(
                [ItemTags(str(i["category"]), tuple(i.get("flaws") or ())).labels() for i in row["items"]]
            )
        elif row.get("status") in (PARSE_FAILED, ERROR):
            failed[model] += 1
    results = []
    for model, samples in by_model.items():
        rates = label_rates(samples, [*CATEGORIES, *FLAWS], n_resamples=n_resamples, seed=seed)
        results.append(
            ModelTagRates(
                model=model,
                samples=len(samples),
                items=sum(len(s) for s in samples),
                failed=failed[model],
                categories={name: rates[name] for name in CATEGORIES},
                flaws={name: rates[name] for name in FLAWS},
            )
        )
    return results
