"""Scenario batches (DESIGN §9): loading and validating a batch file, the grid, running with
common random numbers, the comparisons with the reference and the ``batch`` command."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import balanskonto as bk
from balanskonto import batch as bt
from balanskonto.batch import runner as batch_runner
from balanskonto.cli import batch as batch_cli
from balanskonto.config import ConfigError

from conftest import CONFIGS

RUNS, SEED = 6, 11


def _batch_file(folder: Path, body: str, name: str = "scen.toml") -> Path:
    """A batch file next to a copy of Södertälje 2008 (base given relative to the batch)."""
    shutil.copy(CONFIGS / "sodertalje_2008.toml", folder / "sodertalje_2008.toml")
    path = folder / name
    path.write_text(f'base = "sodertalje_2008.toml"\n{body}', encoding="utf-8")
    return path


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


THREE = f"""runs = {RUNS}
seed = {SEED}
[scenarios.bas]
[scenarios.fler_mottagna]
"arrivals.per_year" = [1500, 1500, 1500]
[scenarios.tolk]
"groups.adult.costs.intro.tolk" = 400.0
"""


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> tuple[bt.Batch, xr.Dataset]:
    batch = bt.load_batch(_batch_file(tmp_path_factory.mktemp("three"), THREE))
    return batch, bt.run_batch(batch)


# --------------------------------------------------------------------------------------
# A batch is its scenarios' single runs, with the same seed
# --------------------------------------------------------------------------------------
def test_a_batch_equals_single_runs_with_the_same_seed(three):
    batch, ds = three
    assert list(ds["scenario"].values) == ["bas", "fler_mottagna", "tolk"]
    base = bk.load_config(CONFIGS / "sodertalje_2008.toml")
    overrides = {
        "bas": {},
        "fler_mottagna": {"arrivals.per_year": [1500, 1500, 1500]},
        "tolk": {"groups.adult.costs.intro.tolk": 400.0},
    }
    for name, ov in overrides.items():
        assert batch.scenario(name).overrides == ov
        single = bk.simulate(base.with_overrides(ov) if ov else base, runs=RUNS, seed=SEED)
        got = ds.sel(scenario=name)
        for var in ("balance", "net", "p_deficit", "balance_quantile"):
            np.testing.assert_array_equal(got[var].values, single[var].values)
        comps = single["component"].values
        for var in ("revenue", "cost"):
            np.testing.assert_array_equal(
                got[var].sel(component=comps).transpose(*single[var].dims).values,
                single[var].values,
            )
        np.testing.assert_array_equal(
            got["person_years"].transpose(*single["person_years"].dims).values,
            single["person_years"].values,
        )
        np.testing.assert_array_equal(got["arrivals"].values, single["arrivals"].values)
        assert got["scenario_config_toml"].item() == single.attrs["config_toml"]
        assert got["scenario_config_sha256"].item() == single.attrs["config_sha256"]


def test_a_component_of_one_scenario_only_is_zero_in_the_others(three):
    _, ds = three
    assert "tolk" in ds["component"].values
    assert list(ds["component"].values) == sorted(ds["component"].values)
    tolk = ds["cost"].sel(component="tolk")
    assert (tolk.sel(scenario=["bas", "fler_mottagna"]) == 0).all()
    assert (tolk.sel(scenario="tolk").sum("year") > 0).all()
    assert (ds["revenue"].sel(component="tolk") == 0).all()


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_the_written_batch_is_the_in_memory_one_when_scenarios_differ_in_shape(
    three, tmp_path, suffix
):
    """The output is laid out before the first run from one run of each distinct shape of
    scenario (tolk adds a component): what is written equals run_batch's Dataset, the
    component 0 in the scenarios without it."""
    batch, ds = three
    written = bt.write_batch(batch, tmp_path / f"b{suffix}", chunk_runs=4).load()
    a, b = written.copy(), ds.copy()
    for x in (a, b):
        x.attrs.pop("created")
    xr.testing.assert_identical(a, b)


def test_each_scenario_is_written_into_the_output_once_as_it_completes(
    tmp_path, three, monkeypatch
):
    """No second copy: as a scenario's last chunk comes in, its values are written into the
    output (a temporary file next to it, renamed at the end), once, and nothing else holds
    them on disk (before: a NetCDF of each scenario in <out>.parts/datasets/, copied into
    the output at the end)."""
    from balanskonto.batch.output import BatchOutput

    batch, ds = three
    out = tmp_path / "b.nc"
    seen: list[tuple[int, bool, list[str]]] = []
    write = BatchOutput.write

    def spy(self, u, unit):
        write(self, u, unit)
        in_file = np.asarray(self._file["cost"][u])  # read through the open file
        on_disk = sorted(p.name for p in (tmp_path / "b.nc.parts").iterdir())
        assert self.tmp.parent == tmp_path and self.tmp.name.startswith(".b.nc.")
        seen.append((u, bool(np.array_equal(in_file, ds["cost"].values[u])), on_disk))

    monkeypatch.setattr(BatchOutput, "write", spy)
    bt.write_batch(batch, out, chunk_runs=4)
    assert [(u, equal) for u, equal, _ in seen] == [(0, True), (1, True), (2, True)]
    for _, _, on_disk in seen:  # the chunks (for --resume), their manifest, journal, lock
        assert all(p.endswith((".npz", ".json", ".txt")) for p in on_disk), on_disk
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.nc"]


def test_provenance_per_scenario_and_for_the_batch(three):
    batch, ds = three
    base_text = (CONFIGS / "sodertalje_2008.toml").read_text(encoding="utf-8")
    assert ds["scenario_config_toml"].sel(scenario="bas").item() == base_text
    assert ds["scenario_overrides"].sel(scenario="bas").item() == ""
    assert (
        ds["scenario_overrides"].sel(scenario="fler_mottagna").item()
        == '"arrivals.per_year" = [1500, 1500, 1500]'
    )
    assert "tolk = 400.0" in ds["scenario_config_toml"].sel(scenario="tolk").item()
    assert ds.attrs["batch_toml"] == batch.text
    assert ds.attrs["batch_sha256"] == batch.sha256
    assert (ds.attrs["seed"], ds.attrs["runs"], ds.attrs["engine"]) == (SEED, RUNS, "numba")
    assert ds.attrs["reference"] == "bas"
    for key in ("balanskonto_version", "created", "title"):
        assert ds.attrs[key]
    for name, var in ds.data_vars.items():
        assert var.attrs.get("long_name"), name
        if var.dtype.kind in "fiu":
            assert var.attrs.get("units"), name
    assert ds["balance"].attrs["units"] == "SEK"
    assert ds["p_worse"].attrs["units"] == "1"


def test_the_reference_against_itself(three):
    _, ds = three
    ref = ds.sel(scenario="bas")
    assert (ref["balance_difference"] == 0).all()
    assert (ref["balance_difference_se"] == 0).all()
    assert (ref["p_worse"] == 0).all()
    pairwise = ds["p_worse_pairwise"].values
    np.testing.assert_array_equal(np.diag(pairwise), 0.0)
    assert (pairwise + pairwise.T <= 1.0).all()


def test_comparisons_are_paired_differences(three):
    _, ds = three
    bal = ds["balance"].transpose("scenario", "run", "year").values
    diff = bal[1] - bal[0]
    np.testing.assert_allclose(ds["balance_difference"].values[1], diff.mean(axis=0))
    np.testing.assert_allclose(
        ds["balance_difference_se"].values[1], diff.std(axis=0, ddof=1) / np.sqrt(RUNS)
    )
    np.testing.assert_array_equal(ds["p_worse"].values[1], (diff < 0).mean(axis=0))
    np.testing.assert_array_equal(
        ds["p_worse_pairwise"].values[2, 1], (bal[2, :, -1] < bal[1, :, -1]).mean()
    )


# --------------------------------------------------------------------------------------
# Common random numbers
# --------------------------------------------------------------------------------------
def test_a_higher_cost_lowers_the_balance_in_every_run_from_its_first_year(tmp_path):
    path = _batch_file(
        tmp_path,
        """runs = 8
