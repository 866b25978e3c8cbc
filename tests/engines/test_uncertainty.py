"""Second-stage uncertainty: factor draws, their effect on transitions and money."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import balanskonto as bk
from balanskonto.config import STATES
from balanskonto.engines.draws import (
    central,
    draw,
    factor_uniforms,
    level_quantile,
    share_quantile,
)
from balanskonto.engines.expected import occupancy
from balanskonto.model import RELOCATED, compile_model
from balanskonto.model.folding import chunk_tables
from balanskonto.model.tables import _shock
from balanskonto.model.transitions import monthly_hazard

from conftest import make_config, uncertain_config

N_SE = 4.0
SELF, SUPPORT = STATES.index("self_sufficient"), STATES.index("income_support")
RUNS = 20_000


def mean_ok(x: np.ndarray, mean: float) -> bool:
    return abs(x.mean() - mean) <= N_SE * x.std(ddof=1) / np.sqrt(len(x))


def variance_ok(x: np.ndarray, variance: float) -> bool:
    n, m2, m4 = len(x), x.var(), ((x - x.mean()) ** 4).mean()
    se = np.sqrt((m4 - m2**2 * (n - 3) / (n - 1)) / n)
    return abs(x.var(ddof=1) - variance) <= N_SE * se


# --- the draws ------------------------------------------------------------------------------
def test_factor_uniforms_are_uniform_and_keyed():
    u = factor_uniforms(7, "level:allowance", np.arange(RUNS), 3)
    assert u.shape == (RUNS, 3) and u.min() > 0 and u.max() < 1
    for col in u.T:
        assert stats.kstest(col, "uniform").pvalue > 1e-3
    # keyed: a run's uniforms do not depend on the other runs; names and seeds separate streams
    np.testing.assert_array_equal(
        u[123], factor_uniforms(7, "level:allowance", np.array([123]), 3)[0]
    )
    assert not np.array_equal(u, factor_uniforms(7, "level:schablon", np.arange(RUNS), 3))
    assert not np.array_equal(u, factor_uniforms(8, "level:allowance", np.arange(RUNS), 3))
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < N_SE / np.sqrt(RUNS)


LEVELS = [
    ("lognormal", {"sd": 0.2}, 1.0, np.exp(0.04) - 1),
    ("lognormal", {"sd": 0.1, "mean": 1.1}, 1.1, 1.21 * (np.exp(0.01) - 1)),
    ("normal", {"sd": 0.05, "mean": 1.02}, 1.02, 0.0025),
    ("uniform", {"min": 0.9, "max": 1.2}, 1.05, 0.09 / 12),
    (
        "triangular",
        {"min": 0.8, "mode": 1.0, "max": 1.5},
        3.3 / 3,
        (0.64 + 1 + 2.25 - 0.8 - 1.2 - 1.5) / 18,
    ),
    (
        "pert",
        {"min": 0.8, "mode": 1.0, "max": 1.5},
        (0.8 + 4 + 1.5) / 6,
        ((6.3 / 6 - 0.8) * (1.5 - 6.3 / 6)) / 7,
    ),
]


@pytest.mark.parametrize(("dist", "params", "mean", "variance"), LEVELS)
def test_level_draws_match_their_stated_moments(dist, params, mean, variance):
    u = factor_uniforms(11, "x", np.arange(RUNS), 1)[:, 0]
    x = level_quantile(dist, params, u)
    assert mean_ok(x, mean), (x.mean(), mean)
    assert variance_ok(x, variance), (x.var(), variance)
    if "min" in params:
        assert x.min() >= params["min"] and x.max() <= params["max"]


def test_share_draws_beta_and_uniform():
    config = uncertain_config(
        {
            "shares": {
                "groups.adult.states.intro.exits[0].share": {"mean": 0.5, "sd": 0.08},
                "groups.adult.states.self_sufficient.exits[0].annual_probability": {
                    "min": 0.02,
                    "max": 0.1,
                },
            }
        }
    )
    model = compile_model(config)
    d = draw(model, 3, np.arange(RUNS))
    assert mean_ok(d.shares[:, 0], 0.5) and variance_ok(d.shares[:, 0], 0.08**2)
    assert mean_ok(d.shares[:, 1], 0.06) and variance_ok(d.shares[:, 1], 0.08**2 / 12)
    assert share_quantile(model.shares[0], np.array([0.5]))[0] == pytest.approx(0.5, abs=1e-12)


def test_labour_market_is_a_stationary_ar1():
    config = uncertain_config({"labour_market": {"sd": 0.4, "autocorrelation": 0.6, "mean": -0.2}})
    z = draw(compile_model(config), 5, np.arange(RUNS)).labour
    for y in (0, 5):
        assert mean_ok(z[:, y], -0.2) and variance_ok(z[:, y], 0.16)
    r = np.corrcoef(z[:, 2], z[:, 3])[0, 1]
    assert abs(r - 0.6) <= N_SE * (1 - 0.36) / np.sqrt(RUNS)  # SE of a correlation


def test_arrival_multiplier_lognormal_and_scenarios():
    lognormal = uncertain_config({"arrivals": {"sd": 0.3, "autocorrelation": 0.5}})
    m = draw(compile_model(lognormal), 1, np.arange(RUNS)).arrivals
    assert mean_ok(m[:, 0], 1.0) and variance_ok(m[:, 0], np.exp(0.09) - 1)
    weights = [
        {"factor": 0.5, "weight": 0.2},
        {"factor": 1.0, "weight": 0.5},
        {"factor": 1.5, "weight": 0.3},
    ]
    scen = uncertain_config({"arrivals": {"scenarios": weights}})
    m = draw(compile_model(scen), 1, np.arange(RUNS)).arrivals
    assert (m == m[:, :1]).all()  # held for the whole horizon
    for w in weights:
        share = (m[:, 0] == w["factor"]).mean()
        assert abs(share - w["weight"]) <= N_SE * np.sqrt(w["weight"] * (1 - w["weight"]) / RUNS)


def test_policy_happens_with_its_probability():
    config = uncertain_config(
        policy=[{"component": "schablon", "from_year": 2022, "factor": 0.9, "probability": 0.3}]
    )
    p = draw(compile_model(config), 9, np.arange(RUNS)).policies[:, 0]
    assert set(np.unique(p)) == {0.9, 1.0}
    assert abs((p == 0.9).mean() - 0.3) <= N_SE * np.sqrt(0.21 / RUNS)


# --- effects ----------------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_labour_market_with_sd_0_is_bit_identical_to_the_core(engine):
    core = bk.simulate(uncertain_config(), runs=50, seed=4, engine=engine)
    flat = bk.simulate(
        uncertain_config({"labour_market": {"sd": 0.0}}), runs=50, seed=4, engine=engine
    )
    for var in ("balance", "revenue", "cost", "person_years", "arrivals"):
        np.testing.assert_array_equal(core[var].values, flat[var].values)
    assert "yearly_factor" in flat and (flat["yearly_factor"] == 0).all()
    assert "factor" not in core and "yearly_factor" not in core


def test_shares_of_0_and_1_stay_put_under_any_shock():
    q = np.zeros((1, 1, 5, 3, 5))
    q[0, 0, 0, 0, SELF] = 0.0
    q[0, 0, 0, 1, SELF] = 1.0
    q[0, 0, 0, 2, SELF] = 0.3
    q[0, 0, 2, 0, SUPPORT] = 1.0
    z = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    out = _shock(q, z, effect=1.5, relapse=1.0)
    assert (out[0, :, 0, 0, 0, SELF] == 0.0).all()
    assert (out[0, :, 0, 0, 1, SELF] == 1.0).all()
    assert (out[0, :, 0, 2, 0, SUPPORT] == 1.0).all()
    moved = out[0, :, 0, 0, 2, SELF]
    assert np.all(np.diff(moved) > 0)  # a stronger labour market, more exits to work
    assert moved[2] == 0.3  # z = 0 leaves q exactly as it was
    np.testing.assert_allclose(moved, 1 - 0.7 ** np.exp(1.5 * z[0]))


def _expiry_only_config():
    """One adult a month in 2020; intro ends after 12 months by an on_expiry split only (no
    exits anywhere), and the labour market is fixed at z = −0.7 in every year."""
    groups = {
        "adult": {
            "start": "intro",
            "states": {
                "intro": {
                    "max_months": 12,
                    "on_expiry": {
                        "self_sufficient": 0.6,
                        "income_support": 0.3,
                        "prolonged": 0.1,
                    },
                }
            },
        }
    }
    raw = make_config(groups, years=3, per_year=[12]).to_dict()
    raw["uncertainty"] = {"labour_market": {"sd": 0.0, "mean": -0.7}}
    from balanskonto.config import config_from_dict

    return config_from_dict(raw)


def _shifted_split(z: float = -0.7, effect: float = 1.0) -> dict[str, float]:
    work = 1 - (1 - 0.6) ** np.exp(effect * z)
    rest = (1 - work) / 0.4  # the other destinations keep their proportions 3 : 1
    return {"self_sufficient": work, "income_support": 0.3 * rest, "prolonged": 0.1 * rest}


def test_the_labour_market_shifts_the_work_share_of_an_expiry_split():
    config = _expiry_only_config()
    split = _shifted_split()
    # exact: the cohort's occupancy after expiry, from the plan's tables …
    model = compile_model(config)
    occ = occupancy(model, 0, chunk_tables(model, central(model)))
    for state, share in split.items():
        assert occ[12, STATES.index(state)] == pytest.approx(share, abs=1e-12)
    # … and in expected: in 2022 all twelve have passed expiry and stay where it put them
    ex = bk.expected(config)["person_years"].sel(group="adult", year=2022)
    for state, share in split.items():
        assert float(ex.sel(state=state)) == pytest.approx(12 * share, abs=1e-9)
    assert split["self_sufficient"] < 0.6 - 0.2  # far from the unshifted split


@pytest.mark.parametrize("engine", ["numba", "event", "numpy"])
def test_the_monte_carlo_follows_the_shifted_expiry_split(engine):
    config = _expiry_only_config()
    ds = bk.simulate(config, runs=400, seed=31, engine=engine)
    py = ds["person_years"].sel(group="adult", year=2022)
    for state, share in _shifted_split().items():
        x = py.sel(state=state).values
        assert mean_ok(x, 12 * share), (state, x.mean(), 12 * share)


def test_weak_labour_market_lowers_and_spreads_the_balance():
    base = bk.simulate(uncertain_config(), runs=400, seed=2)
    weak = bk.simulate(uncertain_config({"labour_market": {"mean": -1.0}}), runs=400, seed=2)
    spread = bk.simulate(uncertain_config({"labour_market": {"sd": 0.8}}), runs=400, seed=2)
    final = {
        k: v["balance"].isel(year=-1).values
        for k, v in (("base", base), ("weak", weak), ("spread", spread))
    }
    # common random numbers: a weak labour market lowers the balance of every run
    assert np.all(final["weak"] < final["base"])
    # a shared factor spreads the final balance: Levene's test and the variance ratio
    assert final["spread"].var() > 2 * final["base"].var()
    assert stats.levene(final["spread"], final["base"]).pvalue < 1e-6


def test_level_factors_multiply_their_component_run_by_run():
    config = uncertain_config({"levels": {"allowance": {"dist": "lognormal", "sd": 0.2}}})
    base = bk.simulate(uncertain_config(), runs=100, seed=8)
    ds = bk.simulate(config, runs=100, seed=8)
    f = ds["factor"].sel(factor_name="level:allowance").values
    np.testing.assert_allclose(
        ds["cost"].sel(component="allowance"),
        base["cost"].sel(component="allowance") * f[:, None],
        rtol=1e-12,
    )
    np.testing.assert_array_equal(
        ds["cost"].sel(component="sfi"), base["cost"].sel(component="sfi")
    )


def test_policy_changes_payments_by_arrival_year_and_items_by_calendar_year():
    config = uncertain_config(
        policy=[
            {"component": "schablon", "from_year": 2021, "factor": 0.9},
            {"component": "admin", "from_year": 2023, "factor": 0.0},
        ]
    )
    base, pol = bk.expected(uncertain_config()), bk.expected(config)
    s0 = base["revenue"].sel(component="schablon").values
    s1 = pol["revenue"].sel(component="schablon").values
    # 2020 arrivals keep the full schablon, also for the part paid in 2021
    assert s1[0] == s0[0]
    # 2021: the 2020 cohort's second half in full, the 2021 cohort's first half (60 persons,
    # paid in the arrival month, 0.5 · 150 000 each) at 90 %
    assert s1[1] == pytest.approx(s0[1] - 0.1 * 60 * 0.5 * 150_000, abs=1e-6)
    assert s1[2] == pytest.approx(0.9 * s0[2], abs=1e-6)
    np.testing.assert_allclose(pol["cost"].sel(component="admin"), [5e5, 5e5, 5e5, 0, 0, 0])


def test_expected_evaluates_the_plan_at_the_factor_means():
    policy = [{"component": "admin", "from_year": 2020, "factor": 0.0, "probability": 0.25}]
    config = uncertain_config(
        {"levels": {"allowance": {"dist": "uniform", "min": 1.0, "max": 1.4}}}, policy=policy
    )
    base, ex = bk.expected(uncertain_config()), bk.expected(config)
    np.testing.assert_allclose(
        ex["cost"].sel(component="allowance"), 1.2 * base["cost"].sel(component="allowance")
    )
    np.testing.assert_allclose(ex["cost"].sel(component="admin"), 0.75 * 5e5)
    # the factors that act linearly average out exactly: MC mean = expected (4 SE)
    ds = bk.simulate(config, runs=2000, seed=12)
    mean = ds["balance"].mean("run")
    se = ds["balance"].std("run", ddof=1) / np.sqrt(2000)
    assert (abs(mean - ex["balance"]) <= N_SE * se).all()


def test_uncertain_share_is_reproduced_by_the_run_tables():
    config = uncertain_config(
        {"shares": {"groups.adult.states.intro.exits[0].share": {"mean": 0.5, "sd": 0.1}}}
    )
    model = compile_model(config)
    d = draw(model, 1, np.arange(20))
    t = chunk_tables(model, d)
    for r in range(20):
        alive, to_self = 1.0, 0.0
        for row in range(12):
            to_self += alive * t.move[r, 0, 0, 0, row, SELF]
            alive *= t.stay[r, 0, 0, 0, row]
        assert to_self == pytest.approx(d.shares[r, 0], abs=1e-12)


def test_infeasible_share_draws_are_pulled_back_to_fit():
    # 0.5 within 12 + 0.1 at 6 fit; a draw near 0.95 would need more than is left
    config = uncertain_config(
        {"shares": {"groups.adult.states.intro.exits[0].share": {"min": 0.3, "max": 0.99}}}
    )
    model = compile_model(config)
    d = draw(model, 2, np.arange(200))
    drawn = d.shares[:, 0].copy()
    t = chunk_tables(model, d)
    assert np.all(d.shares[:, 0] <= drawn + 1e-15)
    assert np.any(d.shares[:, 0] < drawn - 1e-3)  # some were pulled back
    assert np.all(t.stay >= 0) and np.all(t.move >= 0)
    np.testing.assert_allclose(t.stay + t.move.sum(axis=-1), 1.0, atol=1e-12)


def _relocation_range_config(low: float, high: float):
    """Relocation hazard uncertain in [low, high]; intro takes any hazard, but the prolonged
    state's exits (15 % of its entrants a month for 6 months) leave no room for a high one."""
    config = uncertain_config()
    raw = config.to_dict()
    adult = raw["groups"]["adult"]
    adult["relocation"] = {"annual_probability": 0.1}
    adult["states"]["intro"]["exits"] = [
        {"to": "self_sufficient", "share": 0.3, "within_months": 12}
    ]
    adult["states"]["intro"]["on_expiry"] = {"prolonged": 1.0}
    adult["states"]["prolonged"] = {
        "max_months": 6,
        "on_expiry": {"income_support": 1.0},
        "exits": [{"to": "self_sufficient", "share": 0.9, "within_months": 6}],
    }
    raw["uncertainty"] = {
        "shares": {"groups.adult.relocation.annual_probability": {"min": low, "max": high}}
    }
    from balanskonto.config import config_from_dict

    return config_from_dict(raw)


