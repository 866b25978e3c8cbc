"""Monte Carlo precision (balanskonto.results.convergence): quantile intervals and standard errors,
proportions, and the runs needed for a target precision."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from balanskonto.results.convergence import (
    binomial_cdf,
    proportion_standard_error,
    quantile_interval,
    quantile_interval_ranks,
    quantile_standard_error,
    runs_needed,
    wilson_interval,
)

REPS = 2000  # repetitions for coverage checks


def binomial_tolerance(p: float, reps: int = REPS) -> float:
    """4 binomial standard errors of an observed coverage: a correct interval fails this
    check with probability about 6e-5 per check (and the seeds are fixed)."""
    return 4 * math.sqrt(p * (1 - p) / reps)


# --- order-statistic ranks ---------------------------------------------------------------


@pytest.mark.parametrize("n", [*range(1, 60), 199, 200, 1000, 2000, 4999, 10_000, 100_000])
def test_binomial_cdf_is_scipy_stats_bit_for_bit(n):
    """The ranks (and so every quantile interval and standard error of a Dataset) come from
    the same cdf values as before scipy.stats was dropped from `balanskonto run`'s imports."""
    for q in (0.0, 1e-9, 1e-3, 0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975, 1 - 1e-9, 1.0):
        ours, theirs = binomial_cdf(n, q), stats.binom.cdf(np.arange(n + 1), n, q)
        assert ours.dtype == theirs.dtype and np.array_equal(ours, theirs), (n, q)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99, 0.999])
def test_wilson_interval_uses_the_normal_quantile(level):
    """The Wilson interval's z is scipy.stats.norm.ppf(0.5 + level / 2) bit for bit: the bounds
    are those of the formula with scipy's z."""
    z = stats.norm.ppf(0.5 + level / 2)
    p, n = np.array([0.0, 0.01, 0.3, 1.0]), 500
    z2n = z * z / n
    centre = (p + z2n / 2) / (1 + z2n)
    half = z / (1 + z2n) * np.sqrt(p * (1 - p) / n + z2n / (4 * n))
    lower, upper = wilson_interval(p, n, level)
    assert np.array_equal(lower[1:3], (centre - half)[1:3])
    assert np.array_equal(upper[1:3], (centre + half)[1:3])


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_ranks_cover_at_least_level(level):
    for n in (1, 2, 5, 10, 50, 200, 1000, 10_007):
        for q in (0.0, 0.001, 0.05, 0.5, 0.9, 0.99, 1.0):
            lo, hi, coverage = quantile_interval_ranks(n, q, level)
            assert 0 <= lo < hi <= n + 1
            # the coverage it reports is P(lo ≤ B ≤ hi − 1), B ~ Bin(n, q), computed here
            # from the probability mass function instead of the cdf
            pmf = stats.binom.pmf(np.arange(n + 1), n, q)
            assert coverage == pytest.approx(pmf[lo:hi].sum(), abs=1e-12)
            assert coverage >= level - 1e-12  # conservative up to float rounding


def test_ranks_are_the_equal_tailed_choice():
    # n = 100, median, 95 %: the textbook interval is [X_(40), X_(61)]
    # (P(B ≤ 39) = 0.0176 ≤ 0.025 < P(B ≤ 40) = 0.0284; P(B ≤ 60) = 0.9824 ≥ 0.975)
    assert quantile_interval_ranks(100, 0.5, 0.95)[:2] == (40, 61)
    # too few runs for a bounded interval: 1/32 > 0.025, so no order statistic works
    assert quantile_interval_ranks(5, 0.5, 0.95)[:2] == (0, 6)


# --- coverage of the interval ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "q", "seed"),
    [("norm", 0.05, 1), ("norm", 0.5, 2), ("norm", 0.9, 3), ("expon", 0.5, 4), ("expon", 0.95, 5)],
)
def test_interval_coverage_continuous(name, q, seed):
    n = 200
    dist = getattr(stats, name)
    rng = np.random.default_rng(seed)
    samples = dist.ppf(rng.random((n, REPS)))  # REPS samples of n runs, along axis 0
    lower, upper = quantile_interval(samples, q)
    truth = dist.ppf(q)
    observed = np.mean((lower <= truth) & (truth <= upper))
    lo, hi, exact = quantile_interval_ranks(n, q)
    assert lo >= 1 and hi <= n  # no fallback to min/max here: the exact coverage applies
    assert exact >= 0.95
    # for a continuous distribution the coverage is exactly `exact`, so the check is two-sided
    assert abs(observed - exact) <= binomial_tolerance(exact)


@pytest.mark.parametrize(("q", "seed"), [(0.5, 6), (0.9, 7)])
def test_interval_coverage_with_ties_is_conservative(q, seed):
    # Poisson counts: many ties, and the closed interval keeps at least the nominal coverage
    rng = np.random.default_rng(seed)
    samples = rng.poisson(3.0, size=(100, REPS)).astype(float)
    lower, upper = quantile_interval(samples, q)
    truth = stats.poisson.ppf(q, 3.0)  # the smallest x with F(x) ≥ q
    observed = np.mean((lower <= truth) & (truth <= upper))
    assert observed >= 0.95 - binomial_tolerance(0.95)