seed = 3
[scenarios.bas]
[scenarios.dyrare]
"groups.adult.costs.income_support.allowance" = 8000
""",
    )
    ds = bt.run_batch(path)
    bas, dyrare = (
        ds["balance"].sel(scenario=s).transpose("run", "year").values for s in ds.scenario.values
    )
    months = (
        ds["person_years"]
        .sel(scenario="bas", group="adult", state="income_support")
        .transpose("run", "year")
        .values
    ) * 12
    assert (months.sum(axis=1) > 0).all()
    first = np.argmax(months > 0, axis=1)  # the first year adults are on income support
    assert (first >= 1).all()  # so that "equal before" is tested
    years = np.arange(bas.shape[1])
    before = years[None, :] < first[:, None]
    np.testing.assert_array_equal(dyrare[before], bas[before])
    assert (dyrare[~before] < bas[~before]).all()
    # the same persons: the difference is 500 kr a month of income support, run by run
    np.testing.assert_allclose(dyrare - bas, -500.0 * np.cumsum(months, axis=1), rtol=1e-9)
    p_worse = ds["p_worse"].sel(scenario="dyrare").values
    assert (p_worse[: first.min()] == 0).all() and (p_worse[first.max() :] == 1).all()


# --------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------
def test_an_unknown_override_names_the_file_scenario_and_path(tmp_path):
    path = _batch_file(
        tmp_path,
        """[scenarios.bas]
