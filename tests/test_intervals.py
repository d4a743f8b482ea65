"""Intervals of a mean (bootstrap) and of before/after differences (bootstrap, Newcombe), checked
against published figures, the libraries' own references and sampling theory."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from walkapp.domain.intervals import (
    BCA_MAX_N,
    METHOD_BCA,
    METHOD_DEGENERATE,
    METHOD_NEWCOMBE,
    METHOD_PERCENTILE,
    difference_interval,
    mean_interval,
    share_difference_interval,
)

# --- Newcombe's hybrid score interval of a difference of shares --------------------------------

# Newcombe RG. Interval estimation for the difference between independent proportions:
# comparison of eleven methods. Statistics in Medicine 1998;17:873-890, Table II, method 10
# (score interval combining the two Wilson intervals, no continuity correction), 95 %, printed to
# 4 decimals. Each row: (k1, n1, k2, n2) → the interval of k1/n1 − k2/n2. Rows (a), (b) and (g)
# are also the "newcombe-score" SAS reference values that R packages test against.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),  # (a)
    ((9, 10, 3, 10), (0.1705, 0.8090)),  # (b)
    ((6, 7, 2, 7), (0.0582, 0.8062)),  # (c)
    ((5, 56, 0, 29), (-0.0381, 0.1926)),  # (d)
    ((0, 10, 0, 20), (-0.1611, 0.2775)),  # (e)
    ((0, 10, 0, 10), (-0.2775, 0.2775)),  # (f)
    ((10, 10, 0, 20), (0.6791, 1.0000)),  # (g)
    ((10, 10, 0, 10), (0.6075, 1.0000)),  # (h)
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_share_difference_matches_newcombe_1998_table_ii(counts, published):
    k1, n1, k2, n2 = counts
    # Table II's first proportion is our "after", its second our "before".
    got = share_difference_interval(k2, n2, k1, n1)
    assert got.method == METHOD_NEWCOMBE
    assert got.difference == pytest.approx(k1 / n1 - k2 / n2)
    assert (got.low, got.high) == pytest.approx(published, abs=5.1e-5)  # printed to 4 decimals
    assert (got.n_before, got.n_after) == (n2, n1)
    assert got.low <= got.difference <= got.high


def test_share_difference_is_antisymmetric():
    forward = share_difference_interval(48, 80, 56, 70)
    backward = share_difference_interval(56, 70, 48, 80)
    assert backward.difference == pytest.approx(-forward.difference)
    assert (backward.low, backward.high) == pytest.approx((-forward.high, -forward.low))


def test_share_difference_excludes_zero_both_ways():
    assert share_difference_interval(48, 80, 56, 70).excludes_zero  # (a): 0.0524 to 0.3339
    assert share_difference_interval(56, 70, 48, 80).excludes_zero  # the same, below zero
    assert not share_difference_interval(0, 10, 0, 10).excludes_zero  # (f): −0.2775 to 0.2775
    assert not share_difference_interval(3, 10, 4, 10).excludes_zero


def test_share_difference_level_changes_the_width():
    at_95 = share_difference_interval(48, 80, 56, 70)
    at_80 = share_difference_interval(48, 80, 56, 70, confidence=0.80)
    assert at_95.low < at_80.low < at_80.high < at_95.high


def test_share_difference_without_answers_is_none_and_bad_counts_are_refused():
    assert share_difference_interval(0, 0, 3, 10) is None
    assert share_difference_interval(3, 10, 0, 0) is None
    with pytest.raises(ValueError):
        share_difference_interval(11, 10, 3, 10)
    with pytest.raises(ValueError):
        share_difference_interval(3, 10, -1, 10)
    with pytest.raises(ValueError):
        share_difference_interval(3, 10, 3, 10, confidence=1.0)


# --- The bootstrap interval of a mean ------------------------------------------------------------

# scipy's own reference for bootstrap (scipy/stats/tests/test_resampling.py,
# test_bootstrap_against_R): R's boot.ci over 1,000,000 resamples of the mean of these 16 values
# gives the BCa interval 32.31 to 91.43.
R_BOOT_DATA = [10, 12, 12.5, 12.5, 13.9, 15, 21, 22, 23, 34, 50, 81, 89, 121, 134, 213]


def test_bca_interval_matches_r_boot():
    got = mean_interval(R_BOOT_DATA, resamples=100_000)
    assert got.method == METHOD_BCA
    assert got.mean == pytest.approx(53.99375)
    assert got.n == 16
    assert got.low == pytest.approx(32.31, rel=0.005)
    assert got.high == pytest.approx(91.43, rel=0.005)


def test_the_interval_is_scipys_bca_with_the_same_seed():
    sample = np.random.default_rng(11).exponential(20, 300)
    direct = stats.bootstrap(
        (sample,), np.mean, n_resamples=2000, method="BCa", rng=np.random.default_rng(2017)
    ).confidence_interval
    got = mean_interval(sample)
    assert (got.low, got.high) == pytest.approx((direct.low, direct.high), rel=1e-12)


@pytest.mark.parametrize(
    ("n", "method"), [(BCA_MAX_N, METHOD_BCA), (BCA_MAX_N + 1, METHOD_PERCENTILE)]
)
def test_large_normal_samples_agree_with_the_t_interval(n, method):
    # scipy's test_bootstrap_against_theory: on a large normal sample the bootstrap interval of the
    # mean is the t interval, to 5e-4 relative.
    sample = stats.norm.rvs(loc=5, scale=2, size=n, random_state=np.random.default_rng(42))
    theory = stats.t(df=n - 1, loc=np.mean(sample), scale=stats.sem(sample))
    got = mean_interval(sample, resamples=5000)
    assert got.method == method
    assert (got.low, got.high) == pytest.approx(theory.interval(0.95), rel=5e-4)


def test_the_interval_contains_the_true_mean_and_narrows_with_n():
    rng = np.random.default_rng(2017)
    widths = []
    for n in (30, 300, 3000):
        got = mean_interval(rng.normal(60, 15, n))
        assert got.low < 60 < got.high
        assert got.low < got.mean < got.high
        widths.append(got.high - got.low)
    assert widths[0] > widths[1] > widths[2]
    # The width falls as 1 / √n: ten times the answers, about √10 ≈ 3.16 times narrower.
    assert 2.5 < widths[0] / widths[1] < 4
    assert 2.5 < widths[1] / widths[2] < 4


def test_about_95_intervals_in_100_contain_the_true_mean():
    rng = np.random.default_rng(2024)
    hits = sum(
        got.low < 50 < got.high
        for got in (mean_interval(rng.normal(50, 10, 40), resamples=999) for _ in range(100))
    )
    assert 88 <= hits <= 99


def test_the_seed_decides_the_interval():
    sample = np.random.default_rng(3).gamma(2.0, 10.0, 200)
    assert mean_interval(sample) == mean_interval(sample)
    assert mean_interval(list(sample)) == mean_interval(sample)  # a list or an array
    assert mean_interval(sample, seed=1) == mean_interval(sample, seed=1)
    assert mean_interval(sample, seed=1) != mean_interval(sample)


def test_bca_up_to_5000_values_and_percentile_above():
    sample = np.random.default_rng(5).uniform(0, 100, BCA_MAX_N + 1)
    assert mean_interval(sample[:BCA_MAX_N], resamples=50).method == METHOD_BCA
    assert mean_interval(sample, resamples=50).method == METHOD_PERCENTILE


def test_no_values_one_value_and_equal_values():
    assert mean_interval([]) is None
    one = mean_interval([72.5])
    assert (one.mean, one.low, one.high, one.n, one.method) == (
        72.5,
        72.5,
        72.5,
        1,
        METHOD_DEGENERATE,
    )
    equal = mean_interval([100.0] * 25)
    assert (equal.mean, equal.low, equal.high, equal.n) == (100.0, 100.0, 100.0, 25)
    assert equal.method == METHOD_DEGENERATE
    two = mean_interval([0.0, 100.0])  # the smallest sample with a spread: bootstrapped
    assert two.method == METHOD_BCA and two.low < two.high


def test_bca_falls_back_to_percentile_when_every_resample_is_on_one_side():
    # With two resamples both often fall on the same side of the mean: BCa's bias correction is
    # then infinite (scipy would return nan and warn). The percentile interval is given instead.
    sample = np.random.default_rng(3).normal(50, 10, 20)
    results = [mean_interval(sample, resamples=2, seed=seed) for seed in range(10)]
    fallen = [r for r in results if r.method == METHOD_PERCENTILE]
    assert fallen and len(fallen) < len(results)
    for r in fallen:
        assert r.low > r.mean or r.high < r.mean  # both resamples on one side
        assert np.isfinite(r.low) and np.isfinite(r.high)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"values": [1.0, float("nan")]},
        {"values": [1.0, float("inf")]},
        {"values": [[1.0, 2.0]]},
        {"values": [1.0, 2.0], "confidence": 0},
        {"values": [1.0, 2.0], "confidence": 1.5},
        {"values": [1.0, 2.0], "resamples": 1},
    ],
)
def test_bad_arguments_are_refused(kwargs):
    with pytest.raises(ValueError):
        mean_interval(**kwargs)


# --- The bootstrap interval of a difference of means ---------------------------------------------


def test_difference_is_scipys_two_sample_bootstrap():
    rng = np.random.default_rng(8)
    before, after = rng.normal(55, 20, 120), rng.normal(62, 20, 90)  # different people, sizes

    def after_minus_before(b, a, axis=-1):
        return np.mean(a, axis=axis) - np.mean(b, axis=axis)

    direct = stats.bootstrap(
        (before, after),
        after_minus_before,
        n_resamples=2000,
        method="BCa",
        paired=False,
        rng=np.random.default_rng(2017),
    ).confidence_interval
    got = difference_interval(before, after)
    assert got.difference == pytest.approx(after.mean() - before.mean())
    assert (got.low, got.high) == pytest.approx((direct.low, direct.high), rel=1e-12)
    assert (got.n_before, got.n_after, got.method) == (120, 90, METHOD_BCA)


def test_difference_agrees_with_welchs_interval_on_large_normal_samples():
    rng = np.random.default_rng(9)
    before, after = rng.normal(50, 12, 400), rng.normal(53, 15, 500)
    welch = stats.ttest_ind(after, before, equal_var=False).confidence_interval(0.95)
    # Many resamples: the bounds' Monte Carlo error (their sd across seeds) is about 1 % of the
    # half-width at 20,000, 4 % at the default 2,000 (measured on these samples).
    got = difference_interval(before, after, resamples=20_000)
    half_width = (welch.high - welch.low) / 2
    assert got.low == pytest.approx(welch.low, abs=0.05 * half_width)
    assert got.high == pytest.approx(welch.high, abs=0.05 * half_width)


def test_difference_excludes_zero_both_ways():
    rng = np.random.default_rng(10)
    better = difference_interval(rng.normal(50, 10, 200), rng.normal(58, 10, 200))
    assert better.excludes_zero and better.low > 0
    worse = difference_interval(rng.normal(58, 10, 200), rng.normal(50, 10, 200))
    assert worse.excludes_zero and worse.high < 0
    same = difference_interval(rng.normal(50, 10, 200), rng.normal(50, 10, 200))
    assert not same.excludes_zero and same.low < 0 < same.high


def test_difference_method_follows_the_larger_group():
    rng = np.random.default_rng(12)
    small, large = rng.uniform(0, 100, 30), rng.uniform(0, 100, BCA_MAX_N + 1)
    assert difference_interval(small, large, resamples=50).method == METHOD_PERCENTILE
    assert difference_interval(large, small, resamples=50).method == METHOD_PERCENTILE
    assert difference_interval(large[:BCA_MAX_N], small, resamples=50).method == METHOD_BCA


def test_difference_seed_decides_the_interval():
    rng = np.random.default_rng(13)
    before, after = rng.normal(40, 9, 60), rng.normal(45, 9, 70)
    assert difference_interval(before, after) == difference_interval(before, after)
    assert difference_interval(before, after, seed=3) != difference_interval(before, after)


def test_difference_with_a_constant_group_is_the_other_groups_interval_shifted():
    varying = np.random.default_rng(14).normal(60, 10, 80)
    alone = mean_interval(varying)
    after_varies = difference_interval([50.0], varying)
    assert (after_varies.low, after_varies.high) == pytest.approx((alone.low - 50, alone.high - 50))
    assert after_varies.difference == pytest.approx(alone.mean - 50)
    before_varies = difference_interval(varying, [50.0] * 4)
    assert (before_varies.low, before_varies.high) == pytest.approx(
        (50 - alone.high, 50 - alone.low)
    )
    assert (before_varies.n_before, before_varies.n_after) == (80, 4)


def test_difference_degenerate_and_empty_groups():
    assert difference_interval([], [1.0, 2.0]) is None
    assert difference_interval([1.0, 2.0], []) is None
    equal = difference_interval([25.0] * 3, [75.0] * 5)
    assert (equal.difference, equal.low, equal.high) == (50.0, 50.0, 50.0)
    assert equal.method == METHOD_DEGENERATE and equal.excludes_zero
    none = difference_interval([40.0], [40.0])
    assert (none.low, none.high, none.excludes_zero) == (0.0, 0.0, False)
    with pytest.raises(ValueError):
        difference_interval([1.0, float("nan")], [1.0, 2.0])
