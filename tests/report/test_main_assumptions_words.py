"""The main assumptions of the seeds' other cases (DESIGN §15) in plain Swedish: the table
names each key in words and writes its value with Swedish field names, labels and whole
kronor, not config keys, English field names or float noise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import balanskonto as bk
from balanskonto.report import build
from balanskonto.report.document import Table
from balanskonto.report.main_assumptions import words

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
ENGLISH = re.compile(
    r"\b(amount|months|from month|share of persons|places|per month|per day|probability|"
    r"lag years|installments|arrival|group|state|count)\b"
)


@pytest.mark.parametrize("name", ["nacka_2018", "ensamkommande"])
def test_the_main_assumptions_of_the_new_configs_are_in_swedish(name):
    ds = bk.simulate(bk.load_config(CONFIGS / f"{name}.toml"), runs=20, seed=1)
    main = next(t for t in build(ds, "sv").of_type(Table) if t.key == "main_assumptions")
    assert len(main.rows) >= 5
    for label, value, _source in main.rows:
        assert "." not in label and "_" not in label, label  # words, not a dotted key
        assert not ENGLISH.search(value), value
        assert "_" not in value and "{" not in value, value
        assert not re.search(r",\d{3,}", value), value  # no float noise (5 833,333333)


def test_a_long_schedule_and_a_population_are_summed_up():
    schedule = [{"month": m, "share": 1 / 24} for m in range(1, 25)]
    assert words("groups.a.payments.schablon.installments", schedule, "sv") == "24, månad 1–24"
    rows = [
        {"arrival": "2016-01", "group": "a", "state": "hvb", "months_in_state": 3, "count": 5},
        {"arrival": "2016-02", "group": "a", "state": "hvb", "months_in_state": 2, "count": 2},
        {"arrival": "2016-02", "group": "a", "state": "intro", "months_in_state": 2, "count": 3},
    ]
    shown = words("population.rows", rows, "sv", {"hvb": "HVB-hem"}).replace("\u00a0", " ")
    assert shown == "10 vid start: HVB-hem 7, etablering 3"
