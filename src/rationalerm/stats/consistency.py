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

import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from ..records import METRIC_NAMES, Match, Matching, MetricSummary, SampleMetrics

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
    return SampleMetrics(*paper_values(matching.pairs, matching.n_human, matching.n_model, cap))


def paper_values(
    pairs: Iterable[tuple[int, int, float]], n_human: int, n_model: int, cap: int | None = EVALUATION_CAP
) -> tuple[float, float, float, float]:
    """:func:`paper_metrics` of ``(human, model, score)`` triples as a ``(precision, recall, f1, AP)`` tuple."""
    m = considered_items(n_model, cap)
    # One-to-one as in resolve_one_to_one: the best score keeps a model item, ties go to the earliest human item.
    best: dict[int, float] = {}
    for _, model, score in pairs:
        if 0 < model <= m and score > best.get(model, 0.0):
            best[model] = score
    scores_by_rank = [0.0] * m
    for model, score in best.items():
        scores_by_rank[model - 1] = score
    total = sum(scores_by_rank)
    recall = total / n_human if n_human else 0.0
    precision = total / m if m else 0.0
    return precision, recall, f1_score(precision, recall), average_precision(scores_by_rank, n_human)


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
    values = reference_values(scores, n_human, n_model_considered)
    return None if values is None else SampleMetrics(*values)


def reference_values(
    scores: Sequence[tuple[int, int, float]], n_human: int, n_model_considered: int
) -> tuple[float, float, float, float] | None:
    """:func:`reference_metrics` as a ``(precision, recall, f1, AP)`` tuple (or None)."""
    if not scores or len(scores) != n_human:
        return None
    best_by_human: dict[int, float] = {}
    best_by_model: dict[int, float] = {}
    for r, s, v in scores:
        if s == 0 or r > n_human or s > n_model_considered:
            continue
        # max(best, v) keeps the earlier value unless v is larger
        if r not in best_by_human or v > best_by_human[r]:
            best_by_human[r] = v
        if s not in best_by_model or v > best_by_model[s]:
            best_by_model[s] = v
    if not best_by_model:
        return 0.0, 0.0, 0.0, 0.0
    recall = sum(best_by_human.values()) / n_human if n_human > 0 else 0.0
    precision = sum(best_by_model.values()) / n_model_considered if n_model_considered > 0 else 0.0
    cumulative = 0.0
    running = 0.0
    for rank, s in enumerate(sorted(best_by_model), start=1):
        running += best_by_model[s]
        cumulative += running / rank
    return precision, recall, f1_score(precision, recall), cumulative / n_human


# --------------------------------------------------------------------------------------------------------------
# Dataset aggregates


