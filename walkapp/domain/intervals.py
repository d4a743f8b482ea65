"""Confidence intervals: of a proportion (the indicators' report, the usage counts' shares), of a
mean (the appropriation index) and of before/after differences of both."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

Z_95 = 1.959963984540054  # the normal quantile of a two-sided 95 % interval


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson_interval(successes: int, n: int, z: float = Z_95) -> Interval | None:
    """Wilson's score interval of a proportion successes / n; None for n = 0."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError("successes must be between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the edges
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(low, high)


# --- Means and differences: the appropriation index (bootstrap) and shares (Newcombe) ---------
#
# scipy.stats and statsmodels are imported inside the functions: `import scipy.stats` costs about a
# second and this module is imported at every start of the app (the report, the counts), while
# these intervals are only computed by a background job.

BCA_MAX_N = 5000  # BCa up to here; its jackknife is n × n values, so "percentile" above
METHOD_BCA = "BCa"
METHOD_PERCENTILE = "percentile"
# One answer, or every answer equal: no resample differs from the sample, so the bootstrap has
# no spread to measure (scipy's BCa then divides 0 by 0 and warns). The interval is the point
# itself, labelled "degenerate" so that a page can say so instead of showing a zero width as
# precision (a single answer is below the minimum n of thresholds.py anyway).
METHOD_DEGENERATE = "degenerate"
METHOD_NEWCOMBE = "Newcombe"
# Values handled per vectorised call (`batch` × n). scipy holds a batch of resamples (and of
# jackknife samples, for BCa) as batch × n float64 values plus as many int64 indices, so 2**20
# values is about 25 MB at the peak whatever n is: at n = 5,000 a batch of 209 (the 5,000 × 4,999
# jackknife in 24 slices instead of one 200 MB block), at n = 100,000 a batch of 10 (26 MB
# measured with tracemalloc). Larger batches were slower here, 2 to 3.5 times at 2**23.
BATCH_VALUES = 2**20


@dataclass(frozen=True)
class MeanEstimate:
    mean: float
    low: float
    high: float
    n: int
    method: str  # METHOD_BCA, METHOD_PERCENTILE or METHOD_DEGENERATE


@dataclass(frozen=True)
class DifferenceEstimate:
    difference: float  # after − before
    low: float
    high: float
    n_before: int
    n_after: int
    method: str  # METHOD_BCA, METHOD_PERCENTILE, METHOD_DEGENERATE or METHOD_NEWCOMBE
    excludes_zero: bool  # the whole interval on one side of 0


def _finite_array(values: Sequence[float], name: str):
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a flat sequence of numbers")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite numbers")
    return array


def _bootstrap_method(n: int) -> str:
    return METHOD_BCA if n <= BCA_MAX_N else METHOD_PERCENTILE


