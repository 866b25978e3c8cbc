"""Scheduled costs per person by months since arrival, while resident (DESIGN §15: the rent
gap of transitional housing, seed 001).

- An exact case by hand: one cohort with a known relocation share, and a population already
  received, for both forms (``amount`` each month for ``months`` months, and parts).
- The Monte Carlo mean within 4 standard errors of ``expected`` on every engine, yearly and
  monthly, with arrivals and a population.
- Contracted flats (a ``fixed.costs`` line) beside the rent gap: each its own component.
- The config's rules.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import balanskonto as bk
from balanskonto.config import ConfigError

from conftest import make_config
from test_engines import assert_mean_agrees_with_expected

RENT_GAP = {"amount": 3000, "months": 24}
DEPOSIT = {
    "amount": 10000,
    "installments": [{"month": 0, "share": 0.5}, {"month": 12, "share": 0.5}],
}


def _config(exits=None, relocation=None, population=True, **sections) -> bk.Config:
    """12 arrivals in 2020 (one a month), a quarter of whom move after exactly 6 months, and
    4 persons received in March 2019 who stay."""
    adult = {
        "start": "self_sufficient",
        "states": {
            "self_sufficient": {
                "exits": exits or [{"to": "relocated", "share": 0.25, "at_month": 6}]
            }
        },
        "scheduled_costs": {"rent_gap": RENT_GAP, "deposit": DEPOSIT},
        "payments": {"schablon": {"amount": 100_000, "by_calendar_year": [0.5, 0.5]}},
    }
    if relocation:
        adult["relocation"] = relocation
    rows = [
        {
            "arrival": "2019-03",
            "group": "adult",
            "state": "self_sufficient",
            "months_in_state": 10,
            "count": 4,
        },
        {
            "arrival": "2019-05",
            "group": "adult",
            "state": "relocated",
            "months_in_state": 2,
            "count": 3,
        },
    ]
    extra = {"population": {"rows": rows}} if population else {}
    return make_config({"adult": adult}, per_year=[12, 0, 0], **extra, **sections)


def test_expected_by_hand():
    """Arrivals in month a = 0…11 of 2020: stayers (3/4) have the rent gap in months
    a…a+23, movers (1/4) in a…a+5 (the first month away is a+6). Summed over a: stayers
    78, 144 and 66 months in 2020–2022, movers 57 and 15. The population (arrived March
    2019, 10 months before the start, staying) has its months 10…23: 12 in 2020, 2 in 2021;
    the persons already gone have none. The deposit: half in the arrival month, half 12
    months later for those still resident (the population's second half in March 2020)."""
    ds = bk.expected(_config())
    rent = ds["cost"].sel(component="rent_gap").values
    expected_rent = 3000 * np.array(
        [0.75 * 78 + 0.25 * 57 + 4 * 12, 0.75 * 144 + 0.25 * 15 + 4 * 2, 0.75 * 66]
    )
    np.testing.assert_allclose(rent, expected_rent, rtol=1e-12)
    np.testing.assert_allclose(rent, [362_250, 359_250, 148_500], rtol=1e-12)
    deposit = ds["cost"].sel(component="deposit").values
    np.testing.assert_allclose(deposit, [12 * 5000 + 4 * 5000, 0.75 * 12 * 5000, 0], rtol=1e-12)
    # costs are costs: no revenue under their names, and the payments are untouched
    assert float(abs(ds["revenue"].sel(component=["rent_gap", "deposit"])).max()) == 0
    assert float(abs(ds["cost"].sel(component="schablon")).max()) == 0
    # the schablon: the cohort's first half, and the population's second half (in January)
    np.testing.assert_allclose(ds["revenue"].sel(component="schablon")[0], (12 + 4) * 50_000)


def test_without_the_population_only_the_cohort_pays():
    rent = bk.expected(_config(population=False))["cost"].sel(component="rent_gap").values
    np.testing.assert_allclose(rent, [218_250, 335_250, 148_500], rtol=1e-12)


RANDOM = {
    "exits": [
        {"to": "relocated", "share": 0.2, "within_months": 10},
        {"to": "income_support", "share": 0.3, "at_month": 5},
    ],
    "relocation": {"annual_probability": 0.15},
}


@pytest.mark.parametrize(("engine", "runs"), [("numba", 2000), ("event", 2000), ("numpy", 300)])
def test_monte_carlo_mean_agrees_with_expected(engine, runs):
    config = _config(**RANDOM)
    assert_mean_agrees_with_expected(config, runs, 7, engine, ("balance", "revenue", "cost"))


@pytest.mark.parametrize("engine", ["numba", "event", "numpy"])
def test_monthly_resolution_sums_to_the_years(engine):
    config = _config(**RANDOM).with_overrides({"simulation.resolution": "month"})
    ds = bk.simulate(config, runs=100, seed=3, engine=engine)
    by_year = ds["cost_month"].coarsen(month=12).sum().values
    np.testing.assert_allclose(by_year, ds["cost"].values, rtol=1e-12, atol=1e-6)
    # the deterministic case: every month as by hand (the first months of 2020)
    exact = bk.simulate(_config().with_overrides({"simulation.resolution": "month"}), runs=5)
    rent = exact["cost_month"].sel(component="rent_gap").isel(run=0).values
    # month 0: 1 arrival + 4 of the population; then one more arrival a month
    np.testing.assert_allclose(rent[:6], 3000 * (4 + np.arange(1, 7)))


def test_contracted_flats_beside_the_rent_gap():
    """Transitional housing: the contracted flats are a fixed yearly cost whether occupied
    or not; the rent gap follows the occupants. Each is its own component."""
    flats = [1_200_000, 1_200_000, 600_000]
    config = _config(fixed={"costs": {"contracted_flats": flats}})
    ds = bk.expected(config)
    np.testing.assert_allclose(ds["cost"].sel(component="contracted_flats"), flats)
    np.testing.assert_allclose(
        ds["cost"].sel(component="rent_gap"), [362_250, 359_250, 148_500], rtol=1e-12
    )
    total = ds["cost"].sum("component").values
    np.testing.assert_allclose(total, np.add(flats, [442_250, 404_250, 148_500]))
    sim = bk.simulate(config, runs=200, seed=1)
    np.testing.assert_allclose(sim["cost"].sel(component="contracted_flats").min("run"), flats)


@pytest.mark.parametrize(
    ("cost", "path", "rule"),
    [
        ({"amount": -3000, "months": 24}, "rent_gap.amount", "greater than or equal to 0"),
        ({"amount": 3000}, "rent_gap", "exactly one of months"),
        (
            {"amount": 3000, "months": 24, "by_calendar_year": [1.0]},
            "rent_gap",
            "exactly one of months",
        ),
        ({"amount": 3000, "months": 24, "relocated_share": 0.5}, "relocated_share", ""),
        ({"amount": 3000, "months": 0}, "rent_gap.months", ""),
        ({"amount": 3000, "by_calendar_year": [0.5, 0.4]}, "by_calendar_year", "sum to 1"),
    ],
)
def test_rules(cost, path, rule):
    adult = {"start": "self_sufficient", "scheduled_costs": {"rent_gap": cost}}
    with pytest.raises(ConfigError) as err:
        make_config({"adult": adult})
    assert path in str(err.value) and rule in str(err.value)


def test_nackas_housing_prices_rent_as_revenue_and_temporary_housing_as_a_cost():
    """configs/nacka_2018.toml (validated in tests/validation/test_nacka.py): the occupants'
    rent is scheduled revenue only, tillfälligt boende (from month 24) a cost only, paid
    from 2020 on, the first year an arrival of 2018 reaches its 25th month."""
    ds = bk.expected(
        bk.load_config(Path(__file__).resolve().parents[2] / "configs" / "nacka_2018.toml")
    )
    rent = ds["revenue"].sel(component="hyra").values
    assert (rent > 0).all() and float(abs(ds["cost"].sel(component="hyra")).max()) == 0
    temporary = ds["cost"].sel(component="tillfalligt_boende").values
    assert temporary.tolist()[:2] == [0.0, 0.0] and (temporary[2:] > 0).all()
    assert float(abs(ds["revenue"].sel(component="tillfalligt_boende")).max()) == 0
