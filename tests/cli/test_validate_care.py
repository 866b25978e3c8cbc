"""``balanskonto validate`` for the new groups of DESIGN §15: the month a group with
``leaves_care`` leaves its care states (and the states it leaves to), and a household
group's occupancy table that speaks of a household, not of a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from balanskonto.cli import main

from conftest import CARE, CONFIGS

PERSON_SV = "var en nyanländ person är"
HOUSEHOLD_SV = "var ett hushåll är"


def validate(path: Path, capsys, lang: str = "sv") -> str:
    """The command's output, its hard spaces (Swedish numbers: "70,0 %") as spaces."""
    assert main(["validate", str(path), "--lang", lang]) == 0
    return capsys.readouterr().out.replace("\xa0", " ").replace("\u202f", " ")


def test_the_leaving_care_month_of_each_age_group(capsys):
    """configs/ensamkommande.toml: arrivals at 15, 16 and 17 leave HVB, stödboende and
    familjehem at 18, after 36, 24 and 12 months, 70 % to eget boende and 30 % out."""
    out = validate(CONFIGS / "ensamkommande.toml", capsys)
    care = "(HVB, Stödboende, avtalad plats, Stödboende, ramavtal, Familjehem)"
    for arrival, month in ((15, 36), (16, 24), (17, 12)):
        line = (
            f"Ankom {arrival} år: lämnar vården {care} vid 18 års ålder, i slutet av månad "
            f"{month} efter ankomsten (vid ankomsten {arrival} år): →Eget boende 18–20 år "
            "70,0 %, →Utskrivna 30,0 %"
        )
        assert line in out.splitlines(), line
    # the state they leave to is reachable now: its own table is shown
    assert "Ankom 16 år / Eget boende 18–20 år: andel av dem som kommer in" in out
    assert PERSON_SV in out and HOUSEHOLD_SV not in out  # minors are persons


def test_the_leaving_care_month_in_english_and_at_half_a_year(tmp_path, capsys):
    """An age at arrival of 16.5 leaves care at 18 after 18 months; the occupancy table
    shows that month (everyone out of the care state by its end)."""
    path = tmp_path / "care.toml"
    assert CARE.count("age_at_arrival = 16\n") == 1
    path.write_text(CARE.replace("age_at_arrival = 16\n", "age_at_arrival = 16.5\n"), "utf-8")
    out = validate(path, capsys, "en")
    line = (
        "minor: leaves care (introduction) at 18 years, at the end of month 18 since arrival "
        "(arriving at 16.5 years): →self-sufficient 100.0%"
    )
    assert line in out.splitlines(), out
    rows = {r.split()[0]: r.split()[1:] for r in out.splitlines() if r.strip()[:2].isdigit()}
    assert rows["18"][0] == "0.0%" and rows["12"][0] != "0.0%"  # intro empty at 18, not at 12


@pytest.mark.parametrize(
    ("config", "households"),
    [("nacka_2018.toml", True), ("sodertalje_2008.toml", False)],
)
def test_a_household_groups_table_speaks_of_a_household(capsys, config, households):
    out = validate(CONFIGS / config, capsys)
    if households:
        assert "Familjer (2 vuxna, 2 barn): " + HOUSEHOLD_SV in out
        assert "Ensamstående vuxna: " + HOUSEHOLD_SV in out
        assert PERSON_SV not in out
    else:
        assert PERSON_SV in out and HOUSEHOLD_SV not in out
    assert "lämnar vården" not in out  # no leaves_care in either


def test_a_household_group_in_english(capsys):
    out = validate(CONFIGS / "nacka_2018.toml", capsys, "en")
    assert "where an arriving household is, by months since arrival" in out
    assert "where an arriving person is" not in out