def _bootstrap(samples, statistic, method: str, *, seed, confidence, resamples):
    """(low, high, method) from scipy.stats.bootstrap over independent samples."""
    from scipy.stats import bootstrap

    batch = max(1, min(resamples, BATCH_VALUES // max(len(s) for s in samples)))
    options = {
        "batch": batch,
        "vectorized": True,
        "paired": False,
        "confidence_level": confidence,
    }
    # The resamples are drawn first (the percentile interval), then BCa reuses them: BCa only
    # adds its jackknife, so the interval is the same as scipy's BCa run at once.
    result = bootstrap(
        samples,
        statistic,
        n_resamples=resamples,
        method=METHOD_PERCENTILE,
        rng=np.random.default_rng(seed),
        **options,
    )
    if method == METHOD_BCA:
        # BCa's bias correction is the normal quantile of the share of resamples below the
        # estimate: infinite when every resample falls on one side (a tiny skewed sample, few
        # resamples), where scipy returns nan and warns. The percentile interval then, said so.
        distribution = result.bootstrap_distribution
        estimate = statistic(*samples, axis=-1)
        share = (
            np.count_nonzero(distribution < estimate) + np.count_nonzero(distribution <= estimate)
        ) / (2 * len(distribution))
        if 0 < share < 1:
            result = bootstrap(
                samples,
                statistic,
                n_resamples=0,
                bootstrap_result=result,
                method=METHOD_BCA,
                rng=np.random.default_rng(seed),
                **options,
            )
        else:
            method = METHOD_PERCENTILE
    ci = result.confidence_interval
    return float(ci.low), float(ci.high), method


def _mean(sample, axis=-1):
    return np.mean(sample, axis=axis)


def _mean_difference(before, after, axis=-1):
    return np.mean(after, axis=axis) - np.mean(before, axis=axis)


def _check_bootstrap_args(confidence: float, resamples: int) -> None:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if resamples < 2:  # scipy's standard error of the resamples needs two
        raise ValueError("resamples must be at least 2")


def mean_interval(
    values: Sequence[float],
    *,
    seed: int = 2017,
    confidence: float = 0.95,
    resamples: int = 2000,
) -> MeanEstimate | None:
    """The mean with its bootstrap interval (BCa up to BCA_MAX_N values, percentile above);
    None without values. The same values and seed give the same interval."""
    _check_bootstrap_args(confidence, resamples)
    sample = _finite_array(values, "values")
    n = len(sample)
    if n == 0:
        return None
    mean = float(sample.mean())
    if n == 1 or sample.min() == sample.max():
        return MeanEstimate(mean, mean, mean, n, METHOD_DEGENERATE)
    low, high, method = _bootstrap(
        (sample,),
        _mean,
        _bootstrap_method(n),
        seed=seed,
        confidence=confidence,
        resamples=resamples,
    )
    return MeanEstimate(mean, low, high, n, method)


def _difference(difference, low, high, n_before, n_after, method) -> DifferenceEstimate:
    return DifferenceEstimate(
        difference, low, high, n_before, n_after, method, excludes_zero=low > 0 or high < 0
    )


def difference_interval(
    before: Sequence[float],
    after: Sequence[float],
    *,
    seed: int = 2017,
    confidence: float = 0.95,
    resamples: int = 2000,
) -> DifferenceEstimate | None:
    """mean(after) − mean(before) with a two-sample bootstrap interval: the two groups are
    resampled independently (different respondents before and after the works, not pairs).
    BCa while the larger group has at most BCA_MAX_N values, percentile above; None if either
    group is empty."""
    _check_bootstrap_args(confidence, resamples)
    first = _finite_array(before, "before")
    second = _finite_array(after, "after")
    n_before, n_after = len(first), len(second)
    if n_before == 0 or n_after == 0:
        return None
    difference = float(second.mean() - first.mean())
    method = _bootstrap_method(max(n_before, n_after))
    constant = [len(s) == 1 or s.min() == s.max() for s in (first, second)]
    options = {"seed": seed, "confidence": confidence, "resamples": resamples}
    if all(constant):
        return _difference(difference, difference, difference, n_before, n_after, METHOD_DEGENERATE)
    if constant[0]:
        # Every resample of a constant group is that group: the difference's bootstrap is the
        # other group's, shifted (and scipy's BCa cannot jackknife a group of one).
        low, high, method = _bootstrap((second,), _mean, method, **options)
        shift = float(first[0])
        return _difference(difference, low - shift, high - shift, n_before, n_after, method)
    if constant[1]:
        low, high, method = _bootstrap((first,), _mean, method, **options)
        shift = float(second[0])
        return _difference(difference, shift - high, shift - low, n_before, n_after, method)
    low, high, method = _bootstrap((first, second), _mean_difference, method, **options)
    return _difference(difference, low, high, n_before, n_after, method)


def share_difference_interval(
    successes_before: int,
    n_before: int,
    successes_after: int,
    n_after: int,
    *,
    confidence: float = 0.95,
) -> DifferenceEstimate | None:
    """p_after − p_before with Newcombe's hybrid score interval (method 10 of Newcombe 1998,
    the two Wilson intervals combined), from statsmodels; None if either group is empty."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must be between 0 and 1")
    if n_before <= 0 or n_after <= 0:
        return None
    for successes, n in ((successes_before, n_before), (successes_after, n_after)):
        if not 0 <= successes <= n:
            raise ValueError("successes must be between 0 and n")
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(
        successes_after,
        n_after,
        successes_before,
        n_before,
        method="newcomb",
        compare="diff",
        alpha=1 - confidence,
    )
    difference = successes_after / n_after - successes_before / n_before
    return _difference(difference, float(low), float(high), n_before, n_after, METHOD_NEWCOMBE)
