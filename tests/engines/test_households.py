"""Household groups (DESIGN §15): a household is the engines' unit, its members the persons.

Known answers: a household's members share its path, so a support cost line over the same
persons has √m times the spread of the per-person model; the exact expectation, the Monte
Carlo mean of both individual engines and the numpy reference agree; results do not depend
on threads, chunks or runs added.
"""

from __future__ import annotations

import numba
import numpy as np
import pytest

import balanskonto as bk
from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.model import compile_model

from conftest import make_config
from reference import simulate_run
from test_engines import N_SE, assert_within_standard_errors

MEMBERS = {"adult": 2, "child": 1}  # m = 3 persons per household


def support_config(p: float, persons: int, members: dict[str, int] | None) -> bk.Config:
    """``persons`` arrive in the first year (fixed), all in one group; after one month in
    intro a unit goes to income support with probability p, else to work, and stays there.
    Support costs 1 000 kr a person and month, so the second year's cost is
    12 000 kr · persons on support."""
    group = {
        "start": "intro",
        "states": {
            "intro": {
                "max_months": 1,
                "on_expiry": {"self_sufficient": 1.0},
                "exits": [{"to": "income_support", "share": p, "at_month": 1}],
            }
        },
        "costs": {"income_support": {"bistand": 1000.0}},
    }
    if members is not None:
        group["members"] = members
    return make_config({"unit": group}, years=2, per_year=[persons])


@pytest.mark.parametrize(("engine", "runs"), [("numba", 4000), ("event", 4000)])
def test_household_clustering_widens_the_spread_by_the_square_root_of_the_size(engine, runs):
    """600 persons as single persons: the cost is 12 000 · X with X ~ Binomial(600, p); as
    200 households of 3: 12 000 · 3 · Y with Y ~ Binomial(200, p). Same mean, standard
    deviation √3 times as large. The sample standard deviations are held to their known
    values, and their ratio to √3, within 4 standard errors of a standard-deviation estimate
    (delta method: se(s) = σ/2 · √(2/(n − 1) + γ₂/n), γ₂ the binomial's excess kurtosis)."""
    p, persons, m = 0.3, 600, 3
    cost = {}
    for name, members, seed in (("persons", None, 1), ("households", MEMBERS, 2)):
        ds = bk.simulate(support_config(p, persons, members), runs=runs, seed=seed, engine=engine)
        cost[name] = ds["cost"].sel(year=2021, component="bistand").values
        units = persons // (m if members else 1)
        assert (ds["arrivals"].sel(year=2020).sum("group") == persons).all()
        if members:  # whole households: the cost moves in steps of 3 persons' support
            np.testing.assert_array_equal(cost[name] % 36_000, 0.0)
            households = ds["households"].sel(year=2021, group="unit")
            assert int(households.sum("state").max()) == units
    sd, se = {}, {}
    for name, units, scale in (("persons", 600, 12_000.0), ("households", 200, 36_000.0)):
        x = cost[name]
        q = p * (1 - p)
        sigma = scale * np.sqrt(units * q)
        kurtosis = (1 - 6 * q) / (units * q)
        se[name] = sigma / 2 * np.sqrt(2 / (runs - 1) + kurtosis / runs)
        sd[name] = x.std(ddof=1)
        assert abs(sd[name] - sigma) <= N_SE * se[name], (name, sd[name], sigma)
        mean_se = sigma / np.sqrt(runs)
        assert abs(x.mean() - 12_000 * persons * p) <= N_SE * mean_se
    ratio = sd["households"] / sd["persons"]
    # independent runs (other seeds): the ratio's relative variance is the sum of the two
    ratio_se = np.sqrt(m) * np.hypot(
        se["households"] / (np.sqrt(m) * sd["persons"]), se["persons"] / sd["persons"]
    )
    assert abs(ratio - np.sqrt(m)) <= N_SE * ratio_se, (ratio, ratio_se)
    assert ratio > np.sqrt(m) - N_SE * ratio_se > 1.4  # and it is not 1


