"""configs/ensamkommande.toml (seeds 001 and 003, DESIGN §15): the figures the documents state,
and the Monte Carlo mean against the exact expectation on both individual engines."""

from __future__ import annotations

import calendar
from pathlib import Path

import numpy as np
import pytest

import balanskonto as bk

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "ensamkommande.toml"
CARE = ["hvb", "stodboende_avtal", "stodboende", "familjehem"]
N_SE = 4.0


def assert_within_standard_errors(sim, exact, runs):
    """Mean over runs within 4 standard errors of the exact value, per element (float
    rounding only where every run agrees)."""
    se = sim.std("run", ddof=1) / np.sqrt(runs)
    excess = np.abs(sim.mean("run") - exact) - (N_SE * se + 1e-9 * np.abs(exact) + 1e-6)
    assert float(excess.max()) <= 0, f"{sim.name}: {excess.where(excess > 0, drop=True)}"


@pytest.fixture(scope="module")
def config() -> bk.Config:
    return bk.load_config(CONFIG)


@pytest.fixture(scope="module")
def plan(config) -> bk.Config:
    return bk.expected(config)


def test_the_care_states_are_the_configs_own(config):
    assert config.state_names == (*CARE, "eget_boende", "relocated")
    assert config.labels["hvb"] == "HVB"


def test_hvb_a_day_is_the_documents_month(config):
    """Seed 003: 42 857 kr a month = 1 409 kr a day (× 12 / 365); each month's HVB cost is
    1 409 kr times the youths in HVB times the month's days (31 in January, 28 in February
    2018, …)."""
    assert abs(42_857 * 12 / 365 - 1409) < 0.5
    assert config.groups["minor_16"].per_day.costs["hvb"]["hvb"] == 1409
    ds = bk.simulate(config.with_overrides({"simulation.resolution": "month"}), runs=20)
    days = np.array([calendar.monthrange(2018 + t // 12, t % 12 + 1)[1] for t in range(48)])
    in_hvb = ds["persons_month"].sel(state="hvb").sum("group")
    np.testing.assert_allclose(ds["cost_month"].sel(component="hvb"), 1409 * in_hvb * days)
    assert list(days[1::12]) == [28, 28, 29, 28]  # February; 2020 a leap year


def test_nackas_deficit_of_2018(plan):
    """Seed 001: "minus nästan 41 miljoner kronor" for 2018, of which about 15 Mkr of the 2016
    claim refused in November 2018, so about −26 Mkr for 2018 itself. The plan (the 2016
    claim refused with probability 0.5) is sized to that: its 2018 net without the refused
    claims is −26 Mkr within 1 Mkr, and the refusal adds 15 Mkr (−41)."""
    net = float(plan["net"].sel(year=2018))
    claims = float(plan["cost"].sel(year=2018, component="avslag_2016"))
    assert claims == pytest.approx(0.5 * 15e6)
    without = net + claims
    assert abs(without - -26e6) < 1e6, without
    assert abs(without - 15e6 - -41e6) < 1e6


def test_contracted_places_show_the_deficit_as_the_minors_leave(plan):
    """118 places at 1 700 kr a dygn are paid in 2018 whoever occupies them (and 14.55 on
    average in 2019, to mid-February); the 90 youths in them turn 18 by September 2018, so
    the places are paid for and empty in the last months: the contract costs more than the
    compensation its occupants bring."""
    places = plan["cost"].sel(component="stodboende_platser").values
    np.testing.assert_allclose(places, [118 * 1700 * 365, 14.55 * 1700 * 365, 0, 0])
    occupied = plan["person_years"].sel(state="stodboende_avtal").sum("group").values
    # by hand: 60 arrived in October 2015 at 15 stay January–September 2018 (9 months), 30
    # arrived in September 2016 at 16 stay January–August (8), less the relocation hazard
    # of 5 % a year, month by month
    r = 0.95 ** (1 / 12)
    months = 60 * sum(r**k for k in range(9)) + 30 * sum(r**k for k in range(8))
    np.testing.assert_allclose(occupied, [months / 12, 0, 0, 0], rtol=1e-12)
    assert (plan["persons"].sel(state="stodboende_avtal").sum("group").values == 0).all()
    # the contract costs more than twice the compensation its occupants bring in 2018
    assert places[0] > 2 * 1350 * 365 * occupied[0]


def test_leaving_care_empties_the_care_states(plan):
    """Everyone in care at the start has turned 18 by 2021 (the latest, 15 when arriving in
    October 2015 ... arrivals of 2021 at 15 are still in care)."""
    care = plan["persons"].sel(state=CARE).sum(["group", "state"]).values
    assert care[0] > care[1] > 0


@pytest.mark.parametrize("engine", ["numba", "event"])
def test_monte_carlo_mean_agrees_with_expected(config, plan, engine):
    ds = bk.simulate(config, runs=2000, seed=2018, engine=engine)
    for var in ("balance", "revenue", "cost", "person_years", "persons", "arrivals"):
        assert_within_standard_errors(ds[var], plan[var], 2000)


def test_refused_2016_claim_is_all_or_nothing_per_run(config):
    ds = bk.simulate(config, runs=2000, seed=7)
    loss = ds["cost"].sel(component="avslag_2016", year=2018).values
    assert set(np.unique(loss)) == {0.0, 15e6}
    assert_within_standard_errors(
        ds["cost"].sel(component="avslag_2016"),
        bk.expected(config)["cost"].sel(component="avslag_2016"),
        2000,
    )
