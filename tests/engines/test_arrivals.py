"""Arrivals per run, month and group (DESIGN §3.6)."""

from __future__ import annotations

import numpy as np
import pytest

from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.model import compile_model
from balanskonto.model.plan import monthly_means

from conftest import make_config

N_SE = 4.0
RUNS = 4000


def year_counts(distribution: str, **arrivals) -> np.ndarray:
    groups = {"adult": {"start": "intro"}, "child": {"start": "self_sufficient"}}
    config = make_config(groups, years=2, per_year=[100.0, 0.0], mix={"adult": 0.6, "child": 0.4})
    config = config.with_overrides(
        {"arrivals.distribution": distribution, **{f"arrivals.{k}": v for k, v in arrivals.items()}}
    )
    model = compile_model(config)
    arr = draw_arrivals(model, 12345, np.arange(RUNS))
    assert arr[:, 12:].sum() == 0  # nobody arrives in a year with per_year = 0
    return arr[:, :12].sum(axis=(1, 2)), arr[:, :12].sum(axis=1)


def variance_standard_error(x: np.ndarray) -> float:
    """Standard error of the sample variance (from the sample's fourth central moment)."""
    n, m2, m4 = len(x), x.var(), ((x - x.mean()) ** 4).mean()
    return float(np.sqrt((m4 - m2**2 * (n - 3) / (n - 1)) / n))


def test_poisson_year_count_has_poisson_mean_and_variance():
    total, by_group = year_counts("poisson")
    se_mean = total.std(ddof=1) / np.sqrt(RUNS)
    assert abs(total.mean() - 100) < N_SE * se_mean
    assert abs(total.var(ddof=1) - 100) < N_SE * variance_standard_error(total)
    assert abs(by_group[:, 0].mean() - 60) < N_SE * by_group[:, 0].std(ddof=1) / np.sqrt(RUNS)


def test_negative_binomial_year_count_has_the_given_cv():
    cv = 0.4
    total, _ = year_counts("negative_binomial", cv=cv)
    assert abs(total.mean() - 100) < N_SE * total.std(ddof=1) / np.sqrt(RUNS)
    target_variance = (cv * 100) ** 2
    assert abs(total.var(ddof=1) - target_variance) < N_SE * variance_standard_error(total)


def test_fixed_arrivals_are_the_deterministic_split(sodertalje):
    model = compile_model(sodertalje)
    arr = draw_arrivals(model, 1, np.arange(3))
    assert np.array_equal(arr[0], model.fixed_arrivals) and np.array_equal(arr[2], arr[0])
    np.testing.assert_array_equal(monthly_means(model), model.fixed_arrivals)


def test_a_runs_arrivals_do_not_depend_on_the_other_runs(example):
    model = compile_model(example)
    all_runs = draw_arrivals(model, 77, np.arange(10))
    one = draw_arrivals(model, 77, np.array([7]))
    np.testing.assert_array_equal(all_runs[7], one[0])
    assert not np.array_equal(all_runs[7], draw_arrivals(model, 78, np.array([7]))[0])


@pytest.mark.parametrize("distribution", ["poisson", "negative_binomial"])
def test_monthly_means_are_per_year_times_mix_over_12(example, distribution):
    extra = {"arrivals.cv": 0.5} if distribution == "negative_binomial" else {}
    model = compile_model(example.with_overrides({"arrivals.distribution": distribution, **extra}))
    means = monthly_means(model)
    np.testing.assert_allclose(means[:12, 0], 120 * 0.55 / 12)
    np.testing.assert_allclose(
        means.reshape(8, 12, 3).sum(axis=(1, 2)), [120, 120, 100, 100, 80, 80, 80, 80]
    )