def test_a_pulled_back_share_is_the_value_used_in_every_state():
    config = _relocation_range_config(0.0, 0.9)
    model = compile_model(config)
    d = draw(model, 2, np.arange(200))
    drawn = d.shares[:, 0].copy()
    t = chunk_tables(model, d)
    used = d.shares[:, 0]
    assert np.any(used < drawn - 0.1) and np.any(used == drawn)  # only sometimes pulled back
    # the last row of every state's table is its hazards alone: the value used, in all of them
    last = t.move[:, 0, 0, :RELOCATED, -1, RELOCATED]  # [run, state]
    for s in range(RELOCATED):
        np.testing.assert_allclose(last[:, s], monthly_hazard(used), rtol=1e-12)
    np.testing.assert_allclose(t.stay + t.move.sum(axis=-1), 1.0, atol=1e-12)


def test_a_share_range_that_no_draw_can_honour_is_refused():
    _relocation_range_config(0.05, 0.6)  # sometimes honoured: accepted
    with pytest.raises(bk.ConfigError) as info:
        compile_model(_relocation_range_config(0.7, 0.9))
    message = str(info.value)
    for fragment in (
        'uncertainty.shares."groups.adult.relocation.annual_probability"',
        "'min': 0.7, 'max': 0.9",
        "no run can draw a value that fits",
        "'prolonged'",
        "values above about 0.3 never fit",
    ):
        assert fragment in message, (fragment, message)


