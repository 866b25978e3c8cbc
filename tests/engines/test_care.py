"""Unaccompanied minors and transitional housing (DESIGN §15, seeds 001 and 003): amounts per
day, leaving care by age, contracted places, refused claims, and scheduled amounts that start
later for a share of persons. Each mechanic against a calculation by hand on every engine
and ``expected``; the random ones within 4 standard errors; the refused claims' draws
deterministic; bad input named."""

from __future__ import annotations

import calendar

import numba
import numpy as np
import pytest

import balanskonto as bk
from balanskonto.config import ConfigError
from balanskonto.engines.arrivals import draw_arrivals
from balanskonto.engines.individual import numba_engine
from balanskonto.model import compile_model
from balanskonto.model.tables import base_tables

from conftest import make_config
from reference import simulate_run
from test_engines import assert_mean_agrees_with_expected

ENGINES = ["numba", "event", "numpy"]
DAYS = np.array([[calendar.monthrange(y, m)[1] for m in range(1, 13)] for y in (2020, 2021, 2022)])


def _minor(**extra) -> dict:
    """A minor in care (``intro`` standing in for HVB) who never leaves by an exit."""
    return {"start": "intro", **extra}


def _config(groups=None, per_year=(12, 0, 0), **sections) -> bk.Config:
    return make_config(groups or {"minor": _minor()}, per_year=list(per_year), **sections)


# --------------------------------------------------------------------------------------
# Amounts per day
# --------------------------------------------------------------------------------------
HVB = {"per_day": {"costs": {"intro": {"hvb": 1409.0}}, "revenue": {"intro": {"ersattning": 1350}}}}


