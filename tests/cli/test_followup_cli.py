"""``balanskonto uppfoljning`` / ``follow-up`` and ``report --compare-with``: what they print
and write, and that bad actuals give exit code 2, a located message and no file."""

from __future__ import annotations

from pathlib import Path

import pytest
import xarray as xr

from balanskonto.cli import main
from balanskonto.results.files import write_netcdf

from actuals_cases import actual_rows, example_result, specs_for, write_csv


@pytest.fixture
def english(monkeypatch):
    """Messages in English (the command line speaks Swedish by default)."""
    monkeypatch.setenv("BALANSKONTO_LANG", "en")


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    """A yearly and a monthly result of the example, an earlier result (another seed) and
    actuals for 2026 read off a run of the monthly one."""
    folder = tmp_path_factory.mktemp("followup")
    yearly = write_netcdf(example_result(300, 1), folder / "prognos.nc")
    monthly_ds = example_result(300, 1, monthly=True)
    monthly = write_netcdf(monthly_ds, folder / "prognos_man.nc")
    earlier = write_netcdf(example_result(300, 5), folder / "tidigare.nc")
    rows = actual_rows(monthly_ds, 11, specs_for("2026"))
    rows += actual_rows(
        monthly_ds, 11, specs_for("2027-08", kinds=(("cost", "", "", "allowance"),))
    )
    actuals = write_csv(folder / "utfall.csv", rows, sep=";", decimal=",")
    yearly_actuals = write_csv(folder / "utfall_ar.csv", rows[:-1])
    return {
        "yearly": yearly,
        "monthly": monthly,
        "earlier": earlier,
        "actuals": actuals,
        "yearly_actuals": yearly_actuals,
    }


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_follow_up_prints_the_table_and_writes_the_comparison(files, capsys):
    out = files["monthly"].with_name("prognos_man_uppfoljning.nc")
    assert main(["uppfoljning", str(files["monthly"]), str(files["actuals"])]) == 0
    printed = capsys.readouterr().out
    for words in ("Uppföljning:", "Percentilrang", "Utanför 90\u00a0%", "CRPS per variabel"):
        assert words in printed
    assert "2027-08" in printed and "balanskonto" in printed
    with xr.open_dataset(out) as fu:
        assert fu.sizes["actual"] == len(specs_for("2026")) + 1
        assert {"percentile_rank", "crps", "weight", "coverage"} <= set(fu.data_vars)
        assert len(fu.attrs["actuals_sha256"]) == 64
        assert fu["percentile_rank"].attrs["units"] == "1"


def test_the_english_alias_with_a_report_and_an_earlier_forecast(files, tmp_path, capsys):
    out, report = tmp_path / "fu.nc", tmp_path / "bilaga"
    argv = ["follow-up", str(files["monthly"]), str(files["actuals"]), "--lang", "en"]
    argv += ["--out", str(out), "--report", str(report), "--compare-with", str(files["earlier"])]
    assert main(argv) == 0
    assert "Percentile rank" in capsys.readouterr().out
    written = _listing(report)
    # figures in a folder per language (figures/ in English, figurer/ in Swedish)
    assert {
        "risk_appendix.html",
        "figures/followup_fan.png",
        "figures/reforecast_fan.svg",
    } <= written
    html = (report / "risk_appendix.html").read_text(encoding="utf-8")
    assert "Follow-up against actuals" in html and "Change of forecast" in html
    assert out.is_file()


def test_report_compare_with(files, tmp_path):
    out = tmp_path / "r"
    argv = ["report", str(files["yearly"]), "--compare-with", str(files["earlier"])]
    assert main([*argv, "--out", str(out), "--format", "md"]) == 0
    text = (out / "riskbilaga.md").read_text(encoding="utf-8")
    assert "## Prognosförändring" in text and "reforecast_fan.png" in text


