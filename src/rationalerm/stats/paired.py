"""Comparisons between models and between evaluators: pure functions, no I/O.

* :func:`paired_bootstrap` asks whether two models' rationale consistency differs on the samples both were scored
  on. Pairing matters: the samples vary far more in difficulty than the models do, so resampling the per-sample
  *differences* gives a much tighter (and honest) interval than comparing two independent intervals.
* :func:`agreement` measures how closely two evaluators (or matchers) agree, in the paper's Figure 2a terms: the
  least-squares line of one against the other, its R^2, the RMSE between them, and the Spearman correlation of the
  rankings they produce.
* :func:`label_rates` gives the share of items carrying each label (rationale category or flaw tag) with a
  bootstrap interval that resamples *samples*, not items: reasons written for the same sample are not independent.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np

from .consistency import bootstrap_means, percentile_interval


def _finite_or_none(value: float) -> float | None:
    return float(value) if value is not None and math.isfinite(value) else None


# --------------------------------------------------------------------------------------------------------------
# Paired bootstrap between two models


def _aligned(a: Sequence[float], b: Sequence[float], message: str) -> tuple[np.ndarray, np.ndarray]:
    """Two aligned series as float arrays; a ValueError with ``message`` unless both are 1-D of one length."""
    x = np.asarray(a, dtype=float)
    y = np.asarray(b, dtype=float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(message)
    return x, y


@dataclass(frozen=True, slots=True)
class PairedDifference:
    """Model A minus model B on their common samples: the mean difference, its percentile interval and a
    two-sided bootstrap p-value for "no difference". ``p_adjusted`` is set by :func:`paired_comparisons` (Holm)."""

    model_a: str
    model_b: str
    n: int
    mean_a: float
    mean_b: float
    difference: float
    ci: tuple[float, float] | None
    p_value: float | None
    n_resamples: int
    p_adjusted: float | None = None

    def significant(self, alpha: float = 0.05) -> bool:
        """True when the (adjusted, if set) p-value is below ``alpha``."""
        p = self.p_adjusted if self.p_adjusted is not None else self.p_value
        return p is not None and p < alpha

    def as_dict(self) -> dict[str, object]:
        return {
            "model_a": self.model_a,
            "model_b": self.model_b,
            "n": self.n,
            "mean_a": self.mean_a,
            "mean_b": self.mean_b,
            "difference": self.difference,
            "ci": list(self.ci) if self.ci else None,
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "n_resamples": self.n_resamples,
        }


def paired_bootstrap(
    a: Sequence[float],
    b: Sequence[float],
    *,
    model_a: str = "A",
    model_b: str = "B",
    n_resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int | np.random.SeedSequence = 0,
) -> PairedDifference:
    """Bootstrap the mean of ``a[i] - b[i]`` (aligned per sample). Seeded and reproducible.

    The interval is the percentile interval of the resampled mean differences. The p-value tests "the mean
    difference is 0" by shifting the resampled means to the null (subtracting the observed mean) and counting how
    often they are at least as far from 0 as the observed difference: ``(1 + count) / (1 + B)``, so it is never 0.
    """
    x, y = _aligned(a, b, "a and b must be 1-D sequences of the same length (one value per common sample)")
    n = len(x)
    if n == 0:
        return PairedDifference(model_a, model_b, 0, math.nan, math.nan, math.nan, None, None, 0)
    diffs = x - y
    observed = float(diffs.mean())
    ci: tuple[float, float] | None = None
    p_value: float | None = None
    if n_resamples > 0:
        means = bootstrap_means(diffs, n_resamples=n_resamples, seed=seed)[:, 0]
        lo, hi = percentile_interval(means, confidence)
        ci = (float(lo), float(hi))
        # A small tolerance so that float noise in identical resamples does not decide the count.
        extreme = np.abs(means - observed) >= abs(observed) - 1e-12
        p_value = float((1 + int(extreme.sum())) / (1 + n_resamples))
    return PairedDifference(
        model_a=model_a,
        model_b=model_b,
        n=n,
        mean_a=float(x.mean()),
        mean_b=float(y.mean()),
        difference=observed,
        ci=ci,
        p_value=p_value,
        n_resamples=n_resamples if n_resamples > 0 else 0,
    )


def holm_adjust(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-Bonferroni adjusted p-values (None stays None): comparing every pair of k models makes k(k-1)/2 tests,
    and some would look significant by chance alone."""
    present = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    adjusted: list[float | None] = [None] * len(p_values)
    m = len(present)
    running = 0.0
    for rank, (p, index) in enumerate(present):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[index] = running
    return adjusted


def paired_comparisons(
    scores: Mapping[str, Mapping[str, float]],
    *,
    n_resamples: int = 10_000,
    confidence: float = 0.95,
    seed: int = 0,
) -> list[PairedDifference]:
    """Every pair of models, each on the sample ids both have a score for (``scores[model][sample id]``).

    Models are compared in the order given (A before B), each pair with its own seeded stream so adding a model
    does not change the other pairs' results. p-values are Holm-adjusted over all pairs into ``p_adjusted``.
    """
    names = list(scores)
    pairs = list(combinations(names, 2))
    streams = np.random.SeedSequence(seed).spawn(len(pairs)) if pairs else []
    results: list[PairedDifference] = []
    for (first, second), stream in zip(pairs, streams, strict=True):
        common = sorted(set(scores[first]) & set(scores[second]))
        results.append(
            paired_bootstrap(
                [scores[first][k] for k in common],
                [scores[second][k] for k in common],
                model_a=first,
                model_b=second,
                n_resamples=n_resamples,
                confidence=confidence,
                seed=stream,
            )
        )
    adjusted = holm_adjust([r.p_value for r in results])
    return [replace(r, p_adjusted=p) for r, p in zip(results, adjusted, strict=True)]


