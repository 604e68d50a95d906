"""Rationale-consistency metrics: pure functions, no I/O.

Two modes (method.md section 4):

``paper`` (default)
    A strict one-to-one matching; recall = S_total / n (the per-sample rationale consistency), precision =
    S_total / m, F1, and the paper's Average Precision AP = (1/n) * sum_k P@k * I(k) with P@k = (s_1..s_k)/k over
    the first m model items and I(k) = 1 when model item k is matched with a score > 0.
``reference``
    Bit-exact with the released analysis script: no one-to-one resolution for recall, precision over the best score
    of each distinct matched model item, AP as the running mean over matched model items only, and its skip rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from .records import METRIC_NAMES, Match, Matching, MetricSummary, SampleMetrics

PAPER = "paper"
REFERENCE = "reference"
MODES = (PAPER, REFERENCE)
EVALUATION_CAP = 5  # reasons considered per model at evaluation time
REFERENCE_MAX_CHECKLIST = 10  # the released script skips longer model lists


def considered_items(n_model: int, cap: int | None) -> int:
    """How many model items count: all of them without a cap (cap None or 0), else the first ``cap``."""
    return n_model if not cap else min(n_model, cap)


def f1_score(precision: float, recall: float) -> float:
    total = precision + recall
    return 0.0 if total == 0 else 2 * precision * recall / total


# --------------------------------------------------------------------------------------------------------------
# Paper mode


def resolve_one_to_one(pairs: Iterable[Match], n_model: int) -> list[Match]:
    """Make a matching strictly one-to-one: when several human items claim one model item, the highest score keeps
    it (ties: the earliest human item) and the others become unmatched. Model items beyond ``n_model`` and scores of
    0 are unmatched too."""
    pairs = list(pairs)
    owner: dict[int, Match] = {}
    for pair in pairs:
        if pair.model < 1 or pair.model > n_model or pair.score <= 0:
            continue
        current = owner.get(pair.model)
        if current is None or pair.score > current.score:
            owner[pair.model] = pair
    kept = {id(p) for p in owner.values()}
    return [p if id(p) in kept else Match(p.human, 0, 0.0) for p in pairs]


def average_precision(scores_by_rank: Sequence[float], n_human: int) -> float:
    """The paper's AP: (1/n) * sum over ranks k with s_k > 0 of P@k, P@k = (s_1 + ... + s_k) / k."""
    if n_human <= 0:
        return 0.0
    total = 0.0
    running = 0.0
    for k, score in enumerate(scores_by_rank, start=1):
        running += score
        if score > 0:
            total += running / k
    return total / n_human


def paper_metrics(matching: Matching, cap: int | None = EVALUATION_CAP) -> SampleMetrics:
    """Metrics of one sample in paper mode. ``cap`` limits the model items considered (None or 0: no cap)."""
    n_human = matching.n_human
    m = considered_items(matching.n_model, cap)
    resolved = resolve_one_to_one(matching.pairs, m)
    scores_by_rank = [0.0] * m
    for pair in resolved:
        if pair.model:
            scores_by_rank[pair.model - 1] = pair.score
    total = sum(scores_by_rank)
    recall = total / n_human if n_human else 0.0
    precision = total / m if m else 0.0
    return SampleMetrics(
        precision=precision,
        recall=recall,
        f1=f1_score(precision, recall),
        average_precision=average_precision(scores_by_rank, n_human),
    )


def optimal_matching(scores: np.ndarray) -> Matching:
    """The strict one-to-one matching maximizing the total score of a full (n_human x n_model) score matrix
    (Hungarian algorithm). Human items left without a positive partner get model index 0."""
    from scipy.optimize import linear_sum_assignment

    scores = np.asarray(scores, dtype=float)
    n_human, n_model = scores.shape
    chosen: dict[int, tuple[int, float]] = {}
    if n_human and n_model:
        rows, cols = linear_sum_assignment(scores, maximize=True)
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            if scores[r, c] > 0:
                chosen[r] = (c + 1, float(scores[r, c]))
    pairs = tuple(Match(r + 1, *chosen.get(r, (0, 0.0))) for r in range(n_human))
    return Matching(pairs=pairs, n_human=n_human, n_model=n_model)


# --------------------------------------------------------------------------------------------------------------
# Reference mode (the released analysis script)


