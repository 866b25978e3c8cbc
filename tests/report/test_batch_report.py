"""The appendix of a batch result (issue 14, item 5): ``report --scenario NAME``, and
``batch --report`` / ``report`` of a batch file: one appendix per scenario and a comparison
with the paired differences, their standard errors and P(worse)."""

from __future__ import annotations

import openpyxl
import pytest
import xarray as xr

from balanskonto.cli import main
from balanskonto.report import report_batch, scenario_dataset
from balanskonto.report.comparison import comparison, folder_name

from conftest import batch_file

BODY = """runs = 40
seed = 7
reference = "bas"
[scenarios.bas]
[scenarios.fler]
"arrivals.per_year" = [1500, 1500, 1500]
"""


@pytest.fixture(scope="module")
def batch_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    path = batch_file(folder, BODY)
    out = folder / "b.nc"
    assert main(["batch", str(path), "--quiet", "--out", str(out), "--report"]) == 0
    return out


def test_batch_report_writes_every_scenario_and_a_comparison(batch_result):
    folder = batch_result.with_name("b_rapport")
    for name in ("bas", "fler"):
        assert (folder / name / "riskbilaga.docx").is_file()
        assert (folder / name / "riskbilaga.html").is_file()
    wb = openpyxl.load_workbook(folder / "jamforelse.xlsx")
    ds = xr.load_dataset(batch_result)
    last = int(ds["year"][-1])
    rows = {r[0]: r for r in wb["Jämförelse"].iter_rows(min_row=3, values_only=True)}
    fler = ds.sel(scenario="fler", year=last)
    assert rows["fler"][5] * 1000 == pytest.approx(fler["balance_difference"].item())
    assert rows["fler"][6] * 1000 == pytest.approx(fler["balance_difference_se"].item())
    assert rows["fler"][7] == pytest.approx(fler["p_worse"].item())
    assert rows["bas"][5] == "referens"
    html = (folder / "jamforelse.html").read_text(encoding="utf-8")
    assert "gemensamma slumptal" in html


def test_report_of_one_scenario(batch_result, tmp_path, capsys):
    out = tmp_path / "fler"
    code = main(["report", str(batch_result), "--scenario", "fler", "--out", str(out),
                 "--format", "md"])  # fmt: skip
    assert code == 0
    md = (out / "riskbilaga.md").read_text(encoding="utf-8")
    assert "(fler)" in md.splitlines()[0]
    ds = xr.load_dataset(batch_result)
    one = scenario_dataset(ds, "fler")
    assert one.attrs["config_toml"] == ds["scenario_config_toml"].sel(scenario="fler").item()
    assert "scenario" not in one.dims


def test_an_unknown_scenario_is_refused(batch_result, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")  # reads the English message
    code = main(["report", str(batch_result), "--scenario", "ingen", "--out", str(tmp_path / "x")])
    assert code == 2
    err = capsys.readouterr().err
    assert "no scenario 'ingen'" in err and "bas, fler" in err
    assert not (tmp_path / "x").exists()


def test_comparison_in_english_and_folder_names(batch_result, tmp_path):
    ds = xr.load_dataset(batch_result)
    doc = comparison(ds, "en")
    assert doc.title.startswith("Comparison of scenarios")
    assert folder_name("lagre/max_months=24") == "lagre_max_months=24"
    written = report_batch(ds, tmp_path / "r", lang="en", formats=("md",))
    assert written["comparison:md"].name == "comparison.md"
    assert (tmp_path / "r" / "bas" / "risk_appendix.md").is_file()
