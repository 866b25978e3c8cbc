"""Södertälje 2008 (seed 000): the figures of the cost model, from ``expected``.

Each test starts from configs/sodertalje_2008.toml and changes only what isolates the figure
(e.g. one cohort of 900 adults), so the config's own exits, rates and payments are tested.
"""

from __future__ import annotations

import numpy as np
import pytest

import balanskonto as bk

N_SE = 4.0  # Monte Carlo standard errors
KR = 1.0  # tolerance in kronor: the config's monthly activities rate 4 166.67 is rounded
ADULTS_ONLY = {"arrivals.mix": {"adult": 1.0, "child": 0.0, "elderly": 0.0}}


def cost_of(ds, year=None):
    cost = ds["cost"].sel(year=year) if year is not None else ds["cost"].sum("year")
    return {c: float(cost.sel(component=c)) for c in ds["component"].values}


def test_a_full_introduction_costs_255_000_per_adult(sodertalje):
    # one adult a month for a year, each staying the whole 18 months of intro
    config = sodertalje.with_overrides(
        {
            **ADULTS_ONLY,
            "arrivals.per_year": [12],
            "groups.adult.states.intro.exits": [],
            "groups.adult.states.intro.on_expiry": {"self_sufficient": 1.0},
        }
    )
    ds = bk.expected(config)
    per_adult = {c: v / 12 for c, v in cost_of(ds).items()}
    assert per_adult["administration"] == pytest.approx(45_000, abs=KR)
    assert per_adult["allowance"] == pytest.approx(135_000, abs=KR)
    assert per_adult["activities"] == pytest.approx(75_000, abs=KR)
    assert sum(per_adult.values()) == pytest.approx(255_000, abs=KR)
    assert float(ds["person_years"].sel(group="adult", state="intro").sum()) == pytest.approx(18.0)


def test_the_prolonged_half_year_costs_70_000(sodertalje):
    config = sodertalje.with_overrides(
        {**ADULTS_ONLY, "arrivals.per_year": [12], "groups.adult.start": "prolonged"}
    )
    per_adult = {c: v / 12 for c, v in cost_of(bk.expected(config)).items()}
    assert per_adult["allowance"] == pytest.approx(45_000, abs=KR)
    assert per_adult["activities"] == pytest.approx(25_000, abs=KR)
    assert sum(per_adult.values()) == pytest.approx(70_000, abs=KR)


def test_income_support_costs_90_000_a_year(sodertalje):
    config = sodertalje.with_overrides(
        {**ADULTS_ONLY, "arrivals.per_year": [12], "groups.adult.start": "income_support"}
    )
    ds = bk.expected(config)
    # in the second year all 12 are on support for the whole year
    assert cost_of(ds, 2009)["allowance"] / 12 == pytest.approx(90_000, abs=KR)


def test_fifteen_percent_of_900_adults_cost_12_15_mkr_a_year(sodertalje):
    """One cohort of 900 adults: by 2011 everyone has passed intro (18 months) and the
    prolonged half year; 15 % (135 persons) remain on försörjningsstöd at 90 000 a year."""
    config = sodertalje.with_overrides({**ADULTS_ONLY, "arrivals.per_year": [900]})
    ds = bk.expected(config)
    support = ds["person_years"].sel(group="adult", state="income_support")
    assert float(support.sel(year=2011)) == pytest.approx(135.0, abs=1e-9)
    assert sum(cost_of(ds, 2011).values()) == pytest.approx(12_150_000, abs=KR)
    # 70 % out within 1.5 years (60 % self-sufficient + 10 % moved), 85 % after the half year
    py = ds["person_years"].sel(group="adult", year=2011)
    assert float(py.sel(state="self_sufficient")) == pytest.approx(0.75 * 900, abs=1e-9)
    assert float(py.sel(state="relocated")) == pytest.approx(0.10 * 900, abs=1e-9)