def test_the_share_of_runs_pulled_back_is_recorded():
    ds = bk.simulate(_relocation_range_config(0.0, 0.9), runs=300, seed=2)
    pulled = ds.attrs["shares_pulled_back"]
    name = "share:groups.adult.relocation.annual_probability"
    drawn = draw(compile_model(_relocation_range_config(0.0, 0.9)), 2, np.arange(300)).shares
    used = ds["factor"].sel(factor_name=name).values
    assert pulled == pytest.approx(np.mean(used < drawn[:, 0]), abs=1e-12)
    assert 0.2 < pulled < 0.8
    assert name in ds.attrs["shares_pulled_back_by_factor"]
    assert bk.simulate(uncertain_config(), runs=5, seed=2).attrs.get("shares_pulled_back") is None


def test_factor_draws_are_stored_and_reproducible(example):
    config = example.with_overrides(
        {
            "uncertainty": {
                "labour_market": {"sd": 0.3},
                "levels": {"sfi": {"dist": "normal", "sd": 0.05}},
            }
        }
    )
    a = bk.simulate(config, runs=30, seed=5)
    b = bk.simulate(config, runs=30, seed=5, chunk_runs=7)
    np.testing.assert_array_equal(a["factor"].values, b["factor"].values)
    np.testing.assert_array_equal(a["yearly_factor"].values, b["yearly_factor"].values)
    np.testing.assert_array_equal(a["balance"].values, b["balance"].values)
    assert a["factor"].dims == ("run", "factor_name")
    assert a["yearly_factor"].dims == ("run", "year", "yearly_factor_name")
    assert a["factor_name"].values.tolist() == ["level:sfi"]
    assert a["yearly_factor_name"].values.tolist() == ["labour_market"]