#: Bad actuals against the example's yearly result: (id, rows, the line and words of the error).
BAD = [
    ("unknown variable", "2026,kostnad,,,,1", 2, "unknown variable"),
    ("unknown group", "2026,persons,vuxna,,,1", 2, "unknown group"),
    ("unknown state", "2026,persons,adult,bistand,,1", 2, "unknown state"),
    ("unknown component", "2026,cost,,,hyra,1", 2, "unknown cost component"),
    ("revenue of a cost component", "2026,revenue,,,sfi,1", 2, "is a cost component"),
    ("group for money", "2026,net,adult,,,1", 2, "net has no group"),
    ("outside the forecast", "2034,balance,,,,1", 2, "outside the forecast"),
    ("before the forecast", "2025,balance,,,,1", 2, "outside the forecast"),
    ("year to date, yearly result", "2026-08,cost,,,sfi,1", 2, "monthly resolution"),
    ("not a number", "2026,balance,,,,sex miljoner", 2, "not a number"),
    ("empty value", "2026,balance,,,,", 2, "the value is empty"),
    ("negative persons", "2026,persons,,,,-3", 2, "cannot be negative"),
    ("half a person", "2026,arrivals,,,,1.5", 2, "whole persons"),
    ("bad period", "2026-13,balance,,,,1", 2, "a period is a year"),
    ("duplicate", "2026,balance,,,,1\n2026,balance,,,,1", 3, "the same actual as line 2"),
    ("too many fields", "2026,balance,,,,1,5", 2, "7 fields"),
]


@pytest.mark.parametrize(("rows", "line", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_actuals_exit_2_with_the_line_and_write_nothing(
    files, tmp_path, capsys, rows, line, words, english
):
    actuals = tmp_path / "utfall.csv"
    actuals.write_text(f"period,variable,group,state,component,value\n{rows}\n", encoding="utf-8")
    out, report = tmp_path / "out" / "fu.nc", tmp_path / "rapport"
    argv = ["uppfoljning", str(files["yearly"]), str(actuals), "--out", str(out)]
    assert main([*argv, "--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"balanskonto: error: {actuals}"), err
    assert f"line {line}" in err and words in err, err
    assert _listing(tmp_path) == {"utfall.csv"}


def test_a_year_to_date_file_against_a_yearly_result_and_bad_arguments(
    files, tmp_path, capsys, english
):
    argv = [
        "uppfoljning",
        str(files["yearly"]),
        str(files["actuals"]),
        "--out",
        str(tmp_path / "x.nc"),
    ]
    assert main(argv) == 2
    assert (
        "line 13, period: a year-to-date period needs a forecast with monthly"
        in capsys.readouterr().err
    )
    assert (
        main(
            [
                "uppfoljning",
                str(files["yearly"]),
                str(files["yearly_actuals"]),
                "--out",
                str(tmp_path / "x.txt"),
            ]
        )
        == 2
    )
    assert "--out" in capsys.readouterr().err
    assert main(["uppfoljning", str(tmp_path / "none.nc"), str(files["actuals"])]) == 2
    assert "no such result file" in capsys.readouterr().err
    assert main(["uppfoljning", str(files["yearly"]), str(tmp_path / "none.csv")]) == 2
    assert "no such actuals file" in capsys.readouterr().err
    argv = ["uppfoljning", str(files["yearly"]), str(files["yearly_actuals"]), "--format", "pdf"]
    assert main([*argv, "--report", str(tmp_path / "r")]) == 2
    assert _listing(tmp_path) == set()


@pytest.mark.parametrize(("rows", "line", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_actuals_in_swedish(files, tmp_path, capsys, monkeypatch, rows, line, words):
    """The same bad actuals in Swedish (the default): every line of the English message is
    known to the error catalogue, the file and the line number are kept, no file written."""
    from balanskonto.cli.errors import translate, translate_line

    actuals = tmp_path / "utfall.csv"
    actuals.write_text(f"period,variable,group,state,component,value\n{rows}\n", encoding="utf-8")
    argv = ["uppfoljning", str(files["yearly"]), str(actuals), "--out", str(tmp_path / "o.nc")]
    monkeypatch.setenv("BALANSKONTO_LANG", "en")
    assert main(argv) == 2
    english = capsys.readouterr().err.removeprefix("balanskonto: error: ").rstrip("\n")
    monkeypatch.setenv("BALANSKONTO_LANG", "sv")
    assert main(argv) == 2
    swedish = capsys.readouterr().err
    assert [x for x in english.split("\n") if translate_line(x.strip(), "sv") is None] == []
    assert swedish == f"balanskonto: fel: {translate(english, 'sv')}\n"
    assert swedish.startswith(f"balanskonto: fel: {actuals}: rad {line}"), swedish
    assert words not in swedish
    assert _listing(tmp_path) == {"utfall.csv"}
