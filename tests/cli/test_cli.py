"""The command line, used as a controller would (errors: tests/test_cli_errors.py)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from balanskonto.cli import main
from balanskonto.cli.run import _p_deficit_cells

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


def test_run_prints_the_wilson_bound_where_no_run_is_in_deficit(tmp_path, monkeypatch, capsys):
    """The bundled example with its 2 000 runs: no run in deficit in 2026, where ±0.0 would
    claim certainty; the 95 % Wilson upper bound is 3.84 / 2 003.84 = 0.19 %. The reserve
    carries its standard error."""
    monkeypatch.chdir(tmp_path)
    assert main(["run", "--quiet", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    ds = xr.load_dataset(tmp_path / "results" / "example.nc")
    assert ds.sizes["run"] == 2000 and ds["p_deficit"].sel(year=2026) == 0
    row = next(line for line in out.splitlines() if line.startswith("2026 "))
    assert "< 0.2%" in row and "0.0%" not in row and "±0.0" not in row
    assert "Wilson" in out
    last = next(line for line in out.splitlines() if line.startswith("2033 "))
    se = ds["reserve_needed_se"].sel(level=0.95, year=2033).item()
    assert se > 0 and last.split()[-1] == f"±{round(se / 1000):,}".replace(",", " ")


def test_p_deficit_cells_at_0_and_1_show_the_wilson_bound(monkeypatch):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")
    assert _p_deficit_cells(0.0, 0.0, 2000) == ["< 0.2%", ""]
    assert _p_deficit_cells(1.0, 0.0, 2000) == ["> 99.8%", ""]
    assert _p_deficit_cells(0.0, 0.0, 20) == ["< 16.2%", ""]  # 3.84 / 23.84 = 16.1 %, up
    assert _p_deficit_cells(0.25, 0.0097, 2000) == ["25.0%", "±1.0"]
    monkeypatch.setenv("BALANSKONTO_LANG", "sv")
    assert _p_deficit_cells(0.0, 0.0, 2000) == ["< 0,2 %", ""]


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


def test_expected_with_uncertainty_is_called_the_plan_without_uncertainty(capsys):
    """With an [uncertainty] block, `expected` puts every factor at its mean: the plan
    without uncertainty, not the simulation's mean (Jensen), and the header says so."""
    assert main(["expected", str(CONFIGS / "exempel_2026.toml")]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "planen utan osäkerhet" in header and "förväntade värden" not in header
    assert main(["expected", str(CONFIGS / "exempel_2026.toml"), "--lang", "en"]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "the plan without uncertainty" in header and "expected values" not in header
    assert "not the mean of the simulation" in header
    assert main(["expected", str(CONFIGS / "vingaker_2017.toml")]) == 0
    header = capsys.readouterr().out.splitlines()[0]
    assert "förväntade värden" in header and "utan osäkerhet" not in header


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


def test_run_warns_when_drawn_shares_were_pulled_back(tmp_path, capsys):
    text = (CONFIGS / "exempel_2026.toml").read_text(encoding="utf-8")
    old = '"groups.adult.relocation.annual_probability" = { min = 0.06, max = 0.18 }'
    assert old in text
    config = tmp_path / "wide.toml"
    config.write_text(text.replace(old, old.replace("0.18", "0.95")), encoding="utf-8")
    population = CONFIGS / "exempel_2026_befolkning.csv"  # the config's [population] file
    (tmp_path / population.name).write_bytes(population.read_bytes())
    out = tmp_path / "wide.nc"
    assert main(["run", str(config), "--runs", "40", "--out", str(out), "--quiet",
                 "--lang", "en"]) == 0  # fmt: skip
    pulled = xr.load_dataset(out).attrs["shares_pulled_back"]
    assert 0 < pulled < 1
    err = capsys.readouterr().err
    assert "warning: in " in err and "of the runs a drawn share" in err
    assert "share:groups.adult.relocation.annual_probability" in err


def test_tkr_shows_a_missing_or_infinite_amount_as_a_dash():
    """One run has no standard error (NaN): it failed with 'cannot convert float NaN to
    integer'; an infinite amount showed as ∞ without its sign."""
    import math

    from balanskonto._format import tkr

    assert tkr(math.nan) == tkr(math.inf) == tkr(-math.inf) == "–"
    assert tkr(-1_234_567) == "−1\u00a0235"


def test_every_help_text_has_its_swedish_words():
    """Every description and help text of every command is in cli/locale/sv.toml (a text
    missing there was shown in English in the Swedish --help)."""
    import argparse

    from balanskonto.cli import _parser
    from balanskonto.cli.language import catalogue

    words = catalogue("sv")
    missing = []

    def walk(parser: argparse.ArgumentParser) -> None:
        texts = [parser.description] + [a.help for a in parser._actions]
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                texts += [c.help for c in action._choices_actions]
                for sub in set(action.choices.values()):
                    walk(sub)
        missing.extend(t for t in texts if t and t is not argparse.SUPPRESS and t not in words)

    walk(_parser())
    assert not missing, missing