def test_unknown_component_or_share_path_is_a_config_error(example):
    with pytest.raises(bk.ConfigError, match=r"uncertainty\.levels\.nonexistent"):
        example.with_overrides(
            {"uncertainty": {"levels": {"nonexistent": {"dist": "normal", "sd": 0.1}}}}
        )
    with pytest.raises(bk.ConfigError, match=r"exits\[7\]"):
        example.with_overrides(
            {
                "uncertainty": {
                    "shares": {"groups.adult.states.intro.exits[7].share": {"min": 0.1, "max": 0.2}}
                }
            }
        )
    with pytest.raises(bk.ConfigError, match=r"policy\[0\]\.from_year"):
        example.with_overrides({"policy": [{"component": "sfi", "from_year": 1990, "factor": 0.5}]})


def test_a_scenario_can_switch_on_uncertainty_missing_from_its_base(sodertalje):
    """DESIGN §9: "uncertainty.labour_market.mean" = -1.0 on a base without uncertainty."""
    down = sodertalje.with_overrides({"uncertainty.labour_market.mean": -1.0})
    assert down.uncertainty.labour_market.mean == -1.0
    assert down.uncertainty.labour_market.sd == 0.0
    extra = sodertalje.with_overrides({"fixed.costs.tolk": 100.0})
    assert extra.fixed.costs == {"tolk": 100.0}
    # a misspelt table is still an error that names it
    with pytest.raises(bk.ConfigError, match=r"uncertainty\.labour_markt"):
        sodertalje.with_overrides({"uncertainty.labour_markt.mean": -1.0})
    with pytest.raises(bk.ConfigError, match=r"groups\.nobody"):
        sodertalje.with_overrides({"groups.nobody.states.intro.max_months": 3})
