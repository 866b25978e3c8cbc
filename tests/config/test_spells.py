"""Reading a spells extract (DESIGN §14): good files in their variants, and every kind of
bad row refused with its row, person, column, value and rule."""

# ruff: noqa: E501  (the tables of bad rows read best one case a line)

from __future__ import annotations

import os

import pytest

from balanskonto import ConfigError
from balanskonto.config.spells import (
    as_of_month,
    format_month,
    parse_month,
    parse_spells,
    read_spells,
)

from conftest import unblocking

STARTS = {"adult": "intro", "child": "self_sufficient"}
AS_OF = parse_month("2026-12")
GOOD = """person,group,arrival,state,start,end
p1,adult,2023-02,intro,2023-02,2024-07
p1,adult,2023-02,self_sufficient,2024-08,2025-01
p1,adult,2023-02,income_support,2025-02,
p2,child,2024-05,self_sufficient,2024-05,2025-06
p2,child,2024-05,relocated,2025-07,
p3,adult,2026-12,intro,2026-12,2026-12
p3,adult,2026-12,relocated,2027-01,
"""


def parse(text: str, as_of: int = AS_OF):
    return parse_spells(text, as_of, STARTS, source="s.csv")


def test_a_good_extract_is_read_in_order():
    spells = parse(GOOD)
    assert spells.persons == 3 and len(spells.spells) == 7
    first = spells.spells[0]
    assert (first.row, first.person, first.state) == (2, "p1", "intro")
    assert format_month(first.start) == "2023-02" and format_month(first.end) == "2024-07"
    assert spells.spells[2].end is None


def test_months_round_trip_and_full_dates_are_read_as_their_month():
    for text in ("1900-01", "2023-02", "2200-12"):
        assert format_month(parse_month(text)) == text
    assert parse_month("2023-02-01") == parse_month("2023-02")


@pytest.mark.parametrize(
    "variant",
    [
        lambda t: t.replace(",", ";"),  # Swedish Excel
        lambda t: "\ufeff" + t,  # a byte-order mark
        lambda t: "# a synthetic extract\n" + t + "\n\n",  # comments and blank lines
        lambda t: t.replace("person,group", "Person, Group"),  # header case and spaces
        lambda t: t.replace("2023-02,intro", "2023-02-01,intro"),  # Excel's dates
        lambda t: "\n".join(reversed(t.splitlines()[1:])).join([t.splitlines()[0] + "\n", ""]),
    ],
)
def test_variants_of_the_same_extract_read_the_same(variant):
    assert [(s.person, s.state, s.start, s.end) for s in parse(variant(GOOD)).spells] == [
        (s.person, s.state, s.start, s.end) for s in parse(GOOD).spells
    ]