def reference_metrics(
    scores: Sequence[tuple[int, int, float]], n_human: int, n_model_considered: int
) -> SampleMetrics | None:
    """The released script's per-sample metrics; None when the answer does not have exactly ``n_human`` lines.

    ``n_model_considered`` is min(len(model list), 5) there. Lines with S0 or indices out of range are dropped;
    recall takes each human item's best score (no one-to-one resolution), precision and AP use each distinct
    matched model item's best score, AP over matched items only in ascending model index.
    """
    if not scores or len(scores) != n_human:
        return None
    valid = [(r, s, v) for r, s, v in scores if s != 0 and r <= n_human and s <= n_model_considered]
    if not valid:
        return SampleMetrics(precision=0.0, recall=0.0, f1=0.0, average_precision=0.0)
    best_by_human: dict[int, float] = {}
    best_by_model: dict[int, float] = {}
    for r, s, v in valid:
        best_by_human[r] = max(best_by_human[r], v) if r in best_by_human else v
        best_by_model[s] = max(best_by_model[s], v) if s in best_by_model else v
    recall = sum(best_by_human.values()) / n_human if n_human > 0 else 0.0
    precision = sum(best_by_model.values()) / n_model_considered if n_model_considered > 0 else 0.0
    cumulative = 0.0
    running = 0.0
    for rank, s in enumerate(sorted(best_by_model), start=1):
        running += best_by_model[s]
        cumulative += running / rank
    ap = cumulative / n_human
    return SampleMetrics(precision=precision, recall=recall, f1=f1_score(precision, recall), average_precision=ap)


# --------------------------------------------------------------------------------------------------------------
# Dataset aggregates


def bootstrap_ci(
    values: np.ndarray,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    chunk: int = 4_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the column means of ``values`` (n samples x k metrics).

    All columns share the same resamples (the metrics of a sample travel together). Seeded and reproducible;
    resamples are drawn in chunks so memory stays bounded for large n.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    n, k = values.shape
    if n == 0 or n_resamples <= 0:
        nan = np.full(k, np.nan)
        return nan, nan
    rng = np.random.default_rng(seed)
    means = np.empty((n_resamples, k))
    per_chunk = max(1, chunk // n)
    done = 0
    while done < n_resamples:
        size = min(per_chunk, n_resamples - done)
        index = rng.integers(0, n, size=(size, n))
        for col in range(k):
            means[done : done + size, col] = values[index, col].mean(axis=1)
        done += size
    alpha = (1 - confidence) / 2
    lo = np.quantile(means, alpha, axis=0)
    hi = np.quantile(means, 1 - alpha, axis=0)
    return lo, hi


def summarize(
    metrics: Sequence[SampleMetrics], *, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> MetricSummary:
    """Means of the four metrics over the samples that count, with seeded bootstrap intervals."""
    n = len(metrics)
    if n == 0:
        return MetricSummary(n=0, precision=0.0, recall=0.0, f1=0.0, average_precision=0.0, ci={})
    table = np.array([[m.precision, m.recall, m.f1, m.average_precision] for m in metrics], dtype=float)
    means = table.mean(axis=0)
    ci: dict[str, tuple[float, float]] = {}
    if n_resamples > 0:
        lo, hi = bootstrap_ci(table, n_resamples=n_resamples, confidence=confidence, seed=seed)
        ci = {name: (float(lo[i]), float(hi[i])) for i, name in enumerate(METRIC_NAMES)}
    return MetricSummary(
        n=n,
        precision=float(means[0]),
        recall=float(means[1]),
        f1=float(means[2]),
        average_precision=float(means[3]),
        ci=ci,
    )


def proportion_ci(
    successes: Sequence[bool], *, n_resamples: int = 1000, confidence: float = 0.95, seed: int = 0
) -> tuple[float, tuple[float, float] | None]:
    """The mean of a list of booleans (e.g. outcome accuracy) with a bootstrap interval."""
    if not successes:
        return 0.0, None
    values = np.asarray(successes, dtype=float)
    mean = float(values.mean())
    if n_resamples <= 0:
        return mean, None
    lo, hi = bootstrap_ci(values, n_resamples=n_resamples, confidence=confidence, seed=seed)
    return mean, (float(lo[0]), float(hi[0]))
