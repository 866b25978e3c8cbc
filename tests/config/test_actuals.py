"""Actuals files (config/actuals.py, actuals_files.py): the accepted forms read to the same
rows, and every kind of bad actual is refused with its file, line, column, value and rule."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import openpyxl
import pytest

from balanskonto.config import actuals_files
from balanskonto.config.actuals import ActualsScope, parse_number
from balanskonto.config.actuals_files import read_actuals
from balanskonto.config.errors import ConfigError

from conftest import unblocking

STATES = ("intro", "prolonged", "self_sufficient", "income_support", "relocated")
YEARLY = ActualsScope(
    years=tuple(range(2026, 2034)),
    monthly=False,
    groups=("adult", "child", "elderly"),
    states=STATES,
    revenue_components=("schablon",),
    cost_components=("administration", "allowance", "sfi"),
)
MONTHLY = ActualsScope(**{**YEARLY.__dict__, "monthly": True, "last_month": (2033, 12)})
HEADER = "period,variable,group,state,component,value"
GOOD = [
    ("2026", "revenue", "", "", "schablon", 4512000.0),
    ("2026", "cost", "", "", "allowance", 3950000.5),
    ("2026", "persons", "adult", "income_support", "", 37.0),
    ("2026", "arrivals", "adult", "", "", 24.0),
    ("2026", "balance", "", "", "", -5400000.0),
]


def _rows(actuals):
    return [(a.period, a.variable, a.group, a.state, a.component, a.value) for a in actuals.rows]


def _expected():
    out = []
    for p, v, g, s, c, x in GOOD:
        s = "resident" if v in ("persons", "person_years") and not s else s
        out.append((p, v, g, s, c, x))
    return out


def test_comma_separated_with_decimal_points(tmp_path):
    lines = [HEADER] + [",".join([*r[:5], repr(r[5])]) for r in GOOD]
    path = tmp_path / "u.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    actuals = read_actuals(path, YEARLY)
    assert _rows(actuals) == _expected()
    assert [a.line for a in actuals.rows] == [2, 3, 4, 5, 6]
    assert len(actuals.sha256) == 64


def test_swedish_excel_csv_semicolons_decimal_comma_bom_comments(tmp_path):
    """Swedish Excel writes ; and a decimal comma; a BOM, comment lines, blank lines, spaces
    as thousands separators and a real minus sign are accepted; the lines are the file's."""
    text = (
        "\ufeff# SYNTETISKA utfall\n"
        + HEADER.replace(",", ";").upper()
        + "\n\n2026;revenue;;;schablon;4 512 000\n"
        "# a comment between rows\n"
        "2026;cost;;;allowance;3950000,5\n"
        "2026;persons;adult;income_support;;37\n"
        "2026;arrivals;adult;;;24\n"
        "2026;balance;;;;\u22125\u00a0400\u00a0000\n"
    )
    path = tmp_path / "utfall.csv"
    path.write_bytes(text.encode("utf-8"))
    actuals = read_actuals(path, YEARLY)
    assert _rows(actuals) == _expected()
    assert [a.line for a in actuals.rows] == [4, 6, 7, 8, 9]


def _workbook(path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["# synthetic"])
    sheet.append(HEADER.split(","))
    for r in rows:
        sheet.append(list(r))
    book.save(path)
    return path


def test_an_excel_sheet_with_the_same_columns(tmp_path):
    rows = [(int(p), v, g or None, s or None, c or None, x) for p, v, g, s, c, x in GOOD]
    rows.append((dt.datetime(2026, 8, 1), "cost", None, None, "sfi", 1200.0))  # Excel's date
    actuals = read_actuals(_workbook(tmp_path / "u.xlsx", rows), MONTHLY)
    assert _rows(actuals)[:5] == _expected()
    assert _rows(actuals)[5] == ("2026-08", "cost", "", "", "sfi", 1200.0)
    assert [a.line for a in actuals.rows] == [3, 4, 5, 6, 7, 8]


@pytest.mark.parametrize(
    ("text", "value"),
    [("4 512 000", 4512000.0), ("1234,5", 1234.5), ("-7.25", -7.25), ("\u22123", -3.0), (12, 12.0)],
)
def test_numbers_the_way_a_controller_writes_them(text, value):
    assert parse_number(text) == value


