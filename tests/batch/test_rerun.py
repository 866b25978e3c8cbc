"""``balanskonto rerun RESULT``: a result file is reproduced, every data variable exactly, from
the config text, seed, runs and engine stored in it."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import threading

import numpy as np
import pytest
import xarray as xr

import balanskonto as bk
from balanskonto import batch as bt
from balanskonto.batch import rerun
from balanskonto.cli import rerun as rerun_cli
from balanskonto.results.files import write_output
from balanskonto.simulation.precision import simulate_to_precision

from conftest import CONFIGS

SEED = 17


@pytest.fixture(scope="module")
def run_file(tmp_path_factory, example):
    """A result of ``balanskonto run`` (the bundled example: every kind of uncertainty)."""
    path = tmp_path_factory.mktemp("run") / "example.nc"
    bk_ds = bk.simulate(example, runs=30, seed=SEED)
    write_output(bk_ds, path)
    return path


@pytest.fixture(scope="module")
def batch_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    shutil.copy(CONFIGS / "sodertalje_2008.toml", folder / "sodertalje_2008.toml")
    path = folder / "scen.toml"
    path.write_text(
        'base = "sodertalje_2008.toml"\nruns = 8\nseed = 3\nreference = "tolk/per_year=[1300]"\n'
        '[scenarios.bas]\n[scenarios.tolk]\n"groups.adult.costs.intro.tolk" = 400.0\n'
        '[grid]\n"arrivals.per_year" = [[1300], [1500, 1500]]\n',
        encoding="utf-8",
    )
    return bt.run_batch(path)


def test_a_run_is_reproduced_exactly(run_file, capsys):
    assert rerun_cli.main([str(run_file), "--quiet"]) == 0
    out = capsys.readouterr()
    assert f"reproduced {run_file} exactly (run: " in out.out
    assert "30 runs, seed 17, engine numba" in out.out
    assert "warning" not in out.err
    done = rerun.reproduce(run_file)
    assert done.exact and done.kind == "run" and done.warnings == ()
    assert set(done.rerun.data_vars) == set(done.original.data_vars)
    for name in done.original.data_vars:
        np.testing.assert_array_equal(done.rerun[name].values, done.original[name].values)


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_a_batch_is_reproduced_exactly_and_written_with_out(tmp_path, batch_result, suffix):
    path = tmp_path / f"batch{suffix}"
    write_output(batch_result, path)
    again = tmp_path / f"again{suffix}"
    assert rerun_cli.main([str(path), "--quiet", "--out", str(again)]) == 0
    done = rerun.reproduce(path)
    assert done.exact and done.kind == "batch"
    written = xr.open_zarr(again) if suffix == ".zarr" else xr.open_dataset(again)
    with written:
        assert rerun.compare(batch_result, written.load()) == []
        assert written.attrs["batch_toml"] == batch_result.attrs["batch_toml"]


def test_a_run_to_a_target_precision_is_reproduced(tmp_path, sodertalje):
    ds = simulate_to_precision(sodertalje, 2e6, runs=20, max_runs=200, seed=SEED)
    path = tmp_path / "precise.nc"
    write_output(ds, path)
    done = rerun.reproduce(path)
    assert done.exact and done.rerun.sizes["run"] == ds.attrs["runs"]
    assert done.rerun.attrs["target_precision"] == 2e6


def test_a_sensitivity_result_is_reproduced(tmp_path, example):
    from balanskonto.analysis.sensitivity import report

    path = tmp_path / "sens.nc"
    write_output(report(example, runs=40, seed=SEED, swing_runs=20), path)
    done = rerun.reproduce(path)
    assert done.kind == "sensitivity" and done.exact, done.differences


def test_another_version_is_a_warning_line_and_still_runs(tmp_path, run_file, capsys):
    ds = xr.load_dataset(run_file)
    ds.attrs["balanskonto_version"] = "0.0.1"
    path = tmp_path / "old.nc"
    write_output(ds, path)
    assert rerun_cli.main([str(path), "--quiet"]) == 0
    out = capsys.readouterr()
    warnings = [line for line in out.err.splitlines() if "warning" in line]
    assert warnings == [
        f"balanskonto: warning: {path} was made by balanskonto 0.0.1, this is "
        f"{bk.__version__}: the results may differ"
    ]
    assert f"reproduced {path} exactly" in out.out


def test_a_changed_value_is_named(tmp_path, run_file, capsys):
    ds = xr.load_dataset(run_file)
    ds["balance"][3, 2] += 1.0
    ds["p_deficit"][0] = 0.5
    path = tmp_path / "tampered.nc"
    write_output(ds, path)
    assert rerun_cli.main([str(path), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert f"{path} is NOT reproduced" in out
    assert "  balance: 1 of 240 values differ (largest difference 1)" in out
    assert "  p_deficit: 1 of 8 values differ" in out


def test_a_file_without_config_toml_exits_2(tmp_path, run_file, capsys):
    ds = xr.load_dataset(run_file)
    del ds.attrs["config_toml"]
    path = tmp_path / "anonymous.nc"
    write_output(ds, path)
    before = sorted(tmp_path.iterdir())
    assert rerun_cli.main([str(path), "--out", str(tmp_path / "never.nc")]) == 2
    assert "has no config_toml attribute" in capsys.readouterr().err
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda p: None, "no such result file"),
        (lambda p: p.write_text("[meta]\n", encoding="utf-8"), "not a result file"),
        (lambda p: p.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64), "not a result file"),
    ],
)
def test_missing_and_unreadable_files_exit_2(tmp_path, capsys, make, match):
    path = tmp_path / "x.nc"
    make(path)
    assert rerun_cli.main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("balanskonto: error: ") and match in err


def test_bad_provenance_attributes_exit_2(tmp_path, run_file, capsys):
    for attr, value, match in [
        ("seed", -1, "attribute seed: must be a whole number ≥ 0"),
        ("engine", "gpu", "attribute engine: must be one of"),
        ("config_toml", "[simulation]\nyears = 0\n", "config_toml: "),
    ]:
        ds = xr.load_dataset(run_file)
        ds.attrs[attr] = value
        path = tmp_path / f"bad_{attr}.nc"
        write_output(ds, path)
        assert rerun_cli.main([str(path), "--quiet"]) == 2
        assert match in capsys.readouterr().err


def test_add_parser_dispatches_through_func(run_file, capsys):
    parser = argparse.ArgumentParser(prog="balanskonto")
    rerun_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["rerun", str(run_file), "--quiet"])
    assert args.func(args) == 0
    assert "exactly" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        parser.parse_args(["rerun"])
    assert exit_.value.code == 2


# --------------------------------------------------------------------------------------
# Integrity: a result is complete and its config text is the one its numbers came from
# --------------------------------------------------------------------------------------
def _changed(tmp_path, source, name: str, change) -> str:
    ds = xr.load_dataset(source)
    change(ds)
    path = tmp_path / f"{name}.nc"
    write_output(ds, path)
    return str(path)


@pytest.mark.parametrize(
    "variable",
    ["balance", "balance_quantile", "p_deficit", "persons", "reserve_needed_se", "factor"],
)
def test_a_result_with_a_variable_deleted_exits_2(tmp_path, capsys, variable):
    """It said "reproduced … exactly": only what is left was compared. ``factor`` is there
    only for a config with uncertainty: the rerun tells it is missing."""
    source = tmp_path / "exempel.nc"
    write_output(bk.simulate(CONFIGS / "exempel_2026.toml", runs=4, seed=SEED), source)
    path = _changed(tmp_path, source, "partial", lambda ds: ds.__delitem__(variable))
    assert rerun_cli.main([path, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"balanskonto: error: {path}: incomplete: ")
    assert variable in err


def test_a_monthly_result_without_a_monthly_variable_exits_2_before_the_rerun(
    tmp_path, sodertalje, capsys, monkeypatch
):
    config = sodertalje.with_overrides({"simulation.resolution": "month"})
    source = tmp_path / "month.nc"
    write_output(bk.simulate(config, runs=2, seed=SEED), source)
    path = _changed(tmp_path, source, "partial", lambda ds: ds.__delitem__("balance_month"))

    def never(*args, **kwargs):
        raise AssertionError("rerun before the file was found incomplete")

    monkeypatch.setattr(rerun, "simulate", never)
    assert rerun_cli.main([path, "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{path}: incomplete: a result of balanskonto run has balance_month" in err


def test_a_changed_config_text_exits_2(tmp_path, run_file, capsys):
    """A config text changed after the run was rerun as it is (and found to differ, exit 1)."""

    def change(ds):
        ds.attrs["config_toml"] = ds.attrs["config_toml"].replace("[120, 120,", "[12, 120,")

    path = _changed(tmp_path, run_file, "tampered", change)
    assert rerun_cli.main([path, "--quiet", "--out", str(tmp_path / "never.nc")]) == 2
    err = capsys.readouterr().err
    assert f"{path}: config_toml: its SHA-256 is not the config_sha256" in err
    assert not (tmp_path / "never.nc").exists()
    path = _changed(tmp_path, run_file, "unhashed", lambda ds: ds.attrs.pop("config_sha256"))
    assert rerun_cli.main([path, "--quiet"]) == 2
    assert "there is no config_sha256 to check it against" in capsys.readouterr().err


def test_a_batch_with_a_changed_scenario_config_exits_2(tmp_path, batch_result, capsys):
    ds = batch_result.copy()
    texts = ds["scenario_config_toml"].values.copy()
    texts[1] = str(texts[1]).replace("seed = 2008", "seed = 2009")
    ds["scenario_config_toml"] = ("scenario", texts)
    path = tmp_path / "batch.nc"
    write_output(ds, path)
    assert rerun_cli.main([str(path), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"scenario_config_toml[{str(ds['scenario'].values[1])!r}]: its SHA-256" in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_opened(tmp_path, capsys):
    """netCDF opened it and waited for a writer."""
    fifo = tmp_path / "pipe.nc"
    os.mkfifo(fifo)

    done = threading.Event()

    def unblock() -> None:  # should a reader hang, give it ends of file: the test fails
        while not done.wait(2.0):
            with contextlib.suppress(OSError):
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))

    threading.Thread(target=unblock, daemon=True).start()
    try:
        code = rerun_cli.main([str(fifo), "--quiet"])
    finally:
        done.set()
    assert code == 2
    assert "not a regular file or folder" in capsys.readouterr().err
