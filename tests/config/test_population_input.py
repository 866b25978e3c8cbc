"""``[population]`` input (DESIGN §11): inline rows and CSV files, and every way a row can be
wrong: a located error (the row, the value, the rule), exit code 2 and nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import balanskonto as bk
from balanskonto.cli import main
from balanskonto.config import ConfigError, config_from_dict

from conftest import unblocking

BASE = """
[simulation]
start_year = 2026
years = 3
runs = 20
seed = 1

[arrivals]
per_year = 12
mix = { adult = 1.0 }

[groups.adult]
start = "intro"
[groups.adult.states.intro]
max_months = 24
on_expiry = { income_support = 1.0 }
exits = [{ to = "self_sufficient", share = 0.5, at_month = 12 }]
[groups.adult.costs]
intro = { etablering = 10000 }
[groups.adult.payments.schablon]
amount_by_arrival_year = { 2024 = 180000, 2026 = 200000 }
by_calendar_year = [0.5, 0.5]
"""
GOOD = {"arrival": "2025-03", "group": "adult", "state": "intro", "months_in_state": 9}


def _raw(**population):
    import tomllib

    raw = tomllib.loads(BASE)
    raw["population"] = population
    return raw


def _row(**change):
    row = {**GOOD, "count": 4, **change}
    return {k: v for k, v in row.items() if v is not None}


BAD_ROWS = {
    "unknown group": (_row(group="child"), "group", "names no group"),
    "unknown state": (_row(state="hvb"), "state", "not a state of the config"),
    "state never reached": (_row(state="prolonged"), "state", "never reaches"),
    "at max_months": (_row(months_in_state=24, arrival="2023-01"), "months_in_state", "max_mo"),
    "longer than since arrival": (_row(months_in_state=11), "months_in_state", "impossible"),
    "other state as long as since arrival": (
        _row(state="income_support", months_in_state=10),
        "months_in_state",
        "impossible",
    ),
    "arrival at the start": (_row(arrival="2026-01", months_in_state=0), "arrival", "before"),
    "arrival after the start": (_row(arrival="2027-05", months_in_state=0), "arrival", "before"),
    "month 13": (_row(arrival="2025-13"), "arrival", "YYYY-MM"),
    "slash date": (_row(arrival="2025/03"), "arrival", "YYYY-MM"),
    "two-digit year": (_row(arrival="25-03"), "arrival", "YYYY-MM"),
    "negative count": (_row(count=-1), "count", "greater than or equal to 0"),
    "fractional count": (_row(count=1.5), "count", "integer"),
    "count as text": (_row(count="12"), "count", "integer"),
    "negative months": (_row(months_in_state=-1), "months_in_state", "greater than"),
    "unknown key": (_row(note="x"), "note", "unknown key"),
    "missing count": ({**GOOD}, "count", "required key is missing"),
    "no amount for the arrival year": (
        _row(arrival="2023-06", months_in_state=19, state="intro"),
        "arrival",
        "no amount for 2023",
    ),
}


@pytest.mark.parametrize("case", BAD_ROWS, ids=list(BAD_ROWS))
def test_a_bad_inline_row_is_refused_with_its_location(case):
    row, field, rule = BAD_ROWS[case]
    rows = [_row(), row]  # the bad row is the second: its index must be named
    with pytest.raises(ConfigError) as err:
        config_from_dict(_raw(rows=rows))
    message = str(err.value)
    assert "population.rows[1]" in message, message
    assert field in message and rule in message, message


@pytest.mark.parametrize(
    ("population", "rule"),
    [
        ({}, "give exactly one of"),
        ({"file": "b.csv", "rows": [_row()]}, "give exactly one of"),
        ({"rows": "x"}, "population.rows"),
    ],
)
def test_the_population_table_needs_one_form(population, rule):
    with pytest.raises(ConfigError, match="population"):
        config_from_dict(_raw(**population))


# --------------------------------------------------------------------------------------
# CSV files
# --------------------------------------------------------------------------------------
HEADER = "arrival,group,state,months_in_state,count\n"


def _files(folder: Path, csv: str | bytes, name: str = "befolkning.csv") -> Path:
    data = csv.encode("utf-8") if isinstance(csv, str) else csv
    (folder / name).write_bytes(data)
    config = folder / "c.toml"
    config.write_text(BASE + f'\n[population]\nfile = "{name}"\n', encoding="utf-8")
    return config


def test_a_csv_with_semicolons_decimal_commas_and_a_bom_is_read(tmp_path):
    csv = "\ufeffarrival;group;state;months_in_state;count\n2025-03;adult;intro;9;12,0\n"
    config = bk.load_config(_files(tmp_path, csv))
    rows = config.population.rows
    assert [(r.arrival, r.state, r.months_in_state, r.count) for r in rows] == [
        ("2025-03", "intro", 9, 12)
    ]
    # the rows are in the config's own text, with its comments: a result reproduces them
    assert "2025-03" in config.toml and 'source_file = "befolkning.csv"' in config.toml
    again = bk.config.parse_config(config.toml)
    assert again.population.rows == rows


def test_the_csv_rows_are_simulated(tmp_path):
    config = bk.load_config(_files(tmp_path, HEADER + "2025-03,adult,intro,9,12\n"))
    ds = bk.simulate(config, runs=10, seed=1)
    empty = bk.simulate(config.with_overrides({"population.rows": []}), runs=10, seed=1)
    extra = ds["persons"].sum(["group", "state"]) - empty["persons"].sum(["group", "state"])
    np.testing.assert_array_equal(extra.values, 12)  # nobody relocates in this config


BAD_FILES = {
    "wrong header": (
        "arrival,group,state,months,count\n2025-03,adult,intro,9,1\n",
        "row 1",
        "header",
    ),
    "too few cells": (HEADER + "2025-03,adult,intro,9\n", "row 2", "cells"),
    "text for months": (HEADER + "2025-03,adult,intro,tolv,1\n", "row 2", "months_in_state"),
    "fractional count": (HEADER + "2025-03,adult,intro,9,1.5\n", "row 2", "count"),
    "bad row later": (
        HEADER + "2025-03,adult,intro,9,1\n2025-04,adult,intro,99,1\n",
        "row 3",
        "months_in_state",
    ),
    "unknown group": (HEADER + "2025-03,barn,intro,9,1\n", "row 2", "names no group"),
    "empty": ("", "befolkning.csv", "empty"),
    "cp1252": (
        (HEADER + "2025-03,adult,intro,9,1\n# Göteborg\n").encode("cp1252"),
        "befolkning.csv",
        "UTF-8",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_population_file_is_refused_naming_file_and_row(tmp_path, case):
    csv, where, rule = BAD_FILES[case]
    with pytest.raises(ConfigError) as err:
        bk.load_config(_files(tmp_path, csv))
    message = str(err.value)
    assert "befolkning.csv" in message and where in message and rule in message, message


def test_a_missing_or_unreadable_population_file_is_refused(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(BASE + '\n[population]\nfile = "saknas.csv"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no such population file"):
        bk.load_config(config)
    (tmp_path / "mapp.csv").mkdir()
    config.write_text(BASE + '\n[population]\nfile = "mapp.csv"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"mapp\.csv: a folder, not a population file"):
        bk.load_config(config)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_population_file_that_is_a_fifo_or_a_device_is_refused_unread(tmp_path):
    config = tmp_path / "c.toml"
    os.mkfifo(tmp_path / "rör.csv")
    config.write_text(BASE + '\n[population]\nfile = "rör.csv"\n', encoding="utf-8")
    with unblocking(tmp_path / "rör.csv"), pytest.raises(ConfigError, match=r"a FIFO \(named"):
        bk.load_config(config)
    if Path("/dev/zero").exists():
        config.write_text(BASE + '\n[population]\nfile = "/dev/zero"\n', encoding="utf-8")
        with pytest.raises(ConfigError, match="/dev/zero: a device or socket, not a population"):
            bk.load_config(config)


@pytest.mark.parametrize("case", ["wrong header", "bad row later", "cp1252"])
def test_the_command_line_exits_2_and_writes_nothing(tmp_path, capsys, monkeypatch, case):
    monkeypatch.setenv("BALANSKONTO_LANG", "en")  # reads the English message
    csv, where, _ = BAD_FILES[case]
    config = _files(tmp_path, csv)
    out = tmp_path / "ut.nc"
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["run", str(config), "--out", str(out), "--quiet"]) == 2
    assert where in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