#: Every kind of bad actual: (id, the rows after the header (CSV, ","), scope, the line the
#: error must name, words it must contain).
BAD = [
    ("unknown variable", "2026,kostnad,,,,1", YEARLY, 2, "variable: unknown variable"),
    ("variable hint", "2026,costs,,,allowance,1", YEARLY, 2, "did you mean 'cost'"),
    ("unknown group", "2026,persons,adults,,,1", YEARLY, 2, "unknown group (did you mean 'adult'"),
    ("unknown state", "2026,persons,adult,bistand,,1", YEARLY, 2, "state: unknown state"),
    ("unknown component", "2026,cost,,,bistand,1", YEARLY, 2, "unknown cost component"),
    ("component of the other side", "2026,cost,,,schablon,1", YEARLY, 2, "is a revenue component"),
    ("revenue of a cost component", "2026,revenue,,,sfi,1", YEARLY, 2, "is a cost component"),
    ("group for money", "2026,revenue,adult,,schablon,1", YEARLY, 2, "revenue has no group"),
    ("state for arrivals", "2026,arrivals,adult,intro,,1", YEARLY, 2, "arrivals has no state"),
    ("component for persons", "2026,persons,,,sfi,1", YEARLY, 2, "persons has no component"),
    ("group for balance", "2026,balance,adult,,,1", YEARLY, 2, "balance has no group"),
    ("resident for net", "2026,net,,resident,,1", YEARLY, 2, "net has no state"),
    ("year before the forecast", "2025,balance,,,,1", YEARLY, 2, "outside the forecast"),
    ("year after the forecast", "2034,balance,,,,1", YEARLY, 2, "covers 2026–2033"),
    ("year to date, yearly forecast", "2026-08,cost,,,allowance,1", YEARLY, 2, "monthly"),
    (
        "month after the forecast",
        "2026-08,cost,,,sfi,1",
        MONTHLY.__class__(**{**MONTHLY.__dict__, "last_month": (2026, 6)}),
        2,
        "last month is 2026-06",
    ),
    ("arrivals year to date", "2026-08,arrivals,,,,1", MONTHLY, 2, "per calendar year only"),
    ("month 13", "2026-13,balance,,,,1", YEARLY, 2, "a period is a year"),
    ("month 0", "2026-00,balance,,,,1", YEARLY, 2, "a period is a year"),
    ("short year", "26,balance,,,,1", YEARLY, 2, "a period is a year"),
    ("period with a day", "2026-08-31,balance,,,,1", YEARLY, 2, "a period is a year"),
    ("empty period", ",balance,,,,1", YEARLY, 2, "a period is a year"),
    ("empty value", "2026,balance,,,,", YEARLY, 2, "the value is empty"),
    ("not a number", "2026,balance,,,,12 kr", YEARLY, 2, "value: not a number"),
    ("both separators", '2026,balance,,,,"1.234,5"', YEARLY, 2, "both , and ."),
    ("not finite", "2026,balance,,,,nan", YEARLY, 2, "not a number"),
    ("negative cost", "2026,cost,,,sfi,-5", YEARLY, 2, "cost cannot be negative"),
    ("negative persons", "2026,persons,,,,-1", YEARLY, 2, "persons cannot be negative"),
    ("half a person", "2026,persons,adult,intro,,2.5", YEARLY, 2, "whole persons"),
    ("fractional arrivals", "2026,arrivals,,,,0.5", YEARLY, 2, "whole persons"),
    (
        "duplicate row",
        "2026,balance,,,,1\n2026,balance,,,,2",
        YEARLY,
        3,
        "the same actual as line 2",
    ),
    (
        "duplicate by resident",
        "2026,persons,adult,,,1\n2026,persons,adult,resident,,1",
        YEARLY,
        3,
        "the same actual",
    ),
    ("too many fields", "2026,balance,,,,1,5", YEARLY, 2, "7 fields where the header has 6"),
    ("too few fields", "2026,balance,1", YEARLY, 2, "3 fields"),
    (
        "variable missing in old result",
        "2026,persons,,,,1",
        ActualsScope(**{**YEARLY.__dict__, "variables": ("balance",)}),
        2,
        "the forecast has no persons",
    ),
    (
        "second of two problems",
        "2026,balance,,,,1\n2040,net,,,,1",
        YEARLY,
        3,
        "outside the forecast",
    ),
]


