"""The exact expectation (cohort Markov model)."""

from __future__ import annotations

import numpy as np
import pytest

import balanskonto as bk
from balanskonto.engines.expected import occupancy
from balanskonto.model import compile_model

from conftest import make_config


def test_occupancy_is_a_distribution_and_follows_the_exits(sodertalje):
    model = compile_model(sodertalje)
    occ = occupancy(model, 0)
    np.testing.assert_allclose(occ.sum(axis=1), 1.0, atol=1e-12)
    assert occ[0].tolist() == [1.0, 0.0, 0.0, 0.0, 0.0]  # the arrival month is in intro
    # after 18 months in intro: 60 % self-sufficient, 10 % moved, 15 % / 15 %
    np.testing.assert_allclose(occ[18], [0, 0.15, 0.60, 0.15, 0.10], atol=1e-12)
    np.testing.assert_allclose(occ[24], [0, 0, 0.75, 0.15, 0.10], atol=1e-12)


def test_person_years_add_up_to_time_since_arrival(sodertalje):
    ds = bk.expected(sodertalje)
    model = compile_model(sodertalje)
    months_left_in_year = np.zeros((10, 3))
    for a in range(120):
        for y in range(a // 12, 10):
            months = 12 - a % 12 if y == a // 12 else 12
            months_left_in_year[y] += model.fixed_arrivals[a] * months
    np.testing.assert_allclose(ds["person_years"].sum("state"), months_left_in_year / 12)


def test_expected_has_the_simulation_variables_without_run(sodertalje):
    ex = bk.expected(sodertalje)
    sim = bk.simulate(sodertalje, runs=3)
    for var in ("balance", "net", "revenue", "cost", "person_years", "arrivals"):
        assert ex[var].dims == tuple(d for d in sim[var].dims if d != "run")
        assert ex[var].attrs["units"] == sim[var].attrs["units"]
    assert ex.attrs["engine"] == "expected"
    np.testing.assert_allclose(ex["balance"], ex["net"].cumsum("year") + sodertalje.balance.opening)


def test_balance_and_indexation():
    groups = {"g": {"start": "self_sufficient", "costs": {"resident": {"rent": 100.0}}}}
    config = make_config(
        groups,
        per_year=[12],
        balance={"opening": 5000.0},
        indexation={"costs": 0.5},
        fixed={"revenue": {"grant": [2000.0, 1000.0]}},
    )
    ex = bk.expected(config)
    # one person a month in 2020: 78 person-months in 2020, then 144 a year, indexed 1.5^y
    rent = np.array([78, 144 * 1.5, 144 * 2.25]) * 100
    np.testing.assert_allclose(ex["cost"].sel(component="rent"), rent)
    np.testing.assert_allclose(ex["net"], np.array([2000, 1000, 0]) - rent)
    np.testing.assert_allclose(ex["balance"], 5000 + np.cumsum(np.array([2000, 1000, 0]) - rent))


def test_relocated_share_of_installments():
    """A part due k months after arrival comes at relocated_share if the person has moved."""
    groups = {
        "g": {
            "start": "intro",
            "states": {"intro": {"exits": [{"to": "relocated", "share": 0.4, "at_month": 2}]}},
            "payments": {
                "schablon": {
                    "amount": 1000.0,
                    "installments": [{"month": 1, "share": 0.5}, {"month": 3, "share": 0.5}],
                    "relocated_share": 0.25,
                }
            },
        }
    }
    ex = bk.expected(make_config(groups, years=2, per_year=[12]))
    # month 1 part: nobody has moved yet; month 3 part: 40 % moved and bring a quarter
    per_person = 500 + 500 * (0.6 + 0.4 * 0.25)
    assert float(ex["revenue"].sum()) == pytest.approx(12 * per_person)


def test_with_uncertainty_expected_is_named_the_plan_without_uncertainty(sodertalje):
    plain = bk.expected(sodertalje)
    assert plain.attrs["long_name"] == "the exact expectation"
    assert plain.attrs["plan_without_uncertainty"] == 0
    plan = bk.expected(sodertalje.with_overrides({"uncertainty.labour_market.sd": 0.3}))
    assert plan.attrs["long_name"] == "the plan without uncertainty"
    assert plan.attrs["plan_without_uncertainty"] == 1
    assert "not the mean of the simulation" in plan.attrs["description"]
