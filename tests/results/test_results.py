"""The output Dataset (DESIGN §6) and its NetCDF file."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import balanskonto as bk
from balanskonto.results.files import write_netcdf
from balanskonto.results.metadata import METADATA


@pytest.fixture(scope="module")
def ds(example):
    return bk.simulate(example, runs=200, seed=4)


def test_variables_dimensions_and_units(ds):
    dims = {
        "balance": ("run", "year"),
        "net": ("run", "year"),
        "revenue": ("run", "year", "component"),
        "cost": ("run", "year", "component"),
        "person_years": ("run", "year", "group", "state"),
        "arrivals": ("run", "year", "group"),
        "balance_quantile": ("quantile", "year"),
        "deficit_quantile": ("quantile", "year"),
        "p_deficit": ("year",),
        "expected_balance": ("year",),
        "mc_standard_error": ("year",),
    }
    for name, d in dims.items():
        assert ds[name].dims == d
    for name in ds.data_vars:
        assert ds[name].attrs["units"] == METADATA[name][0], name
        assert ds[name].attrs["long_name"]
    assert ds["year"].values.tolist() == list(range(2026, 2034))
    assert ds["state"].values.tolist() == [
        "intro",
        "prolonged",
        "self_sufficient",
        "income_support",
        "relocated",
    ]


def test_summaries_follow_from_the_run_level_values(ds):
    balance = ds["balance"].values
    np.testing.assert_allclose(
        ds["net"], ds["revenue"].sum("component") - ds["cost"].sum("component")
    )
    np.testing.assert_allclose(balance, 8_000_000 + np.cumsum(ds["net"].values, axis=1))
    q = ds["quantile"].values
    np.testing.assert_allclose(ds["balance_quantile"], np.quantile(balance, q, axis=0))
    np.testing.assert_allclose(
        ds["deficit_quantile"], np.quantile(np.maximum(0, -balance), q, axis=0)
    )
    np.testing.assert_allclose(ds["p_deficit"], (balance < 0).mean(axis=0))
    np.testing.assert_allclose(ds["expected_balance"], balance.mean(axis=0))
    np.testing.assert_allclose(ds["mc_standard_error"], balance.std(axis=0, ddof=1) / np.sqrt(200))


def test_depletion_year_is_the_first_negative_year(example):
    poor = bk.simulate(example.with_overrides({"balance.opening": -1e9}), runs=5, seed=1)
    assert (poor["depletion_year"] == 2026).all()
    rich = bk.simulate(example.with_overrides({"balance.opening": 1e12}), runs=5, seed=1)
    assert rich["depletion_year"].isnull().all()


def test_provenance(ds, example):
    text = example.toml
    assert ds.attrs["config_toml"] == text
    assert ds.attrs["config_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert ds.attrs["seed"] == 4 and ds.attrs["runs"] == 200 and ds.attrs["engine"] == "numba"
    assert ds.attrs["balanskonto_version"] == bk.__version__
    assert ds.attrs["created"].endswith("Z")
    assert ds.attrs["title"].startswith("Exempelkommun")


def test_netcdf_round_trip(ds, tmp_path):
    path = write_netcdf(ds, tmp_path / "out" / "x.nc")
    back = xr.load_dataset(path)
    xr.testing.assert_identical(back, ds)
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.nc"]


def test_a_failed_write_leaves_nothing(ds, tmp_path, monkeypatch):
    def broken(self, path, **kwargs):
        Path(path).write_text("half a file")
        raise OSError("disk full")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", broken)
    with pytest.raises(OSError, match="disk full"):
        write_netcdf(ds, tmp_path / "x.nc")
    assert list(tmp_path.iterdir()) == []


def test_quantile_standard_error_matches_the_spread_over_independent_seeds(example):
    """40 independent seeds of 400 runs: the standard deviation of P5 and P50 over the seeds
    against the mean reported standard error. A standard deviation estimated from 40 values
    has a relative standard error of about 1 / sqrt(2 · 39) = 11 %; the estimator itself is
    biased by up to about 20 % upwards at n·q = 20 (docstring of quantile_standard_error).
    So the ratio must lie in [1 − 4 · 0.11, (1 + 4 · 0.11) · 1.2] = [0.56, 1.73]."""
    config = example.with_overrides(
        {"simulation.years": 4, "arrivals.per_year": [120, 120, 100, 100]}
    )
    q5, q50, se5, se50 = [], [], [], []
    for seed in range(40):
        ds = bk.simulate(config, runs=400, seed=1000 + seed)
        last = ds.isel(year=-1)
        q5.append(float(last["balance_quantile"].sel(quantile=0.05)))
        q50.append(float(last["balance_quantile"].sel(quantile=0.5)))
        se5.append(float(last["balance_quantile_se"].sel(quantile=0.05)))
        se50.append(float(last["balance_quantile_se"].sel(quantile=0.5)))
    for values, se in ((q5, se5), (q50, se50)):
        ratio = np.std(values, ddof=1) / np.mean(se)
        assert 0.56 <= ratio <= 1.73, ratio


def test_p_deficit_standard_error_and_path_risk(example):
    ds = bk.simulate(example, runs=300, seed=8)
    p = ds["p_deficit"].values
    np.testing.assert_allclose(ds["p_deficit_se"], np.sqrt(p * (1 - p) / 300))
    first = ds["depletion_year"].values
    for i, y in enumerate(ds["year"].values):
        assert ds["p_first_depletion"].values[i] == pytest.approx((first == y).mean())
        assert ds["p_depleted_by"].values[i] == pytest.approx((first <= y).mean())
    assert float(ds["p_never_depleted"]) == pytest.approx(np.isnan(first).mean())


def test_reserve_standard_error_matches_the_spread_over_independent_seeds(example):
    """The reserve needed moves from one block of runs to the next (about 0.3 Mkr for the
    example's last year): 40 independent seeds of 400 runs, the standard deviation of the 95 %
    reserve over the seeds against the mean reported standard error. As for the quantiles
    above (the reserve is the 95 % quantile of the runs' shortfalls, n·(1 − q) = 20), the
    ratio must lie in [0.56, 1.73]."""
    reserve, se = [], []
    for seed in range(40):
        last = bk.simulate(example, runs=400, seed=2000 + seed).isel(year=-1).sel(level=0.95)
        reserve.append(float(last["reserve_needed"]))
        se.append(float(last["reserve_needed_se"]))
    assert min(reserve) > 0
    ratio = np.std(reserve, ddof=1) / np.mean(se)
    assert 0.56 <= ratio <= 1.73, ratio
    assert last["reserve_needed_se"].attrs["units"] == "SEK"
    assert "standard error" in last["reserve_needed_se"].attrs["long_name"]


@pytest.mark.parametrize("level", [0.90, 0.95])
def test_reserve_needed_keeps_p_deficit_within_the_level(example, level):
    """Opening balance = the reserve for year Y gives p_deficit <= 1 - level through Y, on
    the same runs (the run-level results do not depend on the opening balance)."""
    ds = bk.simulate(example, runs=400, seed=3)
    opening = example.balance.opening
    for i in range(ds.sizes["year"]):
        reserve = float(ds["reserve_needed"].sel(level=level).isel(year=i))
        balance = ds["balance"].values[:, : i + 1] - opening + reserve
        assert (balance < 0).any(axis=1).mean() <= 1 - level + 1e-12
    # and on a re-simulation with that opening balance, the same
    last = float(ds["reserve_needed"].sel(level=level).isel(year=-1))
    again = bk.simulate(example.with_overrides({"balance.opening": last}), runs=400, seed=3)
    assert (again["balance"] < 0).any("year").mean() <= 1 - level + 1e-12
    assert (again["p_deficit"] <= 1 - level + 1e-12).all()


#: Units that UDUNITS (and so CF) cannot parse, kept on purpose (docs/output.md).
NOT_UDUNITS = {"SEK"}


def test_the_file_follows_cf_conventions(ds, tmp_path):
    path = write_netcdf(ds, tmp_path / "r.nc")
    with xr.open_dataset(path) as back:
        assert back.attrs["Conventions"] == "CF-1.10"
        assert "units" not in back["year"].attrs  # a calendar year is a label, not a time
        assert back["year"].attrs["long_name"] == "calendar year"
        for name, var in back.data_vars.items():
            if var.dtype.kind in "fiu":
                assert var.attrs.get("units"), name
            if var.attrs.get("units") == "SEK":
                assert var.attrs["currency"] == "SEK", name
        assert back["p_deficit"].attrs["units"] == "1"
        # counts have CF's unit 1 and say what they count in their own attribute
        for name, quantity in {
            "persons": "persons",
            "arrivals": "persons",
            "person_years": "person_years",
        }.items():
            assert back[name].attrs["units"] == "1", name
            assert back[name].attrs["quantity"] == quantity, name
        cf_xarray = pytest.importorskip("cf_xarray")
        assert cf_xarray  # registers the .cf accessor
        described = back.cf.keys()  # cf-xarray reads the attributes without complaint
        assert "year" not in back.cf.axes.get("T", [])
        assert described is not None
        pint = pytest.importorskip("pint")
        from cf_xarray.units import units as cf_units

        for name, var in back.variables.items():
            unit = var.attrs.get("units")
            if unit and unit not in NOT_UDUNITS:
                assert isinstance(cf_units.Unit(unit), pint.Unit), name


@pytest.mark.skipif(shutil.which("cfchecks") is None, reason="the CF checker is not installed")
def test_the_cf_checker_finds_no_errors_but_the_currency(ds, tmp_path):
    path = write_netcdf(ds, tmp_path / "r.nc")
    done = subprocess.run(["cfchecks", str(path)], capture_output=True, text=True, check=False)
    errors = [line for line in done.stdout.splitlines() if line.startswith("ERROR")]
    assert all("SEK" in line for line in errors), errors
