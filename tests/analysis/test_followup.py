"""The follow-up's statistics (analysis/followup.py, scores.py, weighting.py): known answers,
the calibration of the fan against actuals drawn from the model itself, and the re-weighted
labour market moving toward a weaker one that made the actuals."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from balanskonto.analysis import scores, weighting
from balanskonto.analysis.followup import followup, forecast_matrix, forecast_values
from balanskonto.config.actuals import Actual

from actuals_cases import actual_rows, as_actuals, example_result, specs_for


# --------------------------------------------------------------------------------------
# Known answers
# --------------------------------------------------------------------------------------
def test_crps_of_a_point_forecast_is_the_absolute_error():
    ens = np.full((50, 3), 7.0)
    y = np.array([7.0, 10.0, -2.5])
    np.testing.assert_allclose(scores.crps(ens, y), np.abs(7.0 - y), atol=1e-12)
    assert scores.crps(np.array([[4.0]]), np.array([1.0]))[0] == 3.0  # one run


def test_crps_of_a_gaussian_ensemble_matches_the_closed_form():
    """An ensemble at the m quantiles (i − ½)/m of N(μ, σ²): its fair CRPS converges to
    σ[z(2Φ(z) − 1) + 2φ(z) − 1/√π] with an error of order σ/m (here ≤ 1e-3 σ for m = 4000)."""
    m, mu, sigma = 4000, 3.0, 2.0
    ens = mu + sigma * stats.norm.ppf((np.arange(m) + 0.5) / m)
    for y in (3.0, 4.0, -1.0):
        z = (y - mu) / sigma
        exact = sigma * (
            z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi)
        )
        assert scores.crps(ens, y) == pytest.approx(exact, abs=1e-3 * sigma)


def test_crps_is_fair_for_two_members():
    """Fair estimator: E|X − y| − E|X − X'|/2 over distinct pairs: {0, 1} at 0 gives 0."""
    assert scores.crps(np.array([0.0, 1.0]), 0.0) == pytest.approx(0.0, abs=1e-12)
    assert scores.crps(np.array([0.0, 1.0]), 3.0) == pytest.approx(2.5 - 0.5)


def test_percentile_rank_is_the_mid_rank():
    ens = np.array([1.0, 2.0, 2.0, 2.0, 5.0])
    assert scores.percentile_rank(ens, 2.0) == pytest.approx((1 + 1.5) / 5)
    assert scores.percentile_rank(ens, 0.0) == 0.0
    assert scores.percentile_rank(ens, 9.0) == 1.0
    assert scores.percentile_rank(np.full(10, 3.0), 3.0) == 0.5


def test_bands_and_binomial_range():
    ens = np.arange(101.0)  # quantiles 5 … 95
    assert scores.inside_band(ens, 5.0, 0.9) and scores.inside_band(ens, 95.0, 0.9)
    assert not scores.inside_band(ens, 4.9, 0.9) and not scores.inside_band(ens, 24.0, 0.5)
    low, _ = scores.binomial_range(100, 0.9)
    assert stats.binom.cdf(low * 100 - 1, 100, 0.9) <= 0.025 <= stats.binom.cdf(low * 100, 100, 0.9)
    assert scores.coverage(np.array([True] * 9 + [False]), 0.9)["consistent"]


def test_weighted_quantile_with_equal_weights_is_hazen():
    x = np.random.default_rng(1).normal(size=(501, 2))
    w = np.full(501, 1 / 501)
    q = weighting.weighted_quantile(x, w, [0.05, 0.5, 0.9])
    np.testing.assert_allclose(q, np.quantile(x, [0.05, 0.5, 0.9], axis=0, method="hazen"))


def test_the_weights_recover_a_gaussian_posterior():
    """θ ~ N(0, 1), two outcomes x = θ + N(0, 1) each, observed y = (1.5, 0.5): the posterior
    mean of θ is (1.5 + 0.5)/3 = 2/3. The weighted (regression-adjusted) mean lies within 4
    of its standard errors plus the kernel's remaining bias (0.02) of it."""
    rng = np.random.default_rng(20261)
    theta = rng.normal(size=20_000)
    x = theta[:, None] + rng.normal(size=(20_000, 2))
    w = weighting.kernel_weights(x, np.array([1.5, 0.5]))
    assert w.dimension == 2 and w.weights.sum() == pytest.approx(1.0)
    assert w.bandwidth >= weighting.scott_bandwidth(20_000, 2)
    mean, se = weighting.weighted_mean_se(weighting.adjust(theta, w), w.weights)
    assert abs(mean - 2 / 3) < 4 * se + 0.02, (mean, se)
    assert w.effective_sample_size > 0.1 * 20_000


def test_redundant_actuals_count_once_and_constant_ones_not_at_all():
    rng = np.random.default_rng(5)
    a, b = rng.normal(size=(2, 4000))
    x = np.column_stack([a, b, a - b, np.full(4000, 2.0)])  # net = revenue − cost; a constant
    w = weighting.kernel_weights(x, np.array([0.3, -0.2, 0.5, 7.0]))
    assert w.dimension == 2
    assert list(w.used) == [True, True, True, False]