def _hvb_by_hand() -> np.ndarray:
    """One arrival a month in 2020, nobody leaves: in 2020 the person of month a is there
    from a to December, so month t has t + 1 persons; 2021 and 2022 all 12, every day."""
    persons = np.vstack([np.arange(1, 13), np.full(12, 12), np.full(12, 12)])
    return (persons * DAYS).sum(axis=1)  # person-days a year


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("resolution", ["year", "month"])
def test_per_day_amounts_count_each_months_days(engine, resolution):
    config = _config({"minor": _minor(**HVB)}).with_overrides({"simulation.resolution": resolution})
    person_days = _hvb_by_hand()
    assert list(person_days) == [2384, 4380, 4380]  # Σ (t + 1)·days(t) in leap 2020
    for ds in (bk.simulate(config, runs=3, seed=1, engine=engine), bk.expected(config)):
        cost = ds["cost"].sel(component="hvb").values
        revenue = ds["revenue"].sel(component="ersattning").values
        np.testing.assert_allclose(cost.reshape(-1, 3), [1409.0 * person_days] * (cost.size // 3))
        np.testing.assert_allclose(revenue.reshape(-1, 3)[0], 1350.0 * person_days)
    if resolution == "month":
        ds = bk.simulate(config, runs=2, seed=1, engine=engine)
        feb = ds["cost_month"].sel(component="hvb").isel(run=0).values[1]
        assert feb == 1409.0 * 2 * 29  # two persons in February 2020, 29 days


def test_per_day_amounts_are_indexed_like_per_month_ones():
    config = _config({"minor": _minor(**HVB)}, indexation={"costs": 0.02})
    cost = bk.expected(config)["cost"].sel(component="hvb").values
    np.testing.assert_allclose(cost, 1409.0 * _hvb_by_hand() * 1.02 ** np.arange(3))


# --------------------------------------------------------------------------------------
# Leaving care by age
# --------------------------------------------------------------------------------------
def _leaving(age=16.5, to=None, exits=None) -> dict:
    return _minor(
        states={"intro": {"exits": exits or [{"to": "prolonged", "share": 0.5, "at_month": 6}]}},
        leaves_care={
            "age_at_arrival": age,
            "at_age": 18,
            "states": ["intro", "prolonged"],
            "to": to or {"self_sufficient": 1.0},
        },
    )


@pytest.mark.parametrize(("age", "months"), [(16, 24), (16.5, 18), (17.75, 3), (0, 216)])
def test_leaving_care_turns_ages_into_months(age, months):
    config = _config({"minor": _leaving(age)})
    assert config.groups["minor"].leaves_care.months == months


@pytest.mark.parametrize("engine", [*ENGINES, "expected"])
def test_leaving_care_at_18_by_hand(engine):
    """Arrived at 16½ in January 2020: 18 months in care (HVB, and half move to stödboende
    after 6), whatever the path, then self-sufficient from July 2021."""
    config = _config({"minor": _leaving()}, per_year=(1, 0, 0))
    if engine == "expected":
        ds = bk.expected(config)
    else:
        ds = bk.simulate(config, runs=50, seed=3, engine=engine)
    care = ds["person_years"].sel(group="minor", state=["intro", "prolonged"]).sum("state")
    after = ds["person_years"].sel(group="minor", state="self_sufficient")
    np.testing.assert_allclose(12 * care.values.reshape(-1, 3), [[12, 6, 0]] * (care.size // 3))
    np.testing.assert_allclose(12 * after.values.reshape(-1, 3), [[0, 6, 12]] * (care.size // 3))


@pytest.mark.parametrize(("engine", "runs"), [("numba", 1000), ("event", 1000), ("numpy", 200)])
def test_leaving_care_from_a_state_with_exits_and_a_split(engine, runs):
    """A hazard out of care (relocation) competes until the month of leaving; the split on
    leaving is drawn: the Monte Carlo mean agrees with ``expected``."""
    minor = _leaving(
        17,
        to={"income_support": 0.4, "relocated": 0.6},
        exits=[
            {"to": "prolonged", "share": 0.5, "within_months": 10},
            {"to": "relocated", "annual_probability": 0.2},
        ],
    )
    minor["costs"] = {"income_support": {"bistand": 8000}}
    minor["per_day"] = {"costs": {"intro": {"hvb": 1409}}, "revenue": {"resident": {"dygn": 750}}}
    # parts due after a move are lost: relocated dues counted by month (per-day amounts)
    minor["payments"] = {"schablon": {"amount": 52000, "installments": [
        {"month": 0, "share": 0.5}, {"month": 14, "share": 0.5}]}}  # fmt: skip
    rows = [
        {
            "arrival": "2019-06",
            "group": "minor",
            "state": "prolonged",
            "months_in_state": 2,
            "count": 9,
        }
    ]
    config = _config({"minor": minor}, per_year=(60, 24, 12), population={"rows": rows})
    assert_mean_agrees_with_expected(config, runs, 11, engine)


def test_leaving_care_bit_for_bit_as_the_naive_reference():
    """The stepping kernel and the slow reference (tests/reference.py) draw the same uniforms
    and leave care in the same month to the same destination."""
    minor = _leaving(
        16.75,
        to={"income_support": 0.5, "relocated": 0.5},
        exits=[
            {"to": "prolonged", "share": 0.4, "within_months": 4},
            {"to": "relocated", "annual_probability": 0.3},
        ],
    )
    minor["payments"] = {"schablon": {"amount": 1000, "by_calendar_year": [0.5, 0.5]}}
    model = compile_model(_config({"minor": minor}, per_year=(30, 20, 10)))
    run_ids = np.array([0, 5])
    arrivals = draw_arrivals(model, 4, run_ids)
    counts = numba_engine(model, 4, run_ids, arrivals, base_tables(model))
    for i, run in enumerate(run_ids):
        pm, reloc = simulate_run(model, 4, int(run), arrivals[i])
        np.testing.assert_array_equal(counts.person_months[i], pm)
        np.testing.assert_array_equal(counts.relocated_dues[i], reloc)
    left = counts.person_months[..., model.states.index("income_support")].sum()
    assert left > 0  # some left care for the split's first state


def test_a_population_row_still_in_care_after_leaving_age_is_refused():
    rows = [
        {
            "arrival": "2018-01",
            "group": "minor",
            "state": "intro",
            "months_in_state": 23,
            "count": 1,
        }
    ]
    with pytest.raises(ConfigError) as err:
        _config({"minor": _leaving()}, population={"rows": rows})
    assert "population.rows[0]" in str(err.value) and "left care" in str(err.value)


# --------------------------------------------------------------------------------------
# Contracted places
# --------------------------------------------------------------------------------------
def test_contracted_places_are_paid_whether_used_or_not():
    """10 HVB places a day at 1 409 kr (2020 has 366 days), 4 flats at 9 000 kr a month
    in 2020 and 2 in 2021, against the per-day revenue of the minors: the deficit grows as
    the minors leave care."""
    contracted = {
        "hvb_platser": {"places": 10, "per_day": 1409.0},
        "lagenheter": {"places": [4, 2], "per_month": 9000.0},
    }
    config = _config({"minor": _leaving()}, fixed={"contracted": contracted})
    for resolution in ("year", "month"):
        cfg = config.with_overrides({"simulation.resolution": resolution})
        for ds in (bk.expected(cfg), bk.simulate(cfg, runs=5, seed=2)):
            places = ds["cost"].sel(component="hvb_platser").values.reshape(-1, 3)
            np.testing.assert_allclose(places, [14090.0 * DAYS.sum(axis=1)] * len(places))
            flats = ds["cost"].sel(component="lagenheter").values.reshape(-1, 3)
            np.testing.assert_allclose(flats, [[432_000, 216_000, 0]] * len(flats))
    monthly = bk.simulate(config.with_overrides({"simulation.resolution": "month"}), runs=1)
    feb = monthly["cost_month"].sel(component=["hvb_platser", "lagenheter"]).values[0, 1]
    np.testing.assert_allclose(feb, [14090.0 * 29, 36_000])


# --------------------------------------------------------------------------------------
# Refused claims
# --------------------------------------------------------------------------------------
CLAIMS = {
    "avslag": {"probability": 0.3, "lag_years": 1, "amount": [1_000_000, 2_000_000]},
    "avslag_del": {"probability": 0.5, "lag_years": 2, "share": 0.25, "of": "ersattning"},
}


def _claims_config(**kw) -> bk.Config:
    return _config({"minor": _minor(**HVB)}, refused_claims=CLAIMS, **kw)


def test_refused_claims_expected_is_probability_times_amount_at_the_lag():
    ds = bk.expected(_claims_config())
    np.testing.assert_allclose(ds["cost"].sel(component="avslag"), [0, 300_000, 600_000])
    revenue_2020 = 1350.0 * _hvb_by_hand()[0]
    np.testing.assert_allclose(
        ds["cost"].sel(component="avslag_del"), [0, 0, 0.5 * 0.25 * revenue_2020]
    )


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_refused_claims_monte_carlo_agrees_with_expected(engine):
    config = _claims_config()
    ds = bk.simulate(config, runs=2000, seed=5, engine=engine)
    loss = ds["cost"].sel(component="avslag").values
    # each run loses all of a claim year's amount or nothing
    assert set(np.unique(loss[:, 1])) == {0.0, 1_000_000.0}
    assert_mean_agrees_with_expected(config, 2000, 5, engine, ("balance", "cost"))
    # the draws are kept per run and claim year
    refused = ds["yearly_factor"].sel(yearly_factor_name="claim:avslag").values
    np.testing.assert_array_equal(loss[:, 1:], 1_000_000 * refused[:, :2] * [1, 2])


@pytest.mark.parametrize("engine", ENGINES)
def test_claims_and_leaving_care_are_deterministic_whatever_the_chunking(engine):
    """Same seed, same results for chunks of 7 runs, and for the first 60 of 100 runs; another
    seed, other results (the claims' draws and the care paths)."""
    minor = _leaving(exits=[{"to": "relocated", "annual_probability": 0.2}]) | HVB
    config = _config({"minor": minor}, refused_claims=CLAIMS)
    a = bk.simulate(config, runs=60, seed=9, engine=engine)
    b = bk.simulate(config, runs=60, seed=9, engine=engine, chunk_runs=7)
    c = bk.simulate(config, runs=100, seed=9, engine=engine, chunk_runs=33)
    for var in ("cost", "revenue", "person_years", "yearly_factor"):
        np.testing.assert_array_equal(a[var].values, b[var].values)
        np.testing.assert_array_equal(a[var].values, c[var].values[:60])
    other = bk.simulate(config, runs=60, seed=10, engine=engine)
    assert not np.array_equal(a["cost"].values, other["cost"].values)


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_thread_count_does_not_change_the_care_results(engine):
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 numba threads")
    minor = _leaving(exits=[{"to": "relocated", "annual_probability": 0.2}]) | HVB
    config = _config({"minor": minor}, refused_claims=CLAIMS)
    previous = numba.get_num_threads()
    try:
        results = []
        for threads in (1, 2):
            numba.set_num_threads(threads)
            ds = bk.simulate(config, runs=64, seed=3, engine=engine)
            results.append(np.stack([ds["cost"].values, ds["revenue"].values]))
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(results[0], results[1])


def test_a_refused_claim_in_its_month():
    config = _claims_config().with_overrides(
        {"simulation.resolution": "month", "refused_claims.avslag.month": 3}
    )
    ds = bk.simulate(config, runs=400, seed=1)
    loss = ds["cost_month"].sel(component="avslag").values  # [run, month]
    assert set(np.flatnonzero(loss.any(axis=0))) <= {12 + 2, 24 + 2}


# --------------------------------------------------------------------------------------
# Transitional housing: scheduled amounts that start later, for a share of persons
# --------------------------------------------------------------------------------------
def test_temporary_housing_follows_transitional_housing_for_a_share():
    """Genomgångsbostad for 24 months (rent 4 000 kr a month from the occupant, the flat
    contracted), then tillfälligt boende at 5 000 kr a month for the 20 % without their own
    housing: one arrival in January 2020 who stays."""
    adult = {
        "start": "self_sufficient",
        "scheduled_revenue": {"hyra": {"amount": 4000, "months": 24}},
        "scheduled_costs": {
            "tillfalligt": {"amount": 5000, "months": 12, "from_month": 24, "share_of_persons": 0.2}
        },
    }
    flats = {"lagenheter": {"places": 2, "per_month": 4000}}  # two flats, one occupant
    config = _config({"adult": adult}, per_year=(1, 0, 0), fixed={"contracted": flats})
    for ds in [bk.expected(config)] + [bk.simulate(config, runs=2, engine=e) for e in ENGINES]:
        vacancy = ds["cost"].sel(component="lagenheter") - ds["revenue"].sel(component="hyra")
        np.testing.assert_allclose(vacancy.values.reshape(-1, 3)[0], [48_000, 48_000, 96_000])
        np.testing.assert_allclose(
            ds["revenue"].sel(component="hyra").values.reshape(-1, 3)[0], [48_000, 48_000, 0]
        )
        np.testing.assert_allclose(
            ds["cost"].sel(component="tillfalligt").values.reshape(-1, 3)[0], [0, 0, 12_000]
        )


# --------------------------------------------------------------------------------------
# Bad input: the dotted path, the value and the rule
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("patch", "path", "rule"),
    [
        (
            {
                "leaves_care": {
                    "age_at_arrival": 16.1,
                    "at_age": 18,
                    "states": ["intro"],
                    "to": {"self_sufficient": 1.0},
                }
            },
            "groups.minor.leaves_care",
            "whole number of months",
        ),
        (
            {
                "leaves_care": {
                    "age_at_arrival": 19,
                    "at_age": 18,
                    "states": ["intro"],
                    "to": {"self_sufficient": 1.0},
                }
            },
            "groups.minor.leaves_care",
            "≥ 1",
        ),
        (
            {
                "leaves_care": {
                    "age_at_arrival": 16,
                    "at_age": 18,
                    "states": ["intro"],
                    "to": {"self_sufficient": 0.5},
                }
            },
            "groups.minor.leaves_care.to",
            "sum to 1",
        ),
        (
            {"per_day": {"costs": {"intro": {"hvb": -1409}}}},
            "groups.minor.per_day.costs.intro.hvb",
            "greater than or equal to 0",
        ),
        (
            {"scheduled_costs": {"x": {"amount": 1, "by_calendar_year": [1.0], "from_month": 3}}},
            "groups.minor.scheduled_costs.x",
            "from_month goes with months",
        ),
    ],
)
def test_bad_group_input_is_named(patch, path, rule):
    with pytest.raises(ConfigError) as err:
        _config({"minor": _minor(**patch)})
    assert path in str(err.value) and rule in str(err.value)


@pytest.mark.parametrize(
    ("claim", "path", "rule"),
    [
        (
            {"probability": 1.5, "lag_years": 2, "amount": 1},
            "refused_claims.avslag.probability",
            "less than or equal to 1",
        ),
        ({"probability": 0.5, "lag_years": 2}, "refused_claims.avslag", "exactly one of amount"),
        (
            {"probability": 0.5, "lag_years": 2, "share": 0.2, "of": "nothing"},
            "refused_claims.avslag.of",
            "names no revenue component",
        ),
        (
            {"probability": 0.5, "lag_years": 2, "amount": [1, 2, 3, 4]},
            "refused_claims.avslag.amount",
            "more entries",
        ),
    ],
)
def test_bad_claims_are_named(claim, path, rule):
    with pytest.raises(ConfigError) as err:
        _config({"minor": _minor(**HVB)}, refused_claims={"avslag": claim})
    assert path in str(err.value) and rule in str(err.value)


def test_contracted_places_need_one_price():
    with pytest.raises(ConfigError) as err:
        _config(fixed={"contracted": {"hvb": {"places": 3}}})
    assert "fixed.contracted.hvb" in str(err.value) and "exactly one of per_day" in str(err.value)