[scenarios.fler_mottagna]
"arrivals.per_yeer" = [1500, 1500, 1500]
""",
    )
    with pytest.raises(ConfigError) as err:
        bt.load_batch(path)
    msg = str(err.value)
    assert str(path) in msg
    assert 'scenarios.fler_mottagna."arrivals.per_yeer"' in msg
    assert "unknown key" in msg


def test_an_override_below_a_missing_key_names_it(tmp_path):
    path = _batch_file(tmp_path, '[scenarios.x]\n"groups.adultt.costs.intro.allowance" = 1\n')
    with pytest.raises(ConfigError, match=r'scenarios\.x\."groups\.adultt\.costs') as err:
        bt.load_batch(path)
    assert "no such key" in str(err.value)


def test_a_bad_value_from_the_grid_names_the_scenario(tmp_path):
    path = _batch_file(
        tmp_path,
        '[scenarios.bas]\n[grid]\n"groups.adult.states.intro.max_months" = [18, 12]\n',
    )
    with pytest.raises(ConfigError) as err:
        bt.load_batch(path)
    msg = str(err.value)
    assert "'bas/max_months=12'" in msg
    assert 'grid."groups.adult.states.intro.max_months"' in msg
    assert "after max_months = 12" in msg


def test_every_scenario_is_validated_before_anything_runs(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(batch_runner, "run_chunks", lambda *a, **k: calls.append(a))
    path = _batch_file(
        tmp_path,
        """[scenarios.bas]