def test_schablon_parts_58_373_124_278_5_649(sodertalje):
    # gross parts: with the relocation discount switched off every adult brings 188 300
    config = sodertalje.with_overrides(
        {
            **ADULTS_ONLY,
            "arrivals.per_year": [900],
            "groups.adult.payments.schablon.relocated_share_of_amount": 1.0,
        }
    )
    schablon = bk.expected(config)["revenue"].sel(component="schablon")
    assert float(schablon.sel(year=2008)) / 900 == pytest.approx(58_373, abs=1e-6)
    assert float(schablon.sel(year=2009)) / 900 == pytest.approx(124_278, abs=1e-6)
    assert float(schablon.sel(year=2010)) / 900 == pytest.approx(5_649, abs=1e-6)
    assert float(schablon.sel(year=2011)) == 0.0


def test_half_the_schablon_for_those_who_move(sodertalje):
    """The document: "I intäktskalkylen har antagits att vi får halva schablonersättningen
    för de tio procenten som flyttar": per cohort, the revenue lost on movers is 10 % of the
    adults times half of 188 300 kr (children and the elderly do not move in this model)."""
    ds = bk.expected(sodertalje)
    schablon = float(ds["revenue"].sel(component="schablon").sum())
    arrivals = ds["arrivals"].sum("year")
    gross = sum(
        float(arrivals.sel(group=g)) * amount
        for g, amount in (("adult", 188_300), ("child", 119_500), ("elderly", 75_900))
    )
    adults_per_cohort = 897  # 69 % of 1 300
    assert ds["arrivals"].sel(group="adult").values[:3].tolist() == [adults_per_cohort] * 3
    lost_per_cohort = 0.10 * adults_per_cohort * 0.5 * 188_300
    assert gross - schablon == pytest.approx(3 * lost_per_cohort, abs=1e-4)
    # one cohort of 900 adults: 90 movers, 8 473 500 kr lost
    one = bk.expected(sodertalje.with_overrides({**ADULTS_ONLY, "arrivals.per_year": [900]}))
    lost = 900 * 188_300 - float(one["revenue"].sel(component="schablon").sum())
    assert lost == pytest.approx(8_473_500, abs=1e-4)


@pytest.mark.parametrize(("engine", "runs"), [("numba", 400), ("event", 400), ("numpy", 100)])
def test_the_movers_schablon_monte_carlo_agrees_with_expected(sodertalje, engine, runs):
    config = sodertalje.with_overrides(
        {**ADULTS_ONLY, "arrivals.per_year": [240, 240], "simulation.years": 4}
    )
    ex = bk.expected(config)["revenue"].sel(component="schablon").values
    schablon = bk.simulate(config, runs=runs, seed=11, engine=engine)["revenue"]
    x = schablon.sel(component="schablon").values  # [run, year]
    se = x.std(axis=0, ddof=1) / np.sqrt(runs)
    assert (se > 0).all()
    assert (np.abs(x.mean(axis=0) - ex) <= N_SE * se).all(), (x.mean(axis=0) - ex) / se


def test_the_per_part_rule_halves_the_parts_due_after_the_move(sodertalje):
    """The per-part rule (relocated_share), for payment rules followed part by part: the 2009
    and 2010 parts of an adult who has moved come at half. Moves are spread over the first 12
    months, so by January 2009 an adult arriving in month a (0 = January 2008) has moved with
    probability 0.10 · (12 − a) / 12, and by January 2010 with probability 0.10."""
    per_part = {
        "amount": 188300.0,
        "by_calendar_year": [0.31, 0.66, 0.03],
        "relocated_share": 0.5,
    }
    config = sodertalje.with_overrides(
        {**ADULTS_ONLY, "arrivals.per_year": [900], "groups.adult.payments.schablon": per_part}
    )
    schablon = bk.expected(config)["revenue"].sel(component="schablon")
    moved_by_2009 = sum(75 * 0.10 * (12 - a) / 12 for a in range(12))  # 75 adults a month
    assert float(schablon.sel(year=2008)) == pytest.approx(900 * 58_373, abs=1e-4)
    assert float(schablon.sel(year=2009)) == pytest.approx(
        900 * 124_278 - 0.5 * 124_278 * moved_by_2009, abs=1e-4
    )
    assert float(schablon.sel(year=2010)) == pytest.approx(900 * 5_649 - 0.5 * 5_649 * 90, abs=1e-4)


def test_grundersattning_every_year(sodertalje):
    ds = bk.expected(sodertalje)
    assert (ds["revenue"].sel(component="grundersattning") == 534_900).all()