# --------------------------------------------------------------------------------------------------------------
# Agreement between two evaluators


@dataclass(frozen=True, slots=True)
class Agreement:
    """How closely ``y`` (evaluator B) follows ``x`` (evaluator A) over ``n`` paired values.

    ``slope``/``intercept``: the least-squares line y = slope * x + intercept, and ``r2`` its coefficient of
    determination (the paper's Figure 2a reports y = 0.97x + 0.00, R^2 = 0.983). ``rmse``: the root mean squared
    difference y - x (how far the two evaluators' numbers are apart, not the fit's residual, which is
    ``fit_rmse``). ``spearman``: rank correlation (do they order the models the same way); ``pearson``: linear
    correlation. Statistics that are undefined (too few points, no variation) are None.
    """

    n: int
    slope: float | None
    intercept: float | None
    r2: float | None
    rmse: float | None
    fit_rmse: float | None
    pearson: float | None
    spearman: float | None
    spearman_p: float | None
    mean_difference: float | None

    def as_dict(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__slots__}


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation, or None with fewer than 2 points or a constant series."""
    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None
    return _finite_or_none(float(np.corrcoef(a, b)[0, 1]))


def spearman(x: Sequence[float], y: Sequence[float]) -> tuple[float | None, float | None]:
    """Spearman's rho and its p-value (scipy), or (None, None) when undefined."""
    from scipy.stats import spearmanr

    a = np.asarray(x, dtype=float)
    b = np.asarray(y, dtype=float)
    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return None, None
    result = spearmanr(a, b)
    return _finite_or_none(float(result.statistic)), _finite_or_none(float(result.pvalue))


def agreement(x: Sequence[float], y: Sequence[float]) -> Agreement:
    """Agreement statistics of two aligned series (evaluator A on x, evaluator B on y)."""
    a, b = _aligned(x, y, "x and y must be 1-D sequences of the same length")
    n = len(a)
    if n == 0:
        return Agreement(0, None, None, None, None, None, None, None, None, None)
    diff = b - a
    rmse = float(np.sqrt(np.mean(diff**2)))
    slope = intercept = r2 = fit_rmse = None
    if n >= 2 and np.ptp(a) > 0:
        slope_value, intercept_value = np.polyfit(a, b, 1)
        slope, intercept = float(slope_value), float(intercept_value)
        residual = b - (slope * a + intercept)
        fit_rmse = float(np.sqrt(np.mean(residual**2)))
        total = float(np.sum((b - b.mean()) ** 2))
        r2 = 1.0 - float(np.sum(residual**2)) / total if total > 0 else None
    rho, rho_p = spearman(a, b)
    return Agreement(n, slope, intercept, r2, rmse, fit_rmse, pearson(a, b), rho, rho_p, float(diff.mean()))


# --------------------------------------------------------------------------------------------------------------
# Label rates (rationale categories, flaw tags)


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` of ``total`` items carry a label: ``rate`` = count / total, with a percentile ``ci``."""

    count: int
    total: int
    rate: float
    ci: tuple[float, float] | None

    def as_dict(self) -> dict[str, object]:
        return {
            "count": self.count,
            "total": self.total,
            "rate": self.rate,
            "ci": list(self.ci) if self.ci else None,
        }


def label_rates(
    samples: Sequence[Sequence[Collection[str]]],
    labels: Sequence[str],
    *,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int | np.random.SeedSequence = 0,
) -> dict[str, Rate]:
    """The share of items carrying each label, for items grouped by sample (``samples[i]`` lists the label sets of
    sample i's items).

    The interval is a cluster bootstrap: samples are resampled with replacement and the rate is the ratio of the
    resampled label counts to the resampled item counts (the means of both columns over one shared resample).
    """
    names = list(labels)
    rows = np.array(
        [[sum(1 for item in items if name in item) for name in names] + [len(items)] for items in samples],
        dtype=float,
    ).reshape(len(samples), len(names) + 1)
    totals = rows.sum(axis=0)
    n_items = int(totals[-1])
    intervals: dict[str, tuple[float, float]] = {}
    if n_items > 0 and n_resamples > 0:
        means = bootstrap_means(rows, n_resamples=n_resamples, seed=seed)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratios = means[:, :-1] / means[:, -1:]
        ratios = ratios[np.isfinite(ratios).all(axis=1)]
        if len(ratios):
            lo, hi = percentile_interval(ratios, confidence)
            intervals = {name: (float(lo[i]), float(hi[i])) for i, name in enumerate(names)}
    return {
        name: Rate(
            count=int(totals[i]),
            total=n_items,
            rate=float(totals[i] / n_items) if n_items else 0.0,
            ci=intervals.get(name),
        )
        for i, name in enumerate(names)
    }


__all__ = [
    "Agreement",
    "PairedDifference",
    "Rate",
    "agreement",
    "holm_adjust",
    "label_rates",
    "paired_bootstrap",
    "paired_comparisons",
    "pearson",
    "spearman",
]