[scenarios.ok]
"arrivals.per_year" = [1000]
[scenarios.last]
"groups.adult.states.intro.exits[2].share" = 1.5
""",
    )
    with pytest.raises(ConfigError, match=r"scenarios\.last\.\"groups.*exits\[2\]\.share\""):
        bt.run_batch(path)
    assert calls == []


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("runs = 5\n", "no scenarios"),
        ("[scenarios]\n", "no scenarios"),
        ("scenario = 1\n[scenarios.a]\n", "scenario: unknown key in a batch file"),
        ('reference = "b"\n[scenarios.a]\n', r"reference: must name a scenario \(a\)"),
        ("runs = 0\n[scenarios.a]\n", "runs: must be a whole number"),
        ('seed = "1"\n[scenarios.a]\n', "seed: must be a whole number"),
        ("[scenarios.a]\n[grid]\n", "grid: is empty"),
        ('[grid]\n"arrivals.per_year" = []\n', r'grid\."arrivals.per_year": an empty sweep'),
        ('[grid]\n"arrivals.per_year" = 1000\n', r'grid\."arrivals.per_year": a sweep is a list'),
        ("[scenarios]\na = 1\n", "scenarios.a: a scenario is a table"),
        (
            '[scenarios.a]\n"simulation.runs" = 5\n',
            r'scenarios\.a\."simulation\.runs": the simulation table is shared',
        ),
        (
            '[scenarios.a]\n"arrivals.per_year" = 1000\n[grid]\n"arrivals" = [{}]\n',
            r'scenarios\.a\."arrivals\.per_year": is also swept by grid\."arrivals"',
        ),
    ],
)
def test_bad_batches_are_rejected(tmp_path, body, match):
    path = _batch_file(tmp_path, body)
    with pytest.raises(ConfigError, match=match) as err:
        bt.load_batch(path)
    assert str(err.value).startswith(f"{path}: ")


def test_a_missing_or_bad_base_is_named(tmp_path):
    path = tmp_path / "b.toml"
    path.write_text('base = "nowhere.toml"\n[scenarios.a]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"b\.toml: base: .*nowhere\.toml: no such config file"):
        bt.load_batch(path)
    path.write_text("[scenarios.a]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="base: required key is missing"):
        bt.load_batch(path)


# --------------------------------------------------------------------------------------
# The grid
# --------------------------------------------------------------------------------------
def test_expand_grid_names_and_order():
    grid = {
        "groups.adult.states.intro.max_months": [18, 24],
        "arrivals.per_year": [900, 1300, 1500],
    }
    combos = bt.expand_grid(grid)
    assert [name for name, _ in combos] == [
        "max_months=18,per_year=900",
        "max_months=18,per_year=1300",
        "max_months=18,per_year=1500",
        "max_months=24,per_year=900",
        "max_months=24,per_year=1300",
        "max_months=24,per_year=1500",
    ]
    assert combos[4][1] == {"groups.adult.states.intro.max_months": 24, "arrivals.per_year": 1300}


def test_expand_grid_tells_keys_with_the_same_last_part_apart():
    grid = {
        "groups.adult.states.intro.max_months": [18],
        "groups.adult.states.prolonged.max_months": [6, 12],
        "groups.adult.states.intro.exits[2].share": [0.4],
        "arrivals.per_year": [[1500, 1500]],
    }
    names = [name for name, _ in bt.expand_grid(grid)]
    assert names == [
        "intro.max_months=18,prolonged.max_months=6,share=0.4,per_year=[1500,1500]",
        "intro.max_months=18,prolonged.max_months=12,share=0.4,per_year=[1500,1500]",
    ]


@pytest.mark.parametrize(
    ("grid", "match"),
    [
        ({}, "grid: is empty"),
        ({"a.b": []}, r'grid\."a\.b": an empty sweep'),
        ({"a.b": 3}, r'grid\."a\.b": a sweep is a list'),
        ({"a.b": [1, 2, 1]}, r'grid\."a\.b"\[2\]: is already in the sweep'),
        ({"a": [{}], "a.b": [1]}, r'grid\."a\.b": lies inside grid\."a"'),
    ],
)
def test_expand_grid_rejects(grid, match):
    with pytest.raises(ConfigError, match=match):
        bt.expand_grid(grid)


def test_scenarios_and_grid_combine_in_file_order(tmp_path):
    path = _batch_file(
        tmp_path,
        """reference = "b/max_months=24"
