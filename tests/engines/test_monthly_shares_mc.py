"""Monte Carlo against the exact expectation for configs with ``monthly_shares`` curves."""

from __future__ import annotations

import pytest

from conftest import curve_groups, make_config, uncertain_config
from test_engines import assert_mean_agrees_with_expected


@pytest.mark.parametrize(("engine", "runs"), [("numba", 2000), ("event", 2000), ("numpy", 200)])
def test_monte_carlo_mean_agrees_with_expected(engine, runs):
    config = make_config(curve_groups(), years=5, per_year=60)
    assert_mean_agrees_with_expected(config, runs, 11, engine)


def test_uncertain_curve_mean_agrees_with_expected():
    """With the total drawn, the Monte Carlo mean still agrees with the plan of the mean
    total for a curve (the curve's masses are linear in its total)."""
    path = "groups.adult.states.intro.exits[0].monthly_shares"
    config = uncertain_config().with_overrides(
        {
            "groups.adult.states.intro.exits[0]": {
                "to": "self_sufficient",
                "monthly_shares": [0.05] * 6 + [0.02] * 6,
            },
            "uncertainty.shares": {path: {"min": 0.2, "max": 0.4}},
        }
    )
    assert_mean_agrees_with_expected(config, 2000, 5, "numba", ("person_years", "balance"))
