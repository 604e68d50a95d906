"""Fit the local matcher's grade thresholds on the tune split of the development set and report its quality.

The similarity of every (human item, model item) pair of the tune split is computed once; a grid search then picks
the four ascending thresholds (grades 0.25, 0.5, 0.75, 1.0) that maximise

    Pearson r of per-sample paper-mode recall  -  mean absolute error of the per-human-item score
        -  false-match rate on the other-response / opposite-conclusion hard negatives

(the last term only moves with the first threshold, since the side and polarity gates already zero those pairs).
The result is written to ``src/rationalerm/matchers/local_calibration.json`` with the model name and the fit
settings; the quality figures on tune and heldout are printed. The heldout split is never seen by the search.

Usage::

    .venv/bin/python scripts/calibrate_local_matcher.py [--step 0.05] [--dry-run]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rationalerm.matchers.local import (
    FALSE_MATCH_KINDS,
    MODEL_NAME,
    Calibration,
    DevSample,
    LocalMatcher,
    evaluate_samples,
    load_devset,
)
from rationalerm.stats.consistency import optimal_matching

CALIBRATION_PATH = (
    Path(__file__).resolve().parents[1] / "src" / "rationalerm" / "matchers" / "local_calibration.json"
)


@dataclass(frozen=True)
class Prepared:
    """One tune sample reduced to what the search needs: similarities, gates and labels."""

    similarity: np.ndarray
    gate: np.ndarray
    label_scores: np.ndarray  # labelled score per human item
    label_recall: float
    false_pairs: list[tuple[int, int]]


def prepare(matcher: LocalMatcher, samples: list[DevSample]) -> list[Prepared]:
    matcher.embed(text for s in samples for text in (*s.human, *s.model))
    prepared = []
    for s in samples:
        labels = np.zeros(len(s.human))
        for pair in s.matching.pairs:
            labels[pair.human - 1] = pair.score
        prepared.append(
            Prepared(
                similarity=matcher.similarity_matrix(s.human, s.model),
                gate=matcher.gate_matrix(s.human, s.model),
                label_scores=labels,
                label_recall=float(labels.sum() / len(s.human)),
                false_pairs=[(h - 1, m - 1) for h, m, kind in s.hard_negatives if kind in FALSE_MATCH_KINDS],
            )
        )
    return prepared


def objective(prepared: list[Prepared], thresholds: tuple[float, ...]) -> float:
    calibration = Calibration(thresholds=thresholds, model=MODEL_NAME)  # type: ignore[arg-type]
    recalls, labels, errors = [], [], []
    false_hits = false_total = 0
    for p in prepared:
        graded = calibration.grade(p.similarity) * p.gate
        matching = optimal_matching(np.where(graded > 0, graded + 1e-3 * p.similarity, 0.0))
        scores = np.array([graded[m.human - 1, m.model - 1] if m.model else 0.0 for m in matching.pairs])
        recalls.append(scores.sum() / len(scores))
        labels.append(p.label_recall)
        errors.extend(np.abs(scores - p.label_scores).tolist())
        for h, m in p.false_pairs:
            false_total += 1
            false_hits += int(graded[h, m] > 0)
    r = float(np.corrcoef(recalls, labels)[0, 1]) if np.std(recalls) > 0 else -1.0
    false_rate = false_hits / false_total if false_total else 0.0
    return r - float(np.mean(errors)) - false_rate


def search(prepared: list[Prepared], step: float, low: float, high: float) -> tuple[tuple[float, ...], float]:
    """A full grid over 4 ascending thresholds, then coordinate refinement at a quarter of the step."""
    grid = np.round(np.arange(low, high + 1e-9, step), 4).tolist()
    best: tuple[tuple[float, ...], float] = ((), -np.inf)
    for combo in itertools.combinations(grid, 4):
        value = objective(prepared, combo)
        # strict: the first (lowest) combination wins ties, so the fit is deterministic
        if value > best[1] + 1e-12:
            best = (combo, value)
    fine = step / 4
    for _ in range(3):
        improved = False
        for k in range(4):
            current = list(best[0])
            lo = current[k - 1] + fine if k else low
            hi = current[k + 1] - fine if k < 3 else high
            for value_k in np.round(np.arange(lo, hi + 1e-9, fine), 4).tolist():
                candidate = (*current[:k], value_k, *current[k + 1 :])
                value = objective(prepared, candidate)
                if value > best[1] + 1e-12:
                    best, improved = (candidate, value), True
        if not improved:
            break
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--step", type=float, default=0.05, help="grid step of the thresholds")
    parser.add_argument("--low", type=float, default=0.30)
    parser.add_argument("--high", type=float, default=0.90)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the calibration file")
    args = parser.parse_args()

    samples = load_devset()
    tune = [s for s in samples if s.split == "tune"]
    heldout = [s for s in samples if s.split == "heldout"]
    start = time.perf_counter()
    matcher = LocalMatcher(Calibration(thresholds=(0.4, 0.5, 0.6, 0.7), model=MODEL_NAME))
    prepared = prepare(matcher, tune)
    thresholds, value = search(prepared, args.step, args.low, args.high)
    calibration = Calibration(
        thresholds=thresholds,  # type: ignore[arg-type]
        model=MODEL_NAME,
        fitted={
            "devset": "local_devset.jsonl",
            "split": "tune",
            "samples": len(tune),
            "method": "grid search over 4 ascending thresholds, then coordinate refinement at step/4",
            "grid": [args.low, args.high, args.step],
            "objective": "pearson_r(recall) - item score MAE - false-match rate",
            "objective_value": round(value, 4),
            "side_gate": True,
            "polarity_gate": matcher.polarity_gate,
        },
    )
    print(f"thresholds {list(thresholds)}  objective {value:.4f}  ({time.perf_counter() - start:.1f} s)")
    fitted = LocalMatcher(calibration)
    fitted._cache = matcher._cache  # same model, same strings: reuse the embeddings
    for split, part in (("tune", tune), ("heldout", heldout), ("all", samples)):
        report = evaluate_samples(fitted, part, split)
        print(
            json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in report.as_dict().items()})
        )
    if not args.dry_run:
        CALIBRATION_PATH.write_text(json.dumps(calibration.as_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"wrote {CALIBRATION_PATH}")


if __name__ == "__main__":
    main()