[scenarios.b]
[scenarios.a]
"arrivals.per_year" = [900]
[grid]
"groups.adult.states.intro.max_months" = [24, 18]
""",
    )
    batch = bt.load_batch(path)
    assert batch.names == [
        "b/max_months=24",
        "b/max_months=18",
        "a/max_months=24",
        "a/max_months=18",
    ]
    assert batch.reference == "b/max_months=24"
    a24 = batch.scenario("a/max_months=24")
    assert a24.overrides == {"arrivals.per_year": [900], "groups.adult.states.intro.max_months": 24}
    assert a24.config.groups["adult"].states["intro"].max_months == 24
    assert a24.config.arrivals.per_year == [900]
    base = bk.load_config(CONFIGS / "sodertalje_2008.toml")
    assert (batch.runs, batch.seed) == (base.simulation.runs, base.simulation.seed)


def test_the_shipped_sodertalje_batch(tmp_path):
    batch = bt.load_batch(CONFIGS / "batch_sodertalje.toml")
    assert batch.names == [
        f"{s}/max_months={m}"
        for s in ("bas", "fler_mottagna", "lagre_egenforsorjning")
        for m in (18, 24)
    ]
    assert batch.reference == "bas/max_months=18"
    lower = batch.scenario("lagre_egenforsorjning/max_months=24").config
    intro = lower.groups["adult"].states["intro"]
    assert (intro.max_months, intro.exits[2].at_month, intro.exits[2].share) == (24, 18, 0.40)
    ds = bt.run_batch(batch, runs=4)
    assert ds.sizes["scenario"] == 6
    final = ds["balance_difference"].isel(year=-1).values
    assert final[0] == 0 and (final[1:] < 0).all()  # every change costs the municipality


# --------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------
def test_cli_writes_the_netcdf_and_prints_the_table(tmp_path, capsys):
    path = _batch_file(tmp_path, THREE)
    out = tmp_path / "out" / "scen.nc"
    assert (
        batch_cli.main([str(path), "--out", str(out), "--runs", "5", "--seed", "2", "--quiet"]) == 0
    )
    printed = capsys.readouterr().out
    for word in ("P5", "P50", "P95", "P(deficit)", "± 2 SE", "reference", "fler_mottagna", "tkr"):
        assert word in printed
    assert f"wrote {out}" in printed
    ds = xr.load_dataset(out)
    assert list(ds["scenario"].values) == ["bas", "fler_mottagna", "tolk"]
    assert (ds.attrs["runs"], ds.attrs["seed"]) == (5, 2)
    assert ds.sizes["run"] == 5
    assert ds["scenario_config_toml"].sel(scenario="bas").item().startswith("# Södertälje")
    assert ds["balance_difference"].attrs["units"] == "SEK"


def test_cli_through_add_parser_writes_the_default_file(tmp_path, monkeypatch, capsys):
    path = _batch_file(tmp_path, "[scenarios.bas]\n", name="mina.toml")
    parser = argparse.ArgumentParser(prog="balanskonto")
    batch_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["batch", str(path), "--runs", "3", "--engine", "numpy", "--quiet"])
    monkeypatch.chdir(tmp_path)
    assert args.func(args) == 0
    ds = xr.load_dataset(tmp_path / "results" / "mina.nc")
    assert ds.attrs["engine"] == "numpy" and ds.sizes["run"] == 3
    assert "bas" in capsys.readouterr().out


def test_cli_bad_batch_exits_2_and_writes_nothing(tmp_path, capsys):
    path = _batch_file(tmp_path, '[scenarios.a]\n"arrivals.per_yeer" = [1]\n')
    before = _files(tmp_path)
    out = tmp_path / "never.nc"
    assert batch_cli.main([str(path), "--out", str(out), "--runs", "2", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert 'scenarios.a."arrivals.per_yeer"' in err and str(path) in err
    assert _files(tmp_path) == before
    good = _batch_file(tmp_path, "[scenarios.a]\n", name="good.toml")
    before = _files(tmp_path)
    assert batch_cli.main([str(good), "--out", str(tmp_path / "x.txt"), "--quiet"]) == 2
    assert batch_cli.main([str(good), "--out", str(out), "--runs", "0", "--quiet"]) == 2
    assert _files(tmp_path) == before


def test_an_unquoted_dotted_path_gets_a_hint(tmp_path):
    path = _batch_file(tmp_path, "[scenarios.x]\ngroups.adult.states.intro.max_months = 24\n")
    with pytest.raises(ConfigError) as err:
        bt.load_batch(path)
    assert 'quote its path: "groups.adult.states.intro.max_months" = 24' in str(err.value)


def test_a_units_model_is_compiled_once_for_all_its_chunks(tmp_path, monkeypatch):
    """Every chunk of a unit ran ``compile_model`` again (about 7 ms, and the pricing's
    caches on the model were lost); now once per unit, with the same results."""
    from balanskonto.batch import cluster

    calls = []
    original = cluster.compile_model
    monkeypatch.setattr(cluster, "compile_model", lambda c: (calls.append(c), original(c))[1])
    batch = bt.load_batch(_batch_file(tmp_path, THREE.replace(f"runs = {RUNS}", "runs = 12")))
    ds = bt.run_batch(batch, chunk_runs=3)  # 4 chunks a scenario
    assert len(calls) == 3
    whole = bt.run_batch(batch, chunk_runs=12)
    for d in (ds, whole):
        d.attrs.pop("created")
    xr.testing.assert_identical(ds, whole)