def test_many_actuals_widen_the_kernel_to_keep_the_effective_sample_size():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2000, 30))
    w = weighting.kernel_weights(x, rng.normal(size=30))
    assert not w.scott and w.bandwidth > weighting.scott_bandwidth(2000, 30)
    target = max(weighting.MIN_ESS_SHARE * 2000, weighting.ESS_PER_DIMENSION * (30 + 1))
    assert w.effective_sample_size == pytest.approx(target, rel=1e-3)


# --------------------------------------------------------------------------------------
# On the example's simulations
# --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def forecast():
    return example_result(2000, 1, monthly=True)


def test_year_to_date_december_is_the_whole_year(forecast):
    for variable, comp in (("cost", "allowance"), ("revenue", "schablon"), ("net", "")):
        whole, ytd = (
            forecast_values(
                forecast, Actual(line=1, period=p, variable=variable, component=comp, value=0)
            )
            for p in ("2027", "2027-12")
        )
        np.testing.assert_allclose(ytd, whole, rtol=1e-12)
    persons = Actual.model_validate(
        {"line": 1, "period": "2027", "variable": "persons", "value": 0}
    )
    dec = Actual.model_validate({"line": 1, "period": "2027-12", "variable": "persons", "value": 0})
    np.testing.assert_array_equal(
        forecast_values(forecast, persons), forecast_values(forecast, dec)
    )


def test_an_actual_equal_to_a_run_is_ranked_where_that_run_is(forecast):
    actuals = as_actuals(forecast, actual_rows(forecast, 17, specs_for("2026", "2027")))
    fu = followup(forecast, actuals)
    x = forecast_matrix(forecast, actuals)
    np.testing.assert_array_equal(fu["actual_value"].values, x[17])
    np.testing.assert_allclose(fu["percentile_rank"].values, scores.percentile_rank(x, x[17]))
    assert set(fu["scored_variable"].values) == {a.variable for a in actuals.rows}
    assert fu["weight"].sum().item() == pytest.approx(1.0)


def _calibration(forecast, truth, specs):
    """PIT values and 90 % band hits of every truth run's actuals against the forecast."""
    a0 = as_actuals(forecast, actual_rows(truth, 0, specs))
    x = forecast_matrix(forecast, a0)
    y = forecast_matrix(truth, a0)  # each truth run is one set of actuals
    pit = np.stack([scores.percentile_rank(x, row) for row in y])
    inside = np.stack([scores.inside_band(x, row, 0.9) for row in y])
    return pit, inside


#: Continuous actuals (money), one per variable, so that their PIT values are uniform.
CONTINUOUS = (("balance", "", "", ""), ("cost", "", "", "allowance"), ("revenue", "", "", ""))


@pytest.mark.parametrize("period", ["2027", "2029"])
def test_actuals_drawn_from_the_model_have_uniform_ranks(forecast, period):
    """300 runs of another seed as actuals: for each variable the 300 percentile ranks are
    independent draws of the PIT, uniform if the fan is calibrated. Kolmogorov–Smirnov at
    the fixed seeds: p > 0.001 for each of the three (family-wise false alarm < 0.3 %); and
    the 90 % band covers a share in its 99.9 % binomial range."""
    truth = example_result(300, 2)
    pit, inside = _calibration(forecast, truth, specs_for(period, kinds=CONTINUOUS))
    for j, kind in enumerate(CONTINUOUS):
        p = stats.kstest(pit[:, j], "uniform").pvalue
        assert p > 1e-3, (kind, p)
        low, high = stats.binom.interval(0.999, 300, 0.9)
        assert low <= inside[:, j].sum() <= high, (kind, inside[:, j].sum())


@pytest.mark.parametrize(
    ("sets", "k"), [(8, 3.0), pytest.param(20, 5.0, marks=pytest.mark.slow)], ids=["8", "20"]
)
def test_a_weaker_labour_market_moves_the_weighted_factor_toward_it(forecast, sets, k):
    """Actuals of 2026–2029 from runs of the config with uncertainty.labour_market.mean = −1
    (another seed), one set of actuals per run. The weighted labour-market z (mean over
    2026–2029) moves from the prior's 0 toward −1: over the sets its mean shift is below zero
    by more than k standard errors of that mean (3 for the fast 8 sets, 5 for the slow 20),
    and it is negative for at least two thirds of the single sets."""
    truth = example_result(20, 7, labour_market_mean=-1.0)
    specs = specs_for("2026", "2027", "2028", "2029")
    shift = []
    for r in range(sets):
        fu = followup(forecast, as_actuals(forecast, actual_rows(truth, r, specs)))
        years = {"year": slice(2026, 2029), "yearly_factor_name": "labour_market"}
        after = fu["yearly_factor_weighted_mean"].sel(**years).mean().item()
        shift.append(after - fu["yearly_factor_prior_mean"].sel(**years).mean().item())
    shift = np.array(shift)
    se = shift.std(ddof=1) / np.sqrt(sets)
    assert shift.mean() < -k * se, (shift.mean(), se)
    assert (shift < 0).sum() >= 2 * sets / 3


def test_without_factors_the_follow_up_has_none(sodertalje):
    import balanskonto as bk

    ds = bk.simulate(sodertalje, runs=200, seed=3)
    fu = followup(ds, as_actuals(ds, actual_rows(ds, 4, specs_for("2009", kinds=CONTINUOUS[:1]))))
    assert fu.attrs["factors_stored"] == 0
    assert not any(name.startswith(("factor_", "yearly_factor_")) for name in fu.data_vars)
