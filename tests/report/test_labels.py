"""``[labels]`` (DESIGN §15): display texts of groups, states and components in the config,
validated there, and printed by the command line and the appendix (text, tables, Excel)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import openpyxl
import pytest

import balanskonto as bk
from balanskonto.cli import main
from balanskonto.config import ConfigError, config_from_dict
from balanskonto.report import i18n, report

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
VINGAKER = CONFIGS / "vingaker_2017.toml"
#: The budget lines as seed 002's table writes them.
SEED_LINES = ("Försörjningsstöd", "Löner 2 lotsar", "Glappersättning")


def _raw(**labels: str) -> dict:
    raw = tomllib.loads(VINGAKER.read_text(encoding="utf-8"))
    raw["labels"] = labels
    return raw


def test_labels_are_read():
    config = bk.load_config(VINGAKER)
    assert config.labels["forsorjningsstod"] == "Försörjningsstöd"
    assert config.labels["loner_lotsar"] == "Löner 2 lotsar"
    assert i18n.component_label("glappersattning", "en", config.labels) == "Glappersättning"


@pytest.mark.parametrize(
    ("labels", "path", "rule"),
    [
        ({"nosuch": "X"}, "labels.nosuch", "names no group, state or component"),
        ({"sfi": ""}, "labels.sfi", "cannot be empty"),
        ({"sfi": "  "}, "labels.sfi", "cannot be empty"),
        ({"sfi": "a\nb"}, "labels.sfi", "control characters"),
        ({"sfi": "x" * 81}, "labels.sfi", "80"),
        ({"Sfi": "Sfi"}, "labels.Sfi", ""),
    ],
)
def test_bad_labels_are_located_errors(labels, path, rule):
    with pytest.raises(ConfigError) as err:
        config_from_dict(_raw(**labels))
    assert path in str(err.value) and rule in str(err.value)


def test_a_label_may_name_a_group_a_state_or_a_component():
    config = config_from_dict(_raw(adult="Vuxna", intro="Etablering", sfi="Sfi", relocated="Ut"))
    assert set(config.labels) == {"adult", "intro", "sfi", "relocated"}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_expected_prints_the_seed_lines(capsys, lang):
    assert main(["expected", str(VINGAKER), "--lang", lang]) == 0
    out = capsys.readouterr().out
    for line in SEED_LINES:
        assert line in out
    assert "forsorjningsstod" not in out and "loner_lotsar" not in out


def test_validate_prints_the_group_labels(capsys):
    assert main(["validate", str(VINGAKER), "--lang", "sv"]) == 0
    out = capsys.readouterr().out
    assert "Vuxna" in out or "Försörjningsstöd" in out


@pytest.fixture(scope="module")
def appendix(tmp_path_factory) -> dict[str, Path]:
    ds = bk.simulate(bk.load_config(VINGAKER), runs=50)
    folder = tmp_path_factory.mktemp("labels")
    return report(ds, folder / "rapport", lang="sv", formats=("md", "xlsx"))


def test_the_swedish_appendix_prints_the_seed_lines(appendix):
    text = appendix["md"].read_text(encoding="utf-8")
    for line in SEED_LINES:
        assert line in text
    # the name itself only in config keys (fixed.costs.forsorjningsstod)
    assert not re.search(r"(?<![.\w])(forsorjningsstod|loner_lotsar)\b", text)


def test_the_workbook_prints_the_seed_lines(appendix):
    wb = openpyxl.load_workbook(appendix["xlsx"])
    cells = {str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value}
    for line in SEED_LINES:
        assert any(line in v for v in cells), line


def test_factors_and_config_keys_take_the_labels():
    labels = {"sfi": "Sfi-kurser", "adult": "Vuxna", "intro": "Etableringen"}
    assert "Sfi-kurser" in i18n.factor_label("level:sfi", "sv", labels=labels)
    share = "share:groups.adult.states.intro.exits[0].share"
    words = i18n.factor_label(share, "en", {share[6:]: "relocated"}, labels)
    assert "Vuxna" in words and "Etableringen" in words
    assert "Sfi-kurser" in i18n.key_label("fixed.costs.sfi", "sv", labels)


def test_the_followup_prints_the_labels(tmp_path, capsys):
    """The follow-up's table (command line) and section (appendix) name the budget lines as
    the config's [labels] do, not by their keys."""
    result = tmp_path / "v.nc"
    assert main(["run", str(VINGAKER), "--runs", "40", "--quiet", "--out", str(result)]) == 0
    actuals = tmp_path / "utfall.csv"
    actuals.write_text(
        "period,variable,group,state,component,value\n"
        "2018,cost,,,forsorjningsstod,3600000\n"
        "2018,cost,,,loner_lotsar,1050000\n"
        "2018,cost,,,glappersattning,250000\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    folder = tmp_path / "rapport"
    argv = ["uppfoljning", str(result), str(actuals), "--report", str(folder), "--format", "md"]
    assert main([*argv, "--lang", "sv"]) == 0
    out = capsys.readouterr().out
    md = next(folder.glob("*.md")).read_text(encoding="utf-8")
    section = md.split("Uppföljning mot utfall", 1)[1].split("Vad utfallet säger", 1)[0]
    for line in SEED_LINES:
        assert line in out, line
        assert line in section, line
    for text in (out, section):
        assert not re.search(r"(?<![.\w])(forsorjningsstod|loner_lotsar)\b", text)


def test_the_phone_tail_chart_cuts_no_word_and_leaves_out_fixed_items():
    """At phone width the rows' names wrap at spaces only ("Integrationsprojekte/t" was cut),
    and a component that is the same in every run (contribution 0) is not drawn."""
    import xarray as xr

    from balanskonto.report import figures

    labels = {
        "integrationsprojektet": "Integrationsprojektet",
        "ersattning": "Ersättning till barn- och utbildningsnämnden",
        "lokaler": "Lokaler",
    }
    tail = xr.DataArray(
        [-533e3, 120e3, 0.0],
        coords={"component": list(labels)},
        dims="component",
        attrs={"year": 2025},
    )
    fig = figures.tail_chart(tail, "sv", labels)
    figures._narrow(fig)
    shown = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert len(shown) == 2  # Lokaler: 0 in every run, not drawn
    words = {w for name in labels.values() for w in name.split()}
    for name in shown:
        assert set(name.split()) <= words, name
    assert any("\n" in name for name in shown)  # the long name is on more lines


def test_the_tail_table_lists_the_components_that_move(appendix):
    text = appendix["md"].read_text(encoding="utf-8")
    table = text.split("Skillnaden mellan de 5 % sämsta", 1)[1].split("\n\n", 2)[1]
    rows = [r.split("|")[1].strip() for r in table.splitlines()[2:]]
    assert rows[-2].startswith("Övriga") and rows[-1].startswith("Summa")
    assert "Lokaler" not in rows and "Löner 2 lotsar" not in rows  # fixed items: 0 every run


def test_no_empty_deficit_charts_when_no_run_goes_negative(appendix):
    """Vingåker's balance stays positive in every run: the sentence says so and the two
    charts, which would be empty, are left out (the table stays)."""
    text = appendix["md"].read_text(encoding="utf-8")
    assert "I ingen av de 50 körningarna är balanskontot negativt" in text
    assert "p_deficit.png" not in text and "depletion_year.png" not in text
    assert "balance_fan.png" in text and "Sannolikheten för underskott vid årets slut" in text