# --- shapes, DataArrays, edge cases ------------------------------------------------------


def test_interval_along_axis_0_and_dataarray():
    rng = np.random.default_rng(8)
    values = rng.normal(1e6, 2e5, size=(300, 4))
    lower, upper = quantile_interval(values, 0.1)
    assert lower.shape == upper.shape == (4,)
    for j in range(4):
        lo_j, hi_j = quantile_interval(values[:, j], 0.1)
        assert (lo_j, hi_j) == (lower[j], upper[j])
        assert lo_j <= np.quantile(values[:, j], 0.1) <= hi_j
    # a DataArray with the dims in the other order gives the same numbers, over year
    da = xr.DataArray(
        values.T,
        dims=("year", "run"),
        coords={"year": [2026, 2027, 2028, 2029]},
        attrs={"units": "SEK"},
    )
    lower_da, upper_da = quantile_interval(da, 0.1)
    assert lower_da.dims == ("year",)
    assert lower_da.attrs["units"] == "SEK"
    np.testing.assert_array_equal(lower_da.values, lower)
    np.testing.assert_array_equal(upper_da.values, upper)
    se_da = quantile_standard_error(da, 0.1)
    assert se_da.dims == ("year",)
    np.testing.assert_array_equal(se_da.values, quantile_standard_error(values, 0.1))


def test_edge_cases_are_finite_and_follow_the_documented_rules():
    x = np.array([3.0, 1.0, 4.0, 1.5, 9.0])
    # n = 5 is too small for a 95 % median interval: it falls back to the sample min and max
    assert quantile_interval(x, 0.5) == (1.0, 9.0)
    # q = 0 and q = 1: the sample extremes
    assert quantile_interval(x, 0.0) == (1.0, 1.0)
    assert quantile_interval(x, 1.0) == (9.0, 9.0)
    # q near 0 with few runs: the lower bound is the minimum, the upper an order statistic
    lower, upper = quantile_interval(np.arange(50.0), 0.01)
    assert lower == 0.0 and 0.0 <= upper <= 49.0
    # one run
    assert quantile_interval(np.array([7.0]), 0.3) == (7.0, 7.0)
    assert np.isnan(quantile_standard_error(np.array([7.0]), 0.3))
    # constant data: a zero-width interval and a zero standard error
    constant = np.full((40, 3), -2.5e5)
    lower, upper = quantile_interval(constant, 0.05)
    np.testing.assert_array_equal(lower, -2.5e5)
    np.testing.assert_array_equal(upper, -2.5e5)
    np.testing.assert_array_equal(quantile_standard_error(constant, 0.05), 0.0)
    # ties and extreme q: finite, non-negative standard errors for n ≥ 2
    ties = np.repeat([0.0, 1.0, 2.0], 10)
    for q in (0.0, 0.001, 0.5, 0.999, 1.0):
        se = quantile_standard_error(ties, q)
        assert np.isfinite(se) and se >= 0
        lower, upper = quantile_interval(ties, q)
        assert 0.0 <= lower <= upper <= 2.0
    assert np.isfinite(quantile_standard_error(np.array([1.0, 2.0]), 0.5))


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="NaN"):
        quantile_interval(np.array([1.0, np.nan]), 0.5)
    with pytest.raises(ValueError, match="empty"):
        quantile_standard_error(np.array([]), 0.5)
    with pytest.raises(ValueError, match="q must"):
        quantile_interval(np.arange(10.0), 1.5)
    with pytest.raises(ValueError, match="level"):
        quantile_interval(np.arange(10.0), 0.5, level=1.0)
    with pytest.raises(ValueError, match="dimension"):
        quantile_interval(xr.DataArray(np.arange(10.0), dims="x"), 0.5)


# --- standard error of the sample quantile -----------------------------------------------


@pytest.mark.parametrize(
    ("name", "q", "seed"),
    [("norm", 0.05, 11), ("norm", 0.5, 12), ("norm", 0.95, 13), ("expon", 0.9, 14)],
)
def test_standard_error_matches_the_spread_of_the_sample_quantile(name, q, seed):
    n, samples = 1000, 200
    dist = getattr(stats, name)
    rng = np.random.default_rng(seed)
    x = dist.ppf(rng.random((n, samples)))
    spread = np.quantile(x, q, axis=0).std(ddof=1)  # numpy's linear method, as in the Dataset
    estimate = quantile_standard_error(x, q).mean()
    # Tolerance: a standard deviation estimated from 200 (near-normal) values has a relative
    # standard error of 1/sqrt(2·199) ≈ 5 %; the mean of 200 estimates, each with a relative
    # spread of about 1/sqrt(u − l) ≤ 20 %, adds about 1.4 %. [0.8, 1.25] is ±22 % on the log
    # scale, about 4 of those combined standard errors, leaving room for the estimator's few
    # per cent of bias at n q ≥ 50.
    assert 0.8 <= estimate / spread <= 1.25