def household_config(**overrides) -> bk.Config:
    """Families and single adults, Poisson arrivals of persons, relocation, a schablon per
    person with half for parts due after a move, bistånd per household, a yearly
    scheduled rent gap per person for 24 months, and a population of households."""
    family = {
        "start": "intro",
        "members": {"adult": 2, "child": 3},
        "per_household": ["bistand"],
        "states": {
            "intro": {
                "max_months": 24,
                "on_expiry": {"income_support": 0.3, "self_sufficient": 0.7},
                "exits": [{"to": "self_sufficient", "share": 0.2, "within_months": 24}],
            },
            "income_support": {"exits": [{"to": "self_sufficient", "annual_probability": 0.3}]},
        },
        "relocation": {"annual_probability": 0.2},
        "costs": {"income_support": {"bistand": 6000.0}, "resident": {"sfi": 500.0}},
        "payments": {
            "schablon": {"amount": 130000.0, "by_calendar_year": [0.4, 0.6], "relocated_share": 0.5}
        },
        "scheduled_costs": {"hyresgap": {"amount": 900.0, "months": 24}},
    }
    single = {
        "start": "intro",
        "states": {
            "intro": {
                "max_months": 24,
                "on_expiry": {"income_support": 0.2, "self_sufficient": 0.8},
                "exits": [],
            }
        },
        "relocation": {"annual_probability": 0.3},
        "costs": {"income_support": {"bistand": 5000.0}},
        "payments": {"schablon": {"amount": 130000.0, "by_calendar_year": [0.4, 0.6]}},
    }
    population = {
        "rows": [
            {
                "arrival": "2019-03",
                "group": "family",
                "state": "intro",
                "months_in_state": 9,
                "count": 7,
            },
            {
                "arrival": "2018-06",
                "group": "family",
                "state": "income_support",
                "months_in_state": 2,
                "count": 4,
            },
        ]
    }
    config = make_config(
        {"family": family, "single": single},
        years=4,
        per_year=[300, 250, 200],
        mix={"family": 0.75, "single": 0.25},
        population=population,
    )
    return config.with_overrides({"arrivals.distribution": "poisson", **overrides})


VARIABLES = ("balance", "revenue", "cost", "person_years", "arrivals", "persons", "households")


@pytest.mark.parametrize(("engine", "runs"), [("numba", 2000), ("event", 2000), ("numpy", 200)])
def test_household_mean_agrees_with_expected_every_year(engine, runs):
    config = household_config()
    ds = bk.simulate(config, runs=runs, seed=31, engine=engine)
    exact = bk.expected(config)
    for var in VARIABLES:
        assert_within_standard_errors(ds[var], exact[var], runs)


def test_expected_counts_persons_as_members_and_households_as_units():
    """One cohort of 10 families of 5 (fixed), nobody leaves intro for 24 months: persons
    are 50, households 10; the schablon and the sfi cost are per person, bistånd (after
    expiry, all to support) per household."""
    config = household_config(
        **{
            "arrivals.distribution": "fixed",
            "arrivals.per_year": [50],
            "arrivals.mix": {"family": 1.0, "single": 0.0},
            "groups.family.states.intro.exits": [],
            "groups.family.states.intro.on_expiry": {"income_support": 1.0},
            "groups.family.relocation": {"annual_probability": 0.0},
            "groups.family.states.income_support.exits": [],
            "population": {"rows": []},
        }
    )
    ds = bk.expected(config)
    assert ds["arrivals"].sel(group="family").values.tolist() == [50, 0, 0, 0]
    assert float(ds["persons"].sel(year=2021, group="family", state="intro")) == 50
    assert float(ds["households"].sel(year=2021, group="family", state="intro")) == 10
    assert float(ds["households"].sel(year=2022, group="family", state="income_support")) == 10
    assert float(ds["households"].sel(group="single").sum()) == 0  # not a household group
    assert float(ds["person_years"].sel(year=2023, group="family").sum()) == 50
    schablon = ds["revenue"].sel(component="schablon")
    np.testing.assert_allclose(schablon.sum(), 50 * 130_000.0, rtol=1e-12)
    # in 2023 every family is on support the whole year: 10 households × 6 000 × 12
    cost = ds["cost"].sel(year=2023)
    assert float(cost.sel(component="bistand")) == pytest.approx(10 * 6000 * 12, rel=1e-12)
    assert float(cost.sel(component="sfi")) == pytest.approx(50 * 500 * 12, rel=1e-12)
    # the rent gap: 900 kr a person and month for 24 months from arrival
    np.testing.assert_allclose(ds["cost"].sel(component="hyresgap").sum(), 50 * 900 * 24)


