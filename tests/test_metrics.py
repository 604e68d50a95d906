"""Metrics in both modes: the method's test vector, hand-computed cases and properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rationalerm.records import Match, Matching, SampleMetrics
from rationalerm.stats.consistency import (
    average_precision,
    bootstrap_ci,
    optimal_matching,
    paper_metrics,
    proportion_ci,
    reference_metrics,
    resolve_one_to_one,
    summarize,
)

# method.md section 4: 5 model items, matches at positions 1 (1.0) and 3 (0.75), n = 4.
VECTOR = Matching.from_triples([[1, 1, 1.0], [2, 3, 0.75], [3, 0, 0], [4, 0, 0]], n_human=4, n_model=5)


def test_method_test_vector_paper() -> None:
    m = paper_metrics(VECTOR)
    assert m.recall == pytest.approx(0.4375)
    assert m.average_precision == pytest.approx((1 + 1.75 / 3) / 4)
    assert round(m.average_precision, 3) == 0.396
    assert m.precision == pytest.approx(1.75 / 5)
    assert m.f1 == pytest.approx(2 * 0.35 * 0.4375 / (0.35 + 0.4375))


def test_method_test_vector_binary_precision_ap_differs() -> None:
    # the "hard IR" variant the method mentions: P@k with binary relevance gives 0.417, not what we compute
    binary = (1 + 2 / 3) / 4
    assert round(binary, 3) == 0.417
    assert paper_metrics(VECTOR).average_precision != pytest.approx(binary)


def test_method_test_vector_reference() -> None:
    m = reference_metrics([(1, 1, 1.0), (2, 3, 0.75), (3, 0, 0.0), (4, 0, 0.0)], 4, 5)
    assert m is not None
    assert m.recall == pytest.approx(0.4375)
    assert m.average_precision == pytest.approx(0.46875)
    assert round(m.average_precision, 3) == 0.469
    assert m.precision == pytest.approx(0.35)


class TestPaperMode:
    def test_one_to_one_keeps_higher_score(self) -> None:
        matching = Matching.from_triples([[1, 2, 0.5], [2, 2, 1.0], [3, 1, 0.25]], 3, 3)
        resolved = resolve_one_to_one(matching.pairs, 3)
        assert resolved == [Match(1, 0, 0.0), Match(2, 2, 1.0), Match(3, 1, 0.25)]
        m = paper_metrics(matching)
        assert m.recall == pytest.approx(1.25 / 3)
        assert m.precision == pytest.approx(1.25 / 3)
        # ranks: s1 = 0.25, s2 = 1.0 -> P@1 = 0.25, P@2 = 1.25 / 2
        assert m.average_precision == pytest.approx((0.25 + 0.625) / 3)

    def test_tie_keeps_first_human_item(self) -> None:
        resolved = resolve_one_to_one([Match(1, 1, 0.5), Match(2, 1, 0.5)], 1)
        assert resolved == [Match(1, 1, 0.5), Match(2, 0, 0.0)]

    def test_cap_drops_items_beyond_top_k(self) -> None:
        matching = Matching.from_triples([[1, 6, 1.0], [2, 1, 0.5]], 2, 7)
        capped = paper_metrics(matching, cap=5)
        assert capped.recall == pytest.approx(0.25)
        assert capped.precision == pytest.approx(0.5 / 5)
        uncapped = paper_metrics(matching, cap=None)
        assert uncapped.recall == pytest.approx(0.75)
        assert uncapped.precision == pytest.approx(1.5 / 7)
        # s1 = 0.5, s6 = 1.0: P@1 = 0.5, P@6 = 1.5 / 6
        assert uncapped.average_precision == pytest.approx((0.5 + 0.25) / 2)
        assert paper_metrics(matching, cap=0) == uncapped

    def test_short_model_list_divides_by_its_length(self) -> None:
        m = paper_metrics(Matching.from_triples([[1, 1, 1.0], [2, 2, 1.0]], 2, 2))
        assert m == SampleMetrics(precision=1.0, recall=1.0, f1=1.0, average_precision=1.0)

    def test_empty_model_list_scores_zero(self) -> None:
        m = paper_metrics(Matching.from_triples([[1, 0, 0], [2, 0, 0]], 2, 0))
        assert m == SampleMetrics(0.0, 0.0, 0.0, 0.0)

    def test_ap_penalizes_unmatched_items_ranked_first(self) -> None:
        early = paper_metrics(Matching.from_triples([[1, 1, 1.0]], 1, 3))
        late = paper_metrics(Matching.from_triples([[1, 3, 1.0]], 1, 3))
        assert early.average_precision == 1.0
        assert late.average_precision == pytest.approx(1 / 3)
        assert early.recall == late.recall

    def test_average_precision_function(self) -> None:
        assert average_precision([1.0, 0.0, 0.75, 0.0, 0.0], 4) == pytest.approx(0.3958333333)
        assert average_precision([], 3) == 0.0
        assert average_precision([1.0], 0) == 0.0


class TestReferenceMode:
    def test_wrong_line_count_is_none(self) -> None:
        assert reference_metrics([(1, 1, 1.0)], 2, 5) is None
        assert reference_metrics([], 0, 5) is None
        assert reference_metrics([(1, 1, 1.0), (2, 1, 1.0), (3, 1, 1.0)], 2, 5) is None

    def test_no_one_to_one_for_recall(self) -> None:
        m = reference_metrics([(1, 1, 1.0), (2, 1, 0.5)], 2, 5)
        assert m is not None
        assert m.recall == pytest.approx(0.75)  # both human items count
        assert m.precision == pytest.approx(1.0 / 5)  # S1 counted once, best score
        assert m.average_precision == pytest.approx(1.0 / 2)

    def test_out_of_range_and_s0_dropped(self) -> None:
        m = reference_metrics([(1, 6, 1.0), (2, 0, 1.0), (3, 2, 0.5)], 3, 5)
        assert m is not None
        assert m.recall == pytest.approx(0.5 / 3)
        assert m.precision == pytest.approx(0.5 / 5)
        assert m.average_precision == pytest.approx(0.5 / 3)

    def test_zero_score_match_counts_as_a_rank(self) -> None:
        # S1 matched with 0 still occupies rank 1 in the released AP
        m = reference_metrics([(1, 1, 0.0), (2, 2, 1.0)], 2, 5)
        assert m is not None
        assert m.average_precision == pytest.approx((0.0 + 0.5) / 2)

    def test_duplicate_human_lines_take_max(self) -> None:
        m = reference_metrics([(1, 1, 0.25), (1, 2, 1.0)], 2, 5)
        assert m is not None
        assert m.recall == pytest.approx(0.5)
        assert m.precision == pytest.approx(1.25 / 5)

    def test_nothing_valid_is_all_zero(self) -> None:
        assert reference_metrics([(1, 0, 0.0)], 1, 5) == SampleMetrics(0.0, 0.0, 0.0, 0.0)


class TestOptimalMatching:
    def test_hungarian_beats_greedy(self) -> None:
        scores = np.array([[1.0, 0.75], [0.75, 0.0]])
        matching = optimal_matching(scores)
        assert matching.triples() == [[1, 2, 0.75], [2, 1, 0.75]]

    def test_zero_scores_are_no_match_and_shapes(self) -> None:
        matching = optimal_matching(np.array([[0.0, 0.0], [0.0, 0.5], [0.0, 0.0]]))
        assert matching.triples() == [[1, 0, 0.0], [2, 2, 0.5], [3, 0, 0.0]]
        assert (matching.n_human, matching.n_model) == (3, 2)
        assert optimal_matching(np.zeros((2, 0))).triples() == [[1, 0, 0.0], [2, 0, 0.0]]


scores_st = st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])


@st.composite
def matchings(draw: st.DrawFn) -> Matching:
    n_human = draw(st.integers(1, 7))
    n_model = draw(st.integers(0, 10))
    pairs = []
    for h in range(1, n_human + 1):
        m = draw(st.integers(0, n_model))
        pairs.append([h, m, draw(scores_st) if m else 0.0])
    return Matching.from_triples(pairs, n_human, n_model)


@settings(max_examples=300)
@given(matchings(), st.sampled_from([None, 5, 3]))
def test_paper_metrics_within_unit_interval(matching: Matching, cap: int | None) -> None:
    m = paper_metrics(matching, cap=cap)
    for value in m.as_dict().values():
        assert 0.0 <= value <= 1.0 + 1e-12


@settings(max_examples=300)
@given(matchings())
def test_reference_metrics_within_unit_interval(matching: Matching) -> None:
    result = reference_metrics(
        [(p.human, p.model, p.score) for p in matching.pairs], matching.n_human, min(matching.n_model, 5)
    )
    assert result is not None
    for value in result.as_dict().values():
        assert 0.0 <= value <= 1.0 + 1e-12


@settings(max_examples=200)
@given(matchings(), st.randoms(use_true_random=False))
def test_recall_invariant_under_reordering_human_items(matching: Matching, rnd) -> None:
    order = list(range(matching.n_human))
    rnd.shuffle(order)
    relabelled = Matching(
        pairs=tuple(
            Match(new + 1, matching.pairs[old].model, matching.pairs[old].score)
            for new, old in enumerate(order)
        ),
        n_human=matching.n_human,
        n_model=matching.n_model,
    )
    before = paper_metrics(matching).recall
    after = paper_metrics(relabelled).recall
    # the one-to-one tie rule may hand a contested item to another human item, never change the total
    assert math.isclose(before, after, abs_tol=1e-12) or _contested(matching)


def _contested(matching: Matching) -> bool:
    models = [p.model for p in matching.pairs if p.model]
    return len(models) != len(set(models))


@given(st.integers(1, 7), st.integers(0, 4))
def test_recall_is_one_when_every_human_item_has_its_own_full_match(n_human: int, extra: int) -> None:
    n_model = n_human + extra
    pairs = [[h, h, 1.0] for h in range(1, n_human + 1)]
    m = paper_metrics(Matching.from_triples(pairs, n_human, n_model), cap=None)
    assert m.recall == 1.0
    assert m.average_precision == 1.0


@given(st.lists(st.lists(scores_st, min_size=1, max_size=6), min_size=1, max_size=6))
def test_optimal_matching_is_one_to_one_and_optimal_for_small_matrices(rows: list[list[float]]) -> None:
    width = max(len(r) for r in rows)
    matrix = np.array([r + [0.0] * (width - len(r)) for r in rows])
    matching = optimal_matching(matrix)
    used = [p.model for p in matching.pairs if p.model]
    assert len(used) == len(set(used))
    total = sum(p.score for p in matching.pairs)
    # greedy by row can never beat the optimum
    greedy, taken = 0.0, set()
    for row in matrix:
        best = max((v, j) for j, v in enumerate(row) if j not in taken) if len(taken) < width else (0.0, -1)
        if best[0] > 0:
            greedy += best[0]
            taken.add(best[1])
    assert total >= greedy - 1e-12


class TestAggregates:
    def test_bootstrap_is_seeded_and_brackets_the_mean(self) -> None:
        values = np.random.default_rng(1).random((500, 2))
        lo1, hi1 = bootstrap_ci(values, seed=7)
        lo2, hi2 = bootstrap_ci(values, seed=7)
        assert np.array_equal(lo1, lo2) and np.array_equal(hi1, hi2)
        mean = values.mean(axis=0)
        assert np.all(lo1 < mean) and np.all(mean < hi1)
        # roughly +- 1.96 standard errors
        se = values.std(axis=0) / np.sqrt(len(values))
        assert np.allclose(hi1 - lo1, 2 * 1.96 * se, rtol=0.2)

    def test_bootstrap_chunking_does_not_change_the_result(self) -> None:
        values = np.random.default_rng(2).random((300, 1))
        whole = bootstrap_ci(values, seed=3)
        for chunk in (1000, 7 * 300, 300 * 999):
            lo, hi = bootstrap_ci(values, seed=3, chunk=chunk)
            assert np.array_equal(lo, whole[0]) and np.array_equal(hi, whole[1])

    def test_summarize(self) -> None:
        metrics = [SampleMetrics(0.5, 1.0, 2 / 3, 1.0), SampleMetrics(0.0, 0.0, 0.0, 0.0)]
        s = summarize(metrics, n_resamples=200)
        assert s.n == 2 and s.recall == 0.5 and s.precision == 0.25
        assert set(s.ci) == {"precision", "recall", "f1", "average_precision"}
        assert summarize([]).n == 0

    def test_proportion_ci(self) -> None:
        mean, ci = proportion_ci([True, True, False, True])
        assert mean == 0.75
        assert ci is not None and 0.0 <= ci[0] <= 0.75 <= ci[1] <= 1.0
        assert proportion_ci([]) == (0.0, None)


def test_bootstrap_by_distinct_values_agrees_with_index_resampling() -> None:
    rng = np.random.default_rng(5)
    discrete = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], size=(4000, 2))
    jittered = discrete + rng.random(discrete.shape) * 1e-9  # every row distinct: the index path
    lo_d, hi_d = bootstrap_ci(discrete, n_resamples=2000, seed=1)
    lo_j, hi_j = bootstrap_ci(jittered, n_resamples=2000, seed=1)
    width = hi_j - lo_j
    assert np.allclose(lo_d, lo_j, atol=0.1 * width) and np.allclose(hi_d, hi_j, atol=0.1 * width)


@settings(max_examples=300)
@given(matchings(), st.sampled_from([None, 5, 2]))
def test_paper_metrics_agree_with_resolve_one_to_one(matching: Matching, cap: int | None) -> None:
    m = matching.n_model if not cap else min(matching.n_model, cap)
    resolved = resolve_one_to_one(matching.pairs, m)
    models = [p.model for p in resolved if p.model]
    assert len(models) == len(set(models))
    total = sum(p.score for p in resolved)
    assert paper_metrics(matching, cap=cap).recall == pytest.approx(total / matching.n_human)


def test_bootstrap_per_column_path_agrees_with_index_resampling() -> None:
    rng = np.random.default_rng(9)
    # each column takes few values, but whole rows are nearly all distinct: the per-column path
    grid = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], size=(6000, 3))
    grid = np.hstack([grid, rng.choice(np.arange(40) / 40, size=(6000, 1))])
    assert len(np.unique(grid, axis=0)) * 4 > len(grid)
    lo_c, hi_c = bootstrap_ci(grid, n_resamples=2000, seed=1)
    lo_j, hi_j = bootstrap_ci(grid + rng.random(grid.shape) * 1e-9, n_resamples=2000, seed=1)
    width = hi_j - lo_j
    assert np.allclose(lo_c, lo_j, atol=0.1 * width) and np.allclose(hi_c, hi_j, atol=0.1 * width)
