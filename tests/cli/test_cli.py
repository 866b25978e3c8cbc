"""The command line, used as a controller would (errors: tests/test_cli_errors.py)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from balanskonto.cli import main

from conftest import CONFIGS


def test_run_without_config_uses_the_bundled_example(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--runs", "20", "--seed", "3", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "P5" in out and "P50" in out and "P95" in out and "sannolikhet för underskott" in out
    assert "(tkr; medelfel = Monte Carlo-medelfel)" in out
    for year in range(2026, 2034):
        assert f"\n{year} " in out
    ds = xr.load_dataset(tmp_path / "results" / "example.nc")
    assert ds.attrs["runs"] == 20 and ds.attrs["seed"] == 3
    assert ds.sizes["run"] == 20


def test_run_with_config_out_and_engine(tmp_path, capsys):
    out = tmp_path / "s.nc"
    code = main(
        [
            "run",
            str(CONFIGS / "vingaker_2017.toml"),
            "--runs",
            "10",
            "--out",
            str(out),
            "--engine",
            "numpy",
            "--quiet",
        ]
    )
    assert code == 0
    assert xr.load_dataset(out).attrs["engine"] == "numpy"
    assert f"skrev {out}" in capsys.readouterr().out


def test_english_on_request(tmp_path, capsys):
    out = tmp_path / "e.nc"
    assert main(["run", "--runs", "10", "--quiet", "--out", str(out), "--lang", "en"]) == 0
    text = capsys.readouterr().out
    assert "P(deficit)" in text and f"wrote {out}" in text and "10 runs" in text
    assert main(["--lang", "en", "validate", str(CONFIGS / "sodertalje_2008.toml")]) == 0
    assert "valid." in capsys.readouterr().out


def test_expected_prints_the_budget_table(capsys):
    assert main(["expected", str(CONFIGS / "vingaker_2017.toml")]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert "2018" in lines[1] and "2025" in lines[1]
    schablon = next(ln for ln in lines if ln.strip().startswith("schablonersättning"))
    assert schablon.split()[1:3] == ["6", "320"]  # 6 320 tkr in 2018
    total_cost = next(ln for ln in lines if ln.startswith("summa kostnader"))
    assert total_cost.count("8\u00a0886") == 8  # Babel's sv_SE: a no-break space
    assert any(ln.startswith("saldo") for ln in lines)


def test_validate_shows_what_the_exits_imply(capsys):
    assert main(["validate", str(CONFIGS / "sodertalje_2008.toml")]) == 0
    out = capsys.readouterr().out
    assert "giltig" in out
    assert "vuxna / etablering" in out
    # 70 % out of intro within 18 months: 60 % self-sufficient, 10 % moved
    lines = [ln for ln in out.splitlines() if ln.strip().startswith("18 ")]
    assert any("60,0\u00a0%" in ln and "10,0\u00a0%" in ln for ln in lines), lines


def test_run_to_a_target_precision(tmp_path, capsys):
    out = tmp_path / "t.nc"
    code = main(
        ["run", "--runs", "200", "--target-precision", "400000", "--quiet", "--out", str(out)]
    )
    assert code == 0
    text = capsys.readouterr().out
    assert "mål: P5 för 2033 på ± 400 tkr: uppnått" in text
    ds = xr.load_dataset(out)
    assert ds.attrs["target_met"] == 1 and ds.attrs["target_half_width"] <= 400_000
    assert ds.attrs["runs"] > 200  # it had to add runs
    # the result equals a plain run with the final number of runs
    import balanskonto as bk

    plain = bk.simulate(
        bk.load_config(CONFIGS.parent / "src/balanskonto/data/example.toml"),
        runs=int(ds.attrs["runs"]),
    )
    np.testing.assert_array_equal(plain["balance"].values, ds["balance"].values)


def test_run_target_not_met_within_the_cap_says_so(tmp_path, capsys):
    code = main(
        [
            "run",
            "--runs",
            "50",
            "--target-precision",
            "1",
            "--max-runs",
            "120",
            "--quiet",
            "--out",
            str(tmp_path / "t.nc"),
        ]
    )
    assert code == 0
    assert "INTE uppnått" in capsys.readouterr().out


def test_errors_and_help_in_swedish(capsys):
    import pytest

    with pytest.raises(SystemExit) as info:
        main(["run", "--engine", "fortran"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "balanskonto run: fel: argumentet --engine: ogiltigt val: 'fortran'" in err
    assert main(["validate", str(CONFIGS / "saknas.toml")]) == 2
    assert capsys.readouterr().err.startswith("balanskonto: fel: ")
    with pytest.raises(SystemExit):
        main(["--help"])
    help_text = capsys.readouterr().out
    assert help_text.startswith("användning: balanskonto")
    assert "flaggor:" in help_text and "visa den här hjälpen och avsluta" in help_text
    with pytest.raises(SystemExit):
        main(["--help", "--lang", "en"])
    assert capsys.readouterr().out.startswith("usage: balanskonto")


def test_the_cli_names_agree_with_the_library():
    """The command line lists engines, states, formats and chunk size without importing the
    modules that define them (a fast --help); they must agree."""
    from balanskonto import report
    from balanskonto.cli import batch, run, validate
    from balanskonto.cli import report as report_cli
    from balanskonto.config.types import STATES
    from balanskonto.engines import ENGINES
    from balanskonto.simulation.run import DEFAULT_CHUNK_RUNS

    assert sorted(run.ENGINES) == sorted(ENGINES)
    assert tuple(validate.STATES) == tuple(STATES)
    assert report_cli.FORMATS == report.FORMATS and report_cli.LANGS == report.LANGS
    assert batch.DEFAULT_CHUNK_RUNS == DEFAULT_CHUNK_RUNS
