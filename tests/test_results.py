"""The output Dataset (DESIGN §6) and its NetCDF file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import balanskonto as bk
from balanskonto.results import METADATA, write_netcdf


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