def test_read_spells_from_a_file(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(GOOD.replace(",", ";"), encoding="utf-8-sig")
    assert read_spells(path, AS_OF, STARTS).persons == 3


def _edit(line: int, column: int, value: str):
    """Replace field ``column`` of data line ``line`` (1 = the first spell)."""

    def apply(text: str) -> str:
        lines = text.splitlines()
        fields = lines[line].split(",")
        fields[column] = value
        lines[line] = ",".join(fields)
        return "\n".join(lines) + "\n"

    return apply


def _append(row: str):
    return lambda text: text + row + "\n"


COL = {name: i for i, name in enumerate(("person", "group", "arrival", "state", "start", "end"))}
BAD = [
    # (edit, row named, fragments of the message)
    ("month 13", _edit(1, COL["arrival"], "2023-13"), 2, ["arrival", "YYYY-MM", "'2023-13'"]),
    ("one-digit month", _edit(1, COL["start"], "2023-2"), 2, ["start", "YYYY-MM"]),
    ("two-digit year", _edit(1, COL["end"], "24-07"), 2, ["end", "YYYY-MM", "'24-07'"]),
    ("slashes", _edit(1, COL["arrival"], "2023/02"), 2, ["arrival", "YYYY-MM"]),
    ("year out of range", _edit(1, COL["start"], "1899-02"), 2, ["start", "year 1900"]),
    ("text for a month", _edit(2, COL["end"], "soon"), 3, ["end", "'soon'"]),
    ("empty arrival", _edit(1, COL["arrival"], ""), 2, ["arrival", "YYYY-MM"]),
    ("empty start", _edit(4, COL["start"], ""), 5, ["start", "YYYY-MM"]),
    ("unknown state", _edit(1, COL["state"], "work"), 2, ["state", "not a state", "'work'"]),
    ("state in capitals", _edit(1, COL["state"], "Intro"), 2, ["state", "'Intro'"]),
    ("unknown group", _edit(4, COL["group"], "kid"), 5, ["group", "not a group", "'kid'"]),
    ("group not a name", _edit(4, COL["group"], "Vuxen!"), 5, ["group", "'Vuxen!'"]),
    ("empty person", _edit(1, COL["person"], ""), 2, ["person", "at least 1"]),
    ("end before start", _edit(1, COL["end"], "2022-12"), 2, ["end", "before start 2023-02"]),
    ("start before arrival", _edit(4, COL["start"], "2024-04"), 5, ["start", "before the arrival"]),
    ("arrival after as-of", _append("p9,adult,2027-02,intro,2027-02,"), 9, ["arrival", "after --as-of"]),
    ("start after as-of", _edit(7, COL["start"], "2027-02"), 8, ["start", "after --as-of 2026-12"]),
    ("closed spell after as-of", _edit(7, COL["end"], "2027-01"), 8, ["after --as-of"]),
    ("end after as-of", _edit(3, COL["end"], "2027-03"), 4, ["end", "after --as-of", "leave end empty"]),
    ("overlap", _edit(2, COL["start"], "2024-07"), 3, ["overlaps the spell of row 2", "'2024-07'"]),
    ("gap", _edit(2, COL["start"], "2024-10"), 3, ["a gap of 2 month(s)", "row 2"]),
    ("after an open spell", _edit(1, COL["end"], ""), 3, ["overlaps the open spell of row 2"]),
    ("same state twice", _edit(2, COL["state"], "intro"), 3, ["the same state as the spell before"]),
    ("after relocated", _append("p2,child,2024-05,self_sufficient,2025-08,"), 9, ["follows a 'relocated'"]),
    ("closed last spell", _edit(3, COL["end"], "2026-06"), 4, ["last spell ends but no spell follows"]),
    ("first spell after arrival", _edit(1, COL["arrival"], "2023-01"), 2, ["first spell starts in the arrival month 2023-01"]),
    ("wrong start state", _edit(4, COL["state"], "intro"), 5, ["start state 'self_sufficient'", "groups.child.start"]),
    ("two groups", _edit(2, COL["group"], "child"), 3, ["group: differs from the person's row 2"]),
    ("two arrivals", _edit(3, COL["arrival"], "2023-03"), 4, ["arrival: differs from the person's row 2"]),
    ("duplicate row", _append("p1,adult,2023-02,intro,2023-02,2024-07"), 9, ["overlaps the spell of row 2"]),
    ("too many fields", _append("p9,adult,2026-01,intro,2026-01,,extra"), 9, ["has 7 fields, the header 6"]),
    ("too few fields", _append("p9,adult,2026-01,intro"), 9, ["has 4 fields"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit", "row", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_spells_are_refused_naming_row_value_and_rule(edit, row, fragments):
    with pytest.raises(ConfigError) as err:
        parse(edit(GOOD))
    msg = str(err.value)
    assert msg.startswith("s.csv: ")
    assert f"row {row} " in msg or f"row {row}:" in msg, msg
    for fragment in fragments:
        assert fragment in msg, msg


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("", ["empty", "person,group,arrival,state,start,end"]),
        ("person,group,arrival,state,start\np1,adult,2023-02,intro,2023-02\n", ["missing column(s) ['end']"]),
        ("person,group,arrival,state,start,end,note\n", ["unknown column(s) ['note']"]),
        ("person,person,group,arrival,state,start,end\n", ["given twice ['person']"]),
        ("person,group,arrival,state,start,end\n", ["no spells after the header"]),
    ],
)  # fmt: skip
def test_bad_files_are_refused(text, fragments):
    with pytest.raises(ConfigError) as err:
        parse(text)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_every_problem_is_listed_in_row_order_up_to_twenty():
    lines = GOOD.splitlines()
    bad = [lines[0]] + [f"q{i},adult,2023-02,intro,2023-02,2023-01" for i in range(30)]
    with pytest.raises(ConfigError) as err:
        parse("\n".join(bad))
    msg = str(err.value)
    assert "30 problems" in msg and "… and 10 more" in msg
    assert msg.index("row 2 ") < msg.index("row 3 ") < msg.index("row 21 ")


def test_missing_and_undecodable_files_and_a_bad_as_of(tmp_path):
    with pytest.raises(ConfigError, match="no such spells file"):
        read_spells(tmp_path / "none.csv", AS_OF, STARTS)
    (tmp_path / "latin1.csv").write_bytes(GOOD.replace("p1", "pö").encode("latin-1"))
    with pytest.raises(ConfigError, match="not UTF-8"):
        read_spells(tmp_path / "latin1.csv", AS_OF, STARTS)
    for text in ("2026-13", "2026", "dec 2026", ""):
        with pytest.raises(ConfigError, match="--as-of: not a month"):
            as_of_month(text)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_and_a_file_over_the_limit_are_refused_unread(tmp_path, monkeypatch):
    from balanskonto.config import spells

    fifo = tmp_path / "spells.csv"
    os.mkfifo(fifo)
    with unblocking(fifo), pytest.raises(ConfigError, match=r"a FIFO \(named pipe\), not a"):
        read_spells(fifo, AS_OF, STARTS)
    path = tmp_path / "big.csv"
    path.write_text(GOOD, encoding="utf-8")
    monkeypatch.setattr(spells, "MAX_BYTES", 50)
    with pytest.raises(ConfigError, match=r"big\.csv: \d+ bytes, more than the 50 a spells"):
        read_spells(path, AS_OF, STARTS)


def test_a_long_value_is_shown_cut():
    """A field of 100 000 characters was echoed whole."""
    bad = GOOD.splitlines()[0] + f"\np1,adult,{'2' * 100_000},intro,2023-02,2024-07\n"
    with pytest.raises(ConfigError, match=r"\(got '2+…\)$") as err:
        parse(bad)
    assert len(str(err.value)) < 300
