"""The population already received (DESIGN §11) and head counts and months (§12).

- Restart consistency: simulating from 2024 with the arrivals of 2024–2025 and simulating from
  the 2026 population that this implies give the same expected path (to 1e-9) and Monte Carlo
  means within 4 standard errors, with deterministic and with random exits.
- One person of the population: its expected occupancy is the conditional propagation worked
  out by hand, and the payments due after month 0 are exactly the outstanding parts.
- Monthly and yearly variables agree exactly; head counts equal December's person-months.
- Adding a population or the monthly resolution changes no draw of an arriving person.
"""

from __future__ import annotations

import numpy as np
import pytest

import balanskonto as bk
from balanskonto.config import STATES, config_from_dict
from balanskonto.engines.expected import occupancy
from balanskonto.model import compile_model

from test_engines import assert_mean_agrees_with_expected

INTRO, SELF, SUPPORT, RELOCATED = (
    STATES.index(s) for s in ("intro", "self_sufficient", "income_support", "relocated")
)

#: Exits whose shares are multiples of 1/8 at whole months: every cohort of 64 persons a
#: month splits into whole persons, so the population the arrivals imply is a valid one.
RANDOM_EXITS = {
    "intro": {
        "max_months": 18,
        "on_expiry": {"income_support": 0.5, "self_sufficient": 0.5},
        "exits": [
            {"to": "relocated", "share": 0.125, "at_month": 4},
            {"to": "self_sufficient", "share": 0.25, "at_month": 10},
        ],
    },
    "income_support": {"exits": [{"to": "self_sufficient", "share": 0.5, "at_month": 6}]},
}
DETERMINISTIC_EXITS = {
    "intro": {
        "max_months": 14,
        "on_expiry": {"income_support": 1.0},
        "exits": [],
    },
    "income_support": {"exits": [{"to": "self_sufficient", "share": 1.0, "at_month": 8}]},
}


def _config(states, *, start, years, per_year, population=None, resolution="year", members=None):
    raw = {
        "simulation": {
            "start_year": start,
            "years": years,
            "runs": 100,
            "seed": 3,
            "resolution": resolution,
        },
        "arrivals": {"per_year": per_year, "distribution": "fixed", "mix": {"adult": 1.0}},
        "groups": {
            "adult": {
                "start": "intro",
                "states": states,
                "costs": {
                    "intro": {"etablering": 10_000.0},
                    "income_support": {"bistand": 9_000.0},
                    "resident": {"admin": 500.0},
                },
                "payments": {
                    "schablon": {
                        "amount_by_arrival_year": {"2024": 180_000.0, "2025": 190_000.0},
                        "by_calendar_year": [0.25, 0.5, 0.25],
                        "relocated_share": 0.5,
                    }
                },
            }
        },
    }
    if population is not None:
        raw["population"] = {"rows": population}
    if members is not None:  # a household group (DESIGN §15): the rows count households
        raw["groups"]["adult"].update(members=members, per_household=["bistand"])
    return config_from_dict(raw)


def _implied_population(config, at_month: int) -> list[dict]:
    """The (arrival month, state, completed months) distribution at ``at_month`` that the
    expected arrivals of ``config`` imply, propagated month by month through its tables."""
    model = compile_model(config)
    stay, move = model.stay[0], model.move[0]  # [S, D], [S, D, S]
    S, D = stay.shape
    rows = []
    for a in range(at_month):
        n = int(model.fixed_arrivals[a, 0])
        if not n:
            continue
        dist = np.zeros((S, D))
        dist[INTRO, 0] = 1.0
        for _ in range(at_month - a):
            nxt = np.zeros_like(dist)
            kept = dist * stay
            nxt[:, 1:] += kept[:, :-1]
            nxt[:, D - 1] += kept[:, D - 1]
            nxt[:, 0] += np.einsum("sd,sdt->t", dist, move)
            dist = nxt
        counts = n * dist
        assert np.allclose(counts, np.round(counts), atol=1e-9), "the cohort does not split whole"
        year, month = divmod(a, 12)
        for s, d in zip(*np.nonzero(np.round(counts)), strict=True):
            rows.append(
                {
                    "arrival": f"{config.simulation.start_year + year}-{month + 1:02d}",
                    "group": "adult",
                    "state": STATES[s],
                    "months_in_state": int(d),  # column d: the (d + 1)-th month in the state
                    "count": round(float(counts[s, d])),
                }
            )
    return rows


@pytest.fixture(params=["random", "deterministic", "households"])
def restart(request):
    """(the run from 2024 with two years of arrivals, the run from 2026 with the implied
    population): the same people, seen from two starting points; with ``households`` the
    group is families of 4 (768 households a year) and the population counts households."""
    states = DETERMINISTIC_EXITS if request.param == "deterministic" else RANDOM_EXITS
    members = {"adult": 2, "child": 2} if request.param == "households" else None
    per_year = 768 * (4 if members else 1)
    early = _config(
        states, start=2024, years=7, per_year=[per_year, per_year, 0, 0, 0, 0, 0], members=members
    )
    rows = _implied_population(early, 24)
    late = _config(states, start=2026, years=5, per_year=0, population=rows, members=members)
    return early, late


