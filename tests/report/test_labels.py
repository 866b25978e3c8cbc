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