@pytest.mark.parametrize(
    ("rows", "scope", "line", "words"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_a_bad_actual_is_refused_with_its_line_and_rule(tmp_path, rows, scope, line, words):
    path = tmp_path / "utfall.csv"
    path.write_text(f"{HEADER}\n{rows}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_actuals(path, scope)
    message = str(err.value)
    assert message.startswith(str(path)), message
    assert f"line {line}" in message, message
    assert words in message, message


BAD_FILES = [
    ("missing file", None, "no such actuals file"),
    ("empty file", b"", "the file is empty"),
    ("only comments", b"# nothing\n\n", "the file is empty"),
    ("header only", HEADER.encode() + b"\n", "no actuals"),
    ("not UTF-8", (HEADER + "\n2026,balance,,,,1\n# \xe5r\n").encode("latin-1"), "not UTF-8"),
    ("unknown column", b"period,variable,value,kommentar\n2026,balance,1,x\n", "unknown column"),
    ("missing column", b"period,value\n2026,1\n", "the header lacks variable"),
    ("column twice", b"period,variable,value,value\n2026,balance,1,1\n", "'value' twice"),
]


@pytest.mark.parametrize(
    ("data", "words"), [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES]
)
def test_a_bad_file_is_refused_naming_it(tmp_path, data, words):
    path = tmp_path / "utfall.csv"
    if data is not None:
        path.write_bytes(data)
    with pytest.raises(ConfigError, match=words) as err:
        read_actuals(path, YEARLY)
    assert str(path) in str(err.value)


def test_a_file_of_another_kind_and_a_broken_workbook(tmp_path):
    other = tmp_path / "utfall.json"
    other.write_text("{}", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"CSV .* or an Excel workbook"):
        read_actuals(other, YEARLY)
    broken = tmp_path / "utfall.xlsx"
    broken.write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="cannot read it as an Excel workbook"):
        read_actuals(broken, YEARLY)


def test_excel_errors_name_the_sheet_row(tmp_path):
    rows = [(2026, "balance", None, None, None, 1), (2026, "persons", "adult", None, None, "x")]
    with pytest.raises(ConfigError, match=r"row 4, value: not a number \(got 'x'\)"):
        read_actuals(_workbook(tmp_path / "u.xlsx", rows), YEARLY)


def test_many_problems_are_listed_together(tmp_path):
    body = "\n".join(f"20{40 + i},balance,,,,1" for i in range(30))
    path = tmp_path / "u.csv"
    path.write_text(f"{HEADER}\n{body}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_actuals(path, YEARLY)
    message = str(err.value)
    assert "30 problems in the actuals" in message
    assert "line 2, period" in message and "… and 5 more" in message


def test_a_folder_a_device_and_a_large_file_are_refused_unread(tmp_path, monkeypatch):
    (tmp_path / "mapp.csv").mkdir()
    with pytest.raises(ConfigError, match=r"mapp\.csv: a folder, not an actuals file"):
        read_actuals(tmp_path / "mapp.csv", YEARLY)
    if Path("/dev/zero").exists():  # read without end before
        with pytest.raises(ConfigError, match="/dev/zero: a device or socket, not an actuals"):
            read_actuals("/dev/zero", YEARLY)
    path = tmp_path / "u.csv"
    path.write_text(f"{HEADER}\n" + "2026,balance,,,,1\n" * 20, encoding="utf-8")
    monkeypatch.setattr(actuals_files, "MAX_BYTES", 100)
    with pytest.raises(ConfigError, match=r"u\.csv: \d+ bytes, more than the 100 an actuals file"):
        read_actuals(path, YEARLY)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
@pytest.mark.parametrize("name", ["utfall.csv", "utfall.xlsx"])
def test_a_fifo_is_refused_without_being_opened(tmp_path, name):
    """It was opened, and the open waited for a writer for ever."""
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with unblocking(fifo), pytest.raises(ConfigError, match=r"a FIFO \(named pipe\), not an"):
        read_actuals(fifo, YEARLY)


def test_a_long_value_is_shown_cut(tmp_path):
    """A cell of 100 000 characters was echoed whole."""
    path = tmp_path / "u.csv"
    path.write_text(f"{HEADER}\n2026,balance,,,,{'x' * 100_000}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line 2, value: .*'x+…\)$") as err:
        read_actuals(path, YEARLY)
    assert len(str(err.value)) < 300