def test_restart_gives_the_same_expected_path(restart):
    early, late = restart
    a, b = bk.expected(early).sel(year=slice(2026, None)), bk.expected(late)
    for var in ("revenue", "cost", "person_years", "persons", "households"):
        if var in a:
            np.testing.assert_allclose(a[var].values, b[var].values, rtol=1e-9, atol=1e-6)
    assert ("households" in a) == (compile_model(early).household.any())
    net_a, net_b = a["net"].values, b["net"].values
    np.testing.assert_allclose(net_a, net_b, rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_restart_gives_the_same_monte_carlo_means(restart, engine):
    early, late = restart
    runs = 400
    a = bk.simulate(early, runs=runs, seed=11, engine=engine).sel(year=slice(2026, None))
    b = bk.simulate(late, runs=runs, seed=12, engine=engine)
    for var in ("net", "revenue", "cost", "person_years", "persons"):
        se = np.sqrt(a[var].var("run", ddof=1) / runs + b[var].var("run", ddof=1) / runs)
        gap = np.abs(a[var].mean("run") - b[var].mean("run"))
        assert float((gap - 4 * se - 1e-6).max()) <= 0, var


@pytest.mark.parametrize(("engine", "runs"), [("numba", 1000), ("event", 1000), ("numpy", 200)])
def test_monte_carlo_mean_with_a_population_agrees_with_expected(restart, engine, runs):
    _, late = restart
    assert_mean_agrees_with_expected(
        late, runs, 7, engine, ("balance", "revenue", "cost", "person_years", "persons")
    )


# --------------------------------------------------------------------------------------
# One person, worked out by hand
# --------------------------------------------------------------------------------------
ONE = {
    "intro": {
        "max_months": 24,
        "on_expiry": {"income_support": 1.0},
        "exits": [{"to": "self_sufficient", "share": 0.5, "at_month": 12}],
    }
}


def _one(state="intro", months=10, arrival="2025-03"):
    row = {"arrival": arrival, "group": "adult", "state": state, "months_in_state": months}
    raw = _config(ONE, start=2026, years=3, per_year=0).to_dict()
    raw["population"] = {"rows": [{**row, "count": 1}]}
    if state == "relocated":  # a person can only have moved where moving is possible
        raw["groups"]["adult"]["relocation"] = {"annual_probability": 0.0}
    return config_from_dict(raw)


def test_one_person_continues_from_its_duration_as_worked_out_by_hand():
    """In intro for 10 completed months at the start: month 0 is its 11th, month 1 its 12th,
    after which half of all entrants (all of them still there) leave for work; the other
    half stay until the 24th month (month 13) and then move to income support."""
    config = _one()
    model = compile_model(config)
    occ = occupancy(model, 0, state=INTRO, months_in_state=10)
    by_hand = np.zeros((36, len(STATES)))
    by_hand[0:2, INTRO] = 1.0
    by_hand[2:14, INTRO] = 0.5
    by_hand[2:, SELF] = 0.5
    by_hand[14:, SUPPORT] = 0.5
    np.testing.assert_allclose(occ, by_hand, atol=1e-12)
    persons = bk.expected(config)["persons"].sel(group="adult")
    np.testing.assert_allclose(persons.values, by_hand[11::12], atol=1e-12)


def test_one_person_receives_exactly_the_outstanding_payment_parts():
    """Arrived March 2025 (amount of 2025: 190 000 kr): the first quarter was due in the
    arrival month, before the start; half is due in January 2026 and the last quarter in
    January 2027; moved away, it brings half of each (relocated_share = 0.5)."""
    revenue = bk.expected(_one())["revenue"].sel(component="schablon").values
    np.testing.assert_allclose(revenue, [0.5 * 190_000, 0.25 * 190_000, 0.0], rtol=1e-12)
    moved = bk.expected(_one(state="relocated", months=2))["revenue"].sel(component="schablon")
    np.testing.assert_allclose(moved.values, [0.25 * 190_000, 0.125 * 190_000, 0.0], rtol=1e-12)
    # arrived December 2024 (amount of 2024): only the last quarter, January 2026, is left
    earlier = bk.expected(_one(arrival="2024-12", months=13))["revenue"].sel(component="schablon")
    np.testing.assert_allclose(earlier.values, [0.25 * 180_000, 0.0, 0.0], rtol=1e-12)


@pytest.mark.parametrize("engine", ["numba", "event", "numpy"])
def test_one_person_in_every_run_pays_out_exactly(engine):
    """The payments of a population that never relocates are the same in every run."""
    ds = bk.simulate(_one(), runs=20, seed=1, engine=engine)
    revenue = ds["revenue"].sel(component="schablon").values
    np.testing.assert_array_equal(revenue, np.tile([0.5 * 190_000, 0.25 * 190_000, 0.0], (20, 1)))
    assert int(ds["persons"].sum(["group", "state"]).min()) == 1


# --------------------------------------------------------------------------------------
# Head counts and months (§12)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["numba", "event", "numpy"])
def test_monthly_and_yearly_variables_agree_exactly(restart, engine):
    early, _ = restart
    monthly = early.with_overrides({"simulation.resolution": "month"})
    ds = bk.simulate(monthly, runs=30, seed=5, engine=engine)
    runs, years = ds.sizes["run"], ds.sizes["year"]
    by_year = ds["revenue_month"].values.reshape(runs, years, 12, -1).sum(axis=2)
    np.testing.assert_array_equal(ds["revenue"].values, by_year)
    by_year = ds["cost_month"].values.reshape(runs, years, 12, -1).sum(axis=2)
    np.testing.assert_array_equal(ds["cost"].values, by_year)
    pm = ds["persons_month"].values.reshape(runs, years, 12, *ds["persons"].shape[2:])
    np.testing.assert_array_equal(ds["person_years"].values * 12, pm.sum(axis=2))
    # head counts: the persons of December
    np.testing.assert_array_equal(ds["persons"].values, pm[:, :, 11])
    december = ds["balance_month"].values[:, 11::12]
    np.testing.assert_allclose(december, ds["balance"].values, rtol=1e-12, atol=1e-3)
    assert str(ds["month"].values[0])[:7] == "2024-01" and ds.sizes["month"] == 12 * years


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_head_counts_equal_the_person_months_of_december(restart, engine):
    """Yearly resolution: December's head count against the monthly run of the same seed."""
    early, _ = restart
    yearly = bk.simulate(early, runs=20, seed=9, engine=engine)
    monthly = bk.simulate(
        early.with_overrides({"simulation.resolution": "month"}), runs=20, seed=9, engine=engine
    )
    np.testing.assert_array_equal(
        yearly["persons"].values, monthly["persons_month"].values[:, 11::12]
    )
    np.testing.assert_array_equal(yearly["person_years"].values, monthly["person_years"].values)


# --------------------------------------------------------------------------------------
# Common random numbers
# --------------------------------------------------------------------------------------
def _with_old_group(population):
    """Arriving adults and, in a group of its own with no arrivals, the population."""
    config = _config(RANDOM_EXITS, start=2026, years=4, per_year=120)
    raw = config.to_dict()
    raw["groups"]["old"] = {**raw["groups"]["adult"], "costs": {"intro": {"old_cost": 1.0}}}
    raw["groups"]["old"]["payments"] = {}
    raw["arrivals"]["mix"] = {"adult": 1.0, "old": 0.0}
    if population:
        raw["population"] = {
            "rows": [
                {"arrival": "2025-06", "group": "old", "state": "intro", "months_in_state": 6,
                 "count": 40},
                {"arrival": "2025-01", "group": "old", "state": "income_support",
                 "months_in_state": 3, "count": 25},
            ]
        }  # fmt: skip
    return config_from_dict(raw)


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_a_population_changes_no_draw_of_the_arriving_persons(engine):
    without = bk.simulate(_with_old_group(False), runs=50, seed=4, engine=engine)
    with_pop = bk.simulate(_with_old_group(True), runs=50, seed=4, engine=engine)
    for var in ("person_years", "persons"):
        np.testing.assert_array_equal(
            without[var].sel(group="adult").values, with_pop[var].sel(group="adult").values
        )
    assert float(with_pop["person_years"].sel(group="old").sum()) > 0
    adults = ["etablering", "bistand", "schablon"]
    np.testing.assert_array_equal(
        without["revenue"].sel(component=adults).values,
        with_pop["revenue"].sel(component=adults).values,
    )


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_monthly_resolution_changes_no_draw(engine):
    config = _with_old_group(True)
    yearly = bk.simulate(config, runs=40, seed=8, engine=engine)
    monthly = bk.simulate(
        config.with_overrides({"simulation.resolution": "month"}), runs=40, seed=8, engine=engine
    )
    for var in ("person_years", "persons", "arrivals"):
        np.testing.assert_array_equal(yearly[var].values, monthly[var].values)
    np.testing.assert_allclose(monthly["balance"].values, yearly["balance"].values, rtol=1e-12)


@pytest.mark.parametrize("engine", ["numba", "event", "numpy"])
def test_monthly_money_of_a_population_matches_the_yearly(restart, engine):
    """The population's payments and the parts its relocated persons lose, priced by month,
    add up to the yearly pricing of the same runs."""
    _, late = restart
    yearly = bk.simulate(late, runs=30, seed=2, engine=engine)
    monthly = bk.simulate(
        late.with_overrides({"simulation.resolution": "month"}), runs=30, seed=2, engine=engine
    )
    np.testing.assert_allclose(monthly["revenue"].values, yearly["revenue"].values, rtol=1e-12)
    np.testing.assert_allclose(monthly["cost"].values, yearly["cost"].values, rtol=1e-12)