def bootstrap_means(
    values: np.ndarray,
    *,
    n_resamples: int = 1000,
    seed: int | np.random.SeedSequence = 0,
    chunk: int = 4_000_000,
) -> np.ndarray:
    """Column means of ``n_resamples`` bootstrap resamples of the rows of ``values`` (n x k): shape (B, k).

    Resampling n rows with replacement only decides how often each row is drawn, and identical rows are
    interchangeable, so the draw is a multinomial over the *distinct* rows. Metric rows take few distinct values
    (graded scores over short lists), which makes that draw O(distinct) instead of O(n) per resample: the same
    bootstrap distribution, much faster on large runs. Columns with many distinct values fall back to drawing
    indices, in chunks so memory stays bounded.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    n, k = values.shape
    if n == 0 or n_resamples <= 0:
        return np.empty((0, k))
    rng = np.random.default_rng(seed)
    distinct, counts = _distinct_rows(values)
    if len(distinct) * 4 <= n:
        draws = rng.multinomial(n, counts / n, size=n_resamples)
        return draws @ distinct / n
    # Rows rarely repeat as a whole but most columns take few values: resample those columns separately (each
    # column's interval has exactly the same distribution; only the joint draw across columns is given up) and
    # draw indices only for the columns with many distinct values.
    means = np.empty((n_resamples, k))
    many: list[int] = []
    for j in range(k):
        column_values, column_counts = np.unique(values[:, j], return_counts=True)
        if len(column_values) * 4 <= n:
            means[:, j] = rng.multinomial(n, column_counts / n, size=n_resamples) @ column_values / n
        else:
            many.append(j)
    if many:
        means[:, many] = _index_bootstrap(values[:, many], n_resamples, rng, chunk)
    return means


def _distinct_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, axis=0, return_counts=True)`` for an (n x k) float array, several times faster.

    Sorting the columns as keys (``lexsort``, first column first) orders the rows exactly as ``np.unique`` does
    unless a value is NaN or -0.0 (the only floats whose order or equality is ambiguous); those go to
    ``np.unique`` itself, so the rows, their order and the counts are always the same.
    """
    if len(values) == 0 or np.isnan(values).any() or np.signbit(values[values == 0]).any():
        return np.unique(values, axis=0, return_counts=True)
    ordered = values[np.lexsort(values.T[::-1])]
    starts = np.flatnonzero(np.concatenate(([True], (ordered[1:] != ordered[:-1]).any(axis=1))))
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def _index_bootstrap(
    values: np.ndarray, n_resamples: int, rng: np.random.Generator, chunk: int
) -> np.ndarray:
    n, k = values.shape
    means = np.empty((n_resamples, k))
    per_chunk = max(1, chunk // n)
    done = 0
    while done < n_resamples:
        size = min(per_chunk, n_resamples - done)
        index = rng.integers(0, n, size=(size, n))
        for offset in range(size):
            means[done + offset] = np.bincount(index[offset], minlength=n) @ values / n
        done += size
    return means


def percentile_interval(means: np.ndarray, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    alpha = (1 - confidence) / 2
    return np.quantile(means, alpha, axis=0), np.quantile(means, 1 - alpha, axis=0)


def bootstrap_ci(
    values: np.ndarray,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
    chunk: int = 4_000_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile bootstrap interval of the column means of ``values`` (n samples x k metrics).

    Seeded and reproducible; see :func:`bootstrap_means` for how the resamples are drawn.
    """
    values = np.asarray(values, dtype=float)
    k = 1 if values.ndim == 1 else values.shape[1]
    if len(values) == 0 or n_resamples <= 0:
        nan = np.full(k, np.nan)
        return nan, nan
    return percentile_interval(
        bootstrap_means(values, n_resamples=n_resamples, seed=seed, chunk=chunk), confidence
    )


def _table(metrics: Sequence[SampleMetrics] | np.ndarray) -> np.ndarray:
    """Per-sample metrics as an (n x 4) array; an array of (precision, recall, f1, AP) rows is taken as it is."""
    if isinstance(metrics, np.ndarray):
        return np.asarray(metrics, dtype=float).reshape(-1, 4)
    return np.array(
        [[m.precision, m.recall, m.f1, m.average_precision] for m in metrics], dtype=float
    ).reshape(-1, 4)


def _summary(table: np.ndarray, means: np.ndarray | None, confidence: float) -> MetricSummary:
    n = len(table)
    if n == 0:
        return MetricSummary(n=0, precision=0.0, recall=0.0, f1=0.0, average_precision=0.0, ci={})
    avg = table.mean(axis=0)
    ci: dict[str, tuple[float, float]] = {}
    if means is not None and len(means):
        lo, hi = percentile_interval(means, confidence)
        ci = {name: (float(lo[i]), float(hi[i])) for i, name in enumerate(METRIC_NAMES)}
    return MetricSummary(
        n=n,
        precision=float(avg[0]),
        recall=float(avg[1]),
        f1=float(avg[2]),
        average_precision=float(avg[3]),
        ci=ci,
    )


def summarize(
    metrics: Sequence[SampleMetrics] | np.ndarray,
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> MetricSummary:
    """Means of the four metrics over the samples that count, with seeded bootstrap intervals."""
    table = _table(metrics)
    means = (
        bootstrap_means(table, n_resamples=n_resamples, seed=seed) if n_resamples > 0 and len(table) else None
    )
    return _summary(table, means, confidence)


def summarize_by_group(
    metrics: Sequence[SampleMetrics] | np.ndarray,
    groups: Sequence[str],
    *,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[MetricSummary, dict[str, MetricSummary]]:
    """The overall summary and one per group (e.g. domain), from one stratified bootstrap.

    Each group is resampled within itself (its own seeded stream); the overall resample is the size-weighted mean
    of the group resamples. That is the stratified bootstrap, which suits datasets built with a fixed number of
    samples per domain, and it costs one pass instead of two. Groups are resampled in parallel threads (numpy
    draws without holding the GIL); each has its own stream, so the result does not depend on the threads.
    """
    table = _table(metrics)
    names = sorted(set(groups))
    labels = np.asarray(groups, dtype=object)
    streams = np.random.SeedSequence(seed).spawn(len(names))
    rows_by_group = [table[labels == name] for name in names]
    group_means: list[np.ndarray | None] = [None] * len(names)
    if n_resamples > 0:

        def resample(rows: np.ndarray, stream: np.random.SeedSequence) -> np.ndarray:
            return bootstrap_means(rows, n_resamples=n_resamples, seed=stream)

        workers = min(len(names), os.cpu_count() or 1)
        if workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                group_means = list(pool.map(resample, rows_by_group, streams))
        else:
            group_means = [
                resample(rows, stream) for rows, stream in zip(rows_by_group, streams, strict=True)
            ]
    per_group: dict[str, MetricSummary] = {}
    total_means = np.zeros((n_resamples, 4)) if n_resamples > 0 else None
    for name, rows, means in zip(names, rows_by_group, group_means, strict=True):
        per_group[name] = _summary(rows, means, confidence)
        if total_means is not None and means is not None:
            total_means += means * (len(rows) / len(table))
    overall = _summary(table, total_means if len(table) else None, confidence)
    return overall, per_group


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
