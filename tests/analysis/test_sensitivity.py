"""Sensitivity: tornado, one-at-a-time swings, variance by layer."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import balanskonto as bk
from balanskonto.analysis.sensitivity import LAYERS, one_at_a_time, tornado, variance_by_layer
from balanskonto.engines.draws import level_quantile

from conftest import uncertain_config

UNCERTAIN = {
    "labour_market": {"sd": 0.5, "autocorrelation": 0.5},
    "levels": {
        "allowance": {"dist": "lognormal", "sd": 0.3},
        "sfi": {"dist": "uniform", "min": 0.99, "max": 1.01},
    },
}


@pytest.fixture(scope="module")
def config():
    return uncertain_config(UNCERTAIN)


def test_tornado_ranks_the_big_cost_factor_first(config):
    ds = bk.simulate(config, runs=1500, seed=3)
    t = tornado(ds)
    final = t.isel(year=-1)
    rho = final["rank_correlation"].to_series()
    assert rho["level:allowance"] < -0.3  # more costly support, lower balance
    assert rho["labour_market (mean)"] > 0.1  # a better labour market, higher balance
    # the sfi level barely matters: within 4 standard errors of zero for a rank correlation
    assert abs(rho["level:sfi"]) < 4 / np.sqrt(1500 - 1)
    src = final["standardised_coefficient"].to_series()
    assert abs(src["level:allowance"]) > abs(src["level:sfi"])
    # the rank correlation is scipy's Spearman on the stored draws
    f = ds["factor"].sel(factor_name="level:allowance").values
    expected = stats.spearmanr(f, ds["balance"].isel(year=-1).values).statistic
    assert rho["level:allowance"] == pytest.approx(expected)


def test_tornado_without_factors_is_none(sodertalje):
    assert tornado(bk.simulate(sodertalje, runs=5)) is None
    assert one_at_a_time(sodertalje, runs=5) is None


def test_one_at_a_time_swing_of_a_level_is_exact(config):
    oat = one_at_a_time(config, runs=200, seed=4)
    assert set(oat["factor"].values) == {"level:allowance", "level:sfi", "labour_market"}
    # common random numbers and a linear factor: the swing is the cost at the median
    # times the difference of the factor's P90 and P10, exactly
    median = bk.simulate(config, runs=200, seed=4, factors_at={"*": 0.5})
    cost = median["cost"].sel(component="allowance").mean("run").cumsum("year")
    params = {"sd": 0.3}
    lo, hi, mid = (level_quantile("lognormal", params, np.array([q]))[0] for q in (0.1, 0.9, 0.5))
    swing = oat["swing"].sel(factor="level:allowance")
    np.testing.assert_allclose(swing, -(hi - lo) / mid * cost, rtol=1e-9)
    # a strong labour market (P90) helps the balance
    assert (oat["swing"].sel(factor="labour_market").isel(year=slice(1, None)) > 0).all()


def test_variance_by_layer_adds_up_and_is_zero_where_nothing_varies(sodertalje, config):
    v = variance_by_layer(config, runs=300, seed=5)
    assert v["layer"].values.tolist() == list(LAYERS)
    np.testing.assert_allclose(v["contribution"].sum("layer"), v["variance"].isel(layer=-1))
    # fixed arrivals and no arrivals factor: switching arrivals on changes nothing at all
    np.testing.assert_array_equal(v["contribution"].sel(layer="arrivals"), 0.0)
    assert (v["contribution"].sel(layer="labour_market").isel(year=-1) > 0).all()
    assert (v["contribution"].sel(layer="parameters").isel(year=-1) > 0).all()
    # the core model has only the individual layer
    core = variance_by_layer(sodertalje.with_overrides({"simulation.years": 4}), runs=100)
    np.testing.assert_array_equal(core["contribution"].isel(layer=slice(1, None)), 0.0)


def test_sensitivity_command_prints_and_writes(tmp_path, capsys, config):
    import xarray as xr

    from balanskonto import config as config_module  # the package: read_config re-exported
    from balanskonto.cli import main

    path = tmp_path / "c.toml"
    import tomli_w

    path.write_text(tomli_w.dumps(config.to_dict()))
    assert config_module.read_config(path).uncertainty.levels
    out = tmp_path / "s.nc"
    assert main(["sensitivity", str(path), "--runs", "200", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "level:allowance" in text and "Variance of the balance by layer" in text
    assert "The P5 runs against the median runs" in text
    ds = xr.load_dataset(out)
    assert {"rank_correlation", "swing", "layer_share", "tail_attribution"} <= set(ds.data_vars)
    # the tail attribution adds up to the gap between the two sets of runs
    tail = ds["tail_attribution"]
    assert tail.attrs["n_tail"] >= 10 and tail.attrs["n_median"] >= 20
    assert float(tail.sum()) == pytest.approx(tail.attrs["balance_gap"], rel=1e-9)
    assert tail.attrs["balance_gap"] < 0  # the P5 runs are below the median runs
    assert main(["sensitivity", str(path), "--runs", "20", "--year", "1990"]) == 2


def test_exempel_2026_has_every_uncertainty_and_runs(capsys):
    from conftest import CONFIGS

    config = bk.load_config(CONFIGS / "exempel_2026.toml")
    unc = config.uncertainty
    assert unc.labour_market and unc.arrivals and unc.levels and unc.shares and config.policy
    ds = bk.simulate(config, runs=200, seed=1)
    assert set(ds["yearly_factor_name"].values) == {"labour_market", "arrivals"}
    assert len(ds["factor_name"]) == len(unc.levels) + len(unc.shares) + len(config.policy)
    # a shared factor widens the spread well beyond individual noise alone
    v = variance_by_layer(config, runs=200, seed=1)
    assert float(v["share"].sel(layer="individual").isel(year=-1)) < 0.5