def test_standard_error_approaches_the_asymptotic_formula():
    # median of a standard normal: SE = sqrt(q(1−q)/n) / φ(0)
    n = 100_000
    x = np.random.default_rng(15).standard_normal(n)
    expected = math.sqrt(0.25 / n) / stats.norm.pdf(0.0)
    # the estimate's relative error is about 1/sqrt(u − l) = 1/sqrt(620) ≈ 4 %: 15 % is ~4 of it
    assert quantile_standard_error(x, 0.5) == pytest.approx(expected, rel=0.15)


# --- proportions ---------------------------------------------------------------------------


def test_proportion_standard_error_is_the_binomial_one():
    for n, p in ((10, 0.3), (1000, 0.05), (2000, 0.5)):
        # the standard deviation of a share of n Bernoulli(p) runs
        expected = stats.binom.std(n, p) / n
        assert proportion_standard_error(p, n) == pytest.approx(expected, rel=1e-12)
    p = xr.DataArray([0.0, 0.1, 1.0], dims="year", coords={"year": [2026, 2027, 2028]})
    se = proportion_standard_error(p, 400)
    assert se.dims == ("year",)
    np.testing.assert_allclose(se.values, [0.0, 0.015, 0.0], rtol=1e-12)


def test_wilson_bounds_solve_the_score_equation():
    n, z = 400, stats.norm.ppf(0.975)
    p = np.array([0.0, 0.01, 0.2, 0.5, 0.93, 1.0])
    lower, upper = wilson_interval(p, n)
    assert np.all((lower <= p) & (p <= upper))
    for bound in (lower, upper):
        # (p − π)² = z² π (1 − π) / n, to float rounding (terms are below 1)
        np.testing.assert_allclose((p - bound) ** 2, z**2 * bound * (1 - bound) / n, atol=1e-14)
    assert lower[0] == 0.0
    assert upper[0] == pytest.approx(z**2 / (n + z**2), rel=1e-12)
    assert upper[-1] == 1.0
    # a DataArray (p_deficit over year) keeps its dims; a number gives a number
    p_deficit = xr.DataArray(p, dims="year", coords={"year": np.arange(2026, 2032)})
    lower_da, upper_da = wilson_interval(p_deficit, n)
    assert lower_da.dims == upper_da.dims == ("year",)
    np.testing.assert_array_equal(lower_da.values, lower)
    np.testing.assert_array_equal(upper_da.values, upper)
    assert wilson_interval(0.2, n) == (lower[2], upper[2])


@pytest.mark.parametrize("n", [500, 2000])
def test_wilson_coverage_is_near_nominal(n):
    # exact coverage from the binomial distribution (no simulation). Wilson's coverage
    # oscillates around the nominal level (Brown, Cai & DasGupta 2001); for n·π ≥ 5 it stays
    # within ±0.02 of it.
    k = np.arange(n + 1)
    lower, upper = wilson_interval(k / n, n)
    for pi in (0.01, 0.02, 0.05, 0.1, 0.3, 0.5):
        coverage = stats.binom.pmf(k, n, pi)[(lower <= pi) & (pi <= upper)].sum()
        assert abs(coverage - 0.95) <= 0.02


# --- runs needed ---------------------------------------------------------------------------


def test_runs_needed_scales_with_the_square_of_the_half_width():
    assert runs_needed(1000, 0.3, 0.1) == 9000  # 9000.000000000002 in floats: no extra run
    assert runs_needed(1000, 1.0, 0.7) == 2041  # 2040.8 rounded up
    assert runs_needed(1000, 1.0, 2.0) == 250
    assert runs_needed(10, 0.0, 1.0) == 1  # already exact: at least one run
    np.testing.assert_array_equal(runs_needed(1000, [1.0, 0.5], 0.7), [2041, 511])
    half = xr.DataArray([2e5, 4e5], dims="year", coords={"year": [2026, 2027]})
    needed = runs_needed(2000, half, 1e5)
    assert needed.dims == ("year",)
    np.testing.assert_array_equal(needed.values, [8000, 32000])
    # the projection undoes itself for the proportion standard error: 4 × the runs halves it
    se = proportion_standard_error(0.2, 1000)
    target = se / 2
    assert runs_needed(1000, se, target) == 4000
    assert proportion_standard_error(0.2, 4000) == pytest.approx(target, rel=1e-12)
    with pytest.raises(ValueError, match="target"):
        runs_needed(1000, 1.0, 0.0)
    with pytest.raises(ValueError, match="current_half_width"):
        runs_needed(1000, np.nan, 1.0)