def test_household_persons_are_the_naive_reference_units_times_the_members():
    """Same uniforms, independent stepping code: the reference's unit-months of each run,
    times the members, are the Dataset's person-years exactly; its December units are the
    households."""
    config = household_config(**{"population": {"rows": []}})
    model = compile_model(config)
    ds = bk.simulate(config, runs=3, seed=3)
    assert float(ds["person_years"].sum()) > 0
    for run in range(3):
        arrivals = draw_arrivals(model, 3, np.array([run]))[0]
        pm, _ = simulate_run(model, 3, run, arrivals)
        persons = pm * model.members[None, :, None] / 12.0
        np.testing.assert_array_equal(ds["person_years"].isel(run=run).values, persons)
        per_year = arrivals.reshape(4, 12, -1).sum(axis=1) * model.members
        np.testing.assert_array_equal(ds["arrivals"].isel(run=run).values, per_year)


def test_poisson_households_keep_the_persons_expectation_exact():
    """Poisson households with mean per_year · mix / (12 m) a month: the expected persons
    are per_year · mix exactly, though each draw is a multiple of m."""
    config = household_config()
    model = compile_model(config)
    assert model.members.tolist() == [5, 1] and model.household.tolist() == [True, False]
    ex = bk.expected(config)["arrivals"]
    np.testing.assert_allclose(ex.sel(group="family")[:3], [225, 187.5, 150], rtol=1e-12)
    np.testing.assert_allclose(ex.sel(group="single")[:3], [75, 62.5, 50], rtol=1e-12)
    ds = bk.simulate(config, runs=300, seed=4)
    assert (ds["arrivals"].sel(group="family").values % 5 == 0).all()


def test_fixed_households_round_the_persons_so_far():
    """Fixed arrivals: each year's households are the persons split to the group so far
    divided by the members, rounded, less those of earlier years (here 7, 7 and 6 persons
    of a group of 3: 2.33, 4.67, 6.67 → 2, 5, 7 households so far)."""
    config = household_config(
        **{
            "arrivals.distribution": "fixed",
            "arrivals.per_year": [7, 7, 6],
            "arrivals.mix": {"family": 1.0, "single": 0.0},
            "groups.family.members": {"adult": 2, "child": 1},
        }
    )
    model = compile_model(config)
    by_year = model.fixed_arrivals.reshape(4, 12, 2).sum(axis=1)
    assert by_year[:, 0].tolist() == [2, 3, 2, 0]
    arrivals = draw_arrivals(model, 1, np.arange(2))
    assert (arrivals.reshape(2, 4, 12, 2).sum(axis=2)[:, :, 0] == [2, 3, 2, 0]).all()
    # an arrivals factor of 1 (uncertainty.arrivals) splits the same way
    same = draw_arrivals(model, 1, np.arange(2), np.ones((2, 4)), planned=True)
    np.testing.assert_array_equal(same, arrivals)


@pytest.mark.parametrize("engine", ["numba", "event", "numpy"])
def test_household_results_do_not_depend_on_chunks_or_runs_added(engine):
    config = household_config()
    a = bk.simulate(config, runs=30, seed=9, engine=engine)
    b = bk.simulate(config, runs=30, seed=9, engine=engine, chunk_runs=7)
    c = bk.simulate(config, runs=50, seed=9, engine=engine, chunk_runs=13)
    for var in VARIABLES:
        np.testing.assert_array_equal(a[var].values, b[var].values, err_msg=var)
        np.testing.assert_array_equal(a[var].values, c[var].isel(run=slice(0, 30)).values)


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_household_results_do_not_depend_on_the_thread_count(engine):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    config = household_config()
    previous = numba.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            numba.set_num_threads(threads)
            ds = bk.simulate(config, runs=40, seed=3, engine=engine)
            results.append([ds[v].values for v in VARIABLES])
    finally:
        numba.set_num_threads(previous)
    for x, y in zip(*results, strict=True):
        np.testing.assert_array_equal(x, y)
