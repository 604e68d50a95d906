"""compare: paired bootstrap between models, evaluator agreement, label rates with cluster-bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from rationalerm.stats.paired import (
    agreement,
    holm_adjust,
    label_rates,
    paired_bootstrap,
    paired_comparisons,
    pearson,
    spearman,
)


def test_paired_bootstrap_finds_a_real_difference() -> None:
    rng = np.random.default_rng(3)
    a = rng.random(300)
    b = a - 0.05 + rng.normal(0, 0.02, 300)  # B is 0.05 lower on the same samples
    result = paired_bootstrap(a, b, model_a="x", model_b="y", n_resamples=4000, seed=1)
    assert result.n == 300 and result.model_a == "x" and result.model_b == "y"
    assert result.difference == pytest.approx(float(np.mean(a - b)))
    assert result.mean_a - result.mean_b == pytest.approx(result.difference)
    assert result.ci is not None and result.ci[0] < 0.05 < result.ci[1] and result.ci[0] > 0
    assert result.p_value == pytest.approx(1 / 4001)  # no resample is as far from 0 under the null
    assert result.significant()


def test_paired_bootstrap_sees_no_difference_in_symmetric_noise() -> None:
    d = np.linspace(0.01, 0.3, 50)
    a = np.concatenate([0.5 + d, 0.5 - d])  # differences of +d and -d: mean exactly 0
    b = np.full(100, 0.5)
    result = paired_bootstrap(a, b, n_resamples=2000, seed=0)
    assert result.difference == pytest.approx(0.0)
    assert result.p_value == pytest.approx(1.0)
    assert result.ci is not None and result.ci[0] < 0 < result.ci[1]
    assert not result.significant()


def test_paired_bootstrap_is_seeded_and_checks_its_input() -> None:
    a, b = [0.1, 0.5, 0.9, 0.3], [0.2, 0.2, 0.4, 0.3]
    assert paired_bootstrap(a, b, seed=7) == paired_bootstrap(a, b, seed=7)
    assert paired_bootstrap(a, a).p_value == 1.0
    empty = paired_bootstrap([], [])
    assert empty.n == 0 and empty.p_value is None and empty.ci is None
    without = paired_bootstrap(a, b, n_resamples=0)
    assert without.ci is None and without.p_value is None and without.difference == pytest.approx(0.175)
    with pytest.raises(ValueError, match="same length"):
        paired_bootstrap([0.1, 0.2], [0.1])


def test_holm_adjustment() -> None:
    assert holm_adjust([0.01, None, 0.04, 0.03]) == [
        pytest.approx(0.03),
        None,
        pytest.approx(0.06),
        pytest.approx(0.06),
    ]
    assert holm_adjust([0.5, 0.9]) == [1.0, 1.0]  # capped at 1, never decreasing with rank
    assert holm_adjust([]) == []


def test_paired_comparisons_use_common_samples_only() -> None:
    scores = {
        "m1": {"s1": 1.0, "s2": 0.5, "s3": 0.0},
        "m2": {"s1": 0.0, "s2": 0.5, "s4": 1.0},
        "m3": {"s1": 0.5, "s2": 0.5, "s3": 0.5},
    }
    results = paired_comparisons(scores, n_resamples=500, seed=0)
    assert [(r.model_a, r.model_b) for r in results] == [("m1", "m2"), ("m1", "m3"), ("m2", "m3")]
    first = results[0]
    assert first.n == 2 and first.difference == pytest.approx(0.5)  # s1 and s2 only
    assert results[1].n == 3
    for r in results:
        assert r.p_adjusted is not None and r.p_value is not None and r.p_adjusted >= r.p_value
    again = paired_comparisons(scores, n_resamples=500, seed=0)
    assert again == results


def test_agreement_of_a_perfect_linear_relation() -> None:
    x = [0.1, 0.2, 0.3, 0.5]
    y = [2 * v + 0.1 for v in x]
    stats = agreement(x, y)
    assert stats.n == 4
    assert stats.slope == pytest.approx(2.0) and stats.intercept == pytest.approx(0.1)
    assert stats.r2 == pytest.approx(1.0) and stats.fit_rmse == pytest.approx(0.0, abs=1e-12)
    assert stats.rmse == pytest.approx(float(np.sqrt(np.mean((np.array(y) - np.array(x)) ** 2))))
    assert stats.spearman == pytest.approx(1.0) and stats.pearson == pytest.approx(1.0)
    assert stats.mean_difference == pytest.approx(float(np.mean(np.array(y) - np.array(x))))


def test_agreement_matches_scipy_and_handles_degenerate_input() -> None:
    rng = np.random.default_rng(0)
    x = rng.random(20)
    y = x + rng.normal(0, 0.1, 20)
    rho, p = spearman(x, y)
    expected = spearmanr(x, y)
    assert rho == pytest.approx(expected.statistic) and p == pytest.approx(expected.pvalue)
    assert pearson(x, y) == pytest.approx(float(np.corrcoef(x, y)[0, 1]))
    assert spearman([1, 2, 3], [3, 2, 1])[0] == pytest.approx(-1.0)
    flat = agreement([0.3, 0.3, 0.3], [0.1, 0.2, 0.3])
    assert flat.slope is None and flat.r2 is None and flat.spearman is None and flat.pearson is None
    assert flat.rmse == pytest.approx(float(np.sqrt((0.04 + 0.01 + 0) / 3)))
    empty = agreement([], [])
    assert empty.n == 0 and empty.rmse is None
    one = agreement([0.4], [0.5])
    assert one.n == 1 and one.rmse == pytest.approx(0.1) and one.slope is None
    with pytest.raises(ValueError):
        agreement([0.1, 0.2], [0.1])


def test_label_rates_count_items_and_resample_samples() -> None:
    samples = [[{"a"}, {"a", "x"}], [{"b"}, {"b"}]]
    rates = label_rates(samples, ["a", "b", "x", "never"], n_resamples=4000, seed=0)
    assert rates["a"].count == 2 and rates["a"].total == 4 and rates["a"].rate == 0.5
    assert rates["x"].rate == 0.25 and rates["never"].rate == 0.0 and rates["never"].ci == (0.0, 0.0)
    # Resampling the two samples (not the four items): a quarter of resamples draw the first sample twice, so the
    # interval of "a" reaches both 0 and 1. Resampling items would give a much narrower, wrong interval.
    assert rates["a"].ci == (0.0, 1.0)
    assert label_rates([], ["a"])["a"].rate == 0.0
    assert label_rates([[{"a"}]], ["a"], n_resamples=0)["a"].ci is None
